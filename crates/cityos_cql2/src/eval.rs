//! Evaluating an expression against one feature, with SQL's three-valued
//! logic (a comparison with a missing or null property is *unknown*, `NOT`
//! of unknown is unknown, and a filter holds only when it is true), so the
//! result agrees with what a database would answer for the same filter.

use crate::{CmpOp, Cql2Error, End, Expr, Op, SpatialOp};
use geo::{Intersects as _, Relate as _};
use serde_json::Value;

/// A feature a filter is evaluated against.
pub trait Feature {
    /// The value of a property, `None` when the feature lacks it. Dates are
    /// `YYYY-MM-DD` strings, timestamps RFC 3339 strings or epoch
    /// milliseconds, geometries GeoJSON objects.
    fn property(&self, name: &str) -> Option<Value>;
    /// The feature's primary geometry (the `geometry` property), in CRS84.
    fn geometry(&self) -> Option<geo::Geometry<f64>>;
}

/// The name CQL2 filters use for a feature's primary geometry.
pub const GEOMETRY_PROPERTY: &str = "geometry";

/// Whether `feature` matches the filter (unknown counts as no).
///
/// # Errors
/// [`Cql2Error::Type`] when a property holds a value that cannot be
/// compared as the filter asks (text against a number, a non-geometry in a
/// spatial function).
pub fn eval(expr: &Expr, feature: &dyn Feature) -> Result<bool, Cql2Error> {
    Ok(truth(expr, feature)? == Some(true))
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Text(String),
    /// Epoch milliseconds (dates at UTC midnight).
    Time(i64),
}

fn type_err(msg: String) -> Cql2Error {
    Cql2Error::Type(msg)
}

fn all3(parts: impl Iterator<Item = Result<Option<bool>, Cql2Error>>) -> Result<Option<bool>, Cql2Error> {
    let mut unknown = false;
    for p in parts {
        match p? {
            Some(false) => return Ok(Some(false)),
            None => unknown = true,
            Some(true) => {}
        }
    }
    Ok(if unknown { None } else { Some(true) })
}

fn any3(parts: impl Iterator<Item = Result<Option<bool>, Cql2Error>>) -> Result<Option<bool>, Cql2Error> {
    let mut unknown = false;
    for p in parts {
        match p? {
            Some(true) => return Ok(Some(true)),
            None => unknown = true,
            Some(false) => {}
        }
    }
    Ok(if unknown { None } else { Some(false) })
}

fn truth(e: &Expr, f: &dyn Feature) -> Result<Option<bool>, Cql2Error> {
    let (op, args) = match e {
        Expr::Bool(b) => return Ok(Some(*b)),
        Expr::Op { op, args } => (*op, args.as_slice()),
        other => return Err(type_err(format!("{other:?} is not a condition"))),
    };
    match (op, args) {
        (Op::And, _) => all3(args.iter().map(|a| truth(a, f))),
        (Op::Or, _) => any3(args.iter().map(|a| truth(a, f))),
        (Op::Not, [a]) => Ok(truth(a, f)?.map(|b| !b)),
        (Op::Like, [v, p]) => match (scalar(v, f)?, scalar(p, f)?) {
            (Val::Null, _) | (_, Val::Null) => Ok(None),
            (Val::Text(v), Val::Text(p)) => Ok(Some(like(&v, &p))),
            (v, p) => Err(type_err(format!("LIKE needs strings, got {v:?} and {p:?}"))),
        },
        (Op::Between, [v, lo, hi]) => {
            let (v, lo, hi) = (scalar(v, f)?, scalar(lo, f)?, scalar(hi, f)?);
            all3([compare(&v, CmpOp::Ge, &lo), compare(&v, CmpOp::Le, &hi)].into_iter())
        }
        (Op::In, [v, Expr::List(items)]) => {
            let v = scalar(v, f)?;
            any3(items.iter().map(|i| compare(&v, CmpOp::Eq, &scalar(i, f)?)))
        }
        (Op::IsNull, [Expr::Property(p)]) if p == GEOMETRY_PROPERTY => Ok(Some(f.geometry().is_none())),
        (Op::IsNull, [Expr::Property(p)]) => Ok(Some(matches!(f.property(p), None | Some(Value::Null)))),
        (Op::IsNull, [v]) => Ok(Some(scalar(v, f)? == Val::Null)),
        (Op::Spatial(s), [a, b]) => spatial(s, a, b, f),
        (Op::Temporal(t), [a, b]) => temporal(t, a, b, f),
        (op, [a, b]) if op.comparison().is_some() => {
            let cmp = op.comparison().unwrap_or(CmpOp::Eq);
            compare(&scalar(a, f)?, cmp, &scalar(b, f)?)
        }
        (op, args) => Err(type_err(format!("`{}` with {} argument(s) cannot be evaluated", op.name(), args.len()))),
    }
}

