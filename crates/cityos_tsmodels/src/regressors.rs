//! Calendar regressors: Tết (the lunar new year moves between late January and mid February, and
//! shifts activity between the two months) from the Vietnamese lunar calendar, and user dummies.
//!
//! **Tết windows.** The holiday window runs from the day before Tết (giao thừa) to the fourth
//! day of the new year (mùng 4): five days, `tet − 1 ..= tet + 3`, the official public holiday
//! and the days most businesses close. The pre-Tết shopping window is the 14 days before it,
//! `tet − 15 ..= tet − 2`. Each regressor is, for a period, the share of its window's days that
//! fall in that period, so the shares of one year add up to 1: a monthly series gets January and
//! February values that move with the date of Tết.
//!
//! For quarterly and yearly series both windows always fall in the first quarter (Tết lies
//! between 21 January and 20 February), so the columns would repeat with the season and be
//! collinear with seasonal terms; [`tet_regressors`] drops them and returns no columns.
//!
//! Models without native regressors use them through [`Adjusted`]: an OLS regression of the
//! series on the regressors, a linear trend and seasonal dummies estimates the regressors'
//! effects `β`; the model is fitted to `y − Xβ` and `Xβ` over the horizon is added back to the
//! forecasts and to both interval bounds (the uncertainty of `β` is ignored, as in R's
//! `forecast(stlm(..., xreg))`-style adjustments).

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::reconcile::solve_spd;
use crate::{FitError, Fitted, Forecast, Frequency, Interval, ModelKind, Series, Xreg};

/// Days of the Tết holiday window (from the day before Tết to the fourth day).
pub const TET_HOLIDAY_DAYS: u64 = 5;
/// Days of the pre-Tết shopping window (just before the holiday window).
pub const PRE_TET_DAYS: u64 = 14;

/// A calendar month, the start of a series or the bounds of a dummy's span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct YearMonth {
    /// Gregorian year.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u32,
}

impl YearMonth {
    /// Months since year 0, for arithmetic.
    fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    /// The month `k` months later.
    fn plus(self, k: i64) -> YearMonth {
        let i = self.index() + k;
        YearMonth { year: i.div_euclid(12) as i32, month: (i.rem_euclid(12) + 1) as u32 }
    }

    /// Parses `YYYY-MM`.
    #[must_use]
    pub fn parse(s: &str) -> Option<YearMonth> {
        let (y, m) = s.split_once('-')?;
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        (1..=12).contains(&month).then_some(YearMonth { year, month })
    }
}

/// Index of the period containing `date` for a series starting at `start` (negative before it).
fn period_of(date: NaiveDate, start: YearMonth, frequency: Frequency) -> i64 {
    let ym = YearMonth { year: date.year(), month: date.month() };
    (ym.index() - start.index()).div_euclid(i64::from(frequency.months()))
}

/// Adds, for each day of `[first, first + days)`, `1 / days` to the period it falls in.
fn spread(col: &mut [f64], first: NaiveDate, days: u64, start: YearMonth, frequency: Frequency) {
    for d in 0..days {
        let Some(date) = first.checked_add_days(Days::new(d)) else { continue };
        let p = period_of(date, start, frequency);
        if let Ok(i) = usize::try_from(p) {
            if let Some(v) = col.get_mut(i) {
                *v += 1.0 / days as f64;
            }
        }
    }
}

/// Tết regressors `tet` (holiday window) and `pre_tet` (shopping window) for `periods` periods
/// of a series starting at `start` (see the module documentation for the windows). Quarterly
/// and yearly series get no columns (the effect is part of the seasonality there).
///
/// # Errors
/// [`FitError::InvalidInput`] when a year's Tết is outside the calendar's range.
pub fn tet_regressors(frequency: Frequency, start: YearMonth, periods: usize) -> Result<Xreg, FitError> {
    if frequency != Frequency::Monthly {
        return Ok(Xreg::default());
    }
    let mut tet = vec![0.0; periods];
    let mut pre = vec![0.0; periods];
    let last = start.plus(periods as i64);
    for year in start.year..=last.year {
        let day = cityos_calendar::tet(year).ok_or_else(|| FitError::InvalidInput(format!("no Tết date for {year}")))?;
        let holiday = day.checked_sub_days(Days::new(1)).ok_or_else(|| FitError::InvalidInput("date out of range".into()))?;
        let shopping =
            day.checked_sub_days(Days::new(PRE_TET_DAYS + 1)).ok_or_else(|| FitError::InvalidInput("date out of range".into()))?;
        spread(&mut tet, holiday, TET_HOLIDAY_DAYS, start, frequency);
        spread(&mut pre, shopping, PRE_TET_DAYS, start, frequency);
    }
    Ok(Xreg { names: vec!["tet".into(), "pre_tet".into()], columns: vec![tet, pre] })
}

