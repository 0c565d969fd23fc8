//! `/api/forecast/…`: indicators, vintages, forecast runs, explanations, backtests,
//! decompositions, anomalies, reconciliation and the city dashboard (see `docs/FORECASTING.md`).
//! Reads of public indicators are open (anonymous callers are rate limited by the platform);
//! internal indicators need a staff member; writes need `analyst` or `admin`.

use crate::model::{ForecastRequest, Indicator, IndicatorPatch, NewIndicator, ObservationsInput, ReconcileRequest};
use crate::runs::{self, REPORT_MODELS};
use crate::store::{Author, IndicatorFilter};
use crate::{ForecastCentre, ForecastError};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cityos_api::extract::{Json, Path, Query};
use cityos_api::{ApiError, Caller};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The `/api/forecast` routes.
pub fn router(centre: ForecastCentre) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(dashboard))
        .routes(routes!(list_indicators, create_indicator))
        .routes(routes!(get_indicator, update_indicator))
        .routes(routes!(series))
        .routes(routes!(vintages))
        .routes(routes!(add_observations))
        .routes(routes!(refresh))
        .routes(routes!(run_forecast, list_forecasts))
        .routes(routes!(get_run))
        .routes(routes!(explain_run))
        .routes(routes!(backtest))
        .routes(routes!(decomposition))
        .routes(routes!(anomalies))
        .routes(routes!(reconcile))
        .with_state(centre)
}

fn api(e: ForecastError) -> ApiError {
    e.into()
}

/// `{"indicators": [summary, …]}` for `list`, in its order.
async fn summaries(c: &ForecastCentre, list: &[Indicator]) -> Result<Json<Value>, ApiError> {
    let mut out = Vec::with_capacity(list.len());
    for ind in list {
        out.push(c.summary(ind).await.map_err(api)?);
    }
    Ok(Json(json!({ "indicators": out })))
}

/// Filters for the indicator list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// Words in the code or names (accents optional).
    pub q: Option<String>,
    /// `monthly`, `quarterly` or `yearly`.
    pub frequency: Option<String>,
    /// GSO code.
    pub jurisdiction: Option<String>,
    /// Parent indicator id.
    pub parent: Option<String>,
}

/// A vintage to read.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VintageQuery {
    /// Vintage `seq` (default: the latest).
    pub vintage: Option<i64>,
}

/// How many runs to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// At most this many (1..=200, default 50).
    pub limit: Option<i64>,
}

/// The run to compare with.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    /// Another run of the same indicator (default: the previous run).
    pub against: Option<String>,
}

/// Backtest parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BacktestQuery {
    /// Steps per window, 1..=60 (default 12 monthly, 8 quarterly, 6 yearly).
    pub horizon: Option<usize>,
    /// Comma-separated model names.
    pub models: Option<String>,
    /// Windows, 1..=10 (default 3).
    pub windows: Option<usize>,
    /// Vintage (default latest).
    pub vintage: Option<i64>,
}

/// The city's main indicators with their latest value, change and next forecast.
#[utoipa::path(get, path = "/api/forecast/dashboard", tag = "forecast",
    responses((status = 200, description = "`{indicators: [summary]}`", body = Object)))]
async fn dashboard(State(c): State<ForecastCentre>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let list =
        c.list(&caller, &IndicatorFilter { jurisdiction: Some("79".into()), main_only: true, ..Default::default() }).await.map_err(api)?;
    summaries(&c, &list).await
}

/// Indicators the caller may read, with latest value, changes and next forecast.
#[utoipa::path(get, path = "/api/forecast/indicators", tag = "forecast", params(IndicatorQuery),
    responses((status = 200, description = "`{indicators: [summary]}`", body = Object), (status = 400)))]
async fn list_indicators(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Query(q): Query<IndicatorQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = IndicatorFilter { q: q.q, frequency: q.frequency, jurisdiction: q.jurisdiction, parent: q.parent, main_only: false };
    let list = c.list(&caller, &filter).await.map_err(api)?;
    summaries(&c, &list).await
}

/// Creates an indicator (analyst, admin).
#[utoipa::path(post, path = "/api/forecast/indicators", tag = "forecast", request_body = NewIndicator,
    responses((status = 201, description = "the indicator summary", body = Object), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
async fn create_indicator(State(c): State<ForecastCentre>, caller: Caller, Json(new): Json<NewIndicator>) -> Result<Response, ApiError> {
    let author = Author::of(&caller, new.jurisdiction.as_deref().or(Some("79")))?;
    let ind = c.create(&author, &new).await.map_err(api)?;
    Ok((StatusCode::CREATED, Json(c.summary(&ind).await.map_err(api)?)).into_response())
}

/// An indicator with its latest value, changes and next forecast.
#[utoipa::path(get, path = "/api/forecast/indicators/{id}", tag = "forecast", params(("id" = String, Path, description = "indicator id")),
    responses((status = 200, description = "the indicator summary", body = Object), (status = 401), (status = 403), (status = 404)))]
async fn get_indicator(State(c): State<ForecastCentre>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let ind = c.readable(&caller, &id).await.map_err(api)?;
    Ok(Json(c.summary(&ind).await.map_err(api)?))
}

