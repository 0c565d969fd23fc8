//! Throwaway databases for tests: each test gets its own, on the backend named
//! by `CITYOS_TEST_BACKEND` (`sqlite`, the default, or `postgres`). PostgreSQL
//! databases are created through `CITYOS_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and dropped by [`TestDb::cleanup`].
#![expect(clippy::expect_used, reason = "a test fixture that cannot be set up should fail the test loudly")]

use crate::{Backend, Db};
use sqlx::Connection;
use std::path::PathBuf;

/// The PostgreSQL server tests create their databases on.
#[must_use]
pub fn pg_admin_url() -> String {
    std::env::var("CITYOS_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The backend tests run on, from `CITYOS_TEST_BACKEND`.
#[must_use]
pub fn test_backend() -> Backend {
    match std::env::var("CITYOS_TEST_BACKEND").as_deref() {
        Ok("postgres" | "postgresql" | "pg") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    /// The handle to use.
    pub db: Db,
    /// A scratch directory (holds the SQLite file; use it for stored files too).
    pub dir: PathBuf,
    pg_name: Option<String>,
}

impl TestDb {
    /// A fresh, empty database on the configured test backend.
    ///
    /// # Panics
    /// When the database cannot be created.
    pub async fn new() -> Self {
        let name = format!("cityos_test_{}", crate::new_suffix());
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).expect("create test dir");
        match test_backend() {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.join("cityos.db").display());
                let db = Db::connect(&url, 4).await.expect("open test sqlite");
                Self { db, dir, pg_name: None }
            }
            Backend::Postgres => {
                let url = create_pg_database(&name).await;
                let db = Db::connect(&url, 4).await.expect("connect test postgres");
                Self { db, dir, pg_name: Some(name) }
            }
        }
    }

    /// Closes the handle and removes the database and scratch directory.
    pub async fn cleanup(self) {
        self.db.close().await;
        if let Some(name) = &self.pg_name {
            drop_pg_database(name).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Creates an empty PostgreSQL database and returns its URL.
///
/// # Panics
/// When the server cannot be reached.
pub async fn create_pg_database(name: &str) -> String {
    sqlx::any::install_default_drivers();
    let admin = pg_admin_url();
    let mut conn = sqlx::AnyConnection::connect(&admin).await.expect("connect to CITYOS_TEST_PG_URL");
    sqlx::query(&format!("CREATE DATABASE {}", quoted(name))).execute(&mut conn).await.expect("create test database");
    let _ = conn.close().await;
    match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{admin}/{name}"),
    }
}

/// Drops a database made by [`create_pg_database`], ignoring errors.
pub async fn drop_pg_database(name: &str) {
    if let Ok(mut conn) = sqlx::AnyConnection::connect(&pg_admin_url()).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quoted(name))).execute(&mut conn).await;
        let _ = conn.close().await;
    }
}

/// Database names are generated here (`cityos_test_` + hex), never taken from
/// input; PostgreSQL cannot bind identifiers, so this is the one exception to
/// "no SQL from strings", and it only quotes names that are already safe.
fn quoted(name: &str) -> String {
    let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    format!("\"{safe}\"")
}
