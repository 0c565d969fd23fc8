//! Real local receivers for tests (cargo feature `testing`): an SMTP server,
//! an HTTP SMS gateway, a generic HTTP receiver (standing in for the Zalo
//! OA API and the Messenger Send API) and a web push service (with
//! [`TestSubscriber`] playing the browser), each on 127.0.0.1 at a free port,
//! collecting what they receive. Other crates enable the feature in their `[dev-dependencies]`:
//!
//! ```toml
//! cityos_notify = { workspace = true, features = ["testing"] }
//! ```
//!
//! They stop when dropped.
#![expect(clippy::expect_used, reason = "a test fixture that cannot be set up should fail the test loudly")]

use base64::Engine as _;
use cityos_core::config::{MessengerConfig, Secret, SmsConfig, SmtpConfig, ZaloConfig};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Largest message the test SMTP server accepts.
const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// Waits until `find` returns something or `timeout` passes.
async fn poll_until<T>(timeout: Duration, mut find: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(found) = find() {
            return Some(found);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------- SMTP

/// One message as the test SMTP server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The `MAIL FROM` address (without angle brackets).
    pub from: String,
    /// The `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message as sent after `DATA` (headers and body), dot-unstuffed,
    /// lines ending in CRLF.
    pub data: String,
    /// The user that authenticated with `AUTH PLAIN`, if any.
    pub authenticated_as: Option<String>,
}

impl ReceivedMail {
    /// The value of the first header called `name` (any case), unfolded and
    /// with MIME encoded-words (RFC 2047) decoded.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = split_message(&self.data);
        let mut unfolded: Vec<String> = Vec::new();
        for line in head.split("\r\n") {
            match unfolded.last_mut() {
                Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
                _ => unfolded.push(line.to_string()),
            }
        }
        unfolded.iter().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| decode_encoded_words(v.trim()))
        })
    }

    /// The decoded `Subject`.
    #[must_use]
    pub fn subject(&self) -> Option<String> {
        self.header("Subject")
    }

    /// The body, decoded from its `Content-Transfer-Encoding` (base64,
    /// quoted-printable, or none) as UTF-8.
    #[must_use]
    pub fn text(&self) -> String {
        let (_, body) = split_message(&self.data);
        match self.header("Content-Transfer-Encoding").map(|e| e.to_ascii_lowercase()).as_deref() {
            Some("base64") => {
                let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD.decode(compact).unwrap_or_default();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Some("quoted-printable") => String::from_utf8_lossy(&decode_quoted_printable(body, false)).into_owned(),
            _ => body.to_string(),
        }
    }
}

fn split_message(data: &str) -> (&str, &str) {
    data.split_once("\r\n\r\n").unwrap_or((data, ""))
}

/// Decodes `=?charset?B|Q?text?=` words (UTF-8 and ASCII charsets); the
/// whitespace between two adjacent encoded words is dropped, as RFC 2047 says.
fn decode_encoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut pending_space = String::new();
    let mut after_word = false;
    while !rest.is_empty() {
        if let Some((decoded, tail)) = rest.strip_prefix("=?").and_then(decode_one_word) {
            if !after_word {
                out.push_str(&pending_space);
            }
            pending_space.clear();
            out.push_str(&decoded);
            rest = tail;
            after_word = true;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        rest = &rest[c.len_utf8()..];
        if c == ' ' || c == '\t' {
            pending_space.push(c);
        } else {
            out.push_str(&pending_space);
            pending_space.clear();
            out.push(c);
            after_word = false;
        }
    }
    out.push_str(&pending_space);
    out
}

/// Decodes one encoded word after its `=?`; returns the text and what follows `?=`.
fn decode_one_word(s: &str) -> Option<(String, &str)> {
    let (_charset, rest) = s.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let (text, tail) = rest.split_once("?=")?;
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD.decode(text).ok()?,
        "Q" | "q" => decode_quoted_printable(text, true),
        _ => return None,
    };
    Some((String::from_utf8_lossy(&bytes).into_owned(), tail))
}

