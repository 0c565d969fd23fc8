//! Decomposition into trend, seasonal and remainder: classical (moving averages), STL (Cleveland
//! et al. 1990) and MSTL for several seasonal periods (Bandara et al. 2021), and the MSTL
//! forecaster.
//!
//! The classical decomposition follows `statsmodels.tsa.seasonal.seasonal_decompose` (a centred
//! 2×m moving average for even m), STL is a port of the reference Fortran as statsmodels carries
//! it, and MSTL and its forecaster follow `statsforecast`'s `mstl` and `MSTL` model.

mod stl;

use serde::{Deserialize, Serialize};
use serde_json::json;

pub use stl::StlOptions;

use crate::{stats, FitError, Fitted, Forecast, Interval, Series};

/// A series split into components that add up to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decomposition {
    /// The trend-cycle.
    pub trend: Vec<f64>,
    /// One seasonal component per period, `(period, values)`, shortest period first.
    pub seasonal: Vec<(usize, Vec<f64>)>,
    /// What is left: observation − trend − seasonals.
    pub remainder: Vec<f64>,
}

/// The centred moving average of a classical decomposition: a 2×m average for even `period`, an
/// m average for odd, NaN where the window does not fit (the first and last ⌊m/2⌋ values).
#[must_use]
pub fn centred_moving_average(values: &[f64], period: usize) -> Vec<f64> {
    let n = values.len();
    let mut out = vec![f64::NAN; n];
    let half = period / 2;
    if period == 0 || n < 2 * half + 1 {
        return out;
    }
    let m = period as f64;
    for (t, o) in out.iter_mut().enumerate().take(n - half).skip(half) {
        *o = if period.is_multiple_of(2) {
            (0.5 * values[t - half] + values[t + 1 - half..t + half].iter().sum::<f64>() + 0.5 * values[t + half]) / m
        } else {
            values[t - half..=t + half].iter().sum::<f64>() / m
        };
    }
    out
}

/// The seasonal indices of a classical decomposition, one per position in the cycle: index `i`
/// belongs to the observations `t` with `t % period == i` (counting from the first
/// observation). Multiplicative indices average 1, additive ones 0, as `seasonal_decompose`
/// normalises them; the M4 competition's Naive2 divides by the multiplicative ones.
///
/// Gives neutral indices (all 1 or all 0) when `period < 2`, the series has fewer than two full
/// cycles, or (multiplicative) a value is not positive.
#[must_use]
pub fn seasonal_indices(values: &[f64], period: usize, multiplicative: bool) -> Vec<f64> {
    let neutral = vec![if multiplicative { 1.0 } else { 0.0 }; period.max(1)];
    let n = values.len();
    if period < 2 || n < 2 * period || (multiplicative && values.iter().any(|&v| v <= 0.0)) || values.iter().any(|v| !v.is_finite()) {
        return neutral;
    }
    let trend = centred_moving_average(values, period);
    let mut sums = vec![0.0; period];
    let mut counts = vec![0usize; period];
    for (t, (&v, &tr)) in values.iter().zip(&trend).enumerate() {
        if tr.is_nan() {
            continue;
        }
        sums[t % period] += if multiplicative { v / tr } else { v - tr };
        counts[t % period] += 1;
    }
    let mut idx: Vec<f64> = sums.iter().zip(&counts).map(|(s, &c)| s / c as f64).collect();
    if idx.iter().any(|v| !v.is_finite()) {
        return neutral;
    }
    let m = stats::mean(&idx);
    for v in &mut idx {
        if multiplicative {
            *v /= m;
        } else {
            *v -= m;
        }
    }
    idx
}

/// The checks every one-period decomposition makes: a period of at least 2, two full cycles,
/// finite values.
fn check_periodic(values: &[f64], period: usize) -> Result<(), FitError> {
    if period < 2 {
        return Err(FitError::InvalidInput("the period must be at least 2".into()));
    }
    if values.len() < 2 * period {
        return Err(FitError::TooShort { needed: 2 * period, got: values.len() });
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err(FitError::NonFinite);
    }
    Ok(())
}

/// Classical decomposition (`seasonal_decompose`): centred moving-average trend (NaN at both
/// ends), seasonal indices tiled over the series, and the remainder (`y / (trend·seasonal)` when
/// multiplicative, `y − trend − seasonal` when additive; NaN where the trend is).
///
/// # Errors
/// [`FitError::TooShort`] with fewer than two full cycles, [`FitError::InvalidInput`] for a
/// period below 2 or a multiplicative decomposition of non-positive values.
pub fn classical(values: &[f64], period: usize, multiplicative: bool) -> Result<Decomposition, FitError> {
    check_periodic(values, period)?;
    if multiplicative && values.iter().any(|&v| v <= 0.0) {
        return Err(FitError::InvalidInput("a multiplicative decomposition needs positive values".into()));
    }
    let trend = centred_moving_average(values, period);
    let idx = seasonal_indices(values, period, multiplicative);
    let seasonal: Vec<f64> = (0..values.len()).map(|t| idx[t % period]).collect();
    let remainder =
        values.iter().zip(&trend).zip(&seasonal).map(|((y, tr), s)| if multiplicative { y / (tr * s) } else { y - tr - s }).collect();
    Ok(Decomposition { trend, seasonal: vec![(period, seasonal)], remainder })
}

