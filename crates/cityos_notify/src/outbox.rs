//! The notification queue: rows in `notifications`, written inside the
//! caller's transaction by [`enqueue`] and delivered by a [`Notifier`].
//!
//! A row moves `queued` → `sending` → `sent`, or back to `queued` with a
//! later `next_attempt_at` after a transient failure, or to `failed` after a
//! permanent failure or `max_attempts` attempts. The claim is one
//! `UPDATE … SET status = 'sending' WHERE id = $1 AND status = 'queued'`, so
//! of several workers (replicas, or tasks in one process) exactly one wins
//! each row. No transaction is held while a provider is talked to.
//!
//! Delivery is at least once: a worker that dies after the provider accepted
//! a message but before recording it leaves the row in `sending`, and after
//! [`STUCK_AFTER`] it is queued again and sent a second time.

use crate::template::{self, Locale, TemplateError};
use crate::transport::{Channel, DeliveryError, Outgoing, Transport};
use crate::{MessengerSendApi, NotifyError, SmsGateway, SmtpTransport, WebPush, ZaloOaApi};
use chrono::{DateTime, Duration, Utc};
use cityos_core::config::{NotifyConfig, PushConfig};
use cityos_core::{from_millis, new_id, to_millis, Clock, SharedClock};
use cityos_store::{Db, ModuleMigration};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The migrations of this module, for `Db::migrate`.
pub const MIGRATIONS: &[ModuleMigration] = &[
    ModuleMigration {
        version: 20_261_127_020_000,
        description: "notifications outbox",
        sqlite: NOTIFICATIONS_TABLE,
        postgres: NOTIFICATIONS_TABLE,
    },
    ModuleMigration {
        version: 20_261_127_110_000,
        description: "notifications on zalo and messenger",
        sqlite: CHAT_CHANNELS_SQLITE,
        postgres: CHAT_CHANNELS_POSTGRES,
    },
    ModuleMigration {
        version: 20_261_128_200_000,
        description: "web push: subscriptions, their topics, notifications on webpush",
        sqlite: WEB_PUSH_SQLITE,
        postgres: WEB_PUSH_POSTGRES,
    },
    ModuleMigration {
        version: 20_261_128_500_000,
        description: "zalo oa tokens renewed by cityos",
        sqlite: ZALO_TOKENS_SQL,
        postgres: ZALO_TOKENS_SQL,
    },
];

/// The Zalo OA token pair last renewed (a refresh token is single-use, so
/// the newest must survive restarts). One row per Zalo application.
const ZALO_TOKENS_SQL: &str = "
CREATE TABLE zalo_oa_tokens (
    app_id TEXT PRIMARY KEY,
    access_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    renewed_at BIGINT NOT NULL
);
";

// The same text serves both backends: only BIGINT, TEXT and partial indexes.
const NOTIFICATIONS_TABLE: &str = "
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    locale TEXT NOT NULL,
    vars_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_at BIGINT,
    last_error TEXT,
    provider_id TEXT,
    purpose TEXT NOT NULL,
    related_object TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'queued';
CREATE INDEX notifications_sending ON notifications (claimed_at) WHERE status = 'sending';
CREATE INDEX notifications_related ON notifications (related_object);
";

// SQLite cannot alter a CHECK constraint: the table is rebuilt with the wider
// one (same columns, same order), and its indexes are made again.
const CHAT_CHANNELS_SQLITE: &str = "
CREATE TABLE notifications_widened (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'zalo', 'messenger')),
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    locale TEXT NOT NULL,
    vars_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_at BIGINT,
    last_error TEXT,
    provider_id TEXT,
    purpose TEXT NOT NULL,
    related_object TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
INSERT INTO notifications_widened SELECT id, channel, recipient, template, locale, vars_json, status, attempts, next_attempt_at,
    claimed_at, last_error, provider_id, purpose, related_object, created_at, sent_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_widened RENAME TO notifications;
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'queued';
CREATE INDEX notifications_sending ON notifications (claimed_at) WHERE status = 'sending';
CREATE INDEX notifications_related ON notifications (related_object);
";

