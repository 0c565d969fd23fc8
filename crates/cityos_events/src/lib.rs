//! Events: the CloudEvents 1.0 envelope with CityOS's `agency`,
//! `jurisdiction` and `classification` extensions; the transactional outbox
//! ([`publish`] writes in the caller's transaction); the [`Dispatcher`] that
//! moves committed events to the [`EventBus`]; and [`events_after`] for
//! replaying what a reconnecting client missed.
//!
//! Architecture invariant: an event exists if and only if the change that
//! raised it committed. Nothing publishes to the bus directly.

use async_trait::async_trait;
use cityos_core::{from_millis, to_millis, Classification, SharedClock};
use cityos_store::{Db, ModuleMigration, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row as _};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// The outbox's columns after its key, shared by both backends.
macro_rules! outbox_columns {
    () => {
        "
        id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        type TEXT NOT NULL,
        subject TEXT,
        time BIGINT NOT NULL,
        agency TEXT,
        jurisdiction TEXT,
        classification TEXT NOT NULL,
        data TEXT NOT NULL,
        dispatched_at BIGINT
    );
    CREATE INDEX outbox_pending ON outbox (seq) WHERE dispatched_at IS NULL;"
    };
}

/// This crate's tables.
pub const MIGRATIONS: &[ModuleMigration] = &[ModuleMigration {
    version: 20_261_127_000_200,
    description: "event outbox",
    sqlite: concat!("CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,", outbox_columns!()),
    postgres: concat!("CREATE TABLE outbox (seq BIGSERIAL PRIMARY KEY,", outbox_columns!()),
}];

/// A CloudEvents 1.0 event (JSON format) with CityOS's extensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CloudEvent {
    /// Always `1.0`.
    pub specversion: String,
    /// Unique id of the event.
    pub id: String,
    /// The module that raised it, e.g. `/cityos/identity`.
    pub source: String,
    /// Reverse-DNS type, e.g. `vn.cityos.identity.user.created`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What it is about, e.g. the object id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// When it happened (RFC 3339).
    pub time: chrono::DateTime<chrono::Utc>,
    /// Always `application/json`.
    pub datacontenttype: String,
    /// Extension: the agency that owns the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// Extension: the jurisdiction (GSO code) it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    /// Extension: who may see it.
    pub classification: Classification,
    /// The payload.
    pub data: serde_json::Value,
}

impl CloudEvent {
    /// A new event stamped with `clock`'s time and a fresh id.
    #[must_use]
    pub fn new(clock: &SharedClock, source: &str, kind: &str, classification: Classification, data: serde_json::Value) -> Self {
        Self {
            specversion: "1.0".into(),
            id: cityos_core::new_id(),
            source: source.into(),
            kind: kind.into(),
            subject: None,
            time: clock.now(),
            datacontenttype: "application/json".into(),
            agency: None,
            jurisdiction: None,
            classification,
            data,
        }
    }

    /// Sets the subject.
    #[must_use]
    pub fn subject(mut self, s: impl Into<String>) -> Self {
        self.subject = Some(s.into());
        self
    }

    /// Sets the owning agency.
    #[must_use]
    pub fn agency(mut self, a: Option<String>) -> Self {
        self.agency = a;
        self
    }

    /// Sets the jurisdiction.
    #[must_use]
    pub fn jurisdiction(mut self, j: Option<String>) -> Self {
        self.jurisdiction = j;
        self
    }
}

/// An event as stored in the outbox, with its position in the stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// Position in the stream (the SSE event id).
    pub seq: i64,
    /// The event.
    pub event: CloudEvent,
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored payload is not valid JSON.
    #[error("stored event payload is not JSON: {0}")]
    Payload(#[from] serde_json::Error),
}

impl From<sqlx::Error> for EventError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Sqlx(e))
    }
}

/// Writes `event` to the outbox inside the caller's transaction.
///
/// # Errors
/// Database failure (the caller's transaction should then roll back).
pub async fn publish(conn: &mut AnyConnection, event: &CloudEvent) -> Result<(), EventError> {
    sqlx::query(
        "INSERT INTO outbox (id, source, type, subject, time, agency, jurisdiction, classification, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&event.id)
    .bind(&event.source)
    .bind(&event.kind)
    .bind(event.subject.as_deref())
    .bind(to_millis(event.time))
    .bind(event.agency.as_deref())
    .bind(event.jurisdiction.as_deref())
    .bind(event.classification.as_str())
    .bind(serde_json::to_string(&event.data)?)
    .execute(conn)
    .await?;
    Ok(())
}

fn decode(row: &sqlx::any::AnyRow) -> Result<StoredEvent, EventError> {
    let data: String = row.try_get("data")?;
    let classification: String = row.try_get("classification")?;
    Ok(StoredEvent {
        seq: row.try_get("seq")?,
        event: CloudEvent {
            specversion: "1.0".into(),
            id: row.try_get("id")?,
            source: row.try_get("source")?,
            kind: row.try_get("type")?,
            subject: row.try_get("subject")?,
            time: from_millis(row.try_get("time")?),
            datacontenttype: "application/json".into(),
            agency: row.try_get("agency")?,
            jurisdiction: row.try_get("jurisdiction")?,
            classification: Classification::parse(&classification).unwrap_or(Classification::Restricted),
            data: serde_json::from_str(&data)?,
        },
    })
}

/// Committed events after position `seq` (oldest first, at most `limit`):
/// what a client reconnecting with `Last-Event-ID: seq` missed.
///
/// # Errors
/// Database failure.
pub async fn events_after(db: &Db, seq: i64, limit: i64) -> Result<Vec<StoredEvent>, EventError> {
    let sql = "SELECT seq, id, source, type, subject, time, agency, jurisdiction, classification, data
               FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2";
    let rows = sqlx::query(sql).bind(seq).bind(limit).fetch_all(db.reader()).await?;
    rows.iter().map(decode).collect()
}

/// The newest position in the stream (0 when empty).
///
/// # Errors
/// Database failure.
pub async fn latest_seq(db: &Db) -> Result<i64, EventError> {
    let row = sqlx::query("SELECT MAX(seq) AS m FROM outbox").fetch_one(db.reader()).await?;
    Ok(row.try_get::<Option<i64>, _>("m")?.unwrap_or(0))
}

/// Where dispatched events go. In-process today; NATS JetStream for several replicas.
#[async_trait]
pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Delivers one committed event to every current subscriber.
    async fn publish(&self, event: &StoredEvent) -> Result<(), EventError>;
    /// A live stream of events published from now on.
    fn subscribe(&self) -> broadcast::Receiver<StoredEvent>;
}

