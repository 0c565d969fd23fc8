//! Item queries: current features of a collection ordered by id, with
//! `bbox`, `datetime`, equality on queryables and paging, compiled by the
//! store's query compiler.
//!
//! `bbox` is answered exactly. PostgreSQL: `geom && envelope` on the GIST
//! index and `ST_Intersects`. SQLite: the R*Tree keeps features whose box
//! meets the query box; points and lines lying wholly inside it match
//! outright, and only lines crossing its border are tested with `geo`'s
//! exact intersection. The ids of those that pass go back into the SQL filter, so
//! counting and paging stay in the database (when very many lines cross the
//! border, paging is done here instead).

use super::{collection_def, to_geo, ItemPage, ItemQuery, READ_FIELD_NAMES};
use crate::model::{AttrType, CollectionDef, GeometryKind};
use crate::{Gis, GisError};
use cityos_api::ApiError;
use cityos_store::query::{self, Column, Dir, Filter, Op, Relation, Schema, Select, Value as QValue};
use cityos_store::{Backend, StoreError};
use geo::Intersects as _;
use sqlx::Row as _;
use std::borrow::Cow;

/// The stored columns of `gis_features` a query may name (see `migrations.rs`).
pub const STORED_COLUMNS: &[&str] = &[
    "rid",
    "id",
    "collection",
    "network",
    "asset_type",
    "kind",
    "name",
    "name_folded",
    "owner_agency",
    "status",
    "condition",
    "material",
    "diameter_mm",
    "voltage_kv",
    "depth_m",
    "install_date",
    "flow_role",
    "valid_from",
    "valid_to",
    "extra",
    "geometry",
    "minx",
    "miny",
    "maxx",
    "maxy",
    "version",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
];

/// The R*Tree joined under other names, so no column name is ambiguous;
/// `CROSS JOIN` makes SQLite drive the query from the R*Tree's box search
/// (checked with `EXPLAIN QUERY PLAN`: `SCAN gis_features_rtree VIRTUAL
/// TABLE INDEX 2:B0D1B2D3`, then the features by rowid).
const RTREE_JOIN: &str = "(SELECT rid AS rt_rid, minx AS rt_minx, maxx AS rt_maxx, miny AS rt_miny, maxy AS rt_maxy \
                          FROM gis_features_rtree) rt CROSS JOIN gis_features ON gis_features.rid = rt.rt_rid";

/// The template column of an exact bbox test on PostgreSQL. `ST_Intersects`
/// brings its own `&&` on the GIST index (PostGIS 3's support function; in
/// PostGIS 2 it is an inlined `&&` and `_ST_Intersects`), so no explicit
/// `&&` is added: the index would test every entry twice.
const PG_BBOX: &str = "bbox:intersects";
const PG_BBOX_SQL: &str = "ST_Intersects(gis_features.geom, ST_MakeEnvelope({minx}, {miny}, {maxx}, {maxy}, 4326))";

/// [`PG_BBOX_SQL`] for one collection, which it names as a literal: with
/// the id only bound, PostgreSQL could not use the collection's partial GIST
/// index (`gis_features_geom_<collection>`, see `migrations.rs`), whose
/// predicate must be proved when the statement is planned, and would search
/// every collection's geometries instead. The id is the static model's,
/// never the request's text; one that is not plain `[a-z0-9-]` (none is)
/// keeps the bound form.
fn pg_bbox_sql(coll: &CollectionDef) -> Cow<'static, str> {
    if coll.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        Cow::Owned(format!("(gis_features.collection = '{}' AND {PG_BBOX_SQL})", coll.id))
    } else {
        Cow::Borrowed(PG_BBOX_SQL)
    }
}

/// Above this many border-crossing lines that pass the exact test, paging
/// is done in Rust rather than by binding their ids.
const MAX_BOUND_IDS: usize = 5_000;

