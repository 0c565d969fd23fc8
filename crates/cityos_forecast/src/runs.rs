//! Forecast runs (stored with their exact inputs), explanations of what changed between two runs,
//! backtest reports, decompositions, anomalies, reconciliation and indicator summaries.

use crate::engine::{self, ModelForecast, Scores};
use crate::model::{ForecastRequest, Indicator, ReconcileRequest, Regressors};
use crate::period::{self, Period};
use crate::store::{self, Author};
use crate::{ForecastCentre, ForecastError, LIBRARY_VERSION};
use cityos_api::{ApiError, Caller};
use cityos_audit::AuditRecord;
use cityos_tsmodels::reconcile;
use cityos_tsmodels::regressors::{self, YearMonth};
use cityos_tsmodels::select::{IntervalMethod, Policy, SelectionReason};
use cityos_tsmodels::{Forecast, Frequency, ModelKind, Xreg};
use serde_json::{json, Map, Value};
use sqlx::Row as _;
use std::collections::BTreeMap;

/// The longest horizon a caller may ask for.
pub const MAX_HORIZON: usize = 60;

/// Models run when the request names none; the forecast is then the mean of the three with the
/// lowest backtest MASE (the library's tuned default, [`Policy::MeanOfBest`]).
pub const DEFAULT_MODELS: [ModelKind; 5] = [ModelKind::Ets, ModelKind::Arima, ModelKind::Theta, ModelKind::SeasonalNaive, ModelKind::Naive];

/// How many of the best-ranked default models the default forecast averages.
pub const MEAN_OF_BEST: usize = 3;

/// Models a backtest report compares when the request names none.
pub const REPORT_MODELS: [ModelKind; 6] =
    [ModelKind::Naive, ModelKind::SeasonalNaive, ModelKind::Ets, ModelKind::Arima, ModelKind::Theta, ModelKind::Combination];

fn bad(code: &'static str, detail: impl Into<String>) -> ForecastError {
    ForecastError::Api(ApiError::bad_request(code, detail))
}

fn not_enough(detail: impl Into<String>) -> ForecastError {
    ForecastError::Api(ApiError::new(http::StatusCode::UNPROCESSABLE_ENTITY, "not_enough_data", "Not enough data").detail(detail))
}

/// The horizon, checked against 1..=[`MAX_HORIZON`].
///
/// # Errors
/// 400 `invalid_horizon`.
pub fn check_horizon(h: usize) -> Result<usize, ForecastError> {
    if (1..=MAX_HORIZON).contains(&h) {
        Ok(h)
    } else {
        Err(bad("invalid_horizon", format!("horizon must be between 1 and {MAX_HORIZON}")))
    }
}

