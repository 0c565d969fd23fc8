//! Typed, strict configuration: one TOML file plus `CITYOS_SECTION__KEY`
//! environment overrides. Unknown keys are errors that name the key; secrets
//! never appear in `Debug` or in the printed configuration.

use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::path::{Path, PathBuf};

/// A value that must never be logged or printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl<'de> Deserialize<'de> for Secret {
    /// A string, or an integer taken as its digits (a numeric token set
    /// through a `CITYOS_*` override arrives as an integer).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        string_or_integer(d).map(Self)
    }
}

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that needs it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no secret was configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"<redacted>\"" })
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { "<redacted>" })
    }
}

/// The whole CityOS configuration. Every field has a documented default, so
/// an empty file (or none) gives a working single-machine installation.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// HTTP server settings.
    pub server: ServerConfig,
    /// Database settings.
    pub database: DatabaseConfig,
    /// Where files live.
    pub storage: StorageConfig,
    /// Sessions, tokens, MFA, lockout and rate limits.
    pub security: SecurityConfig,
    /// Outgoing e-mail, SMS, Zalo and Messenger messages.
    pub notify: NotifyConfig,
    /// `[webhooks]`: inbound citizen messages (SMS gateway, Zalo OA, Messenger).
    pub webhooks: WebhooksConfig,
    /// `[mail_inbox]`: the 1022 mailbox polled over IMAP (off while `host` is empty).
    pub mail_inbox: MailInboxConfig,
    /// `[push]`: web-push notifications to the 1022 app (VAPID).
    pub push: PushConfig,
    /// `[geocoder]`: the city's own geocoder that turns addresses into locations.
    pub geocoder: GeocoderConfig,
    /// `[media]`: photos and videos attached to reports.
    pub media: MediaConfig,
    /// `[open_data]`: what CityOS publishes by itself on the open data portal.
    pub open_data: OpenDataConfig,
    /// `[calendar]`: public-holiday rules for working-day deadlines, in the
    /// shape of `cityos_calendar::HolidayRules` (checked at start-up).
    /// Default: Vietnam's Labour Code holidays with days off in lieu.
    pub calendar: Option<toml::Table>,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on. Default `127.0.0.1:8080`.
    pub listen: String,
    /// The URL users reach CityOS at (links in e-mails, OIDC issuer). Default `http://127.0.0.1:8080`.
    pub public_url: String,
    /// Largest accepted request body in bytes. Default 10 MiB.
    pub max_body_bytes: usize,
    /// Seconds a request may take before it is answered 408. Default 30.
    pub request_timeout_secs: u64,
    /// JSON log lines instead of human-readable ones. Default false.
    pub json_logs: bool,
    /// Directory of the built web console. Default `web/dist`.
    pub web_dir: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            max_body_bytes: 10 * 1024 * 1024,
            request_timeout_secs: 30,
            json_logs: false,
            web_dir: PathBuf::from("web/dist"),
        }
    }
}

/// `[database]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://…`. Empty (the default) means SQLite at
    /// `<storage.data_dir>/cityos.db`.
    pub url: Secret,
    /// Pool size. Default 10.
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: Secret::default(), max_connections: 10 }
    }
}

/// `[storage]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Directory for the SQLite database, uploaded files and keys. Default `./data`.
    pub data_dir: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self { data_dir: PathBuf::from("./data") }
    }
}

/// `[security]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Console session lifetime in minutes. Default 480 (one working day).
    pub session_ttl_minutes: i64,
    /// API bearer token lifetime in minutes. Default 60.
    pub token_ttl_minutes: i64,
    /// Require TOTP of every staff member, not only admins and auditors. Default false.
    pub mfa_required_for_all: bool,
    /// Failed logins before an account locks. Default 5.
    pub lockout_threshold: i64,
    /// Minutes an account stays locked. Default 15.
    pub lockout_minutes: i64,
    /// Requests per minute per client address on public endpoints. Default 300.
    pub public_rate_limit_per_minute: u32,
    /// Mark cookies `Secure`. Default: true when `server.public_url` is https.
    pub cookie_secure: Option<bool>,
    /// Audit records per sealed segment. Default 1000.
    pub audit_seal_every: i64,
    /// Key that signs audit seals. Default: generated once into the data directory.
    pub audit_seal_key: Secret,
    /// Minutes a citizen's one-time sign-in code stays valid. Default 10.
    pub otp_ttl_minutes: i64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            session_ttl_minutes: 480,
            token_ttl_minutes: 60,
            mfa_required_for_all: false,
            lockout_threshold: 5,
            lockout_minutes: 15,
            public_rate_limit_per_minute: 300,
            cookie_secure: None,
            audit_seal_every: 1000,
            audit_seal_key: Secret::default(),
            otp_ttl_minutes: 10,
        }
    }
}

