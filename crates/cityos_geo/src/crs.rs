//! Coordinate reference systems served by CityOS and reprojection between
//! them, in pure Rust (no PROJ). Every geometry is stored in CRS84
//! (longitude, latitude on WGS 84); other systems are converted on the way
//! in and out (OGC API – Features Part 2).
//!
//! Supported: CRS84, EPSG:4326 (latitude first), EPSG:3857 (Web Mercator),
//! WGS 84 / UTM 48N and 49N, and the national VN-2000 systems used in Ho Chi
//! Minh City: geographic VN-2000 (EPSG:4756), VN-2000 / UTM 48N and 49N
//! (EPSG:3405, 3406) and the cadastral 3° zones of Circular 973/2001/TT-TCĐC
//! (TM-3 105-45 for Ho Chi Minh City and the former Bình Dương, 106-00 and
//! 106-15 for neighbouring data, 107-45 for the former Bà Rịa – Vũng Tàu).
//!
//! VN-2000 shares the WGS 84 ellipsoid; the datum shift is the 7-parameter
//! Helmert transformation of Decision 05/2007/QĐ-BTNMT, registered by EPSG
//! as "VN-2000 to WGS 84 (2)" (EPSG:6960, coordinate frame rotation) and the
//! default PROJ pipeline. Transverse Mercator uses Krüger's series to sixth
//! order in n (Karney 2011), good to nanometres within a zone. Heights are
//! not carried (2D, as PROJ's `geog2D` method). See `docs/CRS.md`.

/// The OGC URI of CRS84, the storage CRS (`storageCrs`) of every collection.
pub const CRS84_URI: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// The storage CRS of every collection.
pub const STORAGE_CRS: Crs = Crs::Crs84;
/// The URI prefix of EPSG codes (`…/EPSG/0/4326`).
pub const EPSG_URI_PREFIX: &str = "http://www.opengis.net/def/crs/EPSG/0/";

/// A supported coordinate reference system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// OGC CRS84: WGS 84 longitude, latitude (the storage system).
    Crs84,
    /// EPSG:4326: WGS 84 with latitude first, as the EPSG register orders it.
    Epsg4326,
    /// EPSG:3857: Web Mercator, metres.
    Epsg3857,
    /// EPSG:32648: WGS 84 / UTM zone 48N.
    Utm48n,
    /// EPSG:32649: WGS 84 / UTM zone 49N.
    Utm49n,
    /// EPSG:4756: VN-2000 geographic, latitude first.
    Vn2000,
    /// EPSG:3405: VN-2000 / UTM zone 48N.
    Vn2000Utm48n,
    /// EPSG:3406: VN-2000 / UTM zone 49N.
    Vn2000Utm49n,
    /// EPSG:9210: VN-2000 / TM-3 105-45, Ho Chi Minh City's cadastral zone.
    Vn2000Tm3_105_45,
    /// EPSG:9211: VN-2000 / TM-3 106-00.
    Vn2000Tm3_106_00,
    /// EPSG:9212: VN-2000 / TM-3 106-15.
    Vn2000Tm3_106_15,
    /// EPSG:5899: VN-2000 / TM-3 107-45 (former Bà Rịa – Vũng Tàu).
    Vn2000Tm3_107_45,
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

// WGS 84 ellipsoid (also VN-2000's).
const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_223_563;
const E2: f64 = F * (2.0 - F);

/// Web Mercator's latitude limit: the square world of tile pyramids.
const MERCATOR_MAX_LAT: f64 = 85.051_128_779_806_59;
/// Latitudes up to this are clamped to [`MERCATOR_MAX_LAT`]; beyond, refused.
const MERCATOR_CLAMP_LAT: f64 = 85.06;

/// How a system maps to CRS84.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Geographic { lat_first: bool, vn2000: bool },
    WebMercator,
    Tm { zone: Tm, vn2000: bool },
}

/// A Transverse Mercator zone.
#[derive(Debug, Clone, Copy)]
struct Tm {
    lon0: f64,
    k0: f64,
    false_easting: f64,
}

const fn tm(lon0: f64, k0: f64) -> Tm {
    Tm { lon0, k0, false_easting: 500_000.0 }
}

