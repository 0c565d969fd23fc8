//! The CQL2 JSON encoding (OGC 21-065r2 `cql2.json` schema).

use crate::{op, Cql2Error, Expr, Op, MAX_DEPTH, MAX_NODES};
use serde_json::{json, Map, Value};

struct Reader {
    nodes: usize,
}

fn jerr(path: &str, message: impl Into<String>) -> Cql2Error {
    Cql2Error::Json { path: if path.is_empty() { "/".into() } else { path.into() }, message: message.into() }
}

/// Parses the CQL2 JSON encoding (`{"op": "=", "args": [{"property":
/// "status"}, "functional"]}`) into a validated [`Expr`].
///
/// # Errors
/// [`Cql2Error::Json`] with a JSON pointer to the offending value,
/// [`Cql2Error::TooLarge`], or [`Cql2Error::Invalid`].
pub fn parse_json(v: &Value) -> Result<Expr, Cql2Error> {
    let e = Reader { nodes: 0 }.expr(v, "", 0)?;
    crate::validate(&e)?;
    Ok(e)
}

impl Reader {
    fn expr(&mut self, v: &Value, path: &str, depth: usize) -> Result<Expr, Cql2Error> {
        if depth > MAX_DEPTH {
            return Err(Cql2Error::TooLarge(format!("nesting deeper than {MAX_DEPTH} at {path}")));
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Cql2Error::TooLarge(format!("more than {MAX_NODES} terms")));
        }
        match v {
            Value::Bool(b) => Ok(Expr::Bool(*b)),
            Value::Number(n) => n.as_f64().filter(|f| f.is_finite()).map(Expr::Number).ok_or_else(|| jerr(path, "number out of range")),
            Value::String(s) => Ok(Expr::Text(s.clone())),
            Value::Null => Err(jerr(path, "null is not a CQL2 value (use isNull)")),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.expr(item, &format!("{path}/{i}"), depth + 1)?);
                }
                Ok(Expr::List(out))
            }
            Value::Object(m) => self.object(m, path, depth),
        }
    }

    fn object(&mut self, m: &Map<String, Value>, path: &str, depth: usize) -> Result<Expr, Cql2Error> {
        if let Some(name) = m.get("op") {
            let Some(name) = name.as_str() else { return Err(jerr(&format!("{path}/op"), "`op` must be a string")) };
            let Some(o) = Op::from_name(name).filter(|o| o.name() == name) else {
                return Err(jerr(&format!("{path}/op"), format!("unknown operator `{name}`")));
            };
            let args = match m.get("args") {
                Some(Value::Array(a)) => a,
                _ => return Err(jerr(&format!("{path}/args"), format!("`{name}` needs an `args` array"))),
            };
            let mut out = Vec::with_capacity(args.len());
            for (i, a) in args.iter().enumerate() {
                out.push(self.expr(a, &format!("{path}/args/{i}"), depth + 1)?);
            }
            return Ok(op(o, out));
        }
        if let Some(p) = m.get("property") {
            return match p.as_str() {
                Some(s) if !s.is_empty() => Ok(Expr::Property(s.to_string())),
                _ => Err(jerr(&format!("{path}/property"), "`property` must be a non-empty string")),
            };
        }
        if let Some(d) = m.get("date") {
            let s = d.as_str().ok_or_else(|| jerr(&format!("{path}/date"), "`date` must be a string"))?;
            return crate::date_from_str(s).map_err(|e| jerr(&format!("{path}/date"), e));
        }
        if let Some(t) = m.get("timestamp") {
            let s = t.as_str().ok_or_else(|| jerr(&format!("{path}/timestamp"), "`timestamp` must be a string"))?;
            return crate::timestamp_from_str(s).map_err(|e| jerr(&format!("{path}/timestamp"), e));
        }
        if let Some(i) = m.get("interval") {
            let p = format!("{path}/interval");
            let Some([a, b]) = i.as_array().map(Vec::as_slice) else { return Err(jerr(&p, "`interval` must be an array of 2 ends")) };
            let a = self.interval_end(a, &format!("{p}/0"), depth)?;
            let b = self.interval_end(b, &format!("{p}/1"), depth)?;
            return Ok(Expr::Interval(Box::new(a), Box::new(b)));
        }
        if let Some(b) = m.get("bbox") {
            let p = format!("{path}/bbox");
            let nums: Option<Vec<f64>> = b.as_array().map(|a| a.iter().map(Value::as_f64).collect()).unwrap_or(None);
            let b = match nums.as_deref() {
                Some([a, b, c, d]) => [*a, *b, *c, *d],
                Some([a, b, _, d, e, _]) => [*a, *b, *d, *e],
                _ => return Err(jerr(&p, "`bbox` must be an array of 4 or 6 numbers")),
            };
            if b[0] > b[2] || b[1] > b[3] {
                return Err(jerr(&p, "`bbox` must be [minx, miny, maxx, maxy] with min ≤ max"));
            }
            return Ok(Expr::Bbox(b));
        }
        if m.contains_key("type") {
            return self.geometry(m, path);
        }
        if let Some(key) = m.keys().next() {
            return Err(jerr(
                path,
                format!("unknown object with `{key}`: expected op, property, date, timestamp, interval, bbox or a GeoJSON geometry"),
            ));
        }
        Err(jerr(path, "empty object"))
    }

    fn interval_end(&mut self, v: &Value, path: &str, depth: usize) -> Result<Expr, Cql2Error> {
        match v {
            Value::String(s) => crate::instant_from_str(s).map_err(|e| jerr(path, e)),
            other => match self.expr(other, path, depth + 1)? {
                e @ (Expr::Date(_) | Expr::Timestamp(_) | Expr::Property(_)) => Ok(e),
                _ => Err(jerr(path, "an interval end must be a date, a timestamp, a property or \"..\"")),
            },
        }
    }

    fn geometry(&mut self, m: &Map<String, Value>, path: &str) -> Result<Expr, Cql2Error> {
        let points = count_positions(m.get("coordinates").or(m.get("geometries")));
        self.nodes += points;
        if self.nodes > MAX_NODES {
            return Err(Cql2Error::TooLarge(format!("more than {MAX_NODES} terms")));
        }
        let g = geojson::Geometry::from_json_object(m.clone()).map_err(|e| jerr(path, format!("not a GeoJSON geometry: {e}")))?;
        let g: geo::Geometry<f64> = g.value.try_into().map_err(|e: geojson::Error| jerr(path, format!("unsupported geometry: {e}")))?;
        crate::check_geometry(&g).map_err(|e| jerr(path, e))?;
        Ok(Expr::Geometry(g))
    }
}

