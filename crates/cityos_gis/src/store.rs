//! Features, their history and their connections, on both backends. The
//! service methods here are the one way to read and write features: the
//! OGC API, the console routes, imports and the demo all call them, so the
//! rules (owner agency, validation, connectivity, history, audit) hold for
//! every writer.
//!
//! Reading is public (the open infrastructure map holds only non-sensitive
//! attributes); writing needs the role `staff` or `data_officer` (or `admin`)
//! with a scope covering the feature's owner agency.

mod connect;
pub mod extent;
mod search;
mod validate;
mod write;

pub use connect::TOLERANCE_M;
pub use validate::READ_ONLY;

use crate::model::{CollectionDef, Feature, FeatureInput};
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

/// The columns every feature read selects, in one place for both backends.
macro_rules! feature_fields {
    () => {
        "rid, id, collection, kind, name, owner_agency, status, condition, material, diameter_mm, voltage_kv, depth_m, \
         install_date, valid_from, valid_to, extra, geometry AS geojson, version"
    };
}
pub(crate) use feature_fields;

/// The columns [`feature_from_row`] reads, for the query compiler: those of
/// [`feature_fields`] less the row key and the kind, which a served feature
/// does not show (item queries select these for every row they return).
const READ_FIELD_NAMES: &[&str] = &[
    "id",
    "collection",
    "name",
    "owner_agency",
    "status",
    "condition",
    "material",
    "diameter_mm",
    "voltage_kv",
    "depth_m",
    "install_date",
    "valid_from",
    "valid_to",
    "extra",
    "geojson",
    "version",
];

/// Parses a stored GeoJSON geometry.
///
/// Collections hold points and lines, read on every item query: those are
/// parsed straight into positions. (`geojson`'s own deserialiser builds a
/// `serde_json::Value` tree first, which cost a large share of a query's
/// time in allocations.) Anything else takes the general path.
pub(crate) fn parse_geometry(text: &str) -> Result<geojson::Geometry, GisError> {
    let fail = |e: serde_json::Error| GisError::Api(ApiError::internal(&format!("stored geometry does not parse: {e}")));
    if let Ok(g) = serde_json::from_str::<fast_geometry::Simple>(text) {
        if let Some(v) = g.into_value() {
            return Ok(geojson::Geometry::new(v));
        }
    }
    serde_json::from_str(text).map_err(fail)
}

mod fast_geometry {
    //! Points, multipoints and lines read without an intermediate JSON tree.
    use serde::Deserialize;

