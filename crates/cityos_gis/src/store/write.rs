//! The write path: who may write, inserting (one or many), rewriting
//! (replace and patch) and deleting, each in one transaction with the
//! history, the connections, the audit record and the event.

use super::connect::{self, Grid, NodePos, END_NAMES, TOLERANCE_M};
use super::validate;
use super::{collection_def, feature_fields, kind_name, Stored};
use crate::model::{CollectionDef, Feature, FeatureInput, Kind};
use crate::{Gis, GisError};
use cityos_api::{ApiError, Caller, Principal, Role, Target};
use cityos_audit::AuditRecord;
use cityos_core::Classification;
use cityos_events::CloudEvent;
use cityos_store::query::table::{insert_rows, rows_per_insert, Cell, ColumnType, Ident, TableColumn};
use cityos_store::{Backend, Tx};
use http::StatusCode;
use serde_json::{json, Map, Value};
use sqlx::Row as _;
use std::collections::{HashMap, HashSet};

/// The roles that edit features (admin holds every role).
pub const EDITORS: &[Role] = &[Role::Staff, Role::DataOfficer];

/// Error code of an internal "the row changed under us" signal (patch retries).
pub const RETRY: &str = "gis_retry";

/// Features per transaction in bulk loads.
const BATCH: usize = 1000;

/// Who writes, and on whose behalf.
#[derive(Debug, Clone)]
pub struct Writer<'a> {
    /// The caller; `None` for the system.
    caller: Option<&'a Caller>,
    /// The audit actor.
    actor: String,
    /// The owner of features that name none.
    default_agency: Option<String>,
    /// The request id.
    request_id: Option<String>,
}

impl<'a> Writer<'a> {
    /// A caller who must hold an editing role somewhere.
    ///
    /// # Errors
    /// 401 anonymous, 403 without `staff`/`data_officer`/`admin`.
    pub fn of(caller: &'a Caller) -> Result<Self, GisError> {
        caller.require_any(EDITORS)?;
        let default_agency = match &caller.principal {
            Principal::Staff { agency, .. } => agency.clone(),
            _ => None,
        };
        Ok(Self { caller: Some(caller), actor: caller.actor(), default_agency, request_id: caller.request_id.clone() })
    }

    /// The system, owning by default for `agency`.
    #[must_use]
    pub fn system(agency: &str) -> Writer<'static> {
        Writer { caller: None, actor: "system".into(), default_agency: Some(agency.to_string()), request_id: None }
    }

    /// Requires an editing role covering `agency`.
    fn may_edit(&self, agency: &str) -> Result<(), GisError> {
        match self.caller {
            None => Ok(()),
            Some(c) => Ok(c.require_for(EDITORS, &Target { agency: Some(agency), jurisdiction: None })?),
        }
    }

    /// The owner for a feature that names `given` (or none).
    fn owner(&self, given: Option<String>) -> Result<String, GisError> {
        given.or_else(|| self.default_agency.clone()).ok_or_else(|| {
            GisError::Api(ApiError::bad_request("invalid_feature", "property owner_agency is required: your account belongs to no agency"))
        })
    }
}

fn stale() -> GisError {
    GisError::Api(
        ApiError::new(StatusCode::PRECONDITION_FAILED, "precondition_failed", "Precondition failed")
            .detail("The feature has changed since the ETag in If-Match was read; fetch it again."),
    )
}

/// Checks `If-Match` against the current ETag (`*` matches any).
fn check_if_match(if_match: Option<&str>, current: &Feature) -> Result<(), GisError> {
    let Some(header) = if_match else { return Ok(()) };
    let etag = current.etag();
    if header.split(',').map(str::trim).any(|t| t == "*" || t == etag) {
        Ok(())
    } else {
        Err(stale())
    }
}

/// A unique-key violation on insert: another writer took an id between the
/// check and the insert (possible on PostgreSQL with concurrent writers).
fn taken_on_race(e: GisError) -> GisError {
    match &e {
        GisError::Store(cityos_store::StoreError::Sqlx(sqlx::Error::Database(d))) if d.is_unique_violation() => {
            GisError::Api(ApiError::conflict("a feature with one of these ids exists already"))
        }
        _ => e,
    }
}

