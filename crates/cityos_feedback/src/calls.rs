//! The call centre's screen-pop: the city's telephone exchange (a PBX script
//! or a cloud call centre) tells CityOS through a signed webhook that a call
//! rings at an extension, is answered, or ends; the operator sitting at that
//! extension gets the call on their own event stream, and the console opens a
//! new phone report with the caller's number and that number's earlier reports.
//!
//! The protocol (docs/CALLS.md has it in full, with examples):
//! - `POST /webhooks/calls`, off (404) while `[webhooks] calls_secret` is empty;
//!   signed `X-CityOS-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`
//!   (the helper SMS deliveries use), checked before anything is read.
//! - Body `{call_id, event: ringing|answered|ended, caller, extension, at, called?}`,
//!   nothing else. `at` (RFC 3339) is inside the signed body and must be within
//!   five minutes of the server's clock, so a captured delivery cannot be
//!   replayed later; within that window a repeat is recognised by
//!   `call_id` + `event` and changes nothing.
//! - Events may arrive out of order: a call's state is the furthest event seen
//!   (ringing → answered → ended); a late `ringing` only records its time.
//!
//! Operators register the extension they sit at (`PUT /api/feedback/calls/extension`);
//! a call is given to whoever holds its extension when it rings (and to the
//! answering extension's holder when it is answered). Caller numbers are
//! personal data: they are kept in `calls` only, never put into events (the
//! platform stream carries ids, states and extensions) or audit records, and
//! are read through `GET /api/feedback/calls/{id}`, which is audited.
//! Calls are deleted after [`RETENTION_MS`].

use crate::model::Status;
use crate::{Feedback, FeedbackError};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use cityos_api::extract::{Json, Path, Query};
use cityos_api::{ApiError, Caller, Role, Target};
use cityos_audit::AuditRecord;
use cityos_core::config::WebhooksConfig;
use cityos_core::{from_millis, new_id, to_millis, Classification};
use cityos_events::{CloudEvent, EventBus, StoredEvent};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Calls, operators' extensions, and an index for "this number's earlier reports" (both backends).
pub(crate) const CALLS_SQL: &str = "
CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL UNIQUE,
    caller TEXT,
    called TEXT,
    extension TEXT NOT NULL,
    state TEXT NOT NULL,
    operator_user_id TEXT,
    ringing_at BIGINT,
    answered_at BIGINT,
    ended_at BIGINT,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    report_id TEXT
);
CREATE INDEX calls_operator ON calls (operator_user_id, received_at);
CREATE INDEX calls_received ON calls (received_at);
CREATE TABLE call_extensions (
    user_id TEXT PRIMARY KEY,
    extension TEXT NOT NULL UNIQUE,
    registered_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX reports_reporter_phone ON reports (reporter_phone, received_at);
";

/// How far an event's `at` may be from the server's clock (either way).
pub const REPLAY_WINDOW_MS: i64 = 5 * 60 * 1000;
/// An extension registration lasts a shift unless released or renewed earlier.
const SHIFT_MS: i64 = 12 * 60 * 60 * 1000;
/// Calls (they hold callers' numbers) are deleted this long after they came.
pub const RETENTION_MS: i64 = 90 * 24 * 60 * 60 * 1000;
/// Calls still ringing or answered this long after they came are not pushed again on reconnect.
const ACTIVE_MS: i64 = 2 * 60 * 60 * 1000;
/// Largest webhook body accepted (an event is a few hundred bytes).
const MAX_BODY: usize = 4096;
/// Earlier reports shown with a call.
const EARLIER_LIMIT: i64 = 20;
/// Calls listed in the call history.
const HISTORY_LIMIT: i64 = 50;

/// Where a call stands: the furthest event seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// Ringing at the extension.
    Ringing,
    /// Picked up.
    Answered,
    /// Hung up (answered or not).
    Ended,
}

impl CallState {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringing => "ringing",
            Self::Answered => "answered",
            Self::Ended => "ended",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Ringing, Self::Answered, Self::Ended].into_iter().find(|x| x.as_str() == s)
    }
}

/// One event from the telephone exchange, as sent to `POST /webhooks/calls`.
/// Nothing else may be in the body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallEvent {
    /// The exchange's id of the call leg ringing at one extension (1–128 visible ASCII characters).
    pub call_id: String,
    /// `ringing`, `answered` or `ended`.
    pub event: String,
    /// The calling number (national `0903123456`, `+84903123456` or `84903123456`;
    /// spaces, dots and dashes ignored), or `""` when the number is withheld.
    pub caller: String,
    /// The extension the call rings at, or was answered at (1–32 of `A–Z a–z 0–9 * # + . _ -`).
    pub extension: String,
    /// When it happened at the exchange (RFC 3339); within five minutes of CityOS's clock.
    pub at: String,
    /// The number that was dialled (e.g. `1022`), if the exchange knows it.
    #[serde(default)]
    pub called: Option<String>,
}

