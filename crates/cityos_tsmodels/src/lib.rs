//! Statistical forecasting in pure Rust, for the forecasting centre and the `cityos forecast`
//! command.
//!
//! Every model fits a [`Series`] and returns a value implementing [`Fitted`], which forecasts a
//! horizon with model-based prediction intervals. [`fit`] picks the model by [`ModelKind`];
//! [`select`] chooses among models by rolling-origin backtest, [`combine`] averages them and
//! [`reconcile`] makes ward forecasts add up to the city's.
//!
//! The crate has no numeric dependencies: the models are small (a few parameters each) and
//! fitted with the Nelder–Mead simplex in [`optim`], as R's `forecast` and `statsforecast` do.

pub mod analysis;
pub mod arima;
pub mod baseline;
pub mod combine;
pub mod decompose;
pub mod ets;
pub mod metrics;
pub mod optim;
pub mod reconcile;
pub mod regressors;
pub mod select;
pub mod stats;
pub mod theta;
mod types;

pub use types::{FitError, Fitted, Forecast, Frequency, Interval, ModelKind, Series, Xreg};

/// Fits one model of the given kind.
///
/// # Errors
/// [`FitError`] when the series is too short, not finite, or the model cannot be fitted.
pub fn fit(kind: ModelKind, series: &Series<'_>) -> Result<Box<dyn Fitted>, FitError> {
    series.check()?;
    Ok(match kind {
        ModelKind::Naive => Box::new(baseline::naive(series)?),
        ModelKind::SeasonalNaive => Box::new(baseline::seasonal_naive(series)?),
        ModelKind::Drift => Box::new(baseline::drift(series)?),
        ModelKind::Naive2 => Box::new(baseline::naive2(series)?),
        ModelKind::Ets => Box::new(ets::fit_auto(series, &ets::Options::default())?),
        ModelKind::Arima => Box::new(arima::fit_auto(series, &arima::Options::default())?),
        ModelKind::Theta => Box::new(theta::fit_auto(series)?),
        ModelKind::Mstl => Box::new(decompose::fit_mstl(series, &[])?),
        ModelKind::Combination => Box::new(combine::ets_arima_theta(series)?),
    })
}