impl Crs {
    /// Every supported system, CRS84 first.
    pub const ALL: &'static [Crs] = &[
        Crs::Crs84,
        Crs::Epsg4326,
        Crs::Epsg3857,
        Crs::Utm48n,
        Crs::Utm49n,
        Crs::Vn2000,
        Crs::Vn2000Utm48n,
        Crs::Vn2000Utm49n,
        Crs::Vn2000Tm3_105_45,
        Crs::Vn2000Tm3_106_00,
        Crs::Vn2000Tm3_106_15,
        Crs::Vn2000Tm3_107_45,
    ];

    /// Parses an OGC URI (`http://www.opengis.net/def/crs/EPSG/0/4326`,
    /// `http://www.opengis.net/def/crs/OGC/1.3/CRS84`), a URN
    /// (`urn:ogc:def:crs:EPSG::4326`), a safe CURIE (`[EPSG:4326]`) or a
    /// plain `EPSG:4326`.
    ///
    /// # Errors
    /// [`CrsError::Unsupported`] for anything else.
    pub fn from_uri(s: &str) -> Result<Crs, CrsError> {
        let t = s.trim().trim_start_matches('[').trim_end_matches(']');
        let unsupported = || CrsError::Unsupported(s.to_string());
        let lower = t.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "http://www.opengis.net/def/crs/ogc/1.3/crs84"
                | "https://www.opengis.net/def/crs/ogc/1.3/crs84"
                | "http://www.opengis.net/def/crs/ogc/0/crs84"
                | "urn:ogc:def:crs:ogc:1.3:crs84"
                | "urn:ogc:def:crs:ogc::crs84"
                | "ogc:crs84"
                | "crs84"
        ) {
            return Ok(Crs::Crs84);
        }
        let code = ["http://www.opengis.net/def/crs/epsg/0/", "https://www.opengis.net/def/crs/epsg/0/", "urn:ogc:def:crs:epsg::", "epsg:"]
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .ok_or_else(unsupported)?;
        let code: u32 = code.parse().map_err(|_| unsupported())?;
        Crs::from_epsg(code).ok_or_else(unsupported)
    }

    /// The system with this EPSG code, if supported.
    #[must_use]
    pub fn from_epsg(code: u32) -> Option<Crs> {
        Crs::ALL.iter().copied().find(|c| c.epsg() == Some(code))
    }

    /// The OGC URI.
    #[must_use]
    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => CRS84_URI,
            Crs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            Crs::Epsg3857 => "http://www.opengis.net/def/crs/EPSG/0/3857",
            Crs::Utm48n => "http://www.opengis.net/def/crs/EPSG/0/32648",
            Crs::Utm49n => "http://www.opengis.net/def/crs/EPSG/0/32649",
            Crs::Vn2000 => "http://www.opengis.net/def/crs/EPSG/0/4756",
            Crs::Vn2000Utm48n => "http://www.opengis.net/def/crs/EPSG/0/3405",
            Crs::Vn2000Utm49n => "http://www.opengis.net/def/crs/EPSG/0/3406",
            Crs::Vn2000Tm3_105_45 => "http://www.opengis.net/def/crs/EPSG/0/9210",
            Crs::Vn2000Tm3_106_00 => "http://www.opengis.net/def/crs/EPSG/0/9211",
            Crs::Vn2000Tm3_106_15 => "http://www.opengis.net/def/crs/EPSG/0/9212",
            Crs::Vn2000Tm3_107_45 => "http://www.opengis.net/def/crs/EPSG/0/5899",
        }
    }

    /// The EPSG code, `None` for CRS84.
    #[must_use]
    pub fn epsg(self) -> Option<u32> {
        match self {
            Crs::Crs84 => None,
            Crs::Epsg4326 => Some(4326),
            Crs::Epsg3857 => Some(3857),
            Crs::Utm48n => Some(32648),
            Crs::Utm49n => Some(32649),
            Crs::Vn2000 => Some(4756),
            Crs::Vn2000Utm48n => Some(3405),
            Crs::Vn2000Utm49n => Some(3406),
            Crs::Vn2000Tm3_105_45 => Some(9210),
            Crs::Vn2000Tm3_106_00 => Some(9211),
            Crs::Vn2000Tm3_106_15 => Some(9212),
            Crs::Vn2000Tm3_107_45 => Some(5899),
        }
    }

    /// The Vietnamese name, for the console.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Crs::Crs84 => "WGS 84 kinh độ, vĩ độ (CRS84)",
            Crs::Epsg4326 => "WGS 84 vĩ độ, kinh độ (EPSG:4326)",
            Crs::Epsg3857 => "Web Mercator (EPSG:3857)",
            Crs::Utm48n => "WGS 84 / UTM múi 48N (EPSG:32648)",
            Crs::Utm49n => "WGS 84 / UTM múi 49N (EPSG:32649)",
            Crs::Vn2000 => "VN-2000 tọa độ địa lý (EPSG:4756)",
            Crs::Vn2000Utm48n => "VN-2000 / UTM múi 48N (EPSG:3405)",
            Crs::Vn2000Utm49n => "VN-2000 / UTM múi 49N (EPSG:3406)",
            Crs::Vn2000Tm3_105_45 => "VN-2000 / TM-3 kinh tuyến trục 105°45' – TP.HCM (EPSG:9210)",
            Crs::Vn2000Tm3_106_00 => "VN-2000 / TM-3 kinh tuyến trục 106°00' (EPSG:9211)",
            Crs::Vn2000Tm3_106_15 => "VN-2000 / TM-3 kinh tuyến trục 106°15' (EPSG:9212)",
            Crs::Vn2000Tm3_107_45 => "VN-2000 / TM-3 kinh tuyến trục 107°45' – Bà Rịa – Vũng Tàu (EPSG:5899)",
        }
    }

    /// The English name.
    #[must_use]
    pub fn title_en(self) -> &'static str {
        match self {
            Crs::Crs84 => "WGS 84 longitude, latitude (CRS84)",
            Crs::Epsg4326 => "WGS 84 latitude, longitude (EPSG:4326)",
            Crs::Epsg3857 => "Web Mercator (EPSG:3857)",
            Crs::Utm48n => "WGS 84 / UTM zone 48N (EPSG:32648)",
            Crs::Utm49n => "WGS 84 / UTM zone 49N (EPSG:32649)",
            Crs::Vn2000 => "VN-2000 geographic (EPSG:4756)",
            Crs::Vn2000Utm48n => "VN-2000 / UTM zone 48N (EPSG:3405)",
            Crs::Vn2000Utm49n => "VN-2000 / UTM zone 49N (EPSG:3406)",
            Crs::Vn2000Tm3_105_45 => "VN-2000 / TM-3 105-45, Ho Chi Minh City (EPSG:9210)",
            Crs::Vn2000Tm3_106_00 => "VN-2000 / TM-3 106-00 (EPSG:9211)",
            Crs::Vn2000Tm3_106_15 => "VN-2000 / TM-3 106-15 (EPSG:9212)",
            Crs::Vn2000Tm3_107_45 => "VN-2000 / TM-3 107-45, Ba Ria - Vung Tau (EPSG:5899)",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Crs::Crs84 => Kind::Geographic { lat_first: false, vn2000: false },
            Crs::Epsg4326 => Kind::Geographic { lat_first: true, vn2000: false },
            Crs::Vn2000 => Kind::Geographic { lat_first: true, vn2000: true },
            Crs::Epsg3857 => Kind::WebMercator,
            Crs::Utm48n => Kind::Tm { zone: tm(105.0, 0.9996), vn2000: false },
            Crs::Utm49n => Kind::Tm { zone: tm(111.0, 0.9996), vn2000: false },
            Crs::Vn2000Utm48n => Kind::Tm { zone: tm(105.0, 0.9996), vn2000: true },
            Crs::Vn2000Utm49n => Kind::Tm { zone: tm(111.0, 0.9996), vn2000: true },
            Crs::Vn2000Tm3_105_45 => Kind::Tm { zone: tm(105.75, 0.9999), vn2000: true },
            Crs::Vn2000Tm3_106_00 => Kind::Tm { zone: tm(106.0, 0.9999), vn2000: true },
            Crs::Vn2000Tm3_106_15 => Kind::Tm { zone: tm(106.25, 0.9999), vn2000: true },
            Crs::Vn2000Tm3_107_45 => Kind::Tm { zone: tm(107.75, 0.9999), vn2000: true },
        }
    }

    /// Whether coordinates are projected metres (easting, northing) rather
    /// than degrees.
    #[must_use]
    pub fn is_projected(self) -> bool {
        !matches!(self.kind(), Kind::Geographic { .. })
    }

    /// Whether the first coordinate is the latitude (EPSG:4326, EPSG:4756),
    /// as the EPSG register orders these systems' axes. Every projected
    /// system here is easting first.
    #[must_use]
    pub fn lat_first(self) -> bool {
        matches!(self.kind(), Kind::Geographic { lat_first: true, .. })
    }

    /// Whether the system is on the VN-2000 datum (a Helmert shift from WGS 84).
    #[must_use]
    pub fn is_vn2000(self) -> bool {
        matches!(self.kind(), Kind::Geographic { vn2000: true, .. } | Kind::Tm { vn2000: true, .. })
    }

    fn out_of_range(self, detail: String) -> CrsError {
        CrsError::OutOfRange { crs: self.uri().to_string(), detail }
    }

    /// Converts one position in this system (in the system's own axis
    /// order) to CRS84 longitude, latitude.
    ///
    /// # Errors
    /// [`CrsError::OutOfRange`] outside the system's domain.
    pub fn to_crs84(self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        if !x.is_finite() || !y.is_finite() {
            return Err(self.out_of_range(format!("non-finite coordinate ({x}, {y})")));
        }
        match self.kind() {
            Kind::Geographic { lat_first, vn2000 } => {
                let (lon, lat) = if lat_first { (y, x) } else { (x, y) };
                self.check_lon_lat(lon, lat)?;
                Ok(if vn2000 { helmert_vn2000_to_wgs84(lon, lat) } else { (lon, lat) })
            }
            Kind::WebMercator => {
                let max = mercator_y(MERCATOR_MAX_LAT) + 1e-3;
                if y.abs() > max || x.abs() > A * std::f64::consts::PI + 1e-3 {
                    return Err(self.out_of_range(format!("({x}, {y}) is outside the Web Mercator square (±{max:.3} m)")));
                }
                let lon = (x / A).to_degrees();
                let lat = (y / A).sinh().atan().to_degrees();
                Ok((lon, lat.clamp(-MERCATOR_MAX_LAT, MERCATOR_MAX_LAT)))
            }
            Kind::Tm { zone, vn2000 } => {
                let (lon, lat) = zone.inverse(x, y).ok_or_else(|| self.out_of_range(format!("({x}, {y}) is too far from the zone")))?;
                Ok(if vn2000 { helmert_vn2000_to_wgs84(lon, lat) } else { (lon, lat) })
            }
        }
    }

    /// Converts CRS84 longitude, latitude to this system, in its axis order.
    ///
    /// # Errors
    /// [`CrsError::OutOfRange`] outside the system's domain.
    pub fn from_crs84(self, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
        Crs::Crs84.check_lon_lat(lon, lat)?;
        match self.kind() {
            Kind::Geographic { lat_first, vn2000 } => {
                let (lon, lat) = if vn2000 { helmert_wgs84_to_vn2000(lon, lat) } else { (lon, lat) };
                Ok(if lat_first { (lat, lon) } else { (lon, lat) })
            }
            Kind::WebMercator => {
                if lat.abs() > MERCATOR_CLAMP_LAT {
                    return Err(self.out_of_range(format!("latitude {lat} is beyond Web Mercator's ±{MERCATOR_MAX_LAT:.4}°")));
                }
                let lat = lat.clamp(-MERCATOR_MAX_LAT, MERCATOR_MAX_LAT);
                Ok((A * lon.to_radians(), mercator_y(lat)))
            }
            Kind::Tm { zone, vn2000 } => {
                let (lon, lat) = if vn2000 { helmert_wgs84_to_vn2000(lon, lat) } else { (lon, lat) };
                zone.forward(lon, lat)
                    .ok_or_else(|| self.out_of_range(format!("longitude {lon} is too far from the central meridian {}", zone.lon0)))
            }
        }
    }

    /// Converts one position from this system to `to`, both in their axis order.
    ///
    /// # Errors
    /// [`CrsError::OutOfRange`] outside either system's domain.
    pub fn transform_to(self, to: Crs, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        if self == to {
            return Ok((x, y));
        }
        let (lon, lat) = self.to_crs84(x, y)?;
        to.from_crs84(lon, lat)
    }

    fn check_lon_lat(self, lon: f64, lat: f64) -> Result<(), CrsError> {
        if !lon.is_finite() || !lat.is_finite() || lat.abs() > 90.0 || lon.abs() > 180.0 {
            return Err(self.out_of_range(format!("longitude {lon}, latitude {lat} is outside ±180°, ±90°")));
        }
        Ok(())
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.uri())
    }
}

