//! The operators' view of the webhook inbox ([`crate::webhooks`]): messages
//! that came by SMS, Zalo, Messenger or e-mail and did not become reports.
//!
//! - `GET /api/feedback/inbox?state=failed` (default): messages given up on —
//!   refused (too short, no sender, …) or failed every attempt;
//!   `state=pending`: messages still waiting for a (further) attempt.
//! - `POST /api/feedback/inbox/{id}/retry`: try again now, with a fresh
//!   attempt count; the answer says whether it became a report.
//! - `POST /api/feedback/inbox/{id}/dismiss`: nothing to do (spam, a test);
//!   the message is never retried and goes with the inbox's retention purge.
//!
//! Operators (and admins) triage these: the call centre is who can ring the
//! citizen back, and operators see reporters' contacts in the queue as well,
//! so the sender is shown; the message text is shown as a preview with phone
//! numbers and e-mail addresses masked, and the raw payload never leaves.
//! Every listing is audited as a read, every retry and dismissal as a write.

use crate::reports::mask_personal;
use crate::webhooks::parse_inbound;
use crate::{Feedback, FeedbackError};
use axum::extract::State;
use cityos_api::extract::{Json, Path, Query};
use cityos_api::{ApiError, Caller, Role};
use cityos_audit::AuditRecord;
use cityos_core::{from_millis, to_millis, Page, PageParams};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use utoipa::{IntoParams, ToSchema};

/// Who was dismissed, and when (both backends).
pub(crate) const DISMISSED_SQL: &str = "ALTER TABLE webhook_inbox ADD COLUMN dismissed_at BIGINT;
    ALTER TABLE webhook_inbox ADD COLUMN dismissed_by TEXT;";

/// Roles that triage the inbox.
const TRIAGE: &[Role] = &[Role::Operator];
/// Characters of a message shown in the list.
const PREVIEW_CHARS: usize = 280;

/// Which messages to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxState {
    /// Given up on: refused, or failed every attempt (and not dismissed).
    #[default]
    Failed,
    /// Waiting for a (further) attempt.
    Pending,
    /// Filed as a report (after a retry).
    Filed,
    /// Dismissed by an operator.
    Dismissed,
}

/// Filters of the inbox list.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `failed` (default) or `pending`.
    pub state: Option<InboxState>,
    /// Page.
    pub page: Option<u32>,
    /// Per page.
    pub per_page: Option<u32>,
}

/// A message of the inbox as operators see it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InboxMessage {
    /// Inbox id.
    pub id: String,
    /// `sms`, `zalo`, `facebook` or `email`.
    pub channel: String,
    /// When it arrived.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// Attempts to file it so far.
    pub attempts: i64,
    /// Where it stands.
    pub state: InboxState,
    /// Why it is not a report (phone numbers and e-mail addresses masked).
    pub error: Option<String>,
    /// The start of the message, phone numbers and e-mail addresses masked.
    pub preview: Option<String>,
    /// Whether a location came with it.
    pub has_location: bool,
    /// The sender: a phone number for SMS, the chat user id for Zalo and Messenger, the address for e-mail.
    pub sender: Option<String>,
    /// For pending messages: the next attempt.
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    /// For filed messages: the report's tracking code.
    pub tracking_code: Option<String>,
}

const SELECT: &str = "SELECT w.id, w.channel, w.payload, w.received_at, w.attempts, w.next_attempt_at, w.processed_at, w.report_id,
    w.error, w.dismissed_at, r.tracking_code FROM webhook_inbox w LEFT JOIN reports r ON r.id = w.report_id";

