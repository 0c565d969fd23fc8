//! The jurisdiction tree: Ho Chi Minh City (GSO code 79) and its 168 wards,
//! communes and special zone since 1 July 2025, keyed by official codes with
//! effective dates; the 442 pre-2025 units mapped to the units they became,
//! so old addresses and data stay usable; boundaries as polygons.
//!
//! The reference data ships in `data/` (see its README for sources). No
//! package ships official ward boundaries, so the demo's ward areas are
//! illustrative (a weighted Voronoi partition of the published centroids),
//! flagged `boundary_source = 'illustrative'` until `cityos import
//! jurisdictions FILE.geojson` replaces them.

use crate::{record, Identity, IdentityError};
use cityos_api::ApiError;
use cityos_store::Backend;
use geo::{BoundingRect, Contains};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

const WARDS_CSV: &str = include_str!("../data/hcmc-wards-2025.csv");
const LEGACY_CSV: &str = include_str!("../data/hcmc-wards-before-2025.csv");
const OUTLINE: &str = include_str!("../data/hcmc-2025-outline.geojson");
const ILLUSTRATIVE: &str = include_str!("../data/hcmc-wards-2025-illustrative.geojson");

/// GSO code of Ho Chi Minh City.
pub const CITY_CODE: &str = "79";
/// The day the two-tier structure took effect.
pub const REFORM_DATE: &str = "2025-07-01";

/// A jurisdiction (without its geometry).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Jurisdiction {
    /// Official GSO code.
    pub code: String,
    /// Official name, e.g. `Phường Sài Gòn`.
    pub name: String,
    /// `thành phố`, `phường`, `xã` or `đặc khu`.
    pub division_type: String,
    /// 1 = city, 2 = ward/commune/special zone.
    pub level: i64,
    /// The enclosing unit.
    pub parent_code: Option<String>,
    /// First day in force (ISO date).
    pub valid_from: String,
    /// Last day in force, if abolished.
    pub valid_to: Option<String>,
    /// Published centroid latitude.
    pub lat: Option<f64>,
    /// Published centroid longitude.
    pub lon: Option<f64>,
    /// Published area in km².
    pub area_km2: Option<f64>,
    /// `illustrative`, `imported` or `none`.
    pub boundary_source: String,
}

/// A ward-level unit abolished on 1 July 2025 and what it became.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LegacyUnit {
    /// Former GSO code.
    pub code: String,
    /// Former name.
    pub name: String,
    /// Former district.
    pub district_name: String,
    /// Former province.
    pub province_name: String,
    /// Units it was merged into (codes).
    pub new_codes: Vec<String>,
    /// The unit most of it went to.
    pub default_new_code: String,
    /// Name of that unit.
    pub default_new_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WardRow {
    code: String,
    name: String,
    division_type: String,
    lat: f64,
    lon: f64,
    area_km2: f64,
}

#[derive(Debug, Deserialize)]
struct LegacyRow {
    province_code: String,
    province: String,
    district_code: String,
    district: String,
    ward_code: String,
    ward: String,
    lat: Option<f64>,
    lon: Option<f64>,
    new_ward_codes: String,
    default_new_ward_code: String,
}

fn jurisdiction_row(r: &sqlx::any::AnyRow) -> Result<Jurisdiction, sqlx::Error> {
    Ok(Jurisdiction {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        division_type: r.try_get("division_type")?,
        level: r.try_get("level")?,
        parent_code: r.try_get("parent_code")?,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
        lat: r.try_get("lat")?,
        lon: r.try_get("lon")?,
        area_km2: r.try_get("area_km2")?,
        boundary_source: r.try_get("boundary_source")?,
    })
}

const SELECT: &str =
    "SELECT code, name, division_type, level, parent_code, valid_from, valid_to, lat, lon, area_km2, boundary_source FROM jurisdictions";

