//! Indicators fed from a data hub dataset column: [`DatasetColumns`] is the port through which the
//! forecasting centre reads a dataset's `(period, value)` cells (implemented over the data hub in
//! `cityos_http`, since domain crates do not depend on each other), and [`ForecastCentre::refresh`]
//! turns them into a new vintage through the same code path as posted observations.
//!
//! Periods: `YYYY-MM`, `YYYY-Qn` and `YYYY` are read as [`period::parse`] reads them (strict:
//! a `YYYY-MM` must start a period of the indicator's frequency); dates `YYYY-MM-DD` (also with a
//! time after them) and `dd/mm/yyyy` name the period that contains them (their month, quarter or
//! year). Rows whose period and value cells are both empty are skipped, as are rows with an empty
//! value; two rows of the same period are refused (they are never summed), naming the rows.

use crate::model::{Indicator, ObservationInput, ObservationsInput, Source, Vintage};
use crate::period::{self, Period};
use crate::store::{frequency, Author};
use crate::{ForecastCentre, ForecastError};
use cityos_api::{ApiError, Caller};
use cityos_tsmodels::Frequency;
use http::StatusCode;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future (keeps [`DatasetColumns`] object safe without a macro).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Rows read at most from one dataset (a monthly series of 10 000 rows is 833 years).
pub const MAX_ROWS: usize = 10_000;

/// One row of the two columns, cells as text (`""` for an empty cell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRow {
    /// The row number in the dataset's current version (the data hub's `_id`, from 1).
    pub row: i64,
    /// The period cell.
    pub period: String,
    /// The value cell.
    pub value: String,
}

/// The two columns of a dataset's current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRows {
    /// The dataset's name.
    pub dataset: String,
    /// The resource read.
    pub resource_id: String,
    /// Its current version.
    pub version: i64,
    /// The rows, in order.
    pub rows: Vec<ColumnRow>,
}

/// Reads a period column and a value column of a dataset's current version for a caller, under
/// the data hub's own access rules.
pub trait DatasetColumns: Send + Sync + std::fmt::Debug {
    /// Every row of `period_column` and `value_column` of the first loaded resource of
    /// `dataset_id` (id or name) that has both columns.
    ///
    /// # Errors
    /// The data hub's 404 (unknown or invisible dataset) and 403 (no read right); 422
    /// `no_data` when nothing is loaded, `unknown_column` when a column is missing,
    /// `too_many_rows` above [`MAX_ROWS`]; 500 on failures.
    fn read_columns<'a>(
        &'a self,
        caller: &'a Caller,
        dataset_id: &'a str,
        period_column: &'a str,
        value_column: &'a str,
    ) -> BoxFuture<'a, Result<ColumnRows, ApiError>>;
}

fn unprocessable(code: &'static str, title: &str, detail: impl Into<String>) -> ForecastError {
    ForecastError::Api(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, title).detail(detail))
}

/// Parses a dataset period cell: a period label as [`period::parse`] reads it, or a date
/// (`YYYY-MM-DD`, optionally followed by a time, or `dd/mm/yyyy`) reduced to the period of `f`
/// containing it.
///
/// # Errors
/// Anything else (the message says what is accepted).
pub fn parse_cell_period(cell: &str, f: Frequency) -> Result<Period, String> {
    let cell = cell.trim();
    if let Ok(p) = period::parse(cell, f) {
        return Ok(p);
    }
    let date = date_month(cell).ok_or_else(|| {
        let strict = period::parse(cell, f).err().map(|e| e.to_string()).unwrap_or_default();
        format!("{strict}, or a date YYYY-MM-DD or dd/mm/yyyy")
    })?;
    Ok(date - date.rem_euclid(period::step(f)))
}

