//! The data hub's tables (versions 20261129000000..). The catalogue tables
//! below are the contract every part of the module builds on; each part adds
//! its own tables as a further migration here, with a version above the last.
//!
//! Times are epoch milliseconds (BIGINT); flags are BIGINT 0/1; lists are
//! JSON text.

use cityos_store::ModuleMigration;

const CATALOGUE_SQL: &str = "
CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    title_vi TEXT NOT NULL,
    title_en TEXT NOT NULL DEFAULT '',
    notes_vi TEXT NOT NULL DEFAULT '',
    notes_en TEXT NOT NULL DEFAULT '',
    owner_agency TEXT NOT NULL,
    sharing_level TEXT NOT NULL CHECK (sharing_level IN ('open', 'shared', 'restricted')),
    license_id TEXT NOT NULL DEFAULT '',
    update_frequency TEXT NOT NULL DEFAULT '',
    spatial TEXT,
    temporal_start TEXT,
    temporal_end TEXT,
    contact_name TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    legal_basis TEXT NOT NULL DEFAULT '',
    themes TEXT NOT NULL DEFAULT '[]',
    search TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'draft', 'deleted')),
    revision BIGINT NOT NULL DEFAULT 1,
    views BIGINT NOT NULL DEFAULT 0,
    downloads BIGINT NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE INDEX datasets_owner ON datasets (owner_agency, state);
CREATE INDEX datasets_level ON datasets (sharing_level, state, modified_at);

CREATE TABLE dataset_tags (
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (dataset_id, tag)
);
CREATE INDEX dataset_tags_tag ON dataset_tags (tag);

CREATE TABLE resources (
    id TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    position BIGINT NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('upload', 'url')),
    url TEXT,
    current_version BIGINT NOT NULL DEFAULT 0,
    datastore_table TEXT,
    row_count BIGINT,
    size_bytes BIGINT,
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'deleted')),
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE INDEX resources_dataset ON resources (dataset_id, position);

CREATE TABLE resource_versions (
    id TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources (id),
    version BIGINT NOT NULL,
    file_path TEXT,
    sha256 TEXT,
    size_bytes BIGINT,
    source_encoding TEXT,
    row_count BIGINT,
    schema_json TEXT NOT NULL DEFAULT '[]',
    diff_json TEXT NOT NULL DEFAULT '{}',
    created_by TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (resource_id, version)
);

