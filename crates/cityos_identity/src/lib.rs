//! Identity and governance: the jurisdiction tree (city → wards, with the
//! pre-2025 units mapped onto it), agencies in a hierarchy, staff accounts
//! with roles granted per scope, sessions, bearer tokens, API keys, TOTP
//! multi-factor login, lockout, and citizen accounts signed in with one-time
//! codes sent through the notification service.
//!
//! Architecture invariant: secrets are stored only as hashes (argon2 for
//! passwords, SHA-256 for high-entropy tokens and keys); every write appends
//! its audit record and events in the same transaction. The HTTP layer calls
//! [`Identity::authenticate`] once per request to build the
//! [`cityos_api::Caller`].

mod accounts;
mod auth;
mod citizens;
mod jurisdictions;
mod migrations;
pub mod routes;
mod tree;

pub use accounts::{Agency, NewAgency, NewUser, UserView};
pub use auth::{otpauth_url, totp_code, Authenticated, Credentials, LoginOutcome, LoginRequest, SESSION_COOKIE};
pub use citizens::{normalise_contact, Contact};
pub use jurisdictions::{Jurisdiction, LegacyUnit};
pub use migrations::MIGRATIONS;

use cityos_api::ApiError;
use cityos_audit::AuditRecord;
use cityos_core::config::SecurityConfig;
use cityos_core::SharedClock;
use cityos_events::CloudEvent;
use cityos_store::{Db, StoreError, Tx};
use std::sync::Arc;

/// The identity service: cheap to clone, shared by the HTTP layer and the CLI.
#[derive(Debug, Clone)]
pub struct Identity {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    clock: SharedClock,
    cfg: SecurityConfig,
    trees: tree::TreeCache,
}

/// Errors of the identity service, mapped onto API errors at the edge.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Audit failure (the change was rolled back).
    #[error(transparent)]
    Audit(#[from] cityos_audit::AuditError),
    /// Event failure (the change was rolled back).
    #[error(transparent)]
    Event(#[from] cityos_events::EventError),
    /// Notification queueing failure.
    #[error("notification: {0}")]
    Notify(String),
    /// A refusal the caller should see.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Bad reference data.
    #[error("invalid data: {0}")]
    Data(String),
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Sqlx(e))
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Api(a) => a,
            IdentityError::Data(d) => ApiError::invalid(d),
            other => ApiError::internal(&other),
        }
    }
}

impl Identity {
    /// The service over `db`.
    #[must_use]
    pub fn new(db: Db, clock: SharedClock, cfg: SecurityConfig) -> Self {
        Self { inner: Arc::new(Inner { db, clock, cfg, trees: tree::TreeCache::default() }) }
    }

    /// The database handle.
    #[must_use]
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The clock.
    #[must_use]
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// Security settings.
    #[must_use]
    pub fn config(&self) -> &SecurityConfig {
        &self.inner.cfg
    }

    /// Appends the audit record and the event, then commits: the one way
    /// identity's writes finish.
    async fn finish(&self, mut tx: Tx, record: AuditRecord, event: Option<CloudEvent>) -> Result<(), IdentityError> {
        cityos_audit::append(&mut tx, self.inner.db.backend(), &self.inner.clock, &record).await?;
        if let Some(ev) = event {
            cityos_events::publish(&mut tx, &ev).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// An audit record for `action` on `object` by `actor`, successful.
fn record(actor: &str, action: &str, object: String, request_id: Option<String>) -> AuditRecord {
    AuditRecord {
        actor: actor.to_string(),
        action: action.to_string(),
        object,
        purpose: None,
        outcome: "success".into(),
        request_id,
        row_count: Some(1),
    }
}
