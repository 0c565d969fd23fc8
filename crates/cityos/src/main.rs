//! `cityos`: parses the command line, loads the configuration and wires the
//! modules. No domain logic lives here.

mod backup;
mod demo;

use anyhow::{bail, Context, Result};
use cityos_core::config::Config;
use cityos_core::{SharedClock, SystemClock};
use cityos_events::InProcessBus;
use cityos_http::App;
use cityos_store::{Db, ModuleMigration};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(name = "cityos", version, about = "CityOS — open-source smart-city platform")]
struct Cli {
    /// Configuration file (TOML). Default: $CITYOS_CONFIG, else ./cityos.toml if present.
    #[arg(long, global = true, env = "CITYOS_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (overrides storage.data_dir).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Log as JSON lines.
    #[arg(long, global = true)]
    json_logs: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (overrides server.listen).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Seed the demo city (idempotent), then run the server.
    Demo {
        /// Address to listen on (overrides server.listen).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Print the effective configuration (secrets redacted).
    Config,
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Make a consistent copy of the database and stored files while serving.
    Backup {
        /// Directory to write the backup into (must be empty or absent).
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup made by `cityos backup` (stop the server first).
    Restore {
        /// Backup directory.
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import reference data.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the whole hash chain and every seal; exit 1 naming the first broken record.
    Verify,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a staff user with one role grant.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
        /// admin, agency_admin, data_officer, operator, staff, analyst, auditor or viewer.
        #[arg(long)]
        role: String,
        /// city (default), agency:CODE or jurisdiction:CODE.
        #[arg(long, default_value = "city")]
        scope: String,
        /// The user's agency code.
        #[arg(long)]
        agency: Option<String>,
        /// Display name (default: the username).
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Replace ward boundaries from a GeoJSON FeatureCollection (properties.code = GSO code).
    Jurisdictions {
        /// The GeoJSON file.
        file: PathBuf,
    },
}

/// Every module's migrations, applied as one history.
pub const MIGRATIONS: &[&[ModuleMigration]] =
    &[cityos_events::MIGRATIONS, cityos_audit::MIGRATIONS, cityos_identity::MIGRATIONS, cityos_notify::MIGRATIONS];

fn load_config(cli: &Cli) -> Result<Config> {
    let path = cli.config.clone().or_else(|| Some(PathBuf::from("cityos.toml")).filter(|p| p.exists()));
    let mut cfg = Config::load(path.as_deref(), std::env::vars())?;
    if let Some(d) = &cli.data_dir {
        cfg.storage.data_dir.clone_from(d);
    }
    if cli.json_logs {
        cfg.server.json_logs = true;
    }
    Ok(cfg)
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CITYOS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

/// Opens the database and applies pending migrations.
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

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

async fn serve(cfg: Config, db: Db, clock: SharedClock, after_bind: impl FnOnce(&str)) -> Result<()> {
    let key = seal_key(&cfg)?;
    let app = App::new(cfg.clone(), db.clone(), clock, Arc::new(InProcessBus::default()), key);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = cityos_http::spawn_workers(&app, &stop_rx);
    let listener = tokio::net::TcpListener::bind(&cfg.server.listen).await.with_context(|| format!("cannot listen on {}", cfg.server.listen))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    tracing::info!(%url, backend = db.backend().name(), "CityOS is listening");
    after_bind(&url);
    let router = cityos_http::router(app);
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("in-flight requests finished; stopping workers");
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), w).await;
    }
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
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

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    let mut cfg = load_config(&cli)?;
    init_logs(cfg.server.json_logs);
    let clock: SharedClock = Arc::new(SystemClock);
    match cli.command {
        Command::Config => {
            print!("{}", cfg.to_toml());
        }
        Command::Migrate => {
            let db = open_db(&cfg).await?;
            println!("database is up to date ({})", db.backend().name());
            db.close().await;
        }
        Command::Serve { listen } => {
            if let Some(l) = listen {
                cfg.server.listen = l;
            }
            let db = open_db(&cfg).await?;
            serve(cfg, db, clock, |_| {}).await?;
        }
        Command::Demo { listen } => {
            if let Some(l) = listen {
                cfg.server.listen = l;
            }
            let db = open_db(&cfg).await?;
            let identity = cityos_identity::Identity::new(db.clone(), clock.clone(), cfg.security.clone());
            let logins = demo::seed(&identity).await?;
            serve(cfg, db, clock, |url| demo::print_banner(url, &logins)).await?;
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let db = open_db(&cfg).await?;
            let verdict = cityos_audit::verify(&db, &seal_key(&cfg)?).await?;
            db.close().await;
            match verdict {
                cityos_audit::Verdict::Intact { records, seals } => println!("audit log intact: {records} records, {seals} seals verified"),
                cityos_audit::Verdict::Broken { seq, reason } => {
                    println!("audit log BROKEN at record {seq}: {reason}");
                    return Ok(std::process::ExitCode::FAILURE);
                }
            }
        }
        Command::Backup { to } => {
            let db = open_db(&cfg).await?;
            let summary = backup::backup(&cfg, &db, &to).await?;
            db.close().await;
            println!("{summary}");
        }
        Command::Restore { from, force } => {
            let summary = backup::restore(&cfg, &from, force).await?;
            println!("{summary}");
        }
        Command::User { command: UserCommand::Add { username, password, role, scope, agency, display_name } } => {
            let Some(role) = cityos_api::Role::parse(&role) else { bail!("unknown role {role}") };
            let Some(scope) = cityos_api::Scope::parse(&scope) else { bail!("scope must be city, agency:CODE or jurisdiction:CODE") };
            let db = open_db(&cfg).await?;
            let identity = cityos_identity::Identity::new(db.clone(), clock, cfg.security.clone());
            let user = identity
                .create_user(None, &cityos_identity::NewUser { display_name: display_name.unwrap_or_else(|| username.clone()), username, password, agency_code: agency })
                .await
                .map_err(|e| anyhow::anyhow!("{}", cityos_api::ApiError::from(e)))?;
            identity.grant(None, &user.id, role, &scope).await.map_err(|e| anyhow::anyhow!("{}", cityos_api::ApiError::from(e)))?;
            println!("created user {} ({}) with role {} for {}", user.username, user.id, role.as_str(), scope);
            if role.requires_mfa() {
                println!("this role requires a one-time code: the first sign-in shows the TOTP secret to add to an authenticator app");
            }
            db.close().await;
        }
        Command::Import { command: ImportCommand::Jurisdictions { file } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let db = open_db(&cfg).await?;
            let identity = cityos_identity::Identity::new(db.clone(), clock, cfg.security.clone());
            let n = identity.import_boundaries(&text).await.map_err(|e| anyhow::anyhow!("{}", cityos_api::ApiError::from(e)))?;
            println!("imported {n} boundaries from {}", file.display());
            db.close().await;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