/// A call event checked and normalised.
#[derive(Debug, Clone, PartialEq)]
struct Checked {
    call_id: String,
    event: CallState,
    caller: Option<String>,
    extension: String,
    at: i64,
    called: Option<String>,
}

fn valid_extension(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "*#+._-".contains(c))
}

/// Validates an event against the protocol; `now` is the server's clock (millis).
fn check(ev: CallEvent, now: i64) -> Result<Checked, ApiError> {
    let call_id = ev.call_id.trim().to_string();
    if !(1..=128).contains(&call_id.len()) || !call_id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::invalid("call_id must be 1–128 visible ASCII characters"));
    }
    let event = CallState::parse(ev.event.trim()).ok_or_else(|| ApiError::invalid("event must be ringing, answered or ended"))?;
    let extension = ev.extension.trim().to_string();
    if !valid_extension(&extension) {
        return Err(ApiError::invalid("extension must be 1–32 characters: letters, digits, * # + . _ -"));
    }
    let at = chrono::DateTime::parse_from_rfc3339(ev.at.trim())
        .map_err(|_| ApiError::invalid("at must be an RFC 3339 time with its offset, e.g. 2026-11-28T09:15:00+07:00"))?;
    let at = to_millis(at.with_timezone(&chrono::Utc));
    if (now - at).abs() > REPLAY_WINDOW_MS {
        return Err(ApiError::bad_request(
            "stale_event",
            "at is more than five minutes from the server's clock: the event is refused as a possible replay (check the exchange's clock)",
        ));
    }
    let caller = match ev.caller.trim() {
        "" => None,
        raw => match cityos_identity::normalise_contact(raw) {
            Ok(c) if c.kind == "phone" => Some(c.value),
            _ => return Err(ApiError::invalid("caller must be a phone number, or \"\" when it is withheld")),
        },
    };
    let called = match ev.called.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) if c.len() <= 32 && c.chars().all(|x| x.is_ascii_digit() || "+*#".contains(x)) => Some(c.to_string()),
        Some(_) => return Err(ApiError::invalid("called must be up to 32 digits (and + * #)")),
    };
    Ok(Checked { call_id, event, caller, extension, at, called })
}

/// What the exchange is told.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallAccepted {
    /// `accepted` the first time, `duplicate` for an event already received.
    pub status: String,
    /// The exchange's call id.
    pub call_id: String,
    /// The call's state after this event.
    pub state: CallState,
}

/// A report linked to a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LinkedReport {
    /// Report id.
    pub id: String,
    /// Tracking code.
    pub tracking_code: String,
}

/// A call as the call centre sees it, with the caller's number.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CallView {
    /// CityOS's id of the call.
    pub id: String,
    /// The exchange's id.
    pub call_id: String,
    /// Where it stands.
    pub state: CallState,
    /// The caller's number in E.164 (personal data), none when withheld.
    pub caller: Option<String>,
    /// The number dialled.
    pub called: Option<String>,
    /// The extension it rang at (or was answered at).
    pub extension: String,
    /// The operator who held that extension, if anyone did.
    pub operator_user_id: Option<String>,
    /// When it rang.
    pub ringing_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it was answered.
    pub answered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it ended.
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When CityOS first heard of it.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// The report filed for it.
    pub report: Option<LinkedReport>,
}

/// One of the caller's earlier reports.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EarlierReport {
    /// Report id.
    pub id: String,
    /// Tracking code.
    pub tracking_code: String,
    /// Status.
    pub status: Status,
    /// Status in Vietnamese.
    pub status_vi: String,
    /// Status in English.
    pub status_en: String,
    /// Category code.
    pub category_code: Option<String>,
    /// Received.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// The first words of the description.
    pub description: String,
}

/// A call with the caller's earlier reports (most recent first).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CallDetail {
    /// The call.
    pub call: CallView,
    /// Reports filed with the caller's number before the call, most recent first (at most 20).
    pub earlier_reports: Vec<EarlierReport>,
}

/// What an operator's stream says about a call: no number (read it with `GET /api/feedback/calls/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CallSignal {
    /// CityOS's id of the call.
    pub id: String,
    /// The exchange's id.
    pub call_id: String,
    /// Where it stands.
    pub state: CallState,
    /// The extension.
    pub extension: String,
    /// Whether the call is (still) with the receiving operator; false when it was answered elsewhere.
    pub mine: bool,
    /// When it rang.
    pub ringing_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it was answered.
    pub answered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it ended.
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The report filed for it.
    pub report: Option<LinkedReport>,
}

/// The extension an operator sits at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExtensionRegistration {
    /// The extension, none when not registered.
    pub extension: Option<String>,
    /// When it was registered.
    pub registered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the registration lapses (twelve hours after it was made).
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Registering an extension.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    /// The extension (1–32 of `A–Z a–z 0–9 * # + . _ -`).
    pub extension: String,
    /// Take the extension over from the operator who holds it now.
    #[serde(default)]
    pub take_over: bool,
}

/// Linking a report to a call.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallReportLink {
    /// The report's id or tracking code.
    pub report: String,
}