/// Parses model names (deduplicated, in the given order).
///
/// # Errors
/// 400 `invalid_model`.
pub fn parse_models<S: AsRef<str>>(names: &[S]) -> Result<Vec<ModelKind>, ForecastError> {
    let mut out = Vec::new();
    for n in names {
        let n = n.as_ref().trim();
        let k = ModelKind::parse(n).ok_or_else(|| {
            bad(
                "invalid_model",
                format!(
                    "unknown model `{}`; use naive, seasonal_naive, drift, naive2, ets, arima, theta, mstl or combination",
                    n.chars().take(40).collect::<String>()
                ),
            )
        })?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if out.is_empty() {
        return Err(bad("invalid_model", "name at least one model"));
    }
    Ok(out)
}

fn check_levels(levels: &[f64]) -> Result<Vec<f64>, ForecastError> {
    if levels.is_empty() || levels.len() > 5 {
        return Err(bad("invalid_level", "give 1 to 5 interval levels"));
    }
    let mut out: Vec<f64> = Vec::new();
    for &l in levels {
        if !(l.is_finite() && l > 0.0 && l < 100.0) {
            return Err(bad("invalid_level", "interval levels are percents strictly between 0 and 100"));
        }
        if !out.iter().any(|x| (x - l).abs() < 1e-9) {
            out.push(l);
        }
    }
    Ok(out)
}

/// The key of a level in `lo`/`hi` maps: `80`, `95`, `97.5`.
#[must_use]
pub fn level_key(l: f64) -> String {
    if l.fract() == 0.0 {
        format!("{l:.0}")
    } else {
        format!("{l}")
    }
}

/// A forecast as the API writes it; `model` is a model kind's name or `mean_of_best`.
#[must_use]
pub fn forecast_json(model: &str, label: &str, periods: &[Period], f: &Forecast) -> Value {
    let mut lo = Map::new();
    let mut hi = Map::new();
    for i in &f.intervals {
        lo.insert(level_key(i.level), json!(i.lo));
        hi.insert(level_key(i.level), json!(i.hi));
    }
    json!({
        "model": model,
        "label": label,
        "periods": periods.iter().map(|p| period::label(*p)).collect::<Vec<_>>(),
        "mean": f.mean,
        "lo": lo,
        "hi": hi,
    })
}

/// A backtest as the API writes it; `coverage` is that of the model's own intervals.
#[must_use]
pub fn backtest_json(b: &Scores) -> Value {
    let coverage: Map<String, Value> = b.coverage.iter().map(|(l, c)| (level_key(*l), finite(*c))).collect();
    json!({
        "windows": b.windows, "horizon": b.horizon, "mase": finite(b.mase), "smape": finite(b.smape),
        "coverage": coverage, "failures": b.failures,
    })
}

fn finite(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

/// The contiguous history a model sees: the observations after the last gap.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Periods, consecutive.
    pub periods: Vec<Period>,
    /// Values.
    pub values: Vec<f64>,
}

/// The contiguous tail of a series (observations after the last gap).
#[must_use]
pub fn contiguous_tail(series: &[(Period, f64, i64)], freq: Frequency) -> History {
    let step = period::step(freq);
    let mut start = 0;
    for i in 1..series.len() {
        if series[i].0 - series[i - 1].0 != step {
            start = i;
        }
    }
    History { periods: series[start..].iter().map(|s| s.0).collect(), values: series[start..].iter().map(|s| s.1).collect() }
}

/// A regressor matrix over `periods` followed by `future`.
///
/// # Errors
/// 400 for a bad dummy (name, period) or Tết on a non-monthly series.
pub fn build_xreg(reg: &Regressors, freq: Frequency, periods: &[Period], future: &[Period]) -> Result<Option<Xreg>, ForecastError> {
    if !reg.tet && reg.dummies.is_empty() {
        return Ok(None);
    }
    if reg.dummies.len() > 10 {
        return Err(bad("invalid_regressor", "at most 10 dummies"));
    }
    let all: Vec<Period> = periods.iter().chain(future).copied().collect();
    let mut names = Vec::new();
    let mut columns = Vec::new();
    let ym = |p: Period| YearMonth { year: period::year(p), month: period::month(p) };
    let start = ym(all.first().copied().unwrap_or_default());
    if reg.tet {
        if freq != Frequency::Monthly {
            return Err(bad("invalid_regressor", "the Tết regressor needs a monthly series"));
        }
        // Two columns from the shared lunar calendar: the holiday window and the shopping window before it.
        let tet = regressors::tet_regressors(freq, start, all.len()).map_err(|e| bad("invalid_regressor", e.to_string()))?;
        names.extend(tet.names);
        columns.extend(tet.columns);
    }
    for d in &reg.dummies {
        let ok = !d.name.is_empty() && d.name.len() <= 40 && d.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok || d.name == "tet" || d.name == "pre_tet" || names.contains(&d.name) {
            return Err(bad("invalid_regressor", "dummy names are distinct, 1..=40 letters, digits or `_`, and not `tet` or `pre_tet`"));
        }
        let mut spans = Vec::new();
        for (label, within, what) in
            d.periods.iter().map(|l| (l, periods, "history")).chain(d.future.iter().map(|l| (l, future, "forecast")))
        {
            let p = period::parse(label, freq).map_err(|e| bad("invalid_period", e.to_string()))?;
            if !within.contains(&p) {
                return Err(bad("invalid_regressor", format!("dummy `{}`: {} is outside the {what} periods", d.name, period::label(p))));
            }
            spans.push((ym(p), ym(p)));
        }
        names.push(d.name.clone());
        columns.push(regressors::dummy(freq, start, all.len(), &spans));
    }
    Ok(Some(Xreg { names, columns }))
}

/// A request with its defaults filled in, as stored with the run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    /// Steps ahead.
    pub horizon: usize,
    /// Models.
    pub models: Vec<ModelKind>,
    /// Interval levels.
    pub levels: Vec<f64>,
    /// `auto` (the default: [`IntervalMethod::Calibrated`], the model's and the backtest's views
    /// of the error pooled), `calibrated` (the same), `conformal` or `model`.
    pub interval_method: String,
    /// How the backtest ranking becomes the forecast: the mean of the best three for the default
    /// models, the single best when the caller names models.
    pub policy: Policy,
    /// Backtest windows.
    pub windows: usize,
    /// Regressors.
    pub regressors: Regressors,
}

impl RunPlan {
    /// Checks a request and fills its defaults.
    ///
    /// # Errors
    /// 400 for any invalid field.
    pub fn from_request(r: &ForecastRequest) -> Result<Self, ForecastError> {
        let horizon = check_horizon(r.horizon.unwrap_or(12))?;
        let (models, policy) = match &r.models {
            Some(m) => (parse_models(m)?, Policy::Best),
            None => (DEFAULT_MODELS.to_vec(), Policy::MeanOfBest(MEAN_OF_BEST)),
        };
        let levels = check_levels(r.levels.as_deref().unwrap_or(&[80.0, 95.0]))?;
        let interval_method = r.interval_method.clone().unwrap_or_else(|| "auto".into());
        if IntervalMethod::parse(&interval_method).is_none() {
            return Err(bad("invalid_request", "interval_method must be `auto`, `calibrated`, `model` or `conformal`"));
        }
        let windows = r.backtest_windows.unwrap_or(3);
        if !(1..=10).contains(&windows) {
            return Err(bad("invalid_request", "backtest_windows must be between 1 and 10"));
        }
        Ok(Self { horizon, models, levels, interval_method, policy, windows, regressors: r.regressors.clone().unwrap_or_default() })
    }

    fn to_json(&self, vintage: i64) -> Value {
        json!({
            "horizon": self.horizon,
            "models": self.models.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            "levels": self.levels,
            "interval_method": self.interval_method,
            "vintage": vintage,
            "backtest_windows": self.windows,
            "selection_policy": policy_name(self.policy),
            "regressors": self.regressors,
        })
    }
}

fn policy_name(p: Policy) -> String {
    match p {
        Policy::Best => "best".into(),
        Policy::MeanOfBest(k) => format!("mean_of_best_{k}"),
    }
}

fn internal(detail: &str) -> ForecastError {
    ForecastError::Api(ApiError::internal(&detail))
}

