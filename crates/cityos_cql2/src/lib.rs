//! OGC CQL2 (OGC 21-065r2): the text and JSON encodings parsed into one
//! expression tree ([`Expr`]), and an evaluator over a feature's properties
//! and geometry ([`eval`]). Compiling an expression to SQL is the caller's
//! business (`cityos_gis::filter` compiles it through the store's query
//! compiler).
//!
//! Conformance classes: basic-cql2, advanced-comparison-operators,
//! case-insensitive-comparison, accent-insensitive-comparison,
//! basic-spatial-functions(-plus), spatial-functions, temporal-functions and
//! property-property comparisons. Arithmetic, arrays and custom functions are
//! refused with a clear error.
//!
//! Guarantees: both encodings of the same filter give the same [`Expr`]
//! (`and`/`or` chains are flattened in both); every accepted tree has passed
//! [`validate`] (operator arity and operand kinds); input beyond
//! [`MAX_TEXT_BYTES`], [`MAX_DEPTH`] or [`MAX_NODES`] is refused before work
//! proportional to it is done; no input makes the parser or the evaluator
//! panic.

mod eval;
mod json;
mod text;

pub use eval::{eval, like, Feature, GEOMETRY_PROPERTY};
pub use json::{parse_json, to_json};
pub use text::{parse_text, to_text};

use std::collections::BTreeSet;

/// The longest text filter accepted (64 KiB).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// The deepest nesting accepted (operators within operators).
pub const MAX_DEPTH: usize = 64;
/// The most nodes (operators, operands, coordinates count once per
/// geometry) one expression may have.
pub const MAX_NODES: usize = 10_000;

/// A CQL2 expression: a boolean filter, or an operand inside one.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `TRUE` / `FALSE`.
    Bool(bool),
    /// A number (integers included).
    Number(f64),
    /// A character string.
    Text(String),
    /// `DATE('2024-05-01')` / `{"date": "2024-05-01"}`.
    Date(chrono::NaiveDate),
    /// `TIMESTAMP('2024-05-01T08:00:00Z')` / `{"timestamp": …}`, in UTC.
    Timestamp(chrono::DateTime<chrono::Utc>),
    /// `INTERVAL(start, end)`; each end is a [`Expr::Date`],
    /// [`Expr::Timestamp`], [`Expr::Property`] or [`Expr::Open`].
    Interval(Box<Expr>, Box<Expr>),
    /// `'..'`: the open end of an interval.
    Open,
    /// A geometry literal (WKT in text, GeoJSON in JSON), in CRS84.
    Geometry(geo::Geometry<f64>),
    /// `BBOX(minx, miny, maxx, maxy)` (or the 6-number 3D form; heights are ignored).
    Bbox([f64; 4]),
    /// A property (queryable) of the feature.
    Property(String),
    /// A list of operands (the right side of `IN`).
    List(Vec<Expr>),
    /// An operator or function applied to its arguments.
    Op {
        /// The operator.
        op: Op,
        /// Its arguments, in order.
        args: Vec<Expr>,
    },
}

