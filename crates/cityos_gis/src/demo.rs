//! The demo city's utility networks: generated, deterministic and connected.
//!
//! [`generate`] lays a street-like grid over each of the city's 168 wards
//! (centred on the published centroid, rotated, clipped to the ward's cell
//! of a power diagram of the centroids weighted by area, so grids of
//! neighbouring wards do not overlap) and builds on it, per network:
//!
//! * electricity: 110 kV substations (sources), 22 kV feeders to each ward,
//!   a radial medium-voltage tree of poles, switches and distribution
//!   transformers, and 0.4 kV low-voltage lines from each transformer;
//! * water: treatment plants near the real ones (sources), transmission
//!   mains to each ward, a looped grid of distribution mains with valves,
//!   hydrants and service connections;
//! * sewer and drainage: a gravity tree of manholes per ward flowing to an
//!   outfall on the nearest river or canal (sinks);
//! * telecom: exchanges (sources), trunk ducts and fibre cables to each
//!   ward, duct trees through cable manholes, street cabinets;
//! * thermal: a district cooling loop in Thủ Thiêm;
//! * post: one or more post offices per ward.
//!
//! Every link's first and last positions are exactly (bit for bit) the
//! positions of nodes of its network, and nodes of a network are never
//! closer than [`MIN_NODE_SPACING_M`], so the store's connectivity
//! (tolerance 1 m) finds exactly the intended node. Positions of plants are
//! approximate and names, codes and attributes illustrative: this is a
//! demonstration data set, not the utilities' records.

use crate::model::{self, FeatureInput, Kind, Network};
use crate::store::ItemQuery;
use crate::{Gis, GisError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet, VecDeque};

/// The ward table shipped with the identity module (one copy in the repo).
const WARDS_CSV: &str = include_str!("../../cityos_identity/data/hcmc-wards-2025.csv");

/// The seed `cityos demo` uses.
pub const DEMO_SEED: u64 = 20_250_701;

/// About how many features [`generate`] makes at scale 1 (the demo); a
/// benchmark wanting N features asks for scale N / this.
pub const FULL_SCALE_FEATURES: usize = 159_076;

/// Nodes of one network are at least this far apart (metres).
pub const MIN_NODE_SPACING_M: f64 = 3.0;

/// Metres per degree of latitude (mean).
const M_PER_DEG: f64 = 111_320.0;

/// Features per `insert_many_as_system` call when seeding.
const BATCH: usize = 2000;

/// A ward (or commune, or special zone) the generator places networks in.
#[derive(Debug, Clone, PartialEq)]
pub struct WardSite {
    /// Official GSO code.
    pub code: String,
    /// Official name, e.g. `Phường Sài Gòn`.
    pub name: String,
    /// Centroid longitude.
    pub lon: f64,
    /// Centroid latitude.
    pub lat: f64,
    /// Area in km².
    pub area_km2: f64,
}

/// The 168 wards of the embedded table (`code,name,division_type,codename,lat,lon,area_km2`),
/// ordered by code.
#[must_use]
pub fn embedded_wards() -> Vec<WardSite> {
    let mut wards: Vec<WardSite> = WARDS_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 7 {
                return None;
            }
            Some(WardSite {
                code: f[0].to_string(),
                name: f[1].to_string(),
                lat: f[4].parse().ok()?,
                lon: f[5].parse().ok()?,
                area_km2: f[6].parse().ok()?,
            })
        })
        .collect();
    wards.sort_by(|a, b| a.code.cmp(&b.code));
    wards
}

/// The owner agency of a network's demo features (codes seeded by `cityos demo`).
#[must_use]
pub fn owner_agency(n: Network) -> &'static str {
    match n {
        Network::Electricity => "EVNHCMC",
        Network::Water => "SAWACO",
        Network::Sewer => "UDC",
        Network::Telecom => "VNPT-HCM",
        Network::Thermal => "SO-XD",
        Network::Post => "BUUDIEN-HCM",
    }
}

/// Generates the demo networks over the embedded ward table. Pure and
/// deterministic in `seed`; `scale` 1.0 gives 100,000+ features, smaller
/// scales shrink every ward's grid (tests use 0.01–0.1). Collections come
/// nodes first, links last, so a loader finds every link's nodes.
#[must_use]
pub fn generate(seed: u64, scale: f64) -> Vec<(&'static str, Vec<FeatureInput>)> {
    generate_for(&embedded_wards(), seed, scale)
}

/// [`generate`] over the given wards.
#[must_use]
pub fn generate_for(wards: &[WardSite], seed: u64, scale: f64) -> Vec<(&'static str, Vec<FeatureInput>)> {
    let mut g = Generator::new(wards, seed, scale);
    g.run();
    g.finish()
}

/// Loads the demo networks (seed [`DEMO_SEED`], scale 1, 100,000+
/// features) unless features already exist, as the system on behalf of each
/// network's owner agency. Returns how many were inserted.
///
/// # Errors
/// Storage failure or a refused feature (a bug in the generator).
pub async fn seed_demo(gis: &Gis) -> Result<usize, GisError> {
    seed_generated(gis, DEMO_SEED, 1.0).await
}

/// [`seed_demo`] with another seed and scale (tests load small networks).
/// Wards come from the jurisdictions the identity module seeded (the
/// embedded table when there are none); nodes are inserted before links so
/// the store connects every link end. Idempotent: nothing is written when
/// any substation exists.
///
/// # Errors
/// As [`seed_demo`].
pub async fn seed_generated(gis: &Gis, seed: u64, scale: f64) -> Result<usize, GisError> {
    let probe = ItemQuery { collection: "electricity-substations".into(), limit: 1, ..ItemQuery::default() };
    if !gis.query(&probe).await?.features.is_empty() {
        tracing::info!("GIS demo networks already present, not seeding");
        return Ok(0);
    }
    let jurisdictions = gis.identity().jurisdictions().await.map_err(|e| GisError::Api(e.into()))?;
    let mut wards: Vec<WardSite> = jurisdictions
        .into_iter()
        .filter(|j| j.level == 2 && j.valid_to.is_none())
        .filter_map(|j| Some(WardSite { lon: j.lon?, lat: j.lat?, area_km2: j.area_km2?, code: j.code, name: j.name }))
        .collect();
    if wards.is_empty() {
        wards = embedded_wards();
    }
    wards.sort_by(|a, b| a.code.cmp(&b.code));
    let mut total = 0;
    for (collection, inputs) in generate_for(&wards, seed, scale) {
        let Some(def) = model::collection(collection) else { continue };
        let agency = owner_agency(def.network);
        let n = inputs.len();
        let mut rest = inputs;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(BATCH));
            gis.insert_many_as_system(agency, collection, rest).await?;
            rest = tail;
        }
        total += n;
        tracing::info!(collection, features = n, "GIS demo collection seeded");
    }
    Ok(total)
}

