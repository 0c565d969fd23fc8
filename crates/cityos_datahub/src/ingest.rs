//! Ingest: an upload becomes a new version of a resource.
//!
//! Demo datasets (for the catalogue's demo seeding): the demo catalogue
//! creates datasets named `co-so-y-te` (health facilities, SO-YT),
//! `truong-hoc` (schools, SO-GDDT), `cho-truyen-thong` (traditional
//! markets) and `tram-xe-buyt` (bus stops), each with one `upload`
//! resource; [`crate::demo_data::seed_demo_data`] generates their rows and
//! ingests them into the first upload resource of each (matched by these
//! names).
//!
//! Routes (this file and `query_api`): `POST/GET
//! /api/datahub/resources/{id}/versions`, `GET
//! /api/datahub/resources/{id}/versions/{n}/download`, `GET
//! /api/datahub/resources/{id}/fields`, `PUT
//! /api/datahub/resources/{id}/fields/{name}`, `GET
//! /api/datahub/resources/{id}/data` and
//! `/api/datahub/datasets/{name}/resources/{id}/data`.
//!
//! The pipeline, for a file of any size in constant memory:
//! 1. **Reserve** the version number and its table (`datastore_tables`, one
//!    load per resource at a time; a load whose heartbeat stopped ten
//!    minutes ago is cleaned up by the next).
//! 2. **Store** the body to `<data_dir>/datasets/<resource id>/v<N>` as it
//!    arrives, hashing it (SHA-256), measuring it (at most
//!    [`MAX_UPLOAD_BYTES`]) and detecting its text encoding on the way.
//! 3. **Survey** (first read): the fields, their types over every row, and
//!    personal-data suggestions; compared with the previous version (`diff`).
//! 4. **Load** (second read, on a blocking thread feeding the database
//!    through a bounded channel): rows in batches of [`BATCH_ROWS`], each
//!    batch its own transaction (so a gigabyte never holds SQLite's single
//!    writer for long), into a table nobody reads yet; then its indexes.
//! 5. **Switch**: one transaction records the version, its schema and diff,
//!    the fields, makes the table current, and commits the audit record and
//!    the event. Only then does the version serve; if anything fails before,
//!    the table and file are removed and the previous version keeps serving.
//!    The previous table is dropped afterwards (its file is kept).

use crate::datastore::Field;
use crate::encoding::{Detector, SourceEncoding};
use crate::formats::{self, Format, Position, Sink};
use crate::infer::{self, Cell, FieldSchema, FieldStats, FieldType, SchemaDiff};
use crate::vocabulary::SharingLevel;
use crate::{DataHub, DataHubError};
use axum::body::Bytes;
use cityos_api::{ApiError, Caller, Role, Target};
use cityos_audit::AuditRecord;
use cityos_core::{new_id, to_millis, Classification};
use cityos_events::CloudEvent;
use cityos_store::query::table::{self, Cell as SqlCell, ColumnType, Ident, TableColumn};
use cityos_store::Backend;
use futures::{Stream, StreamExt as _};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncWriteExt as _;
use utoipa::ToSchema;

/// The largest file one upload may carry: 2 GiB. (A constant rather than a
/// setting; `server.max_body_bytes` does not apply to the upload route.)
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024 * 1024;

/// The most fields a file may have.
pub const MAX_FIELDS: usize = 1000;

/// Rows per load transaction.
pub const BATCH_ROWS: usize = 5000;

/// The most per-field indexes a table gets (besides `_id`, coordinates and full text).
const MAX_INDEXES: usize = 8;

/// A load whose heartbeat is older than this was abandoned (the process died).
const STALE_LOAD_MS: i64 = 10 * 60 * 1000;

/// The datastore's bookkeeping table (migration 20261129200000): every table
/// made for a version, its state (`loading` → `current` → `retired` →
/// `dropped`), and what the query side needs to know about it.
pub(crate) const DATASTORE_SQL: &str = "
CREATE TABLE datastore_tables (
    table_name TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources (id),
    version BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('loading', 'current', 'retired', 'dropped')),
    format TEXT NOT NULL DEFAULT '',
    has_geo BIGINT NOT NULL DEFAULT 0,
    search_columns TEXT NOT NULL DEFAULT '[]',
    indexed_columns TEXT NOT NULL DEFAULT '[]',
    rows_loaded BIGINT NOT NULL DEFAULT 0,
    created_by TEXT,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
CREATE INDEX datastore_tables_resource ON datastore_tables (resource_id, version);
CREATE UNIQUE INDEX datastore_tables_one_load ON datastore_tables (resource_id) WHERE state = 'loading';
";

/// Whether `path` is the upload route, which has its own body limit
/// ([`MAX_UPLOAD_BYTES`]) and no request time limit.
#[must_use]
pub fn is_upload_path(path: &str) -> bool {
    path.strip_prefix("/api/datahub/resources/")
        .and_then(|rest| rest.strip_suffix("/versions"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// What an upload made.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VersionReport {
    /// The resource.
    pub resource_id: String,
    /// The new version, now current.
    pub version: i64,
    /// `CSV`, `JSON`, `GeoJSON` or `XLSX`.
    pub format: String,
    /// The file's text encoding (`utf-8`, `utf-8-bom`, `utf-16le`,
    /// `utf-16be`, `windows-1258`; `binary` for XLSX).
    pub source_encoding: String,
    /// Bytes.
    pub size_bytes: i64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Rows loaded.
    pub row_count: i64,
    /// The inferred schema.
    pub fields: Vec<FieldSchema>,
    /// The difference from the previous version.
    pub diff: SchemaDiff,
}

/// A version as listed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VersionInfo {
    /// The version number.
    pub version: i64,
    /// Whether it is the one serving.
    pub current: bool,
    /// Its format.
    pub format: String,
    /// Its text encoding.
    pub source_encoding: Option<String>,
    /// Bytes.
    pub size_bytes: Option<i64>,
    /// SHA-256, hex.
    pub sha256: Option<String>,
    /// Rows.
    pub row_count: Option<i64>,
    /// Its schema.
    pub fields: Vec<FieldSchema>,
    /// The difference from the version before it.
    pub diff: SchemaDiff,
    /// Who uploaded it (actor id).
    pub created_by: Option<String>,
    /// When.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Where to download the original file.
    pub download_url: String,
}

/// A change to a field's metadata (only what is given changes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct FieldUpdate {
    /// Whether the field holds personal data (masked for readers not allowed to see it).
    pub personal: Option<bool>,
    /// A description for readers.
    pub description: Option<String>,
}

/// Where the rows' coordinates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Geo {
    None,
    /// A GeoJSON geometry field (its point or centroid).
    Geometry(usize),
    /// Numeric latitude and longitude fields.
    LatLon(usize, usize),
}

/// How a version's rows are laid out in its table.
#[derive(Debug, Clone)]
struct Layout {
    fields: Vec<FieldSchema>,
    geo: Geo,
    /// Fields whose words go into `_search` (never personal ones).
    search: Vec<usize>,
    /// Fields that get an index.
    indexed: Vec<usize>,
}

