//! `GET /api/audit`: auditors and administrators browse the log. Reading the
//! audit log is itself audited.

use crate::{search, AuditEntry, AuditQuery, AuditRecord};
use axum::extract::State;
use cityos_api::extract::{Json, Query};
use cityos_api::{ApiError, Caller, Role};
use cityos_core::{Page, PageParams, SharedClock};
use cityos_store::Db;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// State of the audit routes.
#[derive(Debug, Clone)]
pub struct AuditRoutes {
    /// Database.
    pub db: Db,
    /// Clock.
    pub clock: SharedClock,
}

/// Audit's routes.
pub fn router(state: AuditRoutes) -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(list)).with_state(state)
}

/// Paging for the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page (1-based).
    pub page: Option<u32>,
    /// Per page (max 500).
    pub per_page: Option<u32>,
}

/// Browse the audit log, newest first (admin, auditor).
#[utoipa::path(get, path = "/api/audit", tag = "audit", params(AuditQuery, Paging),
    responses((status = 200, body = Page<AuditEntry>), (status = 401), (status = 403)), security(("bearer" = [])))]
async fn list(
    State(s): State<AuditRoutes>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
    Query(p): Query<Paging>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    caller.require_any(&[Role::Auditor])?;
    let page = PageParams { page: p.page, per_page: p.per_page };
    let (items, total) = search(&s.db, &q, page.limit(), page.offset()).await.map_err(|e| ApiError::internal(&e))?;
    let record = AuditRecord {
        actor: caller.actor(),
        action: "audit.read".into(),
        object: "audit_log".into(),
        purpose: None,
        outcome: "success".into(),
        request_id: caller.request_id.clone(),
        row_count: Some(i64::try_from(items.len()).unwrap_or(i64::MAX)),
    };
    crate::append_now(&s.db, &s.clock, &record).await.map_err(|e| ApiError::internal(&e))?;
    Ok(Json(Page::new(items, total, &page)))
}
