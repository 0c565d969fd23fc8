//! Sharing between agencies: access requests, the owner's decisions, and
//! the owner's view of who read what.
//!
//! Vietnamese rules (Decree 47/2020/NĐ-CP on sharing data between state
//! agencies) say an agency shares its data with other state agencies by
//! default, refuses only in writing with a legal basis, and logs every
//! access. So:
//!
//! * An agency **requests access** to another agency's dataset with a
//!   purpose, an optional legal basis, a period and the personal fields it
//!   needs. `open` datasets need no request, unless personal fields are
//!   asked for.
//! * A request for a **`shared`** dataset that asks for no personal field is
//!   **approved at once** (sharing by default): it still records the purpose
//!   and the period, which every read is then audited with, and the owner may
//!   revoke it in writing. A request for a **`restricted`** dataset, or for
//!   personal fields of any dataset, waits for the owner's **decision**: its
//!   data officers approve (with conditions, a period within the one asked
//!   for, and the personal fields they allow, among those asked for) or
//!   refuse with a written reason and its legal basis. The requester may
//!   withdraw; an approval ends at the end of its last day (UTC+7) and is
//!   then marked `expired`, lazily, the next time anyone looks.
//! * **Reads**: [`DataHub::approval_grant`] is what the datastore's
//!   `authorize_data_read` asks: the caller's agency's active approval (the
//!   most recently decided one, if several) gives the read its basis, its
//!   purpose (`approval <id>: <purpose>` in the audit record) and the
//!   personal fields it may see. [`DataHub::known_through_sharing`] lets an
//!   agency that has asked for a `restricted` dataset see its metadata.
//! * **Who read what**: [`DataHub::access_log`] reads the audit log (the
//!   hash-chained `cityos_audit`) for reads of the dataset's rows and files
//!   by anyone but the owner: reads under an approval, with its purpose and
//!   the number of rows, and refusals.
//!
//! Every decision commits with its audit record, its event
//! (`vn.cityos.datahub.access.*`, classified `restricted`, for the agency
//! that must act or is told) and, where an e-mail address is known, the
//! e-mail: to the dataset's focal officer when a request awaits a decision,
//! to the requester's contact address when it is decided.

use crate::catalogue::{can_read_metadata, can_write, Dataset};
use crate::datastore::{is_owner_side, PersonalAccess, ReadBasis, ReadGrant};
use crate::vocabulary::SharingLevel;
use crate::{DataHub, DataHubError};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use cityos_api::extract::{Json, Path, Query};
use cityos_api::{ApiError, Caller, Principal, Role, Scope, Target};
use cityos_audit::AuditRecord;
use cityos_core::{from_millis, new_id, to_millis, Classification};
use cityos_events::CloudEvent;
use cityos_notify::NotificationRequest;
use cityos_store::query::{self, Column, Dir, Filter, Op, Schema, Select, Value};
use cityos_store::Tx;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The sharing tables (migration 20261129300000).
pub const SHARING_SQL: &str = "
CREATE TABLE access_requests (
    id TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    requesting_agency TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_by_name TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL CHECK (purpose <> ''),
    legal_basis TEXT NOT NULL DEFAULT '',
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    personal_columns_requested TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused', 'withdrawn', 'expired', 'revoked')),
    auto_approved BIGINT NOT NULL DEFAULT 0,
    decided_by TEXT,
    decided_by_name TEXT,
    decided_at BIGINT,
    conditions TEXT NOT NULL DEFAULT '',
    refusal_reason TEXT,
    refusal_legal_basis TEXT,
    approved_from TEXT,
    approved_to TEXT,
    approved_columns TEXT NOT NULL DEFAULT '[]',
    starts_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE INDEX access_requests_dataset ON access_requests (dataset_id, status);
CREATE INDEX access_requests_agency ON access_requests (requesting_agency, created_at);
CREATE INDEX access_requests_due ON access_requests (status, expires_at);
";

/// Roles that may ask for access on behalf of their agency.
pub const REQUESTER_ROLES: [Role; 4] = [Role::DataOfficer, Role::AgencyAdmin, Role::Staff, Role::Analyst];

/// The purpose `datastore::authorize_data_read` gives the owner's own reads;
/// the access log leaves them out.
const OWNER_PURPOSE: &str = "owner agency";

/// How the purpose of a read under an approval starts in the audit log.
const APPROVAL_PREFIX: &str = "approval ";

/// The longest period one request may cover (five years).
pub const MAX_PERIOD_DAYS: i64 = 1826;

const MAX_TEXT: usize = 4000;
const MAX_COLUMNS: usize = 200;

/// Where an access request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccessStatus {
    /// Waiting for the owner's decision.
    Requested,
    /// Approved (by the owner, or at once for `shared` data without personal fields).
    Approved,
    /// Refused in writing.
    Refused,
    /// Withdrawn by the requesting agency.
    Withdrawn,
    /// Its period ended (approved or still waiting).
    Expired,
    /// Approval ended early by the owner, in writing.
    Revoked,
}

impl AccessStatus {
    /// Every status.
    pub const ALL: [AccessStatus; 6] = [Self::Requested, Self::Approved, Self::Refused, Self::Withdrawn, Self::Expired, Self::Revoked];

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Refused => "refused",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// How the requester's e-mail names the outcome (Vietnamese).
    fn label_vi(self) -> &'static str {
        match self {
            Self::Requested => "đang chờ xem xét",
            Self::Approved => "đã được chấp thuận",
            Self::Refused => "đã bị từ chối",
            Self::Withdrawn => "đã rút lại",
            Self::Expired => "đã hết thời hạn",
            Self::Revoked => "đã bị thu hồi",
        }
    }
}

/// An access request as the API shows it (to the requesting agency, the
/// owner agency's data officers and auditors).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AccessRequest {
    /// Id (UUID).
    pub id: String,
    /// The dataset's id.
    pub dataset_id: String,
    /// The dataset's URL name.
    pub dataset_name: String,
    /// The dataset's Vietnamese title.
    pub dataset_title_vi: String,
    /// The dataset's English title.
    pub dataset_title_en: String,
    /// The agency that owns the dataset and decides.
    pub owner_agency: String,
    /// The dataset's sharing level.
    pub sharing_level: SharingLevel,
    /// The agency asking.
    pub requesting_agency: String,
    /// The user who asked (id).
    pub requested_by: String,
    /// Their username.
    pub requested_by_name: String,
    /// Where the decision is e-mailed (the requesting officer's work address); empty when not given.
    pub contact_email: String,
    /// What the data is for.
    pub purpose: String,
    /// The legal basis the requester cites; empty when not given.
    pub legal_basis: String,
    /// First day asked for (ISO date, UTC+7).
    pub period_from: String,
    /// Last day asked for (ISO date, UTC+7).
    pub period_to: String,
    /// Personal fields asked for (by name).
    pub personal_columns_requested: Vec<String>,
    /// Where it is in its life.
    pub status: AccessStatus,
    /// Whether reads are allowed under it right now.
    pub active: bool,
    /// Approved at once (`shared` data without personal fields).
    pub auto_approved: bool,
    /// The officer who decided (user id); none for automatic approvals and expiry.
    pub decided_by: Option<String>,
    /// Their username.
    pub decided_by_name: Option<String>,
    /// When it was decided, withdrawn or expired.
    pub decided_at: Option<DateTime<Utc>>,
    /// The owner's conditions of use.
    pub conditions: String,
    /// The written reason of a refusal or revocation.
    pub refusal_reason: Option<String>,
    /// The legal basis of a refusal or revocation.
    pub refusal_legal_basis: Option<String>,
    /// First day of the approved period.
    pub approved_from: Option<String>,
    /// Last day of the approved period.
    pub approved_to: Option<String>,
    /// Personal fields the approval shows unmasked.
    pub approved_columns: Vec<String>,
    /// When the period (approved, or asked for) starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends: reads stop being allowed at this instant.
    pub expires_at: DateTime<Utc>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub modified_at: DateTime<Utc>,
}

/// Body of a new access request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewAccessRequest {
    /// The requesting agency's code (default: the caller's own agency).
    #[serde(default)]
    pub agency: Option<String>,
    /// What the data is for (required).
    #[serde(default)]
    pub purpose: String,
    /// The legal basis cited.
    #[serde(default)]
    pub legal_basis: String,
    /// First day (ISO date; default today, UTC+7).
    #[serde(default)]
    pub period_from: Option<String>,
    /// Last day (ISO date; required; at most five years after the first).
    #[serde(default)]
    pub period_to: Option<String>,
    /// Personal fields needed (names of fields marked personal).
    #[serde(default)]
    pub personal_columns: Vec<String>,
    /// The requesting officer's work e-mail, to be told the decision.
    #[serde(default)]
    pub contact_email: String,
}