    /// `{"type": …, "coordinates": …}` with flat or one-level-nested positions.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Simple {
        #[serde(rename = "type")]
        kind: String,
        coordinates: Coordinates,
    }

    /// A position, or a list of positions.
    pub(super) enum Coordinates {
        Position(Vec<f64>),
        Positions(Vec<Vec<f64>>),
    }

    impl<'de> Deserialize<'de> for Coordinates {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Coordinates;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a position or a list of positions")
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Coordinates, A::Error> {
                    let mut numbers = Vec::with_capacity(3);
                    let mut positions = Vec::new();
                    while let Some(item) = seq.next_element::<Item>()? {
                        match item {
                            Item::Number(n) if positions.is_empty() => numbers.push(n),
                            Item::Position(p) if numbers.is_empty() => positions.push(p),
                            _ => return Err(serde::de::Error::custom("mixed positions and numbers")),
                        }
                    }
                    Ok(if positions.is_empty() { Coordinates::Position(numbers) } else { Coordinates::Positions(positions) })
                }
            }
            d.deserialize_seq(V)
        }
    }

    /// One element of a coordinates array: a number or a position.
    enum Item {
        Number(f64),
        Position(Vec<f64>),
    }

    impl<'de> Deserialize<'de> for Item {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Item;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a number or a position")
                }
                fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Item, E> {
                    Ok(Item::Number(v))
                }
                #[expect(clippy::cast_precision_loss, reason = "coordinates given as integers")]
                fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Item, E> {
                    Ok(Item::Number(v as f64))
                }
                #[expect(clippy::cast_precision_loss, reason = "coordinates given as integers")]
                fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Item, E> {
                    Ok(Item::Number(v as f64))
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Item, A::Error> {
                    let mut p = Vec::with_capacity(3);
                    while let Some(n) = seq.next_element::<f64>()? {
                        p.push(n);
                    }
                    Ok(Item::Position(p))
                }
            }
            d.deserialize_any(V)
        }
    }

    impl Simple {
        /// The geometry, for the kinds read here.
        pub(super) fn into_value(self) -> Option<geojson::Value> {
            match (self.kind.as_str(), self.coordinates) {
                ("Point", Coordinates::Position(p)) if p.len() >= 2 => Some(geojson::Value::Point(p)),
                ("LineString", Coordinates::Positions(ps)) => Some(geojson::Value::LineString(ps)),
                ("MultiPoint", Coordinates::Positions(ps)) => Some(geojson::Value::MultiPoint(ps)),
                _ => None,
            }
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn reads_what_the_general_parser_reads() {
            for text in [
                r#"{"type":"Point","coordinates":[106.7,10.78]}"#,
                r#"{"coordinates":[106,10,3.5],"type":"Point"}"#,
                r#"{"type":"LineString","coordinates":[[106.7,10.78],[106.71,10.79]]}"#,
                r#"{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}"#,
                r#"{"type":"Point","coordinates":[1,2],"bbox":[1,2,1,2]}"#,
                r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#,
            ] {
                let general: geojson::Geometry = serde_json::from_str(text).unwrap();
                assert_eq!(super::super::parse_geometry(text).unwrap(), general, "{text}");
            }
            assert!(super::super::parse_geometry(r#"{"type":"Point","coordinates":[1,[2]]}"#).is_err());
        }
    }
}

/// The collection `id`, or 404.
fn collection_def(id: &str) -> Result<&'static CollectionDef, GisError> {
    crate::model::collection(id).ok_or_else(|| GisError::Api(ApiError::not_found(format!("no collection {id}"))))
}

/// A feature's stored values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    /// Row key (0 before insertion).
    pub rid: i64,
    /// Feature id.
    pub id: String,
    /// Collection.
    pub coll: &'static CollectionDef,
    /// Checked properties (owner included).
    pub props: validate::CheckedProps,
    /// Owner agency.
    pub owner: String,
    /// Geometry, CRS84.
    pub geometry: geojson::Geometry,
    /// `[minx, miny, maxx, maxy]`.
    pub bbox: [f64; 4],
    /// Start of the version's validity (epoch ms).
    pub valid_from: i64,
    /// End of its validity, if set.
    pub valid_to: Option<i64>,
    /// Version.
    pub version: i64,
}

