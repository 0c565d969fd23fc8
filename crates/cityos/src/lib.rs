//! The CityOS binary's library half: what `main` wires together, shared with
//! the integration tests (migrations of every module, database opening, the
//! audit seal and VAPID keys, serving, the demo city, backup and restore).

pub mod backup;
pub mod bench;
pub mod bench_forecast;
pub mod bench_ogc;
pub mod demo;
pub mod forecast_cli;

use anyhow::{Context, Result};
use cityos_core::config::Config;
use cityos_core::SharedClock;
use cityos_events::InProcessBus;
use cityos_http::App;
use cityos_store::{Db, ModuleMigration};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// Every module's migrations, applied as one history.
pub const MIGRATIONS: &[&[ModuleMigration]] = &[
    cityos_events::MIGRATIONS,
    cityos_audit::MIGRATIONS,
    cityos_identity::MIGRATIONS,
    cityos_notify::MIGRATIONS,
    cityos_feedback::MIGRATIONS,
    cityos_datahub::MIGRATIONS,
    cityos_gis::MIGRATIONS,
    cityos_forecast::MIGRATIONS,
];

/// Opens the database and applies pending migrations.
///
/// # Errors
/// The database cannot be opened or a migration fails.
pub async fn open_db(cfg: &Config) -> Result<Db> {
    let url = cfg.database_url();
    let db = Db::connect(&url, cfg.database.max_connections).await.context("cannot open the database")?;
    let n = db.migrate(MIGRATIONS).await.context("migrations failed")?;
    if n > 0 {
        tracing::info!(applied = n, backend = db.backend().name(), "database migrated");
    }
    Ok(db)
}

/// The audit seal key: configured, or generated once into the data directory.
///
/// # Errors
/// The key file cannot be read or written.
pub fn seal_key(cfg: &Config) -> Result<Vec<u8>> {
    if !cfg.security.audit_seal_key.is_empty() {
        return Ok(cfg.security.audit_seal_key.expose().as_bytes().to_vec());
    }
    let path = cfg.storage.data_dir.join("audit-seal.key");
    if let Ok(hexkey) = std::fs::read_to_string(&path) {
        return hex::decode(hexkey.trim()).context("audit-seal.key is not hex");
    }
    std::fs::create_dir_all(&cfg.storage.data_dir).with_context(|| format!("cannot create {}", cfg.storage.data_dir.display()))?;
    let key: [u8; 32] = rand::random();
    write_private(&path, &hex::encode(key))?;
    Ok(key.to_vec())
}

/// The web-push (VAPID) private key, base64url: `[push] vapid_private_key`,
/// or generated once into `<data_dir>/vapid.key`. Browsers subscribe with its
/// public half, so it must stay the same for as long as subscriptions live.
///
/// # Errors
/// The configured key or the key file is not a P-256 key, or the file cannot be read or written.
pub fn vapid_key(cfg: &Config) -> Result<String> {
    use cityos_notify::webpush::VapidKey;
    if !cfg.push.vapid_private_key.is_empty() {
        // Checked at start-up: a typo must not silently turn notifications off.
        return Ok(VapidKey::from_base64url(cfg.push.vapid_private_key.expose())?.private_base64url());
    }
    let path = cfg.storage.data_dir.join("vapid.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok(VapidKey::from_base64url(&text).with_context(|| format!("{} holds no VAPID key", path.display()))?.private_base64url());
    }
    std::fs::create_dir_all(&cfg.storage.data_dir).with_context(|| format!("cannot create {}", cfg.storage.data_dir.display()))?;
    let key = VapidKey::generate().private_base64url();
    write_private(&path, &key)?;
    Ok(key)
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests and stops the workers.
///
/// # Errors
/// The address cannot be bound or the seal or VAPID key cannot be read.
pub async fn serve(mut cfg: Config, db: Db, clock: SharedClock, after_bind: impl FnOnce(&str)) -> Result<()> {
    let key = seal_key(&cfg)?;
    cfg.push.vapid_private_key = cityos_core::config::Secret::new(vapid_key(&cfg)?);
    let app = App::new(cfg.clone(), db.clone(), clock, Arc::new(InProcessBus::default()), key).map_err(anyhow::Error::msg)?;
    let workers = cityos_http::spawn_workers(&app);
    let listener =
        tokio::net::TcpListener::bind(&cfg.server.listen).await.with_context(|| format!("cannot listen on {}", cfg.server.listen))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    tracing::info!(%url, backend = db.backend().name(), "CityOS is listening");
    after_bind(&url);
    let router = cityos_http::router(app.clone());
    let stopping = app.clone();
    let signal = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        // Close event streams and stop workers so open connections can end.
        stopping.begin_shutdown();
    };
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(signal).await?;
    tracing::info!("in-flight requests finished");
    for w in workers {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), w).await;
    }
    db.close().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
