//! Web-push notifications to the 1022 app (`/api/feedback/push/*`).
//!
//! The portal's service worker subscribes with the server's VAPID key and
//! sends its `PushSubscription` here, either with a report's tracking code
//! (anyone who has the code may follow that report, as anyone with it may
//! read its public page) or, for a signed-in citizen, without one to follow
//! all of their reports. The subscription follows *topics* in
//! `cityos_notify::webpush`: `report:<tracking code>` or `citizen:<id>`.
//!
//! [`web_push_targets`] is the one hook into the report lifecycle: whenever
//! the citizen is notified about a report, every subscription following it
//! gets a `webpush` notification in the same transaction.

use crate::{Feedback, FeedbackError, Status};
use axum::extract::State;
use cityos_api::extract::Json;
use cityos_api::{ApiError, Caller, Principal};
use cityos_audit::AuditRecord;
use cityos_core::config::PushConfig;
use cityos_notify::webpush::{self, Subscription, VapidKey};
use cityos_notify::{NotificationRequest, NotifyError};
use cityos_store::Tx;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use std::fmt;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What the push routes share.
#[derive(Debug, Clone)]
struct PushRoutes {
    feedback: Feedback,
    /// The VAPID public key; `None` turns web push off (404).
    public_key: Option<String>,
    allow_insecure: bool,
}

/// The push routes. Web push is on when `[push] vapid_private_key` holds a
/// valid key (the binary generates one into the data directory when none is
/// configured); otherwise they answer 404.
pub fn router(feedback: Feedback, config: &PushConfig) -> OpenApiRouter {
    let public_key = if config.vapid_private_key.is_empty() {
        None
    } else {
        match VapidKey::from_base64url(config.vapid_private_key.expose()) {
            Ok(key) => Some(key.public_key()),
            Err(e) => {
                tracing::error!(error = %e, "web push is off: check [push] vapid_private_key");
                None
            }
        }
    };
    let state = PushRoutes { feedback, public_key, allow_insecure: config.allow_insecure_endpoints };
    OpenApiRouter::new().routes(routes!(key)).routes(routes!(subscribe, unsubscribe)).with_state(state)
}

impl PushRoutes {
    fn public_key(&self) -> Result<&str, ApiError> {
        self.public_key.as_deref().ok_or_else(|| ApiError::not_found("web push is not configured on this server"))
    }
}

/// The server's VAPID public key.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushKey {
    /// The uncompressed P-256 public key, base64url: pass it to
    /// `PushManager.subscribe()` as `applicationServerKey`.
    pub public_key: String,
}

/// The key browsers subscribe with (public).
#[utoipa::path(get, path = "/api/feedback/push/key", operation_id = "push_key", tag = "feedback", responses((status = 200, body = PushKey), (status = 404)))]
async fn key(State(s): State<PushRoutes>) -> Result<Json<PushKey>, ApiError> {
    Ok(Json(PushKey { public_key: s.public_key()?.to_string() }))
}

/// The keys of a browser's push subscription.
#[derive(Deserialize, ToSchema)]
pub struct PushKeys {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The 16-byte authentication secret, base64url.
    pub auth: String,
}

/// A browser's `PushSubscription` (as `toJSON()` gives it) and what it should follow.
#[derive(Deserialize, ToSchema)]
pub struct NewPushSubscription {
    /// The push service URL.
    pub endpoint: String,
    /// When the browser will drop the subscription, if it knows (ignored).
    #[serde(default, rename = "expirationTime")]
    pub expiration_time: Option<f64>,
    /// The subscription's keys.
    pub keys: PushKeys,
    /// Follow this report. Without it, a signed-in citizen follows all of their reports.
    #[serde(default)]
    pub tracking_code: Option<String>,
}

impl fmt::Debug for NewPushSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The endpoint and keys are a capability to message the browser: never logged.
        f.debug_struct("NewPushSubscription").field("tracking_code", &self.tracking_code).finish_non_exhaustive()
    }
}

impl fmt::Debug for PushKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushKeys").finish_non_exhaustive()
    }
}

/// What a subscription now follows.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushFollowing {
    /// The report followed, or none when it follows all of the citizen's reports.
    pub tracking_code: Option<String>,
    /// True when it follows every report of the signed-in citizen.
    pub all_my_reports: bool,
}

