//! Reports by e-mail: CityOS polls the 1022 mailbox over IMAP (`[mail_inbox]`)
//! and answers by SMTP through the notification outbox (`[notify.smtp]`).
//!
//! Each poll logs in, selects the mailbox and fetches the messages that are
//! unread or newer than the last one read (a high-water mark per mailbox and
//! `UIDVALIDITY`, in `mail_inbox_state`). Every message is read (MIME, RFC 2047
//! headers, any charset including Windows-1258; text preferred over HTML,
//! quoted replies and signatures removed) and stored in the same durable
//! inbox as the webhook channels (`webhook_inbox`, channel `email`, the
//! `Message-ID` as the message id), and only then marked `\Seen`: a message
//! read twice — marked unread again, delivered twice, or fetched again after
//! a crash — is stored once and files one report.
//!
//! Filing ([`Feedback::file_mail`], run by the inbox like every channel):
//! - a message whose subject or text carries the tracking code of a report
//!   filed from the same address is the citizen writing again about it: it is
//!   added to that report as a `citizen_message` (for the unit handling it)
//!   and the citizen is told by e-mail that it arrived;
//! - any other message becomes a report on the `email` channel with the
//!   sender as the reporter's e-mail, routed to the ward its words name; the
//!   acknowledgement with the tracking code answers the citizen's e-mail
//!   (`In-Reply-To`), and so does every later notification about the report;
//! - automatic mail (`Auto-Submitted`, `Precedence: bulk`, delivery reports,
//!   `MAILER-DAEMON`) and messages with no sender or no words are recorded in
//!   the inbox as not filed, so out-of-office answers never make reports and
//!   never get answered (CityOS's own mail says `Auto-Submitted` too).

use crate::model::Channel;
use crate::reports::{CitizenMessage, NewReport, Reporter};
use crate::webhooks::{Event, Inbound, Outcome};
use crate::{Feedback, FeedbackError};
use async_imap::{Client, Session};
use cityos_api::Caller;
use cityos_core::config::MailInboxConfig;
use cityos_core::to_millis;
use futures::TryStreamExt as _;
use mail_parser::{MessageParser, MimeHeaders as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// The mailbox's read position, and citizens' messages on reports kept once
/// per message id (both backends).
pub(crate) const MAIL_INBOX_SQL: &str = "
CREATE TABLE mail_inbox_state (
    mailbox TEXT PRIMARY KEY,
    uid_validity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    polled_at BIGINT NOT NULL
);
ALTER TABLE report_updates ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX report_updates_external ON report_updates (report_id, external_id) WHERE external_id IS NOT NULL;
";

/// Messages fetched per poll (the next poll takes the rest).
const BATCH: usize = 50;
/// Bytes of each message fetched: the text comes first; large attachments are cut.
const FETCH_BYTES: usize = 2 * 1024 * 1024;
/// The longest one poll (connect, log in, fetch, store, mark) may take.
const POLL_TIMEOUT: Duration = Duration::from_secs(120);
/// After failing polls, the wait grows up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Characters of text read from a message (a report keeps at most 5000).
const MAX_TEXT_CHARS: usize = 5000;

/// Why the mailbox could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MailInboxError {
    /// `[mail_inbox]` is unusable (names the setting).
    #[error("invalid [mail_inbox] settings: {0}")]
    Config(String),
    /// The connection failed.
    #[error("connection to the IMAP server failed: {0}")]
    Io(#[from] std::io::Error),
    /// The server refused a command (login, select, …) or answered nonsense.
    #[error("IMAP: {0}")]
    Imap(String),
    /// The poll took longer than two minutes.
    #[error("the IMAP server did not answer in time")]
    Timeout,
    /// Storing the messages failed.
    #[error(transparent)]
    Feedback(#[from] FeedbackError),
}

impl From<async_imap::error::Error> for MailInboxError {
    fn from(e: async_imap::error::Error) -> Self {
        Self::Imap(e.to_string())
    }
}

/// How the poller reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// Implicit TLS (IMAPS, port 993).
    Tls,
    /// Plain connection upgraded with `STARTTLS` (port 143); never falls back to plain text.
    StartTls,
    /// Plain text: only for a server on the same machine or a trusted network.
    None,
}

/// The byte stream under the IMAP session: plain TCP or TLS.
trait ImapIo: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> ImapIo for T {}
type Stream = Box<dyn ImapIo>;

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Messages fetched from the mailbox.
    pub fetched: usize,
    /// Of those, messages the inbox did not hold yet.
    pub stored: usize,
}