fn from_json(v: Option<Value>, name: &str) -> Result<Val, Cql2Error> {
    Ok(match v {
        None | Some(Value::Null) => Val::Null,
        Some(Value::Bool(b)) => Val::Bool(b),
        Some(Value::Number(n)) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
        Some(Value::String(s)) => Val::Text(s),
        Some(other) => return Err(type_err(format!("property `{name}` holds {other}, which cannot be compared"))),
    })
}

fn scalar(e: &Expr, f: &dyn Feature) -> Result<Val, Cql2Error> {
    Ok(match e {
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Number(n) => Val::Num(*n),
        Expr::Text(s) => Val::Text(s.clone()),
        Expr::Date(d) => Val::Time(date_ms(*d)),
        Expr::Timestamp(t) => Val::Time(t.timestamp_millis()),
        Expr::Property(p) => from_json(f.property(p), p)?,
        Expr::Op { op: op @ (Op::Casei | Op::Accenti), args } => {
            let inner = match args.as_slice() {
                [a] => scalar(a, f)?,
                _ => return Err(type_err(format!("`{}` takes one argument", op.name()))),
            };
            match inner {
                Val::Text(s) if *op == Op::Casei => Val::Text(s.to_lowercase()),
                Val::Text(s) => Val::Text(fold_keeping_wildcards(&s)),
                Val::Null => Val::Null,
                other => return Err(type_err(format!("`{}` needs a string, got {other:?}", op.name()))),
            }
        }
        other => return Err(type_err(format!("{other:?} is not a scalar value"))),
    })
}

/// [`cityos_text::fold`] (marks stripped, đ→d, lower case, runs of white
/// space made one space): the same folding as the `*_folded` search columns.
pub(crate) fn fold_keeping_wildcards(s: &str) -> String {
    cityos_text::fold(s)
}

/// Epoch milliseconds of a date's UTC midnight.
#[must_use]
pub(crate) fn date_ms(d: chrono::NaiveDate) -> i64 {
    d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis()
}

fn text_time(s: &str) -> Option<i64> {
    match crate::instant_from_str(s).ok()? {
        Expr::Date(d) => Some(date_ms(d)),
        Expr::Timestamp(t) => Some(t.timestamp_millis()),
        _ => None,
    }
}

fn compare(a: &Val, op: CmpOp, b: &Val) -> Result<Option<bool>, Cql2Error> {
    let ord = match (a, b) {
        (Val::Null, _) | (_, Val::Null) => return Ok(None),
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Text(x), Val::Text(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Time(x), Val::Time(y)) => Some(x.cmp(y)),
        (Val::Time(x), Val::Text(s)) => text_time(s).map(|y| x.cmp(&y)),
        (Val::Text(s), Val::Time(y)) => text_time(s).map(|x| x.cmp(y)),
        // A number met in a temporal comparison is epoch milliseconds.
        (Val::Num(x), Val::Time(y)) => x.partial_cmp(&(*y as f64)),
        (Val::Time(x), Val::Num(y)) => (*x as f64).partial_cmp(y),
        _ => None,
    };
    match ord {
        Some(o) => Ok(Some(op.holds(o))),
        None => Err(type_err(format!("cannot compare {a:?} with {b:?}"))),
    }
}

/// SQL `LIKE` with CQL2's wildcards: `%` any run, `_` one character, `\`
/// escapes the next character. Case-sensitive.
#[must_use]
pub fn like(value: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Lit(char),
    }
    let mut pat = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        pat.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => P::Lit(it.next().unwrap_or('\\')),
            c => P::Lit(c),
        });
    }
    let v: Vec<char> = value.chars().collect();
    // Iterative wildcard matching with backtracking to the last `%`: linear
    // memory, O(len(v) * len(pat)) time at worst, no recursion.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < v.len() {
        match pat.get(j) {
            Some(P::Any) => {
                star = Some((j, i));
                j += 1;
            }
            Some(P::One) => {
                i += 1;
                j += 1;
            }
            Some(P::Lit(c)) if *c == v[i] => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((sj, si)) => {
                    j = sj + 1;
                    i = si + 1;
                    star = Some((sj, si + 1));
                }
                None => return false,
            },
        }
    }
    pat[j..].iter().all(|p| *p == P::Any)
}