/// `[notify]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// Delivery attempts before a notification is marked failed. Default 8.
    pub max_attempts: i64,
    /// `[notify.smtp]`; e-mail is disabled while `host` is empty.
    pub smtp: SmtpConfig,
    /// `[notify.sms]`; SMS is disabled while `url` is empty.
    pub sms: SmsConfig,
    /// `[notify.zalo]`; Zalo OA messages are disabled while `access_token` is empty.
    pub zalo: ZaloConfig,
    /// `[notify.messenger]`; Messenger replies are disabled while `page_access_token` is empty.
    pub messenger: MessengerConfig,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            smtp: SmtpConfig::default(),
            sms: SmsConfig::default(),
            zalo: ZaloConfig::default(),
            messenger: MessengerConfig::default(),
        }
    }
}

/// `[notify.smtp]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// SMTP server host; empty disables e-mail.
    pub host: String,
    /// SMTP port. Default 25.
    pub port: u16,
    /// `none`, `starttls` or `tls`. Default `none`.
    pub security: String,
    /// Login user, if the server wants one.
    pub username: String,
    /// Login password.
    pub password: Secret,
    /// Sender address. Default `CityOS <no-reply@cityos.local>`.
    pub from: String,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 25,
            security: "none".into(),
            username: String::new(),
            password: Secret::default(),
            from: "CityOS <no-reply@cityos.local>".into(),
        }
    }
}

/// `[notify.sms]`: an HTTP SMS gateway that accepts `POST {to, text, sender}` JSON.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// Gateway URL; empty disables SMS.
    pub url: String,
    /// Bearer token sent to the gateway.
    pub token: Secret,
    /// Sender name (brandname).
    pub sender: String,
}

/// `[notify.zalo]`: replies through the Zalo Official Account API (customer-service messages).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZaloConfig {
    /// Where messages are `POST`ed. Default `https://openapi.zalo.me/v3.0/oa/message/cs`.
    pub api_url: String,
    /// The OA access token, sent in the `access_token` header. Zalo's tokens
    /// last about 25 hours: set `refresh_token` (with `app_id` and
    /// `app_secret`) and CityOS renews them itself. Zalo messages are off
    /// while both tokens are empty.
    pub access_token: Secret,
    /// The Zalo application id (developers.zalo.me) that owns the tokens; needed to renew them.
    #[serde(deserialize_with = "string_or_integer")]
    pub app_id: String,
    /// The application's secret key, sent as `secret_key` when renewing tokens.
    pub app_secret: Secret,
    /// The OA refresh token from the authorisation (valid three months, single use). CityOS
    /// keeps each renewed pair in its database, so this is only read the first time.
    pub refresh_token: Secret,
    /// Where tokens are renewed. Default `https://oauth.zaloapp.com/v4/oa/access_token`.
    pub oauth_url: String,
}

impl Default for ZaloConfig {
    fn default() -> Self {
        Self {
            api_url: "https://openapi.zalo.me/v3.0/oa/message/cs".into(),
            access_token: Secret::default(),
            app_id: String::new(),
            app_secret: Secret::default(),
            refresh_token: Secret::default(),
            oauth_url: "https://oauth.zaloapp.com/v4/oa/access_token".into(),
        }
    }
}

/// `[notify.messenger]`: replies through the Messenger Send API of a Facebook Page.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MessengerConfig {
    /// Where messages are `POST`ed (the token goes in the `access_token` query parameter).
    /// Default `https://graph.facebook.com/v23.0/me/messages`.
    pub api_url: String,
    /// The Page access token; empty disables Messenger replies.
    pub page_access_token: Secret,
}

impl Default for MessengerConfig {
    fn default() -> Self {
        Self { api_url: "https://graph.facebook.com/v23.0/me/messages".into(), page_access_token: Secret::default() }
    }
}

