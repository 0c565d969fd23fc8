//! Identity's HTTP routes: `/api/auth/*`, `/api/identity/*`,
//! `/api/jurisdictions*` and `/api/citizen/*`. Each handler states who may
//! call it in its first line.

use crate::auth::{Credentials, LoginRequest, SESSION_COOKIE};
use crate::citizens::CitizenAccount;
use crate::{Agency, Identity, Jurisdiction, LegacyUnit, NewAgency, NewUser, UserView};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use cityos_api::extract::{Json, Path, Query};
use cityos_api::{ApiError, Caller, Grant, Principal, Role, Scope};
use cityos_core::{Page, PageParams};
use http::{header, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// State of identity's routes.
#[derive(Debug, Clone)]
pub struct IdentityRoutes {
    /// The service.
    pub identity: Identity,
    /// Whether cookies carry `Secure`.
    pub cookie_secure: bool,
}

/// The CSRF token of the cookie session a request came with, if any (set by
/// the authentication middleware).
#[derive(Debug, Clone, Default)]
pub struct SessionCsrf(pub Option<String>);

/// Identity's routes with their OpenAPI descriptions.
pub fn router(state: IdentityRoutes) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(roles))
        .routes(routes!(list_users, create_user))
        .routes(routes!(add_grant))
        .routes(routes!(remove_grant))
        .routes(routes!(list_agencies, create_agency))
        .routes(routes!(list_jurisdictions))
        .routes(routes!(jurisdictions_geojson))
        .routes(routes!(locate))
        .routes(routes!(legacy))
        .routes(routes!(jurisdiction))
        .routes(routes!(citizen_code))
        .routes(routes!(citizen_verify))
        .routes(routes!(citizen_me, citizen_delete))
        .routes(routes!(citizen_export))
        .with_state(state)
}

/// A successful login.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for API calls.
    pub token: String,
    /// When the token expires.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// Echo this in `X-CSRF-Token` on state-changing requests made with the session cookie.
    pub csrf_token: String,
    /// The signed-in user.
    pub user: Me,
}

/// The caller as the console sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// User id.
    pub id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Always `staff` here (citizens use `/api/citizen/me`).
    pub kind: String,
    /// The user's agency.
    pub agency: Option<Agency>,
    /// Role grants.
    pub grants: Vec<Grant>,
    /// Whether TOTP is set up.
    pub mfa_enabled: bool,
    /// CSRF token of the current cookie session, if any.
    pub csrf_token: Option<String>,
}

async fn me_of(identity: &Identity, user_id: &str, csrf: Option<String>) -> Result<Me, ApiError> {
    let u: UserView = identity.user(user_id).await?.ok_or_else(ApiError::unauthorized)?;
    let agency = match &u.agency_code {
        Some(code) => identity.agencies().await?.into_iter().find(|a| &a.code == code),
        None => None,
    };
    Ok(Me {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        kind: "staff".into(),
        agency,
        grants: u.grants,
        mfa_enabled: u.mfa_enabled,
        csrf_token: csrf,
    })
}

fn session_cookie(value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let s =
        format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}", if secure { "; Secure" } else { "" });
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("cityos_session=; Path=/; Max-Age=0"))
}

/// Sign in (public). Returns a bearer token and sets the console session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "`invalid_credentials`, `mfa_required`, `mfa_invalid` or `mfa_enrollment_required`"), (status = 423, description = "`locked`")))]
async fn login(State(s): State<IdentityRoutes>, caller: Caller, Json(req): Json<LoginRequest>) -> Result<Response, ApiError> {
    let out = s.identity.login(&req, caller.request_id.clone()).await?;
    let me = me_of(&s.identity, &out.user_id, Some(out.csrf_token.clone())).await?;
    let max_age = (out.session_expires - s.identity.clock().now()).num_seconds();
    let mut resp =
        Json(LoginResponse { token: out.token, expires_at: out.token_expires, csrf_token: out.csrf_token, user: me }).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, session_cookie(&out.session, max_age, s.cookie_secure));
    Ok(resp)
}

