//! Feedback's HTTP routes (`/api/feedback/*`). Each handler's doc line says
//! who may call it.

use crate::categories::{Category, NewRoute};
use crate::reports::{NewReport, PublicReport, Report, ReportQuery, Transition};
use crate::Feedback;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cityos_api::extract::{Json, Path, Query};
use cityos_api::{ApiError, Caller, Principal, Role};
use cityos_core::Page;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Feedback's routes.
pub fn router(feedback: Feedback) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(categories))
        .routes(routes!(put_category))
        .routes(routes!(list_routes, add_route))
        .routes(routes!(suggest))
        .routes(routes!(geocode))
        .routes(routes!(create_report, queue))
        .routes(routes!(get_report))
        .routes(routes!(transition))
        .routes(routes!(add_note))
        .routes(routes!(public_report))
        .routes(routes!(my_reports))
        .routes(routes!(my_feedback))
        .routes(routes!(duplicates))
        .routes(routes!(stats))
        .routes(routes!(ranking))
        .routes(routes!(crate::export::export_reports))
        .routes(routes!(crate::bulk::bulk_reports))
        .routes(routes!(crate::webhook_inbox::list_inbox))
        .routes(routes!(crate::webhook_inbox::retry_inbox))
        .routes(routes!(crate::webhook_inbox::dismiss_inbox))
        .with_state(feedback)
}

/// A list wrapper.
#[derive(Debug, Serialize, ToSchema)]
pub struct Items<T> {
    /// The items.
    pub items: Vec<T>,
}

/// The category tree (public).
#[utoipa::path(get, path = "/api/feedback/categories", tag = "feedback", responses((status = 200, body = Items<Category>)))]
async fn categories(State(f): State<Feedback>) -> Result<Json<Items<Category>>, ApiError> {
    Ok(Json(Items { items: f.categories().await? }))
}

/// Create or replace a category (admin).
#[utoipa::path(put, path = "/api/feedback/categories/{code}", tag = "feedback", params(("code" = String, Path)), request_body = Category,
    responses((status = 204), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn put_category(
    State(f): State<Feedback>,
    caller: Caller,
    Path(code): Path<String>,
    Json(mut c): Json<Category>,
) -> Result<StatusCode, ApiError> {
    caller.require_any(&[Role::Admin])?;
    c.code = code;
    f.put_category(Some(&caller), &c, 1000).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A routing rule as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteRule {
    /// Category, none for any.
    pub category_code: Option<String>,
    /// Ward, none for any.
    pub jurisdiction_code: Option<String>,
    /// Responsible unit.
    pub agency_code: String,
}

/// Routing rules (admin, operator).
#[utoipa::path(get, path = "/api/feedback/routes", tag = "feedback", responses((status = 200, body = Items<RouteRule>), (status = 403)), security(("bearer" = [])))]
async fn list_routes(State(f): State<Feedback>, caller: Caller) -> Result<Json<Items<RouteRule>>, ApiError> {
    caller.require_any(&[Role::Operator])?;
    let rows =
        sqlx::query("SELECT category_code, jurisdiction_code, agency_code FROM feedback_routes ORDER BY category_code, jurisdiction_code")
            .fetch_all(f.db().reader())
            .await
            .map_err(|e| ApiError::internal(&e))?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(RouteRule {
                category_code: r.try_get("category_code")?,
                jurisdiction_code: r.try_get("jurisdiction_code")?,
                agency_code: r.try_get("agency_code")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(Items { items }))
}

/// Add a routing rule (admin, operator).
#[utoipa::path(post, path = "/api/feedback/routes", tag = "feedback", request_body = NewRoute, responses((status = 201), (status = 403), (status = 409)), security(("bearer" = [])))]
async fn add_route(State(f): State<Feedback>, caller: Caller, Json(r): Json<NewRoute>) -> Result<StatusCode, ApiError> {
    f.add_route(Some(&caller), &r).await?;
    Ok(StatusCode::CREATED)
}

/// Text to classify.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestQuery {
    /// The citizen's words.
    pub text: String,
}

/// Suggested category for a description (public; the portal's form uses it).
#[utoipa::path(get, path = "/api/feedback/suggest", tag = "feedback", params(SuggestQuery), responses((status = 200, body = Option<Category>)))]
async fn suggest(State(f): State<Feedback>, Query(q): Query<SuggestQuery>) -> Result<Json<Option<Category>>, ApiError> {
    Ok(Json(f.suggest_category(&q.text).await?))
}

/// An address to locate.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GeocodeQuery {
    /// The address, e.g. `12 Lê Lợi, phường Sài Gòn` (pre-2025 ward names work too).
    pub q: String,
}

/// Where an address is (public; the portal's "find address" uses it): the
/// city's geocoder when configured, else the centroid of the ward it names.
/// 404 when nothing matches.
#[utoipa::path(get, path = "/api/feedback/geocode", tag = "feedback", params(GeocodeQuery),
    responses((status = 200, body = crate::geocode::Place), (status = 404), (status = 422)))]
