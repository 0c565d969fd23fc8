//! The open-data feed of 1022: every report, anonymised, as CSV — category,
//! ward, unit, channel, dates, status, whether it was answered on time, the
//! rating, and the location rounded to three decimals (about 100 m). No
//! words, names, phone numbers, e-mail addresses, addresses or photos: free
//! text can hold personal data, so none of it is published.
//!
//! The data hub publishes the file as an open dataset (see the wiring in
//! `cityos_http::workers`); this module only writes it.

use crate::{Feedback, FeedbackError};
use cityos_core::from_millis;
use sqlx::Row as _;
use std::io::Write;

/// The feed's columns, in order (the dataset's schema).
pub const OPEN_DATA_COLUMNS: &[&str] = &[
    "tracking_code",
    "category_code",
    "category_name",
    "jurisdiction_code",
    "jurisdiction_name",
    "agency_code",
    "channel",
    "status",
    "received_date",
    "due_date",
    "resolved_date",
    "resolved_on_time",
    "rating",
    "lat",
    "lon",
];

/// Rows read per query while writing the feed.
const PAGE: i64 = 5000;

fn date(ms: Option<i64>) -> String {
    ms.map(|m| cityos_calendar::local_date(from_millis(m)).format("%Y-%m-%d").to_string()).unwrap_or_default()
}

fn rounded(x: Option<f64>) -> String {
    x.map(|v| format!("{:.3}", (v * 1000.0).round() / 1000.0)).unwrap_or_default()
}

impl Feedback {
    /// Writes every report, anonymised, as CSV (UTF-8, header row) to `out`,
    /// reading the table in pages. Returns the number of rows.
    ///
    /// # Errors
    /// Database or write failures.
    pub async fn write_open_data_csv(&self, out: impl Write) -> Result<u64, FeedbackError> {
        let mut w = csv::Writer::from_writer(out);
        let io = |e: csv::Error| FeedbackError::Api(cityos_api::ApiError::internal(&e));
        w.write_record(OPEN_DATA_COLUMNS).map_err(io)?;
        let names = sqlx::query("SELECT code, name_vi FROM feedback_categories").fetch_all(self.db.reader()).await?;
        let categories: std::collections::HashMap<String, String> =
            names.iter().filter_map(|r| Some((r.try_get("code").ok()?, r.try_get("name_vi").ok()?))).collect();
        let wards: std::collections::HashMap<String, String> = self
            .identity
            .jurisdictions()
            .await
            .map_err(|e| FeedbackError::Identity(e.to_string()))?
            .into_iter()
            .map(|j| (j.code, j.name))
            .collect();
        let (mut after, mut rows) = (0_i64, 0_u64);
        loop {
            let page = sqlx::query(
                "SELECT rid, tracking_code, category_code, jurisdiction_code, agency_code, channel, status, received_at, due_at,
                        resolved_at, rating, lat, lon
                 FROM reports WHERE rid > $1 ORDER BY rid LIMIT $2",
            )
            .bind(after)
            .bind(PAGE)
            .fetch_all(self.db.reader())
            .await?;
            let Some(last) = page.last() else { break };
            after = last.try_get("rid")?;
            for r in &page {
                let category: Option<String> = r.try_get("category_code")?;
                let ward: Option<String> = r.try_get("jurisdiction_code")?;
                let (due, resolved): (i64, Option<i64>) = (r.try_get("due_at")?, r.try_get("resolved_at")?);
                let on_time = match resolved {
                    Some(at) => if at <= due { "true" } else { "false" }.to_string(),
                    None => String::new(),
                };
                let record = [
                    r.try_get::<String, _>("tracking_code")?,
                    category.clone().unwrap_or_default(),
                    category.as_ref().and_then(|c| categories.get(c)).cloned().unwrap_or_default(),
                    ward.clone().unwrap_or_default(),
                    ward.as_ref().and_then(|c| wards.get(c)).cloned().unwrap_or_default(),
                    r.try_get::<Option<String>, _>("agency_code")?.unwrap_or_default(),
                    r.try_get::<String, _>("channel")?,
                    r.try_get::<String, _>("status")?,
                    date(Some(r.try_get("received_at")?)),
                    date(Some(due)),
                    date(resolved),
                    on_time,
                    r.try_get::<Option<i64>, _>("rating")?.map(|v| v.to_string()).unwrap_or_default(),
                    rounded(r.try_get("lat")?),
                    rounded(r.try_get("lon")?),
                ];
                w.write_record(&record).map_err(io)?;
                rows += 1;
            }
        }
        w.flush().map_err(|e| FeedbackError::Api(cityos_api::ApiError::internal(&e)))?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_rounded_to_about_a_hundred_metres() {
        assert_eq!(rounded(Some(10.776_543)), "10.777");
        assert_eq!(rounded(Some(106.700_049)), "106.700");
        assert_eq!(rounded(None), "");
    }

    #[test]
    fn dates_are_local_calendar_days() {
        // 2026-11-27T20:00Z is already 28/11 in Hồ Chí Minh City (UTC+7).
        let ms = cityos_core::to_millis(chrono::DateTime::parse_from_rfc3339("2026-11-27T20:00:00Z").map(Into::into).unwrap_or_default());
        assert_eq!(date(Some(ms)), "2026-11-28");
    }
}