impl Layout {
    fn new(fields: Vec<FieldSchema>, indexable: impl Fn(usize, &FieldSchema) -> bool) -> Self {
        let geo = match fields.iter().position(|f| f.ty == FieldType::Geometry) {
            Some(i) => Geo::Geometry(i),
            None => infer::coordinate_fields(&fields).map_or(Geo::None, |(a, b)| Geo::LatLon(a, b)),
        };
        let search = fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.personal && !matches!(f.ty, FieldType::Json | FieldType::Geometry))
            .map(|(i, _)| i)
            .collect();
        let coordinate = |i: usize| matches!(geo, Geo::LatLon(a, b) if a == i || b == i);
        let indexed = fields
            .iter()
            .enumerate()
            .filter(|(i, f)| !f.personal && !coordinate(*i) && indexable(*i, f))
            .map(|(i, _)| i)
            .take(MAX_INDEXES)
            .collect();
        Self { fields, geo, search, indexed }
    }

    fn has_geo(&self) -> bool {
        self.geo != Geo::None
    }

    /// Every column after `_id`, in insert order: the fields, `_search`, `_lat`/`_lon`.
    fn columns(&self) -> Result<Vec<TableColumn>, DataHubError> {
        let mut cols = Vec::with_capacity(self.fields.len() + 3);
        for f in &self.fields {
            cols.push(TableColumn { name: ident(&f.column)?, ty: f.ty.column_type() });
        }
        cols.push(TableColumn { name: ident("_search")?, ty: ColumnType::Text });
        if self.has_geo() {
            cols.push(TableColumn { name: ident("_lat")?, ty: ColumnType::Double });
            cols.push(TableColumn { name: ident("_lon")?, ty: ColumnType::Double });
        }
        Ok(cols)
    }

    fn search_columns(&self) -> Vec<String> {
        self.search.iter().map(|i| self.fields[*i].column.clone()).collect()
    }
}

fn ident(name: &str) -> Result<Ident, DataHubError> {
    Ident::new(name).map_err(|e| DataHubError::Store(cityos_store::StoreError::Query(e)))
}

/// The table of version `version` of a resource (`n` > 0 for a re-index of it).
fn table_name(resource_id: &str, version: i64, n: i64) -> Result<Ident, DataHubError> {
    let h = hex::encode(Sha256::digest(resource_id.as_bytes()));
    let base = format!("ds_{}_v{version}", &h[..16]);
    ident(&if n > 0 { format!("{base}_{n}") } else { base })
}

/// A field name from a file's header: NFC, trimmed, no control characters,
/// no leading `_` (names starting with one are the datastore's), at most 100
/// characters; `column_<n>` when nothing is left.
fn field_name(raw: &str, position: usize) -> String {
    let s: String = cityos_text::nfc(raw.trim()).chars().filter(|c| !c.is_control()).collect();
    let s: String = s.trim_start_matches('_').trim().chars().take(100).collect();
    if s.is_empty() {
        format!("column_{}", position + 1)
    } else {
        s
    }
}

/// Words of a row for full-text search, folded (ASCII fast path).
fn fold_words(text: &str) -> String {
    if text.is_ascii() {
        let mut out = String::with_capacity(text.len());
        for w in text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(w.chars().map(|c| c.to_ascii_lowercase()));
        }
        out
    } else {
        cityos_text::tokens(text).join(" ")
    }
}

/// First read: fields, types, suggestions.
#[derive(Debug, Default)]
struct Survey {
    names: Vec<String>,
    stats: Vec<FieldStats>,
    rows: u64,
}

impl Sink for Survey {
    fn field(&mut self, raw_name: &str) -> Result<(), ApiError> {
        if self.names.len() >= MAX_FIELDS {
            return Err(formats::malformed(None, format!("more than {MAX_FIELDS} fields")));
        }
        let base = field_name(raw_name, self.names.len());
        let mut name = base.clone();
        let mut k = 2;
        while self.names.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.names.push(name);
        let mut stats = FieldStats::default();
        stats.missing(self.rows);
        self.stats.push(stats);
        Ok(())
    }

    fn row(&mut self, _at: Position, cells: Vec<Cell>) -> Result<(), ApiError> {
        self.rows += 1;
        let n = cells.len();
        for (s, c) in self.stats.iter_mut().zip(cells.iter()) {
            s.observe(c);
        }
        for s in self.stats.iter_mut().skip(n) {
            s.observe(&Cell::Null);
        }
        Ok(())
    }
}

/// Rows on their way to the database.
#[derive(Debug, Default)]
struct Batch {
    rows: Vec<Vec<SqlCell>>,
    /// (row number, folded words) for SQLite's full-text table.
    words: Vec<(i64, String)>,
    last_line: Option<Position>,
}

/// Second read: rows converted to their fields' types, sent in batches.
struct Loader {
    layout: Arc<Layout>,
    out: tokio::sync::mpsc::Sender<Batch>,
    batch: Batch,
    next_id: i64,
    sqlite: bool,
}

impl Loader {
    fn send(&mut self) -> Result<(), ApiError> {
        if self.batch.rows.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        // The receiver is gone only when loading failed; its error is reported instead.
        self.out.blocking_send(batch).map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Loading stopped"))
    }
}

impl Sink for Loader {
    fn field(&mut self, _raw_name: &str) -> Result<(), ApiError> {
        Ok(())
    }

    fn row(&mut self, at: Position, cells: Vec<Cell>) -> Result<(), ApiError> {
        let l = &self.layout;
        let id = self.next_id;
        self.next_id += 1;
        let mut row = Vec::with_capacity(l.fields.len() + 4);
        row.push(SqlCell::Int(Some(id)));
        for (i, f) in l.fields.iter().enumerate() {
            row.push(infer::to_sql(cells.get(i).unwrap_or(&Cell::Null), f.ty));
        }
        let mut text = String::new();
        for i in &l.search {
            if let Some(t) = cells.get(*i).and_then(infer::search_text) {
                text.push_str(&t);
                text.push(' ');
            }
        }
        let words = fold_words(&text);
        if self.sqlite {
            // SQLite keeps the words in the full-text table only.
            row.push(SqlCell::Text(None));
            self.batch.words.push((id, words));
        } else {
            row.push(SqlCell::Text(Some(words)));
        }
        if l.has_geo() {
            let point = match l.geo {
                Geo::Geometry(i) => match cells.get(i) {
                    Some(Cell::Geometry(_, p)) => *p,
                    _ => None,
                },
                Geo::LatLon(a, b) => {
                    let num = |i: usize| match infer::to_sql(cells.get(i).unwrap_or(&Cell::Null), FieldType::Number) {
                        SqlCell::Double(v) => v,
                        _ => None,
                    };
                    num(a).zip(num(b)).filter(|(lat, lon)| (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon))
                }
                Geo::None => None,
            };
            row.push(SqlCell::Double(point.map(|p| p.0)));
            row.push(SqlCell::Double(point.map(|p| p.1)));
        }
        self.batch.rows.push(row);
        self.batch.last_line = Some(at);
        if self.batch.rows.len() >= BATCH_ROWS {
            self.send()?;
        }
        Ok(())
    }
}