/// The poller of the 1022 mailbox.
pub struct MailInbox {
    feedback: Feedback,
    cfg: MailInboxConfig,
    security: Security,
    tls: Arc<ClientConfig>,
}

impl fmt::Debug for MailInbox {
    // By hand: the configuration holds the password (redacted by `Secret`, but the TLS config is noise).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailInbox")
            .field("host", &self.cfg.host)
            .field("port", &self.cfg.port)
            .field("security", &self.security)
            .field("mailbox", &self.cfg.mailbox)
            .finish_non_exhaustive()
    }
}

impl MailInbox {
    /// A poller for `cfg`. Certificates are checked against the Mozilla roots
    /// bundled in `webpki-roots`.
    ///
    /// # Errors
    /// [`MailInboxError::Config`] for an empty host, user or mailbox, or a
    /// `security` other than `tls`, `starttls` or `none`.
    pub fn new(feedback: Feedback, cfg: &MailInboxConfig) -> Result<Self, MailInboxError> {
        Self::with_roots(feedback, cfg, &[])
    }

    /// [`MailInbox::new`] that also trusts `extra_roots` (DER certificates): a
    /// city's own certificate authority, or a test server's certificate.
    ///
    /// # Errors
    /// As [`MailInbox::new`], and for a certificate that cannot be used as a root.
    pub fn with_roots(feedback: Feedback, cfg: &MailInboxConfig, extra_roots: &[Vec<u8>]) -> Result<Self, MailInboxError> {
        let security = match cfg.security.to_ascii_lowercase().as_str() {
            "tls" => Security::Tls,
            "starttls" => Security::StartTls,
            "none" => Security::None,
            other => return Err(MailInboxError::Config(format!("mail_inbox.security must be `tls`, `starttls` or `none`, not `{other}`"))),
        };
        for (value, name) in [(&cfg.host, "host"), (&cfg.username, "username"), (&cfg.mailbox, "mailbox")] {
            if value.trim().is_empty() {
                return Err(MailInboxError::Config(format!("mail_inbox.{name} is empty")));
            }
        }
        let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for der in extra_roots {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|e| MailInboxError::Config(format!("a trusted certificate cannot be used: {e}")))?;
        }
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| MailInboxError::Config(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self { feedback, cfg: cfg.clone(), security, tls: Arc::new(tls) })
    }

    /// Polls every `poll_seconds` until `shutdown` turns true. A failed poll
    /// is logged and retried, waiting longer after each failure (up to ten minutes).
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let every = Duration::from_secs(self.cfg.poll_seconds.max(1));
        if self.security == Security::None && !is_loopback(&self.cfg.host) {
            tracing::warn!(host = %self.cfg.host, "mail_inbox.security is `none`: the mailbox password crosses the network in clear");
        }
        tracing::info!(host = %self.cfg.host, mailbox = %self.cfg.mailbox, every_s = every.as_secs(), "polling the 1022 mailbox");
        let mut failures: u32 = 0;
        loop {
            let polled = tokio::select! {
                r = self.poll() => r,
                _ = shutdown.wait_for(|stop| *stop) => break,
            };
            let wait = match polled {
                Ok(report) => {
                    if report.fetched > 0 {
                        tracing::info!(fetched = report.fetched, stored = report.stored, "1022 mailbox polled");
                    }
                    failures = 0;
                    every
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = every.saturating_mul(2_u32.saturating_pow(failures.min(10))).min(MAX_BACKOFF);
                    tracing::warn!(error = %e, failures, retry_in_s = wait.as_secs(), "polling the 1022 mailbox failed; will retry");
                    wait
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
        tracing::info!("1022 mailbox polling stopped");
    }

    /// Polls once: stores new messages in the inbox, marks them `\Seen`, then
    /// files them (what fails here is retried by the inbox worker).
    ///
    /// # Errors
    /// The server cannot be reached, refuses the login or the mailbox, takes
    /// longer than two minutes, or the database fails.
    pub async fn poll(&self) -> Result<PollReport, MailInboxError> {
        let (report, fresh) = tokio::time::timeout(POLL_TIMEOUT, self.fetch()).await.map_err(|_| MailInboxError::Timeout)??;
        for id in fresh {
            if let Err(e) = self.feedback.process_inbox_row(&id).await {
                tracing::warn!(inbox = %id, error = %e, "e-mail not filed yet; the inbox worker will retry");
            }
        }
        Ok(report)
    }

    /// One IMAP session: the new messages, stored; returns the new inbox rows.
    async fn fetch(&self) -> Result<(PollReport, Vec<String>), MailInboxError> {
        let mut session = self.connect().await?;
        let result = self.read_mailbox(&mut session).await;
        // The work is done (or failed) either way; a failing LOGOUT changes nothing.
        if let Err(e) = session.logout().await {
            tracing::debug!(error = %e, "IMAP logout failed");
        }
        result
    }

    async fn connect(&self) -> Result<Session<Stream>, MailInboxError> {
        let tcp = TcpStream::connect((self.cfg.host.as_str(), self.cfg.port)).await?;
        let stream: Stream = match self.security {
            Security::None => Box::new(tcp),
            Security::Tls => Box::new(self.tls(tcp).await?),
            Security::StartTls => {
                let mut plain = Client::new(tcp);
                greeting(&mut plain).await?;
                plain.run_command_and_check_ok("STARTTLS", None).await?;
                Box::new(self.tls(plain.into_inner()).await?)
            }
        };
        let mut client = Client::new(stream);
        if self.security != Security::StartTls {
            greeting(&mut client).await?;
        }
        client
            .login(&self.cfg.username, self.cfg.password.expose())
            .await
            .map_err(|(e, _)| MailInboxError::Imap(format!("login refused: {e}")))
    }

    async fn tls(&self, tcp: TcpStream) -> Result<tokio_rustls::client::TlsStream<TcpStream>, MailInboxError> {
        let name = ServerName::try_from(self.cfg.host.clone())
            .map_err(|e| MailInboxError::Config(format!("mail_inbox.host `{}` is not a host name: {e}", self.cfg.host)))?;
        Ok(TlsConnector::from(self.tls.clone()).connect(name, tcp).await?)
    }

    async fn read_mailbox(&self, session: &mut Session<Stream>) -> Result<(PollReport, Vec<String>), MailInboxError> {
        let mailbox = session.select(&self.cfg.mailbox).await?;
        let validity = i64::from(mailbox.uid_validity.unwrap_or(0));
        // The same mailbox whichever port or security reaches it.
        let key = format!("{}@{}/{}", self.cfg.username, self.cfg.host.to_ascii_lowercase(), self.cfg.mailbox);
        let last_uid = match self.position(&key).await? {
            Some((v, uid)) if v == validity => uid,
            _ => 0,
        };
        // Unread messages (also ones marked unread again), and everything past the mark (also
        // messages someone opened in a mail client before CityOS saw them).
        let mut uids: BTreeSet<u32> = session.uid_search("UNSEEN").await?.into_iter().collect();
        // `n:*` always includes the highest UID, even when it is below n.
        uids.extend(session.uid_search(format!("UID {}:*", last_uid + 1)).await?.into_iter().filter(|u| i64::from(*u) > last_uid));
        drain(session);
        let uids: Vec<u32> = uids.into_iter().take(BATCH).collect();
        if uids.is_empty() {
            return Ok((PollReport::default(), Vec::new()));
        }
        let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let fetches: Vec<async_imap::types::Fetch> =
            session.uid_fetch(&set, format!("(UID BODY.PEEK[]<0.{FETCH_BYTES}>)")).await?.try_collect().await?;
        drain(session);
        let mut events = Vec::with_capacity(fetches.len());
        let mut read = Vec::with_capacity(fetches.len());
        for fetch in &fetches {
            let Some(uid) = fetch.uid else { continue };
            let raw = fetch.body().unwrap_or_default();
            let mail = parse_mail(raw);
            let external_id = mail.message_id.clone().unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(raw))));
            let payload = serde_json::to_string(&mail).map_err(|e| MailInboxError::Imap(format!("message {uid}: {e}")))?;
            events.push(Event { channel: Channel::Email, external_id, payload });
            read.push(uid);
        }
        let fresh = self.feedback.store_events(&events).await?;
        // Marked read only once stored: a crash in between fetches them again, and the inbox
        // stores nothing twice.
        if !read.is_empty() {
            let set = read.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
            let _: Vec<async_imap::types::Fetch> = session.uid_store(&set, "+FLAGS.SILENT (\\Seen)").await?.try_collect().await?;
            drain(session);
        }
        let highest = read.iter().copied().map(i64::from).max().unwrap_or(0).max(last_uid);
        self.save_position(&key, validity, highest).await?;
        Ok((PollReport { fetched: read.len(), stored: fresh.len() }, fresh))
    }

    /// The mailbox's `UIDVALIDITY` and highest UID read, if it was read before.
    async fn position(&self, key: &str) -> Result<Option<(i64, i64)>, FeedbackError> {
        let row = sqlx::query("SELECT uid_validity, last_uid FROM mail_inbox_state WHERE mailbox = $1")
            .bind(key)
            .fetch_optional(self.feedback.db().reader())
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("uid_validity")?, r.try_get("last_uid")?)),
            None => None,
        })
    }

    async fn save_position(&self, key: &str, validity: i64, last_uid: i64) -> Result<(), FeedbackError> {
        sqlx::query(
            "INSERT INTO mail_inbox_state (mailbox, uid_validity, last_uid, polled_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, polled_at = excluded.polled_at",
        )
        .bind(key)
        .bind(validity)
        .bind(last_uid)
        .bind(to_millis(self.feedback.clock().now()))
        .execute(self.feedback.db().writer())
        .await?;
        Ok(())
    }
}

