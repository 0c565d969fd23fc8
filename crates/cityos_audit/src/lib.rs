//! The audit log: one append-only record per request that writes, or reads
//! non-public data. Records hold ids and pseudonyms only, never personal
//! data. Each record's SHA-256 hash covers its fields and the previous hash,
//! so altering, removing or reordering any record breaks the chain from that
//! point; [`verify`] names the first broken record. Segments of the chain are
//! periodically sealed with an HMAC-SHA-256 over their last hash ([`seal`]).
//!
//! Architecture invariant: a write's record is appended with [`append`]
//! inside the write's own transaction, so an acknowledged change always has
//! its audit record. Appends are serialised (one SQLite writer; an advisory
//! lock on PostgreSQL), which is what makes the chain a chain.

pub mod routes;

use cityos_core::{from_millis, to_millis, SharedClock};
use cityos_store::query::{self, Column, Dir, Filter, Op, Schema, Select, Value};
use cityos_store::{Backend, Db, ModuleMigration, StoreError};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row as _};
use std::borrow::Cow;

/// This crate's tables.
pub const MIGRATIONS: &[ModuleMigration] =
    &[ModuleMigration { version: 20_261_127_000_300, description: "audit log", sqlite: AUDIT_SQL, postgres: AUDIT_SQL }];

/// The same SQL serves both backends.
const AUDIT_SQL: &str = "CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        object TEXT NOT NULL,
        purpose TEXT,
        outcome TEXT NOT NULL,
        request_id TEXT,
        row_count BIGINT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_actor ON audit_log (actor, seq);
    CREATE INDEX audit_object ON audit_log (object, seq);
    CREATE INDEX audit_at ON audit_log (at);
    CREATE TABLE audit_seals (
        seq_to BIGINT PRIMARY KEY,
        seq_from BIGINT NOT NULL,
        last_hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        sealed_at BIGINT NOT NULL
    );";

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, as the caller describes it. No personal data: actors and
/// objects are ids or pseudonyms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Who: a user id, `apikey:<id>`, `citizen:<id>`, `system` or `anonymous`.
    pub actor: String,
    /// What, e.g. `identity.user.create`, `audit.read`.
    pub action: String,
    /// On what, e.g. `user:<id>`.
    pub object: String,
    /// Declared purpose of the access, when one applies.
    pub purpose: Option<String>,
    /// `success`, `denied` or `error`.
    pub outcome: String,
    /// The request's id, tying the record to logs.
    pub request_id: Option<String>,
    /// Rows read or written, for queries.
    pub row_count: Option<i64>,
}

/// A stored record with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Position in the chain, from 1 without gaps.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub object: String,
    /// Declared purpose.
    pub purpose: Option<String>,
    /// Outcome.
    pub outcome: String,
    /// Request id.
    pub request_id: Option<String>,
    /// Rows read or written.
    pub row_count: Option<i64>,
    /// Hash of the previous record.
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The seal key is unusable.
    #[error("invalid audit seal key")]
    Key,
}

impl From<sqlx::Error> for AuditError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Sqlx(e))
    }
}

impl From<query::QueryError> for AuditError {
    fn from(e: query::QueryError) -> Self {
        Self::Store(StoreError::Query(e))
    }
}

#[allow(clippy::too_many_arguments)]
fn record_hash(prev: &str, seq: i64, at: i64, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different records serialise alike.
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    field(prev);
    field(&seq.to_string());
    field(&at.to_string());
    field(&r.actor);
    field(&r.action);
    field(&r.object);
    field(r.purpose.as_deref().unwrap_or("\u{0}"));
    field(&r.outcome);
    field(r.request_id.as_deref().unwrap_or("\u{0}"));
    field(&r.row_count.map_or_else(|| "\u{0}".to_string(), |n| n.to_string()));
    hex::encode(h.finalize())
}

