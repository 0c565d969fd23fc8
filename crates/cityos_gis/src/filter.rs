//! CQL2 filters on a collection's features (OGC API – Features Part 3):
//! the queryables ([`queryables`], [`schema`]) and the compiler from a
//! [`cityos_cql2::Expr`] to the store's query compiler ([`compile`]).
//!
//! Guarantees: every queryable is a whitelisted column of `gis_features`
//! (see the column contract in `migrations.rs`); every literal is bound;
//! a filter naming anything else is a 400 that names it. What SQL cannot
//! answer exactly on a backend (spatial predicates on SQLite, whose R*Tree
//! only knows bounding boxes; case-insensitive comparison with non-ASCII
//! text, where the databases' `LOWER` differs from Rust's) is compiled to a
//! *superset* prefilter, and [`Compiled::exact`] carries the whole filter
//! for the caller to evaluate in Rust with [`cityos_cql2::eval`] on each
//! row the SQL returns. The prefilter is only used where it is sound: under
//! `NOT`, and for `S_DISJOINT`, it is `1 = 1`.
//!
//! Semantics shared with the evaluator: SQL's three-valued logic (a null
//! property makes a comparison unknown, and `NOT` of unknown is unknown);
//! dates are instants at UTC midnight; in an `INTERVAL(start, end)` built
//! from properties a null end is open (`valid_to` is null while a version
//! is current).

use crate::model::{AttrType, CollectionDef, GeometryKind, COMMON_ATTRIBUTES};
use cityos_api::ApiError;
use cityos_cql2::{CmpOp, End, Expr, Op, SpatialOp, TemporalOp};
use cityos_store::query::{Column, Filter, Op as SqlOp, Relation, Schema, Value};
use cityos_store::Backend;
use serde_json::{json, Map};
use std::borrow::Cow;
use std::cmp::Ordering;

/// The table the queryables are columns of.
pub const TABLE: &str = "gis_features";
/// The queryable holding a feature's geometry.
pub const GEOMETRY: &str = cityos_cql2::GEOMETRY_PROPERTY;
/// The template column for the bounding-box prefilter.
const BBOX_TEMPLATE: &str = "geometry:bbox";
/// Text queryables that hold ASCII codes: folding them is lower-casing.
const CODE_COLUMNS: &[&str] = &["id", "network", "asset_type", "owner_agency", "status", "condition", "flow_role"];
const DAY_MS: i64 = 86_400_000;

/// A CQL2 filter compiled for one collection and backend.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// The SQL filter over [`schema`]: exact when `exact` is `None`,
    /// otherwise a superset of the matching rows.
    pub sql: Filter,
    /// The filter to evaluate in Rust on each row `sql` returns, when SQL
    /// alone is not exact (see the module docs).
    pub exact: Option<Expr>,
}

#[derive(Debug, Clone, Copy)]
struct Queryable {
    name: &'static str,
    ty: AttrType,
    /// Holds ASCII codes (case folding is `LOWER`).
    code: bool,
    /// Has a folded twin column (`name_folded`).
    folded: bool,
    /// Lives in the `extra` JSON column.
    extra: bool,
}

