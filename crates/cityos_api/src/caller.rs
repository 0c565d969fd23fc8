use crate::ApiError;
use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::convert::Infallible;

/// A role a user can be granted. Each route names the roles it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The whole system (always city-wide in effect).
    Admin,
    /// Users and settings of an agency.
    AgencyAdmin,
    /// Datasets and sharing approvals.
    DataOfficer,
    /// Operations centre and the 1022 call centre: triage and dispatch.
    Operator,
    /// Handles reports, incidents, assets and datasets assigned to the agency.
    Staff,
    /// Indicators and forecasts.
    Analyst,
    /// Reads the audit log.
    Auditor,
    /// Reads what the scope allows.
    Viewer,
}

impl Role {
    /// Every role, in order of power.
    pub const ALL: [Role; 8] =
        [Role::Admin, Role::AgencyAdmin, Role::DataOfficer, Role::Operator, Role::Staff, Role::Analyst, Role::Auditor, Role::Viewer];

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::AgencyAdmin => "agency_admin",
            Role::DataOfficer => "data_officer",
            Role::Operator => "operator",
            Role::Staff => "staff",
            Role::Analyst => "analyst",
            Role::Auditor => "auditor",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether holders of this role must sign in with a second factor.
    #[must_use]
    pub fn requires_mfa(self) -> bool {
        matches!(self, Role::Admin | Role::AgencyAdmin | Role::Auditor)
    }
}

/// Where a grant applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Scope {
    /// The whole city.
    City,
    /// An agency (by code) and every agency under it.
    Agency(String),
    /// A jurisdiction (by GSO code) and every unit inside it.
    Jurisdiction(String),
}

impl Scope {
    /// Parses `city`, `agency:CODE` or `jurisdiction:CODE`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Scope> {
        match s.split_once(':') {
            None if s == "city" => Some(Scope::City),
            Some(("agency", c)) if !c.is_empty() => Some(Scope::Agency(c.into())),
            Some(("jurisdiction", c)) if !c.is_empty() => Some(Scope::Jurisdiction(c.into())),
            _ => None,
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::City => f.write_str("city"),
            Scope::Agency(c) => write!(f, "agency:{c}"),
            Scope::Jurisdiction(c) => write!(f, "jurisdiction:{c}"),
        }
    }
}

/// A role granted with a scope, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Grant {
    /// Grant id.
    pub id: String,
    /// The role.
    pub role: Role,
    /// Where it applies.
    pub scope: Scope,
}

/// A grant with its scope expanded to concrete agency and jurisdiction codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedGrant {
    /// The role.
    pub role: Role,
    /// The scope as granted.
    pub scope: Scope,
    /// Agencies covered; `None` means all.
    pub agencies: Option<HashSet<String>>,
    /// Jurisdictions covered; `None` means all.
    pub jurisdictions: Option<HashSet<String>>,
}

impl ResolvedGrant {
    /// Whether this grant covers `target`.
    #[must_use]
    pub fn covers(&self, target: &Target<'_>) -> bool {
        if matches!(self.scope, Scope::City) || self.role == Role::Admin {
            return true;
        }
        let by_agency = match (&self.agencies, target.agency) {
            (Some(set), Some(a)) => set.contains(a),
            _ => false,
        };
        let by_jurisdiction = match (&self.jurisdictions, target.jurisdiction) {
            (Some(set), Some(j)) => set.contains(j),
            _ => false,
        };
        by_agency || by_jurisdiction
    }
}

/// What a piece of data belongs to, for scope checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Target<'a> {
    /// Owning agency code.
    pub agency: Option<&'a str>,
    /// Jurisdiction code it concerns.
    pub jurisdiction: Option<&'a str>,
}

/// Who is calling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Principal {
    /// No credentials.
    #[default]
    Anonymous,
    /// A staff member (through a session, a token or one of their API keys).
    Staff {
        /// User id.
        user_id: String,
        /// Username.
        username: String,
        /// The user's agency.
        agency: Option<String>,
        /// Set when the credential was an API key.
        api_key_id: Option<String>,
    },
    /// A signed-in citizen.
    Citizen {
        /// Citizen id (a pseudonym: never the phone or e-mail).
        citizen_id: String,
    },
}

/// The authenticated caller of a request, put into the request's extensions
/// by the authentication middleware. Extracting it never fails; the
/// `require_*` methods turn missing rights into 401/403.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// The grants with resolved scopes.
    pub grants: Vec<ResolvedGrant>,
    /// The request id (for audit records).
    pub request_id: Option<String>,
}

impl Caller {
    /// The id written to audit records: `user:<id>`, `apikey:<id>`, `citizen:<id>` or `anonymous`.
    #[must_use]
    pub fn actor(&self) -> String {
        match &self.principal {
            Principal::Anonymous => "anonymous".into(),
            Principal::Staff { api_key_id: Some(k), .. } => format!("apikey:{k}"),
            Principal::Staff { user_id, .. } => format!("user:{user_id}"),
            Principal::Citizen { citizen_id } => format!("citizen:{citizen_id}"),
        }
    }

    /// The staff user id.
    ///
    /// # Errors
    /// 401 when anonymous, 403 for a citizen.
    pub fn require_staff(&self) -> Result<&str, ApiError> {
        match &self.principal {
            Principal::Staff { user_id, .. } => Ok(user_id),
            Principal::Citizen { .. } => Err(ApiError::forbidden("staff only")),
            Principal::Anonymous => Err(ApiError::unauthorized()),
        }
    }