/// Reads the server's greeting.
async fn greeting<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug>(client: &mut Client<T>) -> Result<(), MailInboxError> {
    match client.read_response().await? {
        Some(_) => Ok(()),
        None => Err(MailInboxError::Imap("the server closed the connection before greeting".into())),
    }
}

/// Drops the server's unsolicited responses (EXISTS, RECENT, …): nothing reads
/// them, and their channel holds only a few before the session would stall.
fn drain(session: &mut Session<Stream>) {
    while session.unsolicited_responses.try_recv().is_ok() {}
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

// ------------------------------------------------------------------ reading a message

/// A message as the inbox keeps it (its `payload`): only what filing needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MailMessage {
    /// `<id@host>`, when the message has a well-formed one.
    pub message_id: Option<String>,
    /// The sender's address, lower case.
    pub from: Option<String>,
    /// The sender's display name.
    pub name: Option<String>,
    /// The subject, decoded, reply prefixes kept.
    pub subject: String,
    /// The text, quoted replies and signature removed.
    pub text: String,
    /// Tracking codes named in the subject, then in the text (quotes included).
    pub codes: Vec<String>,
    /// Why it is an automatic message (not to be filed nor answered), if it is one.
    pub automatic: Option<String>,
}

/// Reads a raw message. Never fails: what cannot be read stays empty, and
/// filing then refuses the message with the reason.
pub(crate) fn parse_mail(raw: &[u8]) -> MailMessage {
    let Some(m) = MessageParser::default().parse(raw) else { return MailMessage::default() };
    let sender = m.from().and_then(|a| a.first());
    let from = sender.and_then(|a| a.address()).map(|a| a.trim().to_lowercase()).filter(|a| is_address(a));
    let name = sender
        .and_then(|a| a.name())
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect());
    let subject: String = m.subject().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ").chars().take(500).collect();
    let body: String =
        (0..m.text_body_count()).filter_map(|i| m.body_text(i)).collect::<Vec<_>>().join("\n").chars().take(20 * MAX_TEXT_CHARS).collect();
    let text: String = strip_quoted(&body).chars().take(MAX_TEXT_CHARS).collect();
    let mut codes = tracking_codes(&subject);
    for c in tracking_codes(&body) {
        if !codes.contains(&c) {
            codes.push(c);
        }
    }
    let message_id = m.message_id().map(|id| format!("<{}>", id.trim().trim_start_matches('<').trim_end_matches('>'))).filter(|id| {
        id.len() <= 250 && id.len() > 2 && id[1..id.len() - 1].bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
    });
    let automatic = automatic(&m, from.as_deref());
    MailMessage { message_id, from, name, subject, text, codes, automatic }
}

