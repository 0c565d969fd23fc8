//! Photos and videos on reports.
//!
//! - **Upload** (`POST /api/feedback/reports/{id}/media`, multipart, one
//!   file): the reporter right after filing — the portal gets a one-time
//!   upload token with the new report, valid for [`UPLOAD_WINDOW_MINUTES`] —
//!   and staff handling the report (progress photos). The real type is told
//!   from magic bytes (JPEG, PNG, MP4, QuickTime; others 415), sizes are
//!   capped by `[media]` (413), and metadata (EXIF GPS, XMP, IPTC, comments,
//!   PNG text, video user data) is stripped without re-encoding
//!   ([`strip`]) before anything is stored.
//! - **Privacy**: everything uploaded is internal. Staff publish a photo as it
//!   is, or black out regions first ([`redact`]): the public then gets only
//!   the redacted copy, never the original. Videos can only be published or
//!   hidden.
//! - **Storage**: `<storage.data_dir>/media/<report id>/<media id>.<ext>`
//!   (and `.public.<ext>` for redacted copies), written before the row that
//!   names them commits, so a backup's database never names a missing file.
//!
//! Every upload, redaction and visibility change commits with its history
//! row, audit record and event.

mod redact;
pub mod strip;

pub use redact::{Region, MAX_REGIONS};
pub use strip::Format;

use crate::{Feedback, FeedbackError};
use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::Response;
use cityos_api::extract::{Json, Path, Query};
use cityos_api::{ApiError, Caller, Principal, Role};
use cityos_audit::AuditRecord;
use cityos_core::config::MediaConfig;
use cityos_core::{from_millis, new_id, to_millis, Classification};
use cityos_events::CloudEvent;
use cityos_store::Tx;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row as _;
use std::path::{Path as FsPath, PathBuf};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Tables (the same SQL on both backends): files on reports, the reporter's
/// upload grant (a SHA-256 of the token, never the token), and the date a
/// unit commits to on a progress update.
pub(crate) const MEDIA_SQL: &str = "
    CREATE TABLE report_media (
        id TEXT PRIMARY KEY,
        report_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size_bytes BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        uploaded_by TEXT NOT NULL,
        uploader TEXT NOT NULL,
        visibility TEXT NOT NULL DEFAULT 'internal',
        redacted BIGINT NOT NULL DEFAULT 0,
        regions TEXT,
        public_sha256 TEXT,
        public_size_bytes BIGINT,
        width BIGINT,
        height BIGINT,
        update_id TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    );
    CREATE INDEX report_media_report ON report_media (report_id, created_at);
    CREATE TABLE media_upload_grants (
        report_id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    ALTER TABLE report_updates ADD COLUMN committed_date TEXT;";

/// How long after filing the reporter may attach files with the upload token.
pub const UPLOAD_WINDOW_MINUTES: i64 = 30;

/// The header that carries the reporter's upload token.
pub const UPLOAD_TOKEN_HEADER: &str = "x-upload-token";

/// Most files one progress update may show.
const MAX_PER_UPDATE: usize = 20;

/// Who may see a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Staff of the units handling the report only (every upload starts here).
    Internal,
    /// Everyone, on the report's public page (a redacted copy when regions are set).
    Public,
}

impl Visibility {
    fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Public => "public",
        }
    }
}

/// A photo or video attached to a report, as staff see it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Attachment {
    /// Id.
    pub id: String,
    /// The report's id.
    pub report_id: String,
    /// `photo` or `video`.
    pub kind: String,
    /// MIME type, from the file's content.
    pub content_type: String,
    /// Bytes stored (after metadata was stripped).
    pub size_bytes: i64,
    /// SHA-256 (hex) of the stored file.
    pub sha256: String,
    /// `citizen`, `anonymous` (the reporter, at filing) or `staff`.
    pub uploaded_by: String,
    /// `internal` or `public`.
    pub visibility: Visibility,
    /// Whether the public sees a redacted copy.
    pub redacted: bool,
    /// Regions blacked out in the public copy.
    pub regions: Vec<Region>,
    /// Width in pixels, as shown (photos).
    pub width: Option<i64>,
    /// Height in pixels, as shown (photos).
    pub height: Option<i64>,
    /// When it was uploaded.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The file (staff: the original without metadata).
    pub url: String,
    /// What the public is served (the redacted copy, or the original), whether published or not.
    pub public_url: String,
}

/// A published photo or video, as the public sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicMedia {
    /// Id.
    pub id: String,
    /// `photo` or `video`.
    pub kind: String,
    /// MIME type.
    pub content_type: String,
    /// Where to fetch it (relative to the server).
    pub url: String,
}

/// The reporter's permission to attach files to the report just filed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UploadGrant {
    /// Send it in the `X-Upload-Token` header with each upload.
    pub token: String,
    /// Uploads are refused after this.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A filed report as the filer gets it back: the public view, and for the
/// reporter a grant to attach photos and videos.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Filed {
    /// The report's public view.
    #[serde(flatten)]
    pub report: crate::PublicReport,
    /// For attaching files (absent for staff, who upload with their own rights).
    pub upload: Option<UploadGrant>,
}