fn not_found(collection: &str, id: &str) -> GisError {
    GisError::Api(ApiError::not_found(format!("no feature {id} in collection {collection}")))
}

/// Applies an RFC 7396 merge patch.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The geometry and properties of `current` after a merge patch of its
/// GeoJSON form (`null` removes an optional property).
///
/// # Errors
/// 400 when the patch changes the id or type, removes the geometry, or
/// leaves a geometry or properties that are not GeoJSON.
pub fn merged(current: &Feature, patch: &Value) -> Result<(geojson::Geometry, Map<String, Value>), GisError> {
    let bad = |d: &str| GisError::Api(ApiError::bad_request("invalid_patch", d.to_string()));
    let mut doc = json!({
        "type": "Feature",
        "id": current.id,
        "geometry": current.geometry,
        "properties": current.properties,
    });
    merge(&mut doc, patch);
    if doc.get("id").and_then(Value::as_str) != Some(current.id.as_str()) {
        return Err(bad("a patch cannot change the feature's id"));
    }
    if doc.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(bad("a patch cannot change the GeoJSON type"));
    }
    let geometry = match doc.get("geometry") {
        None | Some(Value::Null) => return Err(bad("a feature must keep a geometry")),
        Some(g) => geojson::Geometry::from_json_value(g.clone()).map_err(|e| bad(&format!("the patched geometry is not GeoJSON: {e}")))?,
    };
    let properties = match doc.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(bad("properties must be an object")),
    };
    Ok((geometry, properties))
}

/// The stored columns of `gis_features` written on insert, in order.
const INSERT_COLUMNS: &[(&str, ColumnType)] = &[
    ("id", ColumnType::Text),
    ("collection", ColumnType::Text),
    ("network", ColumnType::Text),
    ("asset_type", ColumnType::Text),
    ("kind", ColumnType::Text),
    ("name", ColumnType::Text),
    ("name_folded", ColumnType::Text),
    ("owner_agency", ColumnType::Text),
    ("status", ColumnType::Text),
    ("condition", ColumnType::Text),
    ("material", ColumnType::Text),
    ("diameter_mm", ColumnType::Double),
    ("voltage_kv", ColumnType::Double),
    ("depth_m", ColumnType::Double),
    ("install_date", ColumnType::Text),
    ("flow_role", ColumnType::Text),
    ("valid_from", ColumnType::BigInt),
    ("valid_to", ColumnType::BigInt),
    ("extra", ColumnType::Text),
    ("geometry", ColumnType::Text),
    ("minx", ColumnType::Double),
    ("miny", ColumnType::Double),
    ("maxx", ColumnType::Double),
    ("maxy", ColumnType::Double),
    ("version", ColumnType::BigInt),
    ("created_by", ColumnType::Text),
    ("created_at", ColumnType::BigInt),
    ("updated_by", ColumnType::Text),
    ("updated_at", ColumnType::BigInt),
];

const HISTORY_COLUMNS: &[(&str, ColumnType)] = &[
    ("feature_id", ColumnType::Text),
    ("collection", ColumnType::Text),
    ("version", ColumnType::BigInt),
    ("change", ColumnType::Text),
    ("actor", ColumnType::Text),
    ("valid_from", ColumnType::BigInt),
    ("valid_to", ColumnType::BigInt),
    ("snapshot", ColumnType::Text),
];

const CONNECTION_COLUMNS: &[(&str, ColumnType)] =
    &[("link_id", ColumnType::Text), ("link_end", ColumnType::Text), ("node_id", ColumnType::Text)];

fn columns(spec: &[(&str, ColumnType)]) -> Result<Vec<TableColumn>, GisError> {
    spec.iter().map(|(n, ty)| Ok(TableColumn { name: Ident::new(n).map_err(cityos_store::StoreError::from)?, ty: *ty })).collect()
}

fn ident(name: &str) -> Result<Ident, GisError> {
    Ok(Ident::new(name).map_err(cityos_store::StoreError::from)?)
}

fn text(v: &Option<String>) -> Cell {
    Cell::Text(v.clone())
}