/// Call history filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallQuery {
    /// Only calls given to me (city-wide operators see every call otherwise).
    pub mine: Option<bool>,
}

const CALL_COLUMNS: &str = "c.id, c.call_id, c.state, c.caller, c.called, c.extension, c.operator_user_id, c.ringing_at, c.answered_at,
    c.ended_at, c.received_at, c.report_id, r.tracking_code AS report_code";

fn decode_call(r: &sqlx::any::AnyRow) -> Result<CallView, sqlx::Error> {
    let report_id: Option<String> = r.try_get("report_id")?;
    let report_code: Option<String> = r.try_get("report_code")?;
    Ok(CallView {
        id: r.try_get("id")?,
        call_id: r.try_get("call_id")?,
        state: CallState::parse(&r.try_get::<String, _>("state")?).unwrap_or(CallState::Ringing),
        caller: r.try_get("caller")?,
        called: r.try_get("called")?,
        extension: r.try_get("extension")?,
        operator_user_id: r.try_get("operator_user_id")?,
        ringing_at: r.try_get::<Option<i64>, _>("ringing_at")?.map(from_millis),
        answered_at: r.try_get::<Option<i64>, _>("answered_at")?.map(from_millis),
        ended_at: r.try_get::<Option<i64>, _>("ended_at")?.map(from_millis),
        received_at: from_millis(r.try_get("received_at")?),
        report: report_id.zip(report_code).map(|(id, tracking_code)| LinkedReport { id, tracking_code }),
    })
}

fn signal(c: CallView, me: &str) -> CallSignal {
    CallSignal {
        mine: c.operator_user_id.as_deref() == Some(me),
        id: c.id,
        call_id: c.call_id,
        state: c.state,
        extension: c.extension,
        ringing_at: c.ringing_at,
        answered_at: c.answered_at,
        ended_at: c.ended_at,
        report: c.report,
    }
}

/// Whether the operator who held the call may read it, or a city-wide operator (the call centre's supervisors) or an admin.
fn may_read(caller: &Caller, c: &CallView, me: &str) -> bool {
    c.operator_user_id.as_deref() == Some(me) || caller.has_for(&[Role::Operator], &Target::default())
}

/// Whether `event` is about the operator `me` (the call is theirs, or was until it was answered elsewhere).
fn concerns(ev: &StoredEvent, me: &str) -> Option<String> {
    if !ev.event.kind.starts_with("vn.cityos.feedback.call.") {
        return None;
    }
    let data = &ev.event.data;
    let ours = ["operator", "previous_operator"].iter().any(|k| data.get(*k).and_then(serde_json::Value::as_str) == Some(me));
    ours.then(|| data.get("id").and_then(serde_json::Value::as_str).map(str::to_string)).flatten()
}

impl Feedback {
    /// Records one call event from the exchange, with its audit record and its
    /// event, in one transaction. A repeat of an event already recorded changes
    /// nothing and is reported as a duplicate.
    async fn record_call_event(&self, ev: &Checked) -> Result<CallAccepted, FeedbackError> {
        // Two first deliveries of one call racing on PostgreSQL: the loser finds the winner's row next time.
        for _ in 0..3 {
            if let Some(done) = self.try_record_call_event(ev).await? {
                return Ok(done);
            }
        }
        Err(ApiError::conflict("this call is being recorded by another delivery; send the event again").into())
    }

