//! The numerical side of the centre: thin glue over [`cityos_tsmodels`], which holds the one
//! implementation of every model, the rolling-origin backtest ([`select::backtest`]), automatic
//! selection with a fallback ([`select::auto`]), conformal intervals, decomposition, anomaly
//! detection and reconciliation. This module only adapts them to the centre's needs: the
//! backtest horizon shrunk to what a short history allows, MASE kept finite on exactly periodic
//! series, and decomposition components that always add up to the observations.
//!
//! Architecture invariant: no I/O and no clock; the same inputs give the same numbers, which is
//! what makes a stored run reproducible.

use cityos_tsmodels::select::{self, AutoOptions, BacktestReport, ModelScore, Policy, Selection};
use cityos_tsmodels::{FitError, Forecast, ModelKind, Series, Xreg};

/// One model's fitted form and forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelForecast {
    /// The selected form, e.g. `ETS(M,A,M)`.
    pub label: String,
    /// Estimated parameters.
    pub params: serde_json::Value,
    /// AICc where the model has one.
    pub aicc: Option<f64>,
    /// In-sample one-step fitted values (NaN where undefined; may be empty).
    pub fitted: Vec<f64>,
    /// The forecast.
    pub forecast: Forecast,
}

/// Fits `kind` through [`select::fit_kind`] (regressors natively for ARIMA, through
/// `regressors::Adjusted` for the rest) and forecasts `horizon` steps. Naive and seasonal naive
/// fall back to the plain model without regressors, so a forecast is always possible for a
/// non-empty series.
///
/// # Errors
/// [`FitError`] from the library.
pub fn fit_forecast(
    kind: ModelKind,
    values: &[f64],
    season: usize,
    xreg: Option<&Xreg>,
    horizon: usize,
    levels: &[f64],
) -> Result<ModelForecast, FitError> {
    let fit = |x: Option<&Xreg>| -> Result<ModelForecast, FitError> {
        let m = select::fit_kind(kind, &Series { values, season: season.max(1), xreg: x })?;
        let forecast = m.forecast(horizon, levels)?;
        if forecast.mean.len() != horizon || forecast.mean.iter().any(|v| !v.is_finite()) {
            return Err(FitError::Failed("the model produced no finite forecast".into()));
        }
        Ok(ModelForecast { label: m.name(), params: m.params(), aicc: m.aicc(), fitted: m.fitted(), forecast })
    };
    match fit(xreg) {
        Err(_) if xreg.is_some() && matches!(kind, ModelKind::Naive | ModelKind::SeasonalNaive) => fit(None),
        r => r,
    }
}

/// Seasonal naive (naive when `season` is 1 or the series is shorter than a season) from the
/// library, for fallbacks.
///
/// # Errors
/// [`FitError::TooShort`] for an empty series.
pub fn naive_forecast(values: &[f64], season: usize, horizon: usize, levels: &[f64]) -> Result<ModelForecast, FitError> {
    let kind = if season > 1 && values.len() > season { ModelKind::SeasonalNaive } else { ModelKind::Naive };
    fit_forecast(kind, values, season, None, horizon, levels)
}

/// A model's backtest scores as the centre reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Origins evaluated.
    pub windows: usize,
    /// Steps per origin.
    pub horizon: usize,
    /// Mean absolute scaled error over the origins.
    pub mase: f64,
    /// Symmetric MAPE in percent (0..200).
    pub smape: f64,
    /// `(level, share of actuals inside the model's own interval)` for 80 and 95%.
    pub coverage: Vec<(f64, f64)>,
    /// Origins at which the model failed (scored with the benchmark's forecast there).
    pub failures: usize,
}

/// The scores of `kind` in `report`.
#[must_use]
pub fn scores(report: &BacktestReport, kind: ModelKind) -> Option<Scores> {
    let s: &ModelScore = report.score(kind)?;
    Some(Scores {
        windows: report.origins.len(),
        horizon: report.horizon,
        mase: s.mase,
        smape: s.smape,
        coverage: vec![(80.0, s.coverage_80), (95.0, s.coverage_95)],
        failures: s.failures,
    })
}

/// Backtests `kinds` (naive is always added as the centre's yardstick) over `windows` origins of
/// up to `horizon` steps.
///
/// # Errors
/// [`FitError::TooShort`] when the history has no room for one origin.
pub fn backtest(kinds: &[ModelKind], values: &[f64], season: usize, horizon: usize, windows: usize) -> Result<BacktestReport, FitError> {
    let h = select::backtest_horizon(values.len(), season, horizon)
        .ok_or(FitError::TooShort { needed: select::min_train(season.max(1)) + 1, got: values.len() })?;
    let mut all = vec![ModelKind::Naive];
    all.extend(kinds.iter().filter(|k| **k != ModelKind::Naive));
    select::backtest(&all, &Series { values, season: season.max(1), xreg: None }, h, windows.max(1))
}

/// Automatic selection among `kinds` by the library's backtest over up to `horizon` steps
/// ([`select::auto`]), with its fallbacks for short histories.
///
/// # Errors
/// [`FitError`] for an empty or non-finite series.
pub fn choose(
    kinds: &[ModelKind],
    policy: Policy,
    values: &[f64],
    season: usize,
    xreg: Option<&Xreg>,
    horizon: usize,
    windows: usize,
) -> Result<Selection, FitError> {
    // `auto` shortens the backtest to what the history allows.
    let series = Series { values, season: season.max(1), xreg };
    let options = AutoOptions { kinds: kinds.to_vec(), origins: windows.max(1), policy };
    select::auto(&series, horizon.max(1), &options)
}

