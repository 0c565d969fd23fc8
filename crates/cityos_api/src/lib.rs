//! The HTTP contract shared by every CityOS module.
//!
//! * [`ApiError`]: one error type with a stable machine-readable `code`,
//!   rendered as RFC 9457 `application/problem+json` for `/api`, and through
//!   the [`ErrorFormat`] seam by each standard API family (Open311, OGC,
//!   NGSI-LD, CKAN) in its own format.
//! * [`Caller`]: who is calling, resolved once per request by the
//!   authentication middleware from a session cookie, a bearer token or an
//!   API key, with the [`Role`] grants and their resolved [`Scope`]s.
//!
//! Architecture invariant: this crate holds vocabulary and checks only; it
//! knows nothing of databases. Every handler that is not public calls one of
//! the `Caller::require_*` methods before touching data.

mod caller;
mod error;
pub mod extract;

pub use caller::{Caller, Grant, Principal, ResolvedGrant, Role, Scope, Target};
pub use error::{ApiError, ErrorFormat, ProblemJson};

/// The id of the current request (from `X-Request-Id`, or generated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestId(pub String);