/// Sign out (any signed-in caller): ends the session or token used.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204), (status = 401)), security(("bearer" = [])))]
async fn logout(State(s): State<IdentityRoutes>, caller: Caller, Extension(creds): Extension<Credentials>) -> Result<Response, ApiError> {
    if matches!(caller.principal, Principal::Anonymous) {
        return Err(ApiError::unauthorized());
    }
    if let Some(secret) = creds.bearer.as_ref().or(creds.session_cookie.as_ref()) {
        s.identity.logout(secret, &caller).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(header::SET_COOKIE, session_cookie("", 0, s.cookie_secure));
    Ok(resp)
}

/// The signed-in staff member (any staff).
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401)), security(("bearer" = [])))]
async fn me(State(s): State<IdentityRoutes>, caller: Caller, csrf: Option<Extension<SessionCsrf>>) -> Result<Json<Me>, ApiError> {
    let id = caller.require_staff()?;
    Ok(Json(me_of(&s.identity, id, csrf.and_then(|c| c.0 .0)).await?))
}

/// `POST /api/auth/password` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    /// The current password.
    pub current_password: String,
    /// The new password.
    pub new_password: String,
}

/// Change one's own password (any staff); ends all sessions.
#[utoipa::path(post, path = "/api/auth/password", tag = "auth", request_body = PasswordChange, responses((status = 204), (status = 401), (status = 422)), security(("bearer" = [])))]
async fn change_password(State(s): State<IdentityRoutes>, caller: Caller, Json(b): Json<PasswordChange>) -> Result<StatusCode, ApiError> {
    s.identity.change_password(&caller, &b.current_password, &b.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/api-keys` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiKey {
    /// What the key is for.
    pub name: String,
    /// Days until it expires (none: until revoked).
    pub expires_in_days: Option<i64>,
}

/// A new API key, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    /// Key id.
    pub id: String,
    /// The key: send it as `Authorization: Bearer <key>`, `Authorization: <key>`, `X-CKAN-API-Key` or Open311 `api_key`.
    pub key: String,
}

/// Create an API key acting as oneself (any staff).
#[utoipa::path(post, path = "/api/auth/api-keys", tag = "auth", request_body = NewApiKey, responses((status = 201, body = ApiKeyCreated), (status = 401)), security(("bearer" = [])))]
async fn create_api_key(
    State(s): State<IdentityRoutes>,
    caller: Caller,
    Json(b): Json<NewApiKey>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    let (id, key) = s.identity.create_api_key(&caller, &b.name, b.expires_in_days).await?;
    Ok((StatusCode::CREATED, Json(ApiKeyCreated { id, key })))
}

/// One's own API keys (any staff).
#[utoipa::path(get, path = "/api/auth/api-keys", tag = "auth", responses((status = 200, body = Items<crate::auth::ApiKeyInfo>), (status = 401)), security(("bearer" = [])))]
async fn list_api_keys(State(s): State<IdentityRoutes>, caller: Caller) -> Result<Json<Items<crate::auth::ApiKeyInfo>>, ApiError> {
    Ok(Json(Items { items: s.identity.api_keys(&caller).await? }))
}

/// Revoke one of one's own API keys (any staff).
#[utoipa::path(delete, path = "/api/auth/api-keys/{id}", tag = "auth", params(("id" = String, Path)), responses((status = 204), (status = 404)), security(("bearer" = [])))]
async fn revoke_api_key(State(s): State<IdentityRoutes>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    s.identity.revoke_api_key(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A role with its names and description.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleInfo {
    /// Wire name.
    pub role: Role,
    /// Vietnamese name.
    pub name_vi: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// Vietnamese description.
    pub description_vi: &'static str,
    /// English description.
    pub description_en: &'static str,
    /// Whether holders must use multi-factor login.
    pub requires_mfa: bool,
}

/// A list wrapper.
#[derive(Debug, Serialize, ToSchema)]
pub struct Items<T> {
    /// The items.
    pub items: Vec<T>,
}

fn role_info(r: Role) -> RoleInfo {
    let (name_vi, name_en, description_vi, description_en) = match r {
        Role::Admin => ("Quản trị hệ thống", "Administrator", "Quản trị toàn bộ hệ thống", "Administers the whole system"),
        Role::AgencyAdmin => (
            "Quản trị cơ quan",
            "Agency administrator",
            "Quản lý người dùng và thiết lập của cơ quan",
            "Manages an agency's users and settings",
        ),
        Role::DataOfficer => {
            ("Cán bộ dữ liệu", "Data officer", "Quản lý tập dữ liệu và phê duyệt chia sẻ", "Manages datasets and sharing approvals")
        }
        Role::Operator => (
            "Điều hành viên",
            "Operator",
            "Trung tâm điều hành và tổng đài 1022: phân loại, điều phối",
            "Operations centre and 1022 call centre: triage and dispatch",
        ),
        Role::Staff => (
            "Cán bộ xử lý",
            "Staff",
            "Xử lý phản ánh, sự cố, tài sản và dữ liệu được giao",
            "Handles assigned reports, incidents, assets and datasets",
        ),
        Role::Analyst => ("Chuyên viên phân tích", "Analyst", "Chỉ tiêu và dự báo", "Indicators and forecasts"),
        Role::Auditor => ("Kiểm toán viên", "Auditor", "Xem nhật ký kiểm toán", "Reads the audit log"),
        Role::Viewer => ("Người xem", "Viewer", "Xem dữ liệu trong phạm vi được cấp", "Reads what the scope allows"),
    };
    RoleInfo { role: r, name_vi, name_en, description_vi, description_en, requires_mfa: r.requires_mfa() }
}

/// The roles (any staff).
#[utoipa::path(get, path = "/api/identity/roles", tag = "identity", responses((status = 200, body = Items<RoleInfo>), (status = 401)), security(("bearer" = [])))]
async fn roles(caller: Caller) -> Result<Json<Items<RoleInfo>>, ApiError> {
    caller.require_staff()?;
    Ok(Json(Items { items: Role::ALL.into_iter().map(role_info).collect() }))
}

/// User search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of a username or display name.
    pub q: Option<String>,
    /// Page (1-based).
    pub page: Option<u32>,
    /// Per page.
    pub per_page: Option<u32>,
}

/// Users one manages (admin: all; agency_admin: their agencies'). Audited.
#[utoipa::path(get, path = "/api/identity/users", tag = "identity", params(UserQuery), responses((status = 200, body = Page<UserView>), (status = 401), (status = 403)), security(("bearer" = [])))]
async fn list_users(State(s): State<IdentityRoutes>, caller: Caller, Query(q): Query<UserQuery>) -> Result<Json<Page<UserView>>, ApiError> {
    let page = PageParams { page: q.page, per_page: q.per_page };
    Ok(Json(s.identity.users(&caller, q.q.as_deref(), &page).await?))
}

/// Create a user (admin; agency_admin for their agencies).
#[utoipa::path(post, path = "/api/identity/users", tag = "identity", request_body = NewUser, responses((status = 201, body = UserView), (status = 403), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_user(
    State(s): State<IdentityRoutes>,
    caller: Caller,
    Json(b): Json<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    caller.require_any(&[Role::AgencyAdmin])?;
    Ok((StatusCode::CREATED, Json(s.identity.create_user(Some(&caller), &b).await?)))
}

/// `POST /api/identity/users/{id}/grants` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewGrant {
    /// The role.
    pub role: Role,
    /// Where it applies: `{"kind":"city"}`, `{"kind":"agency","code":…}` or `{"kind":"jurisdiction","code":…}`.
    pub scope: Scope,
}

/// Grant a role (admin; agency_admin inside their scope, not admin/auditor).
#[utoipa::path(post, path = "/api/identity/users/{id}/grants", tag = "identity", params(("id" = String, Path)), request_body = NewGrant, responses((status = 201, body = Grant), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn add_grant(
    State(s): State<IdentityRoutes>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<NewGrant>,
) -> Result<(StatusCode, Json<Grant>), ApiError> {
    caller.require_any(&[Role::AgencyAdmin])?;
    Ok((StatusCode::CREATED, Json(s.identity.grant(Some(&caller), &id, b.role, &b.scope).await?)))
}

/// Revoke a grant (same rules as granting).
#[utoipa::path(delete, path = "/api/identity/users/{id}/grants/{grant_id}", tag = "identity", params(("id" = String, Path), ("grant_id" = String, Path)), responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn remove_grant(
    State(s): State<IdentityRoutes>,
    caller: Caller,
    Path((id, grant_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require_any(&[Role::AgencyAdmin])?;
    s.identity.revoke(&caller, &id, &grant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Agencies (public: who is responsible is public information, and the portal names units with it).
#[utoipa::path(get, path = "/api/identity/agencies", tag = "identity", responses((status = 200, body = Items<Agency>)))]
async fn list_agencies(State(s): State<IdentityRoutes>) -> Result<Json<Items<Agency>>, ApiError> {
    Ok(Json(Items { items: s.identity.agencies().await? }))
}

/// Create an agency (admin).
#[utoipa::path(post, path = "/api/identity/agencies", tag = "identity", request_body = NewAgency, responses((status = 201, body = Agency), (status = 403), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_agency(
    State(s): State<IdentityRoutes>,
    caller: Caller,
    Json(b): Json<NewAgency>,
) -> Result<(StatusCode, Json<Agency>), ApiError> {
    caller.require_any(&[Role::Admin])?;
    s.identity.create_agency(Some(&caller), &b).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

/// The city and its wards, communes and special zone (public).
#[utoipa::path(get, path = "/api/jurisdictions", tag = "jurisdictions", responses((status = 200, body = Items<Jurisdiction>)))]
async fn list_jurisdictions(State(s): State<IdentityRoutes>) -> Result<Json<Items<Jurisdiction>>, ApiError> {
    Ok(Json(Items { items: s.identity.jurisdictions().await? }))
}

/// Ward boundaries as GeoJSON (public). `properties.illustrative` tells whether they are official.
#[utoipa::path(get, path = "/api/jurisdictions/geojson", tag = "jurisdictions", responses((status = 200, description = "GeoJSON FeatureCollection", content_type = "application/geo+json")))]
async fn jurisdictions_geojson(State(s): State<IdentityRoutes>) -> Result<Response, ApiError> {
    let body = s.identity.jurisdictions_geojson().await?;
    let mut resp = axum::Json(body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json"));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(resp)
}

/// A point.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LatLon {
    /// Latitude (WGS84).
    pub lat: f64,
    /// Longitude (WGS84).
    pub lon: f64,
}

/// The ward containing a point (public).
#[utoipa::path(get, path = "/api/jurisdictions/locate", tag = "jurisdictions", params(LatLon), responses((status = 200, body = Jurisdiction), (status = 404), (status = 422)))]
async fn locate(State(s): State<IdentityRoutes>, Query(p): Query<LatLon>) -> Result<Json<Jurisdiction>, ApiError> {
    s.identity.locate(p.lat, p.lon).await?.map(Json).ok_or_else(|| ApiError::not_found("no ward contains this point"))
}

/// Search text.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TextQuery {
    /// Name (any diacritics) or code.
    pub q: String,
}

/// Former (pre-1 July 2025) units and what they became (public).
#[utoipa::path(get, path = "/api/jurisdictions/legacy", tag = "jurisdictions", params(TextQuery), responses((status = 200, body = Items<LegacyUnit>)))]
async fn legacy(State(s): State<IdentityRoutes>, Query(q): Query<TextQuery>) -> Result<Json<Items<LegacyUnit>>, ApiError> {
    Ok(Json(Items { items: s.identity.legacy_units(&q.q, 50).await? }))
}

/// One jurisdiction (public).
#[utoipa::path(get, path = "/api/jurisdictions/{code}", tag = "jurisdictions", params(("code" = String, Path)), responses((status = 200, body = Jurisdiction), (status = 404)))]
async fn jurisdiction(State(s): State<IdentityRoutes>, Path(code): Path<String>) -> Result<Json<Jurisdiction>, ApiError> {
    s.identity.jurisdiction(&code).await?.map(Json).ok_or_else(|| ApiError::not_found(format!("no jurisdiction {code}")))
}

/// `POST /api/citizen/code` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// Phone number or e-mail address.
    pub contact: String,
    /// `vi` (default) or `en`.
    pub locale: Option<String>,
}

/// Send a citizen a one-time sign-in code (public, rate-limited).
#[utoipa::path(post, path = "/api/citizen/code", tag = "citizen", request_body = CodeRequest, responses((status = 202), (status = 422), (status = 429)))]
async fn citizen_code(State(s): State<IdentityRoutes>, caller: Caller, Json(b): Json<CodeRequest>) -> Result<StatusCode, ApiError> {
    s.identity.request_citizen_code(&b.contact, b.locale.as_deref().unwrap_or("vi"), caller.request_id.clone()).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `POST /api/citizen/verify` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// Phone number or e-mail address.
    pub contact: String,
    /// The code received.
    pub code: String,
    /// Name to show, on sign-up.
    pub display_name: Option<String>,
    /// `vi` (default) or `en`.
    pub locale: Option<String>,
}

/// A citizen session.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenSession {
    /// Citizen id.
    pub citizen_id: String,
    /// Bearer token.
    pub token: String,
    /// Expiry.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Sign a citizen up or in with their code (public).
#[utoipa::path(post, path = "/api/citizen/verify", tag = "citizen", request_body = VerifyRequest, responses((status = 200, body = CitizenSession), (status = 401)))]
async fn citizen_verify(
    State(s): State<IdentityRoutes>,
    caller: Caller,
    Json(b): Json<VerifyRequest>,
) -> Result<Json<CitizenSession>, ApiError> {
    let (citizen_id, token, expires_at) = s
        .identity
        .verify_citizen_code(&b.contact, &b.code, b.display_name.as_deref(), b.locale.as_deref().unwrap_or("vi"), caller.request_id.clone())
        .await?;
    Ok(Json(CitizenSession { citizen_id, token, expires_at }))
}

/// The signed-in citizen's account (that citizen only).
#[utoipa::path(get, path = "/api/citizen/me", tag = "citizen", responses((status = 200, body = CitizenAccount), (status = 401)), security(("bearer" = [])))]
async fn citizen_me(State(s): State<IdentityRoutes>, caller: Caller) -> Result<Json<CitizenAccount>, ApiError> {
    Ok(Json(s.identity.citizen_account(&caller).await?))
}

/// Export everything held about the signed-in citizen (that citizen only).
#[utoipa::path(get, path = "/api/citizen/me/export", tag = "citizen", responses((status = 200, description = "JSON export"), (status = 401)), security(("bearer" = [])))]
async fn citizen_export(State(s): State<IdentityRoutes>, caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(s.identity.citizen_export(&caller).await?))
}

/// Delete the signed-in citizen's account (that citizen only).
#[utoipa::path(delete, path = "/api/citizen/me", tag = "citizen", responses((status = 204), (status = 401)), security(("bearer" = [])))]
async fn citizen_delete(State(s): State<IdentityRoutes>, caller: Caller) -> Result<StatusCode, ApiError> {
    s.identity.delete_citizen(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}