/// Quoted-printable (RFC 2045), or the `Q` encoding of RFC 2047 when
/// `underscore_is_space`.
fn decode_quoted_printable(s: &str, underscore_is_space: bool) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' if bytes[i + 1..].starts_with(b"\n") => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b'_' if underscore_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[derive(Debug, Default)]
struct SmtpState {
    mails: Mutex<Vec<ReceivedMail>>,
    /// `(user, password)` the server demands with `AUTH PLAIN`, if any.
    auth: Option<(String, String)>,
    reject_remaining: AtomicUsize,
    reject_code: AtomicU16,
}

/// A real SMTP server on 127.0.0.1 that keeps every message it receives.
///
/// Speaks EHLO/HELO, MAIL FROM, RCPT TO, DATA (with dot-unstuffing), RSET,
/// NOOP, QUIT and, when started with [`TestSmtpServer::start_with_auth`],
/// `AUTH PLAIN`. No TLS: point clients at it with `security = "none"`.
#[derive(Debug)]
pub struct TestSmtpServer {
    addr: SocketAddr,
    state: Arc<SmtpState>,
    task: JoinHandle<()>,
}

impl Drop for TestSmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestSmtpServer {
    /// Starts a server that accepts mail without authentication.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> Self {
        Self::spawn(SmtpState::default()).await
    }

    /// Starts a server that advertises `AUTH PLAIN` and refuses mail until a
    /// client logs in as `user` with `password`.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start_with_auth(user: &str, password: &str) -> Self {
        Self::spawn(SmtpState { auth: Some((user.to_string(), password.to_string())), ..SmtpState::default() }).await
    }

    async fn spawn(state: SmtpState) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind test SMTP server");
        let addr = listener.local_addr().expect("test SMTP server address");
        let state = Arc::new(state);
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let _ = serve_smtp(stream, &state).await;
                });
            }
        });
        Self { addr, state, task }
    }

    /// Where it listens.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Settings that send to this server (no TLS; credentials when it was
    /// started with them).
    #[must_use]
    pub fn config(&self) -> SmtpConfig {
        let (username, password) = self.state.auth.clone().unwrap_or_default();
        SmtpConfig {
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
            security: "none".into(),
            username,
            password: Secret::new(password),
            from: "CityOS <no-reply@cityos.test>".into(),
        }
    }

    /// Answers the next `n` `MAIL FROM` commands with `code` (e.g. 451 for a
    /// temporary, 550 for a permanent refusal) instead of accepting them.
    pub fn reject_next(&self, n: usize, code: u16) {
        self.state.reject_code.store(code, Ordering::SeqCst);
        self.state.reject_remaining.store(n, Ordering::SeqCst);
    }

    /// Every message received so far, oldest first.
    #[must_use]
    pub fn messages(&self) -> Vec<ReceivedMail> {
        locked(&self.state.mails).clone()
    }

    /// The first received message matching `predicate`, waiting up to `timeout` for it.
    pub async fn wait_for(&self, predicate: impl Fn(&ReceivedMail) -> bool, timeout: Duration) -> Option<ReceivedMail> {
        poll_until(timeout, || locked(&self.state.mails).iter().find(|m| predicate(m)).cloned()).await
    }
}

/// Address inside `MAIL FROM:<a> SIZE=…` / `RCPT TO:<a>`.
fn path_argument(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(open), Some(close)) if open < close => arg[open + 1..close].to_string(),
        _ => arg.split_whitespace().next().unwrap_or("").to_string(),
    }
}

