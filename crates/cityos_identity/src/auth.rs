//! Authentication: argon2 passwords, TOTP second factor with replay
//! protection, lockout, expiring sessions and bearer tokens (stored as
//! SHA-256 hashes), API keys, and building the [`Caller`] for each request.

use crate::{record, Identity, IdentityError};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use cityos_api::{ApiError, Caller, Principal, ResolvedGrant, Role, Scope};
use cityos_audit::AuditRecord;
use cityos_core::{from_millis, new_id, to_millis};
use http::StatusCode;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::Row as _;
use totp_rs::{Algorithm, TOTP};

/// Name of the console's session cookie.
pub const SESSION_COOKIE: &str = "cityos_session";
const TOTP_STEP: u64 = 30;

/// Hashes a password with argon2id and a random salt.
///
/// # Errors
/// Only if the hasher rejects its parameters.
pub fn hash_password(password: &str) -> Result<String, IdentityError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| IdentityError::Data(format!("password hashing failed: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A random 256-bit token, URL-safe.
fn random_token(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// SHA-256 hex of a high-entropy secret (tokens, keys, codes with attempt limits).
pub(crate) fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A new base32 TOTP secret (160 bits).
pub(crate) fn new_totp_secret() -> String {
    let mut b = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut b);
    totp_rs::Secret::Raw(b.to_vec()).to_encoded().to_string()
}

fn totp_for(secret_b32: &str) -> Option<TOTP> {
    let raw = totp_rs::Secret::Encoded(secret_b32.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 1, TOTP_STEP, raw).ok()
}

/// The 6-digit code for `secret` at unix time `t` (for tests and enrolment checks).
#[must_use]
pub fn totp_code(secret_b32: &str, t: u64) -> Option<String> {
    totp_for(secret_b32).map(|t0| t0.generate(t))
}

/// `otpauth://` URL for authenticator apps.
#[must_use]
pub fn otpauth_url(secret_b32: &str, username: &str) -> String {
    let label: String = username.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).collect();
    format!("otpauth://totp/CityOS:{label}?secret={secret_b32}&issuer=CityOS&algorithm=SHA1&digits=6&period=30")
}

/// The time step a valid code belongs to (current ±1), if any.
fn totp_step(secret_b32: &str, code: &str, now_secs: u64) -> Option<i64> {
    let t = totp_for(secret_b32)?;
    let step = now_secs / TOTP_STEP;
    for s in [step, step.saturating_sub(1), step + 1] {
        if t.generate(s * TOTP_STEP) == code.trim() {
            return i64::try_from(s).ok();
        }
    }
    None
}

/// `POST /api/auth/login` body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// Six-digit TOTP code, when multi-factor login applies.
    pub totp: Option<String>,
}

/// A successful login: a console session and an API bearer token.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// Session cookie value.
    pub session: String,
    /// When the session ends.
    pub session_expires: chrono::DateTime<chrono::Utc>,
    /// Bearer token.
    pub token: String,
    /// When the token ends.
    pub token_expires: chrono::DateTime<chrono::Utc>,
    /// CSRF token bound to the session.
    pub csrf_token: String,
    /// The user id.
    pub user_id: String,
}

/// Credentials found on a request, in the places the standard APIs put them.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// `Authorization: Bearer …`.
    pub bearer: Option<String>,
    /// A raw API key (`Authorization: <key>`, `X-CKAN-API-Key`, or `api_key=`).
    pub api_key: Option<String>,
    /// The session cookie.
    pub session_cookie: Option<String>,
}

/// Who a request's credentials belong to.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The caller.
    pub caller: Caller,
    /// Set when authenticated by the session cookie: the CSRF token that
    /// state-changing requests must echo in `X-CSRF-Token`.
    pub cookie_csrf: Option<String>,
}

fn locked_error(until: i64) -> ApiError {
    ApiError::new(StatusCode::LOCKED, "locked", "Account locked")
        .detail(format!("Too many failed sign-ins; try again after {}", from_millis(until).to_rfc3339()))
        .with("locked_until", from_millis(until).to_rfc3339())
}