/// Photos and videos of reports: the service behind the media routes.
#[derive(Debug, Clone)]
pub struct Attachments {
    feedback: Feedback,
    dir: PathBuf,
    limits: MediaConfig,
}

/// The largest upload body the media route accepts: the larger file limit
/// plus room for the multipart envelope.
#[must_use]
pub fn upload_body_limit(limits: &MediaConfig) -> usize {
    limits.max_photo_bytes.max(limits.max_video_bytes).saturating_add(64 * 1024)
}

/// Whether a request path is the upload route (it has its own body limit).
#[must_use]
pub fn is_upload_path(path: &str) -> bool {
    path.strip_prefix("/api/feedback/reports/")
        .and_then(|rest| rest.strip_suffix("/media"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Issues the reporter's upload grant for a report just filed. A failure is
/// logged and answered with no grant: the report itself is filed already.
pub(crate) async fn grant_upload(f: &Feedback, report_id: &str) -> Option<UploadGrant> {
    let token = format!("cmu_{}", hex::encode(rand::random::<[u8; 32]>()));
    let expires_at = f.clock().now() + chrono::Duration::minutes(UPLOAD_WINDOW_MINUTES);
    let res = sqlx::query("INSERT INTO media_upload_grants (report_id, token_hash, expires_at) VALUES ($1, $2, $3)")
        .bind(report_id)
        .bind(hex_sha256(token.as_bytes()))
        .bind(to_millis(expires_at))
        .execute(f.db().writer())
        .await;
    match res {
        Ok(_) => Some(UploadGrant { token, expires_at }),
        Err(e) => {
            tracing::error!(error = %e, report = report_id, "upload grant not stored: the reporter cannot attach files");
            None
        }
    }
}

/// The published photos and videos of a report (anyone may see these).
pub(crate) async fn public_media(f: &Feedback, report_id: &str) -> Result<Vec<PublicMedia>, FeedbackError> {
    let rows = sqlx::query(
        "SELECT id, kind, content_type FROM report_media WHERE report_id = $1 AND visibility = 'public' ORDER BY created_at, id",
    )
    .bind(report_id)
    .fetch_all(f.db().reader())
    .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            Ok(PublicMedia {
                url: format!("/api/feedback/media/{id}"),
                id,
                kind: r.try_get("kind")?,
                content_type: r.try_get("content_type")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Checks that `ids` are files of report `report_id`, for a progress update.
pub(crate) async fn check_update_media(f: &Feedback, report_id: &str, ids: &[String]) -> Result<(), FeedbackError> {
    if ids.len() > MAX_PER_UPDATE {
        return Err(ApiError::invalid(format!("an update shows at most {MAX_PER_UPDATE} files")).into());
    }
    for id in ids {
        let found = sqlx::query("SELECT 1 AS x FROM report_media WHERE id = $1 AND report_id = $2")
            .bind(id)
            .bind(report_id)
            .fetch_optional(f.db().reader())
            .await?;
        if found.is_none() {
            return Err(ApiError::invalid(format!("media {id} is not a file of this report")).into());
        }
    }
    Ok(())
}

/// Shows `ids` with history entry `update_id` (in the update's transaction).
pub(crate) async fn show_with_update(tx: &mut Tx, report_id: &str, update_id: &str, ids: &[String]) -> Result<(), FeedbackError> {
    for id in ids {
        sqlx::query("UPDATE report_media SET update_id = $1 WHERE id = $2 AND report_id = $3")
            .bind(update_id)
            .bind(id)
            .bind(report_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The report a file belongs to, with who may act on it.
struct Owner {
    report: crate::Report,
    citizen_id: Option<String>,
}

/// A file to send back.
#[derive(Debug)]
pub struct Content {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// MIME type.
    pub content_type: &'static str,
    /// Strong validator (the stored file's SHA-256).
    pub etag: String,
    /// Whether this is the internal original (never cached by shared caches).
    pub private: bool,
    /// Name offered to the browser.
    pub file_name: String,
}

/// A stored row, decoded.
struct Stored {
    view: Attachment,
    format: Format,
    public_sha256: Option<String>,
}

const MEDIA_COLUMNS: &str = "id, report_id, kind, content_type, size_bytes, sha256, uploaded_by, visibility, redacted, regions,
    public_sha256, width, height, created_at";

fn decode_row(r: &sqlx::any::AnyRow) -> Result<Stored, FeedbackError> {
    let id: String = r.try_get("id")?;
    let content_type: String = r.try_get("content_type")?;
    let format = Format::from_content_type(&content_type).ok_or_else(|| ApiError::internal(&"unknown stored media type"))?;
    let regions: Vec<Region> = r
        .try_get::<Option<String>, _>("regions")?
        .map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(|e| ApiError::internal(&e))?
        .unwrap_or_default();
    Ok(Stored {
        view: Attachment {
            url: format!("/api/feedback/media/{id}"),
            public_url: format!("/api/feedback/media/{id}?variant=public"),
            id,
            report_id: r.try_get("report_id")?,
            kind: r.try_get("kind")?,
            content_type,
            size_bytes: r.try_get("size_bytes")?,
            sha256: r.try_get("sha256")?,
            uploaded_by: r.try_get("uploaded_by")?,
            visibility: if r.try_get::<String, _>("visibility")? == "public" { Visibility::Public } else { Visibility::Internal },
            redacted: r.try_get::<i64, _>("redacted")? != 0,
            regions,
            width: r.try_get("width")?,
            height: r.try_get("height")?,
            created_at: from_millis(r.try_get("created_at")?),
        },
        format,
        public_sha256: r.try_get("public_sha256")?,
    })
}

/// Who is uploading, once allowed.
#[derive(Debug)]
pub struct UploadPermit {
    report_id: String,
    agency: Option<String>,
    jurisdiction: Option<String>,
    uploaded_by: &'static str,
    staff: bool,
}

impl Attachments {
    /// The service; files live under `<data_dir>/media`.
    #[must_use]
    pub fn new(feedback: Feedback, data_dir: &FsPath, limits: MediaConfig) -> Self {
        Self { feedback, dir: data_dir.join("media"), limits }
    }

    fn original_path(&self, report_id: &str, id: &str, format: Format) -> PathBuf {
        self.dir.join(report_id).join(format!("{id}.{}", format.extension()))
    }

    /// The redacted copy, named by its hash: a new redaction is a new file, so the
    /// copy the database names is always the one served, even if a change fails.
    fn public_path(&self, report_id: &str, id: &str, sha: &str, format: Format) -> PathBuf {
        let short = sha.get(..16).unwrap_or(sha);
        self.dir.join(report_id).join(format!("{id}.public.{short}.{}", format.extension()))
    }

    async fn owner(&self, id_or_code: &str) -> Result<Owner, FeedbackError> {
        let row = self.feedback.load(id_or_code).await?.ok_or_else(|| ApiError::not_found("no such report"))?;
        Ok(Owner { citizen_id: row.citizen_id, report: row.report })
    }

    async fn stored(&self, id: &str) -> Result<Option<Stored>, FeedbackError> {
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM report_media WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.feedback.db().reader()).await?;
        row.as_ref().map(decode_row).transpose()
    }

    async fn count(&self, report_id: &str, staff: bool) -> Result<usize, FeedbackError> {
        let (a, b) = if staff { ("staff", "staff") } else { ("citizen", "anonymous") };
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM report_media WHERE report_id = $1 AND uploaded_by IN ($2, $3)")
            .bind(report_id)
            .bind(a)
            .bind(b)
            .fetch_one(self.feedback.db().reader())
            .await?
            .try_get("n")?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Decides whether `caller` may attach a file to report `id_or_code`,
    /// before the file is read: staff handling the report, or the reporter
    /// with the upload token from filing, within its window.
    ///
    /// # Errors
    /// 401 (no token, not signed in), 403 (wrong or expired token, another
    /// unit's report), 404, 409 (finished report, or its limit reached).
    pub async fn permit_upload(&self, caller: &Caller, id_or_code: &str, token: Option<&str>) -> Result<UploadPermit, FeedbackError> {
        let o = self.owner(id_or_code).await?;
        let r = &o.report;
        let (staff, uploaded_by) = match &caller.principal {
            Principal::Staff { .. } => {
                caller.require_any(&[Role::Operator, Role::Staff, Role::AgencyAdmin])?;
                if !Feedback::may_handle(caller, r) {
                    return Err(ApiError::forbidden("this report belongs to another unit").into());
                }
                (true, "staff")
            }
            other => {
                let Some(token) = token.filter(|t| !t.is_empty()) else {
                    return Err(match other {
                        Principal::Anonymous => ApiError::unauthorized().detail("Send the upload token given when the report was filed."),
                        _ => ApiError::forbidden("send the upload token given when the report was filed"),
                    }
                    .into());
                };
                let grant = sqlx::query("SELECT token_hash, expires_at FROM media_upload_grants WHERE report_id = $1")
                    .bind(&r.id)
                    .fetch_optional(self.feedback.db().reader())
                    .await?;
                let now = to_millis(self.feedback.clock().now());
                let valid = match grant {
                    Some(g) => {
                        g.try_get::<String, _>("token_hash")? == hex_sha256(token.as_bytes()) && g.try_get::<i64, _>("expires_at")? > now
                    }
                    None => false,
                };
                if !valid {
                    return Err(ApiError::forbidden("the upload token is wrong, or its time to attach files has passed").into());
                }
                // A signed-in citizen's own report: the token and the account must agree.
                if let Principal::Citizen { citizen_id } = other {
                    if o.citizen_id.as_deref().is_some_and(|c| c != citizen_id) {
                        return Err(ApiError::forbidden("this report was filed by someone else").into());
                    }
                }
                (false, if o.citizen_id.is_some() { "citizen" } else { "anonymous" })
            }
        };
        if r.status.is_final() {
            return Err(ApiError::conflict(format!("a {} report takes no more files", r.status.as_str())).into());
        }
        if self.count(&r.id, staff).await? >= self.limits.max_per_report {
            return Err(ApiError::conflict(format!("at most {} files per report", self.limits.max_per_report)).into());
        }
        Ok(UploadPermit {
            report_id: r.id.clone(),
            agency: r.agency_code.clone(),
            jurisdiction: r.jurisdiction_code.clone(),
            uploaded_by,
            staff,
        })
    }

    /// Reads the one file of a multipart upload, checking its type from the
    /// first bytes and its size as it arrives. Returns the file and an
    /// optional `visibility` field.
    ///
    /// # Errors
    /// 413 (too large), 415 (not JPEG, PNG, MP4 or QuickTime), 422 (no file, two files).
    pub async fn read_upload(&self, mut form: Multipart) -> Result<(Format, Vec<u8>, Option<Visibility>), ApiError> {
        let mut file: Option<(Format, Vec<u8>)> = None;
        let mut visibility = None;
        while let Some(field) = form.next_field().await.map_err(multipart_error)? {
            match field.name() {
                Some("file") => {
                    if file.is_some() {
                        return Err(ApiError::invalid("send one file per upload"));
                    }
                    file = Some(self.read_file(field).await?);
                }
                Some("visibility") => {
                    let text = field.text().await.map_err(multipart_error)?;
                    visibility = Some(match text.trim() {
                        "public" => Visibility::Public,
                        "internal" => Visibility::Internal,
                        _ => return Err(ApiError::invalid("visibility is public or internal")),
                    });
                }
                _ => {}
            }
        }
        let (format, data) = file.ok_or_else(|| ApiError::invalid("no file: send it in the multipart field named file"))?;
        Ok((format, data, visibility))
    }

    async fn read_file(&self, mut field: Field<'_>) -> Result<(Format, Vec<u8>), ApiError> {
        let (photo_max, video_max) = (self.limits.max_photo_bytes, self.limits.max_video_bytes);
        let mut buf: Vec<u8> = Vec::new();
        let mut format = None;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            buf.extend_from_slice(&chunk);
            if format.is_none() {
                format = sniffed(&buf, false)?;
            }
            let max = format.map_or(photo_max.max(video_max), |f: Format| if f.is_photo() { photo_max } else { video_max });
            if buf.len() > max {
                return Err(too_large(format, max));
            }
        }
        let format = match format {
            Some(f) => f,
            None if buf.is_empty() => return Err(ApiError::invalid("the file is empty")),
            None => sniffed(&buf, true)?.ok_or_else(unsupported)?,
        };
        Ok((format, buf))
    }

    /// Strips the file's metadata, stores it and records it (history, audit, event).
    ///
    /// # Errors
    /// 422 for a file whose structure is broken; storage failures.
    pub async fn store(
        &self,
        caller: &Caller,
        permit: &UploadPermit,
        format: Format,
        data: Vec<u8>,
        visibility: Option<Visibility>,
    ) -> Result<Attachment, FeedbackError> {
        let clean = tokio::task::spawn_blocking(move || strip::strip(format, data))
            .await
            .map_err(|e| ApiError::internal(&e))?
            .map_err(|e| ApiError::invalid(format!("the file is damaged: {e}")))?;
        let (width, height) = if format.is_photo() {
            let c = clean.clone();
            let (w, h) = tokio::task::spawn_blocking(move || redact::dimensions(&c, format))
                .await
                .map_err(|e| ApiError::internal(&e))?
                .map_err(|e| ApiError::invalid(format!("the photo cannot be read: {e}")))?;
            (Some(i64::from(w)), Some(i64::from(h)))
        } else {
            (None, None)
        };
        // Only staff choose: the reporter's files wait for staff to check them for faces and plates.
        let visibility = if permit.staff { visibility.unwrap_or(Visibility::Internal) } else { Visibility::Internal };
        let id = new_id();
        let sha = hex_sha256(&clean);
        let size = i64::try_from(clean.len()).unwrap_or(i64::MAX);
        let path = self.original_path(&permit.report_id, &id, format);
        write_file(&path, clean).await?;
        let kind = if format.is_photo() { "photo" } else { "video" };
        let result = async {
            let f = &self.feedback;
            let now = to_millis(f.clock().now());
            let mut tx = f.db().begin().await?;
            let text = if kind == "photo" { "Đính kèm ảnh" } else { "Đính kèm video" };
            let update_id = f.history(&mut tx, &permit.report_id, &caller.actor(), "media", None, None, None, Some(text), false).await?;
            sqlx::query(
                "INSERT INTO report_media (id, report_id, kind, content_type, size_bytes, sha256, uploaded_by, uploader, visibility, redacted,
                   width, height, update_id, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12, $13, $13)",
            )
            .bind(&id)
            .bind(&permit.report_id)
            .bind(kind)
            .bind(format.content_type())
            .bind(size)
            .bind(&sha)
            .bind(permit.uploaded_by)
            .bind(caller.actor())
            .bind(visibility.as_str())
            .bind(width)
            .bind(height)
            .bind(&update_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let purpose = format!("{kind} {}", permit.uploaded_by);
            let (agency, jurisdiction) = (permit.agency.clone(), permit.jurisdiction.clone());
            self.record(&mut tx, caller, agency, jurisdiction, &permit.report_id, &id, "added", &purpose).await?;
            tx.commit().await?;
            Ok::<_, FeedbackError>(())
        }
        .await;
        if let Err(e) = result {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e);
        }
        self.stored(&id).await?.map(|s| s.view).ok_or_else(|| ApiError::not_found("media").into())
    }

    /// Audit record and event of a change to file `id` (history is the caller's).
    #[expect(clippy::too_many_arguments, reason = "one record, described field by field")]
    async fn record(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        agency: Option<String>,
        jurisdiction: Option<String>,
        report_id: &str,
        id: &str,
        what: &str,
        purpose: &str,
    ) -> Result<(), FeedbackError> {
        let f = &self.feedback;
        let ev = CloudEvent::new(
            f.clock(),
            "/cityos/feedback",
            &format!("vn.cityos.feedback.media.{what}"),
            Classification::Internal,
            serde_json::json!({ "id": id, "report_id": report_id }),
        )
        .subject(format!("report:{report_id}"))
        .agency(agency)
        .jurisdiction(jurisdiction);
        cityos_events::publish(tx, &ev).await?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: format!("feedback.media.{what}"),
            object: format!("media:{id}"),
            purpose: Some(format!("report:{report_id} {purpose}")),
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(tx, f.db().backend(), f.clock(), &rec).await?;
        Ok(())
    }

    /// A report's files (staff who may read the report). Audited.
    ///
    /// # Errors
    /// 401/403/404.
    pub async fn list(&self, caller: &Caller, id_or_code: &str) -> Result<Vec<Attachment>, FeedbackError> {
        caller.require_any(Feedback::READERS)?;
        let o = self.owner(id_or_code).await?;
        if !Feedback::may_read(caller, &o.report) {
            return Err(ApiError::forbidden("this report belongs to another unit").into());
        }
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM report_media WHERE report_id = $1 ORDER BY created_at, id");
        let rows = sqlx::query(&sql).bind(&o.report.id).fetch_all(self.feedback.db().reader()).await?;
        let items = rows.iter().map(|r| decode_row(r).map(|s| s.view)).collect::<Result<Vec<_>, _>>()?;
        self.audit_read(caller, &format!("report:{}", o.report.id), items.len()).await?;
        Ok(items)
    }

    async fn audit_read(&self, caller: &Caller, object: &str, rows: usize) -> Result<(), FeedbackError> {
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "feedback.media.read".into(),
            object: object.into(),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(i64::try_from(rows).unwrap_or(i64::MAX)),
        };
        cityos_audit::append_now(self.feedback.db(), self.feedback.clock(), &rec).await?;
        Ok(())
    }

    /// A file's bytes. Staff who may read the report get the original (the
    /// upload without its metadata; audited) unless they ask for the public
    /// copy; everyone else gets the public copy of a published file, and 404
    /// for anything else.
    ///
    /// # Errors
    /// 404.
    pub async fn content(&self, caller: &Caller, id: &str, public_copy: bool) -> Result<Content, FeedbackError> {
        let s = self.stored(id).await?.ok_or_else(|| ApiError::not_found("no such file"))?;
        let v = &s.view;
        let staff = matches!(caller.principal, Principal::Staff { .. }) && caller.has_any(Feedback::READERS) && {
            let o = self.owner(&v.report_id).await?;
            Feedback::may_read(caller, &o.report)
        };
        if !staff && v.visibility != Visibility::Public {
            return Err(ApiError::not_found("no such file").into());
        }
        let use_public = (public_copy || !staff) && v.redacted;
        let path = match (use_public, s.public_sha256.as_deref()) {
            (true, Some(sha)) => self.public_path(&v.report_id, &v.id, sha, s.format),
            (true, None) => return Err(ApiError::internal(&"a redacted file without its public copy").into()),
            (false, _) => self.original_path(&v.report_id, &v.id, s.format),
        };
        let bytes = tokio::fs::read(&path).await.map_err(|e| {
            tracing::error!(error = %e, path = %path.display(), "stored media file missing");
            ApiError::internal(&e)
        })?;
        let private = staff && !(public_copy && v.visibility == Visibility::Public);
        if staff && !use_public {
            self.audit_read(caller, &format!("media:{}", v.id), 1).await?;
        }
        let etag = if use_public { s.public_sha256.clone().unwrap_or_else(|| hex_sha256(&bytes)) } else { v.sha256.clone() };
        let suffix = if use_public { ".public" } else { "" };
        Ok(Content {
            bytes,
            content_type: s.format.content_type(),
            etag,
            private,
            file_name: format!("{}{suffix}.{}", v.id, s.format.extension()),
        })
    }

    async fn for_change(&self, caller: &Caller, id: &str) -> Result<(Stored, Owner), FeedbackError> {
        caller.require_any(&[Role::Operator, Role::Staff, Role::AgencyAdmin])?;
        let s = self.stored(id).await?.ok_or_else(|| ApiError::not_found("no such file"))?;
        let o = self.owner(&s.view.report_id).await?;
        if !Feedback::may_handle(caller, &o.report) {
            return Err(ApiError::forbidden("this report belongs to another unit").into());
        }
        Ok((s, o))
    }

    /// Blacks out `regions` in the public copy of a photo (replacing any
    /// earlier redaction; no regions removes it), and optionally publishes
    /// it. The original is kept, for staff only.
    ///
    /// # Errors
    /// 401/403/404, 422 for a video, bad regions or a photo that does not decode.
    pub async fn redact(&self, caller: &Caller, id: &str, regions: &[Region], publish: bool) -> Result<Attachment, FeedbackError> {
        let (s, o) = self.for_change(caller, id).await?;
        let v = &s.view;
        if !s.format.is_photo() {
            return Err(ApiError::invalid("videos cannot be redacted: keep them internal instead").into());
        }
        if regions.len() > MAX_REGIONS {
            return Err(ApiError::invalid(format!("at most {MAX_REGIONS} regions")).into());
        }
        if let Some(bad) = regions.iter().position(|r| !r.is_valid()) {
            return Err(ApiError::invalid(format!("region {bad} is not within the photo (x, y, width, height are fractions 0–1)")).into());
        }
        let old_copy = s.public_sha256.as_deref().map(|sha| self.public_path(&v.report_id, &v.id, sha, s.format));
        let (public_sha, public_size, new_copy) = if regions.is_empty() {
            (None, None, None)
        } else {
            let original = tokio::fs::read(self.original_path(&v.report_id, &v.id, s.format)).await.map_err(|e| ApiError::internal(&e))?;
            let (format, owned) = (s.format, regions.to_vec());
            let (bytes, _, _) = tokio::task::spawn_blocking(move || redact::redact(&original, format, &owned))
                .await
                .map_err(|e| ApiError::internal(&e))?
                .map_err(|e| ApiError::invalid(e.to_string()))?;
            let sha = hex_sha256(&bytes);
            let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
            let path = self.public_path(&v.report_id, &v.id, &sha, s.format);
            write_file(&path, bytes).await?;
            (Some(sha), Some(size), Some(path))
        };
        let f = &self.feedback;
        let visibility = if publish { Visibility::Public } else { v.visibility };
        let result = async {
            let mut tx = f.db().begin().await?;
            sqlx::query(
                "UPDATE report_media SET redacted = $1, regions = $2, public_sha256 = $3, public_size_bytes = $4, visibility = $5,
               updated_at = $6 WHERE id = $7",
            )
            .bind(i64::from(!regions.is_empty()))
            .bind((!regions.is_empty()).then(|| serde_json::to_string(regions).unwrap_or_default()))
            .bind(public_sha.as_deref())
            .bind(public_size)
            .bind(visibility.as_str())
            .bind(to_millis(f.clock().now()))
            .bind(&v.id)
            .execute(&mut *tx)
            .await?;
            let text = format!("Che {} vùng trên ảnh{}", regions.len(), if publish { ", công khai ảnh" } else { "" });
            f.history(&mut tx, &v.report_id, &caller.actor(), "media", None, None, None, Some(&text), false).await?;
            let (agency, jurisdiction) = (o.report.agency_code.clone(), o.report.jurisdiction_code.clone());
            self.record(&mut tx, caller, agency, jurisdiction, &v.report_id, &v.id, "redacted", &format!("{} regions", regions.len()))
                .await?;
            tx.commit().await?;
            Ok::<_, FeedbackError>(())
        }
        .await;
        // Keep exactly the copy the database names.
        let stale = if result.is_ok() {
            old_copy.filter(|o| Some(o) != new_copy.as_ref())
        } else {
            new_copy.filter(|n| Some(n) != old_copy.as_ref())
        };
        if let Some(path) = stale {
            let _ = tokio::fs::remove_file(&path).await;
        }
        result?;
        self.stored(&v.id).await?.map(|s| s.view).ok_or_else(|| ApiError::not_found("media").into())
    }

    /// Publishes a file on the report's public page, or takes it off.
    ///
    /// # Errors
    /// 401/403/404.
    pub async fn set_visibility(&self, caller: &Caller, id: &str, visibility: Visibility) -> Result<Attachment, FeedbackError> {
        let (s, o) = self.for_change(caller, id).await?;
        let v = &s.view;
        let f = &self.feedback;
        let mut tx = f.db().begin().await?;
        sqlx::query("UPDATE report_media SET visibility = $1, updated_at = $2 WHERE id = $3")
            .bind(visibility.as_str())
            .bind(to_millis(f.clock().now()))
            .bind(&v.id)
            .execute(&mut *tx)
            .await?;
        let (text, what) = match visibility {
            Visibility::Public => (if v.kind == "photo" { "Công khai ảnh" } else { "Công khai video" }, "published"),
            Visibility::Internal => {
                (if v.kind == "photo" { "Ẩn ảnh khỏi trang công khai" } else { "Ẩn video khỏi trang công khai" }, "hidden")
            }
        };
        f.history(&mut tx, &v.report_id, &caller.actor(), "media", None, None, None, Some(text), false).await?;
        let (agency, jurisdiction) = (o.report.agency_code.clone(), o.report.jurisdiction_code.clone());
        self.record(&mut tx, caller, agency, jurisdiction, &v.report_id, &v.id, what, visibility.as_str()).await?;
        tx.commit().await?;
        self.stored(&v.id).await?.map(|s| s.view).ok_or_else(|| ApiError::not_found("media").into())
    }
}

/// Writes a file whole or not at all: a temporary file, synced, then renamed.
async fn write_file(path: &FsPath, bytes: Vec<u8>) -> Result<(), FeedbackError> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write as _;
        let dir = path.parent().ok_or_else(|| std::io::Error::other("no parent directory"))?;
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{}.tmp", new_id()));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(dir)?.sync_all()
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(|e| {
        tracing::error!(error = %e, "cannot store a media file");
        FeedbackError::Api(ApiError::unavailable(&e))
    })
}

fn unsupported() -> ApiError {
    ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported file type")
        .detail("Send a JPEG or PNG photo, or an MP4 or QuickTime (MOV) video.")
}

/// The format once enough bytes are in; `done` when no more will come.
fn sniffed(buf: &[u8], done: bool) -> Result<Option<Format>, ApiError> {
    match strip::sniff(buf) {
        strip::Sniffed::Accepted(f) => Ok(Some(f)),
        strip::Sniffed::Refused(name) => {
            Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported file type")
                .detail(format!("{name} is not accepted: send a JPEG or PNG photo, or an MP4 or QuickTime (MOV) video.")))
        }
        strip::Sniffed::NeedMore if !done => Ok(None),
        strip::Sniffed::NeedMore | strip::Sniffed::Unknown => Err(unsupported()),
    }
}

fn too_large(format: Option<Format>, max: usize) -> ApiError {
    let what = match format {
        Some(f) if f.is_photo() => "A photo",
        Some(_) => "A video",
        None => "A file",
    };
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "File too large")
        .detail(format!("{what} may be at most {max} bytes."))
        .with("max_bytes", max)
}

fn multipart_error(e: MultipartError) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(status, "payload_too_large", "File too large").detail(e.body_text());
    }
    ApiError::invalid(format!("the multipart body cannot be read: {}", e.body_text()))
}

fn multipart_rejection(e: &MultipartRejection) -> ApiError {
    ApiError::bad_request("invalid_multipart", format!("{}: send multipart/form-data with the file in a field named file", e.body_text()))
}

/// The media routes, with the upload route's own body limit.
pub fn router(feedback: Feedback, data_dir: &FsPath, limits: MediaConfig) -> OpenApiRouter {
    let body_limit = upload_body_limit(&limits);
    let service = Attachments::new(feedback, data_dir, limits);
    let upload = OpenApiRouter::new().routes(routes!(upload_media, list_media)).layer(DefaultBodyLimit::max(body_limit));
    OpenApiRouter::new()
        .merge(upload)
        .routes(routes!(get_media))
        .routes(routes!(redact_media))
        .routes(routes!(set_media_visibility))
        .with_state(service)
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "describes the multipart body for OpenAPI only")]
pub struct UploadForm {
    /// The photo (JPEG, PNG) or video (MP4, QuickTime).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Staff only: `public` to publish at once (default `internal`).
    visibility: Option<Visibility>,
}

