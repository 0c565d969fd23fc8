//! Agencies, staff users and role grants, with the rules for who may manage whom:
//! `admin` manages everything; `agency_admin` manages users of the agencies in
//! its scope and may grant them any role except `admin` and `auditor`, only
//! within that scope.

use crate::auth::{check_password_strength, hash_password, new_totp_secret};
use crate::{record, Identity, IdentityError};
use cityos_api::{ApiError, Caller, Grant, Role, Scope, Target};
use cityos_core::{new_id, to_millis, Classification, Page, PageParams};
use cityos_events::CloudEvent;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

/// An agency: a ward People's Committee, a department, a utility…
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Agency {
    /// Short code, e.g. `SO-GTVT`.
    pub code: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// `city`, `department`, `ward_committee`, `utility`, `service`.
    pub kind: String,
    /// The supervising agency.
    pub parent_code: Option<String>,
    /// The jurisdiction it belongs to (GSO code).
    pub jurisdiction_code: Option<String>,
}

/// Body of `POST /api/identity/agencies`.
pub type NewAgency = Agency;

const AGENCY_KINDS: [&str; 5] = ["city", "department", "ward_committee", "utility", "service"];

/// A staff user as shown to administrators (never the password hash or TOTP secret).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UserView {
    /// Id.
    pub id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Agency code.
    pub agency_code: Option<String>,
    /// Whether TOTP is set up.
    pub mfa_enabled: bool,
    /// Locked until (RFC 3339), if locked.
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Role grants.
    pub grants: Vec<Grant>,
}

/// Body of `POST /api/identity/users`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    /// Login name: 3–64 of a-z, 0-9, `.`, `_`, `-`.
    pub username: String,
    /// Name shown in the console.
    pub display_name: String,
    /// Initial password (10+ characters, mixed).
    pub password: String,
    /// The user's agency.
    pub agency_code: Option<String>,
}

