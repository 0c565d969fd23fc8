//! `cityos bench …`: data generators for the benchmarks in docs/BENCHMARKS.md.
//! They write realistic bulk data straight into the module tables (one
//! prepared statement per row, in large transactions), far faster than the
//! API, so that read benchmarks run at realistic sizes.

use anyhow::Result;
use cityos_core::{new_id, to_millis, SharedClock};
use cityos_store::{Backend, Db};
use rand::{Rng, SeedableRng};
use sqlx::Row as _;

/// Inserts `count` reports spread over the last year, across every ward and
/// category, with `open_in_one_unit` of them open in one unit (`UBND-26740`'s
/// queue, Phường Sài Gòn's People's Committee), and indexes them for search.
/// Returns the seconds taken.
///
/// # Errors
/// Database failure.
pub async fn seed_reports(db: &Db, clock: &SharedClock, count: usize, open_in_one_unit: usize) -> Result<f64> {
    let started = std::time::Instant::now();
    let wards: Vec<(String, f64, f64)> =
        sqlx::query("SELECT code, lat, lon FROM jurisdictions WHERE level = 2 AND lat IS NOT NULL ORDER BY code")
            .fetch_all(db.reader())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("code")?, r.try_get("lat")?, r.try_get("lon")?)))
            .collect::<Result<_, sqlx::Error>>()?;
    anyhow::ensure!(!wards.is_empty(), "no wards: run `cityos demo` on this data directory first");
    let now = to_millis(clock.now());
    let year_ms: i64 = 365 * 24 * 3600 * 1000;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut tx = db.begin().await?;
    for i in 0..count {
        let (cat, text) = crate::demo::REPORTS[rng.gen_range(0..crate::demo::REPORTS.len())];
        let street = crate::demo::STREETS[rng.gen_range(0..crate::demo::STREETS.len())];
        let (ward, lat, lon) = &wards[rng.gen_range(0..wards.len())];
        let in_unit = i < open_in_one_unit;
        let ward = if in_unit { "26740" } else { ward.as_str() };
        let agency = format!("UBND-{ward}");
        // The unit's open queue is recent (not yet overdue); the history is a year of handled reports.
        let received = if in_unit { now - rng.gen_range(0..7 * 24 * 3600 * 1000) } else { now - rng.gen_range(0..year_ms) };
        let status = if in_unit { "forwarded" } else { ["closed", "closed", "closed", "resolved", "rejected"][rng.gen_range(0..5)] };
        let description = format!("{text} (đường {street}, số {})", rng.gen_range(1..500));
        let search = cityos_text::tokens(&format!("{description} Đường {street}")).join(" ");
        let rid: i64 = sqlx::query(
            "INSERT INTO reports (id, tracking_code, channel, category_code, description, search, lat, lon, address, jurisdiction_code, agency_code,
               status, anonymous, locale, received_at, forwarded_at, due_at, updated_at)
             VALUES ($1, $2, 'web', $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 'vi', $12, $12, $13, $12) RETURNING rid",
        )
        .bind(new_id())
        .bind(format!("B-{i:08}"))
        .bind(cat)
        .bind(&description)
        .bind(&search)
        .bind(lat + rng.gen_range(-0.003..0.003))
        .bind(lon + rng.gen_range(-0.003..0.003))
        .bind(format!("Đường {street}"))
        .bind(ward)
        .bind(&agency)
        .bind(status)
        .bind(received)
        .bind(received + 14 * 24 * 3600 * 1000)
        .fetch_one(&mut *tx)
        .await?
        .try_get("rid")?;
        if db.backend() == Backend::Sqlite {
            sqlx::query("INSERT INTO reports_fts (rowid, search) VALUES ($1, $2)").bind(rid).bind(&search).execute(&mut *tx).await?;
        }
        if i % 20_000 == 19_999 {
            tx.commit().await?;
            tx = db.begin().await?;
            eprintln!("  {} reports", i + 1);
        }
    }
    tx.commit().await?;
    // Fresh statistics, as the server's maintenance task keeps them, so the planner picks the queue index.
    sqlx::query("ANALYZE reports").execute(db.writer()).await?;
    Ok(started.elapsed().as_secs_f64())
}