/// The SQL expression of a collection-specific attribute kept in `extra`.
#[must_use]
pub fn extra_sql(backend: Backend, name: &str, ty: AttrType) -> String {
    match (backend, ty) {
        (Backend::Sqlite, _) => format!("json_extract(gis_features.extra, '$.{name}')"),
        (Backend::Postgres, AttrType::Number) => format!("CAST(gis_features.extra::jsonb ->> '{name}' AS DOUBLE PRECISION)"),
        (Backend::Postgres, AttrType::Integer) => format!("CAST(gis_features.extra::jsonb ->> '{name}' AS BIGINT)"),
        (Backend::Postgres, _) => format!("(gis_features.extra::jsonb ->> '{name}')"),
    }
}

/// The whitelist for queries over a collection: every stored column, the
/// collection's own attributes (from `extra`), and on SQLite with `rtree`
/// the R*Tree's box as `rt_minx`, `rt_maxx`, `rt_miny`, `rt_maxy`.
#[must_use]
pub fn schema(coll: &CollectionDef, backend: Backend, rtree: bool) -> Schema {
    // The stored geometry is `geojson` here: CQL2's `geometry` is a spatial template column.
    let mut columns: Vec<Column> = STORED_COLUMNS
        .iter()
        .map(|c| Column { name: Cow::Borrowed(if *c == "geometry" { "geojson" } else { c }), sql: Cow::Owned(format!("gis_features.{c}")) })
        .collect();
    for a in coll.extra {
        // Names come from the static model, never from a request.
        columns.push(Column { name: Cow::Borrowed(a.name), sql: Cow::Owned(extra_sql(backend, a.name, a.ty)) });
    }
    if backend == Backend::Postgres {
        columns.push(Column { name: Cow::Borrowed(PG_BBOX), sql: pg_bbox_sql(coll) });
    }
    let table = if rtree && backend == Backend::Sqlite {
        for c in ["rt_minx", "rt_maxx", "rt_miny", "rt_maxy"] {
            columns.push(Column::fixed(c));
        }
        RTREE_JOIN
    } else {
        "gis_features"
    };
    Schema { table: Cow::Borrowed(table), columns: Cow::Owned(columns), fulltext: None }
}

fn bad(detail: impl Into<String>) -> GisError {
    GisError::Api(ApiError::bad_request("invalid_parameter", detail))
}

fn cmp(column: &str, op: Op, value: QValue) -> Filter {
    Filter::Cmp { column: column.into(), op, value }
}

/// `name=value` as a filter on a queryable, the value typed after the attribute.
fn equals(coll: &CollectionDef, name: &str, value: &str) -> Result<Filter, GisError> {
    let attr = coll.attribute(name).ok_or_else(|| bad(format!("{name} is not a queryable of collection {}", coll.id)))?;
    let v = match attr.ty {
        AttrType::Text => QValue::Text(value.to_string()),
        AttrType::Date => QValue::Text(super::validate::date(name, value).map_err(GisError::Api)?),
        AttrType::Number => QValue::Float(
            value.trim().parse::<f64>().ok().filter(|f| f.is_finite()).ok_or_else(|| bad(format!("{name} must be a number")))?,
        ),
        AttrType::Integer => QValue::Int(value.trim().parse::<i64>().map_err(|_| bad(format!("{name} must be an integer")))?),
        AttrType::Timestamp => QValue::Int(
            chrono::DateTime::parse_from_rfc3339(value)
                .map_err(|_| bad(format!("{name} must be an RFC 3339 timestamp")))?
                .timestamp_millis(),
        ),
    };
    Ok(cmp(name, Op::Eq, v))
}

fn store(e: query::QueryError) -> GisError {
    GisError::Store(StoreError::Query(e))
}

