//! Connectivity between links and nodes. The invariant, kept in the same
//! transaction as every edit: each end of a link is connected to the nearest
//! node of the same network within [`TOLERANCE_M`] metres of that end (ties
//! go to the smaller id), or to nothing when no node is that close.
//!
//! Single edits recompute the ends they can affect with window queries on
//! the spatial index (R*Tree on SQLite, GIST on PostgreSQL); bulk loads use
//! an in-memory [`Grid`] of the nodes of the batch plus the stored ones.

use crate::GisError;
use cityos_store::{Backend, Tx};
use sqlx::Row as _;
use std::collections::HashMap;

/// How close (metres) a link end must be to a node to connect.
pub const TOLERANCE_M: f64 = 1.0;

/// Metres per degree of latitude (mean).
const M_PER_DEG: f64 = 111_320.0;

/// A node's position.
#[derive(Debug, Clone, PartialEq)]
pub struct NodePos {
    /// Node id.
    pub id: String,
    /// Longitude.
    pub x: f64,
    /// Latitude.
    pub y: f64,
}

/// Great-circle distance in metres (haversine, mean Earth radius).
#[must_use]
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_008.8;
    let (lat1, lat2) = (a.1.to_radians(), b.1.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.0 - a.0).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// `[minx, miny, maxx, maxy]` around `p`, a little wider than the tolerance.
#[must_use]
pub fn window(p: (f64, f64), margin_m: f64) -> [f64; 4] {
    let dy = margin_m * 1.5 / M_PER_DEG;
    let dx = dy / p.1.to_radians().cos().abs().max(0.01);
    [p.0 - dx, p.1 - dy, p.0 + dx, p.1 + dy]
}

/// The nearest node within the tolerance of `end`.
pub fn nearest<'a>(end: (f64, f64), nodes: impl IntoIterator<Item = &'a NodePos>) -> Option<&'a NodePos> {
    let mut best: Option<(f64, &NodePos)> = None;
    for n in nodes {
        let d = distance_m(end, (n.x, n.y));
        if d > TOLERANCE_M {
            continue;
        }
        let better = match best {
            None => true,
            Some((bd, bn)) => d < bd || (d == bd && n.id < bn.id),
        };
        if better {
            best = Some((d, n));
        }
    }
    best.map(|(_, n)| n)
}

/// The first and last positions of a LineString.
#[must_use]
pub fn ends(g: &geojson::Geometry) -> Option<[(f64, f64); 2]> {
    match &g.value {
        geojson::Value::LineString(ps) => {
            let first = ps.first().filter(|p| p.len() >= 2)?;
            let last = ps.last().filter(|p| p.len() >= 2)?;
            Some([(first[0], first[1]), (last[0], last[1])])
        }
        _ => None,
    }
}

/// A point's position.
#[must_use]
pub fn point(g: &geojson::Geometry) -> Option<(f64, f64)> {
    match &g.value {
        geojson::Value::Point(p) if p.len() >= 2 => Some((p[0], p[1])),
        _ => None,
    }
}

/// The names of a link's ends, in the order of [`ends`].
pub const END_NAMES: [&str; 2] = ["from", "to"];

/// Nodes of `network` whose position lies in `w`.
///
/// # Errors
/// Database failure.
pub async fn nodes_in(tx: &mut Tx, backend: Backend, network: &str, w: [f64; 4]) -> Result<Vec<NodePos>, GisError> {
    let sql = backend.pick(
        "SELECT f.id AS id, f.minx AS x, f.miny AS y FROM gis_features_rtree r CROSS JOIN gis_features f ON f.rid = r.rid \
         WHERE r.minx <= $1 AND r.maxx >= $2 AND r.miny <= $3 AND r.maxy >= $4 AND f.network = $5 AND f.kind = 'node'",
        "SELECT id, minx AS x, miny AS y FROM gis_features \
         WHERE geom && ST_MakeEnvelope($2, $4, $1, $3, 4326) AND network = $5 AND kind = 'node'",
    );
    let rows = sqlx::query(sql).bind(w[2]).bind(w[0]).bind(w[3]).bind(w[1]).bind(network).fetch_all(&mut **tx).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(NodePos { id: r.try_get("id")?, x: r.try_get("x")?, y: r.try_get("y")? });
    }
    Ok(out)
}

