//! Web push to the 1022 app: the Web Push protocol (RFC 8030) with VAPID
//! (RFC 8292) and message encryption (RFC 8291, `aes128gcm` of RFC 8188).
//!
//! - [`VapidKey`]: the server's P-256 key. Browsers subscribe with its public
//!   half (`applicationServerKey`); every request to a push service carries
//!   `Authorization: vapid t=<ES256 JWT>, k=<public key>` with the JWT's `aud`
//!   set to the endpoint's origin, `exp` 12 hours ahead and `sub` the
//!   configured contact.
//! - [`Subscription`]: what the browser's `PushManager.subscribe()` gave:
//!   the endpoint URL, its P-256 key (`p256dh`) and 16-byte `auth` secret,
//!   checked on the way in ([`check_endpoint`] refuses plain `http` and
//!   internal addresses unless `[push] allow_insecure_endpoints` is set).
//! - [`subscribe`], [`unsubscribe`], [`subscribers`]: subscriptions are stored
//!   in `push_subscriptions`, each following any number of *topics* (strings
//!   chosen by the module, e.g. `report:<tracking code>`); a notification on
//!   the `webpush` channel is addressed to one subscription id.
//! - [`WebPush`]: the [`Transport`] that encrypts the rendered JSON payload to
//!   the subscription's keys and `POST`s it to the endpoint with `TTL`,
//!   `Urgency` and `Content-Encoding: aes128gcm`. 404 and 410 mean the
//!   subscription has expired: it is deleted and the notification fails
//!   permanently. 408, 429 and 5xx are retried through the outbox's backoff.
//!
//! Endpoints are capability URLs: they are stored for delivery but never
//! logged or written to audit records (the subscription id is).

use crate::transport::{DeliveryError, Outgoing, Receipt, Transport};
use crate::NotifyError;
use aes_gcm::aead::{Aead as _, KeyInit as _};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use cityos_core::config::PushConfig;
use cityos_core::{new_id, to_millis, Clock, SharedClock};
use cityos_store::{Db, Tx};
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;
use sqlx::Row as _;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// The record size announced in the `aes128gcm` header (RFC 8188 §2.1).
pub const RECORD_SIZE: u32 = 4096;
/// Salt (16) ‖ record size (4) ‖ key id length (1) ‖ the server's ephemeral key (65).
const HEADER_LEN: usize = 86;
/// AES-GCM authentication tag.
const TAG_LEN: usize = 16;
/// Push services accept 4096 bytes of body (RFC 8291 §4): the header, the tag
/// and the padding delimiter leave this much for the message.
pub const MAX_PLAINTEXT: usize = 4096 - HEADER_LEN - TAG_LEN - 1;
/// Longest accepted endpoint URL.
const MAX_ENDPOINT_CHARS: usize = 2048;
/// How long a push service keeps an undelivered message (the `TTL` header): a
/// status change is still worth seeing when the phone comes back within a week.
const TTL_SECONDS: u32 = 7 * 24 * 3600;
/// How long one request to a push service may take.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);
/// How far ahead the VAPID JWT expires (RFC 8292 §2: at most 24 hours).
const JWT_LIFETIME: Duration = Duration::hours(12);
/// How much of an error reply is kept in `last_error`.
const ERROR_BODY_CHARS: usize = 200;
/// Most topics one subscription may follow.
pub const MAX_TOPICS: i64 = 200;

// ---------------------------------------------------------------- keys

/// The server's VAPID key pair (P-256). `Debug` never shows the private half.
#[derive(Clone)]
pub struct VapidKey {
    secret: SecretKey,
}

impl fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VapidKey").field("public_key", &self.public_key()).finish_non_exhaustive()
    }
}

impl VapidKey {
    /// A fresh random key.
    #[must_use]
    pub fn generate() -> Self {
        Self { secret: SecretKey::random(&mut rand::rngs::OsRng) }
    }