    /// One attempt of [`Feedback::record_call_event`]; `None` when another delivery created the call meanwhile.
    async fn try_record_call_event(&self, ev: &Checked) -> Result<Option<CallAccepted>, FeedbackError> {
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        let holder: Option<String> = sqlx::query(
            "SELECT e.user_id FROM call_extensions e JOIN users u ON u.id = e.user_id
             WHERE e.extension = $1 AND e.expires_at > $2 AND u.disabled = 0",
        )
        .bind(&ev.extension)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("user_id"))
        .transpose()?;
        let before = sqlx::query("SELECT id, state, operator_user_id FROM calls WHERE call_id = $1")
            .bind(&ev.call_id)
            .fetch_optional(&mut *tx)
            .await?;
        let (id, state, previous) = match before {
            None => {
                let id = new_id();
                let at = |s: CallState| (ev.event == s).then_some(ev.at);
                let inserted = sqlx::query(
                    "INSERT INTO calls (id, call_id, caller, called, extension, state, operator_user_id, ringing_at, answered_at, ended_at, received_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT (call_id) DO NOTHING",
                )
                .bind(&id)
                .bind(&ev.call_id)
                .bind(ev.caller.as_deref())
                .bind(ev.called.as_deref())
                .bind(&ev.extension)
                .bind(ev.event.as_str())
                .bind(holder.as_deref())
                .bind(at(CallState::Ringing))
                .bind(at(CallState::Answered))
                .bind(at(CallState::Ended))
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                (id, ev.event, None)
            }
            Some(row) => {
                let id: String = row.try_get("id")?;
                let state = CallState::parse(&row.try_get::<String, _>("state")?).unwrap_or(CallState::Ringing);
                let previous: Option<String> = row.try_get("operator_user_id")?;
                // Each event sets its own time once; the state only moves forward. An answer moves
                // the call to the answering extension (and whoever holds it).
                let next = state.max(ev.event);
                let q = match ev.event {
                    CallState::Ringing => {
                        sqlx::query("UPDATE calls SET ringing_at = $2, updated_at = $3 WHERE id = $1 AND ringing_at IS NULL")
                            .bind(&id)
                            .bind(ev.at)
                            .bind(now)
                    }
                    CallState::Answered => sqlx::query(
                        "UPDATE calls SET answered_at = $2, updated_at = $3, state = $4, extension = $5, operator_user_id = $6,
                           caller = COALESCE(caller, $7), called = COALESCE(called, $8)
                         WHERE id = $1 AND answered_at IS NULL",
                    )
                    .bind(&id)
                    .bind(ev.at)
                    .bind(now)
                    .bind(next.as_str())
                    .bind(&ev.extension)
                    .bind(holder.as_deref())
                    .bind(ev.caller.as_deref())
                    .bind(ev.called.as_deref()),
                    CallState::Ended => {
                        sqlx::query("UPDATE calls SET ended_at = $2, updated_at = $3, state = $4 WHERE id = $1 AND ended_at IS NULL")
                            .bind(&id)
                            .bind(ev.at)
                            .bind(now)
                            .bind(next.as_str())
                    }
                };
                if q.execute(&mut *tx).await?.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(Some(CallAccepted { status: "duplicate".into(), call_id: ev.call_id.clone(), state }));
                }
                (id, next, previous)
            }
        };
        let now_row = sqlx::query("SELECT extension, operator_user_id FROM calls WHERE id = $1").bind(&id).fetch_one(&mut *tx).await?;
        let extension: String = now_row.try_get("extension")?;
        let operator: Option<String> = now_row.try_get("operator_user_id")?;
        // Ids, states and extensions only: caller numbers never enter the event stream.
        let event = CloudEvent::new(
            &self.clock,
            "/cityos/feedback",
            &format!("vn.cityos.feedback.call.{}", ev.event.as_str()),
            Classification::Restricted,
            serde_json::json!({
                "id": id, "call_id": ev.call_id, "state": state.as_str(), "extension": extension, "operator": operator,
                "previous_operator": previous.filter(|p| Some(p) != operator.as_ref()),
            }),
        )
        .subject(format!("call:{id}"));
        cityos_events::publish(&mut tx, &event).await?;
        let rec = AuditRecord {
            actor: "system".into(),
            action: format!("feedback.call.{}", ev.event.as_str()),
            object: format!("call:{id}"),
            purpose: Some("telephone exchange webhook".into()),
            outcome: "success".into(),
            request_id: None,
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        Ok(Some(CallAccepted { status: "accepted".into(), call_id: ev.call_id.clone(), state }))
    }

    async fn load_call(&self, id: &str) -> Result<Option<CallView>, FeedbackError> {
        let sql = format!("SELECT {CALL_COLUMNS} FROM calls c LEFT JOIN reports r ON r.id = c.report_id WHERE c.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.db.reader()).await?;
        Ok(row.as_ref().map(decode_call).transpose()?)
    }

    /// A call with the caller's earlier reports, for the operator it was given
    /// to, city-wide operators and admins. Audited (the number is not in the record).
    ///
    /// # Errors
    /// 401/403/404.
    pub async fn call(&self, caller: &Caller, id: &str) -> Result<CallDetail, FeedbackError> {
        let me = caller.require_staff()?.to_string();
        caller.require_any(&[Role::Operator])?;
        let call = self.load_call(id).await?.ok_or_else(|| ApiError::not_found("no such call"))?;
        if !may_read(caller, &call, &me) {
            return Err(ApiError::forbidden("this call was given to another operator").into());
        }
        let mut earlier = Vec::new();
        if let Some(number) = &call.caller {
            let rows = sqlx::query(
                "SELECT id, tracking_code, status, category_code, received_at, description FROM reports
                 WHERE reporter_phone = $1 AND received_at <= $2 AND ($3 = '' OR id <> $3) ORDER BY received_at DESC, id DESC LIMIT $4",
            )
            .bind(number)
            .bind(to_millis(call.received_at))
            .bind(call.report.as_ref().map_or("", |r| r.id.as_str()))
            .bind(EARLIER_LIMIT)
            .fetch_all(self.db.reader())
            .await?;
            for r in rows {
                let status = Status::parse(&r.try_get::<String, _>("status")?).unwrap_or_default();
                let description: String = r.try_get("description")?;
                earlier.push(EarlierReport {
                    id: r.try_get("id")?,
                    tracking_code: r.try_get("tracking_code")?,
                    status,
                    status_vi: status.label_vi().into(),
                    status_en: status.label_en().into(),
                    category_code: r.try_get("category_code")?,
                    received_at: from_millis(r.try_get("received_at")?),
                    description: first_words(&description, 160),
                });
            }
        }
        self.audit_call_read(caller, &format!("call:{}", call.id), 1 + earlier.len()).await?;
        Ok(CallDetail { call, earlier_reports: earlier })
    }

    /// Recent calls, newest first: city-wide operators and admins see every
    /// call (unless `mine`), other operators the calls given to them. Audited.
    ///
    /// # Errors
    /// 401/403.
    pub async fn calls(&self, caller: &Caller, q: &CallQuery) -> Result<Vec<CallView>, FeedbackError> {
        let me = caller.require_staff()?.to_string();
        caller.require_any(&[Role::Operator])?;
        let everyone = caller.has_for(&[Role::Operator], &Target::default()) && q.mine != Some(true);
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls c LEFT JOIN reports r ON r.id = c.report_id
             WHERE ($1 = 1 OR c.operator_user_id = $2) ORDER BY c.received_at DESC, c.id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql).bind(i64::from(everyone)).bind(&me).bind(HISTORY_LIMIT).fetch_all(self.db.reader()).await?;
        let items = rows.iter().map(decode_call).collect::<Result<Vec<_>, _>>()?;
        self.audit_call_read(caller, "calls", items.len()).await?;
        Ok(items)
    }

    async fn audit_call_read(&self, caller: &Caller, object: &str, rows: usize) -> Result<(), FeedbackError> {
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "feedback.call.read".into(),
            object: object.into(),
            purpose: Some("call centre".into()),
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(i64::try_from(rows).unwrap_or(i64::MAX)),
        };
        cityos_audit::append_now(&self.db, &self.clock, &rec).await?;
        Ok(())
    }

    /// Links the report filed for a call (id or tracking code). Linking the
    /// same report again changes nothing; a call has one report.
    ///
    /// # Errors
    /// 401/403/404, 409 when another report is linked, 422 for an unknown report.
    pub async fn link_call_report(&self, caller: &Caller, id: &str, report: &str) -> Result<CallView, FeedbackError> {
        let me = caller.require_staff()?.to_string();
        caller.require_any(&[Role::Operator])?;
        let call = self.load_call(id).await?.ok_or_else(|| ApiError::not_found("no such call"))?;
        if !may_read(caller, &call, &me) {
            return Err(ApiError::forbidden("this call was given to another operator").into());
        }
        let found = sqlx::query("SELECT id FROM reports WHERE id = $1 OR tracking_code = $1")
            .bind(report.trim())
            .fetch_optional(self.db.reader())
            .await?
            .ok_or_else(|| ApiError::invalid("report names no report"))?;
        let report_id: String = found.try_get("id")?;
        match &call.report {
            Some(r) if r.id == report_id => return Ok(call),
            Some(_) => return Err(ApiError::conflict("another report is already linked to this call").into()),
            None => {}
        }
        let mut tx = self.db.begin().await?;
        let changed = sqlx::query("UPDATE calls SET report_id = $2, updated_at = $3 WHERE id = $1 AND report_id IS NULL")
            .bind(&call.id)
            .bind(&report_id)
            .bind(to_millis(self.clock.now()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(ApiError::conflict("another report is already linked to this call").into());
        }
        let event = CloudEvent::new(
            &self.clock,
            "/cityos/feedback",
            "vn.cityos.feedback.call.linked",
            Classification::Restricted,
            serde_json::json!({"id": call.id, "call_id": call.call_id, "state": call.state.as_str(), "report": report_id, "operator": call.operator_user_id}),
        )
        .subject(format!("call:{}", call.id));
        cityos_events::publish(&mut tx, &event).await?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "feedback.call.link".into(),
            object: format!("call:{}", call.id),
            purpose: Some(format!("report:{report_id}")),
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        self.load_call(&call.id).await?.ok_or_else(|| ApiError::not_found("no such call").into())
    }

    /// The extension the caller has registered.
    ///
    /// # Errors
    /// 401/403.
    pub async fn my_extension(&self, caller: &Caller) -> Result<ExtensionRegistration, FeedbackError> {
        let me = caller.require_staff()?;
        caller.require_any(&[Role::Operator])?;
        let row = sqlx::query("SELECT extension, registered_at, expires_at FROM call_extensions WHERE user_id = $1 AND expires_at > $2")
            .bind(me)
            .bind(to_millis(self.clock.now()))
            .fetch_optional(self.db.reader())
            .await?;
        Ok(match row {
            Some(r) => ExtensionRegistration {
                extension: r.try_get("extension")?,
                registered_at: Some(from_millis(r.try_get("registered_at")?)),
                expires_at: Some(from_millis(r.try_get("expires_at")?)),
            },
            None => ExtensionRegistration { extension: None, registered_at: None, expires_at: None },
        })
    }

    /// Registers the extension the caller sits at for the next twelve hours
    /// (replacing their previous one). An extension is held by one operator:
    /// another active operator's is refused unless `take_over`.
    ///
    /// # Errors
    /// 401/403, 409 `extension_taken`, 422 for a malformed extension.
    pub async fn register_extension(&self, caller: &Caller, req: &ExtensionRequest) -> Result<ExtensionRegistration, FeedbackError> {
        let me = caller.require_staff()?.to_string();
        caller.require_any(&[Role::Operator])?;
        let extension = req.extension.trim();
        if !valid_extension(extension) {
            return Err(ApiError::invalid("extension must be 1–32 characters: letters, digits, * # + . _ -").into());
        }
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        let holder = sqlx::query(
            "SELECT e.user_id, e.expires_at, u.disabled FROM call_extensions e LEFT JOIN users u ON u.id = e.user_id
             WHERE e.extension = $1 AND e.user_id <> $2",
        )
        .bind(extension)
        .bind(&me)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(h) = holder {
            let active = h.try_get::<i64, _>("expires_at")? > now && h.try_get::<Option<i64>, _>("disabled")? == Some(0);
            if active && !req.take_over {
                return Err(extension_taken().into());
            }
            sqlx::query("DELETE FROM call_extensions WHERE user_id = $1")
                .bind(h.try_get::<String, _>("user_id")?)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO call_extensions (user_id, extension, registered_at, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET extension = $2, registered_at = $3, expires_at = $4",
        )
        .bind(&me)
        .bind(extension)
        .bind(now)
        .bind(now + SHIFT_MS)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            // Another operator registered the same extension at the same moment.
            sqlx::Error::Database(d) if d.is_unique_violation() => FeedbackError::Api(extension_taken()),
            other => other.into(),
        })?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "feedback.call.extension".into(),
            object: format!("user:{me}"),
            purpose: Some(format!("extension {extension}")),
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        Ok(ExtensionRegistration {
            extension: Some(extension.to_string()),
            registered_at: Some(from_millis(now)),
            expires_at: Some(from_millis(now + SHIFT_MS)),
        })
    }

    /// Releases the caller's extension (nothing to release is fine).
    ///
    /// # Errors
    /// 401/403.
    pub async fn release_extension(&self, caller: &Caller) -> Result<(), FeedbackError> {
        let me = caller.require_staff()?.to_string();
        caller.require_any(&[Role::Operator])?;
        let mut tx = self.db.begin().await?;
        let n = sqlx::query("DELETE FROM call_extensions WHERE user_id = $1").bind(&me).execute(&mut *tx).await?.rows_affected();
        if n > 0 {
            let rec = AuditRecord {
                actor: caller.actor(),
                action: "feedback.call.extension_release".into(),
                object: format!("user:{me}"),
                purpose: None,
                outcome: "success".into(),
                request_id: caller.request_id.clone(),
                row_count: Some(1),
            };
            cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The operator's calls that still ring or are answered (what a new stream starts with).
    async fn active_calls(&self, me: &str) -> Result<Vec<CallView>, FeedbackError> {
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls c LEFT JOIN reports r ON r.id = c.report_id
             WHERE c.operator_user_id = $1 AND c.state <> 'ended' AND c.received_at > $2 ORDER BY c.received_at, c.id"
        );
        let rows = sqlx::query(&sql).bind(me).bind(to_millis(self.clock.now()) - ACTIVE_MS).fetch_all(self.db.reader()).await?;
        Ok(rows.iter().map(decode_call).collect::<Result<_, _>>()?)
    }

    /// Deletes calls older than [`RETENTION_MS`] and lapsed extension registrations; returns how many calls.
    ///
    /// # Errors
    /// A database failure.
    pub async fn purge_calls(&self) -> Result<u64, FeedbackError> {
        let now = to_millis(self.clock.now());
        sqlx::query("DELETE FROM call_extensions WHERE expires_at < $1").bind(now).execute(self.db.writer()).await?;
        Ok(sqlx::query("DELETE FROM calls WHERE received_at < $1")
            .bind(now - RETENTION_MS)
            .execute(self.db.writer())
            .await?
            .rows_affected())
    }
}