impl std::str::FromStr for Crs {
    type Err = CrsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Crs::from_uri(s)
    }
}

fn mercator_y(lat: f64) -> f64 {
    A * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0).tan().ln()
}

// ---------------------------------------------------------------------------
// VN-2000 ↔ WGS 84: 7-parameter Helmert, coordinate frame rotation (EPSG
// method 9607), parameters of Decision 05/2007/QĐ-BTNMT = EPSG:6960.

/// Translations (m), VN-2000 → WGS 84.
const HELMERT_T: [f64; 3] = [-191.904_414_29, -39.303_182_79, -111.450_328_35];
/// Rotations (arc-seconds), coordinate frame convention.
const HELMERT_R_ARCSEC: [f64; 3] = [-0.009_288_36, 0.019_754_79, -0.004_273_72];
/// Scale difference (ppm).
const HELMERT_S_PPM: f64 = 0.252_906_278;

struct Helmert {
    t: [f64; 3],
    /// Rotation matrix (small-angle, coordinate frame), rows.
    r: [[f64; 3]; 3],
    scale: f64,
}

const fn arcsec(v: f64) -> f64 {
    v * std::f64::consts::PI / 648_000.0
}

const HELMERT: Helmert = {
    let rx = arcsec(HELMERT_R_ARCSEC[0]);
    let ry = arcsec(HELMERT_R_ARCSEC[1]);
    let rz = arcsec(HELMERT_R_ARCSEC[2]);
    Helmert { t: HELMERT_T, r: [[1.0, rz, -ry], [-rz, 1.0, rx], [ry, -rx, 1.0]], scale: 1.0 + HELMERT_S_PPM * 1e-6 }
};