fn rfc3339(ms: i64) -> String {
    cityos_core::from_millis(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Stored {
    /// The feature as served: common attributes first, then the collection's.
    pub fn feature(&self) -> Feature {
        Feature {
            id: self.id.clone(),
            collection: self.coll.id.to_string(),
            geometry: self.geometry.clone(),
            properties: self.properties(),
            version: self.version,
        }
    }

    fn properties(&self) -> serde_json::Map<String, serde_json::Value> {
        served_properties(self.coll, self.owner.clone(), self.props.clone(), self.valid_from, self.valid_to)
    }

    /// Reads a row selected with [`feature_fields`].
    pub fn from_row(row: &cityos_store::Row) -> Result<Self, GisError> {
        use sqlx::Row as _;
        let coll = collection_def(row.try_get::<&str, _>("collection")?)?;
        let geometry = parse_geometry(row.try_get::<&str, _>("geojson")?)?;
        let bbox = bbox_of(&geometry);
        let owner: String = row.try_get("owner_agency")?;
        let props = validate::CheckedProps { owner_agency: Some(owner.clone()), ..props_from_row(row)? };
        Ok(Self {
            rid: row.try_get("rid")?,
            id: row.try_get("id")?,
            coll,
            props,
            owner,
            geometry,
            bbox,
            valid_from: row.try_get("valid_from")?,
            valid_to: row.try_get("valid_to")?,
            version: row.try_get("version")?,
        })
    }
}

/// Reads a row selected with [`READ_FIELD_NAMES`] (or [`feature_fields`])
/// straight into the feature as served: the same value as
/// `Stored::from_row(row)?.feature()`, for reads, which need none of
/// [`Stored`]'s write-side fields. Text that is only parsed (`collection`,
/// `extra`, `geojson`) is borrowed from the row instead of copied, the
/// bounding box is not computed, and `extra`'s members move into the
/// properties.
pub(crate) fn feature_from_row(row: &cityos_store::Row) -> Result<Feature, GisError> {
    use sqlx::Row as _;
    let coll = collection_def(row.try_get::<&str, _>("collection")?)?;
    let geometry = parse_geometry(row.try_get::<&str, _>("geojson")?)?;
    let properties =
        served_properties(coll, row.try_get("owner_agency")?, props_from_row(row)?, row.try_get("valid_from")?, row.try_get("valid_to")?);
    Ok(Feature { id: row.try_get("id")?, collection: coll.id.to_string(), geometry, properties, version: row.try_get("version")? })
}

/// The attributes of a row (without its owner, which [`served_properties`] takes apart); `extra`
/// that is not a JSON object reads as none.
fn props_from_row(row: &cityos_store::Row) -> Result<validate::CheckedProps, GisError> {
    use sqlx::Row as _;
    let extra = match serde_json::from_str(row.try_get::<&str, _>("extra")?) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    Ok(validate::CheckedProps {
        name: row.try_get("name")?,
        owner_agency: None,
        status: row.try_get("status")?,
        condition: row.try_get("condition")?,
        material: row.try_get("material")?,
        diameter_mm: row.try_get("diameter_mm")?,
        voltage_kv: row.try_get("voltage_kv")?,
        depth_m: row.try_get("depth_m")?,
        install_date: row.try_get("install_date")?,
        extra,
    })
}

/// A feature's properties as served, one definition for writes ([`Stored::feature`]) and reads
/// ([`feature_from_row`]): common attributes first, then the collection's (`extra`, which
/// override a common one of the same name).
fn served_properties(
    coll: &CollectionDef,
    owner: String,
    p: validate::CheckedProps,
    valid_from: i64,
    valid_to: Option<i64>,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let mut m = serde_json::Map::new();
    let text = |m: &mut serde_json::Map<String, Value>, k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.into(), Value::String(v));
        }
    };
    let num = |m: &mut serde_json::Map<String, Value>, k: &str, v: Option<f64>| {
        if let Some(n) = v.and_then(serde_json::Number::from_f64) {
            m.insert(k.into(), Value::Number(n));
        }
    };
    text(&mut m, "name", p.name);
    m.insert("network".into(), coll.network.as_str().into());
    m.insert("asset_type".into(), coll.asset_type.into());
    m.insert("owner_agency".into(), Value::String(owner));
    text(&mut m, "status", p.status);
    text(&mut m, "condition", p.condition);
    text(&mut m, "material", p.material);
    num(&mut m, "diameter_mm", p.diameter_mm);
    num(&mut m, "voltage_kv", p.voltage_kv);
    num(&mut m, "depth_m", p.depth_m);
    text(&mut m, "install_date", p.install_date);
    if let Some(role) = flow_role(coll) {
        m.insert("flow_role".into(), role.into());
    }
    m.insert("valid_from".into(), rfc3339(valid_from).into());
    if let Some(t) = valid_to {
        m.insert("valid_to".into(), rfc3339(t).into());
    }
    m.extend(p.extra);
    m
}

/// The wire name of a collection's flow role.
fn flow_role(c: &CollectionDef) -> Option<&'static str> {
    c.flow_role.map(|r| match r {
        crate::model::FlowRole::Source => "source",
        crate::model::FlowRole::Sink => "sink",
    })
}

