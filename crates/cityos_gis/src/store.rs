//! Features, their history and their connections, on both backends. The
//! service methods here are the one way to read and write features: the
//! OGC API, the console routes, imports and the demo all call them, so the
//! rules (owner agency, validation, connectivity, history, audit) hold for
//! every writer.
//!
//! (Signatures fixed; bodies are being written.)

use crate::model::{Feature, FeatureInput};
use crate::{Gis, GisError};
use cityos_api::{ApiError, Caller};
use serde::Serialize;

/// A time instant or interval for `datetime` (epoch ms, open ends `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interval {
    /// Start, inclusive.
    pub start: Option<i64>,
    /// End, inclusive.
    pub end: Option<i64>,
}

/// A query over one collection's current features.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// The collection id.
    pub collection: String,
    /// `[minx, miny, maxx, maxy]` in CRS84.
    pub bbox: Option<[f64; 4]>,
    /// Features whose validity (`valid_from`..`valid_to`) intersects this.
    pub datetime: Option<Interval>,
    /// A CQL2 filter.
    pub filter: Option<cityos_cql2::Expr>,
    /// Equality on queryables given as plain query parameters (`status=functional`).
    pub equals: Vec<(String, String)>,
    /// Page size (already clamped by the caller).
    pub limit: i64,
    /// Features to skip.
    pub offset: i64,
}

/// A page of features.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemPage {
    /// The features, ordered by id.
    pub features: Vec<Feature>,
    /// How many features match in all, when known.
    pub number_matched: Option<u64>,
}

/// One version of a feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// The version number.
    pub version: i64,
    /// `create`, `replace`, `update` or `delete`.
    pub change: String,
    /// Who made it (`user:<id>`, `apikey:<id>`, `system`).
    pub actor: String,
    /// When the version became valid (epoch ms).
    pub valid_from: i64,
    /// When it was superseded (epoch ms), `None` for the current one.
    pub valid_to: Option<i64>,
    /// The feature as it was (absent for a deletion).
    pub feature: Option<Feature>,
}

/// A link's connection to a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// The link (cable, pipe, duct).
    pub link_id: String,
    /// The link's collection.
    pub link_collection: String,
    /// The node.
    pub node_id: String,
    /// The node's collection.
    pub node_collection: String,
    /// `from` or `to`: which end of the link.
    pub end: String,
}

fn not_yet() -> GisError {
    GisError::Api(ApiError::unavailable(&"the GIS store is being built"))
}

impl Gis {
    /// A page of current features.
    ///
    /// # Errors
    /// Unknown collection (404), an invalid filter (400), storage failure.
    pub async fn query(&self, _q: &ItemQuery) -> Result<ItemPage, GisError> {
        Err(not_yet())
    }

    /// The current version of one feature, `None` when absent or deleted.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn get(&self, _collection: &str, _id: &str) -> Result<Option<Feature>, GisError> {
        Err(not_yet())
    }

    /// Creates a feature (OGC Part 4 POST): validated, owner checked,
    /// connected, audited, kept in the history.
    ///
    /// # Errors
    /// 401/403 without an editing role for the owner agency; 400 invalid
    /// geometry or attributes; 409 id taken.
    pub async fn create(&self, _caller: &Caller, _collection: &str, _input: FeatureInput) -> Result<Feature, GisError> {
        Err(not_yet())
    }

    /// Replaces a feature (PUT); `if_match` is the client's ETag, if any.
    ///
    /// # Errors
    /// As [`Gis::create`], plus 404 absent and 412 when `if_match` is stale.
    pub async fn replace(
        &self,
        _caller: &Caller,
        _collection: &str,
        _id: &str,
        _input: FeatureInput,
        _if_match: Option<&str>,
    ) -> Result<Feature, GisError> {
        Err(not_yet())
    }

    /// Applies a JSON merge patch (RFC 7396) to a GeoJSON feature (PATCH).
    ///
    /// # Errors
    /// As [`Gis::replace`].
    pub async fn patch(
        &self,
        _caller: &Caller,
        _collection: &str,
        _id: &str,
        _merge_patch: &serde_json::Value,
        _if_match: Option<&str>,
    ) -> Result<Feature, GisError> {
        Err(not_yet())
    }

    /// Deletes a feature (kept in the history) and its connections.
    ///
    /// # Errors
    /// As [`Gis::replace`].
    pub async fn delete(&self, _caller: &Caller, _collection: &str, _id: &str, _if_match: Option<&str>) -> Result<(), GisError> {
        Err(not_yet())
    }

    /// Every version of a feature, newest first.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn history(&self, _collection: &str, _id: &str) -> Result<Vec<HistoryEntry>, GisError> {
        Err(not_yet())
    }

    /// The connections of a link or node.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn connections(&self, _id: &str) -> Result<Vec<Connection>, GisError> {
        Err(not_yet())
    }

    /// Inserts many new features in one transaction per batch (imports, the
    /// demo), with the same validation, connectivity and history as
    /// [`Gis::create`] and one audit record per batch. Returns the ids.
    ///
    /// # Errors
    /// As [`Gis::create`]; nothing of a failed batch is written.
    pub async fn insert_many(&self, _caller: &Caller, _collection: &str, _inputs: Vec<FeatureInput>) -> Result<Vec<String>, GisError> {
        Err(not_yet())
    }
}