/// The in-process bus: a broadcast channel. Slow subscribers lose the oldest
/// events (and can catch up from the outbox with [`events_after`]).
#[derive(Debug, Clone)]
pub struct InProcessBus {
    tx: broadcast::Sender<StoredEvent>,
}

impl InProcessBus {
    /// A bus buffering up to `capacity` events per subscriber.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self { tx: broadcast::channel(capacity.max(1)).0 }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new(1024)
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, event: &StoredEvent) -> Result<(), EventError> {
        // No subscribers is not an error: the event is still in the outbox.
        let _ = self.tx.send(event.clone());
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<StoredEvent> {
        self.tx.subscribe()
    }
}

/// Moves committed outbox rows to the bus, in order, at least once.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    db: Db,
    bus: Arc<dyn EventBus>,
    clock: SharedClock,
}

impl Dispatcher {
    /// A dispatcher from `db`'s outbox to `bus`.
    #[must_use]
    pub fn new(db: Db, bus: Arc<dyn EventBus>, clock: SharedClock) -> Self {
        Self { db, bus, clock }
    }

    /// Publishes up to `limit` pending events; returns how many.
    ///
    /// # Errors
    /// Database or bus failure; undelivered events stay pending.
    pub async fn dispatch_pending(&self, limit: i64) -> Result<usize, EventError> {
        let rows = sqlx::query(
            "SELECT seq, id, source, type, subject, time, agency, jurisdiction, classification, data
             FROM outbox WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.db.reader())
        .await?;
        let mut n = 0;
        for row in &rows {
            let ev = decode(row)?;
            self.bus.publish(&ev).await?;
            sqlx::query("UPDATE outbox SET dispatched_at = $1 WHERE seq = $2")
                .bind(to_millis(self.clock.now()))
                .bind(ev.seq)
                .execute(self.db.writer())
                .await?;
            n += 1;
        }
        Ok(n)
    }

    /// Runs until `shutdown` turns true, polling every `every`.
    pub async fn run(self, every: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            match self.dispatch_pending(500).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "event dispatch failed; will retry"),
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cityos_core::SystemClock;
    use cityos_store::testing::TestDb;

    #[tokio::test]
    async fn outbox_commits_with_the_change_and_dispatches_in_order() {
        let t = TestDb::new().await;
        t.db.migrate(&[MIGRATIONS]).await.unwrap();
        let clock: SharedClock = Arc::new(SystemClock);
        let bus = Arc::new(InProcessBus::default());
        let mut rx = bus.subscribe();

        let mut tx = t.db.begin().await.unwrap();
        publish(&mut tx, &CloudEvent::new(&clock, "/t", "t.rolled_back", Classification::Public, serde_json::json!({}))).await.unwrap();
        tx.rollback().await.unwrap();

        let mut tx = t.db.begin().await.unwrap();
        for i in 0..3 {
            let ev = CloudEvent::new(&clock, "/t", "t.created", Classification::Internal, serde_json::json!({ "i": i }))
                .agency(Some("SO-GTVT".into()));
            publish(&mut tx, &ev).await.unwrap();
        }
        tx.commit().await.unwrap();

        let d = Dispatcher::new(t.db.clone(), bus.clone(), clock);
        assert_eq!(d.dispatch_pending(100).await.unwrap(), 3);
        assert_eq!(d.dispatch_pending(100).await.unwrap(), 0);
        let got: Vec<i64> = (0..3).map(|_| rx.try_recv().unwrap().event.data["i"].as_i64().unwrap()).collect();
        assert_eq!(got, vec![0, 1, 2]);

        let all = events_after(&t.db, 0, 10).await.unwrap();
        assert_eq!(all.len(), 3);
        let missed = events_after(&t.db, all[0].seq, 10).await.unwrap();
        assert_eq!(missed.len(), 2);
        assert_eq!(missed[0].event.agency.as_deref(), Some("SO-GTVT"));
        let json = serde_json::to_value(&missed[0].event).unwrap();
        assert_eq!(json["specversion"], "1.0");
        assert_eq!(json["type"], "t.created");
        assert_eq!(json["classification"], "internal");
        t.cleanup().await;
    }
}