fn valid_username(u: &str) -> bool {
    (3..=64).contains(&u.len()) && u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// A grant's scope from its stored kind and code.
pub(crate) fn stored_scope(kind: &str, code: Option<String>) -> Scope {
    match (kind, code) {
        ("agency", Some(c)) => Scope::Agency(c),
        ("jurisdiction", Some(c)) => Scope::Jurisdiction(c),
        _ => Scope::City,
    }
}

fn scope_parts(scope: &Scope) -> (&'static str, Option<&str>) {
    match scope {
        Scope::City => ("city", None),
        Scope::Agency(c) => ("agency", Some(c)),
        Scope::Jurisdiction(c) => ("jurisdiction", Some(c)),
    }
}

impl Identity {
    /// Every agency, ordered by code. Agencies are public information.
    ///
    /// # Errors
    /// Database failure.
    pub async fn agencies(&self) -> Result<Vec<Agency>, IdentityError> {
        let rows = sqlx::query("SELECT code, name_vi, name_en, kind, parent_code, jurisdiction_code FROM agencies ORDER BY code")
            .fetch_all(self.db().reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Agency {
                    code: r.try_get("code")?,
                    name_vi: r.try_get("name_vi")?,
                    name_en: r.try_get("name_en")?,
                    kind: r.try_get("kind")?,
                    parent_code: r.try_get("parent_code")?,
                    jurisdiction_code: r.try_get("jurisdiction_code")?,
                })
            })
            .collect()
    }

    /// Creates an agency (admins only; `caller = None` for the CLI and seeding).
    ///
    /// # Errors
    /// 403, 409 for a duplicate code, 422 for an unknown parent or kind.
    pub async fn create_agency(&self, caller: Option<&Caller>, a: &NewAgency) -> Result<(), IdentityError> {
        if let Some(c) = caller {
            c.require_any(&[Role::Admin])?;
        }
        if a.code.trim().is_empty() || a.code.len() > 64 || a.name_vi.trim().is_empty() {
            return Err(ApiError::invalid("code and name_vi are required (code at most 64 characters)").into());
        }
        if !AGENCY_KINDS.contains(&a.kind.as_str()) {
            return Err(ApiError::invalid(format!("kind must be one of {}", AGENCY_KINDS.join(", "))).into());
        }
        let mut tx = self.db().begin().await?;
        if sqlx::query("SELECT 1 AS x FROM agencies WHERE code = $1").bind(&a.code).fetch_optional(&mut *tx).await?.is_some() {
            return Err(ApiError::conflict(format!("agency {} already exists", a.code)).into());
        }
        if let Some(p) = &a.parent_code {
            if sqlx::query("SELECT 1 AS x FROM agencies WHERE code = $1").bind(p).fetch_optional(&mut *tx).await?.is_none() {
                return Err(ApiError::invalid(format!("parent agency {p} does not exist")).into());
            }
        }
        sqlx::query(
            "INSERT INTO agencies (code, name_vi, name_en, kind, parent_code, jurisdiction_code, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(a.code.trim())
        .bind(a.name_vi.trim())
        .bind(a.name_en.trim())
        .bind(&a.kind)
        .bind(a.parent_code.as_deref())
        .bind(a.jurisdiction_code.as_deref())
        .bind(to_millis(self.clock().now()))
        .execute(&mut *tx)
        .await?;
        let actor = caller.map_or_else(|| "system".to_string(), Caller::actor);
        let ev = CloudEvent::new(
            self.clock(),
            "/cityos/identity",
            "vn.cityos.identity.agency.created",
            Classification::Public,
            serde_json::to_value(a).unwrap_or_default(),
        )
        .subject(format!("agency:{}", a.code))
        .agency(Some(a.code.clone()));
        self.finish(
            tx,
            record(&actor, "identity.agency.create", format!("agency:{}", a.code), caller.and_then(|c| c.request_id.clone())),
            Some(ev),
        )
        .await?;
        self.inner.trees.invalidate();
        Ok(())
    }

    /// Creates a staff user. Admins create anyone; agency admins create users
    /// of agencies in their scope. `caller = None` for the CLI and seeding.
    ///
    /// # Errors
    /// 403, 409 for a taken username, 422 for bad input.
    pub async fn create_user(&self, caller: Option<&Caller>, u: &NewUser) -> Result<UserView, IdentityError> {
        if let Some(c) = caller {
            c.require_for(&[Role::AgencyAdmin], &Target { agency: u.agency_code.as_deref(), jurisdiction: None })?;
        }
        let username = u.username.trim().to_lowercase();
        if !valid_username(&username) {
            return Err(ApiError::invalid("username must be 3–64 characters of a-z, 0-9, '.', '_' or '-'").into());
        }
        check_password_strength(&u.password)?;
        let pw = u.password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw)).await.map_err(|e| IdentityError::Data(e.to_string()))??;
        let id = new_id();
        let now = to_millis(self.clock().now());
        let mut tx = self.db().begin().await?;
        if sqlx::query("SELECT 1 AS x FROM users WHERE username = $1").bind(&username).fetch_optional(&mut *tx).await?.is_some() {
            return Err(ApiError::conflict(format!("username {username} is taken")).into());
        }
        if let Some(a) = &u.agency_code {
            if sqlx::query("SELECT 1 AS x FROM agencies WHERE code = $1").bind(a).fetch_optional(&mut *tx).await?.is_none() {
                return Err(ApiError::invalid(format!("agency {a} does not exist")).into());
            }
        }
        sqlx::query(
            "INSERT INTO users (id, username, display_name, agency_code, password_hash, created_at, password_changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(&username)
        .bind(u.display_name.trim())
        .bind(u.agency_code.as_deref())
        .bind(&hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let actor = caller.map_or_else(|| "system".to_string(), Caller::actor);
        let ev = CloudEvent::new(
            self.clock(),
            "/cityos/identity",
            "vn.cityos.identity.user.created",
            Classification::Internal,
            serde_json::json!({ "id": id }),
        )
        .subject(format!("user:{id}"))
        .agency(u.agency_code.clone());
        self.finish(tx, record(&actor, "identity.user.create", format!("user:{id}"), caller.and_then(|c| c.request_id.clone())), Some(ev))
            .await?;
        self.user(&id).await?.ok_or_else(|| ApiError::not_found("user").into())
    }

    /// Grants a role with a scope. Admins grant anything; agency admins grant
    /// roles other than admin/auditor, scoped inside their own scope, to users
    /// of agencies they manage.
    ///
    /// # Errors
    /// 403, 404 for an unknown user, 409 for a duplicate, 422 for an unknown scope target.
    pub async fn grant(&self, caller: Option<&Caller>, user_id: &str, role: Role, scope: &Scope) -> Result<Grant, IdentityError> {
        let user = self.user(user_id).await?.ok_or_else(|| ApiError::not_found("no such user"))?;
        if let Some(c) = caller {
            if !c.has_any(&[Role::Admin]) {
                if matches!(role, Role::Admin | Role::Auditor) {
                    return Err(ApiError::forbidden("only administrators grant admin or auditor").into());
                }
                c.require_for(&[Role::AgencyAdmin], &Target { agency: user.agency_code.as_deref(), jurisdiction: None })?;
                let inside = match scope {
                    Scope::City => false,
                    Scope::Agency(a) => c.has_for(&[Role::AgencyAdmin], &Target { agency: Some(a), jurisdiction: None }),
                    Scope::Jurisdiction(j) => c.has_for(&[Role::AgencyAdmin], &Target { agency: None, jurisdiction: Some(j) }),
                };
                if !inside {
                    return Err(ApiError::forbidden("the scope must lie inside your own").into());
                }
            }
        }
        let (kind, code) = scope_parts(scope);
        let mut tx = self.db().begin().await?;
        if let Some(code) = code {
            let table = if kind == "agency" {
                "SELECT 1 AS x FROM agencies WHERE code = $1"
            } else {
                "SELECT 1 AS x FROM jurisdictions WHERE code = $1"
            };
            if sqlx::query(table).bind(code).fetch_optional(&mut *tx).await?.is_none() {
                return Err(ApiError::invalid(format!("{kind} {code} does not exist")).into());
            }
        }
        let dup =
            sqlx::query("SELECT 1 AS x FROM grants WHERE user_id = $1 AND role = $2 AND scope_kind = $3 AND COALESCE(scope_code, '') = $4")
                .bind(user_id)
                .bind(role.as_str())
                .bind(kind)
                .bind(code.unwrap_or(""))
                .fetch_optional(&mut *tx)
                .await?;
        if dup.is_some() {
            return Err(ApiError::conflict("the user already holds this grant").into());
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO grants (id, user_id, role, scope_kind, scope_code, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(kind)
        .bind(code)
        .bind(to_millis(self.clock().now()))
        .bind(caller.map_or_else(|| "system".to_string(), Caller::actor))
        .execute(&mut *tx)
        .await?;
        if role.requires_mfa() {
            // Enrol now so the first sign-in can show the secret; MFA stays off until a code is confirmed.
            sqlx::query("UPDATE users SET totp_secret = COALESCE(totp_secret, $1) WHERE id = $2")
                .bind(new_totp_secret())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        let actor = caller.map_or_else(|| "system".to_string(), Caller::actor);
        let mut r = record(&actor, "identity.grant.create", format!("user:{user_id}"), caller.and_then(|c| c.request_id.clone()));
        r.purpose = Some(format!("{} {}", role.as_str(), scope));
        self.finish(tx, r, None).await?;
        Ok(Grant { id, role, scope: scope.clone() })
    }

    /// Revokes a grant, under the same rules as [`Identity::grant`].
    ///
    /// # Errors
    /// 403, 404.
    pub async fn revoke(&self, caller: &Caller, user_id: &str, grant_id: &str) -> Result<(), IdentityError> {
        let user = self.user(user_id).await?.ok_or_else(|| ApiError::not_found("no such user"))?;
        let grant = user.grants.iter().find(|g| g.id == grant_id).ok_or_else(|| ApiError::not_found("no such grant"))?;
        if !caller.has_any(&[Role::Admin]) {
            if matches!(grant.role, Role::Admin | Role::Auditor) {
                return Err(ApiError::forbidden("only administrators revoke admin or auditor").into());
            }
            caller.require_for(&[Role::AgencyAdmin], &Target { agency: user.agency_code.as_deref(), jurisdiction: None })?;
        }
        let mut tx = self.db().begin().await?;
        sqlx::query("DELETE FROM grants WHERE id = $1").bind(grant_id).execute(&mut *tx).await?;
        self.finish(tx, record(&caller.actor(), "identity.grant.revoke", format!("user:{user_id}"), caller.request_id.clone()), None).await
    }

    /// One user with grants.
    ///
    /// # Errors
    /// Database failure.
    pub async fn user(&self, id: &str) -> Result<Option<UserView>, IdentityError> {
        let Some(r) = sqlx::query("SELECT id, username, display_name, agency_code, mfa_enabled, locked_until FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db().reader())
            .await?
        else {
            return Ok(None);
        };
        let mut v = user_row(&r)?;
        v.grants = self.grants_of(id).await?;
        Ok(Some(v))
    }

    /// The user id for a username.
    ///
    /// # Errors
    /// Database failure.
    pub async fn user_id(&self, username: &str) -> Result<Option<String>, IdentityError> {
        Ok(sqlx::query("SELECT id FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(self.db().reader())
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?)
    }

    async fn grants_of(&self, user_id: &str) -> Result<Vec<Grant>, IdentityError> {
        let rows = sqlx::query("SELECT id, role, scope_kind, scope_code FROM grants WHERE user_id = $1 ORDER BY created_at, id")
            .bind(user_id)
            .fetch_all(self.db().reader())
            .await?;
        let mut out = Vec::new();
        for g in rows {
            let Some(role) = Role::parse(&g.try_get::<String, _>("role")?) else { continue };
            let scope = stored_scope(&g.try_get::<String, _>("scope_kind")?, g.try_get("scope_code")?);
            out.push(Grant { id: g.try_get("id")?, role, scope });
        }
        Ok(out)
    }

    /// Users the caller may manage: all for admins, their agencies' for agency
    /// admins. Non-public data: the read is audited.
    ///
    /// # Errors
    /// 401/403, database failure.
    pub async fn users(&self, caller: &Caller, q: Option<&str>, page: &PageParams) -> Result<Page<UserView>, IdentityError> {
        caller.require_any(&[Role::AgencyAdmin])?;
        let allowed = caller.agencies_for(&[Role::AgencyAdmin]);
        let pattern = format!("%{}%", q.unwrap_or("").trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let rows = sqlx::query(
            "SELECT id, username, display_name, agency_code, mfa_enabled, locked_until FROM users
             WHERE (LOWER(username) LIKE $1 ESCAPE '\\' OR LOWER(display_name) LIKE $1 ESCAPE '\\') ORDER BY username",
        )
        .bind(&pattern)
        .fetch_all(self.db().reader())
        .await?;
        let mut visible = Vec::new();
        for r in &rows {
            let v = user_row(r)?;
            let ok = match (&allowed, &v.agency_code) {
                (None, _) => true,
                (Some(set), Some(a)) => set.contains(a),
                (Some(_), None) => false,
            };
            if ok {
                visible.push(v);
            }
        }
        let total = i64::try_from(visible.len()).unwrap_or(i64::MAX);
        let start = usize::try_from(page.offset()).unwrap_or(usize::MAX).min(visible.len());
        let end = start.saturating_add(usize::try_from(page.limit()).unwrap_or(0)).min(visible.len());
        let mut items: Vec<UserView> = visible.drain(start..end).collect();
        for u in &mut items {
            u.grants = self.grants_of(&u.id).await?;
        }
        self.audit_read(caller, "identity.user.list", "users", items.len()).await?;
        Ok(Page::new(items, total, page))
    }

    /// Seeds a user with a known TOTP secret (demo and CLI), returning the secret when MFA applies.
    ///
    /// # Errors
    /// Database failure.
    pub async fn set_totp_secret(&self, user_id: &str, secret: &str, enabled: bool) -> Result<(), IdentityError> {
        sqlx::query("UPDATE users SET totp_secret = $1, mfa_enabled = $2 WHERE id = $3")
            .bind(secret)
            .bind(i64::from(enabled))
            .bind(user_id)
            .execute(self.db().writer())
            .await?;
        Ok(())
    }
}

fn user_row(r: &sqlx::any::AnyRow) -> Result<UserView, sqlx::Error> {
    let locked: Option<i64> = r.try_get("locked_until")?;
    Ok(UserView {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        agency_code: r.try_get("agency_code")?,
        mfa_enabled: r.try_get::<i64, _>("mfa_enabled")? != 0,
        locked_until: locked.map(cityos_core::from_millis),
        grants: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(valid_username("le.van-an_2"));
        assert!(!valid_username("Lê Văn An"));
        assert!(!valid_username("ab"));
    }
}