fn extension_taken() -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "extension_taken", "Extension taken")
        .detail("another operator is registered at this extension; take it over if you sit there now")
}

fn first_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{}…", cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head))
}

/// Deletes old calls once an hour until `shutdown` turns true.
pub async fn run_retention(feedback: Feedback, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        match feedback.purge_calls().await {
            Ok(n) if n > 0 => tracing::info!(deleted = n, "old calls deleted"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "call retention failed; will retry"),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
}

// ------------------------------------------------------------------ webhook

#[derive(Debug, Clone)]
struct Hook {
    feedback: Feedback,
    cfg: Arc<WebhooksConfig>,
}

/// `POST /webhooks/calls`. Mount it outside `/api` (its contract is in docs/CALLS.md).
pub fn webhook_router(feedback: Feedback, cfg: WebhooksConfig) -> axum::Router {
    axum::Router::new().route("/webhooks/calls", axum::routing::post(call_event)).with_state(Hook { feedback, cfg: Arc::new(cfg) })
}

/// One call event from the exchange: 200 `accepted` or `duplicate`; 401 unsigned; 400 malformed or stale; 422 invalid.
async fn call_event(State(h): State<Hook>, headers: HeaderMap, body: Bytes) -> Response {
    if h.cfg.calls_secret.is_empty() {
        return ApiError::not_found("call events are not configured on this server").into_response();
    }
    let signature = headers.get("x-cityos-signature").and_then(|v| v.to_str().ok());
    if !crate::webhooks::hmac_matches(&h.cfg.calls_secret, &body, signature) {
        return ApiError::new(StatusCode::UNAUTHORIZED, "invalid_signature", "Invalid signature")
            .detail("The request is not signed with the exchange's secret.")
            .into_response();
    }
    if body.len() > MAX_BODY {
        return ApiError::bad_request("invalid_payload", format!("a call event is at most {MAX_BODY} bytes")).into_response();
    }
    let ev = match serde_json::from_slice::<CallEvent>(&body) {
        Ok(ev) => ev,
        Err(e) => {
            return ApiError::bad_request("invalid_payload", format!("expected {{call_id, event, caller, extension, at, called?}}: {e}"))
                .into_response()
        }
    };
    let checked = match check(ev, to_millis(h.feedback.clock.now())) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    match h.feedback.record_call_event(&checked).await {
        Ok(accepted) => (StatusCode::OK, axum::Json(accepted)).into_response(),
        Err(FeedbackError::Api(e)) => e.into_response(),
        Err(e) => ApiError::unavailable(&e).into_response(),
    }
}

// ------------------------------------------------------------------ API

#[derive(Debug, Clone)]
struct Calls {
    feedback: Feedback,
    bus: Arc<dyn EventBus>,
    stopping: tokio::sync::watch::Receiver<bool>,
}

/// The call centre's routes under `/api/feedback/calls`. `bus` feeds the
/// operators' streams; they end when `stopping` turns true.
pub fn router(feedback: Feedback, bus: Arc<dyn EventBus>, stopping: tokio::sync::watch::Receiver<bool>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(get_extension, put_extension, delete_extension))
        .routes(routes!(stream))
        .routes(routes!(list_calls))
        .routes(routes!(get_call))
        .routes(routes!(link_report))
        .with_state(Calls { feedback, bus, stopping })
}