/// Updates an indicator (analyst, admin).
#[utoipa::path(patch, path = "/api/forecast/indicators/{id}", tag = "forecast", params(("id" = String, Path, description = "indicator id")), request_body = IndicatorPatch,
    responses((status = 200, description = "the indicator summary", body = Object), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn update_indicator(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Path(id): Path<String>,
    Json(patch): Json<IndicatorPatch>,
) -> Result<Json<Value>, ApiError> {
    Author::of(&caller, None)?;
    let ind = c.find(&id).await.map_err(api)?.ok_or_else(|| crate::store::unknown_indicator(&id))?;
    let author = Author::of(&caller, Some(&ind.jurisdiction))?;
    let ind = c.update(&author, &ind, &patch).await.map_err(api)?;
    Ok(Json(c.summary(&ind).await.map_err(api)?))
}

/// The series as of a vintage.
#[utoipa::path(get, path = "/api/forecast/indicators/{id}/series", tag = "forecast", params(("id" = String, Path, description = "indicator id"), VintageQuery),
    responses((status = 200, description = "`{indicator_id, vintage, frequency, observations: [{period, value, vintage}]}`", body = Object), (status = 401), (status = 403), (status = 404)))]
async fn series(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<VintageQuery>,
) -> Result<Json<Value>, ApiError> {
    let ind = c.readable(&caller, &id).await.map_err(api)?;
    let vintage = ForecastCentre::vintage_or_latest(&ind, q.vintage).map_err(api)?;
    let obs = c.observations(&ind, vintage).await.map_err(api)?;
    Ok(Json(json!({"indicator_id": ind.id, "vintage": vintage, "frequency": ind.frequency, "unit": ind.unit, "observations": obs})))
}

/// Every vintage, newest first.
#[utoipa::path(get, path = "/api/forecast/indicators/{id}/vintages", tag = "forecast", params(("id" = String, Path, description = "indicator id")),
    responses((status = 200, description = "`{vintages: [Vintage]}`", body = Object), (status = 401), (status = 403), (status = 404)))]
async fn vintages(State(c): State<ForecastCentre>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let ind = c.readable(&caller, &id).await.map_err(api)?;
    Ok(Json(json!({"vintages": c.vintages(&ind).await.map_err(api)?})))
}

/// Adds new and revised observations as a new vintage (analyst, admin).
#[utoipa::path(post, path = "/api/forecast/indicators/{id}/observations", tag = "forecast", params(("id" = String, Path, description = "indicator id")), request_body = ObservationsInput,
    responses((status = 201, description = "the vintage", body = crate::model::Vintage), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn add_observations(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<ObservationsInput>,
) -> Result<Response, ApiError> {
    Author::of(&caller, None)?;
    let ind = c.find(&id).await.map_err(api)?.ok_or_else(|| crate::store::unknown_indicator(&id))?;
    let author = Author::of(&caller, Some(&ind.jurisdiction))?;
    let v = c.add_observations(&author, &ind, &input).await.map_err(api)?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Reads the indicator's dataset column (its `dataset` source) through the data hub, with the
/// caller's own read rights, and adds the values as a new vintage exactly as posted observations
/// are (analyst, admin). Periods: `YYYY-MM`, `YYYY-Qn`, `YYYY`, or dates `YYYY-MM-DD` /
/// `dd/mm/yyyy` reduced to the indicator's frequency; empty values are skipped; a period in two
/// rows is refused.
#[utoipa::path(post, path = "/api/forecast/indicators/{id}/refresh", tag = "forecast", params(("id" = String, Path, description = "indicator id")),
    responses((status = 201, description = "the new vintage", body = crate::model::Vintage), (status = 401), (status = 403, description = "no right to write the indicator or to read the dataset"),
        (status = 404, description = "unknown indicator or dataset"), (status = 409, description = "`not_dataset_sourced`"),
        (status = 422, description = "`no_data`, `unknown_column`, `invalid_period`, `invalid_value`, `duplicate_periods`, `no_rows`, `too_many_rows`")),
    security(("bearer" = [])))]
async fn refresh(State(c): State<ForecastCentre>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    Author::of(&caller, None)?;
    let ind = c.find(&id).await.map_err(api)?.ok_or_else(|| crate::store::unknown_indicator(&id))?;
    let author = Author::of(&caller, Some(&ind.jurisdiction))?;
    let v = c.refresh(&caller, &author, &ind).await.map_err(api)?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Runs a forecast and stores it with its inputs (analyst, admin).
#[utoipa::path(post, path = "/api/forecast/indicators/{id}/forecasts", tag = "forecast", params(("id" = String, Path, description = "indicator id")), request_body = ForecastRequest,
    responses((status = 201, description = "the stored run", body = Object), (status = 400), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn run_forecast(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<ForecastRequest>,
) -> Result<Response, ApiError> {
    Author::of(&caller, None)?;
    let ind = c.find(&id).await.map_err(api)?.ok_or_else(|| crate::store::unknown_indicator(&id))?;
    let author = Author::of(&caller, Some(&ind.jurisdiction))?;
    let run = c.run(&author, &ind, &req).await.map_err(api)?;
    Ok((StatusCode::CREATED, Json(run)).into_response())
}

/// Stored runs of an indicator, newest first.
#[utoipa::path(get, path = "/api/forecast/indicators/{id}/forecasts", tag = "forecast", params(("id" = String, Path, description = "indicator id"), RunsQuery),
    responses((status = 200, description = "`{runs: [RunSummary]}`", body = Object), (status = 401), (status = 403), (status = 404)))]