impl Helmert {
    fn forward(&self, p: [f64; 3]) -> [f64; 3] {
        let r = &self.r;
        let mut out = [0.0; 3];
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.t[i] + self.scale * (r[i][0] * p[0] + r[i][1] * p[1] + r[i][2] * p[2]);
        }
        out
    }

    /// The inverse as PROJ computes it: translation removed, scale divided
    /// out, transposed rotation (differs from the exact inverse by ~1e-7 m).
    fn inverse(&self, p: [f64; 3]) -> [f64; 3] {
        let q = [(p[0] - self.t[0]) / self.scale, (p[1] - self.t[1]) / self.scale, (p[2] - self.t[2]) / self.scale];
        let r = &self.r;
        let mut out = [0.0; 3];
        for (i, o) in out.iter_mut().enumerate() {
            *o = r[0][i] * q[0] + r[1][i] * q[1] + r[2][i] * q[2];
        }
        out
    }
}

fn helmert_vn2000_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    geocentric_to_geodetic(HELMERT.forward(geodetic_to_geocentric(lon, lat)))
}

fn helmert_wgs84_to_vn2000(lon: f64, lat: f64) -> (f64, f64) {
    geocentric_to_geodetic(HELMERT.inverse(geodetic_to_geocentric(lon, lat)))
}