    /// The key from its private scalar: 32 bytes, base64url (padding optional).
    ///
    /// # Errors
    /// [`NotifyError::Config`] when the text is not such a key.
    pub fn from_base64url(text: &str) -> Result<Self, NotifyError> {
        let bytes = decode_b64url(text.trim()).ok_or_else(|| NotifyError::Config("push.vapid_private_key is not base64url".into()))?;
        if bytes.len() != 32 {
            return Err(NotifyError::Config("push.vapid_private_key must be the 32-byte P-256 private key, base64url".into()));
        }
        let secret = SecretKey::from_slice(&bytes)
            .map_err(|_| NotifyError::Config("push.vapid_private_key is not a valid P-256 private key".into()))?;
        Ok(Self { secret })
    }

    /// The private scalar, base64url without padding (for the key file).
    #[must_use]
    pub fn private_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.to_bytes())
    }

    /// The public key as browsers take it for `applicationServerKey`: the
    /// uncompressed point (65 bytes), base64url without padding.
    #[must_use]
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    /// The `Authorization` header value for a request to `endpoint` at `now`
    /// (RFC 8292 §3): `vapid t=<JWT>, k=<public key>`, the JWT signed with
    /// ES256 and claiming `aud` = the endpoint's origin, `exp` = `now` + 12 h,
    /// `sub` = `subject`.
    #[must_use]
    pub fn authorization(&self, endpoint: &reqwest::Url, subject: &str, now: DateTime<Utc>) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": endpoint.origin().ascii_serialization(),
            "exp": (now + JWT_LIFETIME).timestamp(),
            "sub": subject,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signer = p256::ecdsa::SigningKey::from(&self.secret);
        let signature: p256::ecdsa::Signature = signer.sign(signing_input.as_bytes());
        format!("vapid t={signing_input}.{}, k={}", URL_SAFE_NO_PAD.encode(signature.to_bytes()), self.public_key())
    }
}

fn decode_b64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

// ---------------------------------------------------------------- subscriptions

/// A browser's push subscription, checked: an acceptable endpoint, a P-256
/// public key and a 16-byte authentication secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The push service URL messages are posted to.
    pub endpoint: String,
    /// The browser's P-256 public key, uncompressed (65 bytes).
    pub p256dh: Vec<u8>,
    /// The authentication secret (16 bytes).
    pub auth: [u8; 16],
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The endpoint is a capability: whoever has it (and the keys) can message the browser.
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

impl Subscription {
    /// Checks what `PushSubscription.toJSON()` gave: `endpoint`, and
    /// `keys.p256dh` and `keys.auth` in base64url.
    ///
    /// # Errors
    /// [`NotifyError::Invalid`] saying what is wrong.
    pub fn parse(endpoint: &str, p256dh: &str, auth: &str, allow_insecure: bool) -> Result<Self, NotifyError> {
        let url = check_endpoint(endpoint, allow_insecure)?;
        let key = decode_b64url(p256dh).ok_or_else(|| NotifyError::Invalid("keys.p256dh is not base64url".into()))?;
        if key.len() != 65 || key.first() != Some(&4) || PublicKey::from_sec1_bytes(&key).is_err() {
            return Err(NotifyError::Invalid("keys.p256dh must be an uncompressed P-256 public key (65 bytes)".into()));
        }
        let auth = decode_b64url(auth).ok_or_else(|| NotifyError::Invalid("keys.auth is not base64url".into()))?;
        let auth: [u8; 16] = auth.try_into().map_err(|_| NotifyError::Invalid("keys.auth must be 16 bytes".into()))?;
        Ok(Self { endpoint: url.to_string(), p256dh: key, auth })
    }
}