/// A series split into trend, seasonal and remainder that add up to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Components {
    /// `stl` or `moving_average`.
    pub method: &'static str,
    /// Trend-cycle.
    pub trend: Vec<f64>,
    /// Seasonal component (zeros for a non-seasonal series).
    pub seasonal: Vec<f64>,
    /// Observation − trend − seasonal.
    pub remainder: Vec<f64>,
}

/// The library's STL with two full seasons; otherwise (non-seasonal or short) a centred moving
/// average of 3 as the trend, its undefined ends held at the nearest value, and no seasonal.
#[must_use]
pub fn decompose(values: &[f64], season: usize) -> Components {
    let n = values.len();
    if season > 1 && n >= 2 * season {
        if let Ok(d) = cityos_tsmodels::decompose::stl(values, season) {
            let mut seasonal = vec![0.0; n];
            for (_, s) in &d.seasonal {
                seasonal.iter_mut().zip(s).for_each(|(a, b)| *a += b);
            }
            if d.trend.len() == n && d.trend.iter().chain(&seasonal).all(|v| v.is_finite()) {
                let remainder = values.iter().zip(&d.trend).zip(&seasonal).map(|((y, t), s)| y - t - s).collect();
                return Components { method: "stl", trend: d.trend, seasonal, remainder };
            }
        }
    }
    let mut trend = cityos_tsmodels::decompose::centred_moving_average(values, 3);
    match (trend.iter().position(|v| v.is_finite()), trend.iter().rposition(|v| v.is_finite())) {
        (Some(a), Some(b)) => {
            let (first, last) = (trend[a], trend[b]);
            trend[..a].fill(first);
            trend[b + 1..].fill(last);
        }
        _ => trend.clone_from_slice(values),
    }
    let remainder = values.iter().zip(&trend).map(|(y, t)| y - t).collect();
    Components { method: "moving_average", trend, seasonal: vec![0.0; n], remainder }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasonal_naive_matches_r() {
        // R: snaive(ts(c(1,2,3,4,2,3,4,5), frequency = 4), h = 5, level = 80)
        // mean 2 3 4 5 2; sigma = 1; lo80 = 2 - 1.2816 = 0.7184, step 5: 2 - 1.2816 * sqrt(2).
        let f = naive_forecast(&[1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 4.0, 5.0], 4, 5, &[80.0]).unwrap();
        assert_eq!(f.forecast.mean, vec![2.0, 3.0, 4.0, 5.0, 2.0]);
        let i = &f.forecast.intervals[0];
        assert!((i.lo[0] - 0.718_448).abs() < 1e-4, "{}", i.lo[0]);
        assert!((i.lo[4] - 0.187_569).abs() < 1e-4, "{}", i.lo[4]);
    }

    #[test]
    fn backtest_of_naive_on_a_line_has_known_errors() {
        // y = t: naive misses by h at step h; MASE scale = 1, so MASE of a 3-step window = 2.
        let y: Vec<f64> = (1..=20).map(f64::from).collect();
        let r = backtest(&[ModelKind::Naive], &y, 1, 3, 2).unwrap();
        assert_eq!(r.origins, vec![14, 17]);
        let s = scores(&r, ModelKind::Naive).unwrap();
        assert!((s.mase - 2.0).abs() < 1e-12);
        let w2 = 200.0 * (1.0 / 35.0 + 2.0 / 36.0 + 3.0 / 37.0) / 3.0;
        let w1 = 200.0 * (1.0 / 29.0 + 2.0 / 30.0 + 3.0 / 31.0) / 3.0;
        assert!((s.smape - (w1 + w2) / 2.0).abs() < 1e-9);
    }

    #[test]
    fn a_perfect_seasonal_forecast_scores_zero_not_nan() {
        let pattern = [5.0, 1.0, 3.0, 8.0];
        let y: Vec<f64> = (0..24).map(|t| pattern[t % 4]).collect();
        let r = backtest(&[ModelKind::SeasonalNaive], &y, 4, 4, 2).unwrap();
        assert_eq!(scores(&r, ModelKind::SeasonalNaive).unwrap().mase, 0.0);
        // Naive on the same: lag-1 scale = mean |diff| = (4+2+5+3)/4 = 3.5.
        assert!(scores(&r, ModelKind::Naive).unwrap().mase > 0.5);
        // Selection ranks by the fallback scale too: seasonal naive, not the first kind given.
        let sel = choose(&[ModelKind::Naive, ModelKind::SeasonalNaive], Policy::Best, &y, 4, None, 4, 2).unwrap();
        assert_eq!(sel.info.members, vec![ModelKind::SeasonalNaive]);
    }

    #[test]
    fn decomposition_adds_up_and_finds_the_season() {
        let y: Vec<f64> = (0..60)
            .map(|t| 100.0 + 0.5 * t as f64 + 10.0 * ((t % 12) as f64 * std::f64::consts::PI / 6.0).sin() + ((t * 7919) % 13) as f64 * 0.3)
            .collect();
        let c = decompose(&y, 12);
        assert_eq!(c.method, "stl");
        for (t, v) in y.iter().enumerate() {
            assert!((c.trend[t] + c.seasonal[t] + c.remainder[t] - v).abs() < 1e-9);
        }
        assert!((c.seasonal[3] - 10.0).abs() < 1.5, "{}", c.seasonal[3]);
        let short = decompose(&y[..10], 12);
        assert_eq!(short.method, "moving_average");
        assert!((short.trend[0] - (y[0] + y[1] + y[2]) / 3.0).abs() < 1e-12);
    }
}