// PostgreSQL names an unnamed column CHECK `<table>_<column>_check`.
const CHAT_CHANNELS_POSTGRES: &str = "
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check CHECK (channel IN ('email', 'sms', 'zalo', 'messenger'));
";

// Push subscriptions (see `webpush`) and what each follows; `webpush` joins the channels.
macro_rules! push_tables {
    () => {
        "
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE push_topics (
    subscription_id TEXT NOT NULL REFERENCES push_subscriptions(id),
    topic TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, topic)
);
CREATE INDEX push_topics_topic ON push_topics (topic);
"
    };
}

const WEB_PUSH_SQLITE: &str = concat!(
    push_tables!(),
    "
CREATE TABLE notifications_widened (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'zalo', 'messenger', 'webpush')),
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    locale TEXT NOT NULL,
    vars_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_at BIGINT,
    last_error TEXT,
    provider_id TEXT,
    purpose TEXT NOT NULL,
    related_object TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
INSERT INTO notifications_widened SELECT id, channel, recipient, template, locale, vars_json, status, attempts, next_attempt_at,
    claimed_at, last_error, provider_id, purpose, related_object, created_at, sent_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_widened RENAME TO notifications;
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'queued';
CREATE INDEX notifications_sending ON notifications (claimed_at) WHERE status = 'sending';
CREATE INDEX notifications_related ON notifications (related_object);
"
);

const WEB_PUSH_POSTGRES: &str = concat!(
    push_tables!(),
    "
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check CHECK (channel IN ('email', 'sms', 'zalo', 'messenger', 'webpush'));
"
);

/// The variable of an e-mail notification that names the `Message-ID` it
/// answers (see [`Outgoing::in_reply_to`]); templates do not use it.
pub const IN_REPLY_TO: &str = "in_reply_to";

/// Longest accepted chat recipient id (Zalo user ids and Messenger PSIDs are
/// numeric strings of about 16–20 digits).
const MAX_CHAT_ID_CHARS: usize = 64;

/// A row left in `sending` this long is assumed orphaned by a dead worker
/// and queued again. Far longer than any transport's own timeout.
pub const STUCK_AFTER: Duration = Duration::minutes(10);
/// The first retry waits this long; each further one twice as long.
pub const FIRST_RETRY_DELAY: Duration = Duration::seconds(30);
/// The longest wait between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::hours(1);
/// How many due notifications [`Notifier::run`] delivers per poll.
const BATCH: usize = 50;
/// Longest accepted recipient (RFC 5321 caps an address at 254 characters).
const MAX_RECIPIENT_CHARS: usize = 254;

/// The wait before the next attempt after `attempts` failed ones:
/// 30 s × 2^(attempts − 1), at most one hour.
#[must_use]
pub fn retry_delay(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    let delay = FIRST_RETRY_DELAY * 2_i32.pow(exponent);
    delay.min(MAX_RETRY_DELAY)
}

/// A notification to send: what, to whom, in which language and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRequest {
    /// E-mail, SMS, Zalo, Messenger or web push.
    pub channel: Channel,
    /// E-mail address, phone number, Zalo user id, Messenger PSID or push
    /// subscription id (personal data: never logged).
    pub recipient: String,
    /// Template key from [`crate::template::CATALOGUE`], e.g. `otp_code`.
    pub template: String,
    /// Language of the message. Default Vietnamese.
    pub locale: Locale,
    /// Values for the template's `{placeholders}`.
    pub vars: BTreeMap<String, String>,
    /// Why it is sent, e.g. `citizen_sign_in`, `report_update` (for audit and statistics).
    pub purpose: String,
    /// The business object it is about, e.g. `report:0193…`, if any.
    pub related_object: Option<String>,
}

impl NotificationRequest {
    /// An e-mail from `template` to `address`, in Vietnamese.
    #[must_use]
    pub fn email(address: impl Into<String>, template: impl Into<String>) -> Self {
        Self::new(Channel::Email, address, template)
    }