fn is_address(a: &str) -> bool {
    a.len() <= 254
        && a.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !a.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Why a message is automatic (RFC 3834 `Auto-Submitted`, `Precedence`,
/// auto-responder headers, delivery reports, mailer daemons), if it is.
fn automatic(m: &mail_parser::Message<'_>, from: Option<&str>) -> Option<String> {
    let header = |name: &str| m.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if let Some(v) = header("Auto-Submitted").filter(|v| v.split(';').next().map(str::trim) != Some("no")) {
        return Some(format!("Auto-Submitted: {v}"));
    }
    if let Some(v) = header("Precedence").filter(|v| matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply")) {
        return Some(format!("Precedence: {v}"));
    }
    for name in ["X-Autoreply", "X-Autorespond"] {
        if header(name).is_some() {
            return Some(format!("{name} header"));
        }
    }
    if m.content_type()
        .is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart") && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report")))
    {
        return Some("a delivery report".into());
    }
    let local = from.and_then(|f| f.split('@').next()).unwrap_or_default();
    if matches!(local, "mailer-daemon" | "postmaster") {
        return Some(format!("sent by {local}"));
    }
    None
}

/// Tracking codes (`yymmdd-XXXXX`, as `reports` makes them) in `text`, in order, each once.
fn tracking_codes(text: &str) -> Vec<String> {
    const TAIL: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let chars: Vec<char> = text.chars().collect();
    let mut found: Vec<String> = Vec::new();
    let mut i = 0;
    while i + 12 <= chars.len() {
        let word_start = i == 0 || !chars[i - 1].is_alphanumeric();
        let candidate = &chars[i..i + 12];
        let word_end = chars.get(i + 12).is_none_or(|c| !c.is_alphanumeric());
        if word_start
            && word_end
            && candidate[..6].iter().all(char::is_ascii_digit)
            && candidate[6] == '-'
            && candidate[7..].iter().all(|c| TAIL.contains(c.to_ascii_uppercase()))
        {
            let code: String = candidate.iter().map(char::to_ascii_uppercase).collect();
            if !found.contains(&code) {
                found.push(code);
            }
            i += 12;
        } else {
            i += 1;
        }
    }
    found
}