/// Appends `record` inside the caller's transaction and returns its `seq`.
///
/// # Errors
/// Database failure (roll the transaction back: the change must not commit unaudited).
pub async fn append(conn: &mut AnyConnection, backend: Backend, clock: &SharedClock, record: &AuditRecord) -> Result<i64, AuditError> {
    if backend == Backend::Postgres {
        // Serialise appends across replicas until this transaction ends.
        sqlx::query("SELECT pg_advisory_xact_lock(73011022)").execute(&mut *conn).await?;
    }
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let (prev_seq, prev_hash) = match last {
        Some(row) => (row.try_get::<i64, _>("seq")?, row.try_get::<String, _>("hash")?),
        None => (0, GENESIS.to_string()),
    };
    let seq = prev_seq + 1;
    let at = to_millis(clock.now());
    let hash = record_hash(&prev_hash, seq, at, record);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, object, purpose, outcome, request_id, row_count, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(seq)
    .bind(at)
    .bind(&record.actor)
    .bind(&record.action)
    .bind(&record.object)
    .bind(record.purpose.as_deref())
    .bind(&record.outcome)
    .bind(record.request_id.as_deref())
    .bind(record.row_count)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(seq)
}

/// Appends `record` in a transaction of its own (for reads and refusals,
/// which have no write transaction to join).
///
/// # Errors
/// Database failure.
pub async fn append_now(db: &Db, clock: &SharedClock, record: &AuditRecord) -> Result<i64, AuditError> {
    let mut tx = db.begin().await?;
    let seq = append(&mut tx, db.backend(), clock, record).await?;
    tx.commit().await?;
    Ok(seq)
}