/// The operators and functions CityOS understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// Conjunction (two or more arguments).
    And,
    /// Disjunction (two or more arguments).
    Or,
    /// Negation.
    Not,
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `LIKE` with `%`, `_` and `\` escapes.
    Like,
    /// `BETWEEN lo AND hi` (inclusive).
    Between,
    /// `IN (list)`.
    In,
    /// `IS NULL`.
    IsNull,
    /// `CASEI(x)`: compare case-insensitively.
    Casei,
    /// `ACCENTI(x)`: compare accent-insensitively (Vietnamese folding: marks stripped, đ→d).
    Accenti,
    /// Spatial functions (DE-9IM).
    Spatial(SpatialOp),
    /// Temporal functions (Allen's interval relations).
    Temporal(TemporalOp),
}

/// The spatial functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpatialOp {
    /// `S_INTERSECTS`
    Intersects,
    /// `S_EQUALS`
    Equals,
    /// `S_DISJOINT`
    Disjoint,
    /// `S_TOUCHES`
    Touches,
    /// `S_WITHIN`
    Within,
    /// `S_OVERLAPS`
    Overlaps,
    /// `S_CROSSES`
    Crosses,
    /// `S_CONTAINS`
    Contains,
}

impl SpatialOp {
    /// Every spatial function.
    pub const ALL: [SpatialOp; 8] = [
        SpatialOp::Intersects,
        SpatialOp::Equals,
        SpatialOp::Disjoint,
        SpatialOp::Touches,
        SpatialOp::Within,
        SpatialOp::Overlaps,
        SpatialOp::Crosses,
        SpatialOp::Contains,
    ];

    /// The JSON name (`s_intersects`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SpatialOp::Intersects => "s_intersects",
            SpatialOp::Equals => "s_equals",
            SpatialOp::Disjoint => "s_disjoint",
            SpatialOp::Touches => "s_touches",
            SpatialOp::Within => "s_within",
            SpatialOp::Overlaps => "s_overlaps",
            SpatialOp::Crosses => "s_crosses",
            SpatialOp::Contains => "s_contains",
        }
    }

    /// The PostGIS function with the same meaning (`ST_Intersects`).
    #[must_use]
    pub fn postgis(self) -> &'static str {
        match self {
            SpatialOp::Intersects => "ST_Intersects",
            SpatialOp::Equals => "ST_Equals",
            SpatialOp::Disjoint => "ST_Disjoint",
            SpatialOp::Touches => "ST_Touches",
            SpatialOp::Within => "ST_Within",
            SpatialOp::Overlaps => "ST_Overlaps",
            SpatialOp::Crosses => "ST_Crosses",
            SpatialOp::Contains => "ST_Contains",
        }
    }

    /// Whether every pair of geometries this holds for has intersecting
    /// bounding boxes (so a bounding-box prefilter is sound). Only
    /// `S_DISJOINT` lacks it.
    #[must_use]
    pub fn implies_bbox_overlap(self) -> bool {
        self != SpatialOp::Disjoint
    }
}

/// The temporal functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TemporalOp {
    /// `T_AFTER`
    After,
    /// `T_BEFORE`
    Before,
    /// `T_CONTAINS`
    Contains,
    /// `T_DISJOINT`
    Disjoint,
    /// `T_DURING`
    During,
    /// `T_EQUALS`
    Equals,
    /// `T_FINISHEDBY`
    FinishedBy,
    /// `T_FINISHES`
    Finishes,
    /// `T_INTERSECTS`
    Intersects,
    /// `T_MEETS`
    Meets,
    /// `T_METBY`
    MetBy,
    /// `T_OVERLAPPEDBY`
    OverlappedBy,
    /// `T_OVERLAPS`
    Overlaps,
    /// `T_STARTEDBY`
    StartedBy,
    /// `T_STARTS`
    Starts,
}

/// One end of a temporal operand, in a [`TemporalOp::conditions`] row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Start of the first argument.
    AStart,
    /// End of the first argument.
    AEnd,
    /// Start of the second argument.
    BStart,
    /// End of the second argument.
    BEnd,
}

impl TemporalOp {
    /// Every temporal function.
    pub const ALL: [TemporalOp; 15] = [
        TemporalOp::After,
        TemporalOp::Before,
        TemporalOp::Contains,
        TemporalOp::Disjoint,
        TemporalOp::During,
        TemporalOp::Equals,
        TemporalOp::FinishedBy,
        TemporalOp::Finishes,
        TemporalOp::Intersects,
        TemporalOp::Meets,
        TemporalOp::MetBy,
        TemporalOp::OverlappedBy,
        TemporalOp::Overlaps,
        TemporalOp::StartedBy,
        TemporalOp::Starts,
    ];

    /// The JSON name (`t_finishedBy`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            TemporalOp::After => "t_after",
            TemporalOp::Before => "t_before",
            TemporalOp::Contains => "t_contains",
            TemporalOp::Disjoint => "t_disjoint",
            TemporalOp::During => "t_during",
            TemporalOp::Equals => "t_equals",
            TemporalOp::FinishedBy => "t_finishedBy",
            TemporalOp::Finishes => "t_finishes",
            TemporalOp::Intersects => "t_intersects",
            TemporalOp::Meets => "t_meets",
            TemporalOp::MetBy => "t_metBy",
            TemporalOp::OverlappedBy => "t_overlappedBy",
            TemporalOp::Overlaps => "t_overlaps",
            TemporalOp::StartedBy => "t_startedBy",
            TemporalOp::Starts => "t_starts",
        }
    }

    /// The relation as a conjunction of comparisons between the ends of the
    /// two arguments (instants are intervals whose ends coincide), after
    /// OGC 21-065r2 §6.4.5. `T_DISJOINT` is the negation of the
    /// `T_INTERSECTS` row and has `negated = true`.
    #[must_use]
    pub fn conditions(self) -> (bool, &'static [(End, CmpOp, End)]) {
        use CmpOp::{Eq, Ge, Gt, Le, Lt};
        use End::{AEnd, AStart, BEnd, BStart};
        const INTERSECTS: &[(End, CmpOp, End)] = &[(AStart, Le, BEnd), (AEnd, Ge, BStart)];
        match self {
            TemporalOp::After => (false, &[(AStart, Gt, BEnd)]),
            TemporalOp::Before => (false, &[(AEnd, Lt, BStart)]),
            TemporalOp::Contains => (false, &[(AStart, Lt, BStart), (AEnd, Gt, BEnd)]),
            TemporalOp::Disjoint => (true, INTERSECTS),
            TemporalOp::During => (false, &[(AStart, Gt, BStart), (AEnd, Lt, BEnd)]),
            TemporalOp::Equals => (false, &[(AStart, Eq, BStart), (AEnd, Eq, BEnd)]),
            TemporalOp::FinishedBy => (false, &[(AStart, Lt, BStart), (AEnd, Eq, BEnd)]),
            TemporalOp::Finishes => (false, &[(AStart, Gt, BStart), (AEnd, Eq, BEnd)]),
            TemporalOp::Intersects => (false, INTERSECTS),
            TemporalOp::Meets => (false, &[(AEnd, Eq, BStart)]),
            TemporalOp::MetBy => (false, &[(AStart, Eq, BEnd)]),
            TemporalOp::OverlappedBy => (false, &[(AStart, Gt, BStart), (AStart, Lt, BEnd), (AEnd, Gt, BEnd)]),
            TemporalOp::Overlaps => (false, &[(AStart, Lt, BStart), (AEnd, Gt, BStart), (AEnd, Lt, BEnd)]),
            TemporalOp::StartedBy => (false, &[(AStart, Eq, BStart), (AEnd, Gt, BEnd)]),
            TemporalOp::Starts => (false, &[(AStart, Eq, BStart), (AEnd, Lt, BEnd)]),
        }
    }
}

/// A binary comparison, as used by [`TemporalOp::conditions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// Whether `ord` (left compared with right) satisfies the comparison.
    #[must_use]
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }

    /// The same comparison with its sides swapped (`a < b` ⇔ `b > a`).
    #[must_use]
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
}