/// The citizen's own words: quoted lines (`>`), the quoted message below an
/// attribution line ("On … wrote:", "Vào … đã viết:", Outlook's separator
/// and "-----Original Message-----") and the signature (`-- `, "Sent from
/// my …") are removed.
fn strip_quoted(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let lower = t.to_lowercase();
        let next = lines.get(i + 1).map(|l| l.trim().to_lowercase()).unwrap_or_default();
        let attribution = |l: &str| l.ends_with("wrote:") || l.ends_with("đã viết:");
        let ends_here = line.trim_end() == "--"
            || attribution(&lower)
            || ((lower.starts_with("on ") || lower.starts_with("vào ")) && attribution(&next))
            || (t.starts_with("-----")
                && (lower.contains("original message") || lower.contains("thư gốc") || lower.contains("tin nhắn gốc")))
            || (t.len() >= 20 && t.chars().all(|c| c == '_'))
            || lower.starts_with("sent from my ")
            || lower.starts_with("gửi từ iphone")
            || lower.starts_with("được gửi từ");
        if ends_here {
            break;
        }
        if !t.starts_with('>') {
            kept.push(line.trim_end());
        }
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    let start = kept.iter().position(|l| !l.trim().is_empty()).unwrap_or(kept.len());
    kept[start..].join("\n")
}

/// The subject without reply and forward prefixes (`Re:`, `Fwd:`, `TL:`, …).
fn bare_subject(subject: &str) -> &str {
    let mut s = subject.trim();
    loop {
        let Some((prefix, rest)) = s.split_once(':') else { return s };
        if matches!(prefix.trim().to_lowercase().as_str(), "re" | "fw" | "fwd" | "tl" | "tr" | "aw" | "sv" | "trả lời" | "chuyển tiếp")
        {
            s = rest.trim();
        } else {
            return s;
        }
    }
}

/// The operators' inbox preview of a stored e-mail (see [`crate::webhooks`]).
pub(crate) fn inbound(payload: &serde_json::Value) -> Result<Inbound, String> {
    let mail: MailMessage = serde_json::from_value(payload.clone()).map_err(|e| format!("stored payload is not an e-mail: {e}"))?;
    let text = if mail.text.trim().is_empty() { mail.subject.clone() } else { mail.text.clone() };
    Ok(Inbound { sender: mail.from.ok_or("no sender")?, text: Some(text).filter(|t| !t.trim().is_empty()), lat: None, lon: None })
}

