//! The GIS module's tables (versions 20261130000000..20261130099999). Times
//! are epoch milliseconds (BIGINT) unless named `*_date`; geometries are
//! GeoJSON text in CRS84 with their bounding box, indexed by an R*Tree on
//! SQLite and a PostGIS `geometry(Geometry, 4326)` column on PostgreSQL.
//!
//! # `gis_features`: one row per current feature (the column contract)
//!
//! These names are stable: the CQL2 compiler (`crate::filter::schema`) maps
//! queryables onto them.
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `rid` | integer key | row key, also the R*Tree row id on SQLite |
//! | `id` | TEXT unique | the feature id |
//! | `collection` | TEXT | collection id (`water-valves`) |
//! | `network` | TEXT | `electricity`, `water`, … (read-only, from the collection) |
//! | `asset_type` | TEXT | `valve`, … (read-only, from the collection) |
//! | `kind` | TEXT | `link`, `node` or `facility` |
//! | `name` | TEXT null | the name as written |
//! | `name_folded` | TEXT null | `cityos_text` fold of `name` (accent- and case-insensitive search) |
//! | `owner_agency` | TEXT | owning agency code |
//! | `status` | TEXT null | one of `model::STATUSES` |
//! | `condition` | TEXT null | one of `model::CONDITIONS` |
//! | `material` | TEXT null | |
//! | `diameter_mm`, `voltage_kv`, `depth_m` | DOUBLE PRECISION null | |
//! | `install_date` | TEXT null | `YYYY-MM-DD` (sorts and compares as text) |
//! | `flow_role` | TEXT null | `source`/`sink` (read-only, from the collection) |
//! | `valid_from` | BIGINT | epoch ms when the current version became valid |
//! | `valid_to` | BIGINT null | epoch ms when it stops being valid; null = open |
//! | `extra` | TEXT | JSON object of the collection's own attributes (`CollectionDef::extra`); read it with `json_extract(extra, '$.<name>')` on SQLite and `(extra::jsonb ->> '<name>')` on PostgreSQL |
//! | `geometry` | TEXT | GeoJSON geometry, CRS84 |
//! | `minx`, `miny`, `maxx`, `maxy` | DOUBLE PRECISION | the geometry's bounding box (exact) |
//! | `geom` | geometry(Geometry,4326) | PostgreSQL only, GIST-indexed, set from `geometry` |
//! | `version` | BIGINT | 1 on creation, +1 per change (the ETag) |
//! | `created_by`, `updated_by` | TEXT | actor (`user:<id>`, `apikey:<id>`, `system`) |
//! | `created_at`, `updated_at` | BIGINT | epoch ms |
//!
//! SQLite keeps `gis_features_rtree(rid, minx, maxx, miny, maxy)` in step
//! with every insert, update and delete (same transaction).
//!
//! PostgreSQL indexes `geom` with GIST twice: `gis_features_geom` over every
//! feature (searches across collections, such as connecting a link to the
//! nodes of its network), and one partial index per collection,
//! `gis_features_geom_<collection>` (`WHERE collection = '<id>'`), for item
//! queries, which always name one collection and name it as a literal so
//! that the planner can prove the index's predicate (`store::search`). The
//! index then yields only that collection's candidates instead of every
//! collection's, which the table had to read and throw away (three rows in
//! four for water mains in the generated city).
//!
//! # `gis_feature_history`
//! Every version, deletions included: `feature_id`, `collection`, `version`,
//! `change` (`create`/`replace`/`update`/`delete`), `actor`, `valid_from`,
//! `valid_to` (null while current), `snapshot` (the feature as JSON, null for
//! a deletion).
//!
//! # `gis_connections`
//! A link end joined to a node: `link_id`, `link_end` (`from`/`to`),
//! `node_id`; at most one node per link end.

use cityos_store::ModuleMigration;

macro_rules! history_and_connections {
    () => {
        "
        CREATE INDEX gis_features_collection_id ON gis_features (collection, id);
        CREATE TABLE gis_feature_history (
            feature_id TEXT NOT NULL,
            collection TEXT NOT NULL,
            version BIGINT NOT NULL,
            change TEXT NOT NULL,
            actor TEXT NOT NULL,
            valid_from BIGINT NOT NULL,
            valid_to BIGINT,
            snapshot TEXT,
            PRIMARY KEY (feature_id, version)
        );
        CREATE TABLE gis_connections (
            link_id TEXT NOT NULL,
            link_end TEXT NOT NULL CHECK (link_end IN ('from', 'to')),
            node_id TEXT NOT NULL,
            PRIMARY KEY (link_id, link_end)
        );
        CREATE INDEX gis_connections_node ON gis_connections (node_id);"
    };
}

macro_rules! feature_columns {
    () => {
        "
            id TEXT NOT NULL UNIQUE,
            collection TEXT NOT NULL,
            network TEXT NOT NULL,
            asset_type TEXT NOT NULL,
            kind TEXT NOT NULL,
            name TEXT,
            name_folded TEXT,
            owner_agency TEXT NOT NULL,
            status TEXT,
            condition TEXT,
            material TEXT,
            diameter_mm DOUBLE PRECISION,
            voltage_kv DOUBLE PRECISION,
            depth_m DOUBLE PRECISION,
            install_date TEXT,
            flow_role TEXT,
            valid_from BIGINT NOT NULL,
            valid_to BIGINT,
            extra TEXT NOT NULL,
            geometry TEXT NOT NULL,
            minx DOUBLE PRECISION NOT NULL,
            miny DOUBLE PRECISION NOT NULL,
            maxx DOUBLE PRECISION NOT NULL,
            maxy DOUBLE PRECISION NOT NULL,
            version BIGINT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_by TEXT NOT NULL,
            updated_at BIGINT NOT NULL"
    };
}