fn decode(row: &sqlx::any::AnyRow) -> Result<InboxMessage, sqlx::Error> {
    let channel: String = row.try_get("channel")?;
    let payload: String = row.try_get("payload")?;
    let processed: Option<i64> = row.try_get("processed_at")?;
    let report: Option<String> = row.try_get("report_id")?;
    let dismissed: Option<i64> = row.try_get("dismissed_at")?;
    let state = match (report.is_some(), dismissed.is_some(), processed.is_some()) {
        (true, _, _) => InboxState::Filed,
        (false, true, _) => InboxState::Dismissed,
        (false, false, true) => InboxState::Failed,
        (false, false, false) => InboxState::Pending,
    };
    let message = parse_inbound(&channel, &payload).ok();
    let preview = message.as_ref().and_then(|m| m.text.as_deref()).map(|t| {
        let masked = mask_personal(t);
        if masked.chars().count() > PREVIEW_CHARS {
            format!("{}…", masked.chars().take(PREVIEW_CHARS).collect::<String>())
        } else {
            masked
        }
    });
    Ok(InboxMessage {
        id: row.try_get("id")?,
        received_at: from_millis(row.try_get("received_at")?),
        attempts: row.try_get("attempts")?,
        state,
        error: row.try_get::<Option<String>, _>("error")?.map(|e| mask_personal(&e)),
        preview,
        has_location: message.as_ref().is_some_and(|m| m.lat.is_some()),
        sender: message.map(|m| m.sender),
        next_attempt_at: if state == InboxState::Pending { Some(from_millis(row.try_get("next_attempt_at")?)) } else { None },
        tracking_code: row.try_get("tracking_code")?,
        channel,
    })
}

/// Messages that did not become reports (operators). Audited.
#[utoipa::path(get, path = "/api/feedback/inbox", tag = "feedback", params(InboxQuery),
    responses((status = 200, body = Page<InboxMessage>), (status = 401), (status = 403)), security(("bearer" = [])))]
pub(crate) async fn list_inbox(
    State(f): State<Feedback>,
    caller: Caller,
    Query(q): Query<InboxQuery>,
) -> Result<Json<Page<InboxMessage>>, ApiError> {
    Ok(Json(f.inbox(&caller, &q).await?))
}