/// `[webhooks]`: the endpoints through which citizens' messages arrive. Each
/// channel is off (its endpoint answers 404) until its secret is set.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Shared secret of the SMS gateway, which signs each delivery to
    /// `/webhooks/sms` with `X-CityOS-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
    /// Empty (the default) turns the endpoint off.
    pub sms_secret: Secret,
    /// The Zalo application id (from developers.zalo.me) linked to the Official Account,
    /// part of what Zalo signs. A number, given as a string or an integer. Empty (the
    /// default): the `app_id` each event carries is used.
    #[serde(deserialize_with = "string_or_integer")]
    pub zalo_app_id: String,
    /// The OA secret key (not the app secret) that signs `/webhooks/zalo` events.
    /// Empty (the default) turns the endpoint off.
    pub zalo_oa_secret: Secret,
    /// The verify token typed into the Meta app dashboard for `/webhooks/messenger`.
    pub messenger_verify_token: Secret,
    /// The Meta app secret that signs `/webhooks/messenger` events (`X-Hub-Signature-256`).
    /// Empty (the default) turns the endpoint off.
    pub messenger_app_secret: Secret,
    /// Shared secret of the telephone exchange (PBX or cloud call centre), which signs
    /// each call event sent to `/webhooks/calls` with
    /// `X-CityOS-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
    /// Empty (the default) turns the endpoint off.
    pub calls_secret: Secret,
}

/// `[mail_inbox]`: the 1022 e-mail address. CityOS polls the mailbox over IMAP,
/// turns new messages into reports (or, when the subject carries a tracking
/// code, into a message on that report) and answers by SMTP (`[notify.smtp]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailInboxConfig {
    /// IMAP server host; empty (the default) turns polling off.
    pub host: String,
    /// IMAP port. Default 993.
    pub port: u16,
    /// `tls` (implicit TLS), `starttls` or `none`. Default `tls`.
    pub security: String,
    /// Login user.
    pub username: String,
    /// Login password.
    pub password: Secret,
    /// Mailbox to read. Default `INBOX`.
    pub mailbox: String,
    /// Seconds between polls. Default 30.
    pub poll_seconds: u64,
}

impl Default for MailInboxConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 993,
            security: "tls".into(),
            username: String::new(),
            password: Secret::default(),
            mailbox: "INBOX".into(),
            poll_seconds: 30,
        }
    }
}

/// `[push]`: web push (RFC 8030) with VAPID (RFC 8292) and message encryption (RFC 8291).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushConfig {
    /// The VAPID private key (P-256, base64url of the 32-byte scalar). Default:
    /// generated once into the data directory.
    pub vapid_private_key: Secret,
    /// Contact the push services may use (`mailto:` or `https:`). Default `mailto:1022@cityos.local`.
    pub subject: String,
    /// Accept push endpoints over plain `http` and on loopback, private or
    /// link-local addresses. Browsers' push services are public HTTPS, so this
    /// is for tests and closed networks only: it lets a subscription make
    /// CityOS post to internal hosts. Default false.
    pub allow_insecure_endpoints: bool,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self { vapid_private_key: Secret::default(), subject: "mailto:1022@cityos.local".into(), allow_insecure_endpoints: false }
    }
}

/// `[geocoder]`: the city's geocoder. Without one, addresses are located by the
/// ward names (current and pre-2025) they contain.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeocoderConfig {
    /// A Nominatim-compatible search URL (`GET {url}?q=…&format=jsonv2&limit=1`
    /// answering `[{"lat": "…", "lon": "…"}]`); empty (the default) turns it off.
    pub url: String,
    /// Milliseconds to wait for the geocoder before falling back to ward names. Default 2000.
    pub timeout_ms: u64,
}

impl Default for GeocoderConfig {
    fn default() -> Self {
        Self { url: String::new(), timeout_ms: 2000 }
    }
}

/// `[open_data]`: feeds CityOS publishes as open datasets by itself.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenDataConfig {
    /// The agency that owns the anonymised 1022 reports dataset (`phan-anh-1022`);
    /// empty turns the feed off. Default `IOC` (the operations centre that runs 1022).
    pub feedback_owner_agency: String,
    /// Hours between publications of the feeds. Default 24.
    pub feed_interval_hours: u64,
}

impl Default for OpenDataConfig {
    fn default() -> Self {
        Self { feedback_owner_agency: "IOC".into(), feed_interval_hours: 24 }
    }
}

