//! Feedback's tables (versions 20261127100000..). Reports carry a folded
//! search column indexed by FTS5 on SQLite and a `simple` text-search GIN
//! index on PostgreSQL.

use cityos_store::ModuleMigration;

macro_rules! feedback_tables {
    () => {
        "
        CREATE TABLE feedback_categories (
            code TEXT PRIMARY KEY,
            parent_code TEXT REFERENCES feedback_categories(code),
            name_vi TEXT NOT NULL,
            name_en TEXT NOT NULL,
            description_vi TEXT NOT NULL DEFAULT '',
            description_en TEXT NOT NULL DEFAULT '',
            keywords TEXT NOT NULL DEFAULT '',
            default_agency_code TEXT,
            deadline_days BIGINT NOT NULL DEFAULT 10,
            sort_order BIGINT NOT NULL DEFAULT 0
        );
        CREATE TABLE feedback_routes (
            id TEXT PRIMARY KEY,
            category_code TEXT,
            jurisdiction_code TEXT,
            agency_code TEXT NOT NULL,
            created_at BIGINT NOT NULL
        );
        CREATE UNIQUE INDEX feedback_routes_key ON feedback_routes (COALESCE(category_code, ''), COALESCE(jurisdiction_code, ''));
        CREATE TABLE report_updates (
            id TEXT PRIMARY KEY,
            report_id TEXT NOT NULL,
            at BIGINT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            status_from TEXT,
            status_to TEXT,
            agency_code TEXT,
            text TEXT,
            public BIGINT NOT NULL DEFAULT 0
        );
        CREATE INDEX report_updates_report ON report_updates (report_id, at);"
    };
}

macro_rules! report_columns {
    () => {
        "
            id TEXT NOT NULL UNIQUE,
            tracking_code TEXT NOT NULL UNIQUE,
            channel TEXT NOT NULL,
            external_id TEXT,
            category_code TEXT,
            description TEXT NOT NULL,
            search TEXT NOT NULL,
            lat DOUBLE PRECISION,
            lon DOUBLE PRECISION,
            address TEXT,
            jurisdiction_code TEXT,
            agency_code TEXT,
            status TEXT NOT NULL,
            anonymous BIGINT NOT NULL DEFAULT 0,
            reporter_citizen_id TEXT,
            reporter_name TEXT,
            reporter_phone TEXT,
            reporter_email TEXT,
            locale TEXT NOT NULL DEFAULT 'vi',
            received_at BIGINT NOT NULL,
            forwarded_at BIGINT,
            acknowledged_at BIGINT,
            resolved_at BIGINT,
            closed_at BIGINT,
            due_at BIGINT NOT NULL,
            jurisdiction_due_at BIGINT,
            escalated BIGINT NOT NULL DEFAULT 0,
            public_answer TEXT,
            rating BIGINT,
            rating_comment TEXT,
            duplicate_of TEXT,
            updated_at BIGINT NOT NULL
        );
        CREATE UNIQUE INDEX reports_external ON reports (channel, external_id);
        CREATE INDEX reports_queue ON reports (agency_code, status, due_at);
        CREATE INDEX reports_status ON reports (status, received_at);
        CREATE INDEX reports_jurisdiction ON reports (jurisdiction_code, received_at);
        CREATE INDEX reports_citizen ON reports (reporter_citizen_id);"
    };
}

/// Feedback's migrations.
pub const MIGRATIONS: &[ModuleMigration] = &[
    ModuleMigration {
        version: 20_261_127_100_000,
        description: "citizen feedback reports",
        sqlite: concat!(
            feedback_tables!(),
            "CREATE TABLE reports (rid INTEGER PRIMARY KEY AUTOINCREMENT,",
            report_columns!(),
            "CREATE VIRTUAL TABLE reports_fts USING fts5(search, content='', contentless_delete=1, tokenize='unicode61');"
        ),
        postgres: concat!(
            feedback_tables!(),
            "CREATE TABLE reports (rid BIGSERIAL PRIMARY KEY,",
            report_columns!(),
            "CREATE INDEX reports_search ON reports USING GIN (to_tsvector('simple', search));"
        ),
    },
    ModuleMigration {
        version: 20_261_127_110_100,
        description: "webhook inbox; the citizen's chat id on reports",
        sqlite: crate::webhooks::INBOX_SQL,
        postgres: crate::webhooks::INBOX_SQL,
    },
    ModuleMigration {
        version: 20_261_127_311_000,
        description: "open311: media links on reports, public history by time",
        sqlite: OPEN311_SQL,
        postgres: OPEN311_SQL,
    },
    ModuleMigration {
        version: 20_261_127_312_000,
        description: "index for the overdue-escalation sweep",
        sqlite: OVERDUE_SQL,
        postgres: OVERDUE_SQL,
    },
    ModuleMigration {
        version: 20_261_128_100_000,
        description: "e-mail channel: the mailbox's read position; citizens' messages on reports, once each",
        sqlite: crate::mail_inbox::MAIL_INBOX_SQL,
        postgres: crate::mail_inbox::MAIL_INBOX_SQL,
    },
    ModuleMigration {
        version: 20_261_128_300_000,
        description: "call centre: calls from the telephone exchange, operators' extensions",
        sqlite: crate::calls::CALLS_SQL,
        postgres: crate::calls::CALLS_SQL,
    },
    ModuleMigration {
        version: 20_261_128_400_000,
        description: "photos and videos on reports, reporters' upload grants, committed dates on progress updates",
        sqlite: crate::media::MEDIA_SQL,
        postgres: crate::media::MEDIA_SQL,
    },
    ModuleMigration {
        version: 20_261_128_510_000,
        description: "webhook inbox: messages dismissed by an operator",
        sqlite: crate::webhook_inbox::DISMISSED_SQL,
        postgres: crate::webhook_inbox::DISMISSED_SQL,
    },
];

/// The escalation sweep reads open, not yet escalated reports by deadline; a
/// partial index keeps it from scanning the whole table every minute.
const OVERDUE_SQL: &str = "CREATE INDEX reports_overdue ON reports (due_at) WHERE escalated = 0;";

/// The same on both backends: a nullable column and an index.
const OPEN311_SQL: &str = "ALTER TABLE reports ADD COLUMN media_url TEXT;
    CREATE INDEX report_updates_at ON report_updates (at);";
