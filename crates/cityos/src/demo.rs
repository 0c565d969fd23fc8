//! The demo city: Ho Chi Minh City since 1 July 2025 with its 168 wards,
//! communes and special zone (illustrative areas), a few real-world agencies
//! and one user per role. Idempotent: run it as often as you like.

use anyhow::Result;
use cityos_api::{ApiError, Role, Scope};
use cityos_identity::{Agency, Identity, NewUser};
use sqlx::Row as _;

/// A demo login to print.
#[derive(Debug)]
pub struct DemoLogin {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// The one role granted.
    pub role: Role,
    /// Its scope.
    pub scope: Scope,
    /// TOTP secret, for roles that require a second factor.
    pub totp_secret: Option<String>,
}

/// (code, Vietnamese name, English name, kind, parent, jurisdiction)
type AgencySeed = (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, Option<&'static str>);

const AGENCIES: &[AgencySeed] = &[
    ("UBND-TP", "Ủy ban nhân dân Thành phố Hồ Chí Minh", "Ho Chi Minh City People's Committee", "city", None, Some("79")),
    ("SO-KHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology", "department", Some("UBND-TP"), Some("79")),
    ("IOC", "Trung tâm Điều hành Đô thị thông minh", "Smart City Operations Centre", "service", Some("SO-KHCN"), Some("79")),
    ("SO-XD", "Sở Xây dựng", "Department of Construction", "department", Some("UBND-TP"), Some("79")),
    ("SO-YT", "Sở Y tế", "Department of Health", "department", Some("UBND-TP"), Some("79")),
    ("SO-GDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training", "department", Some("UBND-TP"), Some("79")),
    ("SO-NNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment", "department", Some("UBND-TP"), Some("79")),
    ("SO-TC", "Sở Tài chính", "Department of Finance", "department", Some("UBND-TP"), Some("79")),
    ("EVNHCMC", "Tổng công ty Điện lực TP.HCM", "Ho Chi Minh City Power Corporation", "utility", Some("UBND-TP"), Some("79")),
    ("SAWACO", "Tổng Công ty Cấp nước Sài Gòn", "Saigon Water Corporation", "utility", Some("UBND-TP"), Some("79")),
    (
        "UBND-P-SAIGON",
        "Ủy ban nhân dân phường Sài Gòn",
        "Sai Gon Ward People's Committee",
        "ward_committee",
        Some("UBND-TP"),
        Some("26740"),
    ),
    (
        "UBND-P-BENTHANH",
        "Ủy ban nhân dân phường Bến Thành",
        "Ben Thanh Ward People's Committee",
        "ward_committee",
        Some("UBND-TP"),
        Some("26743"),
    ),
    (
        "UBND-P-THUDAUMOT",
        "Ủy ban nhân dân phường Thủ Dầu Một",
        "Thu Dau Mot Ward People's Committee",
        "ward_committee",
        Some("UBND-TP"),
        Some("25747"),
    ),
    (
        "UBND-DK-CONDAO",
        "Ủy ban nhân dân đặc khu Côn Đảo",
        "Con Dao Special Zone People's Committee",
        "ward_committee",
        Some("UBND-TP"),
        Some("26732"),
    ),
];

/// (username, display name, agency, role, scope)
const USERS: &[(&str, &str, &str, Role, &str)] = &[
    ("admin", "Quản trị hệ thống", "SO-KHCN", Role::Admin, "city"),
    ("agency_admin", "Trần Thị Quản Trị (Sở Xây dựng)", "SO-XD", Role::AgencyAdmin, "agency:SO-XD"),
    ("data_officer", "Lê Văn Dữ Liệu (Sở Y tế)", "SO-YT", Role::DataOfficer, "agency:SO-YT"),
    ("operator", "Nguyễn Văn Điều Hành", "IOC", Role::Operator, "city"),
    ("staff", "Phạm Thị Xử Lý (Phường Sài Gòn)", "UBND-P-SAIGON", Role::Staff, "agency:UBND-P-SAIGON"),
    ("analyst", "Võ Minh Phân Tích", "SO-TC", Role::Analyst, "city"),
    ("auditor", "Đặng Thu Kiểm Toán", "UBND-TP", Role::Auditor, "city"),
    ("viewer", "Hoàng Văn Xem", "SO-GDDT", Role::Viewer, "agency:SO-GDDT"),
];

/// The demo password of a demo user (printed at start; change them before real use).
pub fn demo_password(username: &str) -> String {
    format!("{username}-demo-2025")
}

fn api(e: cityos_identity::IdentityError) -> anyhow::Error {
    anyhow::anyhow!("{}", ApiError::from(e))
}

/// Seeds the demo city and returns the logins to print.
///
/// # Errors
/// Database failure.
pub async fn seed(identity: &Identity) -> Result<Vec<DemoLogin>> {
    let added = identity.seed_reference().await.map_err(api)?;
    if added > 0 {
        tracing::info!(added, "seeded Ho Chi Minh City jurisdictions");
    }
    let existing: Vec<String> = identity.agencies().await.map_err(api)?.into_iter().map(|a| a.code).collect();
    for (code, vi, en, kind, parent, jur) in AGENCIES {
        if existing.iter().any(|c| c == code) {
            continue;
        }
        let a = Agency {
            code: (*code).into(),
            name_vi: (*vi).into(),
            name_en: (*en).into(),
            kind: (*kind).into(),
            parent_code: parent.map(Into::into),
            jurisdiction_code: jur.map(Into::into),
        };
        identity.create_agency(None, &a).await.map_err(api)?;
    }
    let mut logins = Vec::new();
    for (username, display, agency, role, scope) in USERS {
        let scope = Scope::parse(scope).ok_or_else(|| anyhow::anyhow!("bad demo scope"))?;
        let id = match identity.user_id(username).await.map_err(api)? {
            Some(id) => id,
            None => {
                let u = identity
                    .create_user(
                        None,
                        &NewUser {
                            username: (*username).into(),
                            display_name: (*display).into(),
                            password: demo_password(username),
                            agency_code: Some((*agency).into()),
                        },
                    )
                    .await
                    .map_err(api)?;
                identity.grant(None, &u.id, *role, &scope).await.map_err(api)?;
                u.id
            }
        };
        let secret: Option<String> = if role.requires_mfa() {
            let row = sqlx::query("SELECT totp_secret FROM users WHERE id = $1").bind(&id).fetch_one(identity.db().reader()).await?;
            let s: Option<String> = row.try_get("totp_secret")?;
            if let Some(s) = &s {
                // The demo prints the secret, so MFA is on from the start.
                identity.set_totp_secret(&id, s, true).await.map_err(api)?;
            }
            s
        } else {
            None
        };
        logins.push(DemoLogin { username: (*username).into(), password: demo_password(username), role: *role, scope, totp_secret: secret });
    }
    Ok(logins)
}

/// Prints the URL and the demo logins.
pub fn print_banner(url: &str, logins: &[DemoLogin]) {
    println!();
    println!("CityOS demo — Thành phố Hồ Chí Minh (168 phường, xã, đặc khu; ranh giới minh họa / illustrative ward areas)");
    println!("  Console:  {url}/");
    println!("  API docs: {url}/api/docs");
    println!();
    println!("  {:<14} {:<26} {:<14} {:<22} TOTP secret (authenticator app)", "username", "password", "role", "scope");
    for l in logins {
        println!(
            "  {:<14} {:<26} {:<14} {:<22} {}",
            l.username,
            l.password,
            l.role.as_str(),
            l.scope.to_string(),
            l.totp_secret.as_deref().unwrap_or("-")
        );
    }
    println!();
    println!("  Demo passwords are public: change them (or use a fresh data directory) before any real use.");
    println!();
}
