//! Well-known binary (ISO/OGC SFA 1.2.1, plus PostGIS EWKB flags) to and
//! from GeoJSON geometry values. Reading accepts either byte order and
//! drops Z and M ordinates (CityOS geometries are 2D); writing emits
//! little-endian 2D ISO WKB.

use geojson::{Geometry, Value};

/// Why WKB could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WkbError {
    /// The bytes ended inside a geometry.
    #[error("WKB ends early at byte {0}")]
    Truncated(usize),
    /// A byte-order mark other than 0 or 1.
    #[error("invalid WKB byte order {0}")]
    ByteOrder(u8),
    /// A geometry type code that is not supported.
    #[error("unsupported WKB geometry type {0}")]
    UnsupportedType(u32),
    /// A count larger than the remaining bytes can hold.
    #[error("WKB count {0} is larger than the data")]
    Count(u32),
    /// An empty point (NaN coordinates), which GeoJSON cannot express.
    #[error("empty point")]
    EmptyPoint,
    /// Nesting deeper than any real geometry.
    #[error("WKB geometry collections nested too deeply")]
    TooDeep,
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], WkbError> {
        let end = self.pos.checked_add(N).ok_or(WkbError::Truncated(self.pos))?;
        let s = self.b.get(self.pos..end).ok_or(WkbError::Truncated(self.pos))?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        self.pos = end;
        Ok(a)
    }

    fn u32(&mut self, le: bool) -> Result<u32, WkbError> {
        let a = self.take::<4>()?;
        Ok(if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }

    fn f64(&mut self, le: bool) -> Result<f64, WkbError> {
        let a = self.take::<8>()?;
        Ok(if le { f64::from_le_bytes(a) } else { f64::from_be_bytes(a) })
    }

    /// A count, checked against the bytes left (each item needs at least `min_item` bytes).
    fn count(&mut self, le: bool, min_item: usize) -> Result<usize, WkbError> {
        let n = self.u32(le)?;
        let n_us = usize::try_from(n).map_err(|_| WkbError::Count(n))?;
        let left = self.b.len().saturating_sub(self.pos);
        if n_us.saturating_mul(min_item) > left {
            return Err(WkbError::Count(n));
        }
        Ok(n_us)
    }
}

#[derive(Clone, Copy)]
struct Dims {
    le: bool,
    n: usize,
}

impl Reader<'_> {
    fn position(&mut self, d: Dims) -> Result<Vec<f64>, WkbError> {
        let x = self.f64(d.le)?;
        let y = self.f64(d.le)?;
        for _ in 2..d.n {
            self.f64(d.le)?;
        }
        Ok(vec![x, y])
    }

    fn positions(&mut self, d: Dims) -> Result<Vec<Vec<f64>>, WkbError> {
        let n = self.count(d.le, 8 * d.n)?;
        (0..n).map(|_| self.position(d)).collect()
    }

    fn rings(&mut self, d: Dims) -> Result<Vec<Vec<Vec<f64>>>, WkbError> {
        let n = self.count(d.le, 4)?;
        (0..n).map(|_| self.positions(d)).collect()
    }

    fn geometry(&mut self, depth: u8) -> Result<Value, WkbError> {
        if depth > 8 {
            return Err(WkbError::TooDeep);
        }
        let order = self.take::<1>()?[0];
        let le = match order {
            0 => false,
            1 => true,
            o => return Err(WkbError::ByteOrder(o)),
        };
        let raw = self.u32(le)?;
        // EWKB: high bits flag Z, M and an embedded SRID.
        let (mut z, mut m) = (raw & 0x8000_0000 != 0, raw & 0x4000_0000 != 0);
        if raw & 0x2000_0000 != 0 {
            self.u32(le)?;
        }
        let code = raw & 0x0FFF_FFFF;
        let base = code % 1000;
        match code / 1000 {
            0 => {}
            1 => z = true,
            2 => m = true,
            3 => (z, m) = (true, true),
            _ => return Err(WkbError::UnsupportedType(raw)),
        }
        let d = Dims { le, n: 2 + usize::from(z) + usize::from(m) };
        let member = |r: &mut Self, want: u32| -> Result<Value, WkbError> {
            let v = r.geometry(depth + 1)?;
            let got = match &v {
                Value::Point(_) => 1,
                Value::LineString(_) => 2,
                Value::Polygon(_) => 3,
                _ => 0,
            };
            if got == want {
                Ok(v)
            } else {
                Err(WkbError::UnsupportedType(got))
            }
        };
        Ok(match base {
            1 => {
                let p = self.position(d)?;
                if p.iter().all(|c| c.is_nan()) {
                    return Err(WkbError::EmptyPoint);
                }
                Value::Point(p)
            }
            2 => Value::LineString(self.positions(d)?),
            3 => Value::Polygon(self.rings(d)?),
            4 => {
                let n = self.count(le, 21)?;
                let mut ps = Vec::with_capacity(n);
                for _ in 0..n {
                    if let Value::Point(p) = member(self, 1)? {
                        ps.push(p);
                    }
                }
                Value::MultiPoint(ps)
            }
            5 => {
                let n = self.count(le, 9)?;
                let mut ls = Vec::with_capacity(n);
                for _ in 0..n {
                    if let Value::LineString(l) = member(self, 2)? {
                        ls.push(l);
                    }
                }
                Value::MultiLineString(ls)
            }
            6 => {
                let n = self.count(le, 9)?;
                let mut ps = Vec::with_capacity(n);
                for _ in 0..n {
                    if let Value::Polygon(p) = member(self, 3)? {
                        ps.push(p);
                    }
                }
                Value::MultiPolygon(ps)
            }
            7 => {
                let n = self.count(le, 5)?;
                let mut gs = Vec::with_capacity(n);
                for _ in 0..n {
                    gs.push(Geometry::new(self.geometry(depth + 1)?));
                }
                Value::GeometryCollection(gs)
            }
            _ => return Err(WkbError::UnsupportedType(raw)),
        })
    }
}