impl Op {
    /// The JSON name (`and`, `=`, `isNull`, `s_intersects`, …).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Op::And => "and",
            Op::Or => "or",
            Op::Not => "not",
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Like => "like",
            Op::Between => "between",
            Op::In => "in",
            Op::IsNull => "isNull",
            Op::Casei => "casei",
            Op::Accenti => "accenti",
            Op::Spatial(s) => s.name(),
            Op::Temporal(t) => t.name(),
        }
    }

    /// Looks an operator up by its JSON name, or (case-insensitively) by
    /// the name of a text-encoding function (`S_INTERSECTS`, `CASEI`, …).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Op> {
        let fixed = [
            Op::And,
            Op::Or,
            Op::Not,
            Op::Eq,
            Op::Ne,
            Op::Lt,
            Op::Le,
            Op::Gt,
            Op::Ge,
            Op::Like,
            Op::Between,
            Op::In,
            Op::IsNull,
            Op::Casei,
            Op::Accenti,
        ];
        fixed
            .into_iter()
            .chain(SpatialOp::ALL.into_iter().map(Op::Spatial))
            .chain(TemporalOp::ALL.into_iter().map(Op::Temporal))
            .find(|op| op.name().eq_ignore_ascii_case(name))
    }

    /// The comparison this operator is, if it is one.
    #[must_use]
    pub fn comparison(self) -> Option<CmpOp> {
        Some(match self {
            Op::Eq => CmpOp::Eq,
            Op::Ne => CmpOp::Ne,
            Op::Lt => CmpOp::Lt,
            Op::Le => CmpOp::Le,
            Op::Gt => CmpOp::Gt,
            Op::Ge => CmpOp::Ge,
            _ => return None,
        })
    }

    /// How many arguments it takes: `(min, max)`.
    fn arity(self) -> (usize, usize) {
        match self {
            Op::And | Op::Or => (2, usize::MAX),
            Op::Not | Op::IsNull | Op::Casei | Op::Accenti => (1, 1),
            Op::Between => (3, 3),
            _ => (2, 2),
        }
    }
}

