//! Database access for every CityOS module: one [`Db`] handle over SQLite
//! (the embedded default, WAL mode) or PostgreSQL (+PostGIS), the one
//! migration history all modules contribute to, the one dynamic-query
//! compiler ([`query`]) and throwaway databases for tests ([`testing`]).
//!
//! Architecture invariant: sqlx is the only database library and SQL is never
//! built from strings outside [`query`]. Modules write plain SQL with `$1`
//! placeholders, which both backends accept; where the dialects differ a
//! module picks the text with [`Backend::pick`].

pub mod migrate;
pub mod query;
pub mod testing;

pub use migrate::ModuleMigration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// A write transaction.
pub type Tx = sqlx::Transaction<'static, Any>;
/// A row as read through [`Db`].
pub type Row = AnyRow;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in WAL mode: the embedded default.
    Sqlite,
    /// PostgreSQL with PostGIS: for a whole city and several replicas.
    Postgres,
}

impl Backend {
    /// Chooses between a SQLite and a PostgreSQL spelling of the same statement.
    #[must_use]
    pub fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Self::Sqlite => sqlite,
            Self::Postgres => postgres,
        }
    }

    /// `sqlite` or `postgres`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Errors of the store layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no supported database.
    #[error("unsupported database url (expected sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A database error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A dynamic query was rejected by the compiler.
    #[error(transparent)]
    Query(#[from] query::QueryError),
}

/// A handle on the database: cheap to clone, shared by every module.
///
/// On SQLite all writes go through a single connection, so writers queue in
/// the process instead of failing with `SQLITE_BUSY`; reads use a pool. On
/// PostgreSQL both are the same pool.
#[derive(Debug, Clone)]
pub struct Db {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
    url: String,
}

impl Db {
    /// Connects to `url`, creating the SQLite file (and its directory) if needed.
    ///
    /// # Errors
    /// An unsupported URL, an unreachable server or an unwritable directory.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if let Some(dir) = PathBuf::from(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir { path: dir.to_path_buf(), source })?;
            }
            let url = if url.contains('?') { url.to_string() } else { format!("{url}?mode=rwc") };
            let opts = || {
                AnyPoolOptions::new().after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                        Ok(())
                    })
                })
            };
            let write = opts().max_connections(1).acquire_timeout(Duration::from_secs(30)).connect(&url).await?;
            let read = opts().max_connections(max_connections.max(2)).connect(&url).await?;
            Ok(Self { backend: Backend::Sqlite, read, write, url })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool =
                AnyPoolOptions::new().max_connections(max_connections.max(2)).acquire_timeout(Duration::from_secs(30)).connect(url).await?;
            Ok(Self { backend: Backend::Postgres, read: pool.clone(), write: pool, url: url.to_string() })
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    /// The engine behind this handle.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection URL (contains credentials: never log it).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite database file, when on SQLite.
    #[must_use]
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.url.strip_prefix("sqlite://")?;
        Some(PathBuf::from(rest.split('?').next().unwrap_or(rest)))
    }

    /// The pool for reads.
    #[must_use]
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for writes outside an explicit transaction.
    #[must_use]
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// Starts a write transaction.
    ///
    /// # Errors
    /// The database cannot be reached.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.write.begin().await?)
    }

    /// Checks that the database answers (for `/readyz`).
    ///
    /// # Errors
    /// The database cannot be reached.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Closes both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

impl FromStr for Backend {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            other => Err(StoreError::UnsupportedUrl(other.to_string())),
        }
    }
}

/// A random lowercase hex suffix for names of scratch objects.
#[must_use]
pub fn new_suffix() -> String {
    cityos_core::new_id().replace('-', "")
}