/// Parses a GeoJSON geometry into `geo` types.
fn parse_geometry(g: &serde_json::Value) -> Result<geo::Geometry<f64>, IdentityError> {
    let gj: geojson::Geometry = serde_json::from_value(g.clone()).map_err(|e| IdentityError::Data(format!("bad GeoJSON geometry: {e}")))?;
    let geom: geo::Geometry<f64> =
        gj.value.try_into().map_err(|e: geojson::Error| IdentityError::Data(format!("bad GeoJSON geometry: {e}")))?;
    if !matches!(geom, geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_)) {
        return Err(IdentityError::Data("a jurisdiction boundary must be a Polygon or MultiPolygon".into()));
    }
    Ok(geom)
}

impl Identity {
    /// Loads the city, its 168 current units (with illustrative areas) and
    /// the 442 former units. Idempotent: existing rows are left as they are.
    /// Returns how many jurisdictions were added.
    ///
    /// # Errors
    /// Database failure or broken embedded data.
    pub async fn seed_reference(&self) -> Result<usize, IdentityError> {
        let db = self.db();
        let mut tx = db.begin().await?;
        let mut added = 0;
        let outline: serde_json::Value = serde_json::from_str(OUTLINE).map_err(|e| IdentityError::Data(e.to_string()))?;
        let mut polys = Vec::new();
        for f in outline["features"].as_array().into_iter().flatten() {
            match parse_geometry(&f["geometry"])? {
                geo::Geometry::Polygon(p) => polys.push(p),
                geo::Geometry::MultiPolygon(mp) => polys.extend(mp.0),
                _ => {}
            }
        }
        let city_geom = geojson::Geometry::from(&geo::Geometry::MultiPolygon(geo::MultiPolygon(polys)));
        added += self
            .insert_jurisdiction(
                &mut tx,
                CITY_CODE,
                "Thành phố Hồ Chí Minh",
                "thành phố",
                1,
                None,
                (Some(10.7769), Some(106.7009), Some(6772.6)),
                Some(&serde_json::to_value(&city_geom).unwrap_or_default()),
                "outline",
            )
            .await?;
        let shapes: serde_json::Value = serde_json::from_str(ILLUSTRATIVE).map_err(|e| IdentityError::Data(e.to_string()))?;
        let shape_of = |code: &str| {
            shapes["features"].as_array().and_then(|fs| fs.iter().find(|f| f["properties"]["code"] == code)).map(|f| f["geometry"].clone())
        };
        let mut rdr = csv::Reader::from_reader(WARDS_CSV.as_bytes());
        for row in rdr.deserialize::<WardRow>() {
            let w = row.map_err(|e| IdentityError::Data(e.to_string()))?;
            let geom = shape_of(&w.code);
            added += self
                .insert_jurisdiction(
                    &mut tx,
                    &w.code,
                    &w.name,
                    &w.division_type,
                    2,
                    Some(CITY_CODE),
                    (Some(w.lat), Some(w.lon), Some(w.area_km2)),
                    geom.as_ref(),
                    "illustrative",
                )
                .await?;
        }
        let mut rdr = csv::Reader::from_reader(LEGACY_CSV.as_bytes());
        for row in rdr.deserialize::<LegacyRow>() {
            let l = row.map_err(|e| IdentityError::Data(e.to_string()))?;
            let sql = match db.backend() {
                Backend::Sqlite => "INSERT OR IGNORE INTO legacy_units (code, name, name_folded, district_code, district_name, province_code, province_name, lat, lon, new_codes, default_new_code, valid_to) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '2025-06-30')",
                Backend::Postgres => "INSERT INTO legacy_units (code, name, name_folded, district_code, district_name, province_code, province_name, lat, lon, new_codes, default_new_code, valid_to) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '2025-06-30') ON CONFLICT (code) DO NOTHING",
            };
            sqlx::query(sql)
                .bind(&l.ward_code)
                .bind(&l.ward)
                .bind(cityos_text::fold(&format!("{} {}", l.ward, l.district)))
                .bind(&l.district_code)
                .bind(&l.district)
                .bind(&l.province_code)
                .bind(&l.province)
                .bind(l.lat)
                .bind(l.lon)
                .bind(&l.new_ward_codes)
                .bind(&l.default_new_ward_code)
                .execute(&mut *tx)
                .await?;
        }
        if added > 0 {
            cityos_audit::append(
                &mut tx,
                db.backend(),
                self.clock(),
                &record("system", "identity.jurisdiction.seed", "jurisdictions".into(), None),
            )
            .await?;
        }
        tx.commit().await?;
        self.inner.trees.invalidate();
        Ok(added)
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_jurisdiction(
        &self,
        tx: &mut cityos_store::Tx,
        code: &str,
        name: &str,
        division_type: &str,
        level: i64,
        parent: Option<&str>,
        (lat, lon, area): (Option<f64>, Option<f64>, Option<f64>),
        geometry: Option<&serde_json::Value>,
        source: &str,
    ) -> Result<usize, IdentityError> {
        if sqlx::query("SELECT 1 AS x FROM jurisdictions WHERE code = $1").bind(code).fetch_optional(&mut **tx).await?.is_some() {
            return Ok(0);
        }
        sqlx::query(
            "INSERT INTO jurisdictions (code, name, name_folded, division_type, level, parent_code, valid_from, lat, lon, area_km2, boundary_source)
             VALUES ($1, $2, $3, $4, $5, $6, $7, CAST(NULLIF($8, '') AS DOUBLE PRECISION), CAST(NULLIF($9, '') AS DOUBLE PRECISION),
                     CAST(NULLIF($10, '') AS DOUBLE PRECISION), 'none')",
        )
        .bind(code)
        .bind(name)
        .bind(cityos_text::fold(name))
        .bind(division_type)
        .bind(level)
        .bind(parent)
        .bind(REFORM_DATE)
        // Optional doubles travel as text: sqlx 0.8's Any driver types a NULL f64 as float4 on
        // PostgreSQL, and the cached statement then rejects later non-NULL values.
        .bind(lat.map(|x| x.to_string()).unwrap_or_default())
        .bind(lon.map(|x| x.to_string()).unwrap_or_default())
        .bind(area.map(|x| x.to_string()).unwrap_or_default())
        .execute(&mut **tx)
        .await?;
        if let Some(g) = geometry {
            self.set_boundary(tx, code, g, source).await?;
        }
        Ok(1)
    }

    async fn set_boundary(&self, tx: &mut cityos_store::Tx, code: &str, g: &serde_json::Value, source: &str) -> Result<(), IdentityError> {
        let geom = parse_geometry(g)?;
        let bbox = geom.bounding_rect().ok_or_else(|| IdentityError::Data(format!("empty boundary for {code}")))?;
        let text = g.to_string();
        match self.db().backend() {
            Backend::Sqlite => {
                let rid: i64 = sqlx::query("UPDATE jurisdictions SET geometry = $1, boundary_source = $2 WHERE code = $3 RETURNING rid")
                    .bind(&text)
                    .bind(source)
                    .bind(code)
                    .fetch_one(&mut **tx)
                    .await?
                    .try_get("rid")?;
                sqlx::query("INSERT OR REPLACE INTO jurisdictions_rtree (rid, minx, maxx, miny, maxy) VALUES ($1, $2, $3, $4, $5)")
                    .bind(rid)
                    .bind(bbox.min().x)
                    .bind(bbox.max().x)
                    .bind(bbox.min().y)
                    .bind(bbox.max().y)
                    .execute(&mut **tx)
                    .await?;
            }
            Backend::Postgres => {
                sqlx::query("UPDATE jurisdictions SET geometry = $1, boundary_source = $2, geom = ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) WHERE code = $3")
                    .bind(&text)
                    .bind(source)
                    .bind(code)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Replaces boundaries from a GeoJSON FeatureCollection whose features
    /// carry `properties.code` (and, for units not yet known, `name`,
    /// `division_type`). Returns how many boundaries were set.
    ///
    /// # Errors
    /// 422 for malformed input; nothing is changed then.
    pub async fn import_boundaries(&self, geojson_text: &str) -> Result<usize, IdentityError> {
        let fc: serde_json::Value = serde_json::from_str(geojson_text).map_err(|e| IdentityError::Data(format!("not JSON: {e}")))?;
        let features = fc["features"].as_array().ok_or_else(|| IdentityError::Data("expected a FeatureCollection".into()))?;
        let mut tx = self.db().begin().await?;
        let mut n = 0;
        for (i, f) in features.iter().enumerate() {
            let p = &f["properties"];
            let code = p["code"].as_str().map(str::to_string).or_else(|| p["code"].as_i64().map(|c| c.to_string()));
            let code = code.ok_or_else(|| IdentityError::Data(format!("feature {i} has no properties.code")))?;
            let exists =
                sqlx::query("SELECT 1 AS x FROM jurisdictions WHERE code = $1").bind(&code).fetch_optional(&mut *tx).await?.is_some();
            if exists {
                self.set_boundary(&mut tx, &code, &f["geometry"], "imported").await?;
            } else {
                let name = p["name"]
                    .as_str()
                    .ok_or_else(|| IdentityError::Data(format!("feature {i} (new unit {code}) needs properties.name")))?;
                let dt = p["division_type"].as_str().unwrap_or("phường");
                self.insert_jurisdiction(
                    &mut tx,
                    &code,
                    name,
                    dt,
                    2,
                    Some(CITY_CODE),
                    (None, None, None),
                    Some(&f["geometry"]),
                    "imported",
                )
                .await?;
            }
            n += 1;
        }
        cityos_audit::append(
            &mut tx,
            self.db().backend(),
            self.clock(),
            &record("system", "identity.jurisdiction.import", "jurisdictions".into(), None),
        )
        .await?;
        tx.commit().await?;
        self.inner.trees.invalidate();
        Ok(n)
    }

    /// Every jurisdiction, city first, then by name.
    ///
    /// # Errors
    /// Database failure.
    pub async fn jurisdictions(&self) -> Result<Vec<Jurisdiction>, IdentityError> {
        let sql = "SELECT code, name, division_type, level, parent_code, valid_from, valid_to, lat, lon, area_km2, boundary_source FROM jurisdictions ORDER BY level, name_folded";
        debug_assert!(sql.starts_with(SELECT));
        let rows = sqlx::query(sql).fetch_all(self.db().reader()).await?;
        Ok(rows.iter().map(jurisdiction_row).collect::<Result<_, _>>()?)
    }

    /// One jurisdiction.
    ///
    /// # Errors
    /// Database failure.
    pub async fn jurisdiction(&self, code: &str) -> Result<Option<Jurisdiction>, IdentityError> {
        let sql = "SELECT code, name, division_type, level, parent_code, valid_from, valid_to, lat, lon, area_km2, boundary_source FROM jurisdictions WHERE code = $1";
        let row = sqlx::query(sql).bind(code).fetch_optional(self.db().reader()).await?;
        Ok(row.as_ref().map(jurisdiction_row).transpose()?)
    }

    /// The level-2 units as a GeoJSON FeatureCollection, with label points.
    ///
    /// # Errors
    /// Database failure.
    pub async fn jurisdictions_geojson(&self) -> Result<serde_json::Value, IdentityError> {
        let rows = sqlx::query("SELECT code, name, division_type, lat, lon, area_km2, geometry, boundary_source FROM jurisdictions WHERE level = 2 AND geometry IS NOT NULL ORDER BY code")
            .fetch_all(self.db().reader())
            .await?;
        let mut features = Vec::with_capacity(rows.len());
        for r in &rows {
            let geometry: String = r.try_get("geometry")?;
            let source: String = r.try_get("boundary_source")?;
            features.push(serde_json::json!({
                "type": "Feature",
                "id": r.try_get::<String, _>("code")?,
                "properties": {
                    "code": r.try_get::<String, _>("code")?,
                    "name": r.try_get::<String, _>("name")?,
                    "division_type": r.try_get::<String, _>("division_type")?,
                    "area_km2": r.try_get::<Option<f64>, _>("area_km2")?,
                    "label_lat": r.try_get::<Option<f64>, _>("lat")?,
                    "label_lon": r.try_get::<Option<f64>, _>("lon")?,
                    "boundary_source": source,
                    "illustrative": source == "illustrative",
                },
                "geometry": serde_json::from_str::<serde_json::Value>(&geometry).unwrap_or(serde_json::Value::Null),
            }));
        }
        Ok(serde_json::json!({ "type": "FeatureCollection", "features": features }))
    }

    /// The ward, commune or special zone containing a point.
    ///
    /// # Errors
    /// Database failure.
    pub async fn locate(&self, lat: f64, lon: f64) -> Result<Option<Jurisdiction>, IdentityError> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(ApiError::invalid("lat must be within ±90 and lon within ±180").into());
        }
        let code: Option<String> = match self.db().backend() {
            Backend::Postgres => sqlx::query(
                "SELECT code FROM jurisdictions WHERE level = 2 AND ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) LIMIT 1",
            )
            .bind(lon)
            .bind(lat)
            .fetch_optional(self.db().reader())
            .await?
            .map(|r| r.try_get("code"))
            .transpose()?,
            Backend::Sqlite => {
                let rows = sqlx::query(
                    "SELECT j.code, j.geometry FROM jurisdictions j JOIN jurisdictions_rtree r ON r.rid = j.rid
                     WHERE j.level = 2 AND r.minx <= $1 AND r.maxx >= $1 AND r.miny <= $2 AND r.maxy >= $2",
                )
                .bind(lon)
                .bind(lat)
                .fetch_all(self.db().reader())
                .await?;
                let pt = geo::Point::new(lon, lat);
                let mut found = None;
                for r in rows {
                    let g: serde_json::Value = serde_json::from_str(&r.try_get::<String, _>("geometry")?).unwrap_or_default();
                    if parse_geometry(&g).is_ok_and(|geom| geom.contains(&pt)) {
                        found = Some(r.try_get("code")?);
                        break;
                    }
                }
                found
            }
        };
        match code {
            Some(c) => self.jurisdiction(&c).await,
            None => Ok(None),
        }
    }

    /// Former (pre-2025) units whose name or code matches `q`
    /// (diacritics-insensitive), with the units they became.
    ///
    /// # Errors
    /// Database failure.
    pub async fn legacy_units(&self, q: &str, limit: i64) -> Result<Vec<LegacyUnit>, IdentityError> {
        let folded = cityos_text::fold(q);
        let pattern = format!("%{}%", folded.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let rows = sqlx::query(
            "SELECT l.code, l.name, l.district_name, l.province_name, l.new_codes, l.default_new_code, j.name AS new_name
             FROM legacy_units l LEFT JOIN jurisdictions j ON j.code = l.default_new_code
             WHERE l.code = $1 OR l.name_folded LIKE $2 ESCAPE '\\' ORDER BY l.name_folded LIMIT $3",
        )
        .bind(q.trim())
        .bind(&pattern)
        .bind(limit.clamp(1, 200))
        .fetch_all(self.db().reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LegacyUnit {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    district_name: r.try_get("district_name")?,
                    province_name: r.try_get("province_name")?,
                    new_codes: r.try_get::<String, _>("new_codes")?.split_whitespace().map(str::to_string).collect(),
                    default_new_code: r.try_get("default_new_code")?,
                    default_new_name: r.try_get("new_name")?,
                })
            })
            .collect()
    }
}
