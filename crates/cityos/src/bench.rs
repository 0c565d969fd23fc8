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