async fn list_forecasts(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RunsQuery>,
) -> Result<Json<Value>, ApiError> {
    let ind = c.readable(&caller, &id).await.map_err(api)?;
    let runs = c.list_runs(&ind, q.limit.unwrap_or(50).clamp(1, 200)).await.map_err(api)?;
    Ok(Json(json!({ "runs": runs })))
}

/// A stored run: request, inputs, selected model, every model's forecast and backtest.
#[utoipa::path(get, path = "/api/forecast/runs/{id}", tag = "forecast", params(("id" = String, Path, description = "run id")),
    responses((status = 200, description = "the run", body = Object), (status = 401), (status = 403), (status = 404)))]
async fn get_run(State(c): State<ForecastCentre>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(c.get_run(&caller, &id).await.map_err(api)?.1))
}

/// Why a run differs from the previous one (or `against`): new and revised observations, model,
/// parameter and forecast changes.
#[utoipa::path(get, path = "/api/forecast/runs/{id}/explain", tag = "forecast", params(("id" = String, Path, description = "run id"), ExplainQuery),
    responses((status = 200, description = "the explanation", body = Object), (status = 400), (status = 401), (status = 403), (status = 404)))]
async fn explain_run(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ExplainQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(c.explain(&caller, &id, q.against.as_deref()).await.map_err(api)?))
}

/// Rolling-origin backtest report: MASE, sMAPE and interval coverage per model against naive.
#[utoipa::path(get, path = "/api/forecast/indicators/{id}/backtest", tag = "forecast", params(("id" = String, Path, description = "indicator id"), BacktestQuery),
    responses((status = 200, description = "the report", body = Object), (status = 400), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn backtest(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<BacktestQuery>,
) -> Result<Json<Value>, ApiError> {
    let ind = c.readable(&caller, &id).await.map_err(api)?;
    let vintage = ForecastCentre::vintage_or_latest(&ind, q.vintage).map_err(api)?;
    let horizon = runs::check_horizon(q.horizon.unwrap_or_else(|| runs::default_horizon(crate::store::frequency(&ind)))).map_err(api)?;
    let windows = q.windows.unwrap_or(3);
    if !(1..=10).contains(&windows) {
        return Err(ApiError::bad_request("invalid_request", "windows must be between 1 and 10"));
    }
    let models = match q.models.as_deref() {
        Some(m) => runs::parse_models(&m.split(',').collect::<Vec<_>>()).map_err(api)?,
        None => REPORT_MODELS.to_vec(),
    };
    Ok(Json(c.backtest(&ind, vintage, &models, horizon, windows).await.map_err(api)?))
}

/// Trend, seasonal and remainder (they add up to the observations).
#[utoipa::path(get, path = "/api/forecast/indicators/{id}/decomposition", tag = "forecast", params(("id" = String, Path, description = "indicator id"), VintageQuery),
    responses((status = 200, description = "the decomposition", body = Object), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn decomposition(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<VintageQuery>,
) -> Result<Json<Value>, ApiError> {
    let ind = c.readable(&caller, &id).await.map_err(api)?;
    let vintage = ForecastCentre::vintage_or_latest(&ind, q.vintage).map_err(api)?;
    Ok(Json(c.decomposition(&ind, vintage).await.map_err(api)?))
}

/// Outliers and changepoints.
#[utoipa::path(get, path = "/api/forecast/indicators/{id}/anomalies", tag = "forecast", params(("id" = String, Path, description = "indicator id"), VintageQuery),
    responses((status = 200, description = "`{outliers, changepoints}`", body = Object), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn anomalies(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<VintageQuery>,
) -> Result<Json<Value>, ApiError> {
    let ind = c.readable(&caller, &id).await.map_err(api)?;
    let vintage = ForecastCentre::vintage_or_latest(&ind, q.vintage).map_err(api)?;
    Ok(Json(c.anomalies(&ind, vintage).await.map_err(api)?))
}

/// Reconciles a parent indicator's forecast with its children's (bottom-up and MinT).
#[utoipa::path(post, path = "/api/forecast/indicators/{id}/reconcile", tag = "forecast", params(("id" = String, Path, description = "parent indicator id")), request_body = ReconcileRequest,
    responses((status = 200, description = "base and reconciled forecasts", body = Object), (status = 400), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn reconcile(
    State(c): State<ForecastCentre>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<ReconcileRequest>,
) -> Result<Json<Value>, ApiError> {
    let ind = c.readable(&caller, &id).await.map_err(api)?;
    Ok(Json(c.reconcile(&caller, &ind, &req).await.map_err(api)?))
}
