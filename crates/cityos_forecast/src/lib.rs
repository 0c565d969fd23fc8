//! The forecasting centre: indicator series (unit, frequency, jurisdiction, source) whose
//! revisions are kept as vintages, forecasts run with [`cityos_tsmodels`] and stored with their
//! inputs so that any result can be reproduced and explained, backtest reports, decompositions,
//! and reconciliation of ward forecasts with the city's.
//!
//! Layout: [`period`] (month-index periods, `YYYY-MM` on the wire), [`model`] (the wire types),
//! [`dataset`] (indicators fed from a data hub dataset column, through the [`dataset::DatasetColumns`] port),
//! [`engine`] (thin glue over the library's backtest, selection, intervals, decomposition; no I/O), [`store`] (indicators, vintages, runs; every write in one
//! transaction with its audit record and outbox event), [`runs`] (forecast runs, backtests,
//! explanations), [`routes`] (`/api/forecast/…`) and [`demo`] (illustrative demo series).
//!
//! Architecture invariants: observations are never overwritten, a revision is a new row in a new
//! vintage; a run stores the vintage and the exact values it used, so re-running it gives the same
//! numbers; reads of `public` indicators are open, `internal` ones need a staff member, writes
//! need `analyst` (or `admin`).

pub mod dataset;
pub mod demo;
pub mod engine;
mod migrations;
pub mod model;
pub mod period;
pub mod routes;
pub mod runs;
pub mod store;

pub use migrations::MIGRATIONS;

use cityos_api::ApiError;
use cityos_core::SharedClock;
use cityos_identity::Identity;
use cityos_store::{Db, StoreError};
use dataset::DatasetColumns;
use std::sync::Arc;

/// The version of the forecasting library recorded with every run (the workspace version).
pub const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The forecasting centre service: cheap to clone.
#[derive(Debug, Clone)]
pub struct ForecastCentre {
    db: Db,
    clock: SharedClock,
    identity: Identity,
    /// The data hub port for dataset-sourced indicators (none in tools without a data hub).
    datasets: Option<Arc<dyn DatasetColumns>>,
}

/// Errors of the forecasting centre.
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    /// Database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Audit failure.
    #[error(transparent)]
    Audit(#[from] cityos_audit::AuditError),
    /// Event failure.
    #[error(transparent)]
    Event(#[from] cityos_events::EventError),
    /// A stored document could not be read or written.
    #[error("stored document: {0}")]
    Json(#[from] serde_json::Error),
    /// A refusal the caller should see.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<sqlx::Error> for ForecastError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Sqlx(e))
    }
}

impl From<ForecastError> for ApiError {
    fn from(e: ForecastError) -> Self {
        match e {
            ForecastError::Api(a) => a,
            other => ApiError::internal(&other),
        }
    }
}

impl ForecastCentre {
    /// The service.
    #[must_use]
    pub fn new(db: Db, clock: SharedClock, identity: Identity) -> Self {
        Self { db, clock, identity, datasets: None }
    }

    /// Connects the data hub that dataset-sourced indicators are refreshed from.
    #[must_use]
    pub fn with_datasets(mut self, datasets: Arc<dyn DatasetColumns>) -> Self {
        self.datasets = Some(datasets);
        self
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

    /// The identity service.
    #[must_use]
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
}