/// A list wrapper.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallItems {
    /// The calls.
    pub items: Vec<CallView>,
}

/// The extension I am registered at (operators, admins).
#[utoipa::path(get, path = "/api/feedback/calls/extension", tag = "calls",
    responses((status = 200, body = ExtensionRegistration), (status = 401), (status = 403)), security(("bearer" = [])))]
async fn get_extension(State(c): State<Calls>, caller: Caller) -> Result<Json<ExtensionRegistration>, ApiError> {
    Ok(Json(c.feedback.my_extension(&caller).await?))
}

/// Register the extension I sit at, for twelve hours (operators, admins). Audited.
#[utoipa::path(put, path = "/api/feedback/calls/extension", tag = "calls", request_body = ExtensionRequest,
    responses((status = 200, body = ExtensionRegistration), (status = 401), (status = 403), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn put_extension(
    State(c): State<Calls>,
    caller: Caller,
    Json(req): Json<ExtensionRequest>,
) -> Result<Json<ExtensionRegistration>, ApiError> {
    Ok(Json(c.feedback.register_extension(&caller, &req).await?))
}

/// Release my extension (operators, admins).
#[utoipa::path(delete, path = "/api/feedback/calls/extension", tag = "calls",
    responses((status = 204), (status = 401), (status = 403)), security(("bearer" = [])))]