fn safe_name(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn queryable_list(c: &CollectionDef) -> Vec<Queryable> {
    let mut out = vec![Queryable { name: "id", ty: AttrType::Text, code: true, folded: false, extra: false }];
    for a in COMMON_ATTRIBUTES {
        out.push(Queryable { name: a.name, ty: a.ty, code: CODE_COLUMNS.contains(&a.name), folded: a.name == "name", extra: false });
    }
    // Collection-specific attributes are read from the `extra` JSON; their
    // names are spliced into a JSON path, so only plain names qualify.
    for a in c.extra.iter().filter(|a| safe_name(a.name)) {
        out.push(Queryable { name: a.name, ty: a.ty, code: false, folded: false, extra: true });
    }
    out
}

fn lookup(c: &CollectionDef, name: &str) -> Option<Queryable> {
    queryable_list(c).into_iter().find(|q| q.name == name)
}

fn column_sql(q: &Queryable, backend: Backend) -> String {
    let n = q.name;
    // Qualified, so the SQL stays unambiguous when the store joins the R*Tree.
    if !q.extra {
        return format!("{TABLE}.{n}");
    }
    match (backend, q.ty) {
        (Backend::Sqlite, _) => format!("json_extract({TABLE}.extra, '$.{n}')"),
        (Backend::Postgres, AttrType::Number | AttrType::Integer) => format!("({TABLE}.extra::jsonb ->> '{n}')::double precision"),
        (Backend::Postgres, _) => format!("({TABLE}.extra::jsonb ->> '{n}')"),
    }
}

fn lower_name(name: &str) -> String {
    format!("lower({name})")
}

const ACCENTI_NAME: &str = "accenti(name)";

/// The queryables of a collection as the store compiler's whitelist over
/// [`TABLE`]: one column per queryable (named as on the wire), a
/// `lower(<name>)` twin per text queryable (for `CASEI`), `accenti(name)`
/// (the folded `name_folded` column), and the template columns for spatial
/// predicates (`geometry`: PostGIS on PostgreSQL, the R*Tree on SQLite;
/// `geometry:bbox`: a bounding-box test on both), plus `collection` for the
/// store's own restriction. Select explicit fields from it: the twins are
/// filter helpers.
#[must_use]
pub fn schema(collection: &CollectionDef, backend: Backend) -> Schema {
    let mut columns = Vec::new();
    for q in queryable_list(collection) {
        let sql = column_sql(&q, backend);
        if q.ty == AttrType::Text {
            columns.push(Column { name: Cow::Owned(lower_name(q.name)), sql: Cow::Owned(format!("LOWER({sql})")) });
        }
        columns.push(Column { name: Cow::Borrowed(q.name), sql: Cow::Owned(sql) });
    }
    columns.push(Column { name: Cow::Borrowed(ACCENTI_NAME), sql: Cow::Borrowed("gis_features.name_folded") });
    // Not a queryable (CQL2 cannot name it): the store restricts every query to one collection through it.
    columns.push(Column { name: Cow::Borrowed("collection"), sql: Cow::Borrowed("gis_features.collection") });
    let rtree = "gis_features.rid IN (SELECT rid FROM gis_features_rtree WHERE minx <= {maxx} AND maxx >= {minx} AND miny <= {maxy} AND maxy >= {miny})";
    let (exact, bbox) = match backend {
        Backend::Sqlite => (rtree, rtree),
        Backend::Postgres => (
            // ST_MakeValid: GEOS raises errors on some invalid literals (a bow-tie
            // polygon); repaired, they are answered instead of failing the request.
            "{relation}(gis_features.geom, ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON({geojson}), 4326)))",
            "gis_features.geom && ST_MakeEnvelope({minx}, {miny}, {maxx}, {maxy}, 4326)",
        ),
    };
    columns.push(Column::template(GEOMETRY, exact));
    columns.push(Column::template(BBOX_TEMPLATE, bbox));
    Schema { table: Cow::Borrowed(TABLE), columns: Cow::Owned(columns), fulltext: None }
}

/// The JSON Schema of a collection's queryables, served at
/// `/collections/{id}/queryables` (OGC API – Features Part 3). `$id` is
/// the path under `/ogc`; the HTTP layer may replace it with an absolute URL.
#[must_use]
pub fn queryables(collection: &CollectionDef) -> serde_json::Value {
    let mut props = Map::new();
    let format = match collection.geometry {
        GeometryKind::Point => "geometry-point",
        GeometryKind::LineString => "geometry-linestring",
    };
    props.insert(
        GEOMETRY.into(),
        json!({ "title": "Hình học", "description": "Geometry", "format": format, "x-ogc-role": "primary-geometry" }),
    );
    props.insert("id".into(), json!({ "title": "Mã đối tượng", "description": "Feature id", "type": "string", "x-ogc-role": "id" }));
    for a in collection.attributes().filter(|a| safe_name(a.name)) {
        let mut p = json!({ "title": a.title_vi, "description": a.title_en });
        let (ty, fmt) = match a.ty {
            AttrType::Text => ("string", None),
            AttrType::Number => ("number", None),
            AttrType::Integer => ("integer", None),
            AttrType::Date => ("string", Some("date")),
            AttrType::Timestamp => ("string", Some("date-time")),
        };
        p["type"] = json!(ty);
        if let Some(f) = fmt {
            p["format"] = json!(f);
        }
        if !a.values.is_empty() {
            p["enum"] = json!(a.values);
        }
        props.insert(a.name.into(), p);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("/ogc/collections/{}/queryables", collection.id),
        "type": "object",
        "title": collection.title_vi,
        "description": collection.title_en,
        "properties": props,
        "additionalProperties": false,
    })
}

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_filter", detail)
}