fn feature_cells(s: &Stored, actor: &str, now: i64) -> Vec<Cell> {
    let p = &s.props;
    vec![
        Cell::Text(Some(s.id.clone())),
        Cell::Text(Some(s.coll.id.into())),
        Cell::Text(Some(s.coll.network.as_str().into())),
        Cell::Text(Some(s.coll.asset_type.into())),
        Cell::Text(Some(kind_name(s.coll.kind).into())),
        text(&p.name),
        Cell::Text(p.name.as_deref().map(cityos_text::fold)),
        Cell::Text(Some(s.owner.clone())),
        text(&p.status),
        text(&p.condition),
        text(&p.material),
        Cell::Double(p.diameter_mm),
        Cell::Double(p.voltage_kv),
        Cell::Double(p.depth_m),
        text(&p.install_date),
        Cell::Text(super::flow_role(s.coll).map(str::to_string)),
        Cell::Int(Some(s.valid_from)),
        Cell::Int(s.valid_to),
        Cell::Text(Some(Value::Object(p.extra.clone()).to_string())),
        Cell::Text(Some(serde_json::to_string(&s.geometry).unwrap_or_default())),
        Cell::Double(Some(s.bbox[0])),
        Cell::Double(Some(s.bbox[1])),
        Cell::Double(Some(s.bbox[2])),
        Cell::Double(Some(s.bbox[3])),
        Cell::Int(Some(s.version)),
        Cell::Text(Some(actor.into())),
        Cell::Int(Some(now)),
        Cell::Text(Some(actor.into())),
        Cell::Int(Some(now)),
    ]
}

fn history_cells(f: &Feature, change: &str, actor: &str, valid_from: i64) -> Vec<Cell> {
    vec![
        Cell::Text(Some(f.id.clone())),
        Cell::Text(Some(f.collection.clone())),
        Cell::Int(Some(f.version)),
        Cell::Text(Some(change.into())),
        Cell::Text(Some(actor.into())),
        Cell::Int(Some(valid_from)),
        Cell::Int(None),
        Cell::Text(Some(serde_json::to_string(f).unwrap_or_default())),
    ]
}

