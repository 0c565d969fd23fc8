//! SMS through an HTTP gateway (brandname SMS providers expose one).

use crate::transport::{DeliveryError, Outgoing, Receipt, Transport};
use crate::NotifyError;
use cityos_core::config::{Secret, SmsConfig};
use std::fmt;
use std::time::Duration;

/// How long one request to the gateway may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How much of an error reply is kept in `last_error`.
const ERROR_BODY_CHARS: usize = 200;

/// Sends SMS by `POST`ing `{"to", "text", "sender"}` as JSON to
/// [`SmsConfig::url`] with `Authorization: Bearer <token>`.
///
/// A 2xx reply means the gateway accepted the message; when its JSON body has
/// an `id` (string or number) it becomes the receipt's provider id. 408, 429
/// and 5xx replies, timeouts and connection failures are transient; every
/// other 4xx is permanent (a bad number, a rejected token).
pub struct SmsGateway {
    client: reqwest::Client,
    url: String,
    token: Secret,
    sender: String,
}

impl fmt::Debug for SmsGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsGateway")
            .field("url", &self.url)
            .field("token", &self.token)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Serialize)]
struct SmsBody<'a> {
    to: &'a str,
    text: &'a str,
    sender: &'a str,
}

impl SmsGateway {
    /// A gateway client for `config`.
    ///
    /// # Errors
    /// [`NotifyError::Config`] when `url` is empty or not an `http(s)` URL, or
    /// the HTTP client cannot be built.
    pub fn new(config: &SmsConfig) -> Result<Self, NotifyError> {
        if config.url.is_empty() {
            return Err(NotifyError::Config("notify.sms.url is empty".into()));
        }
        let parsed = reqwest::Url::parse(&config.url)
            .map_err(|e| NotifyError::Config(format!("notify.sms.url `{}` is not a URL: {e}", config.url)))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(NotifyError::Config(format!("notify.sms.url `{}` must be http or https", config.url)));
        }
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            // A redirect is a misconfigured URL: report it rather than re-post the message elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| NotifyError::Config(format!("cannot build the SMS gateway client: {e}")))?;
        Ok(Self { client, url: config.url.clone(), token: config.token.clone(), sender: config.sender.clone() })
    }
}

#[async_trait::async_trait]
impl Transport for SmsGateway {
    async fn send(&self, msg: &Outgoing) -> Result<Receipt, DeliveryError> {
        let body = SmsBody { to: &msg.to, text: &msg.body, sender: &self.sender };
        let mut request = self.client.post(&self.url).json(&body);
        if !self.token.is_empty() {
            request = request.bearer_auth(self.token.expose());
        }
        let response = request
            .send()
            .await
            // reqwest's message names the URL but never the token.
            .map_err(|e| DeliveryError::Transient(format!("SMS gateway unreachable: {}", e.without_url())))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            let provider_id = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| match v.get("id") {
                Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            });
            return Ok(Receipt { provider_id });
        }
        let snippet: String = text.chars().take(ERROR_BODY_CHARS).collect();
        let message = format!("SMS gateway answered {status}: {snippet}");
        let transient =
            status.is_server_error() || status == reqwest::StatusCode::REQUEST_TIMEOUT || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
        Err(if transient { DeliveryError::Transient(message) } else { DeliveryError::Permanent(message) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_are_refused_and_the_token_is_redacted() {
        let config = |url: &str| SmsConfig { url: url.into(), token: Secret::new("tok-123"), sender: "CityOS".into() };
        assert!(SmsGateway::new(&config("ftp://sms.example.vn")).is_err());
        assert!(SmsGateway::new(&config("not a url")).is_err());
        assert!(SmsGateway::new(&config("")).is_err());
        let gateway = SmsGateway::new(&config("https://sms.example.vn/send")).unwrap();
        assert!(!format!("{gateway:?}").contains("tok-123"));
    }
}