/// Checks a push endpoint: an absolute `https` URL without credentials, whose
/// host is a name or a public address. With `allow_insecure`, `http` and
/// loopback, private and link-local hosts are accepted too (tests, closed
/// networks). The address a name resolves to is checked again when sending.
///
/// # Errors
/// [`NotifyError::Invalid`] saying what is wrong.
pub fn check_endpoint(endpoint: &str, allow_insecure: bool) -> Result<reqwest::Url, NotifyError> {
    if endpoint.len() > MAX_ENDPOINT_CHARS {
        return Err(NotifyError::Invalid(format!("endpoint is longer than {MAX_ENDPOINT_CHARS} characters")));
    }
    let url = reqwest::Url::parse(endpoint).map_err(|e| NotifyError::Invalid(format!("endpoint is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure => {}
        _ => return Err(NotifyError::Invalid("endpoint must be an https URL".into())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(NotifyError::Invalid("endpoint must not carry credentials".into()));
    }
    if allow_insecure {
        return url.host().is_some().then_some(url.clone()).ok_or_else(|| NotifyError::Invalid("endpoint has no host".into()));
    }
    // The URL parser has normalised the host: IPv4 in dotted decimal, IPv6 in brackets.
    let host = url.host_str().ok_or_else(|| NotifyError::Invalid("endpoint has no host".into()))?;
    let internal = match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        Ok(ip) => !is_public(ip),
        Err(_) => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            !name.contains('.') || [".localhost", ".local", ".internal", ".lan", ".home.arpa"].iter().any(|s| name.ends_with(s))
        }
    };
    if internal {
        return Err(NotifyError::Invalid("endpoint must be a public push service, not an internal host".into()));
    }
    Ok(url)
}

/// Whether `ip` is an ordinary Internet address: not loopback, private,
/// link-local, shared (CGNAT), multicast, documentation or reserved.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b)) // NAT64 reaches IPv4 space, private included
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240)
}