/// Geodetic (degrees, height 0) to geocentric (m) on the WGS 84 ellipsoid.
fn geodetic_to_geocentric(lon: f64, lat: f64) -> [f64; 3] {
    let (sl, cl) = lat.to_radians().sin_cos();
    let (so, co) = lon.to_radians().sin_cos();
    let n = A / (1.0 - E2 * sl * sl).sqrt();
    [n * cl * co, n * cl * so, n * (1.0 - E2) * sl]
}

/// Geocentric (m) to geodetic longitude, latitude (degrees); the height is
/// dropped. Bowring's (1976) formula, good to ~1e-10 m near the surface,
/// then one fixed-point step on the latitude (contracting by e²) for margin.
fn geocentric_to_geodetic(p: [f64; 3]) -> (f64, f64) {
    const B: f64 = A * (1.0 - F);
    const EP2: f64 = E2 / (1.0 - E2);
    let [x, y, z] = p;
    let lon = y.atan2(x);
    let r = x.hypot(y);
    let (st, ct) = (z * A).atan2(r * B).sin_cos();
    let mut lat = (z + EP2 * B * st * st * st).atan2(r - E2 * A * ct * ct * ct);
    let s = lat.sin();
    let n = A / (1.0 - E2 * s * s).sqrt();
    lat = (z + E2 * n * s).atan2(r);
    (lon.to_degrees(), lat.to_degrees())
}

// ---------------------------------------------------------------------------
// Transverse Mercator: Krüger's n-series to order 6 (Karney, "Transverse
// Mercator with an accuracy of a few nanometers", J. Geodesy 85, 2011),
// summed with complex Clenshaw recurrences.

/// Third flattening.
const N: f64 = F / (2.0 - F);
/// First eccentricity.
const E: f64 = 0.081_819_190_842_621_49;

/// Rectifying radius A = a/(1+n) (1 + n²/4 + n⁴/64 + n⁶/256).
const RECT_A: f64 = {
    let n2 = N * N;
    A / (1.0 + N) * (1.0 + n2 / 4.0 + n2 * n2 / 64.0 + n2 * n2 * n2 / 256.0)
};

