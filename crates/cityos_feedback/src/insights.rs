//! Likely duplicates at submission, and the numbers units are judged by:
//! per-unit dashboards for staff and the public ranking of units.

use crate::model::Status;
use crate::reports::PublicReport;
use crate::{Feedback, FeedbackError};
use cityos_api::{ApiError, Caller, Role};
use cityos_core::to_millis;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use std::collections::HashSet;
use utoipa::{IntoParams, ToSchema};

/// What a citizen is about to report.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DuplicateQuery {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Category, if chosen.
    pub category: Option<String>,
    /// The words so far.
    pub text: Option<String>,
}

/// A likely duplicate with how close it is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateCandidate {
    /// The existing report (public view).
    pub report: PublicReport,
    /// Distance in metres.
    pub distance_m: f64,
    /// Word overlap with the new text, 0–1.
    pub similarity: f64,
}

/// Search radius for duplicates.
const RADIUS_M: f64 = 250.0;

fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

fn jaccard(a: &str, b: &str) -> f64 {
    let x: HashSet<String> = cityos_text::tokens(a).into_iter().filter(|t| t.len() > 1).collect();
    let y: HashSet<String> = cityos_text::tokens(b).into_iter().filter(|t| t.len() > 1).collect();
    let union = x.union(&y).count();
    if union == 0 {
        0.0
    } else {
        #[allow(clippy::cast_precision_loss)]
        let r = x.intersection(&y).count() as f64 / union as f64;
        r
    }
}

/// One unit's numbers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitStats {
    /// The unit.
    pub agency_code: String,
    /// Reports received.
    pub received: i64,
    /// Resolved or closed.
    pub resolved: i64,
    /// Resolved by their deadline.
    pub resolved_on_time: i64,
    /// Share resolved on time, of those resolved (0–100).
    pub on_time_pct: Option<f64>,
    /// Open and past the deadline now.
    pub overdue: i64,
    /// Still open.
    pub open: i64,
    /// Average hours from receipt to resolution.
    pub avg_handling_hours: Option<f64>,
    /// Average rating 1–5.
    pub satisfaction: Option<f64>,
    /// How many ratings.
    pub ratings: i64,
}

/// Period for statistics.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// From (RFC 3339), default 90 days ago.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// To (RFC 3339), default now.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