CREATE TABLE resource_fields (
    resource_id TEXT NOT NULL REFERENCES resources (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    data_type TEXT NOT NULL,
    nullable BIGINT NOT NULL DEFAULT 1,
    personal BIGINT NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (resource_id, name)
);
";

/// CKAN extras and the CKAN core fields CityOS does not model itself
/// (`author`, `author_email`, `url`, `version`): kept so that what a CKAN
/// client writes, it reads back. Indexes for the catalogue's sorts (per
/// sharing level, as searches filter by it).
///
/// `datasets.tags_index` and `formats_index` hold `|a|b|`: the dataset's
/// tags and its active resources' formats (upper case), for tag and format
/// clauses without a subquery per dataset. Triggers keep them in step with
/// `dataset_tags` and `resources` in the writing transaction, whichever
/// part of the module writes (the catalogue, or the ingest setting a
/// resource's format).
macro_rules! extras_sql {
    ($agg:literal) => {
        concat!(
            "
CREATE TABLE dataset_extras (
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (dataset_id, name)
);
CREATE INDEX datasets_level_title ON datasets (sharing_level, state, title_vi);
CREATE INDEX datasets_level_name ON datasets (sharing_level, state, name);
CREATE INDEX datasets_level_created ON datasets (sharing_level, state, created_at);
ALTER TABLE datasets ADD COLUMN tags_index TEXT NOT NULL DEFAULT '|';
ALTER TABLE datasets ADD COLUMN formats_index TEXT NOT NULL DEFAULT '|';
UPDATE datasets SET
    tags_index = COALESCE((SELECT '|' || ",
            $agg,
            "(t.tag, '|') || '|' FROM dataset_tags t WHERE t.dataset_id = datasets.id), '|'),
    formats_index = COALESCE((SELECT '|' || ",
            $agg,
            "(UPPER(r.format), '|') || '|' FROM resources r WHERE r.dataset_id = datasets.id AND r.state = 'active'), '|');
"
        )
    };
}

const EXTRAS_SQLITE: &str = concat!(
    extras_sql!("group_concat"),
    "
CREATE TRIGGER datasets_tags_index_insert AFTER INSERT ON dataset_tags BEGIN
    UPDATE datasets SET tags_index = COALESCE((SELECT '|' || group_concat(t.tag, '|') || '|' FROM dataset_tags t WHERE t.dataset_id = NEW.dataset_id), '|')
    WHERE id = NEW.dataset_id;
END;
CREATE TRIGGER datasets_tags_index_delete AFTER DELETE ON dataset_tags BEGIN
    UPDATE datasets SET tags_index = COALESCE((SELECT '|' || group_concat(t.tag, '|') || '|' FROM dataset_tags t WHERE t.dataset_id = OLD.dataset_id), '|')
    WHERE id = OLD.dataset_id;
END;
CREATE TRIGGER datasets_formats_index_insert AFTER INSERT ON resources BEGIN
    UPDATE datasets SET formats_index = COALESCE((SELECT '|' || group_concat(UPPER(r.format), '|') || '|' FROM resources r
        WHERE r.dataset_id = NEW.dataset_id AND r.state = 'active'), '|')
    WHERE id = NEW.dataset_id;
END;
CREATE TRIGGER datasets_formats_index_update AFTER UPDATE OF format, state, dataset_id ON resources BEGIN
    UPDATE datasets SET formats_index = COALESCE((SELECT '|' || group_concat(UPPER(r.format), '|') || '|' FROM resources r
        WHERE r.dataset_id = datasets.id AND r.state = 'active'), '|')
    WHERE id IN (NEW.dataset_id, OLD.dataset_id);
END;
CREATE TRIGGER datasets_formats_index_delete AFTER DELETE ON resources BEGIN
    UPDATE datasets SET formats_index = COALESCE((SELECT '|' || group_concat(UPPER(r.format), '|') || '|' FROM resources r
        WHERE r.dataset_id = OLD.dataset_id AND r.state = 'active'), '|')
    WHERE id = OLD.dataset_id;
END;
"
);

const EXTRAS_POSTGRES: &str = concat!(
    extras_sql!("string_agg"),
    "
CREATE FUNCTION datahub_tags_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE datasets SET tags_index = COALESCE((SELECT '|' || string_agg(t.tag, '|') || '|' FROM dataset_tags t WHERE t.dataset_id = datasets.id), '|')
    WHERE id IN (
        CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN NEW.dataset_id END,
        CASE WHEN TG_OP IN ('DELETE', 'UPDATE') THEN OLD.dataset_id END
    );
    RETURN NULL;
END
$$;
CREATE TRIGGER datasets_tags_index AFTER INSERT OR UPDATE OR DELETE ON dataset_tags
    FOR EACH ROW EXECUTE FUNCTION datahub_tags_index();
CREATE FUNCTION datahub_formats_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE datasets SET formats_index = COALESCE((SELECT '|' || string_agg(UPPER(r.format), '|') || '|' FROM resources r
        WHERE r.dataset_id = datasets.id AND r.state = 'active'), '|')
    WHERE id IN (
        CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN NEW.dataset_id END,
        CASE WHEN TG_OP IN ('DELETE', 'UPDATE') THEN OLD.dataset_id END
    );
    RETURN NULL;
END
$$;
CREATE TRIGGER datasets_formats_index AFTER INSERT OR DELETE OR UPDATE OF format, state, dataset_id ON resources
    FOR EACH ROW EXECUTE FUNCTION datahub_formats_index();
"
);

/// Every data hub migration, oldest first.
pub const MIGRATIONS: &[ModuleMigration] = &[
    ModuleMigration {
        version: 20_261_129_000_000,
        description: "data hub catalogue: datasets, tags, resources, versions, fields",
        sqlite: CATALOGUE_SQL,
        postgres: CATALOGUE_SQL,
    },
    ModuleMigration {
        version: 20_261_129_100_000,
        description: "data hub catalogue: CKAN extras, search indexes",
        sqlite: EXTRAS_SQLITE,
        postgres: EXTRAS_POSTGRES,
    },
    ModuleMigration {
        version: 20_261_129_200_000,
        description: "datastore: the tables of resource versions and their loads",
        sqlite: crate::ingest::DATASTORE_SQL,
        postgres: crate::ingest::DATASTORE_SQL,
    },
    ModuleMigration {
        version: 20_261_129_300_000,
        description: "sharing between agencies: access requests and approvals",
        sqlite: crate::sharing::SHARING_SQL,
        postgres: crate::sharing::SHARING_SQL,
    },
    ModuleMigration {
        version: 20_261_129_400_000,
        description: "interoperability gateway: services, grants and the signed exchange log",
        sqlite: crate::gateway::GATEWAY_SQL,
        postgres: crate::gateway::GATEWAY_SQL,
    },
    ModuleMigration {
        version: 20_261_129_500_000,
        description: "open data portal: daily visitors of dataset pages and downloads",
        sqlite: crate::portal::USAGE_SQL,
        postgres: crate::portal::USAGE_SQL,
    },
];
