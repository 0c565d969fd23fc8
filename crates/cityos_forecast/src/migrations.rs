//! The forecasting centre's tables (versions 20_261_201_000_000 and up). Times are epoch
//! milliseconds; booleans are 0/1 BIGINTs; periods are month indexes (`year * 12 + month - 1`).
//!
//! - `forecast_indicators`: one row per indicator; `latest_vintage` is the last vintage's `seq`
//!   (0 before any observation), `source` a JSON object, `search` the folded code and names.
//! - `forecast_vintages`: one row per upload (`indicator_id`, `seq` from 1), who, when, note and
//!   counts of added, revised and unchanged values.
//! - `forecast_observations`: `(indicator_id, period, vintage, value)`, a row only where a vintage
//!   added or changed a value; the series as of vintage V is, per period, the row with the
//!   largest `vintage <= V`.
//! - `forecast_runs`: a stored run; `document` is the whole run as JSON (request, inputs,
//!   results), the other columns are for listing.

use cityos_store::ModuleMigration;

macro_rules! tables {
    () => {
        "
        CREATE TABLE forecast_indicators (
            id TEXT PRIMARY KEY,
            name_vi TEXT NOT NULL,
            name_en TEXT NOT NULL,
            unit TEXT NOT NULL,
            frequency TEXT NOT NULL,
            jurisdiction TEXT NOT NULL,
            parent_id TEXT,
            source TEXT NOT NULL,
            classification TEXT NOT NULL,
            illustrative BIGINT NOT NULL,
            main BIGINT NOT NULL,
            search TEXT NOT NULL,
            latest_vintage BIGINT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_by TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE INDEX forecast_indicators_parent ON forecast_indicators (parent_id);
        CREATE TABLE forecast_vintages (
            indicator_id TEXT NOT NULL REFERENCES forecast_indicators (id),
            seq BIGINT NOT NULL,
            note TEXT,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            added BIGINT NOT NULL,
            revised BIGINT NOT NULL,
            unchanged BIGINT NOT NULL,
            PRIMARY KEY (indicator_id, seq)
        );
        CREATE TABLE forecast_observations (
            indicator_id TEXT NOT NULL REFERENCES forecast_indicators (id),
            period BIGINT NOT NULL,
            vintage BIGINT NOT NULL,
            value DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (indicator_id, period, vintage)
        );
        CREATE TABLE forecast_runs (
            id TEXT PRIMARY KEY,
            indicator_id TEXT NOT NULL REFERENCES forecast_indicators (id),
            seq BIGINT NOT NULL,
            vintage BIGINT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            selected_model TEXT NOT NULL,
            label TEXT NOT NULL,
            horizon BIGINT NOT NULL,
            first_period TEXT NOT NULL,
            next_value DOUBLE PRECISION NOT NULL,
            document TEXT NOT NULL,
            UNIQUE (indicator_id, seq)
        );"
    };
}

/// The module's migrations.
pub const MIGRATIONS: &[ModuleMigration] = &[ModuleMigration {
    version: 20_261_201_000_000,
    description: "forecasting centre: indicators, vintages, observations, runs",
    sqlite: tables!(),
    postgres: tables!(),
}];