fn read_file(path: &Path, format: Format, encoding: SourceEncoding, sink: &mut dyn Sink) -> Result<(), ApiError> {
    match format {
        Format::Csv { delimiter } => formats::read_csv(path, encoding, delimiter, sink),
        Format::Json => formats::read_json(path, encoding, sink),
        Format::Xlsx => formats::read_xlsx(path, sink),
    }
}

/// A stored upload.
#[derive(Debug)]
struct Stored {
    size: i64,
    sha256: String,
    encoding: SourceEncoding,
    head: Vec<u8>,
}

/// A reserved version: its number and table.
#[derive(Debug, Clone)]
struct Reservation {
    resource_id: String,
    version: i64,
    table: Ident,
}

/// The resource an upload or field change is for.
#[derive(Debug)]
struct UploadTarget {
    dataset: crate::catalogue::Dataset,
    resource_id: String,
}

impl DataHub {
    fn version_path(&self, resource_id: &str, version: i64) -> Result<(PathBuf, String), DataHubError> {
        if resource_id.is_empty() || !resource_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(ApiError::not_found(format!("no resource {resource_id}")).into());
        }
        let rel = format!("{resource_id}/v{version}");
        Ok((self.files_dir.join(&rel), rel))
    }

    /// The resource a data officer changes: it must exist, be an upload
    /// resource, and belong to a dataset of the officer's agency.
    async fn upload_target(&self, caller: &Caller, resource_id: &str) -> Result<UploadTarget, DataHubError> {
        caller.require_any(&[Role::DataOfficer])?;
        let not_found = || DataHubError::Api(ApiError::not_found(format!("no resource {resource_id}")));
        let row = sqlx::query("SELECT dataset_id, kind FROM resources WHERE id = $1 AND state = 'active'")
            .bind(resource_id)
            .fetch_optional(self.db.reader())
            .await?
            .ok_or_else(not_found)?;
        let dataset =
            self.load_dataset(&row.try_get::<String, _>("dataset_id")?).await?.filter(|d| d.state != "deleted").ok_or_else(not_found)?;
        caller.require_for(&[Role::DataOfficer], &Target { agency: Some(&dataset.owner_agency), jurisdiction: None })?;
        if row.try_get::<String, _>("kind")? != "upload" {
            return Err(ApiError::conflict("this resource is a link; only upload resources take files").into());
        }
        Ok(UploadTarget { dataset, resource_id: resource_id.to_string() })
    }

    /// Reserves the next version (or, for a re-index, a new table for `reindex`).
    async fn reserve(&self, resource_id: &str, reindex: Option<i64>, actor: &str) -> Result<Reservation, DataHubError> {
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        let loading = sqlx::query("SELECT table_name, heartbeat_at FROM datastore_tables WHERE resource_id = $1 AND state = 'loading'")
            .bind(resource_id)
            .fetch_all(&mut *tx)
            .await?;
        for row in loading {
            if now - row.try_get::<i64, _>("heartbeat_at")? < STALE_LOAD_MS {
                return Err(ApiError::conflict("a version of this resource is being loaded; try again when it is done").into());
            }
            let stale = ident(&row.try_get::<String, _>("table_name")?)?;
            tracing::warn!(table = %stale, "removing an abandoned datastore load");
            for s in table::drop_table(self.db.backend(), &stale).map_err(store)? {
                sqlx::query(&s).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM datastore_tables WHERE table_name = $1").bind(stale.as_str()).execute(&mut *tx).await?;
        }
        let (version, n) = match reindex {
            Some(v) => {
                let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM datastore_tables WHERE resource_id = $1 AND version = $2")
                    .bind(resource_id)
                    .bind(v)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("n")?;
                (v, n)
            }
            None => {
                let max: Option<i64> = sqlx::query("SELECT MAX(version) AS v FROM resource_versions WHERE resource_id = $1")
                    .bind(resource_id)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("v")?;
                (max.unwrap_or(0) + 1, 0)
            }
        };
        let table = table_name(resource_id, version, n)?;
        // A leftover of this name (a load that failed before its clean-up) goes first.
        for s in table::drop_table(self.db.backend(), &table).map_err(store)? {
            sqlx::query(&s).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM datastore_tables WHERE table_name = $1").bind(table.as_str()).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO datastore_tables (table_name, resource_id, version, state, created_by, started_at, heartbeat_at)
             VALUES ($1, $2, $3, 'loading', $4, $5, $5)",
        )
        .bind(table.as_str())
        .bind(resource_id)
        .bind(version)
        .bind(actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Reservation { resource_id: resource_id.to_string(), version, table })
    }

    /// Undoes a reservation after a failure (best effort: the failure is what is reported).
    async fn abandon(&self, r: &Reservation, file: Option<&Path>) {
        let backend = self.db.backend();
        if let Ok(stmts) = table::drop_table(backend, &r.table) {
            for s in stmts {
                if let Err(e) = sqlx::query(&s).execute(self.db.writer()).await {
                    tracing::warn!(error = %e, table = %r.table, "could not drop the table of a failed load");
                }
            }
        }
        if let Err(e) = sqlx::query("DELETE FROM datastore_tables WHERE table_name = $1 AND state = 'loading'")
            .bind(r.table.as_str())
            .execute(self.db.writer())
            .await
        {
            tracing::warn!(error = %e, table = %r.table, "could not release a failed load");
        }
        if let Some(f) = file {
            let _ = tokio::fs::remove_file(f).await;
        }
    }

    /// Writes the body to `path` (via a `.part` file), hashing and measuring it.
    async fn store_body<S, E>(&self, mut body: S, path: &Path) -> Result<Stored, DataHubError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let part = path.with_extension("part");
        let result = async {
            let file = tokio::fs::File::create(&part).await?;
            let mut out = tokio::io::BufWriter::with_capacity(256 * 1024, file);
            let mut hasher = Sha256::new();
            let mut detector = Detector::new();
            let mut head = Vec::new();
            let mut size: usize = 0;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| ApiError::bad_request("upload_interrupted", format!("the upload stopped: {e}")))?;
                size += chunk.len();
                if size > MAX_UPLOAD_BYTES {
                    return Err(DataHubError::Api(
                        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Request body too large")
                            .detail(format!("A version may be at most {MAX_UPLOAD_BYTES} bytes.")),
                    ));
                }
                hasher.update(&chunk);
                detector.feed(&chunk);
                if head.len() < 64 * 1024 {
                    head.extend_from_slice(&chunk[..chunk.len().min(64 * 1024 - head.len())]);
                }
                out.write_all(&chunk).await?;
            }
            if size == 0 {
                return Err(ApiError::invalid("the file is empty").into());
            }
            out.flush().await?;
            out.into_inner().sync_all().await?;
            Ok(Stored {
                size: i64::try_from(size).unwrap_or(i64::MAX),
                sha256: hex::encode(hasher.finalize()),
                encoding: detector.finish(),
                head,
            })
        }
        .await;
        match result {
            Ok(s) => {
                tokio::fs::rename(&part, path).await?;
                Ok(s)
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&part).await;
                Err(e)
            }
        }
    }

    /// Adds a version to an upload resource from a stream of bytes (the
    /// console's upload route; the CKAN API's `resource_create` with a file).
    /// Data officers of the owner agency only. The version serves once
    /// fully loaded; on any failure the previous one keeps serving.
    ///
    /// # Errors
    /// 401/403/404; 409 when the resource is a link or another load runs;
    /// 413 above [`MAX_UPLOAD_BYTES`]; 415 for unsupported files; 422
    /// `malformed_file` naming the line, record or row; database and file failures.
    pub async fn ingest_upload<S, E>(
        &self,
        caller: &Caller,
        resource_id: &str,
        body: S,
        filename: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<VersionReport, DataHubError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let target = self.upload_target(caller, resource_id).await?;
        let r = self.reserve(resource_id, None, &caller.actor()).await?;
        let (path, rel) = self.version_path(resource_id, r.version)?;
        let outcome = async {
            let stored = self.store_body(body, &path).await?;
            self.load_version(caller, &target, &r, &stored, &rel, filename, content_type).await
        }
        .await;
        match outcome {
            Ok(report) => {
                self.drop_retired(resource_id).await;
                Ok(report)
            }
            Err(e) => {
                self.abandon(&r, Some(&path)).await;
                Err(e)
            }
        }
    }

    /// [`DataHub::ingest_upload`] of bytes already in memory (CKAN uploads, tests).
    ///
    /// # Errors
    /// As [`DataHub::ingest_upload`].
    pub async fn ingest_bytes(
        &self,
        caller: &Caller,
        resource_id: &str,
        data: Bytes,
        filename: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<VersionReport, DataHubError> {
        let body = futures::stream::iter([Ok::<Bytes, std::convert::Infallible>(data)]);
        self.ingest_upload(caller, resource_id, body, filename, content_type).await
    }

    /// [`DataHub::ingest_upload`] of a file on disk, read in chunks (demo data, benchmarks).
    ///
    /// # Errors
    /// As [`DataHub::ingest_upload`]; the file cannot be read.
    pub async fn ingest_file(&self, caller: &Caller, resource_id: &str, file: &Path) -> Result<VersionReport, DataHubError> {
        let f = tokio::fs::File::open(file).await?;
        let body = futures::stream::unfold(f, |mut f| async move {
            use tokio::io::AsyncReadExt as _;
            let mut buf = vec![0u8; 256 * 1024];
            match f.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), f))
                }
                Err(e) => Some((Err(e), f)),
            }
        });
        let name = file.file_name().and_then(|n| n.to_str()).map(str::to_string);
        self.ingest_upload(caller, resource_id, Box::pin(body), name.as_deref(), None).await
    }

    #[expect(clippy::too_many_arguments, reason = "the pieces of one upload")]
    async fn load_version(
        &self,
        caller: &Caller,
        target: &UploadTarget,
        r: &Reservation,
        stored: &Stored,
        rel: &str,
        filename: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<VersionReport, DataHubError> {
        let (path, _) = self.version_path(&r.resource_id, r.version)?;
        let format = formats::detect(&stored.head, stored.encoding)?;
        check_declared(format, filename, content_type)?;
        let encoding = stored.encoding;
        let started = std::time::Instant::now();
        let survey = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                let mut s = Survey::default();
                read_file(&path, format, encoding, &mut s).map(|()| s)
            })
            .await
            .map_err(|e| ApiError::internal(&e))??
        };
        if survey.rows == 0 {
            return Err(formats::malformed(None, "the file has a header but no rows").into());
        }
        tracing::info!(resource = %r.resource_id, version = r.version, rows = survey.rows, fields = survey.names.len(),
            secs = started.elapsed().as_secs_f64(), "datastore: file surveyed");
        let previous = self.fields(&r.resource_id).await?;
        let fields: Vec<FieldSchema> = survey
            .names
            .iter()
            .zip(&survey.stats)
            .enumerate()
            .map(|(i, (name, st))| {
                let reason = st.personal_reason(name);
                let personal = previous.iter().find(|p| &p.name == name).map_or(reason.is_some(), |p| p.personal);
                FieldSchema {
                    name: name.clone(),
                    column: format!("c{}", i + 1),
                    ty: st.field_type_named(name),
                    nullable: st.nullable(),
                    personal,
                    personal_reason: reason.map(str::to_string),
                }
            })
            .collect();
        let stats = survey.stats;
        let layout = Layout::new(fields, |i, f| match f.ty {
            FieldType::Integer | FieldType::Number | FieldType::Date | FieldType::Datetime => true,
            FieldType::Text => stats.get(i).is_some_and(|s| s.max_len() <= 64),
            // Two values select half the rows: an index would only mislead the planner.
            FieldType::Boolean | FieldType::Json | FieldType::Geometry => false,
        });
        let rows = self.load_table(r, &path, format, encoding, &layout).await?;
        let prev_schema = self.version_schema(&r.resource_id, r.version - 1).await?;
        let diff = SchemaDiff::between(prev_schema.as_ref().map(|s| (r.version - 1, s.as_slice())), &layout.fields);
        let geojson = matches!(layout.geo, Geo::Geometry(_));
        let label = format.label(geojson);
        let enc_name = if format == Format::Xlsx { "binary" } else { encoding.as_str() };
        let report = VersionReport {
            resource_id: r.resource_id.clone(),
            version: r.version,
            format: label.into(),
            source_encoding: enc_name.into(),
            size_bytes: stored.size,
            sha256: stored.sha256.clone(),
            row_count: rows,
            fields: layout.fields.clone(),
            diff,
        };
        self.switch_version(caller, &target.dataset, r, &layout, &report, rel).await?;
        Ok(report)
    }

    /// The schema of a resource's version, if it exists.
    async fn version_schema(&self, resource_id: &str, version: i64) -> Result<Option<Vec<FieldSchema>>, DataHubError> {
        if version < 1 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT schema_json FROM resource_versions WHERE resource_id = $1 AND version = $2")
            .bind(resource_id)
            .bind(version)
            .fetch_optional(self.db.reader())
            .await?;
        Ok(match row {
            Some(r) => serde_json::from_str(&r.try_get::<String, _>("schema_json")?).ok(),
            None => None,
        })
    }

    /// Creates the reserved table, fills it from the file, indexes it.
    async fn load_table(
        &self,
        r: &Reservation,
        path: &Path,
        format: Format,
        encoding: SourceEncoding,
        layout: &Layout,
    ) -> Result<i64, DataHubError> {
        let started = std::time::Instant::now();
        let backend = self.db.backend();
        let key = ident(crate::datastore::ROW_ID)?;
        let words = ident("_search")?;
        let columns = layout.columns()?;
        sqlx::query(&table::create_table(backend, &r.table, &key, &columns)).execute(self.db.writer()).await?;
        if backend == Backend::Sqlite {
            sqlx::query(&table::create_fulltext(backend, &r.table, &words).map_err(store)?).execute(self.db.writer()).await?;
        }
        let mut all = vec![TableColumn { name: key.clone(), ty: ColumnType::BigInt }];
        all.extend(columns);
        let per_insert = table::rows_per_insert(all.len());
        let (tx_batches, mut rx) = tokio::sync::mpsc::channel::<Batch>(2);
        let layout = Arc::new(layout.clone());
        let reader = {
            let path = path.to_path_buf();
            let layout = layout.clone();
            tokio::task::spawn_blocking(move || {
                let mut loader =
                    Loader { layout, out: tx_batches, batch: Batch::default(), next_id: 1, sqlite: backend == Backend::Sqlite };
                read_file(&path, format, encoding, &mut loader)?;
                loader.send()
            })
        };
        let mut loaded: i64 = 0;
        let writing = async {
            while let Some(batch) = rx.recv().await {
                let n = i64::try_from(batch.rows.len()).unwrap_or(0);
                let mut tx = self.db.begin().await?;
                let mut rows = batch.rows.into_iter();
                loop {
                    let chunk: Vec<Vec<SqlCell>> = rows.by_ref().take(per_insert).collect();
                    if chunk.is_empty() {
                        break;
                    }
                    table::insert_rows(backend, &r.table, &all, chunk).map_err(store)?.query().execute(&mut *tx).await?;
                }
                let mut words_iter = batch.words.into_iter();
                loop {
                    let chunk: Vec<(i64, String)> = words_iter.by_ref().take(1000).collect();
                    if chunk.is_empty() {
                        break;
                    }
                    if let Some(ins) = table::insert_fulltext(backend, &r.table, &words, chunk).map_err(store)? {
                        ins.query().execute(&mut *tx).await?;
                    }
                }
                loaded += n;
                sqlx::query("UPDATE datastore_tables SET heartbeat_at = $1, rows_loaded = $2 WHERE table_name = $3")
                    .bind(to_millis(self.clock.now()))
                    .bind(loaded)
                    .bind(r.table.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Ok::<(), DataHubError>(())
        }
        .await;
        // If writing failed, dropping the receiver stops the reader.
        drop(rx);
        let read = reader.await.map_err(|e| ApiError::internal(&e))?;
        writing?;
        read?;
        tracing::info!(table = %r.table, rows = loaded, secs = started.elapsed().as_secs_f64(), "datastore: rows loaded");
        let started = std::time::Instant::now();
        let mut stmts = Vec::new();
        if layout.has_geo() {
            stmts.push(table::create_index(&r.table, &r.table.with_suffix("_geo").map_err(store)?, &[ident("_lat")?, ident("_lon")?]));
        }
        for (k, i) in layout.indexed.iter().enumerate() {
            let col = ident(&layout.fields[*i].column)?;
            stmts.push(table::create_index(&r.table, &r.table.with_suffix(&format!("_i{k}")).map_err(store)?, &[col]));
        }
        if backend == Backend::Postgres {
            stmts.push(table::create_fulltext(backend, &r.table, &words).map_err(store)?);
        }
        stmts.push(table::analyze(backend, &r.table));
        for s in stmts {
            // Plain statements, outside any transaction (PostgreSQL's VACUUM needs that).
            sqlx::raw_sql(&s).execute(self.db.writer()).await?;
        }
        tracing::info!(table = %r.table, secs = started.elapsed().as_secs_f64(), "datastore: table indexed");
        Ok(loaded)
    }

    /// Makes a loaded version current, in one transaction with its records,
    /// audit record and event.
    async fn switch_version(
        &self,
        caller: &Caller,
        dataset: &crate::catalogue::Dataset,
        r: &Reservation,
        layout: &Layout,
        report: &VersionReport,
        rel: &str,
    ) -> Result<(), DataHubError> {
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        let ours = sqlx::query("SELECT 1 AS x FROM datastore_tables WHERE table_name = $1 AND state = 'loading'")
            .bind(r.table.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if ours.is_none() {
            return Err(ApiError::conflict("the load was abandoned (it stalled for too long); upload again").into());
        }
        // Officers may have changed flags and descriptions while the file loaded.
        let latest = sqlx::query("SELECT name, personal, description FROM resource_fields WHERE resource_id = $1")
            .bind(&r.resource_id)
            .fetch_all(&mut *tx)
            .await?;
        let mut fields = layout.fields.clone();
        let mut descriptions = vec![String::new(); fields.len()];
        for row in &latest {
            let name: String = row.try_get("name")?;
            if let Some(i) = fields.iter().position(|f| f.name == name) {
                fields[i].personal = row.try_get::<i64, _>("personal")? == 1;
                descriptions[i] = row.try_get("description")?;
            }
        }
        let schema_json = serde_json::to_string(&fields).map_err(|e| ApiError::internal(&e))?;
        let diff_json = serde_json::to_string(&report.diff).map_err(|e| ApiError::internal(&e))?;
        sqlx::query(
            "INSERT INTO resource_versions (id, resource_id, version, file_path, sha256, size_bytes, source_encoding, row_count, schema_json, diff_json, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(new_id())
        .bind(&r.resource_id)
        .bind(r.version)
        .bind(rel)
        .bind(&report.sha256)
        .bind(report.size_bytes)
        .bind(&report.source_encoding)
        .bind(report.row_count)
        .bind(&schema_json)
        .bind(&diff_json)
        .bind(caller.actor())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE resources SET current_version = $1, datastore_table = $2, row_count = $3, size_bytes = $4, format = $5, modified_at = $6 WHERE id = $7",
        )
        .bind(r.version)
        .bind(r.table.as_str())
        .bind(report.row_count)
        .bind(report.size_bytes)
        .bind(&report.format)
        .bind(now)
        .bind(&r.resource_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM resource_fields WHERE resource_id = $1").bind(&r.resource_id).execute(&mut *tx).await?;
        for (i, f) in fields.iter().enumerate() {
            sqlx::query(
                "INSERT INTO resource_fields (resource_id, position, name, column_name, data_type, nullable, personal, description)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&r.resource_id)
            .bind(i64::try_from(i).unwrap_or(0))
            .bind(&f.name)
            .bind(&f.column)
            .bind(f.ty.as_str())
            .bind(i64::from(f.nullable))
            .bind(i64::from(f.personal))
            .bind(&descriptions[i])
            .execute(&mut *tx)
            .await?;
        }
        self.make_current(&mut tx, r, layout, &report.format).await?;
        sqlx::query("UPDATE datasets SET modified_at = $1, revision = revision + 1 WHERE id = $2")
            .bind(now)
            .bind(&dataset.id)
            .execute(&mut *tx)
            .await?;
        let ev = CloudEvent::new(
            &self.clock,
            "/cityos/datahub",
            "vn.cityos.datahub.resource.version.created",
            if dataset.sharing_level == SharingLevel::Open { Classification::Public } else { Classification::Internal },
            serde_json::json!({
                "dataset_id": dataset.id, "dataset": dataset.name, "resource_id": r.resource_id, "version": r.version,
                "row_count": report.row_count, "format": report.format,
                "added": report.diff.added, "removed": report.diff.removed, "type_changed": report.diff.type_changed,
            }),
        )
        .subject(format!("resource:{}", r.resource_id))
        .agency(Some(dataset.owner_agency.clone()));
        cityos_events::publish(&mut tx, &ev).await?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "datahub.resource.version.create".into(),
            object: format!("resource:{}", r.resource_id),
            purpose: Some(format!("version {}", r.version)),
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(report.row_count),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        // A field marked personal during the load has words in this table's index: rebuild it.
        let stale = fields.iter().zip(&layout.fields).any(|(now, loaded)| now.personal != loaded.personal);
        if stale {
            if let Err(e) = self.reindex(caller, &r.resource_id).await {
                tracing::warn!(error = %ApiError::from(e), resource = %r.resource_id, "re-indexing a freshly loaded version failed");
            }
        }
        Ok(())
    }

    /// Marks `r`'s table current and the one before it retired (in `tx`).
    async fn make_current(&self, tx: &mut cityos_store::Tx, r: &Reservation, layout: &Layout, format: &str) -> Result<(), DataHubError> {
        let search = serde_json::to_string(&layout.search_columns()).map_err(|e| ApiError::internal(&e))?;
        let indexed: Vec<&str> = layout.indexed.iter().map(|i| layout.fields[*i].column.as_str()).collect();
        let indexed = serde_json::to_string(&indexed).map_err(|e| ApiError::internal(&e))?;
        sqlx::query("UPDATE datastore_tables SET state = 'retired' WHERE resource_id = $1 AND state = 'current'")
            .bind(&r.resource_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE datastore_tables SET state = 'current', format = $1, has_geo = $2, search_columns = $3, indexed_columns = $4 WHERE table_name = $5",
        )
        .bind(format)
        .bind(i64::from(layout.has_geo()))
        .bind(&search)
        .bind(&indexed)
        .bind(r.table.as_str())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Drops the tables of a resource's retired versions (their files stay).
    async fn drop_retired(&self, resource_id: &str) {
        let rows = match sqlx::query("SELECT table_name FROM datastore_tables WHERE resource_id = $1 AND state = 'retired'")
            .bind(resource_id)
            .fetch_all(self.db.reader())
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "could not list retired datastore tables");
                return;
            }
        };
        for row in rows {
            let Ok(name) = row.try_get::<String, _>("table_name") else { continue };
            let Ok(t) = Ident::new(&name) else { continue };
            let result = async {
                for s in table::drop_table(self.db.backend(), &t).map_err(store)? {
                    sqlx::query(&s).execute(self.db.writer()).await?;
                }
                sqlx::query("UPDATE datastore_tables SET state = 'dropped' WHERE table_name = $1")
                    .bind(t.as_str())
                    .execute(self.db.writer())
                    .await?;
                Ok::<(), DataHubError>(())
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, table = %t, "could not drop a retired datastore table; the next upload retries");
            }
        }
    }

    // ------------------------------------------------------------ re-index

    /// Rebuilds the current version's table with the fields' current flags.
    ///
    /// # Errors
    /// Another load runs (409); the file is missing; database failure.
    pub async fn reindex(&self, caller: &Caller, resource_id: &str) -> Result<(), DataHubError> {
        let row = sqlx::query(
            "SELECT v.version, v.file_path, v.source_encoding, t.format FROM resources r
             JOIN resource_versions v ON v.resource_id = r.id AND v.version = r.current_version
             JOIN datastore_tables t ON t.table_name = r.datastore_table
             WHERE r.id = $1",
        )
        .bind(resource_id)
        .fetch_optional(self.db.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("resource {resource_id} has no data")))?;
        let version: i64 = row.try_get("version")?;
        let (path, _) = self.version_path(resource_id, version)?;
        let encoding = match row.try_get::<Option<String>, _>("source_encoding")?.as_deref() {
            Some("utf-8-bom") => SourceEncoding::Utf8Bom,
            Some("utf-16le") => SourceEncoding::Utf16Le,
            Some("utf-16be") => SourceEncoding::Utf16Be,
            Some("windows-1258") => SourceEncoding::Windows1258,
            _ => SourceEncoding::Utf8,
        };
        let head = read_head(&path).await?;
        let format = formats::detect(&head, encoding)?;
        let label: String = row.try_get("format")?;
        let indexed_before: Vec<String> = {
            let t = sqlx::query("SELECT indexed_columns FROM datastore_tables WHERE resource_id = $1 AND state = 'current'")
                .bind(resource_id)
                .fetch_optional(self.db.reader())
                .await?;
            match t {
                Some(t) => serde_json::from_str(&t.try_get::<String, _>("indexed_columns")?).unwrap_or_default(),
                None => Vec::new(),
            }
        };
        let fields: Vec<FieldSchema> = self.fields(resource_id).await?.into_iter().map(schema_of).collect();
        let layout = Layout::new(fields, |_, f| indexed_before.contains(&f.column));
        let r = self.reserve(resource_id, Some(version), &caller.actor()).await?;
        let outcome = async {
            self.load_table(&r, &path, format, encoding, &layout).await?;
            let mut tx = self.db.begin().await?;
            let still = sqlx::query("SELECT current_version FROM resources WHERE id = $1").bind(resource_id).fetch_one(&mut *tx).await?;
            if still.try_get::<i64, _>("current_version")? != version {
                return Err(ApiError::conflict("a new version arrived while re-indexing").into());
            }
            sqlx::query("UPDATE resources SET datastore_table = $1 WHERE id = $2")
                .bind(r.table.as_str())
                .bind(resource_id)
                .execute(&mut *tx)
                .await?;
            self.make_current(&mut tx, &r, &layout, &label).await?;
            let rec = AuditRecord {
                actor: caller.actor(),
                action: "datahub.resource.reindex".into(),
                object: format!("resource:{resource_id}"),
                purpose: Some(format!("version {version}: personal fields changed")),
                outcome: "success".into(),
                request_id: caller.request_id.clone(),
                row_count: None,
            };
            cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
            tx.commit().await?;
            Ok::<(), DataHubError>(())
        }
        .await;
        match outcome {
            Ok(()) => {
                self.drop_retired(resource_id).await;
                Ok(())
            }
            Err(e) => {
                self.abandon(&r, None).await;
                Err(e)
            }
        }
    }

    // ------------------------------------------------------------ versions and fields

    /// A resource's versions, newest first, with schema and diff (whoever
    /// may read the dataset's metadata).
    ///
    /// # Errors
    /// 404; database failure.
    pub async fn versions(&self, caller: &Caller, resource_id: &str) -> Result<Vec<VersionInfo>, DataHubError> {
        let (resource, _) = self.resource(caller, resource_id).await?;
        let rows = sqlx::query(
            "SELECT v.version, v.source_encoding, v.size_bytes, v.sha256, v.row_count, v.schema_json, v.diff_json, v.created_by, v.created_at,
                    (SELECT MIN(t.format) FROM datastore_tables t WHERE t.resource_id = v.resource_id AND t.version = v.version) AS format
             FROM resource_versions v WHERE v.resource_id = $1 ORDER BY v.version DESC",
        )
        .bind(resource_id)
        .fetch_all(self.db.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let version: i64 = r.try_get("version")?;
                Ok(VersionInfo {
                    version,
                    current: version == resource.current_version,
                    format: r.try_get::<Option<String>, _>("format")?.unwrap_or_default(),
                    source_encoding: r.try_get("source_encoding")?,
                    size_bytes: r.try_get("size_bytes")?,
                    sha256: r.try_get("sha256")?,
                    row_count: r.try_get("row_count")?,
                    fields: serde_json::from_str(&r.try_get::<String, _>("schema_json")?).unwrap_or_default(),
                    diff: serde_json::from_str(&r.try_get::<String, _>("diff_json")?).unwrap_or_default(),
                    created_by: r.try_get("created_by")?,
                    created_at: cityos_core::from_millis(r.try_get("created_at")?),
                    download_url: self.version_download_url(resource_id, version),
                })
            })
            .collect()
    }

    /// The original file of a version, for download: readers of the data
    /// who may see every personal field it has (the file cannot be masked).
    /// Audited like a data read; counts a download.
    ///
    /// # Errors
    /// 404, 403; database failure.
    pub async fn version_file(&self, caller: &Caller, resource_id: &str, version: i64) -> Result<(PathBuf, String, String), DataHubError> {
        let (resource, dataset) = self.resource(caller, resource_id).await?;
        let grant = self.authorize_data_read(caller, &dataset).await?;
        let row = sqlx::query("SELECT schema_json, row_count FROM resource_versions WHERE resource_id = $1 AND version = $2")
            .bind(resource_id)
            .bind(version)
            .fetch_optional(self.db.reader())
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no version {version}")))?;
        let schema: Vec<FieldSchema> = serde_json::from_str(&row.try_get::<String, _>("schema_json")?).unwrap_or_default();
        // Flags as they are now, for fields still there; as recorded otherwise.
        let now = self.fields(resource_id).await?;
        let hidden = schema.iter().find(|f| {
            let field = now.iter().find(|n| n.name == f.name).cloned().unwrap_or_else(|| field_of(f));
            !grant.may_see(&field)
        });
        if let Some(f) = hidden {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "personal_field", "Personal field")
                .detail(format!(
                    "The original file holds personal data (`{}`) you may not see; read the rows through the data API, where it is masked.",
                    f.name
                ))
                .into());
        }
        let (path, _) = self.version_path(resource_id, version)?;
        if !tokio::fs::try_exists(&path).await? {
            return Err(ApiError::not_found(format!("the file of version {version} is missing")).into());
        }
        let personal_shown = schema.iter().any(|f| f.personal);
        if dataset.sharing_level != SharingLevel::Open || personal_shown {
            let rows: Option<i64> = row.try_get("row_count")?;
            self.audit_data_access(
                caller,
                &format!("resource:{resource_id}"),
                "success",
                Some(format!("{} (file v{version})", grant.purpose)),
                rows,
            )
            .await?;
        }
        sqlx::query("UPDATE datasets SET downloads = downloads + 1 WHERE id = $1").bind(&dataset.id).execute(self.db.writer()).await?;
        let format = sqlx::query("SELECT MIN(format) AS f FROM datastore_tables WHERE resource_id = $1 AND version = $2")
            .bind(resource_id)
            .bind(version)
            .fetch_one(self.db.reader())
            .await?
            .try_get::<Option<String>, _>("f")?
            .unwrap_or_default();
        let slug: String = resource.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let ext = match format.as_str() {
            "JSON" => "json",
            "GeoJSON" => "geojson",
            "XLSX" => "xlsx",
            _ => "csv",
        };
        Ok((path, format, format!("{}-v{version}.{ext}", slug.trim_matches('-'))))
    }

    /// Changes a field's personal flag or description (data officers of the
    /// owner agency), with its audit record and event. A changed flag
    /// rebuilds the table and its full-text index before the answer.
    ///
    /// # Errors
    /// 401/403/404; database failure.
    pub async fn update_field(&self, caller: &Caller, resource_id: &str, name: &str, upd: &FieldUpdate) -> Result<Field, DataHubError> {
        let target = self.upload_target(caller, resource_id).await?;
        let fields = self.fields(resource_id).await?;
        let before = fields.iter().find(|f| f.name == name).ok_or_else(|| ApiError::not_found(format!("no field {name}")))?;
        let mut after = before.clone();
        if let Some(p) = upd.personal {
            after.personal = p;
        }
        if let Some(d) = &upd.description {
            if d.chars().count() > 2000 {
                return Err(ApiError::invalid("a description is at most 2000 characters").into());
            }
            after.description = cityos_text::nfc(d.trim());
        }
        let mut tx = self.db.begin().await?;
        sqlx::query("UPDATE resource_fields SET personal = $1, description = $2 WHERE resource_id = $3 AND name = $4")
            .bind(i64::from(after.personal))
            .bind(&after.description)
            .bind(resource_id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let ev = CloudEvent::new(
            &self.clock,
            "/cityos/datahub",
            "vn.cityos.datahub.resource.field.updated",
            Classification::Internal,
            serde_json::json!({ "resource_id": resource_id, "field": name, "personal": after.personal }),
        )
        .subject(format!("resource:{resource_id}"))
        .agency(Some(target.dataset.owner_agency.clone()));
        cityos_events::publish(&mut tx, &ev).await?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "datahub.resource.field.update".into(),
            object: format!("resource:{resource_id}"),
            purpose: Some(format!("field {name}: personal {}", after.personal)),
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: None,
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        if after.personal != before.personal {
            // Rebuilt before answering, so once the officer is told the field
            // is personal its words are out of the index: no reader ever
            // races a background job. Should the rebuild fail (a new version
            // is loading), the flag stands and full-text search stays refused
            // to readers who may not see the field until a table is built
            // with it (`search_unavailable`).
            if let Err(e) = self.reindex(caller, &target.resource_id).await {
                tracing::warn!(error = %ApiError::from(e), resource = %target.resource_id, "re-indexing after a personal flag change failed");
            }
        }
        Ok(after)
    }

    /// The fields of a resource's current version, for whoever may read its metadata.
    ///
    /// # Errors
    /// 404; database failure.
    pub async fn resource_fields(&self, caller: &Caller, resource_id: &str) -> Result<Vec<Field>, DataHubError> {
        self.resource(caller, resource_id).await?;
        self.fields(resource_id).await
    }

    /// Drops every datastore table (every version's) of a resource being
    /// deleted; its files stay, as its versions' records do.
    ///
    /// # Errors
    /// Database failure.
    pub async fn drop_datastore(&self, resource_id: &str) -> Result<(), DataHubError> {
        let ids = [resource_id.to_string()];
        let mut tx = self.db.begin().await?;
        Self::retire_datastore(&mut tx, &ids).await?;
        tx.commit().await?;
        self.drop_retired_of(&ids).await;
        Ok(())
    }

    /// Marks every table of `resource_ids` retired and detaches it from its
    /// resource, in the transaction that deletes them: from its commit on,
    /// no reader finds the tables; [`DataHub::drop_retired_of`] then drops them.
    pub(crate) async fn retire_datastore(tx: &mut cityos_store::Tx, resource_ids: &[String]) -> Result<(), DataHubError> {
        for id in resource_ids {
            sqlx::query("UPDATE datastore_tables SET state = 'retired' WHERE resource_id = $1 AND state IN ('current', 'loading')")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE resources SET datastore_table = NULL WHERE id = $1").bind(id).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Drops the retired tables of each resource (failures are logged; the
    /// tables stay marked retired).
    pub(crate) async fn drop_retired_of(&self, resource_ids: &[String]) {
        for id in resource_ids {
            self.drop_retired(id).await;
        }
    }

    /// Whether a load or re-index of the resource is running.
    ///
    /// # Errors
    /// Database failure.
    pub async fn loading(&self, resource_id: &str) -> Result<bool, DataHubError> {
        Ok(sqlx::query("SELECT 1 AS x FROM datastore_tables WHERE resource_id = $1 AND state = 'loading'")
            .bind(resource_id)
            .fetch_optional(self.db.reader())
            .await?
            .is_some())
    }
}

fn schema_of(f: Field) -> FieldSchema {
    FieldSchema { name: f.name, column: f.column, ty: f.ty, nullable: f.nullable, personal: f.personal, personal_reason: None }
}

fn field_of(f: &FieldSchema) -> Field {
    Field {
        name: f.name.clone(),
        column: f.column.clone(),
        ty: f.ty,
        nullable: f.nullable,
        personal: f.personal,
        description: String::new(),
    }
}

async fn read_head(path: &Path) -> Result<Vec<u8>, DataHubError> {
    use tokio::io::AsyncReadExt as _;
    let mut f = tokio::fs::File::open(path).await?;
    let mut head = vec![0u8; 64 * 1024];
    let mut n = 0;
    while n < head.len() {
        let k = f.read(&mut head[n..]).await?;
        if k == 0 {
            break;
        }
        n += k;
    }
    head.truncate(n);
    Ok(head)
}

/// A file whose name or declared type says one format while its content is
/// another is refused, rather than loaded as something it is not.
fn check_declared(format: Format, filename: Option<&str>, content_type: Option<&str>) -> Result<(), ApiError> {
    let ext = filename.and_then(|f| f.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase());
    let said_xlsx = ext.as_deref() == Some("xlsx") || content_type.is_some_and(|c| c.contains("spreadsheetml"));
    let said_json = matches!(ext.as_deref(), Some("json" | "geojson")) || content_type.is_some_and(|c| c.contains("json"));
    let is_json = format == Format::Json;
    if said_xlsx && format != Format::Xlsx || said_json && !is_json {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_format", "Unsupported format").detail(format!(
            "The file's name or type says {}, but its content is {}.",
            if said_xlsx { "XLSX" } else { "JSON" },
            format.label(false)
        )));
    }
    Ok(())
}

