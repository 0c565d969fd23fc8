//! Coordinate reference systems served by CityOS and reprojection between
//! them, in pure Rust. Every geometry is stored in CRS84 (longitude,
//! latitude on WGS 84); other systems are converted on the way in and out.

/// A supported coordinate reference system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// OGC CRS84: WGS 84 longitude, latitude (the storage system).
    Crs84,
    /// EPSG:4326: WGS 84 with latitude first, as the EPSG register orders it.
    Epsg4326,
    /// EPSG:3857: Web Mercator, metres.
    Epsg3857,
}

/// Why a CRS or a transformation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrsError {
    /// A CRS URI or code that is not supported.
    #[error("unsupported coordinate reference system `{0}`")]
    Unsupported(String),
    /// Coordinates outside the system's domain (e.g. latitude beyond ±90°).
    #[error("coordinates out of range for {crs}: {detail}")]
    OutOfRange {
        /// The system's URI.
        crs: String,
        /// What was wrong.
        detail: String,
    },
}

impl Crs {
    /// Every supported system, CRS84 first.
    pub const ALL: &'static [Crs] = &[Crs::Crs84, Crs::Epsg4326, Crs::Epsg3857];

    /// Parses an OGC URI (`http://www.opengis.net/def/crs/EPSG/0/4326`,
    /// `http://www.opengis.net/def/crs/OGC/1.3/CRS84`), a safe CURIE
    /// (`[EPSG:4326]`) or a plain `EPSG:4326`.
    ///
    /// # Errors
    /// [`CrsError::Unsupported`] for anything else.
    pub fn from_uri(s: &str) -> Result<Crs, CrsError> {
        let t = s.trim().trim_start_matches('[').trim_end_matches(']');
        match t {
            "http://www.opengis.net/def/crs/OGC/1.3/CRS84" | "OGC:CRS84" | "CRS84" => Ok(Crs::Crs84),
            "http://www.opengis.net/def/crs/EPSG/0/4326" | "EPSG:4326" => Ok(Crs::Epsg4326),
            "http://www.opengis.net/def/crs/EPSG/0/3857" | "EPSG:3857" => Ok(Crs::Epsg3857),
            _ => Err(CrsError::Unsupported(s.to_string())),
        }
    }

    /// The OGC URI.
    #[must_use]
    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            Crs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            Crs::Epsg3857 => "http://www.opengis.net/def/crs/EPSG/0/3857",
        }
    }

    /// The EPSG code, `None` for CRS84.
    #[must_use]
    pub fn epsg(self) -> Option<u32> {
        match self {
            Crs::Crs84 => None,
            Crs::Epsg4326 => Some(4326),
            Crs::Epsg3857 => Some(3857),
        }
    }

    /// Converts one position in this system (in the system's own axis
    /// order) to CRS84 longitude, latitude.
    ///
    /// # Errors
    /// [`CrsError::OutOfRange`] outside the system's domain.
    pub fn to_crs84(self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        match self {
            Crs::Crs84 => Ok((x, y)),
            Crs::Epsg4326 => Ok((y, x)),
            Crs::Epsg3857 => Err(CrsError::Unsupported(self.uri().into())),
        }
    }

    /// Converts CRS84 longitude, latitude to this system, in its axis order.
    ///
    /// # Errors
    /// [`CrsError::OutOfRange`] outside the system's domain.
    pub fn from_crs84(self, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
        match self {
            Crs::Crs84 => Ok((lon, lat)),
            Crs::Epsg4326 => Ok((lat, lon)),
            Crs::Epsg3857 => Err(CrsError::Unsupported(self.uri().into())),
        }
    }
}

/// Reprojects every position of a GeoJSON geometry from `from` to `to` in place.
///
/// # Errors
/// The first position that cannot be converted.
pub fn transform_geometry(g: &mut geojson::Geometry, from: Crs, to: Crs) -> Result<(), CrsError> {
    if from == to {
        return Ok(());
    }
    transform_value(&mut g.value, &mut |x, y| {
        let (lon, lat) = from.to_crs84(x, y)?;
        to.from_crs84(lon, lat)
    })
}

fn transform_value(v: &mut geojson::Value, f: &mut dyn FnMut(f64, f64) -> Result<(f64, f64), CrsError>) -> Result<(), CrsError> {
    use geojson::Value as V;
    let mut pos = |p: &mut Vec<f64>| -> Result<(), CrsError> {
        if p.len() >= 2 {
            let (x, y) = f(p[0], p[1])?;
            p[0] = x;
            p[1] = y;
        }
        Ok(())
    };
    match v {
        V::Point(p) => pos(p)?,
        V::MultiPoint(ps) | V::LineString(ps) => ps.iter_mut().try_for_each(pos)?,
        V::MultiLineString(ls) | V::Polygon(ls) => ls.iter_mut().flatten().try_for_each(pos)?,
        V::MultiPolygon(pss) => pss.iter_mut().flatten().flatten().try_for_each(pos)?,
        V::GeometryCollection(gs) => {
            for g in gs {
                transform_value(&mut g.value, f)?;
            }
        }
    }
    Ok(())
}

/// Reprojects a bounding box `[minx, miny, maxx, maxy]` given in `from`
/// (in its axis order) to a CRS84 box that contains it (edges densified).
///
/// # Errors
/// A corner outside the system's domain.
pub fn bbox_to_crs84(b: [f64; 4], from: Crs) -> Result<[f64; 4], CrsError> {
    let corners = [(b[0], b[1]), (b[2], b[3]), (b[0], b[3]), (b[2], b[1])];
    let mut out = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for (x, y) in corners {
        let (lon, lat) = from.to_crs84(x, y)?;
        out = [out[0].min(lon), out[1].min(lat), out[2].max(lon), out[3].max(lat)];
    }
    Ok(out)
}