/// Runs the plan on a history: every model's forecast and backtest, the selection and the
/// selected forecast (pure: the same inputs give the same document).
///
/// One library backtest ([`cityos_tsmodels::select::auto`]) scores all models at once, each
/// fitted once per origin; the full-history fits of every model run beside it on another thread.
///
/// # Errors
/// 422 when the history is too short for any model.
pub fn compute(plan: &RunPlan, freq: Frequency, hist: &History) -> Result<Value, ForecastError> {
    let n = hist.values.len();
    if n < 3 {
        return Err(not_enough(format!("the series has {n} consecutive observations; a forecast needs at least 3")));
    }
    let season = freq.season_length();
    let last = hist.periods.last().copied().unwrap_or_default();
    let future = period::following(last, freq, plan.horizon);
    let xreg = build_xreg(&plan.regressors, freq, &hist.periods, &future)?;
    let values = &hist.values;
    let (selection, results) = std::thread::scope(|s| {
        let chosen = s.spawn(|| engine::choose(&plan.models, plan.policy, values, season, xreg.as_ref(), plan.horizon, plan.windows));
        let results: Vec<(ModelKind, Result<ModelForecast, String>)> = plan
            .models
            .iter()
            .map(|&k| (k, engine::fit_forecast(k, values, season, xreg.as_ref(), plan.horizon, &plan.levels).map_err(|e| e.to_string())))
            .collect();
        (chosen.join(), results)
    });
    let selection = selection.map_err(|_| internal("the selection failed"))?.map_err(|e| not_enough(e.to_string()))?;
    let report = selection.info.backtest.as_ref();
    let naive_scores = match report.and_then(|r| engine::scores(r, ModelKind::Naive)) {
        Some(s) => Some(s),
        None => report
            .and_then(|r| engine::backtest(&[ModelKind::Naive], values, season, r.horizon, r.origins.len()).ok())
            .and_then(|r| engine::scores(&r, ModelKind::Naive)),
    };
    // Backtest coverage of the selection's own intervals, from its errors over the sd its 95%
    // interval implied: inside the p% interval when |e| / sd <= z_p.
    let own_coverage: Option<Vec<(f64, f64)>> = selection.scores.as_ref().filter(|s| !s.std_errors.is_empty()).map(|s| {
        [80.0, 95.0]
            .iter()
            .map(|&l| {
                let z = cityos_tsmodels::stats::z_for_level(l);
                (l, s.std_errors.iter().filter(|e| **e <= z).count() as f64 / s.std_errors.len() as f64)
            })
            .collect()
    });
    let method = IntervalMethod::parse(&plan.interval_method).unwrap_or_default();
    let selected_forecast = selection.forecast(plan.horizon, &plan.levels, method).map_err(|e| not_enough(e.to_string()))?;
    // Without a backtest every method gives the model's own intervals.
    let interval_method = selection.applied(method).as_str();
    let own_coverage_json: Value =
        own_coverage.map_or(Value::Null, |c| Value::Object(c.iter().map(|(l, c)| (level_key(*l), finite(*c))).collect()));
    let members = &selection.info.members;
    let selected_name = if members.len() > 1 { "mean_of_best" } else { selection.info.kind.as_str() };
    let selection_name = match selection.info.reason {
        SelectionReason::TooShortForBacktest | SelectionReason::LastResort => "fallback",
        _ if plan.models.len() == 1 => "only",
        _ => "backtest",
    };
    let models: Vec<Value> = results
        .iter()
        .map(|(k, f)| match f {
            Ok(f) => json!({
                "model": k.as_str(),
                "label": f.label,
                "params": f.params,
                "aicc": f.aicc.map(finite),
                "error": null,
                "forecast": forecast_json(k.as_str(), &f.label, &future, &f.forecast),
                "backtest": report.and_then(|r| engine::scores(r, *k)).as_ref().map(backtest_json),
            }),
            Err(e) => {
                json!({"model": k.as_str(), "label": null, "params": null, "aicc": null, "error": e, "forecast": null, "backtest": null})
            }
        })
        .collect();
    Ok(json!({
        "selected_model": selected_name,
        "selection": selection_name,
        "members": members.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "interval_method": interval_method,
        "model_interval_coverage": own_coverage_json,
        "forecast": forecast_json(selected_name, &selection.info.model, &future, &selected_forecast),
        "selected_params": selection.fitted.params(),
        "models": models,
        "naive": {"model": "naive", "backtest": naive_scores.as_ref().map(backtest_json)},
    }))
}

fn run_error(e: tokio::task::JoinError) -> ForecastError {
    ForecastError::Api(ApiError::internal(&e))
}

impl ForecastCentre {
    /// The model input as of `vintage`.
    ///
    /// # Errors
    /// Database failure.
    pub async fn history(&self, ind: &Indicator, vintage: i64) -> Result<History, ForecastError> {
        Ok(contiguous_tail(&self.series(ind, vintage).await?, store::frequency(ind)))
    }

