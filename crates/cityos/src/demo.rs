//! The demo city: Ho Chi Minh City since 1 July 2025 with its 168 wards,
//! communes and special zone (illustrative areas), a few real-world agencies
//! and one user per role. Idempotent: run it as often as you like.

use anyhow::Result;
use cityos_api::{ApiError, Role, Scope};
use cityos_core::Clock as _;
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
    ("SO-CT", "Sở Công Thương", "Department of Industry and Trade", "department", Some("UBND-TP"), Some("79")),
    ("EVNHCMC", "Tổng công ty Điện lực TP.HCM", "Ho Chi Minh City Power Corporation", "utility", Some("UBND-TP"), Some("79")),
    ("SAWACO", "Tổng Công ty Cấp nước Sài Gòn", "Saigon Water Corporation", "utility", Some("UBND-TP"), Some("79")),
    (
        "UDC",
        "Công ty TNHH MTV Thoát nước và Phát triển đô thị TP.HCM",
        "Ho Chi Minh City Urban Drainage Company",
        "utility",
        Some("UBND-TP"),
        Some("79"),
    ),
    ("VNPT-HCM", "VNPT TP. Hồ Chí Minh", "VNPT Ho Chi Minh City", "utility", Some("UBND-TP"), Some("79")),
    ("BUUDIEN-HCM", "Bưu điện TP. Hồ Chí Minh", "Ho Chi Minh City Post", "utility", Some("UBND-TP"), Some("79")),
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