// ---------------------------------------------------------------------------

/// A position, CRS84, rounded to 1e-7° (~1 cm) once, so links reuse it exactly.
type Ll = [f64; 2];

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// A ward's local frame: metres east/north of the centroid, a grid of
/// streets rotated by `theta` with spacing `spacing`.
#[derive(Debug, Clone, Copy)]
struct Frame {
    lon0: f64,
    lat0: f64,
    cos_lat: f64,
    spacing: f64,
    u: (f64, f64),
    v: (f64, f64),
}

impl Frame {
    /// Local metres to CRS84.
    fn ll(&self, x: f64, y: f64) -> Ll {
        [round7(self.lon0 + x / (M_PER_DEG * self.cos_lat)), round7(self.lat0 + y / M_PER_DEG)]
    }

    /// Metres along the grid axes to local metres.
    fn local(&self, a: f64, b: f64) -> (f64, f64) {
        (a * self.u.0 + b * self.v.0, a * self.u.1 + b * self.v.1)
    }

    /// Grid cell (i, j) plus an offset (metres along the axes) to CRS84.
    fn at(&self, i: i32, j: i32, da: f64, db: f64) -> Ll {
        let (x, y) = self.local(f64::from(i) * self.spacing + da, f64::from(j) * self.spacing + db);
        self.ll(x, y)
    }
}

/// Planar distance in metres, good at city scale.
fn dist_m(a: Ll, b: Ll) -> f64 {
    let c = ((a[1] + b[1]) / 2.0).to_radians().cos();
    ((a[0] - b[0]) * M_PER_DEG * c).hypot((a[1] - b[1]) * M_PER_DEG)
}

/// Per-network offset (metres along the grid axes) from the street
/// intersection, so each network keeps to its side of the street.
fn offset(n: Network) -> (f64, f64) {
    match n {
        Network::Electricity => (6.0, 6.0),
        Network::Water => (-5.0, 4.0),
        Network::Telecom => (4.0, -6.0),
        _ => (0.0, 0.0),
    }
}

const RIVERS: &[(&str, f64, f64)] = &[
    ("Sông Sài Gòn", 106.715, 10.800),
    ("Sông Sài Gòn", 106.660, 10.960),
    ("Sông Sài Gòn", 106.560, 11.150),
    ("Kênh Nhiêu Lộc – Thị Nghè", 106.685, 10.790),
    ("Kênh Tàu Hủ – Bến Nghé", 106.670, 10.750),
    ("Kênh Tân Hóa – Lò Gốm", 106.635, 10.760),
    ("Kênh Tham Lương – Bến Cát", 106.630, 10.840),
    ("Sông Đồng Nai", 106.830, 10.900),
    ("Sông Nhà Bè", 106.750, 10.680),
    ("Sông Soài Rạp", 106.750, 10.450),
    ("Sông Lòng Tàu", 106.850, 10.550),
    ("Sông Thị Tính", 106.600, 11.100),
    ("Sông Dinh", 107.150, 10.450),
    ("Sông Thị Vải", 107.030, 10.620),
    ("Biển Đông", 107.080, 10.330),
    ("Biển Đông", 107.450, 10.480),
    ("Biển Đông", 106.610, 8.670),
];

/// Treatment plants: (name, lon, lat, capacity m³/day), near the real ones.
const WATER_PLANTS: &[(&str, f64, f64, f64)] = &[
    ("Nhà máy nước Thủ Đức", 106.806, 10.836, 750_000.0),
    ("Nhà máy nước Tân Hiệp", 106.597, 10.884, 300_000.0),
    ("Nhà máy nước Kênh Đông", 106.487, 11.012, 200_000.0),
    ("Nhà máy nước Tân Phú", 106.621, 10.789, 100_000.0),
    ("Nhà máy nước Dĩ An", 106.770, 10.915, 150_000.0),
    ("Nhà máy nước Thủ Dầu Một", 106.665, 10.985, 120_000.0),
    ("Nhà máy nước Hồ Đá Đen", 107.246, 10.562, 120_000.0),
    ("Nhà máy nước Sông Dinh", 107.170, 10.470, 40_000.0),
];

/// A node being built.
#[derive(Debug)]
struct NodeF {
    collection: &'static str,
    pos: Ll,
    props: Map<String, Value>,
}

/// A link being built.
#[derive(Debug)]
struct LinkF {
    collection: &'static str,
    coords: Vec<Ll>,
    props: Map<String, Value>,
}

/// A ward's grid after clipping: cells reached from the entry, with the
/// BFS parent of each (the entry has none).
#[derive(Debug)]
struct WardGrid {
    frame: Frame,
    cells: Vec<(i32, i32)>,
    parent: HashMap<(i32, i32), (i32, i32)>,
    entry: (i32, i32),
}

impl WardGrid {
    fn contains(&self, c: (i32, i32)) -> bool {
        c == self.entry || self.parent.contains_key(&c)
    }
}

struct Generator<'a> {
    wards: &'a [WardSite],
    rng: StdRng,
    scale: f64,
    nodes: Vec<NodeF>,
    links: Vec<LinkF>,
    counter: u32,
}