/// A 0/1 dummy over `periods` periods of a series starting at `start`: 1 in every period that
/// overlaps one of the inclusive month `spans` (e.g. a lockdown from 2021-07 to 2021-09).
#[must_use]
pub fn dummy(frequency: Frequency, start: YearMonth, periods: usize, spans: &[(YearMonth, YearMonth)]) -> Vec<f64> {
    let step = i64::from(frequency.months());
    (0..periods)
        .map(|p| {
            let first = start.index() + p as i64 * step;
            let last = first + step - 1;
            let hit = spans.iter().any(|(a, b)| a.index() <= last && b.index() >= first);
            if hit {
                1.0
            } else {
                0.0
            }
        })
        .collect()
}

/// Joins two sets of regressors, truncated to the shorter length.
#[must_use]
pub fn join(a: &Xreg, b: &Xreg) -> Xreg {
    let len = if a.is_empty() {
        b.len()
    } else if b.is_empty() {
        a.len()
    } else {
        a.len().min(b.len())
    };
    let mut out = Xreg::default();
    for x in [a, b] {
        for (name, col) in x.names.iter().zip(&x.columns) {
            out.names.push(name.clone());
            out.columns.push(col[..len].to_vec());
        }
    }
    out
}

/// A model fitted to a series with its regressors' effects removed; the effects are added back
/// to forecasts (see the module documentation).
#[derive(Debug)]
pub struct Adjusted {
    inner: Box<dyn Fitted>,
    names: Vec<String>,
    beta: Vec<f64>,
    columns: Vec<Vec<f64>>,
    n: usize,
}

impl Adjusted {
    /// Estimates the regressors' effects and fits `kind` to the adjusted series. A series without
    /// regressors is fitted as is.
    ///
    /// # Errors
    /// [`FitError::TooShort`] when there are fewer observations than regression terms plus two,
    /// [`FitError::Failed`] when the regression is singular, or the model's error.
    pub fn fit(kind: ModelKind, series: &Series<'_>) -> Result<Adjusted, FitError> {
        series.check()?;
        let y = series.values;
        let n = y.len();
        let Some(x) = series.xreg.filter(|x| !x.is_empty()) else {
            let inner = crate::fit(kind, series)?;
            return Ok(Adjusted { inner, names: Vec::new(), beta: Vec::new(), columns: Vec::new(), n });
        };
        let beta = regression_effects(y, series.season, &x.columns)?;
        let adjusted: Vec<f64> = (0..n).map(|t| y[t] - effect(&beta, &x.columns, t)).collect();
        let inner = crate::fit(kind, &Series { values: &adjusted, season: series.season, xreg: None })?;
        Ok(Adjusted { inner, names: x.names.clone(), beta, columns: x.columns.clone(), n })
    }

    /// The estimated effect of each regressor, by name.
    #[must_use]
    pub fn effects(&self) -> Vec<(String, f64)> {
        self.names.iter().cloned().zip(self.beta.iter().copied()).collect()
    }
}

fn effect(beta: &[f64], columns: &[Vec<f64>], t: usize) -> f64 {
    beta.iter().zip(columns).map(|(b, c)| b * c.get(t).copied().unwrap_or(0.0)).sum()
}

/// OLS coefficients of the `columns` in a regression of `y` on an intercept, a linear trend,
/// seasonal dummies (with two full seasons) and the columns; only the columns' coefficients are
/// returned.
///
/// # Errors
/// [`FitError::TooShort`] with too few observations, [`FitError::Failed`] when singular.
pub fn regression_effects(y: &[f64], season: usize, columns: &[Vec<f64>]) -> Result<Vec<f64>, FitError> {
    let n = y.len();
    let m = season.max(1);
    let seasonal = m > 1 && n >= 2 * m;
    let base = 2 + if seasonal { m - 1 } else { 0 };
    let p = base + columns.len();
    if n < p + 2 {
        return Err(FitError::TooShort { needed: p + 2, got: n });
    }
    let row = |t: usize| -> Vec<f64> {
        let mut r = Vec::with_capacity(p);
        r.push(1.0);
        r.push(t as f64 / n as f64);
        if seasonal {
            for s in 1..m {
                r.push(if t % m == s { 1.0 } else { 0.0 });
            }
        }
        for c in columns {
            r.push(c.get(t).copied().unwrap_or(0.0));
        }
        r
    };
    let mut xtx = vec![vec![0.0; p]; p];
    let mut xty = vec![0.0; p];
    for (t, yt) in y.iter().enumerate() {
        let r = row(t);
        for i in 0..p {
            xty[i] += r[i] * yt;
            for j in 0..p {
                xtx[i][j] += r[i] * r[j];
            }
        }
    }
    let b = solve_spd(&xtx, &xty).ok_or_else(|| FitError::Failed("the regressors are collinear with the trend or the seasons".into()))?;
    Ok(b[base..].to_vec())
}

impl Fitted for Adjusted {
    fn name(&self) -> String {
        if self.names.is_empty() {
            self.inner.name()
        } else {
            format!("{} + xreg({})", self.inner.name(), self.names.join(", "))
        }
    }

