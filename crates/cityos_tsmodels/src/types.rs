//! The types every model shares.

use serde::{Deserialize, Serialize};

/// How often a series is observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// Twelve periods a year.
    Monthly,
    /// Four periods a year.
    Quarterly,
    /// One period a year.
    Yearly,
}

impl Frequency {
    /// The usual season length: 12, 4 or 1.
    #[must_use]
    pub fn season_length(self) -> usize {
        match self {
            Frequency::Monthly => 12,
            Frequency::Quarterly => 4,
            Frequency::Yearly => 1,
        }
    }

    /// Months between two consecutive observations.
    #[must_use]
    pub fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::Yearly => 12,
        }
    }
}

/// External regressors: one column per regressor, covering the history *and* the forecast
/// horizon (each column has at least `n + horizon` values), so a forecast knows the future
/// values (a Tết dummy is known years ahead; a lockdown dummy is the analyst's scenario).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Xreg {
    /// Column names, e.g. `tet`, `lockdown`.
    pub names: Vec<String>,
    /// Column values, `columns[j][t]` for regressor `j` at period `t`.
    pub columns: Vec<Vec<f64>>,
}

impl Xreg {
    /// Number of periods every column covers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.columns.iter().map(Vec::len).min().unwrap_or(0)
    }

    /// Whether there are no regressors.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

/// A series to fit: the observations, the season length (1 for none) and optional regressors.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// Observations, oldest first. Must be finite.
    pub values: &'a [f64],
    /// Season length in periods (12 monthly, 4 quarterly, 1 for no seasonality).
    pub season: usize,
    /// Regressors known over the history and the horizon.
    pub xreg: Option<&'a Xreg>,
}

impl<'a> Series<'a> {
    /// A series without regressors.
    #[must_use]
    pub fn new(values: &'a [f64], season: usize) -> Self {
        Series { values, season: season.max(1), xreg: None }
    }

    /// Checks that the values are finite and there is at least one.
    ///
    /// # Errors
    /// [`FitError::TooShort`] for an empty series, [`FitError::NonFinite`] for NaN or infinity.
    pub fn check(&self) -> Result<(), FitError> {
        if self.values.is_empty() {
            return Err(FitError::TooShort { needed: 1, got: 0 });
        }
        if self.values.iter().any(|v| !v.is_finite()) {
            return Err(FitError::NonFinite);
        }
        if let Some(x) = self.xreg {
            if x.names.len() != x.columns.len() {
                return Err(FitError::InvalidInput("regressor names and columns differ in number".into()));
            }
            if x.len() < self.values.len() {
                return Err(FitError::InvalidInput("a regressor is shorter than the series".into()));
            }
        }
        Ok(())
    }
}

/// A prediction interval at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Nominal coverage in percent, e.g. 80 or 95.
    pub level: f64,
    /// Lower bounds, one per horizon step.
    pub lo: Vec<f64>,
    /// Upper bounds, one per horizon step.
    pub hi: Vec<f64>,
}

/// A point forecast with its intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The model that produced it, e.g. `ETS(M,Ad,M)`.
    pub model: String,
    /// Point forecasts, one per horizon step.
    pub mean: Vec<f64>,
    /// Intervals, in the order of the requested levels.
    pub intervals: Vec<Interval>,
}

impl Forecast {
    /// The interval at `level`, if it was requested.
    #[must_use]
    pub fn interval(&self, level: f64) -> Option<&Interval> {
        self.intervals.iter().find(|i| (i.level - level).abs() < 1e-9)
    }
}

/// A fitted model.
pub trait Fitted: Send + Sync + std::fmt::Debug {
    /// The model and its selected form, e.g. `ETS(M,Ad,M)`, `ARIMA(0,1,1)(0,1,1)[12]`, `Theta(OTM)`.
    fn name(&self) -> String;

    /// One-step-ahead in-sample fitted values, as many as observations (NaN where undefined).
    fn fitted(&self) -> Vec<f64>;

    /// Forecasts `horizon` steps with intervals at each of `levels` (percent, 0 < level < 100).
    ///
    /// # Errors
    /// [`FitError::InvalidInput`] when the horizon exceeds the regressors' future values.
    fn forecast(&self, horizon: usize, levels: &[f64]) -> Result<Forecast, FitError>;

    /// The information criterion used to select this model's form (AICc), where there is one.
    fn aicc(&self) -> Option<f64> {
        None
    }

    /// The estimated parameters, for explaining a forecast (`{"alpha": 0.3, ...}`).
    fn params(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// The model families a caller can ask for by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Last value carried forward.
    Naive,
    /// Value of the same season last year.
    SeasonalNaive,
    /// Naive with the average historical change.
    Drift,
    /// Naive on seasonally adjusted data (classical multiplicative decomposition when a 90%
    /// autocorrelation test finds seasonality), as defined for the M4 competition.
    Naive2,
    /// Exponential smoothing state space model, form selected by AICc.
    Ets,
    /// ARIMA with automatic order selection (Hyndman–Khandakar).
    Arima,
    /// Theta with optimised theta (best of standard, optimised and dynamic variants).
    Theta,
    /// MSTL decomposition: seasonal naive seasonals plus ETS on the adjusted series.
    Mstl,
    /// The mean of ETS, ARIMA and Theta.
    Combination,
}

impl ModelKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [ModelKind; 9] = [
        ModelKind::Naive,
        ModelKind::SeasonalNaive,
        ModelKind::Drift,
        ModelKind::Naive2,
        ModelKind::Ets,
        ModelKind::Arima,
        ModelKind::Theta,
        ModelKind::Mstl,
        ModelKind::Combination,
    ];

    /// The wire name (`naive`, `seasonal_naive`, `drift`, `naive2`, `ets`, `arima`, `theta`,
    /// `mstl`, `combination`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Naive => "naive",
            ModelKind::SeasonalNaive => "seasonal_naive",
            ModelKind::Drift => "drift",
            ModelKind::Naive2 => "naive2",
            ModelKind::Ets => "ets",
            ModelKind::Arima => "arima",
            ModelKind::Theta => "theta",
            ModelKind::Mstl => "mstl",
            ModelKind::Combination => "combination",
        }
    }

    /// Parses a wire name; `snaive` and `combo` are accepted as aliases.
    #[must_use]
    pub fn parse(name: &str) -> Option<ModelKind> {
        match name {
            "snaive" => return Some(ModelKind::SeasonalNaive),
            "combo" => return Some(ModelKind::Combination),
            _ => {}
        }
        ModelKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Why a model could not be fitted or used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// Fewer observations than the model needs.
    #[error("the series has {got} observations; this model needs at least {needed}")]
    TooShort {
        /// Observations the model needs.
        needed: usize,
        /// Observations given.
        got: usize,
    },
    /// A value is NaN or infinite.
    #[error("the series contains a value that is not a finite number")]
    NonFinite,
    /// The request does not make sense (a bad level, a short regressor, …).
    #[error("{0}")]
    InvalidInput(String),
    /// The optimiser found no admissible parameters.
    #[error("the model could not be fitted: {0}")]
    Failed(String),
}