/// Attach a photo or video to a report (the reporter with the `X-Upload-Token`
/// from filing, within 30 minutes; operators and staff of the unit).
/// Metadata (EXIF, GPS, XMP, comments, video user data) is stripped first.
#[utoipa::path(post, path = "/api/feedback/reports/{id}/media", tag = "feedback", params(("id" = String, Path, description = "id or tracking code"),
        ("X-Upload-Token" = Option<String>, Header, description = "the reporter's upload token")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Attachment), (status = 401), (status = 403), (status = 404), (status = 409), (status = 413), (status = 415), (status = 422)))]
async fn upload_media(
    State(s): State<Attachments>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Attachment>), ApiError> {
    let token = headers.get(UPLOAD_TOKEN_HEADER).and_then(|v| v.to_str().ok()).map(str::trim);
    let permit = s.permit_upload(&caller, &id, token).await?;
    let form = form.map_err(|e| multipart_rejection(&e))?;
    let (format, data, visibility) = s.read_upload(form).await?;
    Ok((StatusCode::CREATED, Json(s.store(&caller, &permit, format, data, visibility).await?)))
}

/// A list wrapper.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaItems {
    /// The files.
    pub items: Vec<Attachment>,
}

/// A report's photos and videos (staff who may read the report). Audited.
#[utoipa::path(get, path = "/api/feedback/reports/{id}/media", tag = "feedback", params(("id" = String, Path, description = "id or tracking code")),
    responses((status = 200, body = MediaItems), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_media(State(s): State<Attachments>, caller: Caller, Path(id): Path<String>) -> Result<Json<MediaItems>, ApiError> {
    Ok(Json(MediaItems { items: s.list(&caller, &id).await? }))
}

/// Which copy of a file.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VariantQuery {
    /// `public`: the copy the public sees (staff preview redactions with it).
    pub variant: Option<String>,
}