    /// An SMS from `template` to `phone`, in Vietnamese.
    #[must_use]
    pub fn sms(phone: impl Into<String>, template: impl Into<String>) -> Self {
        Self::new(Channel::Sms, phone, template)
    }

    /// A Zalo Official Account message from `template` to the Zalo user
    /// `user_id` (the id the OA's webhook reported), in Vietnamese.
    #[must_use]
    pub fn zalo(user_id: impl Into<String>, template: impl Into<String>) -> Self {
        Self::new(Channel::Zalo, user_id, template)
    }

    /// A Messenger message from `template` to the page-scoped user id `psid`,
    /// in Vietnamese.
    #[must_use]
    pub fn messenger(psid: impl Into<String>, template: impl Into<String>) -> Self {
        Self::new(Channel::Messenger, psid, template)
    }

    /// A web-push notification from `template` to the push subscription
    /// `subscription_id` (see [`crate::webpush::subscribers`]), in Vietnamese.
    #[must_use]
    pub fn web_push(subscription_id: impl Into<String>, template: impl Into<String>) -> Self {
        Self::new(Channel::WebPush, subscription_id, template)
    }

    /// A notification on `channel`, in Vietnamese, with no variables yet.
    #[must_use]
    pub fn new(channel: Channel, recipient: impl Into<String>, template: impl Into<String>) -> Self {
        let template = template.into();
        Self {
            channel,
            recipient: recipient.into(),
            purpose: template.clone(),
            template,
            locale: Locale::default(),
            vars: BTreeMap::new(),
            related_object: None,
        }
    }

    /// Sets the language.
    #[must_use]
    pub fn locale(mut self, locale: Locale) -> Self {
        self.locale = locale;
        self
    }

    /// Sets one template variable.
    #[must_use]
    pub fn var(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.vars.insert(name.into(), value.to_string());
        self
    }

    /// Sets why it is sent (defaults to the template key).
    #[must_use]
    pub fn purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = purpose.into();
        self
    }

    /// Sets the business object it is about.
    #[must_use]
    pub fn related_object(mut self, object: impl Into<String>) -> Self {
        self.related_object = Some(object.into());
        self
    }

    /// Checks what can be checked before the business transaction commits: a
    /// plausible recipient for the channel and a non-empty template key.
    /// Templates and variables are checked when the message is rendered, and
    /// a problem there marks the notification `failed` with the reason.
    ///
    /// # Errors
    /// [`NotifyError::Invalid`] saying what is wrong.
    pub fn validate(&self) -> Result<(), NotifyError> {
        let r = self.recipient.trim();
        if r.is_empty() {
            return Err(NotifyError::Invalid("recipient is empty".into()));
        }
        if r.chars().count() > MAX_RECIPIENT_CHARS || r.chars().any(char::is_control) {
            return Err(NotifyError::Invalid("recipient is too long or contains control characters".into()));
        }
        match self.channel {
            Channel::Email if !r.contains('@') => return Err(NotifyError::Invalid("an e-mail recipient must be an e-mail address".into())),
            Channel::Sms if !is_phone_number(r) => {
                return Err(NotifyError::Invalid("an SMS recipient must be a phone number (digits, optional leading +)".into()))
            }
            Channel::WebPush if !is_chat_id(r) => {
                return Err(NotifyError::Invalid("a webpush recipient must be a push subscription id".into()))
            }
            Channel::Zalo | Channel::Messenger if !is_chat_id(r) => {
                return Err(NotifyError::Invalid(format!(
                    "a {} recipient must be the user id the channel gave (letters, digits, - and _)",
                    self.channel
                )))
            }
            _ => {}
        }
        if self.template.is_empty() {
            return Err(NotifyError::Invalid("template is empty".into()));
        }
        Ok(())
    }
}