/// Why a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Cql2Error {
    /// Text that does not parse: where (character position, from 1) and why.
    #[error("invalid CQL2 text at position {position}: {message}")]
    Syntax {
        /// Character position of the offending token, counted from 1.
        position: usize,
        /// What was wrong.
        message: String,
    },
    /// JSON that is not a CQL2 expression: where (a JSON pointer) and why.
    #[error("invalid CQL2 JSON at {path}: {message}")]
    Json {
        /// JSON pointer to the offending value (`/args/1`).
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A well-formed expression that does not make sense (an operand of the
    /// wrong kind, a wrong number of arguments).
    #[error("invalid CQL2 expression: {0}")]
    Invalid(String),
    /// Input beyond the size, depth or node limits.
    #[error("CQL2 filter too large: {0}")]
    TooLarge(String),
    /// A value of the wrong type met while evaluating.
    #[error("cannot evaluate CQL2 filter: {0}")]
    Type(String),
}

/// Checks the arity of every operator and the kind of every operand: the
/// top is a boolean expression, comparisons take scalars, spatial functions
/// take geometries, temporal functions take instants or intervals.
///
/// # Errors
/// [`Cql2Error::Invalid`] naming the operator.
pub fn validate(e: &Expr) -> Result<(), Cql2Error> {
    boolean(e)
}

fn invalid(msg: String) -> Cql2Error {
    Cql2Error::Invalid(msg)
}

fn check_arity(op: Op, n: usize) -> Result<(), Cql2Error> {
    let (lo, hi) = op.arity();
    if n < lo || n > hi {
        let want = if lo == hi { lo.to_string() } else { format!("at least {lo}") };
        return Err(invalid(format!("`{}` takes {want} argument(s), got {n}", op.name())));
    }
    Ok(())
}

fn boolean(e: &Expr) -> Result<(), Cql2Error> {
    match e {
        Expr::Bool(_) => Ok(()),
        Expr::Op { op, args } => {
            check_arity(*op, args.len())?;
            match op {
                Op::And | Op::Or | Op::Not => args.iter().try_for_each(boolean),
                Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => args.iter().try_for_each(|a| scalar(*op, a)),
                Op::Like => {
                    scalar(*op, &args[0])?;
                    pattern(&args[1])
                }
                Op::Between => args.iter().try_for_each(|a| scalar(*op, a)),
                Op::In => {
                    scalar(*op, &args[0])?;
                    match &args[1] {
                        Expr::List(items) => items.iter().try_for_each(|a| scalar(*op, a)),
                        _ => Err(invalid("the second argument of `in` must be a list".into())),
                    }
                }
                Op::IsNull => match &args[0] {
                    Expr::Property(_) | Expr::Op { op: Op::Casei | Op::Accenti, .. } => scalar(*op, &args[0]),
                    _ => Err(invalid("`isNull` takes a property".into())),
                },
                Op::Spatial(_) => args.iter().try_for_each(|a| geometry(*op, a)),
                Op::Temporal(_) => args.iter().try_for_each(|a| temporal(*op, a)),
                Op::Casei | Op::Accenti => Err(invalid(format!("`{}` is not a condition: compare its result", op.name()))),
            }
        }
        Expr::Property(p) => Err(invalid(format!("property `{p}` is not a condition: compare it with a value"))),
        other => Err(invalid(format!("{} is not a condition", kind(other)))),
    }
}

fn kind(e: &Expr) -> &'static str {
    match e {
        Expr::Bool(_) => "a boolean",
        Expr::Number(_) => "a number",
        Expr::Text(_) => "a string",
        Expr::Date(_) => "a date",
        Expr::Timestamp(_) => "a timestamp",
        Expr::Interval(..) => "an interval",
        Expr::Open => "`..`",
        Expr::Geometry(_) | Expr::Bbox(_) => "a geometry",
        Expr::Property(_) => "a property",
        Expr::List(_) => "a list",
        Expr::Op { .. } => "a condition",
    }
}