/// A photo or video (anyone: the public copy of a published file; staff who
/// may read the report: the original, audited, or `?variant=public`).
#[utoipa::path(get, path = "/api/feedback/media/{id}", tag = "feedback", params(("id" = String, Path), VariantQuery),
    responses((status = 200, description = "the file"), (status = 206, description = "part of the file (Range)"), (status = 304), (status = 404)))]
async fn get_media(
    State(s): State<Attachments>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<VariantQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = s.content(&caller, &id, q.variant.as_deref() == Some("public")).await?;
    let etag = format!("\"{}\"", c.etag);
    let cache = if c.private { "private, no-cache" } else { "public, no-cache" };
    let mut builder = Response::builder()
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, &etag)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_DISPOSITION, format!("inline; filename=\"{}\"", c.file_name))
        .header(header::VARY, "Cookie, Authorization");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        return builder.status(StatusCode::NOT_MODIFIED).body(Body::empty()).map_err(|e| ApiError::internal(&e));
    }
    builder = builder.header(header::CONTENT_TYPE, HeaderValue::from_static(c.content_type));
    let total = c.bytes.len();
    let resp = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(|r| byte_range(r, total)) {
        Some(Some((start, end))) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{total}"))
            .body(Body::from(c.bytes[start..=end].to_vec())),
        Some(None) => {
            builder.status(StatusCode::RANGE_NOT_SATISFIABLE).header(header::CONTENT_RANGE, format!("bytes */{total}")).body(Body::empty())
        }
        None => builder.status(StatusCode::OK).body(Body::from(c.bytes)),
    };
    resp.map_err(|e| ApiError::internal(&e))
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `total` bytes (inclusive ends).
fn byte_range(header: &str, total: usize) -> Option<(usize, usize)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || total == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: usize = n.parse().ok()?;
            (total.saturating_sub(n), total - 1)
        }
        (s, "") => (s.parse().ok()?, total - 1),
        (s, e) => (s.parse().ok()?, e.parse::<usize>().ok()?.min(total - 1)),
    };
    (start <= end && start < total).then_some((start, end))
}