async fn serve_smtp(stream: TcpStream, state: &SmtpState) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 cityos-test ESMTP ready\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut user: Option<String> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end_matches(['\r', '\n']);
        let upper = command.to_ascii_uppercase();
        let verb = upper.split([' ', ':']).next().unwrap_or("");
        let reply: String = match verb {
            "EHLO" => {
                let auth = if state.auth.is_some() { "250-AUTH PLAIN\r\n" } else { "" };
                format!("250-cityos-test greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n{auth}250 SIZE {MAX_MESSAGE_BYTES}\r\n")
            }
            "HELO" => "250 cityos-test\r\n".into(),
            "AUTH" => {
                let mut parts = command.split_whitespace().skip(1);
                let mechanism = parts.next().unwrap_or("").to_ascii_uppercase();
                let mut response = parts.next().map(str::to_string);
                if mechanism != "PLAIN" {
                    "504 5.5.4 only AUTH PLAIN is supported\r\n".into()
                } else {
                    if response.is_none() {
                        write.write_all(b"334 \r\n").await?;
                        let mut answer = Vec::new();
                        read.read_until(b'\n', &mut answer).await?;
                        response = Some(String::from_utf8_lossy(&answer).trim().to_string());
                    }
                    let decoded = response
                        .and_then(|r| base64::engine::general_purpose::STANDARD.decode(r).ok())
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    let mut fields = decoded.split('\0').skip(1);
                    let (u, p) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
                    match &state.auth {
                        Some((eu, ep)) if eu == u && ep == p => {
                            user = Some(u.to_string());
                            "235 2.7.0 authentication succeeded\r\n".into()
                        }
                        _ => "535 5.7.8 authentication credentials invalid\r\n".into(),
                    }
                }
            }
            "MAIL" => {
                if state.auth.is_some() && user.is_none() {
                    "530 5.7.0 authentication required\r\n".into()
                } else if state.reject_remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                    format!("{} rejected by the test server\r\n", state.reject_code.load(Ordering::SeqCst))
                } else {
                    from = Some(path_argument(command.split_once(':').map_or("", |(_, a)| a)));
                    to.clear();
                    "250 2.1.0 OK\r\n".into()
                }
            }
            "RCPT" => {
                if from.is_none() {
                    "503 5.5.1 MAIL first\r\n".into()
                } else {
                    to.push(path_argument(command.split_once(':').map_or("", |(_, a)| a)));
                    "250 2.1.5 OK\r\n".into()
                }
            }
            "DATA" => {
                if from.is_none() || to.is_empty() {
                    "503 5.5.1 MAIL and RCPT first\r\n".into()
                } else {
                    write.write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n").await?;
                    let mut data = Vec::new();
                    loop {
                        let mut l = Vec::new();
                        if read.read_until(b'\n', &mut l).await? == 0 {
                            return Ok(());
                        }
                        if l == b".\r\n" || l == b".\n" {
                            break;
                        }
                        // Dot-unstuffing (RFC 5321 §4.5.2).
                        let l = if l.starts_with(b"..") { &l[1..] } else { &l[..] };
                        if data.len() + l.len() <= MAX_MESSAGE_BYTES {
                            data.extend_from_slice(l);
                        }
                    }
                    let mail = ReceivedMail {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data: String::from_utf8_lossy(&data).into_owned(),
                        authenticated_as: user.clone(),
                    };
                    let mut mails = locked(&state.mails);
                    mails.push(mail);
                    format!("250 2.0.0 OK queued as {}\r\n", mails.len())
                }
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 command not implemented\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

// ---------------------------------------------------------------- SMS

/// One SMS as the test gateway received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSms {
    /// Phone number.
    pub to: String,
    /// Message text.
    pub text: String,
    /// Sender name.
    pub sender: String,
    /// The `Authorization` header as sent.
    pub authorization: Option<String>,
    /// The id the gateway answered with.
    pub id: String,
}

#[derive(Debug)]
struct GatewayState {
    token: String,
    received: Mutex<Vec<ReceivedSms>>,
    requests: AtomicUsize,
    fail_remaining: AtomicUsize,
    fail_status: AtomicU16,
}

/// A local HTTP SMS gateway: accepts `POST /sms` with JSON
/// `{"to","text","sender"}` and `Authorization: Bearer <token>`, answers
/// `{"id": "sms-N", "status": "accepted"}`, and keeps what it accepted.
/// A wrong or missing token gets 401, malformed JSON 400.
#[derive(Debug)]
pub struct TestSmsGateway {
    addr: SocketAddr,
    state: Arc<GatewayState>,
    task: JoinHandle<()>,
}