/// Body of an approval.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ApprovalFields {
    /// Conditions of use (e.g. "không công bố", "xoá sau khi dùng").
    #[serde(default)]
    pub conditions: String,
    /// First day approved (default: as asked; within the period asked for).
    #[serde(default)]
    pub period_from: Option<String>,
    /// Last day approved (default: as asked; within the period asked for).
    #[serde(default)]
    pub period_to: Option<String>,
    /// Personal fields shown unmasked (among those asked for; default none).
    #[serde(default)]
    pub personal_columns: Vec<String>,
}

/// Body of a refusal or a revocation: both are required.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RefusalFields {
    /// The written reason.
    #[serde(default)]
    pub reason: String,
    /// Its legal basis (the law, decree or decision that allows refusing).
    #[serde(default)]
    pub legal_basis: String,
}

/// A page of access requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessRequestList {
    /// The requests on this page, newest first.
    pub items: Vec<AccessRequest>,
    /// Matching requests in all.
    pub total: i64,
    /// This page.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

/// Which requests to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// `mine` (default): my agency's requests; `incoming`: requests for datasets of the agencies I decide for (or audit).
    pub side: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only this dataset (id or name).
    pub dataset: Option<String>,
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (at most 200, default 20).
    pub per_page: Option<u32>,
}

/// Which access-log entries to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessLogQuery {
    /// From this instant (RFC 3339), inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (RFC 3339), exclusive.
    pub to: Option<DateTime<Utc>>,
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (at most 500, default 50).
    pub per_page: Option<u32>,
}

/// One read (or refused read) of a dataset by someone outside the owner agency.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AccessLogEntry {
    /// The audit record's place in the chain.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who, as the audit log names them (`user:<id>`, `apikey:<id>`).
    pub actor: String,
    /// Their username, when the actor is a user.
    pub username: Option<String>,
    /// The reading agency: the approval's, else the user's.
    pub agency: Option<String>,
    /// The resource read, if the record names one.
    pub resource_id: Option<String>,
    /// Its name.
    pub resource_name: Option<String>,
    /// `success` or `denied`.
    pub outcome: String,
    /// The approval the read was made under.
    pub approval_id: Option<String>,
    /// The declared purpose (the approval's), or why it was refused.
    pub purpose: Option<String>,
    /// Rows returned.
    pub row_count: Option<i64>,
    /// The request's id (ties the record to the server's logs).
    pub request_id: Option<String>,
}

/// A page of the access log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLog {
    /// The dataset's id.
    pub dataset_id: String,
    /// The dataset's URL name.
    pub dataset_name: String,
    /// The entries on this page.
    pub items: Vec<AccessLogEntry>,
    /// Matching entries in all.
    pub total: i64,
    /// This page.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

/// A personal field a request may ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PersonalField {
    /// The resource it belongs to.
    pub resource_id: String,
    /// The resource's name.
    pub resource_name: String,
    /// The field's name.
    pub name: String,
}

/// How the caller stands with one dataset, for the console's dataset page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharingStatus {
    /// The dataset's id.
    pub dataset_id: String,
    /// The dataset's URL name.
    pub dataset_name: String,
    /// Its owner agency.
    pub owner_agency: String,
    /// Its sharing level.
    pub sharing_level: SharingLevel,
    /// How the caller reads its rows now: `owner`, `approval`, `public` or `none`.
    pub access: String,
    /// The approval reads are made under, when `access` is `approval`.
    pub approval: Option<AccessRequest>,
    /// Whether the caller may ask for access for their agency.
    pub may_request: bool,
    /// Whether the caller decides on requests for it.
    pub may_decide: bool,
    /// The personal fields of its resources (what a request may ask for).
    pub personal_fields: Vec<PersonalField>,
    /// The caller's agency's requests for it, newest first.
    pub requests: Vec<AccessRequest>,
}

// ------------------------------------------------------------------ rules

/// The agencies whose approvals cover `caller`: their own agency and those
/// their agency-scoped grants name (not the agencies below them: an
/// approval is given to the agency that asked). Empty for anyone who is not
/// staff with a grant.
#[must_use]
pub fn reading_agencies(caller: &Caller) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Principal::Staff { agency, .. } = &caller.principal else { return out };
    if caller.grants.is_empty() {
        return out;
    }
    if let Some(a) = agency {
        out.insert(a.clone());
    }
    for g in &caller.grants {
        if let Scope::Agency(code) = &g.scope {
            out.insert(code.clone());
        }
    }
    out
}

fn is_admin(caller: &Caller) -> bool {
    caller.grants.iter().any(|g| g.role == Role::Admin)
}

fn target(agency: &str) -> Target<'_> {
    Target { agency: Some(agency), jurisdiction: None }
}

/// Whether `caller` may ask for access, and withdraw requests, for `agency`.
#[must_use]
pub fn may_act_for(caller: &Caller, agency: &str) -> bool {
    caller.has_for(&REQUESTER_ROLES, &target(agency)) && (is_admin(caller) || reading_agencies(caller).contains(agency))
}

/// Whether `caller` decides on requests for `owner`'s datasets: its data
/// officers and agency administrators (also of an agency above it), and
/// administrators.
#[must_use]
pub fn may_decide(caller: &Caller, owner: &str) -> bool {
    can_write(caller, owner)
}

fn may_audit(caller: &Caller, owner: &str) -> bool {
    caller.has_for(&[Role::Auditor], &target(owner))
}

/// The purpose written to the audit record of a read under approval `id`.
#[must_use]
pub fn approval_purpose(id: &str, purpose: &str) -> String {
    format!("{APPROVAL_PREFIX}{id}: {purpose}")
}

