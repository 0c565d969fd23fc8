//! How a rendered message leaves CityOS: the [`Transport`] trait and its
//! vocabulary. [`crate::SmtpTransport`], [`crate::SmsGateway`],
//! [`crate::ZaloOaApi`], [`crate::MessengerSendApi`] and [`crate::WebPush`]
//! implement it; tests can add their own.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The way a notification reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// E-mail over SMTP; the recipient is an e-mail address.
    Email,
    /// SMS through the HTTP gateway; the recipient is a phone number.
    Sms,
    /// A Zalo Official Account message; the recipient is the user's Zalo id
    /// (as the OA's webhook gave it).
    Zalo,
    /// A Facebook Messenger message from the city's Page; the recipient is
    /// the page-scoped user id (PSID).
    Messenger,
    /// A web-push notification to the 1022 app; the recipient is a push
    /// subscription id (see [`crate::webpush`]).
    #[serde(rename = "webpush")]
    WebPush,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [Channel::Email, Channel::Sms, Channel::Zalo, Channel::Messenger, Channel::WebPush];

    /// The stored name: `email`, `sms`, `zalo`, `messenger` or `webpush`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Zalo => "zalo",
            Self::Messenger => "messenger",
            Self::WebPush => "webpush",
        }
    }

    /// Parses a stored name; `None` for anything else.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            "zalo" => Some(Self::Zalo),
            "messenger" => Some(Self::Messenger),
            "webpush" => Some(Self::WebPush),
            _ => None,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rendered message handed to a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The notification's id; transports use it to make the message
    /// identifiable at the provider (the e-mail `Message-ID`).
    pub id: String,
    /// The channel it goes out on.
    pub channel: Channel,
    /// E-mail address, phone number, Zalo user id, Messenger PSID or push subscription id.
    pub to: String,
    /// E-mail subject; empty for the other channels.
    pub subject: String,
    /// E-mail body (plain text), the text of an SMS or chat message, or the
    /// JSON payload of a web-push notification.
    pub body: String,
    /// When the notification was created (the e-mail `Date`).
    pub created_at: DateTime<Utc>,
    /// E-mail only: the `Message-ID` of the e-mail this one answers, sent as
    /// `In-Reply-To` and `References` so the answer joins the sender's thread
    /// (the variable [`crate::IN_REPLY_TO`] of the notification).
    pub in_reply_to: Option<String>,
}

/// What the provider said when it accepted a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's id for the message, when it gives one (the SMS
    /// gateway's `id`, the e-mail `Message-ID`, Zalo's or Messenger's `message_id`).
    pub provider_id: Option<String>,
}

/// Why a transport could not deliver a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth retrying later: the provider was unreachable, timed out, or
    /// answered with a temporary failure (SMTP 4xx, HTTP 5xx, 408, 429).
    #[error("temporary delivery failure: {0}")]
    Transient(String),
    /// Retrying cannot help: the provider refused the message or the
    /// recipient (SMTP 5xx, HTTP 4xx), or the message cannot be built.
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
}

impl DeliveryError {
    /// True for [`DeliveryError::Transient`].
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// Something that hands rendered messages to a provider.
///
/// Implementations must be safe to call from several tasks at once and must
/// not retry on their own: the notifier owns retries and backoff.
#[async_trait::async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends one message, returning the provider's receipt.
    ///
    /// # Errors
    /// [`DeliveryError::Transient`] when a later attempt may succeed,
    /// [`DeliveryError::Permanent`] when it cannot.
    async fn send(&self, msg: &Outgoing) -> Result<Receipt, DeliveryError>;
}