/// Stores `sub` (or refreshes the keys of the stored subscription with the
/// same endpoint) and makes it follow `topic`, in the caller's transaction.
/// Returns the subscription id.
///
/// # Errors
/// [`NotifyError::Invalid`] when the subscription already follows
/// [`MAX_TOPICS`] topics; a database error.
pub async fn subscribe(tx: &mut Tx, clock: &dyn Clock, sub: &Subscription, topic: &str) -> Result<String, NotifyError> {
    let now = to_millis(clock.now());
    let row = sqlx::query(
        "INSERT INTO push_subscriptions (id, endpoint, p256dh, auth, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(new_id())
    .bind(&sub.endpoint)
    .bind(URL_SAFE_NO_PAD.encode(&sub.p256dh))
    .bind(URL_SAFE_NO_PAD.encode(sub.auth))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let id: String = row.try_get("id")?;
    let following: i64 = sqlx::query("SELECT COUNT(*) AS n FROM push_topics WHERE subscription_id = $1 AND topic <> $2")
        .bind(&id)
        .bind(topic)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
    if following >= MAX_TOPICS {
        return Err(NotifyError::Invalid(format!("a subscription follows at most {MAX_TOPICS} topics")));
    }
    sqlx::query("INSERT INTO push_topics (subscription_id, topic, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(&id)
        .bind(topic)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Deletes the subscription with this endpoint and what it follows, in the
/// caller's transaction; returns its id, or `None` when there was none.
///
/// # Errors
/// A database error.
pub async fn unsubscribe(tx: &mut Tx, endpoint: &str) -> Result<Option<String>, NotifyError> {
    let Some(row) = sqlx::query("SELECT id FROM push_subscriptions WHERE endpoint = $1").bind(endpoint).fetch_optional(&mut **tx).await?
    else {
        return Ok(None);
    };
    let id: String = row.try_get("id")?;
    delete_subscription(tx, &id).await?;
    Ok(Some(id))
}

/// Stops the subscription with this endpoint following `topic`, in the
/// caller's transaction, and deletes it when it then follows nothing. Returns
/// its id, or `None` when it did not follow `topic`.
///
/// # Errors
/// A database error.
pub async fn unfollow(tx: &mut Tx, endpoint: &str, topic: &str) -> Result<Option<String>, NotifyError> {
    let Some(row) = sqlx::query("SELECT id FROM push_subscriptions WHERE endpoint = $1").bind(endpoint).fetch_optional(&mut **tx).await?
    else {
        return Ok(None);
    };
    let id: String = row.try_get("id")?;
    let removed = sqlx::query("DELETE FROM push_topics WHERE subscription_id = $1 AND topic = $2")
        .bind(&id)
        .bind(topic)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if removed == 0 {
        return Ok(None);
    }
    let left: i64 = sqlx::query("SELECT COUNT(*) AS n FROM push_topics WHERE subscription_id = $1")
        .bind(&id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
    if left == 0 {
        delete_subscription(tx, &id).await?;
    }
    Ok(Some(id))
}

async fn delete_subscription(tx: &mut Tx, id: &str) -> Result<(), NotifyError> {
    sqlx::query("DELETE FROM push_topics WHERE subscription_id = $1").bind(id).execute(&mut **tx).await?;
    sqlx::query("DELETE FROM push_subscriptions WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// The ids of the subscriptions following any of `topics` (each once), in
/// the caller's transaction: the recipients of a `webpush` notification.
///
/// # Errors
/// A database error.
pub async fn subscribers(tx: &mut Tx, topics: &[String]) -> Result<Vec<String>, NotifyError> {
    let mut ids: Vec<String> = Vec::new();
    for topic in topics {
        let rows = sqlx::query("SELECT subscription_id FROM push_topics WHERE topic = $1 ORDER BY subscription_id")
            .bind(topic)
            .fetch_all(&mut **tx)
            .await?;
        for row in rows {
            let id: String = row.try_get("subscription_id")?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

// ---------------------------------------------------------------- encryption

/// Encrypts `plaintext` for a browser (RFC 8291 §3–4): a fresh ephemeral
/// key and salt, one `aes128gcm` record of size [`RECORD_SIZE`] with the
/// last-record delimiter 0x02 and no further padding.
///
/// # Errors
/// [`NotifyError::Invalid`] when the key is not a P-256 point or the
/// plaintext is longer than [`MAX_PLAINTEXT`].
pub fn encrypt(plaintext: &[u8], ua_public: &[u8], auth: &[u8; 16]) -> Result<Vec<u8>, NotifyError> {
    let ephemeral = SecretKey::random(&mut rand::rngs::OsRng);
    let salt: [u8; 16] = rand::random();
    encrypt_with(plaintext, ua_public, auth, &ephemeral, &salt)
}

/// The key schedule of RFC 8291 §3.3–3.4 and RFC 8188 §2.2–2.3. The
/// intermediate values are kept for the test against the RFC's example.
#[cfg_attr(not(test), expect(dead_code, reason = "intermediate values are read by the RFC 8291 test only"))]
struct Keys {
    ecdh_secret: [u8; 32],
    ikm: [u8; 32],
    cek: [u8; 16],
    nonce: [u8; 12],
}

fn derive(ecdh_secret: [u8; 32], auth: &[u8; 16], ua_public: &[u8], as_public: &[u8], salt: &[u8; 16]) -> Result<Keys, NotifyError> {
    let expand_failed = |_| NotifyError::Invalid("HKDF output length".into());
    // key_info = "WebPush: info" ‖ 0x00 ‖ ua_public ‖ as_public
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(as_public);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), &ecdh_secret).expand(&key_info, &mut ikm).map_err(expand_failed)?;
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).map_err(expand_failed)?;
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce).map_err(expand_failed)?;
    Ok(Keys { ecdh_secret, ikm, cek, nonce })
}

fn ecdh(secret: &SecretKey, public: &[u8]) -> Result<[u8; 32], NotifyError> {
    let public = PublicKey::from_sec1_bytes(public).map_err(|_| NotifyError::Invalid("not a P-256 public key".into()))?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
    let mut out = [0u8; 32];
    out.copy_from_slice(shared.raw_secret_bytes());
    Ok(out)
}

fn encrypt_with(
    plaintext: &[u8],
    ua_public: &[u8],
    auth: &[u8; 16],
    ephemeral: &SecretKey,
    salt: &[u8; 16],
) -> Result<Vec<u8>, NotifyError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(NotifyError::Invalid(format!("a push message holds at most {MAX_PLAINTEXT} bytes, this one {}", plaintext.len())));
    }
    let as_public = ephemeral.public_key().to_encoded_point(false);
    let as_public = as_public.as_bytes();
    let keys = derive(ecdh(ephemeral, ua_public)?, auth, ua_public, as_public, salt)?;
    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(2); // the last (and only) record's padding delimiter
    let cipher = Aes128Gcm::new_from_slice(&keys.cek).map_err(|_| NotifyError::Invalid("content encryption key length".into()))?;
    let sealed =
        cipher.encrypt(Nonce::from_slice(&keys.nonce), record.as_slice()).map_err(|_| NotifyError::Invalid("encryption failed".into()))?;
    let mut body = Vec::with_capacity(HEADER_LEN + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// Decrypts a push message as the browser does (the user agent's side of
/// RFC 8291), for tests that play the browser.
///
/// # Errors
/// [`NotifyError::Invalid`] saying what is wrong with the message.
#[cfg(any(test, feature = "testing"))]
pub fn decrypt(body: &[u8], ua_secret: &SecretKey, auth: &[u8; 16]) -> Result<Vec<u8>, NotifyError> {
    let bad = |what: &str| NotifyError::Invalid(format!("push message: {what}"));
    if body.len() < HEADER_LEN + TAG_LEN + 1 {
        return Err(bad("too short"));
    }
    let (header, sealed) = body.split_at(HEADER_LEN);
    let salt: [u8; 16] = header[..16].try_into().map_err(|_| bad("salt"))?;
    let rs = u32::from_be_bytes(header[16..20].try_into().map_err(|_| bad("record size"))?);
    if header[20] != 65 {
        return Err(bad("key id is not a 65-byte P-256 key"));
    }
    if sealed.len() > rs as usize {
        return Err(bad("more than one record"));
    }
    let as_public = &header[21..86];
    let ua_public = ua_secret.public_key().to_encoded_point(false);
    let keys = derive(ecdh(ua_secret, as_public)?, auth, ua_public.as_bytes(), as_public, &salt)?;
    let cipher = Aes128Gcm::new_from_slice(&keys.cek).map_err(|_| bad("key length"))?;
    let mut record = cipher.decrypt(Nonce::from_slice(&keys.nonce), sealed).map_err(|_| bad("authentication failed"))?;
    while record.last() == Some(&0) {
        record.pop();
    }
    if record.pop() != Some(2) {
        return Err(bad("last record lacks the 0x02 delimiter"));
    }
    Ok(record)
}

// ---------------------------------------------------------------- transport

/// Sends `webpush` notifications: the recipient is a subscription id, the
/// rendered body the JSON payload the app's service worker shows.
pub struct WebPush {
    client: reqwest::Client,
    db: Db,
    clock: SharedClock,
    key: VapidKey,
    subject: String,
    allow_insecure: bool,
}

impl fmt::Debug for WebPush {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebPush")
            .field("key", &self.key)
            .field("subject", &self.subject)
            .field("allow_insecure", &self.allow_insecure)
            .finish_non_exhaustive()
    }
}

impl WebPush {
    /// A sender for `[push]`, or `None` when no VAPID key is configured.
    ///
    /// # Errors
    /// [`NotifyError::Config`] naming the bad setting.
    pub fn from_config(db: Db, clock: SharedClock, config: &PushConfig) -> Result<Option<Self>, NotifyError> {
        if config.vapid_private_key.is_empty() {
            return Ok(None);
        }
        let key = VapidKey::from_base64url(config.vapid_private_key.expose())?;
        if !(config.subject.starts_with("mailto:") || config.subject.starts_with("https:")) {
            return Err(NotifyError::Config(format!("push.subject `{}` must be a mailto: or https: URI", config.subject)));
        }
        let mut builder = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(std::time::Duration::from_secs(5))
            // A push service answers, it does not redirect; following one would post the message elsewhere.
            .redirect(reqwest::redirect::Policy::none());
        if !config.allow_insecure_endpoints {
            builder = builder.dns_resolver(Arc::new(PublicAddressesOnly));
        }
        let client = builder.build().map_err(|e| NotifyError::Config(format!("cannot build the web push client: {e}")))?;
        Ok(Some(Self { client, db, clock, key, subject: config.subject.clone(), allow_insecure: config.allow_insecure_endpoints }))
    }

    async fn load(&self, id: &str) -> Result<Option<(String, Vec<u8>, [u8; 16])>, DeliveryError> {
        let row = sqlx::query("SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.reader())
            .await
            .map_err(|e| DeliveryError::Transient(format!("database: {e}")))?;
        let Some(row) = row else { return Ok(None) };
        let corrupt = |what: &str| DeliveryError::Permanent(format!("stored subscription has a bad {what}"));
        let endpoint: String = row.try_get("endpoint").map_err(|_| corrupt("endpoint"))?;
        let p256dh: String = row.try_get("p256dh").map_err(|_| corrupt("p256dh"))?;
        let auth: String = row.try_get("auth").map_err(|_| corrupt("auth"))?;
        let p256dh = decode_b64url(&p256dh).ok_or_else(|| corrupt("p256dh"))?;
        let auth: [u8; 16] = decode_b64url(&auth).and_then(|a| a.try_into().ok()).ok_or_else(|| corrupt("auth"))?;
        Ok(Some((endpoint, p256dh, auth)))
    }

    async fn expire(&self, id: &str) -> Result<(), DeliveryError> {
        let gone = async {
            let mut tx = self.db.begin().await?;
            delete_subscription(&mut tx, id).await?;
            tx.commit().await?;
            Ok::<_, NotifyError>(())
        };
        gone.await.map_err(|e| DeliveryError::Transient(format!("could not delete the expired subscription: {e}")))
    }
}

#[async_trait::async_trait]
impl Transport for WebPush {
    async fn send(&self, msg: &Outgoing) -> Result<Receipt, DeliveryError> {
        let Some((endpoint, p256dh, auth)) = self.load(&msg.to).await? else {
            return Err(DeliveryError::Permanent("the push subscription no longer exists".into()));
        };
        let url = check_endpoint(&endpoint, self.allow_insecure).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let body = encrypt(msg.body.as_bytes(), &p256dh, &auth).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let mut request = self
            .client
            .post(url.clone())
            .header("authorization", self.key.authorization(&url, &self.subject, self.clock.now()))
            .header("ttl", TTL_SECONDS.to_string())
            .header("urgency", "normal")
            .header("content-encoding", "aes128gcm")
            .header("content-type", "application/octet-stream")
            .body(body);
        // RFC 8030 §5.4: a newer message with the same topic replaces one still waiting for the device.
        if let Some(topic) = topic_of(&msg.body) {
            request = request.header("topic", topic);
        }
        let response = request
            .send()
            .await
            // `without_url`: the endpoint is a capability and is never logged.
            .map_err(|e| DeliveryError::Transient(format!("push service unreachable: {}", e.without_url())))?;
        let status = response.status();
        if status.is_success() {
            let provider_id = response.headers().get("location").and_then(|v| v.to_str().ok()).map(|l| l.chars().take(300).collect());
            return Ok(Receipt { provider_id });
        }
        let text: String = response.text().await.unwrap_or_default().chars().take(ERROR_BODY_CHARS).collect();
        let message = format!("push service answered {status}: {text}");
        match status.as_u16() {
            404 | 410 => {
                self.expire(&msg.to).await?;
                Err(DeliveryError::Permanent(format!("{message} (subscription expired and deleted)")))
            }
            408 | 429 | 500..=599 => Err(DeliveryError::Transient(message)),
            _ => Err(DeliveryError::Permanent(message)),
        }
    }
}

/// The payload's `tag` when it can be a `Topic` header (RFC 8030 §5.4: at
/// most 32 characters of the base64url alphabet).
fn topic_of(payload: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    let tag = value.get("tag")?.as_str()?;
    let ok = !tag.is_empty() && tag.len() <= 32 && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| tag.to_string())
}

/// Resolves names to public addresses only, so a subscription cannot make
/// CityOS post to a host inside the city's network through DNS.
struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|a| is_public(a.ip())).collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier as _;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    // RFC 8291 Appendix A: every input and intermediate value of the example.
    const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const AS_PUBLIC: &str = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    const UA_PUBLIC: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const ECDH_SECRET: &str = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
    const IKM: &str = "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg";
    const CEK: &str = "oIhVW04MRdy2XN9CiKLxTg";
    const NONCE: &str = "4h_95klXJ5E_qnoN";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    fn auth() -> [u8; 16] {
        b64(AUTH).try_into().unwrap()
    }

    #[test]
    fn encryption_matches_rfc_8291_appendix_a_byte_for_byte() {
        let as_secret = SecretKey::from_slice(&b64(AS_PRIVATE)).unwrap();
        assert_eq!(as_secret.public_key().to_encoded_point(false).as_bytes(), b64(AS_PUBLIC).as_slice());
        let salt: [u8; 16] = b64(SALT).try_into().unwrap();

        let keys = derive(ecdh(&as_secret, &b64(UA_PUBLIC)).unwrap(), &auth(), &b64(UA_PUBLIC), &b64(AS_PUBLIC), &salt).unwrap();
        assert_eq!(keys.ecdh_secret.as_slice(), b64(ECDH_SECRET).as_slice());
        assert_eq!(keys.ikm.as_slice(), b64(IKM).as_slice());
        assert_eq!(keys.cek.as_slice(), b64(CEK).as_slice());
        assert_eq!(keys.nonce.as_slice(), b64(NONCE).as_slice());

        let body = encrypt_with(PLAINTEXT.as_bytes(), &b64(UA_PUBLIC), &auth(), &as_secret, &salt).unwrap();
        assert_eq!(body, b64(BODY));
    }

    #[test]
    fn the_rfc_example_decrypts_with_the_user_agent_key() {
        let ua_secret = SecretKey::from_slice(&b64(UA_PRIVATE)).unwrap();
        assert_eq!(ua_secret.public_key().to_encoded_point(false).as_bytes(), b64(UA_PUBLIC).as_slice());
        assert_eq!(decrypt(&b64(BODY), &ua_secret, &auth()).unwrap(), PLAINTEXT.as_bytes());
        let mut tampered = b64(BODY);
        *tampered.last_mut().unwrap() ^= 1;
        assert!(decrypt(&tampered, &ua_secret, &auth()).is_err());
        assert!(decrypt(&b64(BODY), &ua_secret, &[0; 16]).is_err());
    }

    #[test]
    fn fresh_messages_round_trip_and_never_repeat() {
        let ua = SecretKey::random(&mut rand::rngs::OsRng);
        let ua_public = ua.public_key().to_encoded_point(false);
        let auth: [u8; 16] = rand::random();
        let text = r#"{"title":"Phản ánh 1022-ABC","body":"Đang xử lý"}"#;
        let a = encrypt(text.as_bytes(), ua_public.as_bytes(), &auth).unwrap();
        let b = encrypt(text.as_bytes(), ua_public.as_bytes(), &auth).unwrap();
        assert_ne!(a, b, "each message has its own salt and ephemeral key");
        assert_eq!(a.len(), HEADER_LEN + text.len() + 1 + TAG_LEN);
        assert_eq!(&a[16..21], &[0, 0, 16, 0, 65]);
        assert_eq!(decrypt(&a, &ua, &auth).unwrap(), text.as_bytes());
        assert!(encrypt(&vec![b'x'; MAX_PLAINTEXT], ua_public.as_bytes(), &auth).is_ok());
        assert!(encrypt(&vec![b'x'; MAX_PLAINTEXT + 1], ua_public.as_bytes(), &auth).is_err());
        assert_eq!(MAX_PLAINTEXT, 3993);
    }

    #[test]
    fn vapid_header_is_an_es256_jwt_for_the_endpoint_origin() {
        let key = VapidKey::generate();
        let again = VapidKey::from_base64url(&key.private_base64url()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert!(!format!("{key:?}").contains(&key.private_base64url()));

        let now = DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z").unwrap().with_timezone(&Utc);
        let endpoint = reqwest::Url::parse("https://fcm.googleapis.com:443/fcm/send/abc?x=1").unwrap();
        let header = key.authorization(&endpoint, "mailto:1022@example.vn", now);
        let (t, k) = header.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
        assert_eq!(k, key.public_key());
        let (signing_input, signature) = t.rsplit_once('.').unwrap();
        let (h, c) = signing_input.split_once('.').unwrap();
        let h: serde_json::Value = serde_json::from_slice(&b64(h)).unwrap();
        assert_eq!(h["alg"], "ES256");
        let claims: serde_json::Value = serde_json::from_slice(&b64(c)).unwrap();
        assert_eq!(claims["aud"], "https://fcm.googleapis.com");
        assert_eq!(claims["sub"], "mailto:1022@example.vn");
        assert_eq!(claims["exp"], (now + Duration::hours(12)).timestamp());
        let verifying = p256::ecdsa::VerifyingKey::from_sec1_bytes(&b64(k)).unwrap();
        let signature = p256::ecdsa::Signature::from_slice(&b64(signature)).unwrap();
        assert!(verifying.verify(signing_input.as_bytes(), &signature).is_ok());
        assert!(verifying.verify(b"something else", &signature).is_err());

        assert!(VapidKey::from_base64url("not a key!").is_err());
        assert!(VapidKey::from_base64url(&URL_SAFE_NO_PAD.encode([0u8; 32])).is_err(), "zero is no scalar");
    }

    #[test]
    fn endpoints_must_be_public_https_unless_allowed() {
        assert!(check_endpoint("https://fcm.googleapis.com/fcm/send/abc", false).is_ok());
        assert!(check_endpoint("https://updates.push.services.mozilla.com/wpush/v2/x", false).is_ok());
        for bad in [
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://127.0.0.1/x",
            "https://localhost/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:192.168.1.1]/x",
            "https://intranet/x",
            "https://printer.local/x",
            "https://user:pw@fcm.googleapis.com/x",
            "ftp://fcm.googleapis.com/x",
            "not a url",
        ] {
            assert!(check_endpoint(bad, false).is_err(), "{bad} accepted");
        }
        assert!(check_endpoint("http://127.0.0.1:9/push", true).is_ok());
        assert!(check_endpoint(&format!("https://a.vn/{}", "x".repeat(3000)), true).is_err());
        assert!(is_public("8.8.8.8".parse().unwrap()));
        assert!(!is_public("100.64.0.1".parse().unwrap()));
        assert!(is_public("2001:4860:4860::8888".parse().unwrap()));
    }

    #[test]
    fn subscriptions_are_checked() {
        let ua = SecretKey::random(&mut rand::rngs::OsRng);
        let p256dh = URL_SAFE_NO_PAD.encode(ua.public_key().to_encoded_point(false).as_bytes());
        let auth = URL_SAFE_NO_PAD.encode([7u8; 16]);
        let endpoint = "https://web.push.apple.com/QGx";
        let sub = Subscription::parse(endpoint, &p256dh, &auth, false).unwrap();
        assert_eq!(sub.auth, [7u8; 16]);
        assert!(!format!("{sub:?}").contains("apple"));
        assert!(Subscription::parse(endpoint, &format!("{p256dh}=="), &format!("{auth}=="), false).is_ok(), "padding is tolerated");
        assert!(Subscription::parse(endpoint, &p256dh[..40], &auth, false).is_err());
        assert!(Subscription::parse(endpoint, &URL_SAFE_NO_PAD.encode([4u8; 65]), &auth, false).is_err(), "not on the curve");
        assert!(Subscription::parse(endpoint, &p256dh, &URL_SAFE_NO_PAD.encode([7u8; 12]), false).is_err());
        assert!(Subscription::parse(endpoint, "!!", &auth, false).is_err());
    }

    #[test]
    fn topics_come_from_a_safe_tag() {
        assert_eq!(topic_of(r#"{"tag":"1022-AB12CD"}"#).as_deref(), Some("1022-AB12CD"));
        assert_eq!(topic_of(r#"{"tag":"a b"}"#), None);
        assert_eq!(topic_of(&format!(r#"{{"tag":"{}"}}"#, "x".repeat(33))), None);
        assert_eq!(topic_of("not json"), None);
    }
}
