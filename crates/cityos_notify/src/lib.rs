//! The one notification service of CityOS: every module that tells a person
//! something (a sign-in code, a report update, a locked account) goes through
//! this crate.
//!
//! - [`template`]: the catalogue of texts in Vietnamese (default) and English,
//!   with `{name}` substitution that refuses missing variables.
//! - [`Transport`]: how a rendered message leaves: [`SmtpTransport`] (e-mail
//!   over SMTP with rustls), [`SmsGateway`] (an HTTP SMS gateway),
//!   [`ZaloOaApi`] (Zalo Official Account messages), [`MessengerSendApi`]
//!   (Facebook Messenger replies) and [`WebPush`] (web-push notifications to
//!   the 1022 app: VAPID, RFC 8291 encryption, subscriptions in [`webpush`]).
//! - The outbox: [`enqueue`] writes a `notifications` row inside the caller's
//!   transaction, so a notification exists exactly when its business change
//!   commits; a [`Notifier`] claims due rows, renders, sends, retries
//!   transient failures with exponential backoff and records the outcome,
//!   which [`Notifier::status`] reports.
//! - `testing` (cargo feature `testing`): a real SMTP server, SMS gateway,
//!   generic HTTP receiver (for the Zalo and Messenger APIs) and push service
//!   on 127.0.0.1 for other crates' tests.
//!
//! Architecture invariant: no module talks to an SMTP server, SMS gateway or
//! chat provider except through this crate, and nothing is sent from inside a database
//! transaction: a message is queued in the transaction and sent after it.
//! Recipients are personal data: they are stored for delivery and status, but
//! never logged; a message's variables are erased once it is sent or failed.

#![warn(missing_docs)]

pub mod template;
pub mod webpush;

mod chat;
mod outbox;
mod sms;
mod smtp;
mod transport;

#[cfg(feature = "testing")]
pub mod testing;

pub use chat::{MessengerSendApi, ZaloOaApi};
pub use outbox::{
    enqueue, retry_delay, DeliveryStatus, NotificationRequest, NotificationState, Notifier, FIRST_RETRY_DELAY, IN_REPLY_TO,
    MAX_RETRY_DELAY, MIGRATIONS, STUCK_AFTER,
};
pub use sms::SmsGateway;
pub use smtp::SmtpTransport;
pub use template::{Locale, TemplateError};
pub use transport::{Channel, DeliveryError, Outgoing, Receipt, Transport};
pub use webpush::WebPush;

/// Errors of the notification service.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The request cannot be queued (says what is wrong with it).
    #[error("invalid notification: {0}")]
    Invalid(String),
    /// The `[notify]` configuration is unusable (names the setting).
    #[error("invalid notification settings: {0}")]
    Config(String),
    /// A stored row holds a value this version does not know.
    #[error("corrupt notification row: {0}")]
    Corrupt(String),
    /// A database error.
    #[error(transparent)]
    Store(#[from] cityos_store::StoreError),
    /// A database error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}
