//! `cityos`: parses the command line, loads the configuration and wires the
//! modules. No domain logic lives here.

use anyhow::{bail, Context, Result};
use cityos::{backup, demo, open_db, seal_key, serve};
use cityos_core::config::Config;
use cityos_core::{SharedClock, SystemClock};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
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
    /// Data hub gateway tools.
    Gateway {
        #[command(subcommand)]
        command: GatewayCommand,
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
    /// Forecast a JSON file of series (no server, no database; see docs/FORECAST-CLI.md).
    Forecast {
        /// Input: a JSON array of {"id", "values", "frequency", "season_length"?, "start"?} (`-` for stdin).
        #[arg(long)]
        input: PathBuf,
        /// Steps ahead.
        #[arg(long)]
        horizon: usize,
        /// Season length for every series (default: the input's, else 12 monthly, 4 quarterly, 1 yearly).
        #[arg(long)]
        season: Option<usize>,
        /// Models, comma-separated (naive, seasonal_naive, drift, naive2, ets, arima, theta, mstl,
        /// combination). One is used as is; several: the mean of the three best by rolling-origin
        /// backtest. Default: the ETS + ARIMA + Theta combination.
        #[arg(long)]
        models: Option<String>,
        /// Interval levels in percent, comma-separated.
        #[arg(long, default_value = "80,95")]
        levels: String,
        /// Intervals: calibrated (the model's and the backtest's error pooled), conformal (the
        /// backtest's alone) or model (the model's own; with one model this skips the backtest).
        #[arg(long, default_value = "calibrated")]
        intervals: String,
        /// Output file (`-` for stdout).
        #[arg(long, default_value = "-")]
        output: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Benchmark data generators (see docs/BENCHMARKS.md and scripts/bench-feedback.sh).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Forecast accuracy (sMAPE, MASE, OWA against Naive2, interval coverage) and CPU seconds on
    /// competition series exported by scripts/forecast_bench.py (see scripts/bench-forecast.sh).
    Forecast {
        /// Directory holding DATASET.json files (from `scripts/forecast_bench.py export`).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Datasets to read from --data, comma-separated.
        #[arg(long, default_value = "m1,tourism")]
        datasets: String,
        /// Benchmark files to run instead of --data (the dataset is named after the file); repeatable.
        #[arg(long)]
        input: Vec<PathBuf>,
        /// Models, comma-separated (Naive2 always runs: it is the OWA reference); `calibrated` adds
        /// `default` (what `cityos forecast` does without --models: the combination, intervals
        /// calibrated on its backtest) and `auto` (the mean of the three best, calibrated).
        #[arg(long, default_value = "naive,seasonal_naive,ets,arima,theta,combination,calibrated")]
        models: String,
        /// Write the report as JSON here.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Only the first N series of each dataset (smoke test).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Bulk-insert citizen reports (after `cityos demo` has seeded the city).
    SeedReports {
        /// How many reports.
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        /// How many of them are open in Phường Sài Gòn's queue.
        #[arg(long, default_value_t = 10_000)]
        open_in_one_unit: usize,
    },
    /// Bulk-insert catalogue datasets (after `cityos demo` has seeded the city), for the package_search benchmark.
    SeedDatasets {
        /// How many datasets.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
    },
    /// Seed the demo city and about FEATURES generated network features (the
    /// demo generator at a larger scale), for the OGC API benchmark.
    SeedGis {
        /// How many features, about.
        #[arg(long, default_value_t = 1_000_000)]
        features: usize,
    },
    /// Send the same OGC API – Features requests (random boxes over the
    /// city, optionally with a CQL2 filter) to each target in turn and report
    /// throughput and latency side by side.
    Ogc {
        /// `NAME=URL` of an OGC API landing page; repeat to compare servers.
        #[arg(long = "target", required = true)]
        targets: Vec<cityos::bench_ogc::Target>,
        /// The collection to query.
        #[arg(long, default_value = "water-pipes")]
        collection: String,
        /// A CQL2 text filter added to every request.
        #[arg(long)]
        filter: Option<String>,
        /// Side of each random box, in degrees (0.01 ≈ 1.1 km).
        #[arg(long, default_value_t = 0.01)]
        bbox_size: f64,
        /// Items per page.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        connections: usize,
        /// Seconds of load per target.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// Load a running server's SMS webhook with signed deliveries and report
    /// deliveries acknowledged per second and reports filed per second.
    Webhooks {
        /// The server's base URL.
        #[arg(long)]
        url: String,
        /// The server's `[webhooks] sms_secret`.
        #[arg(long)]
        secret: String,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        connections: usize,
        /// Seconds of load.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the whole hash chain and every seal; exit 1 naming the first broken record.
    Verify,
}

#[derive(Debug, Subcommand)]
enum GatewayCommand {
    /// Check the exchange log's hash chain and signatures; exit 1 naming the first broken record.
    Verify {
        /// First record to check (default: the whole chain).
        #[arg(long, default_value_t = 1)]
        from: i64,
    },
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

fn load_config(cli: &Cli) -> Result<Config> {
    let path = cli.config.clone().or_else(|| Some(PathBuf::from("cityos.toml")).filter(|p| p.exists()));
    let mut cfg = Config::load(path.as_deref(), std::env::vars())?;
    if let Some(d) = &cli.data_dir {
        cfg.storage.data_dir.clone_from(d);
    }
    if cli.json_logs {
        cfg.server.json_logs = true;
    }
    cityos_http::calendar_from(&cfg).map_err(anyhow::Error::msg)?;
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

/// The commands that need neither configuration nor database: forecasting files.
fn run_offline(command: &Command) -> Option<Result<std::process::ExitCode>> {
    match command {
        Command::Forecast { input, horizon, season, models, levels, intervals, output, threads } => Some((|| {
            let opts = cityos::forecast_cli::Options {
                horizon: *horizon,
                season: *season,
                models: cityos::forecast_cli::parse_models(models.as_deref().unwrap_or(""))?,
                levels: cityos::forecast_cli::parse_levels(levels)?,
                intervals: cityos::forecast_cli::parse_intervals(intervals)?,
                threads: *threads,
            };
            let n = cityos::forecast_cli::run(input, output, &opts)?;
            if output.as_os_str() != "-" {
                eprintln!("forecast {n} series into {}", output.display());
            }
            Ok(std::process::ExitCode::SUCCESS)
        })()),
        Command::Bench { command: BenchCommand::Forecast { data, datasets, input, models, output, threads, limit } } => Some((|| {
            let mut files: Vec<(String, PathBuf)> = input
                .iter()
                .map(|p| (p.file_stem().map_or_else(|| "input".to_string(), |s| s.to_string_lossy().into_owned()), p.clone()))
                .collect();
            if let Some(dir) = data {
                files.extend(
                    datasets.split(',').map(str::trim).filter(|d| !d.is_empty()).map(|d| (d.to_string(), dir.join(format!("{d}.json")))),
                );
            }
            if files.is_empty() {
                bail!("give --data DIR (with --datasets) or --input FILE");
            }
            let calibrated = models.split(',').any(|m| m.trim().eq_ignore_ascii_case("calibrated"));
            let models: Vec<&str> = models.split(',').filter(|m| !m.trim().eq_ignore_ascii_case("calibrated")).collect();
            let opts = cityos::bench_forecast::BenchOptions {
                models: cityos::forecast_cli::parse_models(&models.join(","))?,
                calibrated,
                threads: *threads,
                limit: *limit,
            };
            cityos::bench_forecast::run(&files, &opts, output.as_deref())?;
            Ok(std::process::ExitCode::SUCCESS)
        })()),
        _ => None,
    }
}

async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    if let Some(result) = run_offline(&cli.command) {
        return result;
    }
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
            let calendar = std::sync::Arc::new(cityos_http::calendar_from(&cfg).map_err(anyhow::Error::msg)?);
            demo::seed_feedback(&db, &identity, calendar, 300).await?;
            demo::seed_forecast(&identity).await?;
            let hub =
                cityos_datahub::DataHub::new(db.clone(), clock.clone(), identity.clone(), &cfg.storage.data_dir, &cfg.server.public_url);
            cityos_datahub::seed::seed_catalogue(&hub).await.map_err(|e| anyhow::anyhow!("{}", cityos_api::ApiError::from(e)))?;
            cityos_datahub::demo_data::seed_demo_data(&hub).await.map_err(|e| anyhow::anyhow!("{}", cityos_api::ApiError::from(e)))?;
            cityos_gis::demo::seed_demo(&cityos_gis::Gis::new(db.clone(), clock.clone(), identity.clone(), &cfg.server.public_url))
                .await
                .map_err(|e| anyhow::anyhow!("{}", cityos_api::ApiError::from(e)))?;
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
        Command::Gateway { command: GatewayCommand::Verify { from } } => {
            let db = open_db(&cfg).await?;
            let key = cityos_datahub::gateway::log::LogKey::derive(&seal_key(&cfg)?);
            let v = cityos_datahub::gateway::log::verify(&db, &key, from).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            db.close().await;
            if !v.intact {
                println!("gateway exchange log BROKEN at record {}: {}", v.broken_seq.unwrap_or(from), v.reason.unwrap_or_default());
                return Ok(std::process::ExitCode::FAILURE);
            }
            let head = v.last_seq.map_or_else(String::new, |s| format!("; last record {s}, hash {}", v.last_hash.unwrap_or_default()));
            println!("gateway exchange log intact: {} records verified{head}", v.records);
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
                .create_user(
                    None,
                    &cityos_identity::NewUser {
                        display_name: display_name.unwrap_or_else(|| username.clone()),
                        username,
                        password,
                        agency_code: agency,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{}", cityos_api::ApiError::from(e)))?;
            identity.grant(None, &user.id, role, &scope).await.map_err(|e| anyhow::anyhow!("{}", cityos_api::ApiError::from(e)))?;
            println!("created user {} ({}) with role {} for {}", user.username, user.id, role.as_str(), scope);
            if role.requires_mfa() {
                println!("this role requires a one-time code: the first sign-in shows the TOTP secret to add to an authenticator app");
            }
            db.close().await;
        }
        Command::Bench { command: BenchCommand::SeedReports { count, open_in_one_unit } } => {
            let db = open_db(&cfg).await?;
            let secs = cityos::bench::seed_reports(&db, &clock, count, open_in_one_unit).await?;
            #[allow(clippy::cast_precision_loss)]
            let rate = count as f64 / secs.max(0.001);
            println!("inserted {count} reports in {secs:.1} s ({rate:.0} rows/s, {})", db.backend().name());
            db.close().await;
        }
        Command::Bench { command: BenchCommand::SeedDatasets { count } } => {
            let db = open_db(&cfg).await?;
            let secs = cityos::bench::seed_datasets(&db, &clock, count).await?;
            println!("inserted {count} datasets in {secs:.1} s ({})", db.backend().name());
            db.close().await;
        }
        Command::Bench { command: BenchCommand::SeedGis { features } } => {
            let db = open_db(&cfg).await?;
            let identity = cityos_identity::Identity::new(db.clone(), clock.clone(), cfg.security.clone());
            demo::seed(&identity).await?;
            let gis = cityos_gis::Gis::new(db.clone(), clock.clone(), identity, &cfg.server.public_url);
            let started = std::time::Instant::now();
            // Denser street grids do not grow the count linearly: find the scale that gives N.
            #[allow(clippy::cast_precision_loss)]
            let mut scale = features as f64 / cityos_gis::demo::FULL_SCALE_FEATURES as f64;
            for _ in 0..6 {
                let made: usize = cityos_gis::demo::generate(7, scale).iter().map(|(_, v)| v.len()).sum();
                if made >= features {
                    break;
                }
                #[allow(clippy::cast_precision_loss)]
                let grow = (features as f64 / made.max(1) as f64) * 1.05;
                scale *= grow;
            }
            let n =
                cityos_gis::demo::seed_generated(&gis, 7, scale).await.map_err(|e| anyhow::anyhow!("{}", cityos_api::ApiError::from(e)))?;
            let secs = started.elapsed().as_secs_f64();
            #[allow(clippy::cast_precision_loss)]
            let rate = n as f64 / secs.max(0.001);
            println!("inserted {n} network features in {secs:.1} s ({rate:.0} features/s, {})", db.backend().name());
            db.close().await;
        }
        Command::Bench { command: BenchCommand::Ogc { targets, collection, filter, bbox_size, limit, connections, seconds } } => {
            let extra = filter
                .map(|f| format!("&filter={}", form_urlencoded::byte_serialize(f.as_bytes()).collect::<String>()))
                .unwrap_or_default();
            let paths = std::sync::Arc::new(cityos::bench_ogc::bbox_paths(&collection, 2000, bbox_size, limit, &extra, 42));
            println!(
                "{collection}: random {bbox_size}° boxes, limit {limit}{}, {connections} clients, {seconds} s each",
                if extra.is_empty() { "" } else { ", with the filter" }
            );
            for t in &targets {
                let r = cityos::bench_ogc::get_load(&t.base, paths.clone(), connections.max(1), seconds).await?;
                #[allow(clippy::cast_precision_loss)]
                let per_req = r.features as f64 / r.ok.max(1) as f64;
                println!(
                    "{:>10}: {:.1} req/s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, {per_req:.1} features/response, {} failed",
                    t.name,
                    r.throughput(),
                    r.latency(0.5),
                    r.latency(0.95),
                    r.latency(0.99),
                    r.failed
                );
            }
        }
        Command::Bench { command: BenchCommand::Webhooks { url, secret, connections, seconds } } => {
            let db = open_db(&cfg).await?;
            let r = cityos::bench::webhook_load(&db, &url, &secret, connections.max(1), seconds).await?;
            #[allow(clippy::cast_precision_loss)]
            let (acked, filed) = (r.accepted as f64 / r.seconds, r.reports as f64 / r.filed_after);
            println!(
                "{} deliveries acknowledged in {:.1} s: {acked:.0}/s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; {} refused",
                r.accepted,
                r.seconds,
                r.latency(0.5),
                r.latency(0.95),
                r.latency(0.99),
                r.refused
            );
            println!(
                "{} reports filed {:.1} s after the first delivery: {filed:.0} reports/s end to end ({})",
                r.reports,
                r.filed_after,
                db.backend().name()
            );
            db.close().await;
        }
        Command::Forecast { .. } | Command::Bench { command: BenchCommand::Forecast { .. } } => {
            // Handled by `run_offline` before the configuration is loaded.
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
