//! Data hub and open data. Agencies keep a catalogue of their datasets
//! (`catalogue`), upload versions of each resource (`ingest`), which land as
//! tables queried through the store's one query compiler (`datastore`);
//! other agencies read `shared`/`restricted` data only under an approval
//! (`sharing`), and the public reads `open` data through the portal, the
//! CKAN Action API (`ckan`) and the DCAT-AP export (`dcat`).
//!
//! Architecture invariant: every read of non-public data by another agency
//! is checked against an approval and audited with its purpose; personal
//! columns are masked unless the approval covers them.

pub mod catalogue;
pub mod ckan;
pub mod datastore;
pub mod dcat;
pub mod demo_data;
pub mod encoding;
pub mod feeds;
pub mod formats;
pub mod gateway;
pub mod infer;
pub mod ingest;
mod migrations;
pub mod portal;
pub mod query_api;
pub mod routes;
pub mod seed;
pub mod sharing;
pub mod vocabulary;

pub use migrations::MIGRATIONS;

use cityos_api::ApiError;
use cityos_core::SharedClock;
use cityos_identity::Identity;
use cityos_store::{Db, StoreError};
use std::path::PathBuf;

/// The data hub service: cheap to clone.
#[derive(Debug, Clone)]
pub struct DataHub {
    db: Db,
    clock: SharedClock,
    identity: Identity,
    files_dir: PathBuf,
    public_url: String,
}

/// Errors of the data hub.
#[derive(Debug, thiserror::Error)]
pub enum DataHubError {
    /// Database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Audit failure.
    #[error(transparent)]
    Audit(#[from] cityos_audit::AuditError),
    /// Event failure.
    #[error(transparent)]
    Event(#[from] cityos_events::EventError),
    /// File storage failure.
    #[error("file storage: {0}")]
    Io(#[from] std::io::Error),
    /// A refusal the caller should see.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<sqlx::Error> for DataHubError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Sqlx(e))
    }
}

impl From<DataHubError> for ApiError {
    fn from(e: DataHubError) -> Self {
        match e {
            DataHubError::Api(a) => a,
            other => ApiError::internal(&other),
        }
    }
}

impl DataHub {
    /// The service; uploaded files live under `data_dir/datasets`.
    #[must_use]
    pub fn new(db: Db, clock: SharedClock, identity: Identity, data_dir: &std::path::Path, public_url: &str) -> Self {
        Self { db, clock, identity, files_dir: data_dir.join("datasets"), public_url: public_url.trim_end_matches('/').to_string() }
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

    /// The identity service (agencies, API keys).
    #[must_use]
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Where uploaded files are kept.
    #[must_use]
    pub fn files_dir(&self) -> &std::path::Path {
        &self.files_dir
    }

    /// The server's public base URL, without a trailing slash.
    #[must_use]
    pub fn public_url(&self) -> &str {
        &self.public_url
    }
}