    /// The citizen id.
    ///
    /// # Errors
    /// 401 when anonymous, 403 for staff.
    pub fn require_citizen(&self) -> Result<&str, ApiError> {
        match &self.principal {
            Principal::Citizen { citizen_id } => Ok(citizen_id),
            Principal::Staff { .. } => Err(ApiError::forbidden("citizens only")),
            Principal::Anonymous => Err(ApiError::unauthorized()),
        }
    }

    /// Whether the caller holds any of `roles` anywhere (admin holds every role).
    #[must_use]
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin || roles.contains(&g.role))
    }

    /// Whether the caller holds one of `roles` with a scope covering `target`.
    #[must_use]
    pub fn has_for(&self, roles: &[Role], target: &Target<'_>) -> bool {
        self.grants.iter().any(|g| (g.role == Role::Admin || roles.contains(&g.role)) && g.covers(target))
    }

    /// Requires one of `roles` in any scope.
    ///
    /// # Errors
    /// 401 when anonymous, 403 when the roles are missing.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if matches!(self.principal, Principal::Anonymous) {
            return Err(ApiError::unauthorized());
        }
        if self.has_any(roles) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("requires one of the roles: {}", role_list(roles))))
        }
    }

    /// Requires one of `roles` with a scope covering `target`.
    ///
    /// # Errors
    /// 401 when anonymous, 403 when no grant covers the target.
    pub fn require_for(&self, roles: &[Role], target: &Target<'_>) -> Result<(), ApiError> {
        self.require_any(roles)?;
        if self.has_for(roles, target) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("requires one of the roles {} for this agency or area", role_list(roles))))
        }
    }

    /// Agencies whose non-public data the caller may read through `roles`;
    /// `None` means every agency.
    #[must_use]
    pub fn agencies_for(&self, roles: &[Role]) -> Option<HashSet<String>> {
        let mut out = HashSet::new();
        for g in self.grants.iter().filter(|g| g.role == Role::Admin || roles.contains(&g.role)) {
            match (&g.scope, &g.agencies) {
                (Scope::City, _) | (_, None) if g.role == Role::Admin || matches!(g.scope, Scope::City) => return None,
                (_, Some(set)) => out.extend(set.iter().cloned()),
                _ => {}
            }
        }
        Some(out)
    }
}

fn role_list(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, scope: Scope, agencies: &[&str]) -> ResolvedGrant {
        let set = || Some(agencies.iter().map(|s| (*s).to_string()).collect());
        ResolvedGrant {
            role,
            agencies: if matches!(scope, Scope::Agency(_)) { set() } else { None },
            jurisdictions: if let Scope::Jurisdiction(j) = &scope { Some([j.clone()].into()) } else { None },
            scope,
        }
    }

    fn staff(grants: Vec<ResolvedGrant>) -> Caller {
        Caller {
            principal: Principal::Staff { user_id: "u1".into(), username: "u".into(), agency: None, api_key_id: None },
            grants,
            request_id: None,
        }
    }

    #[test]
    fn scopes_parse_and_print() {
        for s in ["city", "agency:SO-GTVT", "jurisdiction:26734"] {
            assert_eq!(Scope::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Scope::parse("agency:"), None);
        assert_eq!(Scope::parse("planet"), None);
    }

    #[test]
    fn agency_scope_covers_its_subtree_only() {
        let c = staff(vec![grant(Role::Staff, Scope::Agency("A".into()), &["A", "A1"])]);
        assert!(c.require_for(&[Role::Staff], &Target { agency: Some("A1"), jurisdiction: None }).is_ok());
        let e = c.require_for(&[Role::Staff], &Target { agency: Some("B"), jurisdiction: None }).unwrap_err();
        assert_eq!(e.status, http::StatusCode::FORBIDDEN);
        assert!(c.require_any(&[Role::Operator]).is_err());
        assert_eq!(c.agencies_for(&[Role::Staff]), Some(["A".to_string(), "A1".to_string()].into()));
    }

    #[test]
    fn admin_and_city_scope_cover_everything() {
        let admin = staff(vec![grant(Role::Admin, Scope::City, &[])]);
        assert!(admin.require_for(&[Role::Auditor], &Target { agency: Some("Z"), jurisdiction: None }).is_ok());
        assert_eq!(admin.agencies_for(&[Role::Staff]), None);
        let op = staff(vec![grant(Role::Operator, Scope::City, &[])]);
        assert!(op.require_for(&[Role::Operator], &Target { agency: Some("Z"), jurisdiction: Some("1") }).is_ok());
    }

    #[test]
    fn anonymous_gets_401_not_403() {
        let e = Caller::default().require_any(&[Role::Viewer]).unwrap_err();
        assert_eq!(e.status, http::StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn jurisdiction_scope() {
        let c = staff(vec![grant(Role::Staff, Scope::Jurisdiction("26734".into()), &[])]);
        assert!(c.has_for(&[Role::Staff], &Target { agency: None, jurisdiction: Some("26734") }));
        assert!(!c.has_for(&[Role::Staff], &Target { agency: None, jurisdiction: Some("26737") }));
    }
}