/// Compiles a CQL2 filter for `collection` on `backend`.
///
/// # Errors
/// 400 `invalid_filter` naming an unknown property, or a comparison whose
/// sides do not fit the queryables' types.
pub fn compile(expr: &Expr, collection: &CollectionDef, backend: Backend) -> Result<Compiled, ApiError> {
    let known = queryable_list(collection);
    let unknown: Vec<String> =
        cityos_cql2::properties(expr).into_iter().filter(|p| p != GEOMETRY && !known.iter().any(|q| q.name == p.as_str())).collect();
    if !unknown.is_empty() {
        let mut names: Vec<&str> = known.iter().map(|q| q.name).collect();
        names.push(GEOMETRY);
        return Err(bad(format!(
            "unknown queryable(s) {} in collection `{}`; its queryables are: {}",
            unknown.iter().map(|u| format!("`{u}`")).collect::<Vec<_>>().join(", "),
            collection.id,
            names.join(", ")
        ))
        .with("unknown", unknown));
    }
    let ctx = Ctx { collection, backend };
    let (sql, exact) = ctx.boolean(expr)?;
    Ok(Compiled { sql, exact: if exact { None } else { Some(expr.clone()) } })
}

struct Ctx<'a> {
    collection: &'a CollectionDef,
    backend: Backend,
}

/// How an operand is folded by its `CASEI`/`ACCENTI` wrappers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    None,
    Lower,
    Accent,
}

enum Side {
    Col(Queryable, Fold),
    Lit(Expr),
}

fn sql_op(op: CmpOp) -> SqlOp {
    match op {
        CmpOp::Eq => SqlOp::Eq,
        CmpOp::Ne => SqlOp::Ne,
        CmpOp::Lt => SqlOp::Lt,
        CmpOp::Le => SqlOp::Le,
        CmpOp::Gt => SqlOp::Gt,
        CmpOp::Ge => SqlOp::Ge,
    }
}

fn cmp(column: &str, op: SqlOp, value: Value) -> Filter {
    Filter::Cmp { column: column.to_string(), op, value }
}

/// True where the column is not null, unknown where it is (`col = col`).
fn known_true(column: &str) -> Filter {
    Filter::CmpColumns { left: column.into(), op: SqlOp::Eq, right: column.into() }
}

/// False where the column is not null, unknown where it is (`col <> col`).
fn known_false(column: &str) -> Filter {
    Filter::CmpColumns { left: column.into(), op: SqlOp::Ne, right: column.into() }
}

fn ms_date(ms: i64) -> Result<chrono::NaiveDate, ApiError> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.date_naive()).ok_or_else(|| bad("a date or timestamp is out of range"))
}