/// Runs an item query.
pub(super) async fn run(gis: &Gis, q: &ItemQuery) -> Result<ItemPage, GisError> {
    let coll = collection_def(&q.collection)?;
    if q.limit < 0 || q.offset < 0 {
        return Err(bad("limit and offset must not be negative"));
    }
    let backend = gis.db.backend();
    let compiled = match &q.filter {
        Some(e) => Some(crate::filter::compile(e, coll, backend)?),
        None => None,
    };
    let mut parts = vec![cmp("collection", Op::Eq, QValue::Text(coll.id.into()))];
    if let Some(i) = q.datetime {
        if let (Some(s), Some(e)) = (i.start, i.end) {
            if s > e {
                return Err(bad("datetime: the interval ends before it starts"));
            }
        }
        if let Some(e) = i.end {
            parts.push(cmp("valid_from", Op::Le, QValue::Int(e)));
        }
        if let Some(s) = i.start {
            parts.push(Filter::Or(vec![Filter::IsNull("valid_to".into()), cmp("valid_to", Op::Gt, QValue::Int(s))]));
        }
    }
    for (name, value) in &q.equals {
        parts.push(equals(coll, name, value)?);
    }
    let bbox =
        match q.bbox {
            Some(b) if b.iter().any(|v| !v.is_finite()) => return Err(bad("bbox: coordinates must be numbers")),
            Some(b) if b[0] > b[2] || b[1] > b[3] => return Err(bad(
                "bbox: expected minx,miny,maxx,maxy with minx <= maxx and miny <= maxy (boxes across the antimeridian are not supported)",
            )),
            other => other,
        };
    let rtree = bbox.is_some() && backend == Backend::Sqlite;
    let mut schema = schema(coll, backend, rtree);
    let mut exact = None;
    if let Some(c) = compiled {
        schema = with_filter_columns(schema, crate::filter::schema(coll, backend));
        parts.push(c.sql);
        exact = c.exact;
    }
    let Some(b) = bbox else {
        return match exact {
            Some(e) => scan(gis, &schema, Filter::And(parts), None, &e, q).await,
            None => page(gis, &schema, Filter::And(parts), q).await,
        };
    };
    if backend == Backend::Postgres {
        parts.push(Filter::Spatial { column: PG_BBOX.into(), relation: Relation::Intersects, geojson: String::new(), bbox: b });
        return match exact {
            Some(e) => scan(gis, &schema, Filter::And(parts), None, &e, q).await,
            None => page(gis, &schema, Filter::And(parts), q).await,
        };
    }
    parts.extend([
        cmp("minx", Op::Le, QValue::Float(b[2])),
        cmp("maxx", Op::Ge, QValue::Float(b[0])),
        cmp("miny", Op::Le, QValue::Float(b[3])),
        cmp("maxy", Op::Ge, QValue::Float(b[1])),
    ]);
    if rtree {
        parts.extend([
            cmp("rt_minx", Op::Le, QValue::Float(b[2])),
            cmp("rt_maxx", Op::Ge, QValue::Float(b[0])),
            cmp("rt_miny", Op::Le, QValue::Float(b[3])),
            cmp("rt_maxy", Op::Ge, QValue::Float(b[1])),
        ]);
    }
    if let Some(e) = exact {
        return scan(gis, &schema, Filter::And(parts), Some(b), &e, q).await;
    }
    if coll.geometry == GeometryKind::Point {
        // A point whose box meets the query box lies in it.
        return page(gis, &schema, Filter::And(parts), q).await;
    }
    let inside = Filter::And(vec![
        cmp("minx", Op::Ge, QValue::Float(b[0])),
        cmp("maxx", Op::Le, QValue::Float(b[2])),
        cmp("miny", Op::Ge, QValue::Float(b[1])),
        cmp("maxy", Op::Le, QValue::Float(b[3])),
    ]);
    let rect = geo::Rect::new(geo::coord! { x: b[0], y: b[1] }, geo::coord! { x: b[2], y: b[3] });
    let mut border = parts.clone();
    border.push(Filter::Not(Box::new(inside.clone())));
    let sel = Select {
        fields: vec!["id".into(), "geojson".into()],
        filter: Some(Filter::And(border)),
        sort: vec![("id".into(), Dir::Asc)],
        ..Select::default()
    };
    let compiled = query::select(&schema, &sel).map_err(store)?;
    let mut passing = Vec::new();
    for r in compiled.query().fetch_all(gis.db.reader()).await? {
        let g = super::parse_geometry(&r.try_get::<String, _>("geojson")?)?;
        if to_geo(&g).is_some_and(|g| rect.intersects(&g)) {
            passing.push(r.try_get::<String, _>("id")?);
        }
    }
    if passing.len() <= MAX_BOUND_IDS {
        let hit = if passing.is_empty() {
            inside
        } else {
            Filter::Or(vec![inside, Filter::In { column: "id".into(), values: passing.into_iter().map(QValue::Text).collect() }])
        };
        parts.push(hit);
        return page(gis, &schema, Filter::And(parts), q).await;
    }
    // Many border lines: decide membership here, in id order, and page in Rust.
    let passing: std::collections::HashSet<String> = passing.into_iter().collect();
    let sel = Select {
        fields: vec!["id".into(), "minx".into(), "miny".into(), "maxx".into(), "maxy".into()],
        filter: Some(Filter::And(parts)),
        sort: vec![("id".into(), Dir::Asc)],
        ..Select::default()
    };
    let compiled = query::select(&schema, &sel).map_err(store)?;
    let mut matched = Vec::new();
    for r in compiled.query().fetch_all(gis.db.reader()).await? {
        let id: String = r.try_get("id")?;
        let (x0, y0, x1, y1): (f64, f64, f64, f64) = (r.try_get("minx")?, r.try_get("miny")?, r.try_get("maxx")?, r.try_get("maxy")?);
        if (x0 >= b[0] && x1 <= b[2] && y0 >= b[1] && y1 <= b[3]) || passing.contains(&id) {
            matched.push(id);
        }
    }
    let total = matched.len();
    let start = usize::try_from(q.offset).unwrap_or(usize::MAX).min(total);
    let end = start.saturating_add(usize::try_from(q.limit).unwrap_or(0)).min(total);
    let ids: Vec<QValue> = matched[start..end].iter().cloned().map(QValue::Text).collect();
    let sel = Select {
        fields: READ_FIELD_NAMES.iter().map(|s| (*s).to_string()).collect(),
        filter: Some(Filter::In { column: "id".into(), values: ids }),
        sort: vec![("id".into(), Dir::Asc)],
        ..Select::default()
    };
    let schema = self::schema(coll, backend, false);
    let features = fetch(gis, &schema, &sel).await?;
    Ok(ItemPage { features, number_matched: Some(u64::try_from(total).unwrap_or(u64::MAX)) })
}

