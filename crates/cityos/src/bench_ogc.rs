//! `cityos bench ogc`: the same OGC API – Features requests (random bounding
//! boxes over the city, optionally with a CQL2 filter) sent to any number
//! of servers in turn — CityOS and, side by side, another server (pygeoapi)
//! serving the same data — from `connections` concurrent clients each.

use anyhow::Result;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One server to measure: a name for the report and the base URL of its
/// OGC API landing page (e.g. `http://127.0.0.1:8080/ogc`).
#[derive(Debug, Clone)]
pub struct Target {
    /// Shown in the report.
    pub name: String,
    /// The landing page URL, without a trailing slash.
    pub base: String,
}

impl std::str::FromStr for Target {
    type Err = String;

    /// `name=url`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, base) = s.split_once('=').ok_or_else(|| format!("expected NAME=URL, got `{s}`"))?;
        Ok(Self { name: name.to_string(), base: base.trim_end_matches('/').to_string() })
    }
}

/// What one load run measured.
#[derive(Debug)]
pub struct GetLoad {
    /// Requests answered 200.
    pub ok: usize,
    /// Requests answered otherwise, or failed.
    pub failed: usize,
    /// Seconds the load ran.
    pub seconds: f64,
    /// Latencies of successful requests, sorted, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Features returned in all (from `numberReturned`).
    pub features: u64,
}

impl GetLoad {
    /// The `q`-quantile of the latencies (0–1).
    #[must_use]
    pub fn latency(&self, q: f64) -> f64 {
        crate::bench::quantile(&self.latencies_ms, q)
    }

    /// Successful requests per second.
    #[must_use]
    pub fn throughput(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let ok = self.ok as f64;
        if self.seconds > 0.0 {
            ok / self.seconds
        } else {
            0.0
        }
    }
}

/// Request paths (relative to a landing page) for `n` random boxes of
/// `size_deg` degrees inside central Ho Chi Minh City, deterministic for a
/// seed, each with `extra` appended to the query (e.g. `&filter=…`).
#[must_use]
pub fn bbox_paths(collection: &str, n: usize, size_deg: f64, limit: u32, extra: &str, seed: u64) -> Vec<String> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let x = rng.gen_range(106.55..(106.85 - size_deg));
            let y = rng.gen_range(10.70..(10.90 - size_deg));
            format!(
                "/collections/{collection}/items?f=json&limit={limit}&bbox={x:.5},{y:.5},{:.5},{:.5}{extra}",
                x + size_deg,
                y + size_deg
            )
        })
        .collect()
}

/// Sends GET `base + path` for the paths in turn from `connections` clients
/// for `seconds`.
///
/// # Errors
/// No request succeeded.
pub async fn get_load(base: &str, paths: Arc<Vec<String>>, connections: usize, seconds: u64) -> Result<GetLoad> {
    anyhow::ensure!(!paths.is_empty(), "no request paths");
    let client = reqwest::Client::builder().pool_max_idle_per_host(connections).timeout(Duration::from_secs(60)).build()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..connections.max(1) {
        let (client, base, paths) = (client.clone(), base.to_string(), paths.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed, mut features, mut lat) = (0usize, 0usize, 0u64, Vec::new());
            let mut i = worker;
            while Instant::now() < deadline {
                let url = format!("{base}{}", paths[i % paths.len()]);
                i += connections.max(1);
                let t0 = Instant::now();
                match client.get(&url).header("accept", "application/geo+json").send().await {
                    Ok(r) if r.status().is_success() => match r.json::<serde_json::Value>().await {
                        Ok(v) => {
                            ok += 1;
                            lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                            features += v
                                .get("numberReturned")
                                .and_then(serde_json::Value::as_u64)
                                .unwrap_or_else(|| v.get("features").and_then(serde_json::Value::as_array).map_or(0, |a| a.len() as u64));
                        }
                        Err(_) => failed += 1,
                    },
                    _ => failed += 1,
                }
            }
            (ok, failed, features, lat)
        }));
    }
    let (mut ok, mut failed, mut features, mut latencies_ms) = (0, 0, 0, Vec::new());
    for t in tasks {
        let (o, f, n, l) = t.await?;
        ok += o;
        failed += f;
        features += n;
        latencies_ms.extend(l);
    }
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(ok > 0, "no request to {base} succeeded ({failed} failed)");
    latencies_ms.sort_by(f64::total_cmp);
    Ok(GetLoad { ok, failed, seconds, latencies_ms, features })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_deterministic_and_inside_the_city() {
        let a = bbox_paths("water-pipes", 50, 0.01, 100, "", 7);
        assert_eq!(a, bbox_paths("water-pipes", 50, 0.01, 100, "", 7));
        assert_ne!(a, bbox_paths("water-pipes", 50, 0.01, 100, "", 8));
        for p in &a {
            let bbox = p.split("bbox=").nth(1).unwrap();
            let v: Vec<f64> = bbox.split(',').map(|s| s.parse().unwrap()).collect();
            assert!(v[0] >= 106.55 && v[2] <= 106.85 && v[1] >= 10.70 && v[3] <= 10.90, "{p}");
            assert!((v[2] - v[0] - 0.01).abs() < 1e-4);
        }
    }

    #[test]
    fn targets_parse() {
        let t: Target = "cityos=http://127.0.0.1:8080/ogc/".parse().unwrap();
        assert_eq!((t.name.as_str(), t.base.as_str()), ("cityos", "http://127.0.0.1:8080/ogc"));
        assert!("nourl".parse::<Target>().is_err());
    }
}