fn date_text(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn date_ms(d: chrono::NaiveDate) -> i64 {
    d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis()
}

/// `date_column op t` where the column's dates are instants at UTC midnight.
fn date_vs_ms(column: &str, op: CmpOp, t: i64) -> Result<Filter, ApiError> {
    let floor = ms_date(t)?;
    let midnight = t.rem_euclid(DAY_MS) == 0;
    let ceil = if midnight { floor } else { floor.succ_opt().ok_or_else(|| bad("a date is out of range"))? };
    let text = |d| Value::Text(date_text(d));
    Ok(match op {
        CmpOp::Lt => cmp(column, SqlOp::Lt, text(ceil)),
        CmpOp::Le => cmp(column, SqlOp::Le, text(floor)),
        CmpOp::Gt => cmp(column, SqlOp::Gt, text(floor)),
        CmpOp::Ge => cmp(column, SqlOp::Ge, text(ceil)),
        CmpOp::Eq if midnight => cmp(column, SqlOp::Eq, text(floor)),
        CmpOp::Ne if midnight => cmp(column, SqlOp::Ne, text(floor)),
        CmpOp::Eq => known_false(column),
        CmpOp::Ne => known_true(column),
    })
}

fn text_ms(s: &str) -> Option<i64> {
    if s.len() == 10 {
        return chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(date_ms);
    }
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

fn fold_text(s: &str, fold: Fold) -> String {
    match fold {
        Fold::None => s.to_string(),
        Fold::Lower => s.to_lowercase(),
        Fold::Accent => cityos_text::fold(s),
    }
}

/// A point on the time line for temporal functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum T {
    NegInf,
    At(i64),
    PosInf,
}

#[derive(Clone, Copy)]
enum Bound {
    Point(T),
    /// A date or timestamp column; `open` is what a null stands for at an
    /// interval end (`None` for an instant, where null is unknown).
    Col(Queryable, Option<T>),
}

impl Ctx<'_> {
    fn boolean(&self, e: &Expr) -> Result<(Filter, bool), ApiError> {
        let (op, args) = match e {
            Expr::Bool(b) => return Ok((Filter::Const(*b), true)),
            Expr::Op { op, args } => (*op, args.as_slice()),
            _ => return Err(bad("the filter must be a condition")),
        };
        match (op, args) {
            (Op::And | Op::Or, _) => {
                let mut parts = Vec::with_capacity(args.len());
                let mut exact = true;
                for a in args {
                    let (f, x) = self.boolean(a)?;
                    exact &= x;
                    parts.push(f);
                }
                Ok((if op == Op::And { Filter::And(parts) } else { Filter::Or(parts) }, exact))
            }
            (Op::Not, [a]) => Ok(match self.boolean(a)? {
                (f, true) => (Filter::Not(Box::new(f)), true),
                // The negation of a superset is not a superset: match everything, decide in Rust.
                (_, false) => (Filter::Const(true), false),
            }),
            (Op::Like, [v, p]) => self.like(v, p),
            (Op::Between, [v, lo, hi]) => {
                let (a, ax) = self.comparison(CmpOp::Ge, v, lo)?;
                let (b, bx) = self.comparison(CmpOp::Le, v, hi)?;
                Ok((Filter::And(vec![a, b]), ax && bx))
            }
            (Op::In, [v, Expr::List(items)]) => {
                let mut parts = Vec::with_capacity(items.len());
                let mut exact = true;
                for i in items {
                    let (f, x) = self.comparison(CmpOp::Eq, v, i)?;
                    exact &= x;
                    parts.push(f);
                }
                Ok((Filter::Or(parts), exact))
            }
            (Op::IsNull, [v]) => match self.side(v)? {
                Side::Col(q, _) => Ok((Filter::IsNull(q.name.to_string()), true)),
                Side::Lit(_) if matches!(v, Expr::Property(p) if p == GEOMETRY) => Ok((Filter::Const(false), true)),
                Side::Lit(_) => Err(bad("IS NULL takes a property")),
            },
            (Op::Spatial(s), [a, b]) => self.spatial(s, a, b),
            (Op::Temporal(t), [a, b]) => self.temporal(t, a, b),
            (op, [a, b]) if op.comparison().is_some() => self.comparison(op.comparison().unwrap_or(CmpOp::Eq), a, b),
            (op, _) => Err(bad(format!("`{}` is not supported here", op.name()))),
        }
    }

    /// An operand of a comparison: a queryable (with its folding) or a literal.
    fn side(&self, e: &Expr) -> Result<Side, ApiError> {
        let mut fold = Fold::None;
        let mut e = e;
        while let Expr::Op { op: op @ (Op::Casei | Op::Accenti), args } = e {
            fold = if *op == Op::Accenti || fold == Fold::Accent { Fold::Accent } else { Fold::Lower };
            e = args.first().ok_or_else(|| bad(format!("`{}` takes one argument", op.name())))?;
        }
        match e {
            Expr::Property(p) if p == GEOMETRY => Ok(Side::Lit(Expr::Property(p.clone()))),
            Expr::Property(p) => {
                lookup(self.collection, p).map(|q| Side::Col(q, fold)).ok_or_else(|| bad(format!("unknown queryable `{p}`")))
            }
            Expr::Text(s) => Ok(Side::Lit(Expr::Text(fold_text(s, fold)))),
            other => Ok(Side::Lit(other.clone())),
        }
    }

    fn constant(&self, e: &Expr) -> Result<(Filter, bool), ApiError> {
        struct Nothing;
        impl cityos_cql2::Feature for Nothing {
            fn property(&self, _: &str) -> Option<serde_json::Value> {
                None
            }
            fn geometry(&self) -> Option<geo::Geometry<f64>> {
                None
            }
        }
        let b = cityos_cql2::eval(e, &Nothing).map_err(|err| bad(err.to_string()))?;
        Ok((Filter::Const(b), true))
    }

    fn comparison(&self, op: CmpOp, a: &Expr, b: &Expr) -> Result<(Filter, bool), ApiError> {
        match (self.side(a)?, self.side(b)?) {
            (Side::Lit(x), Side::Lit(y)) => {
                if [&x, &y].iter().any(|e| matches!(e, Expr::Property(_))) {
                    return Err(bad("`geometry` can only be used in spatial functions (S_INTERSECTS, …)"));
                }
                let op = match op {
                    CmpOp::Eq => Op::Eq,
                    CmpOp::Ne => Op::Ne,
                    CmpOp::Lt => Op::Lt,
                    CmpOp::Le => Op::Le,
                    CmpOp::Gt => Op::Gt,
                    CmpOp::Ge => Op::Ge,
                };
                self.constant(&Expr::Op { op, args: vec![x, y] })
            }
            (Side::Lit(x), Side::Col(q, f)) => self.col_lit(q, f, op.flipped(), &x),
            (Side::Col(q, f), Side::Lit(x)) => self.col_lit(q, f, op, &x),
            (Side::Col(l, lf), Side::Col(r, rf)) => {
                let class = |t: AttrType| match t {
                    AttrType::Number | AttrType::Integer => 0,
                    AttrType::Text => 1,
                    AttrType::Date => 2,
                    AttrType::Timestamp => 3,
                };
                if class(l.ty) != class(r.ty) {
                    return Err(bad(format!("cannot compare `{}` with `{}`: their types differ", l.name, r.name)));
                }
                if lf != Fold::None || rf != Fold::None {
                    return Ok((Filter::Const(true), false));
                }
                Ok((Filter::CmpColumns { left: l.name.into(), op: sql_op(op), right: r.name.into() }, true))
            }
        }
    }

    /// The column a folded text queryable is compared through, and whether
    /// the comparison is exact for `literal`.
    fn folded_column(q: Queryable, fold: Fold, literal: &str) -> Option<String> {
        match fold {
            Fold::None => Some(q.name.to_string()),
            // SQL LOWER and Rust's lower-casing agree on ASCII only.
            Fold::Lower if literal.is_ascii() => Some(lower_name(q.name)),
            Fold::Lower => None,
            Fold::Accent if q.folded => Some(ACCENTI_NAME.to_string()),
            Fold::Accent if q.code => Some(lower_name(q.name)),
            Fold::Accent => None,
        }
    }

    fn col_lit(&self, q: Queryable, fold: Fold, op: CmpOp, lit: &Expr) -> Result<(Filter, bool), ApiError> {
        let name = q.name;
        if fold != Fold::None && q.ty != AttrType::Text {
            return Err(bad(format!("CASEI and ACCENTI apply to text; `{name}` is not text")));
        }
        let mismatch = |what: &str| bad(format!("`{name}` is {what}; it cannot be compared with {}", describe(lit)));
        let exact = |f: Filter| Ok((f, true));
        match q.ty {
            AttrType::Text => {
                let Expr::Text(s) = lit else { return Err(mismatch("text")) };
                match Self::folded_column(q, fold, s) {
                    Some(col) => exact(cmp(&col, sql_op(op), Value::Text(s.clone()))),
                    // Case-insensitively equal implies equal once folded: a sound prefilter.
                    None if q.folded && op == CmpOp::Eq => Ok((cmp(ACCENTI_NAME, SqlOp::Eq, Value::Text(cityos_text::fold(s))), false)),
                    None => Ok((Filter::Const(true), false)),
                }
            }
            AttrType::Number | AttrType::Integer => match lit {
                Expr::Number(n) => exact(cmp(name, sql_op(op), Value::Float(*n))),
                _ => Err(mismatch("a number")),
            },
            AttrType::Date => match lit {
                Expr::Text(s) => exact(cmp(name, sql_op(op), Value::Text(s.clone()))),
                Expr::Date(d) => exact(cmp(name, sql_op(op), Value::Text(date_text(*d)))),
                Expr::Timestamp(t) => exact(date_vs_ms(name, op, t.timestamp_millis())?),
                _ => Err(mismatch("a date")),
            },
            AttrType::Timestamp => {
                let ms = match lit {
                    Expr::Timestamp(t) => t.timestamp_millis(),
                    Expr::Date(d) => date_ms(*d),
                    Expr::Text(s) => text_ms(s).ok_or_else(|| mismatch("a timestamp"))?,
                    _ => return Err(mismatch("a timestamp")),
                };
                exact(cmp(name, sql_op(op), Value::Int(ms)))
            }
        }
    }

    fn like_op(&self) -> SqlOp {
        match self.backend {
            // SQLite's LIKE ignores ASCII case; GLOB does not.
            Backend::Sqlite => SqlOp::Glob,
            Backend::Postgres => SqlOp::Like,
        }
    }

    fn like(&self, v: &Expr, p: &Expr) -> Result<(Filter, bool), ApiError> {
        match (self.side(v)?, self.side(p)?) {
            (Side::Col(q, fold), Side::Lit(Expr::Text(pattern))) if q.ty == AttrType::Text => {
                match Self::folded_column(q, fold, &pattern) {
                    Some(col) => Ok((cmp(&col, self.like_op(), Value::Text(pattern)), true)),
                    None => Ok((Filter::Const(true), false)),
                }
            }
            (Side::Col(q, _), _) if q.ty != AttrType::Text => Err(bad(format!("LIKE applies to text; `{}` is not text", q.name))),
            (Side::Lit(Expr::Text(_)), Side::Lit(Expr::Text(_))) => {
                self.constant(&Expr::Op { op: Op::Like, args: vec![v.clone(), p.clone()] })
            }
            _ => Err(bad("LIKE needs a text property (or string) on the left and a string pattern on the right")),
        }
    }

    fn spatial(&self, op: SpatialOp, a: &Expr, b: &Expr) -> Result<(Filter, bool), ApiError> {
        let is_geom = |e: &Expr| matches!(e, Expr::Property(p) if p == GEOMETRY);
        for e in [a, b] {
            if let Expr::Property(p) = e {
                if p != GEOMETRY {
                    return Err(bad(format!("`{p}` is not a geometry; spatial functions take `{GEOMETRY}` and a geometry literal")));
                }
            }
        }
        let (literal, swapped) = match (is_geom(a), is_geom(b)) {
            (false, false) => return self.constant(&Expr::Op { op: Op::Spatial(op), args: vec![a.clone(), b.clone()] }),
            (true, true) => return Err(bad("a spatial function needs a geometry literal besides `geometry`")),
            (true, false) => (b, false),
            (false, true) => (a, true),
        };
        let relation = match op {
            SpatialOp::Intersects => Relation::Intersects,
            SpatialOp::Equals => Relation::Equals,
            SpatialOp::Disjoint => Relation::Disjoint,
            SpatialOp::Touches => Relation::Touches,
            SpatialOp::Overlaps => Relation::Overlaps,
            SpatialOp::Crosses => Relation::Crosses,
            // `S_WITHIN(literal, geometry)` is `geometry` containing the literal.
            SpatialOp::Within if swapped => Relation::Contains,
            SpatialOp::Within => Relation::Within,
            SpatialOp::Contains if swapped => Relation::Within,
            SpatialOp::Contains => Relation::Contains,
        };
        let geometry = match literal {
            Expr::Geometry(g) => g.clone(),
            Expr::Bbox(b) => cityos_cql2::bbox_polygon(b),
            _ => return Err(bad("a spatial function needs a geometry literal")),
        };
        let bbox = cityos_cql2::literal_bbox(literal);
        let prefilter = |bbox: Option<[f64; 4]>| match bbox {
            Some(bbox) if op.implies_bbox_overlap() => {
                (Filter::Spatial { column: BBOX_TEMPLATE.into(), relation, geojson: String::new(), bbox }, false)
            }
            _ => (Filter::Const(true), false),
        };
        // PostGIS refuses most DE-9IM predicates on geometry collections.
        let collection = matches!(geometry, geo::Geometry::GeometryCollection(_));
        if self.backend == Backend::Sqlite || (collection && op != SpatialOp::Intersects) {
            return Ok(prefilter(bbox));
        }
        let polygon = match geometry {
            geo::Geometry::Rect(r) => geo::Geometry::Polygon(r.to_polygon()),
            g => g,
        };
        let geojson = serde_json::to_string(&geojson::Geometry::from(&polygon)).map_err(|e| bad(format!("geometry literal: {e}")))?;
        Ok((Filter::Spatial { column: GEOMETRY.into(), relation, geojson, bbox: bbox.unwrap_or([0.0; 4]) }, true))
    }

    fn instant(&self, e: &Expr, open: Option<T>) -> Result<Bound, ApiError> {
        match e {
            Expr::Date(d) => Ok(Bound::Point(T::At(date_ms(*d)))),
            Expr::Timestamp(t) => Ok(Bound::Point(T::At(t.timestamp_millis()))),
            Expr::Open => Ok(Bound::Point(open.unwrap_or(T::PosInf))),
            Expr::Property(p) => match lookup(self.collection, p) {
                Some(q) if matches!(q.ty, AttrType::Date | AttrType::Timestamp) => Ok(Bound::Col(q, open)),
                Some(_) => Err(bad(format!("`{p}` is not a date or timestamp"))),
                None => Err(bad(format!("`{p}` is not a date or timestamp queryable"))),
            },
            _ => Err(bad("temporal functions take dates, timestamps, intervals and date or timestamp properties")),
        }
    }

    fn period(&self, e: &Expr) -> Result<(Bound, Bound), ApiError> {
        if let Expr::Interval(a, b) = e {
            return Ok((self.instant(a, Some(T::NegInf))?, self.instant(b, Some(T::PosInf))?));
        }
        let x = self.instant(e, None)?;
        Ok((x, x))
    }

    fn temporal(&self, op: TemporalOp, a: &Expr, b: &Expr) -> Result<(Filter, bool), ApiError> {
        let (a, b) = (self.period(a)?, self.period(b)?);
        let pick = |end: End| match end {
            End::AStart => a.0,
            End::AEnd => a.1,
            End::BStart => b.0,
            End::BEnd => b.1,
        };
        let (negated, conditions) = op.conditions();
        let mut parts = Vec::with_capacity(conditions.len());
        let mut exact = true;
        for (l, c, r) in conditions {
            let (f, x) = self.bound_cmp(pick(*l), *c, pick(*r))?;
            exact &= x;
            parts.push(f);
        }
        let all = Filter::And(parts);
        Ok(match (negated, exact) {
            (false, _) => (all, exact),
            (true, true) => (Filter::Not(Box::new(all)), true),
            (true, false) => (Filter::Const(true), false),
        })
    }

    fn bound_cmp(&self, a: Bound, op: CmpOp, b: Bound) -> Result<(Filter, bool), ApiError> {
        match (a, b) {
            (Bound::Point(x), Bound::Point(y)) => Ok((Filter::Const(op.holds(x.cmp(&y))), true)),
            (Bound::Col(q, open), Bound::Point(t)) => Ok((col_vs_point(q, open, op, t)?, true)),
            (Bound::Point(t), Bound::Col(q, open)) => Ok((col_vs_point(q, open, op.flipped(), t)?, true)),
            // Two columns whose nulls may stand for open ends: decided in Rust.
            (Bound::Col(..), Bound::Col(..)) => Ok((Filter::Const(true), false)),
        }
    }
}