async fn fetch(gis: &Gis, schema: &Schema, sel: &Select) -> Result<Vec<crate::model::Feature>, GisError> {
    let compiled = query::select(schema, sel).map_err(store)?;
    features_of(&compiled.query().fetch_all(gis.db.reader()).await?)
}

/// The features of rows selected with [`super::READ_FIELD_NAMES`].
fn features_of(rows: &[cityos_store::Row]) -> Result<Vec<crate::model::Feature>, GisError> {
    rows.iter().map(super::feature_from_row).collect()
}

/// Counts and pages `filter` in SQL, in one query (the count rides on every
/// row as a window aggregate); only a page past the end counts separately.
async fn page(gis: &Gis, schema: &Schema, filter: Filter, q: &ItemQuery) -> Result<ItemPage, GisError> {
    let sel = Select {
        fields: READ_FIELD_NAMES.iter().map(|s| (*s).to_string()).collect(),
        filter: Some(filter),
        sort: vec![("id".into(), Dir::Asc)],
        limit: Some(q.limit),
        offset: Some(q.offset),
    };
    let compiled = query::select_counted(schema, &sel).map_err(store)?;
    let rows = compiled.query().fetch_all(gis.db.reader()).await?;
    let n: i64 = match rows.first() {
        Some(r) => r.try_get("n_total")?,
        None => {
            let counted = query::count(schema, sel.filter.as_ref()).map_err(store)?;
            counted.query().fetch_one(gis.db.reader()).await?.try_get("n")?
        }
    };
    let features = features_of(&rows)?;
    Ok(ItemPage { features, number_matched: Some(u64::try_from(n).unwrap_or(0)) })
}