impl Identity {
    /// Signs a staff member in. Wrong passwords and codes count towards
    /// lockout; every attempt is audited under the user's id (or the
    /// username's hash when there is no such user).
    ///
    /// # Errors
    /// 401 `invalid_credentials`, `mfa_required`, `mfa_invalid`,
    /// `mfa_enrollment_required` (with the secret to enrol); 423 `locked`.
    pub async fn login(&self, req: &LoginRequest, request_id: Option<String>) -> Result<LoginOutcome, IdentityError> {
        let db = self.db();
        let now = self.clock().now();
        let row = sqlx::query(
            "SELECT id, password_hash, totp_secret, mfa_enabled, totp_last_step, failed_logins, locked_until, disabled
             FROM users WHERE username = $1",
        )
        .bind(req.username.trim())
        .fetch_optional(db.reader())
        .await?;
        let Some(row) = row else {
            // Same work as a real check, so timing does not reveal which usernames exist.
            let _ = verify_password(
                &req.password,
                "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3SgPqXDuCCGoCyAaTV1Mz0GHsVbzhkt3lKx5ZU2wXPI",
            );
            self.audit_login(&format!("unknown:{}", &sha256_hex(req.username.trim())[..16]), "denied", request_id).await?;
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "Wrong username or password").into());
        };
        let user_id: String = row.try_get("id")?;
        let actor = format!("user:{user_id}");
        if let Some(until) = row.try_get::<Option<i64>, _>("locked_until")? {
            if until > to_millis(now) {
                self.audit_login(&actor, "denied", request_id).await?;
                return Err(locked_error(until).into());
            }
        }
        if row.try_get::<i64, _>("disabled")? != 0 {
            self.audit_login(&actor, "denied", request_id).await?;
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "Wrong username or password").into());
        }
        let hash: String = row.try_get("password_hash")?;
        let password = req.password.clone();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
        if !ok {
            return Err(self.fail_login(&user_id, request_id, "invalid_credentials", "Wrong username or password").await);
        }

        let roles = self.roles_of(&user_id).await?;
        let mfa_enabled = row.try_get::<i64, _>("mfa_enabled")? != 0;
        let needs_mfa = mfa_enabled || self.config().mfa_required_for_all || roles.iter().any(|r| r.requires_mfa());
        if needs_mfa {
            let secret: Option<String> = row.try_get("totp_secret")?;
            let secret = match secret {
                Some(s) => s,
                None => {
                    let s = new_totp_secret();
                    sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2").bind(&s).bind(&user_id).execute(db.writer()).await?;
                    s
                }
            };
            let Some(code) = req.totp.as_deref().filter(|c| !c.trim().is_empty()) else {
                if mfa_enabled {
                    return Err(ApiError::new(StatusCode::UNAUTHORIZED, "mfa_required", "One-time code required")
                        .detail("Enter the six-digit code from your authenticator app.")
                        .into());
                }
                // Password verified but no second factor set up yet: hand out the
                // secret once, to be confirmed by the first valid code.
                return Err(ApiError::new(StatusCode::UNAUTHORIZED, "mfa_enrollment_required", "Set up your one-time codes")
                    .detail("Add this account to an authenticator app, then sign in again with its code.")
                    .with("totp_secret", secret.clone())
                    .with("otpauth_url", otpauth_url(&secret, req.username.trim()))
                    .into());
            };
            let now_secs = u64::try_from(now.timestamp()).unwrap_or(0);
            let last: Option<i64> = row.try_get("totp_last_step")?;
            match totp_step(&secret, code, now_secs) {
                Some(step) if last.is_none_or(|l| step > l) => {
                    sqlx::query("UPDATE users SET totp_last_step = $1, mfa_enabled = 1 WHERE id = $2")
                        .bind(step)
                        .bind(&user_id)
                        .execute(db.writer())
                        .await?;
                }
                _ => return Err(self.fail_login(&user_id, request_id, "mfa_invalid", "Wrong or reused one-time code").await),
            }
        }

        let session = random_token("cos_");
        let token = random_token("cot_");
        let csrf = random_token("");
        let session_expires = now + chrono::Duration::minutes(self.config().session_ttl_minutes);
        let token_expires = now + chrono::Duration::minutes(self.config().token_ttl_minutes);
        let mut tx = db.begin().await?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1").bind(&user_id).execute(&mut *tx).await?;
        for (secret, kind, expires) in [(&session, "session", session_expires), (&token, "token", token_expires)] {
            sqlx::query(
                "INSERT INTO sessions (token_hash, subject_kind, subject_id, kind, csrf_token, created_at, expires_at)
                 VALUES ($1, 'staff', $2, $3, $4, $5, $6)",
            )
            .bind(sha256_hex(secret))
            .bind(&user_id)
            .bind(kind)
            .bind(&csrf)
            .bind(to_millis(now))
            .bind(to_millis(expires))
            .execute(&mut *tx)
            .await?;
        }
        self.finish(tx, record(&actor, "auth.login", actor.clone(), request_id), None).await?;
        Ok(LoginOutcome { session, session_expires, token, token_expires, csrf_token: csrf, user_id })
    }

    async fn audit_login(&self, actor: &str, outcome: &str, request_id: Option<String>) -> Result<(), IdentityError> {
        let mut r = record(actor, "auth.login", actor.to_string(), request_id);
        r.outcome = outcome.into();
        r.row_count = None;
        cityos_audit::append_now(self.db(), self.clock(), &r).await?;
        Ok(())
    }

    /// Counts a failed attempt, locking the account at the threshold, and
    /// returns the error to answer.
    async fn fail_login(&self, user_id: &str, request_id: Option<String>, code: &'static str, title: &str) -> IdentityError {
        let now = to_millis(self.clock().now());
        let threshold = self.config().lockout_threshold.max(1);
        let lock_until = now + self.config().lockout_minutes.max(1) * 60_000;
        let result: Result<Option<i64>, IdentityError> = async {
            let mut tx = self.db().begin().await?;
            let failed: i64 = sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("failed_logins")?;
            let locked = if failed >= threshold {
                sqlx::query("UPDATE users SET locked_until = $1, failed_logins = 0 WHERE id = $2")
                    .bind(lock_until)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                Some(lock_until)
            } else {
                None
            };
            let actor = format!("user:{user_id}");
            let mut r = record(&actor, if locked.is_some() { "auth.lockout" } else { "auth.login" }, actor.clone(), request_id);
            r.outcome = "denied".into();
            r.row_count = None;
            self.finish(tx, r, None).await?;
            Ok(locked)
        }
        .await;
        match result {
            Ok(Some(until)) => locked_error(until).into(),
            Ok(None) => ApiError::new(StatusCode::UNAUTHORIZED, code, title.to_string()).into(),
            Err(e) => e,
        }
    }

    pub(crate) async fn roles_of(&self, user_id: &str) -> Result<Vec<Role>, IdentityError> {
        let rows = sqlx::query("SELECT role FROM grants WHERE user_id = $1").bind(user_id).fetch_all(self.db().reader()).await?;
        Ok(rows.iter().filter_map(|r| r.try_get::<String, _>("role").ok().and_then(|s| Role::parse(&s))).collect())
    }

    /// Ends the session or token (and its twin from the same login is left to expire).
    ///
    /// # Errors
    /// Database failure.
    pub async fn logout(&self, secret: &str, caller: &Caller) -> Result<(), IdentityError> {
        let mut tx = self.db().begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(sha256_hex(secret)).execute(&mut *tx).await?;
        let actor = caller.actor();
        self.finish(tx, record(&actor, "auth.logout", actor.clone(), caller.request_id.clone()), None).await
    }

    /// Resolves credentials into a [`Caller`]. `Ok(None)` means no
    /// credentials were presented (an anonymous request).
    ///
    /// # Errors
    /// 401 for unknown, expired or revoked credentials.
    pub async fn authenticate(&self, creds: &Credentials) -> Result<Option<Authenticated>, IdentityError> {
        let now = to_millis(self.clock().now());
        let invalid = || IdentityError::Api(ApiError::unauthorized().detail("The credentials are unknown or have expired."));
        let key = creds.api_key.clone().or_else(|| creds.bearer.clone().filter(|b| b.starts_with("cok_")));
        if let Some(key) = key {
            let (id, secret) = parse_api_key(&key).ok_or_else(invalid)?;
            let row = sqlx::query("SELECT user_id, secret_hash, expires_at, revoked_at FROM api_keys WHERE id = $1")
                .bind(&id)
                .fetch_optional(self.db().reader())
                .await?
                .ok_or_else(invalid)?;
            let hash: String = row.try_get("secret_hash")?;
            let expired = row.try_get::<Option<i64>, _>("expires_at")?.is_some_and(|e| e <= now);
            if hash != sha256_hex(&secret) || expired || row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
                return Err(invalid());
            }
            let user_id: String = row.try_get("user_id")?;
            let caller = self.staff_caller(&user_id, Some(id)).await?.ok_or_else(invalid)?;
            return Ok(Some(Authenticated { caller, cookie_csrf: None }));
        }
        let (secret, via_cookie) = match (&creds.bearer, &creds.session_cookie) {
            (Some(b), _) => (b.clone(), false),
            (None, Some(c)) => (c.clone(), true),
            (None, None) => return Ok(None),
        };
        let row = sqlx::query("SELECT subject_kind, subject_id, kind, csrf_token, expires_at FROM sessions WHERE token_hash = $1")
            .bind(sha256_hex(&secret))
            .fetch_optional(self.db().reader())
            .await?
            .ok_or_else(invalid)?;
        if row.try_get::<i64, _>("expires_at")? <= now {
            return Err(invalid());
        }
        let subject: String = row.try_get("subject_id")?;
        let csrf: String = row.try_get("csrf_token")?;
        let caller = match row.try_get::<String, _>("subject_kind")?.as_str() {
            "citizen" => Caller { principal: Principal::Citizen { citizen_id: subject }, grants: Vec::new(), request_id: None },
            _ => self.staff_caller(&subject, None).await?.ok_or_else(invalid)?,
        };
        Ok(Some(Authenticated { caller, cookie_csrf: via_cookie.then_some(csrf) }))
    }

    /// The caller for a staff user, with grants resolved; `None` if the user
    /// is missing or disabled.
    pub(crate) async fn staff_caller(&self, user_id: &str, api_key_id: Option<String>) -> Result<Option<Caller>, IdentityError> {
        let Some(u) = sqlx::query("SELECT username, agency_code, disabled FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(self.db().reader())
            .await?
        else {
            return Ok(None);
        };
        if u.try_get::<i64, _>("disabled")? != 0 {
            return Ok(None);
        }
        let trees = self.inner.trees.get(self.db()).await?;
        let mut grants = Vec::new();
        for g in sqlx::query("SELECT role, scope_kind, scope_code FROM grants WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(self.db().reader())
            .await?
        {
            let Some(role) = Role::parse(&g.try_get::<String, _>("role")?) else { continue };
            let scope = crate::accounts::stored_scope(&g.try_get::<String, _>("scope_kind")?, g.try_get("scope_code")?);
            let (agencies, jurisdictions) = match &scope {
                Scope::City => (None, None),
                Scope::Agency(c) => (Some(trees.agency_subtree(c)), Some(Default::default())),
                Scope::Jurisdiction(c) => (Some(Default::default()), Some(trees.jurisdiction_subtree(c))),
            };
            grants.push(ResolvedGrant { role, scope, agencies, jurisdictions });
        }
        Ok(Some(Caller {
            principal: Principal::Staff {
                user_id: user_id.to_string(),
                username: u.try_get("username")?,
                agency: u.try_get("agency_code")?,
                api_key_id,
            },
            grants,
            request_id: None,
        }))
    }

    /// Changes the caller's password after checking the current one; ends
    /// every other session of the user.
    ///
    /// # Errors
    /// 401 when the current password is wrong, 422 when the new one is too weak.
    pub async fn change_password(&self, caller: &Caller, current: &str, new: &str) -> Result<(), IdentityError> {
        let user_id = caller.require_staff()?.to_string();
        let hash: String = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(&user_id)
            .fetch_one(self.db().reader())
            .await?
            .try_get("password_hash")?;
        let cur = current.to_string();
        if !tokio::task::spawn_blocking(move || verify_password(&cur, &hash)).await.unwrap_or(false) {
            let mut r = record(&caller.actor(), "auth.password.change", format!("user:{user_id}"), caller.request_id.clone());
            r.outcome = "denied".into();
            cityos_audit::append_now(self.db(), self.clock(), &r).await?;
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "Current password is wrong").into());
        }
        check_password_strength(new)?;
        let new_hash = hash_password(new)?;
        let mut tx = self.db().begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
            .bind(&new_hash)
            .bind(to_millis(self.clock().now()))
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE subject_kind = 'staff' AND subject_id = $1").bind(&user_id).execute(&mut *tx).await?;
        let actor = caller.actor();
        self.finish(tx, record(&actor, "auth.password.change", format!("user:{user_id}"), caller.request_id.clone()), None).await
    }

    /// Creates an API key acting as the caller; returns `(id, key)`. The key
    /// is shown once and stored only as a hash.
    ///
    /// # Errors
    /// 401 for non-staff.
    pub async fn create_api_key(&self, caller: &Caller, name: &str, days: Option<i64>) -> Result<(String, String), IdentityError> {
        let user_id = caller.require_staff()?.to_string();
        if name.trim().is_empty() || name.chars().count() > 200 {
            return Err(ApiError::invalid("name must be 1–200 characters").into());
        }
        if days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(ApiError::invalid("expires_in_days must be 1–3650").into());
        }
        let id = new_id().replace('-', "");
        let secret = random_token("");
        let now = self.clock().now();
        let mut tx = self.db().begin().await?;
        sqlx::query("INSERT INTO api_keys (id, user_id, name, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(&user_id)
            .bind(name.trim())
            .bind(sha256_hex(&secret))
            .bind(to_millis(now))
            .bind(days.map(|d| to_millis(now + chrono::Duration::days(d))))
            .execute(&mut *tx)
            .await?;
        let actor = caller.actor();
        self.finish(tx, record(&actor, "identity.apikey.create", format!("apikey:{id}"), caller.request_id.clone()), None).await?;
        Ok((id.clone(), format!("cok_{id}_{secret}")))
    }

    /// The caller's API keys (never the secrets).
    ///
    /// # Errors
    /// 401 for non-staff.
    pub async fn api_keys(&self, caller: &Caller) -> Result<Vec<ApiKeyInfo>, IdentityError> {
        let user_id = caller.require_staff()?;
        let rows =
            sqlx::query("SELECT id, name, created_at, expires_at, revoked_at FROM api_keys WHERE user_id = $1 ORDER BY created_at, id")
                .bind(user_id)
                .fetch_all(self.db().reader())
                .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiKeyInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: from_millis(r.try_get("created_at")?),
                    expires_at: r.try_get::<Option<i64>, _>("expires_at")?.map(from_millis),
                    revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(from_millis),
                })
            })
            .collect()
    }

    /// Revokes one of the caller's API keys.
    ///
    /// # Errors
    /// 404 when the key is not the caller's.
    pub async fn revoke_api_key(&self, caller: &Caller, id: &str) -> Result<(), IdentityError> {
        let user_id = caller.require_staff()?.to_string();
        let mut tx = self.db().begin().await?;
        let n = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(to_millis(self.clock().now()))
            .bind(id)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            let revoked = sqlx::query("SELECT 1 AS x FROM api_keys WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(&user_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(if revoked.is_some() {
                ApiError::conflict("the API key is already revoked")
            } else {
                ApiError::not_found("no such API key")
            }
            .into());
        }
        let actor = caller.actor();
        self.finish(tx, record(&actor, "identity.apikey.revoke", format!("apikey:{id}"), caller.request_id.clone()), None).await
    }

    /// Audits a read of non-public data (one record per request).
    ///
    /// # Errors
    /// Database failure.
    pub async fn audit_read(&self, caller: &Caller, action: &str, object: &str, rows: usize) -> Result<(), IdentityError> {
        let r = AuditRecord {
            actor: caller.actor(),
            action: action.into(),
            object: object.into(),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(i64::try_from(rows).unwrap_or(i64::MAX)),
        };
        cityos_audit::append_now(self.db(), self.clock(), &r).await?;
        Ok(())
    }
}

