//! Citizen feedback ("1022"): one queue of reports from every channel, each
//! with a tracking code; automatic category suggestion and routing by
//! category × ward to the responsible unit; an "unclear jurisdiction" queue
//! with its one-hour deadline; working-day deadlines from the shared holiday
//! calendar; lifecycle with history; public answers with personal data
//! removed; the citizen's confirmation and rating; diacritics-insensitive
//! full-text search on both backends.
//!
//! Architecture invariant: every change to a report commits together with
//! its history row, its audit record, its event and the notification to the
//! citizen. Personal data (reporter name, phone, e-mail) never leaves through
//! public views, events or the audit log.

pub mod bulk;
pub mod calls;
mod categories;
mod defaults;
pub mod export;
pub mod geocode;
pub mod insights;
pub mod mail_inbox;
pub mod media;
mod migrations;
pub mod model;
pub mod open311;
pub mod open_data;
pub mod push;
mod reports;
pub mod routes;
pub mod webhook_inbox;
pub mod webhooks;

pub use categories::{Category, NewCategory, NewRoute};
pub use migrations::MIGRATIONS;
pub use model::{Channel, Status};
pub use reports::{
    mask_personal, NewReport, PublicQuery, PublicReport, PublicUpdate, PublicUpdateQuery, Report, ReportQuery, ReportUpdate, Reporter,
    Transition,
};

use cityos_api::ApiError;
use cityos_calendar::HolidayCalendar;
use cityos_core::SharedClock;
use cityos_identity::Identity;
use cityos_store::{Db, StoreError};
use std::sync::Arc;

/// The feedback service: cheap to clone.
#[derive(Debug, Clone)]
pub struct Feedback {
    db: Db,
    clock: SharedClock,
    calendar: Arc<HolidayCalendar>,
    identity: Identity,
    public_url: String,
    geocoder: Option<geocode::Geocoder>,
}

/// Errors of the feedback service.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    /// Database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Audit failure.
    #[error(transparent)]
    Audit(#[from] cityos_audit::AuditError),
    /// Event failure.
    #[error(transparent)]
    Event(#[from] cityos_events::EventError),
    /// Jurisdiction lookup failure.
    #[error("jurisdictions: {0}")]
    Identity(String),
    /// Notification failure.
    #[error("notification: {0}")]
    Notify(String),
    /// A refusal the caller should see.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<sqlx::Error> for FeedbackError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Sqlx(e))
    }
}

impl From<FeedbackError> for ApiError {
    fn from(e: FeedbackError) -> Self {
        match e {
            FeedbackError::Api(a) => a,
            other => ApiError::internal(&other),
        }
    }
}

impl Feedback {
    /// The service.
    #[must_use]
    pub fn new(db: Db, clock: SharedClock, calendar: Arc<HolidayCalendar>, identity: Identity, public_url: &str) -> Self {
        Self { db, clock, calendar, identity, public_url: public_url.trim_end_matches('/').to_string(), geocoder: None }
    }

    /// Locates addresses through the city's geocoder (see [`geocode`]).
    #[must_use]
    pub fn with_geocoder(mut self, geocoder: Option<geocode::Geocoder>) -> Self {
        self.geocoder = geocoder;
        self
    }

    /// The database.
    #[must_use]
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The identity service (jurisdictions, agencies, API keys).
    #[must_use]
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The clock.
    #[must_use]
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The server's public base URL, without a trailing slash.
    #[must_use]
    pub fn public_url(&self) -> &str {
        &self.public_url
    }
}