/// The store's whitelist plus the CQL2 compiler's (queryables, their
/// `lower()`/folded twins and spatial templates). Where both name a column,
/// the compiler's entry wins: both stand for the same stored column.
fn with_filter_columns(mine: Schema, filter: Schema) -> Schema {
    let mut columns: Vec<Column> = filter.columns.into_owned();
    for c in mine.columns.iter() {
        if !columns.iter().any(|f| f.name == c.name) {
            columns.push(c.clone());
        }
    }
    Schema { table: mine.table, columns: Cow::Owned(columns), fulltext: None }
}

/// A feature as the CQL2 evaluator sees it.
struct Evaluated<'a>(&'a crate::model::Feature);

impl cityos_cql2::Feature for Evaluated<'_> {
    fn property(&self, name: &str) -> Option<serde_json::Value> {
        match name {
            "id" => Some(serde_json::Value::String(self.0.id.clone())),
            cityos_cql2::GEOMETRY_PROPERTY => serde_json::to_value(&self.0.geometry).ok(),
            _ => self.0.properties.get(name).cloned(),
        }
    }

    fn geometry(&self) -> Option<geo::Geometry<f64>> {
        to_geo(&self.0.geometry)
    }
}

/// Filters in Rust what SQL can only prefilter (`exact`, and `bbox` exactly),
/// then counts and pages here.
async fn scan(
    gis: &Gis,
    schema: &Schema,
    filter: Filter,
    bbox: Option<[f64; 4]>,
    exact: &cityos_cql2::Expr,
    q: &ItemQuery,
) -> Result<ItemPage, GisError> {
    let sel = Select {
        fields: READ_FIELD_NAMES.iter().map(|s| (*s).to_string()).collect(),
        filter: Some(filter),
        sort: vec![("id".into(), Dir::Asc)],
        ..Select::default()
    };
    let rect = bbox.map(|b| geo::Rect::new(geo::coord! { x: b[0], y: b[1] }, geo::coord! { x: b[2], y: b[3] }));
    let skip = usize::try_from(q.offset).unwrap_or(usize::MAX);
    let take = usize::try_from(q.limit).unwrap_or(0);
    let mut matched = 0usize;
    let mut features = Vec::new();
    for f in fetch(gis, schema, &sel).await? {
        if let Some(r) = &rect {
            if !to_geo(&f.geometry).is_some_and(|g| r.intersects(&g)) {
                continue;
            }
        }
        let hit =
            cityos_cql2::eval(exact, &Evaluated(&f)).map_err(|e| GisError::Api(ApiError::bad_request("invalid_filter", e.to_string())))?;
        if hit {
            if matched >= skip && features.len() < take {
                features.push(f);
            }
            matched += 1;
        }
    }
    Ok(ItemPage { features, number_matched: Some(u64::try_from(matched).unwrap_or(u64::MAX)) })
}

#[cfg(test)]
mod tests {
    use super::{pg_bbox_sql, PG_BBOX_SQL};

    /// Every collection's bbox test names it, so its partial index is usable.
    #[test]
    fn bbox_sql_names_each_collection() {
        for c in crate::model::COLLECTIONS {
            assert_eq!(pg_bbox_sql(c), format!("(gis_features.collection = '{}' AND {PG_BBOX_SQL})", c.id));
        }
    }
}