async fn delete_extension(State(c): State<Calls>, caller: Caller) -> Result<StatusCode, ApiError> {
    c.feedback.release_extension(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My calls as they ring, are answered and end (operators, admins): server-sent
/// `call` events carrying a `CallSignal`. A new connection first receives the
/// calls still ringing or answered.
#[utoipa::path(get, path = "/api/feedback/calls/stream", operation_id = "call_stream", tag = "calls",
    responses((status = 200, description = "text/event-stream of `call` events (CallSignal)", content_type = "text/event-stream"),
        (status = 401), (status = 403)), security(("bearer" = [])))]
async fn stream(State(c): State<Calls>, caller: Caller) -> Result<Response, ApiError> {
    let me = caller.require_staff()?.to_string();
    caller.require_any(&[Role::Operator])?;
    // Subscribe before reading the snapshot, so nothing falls between the two.
    let mut live = c.bus.subscribe();
    let snapshot = c.feedback.active_calls(&me).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(32);
    let feedback = c.feedback.clone();
    let mut stopping = c.stopping.clone();
    tokio::spawn(async move {
        let send = |call: CallView, id: Option<i64>| {
            let mut ev = Event::default().event("call").json_data(signal(call, &me)).unwrap_or_default();
            if let Some(id) = id {
                ev = ev.id(id.to_string());
            }
            let tx = tx.clone();
            async move { tx.send(Ok(ev)).await.is_ok() }
        };
        for call in snapshot {
            if !send(call, None).await {
                return;
            }
        }
        loop {
            let next = tokio::select! {
                ev = live.recv() => ev,
                _ = stopping.wait_for(|s| *s) => return,
            };
            let ev = match next {
                Ok(ev) => ev,
                Err(RecvError::Lagged(_)) => {
                    // Too slow for the live feed: send the current state again.
                    match feedback.active_calls(&me).await {
                        Ok(calls) => {
                            for call in calls {
                                if !send(call, None).await {
                                    return;
                                }
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "call stream catch-up failed"),
                    }
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            let Some(id) = concerns(&ev, &me) else { continue };
            match feedback.load_call(&id).await {
                Ok(Some(call)) => {
                    if !send(call, Some(ev.seq)).await {
                        return;
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, call = %id, "call stream could not read a call"),
            }
        }
    });
    let s = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|ev| (ev, rx)) });
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response())
}