/// Subjects of generated datasets (title, English title, theme, tags).
const DATASET_SUBJECTS: &[(&str, &str, &str, &[&str])] = &[
    ("Trạm y tế", "Health stations", "health", &["y tế", "trạm y tế"]),
    ("Nhà thuốc đạt chuẩn GPP", "GPP pharmacies", "health", &["y tế", "dược"]),
    ("Trường mầm non", "Kindergartens", "education", &["giáo dục", "mầm non"]),
    ("Trường tiểu học", "Primary schools", "education", &["giáo dục", "tiểu học"]),
    ("Trạm dừng xe buýt", "Bus stops", "transport", &["xe buýt", "giao thông"]),
    ("Điểm giữ xe", "Parking places", "transport", &["giao thông", "bãi xe"]),
    ("Chất lượng không khí", "Air quality", "environment", &["môi trường", "không khí"]),
    ("Điểm thu gom rác", "Waste collection points", "environment", &["môi trường", "rác thải"]),
    ("Hộ kinh doanh cá thể", "Household businesses", "economy", &["kinh doanh"]),
    ("Chợ truyền thống", "Traditional markets", "economy", &["chợ", "thương mại"]),
    ("Dân số theo độ tuổi", "Population by age", "population", &["dân số"]),
    ("Thủ tục hành chính đã giải quyết", "Administrative procedures handled", "government", &["hành chính công"]),
    ("Diện tích gieo trồng", "Planted area", "agriculture", &["nông nghiệp"]),
    ("Chiếu sáng công cộng", "Street lighting", "infrastructure", &["hạ tầng", "chiếu sáng"]),
    ("Cây xanh đường phố", "Street trees", "infrastructure", &["hạ tầng", "cây xanh"]),
    ("Điểm tham quan du lịch", "Tourist attractions", "tourism", &["du lịch"]),
];