/// `column op t` for a date or timestamp column, with null meaning `open`
/// (or unknown when `open` is `None`).
fn col_vs_point(q: Queryable, open: Option<T>, op: CmpOp, t: T) -> Result<Filter, ApiError> {
    let name = q.name;
    let is_null = || Filter::IsNull(name.to_string());
    // What the comparison gives for a null at an open end (`None`: unknown).
    let when_null = open.map(|n| op.holds(n.cmp(&t)));
    let T::At(ms) = t else {
        // Any stored value is below +∞ and above −∞.
        let when_set = op.holds(if t == T::PosInf { Ordering::Less } else { Ordering::Greater });
        return Ok(match when_null {
            None if when_set => known_true(name),
            None => known_false(name),
            Some(n) if n == when_set => Filter::Const(n),
            Some(true) => is_null(),
            Some(false) => Filter::Not(Box::new(is_null())),
        });
    };
    let finite = match q.ty {
        AttrType::Date => date_vs_ms(name, op, ms)?,
        _ => cmp(name, sql_op(op), Value::Int(ms)),
    };
    Ok(match when_null {
        None => finite,
        Some(true) => Filter::Or(vec![is_null(), finite]),
        Some(false) => Filter::And(vec![Filter::Not(Box::new(is_null())), finite]),
    })
}