/// Recent calls, newest first (operators: the calls given to them; city-wide operators and admins: every call). Audited.
#[utoipa::path(get, path = "/api/feedback/calls", tag = "calls", params(CallQuery),
    responses((status = 200, body = CallItems), (status = 401), (status = 403)), security(("bearer" = [])))]
async fn list_calls(State(c): State<Calls>, caller: Caller, Query(q): Query<CallQuery>) -> Result<Json<CallItems>, ApiError> {
    Ok(Json(CallItems { items: c.feedback.calls(&caller, &q).await? }))
}

/// A call with the caller's number and earlier reports (the operator it was
/// given to; city-wide operators and admins). Audited without the number.
#[utoipa::path(get, path = "/api/feedback/calls/{id}", tag = "calls", params(("id" = String, Path, description = "CityOS's id of the call")),
    responses((status = 200, body = CallDetail), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_call(State(c): State<Calls>, caller: Caller, Path(id): Path<String>) -> Result<Json<CallDetail>, ApiError> {
    Ok(Json(c.feedback.call(&caller, &id).await?))
}

/// Link the report filed for a call (the operator it was given to; city-wide operators and admins).
#[utoipa::path(put, path = "/api/feedback/calls/{id}/report", tag = "calls", params(("id" = String, Path)), request_body = CallReportLink,
    responses((status = 200, body = CallView), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn link_report(
    State(c): State<Calls>,
    caller: Caller,
    Path(id): Path<String>,
    Json(link): Json<CallReportLink>,
) -> Result<Json<CallView>, ApiError> {
    Ok(Json(c.feedback.link_call_report(&caller, &id, &link.report).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(caller: &str, at: &str) -> CallEvent {
        CallEvent {
            call_id: "1732780800.42".into(),
            event: "ringing".into(),
            caller: caller.into(),
            extension: "101".into(),
            at: at.into(),
            called: Some("1022".into()),
        }
    }

    #[test]
    fn events_are_checked_and_normalised() {
        let now = to_millis(chrono::DateTime::parse_from_rfc3339("2026-11-28T02:15:00Z").unwrap().with_timezone(&chrono::Utc));
        let c = check(event("0903 123.456", "2026-11-28T09:14:00+07:00"), now).unwrap();
        assert_eq!(c.caller.as_deref(), Some("+84903123456"));
        assert_eq!(c.at, now - 60_000);
        assert_eq!(c.event, CallState::Ringing);
        assert_eq!(check(event("", "2026-11-28T09:14:00+07:00"), now).unwrap().caller, None, "withheld number");
        assert_eq!(check(event("anonymous", "2026-11-28T09:14:00+07:00"), now).unwrap_err().code, "invalid_input");
        assert_eq!(check(event("0903123456", "2026-11-28T09:09:59+07:00"), now).unwrap_err().code, "stale_event");
        assert_eq!(check(event("0903123456", "2026-11-28T09:20:01+07:00"), now).unwrap_err().code, "stale_event", "from the future");
        assert_eq!(check(event("0903123456", "2026-11-28 09:14"), now).unwrap_err().code, "invalid_input");
        let mut bad = event("0903123456", "2026-11-28T09:14:00+07:00");
        bad.extension = "10 1".into();
        assert!(check(bad, now).is_err());
        let mut bad = event("0903123456", "2026-11-28T09:14:00+07:00");
        bad.event = "hold".into();
        assert!(check(bad, now).is_err());
        assert!(serde_json::from_str::<CallEvent>(r#"{"call_id":"1","event":"ringing","caller":"","extension":"1","at":"x","extra":1}"#)
            .is_err());
    }

    #[test]
    fn states_only_move_forward() {
        assert_eq!(CallState::Answered.max(CallState::Ringing), CallState::Answered);
        assert_eq!(CallState::Ended.max(CallState::Answered), CallState::Ended);
        assert_eq!(first_words("một hai ba bốn", 9), "một hai…");
    }
}