impl Feedback {
    /// Files one stored e-mail: a citizen's message on their report when it
    /// names the report's tracking code and comes from the report's address,
    /// else a new report.
    pub(crate) async fn file_mail(&self, external_id: &str, payload: &str) -> Outcome {
        let mail: MailMessage = match serde_json::from_str(payload) {
            Ok(m) => m,
            Err(e) => return Outcome::Refused(format!("stored payload is not an e-mail: {e}")),
        };
        let Some(from) = mail.from.clone() else { return Outcome::Refused("the message has no sender address".into()) };
        if let Some(why) = &mail.automatic {
            return Outcome::Refused(format!("an automatic message ({why}): not filed, not answered"));
        }
        let thread = mail.message_id.as_deref();
        let sender = Reporter { name: None, phone: None, email: Some(from.clone()) };
        for code in &mail.codes {
            let row = match sqlx::query("SELECT reporter_email FROM reports WHERE tracking_code = $1")
                .bind(code)
                .fetch_optional(self.db.reader())
                .await
            {
                Ok(r) => r,
                Err(e) => return Outcome::Failed(e.to_string()),
            };
            let reporter: Option<String> = row.and_then(|r| r.try_get("reporter_email").ok()).flatten();
            // Tracking codes are public: only the reporter's own address adds to a report.
            if !reporter.is_some_and(|r| r.eq_ignore_ascii_case(&from)) {
                continue;
            }
            if mail.text.trim().is_empty() {
                return Outcome::Refused(format!("a reply about {code} with no words of its own"));
            }
            let msg = CitizenMessage { channel: Channel::Email, text: &mail.text, external_id, reply_to: &sender, thread };
            return outcome(self.add_citizen_message(&Caller::default(), code, &msg).await);
        }
        let subject = bare_subject(&mail.subject);
        let description = match (subject.is_empty(), mail.text.trim().is_empty()) {
            (true, true) => return Outcome::Refused("the message has neither subject nor text".into()),
            (false, true) => subject.to_string(),
            (true, false) => mail.text.clone(),
            (false, false) if mail.text.starts_with(subject) => mail.text.clone(),
            (false, false) => format!("{subject}\n\n{}", mail.text),
        };
        let description: String = description.chars().take(MAX_TEXT_CHARS).collect();
        let new = NewReport {
            channel: Channel::Email,
            category_code: None,
            description: description.clone(),
            lat: None,
            lon: None,
            // Ward names (also pre-2025 ones) in the words route the report, as for every message channel.
            address: Some(description),
            reporter: Reporter { name: mail.name.clone(), phone: None, email: Some(from) },
            anonymous: false,
            external_id: Some(external_id.to_string()),
            locale: None,
        };
        outcome(self.create_report_with_sender(&Caller::default(), &new, thread).await)
    }
}

