//! Identity's tables. Jurisdiction geometry is GeoJSON text on both
//! backends, indexed by an R*Tree on SQLite and a PostGIS column on PostgreSQL.

use cityos_store::ModuleMigration;

/// Former units and agencies: the same on both backends.
macro_rules! legacy_and_agencies {
    () => {
        "
        CREATE TABLE legacy_units (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            name_folded TEXT NOT NULL,
            district_code TEXT NOT NULL,
            district_name TEXT NOT NULL,
            province_code TEXT NOT NULL,
            province_name TEXT NOT NULL,
            lat DOUBLE PRECISION,
            lon DOUBLE PRECISION,
            new_codes TEXT NOT NULL,
            default_new_code TEXT NOT NULL,
            valid_to TEXT NOT NULL
        );
        CREATE TABLE agencies (
            code TEXT PRIMARY KEY,
            name_vi TEXT NOT NULL,
            name_en TEXT NOT NULL,
            kind TEXT NOT NULL,
            parent_code TEXT REFERENCES agencies(code),
            jurisdiction_code TEXT,
            created_at BIGINT NOT NULL
        );"
    };
}

/// Identity's migrations (versions 20261127000400..).
pub const MIGRATIONS: &[ModuleMigration] = &[
    ModuleMigration {
        version: 20_261_127_000_400,
        description: "jurisdictions and agencies",
        sqlite: concat!(
            "
        CREATE TABLE jurisdictions (
            rid INTEGER PRIMARY KEY AUTOINCREMENT,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            name_folded TEXT NOT NULL,
            division_type TEXT NOT NULL,
            level BIGINT NOT NULL,
            parent_code TEXT,
            valid_from TEXT NOT NULL,
            valid_to TEXT,
            lat DOUBLE PRECISION,
            lon DOUBLE PRECISION,
            area_km2 DOUBLE PRECISION,
            geometry TEXT,
            boundary_source TEXT NOT NULL DEFAULT 'none'
        );
        CREATE VIRTUAL TABLE jurisdictions_rtree USING rtree(rid, minx, maxx, miny, maxy);",
            legacy_and_agencies!()
        ),
        postgres: concat!(
            "
        CREATE EXTENSION IF NOT EXISTS postgis;
        CREATE TABLE jurisdictions (
            rid BIGSERIAL PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            name_folded TEXT NOT NULL,
            division_type TEXT NOT NULL,
            level BIGINT NOT NULL,
            parent_code TEXT,
            valid_from TEXT NOT NULL,
            valid_to TEXT,
            lat DOUBLE PRECISION,
            lon DOUBLE PRECISION,
            area_km2 DOUBLE PRECISION,
            geometry TEXT,
            boundary_source TEXT NOT NULL DEFAULT 'none',
            geom geometry(Geometry, 4326)
        );
        CREATE INDEX jurisdictions_geom ON jurisdictions USING GIST (geom);",
            legacy_and_agencies!()
        ),
    },
    ModuleMigration {
        version: 20_261_127_000_410,
        description: "staff users, grants, sessions, api keys",
        sqlite: SQL_USERS,
        postgres: SQL_USERS,
    },
    ModuleMigration { version: 20_261_127_000_420, description: "citizen accounts", sqlite: SQL_CITIZENS, postgres: SQL_CITIZENS },
];

const SQL_USERS: &str = "
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    agency_code TEXT REFERENCES agencies(code),
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    mfa_enabled BIGINT NOT NULL DEFAULT 0,
    totp_last_step BIGINT,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);
CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    scope_kind TEXT NOT NULL,
    scope_code TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX grants_unique ON grants (user_id, role, scope_kind, COALESCE(scope_code, ''));
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_subject ON sessions (subject_kind, subject_id);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    last_used_at BIGINT
);";

const SQL_CITIZENS: &str = "
CREATE TABLE citizens (
    id TEXT PRIMARY KEY,
    contact_kind TEXT NOT NULL,
    contact TEXT NOT NULL UNIQUE,
    display_name TEXT,
    locale TEXT NOT NULL DEFAULT 'vi',
    created_at BIGINT NOT NULL
);
CREATE TABLE citizen_codes (
    id TEXT PRIMARY KEY,
    contact TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    consumed_at BIGINT
);
CREATE INDEX citizen_codes_contact ON citizen_codes (contact, created_at);";
