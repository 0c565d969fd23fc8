//! Citizen accounts: sign-up and sign-in by phone number or e-mail with a
//! one-time code sent through the notification service; citizens see only
//! their own data and can export or delete their account.

use crate::auth::sha256_hex;
use crate::{record, Identity, IdentityError};
use cityos_api::{ApiError, Caller};
use cityos_core::{from_millis, new_id, to_millis};
use cityos_notify::{Locale, NotificationRequest};
use http::StatusCode;
use rand::Rng;
use serde::Serialize;
use sqlx::Row as _;

const MAX_CODES_PER_HOUR: i64 = 5;
const MAX_ATTEMPTS: i64 = 5;

/// A normalised contact: `email` or `phone` (E.164, Vietnamese numbers as +84…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// `email` or `phone`.
    pub kind: &'static str,
    /// The normalised address.
    pub value: String,
}

/// Normalises an e-mail address or a phone number.
///
/// # Errors
/// 422 when it is neither.
pub fn normalise_contact(raw: &str) -> Result<Contact, ApiError> {
    let s = raw.trim();
    if s.contains('@') {
        let lower = s.to_lowercase();
        let (local, domain) = lower.split_once('@').unwrap_or(("", ""));
        if local.is_empty() || !domain.contains('.') || lower.chars().any(char::is_whitespace) || lower.len() > 254 {
            return Err(ApiError::invalid("not a valid e-mail address"));
        }
        return Ok(Contact { kind: "email", value: lower });
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let e164 = if s.starts_with('+') {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("+84{rest}")
    } else if digits.starts_with("84") {
        format!("+{digits}")
    } else {
        return Err(ApiError::invalid("not a valid phone number or e-mail address"));
    };
    if !(9..=15).contains(&(e164.len() - 1)) {
        return Err(ApiError::invalid("not a valid phone number or e-mail address"));
    }
    Ok(Contact { kind: "phone", value: e164 })
}

/// A citizen's own account data, as exported.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CitizenAccount {
    /// Pseudonymous id.
    pub id: String,
    /// `email` or `phone`.
    pub contact_kind: String,
    /// The contact address.
    pub contact: String,
    /// Chosen display name.
    pub display_name: Option<String>,
    /// Preferred language.
    pub locale: String,
    /// When the account was made.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl Identity {
    /// Sends a one-time sign-in code to a phone or e-mail address (through the
    /// notification outbox, in the same transaction as the code).
    ///
    /// # Errors
    /// 422 for a bad contact, 429 when too many codes were asked for.
    pub async fn request_citizen_code(&self, raw_contact: &str, locale: &str, request_id: Option<String>) -> Result<(), IdentityError> {
        let contact = normalise_contact(raw_contact)?;
        let now = self.clock().now();
        let hour_ago = to_millis(now - chrono::Duration::hours(1));
        let mut tx = self.db().begin().await?;
        let recent: i64 = sqlx::query("SELECT COUNT(*) AS n FROM citizen_codes WHERE contact = $1 AND created_at > $2")
            .bind(&contact.value)
            .bind(hour_ago)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if recent >= MAX_CODES_PER_HOUR {
            return Err(ApiError::too_many_requests().detail("Too many codes requested for this address; try again in an hour.").into());
        }
        let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        let id = new_id();
        let ttl = self.config().otp_ttl_minutes.max(1);
        sqlx::query("INSERT INTO citizen_codes (id, contact, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(&contact.value)
            .bind(sha256_hex(&format!("{id}:{code}")))
            .bind(to_millis(now))
            .bind(to_millis(now + chrono::Duration::minutes(ttl)))
            .execute(&mut *tx)
            .await?;
        let locale = Locale::parse(locale).unwrap_or(Locale::Vi);
        let req = if contact.kind == "email" {
            NotificationRequest::email(&contact.value, "otp_code")
        } else {
            NotificationRequest::sms(&contact.value, "otp_code")
        }
        .locale(locale)
        .var("code", &code)
        .var("minutes", ttl)
        .purpose("citizen sign-in code")
        .related_object(format!("citizen_code:{id}"));
        cityos_notify::enqueue(&mut tx, self.clock().as_ref(), &req).await.map_err(|e| IdentityError::Notify(e.to_string()))?;
        let pseudonym = format!("contact:{}", &sha256_hex(&contact.value)[..16]);
        self.finish(tx, record(&pseudonym, "identity.citizen.code", pseudonym.clone(), request_id), None).await
    }

    /// Checks a one-time code; signs the citizen up on first use. Returns the
    /// citizen id, a session token and its expiry.
    ///
    /// # Errors
    /// 401 `invalid_code` for a wrong, used or expired code.
    pub async fn verify_citizen_code(
        &self,
        raw_contact: &str,
        code: &str,
        display_name: Option<&str>,
        locale: &str,
        request_id: Option<String>,
    ) -> Result<(String, String, chrono::DateTime<chrono::Utc>), IdentityError> {
        let contact = normalise_contact(raw_contact)?;
        let now = self.clock().now();
        let invalid = || IdentityError::Api(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_code", "Wrong or expired code"));
        let mut tx = self.db().begin().await?;
        let row = sqlx::query(
            "SELECT id, code_hash, attempts FROM citizen_codes WHERE contact = $1 AND consumed_at IS NULL AND expires_at > $2 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(&contact.value)
        .bind(to_millis(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Err(invalid()) };
        let id: String = row.try_get("id")?;
        if row.try_get::<i64, _>("attempts")? >= MAX_ATTEMPTS {
            return Err(invalid());
        }
        if row.try_get::<String, _>("code_hash")? != sha256_hex(&format!("{id}:{}", code.trim())) {
            sqlx::query("UPDATE citizen_codes SET attempts = attempts + 1 WHERE id = $1").bind(&id).execute(&mut *tx).await?;
            tx.commit().await?;
            return Err(invalid());
        }
        sqlx::query("UPDATE citizen_codes SET consumed_at = $1 WHERE id = $2").bind(to_millis(now)).bind(&id).execute(&mut *tx).await?;
        let existing = sqlx::query("SELECT id FROM citizens WHERE contact = $1").bind(&contact.value).fetch_optional(&mut *tx).await?;
        let (citizen_id, action) = match existing {
            Some(r) => (r.try_get::<String, _>("id")?, "identity.citizen.login"),
            None => {
                let cid = new_id();
                sqlx::query(
                    "INSERT INTO citizens (id, contact_kind, contact, display_name, locale, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&cid)
                .bind(contact.kind)
                .bind(&contact.value)
                .bind(display_name.map(str::trim).filter(|s| !s.is_empty()))
                .bind(Locale::parse(locale).unwrap_or(Locale::Vi).as_str())
                .bind(to_millis(now))
                .execute(&mut *tx)
                .await?;
                (cid, "identity.citizen.signup")
            }
        };
        let token = format!("cct_{}", crate::auth::sha256_hex(&format!("{}{}", new_id(), rand::thread_rng().gen::<u64>())));
        let expires = now + chrono::Duration::minutes(self.config().session_ttl_minutes);
        sqlx::query(
            "INSERT INTO sessions (token_hash, subject_kind, subject_id, kind, csrf_token, created_at, expires_at) VALUES ($1, 'citizen', $2, 'token', $3, $4, $5)",
        )
        .bind(sha256_hex(&token))
        .bind(&citizen_id)
        .bind(new_id())
        .bind(to_millis(now))
        .bind(to_millis(expires))
        .execute(&mut *tx)
        .await?;
        let actor = format!("citizen:{citizen_id}");
        self.finish(tx, record(&actor, action, actor.clone(), request_id), None).await?;
        Ok((citizen_id, token, expires))
    }

    /// The calling citizen's own account.
    ///
    /// # Errors
    /// 401 for anyone but a signed-in citizen.
    pub async fn citizen_account(&self, caller: &Caller) -> Result<CitizenAccount, IdentityError> {
        let id = caller.require_citizen()?;
        let r = sqlx::query("SELECT id, contact_kind, contact, display_name, locale, created_at FROM citizens WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db().reader())
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(CitizenAccount {
            id: r.try_get("id")?,
            contact_kind: r.try_get("contact_kind")?,
            contact: r.try_get("contact")?,
            display_name: r.try_get("display_name")?,
            locale: r.try_get("locale")?,
            created_at: from_millis(r.try_get("created_at")?),
        })
    }

    /// Everything CityOS holds about the calling citizen (data-subject export).
    /// Modules with citizen data add their sections here as they arrive.
    ///
    /// # Errors
    /// 401.
    pub async fn citizen_export(&self, caller: &Caller) -> Result<serde_json::Value, IdentityError> {
        let account = self.citizen_account(caller).await?;
        let sessions: i64 = sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE subject_kind = 'citizen' AND subject_id = $1")
            .bind(&account.id)
            .fetch_one(self.db().reader())
            .await?
            .try_get("n")?;
        let actor = caller.actor();
        cityos_audit::append_now(
            self.db(),
            self.clock(),
            &record(&actor, "identity.citizen.export", actor.clone(), caller.request_id.clone()),
        )
        .await?;
        Ok(serde_json::json!({ "account": account, "active_sessions": sessions, "exported_at": self.clock().now() }))
    }

    /// Deletes the calling citizen's account, sessions and codes. The audit
    /// chain keeps only the pseudonymous id, so it stays intact.
    ///
    /// # Errors
    /// 401.
    pub async fn delete_citizen(&self, caller: &Caller) -> Result<(), IdentityError> {
        let account = self.citizen_account(caller).await?;
        let mut tx = self.db().begin().await?;
        sqlx::query("DELETE FROM sessions WHERE subject_kind = 'citizen' AND subject_id = $1").bind(&account.id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM citizen_codes WHERE contact = $1").bind(&account.contact).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM citizens WHERE id = $1").bind(&account.id).execute(&mut *tx).await?;
        let actor = caller.actor();
        self.finish(tx, record(&actor, "identity.citizen.delete", actor.clone(), caller.request_id.clone()), None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_normalise() {
        assert_eq!(normalise_contact("0901 234 567").unwrap().value, "+84901234567");
        assert_eq!(normalise_contact("+84 90 123 4567").unwrap().value, "+84901234567");
        assert_eq!(normalise_contact(" An.Nguyen@Example.VN ").unwrap(), Contact { kind: "email", value: "an.nguyen@example.vn".into() });
        assert!(normalise_contact("hello").is_err());
        assert!(normalise_contact("a@b").is_err());
    }
}
