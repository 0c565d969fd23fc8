//! E-mail through an SMTP server, with `lettre` over rustls (no OpenSSL).

use crate::transport::{DeliveryError, Outgoing, Receipt, Transport};
use crate::NotifyError;
use cityos_core::config::SmtpConfig;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::fmt;
use std::time::{Duration, SystemTime};

/// How long one SMTP conversation may take before it counts as a transient failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends e-mail through the SMTP server named by [`SmtpConfig`].
///
/// `security` selects the connection: `none` (plain, for a local relay),
/// `starttls` (upgrade required; the connection fails rather than fall back
/// to plain text) or `tls` (implicit TLS, "SMTPS"). Certificates are checked
/// against the Mozilla roots bundled in `webpki-roots`. Every message is
/// `text/plain; charset=utf-8`; non-ASCII subjects are MIME encoded-words.
pub struct SmtpTransport {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Right-hand side of generated `Message-ID`s: the sender's domain.
    domain: String,
    host: String,
    port: u16,
    security: String,
}

impl fmt::Debug for SmtpTransport {
    // By hand, so the credentials inside lettre's client never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// A transport for `config`.
    ///
    /// # Errors
    /// [`NotifyError::Config`] when `host` is empty, `security` is not `none`,
    /// `starttls` or `tls`, or `from` is not a valid address.
    pub fn new(config: &SmtpConfig) -> Result<Self, NotifyError> {
        if config.host.is_empty() {
            return Err(NotifyError::Config("notify.smtp.host is empty".into()));
        }
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| NotifyError::Config(format!("notify.smtp.from `{}` is not an e-mail address: {e}", config.from)))?;
        let domain = from.email.domain().to_string();
        let security = config.security.to_ascii_lowercase();
        let builder = match security.as_str() {
            "none" | "" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                .map_err(|e| NotifyError::Config(format!("notify.smtp: cannot set up STARTTLS for `{}`: {e}", config.host)))?,
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .map_err(|e| NotifyError::Config(format!("notify.smtp: cannot set up TLS for `{}`: {e}", config.host)))?,
            other => return Err(NotifyError::Config(format!("notify.smtp.security must be `none`, `starttls` or `tls`, not `{other}`"))),
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(SMTP_TIMEOUT))
            // Greet with the sender's domain rather than a bare address literal.
            .hello_name(ClientId::Domain(domain.clone()));
        if !config.username.is_empty() {
            builder = builder.credentials(Credentials::new(config.username.clone(), config.password.expose().to_string()));
        }
        Ok(Self { mailer: builder.build(), from, domain, host: config.host.clone(), port: config.port, security })
    }
}

#[async_trait::async_trait]
impl Transport for SmtpTransport {
    async fn send(&self, msg: &Outgoing) -> Result<Receipt, DeliveryError> {
        let to: Mailbox = msg.to.parse().map_err(|e| DeliveryError::Permanent(format!("recipient is not a valid e-mail address: {e}")))?;
        let message_id = format!("<{}@{}>", msg.id, self.domain);
        let answers = msg.in_reply_to.as_deref().filter(|id| is_message_id(id));
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(msg.subject.clone())
            .message_id(Some(message_id.clone()))
            .date(SystemTime::from(msg.created_at))
            // RFC 3834: an automatic message, so auto-responders do not answer it (no mail loops with
            // the 1022 mailbox, which files what it receives).
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                if answers.is_some() { "auto-replied" } else { "auto-generated" }.into(),
            ))
            .header(ContentType::TEXT_PLAIN);
        if let Some(id) = answers {
            builder = builder.in_reply_to(id.to_string()).references(id.to_string());
        }
        let email = builder.body(msg.body.clone()).map_err(|e| DeliveryError::Permanent(format!("cannot build the e-mail: {e}")))?;
        match self.mailer.send(email).await {
            Ok(response) => {
                tracing::debug!(notification = %msg.id, code = %response.code(), "SMTP server accepted the message");
                Ok(Receipt { provider_id: Some(message_id) })
            }
            Err(e) if e.is_permanent() => Err(DeliveryError::Permanent(format!("SMTP server refused the message: {e}"))),
            // Connection failures, timeouts, TLS failures and 4xx replies may all clear up.
            Err(e) => Err(DeliveryError::Transient(format!("SMTP delivery failed: {e}"))),
        }
    }
}

/// A `Message-ID` as it may go into a header: `<…>` of printable ASCII, no spaces.
fn is_message_id(id: &str) -> bool {
    id.len() <= 250
        && id.len() > 2
        && id.starts_with('<')
        && id.ends_with('>')
        && id[1..id.len() - 1].bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(security: &str, from: &str) -> SmtpConfig {
        SmtpConfig { host: "mail.example.vn".into(), security: security.into(), from: from.into(), ..SmtpConfig::default() }
    }

    #[test]
    fn security_modes_and_bad_settings() {
        for ok in ["none", "starttls", "tls", "STARTTLS"] {
            assert!(SmtpTransport::new(&config(ok, "CityOS <no-reply@cityos.vn>")).is_ok(), "{ok}");
        }
        let err = SmtpTransport::new(&config("ssl", "no-reply@cityos.vn")).unwrap_err().to_string();
        assert!(err.contains("notify.smtp.security"), "{err}");
        let err = SmtpTransport::new(&config("none", "not an address")).unwrap_err().to_string();
        assert!(err.contains("notify.smtp.from"), "{err}");
        assert!(SmtpTransport::new(&SmtpConfig::default()).is_err(), "empty host");
    }

    #[test]
    fn only_well_formed_message_ids_are_answered() {
        assert!(is_message_id("<CAF=x+1@mail.gmail.com>"));
        for bad in ["", "<>", "abc@d", "<a b@c>", "<a@b>\r\nBcc: x@y", "<a<b@c>"] {
            assert!(!is_message_id(bad), "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let mut c = config("starttls", "no-reply@cityos.vn");
        c.username = "cityos".into();
        c.password = cityos_core::config::Secret::new("hunter2");
        let shown = format!("{:?}", SmtpTransport::new(&c).unwrap());
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