async fn geocode(State(f): State<Feedback>, Query(q): Query<GeocodeQuery>) -> Result<Json<crate::geocode::Place>, ApiError> {
    if q.q.trim().chars().count() < 2 || q.q.chars().count() > 300 {
        return Err(ApiError::invalid("q must be 2–300 characters"));
    }
    f.geocode(&q.q).await?.map(Json).ok_or_else(|| ApiError::not_found("no place matches this address"))
}

/// File a report (anyone: citizens anonymously or signed in, operators for callers).
/// Staff get the full report back; everyone else the public view with the tracking code
/// and an `upload` grant to attach photos and videos (`X-Upload-Token`, 30 minutes).
#[utoipa::path(post, path = "/api/feedback/reports", tag = "feedback", request_body = NewReport,
    responses((status = 201, body = crate::media::Filed), (status = 422), (status = 429)))]
async fn create_report(State(f): State<Feedback>, caller: Caller, Json(mut new): Json<NewReport>) -> Result<Response, ApiError> {
    // Only the call centre files phone reports; webhooks and Open311 have their own endpoints.
    let staff = matches!(caller.principal, Principal::Staff { .. });
    new.channel = if staff && caller.has_any(&[Role::Operator]) { crate::Channel::Phone } else { crate::Channel::Web };
    let report = f.create_report(&caller, &new).await?;
    if staff {
        Ok((StatusCode::CREATED, Json(report)).into_response())
    } else {
        let public = f.public_report(&report.tracking_code).await?;
        let upload = crate::media::grant_upload(&f, &report.id).await;
        Ok((StatusCode::CREATED, Json(crate::media::Filed { report: public, upload })).into_response())
    }
}

/// The queue (operators: every unit; staff, viewers, agency admins: their units'). Audited.
#[utoipa::path(get, path = "/api/feedback/reports", tag = "feedback", params(ReportQuery),
    responses((status = 200, body = Page<Report>), (status = 401), (status = 403)), security(("bearer" = [])))]
async fn queue(State(f): State<Feedback>, caller: Caller, Query(q): Query<ReportQuery>) -> Result<Json<Page<Report>>, ApiError> {
    Ok(Json(f.queue(&caller, &q).await?))
}

/// One report with its history and the reporter's contact (staff of the unit, operators). Audited.
#[utoipa::path(get, path = "/api/feedback/reports/{id}", tag = "feedback", params(("id" = String, Path, description = "id or tracking code")),
    responses((status = 200, body = Report), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_report(State(f): State<Feedback>, caller: Caller, Path(id): Path<String>) -> Result<Json<Report>, ApiError> {
    Ok(Json(f.report(&caller, &id).await?))
}

/// Move a report through its lifecycle (operators; staff of the unit).
#[utoipa::path(post, path = "/api/feedback/reports/{id}/transition", tag = "feedback", params(("id" = String, Path)), request_body = Transition,
    responses((status = 200, body = Report), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn transition(
    State(f): State<Feedback>,
    caller: Caller,
    Path(id): Path<String>,
    Json(t): Json<Transition>,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(f.transition(&caller, &id, &t).await?))
}

/// An internal note.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Note {
    /// The note (never shown to citizens).
    pub text: String,
}

