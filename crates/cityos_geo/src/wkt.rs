//! Well-known text (OGC SFA) to and from GeoJSON geometry values, for CSV
//! files with a WKT column. Reading accepts `Z`, `M` and `ZM` (extra
//! ordinates dropped), `EMPTY` collections, a PostGIS `SRID=n;` prefix and
//! both `MULTIPOINT` spellings; writing uses Rust's shortest round-trip
//! number format, so a written value reads back equal.

use geojson::{Geometry, Value};
use std::fmt::Write as _;

/// Why WKT could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WktError {
    /// A syntax error at a character offset.
    #[error("invalid WKT at character {at}: {what}")]
    Syntax {
        /// Character offset.
        at: usize,
        /// What was expected.
        what: String,
    },
    /// A geometry type that is not supported.
    #[error("unsupported WKT geometry type `{0}`")]
    UnsupportedType(String),
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err<T>(&self, what: &str) -> Result<T, WktError> {
        Err(WktError::Syntax { at: self.pos, what: what.to_string() })
    }

    fn ws(&mut self) {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn word(&mut self) -> String {
        self.ws();
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(u8::is_ascii_alphabetic) {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).to_ascii_uppercase()
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), WktError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(&format!("`{}`", char::from(c)))
        }
    }

    fn number(&mut self) -> Result<f64, WktError> {
        self.ws();
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+')) {
            self.pos += 1;
        }
        let t = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
        match t.parse::<f64>() {
            Ok(v) => Ok(v),
            Err(_) => {
                self.pos = start;
                self.err("a number")
            }
        }
    }

    /// One position: at least two numbers separated by spaces.
    fn position(&mut self) -> Result<Vec<f64>, WktError> {
        let x = self.number()?;
        let y = self.number()?;
        while matches!(self.peek(), Some(c) if c != b',' && c != b')') {
            self.number()?;
        }
        Ok(vec![x, y])
    }

    /// `EMPTY` or `( item, item, … )`.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T, WktError>) -> Result<Vec<T>, WktError> {
        if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            let save = self.pos;
            if self.word() == "EMPTY" {
                return Ok(Vec::new());
            }
            self.pos = save;
            return self.err("`(` or EMPTY");
        }
        self.expect(b'(')?;
        let mut out = vec![item(self)?];
        while self.peek() == Some(b',') {
            self.pos += 1;
            out.push(item(self)?);
        }
        self.expect(b')')?;
        Ok(out)
    }

    fn geometry(&mut self, depth: u8) -> Result<Value, WktError> {
        if depth > 8 {
            return self.err("less nesting");
        }
        let kind = self.word();
        // Dimension markers are dropped: CityOS stores 2D.
        let save = self.pos;
        if !matches!(self.word().as_str(), "Z" | "M" | "ZM") {
            self.pos = save;
        }
        Ok(match kind.as_str() {
            "POINT" => {
                let mut ps = self.list(Self::position)?;
                if ps.len() != 1 {
                    return self.err("one position in POINT (empty points are not supported)");
                }
                Value::Point(ps.remove(0))
            }
            "LINESTRING" => Value::LineString(self.list(Self::position)?),
            "POLYGON" => Value::Polygon(self.list(|p| p.list(Self::position))?),
            "MULTIPOINT" => Value::MultiPoint(self.list(|p| {
                if p.peek() == Some(b'(') {
                    p.pos += 1;
                    let q = p.position()?;
                    p.expect(b')')?;
                    Ok(q)
                } else {
                    p.position()
                }
            })?),
            "MULTILINESTRING" => Value::MultiLineString(self.list(|p| p.list(Self::position))?),
            "MULTIPOLYGON" => Value::MultiPolygon(self.list(|p| p.list(|q| q.list(Self::position)))?),
            "GEOMETRYCOLLECTION" => Value::GeometryCollection(self.list(|p| p.geometry(depth + 1).map(Geometry::new))?),
            "" => return self.err("a geometry type"),
            other => return Err(WktError::UnsupportedType(other.to_string())),
        })
    }
}