fn entry(row: &sqlx::any::AnyRow) -> Result<AuditEntry, AuditError> {
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: from_millis(row.try_get("at")?),
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        object: row.try_get("object")?,
        purpose: row.try_get("purpose")?,
        outcome: row.try_get("outcome")?,
        request_id: row.try_get("request_id")?,
        row_count: row.try_get("row_count")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Search criteria for [`search`]; all optional and combined with AND.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Exact actor id.
    pub actor: Option<String>,
    /// Exact object, or a prefix ending in `*` (e.g. `user:*`).
    pub object: Option<String>,
    /// Exact action, or a prefix ending in `*`.
    pub action: Option<String>,
    /// From this instant (RFC 3339), inclusive.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Until this instant (RFC 3339), exclusive.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

const AUDIT_COLUMNS: &[Column] = &[
    Column::fixed("seq"),
    Column::fixed("at"),
    Column::fixed("actor"),
    Column::fixed("action"),
    Column::fixed("object"),
    Column::fixed("purpose"),
    Column::fixed("outcome"),
    Column::fixed("request_id"),
    Column::fixed("row_count"),
    Column::fixed("prev_hash"),
    Column::fixed("hash"),
];

fn exact_or_prefix(column: &str, v: &str) -> Filter {
    match v.strip_suffix('*') {
        Some(prefix) => Filter::Cmp { column: column.into(), op: Op::StartsWith, value: Value::Text(prefix.into()) },
        None => Filter::Cmp { column: column.into(), op: Op::Eq, value: Value::Text(v.into()) },
    }
}

/// Newest-first page of records matching `q`, with the total count.
///
/// # Errors
/// Database failure.
pub async fn search(db: &Db, q: &AuditQuery, limit: i64, offset: i64) -> Result<(Vec<AuditEntry>, i64), AuditError> {
    let schema = Schema { table: Cow::Borrowed("audit_log"), columns: Cow::Borrowed(AUDIT_COLUMNS), fulltext: None };
    let mut parts = Vec::new();
    if let Some(a) = &q.actor {
        parts.push(Filter::Cmp { column: "actor".into(), op: Op::Eq, value: Value::Text(a.clone()) });
    }
    if let Some(o) = &q.object {
        parts.push(exact_or_prefix("object", o));
    }
    if let Some(a) = &q.action {
        parts.push(exact_or_prefix("action", a));
    }
    if let Some(f) = q.from {
        parts.push(Filter::Cmp { column: "at".into(), op: Op::Ge, value: Value::Int(to_millis(f)) });
    }
    if let Some(t) = q.to {
        parts.push(Filter::Cmp { column: "at".into(), op: Op::Lt, value: Value::Int(to_millis(t)) });
    }
    let filter = Filter::And(parts);
    let sel = Select {
        filter: Some(filter.clone()),
        sort: vec![("seq".into(), Dir::Desc)],
        limit: Some(limit),
        offset: Some(offset),
        ..Select::default()
    };
    let rows = query::select(&schema, &sel)?.query().fetch_all(db.reader()).await?;
    let total: i64 = query::count(&schema, Some(&filter))?.query().fetch_one(db.reader()).await?.try_get("n")?;
    let items = rows.iter().map(entry).collect::<Result<Vec<_>, _>>()?;
    Ok((items, total))
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Every record and seal checks out.
    Intact {
        /// Records checked.
        records: i64,
        /// Seals checked.
        seals: i64,
    },
    /// The first record (or seal) that does not.
    Broken {
        /// The record's `seq` (or the seal's `seq_to`).
        seq: i64,
        /// Why, in words.
        reason: String,
    },
}

type HmacSha256 = Hmac<Sha256>;

fn sign(key: &[u8], seq_from: i64, seq_to: i64, last_hash: &str) -> Result<String, AuditError> {
    let mut mac = HmacSha256::new_from_slice(key).map_err(|_| AuditError::Key)?;
    mac.update(format!("{seq_from}:{seq_to}:{last_hash}").as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// Walks the whole chain and every seal.
///
/// # Errors
/// Database failure (tampering is reported as [`Verdict::Broken`], not an error).
pub async fn verify(db: &Db, seal_key: &[u8]) -> Result<Verdict, AuditError> {
    let mut expected_prev = GENESIS.to_string();
    let mut expected_seq = 1_i64;
    let mut after = 0_i64;
    let mut hashes = std::collections::HashMap::new();
    loop {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, object, purpose, outcome, request_id, row_count, prev_hash, hash
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000",
        )
        .bind(after)
        .fetch_all(db.reader())
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let e = entry(row)?;
            if e.seq != expected_seq {
                return Ok(Verdict::Broken {
                    seq: expected_seq,
                    reason: format!("record {expected_seq} is missing (next record is {})", e.seq),
                });
            }
            if e.prev_hash != expected_prev {
                return Ok(Verdict::Broken { seq: e.seq, reason: format!("record {} does not link to record {}", e.seq, e.seq - 1) });
            }
            let rec = AuditRecord {
                actor: e.actor.clone(),
                action: e.action.clone(),
                object: e.object.clone(),
                purpose: e.purpose.clone(),
                outcome: e.outcome.clone(),
                request_id: e.request_id.clone(),
                row_count: e.row_count,
            };
            if record_hash(&e.prev_hash, e.seq, to_millis(e.at), &rec) != e.hash {
                return Ok(Verdict::Broken {
                    seq: e.seq,
                    reason: format!("record {} was altered (its hash does not match its content)", e.seq),
                });
            }
            expected_prev = e.hash.clone();
            expected_seq += 1;
            after = e.seq;
            hashes.insert(e.seq, e.hash);
        }
    }
    let seals =
        sqlx::query("SELECT seq_from, seq_to, last_hash, signature FROM audit_seals ORDER BY seq_to").fetch_all(db.reader()).await?;
    for s in &seals {
        let (from, to): (i64, i64) = (s.try_get("seq_from")?, s.try_get("seq_to")?);
        let (last_hash, signature): (String, String) = (s.try_get("last_hash")?, s.try_get("signature")?);
        if hashes.get(&to) != Some(&last_hash) {
            return Ok(Verdict::Broken { seq: to, reason: format!("seal of records {from}..{to} does not match record {to}") });
        }
        if sign(seal_key, from, to, &last_hash)? != signature {
            return Ok(Verdict::Broken { seq: to, reason: format!("seal of records {from}..{to} has an invalid signature") });
        }
    }
    Ok(Verdict::Intact { records: expected_seq - 1, seals: i64::try_from(seals.len()).unwrap_or(i64::MAX) })
}

/// Seals every complete segment of `every` records not yet sealed; returns
/// how many seals were made.
///
/// # Errors
/// Database failure or an unusable key.
pub async fn seal(db: &Db, clock: &SharedClock, key: &[u8], every: i64) -> Result<usize, AuditError> {
    let every = every.max(1);
    let mut made = 0;
    loop {
        let mut tx = db.begin().await?;
        let last_sealed: Option<i64> = sqlx::query("SELECT MAX(seq_to) AS m FROM audit_seals").fetch_one(&mut *tx).await?.try_get("m")?;
        let from = last_sealed.unwrap_or(0) + 1;
        let to = from + every - 1;
        let Some(row) = sqlx::query("SELECT hash FROM audit_log WHERE seq = $1").bind(to).fetch_optional(&mut *tx).await? else {
            tx.rollback().await?;
            return Ok(made);
        };
        let last_hash: String = row.try_get("hash")?;
        let signature = sign(key, from, to, &last_hash)?;
        sqlx::query("INSERT INTO audit_seals (seq_to, seq_from, last_hash, signature, sealed_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(to)
            .bind(from)
            .bind(&last_hash)
            .bind(&signature)
            .bind(to_millis(clock.now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        made += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cityos_core::SystemClock;
    use cityos_store::testing::TestDb;
    use std::sync::Arc;

    fn rec(i: i64) -> AuditRecord {
        AuditRecord {
            actor: format!("user:{i}"),
            action: "test.write".into(),
            object: format!("thing:{i}"),
            purpose: None,
            outcome: "success".into(),
            request_id: Some(format!("req-{i}")),
            row_count: Some(1),
        }
    }

    async fn chain(n: i64) -> (TestDb, SharedClock) {
        let t = TestDb::new().await;
        t.db.migrate(&[MIGRATIONS]).await.unwrap();
        let clock: SharedClock = Arc::new(SystemClock);
        for i in 1..=n {
            append_now(&t.db, &clock, &rec(i)).await.unwrap();
        }
        (t, clock)
    }

    #[tokio::test]
    async fn intact_chain_verifies_and_seals() {
        let (t, clock) = chain(25).await;
        assert_eq!(seal(&t.db, &clock, b"k", 10).await.unwrap(), 2);
        assert_eq!(verify(&t.db, b"k").await.unwrap(), Verdict::Intact { records: 25, seals: 2 });
        assert!(matches!(verify(&t.db, b"wrong key").await.unwrap(), Verdict::Broken { seq: 10, .. }));
        let (page, total) = search(&t.db, &AuditQuery { object: Some("thing:1*".into()), ..AuditQuery::default() }, 5, 0).await.unwrap();
        assert_eq!(total, 11, "thing:1 and thing:10..19");
        assert_eq!(page.len(), 5);
        assert!(page[0].seq > page[1].seq, "newest first");
        t.cleanup().await;
    }

    #[tokio::test]
    async fn altered_removed_or_reordered_rows_are_named() {
        let (t, _) = chain(6).await;
        sqlx::query("UPDATE audit_log SET actor = 'user:999' WHERE seq = 4").execute(t.db.writer()).await.unwrap();
        assert!(matches!(verify(&t.db, b"k").await.unwrap(), Verdict::Broken { seq: 4, ref reason } if reason.contains("altered")));
        t.cleanup().await;

        let (t, _) = chain(6).await;
        sqlx::query("DELETE FROM audit_log WHERE seq = 3").execute(t.db.writer()).await.unwrap();
        assert!(matches!(verify(&t.db, b"k").await.unwrap(), Verdict::Broken { seq: 3, ref reason } if reason.contains("missing")));
        t.cleanup().await;

        let (t, _) = chain(6).await;
        // Swap the contents of records 2 and 5 (a reordering that keeps seq numbers).
        sqlx::query("UPDATE audit_log SET seq = 100 WHERE seq = 2").execute(t.db.writer()).await.unwrap();
        sqlx::query("UPDATE audit_log SET seq = 2 WHERE seq = 5").execute(t.db.writer()).await.unwrap();
        sqlx::query("UPDATE audit_log SET seq = 5 WHERE seq = 100").execute(t.db.writer()).await.unwrap();
        assert!(matches!(verify(&t.db, b"k").await.unwrap(), Verdict::Broken { seq: 2, .. }));
        t.cleanup().await;
    }

    #[tokio::test]
    async fn record_of_a_rolled_back_write_vanishes_with_it() {
        let (t, clock) = chain(2).await;
        let mut tx = t.db.begin().await.unwrap();
        append(&mut tx, t.db.backend(), &clock, &rec(3)).await.unwrap();
        tx.rollback().await.unwrap();
        append_now(&t.db, &clock, &rec(4)).await.unwrap();
        assert_eq!(verify(&t.db, b"k").await.unwrap(), Verdict::Intact { records: 3, seals: 0 });
        t.cleanup().await;
    }
}