/// `[media]`: photos and videos on reports, stored under `<storage.data_dir>/media`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Largest photo in bytes. Default 10 MiB.
    pub max_photo_bytes: usize,
    /// Largest video in bytes. Default 50 MiB.
    pub max_video_bytes: usize,
    /// Most attachments per report. Default 6.
    pub max_per_report: usize,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self { max_photo_bytes: 10 * 1024 * 1024, max_video_bytes: 50 * 1024 * 1024, max_per_report: 6 }
    }
}

/// Accepts `"123"` and `123` alike: ids that look like numbers arrive as
/// integers from TOML and from `CITYOS_*` overrides.
fn string_or_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Number(i64),
    }
    Ok(match Either::deserialize(d)? {
        Either::Text(s) => s,
        Either::Number(n) => n.to_string(),
    })
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file or an override is not valid configuration (names the key).
    #[error("invalid configuration{origin}: {message}")]
    Invalid {
        /// Where the bad value came from, e.g. ` in cityos.toml`.
        origin: String,
        /// What is wrong, naming the key.
        message: String,
    },
}

impl Config {
    /// Loads `path` (when given) and applies `CITYOS_SECTION__KEY=value`
    /// overrides from `env`. Variables without `__` (such as `CITYOS_CONFIG`)
    /// are not overrides and are ignored.
    ///
    /// # Errors
    /// An unreadable file, invalid TOML, an unknown key (named in the message)
    /// or a value of the wrong type.
    pub fn load(path: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let origin = path.map(|p| format!(" in {}", p.display())).unwrap_or_default();
        let mut tree = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read { path: p.to_path_buf(), source })?;
                text.parse::<toml::Table>().map_err(|e| ConfigError::Invalid { origin: origin.clone(), message: e.to_string() })?
            }
            None => toml::Table::new(),
        };
        let mut overridden = Vec::new();
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("CITYOS_") else { continue };
            if !rest.contains("__") || rest.starts_with("TEST_") {
                continue;
            }
            let keys: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
            set_path(&mut tree, &keys, parse_scalar(&value))
                .map_err(|message| ConfigError::Invalid { origin: format!(" in environment variable {name}"), message })?;
            overridden.push(name);
        }
        let origin = if overridden.is_empty() { origin } else { format!("{origin} (with overrides {})", overridden.join(", ")) };
        toml::Value::Table(tree).try_into::<Config>().map_err(|e| ConfigError::Invalid { origin, message: e.message().to_string() })
    }

    /// The effective configuration as TOML, secrets redacted.
    #[must_use]
    pub fn to_toml(&self) -> String {
        let mut shown = self.clone();
        if !shown.database.url.is_empty() {
            shown.database.url = Secret::new(redact_url(shown.database.url.expose()));
        }
        // Every other secret serialises as `<redacted>`; the database URL is
        // shown with only its password removed, because the host matters.
        let Ok(mut tree) = toml::Value::try_from(&shown) else { return String::new() };
        if let Some(db) = tree.get_mut("database").and_then(toml::Value::as_table_mut) {
            db.insert("url".into(), toml::Value::String(shown.database.url.expose().to_string()));
        }
        toml::to_string(&tree).unwrap_or_default()
    }

    /// The database URL to use: the configured one, or SQLite in the data directory.
    #[must_use]
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}", self.storage.data_dir.join("cityos.db").display())
        } else {
            self.database.url.expose().to_string()
        }
    }

    /// Whether cookies carry the `Secure` flag.
    #[must_use]
    pub fn cookie_secure(&self) -> bool {
        self.security.cookie_secure.unwrap_or_else(|| self.server.public_url.starts_with("https://"))
    }
}

/// `postgres://user:pw@host/db` → `postgres://user:<redacted>@host/db`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((creds, host)) = rest.rsplit_once('@') else { return url.to_string() };
    match creds.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:<redacted>@{host}"),
        None => url.to_string(),
    }
}

fn parse_scalar(raw: &str) -> toml::Value {
    if let Ok(b) = raw.parse::<bool>() {
        return toml::Value::Boolean(b);
    }
    if let Ok(i) = raw.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    toml::Value::String(raw.to_string())
}

fn set_path(table: &mut toml::Table, keys: &[String], value: toml::Value) -> Result<(), String> {
    match keys {
        [] => Err("empty key".into()),
        [last] => {
            // A string value where the file had a string: keep it a string even if it looks numeric.
            let value = match (table.get(last), &value) {
                (Some(toml::Value::String(_)), v) if !v.is_str() => toml::Value::String(scalar_text(v)),
                _ => value,
            };
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table.entry(first.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => set_path(t, rest, value),
                _ => Err(format!("`{first}` is not a section")),
            }
        }
    }
}