/// Parses one WKT geometry (optionally prefixed by `SRID=n;`).
///
/// # Errors
/// Syntax errors and unsupported types.
pub fn parse(text: &str) -> Result<Value, WktError> {
    let mut t = text.trim();
    if t.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("SRID=")) {
        t = t.split_once(';').map_or("", |(_, rest)| rest);
    }
    let mut p = Parser { s: t.as_bytes(), pos: 0 };
    let v = p.geometry(0)?;
    if p.peek().is_some() {
        return p.err("end of text");
    }
    Ok(v)
}

/// `v` as 2D WKT.
#[must_use]
pub fn to_wkt(v: &Value) -> String {
    let mut s = String::new();
    write_value(v, &mut s);
    s
}

fn write_pos(p: &[f64], s: &mut String) {
    let _ = write!(s, "{} {}", p.first().copied().unwrap_or(f64::NAN), p.get(1).copied().unwrap_or(f64::NAN));
}

fn write_list<T>(items: &[T], s: &mut String, mut f: impl FnMut(&T, &mut String)) {
    if items.is_empty() {
        s.push_str(" EMPTY");
        return;
    }
    s.push('(');
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        f(it, s);
    }
    s.push(')');
}

fn write_value(v: &Value, s: &mut String) {
    let ring = |r: &Vec<Vec<f64>>, s: &mut String| write_list(r, s, |p, s| write_pos(p, s));
    let poly = |p: &Vec<Vec<Vec<f64>>>, s: &mut String| write_list(p, s, ring);
    match v {
        Value::Point(p) => {
            s.push_str("POINT(");
            write_pos(p, s);
            s.push(')');
        }
        Value::LineString(l) => {
            s.push_str("LINESTRING");
            ring(l, s);
        }
        Value::Polygon(p) => {
            s.push_str("POLYGON");
            poly(p, s);
        }
        Value::MultiPoint(ps) => {
            s.push_str("MULTIPOINT");
            write_list(ps, s, |p, s| {
                s.push('(');
                write_pos(p, s);
                s.push(')');
            });
        }
        Value::MultiLineString(ls) => {
            s.push_str("MULTILINESTRING");
            write_list(ls, s, ring);
        }
        Value::MultiPolygon(ps) => {
            s.push_str("MULTIPOLYGON");
            write_list(ps, s, poly);
        }
        Value::GeometryCollection(gs) => {
            s.push_str("GEOMETRYCOLLECTION");
            write_list(gs, s, |g, s| write_value(&g.value, s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_type() {
        for w in [
            "POINT(106.70098 10.77689)",
            "LINESTRING(1 2,3.5 -4)",
            "POLYGON((0 0,1 0,1 1,0 0),(0.1 0.1,0.2 0.1,0.2 0.2,0.1 0.1))",
            "MULTIPOINT((1 2),(3 4))",
            "MULTILINESTRING((1 2,3 4),(5 6,7 8))",
            "MULTIPOLYGON(((0 0,1 0,1 1,0 0)))",
            "GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(1 2,3 4))",
            "MULTIPOINT EMPTY",
        ] {
            let v = parse(w).unwrap();
            assert_eq!(to_wkt(&v), w);
            assert_eq!(parse(&to_wkt(&v)).unwrap(), v);
        }
    }

    #[test]
    fn accepts_variants() {
        assert_eq!(parse(" point z ( 1 2 3 ) ").unwrap(), Value::Point(vec![1.0, 2.0]));
        assert_eq!(parse("SRID=4326;POINT(1e2 -2.5)").unwrap(), Value::Point(vec![100.0, -2.5]));
        assert_eq!(parse("MULTIPOINT(1 2, 3 4)").unwrap(), Value::MultiPoint(vec![vec![1.0, 2.0], vec![3.0, 4.0]]));
        assert_eq!(parse("LINESTRING ZM (1 2 3 4, 5 6 7 8)").unwrap(), Value::LineString(vec![vec![1.0, 2.0], vec![5.0, 6.0]]));
    }

    #[test]
    fn rejects_bad_text() {
        for bad in
            ["", "POINT", "POINT(1)", "POINT(1 2", "POINT(1 2) x", "CIRCLE(1 2)", "POINT(a b)", "POINT EMPTY", "ĐĐĐ", "SRIĐ", "POINT(1 2Đ)"]
        {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