impl Feedback {
    /// Open reports of the last 30 days within 250 m (same category when
    /// given), closest and most similar first.
    ///
    /// # Errors
    /// 422 for a bad point.
    pub async fn likely_duplicates(&self, q: &DuplicateQuery) -> Result<Vec<DuplicateCandidate>, FeedbackError> {
        if !(-90.0..=90.0).contains(&q.lat) || !(-180.0..=180.0).contains(&q.lon) {
            return Err(ApiError::invalid("lat must be within ±90 and lon within ±180").into());
        }
        let now = self.clock.now();
        let dlat = RADIUS_M / 111_320.0;
        let dlon = RADIUS_M / (111_320.0 * q.lat.to_radians().cos().max(0.01));
        let rows = sqlx::query(
            "SELECT tracking_code, lat, lon, description, category_code, status FROM reports
             WHERE lat BETWEEN $1 AND $2 AND lon BETWEEN $3 AND $4 AND received_at >= $5
               AND status NOT IN ('closed', 'rejected', 'duplicate')
               AND ($6 = '' OR category_code = $6)
             ORDER BY received_at DESC LIMIT 200",
        )
        .bind(q.lat - dlat)
        .bind(q.lat + dlat)
        .bind(q.lon - dlon)
        .bind(q.lon + dlon)
        .bind(to_millis(now - chrono::Duration::days(30)))
        .bind(q.category.as_deref().unwrap_or(""))
        .fetch_all(self.db.reader())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let (lat, lon): (Option<f64>, Option<f64>) = (r.try_get("lat")?, r.try_get("lon")?);
            let (Some(lat), Some(lon)) = (lat, lon) else { continue };
            let distance_m = haversine_m((q.lat, q.lon), (lat, lon));
            if distance_m > RADIUS_M {
                continue;
            }
            let description: String = r.try_get("description")?;
            let similarity = q.text.as_deref().map_or(0.0, |t| jaccard(t, &description));
            let code: String = r.try_get("tracking_code")?;
            out.push(DuplicateCandidate { report: self.public_report(&code).await?, distance_m: distance_m.round(), similarity });
        }
        out.sort_by(|a, b| {
            let score = |c: &DuplicateCandidate| c.similarity * 2.0 - c.distance_m / RADIUS_M;
            score(b).total_cmp(&score(a))
        });
        out.truncate(10);
        Ok(out)
    }

    async fn unit_stats(&self, q: &StatsQuery, only: Option<&HashSet<String>>) -> Result<Vec<UnitStats>, FeedbackError> {
        let now = self.clock.now();
        let from = to_millis(q.from.unwrap_or(now - chrono::Duration::days(90)));
        let to = to_millis(q.to.unwrap_or(now));
        let rows = sqlx::query(
            "SELECT agency_code,
                COUNT(*) AS received,
                CAST(SUM(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS resolved,
                CAST(SUM(CASE WHEN resolved_at IS NOT NULL AND resolved_at <= due_at THEN 1 ELSE 0 END) AS BIGINT) AS on_time,
                CAST(SUM(CASE WHEN status IN ('forwarded', 'acknowledged', 'in_progress', 'reopened', 'escalated') AND due_at < $3 THEN 1 ELSE 0 END) AS BIGINT) AS overdue,
                CAST(SUM(CASE WHEN status IN ('forwarded', 'acknowledged', 'in_progress', 'reopened', 'escalated', 'received') THEN 1 ELSE 0 END) AS BIGINT) AS open,
                CAST(AVG(CASE WHEN resolved_at IS NOT NULL THEN resolved_at - received_at END) AS DOUBLE PRECISION) AS avg_ms,
                CAST(AVG(rating) AS DOUBLE PRECISION) AS satisfaction,
                COUNT(rating) AS ratings
             FROM reports WHERE agency_code IS NOT NULL AND received_at >= $1 AND received_at < $2
             GROUP BY agency_code ORDER BY agency_code",
        )
        .bind(from)
        .bind(to)
        .bind(to_millis(now))
        .fetch_all(self.db.reader())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let agency_code: String = r.try_get("agency_code")?;
            if only.is_some_and(|set| !set.contains(&agency_code)) {
                continue;
            }
            let resolved: i64 = r.try_get("resolved")?;
            let on_time: i64 = r.try_get("on_time")?;
            #[allow(clippy::cast_precision_loss)]
            let pct = (resolved > 0).then(|| (on_time as f64 * 1000.0 / resolved as f64).round() / 10.0);
            out.push(UnitStats {
                agency_code,
                received: r.try_get("received")?,
                resolved,
                resolved_on_time: on_time,
                on_time_pct: pct,
                overdue: r.try_get("overdue")?,
                open: r.try_get("open")?,
                avg_handling_hours: r.try_get::<Option<f64>, _>("avg_ms")?.map(|ms| (ms / 360_000.0).round() / 10.0),
                satisfaction: r.try_get::<Option<f64>, _>("satisfaction")?.map(|s| (s * 10.0).round() / 10.0),
                ratings: r.try_get("ratings")?,
            });
        }
        Ok(out)
    }

    /// Per-unit dashboard numbers (operators: all units; staff, viewers,
    /// agency admins: theirs).
    ///
    /// # Errors
    /// 401/403.
    pub async fn stats(&self, caller: &Caller, q: &StatsQuery) -> Result<Vec<UnitStats>, FeedbackError> {
        caller.require_any(&[Role::Operator, Role::Staff, Role::Viewer, Role::AgencyAdmin, Role::Analyst])?;
        let only = if caller.has_any(&[Role::Operator, Role::Analyst]) {
            None
        } else {
            caller.agencies_for(&[Role::Staff, Role::Viewer, Role::AgencyAdmin])
        };
        self.unit_stats(q, only.as_ref()).await
    }

    /// The public ranking of units: on-time rate first, then satisfaction
    /// (units with at least 3 resolved reports in the period).
    ///
    /// # Errors
    /// Database failure.
    pub async fn ranking(&self, q: &StatsQuery) -> Result<Vec<UnitStats>, FeedbackError> {
        let mut all: Vec<UnitStats> = self.unit_stats(q, None).await?.into_iter().filter(|u| u.resolved >= 3).collect();
        all.sort_by(|a, b| {
            b.on_time_pct
                .unwrap_or(0.0)
                .total_cmp(&a.on_time_pct.unwrap_or(0.0))
                .then(b.satisfaction.unwrap_or(0.0).total_cmp(&a.satisfaction.unwrap_or(0.0)))
        });
        Ok(all)
    }
}

/// Statuses counted as open in the statistics (kept beside the SQL above).
#[must_use]
pub fn open_statuses() -> Vec<Status> {
    Status::ALL.into_iter().filter(|s| s.is_open()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_similarity() {
        let d = haversine_m((10.7805, 106.704), (10.7814, 106.704));
        assert!((d - 100.0).abs() < 2.0, "{d}");
        assert!(jaccard("Đèn đường không sáng", "den duong khong sang tu toi qua") > 0.5);
        assert!(jaccard("ổ gà", "mất nước") < 0.01);
        let open: Vec<&str> = open_statuses().iter().map(|s| s.as_str()).collect();
        assert_eq!(open, vec!["received", "forwarded", "acknowledged", "in_progress", "reopened", "escalated"]);
    }
}