/// Reads one geometry from the start of `bytes`; returns it and the number
/// of bytes it used.
///
/// # Errors
/// Malformed or unsupported WKB.
pub fn read(bytes: &[u8]) -> Result<(Value, usize), WkbError> {
    let mut r = Reader { b: bytes, pos: 0 };
    let v = r.geometry(0)?;
    Ok((v, r.pos))
}

/// Appends `v` as little-endian 2D ISO WKB.
pub fn write(v: &Value, out: &mut Vec<u8>) {
    fn head(out: &mut Vec<u8>, code: u32) {
        out.push(1);
        out.extend_from_slice(&code.to_le_bytes());
    }
    fn len(out: &mut Vec<u8>, n: usize) {
        out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
    }
    fn pos(out: &mut Vec<u8>, p: &[f64]) {
        out.extend_from_slice(&p.first().copied().unwrap_or(f64::NAN).to_le_bytes());
        out.extend_from_slice(&p.get(1).copied().unwrap_or(f64::NAN).to_le_bytes());
    }
    fn line(out: &mut Vec<u8>, l: &[Vec<f64>]) {
        len(out, l.len());
        l.iter().for_each(|p| pos(out, p));
    }
    fn poly(out: &mut Vec<u8>, rings: &[Vec<Vec<f64>>]) {
        len(out, rings.len());
        rings.iter().for_each(|r| line(out, r));
    }
    match v {
        Value::Point(p) => {
            head(out, 1);
            pos(out, p);
        }
        Value::LineString(l) => {
            head(out, 2);
            line(out, l);
        }
        Value::Polygon(r) => {
            head(out, 3);
            poly(out, r);
        }
        Value::MultiPoint(ps) => {
            head(out, 4);
            len(out, ps.len());
            for p in ps {
                head(out, 1);
                pos(out, p);
            }
        }
        Value::MultiLineString(ls) => {
            head(out, 5);
            len(out, ls.len());
            for l in ls {
                head(out, 2);
                line(out, l);
            }
        }
        Value::MultiPolygon(ps) => {
            head(out, 6);
            len(out, ps.len());
            for p in ps {
                head(out, 3);
                poly(out, p);
            }
        }
        Value::GeometryCollection(gs) => {
            head(out, 7);
            len(out, gs.len());
            gs.iter().for_each(|g| write(&g.value, out));
        }
    }
}

/// `v` as little-endian 2D ISO WKB.
#[must_use]
pub fn to_vec(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Value> {
        vec![
            Value::Point(vec![106.7, 10.78]),
            Value::LineString(vec![vec![106.7, 10.78], vec![106.71, 10.79]]),
            Value::Polygon(vec![vec![vec![0.0, 0.0], vec![1.0, 0.0], vec![1.0, 1.0], vec![0.0, 0.0]]]),
            Value::MultiPoint(vec![vec![1.0, 2.0], vec![3.0, 4.0]]),
            Value::MultiLineString(vec![vec![vec![1.0, 2.0], vec![3.0, 4.0]], vec![]]),
            Value::MultiPolygon(vec![vec![vec![vec![0.0, 0.0], vec![1.0, 0.0], vec![1.0, 1.0], vec![0.0, 0.0]]]]),
            Value::GeometryCollection(vec![Geometry::new(Value::Point(vec![1.0, 2.0]))]),
        ]
    }

    #[test]
    fn round_trip() {
        for v in samples() {
            let b = to_vec(&v);
            let (back, used) = read(&b).unwrap();
            assert_eq!(back, v);
            assert_eq!(used, b.len());
        }
    }

    #[test]
    fn big_endian_z_and_ewkb_srid() {
        // Big-endian ISO PointZ (1001).
        let mut b = vec![0u8];
        b.extend_from_slice(&1001u32.to_be_bytes());
        for c in [1.5f64, 2.5, 99.0] {
            b.extend_from_slice(&c.to_be_bytes());
        }
        assert_eq!(read(&b).unwrap().0, Value::Point(vec![1.5, 2.5]));
        // EWKB point with SRID 4326 and Z flag.
        let mut e = vec![1u8];
        e.extend_from_slice(&(0xA000_0001u32).to_le_bytes());
        e.extend_from_slice(&4326u32.to_le_bytes());
        for c in [3.0f64, 4.0, 5.0] {
            e.extend_from_slice(&c.to_le_bytes());
        }
        assert_eq!(read(&e).unwrap().0, Value::Point(vec![3.0, 4.0]));
    }

    #[test]
    fn rejects_garbage() {
        assert!(read(&[]).is_err());
        assert!(matches!(read(&[7, 1, 0, 0, 0]), Err(WkbError::ByteOrder(7))));
        let mut huge = vec![1u8, 2, 0, 0, 0];
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(read(&huge), Err(WkbError::Count(_))));
        let mut nan = vec![1u8, 1, 0, 0, 0];
        nan.extend_from_slice(&f64::NAN.to_le_bytes());
        nan.extend_from_slice(&f64::NAN.to_le_bytes());
        assert_eq!(read(&nan), Err(WkbError::EmptyPoint));
    }
}