fn is_phone_number(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (6..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

fn is_chat_id(s: &str) -> bool {
    s.len() <= MAX_CHAT_ID_CHARS && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Queues a notification inside the caller's transaction and returns its id.
///
/// Pass the transaction of the business change (`&mut *tx` for a
/// [`cityos_store::Tx`]): the notification exists exactly when that change
/// commits, and a [`Notifier`] sends it after the commit.
///
/// # Errors
/// [`NotifyError::Invalid`] for a request [`NotificationRequest::validate`]
/// rejects; a database error.
pub async fn enqueue(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, req: &NotificationRequest) -> Result<String, NotifyError> {
    req.validate()?;
    let id = new_id();
    let now = to_millis(clock.now());
    let vars = serde_json::to_string(&req.vars).map_err(|e| NotifyError::Invalid(format!("variables: {e}")))?;
    sqlx::query(
        "INSERT INTO notifications (id, channel, recipient, template, locale, vars_json, status, attempts, \
         next_attempt_at, purpose, related_object, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(req.channel.as_str())
    .bind(req.recipient.trim())
    .bind(&req.template)
    .bind(req.locale.as_str())
    .bind(vars)
    .bind(now)
    .bind(&req.purpose)
    .bind(req.related_object.as_deref())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    tracing::debug!(notification = %id, channel = %req.channel, template = %req.template, "notification queued");
    Ok(id)
}

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationState {
    /// Waiting for its next attempt.
    Queued,
    /// A worker is handing it to the provider.
    Sending,
    /// The provider accepted it.
    Sent,
    /// It will not be sent: see `last_error`.
    Failed,
}

impl NotificationState {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(Self::Queued),
            "sending" => Some(Self::Sending),
            "sent" => Some(Self::Sent),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// The delivery record of one notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryStatus {
    /// The notification id.
    pub id: String,
    /// E-mail, SMS, Zalo or Messenger.
    pub channel: Channel,
    /// E-mail address, phone number or chat user id (personal data).
    pub recipient: String,
    /// Template key.
    pub template: String,
    /// Language.
    pub locale: Locale,
    /// Where it stands.
    pub state: NotificationState,
    /// Attempts made so far (a claimed attempt counts even if its worker died).
    pub attempts: i64,
    /// When it is next due (meaningful while `queued`).
    pub next_attempt_at: DateTime<Utc>,
    /// The reason of the latest failure, if any.
    pub last_error: Option<String>,
    /// The provider's id for the sent message.
    pub provider_id: Option<String>,
    /// Why it was sent.
    pub purpose: String,
    /// The business object it is about.
    pub related_object: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the provider accepted it.
    pub sent_at: Option<DateTime<Utc>>,
}

fn status_from_row(row: &sqlx::any::AnyRow) -> Result<DeliveryStatus, NotifyError> {
    let channel: String = row.try_get("channel")?;
    let locale: String = row.try_get("locale")?;
    let state: String = row.try_get("status")?;
    Ok(DeliveryStatus {
        id: row.try_get("id")?,
        channel: Channel::parse(&channel).ok_or_else(|| NotifyError::Corrupt(format!("channel `{channel}`")))?,
        recipient: row.try_get("recipient")?,
        template: row.try_get("template")?,
        locale: Locale::parse(&locale).unwrap_or_default(),
        state: NotificationState::parse(&state).ok_or_else(|| NotifyError::Corrupt(format!("status `{state}`")))?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: from_millis(row.try_get("next_attempt_at")?),
        last_error: row.try_get("last_error")?,
        provider_id: row.try_get("provider_id")?,
        purpose: row.try_get("purpose")?,
        related_object: row.try_get("related_object")?,
        created_at: from_millis(row.try_get("created_at")?),
        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(from_millis),
    })
}

/// Delivers queued notifications through one [`Transport`] per channel.
///
/// Cheap to share behind an `Arc`; any number of notifiers (in one process
/// or across replicas) may work on the same database.
pub struct Notifier {
    db: Db,
    clock: SharedClock,
    email: Option<Arc<dyn Transport>>,
    sms: Option<Arc<dyn Transport>>,
    zalo: Option<Arc<dyn Transport>>,
    messenger: Option<Arc<dyn Transport>>,
    web_push: Option<Arc<dyn Transport>>,
    max_attempts: i64,
    poll_interval: std::time::Duration,
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("backend", &self.db.backend())
            .field("email", &self.email)
            .field("sms", &self.sms)
            .field("zalo", &self.zalo)
            .field("messenger", &self.messenger)
            .field("web_push", &self.web_push)
            .field("max_attempts", &self.max_attempts)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

/// What happened to one claimed notification.
enum Outcome {
    Sent,
    Retry,
    Failed,
}

impl Notifier {
    /// A notifier with no transports: every message fails with "not
    /// configured" until [`Notifier::with_transport`] adds one. Eight
    /// attempts, polling every second.
    #[must_use]
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self {
            db,
            clock,
            email: None,
            sms: None,
            zalo: None,
            messenger: None,
            web_push: None,
            max_attempts: 8,
            poll_interval: std::time::Duration::from_secs(1),
        }
    }

    /// A notifier for `[notify]`: SMTP when `smtp.host` is set, the SMS
    /// gateway when `sms.url` is set, the Zalo OA API when
    /// `zalo.access_token` is set, the Messenger Send API when
    /// `messenger.page_access_token` is set; `max_attempts` as configured.
    ///
    /// # Errors
    /// [`NotifyError::Config`] naming the bad setting.
    pub fn from_config(db: Db, clock: SharedClock, config: &NotifyConfig) -> Result<Self, NotifyError> {
        let mut notifier = Self::new(db, clock).with_max_attempts(config.max_attempts);
        if !config.smtp.host.is_empty() {
            notifier = notifier.with_transport(Channel::Email, Arc::new(SmtpTransport::new(&config.smtp)?));
        }
        if !config.sms.url.is_empty() {
            notifier = notifier.with_transport(Channel::Sms, Arc::new(SmsGateway::new(&config.sms)?));
        }
        if !config.zalo.access_token.is_empty() || !config.zalo.refresh_token.is_empty() {
            let zalo = ZaloOaApi::new(&config.zalo)?.renewing(&config.zalo, notifier.db.clone(), notifier.clock.clone())?;
            notifier = notifier.with_transport(Channel::Zalo, Arc::new(zalo));
        }
        if !config.messenger.page_access_token.is_empty() {
            notifier = notifier.with_transport(Channel::Messenger, Arc::new(MessengerSendApi::new(&config.messenger)?));
        }
        Ok(notifier)
    }

    /// Uses `transport` for `channel`.
    #[must_use]
    pub fn with_transport(mut self, channel: Channel, transport: Arc<dyn Transport>) -> Self {
        match channel {
            Channel::Email => self.email = Some(transport),
            Channel::Sms => self.sms = Some(transport),
            Channel::Zalo => self.zalo = Some(transport),
            Channel::Messenger => self.messenger = Some(transport),
            Channel::WebPush => self.web_push = Some(transport),
        }
        self
    }

    /// Sends `webpush` notifications as `[push]` says ([`WebPush`]), when a
    /// VAPID key is set.
    ///
    /// # Errors
    /// [`NotifyError::Config`] naming the bad setting.
    pub fn with_web_push(self, config: &PushConfig) -> Result<Self, NotifyError> {
        Ok(match WebPush::from_config(self.db.clone(), self.clock.clone(), config)? {
            Some(push) => self.with_transport(Channel::WebPush, Arc::new(push)),
            None => self,
        })
    }

    /// Attempts before a notification is marked failed (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: i64) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// How often [`Notifier::run`] looks for due notifications. Default 1 s.
    #[must_use]
    pub fn with_poll_interval(mut self, every: std::time::Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// Queues a notification in a transaction of its own, for a notification
    /// that accompanies no business change (use [`enqueue`] when there is one).
    /// Never call it while holding a transaction on the same SQLite database:
    /// SQLite has one writer connection, and this would wait for it.
    ///
    /// # Errors
    /// As [`enqueue`].
    pub async fn enqueue(&self, req: &NotificationRequest) -> Result<String, NotifyError> {
        let mut tx = self.db.begin().await?;
        let id = enqueue(&mut tx, self.clock.as_ref(), req).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Delivers up to `limit` notifications that are due now, one after
    /// another, and returns how many it handled (sent, rescheduled or
    /// failed). Rows another worker claimed first are skipped. Also queues
    /// again rows stuck in `sending` for longer than [`STUCK_AFTER`].
    ///
    /// # Errors
    /// A database error; a failed delivery is recorded, not returned.
    pub async fn deliver_due(&self, limit: usize) -> Result<usize, NotifyError> {
        self.deliver_due_unless(limit, &AtomicBool::new(false)).await
    }

    /// [`Notifier::deliver_due`] that stops between two messages once `stop` is set.
    async fn deliver_due_unless(&self, limit: usize, stop: &AtomicBool) -> Result<usize, NotifyError> {
        let now = to_millis(self.clock.now());
        self.requeue_stuck(now).await?;
        let due = sqlx::query(
            "SELECT id FROM notifications WHERE status = 'queued' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.db.reader())
        .await?;
        let mut handled = 0;
        for row in due {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let id: String = row.try_get("id")?;
            if self.deliver_one(&id).await?.is_some() {
                handled += 1;
            }
        }
        Ok(handled)
    }

    /// Claims, renders, sends and records one notification; `None` when
    /// another worker claimed it first (or already tried it and scheduled a
    /// retry: the claim re-checks that the row is still due).
    async fn deliver_one(&self, id: &str) -> Result<Option<Outcome>, NotifyError> {
        let claimed_at = to_millis(self.clock.now());
        let Some(row) = sqlx::query(
            "UPDATE notifications SET status = 'sending', attempts = attempts + 1, claimed_at = $2 \
             WHERE id = $1 AND status = 'queued' AND next_attempt_at <= $2 \
             RETURNING channel, recipient, template, locale, vars_json, attempts, created_at",
        )
        .bind(id)
        .bind(claimed_at)
        .fetch_optional(self.db.writer())
        .await?
        else {
            return Ok(None);
        };
        let channel: String = row.try_get("channel")?;
        let template: String = row.try_get("template")?;
        let locale: String = row.try_get("locale")?;
        let vars_json: String = row.try_get("vars_json")?;
        let attempts: i64 = row.try_get("attempts")?;
        let recipient: String = row.try_get("recipient")?;
        let created_at = from_millis(row.try_get("created_at")?);

        let Some(channel) = Channel::parse(&channel) else {
            return self.fail(id, &format!("unknown channel `{channel}`")).await.map(Some);
        };
        let Some(locale) = Locale::parse(&locale) else {
            return self.fail(id, &format!("unknown locale `{locale}`")).await.map(Some);
        };
        let vars: BTreeMap<String, String> = match serde_json::from_str(&vars_json) {
            Ok(v) => v,
            Err(e) => return self.fail(id, &format!("stored variables are not a JSON object of strings: {e}")).await.map(Some),
        };
        let rendered = match template::render(&template, locale, channel, &vars) {
            Ok(r) => r,
            Err(e @ (TemplateError::UnknownTemplate(_) | TemplateError::MissingVariable { .. })) => {
                return self.fail(id, &e.to_string()).await.map(Some)
            }
        };
        let Some(transport) = self.transport(channel) else {
            let reason = match channel {
                Channel::Email => "e-mail (SMTP) not configured: set [notify.smtp] host",
                Channel::Sms => "SMS gateway not configured: set [notify.sms] url",
                Channel::Zalo => "Zalo OA not configured: set [notify.zalo] access_token",
                Channel::Messenger => "Messenger not configured: set [notify.messenger] page_access_token",
                Channel::WebPush => "web push not configured: set [push] vapid_private_key",
            };
            return self.fail(id, reason).await.map(Some);
        };
        let in_reply_to = vars.get(IN_REPLY_TO).filter(|_| channel == Channel::Email).cloned();
        let outgoing = Outgoing {
            id: id.to_string(),
            channel,
            to: recipient,
            subject: rendered.subject,
            body: rendered.body,
            created_at,
            in_reply_to,
        };
        let outcome = match transport.send(&outgoing).await {
            Ok(receipt) => {
                let sent_at = to_millis(self.clock.now());
                sqlx::query(
                    "UPDATE notifications SET status = 'sent', sent_at = $2, provider_id = $3, last_error = NULL, \
                     claimed_at = NULL, vars_json = '{}' WHERE id = $1 AND status = 'sending'",
                )
                .bind(id)
                .bind(sent_at)
                .bind(receipt.provider_id.as_deref())
                .execute(self.db.writer())
                .await?;
                tracing::info!(notification = %id, %channel, %template, attempts, "notification sent");
                Outcome::Sent
            }
            Err(DeliveryError::Transient(reason)) if attempts < self.max_attempts => {
                let next = self.clock.now() + retry_delay(attempts);
                sqlx::query(
                    "UPDATE notifications SET status = 'queued', next_attempt_at = $2, last_error = $3, claimed_at = NULL \
                     WHERE id = $1 AND status = 'sending'",
                )
                .bind(id)
                .bind(to_millis(next))
                .bind(&reason)
                .execute(self.db.writer())
                .await?;
                tracing::warn!(notification = %id, %channel, attempts, next_attempt_at = %next, error = %reason, "notification delivery failed; will retry");
                Outcome::Retry
            }
            Err(DeliveryError::Transient(reason)) => self.fail(id, &format!("gave up after {attempts} attempts: {reason}")).await?,
            Err(DeliveryError::Permanent(reason)) => self.fail(id, &reason).await?,
        };
        Ok(Some(outcome))
    }

    /// Marks a claimed notification failed. Its variables are dropped (they
    /// may hold codes or personal data and are never needed again).
    async fn fail(&self, id: &str, reason: &str) -> Result<Outcome, NotifyError> {
        sqlx::query(
            "UPDATE notifications SET status = 'failed', last_error = $2, claimed_at = NULL, vars_json = '{}' \
             WHERE id = $1 AND status = 'sending'",
        )
        .bind(id)
        .bind(reason)
        .execute(self.db.writer())
        .await?;
        tracing::warn!(notification = %id, error = %reason, "notification failed");
        Ok(Outcome::Failed)
    }

    /// Queues again rows a dead worker left in `sending` (or fails them when
    /// their attempts are used up).
    async fn requeue_stuck(&self, now: i64) -> Result<(), NotifyError> {
        let cutoff = now - STUCK_AFTER.num_milliseconds();
        let requeued = sqlx::query(
            "UPDATE notifications SET \
               status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'queued' END, \
               last_error = 'delivery interrupted: the worker stopped while sending', \
               next_attempt_at = $3, claimed_at = NULL \
             WHERE status = 'sending' AND claimed_at < $1",
        )
        .bind(cutoff)
        .bind(self.max_attempts)
        .bind(now)
        .execute(self.db.writer())
        .await?
        .rows_affected();
        if requeued > 0 {
            tracing::warn!(count = requeued, "notifications stuck in sending were queued again");
        }
        Ok(())
    }

    fn transport(&self, channel: Channel) -> Option<&Arc<dyn Transport>> {
        match channel {
            Channel::Email => self.email.as_ref(),
            Channel::Sms => self.sms.as_ref(),
            Channel::Zalo => self.zalo.as_ref(),
            Channel::Messenger => self.messenger.as_ref(),
            Channel::WebPush => self.web_push.as_ref(),
        }
    }

    /// Delivers due notifications until `shutdown` completes, looking every
    /// poll interval (and again at once while full batches keep coming).
    /// Database errors are logged and retried on the next poll.
    ///
    /// On shutdown the message being handed to a provider is finished and
    /// recorded (at most one transport timeout: 30 s for SMTP, 15 s for SMS),
    /// so a clean stop never leaves a row in `sending`.
    ///
    /// With a `tokio::sync::watch::Receiver<bool>` as the shutdown signal:
    /// `notifier.run(async move { let _ = rx.wait_for(|stop| *stop).await; })`.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let stop = AtomicBool::new(false);
        tracing::info!(poll_ms = self.poll_interval.as_millis(), "notification delivery started");
        loop {
            let delivery = self.deliver_due_unless(BATCH, &stop);
            tokio::pin!(delivery);
            let handled = tokio::select! {
                handled = &mut delivery => handled,
                () = &mut shutdown => {
                    stop.store(true, Ordering::SeqCst);
                    if let Err(e) = delivery.await {
                        tracing::error!(error = %e, "delivering notifications failed while stopping");
                    }
                    break;
                }
            };
            let full_batch = match handled {
                Ok(n) => n == BATCH,
                Err(e) => {
                    tracing::error!(error = %e, "delivering notifications failed; retrying at the next poll");
                    false
                }
            };
            if full_batch {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(self.poll_interval) => {}
            }
        }
        tracing::info!("notification delivery stopped");
    }

    /// The delivery record of notification `id`.
    ///
    /// # Errors
    /// A database error.
    pub async fn status(&self, id: &str) -> Result<Option<DeliveryStatus>, NotifyError> {
        let row = sqlx::query(
            "SELECT id, channel, recipient, template, locale, status, attempts, next_attempt_at, last_error, \
             provider_id, purpose, related_object, created_at, sent_at FROM notifications WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.reader())
        .await?;
        row.as_ref().map(status_from_row).transpose()
    }

    /// The delivery records about one business object, oldest first.
    ///
    /// # Errors
    /// A database error.
    pub async fn for_object(&self, related_object: &str) -> Result<Vec<DeliveryStatus>, NotifyError> {
        let rows = sqlx::query(
            "SELECT id, channel, recipient, template, locale, status, attempts, next_attempt_at, last_error, \
             provider_id, purpose, related_object, created_at, sent_at FROM notifications \
             WHERE related_object = $1 ORDER BY created_at, id",
        )
        .bind(related_object)
        .fetch_all(self.db.reader())
        .await?;
        rows.iter().map(status_from_row).collect()
    }

    /// Deletes sent and failed notifications created before `before` (the
    /// retention period for recipients' addresses) and returns how many.
    ///
    /// # Errors
    /// A database error.
    pub async fn purge_finished(&self, before: DateTime<Utc>) -> Result<u64, NotifyError> {
        Ok(sqlx::query("DELETE FROM notifications WHERE status IN ('sent', 'failed') AND created_at < $1")
            .bind(to_millis(before))
            .execute(self.db.writer())
            .await?
            .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let secs: Vec<i64> = (1..=9).map(|a| retry_delay(a).num_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(retry_delay(0).num_seconds(), 30);
        assert_eq!(retry_delay(i64::MAX), MAX_RETRY_DELAY);
    }

    #[test]
    fn phone_numbers_and_addresses_are_checked() {
        assert!(NotificationRequest::sms("+84901234567", "otp_code").validate().is_ok());
        assert!(NotificationRequest::sms("0901234567", "otp_code").validate().is_ok());
        assert!(NotificationRequest::sms("090-123", "otp_code").validate().is_err());
        assert!(NotificationRequest::email("a@b.vn", "otp_code").validate().is_ok());
        assert!(NotificationRequest::email("a@b.vn\r\nBcc: x@y", "otp_code").validate().is_err());
        assert!(NotificationRequest::zalo("8451924017238817", "report_received").validate().is_ok());
        assert!(NotificationRequest::messenger("24830115671234567", "report_received").validate().is_ok());
        assert!(NotificationRequest::zalo("a b", "report_received").validate().is_err());
        assert!(NotificationRequest::messenger("x".repeat(65), "report_received").validate().is_err());
    }

    #[test]
    fn states_and_channels_round_trip() {
        for s in [NotificationState::Queued, NotificationState::Sending, NotificationState::Sent, NotificationState::Failed] {
            assert_eq!(NotificationState::parse(s.as_str()), Some(s));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
    }
}