fn scalar_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    #[test]
    fn defaults_run_on_sqlite_under_data() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.database_url(), "sqlite://./data/cityos.db");
        assert_eq!(c.server.listen, "127.0.0.1:8080");
    }

    #[test]
    fn env_overrides_file() {
        let dir = std::env::temp_dir().join(format!("cityos-cfg-{}", crate::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("c.toml");
        std::fs::write(&p, "[server]\nlisten = \"0.0.0.0:1\"\n[security]\nlockout_threshold = 3\n").unwrap();
        let c =
            Config::load(Some(&p), env(&[("CITYOS_SERVER__LISTEN", "127.0.0.1:9"), ("CITYOS_CONFIG", "x"), ("CITYOS_URL", "y")])).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:9");
        assert_eq!(c.security.lockout_threshold, 3);
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::load(None, env(&[("CITYOS_SERVER__LISTN", "x")])).unwrap_err().to_string();
        assert!(err.contains("listn"), "{err}");
        assert!(err.contains("CITYOS_SERVER__LISTN"), "{err}");
        let dir = std::env::temp_dir().join(format!("cityos-cfg-{}", crate::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("c.toml");
        std::fs::write(&p, "[databse]\nurl = \"x\"\n").unwrap();
        let err = Config::load(Some(&p), env(&[])).unwrap_err().to_string();
        assert!(err.contains("databse"), "{err}");
    }

    #[test]
    fn channel_settings_have_public_defaults_and_numeric_ids() {
        let c = Config::load(None, env(&[("CITYOS_WEBHOOKS__ZALO_APP_ID", "4321098765432109876")])).unwrap();
        assert_eq!(c.webhooks.zalo_app_id, "4321098765432109876");
        let c = Config::load(None, env(&[("CITYOS_WEBHOOKS__ZALO_APP_ID", "12345")])).unwrap();
        assert_eq!(c.webhooks.zalo_app_id, "12345", "an id that fits an integer stays text");
        assert!(c.webhooks.zalo_oa_secret.is_empty() && c.webhooks.sms_secret.is_empty(), "channels are off by default");
        assert_eq!(c.notify.zalo.api_url, "https://openapi.zalo.me/v3.0/oa/message/cs");
        assert!(c.notify.messenger.api_url.starts_with("https://graph.facebook.com/"));
        let c = Config::load(None, env(&[("CITYOS_WEBHOOKS__MESSENGER_VERIFY_TOKEN", "20261127")])).unwrap();
        assert_eq!(c.webhooks.messenger_verify_token.expose(), "20261127", "a numeric secret is still a secret");
        let err = Config::load(None, env(&[("CITYOS_WEBHOOKS__ZALO_SECRET", "x")])).unwrap_err().to_string();
        assert!(err.contains("zalo_secret"), "{err}");
    }

    #[test]
    fn wrong_type_is_an_error() {
        let err = Config::load(None, env(&[("CITYOS_SECURITY__LOCKOUT_THRESHOLD", "many")])).unwrap_err().to_string();
        assert!(err.contains("invalid"), "{err}");
    }

    #[test]
    fn secrets_are_redacted() {
        let c = Config::load(
            None,
            env(&[
                ("CITYOS_DATABASE__URL", "postgres://city:hunter2@db/cityos"),
                ("CITYOS_NOTIFY__SMTP__PASSWORD", "s3cret"),
                ("CITYOS_NOTIFY__SMS__TOKEN", "tok"),
                ("CITYOS_WEBHOOKS__ZALO_OA_SECRET", "zalo-oa-key"),
                ("CITYOS_NOTIFY__MESSENGER__PAGE_ACCESS_TOKEN", "page-tok"),
            ]),
        )
        .unwrap();
        let shown = c.to_toml();
        assert!(!shown.contains("hunter2") && !shown.contains("s3cret") && !shown.contains("\"tok\""), "{shown}");
        assert!(shown.contains("postgres://city:<redacted>@db/cityos"), "{shown}");
        assert!(!shown.contains("zalo-oa-key") && !shown.contains("page-tok"), "{shown}");
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.database.url.expose(), "postgres://city:hunter2@db/cityos");
    }
}
