//! Infrastructure GIS: the city's technical networks (electricity, water,
//! sewer/drainage, telecommunications, thermal) and postal facilities as
//! connected assets after INSPIRE Utility Networks ([`model`]), stored with
//! their history ([`store`]), filtered with CQL2 ([`filter`]) and served
//! through OGC API – Features Parts 1–4 at `/ogc` ([`ogc`]); the console's
//! own routes (history, connections, imports) live in [`routes`].
//!
//! Architecture invariants: geometries are stored in CRS84; connectivity
//! between links and nodes is kept consistent in the same transaction as
//! every edit; every change is audited and kept as a history version.

pub mod demo;
pub mod filter;
pub mod imports;
mod migrations;
pub mod model;
pub mod ogc;
pub mod routes;
pub mod store;

/// The CQL2 parser and evaluator, for callers building [`store::ItemQuery`] filters.
pub use cityos_cql2 as cql2;
pub use migrations::MIGRATIONS;

use cityos_api::ApiError;
use cityos_core::SharedClock;
use cityos_identity::Identity;
use cityos_store::{Db, StoreError};

/// The GIS service: cheap to clone.
#[derive(Debug, Clone)]
pub struct Gis {
    db: Db,
    clock: SharedClock,
    identity: Identity,
    public_url: String,
}

/// Errors of the GIS module.
#[derive(Debug, thiserror::Error)]
pub enum GisError {
    /// Database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Audit failure.
    #[error(transparent)]
    Audit(#[from] cityos_audit::AuditError),
    /// Event failure.
    #[error(transparent)]
    Event(#[from] cityos_events::EventError),
    /// A refusal the caller should see.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<sqlx::Error> for GisError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Sqlx(e))
    }
}

impl From<GisError> for ApiError {
    fn from(e: GisError) -> Self {
        match e {
            GisError::Api(a) => a,
            other => ApiError::internal(&other),
        }
    }
}

impl Gis {
    /// The service.
    #[must_use]
    pub fn new(db: Db, clock: SharedClock, identity: Identity, public_url: &str) -> Self {
        Self { db, clock, identity, public_url: public_url.trim_end_matches('/').to_string() }
    }

    /// The database.
    #[must_use]
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The clock.
    #[must_use]
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The identity service (agencies).
    #[must_use]
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The server's public base URL, without a trailing slash.
    #[must_use]
    pub fn public_url(&self) -> &str {
        &self.public_url
    }
}