/// Try a message again now (operators): it becomes a report or says why not.
#[utoipa::path(post, path = "/api/feedback/inbox/{id}/retry", tag = "feedback", params(("id" = String, Path)),
    responses((status = 200, body = InboxMessage), (status = 401), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
pub(crate) async fn retry_inbox(State(f): State<Feedback>, caller: Caller, Path(id): Path<String>) -> Result<Json<InboxMessage>, ApiError> {
    Ok(Json(f.retry_inbox_message(&caller, &id).await?))
}

/// Set a message aside for good (operators).
#[utoipa::path(post, path = "/api/feedback/inbox/{id}/dismiss", tag = "feedback", params(("id" = String, Path)),
    responses((status = 200, body = InboxMessage), (status = 401), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
pub(crate) async fn dismiss_inbox(
    State(f): State<Feedback>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InboxMessage>, ApiError> {
    Ok(Json(f.dismiss_inbox_message(&caller, &id).await?))
}

impl Feedback {
    /// A page of failed (default) or pending inbox messages, newest first.
    ///
    /// # Errors
    /// 401/403 for anyone but operators; 422 for another state.
    pub async fn inbox(&self, caller: &Caller, q: &InboxQuery) -> Result<Page<InboxMessage>, FeedbackError> {
        caller.require_any(TRIAGE)?;
        let (list, count) = match q.state.unwrap_or_default() {
            InboxState::Failed => (
                "WHERE w.processed_at IS NOT NULL AND w.report_id IS NULL AND w.dismissed_at IS NULL",
                "SELECT COUNT(*) AS n FROM webhook_inbox WHERE processed_at IS NOT NULL AND report_id IS NULL AND dismissed_at IS NULL",
            ),
            InboxState::Pending => ("WHERE w.processed_at IS NULL", "SELECT COUNT(*) AS n FROM webhook_inbox WHERE processed_at IS NULL"),
            InboxState::Filed | InboxState::Dismissed => return Err(ApiError::invalid("state must be failed or pending").into()),
        };
        let page = PageParams { page: q.page, per_page: q.per_page };
        let sql = format!("{SELECT} {list} ORDER BY w.received_at DESC, w.id DESC LIMIT $1 OFFSET $2");
        let rows = sqlx::query(&sql).bind(page.limit()).bind(page.offset()).fetch_all(self.db().reader()).await?;
        let total: i64 = sqlx::query(count).fetch_one(self.db().reader()).await?.try_get("n")?;
        let items = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "feedback.inbox.read".into(),
            object: "webhook_inbox".into(),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(i64::try_from(items.len()).unwrap_or(i64::MAX)),
        };
        cityos_audit::append_now(self.db(), self.clock(), &rec).await?;
        Ok(Page::new(items, total, &page))
    }

    async fn inbox_message(&self, id: &str) -> Result<Option<InboxMessage>, FeedbackError> {
        let sql = format!("{SELECT} WHERE w.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.db().reader()).await?;
        Ok(row.as_ref().map(decode).transpose()?)
    }

    /// The message `id` if it may still become a report: 404 when there is
    /// none, 409 when it is a report already, dismissed, or being filed now.
    async fn open_message(&self, id: &str) -> Result<InboxMessage, FeedbackError> {
        let m = self.inbox_message(id).await?.ok_or_else(|| ApiError::not_found("no such inbox message"))?;
        match m.state {
            InboxState::Filed => Err(ApiError::conflict("this message is a report already").into()),
            InboxState::Dismissed => Err(ApiError::conflict("this message was dismissed").into()),
            InboxState::Failed | InboxState::Pending => Ok(m),
        }
    }

    /// Retries an inbox message now: its attempt count starts again and it is
    /// filed at once (or recorded as failed with the reason).
    ///
    /// # Errors
    /// 401/403 for anyone but operators; 404; 409 when it is filed, dismissed or being filed.
    pub async fn retry_inbox_message(&self, caller: &Caller, id: &str) -> Result<InboxMessage, FeedbackError> {
        caller.require_any(TRIAGE)?;
        let m = self.open_message(id).await?;
        let now = to_millis(self.clock().now());
        let mut tx = self.db().begin().await?;
        let reset = sqlx::query(
            "UPDATE webhook_inbox SET processed_at = NULL, attempts = 0, next_attempt_at = $2, claimed_at = NULL, error = NULL
             WHERE id = $1 AND report_id IS NULL AND dismissed_at IS NULL AND (claimed_at IS NULL OR claimed_at < $3)",
        )
        .bind(&m.id)
        .bind(now)
        .bind(now - crate::webhooks::STUCK_AFTER_MS)
        .execute(&mut *tx)
        .await?;
        if reset.rows_affected() == 0 {
            return Err(ApiError::conflict("this message is being filed right now").into());
        }
        self.audit_inbox(&mut tx, caller, "feedback.inbox.retry", &m).await?;
        tx.commit().await?;
        // Filed here and now; should the poller have claimed it first, the answer shows it pending.
        self.process_inbox_row(&m.id).await?;
        Ok(self.inbox_message(&m.id).await?.ok_or_else(|| ApiError::not_found("no such inbox message"))?)
    }

    /// Dismisses an inbox message: never retried, purged with the processed ones.
    ///
    /// # Errors
    /// 401/403 for anyone but operators; 404; 409 when it is filed, dismissed or being filed.
    pub async fn dismiss_inbox_message(&self, caller: &Caller, id: &str) -> Result<InboxMessage, FeedbackError> {
        caller.require_any(TRIAGE)?;
        let m = self.open_message(id).await?;
        let now = to_millis(self.clock().now());
        let mut tx = self.db().begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_inbox SET dismissed_at = $2, dismissed_by = $3, processed_at = COALESCE(processed_at, $2), claimed_at = NULL
             WHERE id = $1 AND report_id IS NULL AND dismissed_at IS NULL AND (claimed_at IS NULL OR claimed_at < $4)",
        )
        .bind(&m.id)
        .bind(now)
        .bind(caller.actor())
        .bind(now - crate::webhooks::STUCK_AFTER_MS)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(ApiError::conflict("this message is being filed right now").into());
        }
        self.audit_inbox(&mut tx, caller, "feedback.inbox.dismiss", &m).await?;
        tx.commit().await?;
        Ok(self.inbox_message(&m.id).await?.ok_or_else(|| ApiError::not_found("no such inbox message"))?)
    }

    async fn audit_inbox(&self, tx: &mut cityos_store::Tx, caller: &Caller, action: &str, m: &InboxMessage) -> Result<(), FeedbackError> {
        let rec = AuditRecord {
            actor: caller.actor(),
            action: action.into(),
            object: format!("webhook_inbox:{}", m.id),
            purpose: Some(format!("channel {}", m.channel)),
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(tx, self.db().backend(), self.clock(), &rec).await?;
        Ok(())
    }
}