    fn fitted(&self) -> Vec<f64> {
        self.inner.fitted().iter().enumerate().map(|(t, f)| f + effect(&self.beta, &self.columns, t)).collect()
    }

    fn forecast(&self, horizon: usize, levels: &[f64]) -> Result<Forecast, FitError> {
        if self.columns.iter().any(|c| c.len() < self.n + horizon) {
            return Err(FitError::InvalidInput(format!("the regressors cover fewer than {} periods ahead", horizon)));
        }
        let mut fc = self.inner.forecast(horizon, levels)?;
        let shift: Vec<f64> = (0..horizon).map(|h| effect(&self.beta, &self.columns, self.n + h)).collect();
        let add = |v: &mut Vec<f64>| v.iter_mut().zip(&shift).for_each(|(a, s)| *a += s);
        add(&mut fc.mean);
        for Interval { lo, hi, .. } in &mut fc.intervals {
            add(lo);
            add(hi);
        }
        fc.model = self.name();
        Ok(fc)
    }

    fn aicc(&self) -> Option<f64> {
        self.inner.aicc()
    }

    fn params(&self) -> serde_json::Value {
        let effects: serde_json::Map<String, serde_json::Value> =
            self.effects().into_iter().map(|(k, v)| (k, serde_json::json!(v))).collect();
        serde_json::json!({ "model": self.inner.params(), "xreg": effects })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(year: i32, month: u32) -> YearMonth {
        YearMonth { year, month }
    }

    #[test]
    fn tet_shares_follow_the_lunar_calendar() {
        // Tết 2024 = 10 Feb, 2025 = 29 Jan.
        let x = tet_regressors(Frequency::Monthly, ym(2024, 1), 14).unwrap();
        assert_eq!(x.names, vec!["tet", "pre_tet"]);
        let (tet, pre) = (&x.columns[0], &x.columns[1]);
        // 2024: holiday 9–13 Feb; shopping 26 Jan – 8 Feb (6 days in January, 8 in February).
        assert!((tet[0]).abs() < 1e-12 && (tet[1] - 1.0).abs() < 1e-12);
        assert!((pre[0] - 6.0 / 14.0).abs() < 1e-12 && (pre[1] - 8.0 / 14.0).abs() < 1e-12);
        // 2025: holiday 28 Jan – 1 Feb: 4 days in January, 1 in February; shopping all January.
        assert!((tet[12] - 0.8).abs() < 1e-12 && (tet[13] - 0.2).abs() < 1e-12);
        assert!((pre[12] - 1.0).abs() < 1e-12 && pre[13].abs() < 1e-12);
        assert!(tet[2..12].iter().all(|v| *v == 0.0));
        assert!(tet_regressors(Frequency::Quarterly, ym(2024, 1), 8).unwrap().is_empty());
    }

    #[test]
    fn dummies_cover_overlapping_periods() {
        let d = dummy(Frequency::Monthly, ym(2021, 5), 6, &[(ym(2021, 7), ym(2021, 9))]);
        assert_eq!(d, vec![0.0, 0.0, 1.0, 1.0, 1.0, 0.0]);
        let q = dummy(Frequency::Quarterly, ym(2021, 1), 4, &[(ym(2021, 6), ym(2021, 7))]);
        assert_eq!(q, vec![0.0, 1.0, 1.0, 0.0]);
        assert_eq!(YearMonth::parse("2021-07"), Some(ym(2021, 7)));
        assert_eq!(YearMonth::parse("2021-13"), None);
    }

    #[test]
    fn adjusted_recovers_a_known_effect_and_adds_it_back() {
        // y = 100 + 0.5 t + 30 * lockdown, no noise: the effect is exactly 30.
        let n = 40;
        let lock: Vec<f64> = (0..n + 4).map(|t| if (20..26).contains(&t) || t == n + 1 { 1.0 } else { 0.0 }).collect();
        let y: Vec<f64> = (0..n).map(|t| 100.0 + 0.5 * t as f64 + 30.0 * lock[t]).collect();
        let x = Xreg { names: vec!["lockdown".into()], columns: vec![lock] };
        let s = Series { values: &y, season: 1, xreg: Some(&x) };
        let fit = Adjusted::fit(ModelKind::Drift, &s).unwrap();
        assert!((fit.effects()[0].1 - 30.0).abs() < 1e-8, "{:?}", fit.effects());
        let f = fit.forecast(3, &[95.0]).unwrap();
        // Drift on the adjusted line 100 + 0.5 t: 120, 120.5 (+30 for the dummy), 121.
        assert!((f.mean[0] - 120.0).abs() < 1e-8);
        assert!((f.mean[1] - 150.5).abs() < 1e-8);
        assert!((f.mean[2] - 121.0).abs() < 1e-8);
        assert!(f.intervals[0].lo[1] > 150.0);
        assert!(fit.forecast(5, &[]).is_err());
        assert_eq!(fit.name(), "Drift + xreg(lockdown)");
    }
}
