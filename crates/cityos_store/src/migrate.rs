//! The one migration history. Each module lists its migrations with globally
//! unique timestamp versions (`YYYYMMDDhhmmss`) and the SQL for each backend;
//! the store applies the union in version order and records them in the one
//! `_sqlx_migrations` table, so modules never collide.

use crate::{Backend, Db, StoreError};
use sqlx::migrate::{Migrate, MigrateError, Migration, MigrationType};
use std::borrow::Cow;
use std::collections::HashSet;

/// One migration of one module, spelled for both backends.
#[derive(Debug, Clone, Copy)]
pub struct ModuleMigration {
    /// Globally unique timestamp version, e.g. `20261127000100`.
    pub version: i64,
    /// What it does, e.g. `audit log`.
    pub description: &'static str,
    /// SQL for SQLite.
    pub sqlite: &'static str,
    /// SQL for PostgreSQL.
    pub postgres: &'static str,
}

impl Db {
    /// Applies every migration not yet applied, in version order, and returns
    /// how many ran. Refuses duplicate versions and edited migrations.
    ///
    /// # Errors
    /// A duplicate version, a changed checksum or failing SQL.
    pub async fn migrate(&self, modules: &[&[ModuleMigration]]) -> Result<usize, StoreError> {
        let mut all: Vec<&ModuleMigration> = modules.iter().flat_map(|m| m.iter()).collect();
        all.sort_by_key(|m| m.version);
        let mut seen = HashSet::new();
        for m in &all {
            if !seen.insert(m.version) {
                return Err(StoreError::Migrate(MigrateError::Execute(sqlx::Error::Protocol(format!(
                    "two migrations share version {}",
                    m.version
                )))));
            }
        }
        let migrations: Vec<Migration> = all
            .iter()
            .map(|m| {
                let sql = match self.backend() {
                    Backend::Sqlite => m.sqlite,
                    Backend::Postgres => m.postgres,
                };
                Migration::new(m.version, Cow::Borrowed(m.description), MigrationType::Simple, Cow::Borrowed(sql), false)
            })
            .collect();

        let mut conn = self.writer().acquire().await?;
        conn.ensure_migrations_table().await?;
        conn.lock().await?;
        let result = apply_missing(&mut conn, &migrations).await;
        conn.unlock().await?;
        result
    }
}

async fn apply_missing(conn: &mut sqlx::AnyConnection, migrations: &[Migration]) -> Result<usize, StoreError> {
    if let Some(v) = conn.dirty_version().await? {
        return Err(MigrateError::Dirty(v).into());
    }
    let applied = conn.list_applied_migrations().await?;
    let mut ran = 0;
    for m in migrations {
        match applied.iter().find(|a| a.version == m.version) {
            Some(a) if a.checksum != m.checksum => return Err(MigrateError::VersionMismatch(m.version).into()),
            Some(_) => {}
            None => {
                conn.apply(m).await?;
                tracing::info!(version = m.version, description = %m.description, "applied migration");
                ran += 1;
            }
        }
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;

    const A: &[ModuleMigration] = &[ModuleMigration {
        version: 20_260_101_000_002,
        description: "b table",
        sqlite: "CREATE TABLE b (id BIGINT PRIMARY KEY, a_id BIGINT NOT NULL REFERENCES a(id))",
        postgres: "CREATE TABLE b (id BIGINT PRIMARY KEY, a_id BIGINT NOT NULL REFERENCES a(id))",
    }];
    const B: &[ModuleMigration] = &[ModuleMigration {
        version: 20_260_101_000_001,
        description: "a table",
        sqlite: "CREATE TABLE a (id BIGINT PRIMARY KEY)",
        postgres: "CREATE TABLE a (id BIGINT PRIMARY KEY)",
    }];

    #[tokio::test]
    async fn applies_across_modules_in_version_order_once() {
        let t = TestDb::new().await;
        // A's migration references B's table: only version order makes this work.
        assert_eq!(t.db.migrate(&[A, B]).await.unwrap(), 2);
        assert_eq!(t.db.migrate(&[A, B]).await.unwrap(), 0);
        t.cleanup().await;
    }

    #[tokio::test]
    async fn rejects_duplicate_versions() {
        let t = TestDb::new().await;
        assert!(t.db.migrate(&[B, B]).await.is_err());
        t.cleanup().await;
    }
}