/// Add an internal note (operators; staff of the unit).
#[utoipa::path(post, path = "/api/feedback/reports/{id}/notes", tag = "feedback", params(("id" = String, Path)), request_body = Note,
    responses((status = 201), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn add_note(State(f): State<Feedback>, caller: Caller, Path(id): Path<String>, Json(n): Json<Note>) -> Result<StatusCode, ApiError> {
    f.note(&caller, &id, &n.text).await?;
    Ok(StatusCode::CREATED)
}

/// A report's public view by tracking code (anyone): no personal data.
#[utoipa::path(get, path = "/api/feedback/public/reports/{code}", tag = "feedback", params(("code" = String, Path)),
    responses((status = 200, body = PublicReport), (status = 404)))]
async fn public_report(State(f): State<Feedback>, Path(code): Path<String>) -> Result<Json<PublicReport>, ApiError> {
    Ok(Json(f.public_report(&code).await?))
}

/// The signed-in citizen's own reports (that citizen).
#[utoipa::path(get, path = "/api/feedback/my/reports", tag = "feedback", responses((status = 200, body = Items<PublicReport>), (status = 401)), security(("bearer" = [])))]
async fn my_reports(State(f): State<Feedback>, caller: Caller) -> Result<Json<Items<PublicReport>>, ApiError> {
    Ok(Json(Items { items: f.my_reports(&caller).await? }))
}

/// The citizen's answer to "is it really fixed?".
#[derive(Debug, Deserialize, ToSchema)]
pub struct CitizenAnswer {
    /// True: fixed (closes it). False: not fixed (reopens it).
    pub fixed: bool,
    /// Satisfaction 1–5.
    pub rating: Option<i64>,
    /// Comment.
    pub comment: Option<String>,
}

/// Confirm or reopen a resolved report, and rate it (the reporting citizen).
#[utoipa::path(post, path = "/api/feedback/my/reports/{code}/feedback", tag = "feedback", params(("code" = String, Path)), request_body = CitizenAnswer,
    responses((status = 200, body = PublicReport), (status = 403), (status = 409)), security(("bearer" = [])))]
async fn my_feedback(
    State(f): State<Feedback>,
    caller: Caller,
    Path(code): Path<String>,
    Json(a): Json<CitizenAnswer>,
) -> Result<Json<PublicReport>, ApiError> {
    let r = f.citizen_feedback(&caller, &code, a.fixed, a.rating, a.comment.as_deref()).await?;
    Ok(Json(f.public_report(&r.tracking_code).await?))
}

/// Likely duplicates of a report being written (public): open reports of the
/// last 30 days within 250 m, same category when given.
#[utoipa::path(get, path = "/api/feedback/duplicates", tag = "feedback", params(crate::insights::DuplicateQuery),
    responses((status = 200, body = Items<crate::insights::DuplicateCandidate>), (status = 422)))]
async fn duplicates(
    State(f): State<Feedback>,
    Query(q): Query<crate::insights::DuplicateQuery>,
) -> Result<Json<Items<crate::insights::DuplicateCandidate>>, ApiError> {
    Ok(Json(Items { items: f.likely_duplicates(&q).await? }))
}

/// Per-unit dashboard: received, on-time %, overdue, handling time, satisfaction
/// (operators and analysts: all units; staff, viewers, agency admins: theirs).
#[utoipa::path(get, path = "/api/feedback/stats", tag = "feedback", params(crate::insights::StatsQuery),
    responses((status = 200, body = Items<crate::insights::UnitStats>), (status = 401), (status = 403)), security(("bearer" = [])))]
async fn stats(
    State(f): State<Feedback>,
    caller: Caller,
    Query(q): Query<crate::insights::StatsQuery>,
) -> Result<Json<Items<crate::insights::UnitStats>>, ApiError> {
    Ok(Json(Items { items: f.stats(&caller, &q).await? }))
}

/// The public ranking of units by on-time rate, then satisfaction (public).
#[utoipa::path(get, path = "/api/feedback/public/ranking", tag = "feedback", params(crate::insights::StatsQuery),
    responses((status = 200, body = Items<crate::insights::UnitStats>)))]
async fn ranking(
    State(f): State<Feedback>,
    Query(q): Query<crate::insights::StatsQuery>,
) -> Result<Json<Items<crate::insights::UnitStats>>, ApiError> {
    Ok(Json(Items { items: f.ranking(&q).await? }))
}