/// The month index of a date `YYYY-MM-DD[…]` or `dd/mm/yyyy`.
fn date_month(s: &str) -> Option<Period> {
    let num = |t: &str, len: usize| -> Option<i64> {
        if t.len() == len && t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let (y, m, d) = if let Some((day, rest)) = s.split_once('/') {
        let (month, year) = rest.split_once('/')?;
        let d = num(day, 2).or_else(|| num(day, 1))?;
        let m = num(month, 2).or_else(|| num(month, 1))?;
        (num(year, 4)?, m, d)
    } else {
        let date = s.get(..10)?;
        if s.len() > 10 && !matches!(s.as_bytes().get(10), Some(b'T' | b' ')) {
            return None;
        }
        let mut parts = date.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        (num(y, 4)?, num(m, 2)?, num(d, 2)?)
    };
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if !(1800..=2200).contains(&y) || !(1..=days).contains(&d) {
        return None;
    }
    Some(y * 12 + m - 1)
}

/// Parses a value cell: a number with `.` decimals (a lone `,` is read as the decimal mark, as in
/// Vietnamese `12,5`); `None` for an empty cell.
fn parse_value(cell: &str) -> Result<Option<f64>, ()> {
    let t = cell.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let parsed = t.parse::<f64>().ok().or_else(|| {
        if t.matches(',').count() == 1 && !t.contains('.') {
            t.replace(',', ".").parse().ok()
        } else {
            None
        }
    });
    match parsed {
        Some(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(()),
    }
}

/// The observations of the rows for an indicator of frequency `f`.
///
/// # Errors
/// 422 `invalid_period` (naming the row) for a period that does not parse or a value without a
/// period, `invalid_value` for a value that is not a finite number, `duplicate_periods` (naming
/// every period given twice and its rows), `no_rows` when no row has a value.
pub fn observations_from(rows: &ColumnRows, f: Frequency) -> Result<Vec<ObservationInput>, ForecastError> {
    let mut seen: BTreeMap<Period, (f64, Vec<i64>)> = BTreeMap::new();
    for r in &rows.rows {
        let Ok(value) = parse_value(&r.value) else {
            let v: String = r.value.chars().take(40).collect();
            return Err(unprocessable("invalid_value", "Invalid value", format!("row {}: `{v}` is not a number", r.row)));
        };
        let Some(value) = value else { continue };
        if r.period.trim().is_empty() {
            return Err(unprocessable("invalid_period", "Invalid period", format!("row {}: the period cell is empty", r.row)));
        }
        let p = parse_cell_period(&r.period, f)
            .map_err(|e| unprocessable("invalid_period", "Invalid period", format!("row {}: {e}", r.row)))?;
        seen.entry(p).or_insert_with(|| (value, Vec::new())).1.push(r.row);
    }
    let dups: Vec<String> = seen
        .iter()
        .filter(|(_, (_, rows))| rows.len() > 1)
        .map(|(p, (_, rows))| format!("{} (rows {})", period::label(*p), rows.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")))
        .collect();
    if !dups.is_empty() {
        let shown = dups.iter().take(20).cloned().collect::<Vec<_>>().join("; ");
        let more = if dups.len() > 20 { format!(" and {} more", dups.len() - 20) } else { String::new() };
        return Err(ForecastError::Api(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "duplicate_periods", "Duplicate periods")
                .detail(format!("these periods appear in more than one row (values are never summed): {shown}{more}"))
                .with("periods", dups.len()),
        ));
    }
    if seen.is_empty() {
        return Err(unprocessable(
            "no_rows",
            "No readable rows",
            format!("dataset {} version {} has no row with a value in the column", rows.dataset, rows.version),
        ));
    }
    Ok(seen.into_iter().map(|(p, (value, _))| ObservationInput { period: period::label(p), value }).collect())
}

impl ForecastCentre {
    /// Reads the indicator's dataset column through the data hub (as `caller`) and adds its values
    /// as a new vintage, exactly as posted observations are (revisions detected, audit, outbox).
    ///
    /// # Errors
    /// 409 `not_dataset_sourced` for an indicator of another source; 503 when no data hub is
    /// connected; as [`DatasetColumns::read_columns`] and [`observations_from`];
    /// as [`ForecastCentre::add_observations`].
    pub async fn refresh(&self, caller: &Caller, author: &Author, ind: &Indicator) -> Result<Vintage, ForecastError> {
        let Source::Dataset { dataset_id, column, period_column } = &ind.source else {
            return Err(ForecastError::Api(
                ApiError::new(StatusCode::CONFLICT, "not_dataset_sourced", "Not a dataset-sourced indicator").detail(format!(
                    "indicator {} is not fed from a dataset column: set its source to {{\"kind\": \"dataset\", …}} or post observations",
                    ind.id
                )),
            ));
        };
        let Some(hub) = &self.datasets else {
            return Err(ForecastError::Api(
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_data_hub", "Data hub unavailable")
                    .detail("no data hub is connected to the forecasting centre"),
            ));
        };
        let rows = hub.read_columns(caller, dataset_id, period_column, column).await?;
        let observations = observations_from(&rows, frequency(ind))?;
        let note =
            format!("refresh from dataset {} (resource {}, version {}), column {column}", rows.dataset, rows.resource_id, rows.version);
        let note: String = note.chars().take(1000).collect();
        self.add_observations(author, ind, &ObservationsInput { note: Some(note), observations }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(cells: &[(&str, &str)]) -> ColumnRows {
        ColumnRows {
            dataset: "d".into(),
            resource_id: "r".into(),
            version: 1,
            rows: cells.iter().zip(1..).map(|((p, v), row)| ColumnRow { row, period: (*p).into(), value: (*v).into() }).collect(),
        }
    }

    fn code(e: ForecastError) -> (u16, &'static str, String) {
        match e {
            ForecastError::Api(a) => (a.status.as_u16(), a.code, a.detail.unwrap_or_default()),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn periods_and_dates_reduce_to_the_frequency() {
        let m = Frequency::Monthly;
        let q = Frequency::Quarterly;
        let y = Frequency::Yearly;
        assert_eq!(parse_cell_period("2024-03", m), Ok(2024 * 12 + 2));
        assert_eq!(parse_cell_period("2024-03-31", m), Ok(2024 * 12 + 2));
        assert_eq!(parse_cell_period("2024-03-31T00:00:00Z", m), Ok(2024 * 12 + 2));
        assert_eq!(parse_cell_period("15/08/2024", m), Ok(2024 * 12 + 7));
        assert_eq!(parse_cell_period("5/8/2024", m), Ok(2024 * 12 + 7));
        assert_eq!(parse_cell_period("15/08/2024", q), Ok(2024 * 12 + 6));
        assert_eq!(parse_cell_period("2024-Q3", q), Ok(2024 * 12 + 6));
        assert_eq!(parse_cell_period("2024-12-31", y), Ok(2024 * 12));
        assert_eq!(parse_cell_period("2024", y), Ok(2024 * 12));
        // A month label is strict: August does not start a quarter (a date would be reduced).
        assert!(parse_cell_period("2024-08", q).is_err());
        assert!(parse_cell_period("2024-02-30", m).is_err());
        assert!(parse_cell_period("31/04/2024", m).is_err());
        assert!(parse_cell_period("2024-03-01x", m).is_err());
        assert!(parse_cell_period("March 2024", m).unwrap_err().contains("dd/mm/yyyy"));
    }

    #[test]
    fn rows_become_observations() {
        let r = rows(&[("2024-01", "10"), ("2024-02", ""), ("", ""), ("2024-03-15", "12,5"), ("01/04/2024", "-3e2")]);
        let obs = observations_from(&r, Frequency::Monthly).unwrap();
        let got: Vec<(String, f64)> = obs.into_iter().map(|o| (o.period, o.value)).collect();
        assert_eq!(got, vec![("2024-01".into(), 10.0), ("2024-03".into(), 12.5), ("2024-04".into(), -300.0)]);
    }

    #[test]
    fn bad_rows_are_named() {
        let (s, c, d) = code(observations_from(&rows(&[("2024-01", "1"), ("Tháng 2", "2")]), Frequency::Monthly).unwrap_err());
        assert_eq!((s, c), (422, "invalid_period"));
        assert!(d.starts_with("row 2: `Tháng 2`"), "{d}");
        let (_, c, d) = code(observations_from(&rows(&[("2024-01", "1"), ("2024-02", "n/a")]), Frequency::Monthly).unwrap_err());
        assert_eq!((c, d.as_str()), ("invalid_value", "row 2: `n/a` is not a number"));
        let (_, c, d) = code(observations_from(&rows(&[("2024-01", "1"), ("", "2")]), Frequency::Monthly).unwrap_err());
        assert_eq!((c, d.as_str()), ("invalid_period", "row 2: the period cell is empty"));
        // Two dates of one quarter are a duplicate, never a sum.
        let r = rows(&[("2024-01-10", "1"), ("2024-02-10", "2"), ("2024-04-01", "3"), ("2024-Q2", "4")]);
        let (_, c, d) = code(observations_from(&r, Frequency::Quarterly).unwrap_err());
        assert_eq!(c, "duplicate_periods");
        assert!(d.ends_with("2024-01 (rows 1, 2); 2024-04 (rows 3, 4)"), "{d}");
        let (_, c, _) = code(observations_from(&rows(&[("2024-01", ""), ("2024-02", " ")]), Frequency::Monthly).unwrap_err());
        assert_eq!(c, "no_rows");
    }
}