/// Subscribe a browser to status changes of a report (anyone with its
/// tracking code) or of all one's reports (a signed-in citizen, without a
/// code). Subscribing again with the same endpoint adds to what it follows.
#[utoipa::path(post, path = "/api/feedback/push/subscriptions", operation_id = "push_subscribe", tag = "feedback", request_body = NewPushSubscription,
    responses((status = 201, body = PushFollowing), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn subscribe(
    State(s): State<PushRoutes>,
    caller: Caller,
    Json(body): Json<NewPushSubscription>,
) -> Result<(StatusCode, Json<PushFollowing>), ApiError> {
    s.public_key()?;
    let sub = Subscription::parse(&body.endpoint, &body.keys.p256dh, &body.keys.auth, s.allow_insecure).map_err(invalid)?;
    let f = &s.feedback;
    let (topic, following) = match body.tracking_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            let code = code.to_ascii_uppercase();
            let found = sqlx::query("SELECT tracking_code FROM reports WHERE tracking_code = $1")
                .bind(&code)
                .fetch_optional(f.db().reader())
                .await
                .map_err(|e| ApiError::internal(&e))?;
            if found.is_none() {
                return Err(ApiError::not_found("no report has this tracking code"));
            }
            (report_topic(&code), PushFollowing { tracking_code: Some(code), all_my_reports: false })
        }
        None => match &caller.principal {
            Principal::Citizen { citizen_id } => (citizen_topic(citizen_id), PushFollowing { tracking_code: None, all_my_reports: true }),
            Principal::Staff { .. } => return Err(ApiError::forbidden("staff follow reports in the console; give a tracking_code")),
            Principal::Anonymous => {
                return Err(ApiError::unauthorized().detail("Give the report's tracking_code, or sign in to follow all your reports."))
            }
        },
    };
    let mut tx = f.db().begin().await.map_err(|e| ApiError::internal(&e))?;
    let id = webpush::subscribe(&mut tx, f.clock().as_ref(), &sub, &topic).await.map_err(invalid)?;
    audit(f, &mut tx, &caller, "feedback.push.subscribe", &id).await?;
    tx.commit().await.map_err(|e| ApiError::internal(&e))?;
    Ok((StatusCode::CREATED, Json(following)))
}

/// Which subscription to stop, and what.
#[derive(Deserialize, ToSchema)]
pub struct PushUnsubscription {
    /// The subscription's push service URL.
    pub endpoint: String,
    /// Stop following only this report; without it the subscription is deleted.
    #[serde(default)]
    pub tracking_code: Option<String>,
}

impl fmt::Debug for PushUnsubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushUnsubscription").field("tracking_code", &self.tracking_code).finish_non_exhaustive()
    }
}

/// Stop notifications to a browser (whoever holds its endpoint: the
/// browser itself): for one report, or altogether. 204 also when there was
/// nothing to stop.
#[utoipa::path(delete, path = "/api/feedback/push/subscriptions", operation_id = "push_unsubscribe", tag = "feedback", request_body = PushUnsubscription,
    responses((status = 204), (status = 404), (status = 422)))]
async fn unsubscribe(State(s): State<PushRoutes>, caller: Caller, Json(body): Json<PushUnsubscription>) -> Result<StatusCode, ApiError> {
    s.public_key()?;
    if body.endpoint.trim().is_empty() {
        return Err(ApiError::invalid("endpoint is required"));
    }
    let f = &s.feedback;
    let mut tx = f.db().begin().await.map_err(|e| ApiError::internal(&e))?;
    let removed = match body.tracking_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => webpush::unfollow(&mut tx, &body.endpoint, &report_topic(&code.to_ascii_uppercase())).await,
        None => webpush::unsubscribe(&mut tx, &body.endpoint).await,
    }
    .map_err(invalid)?;
    if let Some(id) = removed {
        audit(f, &mut tx, &caller, "feedback.push.unsubscribe", &id).await?;
        tx.commit().await.map_err(|e| ApiError::internal(&e))?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn audit(f: &Feedback, tx: &mut Tx, caller: &Caller, action: &str, subscription: &str) -> Result<(), ApiError> {
    let rec = AuditRecord {
        actor: caller.actor(),
        action: action.into(),
        object: format!("push_subscription:{subscription}"),
        purpose: None,
        outcome: "success".into(),
        request_id: caller.request_id.clone(),
        row_count: Some(1),
    };
    cityos_audit::append(tx, f.db().backend(), f.clock(), &rec).await.map_err(|e| ApiError::internal(&e))?;
    Ok(())
}

/// A refused subscription is the client's 422; anything else is ours.
fn invalid(e: NotifyError) -> ApiError {
    match e {
        NotifyError::Invalid(why) => ApiError::invalid(why),
        other => ApiError::internal(&other),
    }
}

fn report_topic(code: &str) -> String {
    format!("report:{code}")
}

fn citizen_topic(citizen_id: &str) -> String {
    format!("citizen:{citizen_id}")
}

/// The `webpush` notifications about report `code` (template `template`):
/// one per subscription following the report or all reports of its citizen.
/// Callers add the variables every channel gets, then queue them in the
/// transaction of the change.
///
/// # Errors
/// A database error.
pub(crate) async fn web_push_targets(
    tx: &mut Tx,
    code: &str,
    template: &str,
    status: Option<Status>,
) -> Result<Vec<NotificationRequest>, FeedbackError> {
    let mut topics = vec![report_topic(code)];
    let citizen =
        sqlx::query("SELECT reporter_citizen_id FROM reports WHERE tracking_code = $1").bind(code).fetch_optional(&mut **tx).await?;
    if let Some(id) = citizen.map(|r| r.try_get::<Option<String>, _>("reporter_citizen_id")).transpose()?.flatten() {
        topics.push(citizen_topic(&id));
    }
    let subscribers = webpush::subscribers(tx, &topics).await.map_err(|e| FeedbackError::Notify(e.to_string()))?;
    Ok(subscribers
        .into_iter()
        .map(|id| {
            let req = NotificationRequest::web_push(id, template);
            match status {
                Some(s) => req.var("status_code", s.as_str()),
                None => req,
            }
        })
        .collect())
}