/// An API key as listed to its owner.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ApiKeyInfo {
    /// Key id.
    pub id: String,
    /// What it is for.
    pub name: String,
    /// Created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Expires.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Revoked.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn parse_api_key(key: &str) -> Option<(String, String)> {
    let rest = key.trim().strip_prefix("cok_")?;
    let (id, secret) = rest.split_once('_')?;
    (!id.is_empty() && !secret.is_empty()).then(|| (id.to_string(), secret.to_string()))
}

/// Minimum password rules: 10+ characters, not all one character class.
///
/// # Errors
/// 422 with the reason.
pub fn check_password_strength(pw: &str) -> Result<(), IdentityError> {
    let long = pw.chars().count() >= 10;
    let letters = pw.chars().any(char::is_alphabetic);
    let digits_or_symbols = pw.chars().any(|c| !c.is_alphabetic());
    if long && letters && digits_or_symbols {
        Ok(())
    } else {
        Err(ApiError::invalid("password must have at least 10 characters and mix letters with digits or symbols").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse 1").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse 1", &h));
        assert!(!verify_password("correct horse 2", &h));
    }

    #[test]
    fn totp_accepts_adjacent_steps_only() {
        let s = new_totp_secret();
        let now = 1_800_000_000;
        let code = totp_code(&s, now).unwrap();
        assert_eq!(totp_step(&s, &code, now), Some(i64::try_from(now / 30).unwrap()));
        assert!(totp_step(&s, &code, now + 30).is_some());
        assert!(totp_step(&s, &code, now + 300).is_none());
        assert!(otpauth_url(&s, "admin").starts_with("otpauth://totp/CityOS:admin?secret="));
    }

    #[test]
    fn api_keys_parse() {
        assert_eq!(parse_api_key("cok_abc_def"), Some(("abc".into(), "def".into())));
        assert_eq!(parse_api_key("cok__x"), None);
        assert_eq!(parse_api_key("nope"), None);
    }

    #[test]
    fn password_strength() {
        assert!(check_password_strength("short1").is_err());
        assert!(check_password_strength("alllowercaseletters").is_err());
        assert!(check_password_strength("Matkhaumoiqua").is_err(), "letters only");
        assert!(check_password_strength("1234567890123").is_err(), "digits only");
        assert!(check_password_strength("operator-demo-2025").is_ok());
    }
}