    /// Runs and stores a forecast.
    ///
    /// # Errors
    /// 400 invalid request, 404 unknown vintage, 422 not enough data.
    pub async fn run(&self, author: &Author, ind: &Indicator, req: &ForecastRequest) -> Result<Value, ForecastError> {
        let plan = RunPlan::from_request(req)?;
        let vintage = Self::vintage_or_latest(ind, req.vintage)?;
        if vintage == 0 {
            return Err(not_enough("the indicator has no observations yet"));
        }
        let freq = store::frequency(ind);
        let hist = self.history(ind, vintage).await?;
        let (plan2, hist2) = (plan.clone(), hist.clone());
        let result = tokio::task::spawn_blocking(move || compute(&plan2, freq, &hist2)).await.map_err(run_error)??;
        let id = cityos_core::new_id();
        let now = self.clock.now();
        let mut doc = json!({
            "id": id,
            "indicator_id": ind.id,
            "vintage": vintage,
            "created_at": now,
            "created_by": author.actor,
            "library_version": LIBRARY_VERSION,
            "request": plan.to_json(vintage),
            "inputs": {
                "start": hist.periods.first().map(|p| period::label(*p)),
                "periods": hist.periods.iter().map(|p| period::label(*p)).collect::<Vec<_>>(),
                "values": hist.values,
            },
        });
        if let (Some(d), Value::Object(r)) = (doc.as_object_mut(), result) {
            d.extend(r);
        }
        let selected = doc["selected_model"].as_str().unwrap_or_default().to_string();
        let label = doc["forecast"]["label"].as_str().unwrap_or_default().to_string();
        let first_period = doc["forecast"]["periods"][0].as_str().unwrap_or_default().to_string();
        let next_value = doc["forecast"]["mean"][0].as_f64().unwrap_or(f64::NAN);
        let mut tx = self.db().begin().await?;
        let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM forecast_runs WHERE indicator_id = $1")
            .bind(&ind.id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO forecast_runs (id, indicator_id, seq, vintage, created_by, created_at, selected_model, label, horizon, first_period, next_value, document)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(&ind.id)
        .bind(seq)
        .bind(vintage)
        .bind(&author.actor)
        .bind(now.timestamp_millis())
        .bind(&selected)
        .bind(&label)
        .bind(i64::try_from(plan.horizon).unwrap_or(0))
        .bind(&first_period)
        .bind(next_value)
        .bind(serde_json::to_string(&doc)?)
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor: author.actor.clone(),
            action: "forecast.run.create".into(),
            object: format!("forecast_run:{id}"),
            purpose: None,
            outcome: "success".into(),
            request_id: author.request_id.clone(),
            row_count: None,
        };
        cityos_audit::append(&mut tx, self.db().backend(), self.clock(), &record).await?;
        let class =
            if ind.classification == "public" { cityos_core::Classification::Public } else { cityos_core::Classification::Internal };
        let event = cityos_events::CloudEvent::new(
            self.clock(),
            "/cityos/forecast",
            "vn.cityos.forecast.run.created",
            class,
            json!({"id": id, "indicator_id": ind.id, "model": selected}),
        )
        .subject(format!("forecast_run:{id}"))
        .jurisdiction(Some(ind.jurisdiction.clone()));
        cityos_events::publish(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(doc)
    }

    /// A stored run and its indicator (checked for the caller).
    ///
    /// # Errors
    /// 404 unknown run, 401/403 not allowed.
    pub async fn get_run(&self, caller: &Caller, id: &str) -> Result<(Indicator, Value), ForecastError> {
        let row = sqlx::query("SELECT indicator_id, document FROM forecast_runs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db().reader())
            .await?;
        let Some(row) = row else {
            return Err(ForecastError::Api(ApiError::not_found(format!("forecast run `{}`", id.chars().take(64).collect::<String>()))));
        };
        let ind = self.readable(caller, &row.try_get::<String, _>("indicator_id")?).await?;
        let doc: Value = serde_json::from_str(&row.try_get::<String, _>("document")?)?;
        Ok((ind, doc))
    }

    /// Run summaries of an indicator, newest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_runs(&self, ind: &Indicator, limit: i64) -> Result<Vec<Value>, ForecastError> {
        let rows = sqlx::query(
            "SELECT id, seq, vintage, created_by, created_at, selected_model, label, horizon, first_period, next_value FROM forecast_runs WHERE indicator_id = $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(&ind.id)
        .bind(limit)
        .fetch_all(self.db().reader())
        .await?;
        rows.iter()
            .map(|r| {
                let at: i64 = r.try_get("created_at")?;
                Ok(json!({
                    "id": r.try_get::<String, _>("id")?,
                    "indicator_id": ind.id,
                    "seq": r.try_get::<i64, _>("seq")?,
                    "vintage": r.try_get::<i64, _>("vintage")?,
                    "created_by": r.try_get::<String, _>("created_by")?,
                    "created_at": chrono::DateTime::from_timestamp_millis(at).unwrap_or_default(),
                    "selected_model": r.try_get::<String, _>("selected_model")?,
                    "label": r.try_get::<String, _>("label")?,
                    "horizon": r.try_get::<i64, _>("horizon")?,
                    "first_period": r.try_get::<String, _>("first_period")?,
                    "next_value": finite(r.try_get::<f64, _>("next_value")?),
                }))
            })
            .collect()
    }

    /// What changed between a run and `against` (default: the indicator's previous run).
    ///
    /// # Errors
    /// 404 unknown runs, 400 runs of different indicators.
    pub async fn explain(&self, caller: &Caller, id: &str, against: Option<&str>) -> Result<Value, ForecastError> {
        let (ind, run) = self.get_run(caller, id).await?;
        let other = match against {
            Some(a) => Some(self.get_run(caller, a).await?),
            None => {
                let prev: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM forecast_runs WHERE indicator_id = $1 AND seq < (SELECT seq FROM forecast_runs WHERE id = $2) ORDER BY seq DESC LIMIT 1",
                )
                .bind(&ind.id)
                .bind(id)
                .fetch_optional(self.db().reader())
                .await?;
                match prev {
                    Some(p) => Some(self.get_run(caller, &p).await?),
                    None => None,
                }
            }
        };
        let Some((other_ind, old)) = other else {
            return Ok(json!({
                "run": id, "against": null, "vintages": {"from": null, "to": run["vintage"]},
                "new_observations": [], "revised_observations": [], "model_change": null,
                "parameter_changes": [], "forecast_changes": [],
                "summary_vi": "Đây là lần dự báo đầu tiên của chỉ tiêu này.",
                "summary_en": "This is the indicator's first forecast.",
            }));
        };
        if other_ind.id != ind.id {
            return Err(bad("invalid_request", "both runs must forecast the same indicator"));
        }
        Ok(explain_documents(id, &old, &run))
    }
}

fn values_by_period(doc: &Value) -> BTreeMap<String, f64> {
    let periods = doc["inputs"]["periods"].as_array().cloned().unwrap_or_default();
    let values = doc["inputs"]["values"].as_array().cloned().unwrap_or_default();
    periods.iter().zip(&values).filter_map(|(p, v)| Some((p.as_str()?.to_string(), v.as_f64()?))).collect()
}

fn forecast_by_period(doc: &Value) -> BTreeMap<String, f64> {
    let periods = doc["forecast"]["periods"].as_array().cloned().unwrap_or_default();
    let values = doc["forecast"]["mean"].as_array().cloned().unwrap_or_default();
    periods.iter().zip(&values).filter_map(|(p, v)| Some((p.as_str()?.to_string(), v.as_f64()?))).collect()
}

/// Compares two run documents (`old` before `new`).
#[must_use]
pub fn explain_documents(id: &str, old: &Value, new: &Value) -> Value {
    let (ov, nv) = (values_by_period(old), values_by_period(new));
    let new_obs: Vec<Value> = nv.iter().filter(|(p, _)| !ov.contains_key(*p)).map(|(p, v)| json!({"period": p, "value": v})).collect();
    let revised: Vec<Value> = nv
        .iter()
        .filter_map(|(p, v)| {
            let o = ov.get(p)?;
            (o.to_bits() != v.to_bits()).then(|| json!({"period": p, "old": o, "new": v}))
        })
        .collect();
    let (om, nm) = (old["selected_model"].as_str().unwrap_or_default(), new["selected_model"].as_str().unwrap_or_default());
    let (ol, nl) = (old["forecast"]["label"].as_str().unwrap_or_default(), new["forecast"]["label"].as_str().unwrap_or_default());
    let model_change = (om != nm || ol != nl).then(|| json!({"from": om, "to": nm, "from_label": ol, "to_label": nl}));
    let mut params = Vec::new();
    if let (Some(op), Some(np)) = (old["selected_params"].as_object(), new["selected_params"].as_object()) {
        for (k, v) in np {
            match (op.get(k).and_then(Value::as_f64), v.as_f64()) {
                (Some(a), Some(b)) if (a - b).abs() > 1e-12 => params.push(json!({"name": k, "old": a, "new": b})),
                (None, Some(b)) => params.push(json!({"name": k, "old": null, "new": b})),
                _ => {}
            }
        }
    }
    let (of, nf) = (forecast_by_period(old), forecast_by_period(new));
    let changes: Vec<Value> = nf
        .iter()
        .map(|(p, v)| {
            let o = of.get(p).copied();
            json!({"period": p, "old": o, "new": v, "change": o.map(|o| v - o)})
        })
        .collect();
    let summary_vi = format!(
        "{} quan sát mới, {} quan sát được điều chỉnh; mô hình {}.",
        new_obs.len(),
        revised.len(),
        if model_change.is_some() { format!("đổi từ {ol} sang {nl}") } else { format!("giữ nguyên {nl}") }
    );
    let summary_en = format!(
        "{} new observations, {} revised; model {}.",
        new_obs.len(),
        revised.len(),
        if model_change.is_some() { format!("changed from {ol} to {nl}") } else { format!("unchanged ({nl})") }
    );
    json!({
        "run": id,
        "against": old["id"],
        "vintages": {"from": old["vintage"], "to": new["vintage"]},
        "new_observations": new_obs,
        "revised_observations": revised,
        "model_change": model_change,
        "parameter_changes": params,
        "forecast_changes": changes,
        "summary_vi": summary_vi,
        "summary_en": summary_en,
    })
}

/// The default horizon of reports for a frequency.
#[must_use]
pub fn default_horizon(freq: Frequency) -> usize {
    match freq {
        Frequency::Monthly => 12,
        Frequency::Quarterly => 8,
        Frequency::Yearly => 6,
    }
}

/// A backtest report over `models` (naive always included as the reference).
///
/// # Errors
/// 422 when the series is too short for one window.
pub fn backtest_report(
    freq: Frequency,
    hist: &History,
    models: &[ModelKind],
    horizon: usize,
    windows: usize,
    levels: &[f64],
) -> Result<Value, ForecastError> {
    let season = freq.season_length();
    let values = &hist.values;
    let report = engine::backtest(models, values, season, horizon, windows)
        .map_err(|_| not_enough(format!("the series has {} consecutive observations: too few for a backtest", values.len())))?;
    let origins = report.origins.len();
    let mut kinds = vec![ModelKind::Naive];
    kinds.extend(models.iter().filter(|k| **k != ModelKind::Naive));
    let rows: Vec<(ModelKind, Option<Scores>)> =
        kinds.iter().map(|k| (*k, engine::scores(&report, *k).filter(|s| s.failures < origins))).collect();
    let naive_mase = rows.first().and_then(|r| r.1.as_ref()).map_or(f64::NAN, |b| b.mase);
    let best = rows
        .iter()
        .filter_map(|(k, r)| Some((*k, r.as_ref()?.mase)))
        .filter(|(_, m)| m.is_finite())
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k.as_str());
    let rows: Vec<Value> = rows
        .iter()
        .map(|(k, r)| match r {
            Some(b) => {
                let mut v = backtest_json(b);
                if let Some(o) = v.as_object_mut() {
                    o.insert("model".into(), json!(k.as_str()));
                    o.insert("label".into(), json!(report.score(*k).map(|s| s.model.clone())));
                    o.insert("relative_mase".into(), finite(b.mase / naive_mase));
                    o.insert("error".into(), Value::Null);
                }
                v
            }
            None => json!({"model": k.as_str(), "mase": null, "smape": null, "coverage": {}, "relative_mase": null, "error": "the model failed at every backtest origin"}),
        })
        .collect();
    Ok(json!({"horizon": report.horizon, "windows": origins, "levels": levels, "models": rows, "best": best}))
}