fn describe(e: &Expr) -> String {
    match e {
        Expr::Text(s) => format!("the string '{s}'"),
        Expr::Number(n) => format!("the number {n}"),
        Expr::Bool(b) => format!("the boolean {b}"),
        Expr::Date(d) => format!("the date {d}"),
        Expr::Timestamp(t) => format!("the timestamp {}", t.to_rfc3339()),
        _ => "that value".into(),
    }
}

impl cityos_cql2::Feature for crate::model::Feature {
    fn property(&self, name: &str) -> Option<serde_json::Value> {
        if name == "id" {
            return Some(serde_json::Value::String(self.id.clone()));
        }
        self.properties.get(name).cloned()
    }

    fn geometry(&self) -> Option<geo::Geometry<f64>> {
        geo::Geometry::try_from(self.geometry.value.clone()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::collection;
    use cityos_store::query::{count, Compiled as Sql};

    fn sql(text: &str, backend: Backend) -> (Sql, bool) {
        let coll = collection("water-pipes").unwrap();
        let c = compile(&cityos_cql2::parse_text(text).unwrap(), coll, backend).unwrap();
        (count(&schema(coll, backend), Some(&c.sql)).unwrap(), c.exact.is_some())
    }

    #[test]
    fn spatial_predicates_use_postgis_or_the_rtree_prefilter() {
        let text = "S_WITHIN(BBOX(106.6, 10.7, 106.8, 10.9), geometry) AND pressure_bar > 2";
        let (pg, pg_rust) = sql(text, Backend::Postgres);
        assert_eq!(
            pg.sql,
            "SELECT COUNT(*) AS n FROM gis_features WHERE (ST_Contains(gis_features.geom, ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326))) AND (gis_features.extra::jsonb ->> 'pressure_bar')::double precision > $2)"
        );
        assert!(matches!(&pg.args[0], Value::Text(g) if g.contains("\"Polygon\"")));
        assert!(!pg_rust);
        let (lite, lite_rust) = sql(text, Backend::Sqlite);
        assert_eq!(
            lite.sql,
            "SELECT COUNT(*) AS n FROM gis_features WHERE (gis_features.rid IN (SELECT rid FROM gis_features_rtree WHERE minx <= $1 AND maxx >= $2 AND miny <= $3 AND maxy >= $4) AND json_extract(gis_features.extra, '$.pressure_bar') > $5)"
        );
        assert_eq!(lite.args[..4], [Value::Float(106.8), Value::Float(106.6), Value::Float(10.9), Value::Float(10.7)]);
        assert!(lite_rust);
        // No sound prefilter under NOT or for S_DISJOINT: everything goes to the exact test.
        for t in ["NOT S_INTERSECTS(geometry, POINT(1 2))", "S_DISJOINT(geometry, POINT(1 2))"] {
            let (c, rust) = sql(t, Backend::Sqlite);
            assert_eq!(c.sql, "SELECT COUNT(*) AS n FROM gis_features WHERE 1 = 1", "{t}");
            assert!(rust);
        }
    }

    #[test]
    fn folding_uses_the_twin_columns_and_bound_literals() {
        let (c, rust) = sql("ACCENTI(name) LIKE ACCENTI('%Đường Lê Lợi%') AND CASEI(status) = CASEI('Functional')", Backend::Postgres);
        assert_eq!(c.sql, "SELECT COUNT(*) AS n FROM gis_features WHERE (gis_features.name_folded LIKE $1 ESCAPE '\\' AND LOWER(gis_features.status) = $2)");
        assert_eq!(c.args, [Value::Text("%duong le loi%".into()), Value::Text("functional".into())]);
        assert!(!rust);
        let (c, _) = sql("name LIKE 'Van%'", Backend::Sqlite);
        assert_eq!(c.sql, "SELECT COUNT(*) AS n FROM gis_features WHERE gis_features.name GLOB $1");
        assert_eq!(c.args, [Value::Text("Van*".into())]);
    }

    #[test]
    fn open_interval_ends_and_dates_compile_to_plain_comparisons() {
        let (c, rust) = sql("T_INTERSECTS(INTERVAL(valid_from, valid_to), INTERVAL('2025-07-01', '..'))", Backend::Sqlite);
        assert_eq!(
            c.sql,
            "SELECT COUNT(*) AS n FROM gis_features WHERE (1 = 1 AND (gis_features.valid_to IS NULL OR gis_features.valid_to >= $1))"
        );
        assert_eq!(c.args, [Value::Int(1_751_328_000_000)]);
        assert!(!rust);
        let (c, _) = sql("install_date < TIMESTAMP('2020-01-01T08:00:00Z')", Backend::Postgres);
        assert_eq!(c.sql, "SELECT COUNT(*) AS n FROM gis_features WHERE gis_features.install_date < $1");
        assert_eq!(c.args, [Value::Text("2020-01-02".into())]);
    }

    #[test]
    fn queryables_are_a_json_schema_with_the_primary_geometry() {
        let q = queryables(collection("water-pipes").unwrap());
        assert_eq!(q["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(q["$id"], "/ogc/collections/water-pipes/queryables");
        assert_eq!(q["type"], "object");
        assert_eq!(q["properties"]["geometry"]["format"], "geometry-linestring");
        assert_eq!(q["properties"]["geometry"]["x-ogc-role"], "primary-geometry");
        assert_eq!(q["properties"]["status"]["enum"][0], "functional");
        assert_eq!(q["properties"]["install_date"]["format"], "date");
        assert_eq!(q["properties"]["valid_from"]["format"], "date-time");
        assert_eq!(q["properties"]["pressure_bar"]["type"], "number");
        assert_eq!(q["properties"]["name"]["title"], "Tên");
        // Every queryable in the document is one the compiler accepts, and nothing else is.
        let coll = collection("water-pipes").unwrap();
        for name in q["properties"].as_object().unwrap().keys() {
            let e = cityos_cql2::parse_text(&format!("{name} IS NULL")).unwrap();
            assert!(compile(&e, coll, Backend::Sqlite).is_ok(), "{name}");
        }
        let e = cityos_cql2::parse_text("normally_open = 1").unwrap();
        assert!(compile(&e, coll, Backend::Sqlite).is_err());
    }
}