fn scalar(op: Op, e: &Expr) -> Result<(), Cql2Error> {
    match e {
        Expr::Bool(_) | Expr::Number(_) | Expr::Text(_) | Expr::Date(_) | Expr::Timestamp(_) | Expr::Property(_) => Ok(()),
        Expr::Op { op: inner @ (Op::Casei | Op::Accenti), args } => {
            check_arity(*inner, args.len())?;
            match &args[0] {
                Expr::Text(_) | Expr::Property(_) | Expr::Op { op: Op::Casei | Op::Accenti, .. } => scalar(op, &args[0]),
                other => Err(invalid(format!("`{}` takes a string or a property, not {}", inner.name(), kind(other)))),
            }
        }
        other => Err(invalid(format!("`{}` cannot compare {}", op.name(), kind(other)))),
    }
}

fn pattern(e: &Expr) -> Result<(), Cql2Error> {
    match e {
        Expr::Text(_) | Expr::Property(_) => Ok(()),
        Expr::Op { op: Op::Casei | Op::Accenti, .. } => scalar(Op::Like, e),
        other => Err(invalid(format!("a `like` pattern must be a string, not {}", kind(other)))),
    }
}

fn geometry(op: Op, e: &Expr) -> Result<(), Cql2Error> {
    match e {
        Expr::Geometry(_) | Expr::Bbox(_) | Expr::Property(_) => Ok(()),
        other => Err(invalid(format!("`{}` takes geometries, not {}", op.name(), kind(other)))),
    }
}

fn temporal(op: Op, e: &Expr) -> Result<(), Cql2Error> {
    match e {
        Expr::Date(_) | Expr::Timestamp(_) | Expr::Property(_) => Ok(()),
        Expr::Interval(a, b) => {
            for end in [a, b] {
                match end.as_ref() {
                    Expr::Date(_) | Expr::Timestamp(_) | Expr::Property(_) | Expr::Open => {}
                    other => {
                        return Err(invalid(format!("an interval end must be a date, timestamp, property or '..', not {}", kind(other))))
                    }
                }
            }
            Ok(())
        }
        other => Err(invalid(format!("`{}` takes dates, timestamps or intervals, not {}", op.name(), kind(other)))),
    }
}

/// Every property the expression names (so callers can refuse unknown queryables).
#[must_use]
pub fn properties(e: &Expr) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk(e, &mut |x| {
        if let Expr::Property(p) = x {
            out.insert(p.clone());
        }
    });
    out
}

/// Whether the expression uses a spatial function anywhere.
#[must_use]
pub fn has_spatial(e: &Expr) -> bool {
    let mut found = false;
    walk(e, &mut |x| found |= matches!(x, Expr::Op { op: Op::Spatial(_), .. }));
    found
}

fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match e {
        Expr::Interval(a, b) => {
            walk(a, f);
            walk(b, f);
        }
        Expr::List(items) | Expr::Op { args: items, .. } => items.iter().for_each(|x| walk(x, f)),
        _ => {}
    }
}

/// Builds an operator node, flattening nested `and`/`or` of the same kind
/// (so `a AND b AND c` and `{"op":"and","args":[a,{"op":"and",…}]}` agree).
pub(crate) fn op(op: Op, args: Vec<Expr>) -> Expr {
    if matches!(op, Op::And | Op::Or) {
        let mut flat = Vec::with_capacity(args.len());
        for a in args {
            match a {
                Expr::Op { op: inner, args: inner_args } if inner == op => flat.extend(inner_args),
                other => flat.push(other),
            }
        }
        return Expr::Op { op, args: flat };
    }
    Expr::Op { op, args }
}

/// Parses an interval end or instant given as a string: `..`, a date
/// (`YYYY-MM-DD`) or an RFC 3339 timestamp.
pub(crate) fn instant_from_str(s: &str) -> Result<Expr, String> {
    if s == ".." {
        return Ok(Expr::Open);
    }
    if s.len() == 10 {
        return date_from_str(s);
    }
    timestamp_from_str(s)
}

pub(crate) fn date_from_str(s: &str) -> Result<Expr, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Expr::Date).map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

pub(crate) fn timestamp_from_str(s: &str) -> Result<Expr, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| Expr::Timestamp(t.with_timezone(&chrono::Utc)))
        .map_err(|_| format!("`{s}` is not an RFC 3339 timestamp (e.g. 2024-05-01T08:00:00Z)"))
}

/// A bounding box as the polygon it covers.
#[must_use]
pub fn bbox_polygon(b: &[f64; 4]) -> geo::Geometry<f64> {
    geo::Geometry::Rect(geo::Rect::new(geo::coord! { x: b[0], y: b[1] }, geo::coord! { x: b[2], y: b[3] }))
}

/// The bounding box `[minx, miny, maxx, maxy]` of a geometry literal, `None` when empty.
#[must_use]
pub fn literal_bbox(e: &Expr) -> Option<[f64; 4]> {
    use geo::BoundingRect as _;
    match e {
        Expr::Bbox(b) => Some(*b),
        Expr::Geometry(g) => g.bounding_rect().map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
        _ => None,
    }
}

/// The rules the text encoding's grammar imposes on geometry literals,
/// applied to GeoJSON ones too: no empty geometries, line strings of 2 or
/// more points, closed polygon rings of 4 or more.
pub(crate) fn check_geometry(g: &geo::Geometry<f64>) -> Result<(), String> {
    use geo::Geometry as G;
    let line = |l: &geo::LineString<f64>| if l.0.len() < 2 { Err("a line string needs at least 2 points".to_string()) } else { Ok(()) };
    let polygon = |p: &geo::Polygon<f64>| {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            if r.0.len() < 4 || r.0.first() != r.0.last() {
                return Err("a polygon ring needs at least 4 points and must be closed".to_string());
            }
        }
        Ok(())
    };
    let empty = || Err("empty geometries are not supported".to_string());
    match g {
        G::LineString(l) => line(l),
        G::Polygon(p) => polygon(p),
        G::MultiPoint(m) if m.0.is_empty() => empty(),
        G::MultiLineString(m) if m.0.is_empty() => empty(),
        G::MultiPolygon(m) if m.0.is_empty() => empty(),
        G::GeometryCollection(c) if c.0.is_empty() => empty(),
        G::MultiLineString(m) => m.0.iter().try_for_each(line),
        G::MultiPolygon(m) => m.0.iter().try_for_each(polygon),
        G::GeometryCollection(c) => c.0.iter().try_for_each(check_geometry),
        _ => Ok(()),
    }
}