impl Drop for TestSmsGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The bearer token [`TestSmsGateway::config`] carries.
pub const TEST_SMS_TOKEN: &str = "test-sms-token";

impl TestSmsGateway {
    /// Starts a gateway that expects [`TEST_SMS_TOKEN`].
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> Self {
        use axum::routing::post;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind test SMS gateway");
        let addr = listener.local_addr().expect("test SMS gateway address");
        let state = Arc::new(GatewayState {
            token: TEST_SMS_TOKEN.into(),
            received: Mutex::new(Vec::new()),
            requests: AtomicUsize::new(0),
            fail_remaining: AtomicUsize::new(0),
            fail_status: AtomicU16::new(500),
        });
        let app = axum::Router::new().route("/sms", post(receive_sms)).with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    /// The gateway's URL (`http://127.0.0.1:PORT/sms`).
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}/sms", self.addr)
    }

    /// Settings that send to this gateway with the right token.
    #[must_use]
    pub fn config(&self) -> SmsConfig {
        SmsConfig { url: self.url(), token: Secret::new(TEST_SMS_TOKEN), sender: "CityOS".into() }
    }

    /// Answers the next `n` requests with HTTP `status` (e.g. 500, or 400 for
    /// a permanent refusal) without accepting them.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.state.fail_status.store(status, Ordering::SeqCst);
        self.state.fail_remaining.store(n, Ordering::SeqCst);
    }

    /// Every SMS accepted so far, oldest first.
    #[must_use]
    pub fn messages(&self) -> Vec<ReceivedSms> {
        locked(&self.state.received).clone()
    }

    /// How many requests arrived, accepted or not.
    #[must_use]
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The first accepted SMS matching `predicate`, waiting up to `timeout` for it.
    pub async fn wait_for(&self, predicate: impl Fn(&ReceivedSms) -> bool, timeout: Duration) -> Option<ReceivedSms> {
        poll_until(timeout, || locked(&self.state.received).iter().find(|m| predicate(m)).cloned()).await
    }
}

#[derive(serde::Deserialize)]
struct SmsRequest {
    to: String,
    text: String,
    #[serde(default)]
    sender: String,
}

async fn receive_sms(
    axum::extract::State(state): axum::extract::State<Arc<GatewayState>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    use axum::http::StatusCode;
    use serde_json::json;
    state.requests.fetch_add(1, Ordering::SeqCst);
    if state.fail_remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        let status = StatusCode::from_u16(state.fail_status.load(Ordering::SeqCst)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, axum::Json(json!({"error": "failure injected by the test gateway"})));
    }
    let authorization = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    if authorization.as_deref() != Some(format!("Bearer {}", state.token).as_str()) {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid token"})));
    }
    let Ok(req) = serde_json::from_slice::<SmsRequest>(&body) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "expected JSON {to, text, sender}"})));
    };
    let mut received = locked(&state.received);
    let id = format!("sms-{}", received.len() + 1);
    received.push(ReceivedSms { to: req.to, text: req.text, sender: req.sender, authorization, id: id.clone() });
    (StatusCode::OK, axum::Json(json!({"id": id, "status": "accepted"})))
}

// ---------------------------------------------------------------- HTTP

/// One request as the [`TestHttpReceiver`] got it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedRequest {
    /// `POST`, `GET`, …
    pub method: String,
    /// The path, e.g. `/v3.0/oa/message/cs`.
    pub path: String,
    /// Query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Headers with lower-case names, in order.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (`Null` when it is not JSON).
    pub json: serde_json::Value,
    /// The body as text.
    pub body: String,
}

