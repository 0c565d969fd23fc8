//! The wire types of `/api/forecast` (the single source of truth for the protocol; see
//! `docs/FORECASTING.md`). Results too rich for a fixed schema (runs, explanations) are JSON
//! documents built in [`crate::runs`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an indicator's values come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Source {
    /// Uploaded by an analyst.
    Upload,
    /// Pushed by another system through the API.
    Api,
    /// A column of a data hub dataset, read into a new vintage by `POST …/refresh` (see
    /// [`crate::dataset`]).
    Dataset {
        /// Dataset id or name in the catalogue.
        dataset_id: String,
        /// The value column (a field name of the dataset's resource).
        column: String,
        /// The period column: `YYYY-MM`, `YYYY-Qn`, `YYYY`, or dates `YYYY-MM-DD` / `dd/mm/yyyy`.
        period_column: String,
    },
}

/// A new indicator.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIndicator {
    /// Stable code, `[a-z0-9][a-z0-9_.-]*`, at most 64 characters.
    pub id: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Unit, e.g. `tỷ đồng`.
    pub unit: String,
    /// `monthly`, `quarterly` or `yearly`.
    pub frequency: String,
    /// GSO code of the city (`79`, the default) or a ward.
    pub jurisdiction: Option<String>,
    /// The indicator this one adds up to (a ward's series → the city's).
    pub parent_id: Option<String>,
    /// Where the values come from (default: upload).
    pub source: Option<Source>,
    /// `public` (default) or `internal`.
    pub classification: Option<String>,
    /// Illustrative (demo) data.
    pub illustrative: Option<bool>,
    /// Shown on the city dashboard.
    pub main: Option<bool>,
}

/// Changes to an indicator (absent fields stay; `parent_id: ""` removes the parent).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorPatch {
    /// Vietnamese name.
    pub name_vi: Option<String>,
    /// English name.
    pub name_en: Option<String>,
    /// Unit.
    pub unit: Option<String>,
    /// Jurisdiction.
    pub jurisdiction: Option<String>,
    /// Parent indicator (`""` removes it).
    pub parent_id: Option<String>,
    /// Source.
    pub source: Option<Source>,
    /// `public` or `internal`.
    pub classification: Option<String>,
    /// Illustrative.
    pub illustrative: Option<bool>,
    /// On the dashboard.
    pub main: Option<bool>,
}

/// An indicator as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Indicator {
    /// Code.
    pub id: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Unit.
    pub unit: String,
    /// `monthly`, `quarterly` or `yearly`.
    pub frequency: String,
    /// GSO code.
    pub jurisdiction: String,
    /// Parent indicator.
    pub parent_id: Option<String>,
    /// Source.
    pub source: Source,
    /// `public` or `internal`.
    pub classification: String,
    /// Illustrative (demo) data.
    pub illustrative: bool,
    /// On the dashboard.
    pub main: bool,
    /// Last vintage (0 before any observation).
    pub latest_vintage: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One observation to add.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationInput {
    /// `YYYY-MM` (or `YYYY-Qn`, `YYYY`).
    pub period: String,
    /// The value.
    pub value: f64,
}

/// A batch of observations: one new vintage.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationsInput {
    /// Why (e.g. the release).
    pub note: Option<String>,
    /// New and revised values.
    pub observations: Vec<ObservationInput>,
}

/// A vintage: one upload.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Vintage {
    /// 1, 2, 3… per indicator.
    pub seq: i64,
    /// Indicator.
    pub indicator_id: String,
    /// Note.
    pub note: Option<String>,
    /// Who (`user:<id>`, `system`).
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Periods new in this vintage.
    pub added: i64,
    /// Periods whose value changed.
    pub revised: i64,
    /// Values sent again unchanged (not stored).
    pub unchanged: i64,
}

/// An observation of a series as of a vintage.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Observation {
    /// `YYYY-MM`.
    pub period: String,
    /// Value.
    pub value: f64,
    /// The vintage that last wrote it.
    pub vintage: i64,
}

/// A user dummy regressor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dummy {
    /// Name, e.g. `lockdown`.
    pub name: String,
    /// History periods where it is 1.
    #[serde(default)]
    pub periods: Vec<String>,
    /// Forecast periods where it is 1 (a scenario).
    #[serde(default)]
    pub future: Vec<String>,
}

/// Regressors for a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Regressors {
    /// Add the Tết dummy (monthly series).
    #[serde(default)]
    pub tet: bool,
    /// User dummies.
    #[serde(default)]
    pub dummies: Vec<Dummy>,
}

/// A forecast request (every field optional; the stored run records the defaults it used).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastRequest {
    /// Steps ahead, 1..=60 (default 12).
    pub horizon: Option<usize>,
    /// Model names (default `ets`, `arima`, `theta`, `seasonal_naive`, `naive`, forecasting with the
    /// mean of the three best by backtest; with named models, the single best).
    pub models: Option<Vec<String>>,
    /// Interval levels in percent (default 80, 95).
    pub levels: Option<Vec<f64>>,
    /// `auto` (default) or `calibrated`: the model's intervals recalibrated on the backtest (the
    /// model's and the backtest's error pooled); `conformal`: from the backtest errors alone;
    /// `model`: the model's own intervals. Without a backtest, always the model's own.
    pub interval_method: Option<String>,
    /// Vintage to forecast from (default the latest).
    pub vintage: Option<i64>,
    /// Backtest windows, 1..=10 (default 3).
    pub backtest_windows: Option<usize>,
    /// Regressors.
    pub regressors: Option<Regressors>,
}

/// A reconciliation request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconcileRequest {
    /// Steps ahead, 1..=60 (default 12).
    pub horizon: Option<usize>,
    /// Model for the base forecasts (default `ets`).
    pub model: Option<String>,
    /// `bottom_up`, `mint` or `both` (default).
    pub method: Option<String>,
}
