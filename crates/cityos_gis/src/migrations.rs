//! The GIS module's tables (versions 20261130000000..). Times are epoch
//! milliseconds (BIGINT) unless named `*_date`; geometries are GeoJSON text in
//! CRS84 with their bounding box, indexed by an R*Tree on SQLite and a
//! PostGIS `geometry(Geometry, 4326)` column on PostgreSQL.

use cityos_store::ModuleMigration;

/// Every GIS migration.
pub const MIGRATIONS: &[ModuleMigration] = &[];