/// The wire name of a kind.
fn kind_name(k: crate::model::Kind) -> &'static str {
    match k {
        crate::model::Kind::Link => "link",
        crate::model::Kind::Node => "node",
        crate::model::Kind::Facility => "facility",
    }
}

/// The bounding box of a stored geometry.
fn bbox_of(g: &geojson::Geometry) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    let mut add = |p: &Vec<f64>| {
        if p.len() >= 2 {
            b[0] = b[0].min(p[0]);
            b[1] = b[1].min(p[1]);
            b[2] = b[2].max(p[0]);
            b[3] = b[3].max(p[1]);
        }
    };
    match &g.value {
        geojson::Value::Point(p) => add(p),
        geojson::Value::LineString(ps) | geojson::Value::MultiPoint(ps) => ps.iter().for_each(&mut add),
        _ => {}
    }
    b
}

/// The geometry as a `geo` geometry (points and lines: what collections hold).
pub(crate) fn to_geo(g: &geojson::Geometry) -> Option<geo::Geometry<f64>> {
    match &g.value {
        geojson::Value::Point(p) if p.len() >= 2 => Some(geo::Geometry::Point(geo::Point::new(p[0], p[1]))),
        geojson::Value::LineString(ps) => {
            Some(geo::Geometry::LineString(ps.iter().filter(|p| p.len() >= 2).map(|p| geo::coord! { x: p[0], y: p[1] }).collect()))
        }
        _ => None,
    }
}

impl Gis {
    /// A page of current features.
    ///
    /// # Errors
    /// Unknown collection (404), an invalid filter (400), storage failure.
    pub async fn query(&self, q: &ItemQuery) -> Result<ItemPage, GisError> {
        search::run(self, q).await
    }