const ALPHA: [f64; 6] = {
    let n = N;
    let n2 = n * n;
    let n3 = n2 * n;
    let n4 = n3 * n;
    let n5 = n4 * n;
    let n6 = n5 * n;
    [
        n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0 + 7891.0 * n6 / 37800.0,
        13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0 - 1_983_433.0 * n6 / 1_935_360.0,
        61.0 * n3 / 240.0 - 103.0 * n4 / 140.0 + 15061.0 * n5 / 26880.0 + 167_603.0 * n6 / 181_440.0,
        49561.0 * n4 / 161_280.0 - 179.0 * n5 / 168.0 + 6_601_661.0 * n6 / 7_257_600.0,
        34729.0 * n5 / 80640.0 - 3_418_889.0 * n6 / 1_995_840.0,
        212_378_941.0 * n6 / 319_334_400.0,
    ]
};

const BETA: [f64; 6] = {
    let n = N;
    let n2 = n * n;
    let n3 = n2 * n;
    let n4 = n3 * n;
    let n5 = n4 * n;
    let n6 = n5 * n;
    [
        n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0 + 96199.0 * n6 / 604_800.0,
        n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0 - 1_118_711.0 * n6 / 3_870_720.0,
        17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
        4397.0 * n4 / 161_280.0 - 11.0 * n5 / 504.0 - 830_251.0 * n6 / 7_257_600.0,
        4583.0 * n5 / 161_280.0 - 108_847.0 * n6 / 3_991_680.0,
        20_648_693.0 * n6 / 638_668_800.0,
    ]
};

/// Longitudes further than this from the central meridian are refused
/// (the series is only meant for a zone and its neighbours).
const TM_MAX_DLON: f64 = 30.0;

/// ζ + Σ c_j sin(2jζ) for complex ζ = ξ + iη, by Clenshaw summation.
fn clenshaw_sin(c: &[f64; 6], sign: f64, xi: f64, eta: f64) -> (f64, f64) {
    let (s2, c2) = (2.0 * xi).sin_cos();
    let (sh2, ch2) = ((2.0 * eta).sinh(), (2.0 * eta).cosh());
    // a = 2 cos(2ζ) = 2 (cos2ξ cosh2η − i sin2ξ sinh2η)
    let (ar, ai) = (2.0 * c2 * ch2, -2.0 * s2 * sh2);
    let (mut y1r, mut y1i, mut y2r, mut y2i) = (0.0, 0.0, 0.0, 0.0);
    for &ck in c.iter().rev() {
        let yr = ar * y1r - ai * y1i - y2r + ck;
        let yi = ar * y1i + ai * y1r - y2i;
        y2r = y1r;
        y2i = y1i;
        y1r = yr;
        y1i = yi;
    }
    // sin(2ζ) = sin2ξ cosh2η + i cos2ξ sinh2η; sum = sin(2ζ) · y1
    let (sr, si) = (s2 * ch2, c2 * sh2);
    (xi + sign * (sr * y1r - si * y1i), eta + sign * (sr * y1i + si * y1r))
}

/// tan of the conformal latitude from tan of the geodetic latitude.
fn tau_prime(tau: f64) -> f64 {
    let tau1 = tau.hypot(1.0);
    let sig = (E * (E * tau / tau1).atanh()).sinh();
    sig.hypot(1.0) * tau - sig * tau1
}

impl Tm {
    /// Geodetic longitude, latitude (degrees) to easting, northing (m).
    fn forward(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let dlon = lon - self.lon0;
        if dlon.abs() > TM_MAX_DLON {
            return None;
        }
        let (sl, cl) = dlon.to_radians().sin_cos();
        let tp = tau_prime(lat.to_radians().tan());
        let xip = tp.atan2(cl);
        let etap = (sl / tp.hypot(cl)).asinh();
        let (xi, eta) = clenshaw_sin(&ALPHA, 1.0, xip, etap);
        let k = self.k0 * RECT_A;
        Some((self.false_easting + k * eta, k * xi))
    }