fn count_positions(v: Option<&Value>) -> usize {
    let mut n = 0;
    let mut stack: Vec<&Value> = v.into_iter().collect();
    while let Some(v) = stack.pop() {
        n += 1;
        match v {
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
    n / 3
}

/// Writes an expression in the CQL2 JSON encoding (the inverse of
/// [`parse_json`] for every tree it accepts).
#[must_use]
pub fn to_json(e: &Expr) -> Value {
    match e {
        Expr::Bool(b) => json!(b),
        Expr::Number(n) => json!(n),
        Expr::Text(s) => json!(s),
        Expr::Date(d) => json!({ "date": d.format("%Y-%m-%d").to_string() }),
        Expr::Timestamp(t) => json!({ "timestamp": t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true) }),
        Expr::Interval(a, b) => json!({ "interval": [interval_end(a), interval_end(b)] }),
        Expr::Open => json!(".."),
        Expr::Geometry(g) => serde_json::to_value(geojson::Geometry::from(g)).unwrap_or(Value::Null),
        Expr::Bbox(b) => json!({ "bbox": b }),
        Expr::Property(p) => json!({ "property": p }),
        Expr::List(items) => Value::Array(items.iter().map(to_json).collect()),
        Expr::Op { op, args } => json!({ "op": op.name(), "args": args.iter().map(to_json).collect::<Vec<_>>() }),
    }
}

fn interval_end(e: &Expr) -> Value {
    match e {
        Expr::Date(d) => json!(d.format("%Y-%m-%d").to_string()),
        Expr::Timestamp(t) => json!(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        other => to_json(other),
    }
}