    /// The current version of one feature, `None` when absent or deleted.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn get(&self, collection: &str, id: &str) -> Result<Option<Feature>, GisError> {
        let sql = concat!("SELECT ", feature_fields!(), " FROM gis_features WHERE id = $1 AND collection = $2");
        let row = sqlx::query(sql).bind(id).bind(collection).fetch_optional(self.db.reader()).await?;
        row.map(|r| feature_from_row(&r)).transpose()
    }

    /// Whether a current feature has this id, in any collection.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn exists(&self, id: &str) -> Result<bool, GisError> {
        let row = sqlx::query("SELECT 1 AS one FROM gis_features WHERE id = $1").bind(id).fetch_optional(self.db.reader()).await?;
        Ok(row.is_some())
    }

    /// Creates a feature (OGC Part 4 POST): validated, owner checked,
    /// connected, audited, kept in the history.
    ///
    /// # Errors
    /// 401/403 without an editing role for the owner agency; 400 invalid
    /// geometry or attributes; 409 id taken.
    pub async fn create(&self, caller: &Caller, collection: &str, input: FeatureInput) -> Result<Feature, GisError> {
        let mut created = self.insert_checked(&write::Writer::of(caller)?, collection, vec![input], false).await?;
        self.invalidate_extents();
        created.pop().ok_or_else(|| GisError::Api(ApiError::internal(&"no feature was created")))
    }

    /// Replaces a feature (PUT); `if_match` is the client's ETag, if any.
    ///
    /// # Errors
    /// As [`Gis::create`], plus 404 absent and 412 when `if_match` is stale.
    pub async fn replace(
        &self,
        caller: &Caller,
        collection: &str,
        id: &str,
        input: FeatureInput,
        if_match: Option<&str>,
    ) -> Result<Feature, GisError> {
        if input.id.as_deref().is_some_and(|i| i != id) {
            return Err(GisError::Api(ApiError::bad_request("invalid_feature", "the feature's id differs from the id in the path")));
        }
        let f = self
            .rewrite(&write::Writer::of(caller)?, collection, id, &input.geometry, &input.properties, if_match, None, "replace")
            .await?;
        self.invalidate_extents();
        Ok(f)
    }

    /// Applies a JSON merge patch (RFC 7396) to a GeoJSON feature (PATCH).
    ///
    /// # Errors
    /// As [`Gis::replace`].
    pub async fn patch(
        &self,
        caller: &Caller,
        collection: &str,
        id: &str,
        merge_patch: &serde_json::Value,
        if_match: Option<&str>,
    ) -> Result<Feature, GisError> {
        let writer = write::Writer::of(caller)?;
        if !merge_patch.is_object() {
            return Err(GisError::Api(ApiError::bad_request("invalid_patch", "a merge patch of a feature is a JSON object")));
        }
        // A concurrent write between reading and rewriting is retried (the
        // client's If-Match, if any, is still checked against the newest version).
        for _ in 0..3 {
            let Some(current) = self.get(collection, id).await? else {
                return Err(GisError::Api(ApiError::not_found(format!("no feature {id} in {collection}"))));
            };
            let (geometry, properties) = write::merged(&current, merge_patch)?;
            match self.rewrite(&writer, collection, id, &geometry, &properties, if_match, Some(current.version), "update").await {
                Err(GisError::Api(e)) if e.code == write::RETRY => {}
                Ok(f) => {
                    self.invalidate_extents();
                    return Ok(f);
                }
                Err(e) => return Err(e),
            }
        }
        Err(GisError::Api(ApiError::conflict("the feature kept changing while the patch was applied; retry")))
    }

    /// Deletes a feature (kept in the history) and its connections.
    ///
    /// # Errors
    /// As [`Gis::replace`].
    pub async fn delete(&self, caller: &Caller, collection: &str, id: &str, if_match: Option<&str>) -> Result<(), GisError> {
        self.remove(&write::Writer::of(caller)?, collection, id, if_match).await?;
        self.invalidate_extents();
        Ok(())
    }

    /// Every version of a feature, newest first.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn history(&self, collection: &str, id: &str) -> Result<Vec<HistoryEntry>, GisError> {
        use sqlx::Row as _;
        let rows = sqlx::query(
            "SELECT version, change, actor, valid_from, valid_to, snapshot FROM gis_feature_history \
             WHERE feature_id = $1 AND collection = $2 ORDER BY version DESC",
        )
        .bind(id)
        .bind(collection)
        .fetch_all(self.db.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let snapshot: Option<String> = r.try_get("snapshot")?;
            let feature = match snapshot {
                Some(s) => Some(
                    serde_json::from_str::<Feature>(&s)
                        .map_err(|e| GisError::Api(ApiError::internal(&format!("history snapshot does not parse: {e}"))))?,
                ),
                None => None,
            };
            out.push(HistoryEntry {
                version: r.try_get("version")?,
                change: r.try_get("change")?,
                actor: r.try_get("actor")?,
                valid_from: r.try_get("valid_from")?,
                valid_to: r.try_get("valid_to")?,
                feature,
            });
        }
        Ok(out)
    }

    /// The connections of a link or node.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn connections(&self, id: &str) -> Result<Vec<Connection>, GisError> {
        use sqlx::Row as _;
        let rows = sqlx::query(
            "SELECT c.link_id AS link_id, l.collection AS link_collection, c.node_id AS node_id, n.collection AS node_collection, \
             c.link_end AS link_end FROM gis_connections c \
             JOIN gis_features l ON l.id = c.link_id JOIN gis_features n ON n.id = c.node_id \
             WHERE c.link_id = $1 OR c.node_id = $1 ORDER BY c.link_id, c.link_end",
        )
        .bind(id)
        .fetch_all(self.db.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(Connection {
                link_id: r.try_get("link_id")?,
                link_collection: r.try_get("link_collection")?,
                node_id: r.try_get("node_id")?,
                node_collection: r.try_get("node_collection")?,
                end: r.try_get("link_end")?,
            });
        }
        Ok(out)
    }

    /// Inserts many new features in one transaction per batch (imports, the
    /// demo), with the same validation, connectivity and history as
    /// [`Gis::create`] and one audit record per batch. Returns the ids.
    ///
    /// # Errors
    /// As [`Gis::create`]; nothing of a failed batch is written.
    pub async fn insert_many(&self, caller: &Caller, collection: &str, inputs: Vec<FeatureInput>) -> Result<Vec<String>, GisError> {
        let created = self.insert_checked(&write::Writer::of(caller)?, collection, inputs, true).await?;
        self.invalidate_extents();
        Ok(created.into_iter().map(|f| f.id).collect())
    }

    /// [`Gis::insert_many`] as the system (actor `system`, no role check),
    /// for seeding the demo network; features without `owner_agency` belong
    /// to `agency`.
    ///
    /// # Errors
    /// As [`Gis::insert_many`].
    pub async fn insert_many_as_system(&self, agency: &str, collection: &str, inputs: Vec<FeatureInput>) -> Result<Vec<String>, GisError> {
        let created = self.insert_checked(&write::Writer::system(agency), collection, inputs, true).await?;
        self.invalidate_extents();
        Ok(created.into_iter().map(|f| f.id).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::{feature_from_row, Stored, READ_FIELD_NAMES};

    /// The read path builds the very feature the general one does, on rows
    /// with and without optional values (and with a source's flow role).
    #[tokio::test]
    async fn reading_a_feature_matches_the_stored_path() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
        sqlx::query(
            "CREATE TABLE gis_features (rid INTEGER PRIMARY KEY, id TEXT, collection TEXT, kind TEXT, name TEXT, owner_agency TEXT, \
             status TEXT, condition TEXT, material TEXT, diameter_mm DOUBLE PRECISION, voltage_kv DOUBLE PRECISION, \
             depth_m DOUBLE PRECISION, install_date TEXT, valid_from BIGINT, valid_to BIGINT, extra TEXT, geometry TEXT, version BIGINT)",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO gis_features VALUES \
             (1, 'p1', 'water-pipes', 'link', 'Ống 1', 'SAWACO', 'functional', 'good', 'HDPE', 100.0, NULL, 0.8, '2009-04-05', \
              1795853438786, NULL, '{\"pressure_bar\":2.5}', '{\"type\":\"LineString\",\"coordinates\":[[106.7,10.78],[106.71,10.79]]}', 3), \
             (2, 'p2', 'water-pipes', 'link', NULL, 'SAWACO', NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
              0, 1795853438786, '{}', '{\"type\":\"LineString\",\"coordinates\":[[106.7,10.78,1.5],[106.71,10.79,2]]}', 1), \
             (3, 'w1', 'water-treatment-plants', 'facility', 'Nhà máy', 'SAWACO', 'functional', NULL, NULL, NULL, NULL, NULL, NULL, \
              5, NULL, 'not json', '{\"type\":\"Point\",\"coordinates\":[106.7,10.78]}', 2)",
        )
        .execute(&pool)
        .await
        .unwrap();
        let rows = sqlx::query(concat!("SELECT ", feature_fields!(), " FROM gis_features ORDER BY rid")).fetch_all(&pool).await.unwrap();
        assert_eq!(rows.len(), 3);
        // What item queries select is all the read path needs.
        let read: Vec<String> =
            READ_FIELD_NAMES.iter().map(|c| if *c == "geojson" { "geometry AS geojson".to_string() } else { (*c).to_string() }).collect();
        let narrow = sqlx::query(&format!("SELECT {} FROM gis_features ORDER BY rid", read.join(", "))).fetch_all(&pool).await.unwrap();
        for (row, narrow) in rows.iter().zip(&narrow) {
            let general = Stored::from_row(row).unwrap().feature();
            assert_eq!(feature_from_row(row).unwrap(), general);
            assert_eq!(feature_from_row(narrow).unwrap(), general);
            assert_eq!(serde_json::to_string(&feature_from_row(row).unwrap()).unwrap(), serde_json::to_string(&general).unwrap());
        }
    }
}