fn store(e: cityos_store::query::QueryError) -> DataHubError {
    DataHubError::Store(cityos_store::StoreError::Query(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_paths() {
        assert!(is_upload_path("/api/datahub/resources/0190-abc/versions"));
        assert!(!is_upload_path("/api/datahub/resources/versions"));
        assert!(!is_upload_path("/api/datahub/resources/a/b/versions"));
        assert!(!is_upload_path("/api/datahub/resources/a/versions/1/download"));
    }

    #[test]
    fn field_names_are_cleaned() {
        assert_eq!(field_name("  Tên\u{0} cơ sở ", 0), "Tên cơ sở");
        assert_eq!(field_name("_id", 3), "id");
        assert_eq!(field_name("", 3), "column_4");
        assert_eq!(field_name("Te\u{302}n", 0), "Tên");
    }

    #[test]
    fn table_names_are_identifiers() {
        let t = table_name("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", 12, 0).unwrap();
        assert!(t.as_str().starts_with("ds_") && t.as_str().ends_with("_v12"), "{t}");
        assert_eq!(t.as_str().len(), 3 + 16 + 4);
        assert!(table_name("x", 1, 2).unwrap().as_str().ends_with("_v1_2"));
        assert_ne!(table_name("a", 1, 0).unwrap(), table_name("b", 1, 0).unwrap());
    }

    #[test]
    fn search_words_fold_fast_and_slow() {
        assert_eq!(fold_words("Cho Ray, Q5 "), "cho ray q5");
        assert_eq!(fold_words("Bệnh viện Chợ Rẫy; Quận 5"), "benh vien cho ray quan 5");
    }

    #[test]
    fn survey_dedupes_names_and_counts_late_fields_as_missing() {
        let mut s = Survey::default();
        s.field("Tên").unwrap();
        s.field("Tên").unwrap();
        s.row(Position::Record(1), vec![Cell::Text("a".into()), Cell::Text("b".into())]).unwrap();
        s.field("Mới").unwrap();
        s.row(Position::Record(2), vec![Cell::Text("a".into())]).unwrap();
        assert_eq!(s.names, ["Tên", "Tên_2", "Mới"]);
        assert!(s.stats[2].nullable());
        assert!(s.stats[1].nullable());
        assert!(!s.stats[0].nullable());
    }

    #[test]
    fn layouts_keep_personal_fields_out_of_search_and_indexes() {
        let f = |name: &str, ty, personal| FieldSchema {
            name: name.into(),
            column: format!("c{}", name.len()),
            ty,
            nullable: false,
            personal,
            personal_reason: None,
        };
        let l = Layout::new(
            vec![
                f("Tên", FieldType::Text, false),
                f("SĐT", FieldType::Text, true),
                f("lat", FieldType::Number, false),
                f("lon", FieldType::Number, false),
            ],
            |_, _| true,
        );
        assert_eq!(l.geo, Geo::LatLon(2, 3));
        assert_eq!(l.search, [0, 2, 3]);
        assert_eq!(l.indexed, [0]);
        assert_eq!(l.columns().unwrap().len(), 4 + 3);
    }

    #[test]
    fn declared_formats_must_match_content() {
        assert!(check_declared(Format::Csv { delimiter: b',' }, Some("a.csv"), Some("text/csv")).is_ok());
        assert!(check_declared(Format::Json, Some("a.geojson"), None).is_ok());
        assert_eq!(
            check_declared(Format::Csv { delimiter: b',' }, Some("a.xlsx"), None).unwrap_err().status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert!(check_declared(Format::Csv { delimiter: b',' }, None, Some("application/json")).is_err());
    }
}