/// Regions to black out on a photo's public copy.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Redaction {
    /// Rectangles in fractions of the photo as shown; none removes the redaction.
    pub regions: Vec<Region>,
    /// Also publish the photo (its redacted copy) on the report's public page.
    #[serde(default)]
    pub publish: bool,
}

/// Black out regions of a photo for the public (operators; staff of the unit).
/// The original stays, for staff only.
#[utoipa::path(post, path = "/api/feedback/media/{id}/redactions", tag = "feedback", params(("id" = String, Path)), request_body = Redaction,
    responses((status = 200, body = Attachment), (status = 401), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn redact_media(
    State(s): State<Attachments>,
    caller: Caller,
    Path(id): Path<String>,
    Json(r): Json<Redaction>,
) -> Result<Json<Attachment>, ApiError> {
    Ok(Json(s.redact(&caller, &id, &r.regions, r.publish).await?))
}

/// Who may see a file.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VisibilityChange {
    /// `public` or `internal`.
    pub visibility: Visibility,
}

/// Publish a photo or video on the report's public page, or hide it
/// (operators; staff of the unit). A redacted photo is published redacted.
#[utoipa::path(post, path = "/api/feedback/media/{id}/visibility", tag = "feedback", params(("id" = String, Path)), request_body = VisibilityChange,
    responses((status = 200, body = Attachment), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn set_media_visibility(
    State(s): State<Attachments>,
    caller: Caller,
    Path(id): Path<String>,
    Json(v): Json<VisibilityChange>,
) -> Result<Json<Attachment>, ApiError> {
    Ok(Json(s.set_visibility(&caller, &id, v.visibility).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_path_is_recognised_for_its_body_limit() {
        assert!(is_upload_path("/api/feedback/reports/260101-ABCDE/media"));
        assert!(!is_upload_path("/api/feedback/reports/media"));
        assert!(!is_upload_path("/api/feedback/reports/a/b/media"));
        assert!(!is_upload_path("/api/feedback/reports"));
    }

    #[test]
    fn byte_ranges() {
        assert_eq!(byte_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(byte_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(byte_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(byte_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(byte_range("bytes=100-", 100), None);
        assert_eq!(byte_range("bytes=0-1,4-5", 100), None);
        assert_eq!(byte_range("items=0-1", 100), None);
    }
}
