//! `cityos backup` and `cityos restore`.
//!
//! SQLite: `VACUUM INTO` makes a consistent copy from one read transaction
//! while the server keeps writing (WAL), then stored files are copied.
//! PostgreSQL: `pg_dump --format=custom` (one consistent snapshot) and
//! `pg_restore --clean`, run when the client tools are installed.

use anyhow::{bail, Context, Result};
use cityos_core::config::Config;
use cityos_store::{Backend, Db};
use std::path::Path;

const DB_FILE: &str = "cityos.db";
const PG_DUMP: &str = "cityos.pgdump";

fn copy_tree(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) -> Result<u64> {
    let mut n = 0;
    if !from.exists() {
        return Ok(0);
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let p = entry.path();
        if skip(&p) {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            n += copy_tree(&p, &target, skip)?;
        } else {
            std::fs::copy(&p, &target).with_context(|| format!("cannot copy {}", p.display()))?;
            n += 1;
        }
    }
    Ok(n)
}

fn is_db_file(p: &Path) -> bool {
    p.file_name().and_then(|f| f.to_str()).is_some_and(|f| f.starts_with(DB_FILE))
}

/// Writes a backup of `db` and the data directory's files into `to`.
/// # Errors
/// The target is not empty, or copying fails.
pub async fn backup(cfg: &Config, db: &Db, to: &Path) -> Result<String> {
    if to.exists() && std::fs::read_dir(to)?.next().is_some() {
        bail!("{} is not empty", to.display());
    }
    std::fs::create_dir_all(to.join("files"))?;
    match db.backend() {
        Backend::Sqlite => {
            let target = to.join(DB_FILE);
            sqlx::query("VACUUM INTO $1")
                .bind(target.to_string_lossy().to_string())
                .execute(db.reader())
                .await
                .context("VACUUM INTO failed")?;
        }
        Backend::Postgres => {
            let status = std::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--file")
                .arg(to.join(PG_DUMP))
                .arg(db.url())
                .status()
                .context("pg_dump is not installed (apt-get install postgresql-client)")?;
            if !status.success() {
                bail!("pg_dump failed ({status})");
            }
        }
    }
    // The backup may live inside the data directory: never copy it into itself.
    let target = std::fs::canonicalize(to)?;
    let skip = |p: &Path| is_db_file(p) || std::fs::canonicalize(p).is_ok_and(|c| c == target);
    let files = copy_tree(&cfg.storage.data_dir, &to.join("files"), &skip)?;
    let manifest = serde_json::json!({
        "format": 1,
        "backend": db.backend().name(),
        "cityos_version": env!("CARGO_PKG_VERSION"),
        "files": files,
    });
    std::fs::write(to.join("manifest.json"), serde_json::to_string_pretty(&manifest)?)?;
    Ok(format!("backup written to {} ({} database, {files} stored files)", to.display(), db.backend().name()))
}

/// Restores a backup into the configured database and data directory.
/// # Errors
/// Not a backup, a backend mismatch, or an existing database without `force`.
pub async fn restore(cfg: &Config, from: &Path, force: bool) -> Result<String> {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(from.join("manifest.json")).context("not a CityOS backup: manifest.json missing")?)?;
    let url = cfg.database_url();
    let data_dir = &cfg.storage.data_dir;
    std::fs::create_dir_all(data_dir)?;
    match manifest["backend"].as_str() {
        Some("sqlite") => {
            let Some(path) = url.strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p).to_string()) else {
                bail!("this backup is from SQLite but the configured database is not");
            };
            let target = Path::new(&path);
            if target.exists() && !force {
                bail!("{} exists; pass --force to replace it", target.display());
            }
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::copy(from.join(DB_FILE), target)?;
        }
        Some("postgres") => {
            if !url.starts_with("postgres") {
                bail!("this backup is from PostgreSQL but the configured database is not");
            }
            let mut cmd = std::process::Command::new("pg_restore");
            cmd.arg("--no-owner").arg("--dbname").arg(&url);
            if force {
                cmd.arg("--clean").arg("--if-exists");
            }
            let status = cmd.arg(from.join(PG_DUMP)).status().context("pg_restore is not installed (apt-get install postgresql-client)")?;
            if !status.success() {
                bail!("pg_restore failed ({status})");
            }
        }
        other => bail!("unknown backup backend {other:?}"),
    }
    let files = copy_tree(&from.join("files"), data_dir, &|_| false)?;
    Ok(format!("restored {} into {} ({files} stored files)", from.display(), data_dir.display()))
}