/// Multi-row inserts of `rows` into `table`, in statements of the largest size the compiler allows.
async fn insert_all(tx: &mut Tx, backend: Backend, table: &str, spec: &[(&str, ColumnType)], rows: Vec<Vec<Cell>>) -> Result<(), GisError> {
    if rows.is_empty() {
        return Ok(());
    }
    let table = ident(table)?;
    let cols = columns(spec)?;
    let per = rows_per_insert(cols.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Cell>> = rows.by_ref().take(per).collect();
        let ins = insert_rows(backend, &table, &cols, chunk).map_err(cityos_store::StoreError::from)?;
        ins.query().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Double bound as text (see `cityos_store::query::table`: the `Any` driver
/// binds a missing `f64` as `float4`, which PostgreSQL then refuses).
fn dbl(v: Option<f64>) -> String {
    v.filter(|f| f.is_finite()).map(|f| f.to_string()).unwrap_or_default()
}

impl Gis {
    fn now_ms(&self) -> i64 {
        cityos_core::to_millis(self.clock.now())
    }

    /// Refuses owner codes that name no agency.
    async fn known_agencies(&self) -> Result<HashSet<String>, GisError> {
        let agencies = self.identity.agencies().await.map_err(|e| GisError::Api(ApiError::internal(&e)))?;
        Ok(agencies.into_iter().map(|a| a.code).collect())
    }

    /// Appends the audit record and the event of a write.
    #[expect(clippy::too_many_arguments, reason = "one record and one event, each with its own fields")]
    async fn record(
        &self,
        tx: &mut Tx,
        w: &Writer<'_>,
        action: &str,
        object: String,
        rows: i64,
        kind: &str,
        agency: &str,
        data: Value,
    ) -> Result<(), GisError> {
        let rec = AuditRecord {
            actor: w.actor.clone(),
            action: format!("gis.feature.{action}"),
            object: object.clone(),
            purpose: None,
            outcome: "success".into(),
            request_id: w.request_id.clone(),
            row_count: Some(rows),
        };
        cityos_audit::append(tx, self.db.backend(), &self.clock, &rec).await?;
        let ev = CloudEvent::new(&self.clock, "/cityos/gis", &format!("vn.cityos.gis.{kind}"), Classification::Public, data)
            .subject(object)
            .agency(Some(agency.to_string()));
        cityos_events::publish(tx, &ev).await?;
        Ok(())
    }

    /// Validates, authorises and inserts new features: one transaction for
    /// a single create, one per [`BATCH`] for bulk loads.
    pub(super) async fn insert_checked(
        &self,
        w: &Writer<'_>,
        collection: &str,
        inputs: Vec<FeatureInput>,
        bulk: bool,
    ) -> Result<Vec<Feature>, GisError> {
        let coll = collection_def(collection)?;
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let agencies = self.known_agencies().await?;
        let now = self.now_ms();
        let mut rows = Vec::with_capacity(inputs.len());
        let mut chosen_ids = Vec::with_capacity(inputs.len());
        let mut seen = HashSet::new();
        for (i, input) in inputs.into_iter().enumerate() {
            let at = |e: ApiError| {
                if bulk {
                    let d = e.detail.clone().unwrap_or_default();
                    GisError::Api(e.detail(format!("feature {}: {d}", i + 1)).with("index", i))
                } else {
                    GisError::Api(e)
                }
            };
            let checked = validate::feature(coll, &input.geometry, &input.properties).map_err(at)?;
            let owner = w.owner(checked.props.owner_agency.clone())?;
            if !agencies.contains(&owner) {
                return Err(at(ApiError::bad_request("invalid_feature", format!("owner_agency {owner} is not a known agency"))));
            }
            w.may_edit(&owner)?;
            chosen_ids.push(input.id.is_some());
            let id = match input.id {
                Some(id) => {
                    validate::feature_id(&id).map_err(at)?;
                    id
                }
                None => cityos_core::new_id(),
            };
            if !seen.insert(id.clone()) {
                return Err(at(ApiError::bad_request("invalid_feature", format!("id {id} appears twice"))));
            }
            let mut props = checked.props;
            props.owner_agency = Some(owner.clone());
            rows.push(Stored {
                rid: 0,
                id,
                coll,
                props,
                owner,
                geometry: checked.geometry,
                bbox: checked.bbox,
                valid_from: now,
                valid_to: None,
                version: 1,
            });
        }
        let backend = self.db.backend();
        let mut grid = if bulk { Some(self.bulk_context(coll, &rows).await?) } else { None };
        let mut out = Vec::with_capacity(rows.len());
        for (batch, chosen) in rows.chunks_mut(BATCH).zip(chosen_ids.chunks(BATCH)) {
            let mut tx = self.db.begin().await?;
            self.prepare_versions(&mut tx, batch, chosen).await?;
            let features: Vec<Feature> = batch.iter().map(Stored::feature).collect();
            let before: i64 = sqlx::query("SELECT COALESCE(MAX(rid), 0) AS m FROM gis_features").fetch_one(&mut *tx).await?.try_get("m")?;
            insert_all(&mut tx, backend, "gis_features", INSERT_COLUMNS, batch.iter().map(|s| feature_cells(s, &w.actor, now)).collect())
                .await
                .map_err(taken_on_race)?;
            sqlx::query(backend.pick(
                "INSERT INTO gis_features_rtree (rid, minx, maxx, miny, maxy) SELECT rid, minx, maxx, miny, maxy FROM gis_features WHERE rid > $1",
                "UPDATE gis_features SET geom = ST_SetSRID(ST_GeomFromGeoJSON(geometry), 4326) WHERE rid > $1 AND geom IS NULL",
            ))
            .bind(before)
            .execute(&mut *tx)
            .await?;
            insert_all(
                &mut tx,
                backend,
                "gis_feature_history",
                HISTORY_COLUMNS,
                features.iter().map(|f| history_cells(f, "create", &w.actor, now)).collect(),
            )
            .await?;
            match (&mut grid, coll.kind) {
                (Some(ctx), _) => self.connect_bulk(&mut tx, coll, batch, ctx).await?,
                (None, Kind::Link) => {
                    for s in batch.iter() {
                        connect::link_written(&mut tx, backend, coll.network.as_str(), &s.id, &s.geometry).await?;
                    }
                }
                (None, Kind::Node) => {
                    for s in batch.iter() {
                        connect::node_changed(&mut tx, backend, coll.network.as_str(), &s.id, connect::point(&s.geometry)).await?;
                    }
                }
                (None, Kind::Facility) => {}
            }
            let first_owner = batch.first().map(|s| s.owner.clone()).unwrap_or_default();
            if bulk {
                let ids: Vec<&str> = batch.iter().map(|s| s.id.as_str()).collect();
                self.record(
                    &mut tx,
                    w,
                    "import",
                    format!("collection:{}", coll.id),
                    i64::try_from(batch.len()).unwrap_or(i64::MAX),
                    "features.imported",
                    &first_owner,
                    json!({ "collection": coll.id, "count": batch.len(), "first_id": ids.first(), "last_id": ids.last() }),
                )
                .await?;
            } else if let Some(f) = features.first() {
                self.record(
                    &mut tx,
                    w,
                    "create",
                    format!("feature:{}", f.id),
                    1,
                    "feature.created",
                    &first_owner,
                    json!({ "id": f.id, "collection": coll.id, "version": f.version }),
                )
                .await?;
            }
            tx.commit().await?;
            out.extend(features);
        }
        Ok(out)
    }

    /// Refuses ids in use and numbers each new feature's first version after
    /// any earlier life of the same id (a feature deleted and created again
    /// continues its history). Closes the open history entry of such ids.
    async fn prepare_versions(&self, tx: &mut Tx, batch: &mut [Stored], chosen: &[bool]) -> Result<(), GisError> {
        use cityos_store::query::{self, Aggregate, Column, Filter, GroupSelect, Schema, Select, Value as QValue};
        use std::borrow::Cow;
        // Generated ids are new; only client-chosen ids need checking.
        let ids: Vec<QValue> = batch
            .iter()
            .zip(chosen.iter().chain(std::iter::repeat(&true)))
            .filter(|(_, c)| **c)
            .map(|(s, _)| QValue::Text(s.id.clone()))
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let q = |e| GisError::Store(cityos_store::StoreError::Query(e));
        let features = Schema { table: Cow::Borrowed("gis_features"), columns: Cow::Owned(vec![Column::fixed("id")]), fulltext: None };
        let taken = query::select(
            &features,
            &Select {
                fields: vec!["id".into()],
                filter: Some(Filter::In { column: "id".into(), values: ids.clone() }),
                ..Select::default()
            },
        )
        .map_err(q)?;
        if let Some(row) = taken.query().fetch_optional(&mut **tx).await? {
            let id: String = row.try_get("id")?;
            return Err(GisError::Api(ApiError::conflict(format!("a feature with id {id} exists already"))));
        }
        let history = Schema {
            table: Cow::Borrowed("gis_feature_history"),
            columns: Cow::Owned(vec![Column::fixed("feature_id"), Column::fixed("version")]),
            fulltext: None,
        };
        let earlier = query::group(
            &history,
            &GroupSelect {
                group_by: vec!["feature_id".into()],
                aggregates: vec![Aggregate::Max("version".into())],
                filter: Some(Filter::In { column: "feature_id".into(), values: ids }),
                ..GroupSelect::default()
            },
        )
        .map_err(q)?;
        let mut last: HashMap<String, i64> = HashMap::new();
        for row in earlier.query().fetch_all(&mut **tx).await? {
            last.insert(row.try_get("g0")?, row.try_get("a0")?);
        }
        for s in batch.iter_mut() {
            if let Some(v) = last.get(&s.id) {
                s.version = v + 1;
                self.close_history(tx, &s.id, s.valid_from).await?;
            }
        }
        Ok(())
    }

    /// Replaces a feature's geometry and properties (PUT and PATCH).
    #[expect(clippy::too_many_arguments, reason = "PUT and PATCH share this path")]
    pub(super) async fn rewrite(
        &self,
        w: &Writer<'_>,
        collection: &str,
        id: &str,
        geometry: &geojson::Geometry,
        properties: &Map<String, Value>,
        if_match: Option<&str>,
        expected_version: Option<i64>,
        change: &str,
    ) -> Result<Feature, GisError> {
        let coll = collection_def(collection)?;
        let checked = validate::feature(coll, geometry, properties)?;
        let agencies = self.known_agencies().await?;
        let backend = self.db.backend();
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        let current = load(&mut tx, backend, collection, id).await?.ok_or_else(|| not_found(collection, id))?;
        let current_feature = current.feature();
        check_if_match(if_match, &current_feature)?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(GisError::Api(ApiError::new(StatusCode::CONFLICT, RETRY, "changed")));
        }
        w.may_edit(&current.owner)?;
        let owner = checked.props.owner_agency.clone().unwrap_or_else(|| current.owner.clone());
        if owner != current.owner {
            if !agencies.contains(&owner) {
                return Err(GisError::Api(ApiError::bad_request("invalid_feature", format!("owner_agency {owner} is not a known agency"))));
            }
            w.may_edit(&owner)?;
        }
        let mut props = checked.props;
        props.owner_agency = Some(owner.clone());
        let next = Stored {
            rid: current.rid,
            id: id.to_string(),
            coll,
            props,
            owner: owner.clone(),
            geometry: checked.geometry,
            bbox: checked.bbox,
            valid_from: now.max(current.valid_from),
            valid_to: None,
            version: current.version + 1,
        };
        let p = &next.props;
        let done = sqlx::query(
            "UPDATE gis_features SET name = $1, name_folded = $2, owner_agency = $3, status = $4, condition = $5, material = $6, \
             diameter_mm = CAST(NULLIF($7, '') AS DOUBLE PRECISION), voltage_kv = CAST(NULLIF($8, '') AS DOUBLE PRECISION), \
             depth_m = CAST(NULLIF($9, '') AS DOUBLE PRECISION), install_date = $10, valid_from = $11, valid_to = NULL, extra = $12, \
             geometry = $13, minx = $14, miny = $15, maxx = $16, maxy = $17, version = $18, updated_by = $19, updated_at = $20 \
             WHERE rid = $21 AND version = $22",
        )
        .bind(p.name.as_deref())
        .bind(p.name.as_deref().map(cityos_text::fold))
        .bind(&owner)
        .bind(p.status.as_deref())
        .bind(p.condition.as_deref())
        .bind(p.material.as_deref())
        .bind(dbl(p.diameter_mm))
        .bind(dbl(p.voltage_kv))
        .bind(dbl(p.depth_m))
        .bind(p.install_date.as_deref())
        .bind(next.valid_from)
        .bind(Value::Object(p.extra.clone()).to_string())
        .bind(serde_json::to_string(&next.geometry).unwrap_or_default())
        .bind(next.bbox[0])
        .bind(next.bbox[1])
        .bind(next.bbox[2])
        .bind(next.bbox[3])
        .bind(next.version)
        .bind(&w.actor)
        .bind(now)
        .bind(current.rid)
        .bind(current.version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(stale());
        }
        match backend {
            Backend::Sqlite => {
                sqlx::query("UPDATE gis_features_rtree SET minx = $1, maxx = $2, miny = $3, maxy = $4 WHERE rid = $5")
                    .bind(next.bbox[0])
                    .bind(next.bbox[2])
                    .bind(next.bbox[1])
                    .bind(next.bbox[3])
                    .bind(current.rid)
                    .execute(&mut *tx)
                    .await?;
            }
            Backend::Postgres => {
                sqlx::query("UPDATE gis_features SET geom = ST_SetSRID(ST_GeomFromGeoJSON(geometry), 4326) WHERE rid = $1")
                    .bind(current.rid)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let feature = next.feature();
        self.close_history(&mut tx, id, next.valid_from).await?;
        insert_all(
            &mut tx,
            backend,
            "gis_feature_history",
            HISTORY_COLUMNS,
            vec![history_cells(&feature, change, &w.actor, next.valid_from)],
        )
        .await?;
        let network = coll.network.as_str();
        match coll.kind {
            Kind::Link if next.geometry != current.geometry => connect::link_written(&mut tx, backend, network, id, &next.geometry).await?,
            Kind::Node if connect::point(&next.geometry) != connect::point(&current.geometry) => {
                connect::node_changed(&mut tx, backend, network, id, connect::point(&next.geometry)).await?;
            }
            _ => {}
        }
        let action = if change == "replace" { "replace" } else { "update" };
        self.record(
            &mut tx,
            w,
            action,
            format!("feature:{id}"),
            1,
            &format!("feature.{action}d"),
            &owner,
            json!({ "id": id, "collection": coll.id, "version": feature.version }),
        )
        .await?;
        tx.commit().await?;
        Ok(feature)
    }

    async fn close_history(&self, tx: &mut Tx, id: &str, at: i64) -> Result<(), GisError> {
        sqlx::query("UPDATE gis_feature_history SET valid_to = $1 WHERE feature_id = $2 AND valid_to IS NULL")
            .bind(at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Deletes a feature, keeping a `delete` version in its history.
    pub(super) async fn remove(&self, w: &Writer<'_>, collection: &str, id: &str, if_match: Option<&str>) -> Result<(), GisError> {
        let coll = collection_def(collection)?;
        let backend = self.db.backend();
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        let current = load(&mut tx, backend, collection, id).await?.ok_or_else(|| not_found(collection, id))?;
        check_if_match(if_match, &current.feature())?;
        w.may_edit(&current.owner)?;
        if backend == Backend::Sqlite {
            sqlx::query("DELETE FROM gis_features_rtree WHERE rid = $1").bind(current.rid).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM gis_features WHERE rid = $1").bind(current.rid).execute(&mut *tx).await?;
        let at = now.max(current.valid_from);
        self.close_history(&mut tx, id, at).await?;
        sqlx::query(
            "INSERT INTO gis_feature_history (feature_id, collection, version, change, actor, valid_from, valid_to, snapshot) \
             VALUES ($1, $2, $3, 'delete', $4, $5, NULL, NULL)",
        )
        .bind(id)
        .bind(collection)
        .bind(current.version + 1)
        .bind(&w.actor)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        match coll.kind {
            Kind::Link => connect::link_removed(&mut tx, id).await?,
            Kind::Node => connect::node_changed(&mut tx, backend, coll.network.as_str(), id, None).await?,
            Kind::Facility => {}
        }
        self.record(
            &mut tx,
            w,
            "delete",
            format!("feature:{id}"),
            1,
            "feature.deleted",
            &current.owner,
            json!({ "id": id, "collection": coll.id, "version": current.version + 1 }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What a bulk load needs to connect its features without a query per
    /// feature: the stored nodes of the network around the new features, and
    /// (for new nodes) the stored link ends near them.
    async fn bulk_context(&self, coll: &CollectionDef, rows: &[Stored]) -> Result<BulkContext, GisError> {
        let mut ctx = BulkContext::default();
        if coll.kind == Kind::Facility {
            return Ok(ctx);
        }
        let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for s in rows {
            b = [b[0].min(s.bbox[0]), b[1].min(s.bbox[1]), b[2].max(s.bbox[2]), b[3].max(s.bbox[3])];
        }
        let lo = connect::window((b[0], b[1]), TOLERANCE_M);
        let hi = connect::window((b[2], b[3]), TOLERANCE_M);
        let w = [lo[0], lo[1], hi[2], hi[3]];
        let network = coll.network.as_str();
        let backend = self.db.backend();
        let mut tx = self.db.begin().await?;
        for n in connect::nodes_in(&mut tx, backend, network, w).await? {
            ctx.grid.insert(n);
        }
        if coll.kind == Kind::Node {
            for (id, g) in connect::links_in(&mut tx, backend, network, w).await? {
                if let Some(ends) = connect::ends(&g) {
                    for (p, name) in ends.into_iter().zip(END_NAMES) {
                        ctx.stored_ends.push((id.clone(), name, p));
                    }
                }
            }
        }
        tx.rollback().await?;
        Ok(ctx)
    }

    /// Connects a batch in memory and writes its connections.
    async fn connect_bulk(&self, tx: &mut Tx, coll: &CollectionDef, batch: &[Stored], ctx: &mut BulkContext) -> Result<(), GisError> {
        let backend = self.db.backend();
        let mut rows = Vec::new();
        match coll.kind {
            Kind::Facility => return Ok(()),
            Kind::Link => {
                for s in batch {
                    if let Some(ends) = connect::ends(&s.geometry) {
                        for (p, name) in ends.into_iter().zip(END_NAMES) {
                            if let Some(n) = ctx.grid.nearest(p) {
                                rows.push(vec![
                                    Cell::Text(Some(s.id.clone())),
                                    Cell::Text(Some(name.into())),
                                    Cell::Text(Some(n.id.clone())),
                                ]);
                            }
                        }
                    }
                }
            }
            Kind::Node => {
                let mut near_new = Grid::default();
                for s in batch {
                    if let Some((x, y)) = connect::point(&s.geometry) {
                        ctx.grid.insert(NodePos { id: s.id.clone(), x, y });
                        near_new.insert(NodePos { id: s.id.clone(), x, y });
                    }
                }
                // Stored link ends near one of the new nodes: their nearest node may now be new.
                let mut changed: HashMap<(String, &'static str), Option<String>> = HashMap::new();
                for (link, end, p) in &ctx.stored_ends {
                    if near_new.nearest(*p).is_some() {
                        changed.insert((link.clone(), end), ctx.grid.nearest(*p).map(|n| n.id.clone()));
                    }
                }
                for ((link, end), node) in changed {
                    sqlx::query("DELETE FROM gis_connections WHERE link_id = $1 AND link_end = $2")
                        .bind(&link)
                        .bind(end)
                        .execute(&mut **tx)
                        .await?;
                    if let Some(node) = node {
                        rows.push(vec![Cell::Text(Some(link)), Cell::Text(Some(end.into())), Cell::Text(Some(node))]);
                    }
                }
            }
        }
        insert_all(tx, backend, "gis_connections", CONNECTION_COLUMNS, rows).await
    }
}

/// The in-memory side of a bulk load's connectivity.
#[derive(Debug, Default)]
pub(super) struct BulkContext {
    grid: Grid,
    stored_ends: Vec<(String, &'static str, (f64, f64))>,
}

/// The current row of a feature, locked for update on PostgreSQL.
async fn load(tx: &mut Tx, backend: Backend, collection: &str, id: &str) -> Result<Option<Stored>, GisError> {
    let sql = backend.pick(
        concat!("SELECT ", feature_fields!(), " FROM gis_features WHERE id = $1 AND collection = $2"),
        concat!("SELECT ", feature_fields!(), " FROM gis_features WHERE id = $1 AND collection = $2 FOR UPDATE"),
    );
    let row = sqlx::query(sql).bind(id).bind(collection).fetch_optional(&mut **tx).await?;
    row.map(|r| Stored::from_row(&r)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valve() -> Feature {
        Feature {
            id: "v1".into(),
            collection: "water-valves".into(),
            geometry: geojson::Geometry::new(geojson::Value::Point(vec![106.7, 10.78])),
            properties: json!({"name": "Van", "status": "functional", "normally_open": 1}).as_object().cloned().unwrap_or_default(),
            version: 3,
        }
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let (g, p) =
            merged(&valve(), &json!({"properties": {"status": "disused", "normally_open": null, "condition": "good"}})).expect("patch");
        assert_eq!(g, valve().geometry);
        assert_eq!(Value::Object(p), json!({"name": "Van", "status": "disused", "condition": "good"}));
        let (g, _) = merged(&valve(), &json!({"geometry": {"type": "Point", "coordinates": [106.8, 10.8]}})).expect("move");
        assert_eq!(g.value, geojson::Value::Point(vec![106.8, 10.8]));
        for bad in [json!({"geometry": null}), json!({"id": "v2"}), json!({"type": "FeatureCollection"}), json!({"properties": 3})] {
            assert!(merged(&valve(), &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn if_match_compares_strong_etags() {
        let f = valve();
        assert_eq!(f.etag(), "\"v1-3\"");
        assert!(check_if_match(None, &f).is_ok());
        assert!(check_if_match(Some("*"), &f).is_ok());
        assert!(check_if_match(Some("\"v1-2\", \"v1-3\""), &f).is_ok());
        for stale in ["\"v1-2\"", "W/\"v1-3\"", "v1-3"] {
            match check_if_match(Some(stale), &f) {
                Err(GisError::Api(e)) => assert_eq!(e.status, StatusCode::PRECONDITION_FAILED, "{stale}"),
                other => panic!("{stale}: {other:?}"),
            }
        }
    }
}