fn geometry_of(e: &Expr, f: &dyn Feature) -> Result<Option<geo::Geometry<f64>>, Cql2Error> {
    Ok(match e {
        Expr::Geometry(g) => Some(g.clone()),
        Expr::Bbox(b) => Some(crate::bbox_polygon(b)),
        Expr::Property(p) if p == GEOMETRY_PROPERTY => f.geometry(),
        Expr::Property(p) => match f.property(p) {
            None | Some(Value::Null) => None,
            Some(v) => {
                let g = geojson::Geometry::from_json_value(v)
                    .map_err(|e| type_err(format!("property `{p}` is not a GeoJSON geometry: {e}")))?;
                Some(g.value.try_into().map_err(|e: geojson::Error| type_err(format!("property `{p}`: {e}")))?)
            }
        },
        other => return Err(type_err(format!("{other:?} is not a geometry"))),
    })
}

fn finite(g: &geo::Geometry<f64>) -> bool {
    use geo::CoordsIter as _;
    g.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite())
}

fn spatial(op: SpatialOp, a: &Expr, b: &Expr, f: &dyn Feature) -> Result<Option<bool>, Cql2Error> {
    let (Some(a), Some(b)) = (geometry_of(a, f)?, geometry_of(b, f)?) else { return Ok(None) };
    if !finite(&a) || !finite(&b) {
        return Err(type_err("a geometry has a coordinate that is not a finite number".into()));
    }
    // The dedicated predicate is exact too, and much cheaper than a full DE-9IM matrix.
    match op {
        SpatialOp::Intersects => return Ok(Some(a.intersects(&b))),
        SpatialOp::Disjoint => return Ok(Some(!a.intersects(&b))),
        _ => {}
    }
    let m = a.relate(&b);
    Ok(Some(match op {
        SpatialOp::Intersects => m.is_intersects(),
        SpatialOp::Equals => m.is_equal_topo(),
        SpatialOp::Disjoint => m.is_disjoint(),
        SpatialOp::Touches => m.is_touches(),
        SpatialOp::Within => m.is_within(),
        SpatialOp::Overlaps => m.is_overlaps(),
        SpatialOp::Crosses => m.is_crosses(),
        SpatialOp::Contains => m.is_contains(),
    }))
}

/// A point on the time line, with the open ends of intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum T {
    NegInf,
    At(i64),
    PosInf,
}

fn instant(e: &Expr, f: &dyn Feature) -> Result<Option<i64>, Cql2Error> {
    Ok(match e {
        Expr::Date(d) => Some(date_ms(*d)),
        Expr::Timestamp(t) => Some(t.timestamp_millis()),
        Expr::Property(p) => match f.property(p) {
            None | Some(Value::Null) => None,
            // Epoch milliseconds, possibly written as a float.
            Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.trunc() as i64)),
            Some(Value::String(s)) => {
                Some(text_time(&s).ok_or_else(|| type_err(format!("property `{p}` holds `{s}`, not a date or timestamp")))?)
            }
            Some(other) => return Err(type_err(format!("property `{p}` holds {other}, not a date or timestamp"))),
        },
        other => return Err(type_err(format!("{other:?} is not an instant"))),
    })
}

/// The `[start, end]` of a temporal operand; `None` when unknown (a null
/// instant property). A null property at an interval end is an open end
/// (`valid_to` is empty while a version is current).
fn period(e: &Expr, f: &dyn Feature) -> Result<Option<(T, T)>, Cql2Error> {
    if let Expr::Interval(a, b) = e {
        let start = match a.as_ref() {
            Expr::Open => T::NegInf,
            x => instant(x, f)?.map_or(T::NegInf, T::At),
        };
        let end = match b.as_ref() {
            Expr::Open => T::PosInf,
            x => instant(x, f)?.map_or(T::PosInf, T::At),
        };
        return Ok(Some((start, end)));
    }
    Ok(instant(e, f)?.map(|t| (T::At(t), T::At(t))))
}

fn temporal(op: crate::TemporalOp, a: &Expr, b: &Expr, f: &dyn Feature) -> Result<Option<bool>, Cql2Error> {
    let (Some(a), Some(b)) = (period(a, f)?, period(b, f)?) else { return Ok(None) };
    let pick = |end: End| match end {
        End::AStart => a.0,
        End::AEnd => a.1,
        End::BStart => b.0,
        End::BEnd => b.1,
    };
    let (negated, conditions) = op.conditions();
    let holds = conditions.iter().all(|(l, cmp, r)| cmp.holds(pick(*l).cmp(&pick(*r))));
    Ok(Some(holds != negated))
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_wildcards_and_escapes() {
        assert!(like("Đường Lê Lợi", "Đường%"));
        assert!(like("Đường Lê Lợi", "%Lê%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abc", "a_"));
        assert!(like("50%", "50\\%"));
        assert!(!like("500", "50\\%"));
        assert!(like("a_b", "a\\_b"));
        assert!(!like("axb", "a\\_b"));
        assert!(like("", "%"));
        assert!(!like("", "_"));
        assert!(like("aaa", "%a%a%a%"));
        assert!(!like("ABC", "abc"));
    }
}