/// Links of `network` whose bounding box meets `w`: `(id, geometry)`.
///
/// # Errors
/// Database failure or a stored geometry that does not parse.
pub async fn links_in(tx: &mut Tx, backend: Backend, network: &str, w: [f64; 4]) -> Result<Vec<(String, geojson::Geometry)>, GisError> {
    let sql = backend.pick(
        "SELECT f.id AS id, f.geometry AS geometry FROM gis_features_rtree r CROSS JOIN gis_features f ON f.rid = r.rid \
         WHERE r.minx <= $1 AND r.maxx >= $2 AND r.miny <= $3 AND r.maxy >= $4 AND f.network = $5 AND f.kind = 'link'",
        "SELECT id, geometry FROM gis_features \
         WHERE geom && ST_MakeEnvelope($2, $4, $1, $3, 4326) AND network = $5 AND kind = 'link'",
    );
    let rows = sqlx::query(sql).bind(w[2]).bind(w[0]).bind(w[3]).bind(w[1]).bind(network).fetch_all(&mut **tx).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let text: String = r.try_get("geometry")?;
        out.push((r.try_get("id")?, super::parse_geometry(&text)?));
    }
    Ok(out)
}

/// Sets one link end's connection (`None`: unconnected).
async fn set_end(tx: &mut Tx, link_id: &str, end: &str, node: Option<&str>) -> Result<(), GisError> {
    sqlx::query("DELETE FROM gis_connections WHERE link_id = $1 AND link_end = $2").bind(link_id).bind(end).execute(&mut **tx).await?;
    if let Some(node) = node {
        sqlx::query("INSERT INTO gis_connections (link_id, link_end, node_id) VALUES ($1, $2, $3)")
            .bind(link_id)
            .bind(end)
            .bind(node)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Recomputes one link end from the stored nodes.
async fn recompute_end(tx: &mut Tx, backend: Backend, network: &str, link_id: &str, end: &str, pos: (f64, f64)) -> Result<(), GisError> {
    let nodes = nodes_in(tx, backend, network, window(pos, TOLERANCE_M)).await?;
    let best = nearest(pos, &nodes).map(|n| n.id.clone());
    set_end(tx, link_id, end, best.as_deref()).await
}

/// A link was created or its geometry replaced: connects both ends.
///
/// # Errors
/// Database failure.
pub async fn link_written(tx: &mut Tx, backend: Backend, network: &str, link_id: &str, g: &geojson::Geometry) -> Result<(), GisError> {
    sqlx::query("DELETE FROM gis_connections WHERE link_id = $1").bind(link_id).execute(&mut **tx).await?;
    let Some(ends) = ends(g) else { return Ok(()) };
    for (pos, name) in ends.into_iter().zip(END_NAMES) {
        recompute_end(tx, backend, network, link_id, name, pos).await?;
    }
    Ok(())
}

/// A link was deleted: removes its connections.
///
/// # Errors
/// Database failure.
pub async fn link_removed(tx: &mut Tx, link_id: &str) -> Result<(), GisError> {
    sqlx::query("DELETE FROM gis_connections WHERE link_id = $1").bind(link_id).execute(&mut **tx).await?;
    Ok(())
}

/// A node was created, moved or deleted (the stored rows already reflect
/// it): recomputes every link end it was connected to and every link end
/// near its new position (`None` when deleted), so ends connect to it, move
/// to a nearer node, or disconnect when it moved away.
///
/// # Errors
/// Database failure.
pub async fn node_changed(tx: &mut Tx, backend: Backend, network: &str, node_id: &str, pos: Option<(f64, f64)>) -> Result<(), GisError> {
    let mut affected: Vec<(String, String)> = Vec::new();
    for r in sqlx::query("SELECT link_id, link_end FROM gis_connections WHERE node_id = $1").bind(node_id).fetch_all(&mut **tx).await? {
        affected.push((r.try_get("link_id")?, r.try_get("link_end")?));
    }
    if let Some(p) = pos {
        for (id, g) in links_in(tx, backend, network, window(p, TOLERANCE_M)).await? {
            if let Some(ends) = ends(&g) {
                for (end, name) in ends.into_iter().zip(END_NAMES) {
                    if distance_m(end, p) <= TOLERANCE_M && !affected.iter().any(|(l, e)| *l == id && e == name) {
                        affected.push((id.clone(), name.to_string()));
                    }
                }
            }
        }
    }
    for (link_id, end) in affected {
        let row = sqlx::query("SELECT geometry FROM gis_features WHERE id = $1").bind(&link_id).fetch_optional(&mut **tx).await?;
        let Some(row) = row else {
            set_end(tx, &link_id, &end, None).await?;
            continue;
        };
        let g = super::parse_geometry(&row.try_get::<String, _>("geometry")?)?;
        let Some(link_ends) = ends(&g) else { continue };
        let pos = if end == "from" { link_ends[0] } else { link_ends[1] };
        recompute_end(tx, backend, network, &link_id, &end, pos).await?;
    }
    Ok(())
}

/// Nodes in a uniform grid of about 11 m cells, for bulk loads: the
/// tolerance is far smaller than a cell, so a lookup reads 3 × 3 cells.
#[derive(Debug, Default)]
pub struct Grid {
    cells: HashMap<(i64, i64), Vec<NodePos>>,
}

const CELL_DEG: f64 = 1.0e-4;

#[expect(clippy::cast_possible_truncation, reason = "coordinates are checked to be within ±180°, so cells fit i64")]
fn cell(x: f64, y: f64) -> (i64, i64) {
    ((x / CELL_DEG).floor() as i64, (y / CELL_DEG).floor() as i64)
}

impl Grid {
    /// Adds a node.
    pub fn insert(&mut self, n: NodePos) {
        self.cells.entry(cell(n.x, n.y)).or_default().push(n);
    }

    /// The nearest node within the tolerance of `p`.
    #[must_use]
    pub fn nearest(&self, p: (f64, f64)) -> Option<&NodePos> {
        let (cx, cy) = cell(p.0, p.1);
        // Near the poles a metre spans more than a cell of longitude.
        let reach = (1.0 / p.1.to_radians().cos().abs().max(0.01)).ceil().min(100.0);
        #[expect(clippy::cast_possible_truncation, reason = "bounded to 1..=100 above")]
        let rx = reach as i64;
        let candidates =
            (cx - rx..=cx + rx).flat_map(move |x| (cy - 1..=cy + 1).map(move |y| (x, y))).filter_map(|k| self.cells.get(&k)).flatten();
        nearest(p, candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_is_in_metres() {
        let a = (106.7, 10.78);
        let b = (106.7, 10.78 + 1.0 / M_PER_DEG);
        assert!((distance_m(a, b) - 1.0).abs() < 0.01, "{}", distance_m(a, b));
    }

    #[test]
    fn nearest_within_tolerance_wins_and_ties_go_to_the_smaller_id() {
        let p = (106.7, 10.78);
        let d = 0.5 / M_PER_DEG;
        let nodes = vec![
            NodePos { id: "far".into(), x: p.0, y: p.1 + 3.0 / M_PER_DEG },
            NodePos { id: "b".into(), x: p.0, y: p.1 + d },
            NodePos { id: "a".into(), x: p.0, y: p.1 - d },
            NodePos { id: "c".into(), x: p.0, y: p.1 + 0.9 / M_PER_DEG },
        ];
        assert_eq!(nearest(p, &nodes).map(|n| n.id.as_str()), Some("a"));
        assert!(nearest((106.8, 10.8), &nodes).is_none());
        let mut g = Grid::default();
        for n in nodes {
            g.insert(n);
        }
        assert_eq!(g.nearest(p).map(|n| n.id.as_str()), Some("a"));
        // Across a cell border.
        let border = (0.000_099_999, 10.0);
        g.insert(NodePos { id: "x".into(), x: 0.000_100_001, y: 10.0 });
        assert_eq!(g.nearest(border).map(|n| n.id.as_str()), Some("x"));
    }
}