impl Generator<'_> {
    fn new(wards: &[WardSite], seed: u64, scale: f64) -> Generator<'_> {
        let scale = if scale.is_finite() { scale.clamp(0.001, 64.0) } else { 1.0 };
        Generator { wards, rng: StdRng::seed_from_u64(seed), scale, nodes: Vec::new(), links: Vec::new(), counter: 0 }
    }

    fn next_no(&mut self) -> u32 {
        self.counter += 1;
        self.counter
    }

    /// Common attributes: status, condition, install date, owner.
    fn common(&mut self, network: Network, name: String) -> Map<String, Value> {
        let year = self.rng.gen_range(1990..=2025);
        let status = match self.rng.gen_range(0..100) {
            0..=91 => "functional",
            92..=94 => "under_construction",
            95..=96 => "projected",
            97..=98 => "disused",
            _ => "decommissioned",
        };
        let age = 2025 - year;
        let condition = match (age, self.rng.gen_range(0..10)) {
            (_, 0) => "unknown",
            (a, r) if a > 25 && r < 4 => "poor",
            (a, r) if a > 30 && r == 4 => "critical",
            (a, r) if a > 12 && r < 6 => "fair",
            _ => "good",
        };
        let mut m = Map::new();
        m.insert("name".into(), name.into());
        m.insert("owner_agency".into(), owner_agency(network).into());
        m.insert("status".into(), status.into());
        m.insert("condition".into(), condition.into());
        m.insert("install_date".into(), format!("{year}-{:02}-{:02}", self.rng.gen_range(1..=12), self.rng.gen_range(1..=28)).into());
        m
    }

    fn node(&mut self, collection: &'static str, network: Network, pos: Ll, name: String, extra: Value) -> Ll {
        let mut props = self.common(network, name);
        if let Value::Object(e) = extra {
            props.extend(e);
        }
        self.nodes.push(NodeF { collection, pos, props });
        pos
    }

    fn link(&mut self, collection: &'static str, network: Network, coords: Vec<Ll>, name: String, extra: Value) {
        let mut props = self.common(network, name);
        if let Value::Object(e) = extra {
            props.extend(e);
        }
        self.links.push(LinkF { collection, coords, props });
    }

    /// Street-like route between two positions: along the meridian, then the
    /// parallel (an L), or straight when they share one.
    fn route(a: Ll, b: Ll) -> Vec<Ll> {
        if a[0] == b[0] || a[1] == b[1] {
            vec![a, b]
        } else {
            vec![a, [b[0], a[1]], b]
        }
    }

    fn run(&mut self) {
        let grids: Vec<WardGrid> = (0..self.wards.len()).map(|w| self.grid(w)).collect();
        let substations = self.sources(&grids, 6_000.0, 0.55, 0.35);
        let exchanges = self.sources(&grids, 8_000.0, -0.45, 0.4);
        self.electricity(&grids, &substations);
        self.water(&grids);
        self.sewer(&grids);
        self.telecom(&grids, &exchanges);
        self.thermal();
        self.post();
    }

    /// Builds ward `w`'s clipped grid.
    fn grid(&mut self, w: usize) -> WardGrid {
        let ward = &self.wards[w];
        let theta = self.rng.gen_range(0.0..std::f64::consts::FRAC_PI_2);
        // Above scale 1 (benchmarks) the streets get denser: the same ward holds more blocks.
        let density = self.scale.max(1.0).sqrt();
        let spacing = self.rng.gen_range(180.0..260.0) / density;
        let frame = Frame {
            lon0: ward.lon,
            lat0: ward.lat,
            cos_lat: ward.lat.to_radians().cos(),
            spacing,
            u: (theta.cos(), theta.sin()),
            v: (-theta.sin(), theta.cos()),
        };
        let radius = (ward.area_km2.max(0.1) / std::f64::consts::PI).sqrt() * 1000.0;
        let k_max = (4.0 * self.scale.sqrt()).round().max(1.0);
        #[expect(clippy::cast_possible_truncation, reason = "clamped to 1..=24 (more above scale 1)")]
        let k = (radius * 0.9 / spacing).ceil().clamp(1.0, k_max.min(24.0 * density)) as i32;
        let mut kept = HashSet::new();
        for i in -k..=k {
            for j in -k..=k {
                let (x, y) = frame.local(f64::from(i) * spacing, f64::from(j) * spacing);
                if self.cell_owner(frame.ll(x, y)) == w {
                    kept.insert((i, j));
                }
            }
        }
        let entry = kept.iter().copied().min_by_key(|&(i, j)| (i * i + j * j, i, j)).unwrap_or((0, 0));
        let (cells, parent) = spanning_tree(&kept, entry);
        WardGrid { frame, cells, parent, entry }
    }

    /// The ward whose power-diagram cell (centroid, radius from area) holds `p`.
    fn cell_owner(&self, p: Ll) -> usize {
        let cos = p[1].to_radians().cos();
        let mut best = (f64::INFINITY, 0);
        for (i, w) in self.wards.iter().enumerate() {
            let dx = (p[0] - w.lon) * M_PER_DEG * cos;
            let dy = (p[1] - w.lat) * M_PER_DEG;
            let r2 = w.area_km2.max(0.1) * 1e6 / std::f64::consts::PI;
            let power = dx * dx + dy * dy - r2;
            if power < best.0 {
                best = (power, i);
            }
        }
        best.1
    }

    /// Picks source sites: a ward hosts one when no earlier source lies
    /// within `radius_m`; the site is off the grid by (`fa`, `fb`) cells.
    fn sources(&self, grids: &[WardGrid], radius_m: f64, fa: f64, fb: f64) -> Vec<(usize, Ll)> {
        let mut out: Vec<(usize, Ll)> = Vec::new();
        for (w, g) in grids.iter().enumerate() {
            let f = g.frame;
            let (x, y) = f.local(fa * f.spacing, fb * f.spacing);
            let p = f.ll(x, y);
            if out.iter().all(|(_, q)| dist_m(p, *q) > radius_m) {
                out.push((w, p));
            }
        }
        out
    }

    fn nearest(sites: &[(usize, Ll)], p: Ll) -> Option<(usize, Ll)> {
        sites.iter().copied().enumerate().min_by(|a, b| dist_m(a.1 .1, p).total_cmp(&dist_m(b.1 .1, p))).map(|(i, (_, q))| (i, q))
    }

    fn electricity(&mut self, grids: &[WardGrid], substations: &[(usize, Ll)]) {
        let net = Network::Electricity;
        let mut sub_names = Vec::new();
        for &(w, p) in substations {
            let name = format!("Trạm 110kV {}", short_name(&self.wards[w].name));
            let mva = [40.0, 63.0, 2.0 * 63.0, 2.0 * 40.0][self.rng.gen_range(0..4)];
            self.node("electricity-substations", net, p, name.clone(), json!({ "voltage_kv": 110.0, "capacity_mva": mva }));
            sub_names.push(name);
        }
        let (oa, ob) = offset(net);
        for (w, g) in grids.iter().enumerate() {
            let code = self.wards[w].code.clone();
            let urban = self.wards[w].area_km2 < 8.0;
            let f = g.frame;
            let mut pos = HashMap::new();
            for (idx, &c) in g.cells.iter().enumerate() {
                let p = f.at(c.0, c.1, oa, ob);
                pos.insert(c, p);
                let no = self.next_no();
                if c == g.entry || idx % 9 == 4 {
                    let open = i64::from(idx % 18 == 13);
                    self.node(
                        "electricity-switches",
                        net,
                        p,
                        format!("Thiết bị đóng cắt {code}-{no}"),
                        json!({ "voltage_kv": 22.0, "normally_open": open }),
                    );
                } else if idx % 4 == 2 {
                    let kva = [250.0, 400.0, 560.0, 630.0, 750.0, 1000.0][self.rng.gen_range(0..6)];
                    self.node(
                        "electricity-transformers",
                        net,
                        p,
                        format!("TBA {code}-{no}"),
                        json!({ "voltage_kv": 22.0, "capacity_kva": kva }),
                    );
                    // Low-voltage lines both ways across the block.
                    for side in [1.0, -1.0] {
                        let p1 = f.at(c.0, c.1, oa, ob + side * 35.0);
                        let p2 = f.at(c.0, c.1, oa, ob + side * 70.0);
                        let mut prev = p;
                        for q in [p1, p2] {
                            let n = self.next_no();
                            let h = [8.5, 10.0, 12.0][self.rng.gen_range(0..3)];
                            self.node(
                                "electricity-poles",
                                net,
                                q,
                                format!("Cột hạ thế {code}-{n}"),
                                json!({ "voltage_kv": 0.4, "height_m": h }),
                            );
                            self.link(
                                "electricity-cables",
                                net,
                                vec![prev, q],
                                format!("Đường dây 0,4kV {code}-{n}"),
                                json!({ "voltage_kv": 0.4, "conductor": "ABC 4x95", "underground": 0, "material": "Nhôm" }),
                            );
                            prev = q;
                        }
                    }
                } else {
                    let h = [12.0, 14.0, 16.0][self.rng.gen_range(0..3)];
                    self.node(
                        "electricity-poles",
                        net,
                        p,
                        format!("Cột trung thế {code}-{no}"),
                        json!({ "voltage_kv": 22.0, "height_m": h }),
                    );
                }
            }
            for &c in &g.cells {
                if let (Some(par), Some(&a)) = (g.parent.get(&c), pos.get(&c)) {
                    let Some(&b) = pos.get(par) else { continue };
                    let no = self.next_no();
                    let props = mv_cable(urban, &mut self.rng);
                    self.link("electricity-cables", net, vec![b, a], format!("Tuyến 22kV {code}-{no}"), props);
                }
            }
            // The feeder from the nearest substation to the ward's entry switch.
            let (Some(&entry), Some((si, sp))) = (pos.get(&g.entry), Self::nearest(substations, f.ll(0.0, 0.0))) else { continue };
            let mut props = mv_cable(true, &mut self.rng);
            if let Value::Object(m) = &mut props {
                m.insert("conductor".into(), "CXV/SE/DSTA 3x240mm²".into());
            }
            let name = format!("Xuất tuyến 22kV {} – {}", sub_names.get(si).map_or("", String::as_str), self.wards[w].name);
            self.link("electricity-cables", net, Self::route(sp, entry), name, props);
        }
    }

    fn water(&mut self, grids: &[WardGrid]) {
        let net = Network::Water;
        let mut plants: Vec<(usize, Ll)> = Vec::new();
        for &(name, lon, lat, cap) in WATER_PLANTS {
            let p = [round7(lon), round7(lat)];
            self.node("water-treatment-plants", net, p, name.into(), json!({ "capacity_m3_day": cap }));
            plants.push((0, p));
        }
        // Wards beyond reach of a plant (islands, the far south) get a local one.
        for (w, g) in grids.iter().enumerate() {
            let f = g.frame;
            let (x, y) = f.local(-0.5 * f.spacing, -0.55 * f.spacing);
            let p = f.ll(x, y);
            if plants.iter().all(|(_, q)| dist_m(p, *q) > 20_000.0) {
                let cap = f64::from(self.rng.gen_range(5..=20)) * 1000.0;
                self.node(
                    "water-treatment-plants",
                    net,
                    p,
                    format!("Trạm cấp nước {}", short_name(&self.wards[w].name)),
                    json!({ "capacity_m3_day": cap }),
                );
                plants.push((w, p));
            }
        }
        let (oa, ob) = offset(net);
        for (w, g) in grids.iter().enumerate() {
            let code = self.wards[w].code.clone();
            let f = g.frame;
            let mut pos = HashMap::new();
            for (idx, &c) in g.cells.iter().enumerate() {
                let p = f.at(c.0, c.1, oa, ob);
                pos.insert(c, p);
                let no = self.next_no();
                let open = i64::from(idx % 23 != 11);
                self.node("water-valves", net, p, format!("Van {code}-{no}"), json!({ "normally_open": open, "diameter_mm": 200.0 }));
                if idx % 3 == 1 {
                    let h = f.at(c.0, c.1, oa + 15.0, ob);
                    let n = self.next_no();
                    self.node("water-hydrants", net, h, format!("Trụ cứu hỏa {code}-{n}"), json!({ "diameter_mm": 100.0 }));
                    self.link(
                        "water-pipes",
                        net,
                        vec![p, h],
                        format!("Ống nhánh trụ cứu hỏa {code}-{n}"),
                        json!({ "diameter_mm": 100.0, "material": "DI", "depth_m": 1.0, "pressure_bar": 2.5 }),
                    );
                }
                // One service connection per block, alternating sides of the street.
                {
                    let side = if idx % 2 == 0 { 1.0 } else { -1.0 };
                    let s = f.at(c.0, c.1, oa, ob + side * 25.0);
                    let n = self.next_no();
                    let customers = self.rng.gen_range(1..=40);
                    self.node("water-service-connections", net, s, format!("Đấu nối {code}-{n}"), json!({ "customer_count": customers }));
                    self.link(
                        "water-pipes",
                        net,
                        vec![p, s],
                        format!("Ống dịch vụ {code}-{n}"),
                        json!({ "diameter_mm": 100.0, "material": "HDPE", "depth_m": 0.8, "pressure_bar": 2.0 }),
                    );
                }
            }
            // Distribution mains on every street of the grid (a looped network).
            for &c in &g.cells {
                for d in [(1, 0), (0, 1)] {
                    let n = (c.0 + d.0, c.1 + d.1);
                    if !g.contains(n) {
                        continue;
                    }
                    let (Some(&a), Some(&b)) = (pos.get(&c), pos.get(&n)) else { continue };
                    let trunk = c.1 == g.entry.1 && d == (1, 0);
                    let dn = if trunk {
                        [300.0, 400.0, 500.0, 600.0][self.rng.gen_range(0..4)]
                    } else {
                        [100.0, 150.0, 200.0, 250.0][self.rng.gen_range(0..4)]
                    };
                    let material = if dn >= 300.0 { "DI" } else { ["uPVC", "HDPE", "DI"][self.rng.gen_range(0..3)] };
                    let no = self.next_no();
                    let depth = 1.0 + dn / 1000.0;
                    let bar = f64::from(self.rng.gen_range(18..40)) / 10.0;
                    self.link(
                        "water-pipes",
                        net,
                        vec![a, b],
                        format!("Ống cấp nước D{dn} {code}-{no}"),
                        json!({ "diameter_mm": dn, "material": material, "depth_m": depth, "pressure_bar": bar }),
                    );
                }
            }
            // The transmission main from the nearest plant to the entry valve.
            let (Some(&entry), Some((_, pp))) = (pos.get(&g.entry), Self::nearest(&plants, f.ll(0.0, 0.0))) else { continue };
            let far = dist_m(pp, entry);
            let dn = if far > 10_000.0 {
                1500.0
            } else if far > 5_000.0 {
                1200.0
            } else {
                [600.0, 800.0, 1000.0][self.rng.gen_range(0..3)]
            };
            let bar = f64::from(self.rng.gen_range(35..60)) / 10.0;
            self.link(
                "water-pipes",
                net,
                Self::route(pp, entry),
                format!("Tuyến ống truyền tải D{dn} – {}", self.wards[w].name),
                json!({ "diameter_mm": dn, "material": "Thép", "depth_m": 2.0 + dn / 1000.0, "pressure_bar": bar }),
            );
        }
    }

    fn sewer(&mut self, grids: &[WardGrid]) {
        let net = Network::Sewer;
        for (w, g) in grids.iter().enumerate() {
            let code = self.wards[w].code.clone();
            let f = g.frame;
            let centre = f.ll(0.0, 0.0);
            let river = RIVERS.iter().min_by(|a, b| dist_m([a.1, a.2], centre).total_cmp(&dist_m([b.1, b.2], centre)));
            let Some(&(river_name, rlon, rlat)) = river else { continue };
            // Drain toward the river: the root is the cell nearest to it.
            let Some(&root) = g
                .cells
                .iter()
                .min_by(|a, b| dist_m(f.at(a.0, a.1, 0.0, 0.0), [rlon, rlat]).total_cmp(&dist_m(f.at(b.0, b.1, 0.0, 0.0), [rlon, rlat])))
            else {
                continue;
            };
            let cells: HashSet<(i32, i32)> = g.cells.iter().copied().collect();
            let (order, parent) = spanning_tree(&cells, root);
            // Cells drained through each cell (itself included), leaves first.
            let mut upstream: HashMap<(i32, i32), u32> = order.iter().map(|&c| (c, 1)).collect();
            for c in order.iter().rev() {
                if let Some(p) = parent.get(c) {
                    let n = upstream.get(c).copied().unwrap_or(1);
                    *upstream.entry(*p).or_insert(1) += n;
                }
            }
            let depth_of = |c: &(i32, i32)| 1.2 + 0.35 * f64::from(upstream.get(c).copied().unwrap_or(1)).ln_1p();
            let mut pos = HashMap::new();
            for c in &order {
                let p = f.at(c.0, c.1, 0.0, 0.0);
                pos.insert(*c, p);
                let no = self.next_no();
                let depth = round2(depth_of(c));
                self.node(
                    "sewer-manholes",
                    net,
                    p,
                    format!("Hố ga {code}-{no}"),
                    json!({ "depth_m": depth, "invert_level_m": round2(1.6 - depth) }),
                );
            }
            for c in &order {
                let (Some(p), Some(&a)) = (parent.get(c), pos.get(c)) else { continue };
                let Some(&b) = pos.get(p) else { continue };
                let n = upstream.get(c).copied().unwrap_or(1);
                let dn = (300.0 + 200.0 * f64::from(n).log2().floor()).min(2000.0);
                let material = if dn <= 400.0 { ["uPVC", "HDPE"][self.rng.gen_range(0..2)] } else { "BTCT" };
                let no = self.next_no();
                // Upstream to downstream: the flow direction.
                self.link(
                    "sewer-pipes",
                    net,
                    vec![a, b],
                    format!("Cống D{dn} {code}-{no}"),
                    json!({ "diameter_mm": dn, "material": material, "depth_m": round2(depth_of(p)), "gravity": 1 }),
                );
            }
            // The outfall, 60 m beyond the root toward the river.
            let Some(&root_pos) = pos.get(&root) else { continue };
            let dir = ((rlon - root_pos[0]) * f.cos_lat, rlat - root_pos[1]);
            let len = dir.0.hypot(dir.1).max(1e-12);
            let rl = f.local(f64::from(root.0) * f.spacing, f64::from(root.1) * f.spacing);
            let out = f.ll(rl.0 + 60.0 * dir.0 / len, rl.1 + 60.0 * dir.1 / len);
            let no = self.next_no();
            self.node("sewer-outfalls", net, out, format!("Cửa xả {code}-{no}"), json!({ "receiving_water": river_name }));
            let dn = (300.0 + 200.0 * f64::from(upstream.get(&root).copied().unwrap_or(1)).log2().floor()).min(2000.0);
            self.link(
                "sewer-pipes",
                net,
                vec![root_pos, out],
                format!("Cống xả D{dn} {code}-{no}"),
                json!({ "diameter_mm": dn, "material": "BTCT", "depth_m": round2(depth_of(&root)), "gravity": 1 }),
            );
        }
    }

    fn telecom(&mut self, grids: &[WardGrid], exchanges: &[(usize, Ll)]) {
        let net = Network::Telecom;
        for &(w, p) in exchanges {
            self.node("telecom-exchanges", net, p, format!("Tổng đài {}", short_name(&self.wards[w].name)), json!({}));
        }
        let (oa, ob) = offset(net);
        for (w, g) in grids.iter().enumerate() {
            let code = self.wards[w].code.clone();
            let f = g.frame;
            let mut pos = HashMap::new();
            for (idx, &c) in g.cells.iter().enumerate() {
                let p = f.at(c.0, c.1, oa, ob);
                pos.insert(c, p);
                let no = self.next_no();
                self.node("telecom-manholes", net, p, format!("Hầm cáp {code}-{no}"), json!({ "depth_m": 1.2 }));
                if idx % 6 == 3 {
                    let cab = f.at(c.0, c.1, oa - 12.0, ob);
                    let n = self.next_no();
                    let ports = [48, 96, 144, 288][self.rng.gen_range(0..4)];
                    self.node("telecom-cabinets", net, cab, format!("Tủ cáp {code}-{n}"), json!({ "ports": ports }));
                    let fibres = [12, 24, 48][self.rng.gen_range(0..3)];
                    self.link(
                        "telecom-cables",
                        net,
                        vec![p, cab],
                        format!("Cáp quang {code}-{n}"),
                        json!({ "fibre_count": fibres, "material": "Cáp quang" }),
                    );
                }
            }
            for &c in &g.cells {
                let (Some(par), Some(&a)) = (g.parent.get(&c), pos.get(&c)) else { continue };
                let Some(&b) = pos.get(par) else { continue };
                let no = self.next_no();
                let ways = [2, 4, 6][self.rng.gen_range(0..3)];
                self.link(
                    "telecom-ducts",
                    net,
                    vec![b, a],
                    format!("Cống bể {code}-{no}"),
                    json!({ "ways": ways, "material": "HDPE", "depth_m": 0.8, "diameter_mm": 110.0 }),
                );
            }
            let (Some(&entry), Some((_, ep))) = (pos.get(&g.entry), Self::nearest(exchanges, f.ll(0.0, 0.0))) else { continue };
            let route = Self::route(ep, entry);
            let name = &self.wards[w].name;
            let (duct, cable) = (format!("Cống bể trục – {name}"), format!("Cáp quang trục – {name}"));
            let ways = [12, 18, 24][self.rng.gen_range(0..3)];
            self.link(
                "telecom-ducts",
                net,
                route.clone(),
                duct,
                json!({ "ways": ways, "material": "HDPE", "depth_m": 1.0, "diameter_mm": 110.0 }),
            );
            let fibres = [96, 144, 288][self.rng.gen_range(0..3)];
            self.link("telecom-cables", net, route, cable, json!({ "fibre_count": fibres, "material": "Cáp quang" }));
        }
    }

    /// District cooling in Thủ Thiêm: a central chiller plant and two
    /// satellite plants on a supply loop with a parallel return loop.
    fn thermal(&mut self) {
        let net = Network::Thermal;
        let plants = [
            ("Trạm làm lạnh trung tâm Thủ Thiêm", [106.7215, 10.7745]),
            ("Trạm làm lạnh vệ tinh Thủ Thiêm Bắc", [106.7262, 10.7828]),
            ("Trạm làm lạnh vệ tinh Thủ Thiêm Nam", [106.7331, 10.7712]),
        ];
        for (name, p) in plants {
            self.node("thermal-plants", net, p, name.into(), json!({}));
        }
        for i in 0..plants.len() {
            let (a, b) = (plants[i].1, plants[(i + 1) % plants.len()].1);
            for (kind, shift, temp) in [("cấp", 0.0, "6°C"), ("hồi", 0.000_05, "13°C")] {
                let mid = [[b[0], a[1] + shift], [b[0] + shift, a[1] + shift]];
                let coords =
                    if shift == 0.0 { vec![a, mid[0], b] } else { vec![a, [a[0] + shift, a[1] + shift], mid[1], [b[0] + shift, b[1]], b] };
                let dn = [400.0, 500.0, 600.0][i % 3];
                self.link(
                    "thermal-pipes",
                    net,
                    coords,
                    format!("Ống nước lạnh {kind} ({temp}) {} – {}", plants[i].0, plants[(i + 1) % plants.len()].0),
                    json!({ "diameter_mm": dn, "material": "Thép bọc cách nhiệt", "depth_m": 1.5 }),
                );
            }
        }
    }

    fn post(&mut self) {
        let net = Network::Post;
        for (w, ward) in self.wards.iter().enumerate() {
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0..=3")]
            let extra = (ward.area_km2 / 30.0).floor().clamp(0.0, 3.0) as u32;
            let radius = (ward.area_km2.max(0.1) / std::f64::consts::PI).sqrt() * 1000.0 * 0.4;
            let cos_lat = ward.lat.to_radians().cos();
            for n in 0..=extra {
                let (r, a) = (self.rng.gen_range(0.0..radius), self.rng.gen_range(0.0..std::f64::consts::TAU));
                let p = [round7(ward.lon + r * a.cos() / (M_PER_DEG * cos_lat)), round7(ward.lat + r * a.sin() / M_PER_DEG)];
                let name = if n == 0 {
                    format!("Bưu cục {}", short_name(&ward.name))
                } else {
                    format!("Bưu cục {} {}", short_name(&ward.name), n + 1)
                };
                let postcode = format!("{}", 70_000 + w * 20 + n as usize);
                let mut props = Map::new();
                props.insert("name".into(), name.into());
                props.insert("owner_agency".into(), owner_agency(net).into());
                props.insert("status".into(), "functional".into());
                props.insert("condition".into(), "good".into());
                props.insert("install_date".into(), format!("{}-01-01", self.rng.gen_range(1990..=2020)).into());
                props.insert("postcode".into(), postcode.into());
                props.insert("opening_hours".into(), "Mo-Fr 07:30-19:00; Sa 07:30-17:00".into());
                self.nodes.push(NodeF { collection: "post-offices", pos: p, props });
            }
        }
    }

    /// Drops nodes that fall within [`MIN_NODE_SPACING_M`] of an earlier
    /// node of their network (rare: grids of neighbouring wards meeting)
    /// and the links ending on them, then groups by collection, nodes first.
    fn finish(self) -> Vec<(&'static str, Vec<FeatureInput>)> {
        let network_of = |c: &str| model::collection(c).map(|d| d.network);
        let cell = |p: Ll| -> (i64, i64) {
            #[expect(clippy::cast_possible_truncation, reason = "degrees / 1e-4 fit in i64")]
            let k = ((p[0] * 1e4).floor() as i64, (p[1] * 1e4).floor() as i64);
            k
        };
        let mut grid: HashMap<(Option<Network>, i64, i64), Vec<Ll>> = HashMap::new();
        let mut dropped: HashSet<(Option<Network>, [u64; 2])> = HashSet::new();
        let mut nodes = Vec::new();
        for n in self.nodes {
            let net = network_of(n.collection);
            let (cx, cy) = cell(n.pos);
            let clash = net != Some(Network::Post)
                && (-1..=1).any(|dx| {
                    (-1..=1).any(|dy| {
                        grid.get(&(net, cx + dx, cy + dy)).is_some_and(|v| v.iter().any(|q| dist_m(*q, n.pos) < MIN_NODE_SPACING_M))
                    })
                });
            if clash {
                dropped.insert((net, [n.pos[0].to_bits(), n.pos[1].to_bits()]));
                continue;
            }
            grid.entry((net, cx, cy)).or_default().push(n.pos);
            nodes.push(n);
        }
        let mut out: Vec<(&'static str, Vec<FeatureInput>)> =
            model::COLLECTIONS.iter().filter(|c| c.kind != Kind::Link).map(|c| (c.id, Vec::new())).collect();
        out.extend(model::COLLECTIONS.iter().filter(|c| c.kind == Kind::Link).map(|c| (c.id, Vec::new())));
        let mut push = |collection: &str, value: geojson::Value, props: Map<String, Value>| {
            if let Some((_, v)) = out.iter_mut().find(|(c, _)| *c == collection) {
                v.push(FeatureInput { id: None, geometry: geojson::Geometry::new(value), properties: props });
            }
        };
        for n in nodes {
            push(n.collection, geojson::Value::Point(n.pos.to_vec()), n.props);
        }
        for l in self.links {
            let net = network_of(l.collection);
            let gone = |p: Option<&Ll>| p.is_some_and(|p| dropped.contains(&(net, [p[0].to_bits(), p[1].to_bits()])));
            if gone(l.coords.first()) || gone(l.coords.last()) {
                continue;
            }
            push(l.collection, geojson::Value::LineString(l.coords.iter().map(|p| p.to_vec()).collect()), l.props);
        }
        out.retain(|(_, v)| !v.is_empty());
        out
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// `Phường Sài Gòn` → `Sài Gòn`.
fn short_name(name: &str) -> &str {
    ["Phường ", "Xã ", "Đặc khu "].iter().find_map(|p| name.strip_prefix(p)).unwrap_or(name)
}

/// A 22 kV cable: underground in the dense wards, overhead elsewhere.
fn mv_cable(underground: bool, rng: &mut StdRng) -> Value {
    if underground {
        json!({ "voltage_kv": 22.0, "conductor": "CXV/SE/DSTA 3x240mm²", "underground": 1, "material": "Đồng", "depth_m": round2(rng.gen_range(0.8..1.2)) })
    } else {
        let conductor = ["ACSR-185/29", "ACSR-240/32", "AC-120"][rng.gen_range(0..3)];
        json!({ "voltage_kv": 22.0, "conductor": conductor, "underground": 0, "material": "Nhôm lõi thép" })
    }
}

/// A grid cell `(i, j)`.
type Cell = (i32, i32);

/// The breadth-first spanning tree of the grid `cells` (4-neighbourhood) from `root`: the cells
/// reached, in visiting order (root first), and each one's parent towards the root.
fn spanning_tree(cells: &HashSet<Cell>, root: Cell) -> (Vec<Cell>, HashMap<Cell, Cell>) {
    let mut parent = HashMap::new();
    let mut order = vec![root];
    let mut queue = VecDeque::from([root]);
    let mut seen = HashSet::from([root]);
    while let Some(c) = queue.pop_front() {
        for d in [(1, 0), (0, 1), (-1, 0), (0, -1)] {
            let n = (c.0 + d.0, c.1 + d.1);
            if cells.contains(&n) && seen.insert(n) {
                parent.insert(n, c);
                order.push(n);
                queue.push_back(n);
            }
        }
    }
    (order, parent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{collection, AttrType, GeometryKind};

    fn pos(g: &geojson::Geometry) -> Vec<Ll> {
        match &g.value {
            geojson::Value::Point(p) => vec![[p[0], p[1]]],
            geojson::Value::LineString(ps) => ps.iter().map(|p| [p[0], p[1]]).collect(),
            other => panic!("unexpected geometry {other:?}"),
        }
    }

    #[test]
    fn embedded_wards_are_the_168_units() {
        let w = embedded_wards();
        assert_eq!(w.len(), 168);
        assert!(w.iter().any(|w| w.name == "Đặc khu Côn Đảo"));
    }

    #[test]
    fn deterministic_in_the_seed() {
        let a = generate(7, 0.02);
        let b = generate(7, 0.02);
        let c = generate(8, 0.02);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn full_scale_has_over_100k_features_in_every_collection() {
        let g = generate(DEMO_SEED, 1.0);
        let total: usize = g.iter().map(|(_, v)| v.len()).sum();
        eprintln!("{total} features: {:?}", g.iter().map(|(c, v)| (*c, v.len())).collect::<Vec<_>>());
        assert!(total >= 100_000, "{total}");
        assert!(total.abs_diff(FULL_SCALE_FEATURES) * 20 < FULL_SCALE_FEATURES, "FULL_SCALE_FEATURES is within 5% of {total}");
        for c in model::COLLECTIONS {
            assert!(g.iter().any(|(id, v)| *id == c.id && !v.is_empty()), "{} is empty", c.id);
        }
        // Nodes before links.
        let first_link = g.iter().position(|(c, _)| collection(c).is_some_and(|d| d.kind == Kind::Link)).unwrap();
        assert!(g[first_link..].iter().all(|(c, _)| collection(c).is_some_and(|d| d.kind == Kind::Link)));
        // At least one post office per ward.
        let posts = g.iter().find(|(c, _)| *c == "post-offices").map_or(0, |(_, v)| v.len());
        assert!(posts >= 168);
    }

    #[test]
    fn every_link_end_is_a_node_of_its_network_and_nodes_are_apart() {
        let g = generate(11, 0.3);
        let mut nodes: HashMap<Network, HashSet<[u64; 2]>> = HashMap::new();
        let mut all: HashMap<Network, Vec<Ll>> = HashMap::new();
        for (c, v) in &g {
            let def = collection(c).unwrap();
            if def.kind == Kind::Link {
                continue;
            }
            for f in v {
                let p = pos(&f.geometry)[0];
                nodes.entry(def.network).or_default().insert([p[0].to_bits(), p[1].to_bits()]);
                all.entry(def.network).or_default().push(p);
            }
        }
        let mut links = 0;
        for (c, v) in &g {
            let def = collection(c).unwrap();
            if def.kind != Kind::Link {
                continue;
            }
            let set = &nodes[&def.network];
            for f in v {
                let ps = pos(&f.geometry);
                assert!(ps.len() >= 2 && ps[0] != ps[ps.len() - 1], "{c}: {ps:?}");
                for end in [ps[0], ps[ps.len() - 1]] {
                    assert!(set.contains(&[end[0].to_bits(), end[1].to_bits()]), "{c} end {end:?} is not a {:?} node", def.network);
                }
                links += 1;
            }
        }
        assert!(links > 1000, "{links}");
        // Nodes of a network are further apart than the store's tolerance.
        for (net, ps) in &all {
            if *net == Network::Post {
                continue;
            }
            let mut cells: HashMap<(i64, i64), Vec<Ll>> = HashMap::new();
            for p in ps {
                cells.entry(((p[0] * 1e4).floor() as i64, (p[1] * 1e4).floor() as i64)).or_default().push(*p);
            }
            for p in ps {
                let (cx, cy) = ((p[0] * 1e4).floor() as i64, (p[1] * 1e4).floor() as i64);
                let close = (-1..=1)
                    .flat_map(|dx| (-1..=1).map(move |dy| (cx + dx, cy + dy)))
                    .filter_map(|k| cells.get(&k))
                    .flatten()
                    .filter(|q| dist_m(**q, *p) < MIN_NODE_SPACING_M)
                    .count();
                assert_eq!(close, 1, "{net:?} node {p:?} has a neighbour closer than {MIN_NODE_SPACING_M} m");
            }
        }
    }

    #[test]
    fn everything_lies_in_the_city_and_attributes_follow_the_model() {
        let wards = embedded_wards();
        let bbox = wards.iter().fold([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY], |b, w| {
            [b[0].min(w.lon), b[1].min(w.lat), b[2].max(w.lon), b[3].max(w.lat)]
        });
        let margin = 0.05;
        let g = generate(3, 0.1);
        for (c, v) in &g {
            let def = collection(c).unwrap();
            for f in v {
                let geom_ok = matches!(
                    (&f.geometry.value, def.geometry),
                    (geojson::Value::Point(_), GeometryKind::Point) | (geojson::Value::LineString(_), GeometryKind::LineString)
                );
                assert!(geom_ok, "{c}");
                for p in pos(&f.geometry) {
                    assert!(
                        p[0] >= bbox[0] - margin && p[0] <= bbox[2] + margin && p[1] >= bbox[1] - margin && p[1] <= bbox[3] + margin,
                        "{c} {p:?}"
                    );
                }
                assert_eq!(f.properties["owner_agency"], owner_agency(def.network));
                for (k, val) in &f.properties {
                    let attr = def.attribute(k).unwrap_or_else(|| panic!("{c} has no attribute {k}"));
                    assert!(
                        !["network", "asset_type", "flow_role", "valid_from", "valid_to"].contains(&k.as_str()),
                        "{c}: {k} is read-only"
                    );
                    match attr.ty {
                        AttrType::Text => {
                            let s = val.as_str().unwrap();
                            assert!(!s.is_empty());
                            assert!(attr.values.is_empty() || attr.values.contains(&s), "{c}: {k}={s}");
                        }
                        AttrType::Number => {
                            assert!(val.as_f64().is_some_and(|v| v.is_finite() && v >= 0.0 || k == "invert_level_m"), "{c}: {k}={val}")
                        }
                        AttrType::Integer => assert!(val.is_i64(), "{c}: {k}={val}"),
                        AttrType::Date => {
                            let s = val.as_str().unwrap();
                            let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
                            assert!((1990..=2025).contains(&chrono::Datelike::year(&d)), "{s}");
                        }
                        AttrType::Timestamp => panic!("{c}: {k} is set by the store"),
                    }
                }
                if let Some(d) = f.properties.get("diameter_mm").and_then(Value::as_f64) {
                    assert!((100.0..=2000.0).contains(&d), "{c}: {d}");
                }
                if let Some(v) = f.properties.get("voltage_kv").and_then(Value::as_f64) {
                    assert!([0.4, 22.0, 110.0].contains(&v), "{c}: {v}");
                }
            }
        }
        // Mostly functional.
        let all: Vec<&FeatureInput> = g.iter().flat_map(|(_, v)| v).collect();
        let functional = all.iter().filter(|f| f.properties["status"] == "functional").count();
        assert!(functional * 100 / all.len() >= 85, "{functional}/{}", all.len());
    }
}