/// The autocorrelation at lag `period` against its 90% limit, `1.645·√((1 + 2Σₖ₌₁^{m−1} rₖ²)/n)`
/// (Bartlett's formula): `true` when it is larger.
fn acf_exceeds_limit(values: &[f64], period: usize) -> bool {
    let r = stats::acf(values, period);
    let s: f64 = r[1..period].iter().map(|v| v * v).sum();
    let limit = 1.645 * ((1.0 + 2.0 * s) / values.len() as f64).sqrt();
    r[period].abs() > limit
}

/// The M4 competition's seasonality test (its R benchmark code): seasonal when the series has at
/// least three full cycles and the autocorrelation at lag `period` exceeds its 90% limit
/// `1.645·√((1 + 2Σₖ₌₁^{m−1} rₖ²)/n)`. Always `false` for `period < 2`.
#[must_use]
pub fn seasonality_test(values: &[f64], period: usize) -> bool {
    period >= 2 && values.len() >= 3 * period && values.iter().all(|v| v.is_finite()) && acf_exceeds_limit(values, period)
}

/// The seasonality test `statsforecast`'s `AutoTheta` uses: the same 90% ACF test, for periods of
/// at least 4 and at least two full cycles.
#[must_use]
pub fn theta_seasonality_test(values: &[f64], period: usize) -> bool {
    period >= 4 && values.len() >= 2 * period && acf_exceeds_limit(values, period)
}

/// STL with one seasonal period, statsmodels' defaults (seasonal window 7, trend and low-pass
/// windows from the period, degree 1 everywhere, not robust).
///
/// # Errors
/// [`FitError::TooShort`] with fewer than two full periods.
pub fn stl(values: &[f64], period: usize) -> Result<Decomposition, FitError> {
    stl_with(values, period, &StlOptions::for_period(period, 7))
}

/// STL with explicit windows, degrees and robustness.
///
/// # Errors
/// [`FitError::TooShort`] with fewer than two full periods, [`FitError::InvalidInput`] for a
/// period below 2 or windows that are even or too short, [`FitError::NonFinite`].
pub fn stl_with(values: &[f64], period: usize, options: &StlOptions) -> Result<Decomposition, FitError> {
    check_periodic(values, period)?;
    let o = options;
    if o.seasonal < 3
        || o.seasonal.is_multiple_of(2)
        || o.trend < 3
        || o.trend.is_multiple_of(2)
        || o.trend <= period
        || o.low_pass < 3
        || o.low_pass.is_multiple_of(2)
        || o.low_pass <= period
        || o.seasonal_deg > 1
        || o.trend_deg > 1
        || o.low_pass_deg > 1
    {
        return Err(FitError::InvalidInput(
            "STL windows must be odd, at least 3, trend and low-pass longer than the period; degrees 0 or 1".into(),
        ));
    }
    let parts = stl::run(values, period, o);
    let remainder = values.iter().zip(&parts.seasonal).zip(&parts.trend).map(|((y, s), t)| y - s - t).collect();
    Ok(Decomposition { trend: parts.trend, seasonal: vec![(period, parts.seasonal)], remainder })
}

/// MSTL over several periods (periods longer than half the series are dropped), as
/// `statsforecast`'s `mstl`: STL with seasonal degree 0 and seasonal windows 11, 15, 19, … for
/// the periods in increasing order, two passes when there are several periods.
///
/// # Errors
/// [`FitError::TooShort`] when no period has two full cycles.
pub fn mstl(values: &[f64], periods: &[usize]) -> Result<Decomposition, FitError> {
    if values.iter().any(|v| !v.is_finite()) {
        return Err(FitError::NonFinite);
    }
    let n = values.len();
    let mut msts: Vec<usize> = periods.iter().copied().filter(|&p| p >= 2 && (p as f64) < n as f64 / 2.0).collect();
    msts.sort_unstable();
    msts.dedup();
    if msts.is_empty() {
        let needed = periods.iter().copied().filter(|&p| p >= 2).min().map_or(4, |p| 2 * p + 1);
        return Err(FitError::TooShort { needed, got: n });
    }
    let iterate = if msts.len() == 1 { 1 } else { 2 };
    let mut seas = vec![vec![0.0; n]; msts.len()];
    let mut deseas = values.to_vec();
    let mut trend = vec![0.0; n];
    for _ in 0..iterate {
        for (i, &p) in msts.iter().enumerate() {
            for (d, s) in deseas.iter_mut().zip(&seas[i]) {
                *d += s;
            }
            let mut o = StlOptions::for_period(p, 7 + 4 * (i + 1));
            o.seasonal_deg = 0;
            let parts = stl::run(&deseas, p, &o);
            seas[i] = parts.seasonal;
            trend = parts.trend;
            for (d, s) in deseas.iter_mut().zip(&seas[i]) {
                *d -= s;
            }
        }
    }
    let remainder = deseas.iter().zip(&trend).map(|(d, t)| d - t).collect();
    Ok(Decomposition { trend, seasonal: msts.into_iter().zip(seas).collect(), remainder })
}

