//! The shared vocabulary every CityOS crate speaks: the injectable [`Clock`],
//! identifiers, data [`Classification`], pagination and the typed [`config`].
//!
//! Architecture invariant: this crate depends on no other CityOS crate and
//! performs no I/O except reading the configuration file it is asked to read.

pub mod clock;
pub mod config;
pub mod page;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use page::{Page, PageParams};

use serde::{Deserialize, Serialize};

/// A new time-ordered unique identifier (UUID v7) as text, the form every
/// CityOS table stores ids in on both backends.
#[must_use]
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Who may see a piece of data. Carried by every event and by every record
/// that is not public, so feeds and subscribers can filter by the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Anyone, including anonymous citizens.
    Public,
    /// Any signed-in staff member of the city.
    Internal,
    /// Only the owning agency (and the agencies above it) and city-wide roles.
    Restricted,
    /// Personal data: only the owning agency and the data subject.
    Personal,
}

impl Classification {
    /// The wire name (`public`, `internal`, `restricted`, `personal`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Internal => "internal",
            Self::Restricted => "restricted",
            Self::Personal => "personal",
        }
    }

    /// Parses a wire name; `None` for anything else.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Self::Public),
            "internal" => Some(Self::Internal),
            "restricted" => Some(Self::Restricted),
            "personal" => Some(Self::Personal),
            _ => None,
        }
    }
}

/// Milliseconds since the Unix epoch: how instants are stored on both backends.
#[must_use]
pub fn to_millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant for stored milliseconds; out-of-range values clamp to the epoch.
#[must_use]
pub fn from_millis(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_time_ordered() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert!(a < b, "uuid v7 sorts by creation time");
    }

    #[test]
    fn classification_round_trips() {
        for c in [Classification::Public, Classification::Internal, Classification::Restricted, Classification::Personal] {
            assert_eq!(Classification::parse(c.as_str()), Some(c));
        }
        assert_eq!(Classification::parse("secret"), None);
    }

    #[test]
    fn millis_round_trip() {
        let t = from_millis(1_751_328_000_000);
        assert_eq!(to_millis(t), 1_751_328_000_000);
    }
}
