//! Replies in the chat apps citizens write from: the Zalo Official Account
//! API and the Messenger Send API. Both are plain HTTPS `POST`s of JSON to a
//! configurable URL (tests point them at a local receiver).

use crate::transport::{DeliveryError, Outgoing, Receipt, Transport};
use crate::NotifyError;
use cityos_core::config::{MessengerConfig, Secret, ZaloConfig};
use serde_json::{json, Value};
use std::fmt;
use std::time::Duration;

/// How long one request to a provider may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How much of an error reply is kept in `last_error`.
const ERROR_BODY_CHARS: usize = 200;

/// An HTTP client for a provider API at `url` (named by `setting` in errors).
fn client(setting: &str, url: &str) -> Result<reqwest::Client, NotifyError> {
    if url.is_empty() {
        return Err(NotifyError::Config(format!("{setting} is empty")));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| NotifyError::Config(format!("{setting} `{url}` is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(NotifyError::Config(format!("{setting} `{url}` must be http or https")));
    }
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        // A redirect is a misconfigured URL: report it rather than re-post the message elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| NotifyError::Config(format!("cannot build the HTTP client for {setting}: {e}")))
}

/// Sends `request`, returning the status and the JSON body (or `Null`).
async fn exchange(provider: &str, request: reqwest::RequestBuilder) -> Result<(reqwest::StatusCode, String, Value), DeliveryError> {
    let response = request
        .send()
        .await
        // `without_url`: the Messenger URL carries the page access token.
        .map_err(|e| DeliveryError::Transient(format!("{provider} unreachable: {}", e.without_url())))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok((status, text, body))
}

fn http_failure(provider: &str, status: reqwest::StatusCode, text: &str) -> DeliveryError {
    let snippet: String = text.chars().take(ERROR_BODY_CHARS).collect();
    let message = format!("{provider} answered {status}: {snippet}");
    let transient =
        status.is_server_error() || status == reqwest::StatusCode::REQUEST_TIMEOUT || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
    if transient {
        DeliveryError::Transient(message)
    } else {
        DeliveryError::Permanent(message)
    }
}

fn text_id(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Sends Zalo OA customer-service messages: `POST {api_url}` with the OA
/// access token in the `access_token` header and the body
/// `{"recipient":{"user_id":…},"message":{"text":…}}`.
///
/// Zalo answers HTTP 200 even on failure, with `{"error": <code>, "message": …}`;
/// only `error: 0` is success (its `data.message_id` becomes the receipt).
/// `-32` (rate limit) and `-216` (invalid access token: a renewed token makes a
/// retry succeed) are transient, every other code permanent (the user blocked
/// the OA, has not written within the reply window, …). HTTP 408, 429 and
/// 5xx and network failures are transient, other 4xx permanent.
///
/// With a refresh token configured, the OA tokens renew themselves: shortly
/// before the access token expires, or when Zalo answers `-216`, CityOS asks
/// `oauth_url` for a new pair (`POST` form `refresh_token`, `app_id`,
/// `grant_type=refresh_token`, header `secret_key`), keeps it in the
/// `zalo_oa_tokens` table (a refresh token can be used once, so the new one
/// must outlive a restart) and sends again.
pub struct ZaloOaApi {
    client: reqwest::Client,
    url: String,
    token: Secret,
    renewal: Option<TokenRenewal>,
}

impl fmt::Debug for ZaloOaApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZaloOaApi")
            .field("url", &self.url)
            .field("token", &self.token)
            .field("renews", &self.renewal.is_some())
            .finish_non_exhaustive()
    }
}

/// Renews Zalo OA tokens and keeps them in the database.
struct TokenRenewal {
    db: cityos_store::Db,
    clock: cityos_core::SharedClock,
    oauth_url: String,
    app_id: String,
    app_secret: Secret,
    first_refresh_token: Secret,
    /// The access token in use and when it expires (epoch ms; 0 = unknown).
    current: tokio::sync::Mutex<Option<(Secret, i64)>>,
}

/// Renew this long before Zalo's stated expiry.
const RENEW_MARGIN_MS: i64 = 5 * 60 * 1000;

impl TokenRenewal {
    /// The access token to use now, renewing it first when it is about to expire.
    async fn access_token(&self, configured: &Secret) -> Result<Secret, DeliveryError> {
        let mut current = self.current.lock().await;
        if current.is_none() {
            *current = self.stored().await?.map(|(access, _, expires)| (access, expires));
        }
        let now = cityos_core::to_millis(self.clock.now());
        match &*current {
            Some((token, expires)) if *expires == 0 || now < expires - RENEW_MARGIN_MS => Ok(token.clone()),
            Some(_) => {
                let (token, expires) = self.renew().await?;
                *current = Some((token.clone(), expires));
                Ok(token)
            }
            None if !configured.is_empty() => Ok(configured.clone()),
            None => {
                let (token, expires) = self.renew().await?;
                *current = Some((token.clone(), expires));
                Ok(token)
            }
        }
    }

    /// Renews after Zalo refused `used` as invalid; another sender may have renewed it already.
    async fn renew_after_refusal(&self, used: &Secret) -> Result<Secret, DeliveryError> {
        let mut current = self.current.lock().await;
        if let Some((token, _)) = &*current {
            if token != used {
                return Ok(token.clone());
            }
        }
        let (token, expires) = self.renew().await?;
        *current = Some((token.clone(), expires));
        Ok(token)
    }

    /// (access token, refresh token, expires at) kept from the last renewal.
    async fn stored(&self) -> Result<Option<(Secret, Secret, i64)>, DeliveryError> {
        let row = sqlx::query("SELECT access_token, refresh_token, expires_at FROM zalo_oa_tokens WHERE app_id = $1")
            .bind(&self.app_id)
            .fetch_optional(self.db.reader())
            .await
            .map_err(|e| DeliveryError::Transient(format!("Zalo token store: {e}")))?;
        let Some(row) = row else { return Ok(None) };
        let get = |c: &str| sqlx::Row::try_get::<String, _>(&row, c).map(Secret::new);
        let expires: i64 = sqlx::Row::try_get(&row, "expires_at").unwrap_or(0);
        match (get("access_token"), get("refresh_token")) {
            (Ok(a), Ok(r)) => Ok(Some((a, r, expires))),
            _ => Err(DeliveryError::Transient("Zalo token store: unreadable row".into())),
        }
    }

    async fn renew(&self) -> Result<(Secret, i64), DeliveryError> {
        let refresh = match self.stored().await? {
            Some((_, r, _)) => r,
            None => self.first_refresh_token.clone(),
        };
        let form = [("refresh_token", refresh.expose()), ("app_id", self.app_id.as_str()), ("grant_type", "refresh_token")];
        let client = client("notify.zalo.oauth_url", &self.oauth_url).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let request = client.post(&self.oauth_url).header("secret_key", self.app_secret.expose()).form(&form);
        let (status, text, reply) = exchange("Zalo OAuth", request).await?;
        if !status.is_success() {
            return Err(http_failure("Zalo OAuth", status, &text));
        }
        let access = reply.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty());
        let next_refresh = reply.get("refresh_token").and_then(Value::as_str).filter(|t| !t.is_empty());
        let (Some(access), Some(next_refresh)) = (access, next_refresh) else {
            let said = reply.get("error_description").or_else(|| reply.get("message")).and_then(Value::as_str).unwrap_or("");
            // A refused refresh token does not heal by itself: an administrator must authorise the OA again.
            return Err(DeliveryError::Transient(format!(
                "Zalo OAuth did not renew the OA token ({}): re-authorise the OA and set notify.zalo.refresh_token",
                said.chars().take(ERROR_BODY_CHARS).collect::<String>()
            )));
        };
        let lifetime_s = match reply.get("expires_in") {
            Some(Value::String(s)) => s.parse::<i64>().unwrap_or(0),
            Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
            _ => 0,
        };
        let now = cityos_core::to_millis(self.clock.now());
        let expires = if lifetime_s > 0 { now + lifetime_s * 1000 } else { 0 };
        sqlx::query(
            "INSERT INTO zalo_oa_tokens (app_id, access_token, refresh_token, expires_at, renewed_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (app_id) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token,
               expires_at = excluded.expires_at, renewed_at = excluded.renewed_at",
        )
        .bind(&self.app_id)
        .bind(access)
        .bind(next_refresh)
        .bind(expires)
        .bind(now)
        .execute(self.db.writer())
        .await
        .map_err(|e| DeliveryError::Transient(format!("Zalo token store: {e}")))?;
        tracing::info!(app_id = %self.app_id, expires_in_s = lifetime_s, "Zalo OA access token renewed");
        Ok((Secret::new(access), expires))
    }
}