fn outcome(result: Result<crate::Report, FeedbackError>) -> Outcome {
    match result {
        Ok(r) => Outcome::Filed(r.id),
        Err(FeedbackError::Api(e)) if e.status.is_client_error() => {
            Outcome::Refused(format!("{}: {}", e.title, e.detail.unwrap_or_default()))
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vietnamese_mail_in_any_encoding_is_read() {
        // Subject as RFC 2047 base64 UTF-8, body quoted-printable UTF-8.
        let raw = "From: =?UTF-8?B?Tmd1eeG7hW4gVsSDbiBBbg==?= <An.Nguyen@Example.VN>\r\n\
            To: 1022@tphcm.gov.vn\r\nSubject: =?UTF-8?Q?=E1=BB=94_g=C3=A0_=C4=91=C6=B0=E1=BB=9Dng_L=C3=AA_L=E1=BB=A3i?=\r\n\
            Message-ID: <abc.123@mail.example.vn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
            Content-Transfer-Encoding: quoted-printable\r\n\r\n\
            Ph=C6=B0=E1=BB=9Dng B=E1=BA=BFn Th=C3=A0nh c=C3=B3 =E1=BB=95 g=C3=A0 l=E1=BB=9Bn.\r\n\r\n-- \r\nAn\r\n0901234567\r\n";
        let m = parse_mail(raw.as_bytes());
        assert_eq!(m.from.as_deref(), Some("an.nguyen@example.vn"));
        assert_eq!(m.name.as_deref(), Some("Nguyễn Văn An"));
        assert_eq!(m.subject, "Ổ gà đường Lê Lợi");
        assert_eq!(m.text, "Phường Bến Thành có ổ gà lớn.", "signature removed");
        assert_eq!(m.message_id.as_deref(), Some("<abc.123@mail.example.vn>"));
        assert_eq!(m.automatic, None);
        // Windows-1258 (Vietnamese Windows): "Cây ngã" with a combining tone mark.
        let mut cp = b"From: b@example.vn\r\nSubject: x\r\nContent-Type: text/plain; charset=windows-1258\r\n\r\nC\xE2y nga\xDE".to_vec();
        cp.extend_from_slice(b"\r\n");
        let m = parse_mail(&cp);
        assert_eq!(cityos_text::nfc(&m.text), "Cây ngã");
        // HTML only: read as text.
        let html = "From: c@example.vn\r\nSubject: y\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>C&acirc;y <b>ng&atilde;</b></p>";
        assert!(parse_mail(html.as_bytes()).text.contains("ngã"), "{:?}", parse_mail(html.as_bytes()).text);
    }

    #[test]
    fn replies_lose_their_quotes_and_keep_the_code() {
        let body = "Vẫn chưa sửa, hố còn sâu hơn.\n\nVào Th 5, 28 thg 11, 2026 lúc 10:00 CityOS <no-reply@cityos.vn> đã viết:\n> CityOS đã nhận phản ánh 261128-ABCDE\n";
        assert_eq!(strip_quoted(body), "Vẫn chưa sửa, hố còn sâu hơn.");
        let gmail = "Still broken.\n\nOn Thu, Nov 28, 2026 at 10:00 AM CityOS <no-reply@cityos.vn>\nwrote:\n> old";
        assert_eq!(strip_quoted(gmail), "Still broken.");
        let outlook = "Thêm ảnh.\n________________________________\nFrom: CityOS\nSubject: 261128-ABCDE";
        assert_eq!(strip_quoted(outlook), "Thêm ảnh.");
        assert_eq!(strip_quoted("Hello\n-----Original Message-----\nold"), "Hello");
        assert_eq!(strip_quoted("> only a quote\n>> more"), "");
        assert_eq!(tracking_codes("Re: CityOS đã nhận phản ánh 261128-ABCDE, và 261128-abcd2"), ["261128-ABCDE", "261128-ABCD2"]);
        assert!(
            tracking_codes("2611281-ABCDE 261128-ABCDEF 261128-ABCD1 261128_ABCDE").is_empty(),
            "whole words of the right alphabet only"
        );
        assert_eq!(bare_subject("Re: TL: Fwd: Ổ gà"), "Ổ gà");
        assert_eq!(bare_subject("Báo cáo: ổ gà"), "Báo cáo: ổ gà");
    }

    #[test]
    fn automatic_mail_is_recognised() {
        let auto = parse_mail(b"From: a@b.vn\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nAway");
        assert!(auto.automatic.is_some_and(|w| w.contains("auto-replied")));
        assert_eq!(parse_mail(b"From: a@b.vn\r\nAuto-Submitted: no\r\nSubject: s\r\n\r\nx").automatic, None);
        assert!(parse_mail(b"From: a@b.vn\r\nPrecedence: bulk\r\n\r\nx").automatic.is_some());
        assert!(parse_mail(b"From: MAILER-DAEMON@mx.b.vn\r\nSubject: Undelivered\r\n\r\nx").automatic.is_some());
        let dsn = "From: a@b.vn\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n";
        assert!(parse_mail(dsn.as_bytes()).automatic.is_some());
    }

    #[test]
    fn broken_messages_read_as_empty() {
        assert_eq!(parse_mail(b""), MailMessage::default());
        let m = parse_mail(b"\x00\xff garbage without headers");
        assert_eq!((m.from, m.message_id), (None, None));
        let bad_id = parse_mail(b"From: a@b.vn\r\nMessage-ID: <a b\r\n c>\r\n\r\nx");
        assert!(bad_id.message_id.as_deref().is_none_or(|id| !id.contains(' ')));
        assert_eq!(parse_mail(b"From: not an address\r\n\r\nx").from, None);
    }
}