    /// Easting, northing (m) to geodetic longitude, latitude (degrees).
    fn inverse(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let k = self.k0 * RECT_A;
        let (xi, eta) = (y / k, (x - self.false_easting) / k);
        // A quarter meridian north or south; ±~3300 km east or west (30°).
        if xi.abs() > std::f64::consts::FRAC_PI_2 || eta.abs() > 0.52 {
            return None;
        }
        let (xip, etap) = clenshaw_sin(&BETA, -1.0, xi, eta);
        let (sx, cx) = xip.sin_cos();
        let sh = etap.sinh();
        let taup = sx / sh.hypot(cx);
        let dlon = sh.atan2(cx);
        // Newton for τ from τ' (Karney 2011, eqs. 19–21).
        let mut tau = taup;
        for _ in 0..5 {
            let tp = tau_prime(tau);
            let d = (taup - tp) / tp.hypot(1.0) * (1.0 + (1.0 - E2) * tau * tau) / ((1.0 - E2) * tau.hypot(1.0));
            tau += d;
            if d.abs() < 1e-14 * tau.abs().max(1.0) {
                break;
            }
        }
        let lat = tau.atan().to_degrees();
        let lon = self.lon0 + dlon.to_degrees();
        lat.is_finite().then_some((lon, lat))
    }
}

// ---------------------------------------------------------------------------