/// Zalo's "access token invalid or expired".
const ZALO_INVALID_TOKEN: i64 = -216;

/// Zalo error codes worth retrying: rate limited, access token invalid or expired.
const ZALO_TRANSIENT: &[i64] = &[-32, -216];

impl ZaloOaApi {
    /// A client for `config`.
    ///
    /// # Errors
    /// [`NotifyError::Config`] when `api_url` is empty or not an `http(s)` URL.
    pub fn new(config: &ZaloConfig) -> Result<Self, NotifyError> {
        let client = client("notify.zalo.api_url", &config.api_url)?;
        Ok(Self { client, url: config.api_url.clone(), token: config.access_token.clone(), renewal: None })
    }

    /// Renews the OA tokens when `config` has a refresh token, keeping them in `db`.
    ///
    /// # Errors
    /// [`NotifyError::Config`] when a refresh token is set without `app_id`
    /// and `app_secret`, or `oauth_url` is not an `http(s)` URL.
    pub fn renewing(mut self, config: &ZaloConfig, db: cityos_store::Db, clock: cityos_core::SharedClock) -> Result<Self, NotifyError> {
        if config.refresh_token.is_empty() {
            return Ok(self);
        }
        if config.app_id.trim().is_empty() || config.app_secret.is_empty() {
            return Err(NotifyError::Config("notify.zalo.refresh_token needs notify.zalo.app_id and notify.zalo.app_secret".into()));
        }
        client("notify.zalo.oauth_url", &config.oauth_url)?;
        self.renewal = Some(TokenRenewal {
            db,
            clock,
            oauth_url: config.oauth_url.clone(),
            app_id: config.app_id.trim().to_string(),
            app_secret: config.app_secret.clone(),
            first_refresh_token: config.refresh_token.clone(),
            current: tokio::sync::Mutex::new(None),
        });
        Ok(self)
    }