/// Every GIS migration.
pub const MIGRATIONS: &[ModuleMigration] = &[
    ModuleMigration {
        version: 20_261_130_000_000,
        description: "gis features, history and connections",
        sqlite: concat!(
            "
        CREATE TABLE gis_features (
            rid INTEGER PRIMARY KEY AUTOINCREMENT,",
            feature_columns!(),
            "
        );
        CREATE VIRTUAL TABLE gis_features_rtree USING rtree(rid, minx, maxx, miny, maxy);",
            history_and_connections!()
        ),
        postgres: concat!(
            "
        CREATE EXTENSION IF NOT EXISTS postgis;
        CREATE TABLE gis_features (
            rid BIGSERIAL PRIMARY KEY,",
            feature_columns!(),
            ",
            geom geometry(Geometry, 4326)
        );
        CREATE INDEX gis_features_geom ON gis_features USING GIST (geom);",
            history_and_connections!()
        ),
    },
    ModuleMigration {
        version: 20_261_130_000_100,
        description: "gis features indexed by geometry per collection",
        // Nothing to do on SQLite: its R*Tree search is narrowed by collection afterwards.
        sqlite: "SELECT 1;",
        // One line per collection of `model::COLLECTIONS` (a test keeps them in step).
        postgres: "
        CREATE INDEX IF NOT EXISTS gis_features_geom_electricity_substations ON gis_features USING GIST (geom) WHERE collection = 'electricity-substations';
        CREATE INDEX IF NOT EXISTS gis_features_geom_electricity_transformers ON gis_features USING GIST (geom) WHERE collection = 'electricity-transformers';
        CREATE INDEX IF NOT EXISTS gis_features_geom_electricity_switches ON gis_features USING GIST (geom) WHERE collection = 'electricity-switches';
        CREATE INDEX IF NOT EXISTS gis_features_geom_electricity_poles ON gis_features USING GIST (geom) WHERE collection = 'electricity-poles';
        CREATE INDEX IF NOT EXISTS gis_features_geom_electricity_cables ON gis_features USING GIST (geom) WHERE collection = 'electricity-cables';
        CREATE INDEX IF NOT EXISTS gis_features_geom_water_treatment_plants ON gis_features USING GIST (geom) WHERE collection = 'water-treatment-plants';
        CREATE INDEX IF NOT EXISTS gis_features_geom_water_valves ON gis_features USING GIST (geom) WHERE collection = 'water-valves';
        CREATE INDEX IF NOT EXISTS gis_features_geom_water_hydrants ON gis_features USING GIST (geom) WHERE collection = 'water-hydrants';
        CREATE INDEX IF NOT EXISTS gis_features_geom_water_service_connections ON gis_features USING GIST (geom) WHERE collection = 'water-service-connections';
        CREATE INDEX IF NOT EXISTS gis_features_geom_water_pipes ON gis_features USING GIST (geom) WHERE collection = 'water-pipes';
        CREATE INDEX IF NOT EXISTS gis_features_geom_sewer_outfalls ON gis_features USING GIST (geom) WHERE collection = 'sewer-outfalls';
        CREATE INDEX IF NOT EXISTS gis_features_geom_sewer_manholes ON gis_features USING GIST (geom) WHERE collection = 'sewer-manholes';
        CREATE INDEX IF NOT EXISTS gis_features_geom_sewer_pipes ON gis_features USING GIST (geom) WHERE collection = 'sewer-pipes';
        CREATE INDEX IF NOT EXISTS gis_features_geom_telecom_exchanges ON gis_features USING GIST (geom) WHERE collection = 'telecom-exchanges';
        CREATE INDEX IF NOT EXISTS gis_features_geom_telecom_cabinets ON gis_features USING GIST (geom) WHERE collection = 'telecom-cabinets';
        CREATE INDEX IF NOT EXISTS gis_features_geom_telecom_manholes ON gis_features USING GIST (geom) WHERE collection = 'telecom-manholes';
        CREATE INDEX IF NOT EXISTS gis_features_geom_telecom_ducts ON gis_features USING GIST (geom) WHERE collection = 'telecom-ducts';
        CREATE INDEX IF NOT EXISTS gis_features_geom_telecom_cables ON gis_features USING GIST (geom) WHERE collection = 'telecom-cables';
        CREATE INDEX IF NOT EXISTS gis_features_geom_thermal_plants ON gis_features USING GIST (geom) WHERE collection = 'thermal-plants';
        CREATE INDEX IF NOT EXISTS gis_features_geom_thermal_pipes ON gis_features USING GIST (geom) WHERE collection = 'thermal-pipes';
        CREATE INDEX IF NOT EXISTS gis_features_geom_post_offices ON gis_features USING GIST (geom) WHERE collection = 'post-offices';",
    },
];

#[cfg(test)]
mod tests {
    /// Every collection of the model has its partial GIST index on
    /// PostgreSQL, under the name and predicate item queries rely on.
    #[test]
    fn every_collection_has_its_geometry_index() {
        let sql = super::MIGRATIONS.iter().map(|m| m.postgres).collect::<String>();
        for c in crate::model::COLLECTIONS {
            let line = format!(
                "CREATE INDEX IF NOT EXISTS gis_features_geom_{} ON gis_features USING GIST (geom) WHERE collection = '{}';",
                c.id.replace('-', "_"),
                c.id
            );
            assert!(sql.contains(&line), "no index for {}", c.id);
        }
    }
}