/// A fitted MSTL forecaster.
#[derive(Debug)]
pub struct MstlFit {
    name: String,
    decomposition: Option<Decomposition>,
    trend_model: Box<dyn Fitted>,
    trend_kind: &'static str,
}

/// MSTL forecaster: each seasonal component by seasonal naive, the seasonally adjusted series by
/// non-seasonal ETS. `periods` empty means the series' own season length.
///
/// As `statsforecast`'s `MSTL(season_length, trend_forecaster=AutoETS(model="ZZN"))`, with two
/// documented differences: when no period fits (none ≥ 2 with two full cycles) the series is
/// forecast by the trend model alone instead of a supersmoother decomposition, and when the ETS
/// fit fails the adjusted series is forecast by non-seasonal Theta instead.
///
/// # Errors
/// [`FitError`] when the decomposition or both trend models fail.
pub fn fit_mstl(series: &Series<'_>, periods: &[usize]) -> Result<MstlFit, FitError> {
    series.check()?;
    let values = series.values;
    let own = [series.season];
    let periods = if periods.is_empty() { &own[..] } else { periods };
    let n = values.len();
    let usable = periods.iter().any(|&p| p >= 2 && (p as f64) < n as f64 / 2.0);
    let decomposition = if usable { Some(mstl(values, periods)?) } else { None };
    let adjusted: Vec<f64> = match &decomposition {
        Some(d) => d.trend.iter().zip(&d.remainder).map(|(t, r)| t + r).collect(),
        None => values.to_vec(),
    };
    let adj_series = Series::new(&adjusted, 1);
    let options = crate::ets::Options { form: Some("ZZN".into()), damped: None };
    let (trend_model, trend_kind): (Box<dyn Fitted>, &'static str) = match crate::ets::fit_auto(&adj_series, &options) {
        Ok(m) => (Box::new(m), "ets"),
        Err(ets_error) => match crate::theta::fit_auto(&adj_series) {
            Ok(m) => (Box::new(m), "theta"),
            Err(_) => return Err(ets_error),
        },
    };
    let periods_label =
        decomposition.as_ref().map(|d| d.seasonal.iter().map(|(p, _)| p.to_string()).collect::<Vec<_>>().join(",")).unwrap_or_default();
    let name = format!("MSTL[{periods_label}]+{}", trend_model.name());
    Ok(MstlFit { name, decomposition, trend_model, trend_kind })
}

impl MstlFit {
    /// The decomposition the forecaster was built on (`None` when no period fitted the series).
    #[must_use]
    pub fn decomposition(&self) -> Option<&Decomposition> {
        self.decomposition.as_ref()
    }

    /// The seasonal naive forecast of the summed seasonal components, `horizon` steps.
    fn seasonal_forecast(&self, horizon: usize) -> Vec<f64> {
        let mut out = vec![0.0; horizon];
        if let Some(d) = &self.decomposition {
            for (p, s) in &d.seasonal {
                let last = &s[s.len() - p..];
                for (h, o) in out.iter_mut().enumerate() {
                    *o += last[h % p];
                }
            }
        }
        out
    }
}

impl Fitted for MstlFit {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn fitted(&self) -> Vec<f64> {
        let mut f = self.trend_model.fitted();
        if let Some(d) = &self.decomposition {
            for (_, s) in &d.seasonal {
                for (fi, si) in f.iter_mut().zip(s) {
                    *fi += si;
                }
            }
        }
        f
    }

    fn forecast(&self, horizon: usize, levels: &[f64]) -> Result<Forecast, FitError> {
        let base = self.trend_model.forecast(horizon, levels)?;
        let seas = self.seasonal_forecast(horizon);
        let add = |v: &[f64]| v.iter().zip(&seas).map(|(a, b)| a + b).collect::<Vec<f64>>();
        Ok(Forecast {
            model: self.name.clone(),
            mean: add(&base.mean),
            intervals: base.intervals.iter().map(|i| Interval { level: i.level, lo: add(&i.lo), hi: add(&i.hi) }).collect(),
        })
    }

    fn params(&self) -> serde_json::Value {
        json!({
            "periods": self.decomposition.as_ref().map(|d| d.seasonal.iter().map(|(p, _)| *p).collect::<Vec<_>>()).unwrap_or_default(),
            "trend_forecaster": self.trend_kind,
            "trend_model": self.trend_model.name(),
            "trend_params": self.trend_model.params(),
        })
    }
}

#[cfg(test)]
mod tests;
