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
pub struct ZaloOaApi {
    client: reqwest::Client,
    url: String,
    token: Secret,
}

impl fmt::Debug for ZaloOaApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZaloOaApi").field("url", &self.url).field("token", &self.token).finish_non_exhaustive()
    }
}

/// Zalo error codes worth retrying: rate limited, access token invalid or expired.
const ZALO_TRANSIENT: &[i64] = &[-32, -216];

impl ZaloOaApi {
    /// A client for `config`.
    ///
    /// # Errors
    /// [`NotifyError::Config`] when `api_url` is empty or not an `http(s)` URL.
    pub fn new(config: &ZaloConfig) -> Result<Self, NotifyError> {
        let client = client("notify.zalo.api_url", &config.api_url)?;
        Ok(Self { client, url: config.api_url.clone(), token: config.access_token.clone() })
    }
}

#[async_trait::async_trait]
impl Transport for ZaloOaApi {
    async fn send(&self, msg: &Outgoing) -> Result<Receipt, DeliveryError> {
        let body = json!({ "recipient": { "user_id": msg.to }, "message": { "text": msg.body } });
        let request = self.client.post(&self.url).header("access_token", self.token.expose()).json(&body);
        let (status, text, reply) = exchange("Zalo OA API", request).await?;
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
        let zalo = |url: &str| ZaloConfig { api_url: url.into(), access_token: Secret::new("zalo-tok") };
        assert!(ZaloOaApi::new(&zalo("")).is_err());
        assert!(ZaloOaApi::new(&zalo("ftp://openapi.zalo.me")).is_err());
        assert!(!format!("{:?}", ZaloOaApi::new(&zalo("https://openapi.zalo.me/v3.0/oa/message/cs")).unwrap()).contains("zalo-tok"));
        let fb = |url: &str| MessengerConfig { api_url: url.into(), page_access_token: Secret::new("page-tok") };
        assert!(MessengerSendApi::new(&fb("not a url")).is_err());
        assert!(!format!("{:?}", MessengerSendApi::new(&fb("https://graph.facebook.com/v23.0/me/messages")).unwrap()).contains("page-tok"));
    }
}