impl ReceivedRequest {
    /// The first header called `name` (any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first query parameter called `name`.
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What the receiver answers to its `n`-th accepted request (1-based).
type Reply = dyn Fn(usize) -> serde_json::Value + Send + Sync;

struct ReceiverState {
    reply: Box<Reply>,
    received: Mutex<Vec<ReceivedRequest>>,
    fail_remaining: AtomicUsize,
    fail_status: AtomicU16,
    fail_body: Mutex<serde_json::Value>,
}

impl std::fmt::Debug for ReceiverState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiverState").field("received", &self.received).finish_non_exhaustive()
    }
}

/// A local HTTP server that accepts any request on any path, keeps it, and
/// answers 200 with a JSON body of the test's choosing. It stands in for
/// providers such as the Zalo OA API ([`TestHttpReceiver::zalo`]) and the
/// Messenger Send API ([`TestHttpReceiver::messenger`]).
#[derive(Debug)]
pub struct TestHttpReceiver {
    addr: SocketAddr,
    state: Arc<ReceiverState>,
    task: JoinHandle<()>,
}

impl Drop for TestHttpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The access token [`TestHttpReceiver::zalo_config`] carries.
pub const TEST_ZALO_TOKEN: &str = "test-zalo-oa-token";
/// The page access token [`TestHttpReceiver::messenger_config`] carries.
pub const TEST_MESSENGER_TOKEN: &str = "test-page-token";

impl TestHttpReceiver {
    /// Starts a receiver answering its `n`-th accepted request (1-based) with
    /// `200` and `reply(n)`.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start(reply: impl Fn(usize) -> serde_json::Value + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind test HTTP receiver");
        let addr = listener.local_addr().expect("test HTTP receiver address");
        let state = Arc::new(ReceiverState {
            reply: Box::new(reply),
            received: Mutex::new(Vec::new()),
            fail_remaining: AtomicUsize::new(0),
            fail_status: AtomicU16::new(500),
            fail_body: Mutex::new(serde_json::Value::Null),
        });
        let app = axum::Router::new().fallback(receive_request).with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    /// A receiver that answers as the Zalo OA API does on success:
    /// `{"error": 0, "message": "Success", "data": {"message_id": "zalo-N", …}}`.
    pub async fn zalo() -> Self {
        Self::start(|n| serde_json::json!({"error": 0, "message": "Success", "data": {"message_id": format!("zalo-{n}")}})).await
    }

    /// A receiver that answers as the Messenger Send API does on success:
    /// `{"recipient_id": …, "message_id": "m_N"}`.
    pub async fn messenger() -> Self {
        Self::start(|n| serde_json::json!({"recipient_id": "psid", "message_id": format!("m_{n}")})).await
    }

    /// Where it listens, with a path: `http://127.0.0.1:PORT/<path>`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// `[notify.zalo]` settings that send here (path `/v3.0/oa/message/cs`) with [`TEST_ZALO_TOKEN`].
    #[must_use]
    pub fn zalo_config(&self) -> ZaloConfig {
        ZaloConfig { api_url: self.url("/v3.0/oa/message/cs"), access_token: Secret::new(TEST_ZALO_TOKEN), ..ZaloConfig::default() }
    }

    /// `[notify.messenger]` settings that send here (path `/me/messages`) with [`TEST_MESSENGER_TOKEN`].
    #[must_use]
    pub fn messenger_config(&self) -> MessengerConfig {
        MessengerConfig { api_url: self.url("/me/messages"), page_access_token: Secret::new(TEST_MESSENGER_TOKEN) }
    }

    /// Answers the next `n` requests with HTTP `status` and `body` instead of
    /// accepting them (Zalo reports failures as `200` with a non-zero `error`).
    pub fn fail_next(&self, n: usize, status: u16, body: serde_json::Value) {
        *locked(&self.state.fail_body) = body;
        self.state.fail_status.store(status, Ordering::SeqCst);
        self.state.fail_remaining.store(n, Ordering::SeqCst);
    }