impl ForecastCentre {
    /// The backtest report of an indicator.
    ///
    /// # Errors
    /// 400 bad parameters, 422 not enough data.
    pub async fn backtest(
        &self,
        ind: &Indicator,
        vintage: i64,
        models: &[ModelKind],
        horizon: usize,
        windows: usize,
    ) -> Result<Value, ForecastError> {
        let freq = store::frequency(ind);
        let hist = self.history(ind, vintage).await?;
        let models = models.to_vec();
        let mut report = tokio::task::spawn_blocking(move || backtest_report(freq, &hist, &models, horizon, windows, &[80.0, 95.0]))
            .await
            .map_err(run_error)??;
        if let Some(o) = report.as_object_mut() {
            o.insert("indicator_id".into(), json!(ind.id));
            o.insert("vintage".into(), json!(vintage));
        }
        Ok(report)
    }

    /// Trend, seasonal and remainder of an indicator.
    ///
    /// # Errors
    /// 422 with fewer than 3 observations.
    pub async fn decomposition(&self, ind: &Indicator, vintage: i64) -> Result<Value, ForecastError> {
        let freq = store::frequency(ind);
        let hist = self.history(ind, vintage).await?;
        if hist.values.len() < 3 {
            return Err(not_enough("a decomposition needs at least 3 consecutive observations"));
        }
        let season = freq.season_length();
        let c = engine::decompose(&hist.values, season);
        let season_used = if c.seasonal.iter().any(|s| *s != 0.0) { season } else { 1 };
        Ok(json!({
            "indicator_id": ind.id, "vintage": vintage, "method": c.method, "season": season_used,
            "periods": hist.periods.iter().map(|p| period::label(*p)).collect::<Vec<_>>(),
            "observed": hist.values, "trend": c.trend, "seasonal": c.seasonal, "remainder": c.remainder,
        }))
    }