    async fn post(&self, body: &Value, token: &Secret) -> Result<(reqwest::StatusCode, String, Value), DeliveryError> {
        exchange("Zalo OA API", self.client.post(&self.url).header("access_token", token.expose()).json(body)).await
    }
}

#[async_trait::async_trait]
impl Transport for ZaloOaApi {
    async fn send(&self, msg: &Outgoing) -> Result<Receipt, DeliveryError> {
        let body = json!({ "recipient": { "user_id": msg.to }, "message": { "text": msg.body } });
        let token = match &self.renewal {
            Some(r) => r.access_token(&self.token).await?,
            None => self.token.clone(),
        };
        let (mut status, mut text, mut reply) = self.post(&body, &token).await?;
        if let (Some(r), Some(ZALO_INVALID_TOKEN)) = (&self.renewal, reply.get("error").and_then(Value::as_i64)) {
            let renewed = r.renew_after_refusal(&token).await?;
            (status, text, reply) = self.post(&body, &renewed).await?;
        }
        if !status.is_success() {
            return Err(http_failure("Zalo OA API", status, &text));
        }
        match reply.get("error").and_then(Value::as_i64) {
            Some(0) => Ok(Receipt { provider_id: text_id(reply.pointer("/data/message_id")) }),
            Some(code) => {
                let said = reply.get("message").and_then(Value::as_str).unwrap_or("");
                let message = format!("Zalo OA API error {code}: {}", said.chars().take(ERROR_BODY_CHARS).collect::<String>());
                Err(if ZALO_TRANSIENT.contains(&code) { DeliveryError::Transient(message) } else { DeliveryError::Permanent(message) })
            }
            None => Err(DeliveryError::Transient(format!(
                "Zalo OA API answered {status} without an error code: {}",
                text.chars().take(ERROR_BODY_CHARS).collect::<String>()
            ))),
        }
    }
}