/// Splits an audit purpose written by [`approval_purpose`] into the
/// approval's id and the declared purpose.
#[must_use]
pub fn parse_approval_purpose(s: &str) -> Option<(&str, &str)> {
    let rest = s.strip_prefix(APPROVAL_PREFIX)?;
    let (id, purpose) = rest.split_once(": ")?;
    (!id.is_empty() && !id.contains(' ')).then_some((id, purpose))
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// The instant a day starts in Vietnam (00:00 UTC+7).
fn day_start(d: NaiveDate) -> i64 {
    to_millis(d.and_time(NaiveTime::MIN).and_utc() - TimeDelta::seconds(i64::from(cityos_calendar::VIETNAM_UTC_OFFSET_SECS)))
}

/// The instant after a day ends in Vietnam: a period is usable up to, not
/// including, this instant.
fn day_end(d: NaiveDate) -> i64 {
    day_start(d) + 86_400_000
}

type FieldErrors = BTreeMap<String, Vec<String>>;

fn push(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors.entry(field.to_string()).or_default().push(message.into());
}

fn invalid(errors: FieldErrors) -> DataHubError {
    let summary = errors.iter().map(|(k, v)| format!("{k}: {}", v.join(" "))).collect::<Vec<_>>().join("; ");
    let map: serde_json::Map<String, serde_json::Value> = errors.into_iter().map(|(k, v)| (k, serde_json::Value::from(v))).collect();
    DataHubError::Api(ApiError::invalid(summary).with("errors", serde_json::Value::Object(map)))
}

fn text(s: &str) -> String {
    cityos_text::nfc(s.trim())
}

fn check_len(errors: &mut FieldErrors, field: &str, value: &str) {
    if value.chars().count() > MAX_TEXT {
        push(errors, field, format!("At most {MAX_TEXT} characters."));
    }
}

fn plausible_email(s: &str) -> bool {
    s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
}

/// Names de-duplicated, trimmed and NFC, in order.
fn clean_names(names: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    names.iter().map(|n| cityos_text::nfc(n.trim())).filter(|n| !n.is_empty() && seen.insert(n.clone())).collect()
}

fn user_parts(caller: &Caller) -> (String, String) {
    match &caller.principal {
        Principal::Staff { user_id, username, .. } => (user_id.clone(), username.clone()),
        _ => (String::new(), String::new()),
    }
}

fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn to_json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn notify_error(e: &cityos_notify::NotifyError) -> DataHubError {
    DataHubError::Api(ApiError::internal(e))
}

fn store(e: query::QueryError) -> DataHubError {
    DataHubError::Store(cityos_store::StoreError::Query(e))
}

// ------------------------------------------------------------------ storage

const REQUEST_COLUMNS: &[Column] = &[
    Column { name: Cow::Borrowed("id"), sql: Cow::Borrowed("r.id") },
    Column { name: Cow::Borrowed("dataset_id"), sql: Cow::Borrowed("r.dataset_id") },
    Column { name: Cow::Borrowed("dataset_name"), sql: Cow::Borrowed("d.name") },
    Column { name: Cow::Borrowed("dataset_title_vi"), sql: Cow::Borrowed("d.title_vi") },
    Column { name: Cow::Borrowed("dataset_title_en"), sql: Cow::Borrowed("d.title_en") },
    Column { name: Cow::Borrowed("owner_agency"), sql: Cow::Borrowed("d.owner_agency") },
    Column { name: Cow::Borrowed("sharing_level"), sql: Cow::Borrowed("d.sharing_level") },
    Column { name: Cow::Borrowed("requesting_agency"), sql: Cow::Borrowed("r.requesting_agency") },
    Column { name: Cow::Borrowed("requested_by"), sql: Cow::Borrowed("r.requested_by") },
    Column { name: Cow::Borrowed("requested_by_name"), sql: Cow::Borrowed("r.requested_by_name") },
    Column { name: Cow::Borrowed("contact_email"), sql: Cow::Borrowed("r.contact_email") },
    Column { name: Cow::Borrowed("purpose"), sql: Cow::Borrowed("r.purpose") },
    Column { name: Cow::Borrowed("legal_basis"), sql: Cow::Borrowed("r.legal_basis") },
    Column { name: Cow::Borrowed("period_from"), sql: Cow::Borrowed("r.period_from") },
    Column { name: Cow::Borrowed("period_to"), sql: Cow::Borrowed("r.period_to") },
    Column { name: Cow::Borrowed("personal_columns_requested"), sql: Cow::Borrowed("r.personal_columns_requested") },
    Column { name: Cow::Borrowed("status"), sql: Cow::Borrowed("r.status") },
    Column { name: Cow::Borrowed("auto_approved"), sql: Cow::Borrowed("r.auto_approved") },
    Column { name: Cow::Borrowed("decided_by"), sql: Cow::Borrowed("r.decided_by") },
    Column { name: Cow::Borrowed("decided_by_name"), sql: Cow::Borrowed("r.decided_by_name") },
    Column { name: Cow::Borrowed("decided_at"), sql: Cow::Borrowed("r.decided_at") },
    Column { name: Cow::Borrowed("conditions"), sql: Cow::Borrowed("r.conditions") },
    Column { name: Cow::Borrowed("refusal_reason"), sql: Cow::Borrowed("r.refusal_reason") },
    Column { name: Cow::Borrowed("refusal_legal_basis"), sql: Cow::Borrowed("r.refusal_legal_basis") },
    Column { name: Cow::Borrowed("approved_from"), sql: Cow::Borrowed("r.approved_from") },
    Column { name: Cow::Borrowed("approved_to"), sql: Cow::Borrowed("r.approved_to") },
    Column { name: Cow::Borrowed("approved_columns"), sql: Cow::Borrowed("r.approved_columns") },
    Column { name: Cow::Borrowed("starts_at"), sql: Cow::Borrowed("r.starts_at") },
    Column { name: Cow::Borrowed("expires_at"), sql: Cow::Borrowed("r.expires_at") },
    Column { name: Cow::Borrowed("created_at"), sql: Cow::Borrowed("r.created_at") },
    Column { name: Cow::Borrowed("modified_at"), sql: Cow::Borrowed("r.modified_at") },
];

fn request_schema() -> Schema {
    Schema {
        table: Cow::Borrowed("access_requests r JOIN datasets d ON d.id = r.dataset_id"),
        columns: Cow::Borrowed(REQUEST_COLUMNS),
        fulltext: None,
    }
}

const AUDIT_COLUMNS: &[Column] = &[
    Column::fixed("seq"),
    Column::fixed("at"),
    Column::fixed("actor"),
    Column::fixed("action"),
    Column::fixed("object"),
    Column::fixed("purpose"),
    Column::fixed("outcome"),
    Column::fixed("request_id"),
    Column::fixed("row_count"),
];

fn audit_schema() -> Schema {
    Schema { table: Cow::Borrowed("audit_log"), columns: Cow::Borrowed(AUDIT_COLUMNS), fulltext: None }
}

fn decode(row: &sqlx::any::AnyRow, now: i64) -> Result<AccessRequest, DataHubError> {
    let status = AccessStatus::parse(&row.try_get::<String, _>("status")?).unwrap_or(AccessStatus::Expired);
    let starts_at: i64 = row.try_get("starts_at")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    Ok(AccessRequest {
        id: row.try_get("id")?,
        dataset_id: row.try_get("dataset_id")?,
        dataset_name: row.try_get("dataset_name")?,
        dataset_title_vi: row.try_get("dataset_title_vi")?,
        dataset_title_en: row.try_get("dataset_title_en")?,
        owner_agency: row.try_get("owner_agency")?,
        sharing_level: SharingLevel::parse(&row.try_get::<String, _>("sharing_level")?).unwrap_or(SharingLevel::Restricted),
        requesting_agency: row.try_get("requesting_agency")?,
        requested_by: row.try_get("requested_by")?,
        requested_by_name: row.try_get("requested_by_name")?,
        contact_email: row.try_get("contact_email")?,
        purpose: row.try_get("purpose")?,
        legal_basis: row.try_get("legal_basis")?,
        period_from: row.try_get("period_from")?,
        period_to: row.try_get("period_to")?,
        personal_columns_requested: json_list(&row.try_get::<String, _>("personal_columns_requested")?),
        status,
        active: status == AccessStatus::Approved && starts_at <= now && now < expires_at,
        auto_approved: row.try_get::<i64, _>("auto_approved")? == 1,
        decided_by: row.try_get("decided_by")?,
        decided_by_name: row.try_get("decided_by_name")?,
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(from_millis),
        conditions: row.try_get("conditions")?,
        refusal_reason: row.try_get("refusal_reason")?,
        refusal_legal_basis: row.try_get("refusal_legal_basis")?,
        approved_from: row.try_get("approved_from")?,
        approved_to: row.try_get("approved_to")?,
        approved_columns: json_list(&row.try_get::<String, _>("approved_columns")?),
        starts_at: from_millis(starts_at),
        expires_at: from_millis(expires_at),
        created_at: from_millis(row.try_get("created_at")?),
        modified_at: from_millis(row.try_get("modified_at")?),
    })
}

/// What one change of a request commits with.
struct Change {
    /// `request`, `approve`, `refuse`, `withdraw`, `expire`, `revoke`.
    action: &'static str,
    /// Event type suffix: `requested`, `approved`, …
    event: &'static str,
    /// The agency the event is for.
    event_agency: String,
    /// The audit record's purpose.
    purpose: Option<String>,
    /// The e-mail, if any.
    mail: Option<NotificationRequest>,
}

impl DataHub {
    fn now_ms(&self) -> i64 {
        to_millis(self.clock.now())
    }

    async fn select_requests(
        &self,
        filter: Filter,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> Result<(Vec<AccessRequest>, i64), DataHubError> {
        let schema = request_schema();
        let sel = Select {
            filter: Some(filter.clone()),
            sort: vec![("created_at".into(), Dir::Desc), ("id".into(), Dir::Desc)],
            limit,
            offset,
            ..Select::default()
        };
        let reader = self.db.reader();
        let rows = query::select(&schema, &sel).map_err(store)?.query().fetch_all(reader).await?;
        let total: i64 = query::count(&schema, Some(&filter)).map_err(store)?.query().fetch_one(reader).await?.try_get("n")?;
        let now = self.now_ms();
        let items = rows.iter().map(|r| decode(r, now)).collect::<Result<Vec<_>, _>>()?;
        Ok((items, total))
    }

    async fn stored_request(&self, id: &str) -> Result<Option<AccessRequest>, DataHubError> {
        let f = Filter::Cmp { column: "id".into(), op: Op::Eq, value: Value::Text(id.into()) };
        Ok(self.select_requests(f, Some(1), None).await?.0.pop())
    }

    fn request_url(&self, id: &str) -> String {
        format!("{}/#/data/sharing?request={id}", self.public_url)
    }

    /// Audit record, event and e-mail of a change to request `r` (as it is
    /// after the change), then commit.
    async fn commit_change(
        &self,
        mut tx: Tx,
        actor: String,
        request_id: Option<String>,
        r: &AccessRequest,
        c: Change,
    ) -> Result<(), DataHubError> {
        let rec = AuditRecord {
            actor,
            action: format!("datahub.access.{}", c.action),
            object: format!("access_request:{}", r.id),
            purpose: c.purpose,
            outcome: "success".into(),
            request_id,
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        let ev = CloudEvent::new(
            &self.clock,
            "/cityos/datahub",
            &format!("vn.cityos.datahub.access.{}", c.event),
            Classification::Restricted,
            serde_json::json!({
                "id": r.id,
                "dataset_id": r.dataset_id,
                "dataset_name": r.dataset_name,
                "owner_agency": r.owner_agency,
                "requesting_agency": r.requesting_agency,
                "status": r.status.as_str(),
                "personal_columns": if r.status == AccessStatus::Approved { &r.approved_columns } else { &r.personal_columns_requested },
                "starts_at": r.starts_at,
                "expires_at": r.expires_at,
            }),
        )
        .subject(format!("access_request:{}", r.id))
        .agency(Some(c.event_agency));
        cityos_events::publish(&mut tx, &ev).await?;
        if let Some(mail) = &c.mail {
            cityos_notify::enqueue(&mut tx, self.clock.as_ref(), mail).await.map_err(|e| notify_error(&e))?;
        }
        tx.commit().await?;
        Ok(())
    }

    fn decision_mail(&self, r: &AccessRequest) -> Option<NotificationRequest> {
        (!r.contact_email.is_empty()).then(|| {
            NotificationRequest::email(r.contact_email.clone(), "datahub_access_decided")
                .var("dataset", &r.dataset_title_vi)
                .var("status", r.status.label_vi())
                .var("url", self.request_url(&r.id))
                .purpose("datahub_access_decision")
                .related_object(format!("access_request:{}", r.id))
        })
    }

    /// Personal fields of the dataset's active resources.
    async fn personal_fields(&self, dataset_id: &str) -> Result<Vec<PersonalField>, DataHubError> {
        let rows = sqlx::query(
            "SELECT f.resource_id, r.name AS resource_name, f.name FROM resource_fields f JOIN resources r ON r.id = f.resource_id
             WHERE r.dataset_id = $1 AND r.state = 'active' AND f.personal = 1 ORDER BY r.position, r.created_at, f.position",
        )
        .bind(dataset_id)
        .fetch_all(self.db.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PersonalField {
                    resource_id: r.try_get("resource_id")?,
                    resource_name: r.try_get("resource_name")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    // -------------------------------------------------------------- reads

    /// The approval under which `caller` reads `dataset` now, as a read
    /// grant: the caller's agency's approved request whose period covers
    /// this instant (the most recently decided one, if several). Approvals
    /// found past their end are marked `expired` on the way. `None` for
    /// callers who are not agency staff, for datasets that are not active,
    /// and when there is no such approval.
    ///
    /// # Errors
    /// Database failure.
    pub async fn approval_grant(&self, caller: &Caller, dataset: &Dataset) -> Result<Option<ReadGrant>, DataHubError> {
        let agencies = reading_agencies(caller);
        if agencies.is_empty() || dataset.state != "active" {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT id, requesting_agency, purpose, approved_columns, starts_at, expires_at FROM access_requests
             WHERE dataset_id = $1 AND status = 'approved' ORDER BY decided_at DESC, id DESC",
        )
        .bind(&dataset.id)
        .fetch_all(self.db.reader())
        .await?;
        let now = self.now_ms();
        let mut stale = false;
        let mut found = None;
        for r in &rows {
            let agency: String = r.try_get("requesting_agency")?;
            if !agencies.contains(&agency) {
                continue;
            }
            let (starts, expires): (i64, i64) = (r.try_get("starts_at")?, r.try_get("expires_at")?);
            if expires <= now {
                stale = true;
            } else if starts <= now && found.is_none() {
                let id: String = r.try_get("id")?;
                let purpose: String = r.try_get("purpose")?;
                let columns = json_list(&r.try_get::<String, _>("approved_columns")?);
                let personal = if columns.is_empty() { PersonalAccess::None } else { PersonalAccess::Only(columns.into_iter().collect()) };
                found = Some(ReadGrant { purpose: approval_purpose(&id, &purpose), basis: ReadBasis::Approval { id, agency }, personal });
            }
        }
        if stale {
            self.expire_due().await?;
        }
        Ok(found)
    }

    /// The datasets `caller`'s agencies read under an approval in force now
    /// (approved, started, not expired): catalogue searches list them.
    ///
    /// # Errors
    /// Database failure.
    pub async fn approved_dataset_ids(&self, caller: &Caller) -> Result<Vec<String>, DataHubError> {
        let agencies = reading_agencies(caller);
        if agencies.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.now_ms();
        let rows = sqlx::query(
            "SELECT DISTINCT dataset_id, requesting_agency FROM access_requests
             WHERE status = 'approved' AND starts_at <= $1 AND expires_at > $1",
        )
        .bind(now)
        .fetch_all(self.db.reader())
        .await?;
        let mut ids = BTreeSet::new();
        for r in &rows {
            if agencies.contains(&r.try_get::<String, _>("requesting_agency")?) {
                ids.insert(r.try_get::<String, _>("dataset_id")?);
            }
        }
        Ok(ids.into_iter().collect())
    }

    /// Whether `caller`'s agency has asked for access to `dataset` (in any
    /// status): it then knows the dataset exists, and may see the metadata
    /// of a `restricted` one, the state of its request, and its refusal.
    ///
    /// # Errors
    /// Database failure.
    pub async fn known_through_sharing(&self, caller: &Caller, dataset: &Dataset) -> Result<bool, DataHubError> {
        let agencies = reading_agencies(caller);
        if agencies.is_empty() || dataset.state != "active" {
            return Ok(false);
        }
        let rows = sqlx::query("SELECT DISTINCT requesting_agency FROM access_requests WHERE dataset_id = $1")
            .bind(&dataset.id)
            .fetch_all(self.db.reader())
            .await?;
        for r in &rows {
            if agencies.contains(&r.try_get::<String, _>("requesting_agency")?) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Marks requests whose period has ended `expired` (approved ones, and
    /// those still waiting for a decision), each with its audit record,
    /// event and e-mail. Called lazily by reads and listings.
    ///
    /// # Errors
    /// Database failure.
    pub async fn expire_due(&self) -> Result<usize, DataHubError> {
        let now = self.now_ms();
        let ids: Vec<String> = sqlx::query(
            "SELECT id FROM access_requests WHERE status IN ('requested', 'approved') AND expires_at <= $1 ORDER BY expires_at LIMIT 500",
        )
        .bind(now)
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
        let mut n = 0;
        for id in ids {
            let Some(mut r) = self.stored_request(&id).await? else { continue };
            let mut tx = self.db.begin().await?;
            let done = sqlx::query(
                "UPDATE access_requests SET status = 'expired', decided_at = $2, modified_at = $2
                 WHERE id = $1 AND status IN ('requested', 'approved') AND expires_at <= $2",
            )
            .bind(&id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done != 1 {
                continue;
            }
            r.status = AccessStatus::Expired;
            r.active = false;
            r.decided_at = Some(from_millis(now));
            r.modified_at = from_millis(now);
            let change = Change {
                action: "expire",
                event: "expired",
                event_agency: r.requesting_agency.clone(),
                purpose: Some("period ended".into()),
                mail: self.decision_mail(&r),
            };
            self.commit_change(tx, "system".into(), None, &r, change).await?;
            n += 1;
        }
        Ok(n)
    }

    // -------------------------------------------------------------- requests

    /// Asks for access to `dataset` for the caller's agency (or the agency
    /// named). Approved at once for `shared` datasets when no personal field
    /// is asked for; otherwise waits for the owner.
    ///
    /// # Errors
    /// 401/403 (roles, or an agency the caller does not belong to); 404 for
    /// a dataset the caller may not know of; 409 while the agency has a
    /// request waiting for that dataset; 422 for invalid fields, the owner's
    /// own datasets and open data without personal fields.
    pub async fn request_access(&self, caller: &Caller, dataset: &str, body: &NewAccessRequest) -> Result<AccessRequest, DataHubError> {
        caller.require_any(&REQUESTER_ROLES)?;
        let not_found = || DataHubError::Api(ApiError::not_found(format!("no dataset {dataset}")));
        let d = self.load_dataset(dataset).await?.ok_or_else(not_found)?;
        // A restricted dataset's name may come in an official letter: state
        // staff may ask for it without seeing it in the catalogue.
        let visible = can_read_metadata(caller, &d)
            || (d.state == "active" && d.sharing_level == SharingLevel::Restricted && crate::catalogue::is_state_staff(caller));
        if !visible || d.state != "active" {
            return Err(not_found());
        }
        let (user_id, username) = user_parts(caller);
        let principal_agency = match &caller.principal {
            Principal::Staff { agency, .. } => agency.clone(),
            _ => None,
        };
        let agency = body.agency.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).or(principal_agency);
        let mut errors = FieldErrors::new();
        let Some(agency) = agency else {
            push(&mut errors, "agency", "Name the agency asking: your account belongs to none.");
            return Err(invalid(errors));
        };
        if self.identity.agencies().await.map_err(ApiError::from)?.iter().all(|a| a.code != agency) {
            push(&mut errors, "agency", format!("Unknown agency {agency}."));
            return Err(invalid(errors));
        }
        if !may_act_for(caller, &agency) {
            return Err(ApiError::forbidden(format!("only staff of {agency} may ask for access on its behalf")).into());
        }
        if agency == d.owner_agency {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "own_dataset", "Own dataset")
                .detail(format!("{agency} owns {}: it needs no approval to read it.", d.name))
                .into());
        }
        let purpose = text(&body.purpose);
        let legal_basis = text(&body.legal_basis);
        let contact_email = body.contact_email.trim().to_string();
        if purpose.is_empty() {
            push(&mut errors, "purpose", "Say what the data is for.");
        }
        check_len(&mut errors, "purpose", &purpose);
        check_len(&mut errors, "legal_basis", &legal_basis);
        if !contact_email.is_empty() && !plausible_email(&contact_email) {
            push(&mut errors, "contact_email", "Not an e-mail address.");
        }
        let today = cityos_calendar::local_date(self.clock.now());
        let from = match body.period_from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(today),
            Some(s) => parse_date(s).or_else(|| {
                push(&mut errors, "period_from", "A date as YYYY-MM-DD.");
                None
            }),
        };
        let to = match body.period_to.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => {
                push(&mut errors, "period_to", "Say until when the data is needed (YYYY-MM-DD).");
                None
            }
            Some(s) => parse_date(s).or_else(|| {
                push(&mut errors, "period_to", "A date as YYYY-MM-DD.");
                None
            }),
        };
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                push(&mut errors, "period_to", "The period ends before it starts.");
            } else if t < today {
                push(&mut errors, "period_to", "The period is over already.");
            } else if (t - f).num_days() >= MAX_PERIOD_DAYS {
                push(&mut errors, "period_to", format!("At most {MAX_PERIOD_DAYS} days; ask again when it ends."));
            }
        }
        let columns = clean_names(&body.personal_columns);
        if columns.len() > MAX_COLUMNS {
            push(&mut errors, "personal_columns", format!("At most {MAX_COLUMNS} fields."));
        }
        let personal: BTreeSet<String> = self.personal_fields(&d.id).await?.into_iter().map(|f| f.name).collect();
        for c in &columns {
            if !personal.contains(c) {
                push(
                    &mut errors,
                    "personal_columns",
                    format!("{c} is not a personal field of this dataset (other fields need no approval of their own)."),
                );
            }
        }
        if d.sharing_level == SharingLevel::Open && columns.is_empty() && errors.is_empty() {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_approval_needed", "No approval needed")
                .detail(format!("{} is open data: anyone may read it. Ask only for personal fields.", d.name))
                .into());
        }
        let (Some(from), Some(to), true) = (from, to, errors.is_empty()) else {
            return Err(invalid(errors));
        };
        let waiting =
            sqlx::query("SELECT id FROM access_requests WHERE dataset_id = $1 AND requesting_agency = $2 AND status = 'requested'")
                .bind(&d.id)
                .bind(&agency)
                .fetch_optional(self.db.reader())
                .await?;
        if let Some(w) = waiting {
            let id: String = w.try_get("id")?;
            return Err(ApiError::conflict(format!("{agency} already has request {id} waiting for {}: withdraw it first", d.name))
                .with("request_id", id)
                .into());
        }

        let auto = d.sharing_level == SharingLevel::Shared && columns.is_empty();
        let id = new_id();
        let now = self.now_ms();
        let (starts_at, expires_at) = (day_start(from), day_end(to));
        let period = (from.to_string(), to.to_string());
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO access_requests (id, dataset_id, requesting_agency, requested_by, requested_by_name, contact_email, purpose, legal_basis,
               period_from, period_to, personal_columns_requested, status, auto_approved, decided_at, approved_from, approved_to, approved_columns,
               starts_at, expires_at, created_at, modified_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, '[]', $17, $18, $19, $19)",
        )
        .bind(&id)
        .bind(&d.id)
        .bind(&agency)
        .bind(&user_id)
        .bind(&username)
        .bind(&contact_email)
        .bind(&purpose)
        .bind(&legal_basis)
        .bind(&period.0)
        .bind(&period.1)
        .bind(to_json_list(&columns))
        .bind(if auto { "approved" } else { "requested" })
        .bind(i64::from(auto))
        .bind(auto.then_some(now))
        .bind(auto.then(|| period.0.clone()))
        .bind(auto.then(|| period.1.clone()))
        .bind(starts_at)
        .bind(expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let r = AccessRequest {
            id: id.clone(),
            dataset_id: d.id.clone(),
            dataset_name: d.name.clone(),
            dataset_title_vi: d.title_vi.clone(),
            dataset_title_en: d.title_en.clone(),
            owner_agency: d.owner_agency.clone(),
            sharing_level: d.sharing_level,
            requesting_agency: agency.clone(),
            requested_by: user_id,
            requested_by_name: username,
            contact_email,
            purpose: purpose.clone(),
            legal_basis,
            period_from: period.0.clone(),
            period_to: period.1.clone(),
            personal_columns_requested: columns,
            status: if auto { AccessStatus::Approved } else { AccessStatus::Requested },
            active: auto && starts_at <= now && now < expires_at,
            auto_approved: auto,
            decided_by: None,
            decided_by_name: None,
            decided_at: auto.then(|| from_millis(now)),
            conditions: String::new(),
            refusal_reason: None,
            refusal_legal_basis: None,
            approved_from: auto.then(|| period.0.clone()),
            approved_to: auto.then(|| period.1.clone()),
            approved_columns: Vec::new(),
            starts_at: from_millis(starts_at),
            expires_at: from_millis(expires_at),
            created_at: from_millis(now),
            modified_at: from_millis(now),
        };
        // The owner's focal officer hears of requests that wait for them.
        let mail = if auto || !plausible_email(&d.contact_email) {
            None
        } else {
            let agencies = self.identity.agencies().await.map_err(ApiError::from)?;
            let name = agencies.iter().find(|a| a.code == agency).map_or_else(|| agency.clone(), |a| format!("{} ({})", a.name_vi, a.code));
            Some(
                NotificationRequest::email(d.contact_email.clone(), "datahub_access_requested")
                    .var("dataset", &d.title_vi)
                    .var("agency", name)
                    .var("url", self.request_url(&id))
                    .purpose("datahub_access_request")
                    .related_object(format!("access_request:{id}")),
            )
        };
        let change = Change {
            action: "request",
            event: if auto { "approved" } else { "requested" },
            event_agency: if auto { agency } else { d.owner_agency.clone() },
            purpose: Some(purpose),
            mail,
        };
        self.commit_change(tx, caller.actor(), caller.request_id.clone(), &r, change).await?;
        Ok(r)
    }

    /// A request the caller may see: the requesting agency's staff, the
    /// owner's deciders and auditors. 404 for anyone else.
    async fn visible_request(&self, caller: &Caller, id: &str) -> Result<AccessRequest, DataHubError> {
        caller.require_staff()?;
        let r = self.stored_request(id).await?.ok_or_else(|| ApiError::not_found(format!("no access request {id}")))?;
        if may_act_for(caller, &r.requesting_agency) || may_decide(caller, &r.owner_agency) || may_audit(caller, &r.owner_agency) {
            Ok(r)
        } else {
            Err(ApiError::not_found(format!("no access request {id}")).into())
        }
    }

    /// One access request (the requesting agency's staff, the owner's data
    /// officers and agency administrators, auditors).
    ///
    /// # Errors
    /// 401; 404; database failure.
    pub async fn access_request(&self, caller: &Caller, id: &str) -> Result<AccessRequest, DataHubError> {
        self.expire_due().await?;
        self.visible_request(caller, id).await
    }

    /// A request the caller decides on, in `status` `from`.
    async fn decidable(&self, caller: &Caller, id: &str, from: AccessStatus) -> Result<AccessRequest, DataHubError> {
        caller.require_any(&[Role::DataOfficer, Role::AgencyAdmin])?;
        self.expire_due().await?;
        let s = self.visible_request(caller, id).await?;
        if !may_decide(caller, &s.owner_agency) {
            return Err(ApiError::forbidden(format!("only data officers of {} decide on access to its datasets", s.owner_agency)).into());
        }
        if s.status != from {
            return Err(ApiError::conflict(format!("the request is {}, not {}", s.status.as_str(), from.as_str()))
                .with("status", s.status.as_str())
                .into());
        }
        Ok(s)
    }

    /// Approves a waiting request (the owner's data officers and agency
    /// administrators), with conditions, a period within the one asked for
    /// and the personal fields shown, among those asked for.
    ///
    /// # Errors
    /// 401/403/404; 409 when it is not waiting; 422 for invalid fields.
    pub async fn approve(&self, caller: &Caller, id: &str, body: &ApprovalFields) -> Result<AccessRequest, DataHubError> {
        let mut r = self.decidable(caller, id, AccessStatus::Requested).await?;
        let mut errors = FieldErrors::new();
        let conditions = text(&body.conditions);
        check_len(&mut errors, "conditions", &conditions);
        let asked = (parse_date(&r.period_from), parse_date(&r.period_to));
        let date = |field: &str, value: &Option<String>, default: Option<NaiveDate>, errors: &mut FieldErrors| match value
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => default,
            Some(s) => parse_date(s).or_else(|| {
                push(errors, field, "A date as YYYY-MM-DD.");
                None
            }),
        };
        let from = date("period_from", &body.period_from, asked.0, &mut errors);
        let to = date("period_to", &body.period_to, asked.1, &mut errors);
        let today = cityos_calendar::local_date(self.clock.now());
        if let (Some(f), Some(t), Some(af), Some(at)) = (from, to, asked.0, asked.1) {
            if f < af || t > at {
                push(&mut errors, "period_to", format!("Approve within the period asked for, {af} to {at}."));
            }
            if t < f {
                push(&mut errors, "period_to", "The period ends before it starts.");
            } else if t < today {
                push(&mut errors, "period_to", "The period is over already.");
            }
        }
        let columns = clean_names(&body.personal_columns);
        for c in &columns {
            if !r.personal_columns_requested.contains(c) {
                push(&mut errors, "personal_columns", format!("{c} was not asked for."));
            }
        }
        let (Some(from), Some(to), true) = (from, to, errors.is_empty()) else {
            return Err(invalid(errors));
        };
        let (user_id, username) = user_parts(caller);
        let now = self.now_ms();
        let (starts_at, expires_at) = (day_start(from), day_end(to));
        let mut tx = self.db.begin().await?;
        let done = sqlx::query(
            "UPDATE access_requests SET status = 'approved', decided_by = $2, decided_by_name = $3, decided_at = $4, conditions = $5,
               approved_from = $6, approved_to = $7, approved_columns = $8, starts_at = $9, expires_at = $10, modified_at = $4
             WHERE id = $1 AND status = 'requested'",
        )
        .bind(id)
        .bind(&user_id)
        .bind(&username)
        .bind(now)
        .bind(&conditions)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(to_json_list(&columns))
        .bind(starts_at)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(ApiError::conflict("the request was decided meanwhile").into());
        }
        r.status = AccessStatus::Approved;
        r.decided_by = Some(user_id);
        r.decided_by_name = Some(username);
        r.decided_at = Some(from_millis(now));
        r.conditions = conditions;
        r.approved_from = Some(from.to_string());
        r.approved_to = Some(to.to_string());
        r.approved_columns = columns;
        r.starts_at = from_millis(starts_at);
        r.expires_at = from_millis(expires_at);
        r.active = starts_at <= now && now < expires_at;
        r.modified_at = from_millis(now);
        let change = Change {
            action: "approve",
            event: "approved",
            event_agency: r.requesting_agency.clone(),
            purpose: Some(r.purpose.clone()),
            mail: self.decision_mail(&r),
        };
        self.commit_change(tx, caller.actor(), caller.request_id.clone(), &r, change).await?;
        Ok(r)
    }

    fn refusal(body: &RefusalFields) -> Result<(String, String), DataHubError> {
        let mut errors = FieldErrors::new();
        let reason = text(&body.reason);
        let basis = text(&body.legal_basis);
        if reason.is_empty() {
            push(&mut errors, "reason", "A refusal is given in writing: say why.");
        }
        if basis.is_empty() {
            push(&mut errors, "legal_basis", "Cite the legal basis for refusing.");
        }
        check_len(&mut errors, "reason", &reason);
        check_len(&mut errors, "legal_basis", &basis);
        if errors.is_empty() {
            Ok((reason, basis))
        } else {
            Err(invalid(errors))
        }
    }

    async fn end_in_writing(&self, caller: &Caller, id: &str, body: &RefusalFields, revoke: bool) -> Result<AccessRequest, DataHubError> {
        let (from, to, action, event) = if revoke {
            (AccessStatus::Approved, AccessStatus::Revoked, "revoke", "revoked")
        } else {
            (AccessStatus::Requested, AccessStatus::Refused, "refuse", "refused")
        };
        let mut r = self.decidable(caller, id, from).await?;
        let (reason, basis) = Self::refusal(body)?;
        let (user_id, username) = user_parts(caller);
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        let done = sqlx::query(
            "UPDATE access_requests SET status = $2, decided_by = $3, decided_by_name = $4, decided_at = $5, refusal_reason = $6,
               refusal_legal_basis = $7, modified_at = $5
             WHERE id = $1 AND status = $8",
        )
        .bind(id)
        .bind(to.as_str())
        .bind(&user_id)
        .bind(&username)
        .bind(now)
        .bind(&reason)
        .bind(&basis)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(ApiError::conflict("the request changed meanwhile").into());
        }
        r.status = to;
        r.active = false;
        r.decided_by = Some(user_id);
        r.decided_by_name = Some(username);
        r.decided_at = Some(from_millis(now));
        r.refusal_reason = Some(reason.clone());
        r.refusal_legal_basis = Some(basis.clone());
        r.modified_at = from_millis(now);
        let change = Change {
            action,
            event,
            event_agency: r.requesting_agency.clone(),
            purpose: Some(format!("{reason} ({basis})")),
            mail: self.decision_mail(&r),
        };
        self.commit_change(tx, caller.actor(), caller.request_id.clone(), &r, change).await?;
        Ok(r)
    }

    /// Refuses a waiting request in writing (the owner's data officers and
    /// agency administrators): the reason and its legal basis are required.
    ///
    /// # Errors
    /// 401/403/404; 409 when it is not waiting; 422 without a reason or legal basis.
    pub async fn refuse(&self, caller: &Caller, id: &str, body: &RefusalFields) -> Result<AccessRequest, DataHubError> {
        self.end_in_writing(caller, id, body, false).await
    }

    /// Ends an approval early, in writing (the owner's data officers and
    /// agency administrators): the reason and its legal basis are required.
    ///
    /// # Errors
    /// 401/403/404; 409 when it is not approved; 422 without a reason or legal basis.
    pub async fn revoke(&self, caller: &Caller, id: &str, body: &RefusalFields) -> Result<AccessRequest, DataHubError> {
        self.end_in_writing(caller, id, body, true).await
    }

    /// Withdraws a waiting request or gives up an approval (the requesting
    /// agency's staff who may ask for it).
    ///
    /// # Errors
    /// 401/403/404; 409 when it is already decided otherwise.
    pub async fn withdraw(&self, caller: &Caller, id: &str) -> Result<AccessRequest, DataHubError> {
        caller.require_any(&REQUESTER_ROLES)?;
        self.expire_due().await?;
        let mut r = self.visible_request(caller, id).await?;
        if !may_act_for(caller, &r.requesting_agency) {
            return Err(ApiError::forbidden(format!("only staff of {} may withdraw its requests", r.requesting_agency)).into());
        }
        if !matches!(r.status, AccessStatus::Requested | AccessStatus::Approved) {
            return Err(ApiError::conflict(format!("the request is {} already", r.status.as_str()))
                .with("status", r.status.as_str())
                .into());
        }
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        let done = sqlx::query(
            "UPDATE access_requests SET status = 'withdrawn', decided_at = $2, modified_at = $2 WHERE id = $1 AND status IN ('requested', 'approved')",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(ApiError::conflict("the request changed meanwhile").into());
        }
        r.status = AccessStatus::Withdrawn;
        r.active = false;
        r.decided_at = Some(from_millis(now));
        r.modified_at = from_millis(now);
        let change = Change { action: "withdraw", event: "withdrawn", event_agency: r.owner_agency.clone(), purpose: None, mail: None };
        self.commit_change(tx, caller.actor(), caller.request_id.clone(), &r, change).await?;
        Ok(r)
    }

    /// Lists access requests: `mine` (the caller's agencies' requests) or
    /// `incoming` (requests for datasets of the agencies the caller decides
    /// for or audits), newest first.
    ///
    /// # Errors
    /// 400 for an unknown side or status; 401/403; database failure.
    pub async fn access_requests(&self, caller: &Caller, q: &RequestQuery) -> Result<AccessRequestList, DataHubError> {
        caller.require_staff()?;
        let page = q.page.unwrap_or(1).max(1);
        let per_page = q.per_page.unwrap_or(20).clamp(1, 200);
        let mut parts = Vec::new();
        match q.side.as_deref().unwrap_or("mine") {
            "mine" => {
                caller.require_any(&REQUESTER_ROLES)?;
                let mine = reading_agencies(caller);
                parts.push(Filter::In { column: "requesting_agency".into(), values: mine.into_iter().map(Value::Text).collect() });
            }
            "incoming" => {
                caller.require_any(&[Role::DataOfficer, Role::AgencyAdmin, Role::Auditor])?;
                if let Some(set) = caller.agencies_for(&[Role::DataOfficer, Role::AgencyAdmin, Role::Auditor]) {
                    let mut codes: Vec<String> = set.into_iter().collect();
                    codes.sort();
                    parts.push(Filter::In { column: "owner_agency".into(), values: codes.into_iter().map(Value::Text).collect() });
                }
            }
            other => return Err(ApiError::bad_request("invalid_side", format!("side `{other}`: use mine or incoming")).into()),
        }
        if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
            let status = AccessStatus::parse(s).ok_or_else(|| ApiError::bad_request("invalid_status", format!("unknown status `{s}`")))?;
            parts.push(Filter::Cmp { column: "status".into(), op: Op::Eq, value: Value::Text(status.as_str().into()) });
        }
        if let Some(d) = q.dataset.as_deref().filter(|s| !s.is_empty()) {
            parts.push(Filter::Or(vec![
                Filter::Cmp { column: "dataset_id".into(), op: Op::Eq, value: Value::Text(d.into()) },
                Filter::Cmp { column: "dataset_name".into(), op: Op::Eq, value: Value::Text(d.into()) },
            ]));
        }
        self.expire_due().await?;
        let (items, total) =
            self.select_requests(Filter::And(parts), Some(i64::from(per_page)), Some(i64::from(page - 1) * i64::from(per_page))).await?;
        Ok(AccessRequestList { items, total, page, per_page })
    }

    /// How the caller stands with `dataset`: how they read it now, what they
    /// may do, its personal fields and their agency's requests for it.
    ///
    /// # Errors
    /// 401; 404 for a dataset the caller may not know of; database failure.
    pub async fn sharing_status(&self, caller: &Caller, dataset: &str) -> Result<SharingStatus, DataHubError> {
        caller.require_staff()?;
        let not_found = || DataHubError::Api(ApiError::not_found(format!("no dataset {dataset}")));
        let d = self.load_dataset(dataset).await?.ok_or_else(not_found)?;
        if !can_read_metadata(caller, &d) && !self.known_through_sharing(caller, &d).await? {
            return Err(not_found());
        }
        self.expire_due().await?;
        let mine = reading_agencies(caller);
        let (requests, _) = self
            .select_requests(
                Filter::And(vec![
                    Filter::Cmp { column: "dataset_id".into(), op: Op::Eq, value: Value::Text(d.id.clone()) },
                    Filter::In { column: "requesting_agency".into(), values: mine.iter().cloned().map(Value::Text).collect() },
                ]),
                Some(200),
                None,
            )
            .await?;
        let owner = is_owner_side(caller, &d.owner_agency);
        let grant = if owner { None } else { self.approval_grant(caller, &d).await? };
        let approval_id = match grant.as_ref().map(|g| &g.basis) {
            Some(ReadBasis::Approval { id, .. }) => Some(id.clone()),
            _ => None,
        };
        let access = if owner {
            "owner"
        } else if approval_id.is_some() {
            "approval"
        } else if d.sharing_level == SharingLevel::Open {
            "public"
        } else {
            "none"
        };
        let approval = match &approval_id {
            Some(id) => self.stored_request(id).await?,
            None => None,
        };
        let may_request = !owner && caller.has_any(&REQUESTER_ROLES) && mine.iter().any(|a| *a != d.owner_agency && may_act_for(caller, a));
        Ok(SharingStatus {
            dataset_id: d.id.clone(),
            dataset_name: d.name.clone(),
            owner_agency: d.owner_agency.clone(),
            sharing_level: d.sharing_level,
            access: access.into(),
            approval,
            may_request,
            may_decide: may_decide(caller, &d.owner_agency),
            personal_fields: self.personal_fields(&d.id).await?,
            requests,
        })
    }

    /// Who outside the owner agency read `dataset` (its rows and files), and
    /// who was refused: from the audit log, newest first, with each read's
    /// approval, purpose and row count. For the owner agency's data officers
    /// and agency administrators, and auditors.
    ///
    /// # Errors
    /// 401/403/404; database failure.
    pub async fn access_log(&self, caller: &Caller, dataset: &str, q: &AccessLogQuery) -> Result<AccessLog, DataHubError> {
        caller.require_any(&[Role::DataOfficer, Role::AgencyAdmin, Role::Auditor])?;
        let not_found = || DataHubError::Api(ApiError::not_found(format!("no dataset {dataset}")));
        let d = self.load_dataset(dataset).await?.ok_or_else(not_found)?;
        if !may_decide(caller, &d.owner_agency) && !may_audit(caller, &d.owner_agency) {
            if can_read_metadata(caller, &d) || self.known_through_sharing(caller, &d).await? {
                return Err(
                    ApiError::forbidden(format!("only data officers of {} and auditors see who read its data", d.owner_agency)).into()
                );
            }
            return Err(not_found());
        }
        let page = q.page.unwrap_or(1).max(1);
        let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
        let resources: HashMap<String, String> = sqlx::query("SELECT id, name FROM resources WHERE dataset_id = $1")
            .bind(&d.id)
            .fetch_all(self.db.reader())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let mut objects = vec![Value::Text(format!("dataset:{}", d.id))];
        objects.extend(resources.keys().map(|id| Value::Text(format!("resource:{id}"))));
        let mut parts = vec![
            Filter::Cmp { column: "action".into(), op: Op::Eq, value: Value::Text("datahub.data.read".into()) },
            Filter::In { column: "object".into(), values: objects },
            Filter::Or(vec![
                Filter::IsNull("purpose".into()),
                Filter::Not(Box::new(Filter::Or(vec![
                    Filter::Cmp { column: "purpose".into(), op: Op::Eq, value: Value::Text(OWNER_PURPOSE.into()) },
                    Filter::Cmp {
                        column: "purpose".into(),
                        op: Op::StartsWith,
                        value: Value::Text(format!("{OWNER_PURPOSE}{}", crate::datastore::PERSONAL_FIELDS_MARK)),
                    },
                ]))),
            ]),
        ];
        if let Some(f) = q.from {
            parts.push(Filter::Cmp { column: "at".into(), op: Op::Ge, value: Value::Int(to_millis(f)) });
        }
        if let Some(t) = q.to {
            parts.push(Filter::Cmp { column: "at".into(), op: Op::Lt, value: Value::Int(to_millis(t)) });
        }
        let filter = Filter::And(parts);
        let schema = audit_schema();
        let sel = Select {
            filter: Some(filter.clone()),
            sort: vec![("seq".into(), Dir::Desc)],
            limit: Some(i64::from(per_page)),
            offset: Some(i64::from(page - 1) * i64::from(per_page)),
            ..Select::default()
        };
        let reader = self.db.reader();
        let rows = query::select(&schema, &sel).map_err(store)?.query().fetch_all(reader).await?;
        let total: i64 = query::count(&schema, Some(&filter)).map_err(store)?.query().fetch_one(reader).await?.try_get("n")?;
        let mut approvals: HashMap<String, Option<String>> = HashMap::new();
        let mut users: HashMap<String, Option<(String, Option<String>)>> = HashMap::new();
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let actor: String = row.try_get("actor")?;
            let object: String = row.try_get("object")?;
            let raw_purpose: Option<String> = row.try_get("purpose")?;
            // The personal fields a read touched follow its purpose; the log shows the purpose.
            let raw_purpose = raw_purpose.map(|p| crate::datastore::split_personal_purpose(&p).0.to_string());
            let (approval_id, purpose) = match raw_purpose.as_deref().and_then(parse_approval_purpose) {
                Some((id, p)) => (Some(id.to_string()), Some(p.to_string())),
                None => (None, raw_purpose.clone()),
            };
            let user = match actor.strip_prefix("user:") {
                Some(uid) => {
                    if !users.contains_key(uid) {
                        let v = self.identity.user(uid).await.map_err(ApiError::from)?.map(|u| (u.username, u.agency_code));
                        users.insert(uid.to_string(), v);
                    }
                    users.get(uid).cloned().flatten()
                }
                None => None,
            };
            let mut agency = user.as_ref().and_then(|u| u.1.clone());
            if let Some(aid) = &approval_id {
                if !approvals.contains_key(aid) {
                    let a = sqlx::query("SELECT requesting_agency FROM access_requests WHERE id = $1")
                        .bind(aid)
                        .fetch_optional(reader)
                        .await?
                        .map(|r| r.try_get::<String, _>("requesting_agency"))
                        .transpose()?;
                    approvals.insert(aid.clone(), a);
                }
                if let Some(Some(a)) = approvals.get(aid) {
                    agency = Some(a.clone());
                }
            }
            let resource_id = object.strip_prefix("resource:").map(str::to_string);
            items.push(AccessLogEntry {
                seq: row.try_get("seq")?,
                at: from_millis(row.try_get("at")?),
                actor,
                username: user.map(|u| u.0),
                agency,
                resource_name: resource_id.as_ref().and_then(|id| resources.get(id).cloned()),
                resource_id,
                outcome: row.try_get("outcome")?,
                approval_id,
                purpose,
                row_count: row.try_get("row_count")?,
                request_id: row.try_get("request_id")?,
            });
        }
        Ok(AccessLog { dataset_id: d.id.clone(), dataset_name: d.name.clone(), items, total, page, per_page })
    }
}