    /// Every accepted request so far, oldest first.
    #[must_use]
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        locked(&self.state.received).clone()
    }

    /// The first accepted request matching `predicate`, waiting up to `timeout` for it.
    pub async fn wait_for(&self, predicate: impl Fn(&ReceivedRequest) -> bool, timeout: Duration) -> Option<ReceivedRequest> {
        poll_until(timeout, || locked(&self.state.received).iter().find(|m| predicate(m)).cloned()).await
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn receive_request(
    axum::extract::State(state): axum::extract::State<Arc<ReceiverState>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    use axum::http::StatusCode;
    if state.fail_remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        let status = StatusCode::from_u16(state.fail_status.load(Ordering::SeqCst)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, axum::Json(locked(&state.fail_body).clone()));
    }
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    let request = ReceivedRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        query,
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        json: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = {
        let mut received = locked(&state.received);
        received.push(request);
        received.len()
    };
    (StatusCode::OK, axum::Json((state.reply)(n)))
}

// ---------------------------------------------------------------- web push

/// One message as the [`TestPushService`] got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPush {
    /// The path it was posted to (the endpoint's path).
    pub path: String,
    /// Headers with lower-case names, in order.
    pub headers: Vec<(String, String)>,
    /// The body as sent (encrypted).
    pub body: Vec<u8>,
    /// The status the service answered.
    pub status: u16,
}

impl ReceivedPush {
    /// The first header called `name` (any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Checks the VAPID authorisation as a push service does (RFC 8292):
    /// `Authorization: vapid t=<JWT>, k=<key>` where `k` is `public_key` and
    /// the JWT is ES256-signed by it. Returns the JWT's claims.
    ///
    /// # Errors
    /// What is wrong with the header.
    pub fn vapid_claims(&self, public_key: &str) -> Result<serde_json::Value, String> {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use p256::ecdsa::signature::Verifier as _;
        let header = self.header("authorization").ok_or("no Authorization header")?;
        let rest = header.strip_prefix("vapid ").ok_or("Authorization is not the vapid scheme")?;
        let mut token = None;
        let mut key = None;
        for part in rest.split(',').map(str::trim) {
            match part.split_once('=') {
                Some(("t", v)) => token = Some(v),
                Some(("k", v)) => key = Some(v),
                _ => return Err(format!("unexpected vapid parameter `{part}`")),
            }
        }
        let (token, key) = (token.ok_or("no t=")?, key.ok_or("no k=")?);
        if key != public_key {
            return Err("k= is not the server's public key".into());
        }
        let verifying = URL_SAFE_NO_PAD
            .decode(key)
            .ok()
            .and_then(|k| p256::ecdsa::VerifyingKey::from_sec1_bytes(&k).ok())
            .ok_or("k= is not a P-256 key")?;
        let (signed, signature) = token.rsplit_once('.').ok_or("the JWT has no signature")?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .and_then(|s| p256::ecdsa::Signature::from_slice(&s).ok())
            .ok_or("the JWT signature is not an ES256 signature")?;
        verifying.verify(signed.as_bytes(), &signature).map_err(|_| "the JWT signature does not verify")?;
        let (head, claims) = signed.split_once('.').ok_or("the JWT has no claims")?;
        let decode = |part: &str| -> Result<serde_json::Value, String> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string())?;
            serde_json::from_slice(&bytes).map_err(|e| e.to_string())
        };
        if decode(head)?["alg"] != "ES256" {
            return Err("the JWT is not ES256".into());
        }
        decode(claims)
    }
}

#[derive(Debug, Default)]
struct PushState {
    received: Mutex<Vec<ReceivedPush>>,
    fail_remaining: AtomicUsize,
    fail_status: AtomicU16,
}

/// A local push service (RFC 8030) on 127.0.0.1: keeps every message posted
/// to any path and answers `201 Created` with a `Location`, or the failure
/// [`TestPushService::fail_next`] asked for. Pair it with [`TestSubscriber`]
/// and `[push] allow_insecure_endpoints = true`.
#[derive(Debug)]
pub struct TestPushService {
    addr: SocketAddr,
    state: Arc<PushState>,
    task: JoinHandle<()>,
}