    /// Outliers and changepoints of an indicator.
    ///
    /// # Errors
    /// 422 with fewer than 3 observations.
    pub async fn anomalies(&self, ind: &Indicator, vintage: i64) -> Result<Value, ForecastError> {
        let freq = store::frequency(ind);
        let hist = self.history(ind, vintage).await?;
        if hist.values.len() < 3 {
            return Err(not_enough("anomaly detection needs at least 3 consecutive observations"));
        }
        let season = freq.season_length();
        let label = |i: usize| hist.periods.get(i).map(|p| period::label(*p));
        let options = cityos_tsmodels::analysis::OutlierOptions::default();
        let outliers: Vec<Value> = cityos_tsmodels::analysis::outliers(&hist.values, season, &options)
            .map_err(|e| not_enough(e.to_string()))?
            .iter()
            .map(|o| json!({"period": label(o.index), "value": o.value, "expected": o.expected, "score": o.score}))
            .collect();
        let cps: Vec<Value> = cityos_tsmodels::analysis::changepoints(&hist.values, season)
            .map_err(|e| not_enough(e.to_string()))?
            .iter()
            .map(|cp| json!({"period": label(cp.index), "kind": cp.kind, "before": cp.before, "after": cp.after}))
            .collect();
        Ok(json!({"indicator_id": ind.id, "vintage": vintage, "outliers": outliers, "changepoints": cps}))
    }

    /// Reconciles the forecasts of a parent indicator and its children.
    ///
    /// # Errors
    /// 400 bad request, 422 no children or too little common history.
    pub async fn reconcile(&self, caller: &Caller, parent: &Indicator, req: &ReconcileRequest) -> Result<Value, ForecastError> {
        let horizon = check_horizon(req.horizon.unwrap_or(12))?;
        let kind = parse_models(&[req.model.as_deref().unwrap_or("ets")])?[0];
        let method = req.method.clone().unwrap_or_else(|| "both".into());
        if !["both", "bottom_up", "mint"].contains(&method.as_str()) {
            return Err(bad("invalid_request", "method must be `bottom_up`, `mint` or `both`"));
        }
        let children = self.list(caller, &store::IndicatorFilter { parent: Some(parent.id.clone()), ..Default::default() }).await?;
        if children.is_empty() {
            return Err(not_enough(format!("indicator `{}` has no child indicators to reconcile", parent.id)));
        }
        let freq = store::frequency(parent);
        let mut members = vec![(parent.id.clone(), "parent")];
        members.extend(children.iter().map(|c| (c.id.clone(), "child")));
        let mut hists = Vec::new();
        for ind in std::iter::once(parent).chain(children.iter()) {
            hists.push(self.history(ind, ind.latest_vintage).await?);
        }
        let start = hists.iter().filter_map(|h| h.periods.first().copied()).max().unwrap_or_default();
        let end = hists.iter().filter_map(|h| h.periods.last().copied()).min().unwrap_or_default();
        let step = period::step(freq);
        if hists.iter().any(|h| h.periods.is_empty()) || end < start + 3 * step {
            return Err(not_enough("the parent and its children need a common history of at least 4 periods"));
        }
        let aligned: Vec<Vec<f64>> = hists
            .iter()
            .map(|h| h.periods.iter().zip(&h.values).filter(|(p, _)| **p >= start && **p <= end).map(|(_, v)| *v).collect())
            .collect();
        let periods = period::following(end, freq, horizon);
        let season = freq.season_length();
        type Rows = Vec<Vec<f64>>;
        let result = tokio::task::spawn_blocking(move || -> Result<(Rows, Rows, Option<Rows>), ForecastError> {
            let mut base = Vec::new();
            let mut residuals = Vec::new();
            for values in &aligned {
                let f = engine::fit_forecast(kind, values, season, None, horizon, &[])
                    .or_else(|_| engine::naive_forecast(values, season, horizon, &[]))
                    .map_err(|e| not_enough(e.to_string()))?;
                base.push(f.forecast.mean.clone());
                // Models without in-sample fitted values borrow seasonal naive's one-step errors.
                let usable = f.fitted.len() == values.len() && f.fitted.iter().filter(|v| v.is_finite()).count() >= values.len() / 2;
                let own =
                    if usable { f.fitted } else { engine::naive_forecast(values, season, 1, &[]).map(|b| b.fitted).unwrap_or_default() };
                let own = if own.len() == values.len() { own } else { vec![f64::NAN; values.len()] };
                residuals.push(reconcile::residuals(values, &own));
            }
            let rows = |r: reconcile::Reconciled| -> Rows { std::iter::once(r.parent).chain(r.children).collect() };
            let children = base.get(1..).unwrap_or_default();
            let bottom_up = reconcile::bottom_up(children).map(rows).map_err(|e| not_enough(e.to_string()))?;
            let mint = match (base.first(), residuals.split_first()) {
                (Some(parent), Some((parent_res, children_res))) => {
                    reconcile::mint_shrink(parent, children, parent_res, children_res).ok().map(rows)
                }
                _ => None,
            };
            Ok((base, bottom_up, mint))
        })
        .await
        .map_err(run_error)??;
        let (base, bottom_up, mint) = result;
        let gap = |rows: &[Vec<f64>]| -> f64 {
            (0..horizon).map(|t| (rows[0][t] - rows[1..].iter().map(|r| r[t]).sum::<f64>()).abs()).fold(0.0, f64::max)
        };
        let series: Vec<Value> = members
            .iter()
            .enumerate()
            .map(|(i, (id, role))| {
                let mut o = json!({"id": id, "role": role, "base": base[i]});
                if method != "mint" {
                    o["bottom_up"] = json!(bottom_up[i]);
                }
                if method != "bottom_up" {
                    o["mint"] = mint.as_ref().map_or(Value::Null, |m| json!(m[i]));
                }
                o
            })
            .collect();
        Ok(json!({
            "indicator_id": parent.id, "horizon": horizon, "model": kind.as_str(), "method": method,
            "periods": periods.iter().map(|p| period::label(*p)).collect::<Vec<_>>(),
            "series": series,
            "coherence_gap": {"base": gap(&base), "bottom_up": gap(&bottom_up), "mint": mint.as_ref().map(|m| gap(m))},
        }))
    }