/// Sends Messenger replies through the Send API: `POST
/// {api_url}?access_token=<page token>` with the body
/// `{"recipient":{"id":…},"messaging_type":"RESPONSE","message":{"text":…}}`
/// (a reply to the citizen's own message, inside Meta's 24-hour window).
///
/// A 2xx reply is success (its `message_id` becomes the receipt). HTTP 408,
/// 429 and 5xx, Graph error codes 1, 2, 4, 17, 32 and 613 (temporary or
/// throttled) and network failures are transient; other 4xx are permanent.
pub struct MessengerSendApi {
    client: reqwest::Client,
    url: String,
    token: Secret,
}

impl fmt::Debug for MessengerSendApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessengerSendApi").field("url", &self.url).field("token", &self.token).finish_non_exhaustive()
    }
}

/// Graph API error codes worth retrying: unknown/temporary service errors and throttling.
const GRAPH_TRANSIENT: &[i64] = &[1, 2, 4, 17, 32, 613];

impl MessengerSendApi {
    /// A client for `config`.
    ///
    /// # Errors
    /// [`NotifyError::Config`] when `api_url` is empty or not an `http(s)` URL.
    pub fn new(config: &MessengerConfig) -> Result<Self, NotifyError> {
        let client = client("notify.messenger.api_url", &config.api_url)?;
        Ok(Self { client, url: config.api_url.clone(), token: config.page_access_token.clone() })
    }
}

#[async_trait::async_trait]
impl Transport for MessengerSendApi {
    async fn send(&self, msg: &Outgoing) -> Result<Receipt, DeliveryError> {
        let body = json!({ "recipient": { "id": msg.to }, "messaging_type": "RESPONSE", "message": { "text": msg.body } });
        let request = self.client.post(&self.url).query(&[("access_token", self.token.expose())]).json(&body);
        let (status, text, reply) = exchange("Messenger Send API", request).await?;
        if status.is_success() {
            return Ok(Receipt { provider_id: text_id(reply.get("message_id")) });
        }
        let code = reply.pointer("/error/code").and_then(Value::as_i64);
        match code {
            Some(c) if GRAPH_TRANSIENT.contains(&c) => {
                let said = reply.pointer("/error/message").and_then(Value::as_str).unwrap_or("");
                Err(DeliveryError::Transient(format!(
                    "Messenger Send API error {c}: {}",
                    said.chars().take(ERROR_BODY_CHARS).collect::<String>()
                )))
            }
            _ => Err(http_failure("Messenger Send API", status, &text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_are_refused_and_tokens_are_redacted() {
        let zalo = |url: &str| ZaloConfig { api_url: url.into(), access_token: Secret::new("zalo-tok"), ..ZaloConfig::default() };
        assert!(ZaloOaApi::new(&zalo("")).is_err());
        assert!(ZaloOaApi::new(&zalo("ftp://openapi.zalo.me")).is_err());
        assert!(!format!("{:?}", ZaloOaApi::new(&zalo("https://openapi.zalo.me/v3.0/oa/message/cs")).unwrap()).contains("zalo-tok"));
        let fb = |url: &str| MessengerConfig { api_url: url.into(), page_access_token: Secret::new("page-tok") };
        assert!(MessengerSendApi::new(&fb("not a url")).is_err());
        assert!(!format!("{:?}", MessengerSendApi::new(&fb("https://graph.facebook.com/v23.0/me/messages")).unwrap()).contains("page-tok"));
    }
}