impl Drop for TestPushService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestPushService {
    /// Starts the service.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind test push service");
        let addr = listener.local_addr().expect("test push service address");
        let state = Arc::new(PushState::default());
        let app = axum::Router::new().fallback(receive_push).with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    /// An endpoint URL on this service: `http://127.0.0.1:PORT/push/<name>`.
    #[must_use]
    pub fn endpoint(&self, name: &str) -> String {
        format!("http://{}/push/{name}", self.addr)
    }

    /// Answers the next `n` messages with HTTP `status` (410 Gone: the
    /// subscription expired; 429 or 5xx: try later).
    pub fn fail_next(&self, n: usize, status: u16) {
        self.state.fail_status.store(status, Ordering::SeqCst);
        self.state.fail_remaining.store(n, Ordering::SeqCst);
    }

    /// Every message so far, answered or refused, oldest first.
    #[must_use]
    pub fn pushes(&self) -> Vec<ReceivedPush> {
        locked(&self.state.received).clone()
    }

    /// The first message matching `predicate`, waiting up to `timeout` for it.
    pub async fn wait_for(&self, predicate: impl Fn(&ReceivedPush) -> bool, timeout: Duration) -> Option<ReceivedPush> {
        poll_until(timeout, || locked(&self.state.received).iter().find(|m| predicate(m)).cloned()).await
    }
}

async fn receive_push(
    axum::extract::State(state): axum::extract::State<Arc<PushState>>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse as _;
    let failing = state.fail_remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    let status = if failing {
        StatusCode::from_u16(state.fail_status.load(Ordering::SeqCst)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    } else {
        StatusCode::CREATED
    };
    let n = {
        let mut received = locked(&state.received);
        received.push(ReceivedPush {
            path: uri.path().to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect(),
            body: body.to_vec(),
            status: status.as_u16(),
        });
        received.len()
    };
    if failing {
        return status.into_response();
    }
    (status, [(axum::http::header::LOCATION, format!("/message/{n}"))]).into_response()
}

/// A browser's side of a push subscription, for tests that play the
/// browser: a P-256 key pair and an authentication secret, as
/// `PushManager.subscribe()` makes them, and decryption of what arrives.
#[derive(Debug)]
pub struct TestSubscriber {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Default for TestSubscriber {
    fn default() -> Self {
        Self::new()
    }
}

impl TestSubscriber {
    /// Fresh keys.
    #[must_use]
    pub fn new() -> Self {
        Self { secret: p256::SecretKey::random(&mut rand::rngs::OsRng), auth: rand::random() }
    }

    /// The public key, base64url (`keys.p256dh`).
    #[must_use]
    pub fn p256dh(&self) -> String {
        use p256::elliptic_curve::sec1::ToEncodedPoint as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    /// The authentication secret, base64url (`keys.auth`).
    #[must_use]
    pub fn auth(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.auth)
    }

    /// `PushSubscription.toJSON()` for `endpoint`.
    #[must_use]
    pub fn subscription_json(&self, endpoint: &str) -> serde_json::Value {
        serde_json::json!({ "endpoint": endpoint, "expirationTime": null, "keys": { "p256dh": self.p256dh(), "auth": self.auth() } })
    }

    /// Decrypts a message's body (RFC 8291).
    ///
    /// # Errors
    /// What is wrong with the message.
    pub fn decrypt(&self, body: &[u8]) -> Result<Vec<u8>, String> {
        crate::webpush::decrypt(body, &self.secret, &self.auth).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c%2"), "a b c%2");
        assert_eq!(percent_decode("t%C3%A0i"), "tài");
    }

    #[test]
    fn decodes_encoded_words_and_quoted_printable() {
        assert_eq!(decode_encoded_words("=?utf-8?b?TcOj?= =?utf-8?q?_x=C3=A1c?= plain"), "Mã xác plain");
        assert_eq!(decode_encoded_words("a  b"), "a  b");
        assert_eq!(decode_quoted_printable("M=C3=A3 x=\r\ny =ZZ", false), "Mã xy =ZZ".as_bytes());
    }
}