    /// An indicator with its latest value, changes and next forecast.
    ///
    /// # Errors
    /// Database failure.
    pub async fn summary(&self, ind: &Indicator) -> Result<Value, ForecastError> {
        let series = self.series(ind, ind.latest_vintage).await?;
        let freq = store::frequency(ind);
        let mut v = serde_json::to_value(ind)?;
        let latest = series.last().copied();
        let find = |p: Period| series.iter().find(|s| s.0 == p).map(|s| s.1);
        let change = |lp: Period, lv: f64, back: i64| -> Value {
            let p = lp - back;
            match find(p) {
                Some(old) => {
                    json!({"period": period::label(p), "value": old, "abs": lv - old, "pct": if old != 0.0 { finite((lv - old) / old.abs() * 100.0) } else { Value::Null }})
                }
                None => Value::Null,
            }
        };
        let next: Option<Value> = sqlx::query("SELECT id, selected_model, first_period, next_value, document FROM forecast_runs WHERE indicator_id = $1 ORDER BY seq DESC LIMIT 1")
            .bind(&ind.id)
            .fetch_optional(self.db().reader())
            .await?
            .map(|r| -> Result<Value, sqlx::Error> {
                // The first period's 80% bounds, from the stored run (null when the run has no 80% interval).
                let doc: Value = serde_json::from_str(&r.try_get::<String, _>("document")?).unwrap_or(Value::Null);
                let bound = |side: &str| doc["forecast"][side]["80"][0].as_f64().map_or(Value::Null, finite);
                Ok(json!({
                    "period": r.try_get::<String, _>("first_period")?, "value": finite(r.try_get::<f64, _>("next_value")?),
                    "lo": bound("lo"), "hi": bound("hi"),
                    "run_id": r.try_get::<String, _>("id")?, "model": r.try_get::<String, _>("selected_model")?,
                }))
            })
            .transpose()?;
        if let Some(o) = v.as_object_mut() {
            o.insert("observations".into(), json!(series.len()));
            match latest {
                Some((lp, lv, _)) => {
                    o.insert("latest".into(), json!({"period": period::label(lp), "value": lv}));
                    o.insert("change_previous".into(), change(lp, lv, period::step(freq)));
                    o.insert("change_year".into(), change(lp, lv, 12));
                }
                None => {
                    o.insert("latest".into(), Value::Null);
                    o.insert("change_previous".into(), Value::Null);
                    o.insert("change_year".into(), Value::Null);
                }
            }
            o.insert("next_forecast".into(), next.unwrap_or(Value::Null));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_retail_run_selects_a_model_that_beats_naive() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let retail = crate::demo::generate(today).into_iter().find(|s| s.id == "retail").unwrap();
        let hist = History { periods: retail.values.iter().map(|v| v.0).collect(), values: retail.values.iter().map(|v| v.1).collect() };
        let plan = RunPlan::from_request(&ForecastRequest {
            models: Some(vec!["seasonal_naive".into(), "ets".into(), "theta".into()]),
            ..Default::default()
        })
        .unwrap();
        let doc = compute(&plan, Frequency::Monthly, &hist).unwrap();
        let naive = doc["naive"]["backtest"]["mase"].as_f64().unwrap();
        let selected = doc["selected_model"].as_str().unwrap();
        let best = doc["models"].as_array().unwrap().iter().find(|m| m["model"] == selected).unwrap();
        let mase = best["backtest"]["mase"].as_f64().unwrap();
        eprintln!(
            "selected {selected} ({}) MASE {mase:.3} vs naive {naive:.3}; models: {}",
            best["label"],
            doc["models"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| format!("{}={}", m["model"], m["backtest"]["mase"]))
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert!(mase < naive, "{mase} vs naive {naive}");
        assert_eq!(doc["forecast"]["periods"][0], "2026-11");
        assert_eq!(doc["forecast"]["mean"].as_array().unwrap().len(), 12);
    }
}

#[cfg(test)]
mod default_run_tests {
    use super::*;

    fn demo_history(id: &str) -> History {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let s = crate::demo::generate(today).into_iter().find(|s| s.id == id).unwrap();
        History { periods: s.values.iter().map(|v| v.0).collect(), values: s.values.iter().map(|v| v.1).collect() }
    }

    #[test]
    fn default_run_is_fast_and_calibrated_from_the_backtest() {
        let hist = demo_history("retail");
        let plan = RunPlan::from_request(&ForecastRequest::default()).unwrap();
        assert_eq!(plan.policy, Policy::MeanOfBest(3));
        let t = std::time::Instant::now();
        let doc = compute(&plan, Frequency::Monthly, &hist).unwrap();
        let took = t.elapsed();
        eprintln!(
            "default run on {} months: {took:?}; selected {} {} members {}",
            hist.values.len(),
            doc["selected_model"],
            doc["forecast"]["label"],
            doc["members"]
        );
        assert_eq!(doc["selected_model"], "mean_of_best");
        assert_eq!(doc["members"].as_array().unwrap().len(), 3);
        // `auto` intervals: the model's and the backtest's views pooled.
        assert_eq!(doc["interval_method"], "calibrated");
        assert!(doc["model_interval_coverage"]["80"].is_number());
        assert_eq!(doc["models"].as_array().unwrap().len(), 5);
        // Every model has a backtest over the same 3 origins of 12 months.
        for m in doc["models"].as_array().unwrap() {
            assert_eq!(m["backtest"]["windows"], 3, "{m}");
            assert_eq!(m["backtest"]["horizon"], 12, "{m}");
        }
        let lo = doc["forecast"]["lo"]["95"].as_array().unwrap();
        let hi = doc["forecast"]["hi"]["95"].as_array().unwrap();
        let mean = doc["forecast"]["mean"].as_array().unwrap();
        for ((l, h), m) in lo.iter().zip(hi).zip(mean) {
            assert!(l.as_f64().unwrap() < m.as_f64().unwrap() && m.as_f64().unwrap() < h.as_f64().unwrap());
        }
        // Unoptimised glue over the optimised library: well under a second even in a debug build.
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");
        // The backtest report over the six standard models.
        let t = std::time::Instant::now();
        let report = backtest_report(Frequency::Monthly, &hist, &REPORT_MODELS, 12, 3, &[80.0, 95.0]).unwrap();
        let took = t.elapsed();
        eprintln!("backtest report: {took:?}; best {}", report["best"]);
        assert_eq!(report["models"].as_array().unwrap().len(), 6);
        assert_eq!(report["models"][0]["model"], "naive");
        assert_eq!(report["models"][0]["relative_mase"], 1.0);
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");
    }

    #[test]
    fn short_series_falls_back_without_a_backtest() {
        let hist = demo_history("retail");
        let short = History { periods: hist.periods[..14].to_vec(), values: hist.values[..14].to_vec() };
        let plan = RunPlan::from_request(&ForecastRequest::default()).unwrap();
        let doc = compute(&plan, Frequency::Monthly, &short).unwrap();
        assert_eq!(doc["selection"], "fallback");
        assert_eq!(doc["interval_method"], "model");
        assert!(doc["naive"]["backtest"].is_null());
        assert_eq!(doc["forecast"]["mean"].as_array().unwrap().len(), 12);
    }
}

#[cfg(test)]
mod coverage_eval {
    use super::*;

    /// Interval coverage of the default run on the competition series exported by
    /// `scripts/forecast_bench.py export --out DIR --every 10` (set `CITYOS_COVERAGE_DIR=DIR`).
    #[test]
    #[ignore = "needs the exported competition data; slow"]
    fn coverage_on_competition_data() {
        let dir = std::env::var("CITYOS_COVERAGE_DIR").unwrap();
        for file in ["m1.json", "tourism.json"] {
            let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{file}")).unwrap()).unwrap();
            // [model, conformal, auto] × [80, 95] counts.
            let mut inside = [[0usize; 2]; 3];
            let mut total = 0usize;
            let mut switched = 0usize;
            for r in &rows {
                let freq = period::parse_frequency(r["frequency"].as_str().unwrap()).unwrap();
                let values: Vec<f64> = r["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
                let test: Vec<f64> = r["test"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
                let periods: Vec<Period> = (0..values.len()).map(|i| 2000 * 12 + i as i64 * period::step(freq)).collect();
                let hist = History { periods, values };
                let mut docs = Vec::new();
                for method in ["model", "conformal", "auto"] {
                    let req = ForecastRequest { horizon: Some(test.len()), interval_method: Some(method.into()), ..Default::default() };
                    docs.push(compute(&RunPlan::from_request(&req).unwrap(), freq, &hist).unwrap());
                }
                if docs[2]["interval_method"] == "calibrated" {
                    switched += 1;
                }
                for (m, doc) in docs.iter().enumerate() {
                    for (j, key) in ["80", "95"].iter().enumerate() {
                        let lo = doc["forecast"]["lo"][*key].as_array().unwrap();
                        let hi = doc["forecast"]["hi"][*key].as_array().unwrap();
                        inside[m][j] += test
                            .iter()
                            .enumerate()
                            .filter(|(h, a)| lo[*h].as_f64().unwrap() <= **a && **a <= hi[*h].as_f64().unwrap())
                            .count();
                    }
                }
                total += test.len();
            }
            for (m, name) in ["model", "conformal", "auto"].iter().enumerate() {
                eprintln!(
                    "{file} {name}: {} series, {total} points, coverage 80% {:.3}, 95% {:.3}",
                    rows.len(),
                    inside[m][0] as f64 / total as f64,
                    inside[m][1] as f64 / total as f64
                );
            }
            eprintln!("{file}: auto calibrated {switched} of {} series (the rest had no backtest)", rows.len());
        }
    }
}