/// Reprojects every position of a GeoJSON geometry from `from` to `to` in place.
///
/// # Errors
/// The first position that cannot be converted.
pub fn transform_geometry(g: &mut geojson::Geometry, from: Crs, to: Crs) -> Result<(), CrsError> {
    if from == to {
        return Ok(());
    }
    transform_value(&mut g.value, &mut |x, y| from.transform_to(to, x, y))?;
    if let Some(b) = g.bbox.as_mut() {
        if b.len() == 4 {
            let nb = bbox_from_crs84(bbox_to_crs84([b[0], b[1], b[2], b[3]], from)?, to)?;
            b.copy_from_slice(&nb);
        } else {
            g.bbox = None;
        }
    }
    Ok(())
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

/// Points per box edge when reprojecting a bounding box: projected edges
/// are curves in the other system, so the box grows to hold them.
const BBOX_EDGE_POINTS: u32 = 16;

/// The `BBOX_EDGE_POINTS` samples along each edge of `[x0, y0, x1, y1]`.
fn bbox_ring(b: [f64; 4]) -> impl Iterator<Item = (f64, f64)> {
    let n = BBOX_EDGE_POINTS;
    (0..=n).flat_map(move |i| {
        let t = f64::from(i) / f64::from(n);
        let x = b[0] + (b[2] - b[0]) * t;
        let y = b[1] + (b[3] - b[1]) * t;
        [(x, b[1]), (x, b[3]), (b[0], y), (b[2], y)]
    })
}

fn envelope(points: impl Iterator<Item = Result<(f64, f64), CrsError>>) -> Result<[f64; 4], CrsError> {
    let mut out = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in points {
        let (x, y) = p?;
        out = [out[0].min(x), out[1].min(y), out[2].max(x), out[3].max(y)];
    }
    Ok(out)
}

/// Reprojects a bounding box `[minx, miny, maxx, maxy]` given in `from`
/// (in its axis order) to a CRS84 box that contains it (edges densified).
///
/// # Errors
/// A point of the box outside the system's domain.
pub fn bbox_to_crs84(b: [f64; 4], from: Crs) -> Result<[f64; 4], CrsError> {
    if from == Crs::Crs84 {
        return Ok(b);
    }
    envelope(bbox_ring(b).map(|(x, y)| from.to_crs84(x, y)))
}

/// Reprojects a CRS84 bounding box to `to`, in its axis order (for
/// EPSG:4326 `[minlat, minlon, maxlat, maxlon]`), edges densified.
///
/// # Errors
/// A point of the box outside the target's domain.
pub fn bbox_from_crs84(b: [f64; 4], to: Crs) -> Result<[f64; 4], CrsError> {
    if to == Crs::Crs84 {
        return Ok(b);
    }
    envelope(bbox_ring(b).map(|(lon, lat)| to.from_crs84(lon, lat)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris_curies_and_codes() {
        for c in Crs::ALL {
            assert_eq!(Crs::from_uri(c.uri()), Ok(*c));
            if let Some(code) = c.epsg() {
                assert_eq!(Crs::from_uri(&format!("EPSG:{code}")), Ok(*c));
                assert_eq!(Crs::from_uri(&format!("[EPSG:{code}]")), Ok(*c));
                assert_eq!(Crs::from_uri(&format!("urn:ogc:def:crs:EPSG::{code}")), Ok(*c));
            }
        }
        assert_eq!(Crs::from_uri("[OGC:CRS84]"), Ok(Crs::Crs84));
        assert!(matches!(Crs::from_uri("EPSG:2154"), Err(CrsError::Unsupported(_))));
        assert!(matches!(Crs::from_uri("EPSG:abc"), Err(CrsError::Unsupported(_))));
        assert!(matches!(Crs::from_uri(""), Err(CrsError::Unsupported(_))));
    }

    #[test]
    fn axis_order_and_kind() {
        assert!(Crs::Epsg4326.lat_first());
        assert!(Crs::Vn2000.lat_first());
        assert!(!Crs::Crs84.lat_first());
        assert!(!Crs::Vn2000Tm3_105_45.lat_first());
        assert!(Crs::Vn2000Tm3_105_45.is_projected());
        assert!(!Crs::Vn2000.is_projected());
        assert_eq!(Crs::Epsg4326.from_crs84(106.7, 10.77), Ok((10.77, 106.7)));
        assert_eq!(STORAGE_CRS.uri(), CRS84_URI);
    }

    #[test]
    fn web_mercator_known_values_and_limits() {
        let (x, y) = Crs::Epsg3857.from_crs84(180.0, 0.0).unwrap();
        assert!((x - 20_037_508.342_789_244).abs() < 1e-6 && y.abs() < 1e-9);
        let (_, y) = Crs::Epsg3857.from_crs84(0.0, MERCATOR_MAX_LAT).unwrap();
        assert!((y - 20_037_508.342_789_244).abs() < 1e-3, "{y}");
        assert!(Crs::Epsg3857.from_crs84(0.0, 85.055).is_ok());
        assert!(matches!(Crs::Epsg3857.from_crs84(0.0, 86.0), Err(CrsError::OutOfRange { .. })));
        assert!(matches!(Crs::Epsg3857.to_crs84(0.0, 3e7), Err(CrsError::OutOfRange { .. })));
    }

    #[test]
    fn refuses_bad_coordinates() {
        assert!(Crs::Crs84.to_crs84(f64::NAN, 0.0).is_err());
        assert!(Crs::Crs84.to_crs84(0.0, 91.0).is_err());
        assert!(Crs::Epsg4326.to_crs84(91.0, 0.0).is_err());
        assert!(Crs::Vn2000Tm3_105_45.from_crs84(-20.0, 10.0).is_err());
        assert!(Crs::Vn2000Tm3_105_45.to_crs84(1e9, 1e6).is_err());
        assert!(Crs::Utm48n.to_crs84(f64::INFINITY, 1e6).is_err());
    }

    #[test]
    fn tm_round_trip_is_sub_millimetre_across_the_zone() {
        let z = tm(105.75, 0.9999);
        for i in 0..=40 {
            for j in 0..=40 {
                let lon = 102.0 + f64::from(i) * 0.2;
                let lat = 7.0 + f64::from(j) * 0.15;
                let (x, y) = z.forward(lon, lat).unwrap();
                let (lon2, lat2) = z.inverse(x, y).unwrap();
                let (x2, y2) = z.forward(lon2, lat2).unwrap();
                assert!((x - x2).abs() < 1e-6 && (y - y2).abs() < 1e-6, "{lon} {lat}");
                assert!((lon - lon2).abs() < 1e-11 && (lat - lat2).abs() < 1e-11);
            }
        }
    }

    #[test]
    fn helmert_round_trip() {
        let (lon, lat) = (106.7, 10.78);
        let (l1, p1) = helmert_wgs84_to_vn2000(lon, lat);
        // PROJ 9.5, pipeline of EPSG:6960: 106.69821374304652, 10.781018491364712.
        assert!((l1 - 106.698_213_743_046_52).abs() < 1e-10 && (p1 - 10.781_018_491_364_712).abs() < 1e-10, "{l1} {p1}");
        // Heights are dropped between the steps, as PROJ's 2D method does,
        // so the round trip is good to ~1e-9° (0.1 mm), not to rounding.
        let (l2, p2) = helmert_vn2000_to_wgs84(l1, p1);
        assert!((l2 - lon).abs() < 1e-9 && (p2 - lat).abs() < 1e-9, "{} {}", l2 - lon, p2 - lat);
    }

    #[test]
    fn bbox_contains_the_projected_box() {
        let b = [600_000.0, 1_150_000.0, 720_000.0, 1_250_000.0];
        let g = bbox_to_crs84(b, Crs::Vn2000Tm3_105_45).unwrap();
        for (x, y) in bbox_ring(b) {
            let (lon, lat) = Crs::Vn2000Tm3_105_45.to_crs84(x, y).unwrap();
            assert!(lon >= g[0] && lon <= g[2] && lat >= g[1] && lat <= g[3]);
        }
        let back = bbox_from_crs84([106.5, 10.5, 106.9, 10.9], Crs::Epsg4326).unwrap();
        assert_eq!(back, [10.5, 106.5, 10.9, 106.9]);
    }
}