/// Inserts `count` catalogue datasets (80% open, 15% shared, 5% restricted)
/// owned by the departments and ward committees, each about one subject in
/// one ward and year, with tags and one to three resources, written as the
/// catalogue writes them (same folded search text). Returns the seconds taken.
///
/// # Errors
/// Database failure.
pub async fn seed_datasets(db: &Db, clock: &SharedClock, count: usize) -> Result<f64> {
    use cityos_datahub::catalogue::{search_text, DatasetFields};
    let started = std::time::Instant::now();
    let wards: Vec<(String, String)> = sqlx::query("SELECT code, name FROM jurisdictions WHERE level = 2 ORDER BY code")
        .fetch_all(db.reader())
        .await?
        .iter()
        .map(|r| Ok((r.try_get("code")?, r.try_get("name")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let agencies: Vec<cityos_identity::Agency> =
        sqlx::query("SELECT code, name_vi, name_en, kind, parent_code, jurisdiction_code FROM agencies ORDER BY code")
            .fetch_all(db.reader())
            .await?
            .iter()
            .map(|r| {
                Ok(cityos_identity::Agency {
                    code: r.try_get("code")?,
                    name_vi: r.try_get("name_vi")?,
                    name_en: r.try_get("name_en")?,
                    kind: r.try_get("kind")?,
                    parent_code: r.try_get("parent_code")?,
                    jurisdiction_code: r.try_get("jurisdiction_code")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
    anyhow::ensure!(!wards.is_empty() && !agencies.is_empty(), "no wards or agencies: run `cityos demo` on this data directory first");
    let departments: Vec<&cityos_identity::Agency> = agencies.iter().filter(|a| a.kind == "department").collect();
    let licences = ["cc-by-4.0", "cc-by-4.0", "cc-zero", "odc-odbl", "vn-open-data", "other-closed"];
    let frequencies = ["daily", "weekly", "monthly", "monthly", "quarterly", "annual"];
    let formats = ["CSV", "CSV", "CSV", "JSON", "XLSX", "GEOJSON", "PDF"];
    let now = to_millis(clock.now());
    let year_ms: i64 = 365 * 24 * 3600 * 1000;
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut tx = db.begin().await?;
    for i in 0..count {
        let (title, title_en, theme, tags) = DATASET_SUBJECTS[rng.gen_range(0..DATASET_SUBJECTS.len())];
        let (ward_code, ward) = &wards[rng.gen_range(0..wards.len())];
        let year = rng.gen_range(2019..=2025);
        // Ward data belongs to the ward's committee half of the time, else to a department.
        let owner = match agencies.iter().find(|a| a.jurisdiction_code.as_deref() == Some(ward_code.as_str()) && a.kind == "ward_committee")
        {
            Some(a) if rng.gen_bool(0.5) || departments.is_empty() => a,
            _ => departments[rng.gen_range(0..departments.len().max(1))],
        };
        let level = match rng.gen_range(0..20) {
            0 => "restricted",
            1..=3 => "shared",
            _ => "open",
        };
        let fields = DatasetFields {
            name: format!("bench-{i:06}"),
            title_vi: format!("{title} — {ward} — năm {year}"),
            title_en: format!("{title_en} — {ward} — {year}"),
            notes_vi: format!("{title} trên địa bàn {ward}, Thành phố Hồ Chí Minh, số liệu năm {year}."),
            themes: vec![theme.to_string()],
            tags: tags.iter().map(|t| (*t).to_string()).chain(std::iter::once(format!("{year}"))).collect(),
            ..DatasetFields::default()
        };
        let id = new_id();
        let created = now - rng.gen_range(0..3 * year_ms);
        let modified = created + rng.gen_range(0..(now - created).max(1));
        sqlx::query(
            "INSERT INTO datasets (id, name, title_vi, title_en, notes_vi, owner_agency, sharing_level, license_id, update_frequency, spatial,
               temporal_start, temporal_end, themes, search, state, revision, created_at, modified_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'active', 1, $15, $16)",
        )
        .bind(&id)
        .bind(&fields.name)
        .bind(&fields.title_vi)
        .bind(&fields.title_en)
        .bind(&fields.notes_vi)
        .bind(&owner.code)
        .bind(level)
        .bind(licences[rng.gen_range(0..licences.len())])
        .bind(frequencies[rng.gen_range(0..frequencies.len())])
        .bind(ward_code)
        .bind(format!("{year}-01-01"))
        .bind(format!("{year}-12-31"))
        .bind(serde_json::to_string(&fields.themes)?)
        .bind(search_text(&fields, Some(owner)))
        .bind(created)
        .bind(modified)
        .execute(&mut *tx)
        .await?;
        for t in &fields.tags {
            sqlx::query("INSERT INTO dataset_tags (dataset_id, tag) VALUES ($1, $2)").bind(&id).bind(t).execute(&mut *tx).await?;
        }
        for pos in 0..rng.gen_range(1..=3_i64) {
            let format = formats[rng.gen_range(0..formats.len())];
            sqlx::query(
                "INSERT INTO resources (id, dataset_id, position, name, format, kind, url, created_at, modified_at)
                 VALUES ($1, $2, $3, $4, $5, 'url', $6, $7, $8)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(pos)
            .bind(format!("{title} ({format})"))
            .bind(format)
            .bind(format!("https://data.example.org/{}/{pos}.{}", fields.name, format.to_lowercase()))
            .bind(created)
            .bind(modified)
            .execute(&mut *tx)
            .await?;
        }
        if i % 5_000 == 4_999 {
            tx.commit().await?;
            tx = db.begin().await?;
            eprintln!("  {} datasets", i + 1);
        }
    }
    tx.commit().await?;
    for sql in ["ANALYZE datasets", "ANALYZE dataset_tags", "ANALYZE resources"] {
        sqlx::query(sql).execute(db.writer()).await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// What [`webhook_load`] measured.
#[derive(Debug)]
pub struct WebhookLoad {
    /// Deliveries answered 2xx.
    pub accepted: usize,
    /// Deliveries answered otherwise (or failed).
    pub refused: usize,
    /// Seconds the load ran.
    pub seconds: f64,
    /// Latencies of accepted deliveries, sorted, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Seconds from the first delivery until every inbox row had become a report.
    pub filed_after: f64,
    /// Reports filed from these deliveries.
    pub reports: i64,
}

impl WebhookLoad {
    /// The `q`-quantile of the latencies (0–1).
    #[must_use]
    pub fn latency(&self, q: f64) -> f64 {
        quantile(&self.latencies_ms, q)
    }
}

/// The `q`-quantile (0–1) of sorted values, 0 when there are none.
#[must_use]
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Sends signed SMS-gateway deliveries (`/webhooks/sms`, each a new message
/// from a different phone, Vietnamese text naming a ward) to the server at
/// `url` from `connections` concurrent clients for `seconds`, then waits
/// until the server has turned every stored message into a report (reading
/// `db`, the server's own database). The secret must be the server's
/// `[webhooks] sms_secret`.
///
/// # Errors
/// No delivery accepted, or the database cannot be read.
pub async fn webhook_load(db: &Db, url: &str, secret: &str, connections: usize, seconds: u64) -> Result<WebhookLoad> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(connections).build()?;
    let endpoint = format!("{}/webhooks/sms", url.trim_end_matches('/'));
    let run = format!("{:08x}", rand::random::<u32>());
    let wards: Vec<String> = sqlx::query("SELECT name FROM jurisdictions WHERE level = 2 ORDER BY code")
        .fetch_all(db.reader())
        .await?
        .iter()
        .map(|r| r.try_get("name"))
        .collect::<Result<_, sqlx::Error>>()?;
    anyhow::ensure!(!wards.is_empty(), "no wards: run `cityos demo` on this data directory first");
    let wards = std::sync::Arc::new(wards);
    let started = std::time::Instant::now();
    let deadline = started + std::time::Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..connections {
        let (client, endpoint, secret, run, wards) = (client.clone(), endpoint.clone(), secret.to_string(), run.clone(), wards.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut bad, mut lat) = (0usize, 0usize, Vec::new());
            let mut n = 0usize;
            while std::time::Instant::now() < deadline {
                n += 1;
                let (_, text) = crate::demo::REPORTS[n % crate::demo::REPORTS.len()];
                let street = crate::demo::STREETS[n % crate::demo::STREETS.len()];
                let ward = &wards[(n * 7 + worker) % wards.len()];
                let body = serde_json::to_vec(&serde_json::json!({
                    "id": format!("bench-{run}-{worker}-{n}"),
                    "from": format!("+8490{worker:02}{n:05}"),
                    "text": format!("{text}, {street}, {ward}"),
                }))
                .unwrap_or_default();
                let signature = cityos_feedback::webhooks::hub_signature(&secret, &body);
                let t0 = std::time::Instant::now();
                let resp = client
                    .post(&endpoint)
                    .header("content-type", "application/json")
                    .header("x-cityos-signature", signature)
                    .body(body)
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status().is_success() => {
                        ok += 1;
                        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => bad += 1,
                }
            }
            (ok, bad, lat)
        }));
    }
    let (mut accepted, mut refused, mut latencies_ms) = (0, 0, Vec::new());
    for t in tasks {
        let (ok, bad, lat) = t.await?;
        accepted += ok;
        refused += bad;
        latencies_ms.extend(lat);
    }
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(accepted > 0, "no delivery was accepted: is [webhooks] sms_secret the same on the server?");
    latencies_ms.sort_by(f64::total_cmp);
    let pattern = format!("bench-{run}-%");
    loop {
        let pending: i64 = sqlx::query("SELECT COUNT(*) AS n FROM webhook_inbox WHERE external_id LIKE $1 AND processed_at IS NULL")
            .bind(&pattern)
            .fetch_one(db.reader())
            .await?
            .try_get("n")?;
        if pending == 0 || std::time::Instant::now() > deadline + std::time::Duration::from_secs(600) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let filed_after = started.elapsed().as_secs_f64();
    let reports: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reports WHERE channel = 'sms' AND external_id LIKE $1")
        .bind(&pattern)
        .fetch_one(db.reader())
        .await?
        .try_get("n")?;
    Ok(WebhookLoad { accepted, refused, seconds, latencies_ms, filed_after, reports })
}