/// Seeds the forecasting centre's illustrative indicators (idempotent).
///
/// # Errors
/// Database failure.
pub async fn seed_forecast(identity: &Identity) -> Result<()> {
    let centre = cityos_forecast::ForecastCentre::new(identity.db().clone(), identity.clock().clone(), identity.clone());
    let added = cityos_forecast::demo::seed_demo(&centre).await.map_err(|e| anyhow::anyhow!("{}", ApiError::from(e)))?;
    if added > 0 {
        tracing::info!(added, "seeded the forecasting centre's illustrative indicators");
    }
    Ok(())
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

/// Gives every ward, commune and special zone a People's Committee agency
/// (the unit 1022 routes to by default). Returns how many were added.
async fn seed_ward_committees(identity: &Identity) -> Result<usize> {
    let agencies = identity.agencies().await.map_err(api)?;
    let mut added = 0;
    for j in identity.jurisdictions().await.map_err(api)?.into_iter().filter(|j| j.level == 2) {
        if agencies.iter().any(|a| a.jurisdiction_code.as_deref() == Some(j.code.as_str()) && a.kind == "ward_committee") {
            continue;
        }
        let lower_type = match j.division_type.as_str() {
            "đặc khu" => "đặc khu",
            "xã" => "xã",
            _ => "phường",
        };
        let place = j.name.strip_prefix(&format!("{} ", capitalise(lower_type))).unwrap_or(&j.name).to_string();
        let a = Agency {
            code: format!("UBND-{}", j.code),
            name_vi: format!("Ủy ban nhân dân {lower_type} {place}"),
            name_en: format!("People's Committee of {}", j.name),
            kind: "ward_committee".into(),
            parent_code: Some("UBND-TP".into()),
            jurisdiction_code: Some(j.code.clone()),
        };
        identity.create_agency(None, &a).await.map_err(api)?;
        added += 1;
    }
    Ok(added)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Report texts per category: (category, description, street).
pub(crate) const REPORTS: &[(&str, &str)] = &[
    ("ROADS.POTHOLE", "Mặt đường có ổ gà lớn, xe máy dễ té ngã, nhất là buổi tối"),
    ("ROADS.POTHOLE", "Đường bị lún sụp sau đợt mưa, nước đọng thành vũng sâu"),
    ("ROADS.SIDEWALK", "Gạch vỉa hè bị bong tróc, người đi bộ phải đi xuống lòng đường"),
    ("LIGHTING.OUT", "Cả dãy đèn đường không sáng mấy ngày nay, rất tối và mất an toàn"),
    ("LIGHTING.OUT", "Đèn đường chập chờn, lúc sáng lúc tắt"),
    ("DRAINAGE.FLOOD", "Mưa lớn là ngập sâu nửa bánh xe, nước rút rất chậm"),
    ("DRAINAGE.FLOOD", "Triều cường gây ngập nước vào nhà dân trong hẻm"),
    ("DRAINAGE.BLOCKED", "Hố ga mất nắp, rất nguy hiểm cho người đi đường"),
    ("DRAINAGE.BLOCKED", "Cống nghẹt bốc mùi hôi, nước không thoát được"),
    ("WASTE.DUMP", "Có người đổ xà bần và rác thải ra lề đường vào ban đêm"),
    ("WASTE.COLLECT", "Ba ngày nay xe rác không đến thu gom, rác tồn đọng bốc mùi"),
    ("TREES.FALLEN", "Cây xanh bị gãy nhánh lớn sau cơn mưa, đè lên vỉa hè"),
    ("TREES.FALLEN", "Cây nghiêng nhiều, có nguy cơ ngã vào nhà dân"),
    ("TRAFFIC.SIGNAL", "Đèn tín hiệu giao thông ở giao lộ bị hỏng, xe cộ lộn xộn"),
    ("TRAFFIC.JAM", "Giờ cao điểm kẹt xe kéo dài, cần điều tiết giao thông"),
    ("ORDER.ENCROACH", "Quán ăn lấn chiếm hết vỉa hè, đậu xe tràn xuống lòng đường"),
    ("NOISE.LOUD", "Nhà bên cạnh hát karaoke ồn ào đến khuya"),
    ("CONSTRUCTION.ILLEGAL", "Công trình đang xây dựng lấn ra hẻm, nghi sai phép"),
    ("WATER.OUTAGE", "Khu vực bị mất nước từ sáng, chưa có thông báo"),
    ("WATER.LEAK", "Ống nước bị vỡ, nước xịt lên mặt đường"),
    ("POWER.OUTAGE", "Mất điện cả khu phố từ chiều chưa có lại"),
    ("POWER.WIRE", "Dây điện bị võng thấp sát đầu người đi đường"),
    ("ADMIN.DELAY", "Hồ sơ cấp giấy phép nộp đã quá hẹn nhưng chưa có kết quả"),
];

pub(crate) const STREETS: &[&str] = &[
    "Nguyễn Huệ",
    "Lê Lợi",
    "Điện Biên Phủ",
    "Cách Mạng Tháng Tám",
    "Võ Văn Tần",
    "Nguyễn Thị Minh Khai",
    "Trần Hưng Đạo",
    "Hai Bà Trưng",
    "Pasteur",
    "Lý Thường Kiệt",
    "Nguyễn Văn Cừ",
    "Phan Đăng Lưu",
    "Quang Trung",
    "Lê Văn Sỹ",
    "Âu Cơ",
    "Kinh Dương Vương",
    "Huỳnh Tấn Phát",
    "Phạm Văn Đồng",
    "Võ Văn Ngân",
    "Đại lộ Bình Dương",
    "Thùy Vân",
    "Lê Hồng Phong",
];

/// A few hundred realistic reports across wards in every state, filed over
/// the last 45 days with a moving clock, then handled like a real unit would.
async fn seed_reports(
    db: &cityos_store::Db,
    identity: &Identity,
    calendar: std::sync::Arc<cityos_calendar::HolidayCalendar>,
    n: usize,
) -> Result<usize> {
    use cityos_feedback::{Feedback, NewReport, Reporter, Status, Transition};
    use rand::{Rng, SeedableRng};
    let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reports").fetch_one(db.reader()).await?.try_get("n")?;
    if existing > 0 {
        return Ok(0);
    }
    let start = cityos_core::SystemClock.now() - chrono::Duration::days(45);
    let clock = cityos_core::ManualClock::new(start);
    let shared: cityos_core::SharedClock = std::sync::Arc::new(clock.clone());
    let fb = Feedback::new(db.clone(), shared, calendar, identity.clone(), "http://127.0.0.1:8080");
    let wards: Vec<cityos_identity::Jurisdiction> =
        identity.jurisdictions().await.map_err(api)?.into_iter().filter(|j| j.level == 2 && j.lat.is_some()).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1022);
    let operator = system_operator();
    let citizen = cityos_api::Caller::default();
    let mut previous: Option<String> = None;
    let step = chrono::Duration::minutes(i64::try_from(45 * 24 * 60 / n.max(1)).unwrap_or(60));
    for i in 0..n {
        // Each report is filed at its own moment; handling below never runs past now.
        clock.set(start + step * i32::try_from(i).unwrap_or(0));
        let (cat, text) = REPORTS[rng.gen_range(0..REPORTS.len())];
        let street = STREETS[rng.gen_range(0..STREETS.len())];
        // Most reports come from the dense city core.
        let ward = &wards[if rng.gen_bool(0.7) { rng.gen_range(0..wards.len().min(100)) } else { rng.gen_range(0..wards.len()) }];
        let unclear = i % 17 == 0;
        let new = NewReport {
            channel: cityos_feedback::Channel::Web,
            category_code: if i % 5 == 0 { None } else { Some(cat.into()) },
            description: format!("{text} (đường {street})"),
            lat: (!unclear).then(|| ward.lat.unwrap_or(10.77) + rng.gen_range(-0.0008..0.0008)),
            lon: (!unclear).then(|| ward.lon.unwrap_or(106.70) + rng.gen_range(-0.0008..0.0008)),
            address: Some(if unclear { format!("Đường {street}") } else { format!("Đường {street}, {}", ward.name) }),
            reporter: Reporter { name: None, phone: None, email: None },
            anonymous: rng.gen_bool(0.3),
            external_id: None,
            locale: Some("vi".into()),
        };
        let r = fb.create_report(&citizen, &new).await.map_err(|e| anyhow::anyhow!("{}", ApiError::from(e)))?;
        if r.status != Status::Forwarded {
            continue;
        }
        let fail = |e: cityos_feedback::FeedbackError| anyhow::anyhow!("{}", ApiError::from(e));
        // Some reports repeat an earlier one nearby: the operator merges them.
        if i % 23 == 7 {
            if let Some(prev) = &previous {
                let change = Transition { status: Status::Duplicate, duplicate_of: Some(prev.clone()), ..Transition::default() };
                fb.transition(&operator, &r.id, &change).await.map_err(fail)?;
                continue;
            }
        }
        previous = Some(r.id.clone());
        // Age decides how far a report has got; a few are left overdue on purpose.
        let age_days = (n - i) * 45 / n;
        let path: &[Status] = match (age_days, i % 11) {
            (_, 0) => &[Status::Rejected],
            (0..=2, _) => &[],
            (3..=6, _) => &[Status::Acknowledged],
            (7..=12, 1 | 2) => &[Status::Acknowledged],
            (7..=12, _) => &[Status::Acknowledged, Status::InProgress],
            (_, 4) => &[Status::Acknowledged],
            _ => &[Status::Acknowledged, Status::InProgress, Status::Resolved],
        };
        let mut reached = Status::Forwarded;
        for s in path {
            clock.advance(chrono::Duration::hours(rng.gen_range(2..30)));
            if clock.now() > cityos_core::SystemClock.now() {
                break;
            }
            let text = match s {
                Status::Resolved => Some(format!("Đơn vị đã khắc phục xong sự cố tại đường {street}. Cảm ơn người dân đã phản ánh.")),
                Status::Rejected => {
                    Some("Nội dung không thuộc phạm vi xử lý của đơn vị; đã hướng dẫn người dân liên hệ cơ quan có thẩm quyền.".into())
                }
                _ => None,
            };
            let change = Transition { status: *s, text, ..Transition::default() };
            fb.transition(&operator, &r.id, &change).await.map_err(fail)?;
            reached = *s;
        }
        // The reporting citizen answers "is it really fixed?" on most resolved reports.
        if reached == Status::Resolved && i % 3 != 2 {
            let resident = demo_citizen(&r.id);
            sqlx::query("UPDATE reports SET reporter_citizen_id = $1 WHERE id = $2")
                .bind(resident.actor().trim_start_matches("citizen:"))
                .bind(&r.id)
                .execute(db.writer())
                .await?;
            clock.advance(chrono::Duration::hours(rng.gen_range(1..48)));
            if clock.now() <= cityos_core::SystemClock.now() {
                let fixed = i % 11 != 3;
                let rating = fixed.then(|| rng.gen_range(3_i64..=5)).or(Some(1));
                let comment = if fixed { "Cảm ơn đơn vị đã xử lý nhanh" } else { "Vẫn chưa được khắc phục" };
                fb.citizen_feedback(&resident, &r.tracking_code, fixed, rating, Some(comment)).await.map_err(fail)?;
            }
        }
    }
    Ok(n)
}

/// A demo resident who filed one report (a pseudonymous id, no account data).
fn demo_citizen(report_id: &str) -> cityos_api::Caller {
    cityos_api::Caller {
        principal: cityos_api::Principal::Citizen {
            citizen_id: format!("demo-resident-{}", &report_id[report_id.len().saturating_sub(8)..]),
        },
        grants: Vec::new(),
        request_id: None,
    }
}

fn system_operator() -> cityos_api::Caller {
    cityos_api::Caller {
        principal: cityos_api::Principal::Staff { user_id: "demo".into(), username: "demo".into(), agency: None, api_key_id: None },
        grants: vec![cityos_api::ResolvedGrant { role: Role::Operator, scope: Scope::City, agencies: None, jurisdictions: None }],
        request_id: None,
    }
}

/// Seeds the 1022 part of the demo city: a People's Committee for every
/// ward, the default categories and `reports` demo reports.
///
/// # Errors
/// Database failure.
pub async fn seed_feedback(
    db: &cityos_store::Db,
    identity: &Identity,
    calendar: std::sync::Arc<cityos_calendar::HolidayCalendar>,
    reports: usize,
) -> Result<()> {
    let committees = seed_ward_committees(identity).await?;
    let fb =
        cityos_feedback::Feedback::new(db.clone(), identity.clock().clone(), calendar.clone(), identity.clone(), "http://127.0.0.1:8080");
    let cats = fb.seed_default_categories().await.map_err(|e| anyhow::anyhow!("{}", ApiError::from(e)))?;
    let reports = if reports > 0 { seed_reports(db, identity, calendar, reports).await? } else { 0 };
    if committees + cats + reports > 0 {
        tracing::info!(committees, categories = cats, reports, "seeded the 1022 demo");
    }
    Ok(())
}
