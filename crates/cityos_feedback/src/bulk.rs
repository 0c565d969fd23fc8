//! Bulk actions on the queue: `POST /api/feedback/reports/bulk` applies one
//! lifecycle step to up to [`BULK_MAX`] reports.
//!
//! Each report goes through [`Feedback::transition`], the path a single
//! change takes, in a transaction of its own: the same role and unit checks,
//! the same lifecycle rules, and per report its history row, audit record,
//! event and notification to the citizen. One report failing (another unit's,
//! already closed, …) leaves the others done; the answer lists every id with
//! its outcome, and a refused report's entry carries only the problem, never
//! anything about the report.

use crate::model::Status;
use crate::reports::Transition;
use crate::Feedback;
use axum::extract::State;
use cityos_api::extract::Json;
use cityos_api::{ApiError, Caller, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most reports one bulk request may name.
pub const BULK_MAX: usize = 200;

/// A lifecycle step staff take for many reports at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    /// The unit takes the reports on (`acknowledged`).
    Acknowledge,
    /// Work has started (`in_progress`).
    StartProgress,
    /// Route to `agency_code` (`forwarded`); moving a report from one unit to
    /// another is for operators and needs the reason in `text`.
    Forward,
    /// Not for the city to handle (`rejected`); the reason in `text` is the public answer.
    Reject,
}

impl BulkAction {
    fn transition(self, req: &BulkRequest) -> Transition {
        let status = match self {
            Self::Acknowledge => Status::Acknowledged,
            Self::StartProgress => Status::InProgress,
            Self::Forward => Status::Forwarded,
            Self::Reject => Status::Rejected,
        };
        Transition {
            status,
            text: req.text.clone(),
            agency_code: if self == Self::Forward { req.agency_code.clone() } else { None },
            ..Transition::default()
        }
    }
}

/// Body of `POST /api/feedback/reports/bulk`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BulkRequest {
    /// Report ids or tracking codes (1–200; repeats count once).
    pub ids: Vec<String>,
    /// What to do with each.
    pub action: BulkAction,
    /// For `forward`: the unit.
    pub agency_code: Option<String>,
    /// Reason or public answer (required for `reject`, and for `forward` when it moves a report between units).
    pub text: Option<String>,
}

/// What became of one report of a bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BulkResult {
    /// The id as given.
    pub id: String,
    /// Whether the step was taken.
    pub ok: bool,
    /// The report's tracking code (when done).
    pub tracking_code: Option<String>,
    /// The report's status now (when done).
    pub status: Option<Status>,
    /// Why not (an RFC 9457 problem: `forbidden`, `not_found`, `conflict`, `invalid_input`, …).
    #[schema(value_type = Option<Object>)]
    pub error: Option<serde_json::Value>,
}

/// The answer to a bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BulkOutcome {
    /// Reports changed.
    pub succeeded: usize,
    /// Reports left as they were.
    pub failed: usize,
    /// One entry per distinct id, in the order given.
    pub results: Vec<BulkResult>,
}

/// Take one lifecycle step for many reports (operators; staff and agency
/// admins for their units' reports). Each report is checked and changed as by
/// `POST /api/feedback/reports/{id}/transition`; partial failure is normal
/// and answered 200 with each report's outcome.
#[utoipa::path(post, path = "/api/feedback/reports/bulk", tag = "feedback", request_body = BulkRequest,
    responses((status = 200, body = BulkOutcome), (status = 401), (status = 403), (status = 422)), security(("bearer" = [])))]
pub(crate) async fn bulk_reports(
    State(f): State<Feedback>,
    caller: Caller,
    Json(req): Json<BulkRequest>,
) -> Result<Json<BulkOutcome>, ApiError> {
    Ok(Json(f.bulk(&caller, &req).await?))
}

impl Feedback {
    /// Applies `req.action` to each report of `req.ids`, one transaction each
    /// (see the module docs).
    ///
    /// # Errors
    /// 401/403 for callers who handle no reports; 422 for no ids, more than
    /// [`BULK_MAX`], or a missing `agency_code` (forward) or `text` (reject).
    pub async fn bulk(&self, caller: &Caller, req: &BulkRequest) -> Result<BulkOutcome, ApiError> {
        caller.require_any(&[Role::Operator, Role::Staff, Role::AgencyAdmin])?;
        let mut ids: Vec<&str> = Vec::with_capacity(req.ids.len());
        for id in req.ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() || ids.len() > BULK_MAX {
            return Err(ApiError::invalid(format!("name 1–{BULK_MAX} reports in ids")));
        }
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|t| t.trim().is_empty());
        match req.action {
            BulkAction::Forward if blank(&req.agency_code) => return Err(ApiError::invalid("forward needs agency_code")),
            BulkAction::Reject if blank(&req.text) => return Err(ApiError::invalid("a rejection needs a reason in text")),
            _ => {}
        }
        let change = req.action.transition(req);
        let mut results = Vec::with_capacity(ids.len());
        for id in ids {
            results.push(match self.transition(caller, id, &change).await {
                Ok(r) => {
                    BulkResult { id: id.to_string(), ok: true, tracking_code: Some(r.tracking_code), status: Some(r.status), error: None }
                }
                Err(e) => {
                    let problem = ApiError::from(e).problem();
                    BulkResult { id: id.to_string(), ok: false, tracking_code: None, status: None, error: Some(problem) }
                }
            });
        }
        let succeeded = results.iter().filter(|r| r.ok).count();
        Ok(BulkOutcome { succeeded, failed: results.len() - succeeded, results })
    }
}
