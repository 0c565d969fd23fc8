//! Collection extents computed from the data: the bounding box of the
//! current features' boxes and the span of their validity, per collection.
//!
//! One aggregate over `gis_features` (`GROUP BY collection` over the stored
//! `minx`/`miny`/`maxx`/`maxy` and `valid_from` columns, no geometry parsed)
//! answers every collection at once; the result is kept in memory for
//! [`EXTENT_TTL_MS`] of the service clock, per database, and dropped at
//! once by [`Gis::invalidate_extents`] (every successful write through the
//! service calls it — OGC, console, imports, demo — so writers see their own changes).

use crate::{Gis, GisError};
use sqlx::Row as _;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

/// How long computed extents are reused (milliseconds of the service clock).
pub const EXTENT_TTL_MS: i64 = 60_000;

/// The extent of one collection's current features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// `[minx, miny, maxx, maxy]`, CRS84.
    pub bbox: [f64; 4],
    /// The earliest `valid_from` (epoch ms).
    pub start: i64,
    /// The latest `valid_to` (epoch ms), `None` while some feature is still valid (always, for current features).
    pub end: Option<i64>,
    /// How many current features the collection holds.
    pub count: u64,
}

/// Extents by collection id, as computed at `at_ms`.
#[derive(Debug)]
struct Cached {
    at_ms: i64,
    extents: Arc<HashMap<String, Extent>>,
}

/// Computed extents per database (keyed by its URL, so services over
/// different databases in one process never share them).
static CACHE: LazyLock<Mutex<HashMap<String, Cached>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

const EXTENT_SQL: &str = "SELECT collection, MIN(minx) AS minx, MIN(miny) AS miny, MAX(maxx) AS maxx, MAX(maxy) AS maxy, \
                          MIN(valid_from) AS vmin, MAX(valid_to) AS vmax, COUNT(*) AS n, COUNT(valid_to) AS n_closed \
                          FROM gis_features GROUP BY collection";

impl Gis {
    /// The extents of every non-empty collection (a collection without
    /// current features has no entry), from the cache when fresh.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn extents(&self) -> Result<Arc<HashMap<String, Extent>>, GisError> {
        let key = self.db.url().to_string();
        let now = self.clock.now().timestamp_millis();
        {
            let cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(c) = cache.get(&key) {
                let age = now.saturating_sub(c.at_ms);
                if (0..EXTENT_TTL_MS).contains(&age) {
                    return Ok(Arc::clone(&c.extents));
                }
            }
        }
        let extents = Arc::new(self.compute_extents().await?);
        CACHE.lock().unwrap_or_else(PoisonError::into_inner).insert(key, Cached { at_ms: now, extents: Arc::clone(&extents) });
        Ok(extents)
    }

    /// The extent of one collection, `None` when it holds no current feature.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn extent(&self, collection: &str) -> Result<Option<Extent>, GisError> {
        Ok(self.extents().await?.get(collection).copied())
    }

    /// Drops the cached extents of this service's database, so the next
    /// read computes them afresh.
    pub fn invalidate_extents(&self) {
        CACHE.lock().unwrap_or_else(PoisonError::into_inner).remove(self.db.url());
    }

    async fn compute_extents(&self) -> Result<HashMap<String, Extent>, GisError> {
        let rows = sqlx::query(EXTENT_SQL).fetch_all(self.db.reader()).await?;
        let mut out = HashMap::with_capacity(rows.len());
        for r in rows {
            let n: i64 = r.try_get("n")?;
            let closed: i64 = r.try_get("n_closed")?;
            let bbox = [r.try_get::<f64, _>("minx")?, r.try_get("miny")?, r.try_get("maxx")?, r.try_get("maxy")?];
            if n <= 0 || bbox.iter().any(|v| !v.is_finite()) {
                continue;
            }
            let end: Option<i64> = if closed == n { r.try_get("vmax")? } else { None };
            out.insert(
                r.try_get::<String, _>("collection")?,
                Extent { bbox, start: r.try_get("vmin")?, end, count: u64::try_from(n).unwrap_or(0) },
            );
        }
        Ok(out)
    }
}