// ------------------------------------------------------------------ routes

/// The sharing routes (`/api/datahub/…`).
pub fn router(hub: DataHub) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create_request))
        .routes(routes!(list_requests))
        .routes(routes!(get_request))
        .routes(routes!(approve_request))
        .routes(routes!(refuse_request))
        .routes(routes!(revoke_request))
        .routes(routes!(withdraw_request))
        .routes(routes!(dataset_sharing))
        .routes(routes!(dataset_access_log))
        .with_state(hub)
}

/// Ask for access to a dataset for your agency (its data officers,
/// agency administrators, staff and analysts). `shared` data without
/// personal fields is approved at once; anything else waits for the owner.
#[utoipa::path(post, path = "/api/datahub/datasets/{id}/access-requests", tag = "datahub",
    params(("id" = String, Path, description = "dataset id or name")), request_body = NewAccessRequest,
    responses((status = 201, body = AccessRequest), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn create_request(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<NewAccessRequest>,
) -> Result<Response, ApiError> {
    let r = hub.request_access(&caller, &id, &body).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// Access requests: `side=mine` (your agency's; requesters) or
/// `side=incoming` (for your agency's datasets; data officers, agency
/// administrators, auditors).
#[utoipa::path(get, path = "/api/datahub/access-requests", tag = "datahub", params(RequestQuery),
    responses((status = 200, body = AccessRequestList), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
async fn list_requests(
    State(hub): State<DataHub>,
    caller: Caller,
    Query(q): Query<RequestQuery>,
) -> Result<Json<AccessRequestList>, ApiError> {
    Ok(Json(hub.access_requests(&caller, &q).await?))
}

/// One access request (the requesting agency's staff, the owner's data
/// officers and agency administrators, auditors).
#[utoipa::path(get, path = "/api/datahub/access-requests/{id}", tag = "datahub", params(("id" = String, Path)),
    responses((status = 200, body = AccessRequest), (status = 401), (status = 404)), security(("bearer" = [])))]
async fn get_request(State(hub): State<DataHub>, caller: Caller, Path(id): Path<String>) -> Result<Json<AccessRequest>, ApiError> {
    Ok(Json(hub.access_request(&caller, &id).await?))
}

/// Approve a waiting request, with conditions, a period and the personal
/// fields shown (the owner agency's data officers and agency administrators).
#[utoipa::path(post, path = "/api/datahub/access-requests/{id}/approve", tag = "datahub", params(("id" = String, Path)),
    request_body = ApprovalFields,
    responses((status = 200, body = AccessRequest), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn approve_request(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ApprovalFields>,
) -> Result<Json<AccessRequest>, ApiError> {
    Ok(Json(hub.approve(&caller, &id, &body).await?))
}

/// Refuse a waiting request in writing: `reason` and `legal_basis` are
/// required (the owner agency's data officers and agency administrators).
#[utoipa::path(post, path = "/api/datahub/access-requests/{id}/refuse", tag = "datahub", params(("id" = String, Path)),
    request_body = RefusalFields,
    responses((status = 200, body = AccessRequest), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn refuse_request(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<RefusalFields>,
) -> Result<Json<AccessRequest>, ApiError> {
    Ok(Json(hub.refuse(&caller, &id, &body).await?))
}

/// End an approval early, in writing: `reason` and `legal_basis` are
/// required (the owner agency's data officers and agency administrators).
#[utoipa::path(post, path = "/api/datahub/access-requests/{id}/revoke", tag = "datahub", params(("id" = String, Path)),
    request_body = RefusalFields,
    responses((status = 200, body = AccessRequest), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn revoke_request(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<RefusalFields>,
) -> Result<Json<AccessRequest>, ApiError> {
    Ok(Json(hub.revoke(&caller, &id, &body).await?))
}

/// Withdraw a waiting request or give up an approval (the requesting
/// agency's staff who may ask for access).
#[utoipa::path(post, path = "/api/datahub/access-requests/{id}/withdraw", tag = "datahub", params(("id" = String, Path)),
    responses((status = 200, body = AccessRequest), (status = 401), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn withdraw_request(State(hub): State<DataHub>, caller: Caller, Path(id): Path<String>) -> Result<Json<AccessRequest>, ApiError> {
    Ok(Json(hub.withdraw(&caller, &id).await?))
}

/// How you stand with a dataset: how you read it now (`owner`, `approval`,
/// `public`, `none`), whether you may ask or decide, its personal fields and
/// your agency's requests (staff who may see the dataset).
#[utoipa::path(get, path = "/api/datahub/datasets/{id}/sharing", tag = "datahub",
    params(("id" = String, Path, description = "dataset id or name")),
    responses((status = 200, body = SharingStatus), (status = 401), (status = 404)), security(("bearer" = [])))]
async fn dataset_sharing(State(hub): State<DataHub>, caller: Caller, Path(id): Path<String>) -> Result<Json<SharingStatus>, ApiError> {
    Ok(Json(hub.sharing_status(&caller, &id).await?))
}

/// Who outside the owner agency read the dataset's rows and files, under
/// which approval, for what purpose and how many rows, and who was refused
/// (the owner agency's data officers and agency administrators, auditors).
#[utoipa::path(get, path = "/api/datahub/datasets/{id}/access-log", tag = "datahub",
    params(("id" = String, Path, description = "dataset id or name"), AccessLogQuery),
    responses((status = 200, body = AccessLog), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn dataset_access_log(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<AccessLogQuery>,
) -> Result<Json<AccessLog>, ApiError> {
    Ok(Json(hub.access_log(&caller, &id, &q).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cityos_api::ResolvedGrant;

    fn staff(agency: &str, grants: Vec<(Role, Scope)>) -> Caller {
        Caller {
            principal: Principal::Staff { user_id: "u".into(), username: "u".into(), agency: Some(agency.into()), api_key_id: None },
            grants: grants
                .into_iter()
                .map(|(role, scope)| ResolvedGrant {
                    role,
                    agencies: match &scope {
                        Scope::Agency(a) => Some([a.clone(), format!("{a}-CHILD")].into()),
                        _ => None,
                    },
                    jurisdictions: None,
                    scope,
                })
                .collect(),
            request_id: None,
        }
    }

    #[test]
    fn approvals_cover_the_agency_itself_not_those_below() {
        let c = staff("SO-TC", vec![(Role::Staff, Scope::Agency("SO-TC".into()))]);
        assert_eq!(reading_agencies(&c), ["SO-TC".to_string()].into());
        assert!(may_act_for(&c, "SO-TC"));
        assert!(!may_act_for(&c, "SO-TC-CHILD"));
        assert!(!may_act_for(&c, "SO-YT"));
        // A city-wide analyst reads for their own agency only.
        let a = staff("SO-TC", vec![(Role::Analyst, Scope::City)]);
        assert!(may_act_for(&a, "SO-TC") && !may_act_for(&a, "SO-YT"));
        // Viewers do not ask; nobody without a grant counts.
        let v = staff("SO-GDDT", vec![(Role::Viewer, Scope::Agency("SO-GDDT".into()))]);
        assert!(!may_act_for(&v, "SO-GDDT"));
        assert!(reading_agencies(&staff("SO-TC", vec![])).is_empty());
        assert!(reading_agencies(&Caller::default()).is_empty());
    }

    #[test]
    fn approval_purposes_round_trip() {
        let p = approval_purpose("0193-ab", "Lập kế hoạch: mạng lưới y tế");
        assert_eq!(parse_approval_purpose(&p), Some(("0193-ab", "Lập kế hoạch: mạng lưới y tế")));
        assert_eq!(parse_approval_purpose("owner agency"), None);
        assert_eq!(parse_approval_purpose("no approval for this agency"), None);
    }

    #[test]
    fn periods_are_whole_days_in_vietnam() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        // 00:00 on 31 December in Hanoi is 17:00 UTC on the 30th.
        assert_eq!(from_millis(day_start(d)).to_rfc3339(), "2026-12-30T17:00:00+00:00");
        assert_eq!(from_millis(day_end(d)).to_rfc3339(), "2026-12-31T17:00:00+00:00");
        assert_eq!(cityos_calendar::local_date(from_millis(day_end(d) - 1)), d);
        assert!(parse_date("31/12/2026").is_none());
    }

    #[test]
    fn emails_and_names() {
        assert!(plausible_email("lan.nt@soyt.hochiminhcity.gov.vn"));
        for bad in ["", "x", "a@b", "a @b.vn", "@b.vn", "a@.vn"] {
            assert!(!plausible_email(bad), "{bad}");
        }
        assert_eq!(clean_names(&[" a ".into(), "a".into(), String::new(), "b".into()]), ["a", "b"]);
        assert_eq!(AccessStatus::parse("revoked"), Some(AccessStatus::Revoked));
        assert_eq!(AccessStatus::parse("nope"), None);
    }
}
