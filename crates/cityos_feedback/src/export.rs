//! The queue as a file: `GET /api/feedback/reports/export?format=csv|xlsx`
//! with the queue's own filters ([`ReportQuery`]), for staff who take the
//! numbers into a spreadsheet.
//!
//! - The rows are exactly the queue's: the same filter
//!   ([`Feedback::queue_filter`]), so a unit exports only its own reports, and
//!   the reporter's name, phone and e-mail only where the queue would show them
//!   ([`Feedback::may_handle`]); callers who handle no reports (viewers) get no
//!   contact columns at all.
//! - Headers, statuses, channels, categories and units in Vietnamese (default)
//!   or English (`lang=en`); times in Hồ Chí Minh City (UTC+7).
//! - CSV: UTF-8 with a byte-order mark (so Excel reads Vietnamese), RFC 4180
//!   quoting, CRLF line ends, and cells that a spreadsheet would run as a
//!   formula (starting with `=`, `+`, `-`, `@`, tab or CR) prefixed with `'`.
//!   Streamed page by page (keyset paging on the sort key and the id), so an
//!   export of a million rows never sits in memory.
//! - XLSX (`rust_xlsxwriter`): bold, frozen header row with a filter, dates
//!   as real Excel dates, fixed column widths; every text is written as a
//!   string, never a formula. Rows are written as the pages come, to a
//!   temporary file (rust_xlsxwriter's constant-memory mode), and the file is
//!   sent when complete; it holds at most [`XLSX_MAX_ROWS`] rows, and a larger
//!   selection is refused (422: export CSV).
//! - One audit record per export (`feedback.report.export`) with the row count
//!   and the filters, never the search words or anything personal.

use crate::reports::{decode, schema, Report, ReportQuery};
use crate::{Feedback, FeedbackError};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cityos_api::extract::Query;
use cityos_api::{ApiError, Caller, Role};
use cityos_audit::AuditRecord;
use cityos_calendar::VIETNAM_UTC_OFFSET_SECS;
use cityos_core::to_millis;
use cityos_store::query::{self, Dir, Filter, Op, Select, Value};
use futures::stream::{self, Stream};
use http::{header, HeaderValue, StatusCode};
use serde::Deserialize;
use sqlx::Row as _;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// The most rows one Excel export holds: the file is sent only once complete, and spreadsheets slow down well before Excel's own limit.
pub const XLSX_MAX_ROWS: i64 = 100_000;
/// Rows read from the database per page while exporting.
const PAGE_ROWS: i64 = 500;
/// UTF-8 byte-order mark: without it Excel reads a CSV file as the local code page.
const BOM: &str = "\u{feff}";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// File format of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Comma-separated values, UTF-8 with BOM (streamed, no size limit).
    #[default]
    Csv,
    /// Excel workbook (at most 100,000 rows).
    Xlsx,
}

/// Language of an export's headers and values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportLang {
    /// Vietnamese.
    #[default]
    Vi,
    /// English.
    En,
}

/// What kind of file, in which language; the rows are chosen by the queue's filters.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportOptions {
    /// `csv` (default) or `xlsx`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// `vi` (default) or `en`.
    #[param(inline)]
    pub lang: Option<ExportLang>,
}

/// The reports of the queue as CSV or Excel (operators: every unit; staff,
/// viewers, agency admins: their units'), with the queue's filters; `page`
/// and `per_page` are ignored: every matching report is exported. Audited.
#[utoipa::path(get, path = "/api/feedback/reports/export", tag = "feedback", params(ReportQuery, ExportOptions),
    responses(
        (status = 200, description = "`text/csv` (UTF-8 with BOM) or an XLSX workbook, as an attachment", content_type = "text/csv"),
        (status = 401), (status = 403),
        (status = 422, description = "more than 100,000 rows for Excel: export CSV")),
    security(("bearer" = [])))]
pub(crate) async fn export_reports(
    State(f): State<Feedback>,
    caller: Caller,
    Query(filters): Query<ReportQuery>,
    Query(options): Query<ExportOptions>,
) -> Result<Response, ApiError> {
    Ok(f.export(&caller, &filters, options).await?)
}

/// A column of the export.
struct ExportColumn {
    vi: &'static str,
    en: &'static str,
    /// Excel width in characters.
    width: f64,
}

const fn col(vi: &'static str, en: &'static str, width: f64) -> ExportColumn {
    ExportColumn { vi, en, width }
}

const COLUMNS: &[ExportColumn] = &[
    col("Mã phản ánh", "Tracking code", 15.0),
    col("Thời điểm tiếp nhận", "Received", 17.0),
    col("Kênh", "Channel", 14.0),
    col("Lĩnh vực", "Category", 28.0),
    col("Nội dung", "Description", 60.0),
    col("Địa chỉ", "Address", 36.0),
    col("Phường, xã", "Ward", 22.0),
    col("Đơn vị xử lý", "Responsible unit", 32.0),
    col("Trạng thái", "Status", 22.0),
    col("Hạn xử lý", "Due", 17.0),
    col("Quá hạn", "Overdue", 9.0),
    col("Thời điểm xử lý xong", "Resolved", 17.0),
    col("Trả lời công khai", "Public answer", 48.0),
    col("Đánh giá (1–5)", "Rating (1–5)", 10.0),
    col("Vĩ độ", "Latitude", 11.0),
    col("Kinh độ", "Longitude", 11.0),
];

/// Contact columns: only for callers who handle reports, and filled only on
/// the rows they handle.
const CONTACT_COLUMNS: &[ExportColumn] =
    &[col("Người phản ánh", "Reporter", 24.0), col("Điện thoại", "Phone", 16.0), col("Thư điện tử", "E-mail", 28.0)];

/// One cell, typed so that Excel gets real dates and numbers.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Time(Option<chrono::DateTime<chrono::Utc>>),
    Number(Option<f64>),
}

/// Names of the codes a report carries, in both languages.
#[derive(Debug, Default)]
struct Names {
    categories: HashMap<String, (String, String)>,
    agencies: HashMap<String, (String, String)>,
    wards: HashMap<String, String>,
}

impl Names {
    fn pick<'a>(map: &'a HashMap<String, (String, String)>, code: Option<&'a str>, lang: ExportLang) -> &'a str {
        match code {
            Some(c) => map.get(c).map_or(c, |(vi, en)| if lang == ExportLang::En { en } else { vi }),
            None => "",
        }
    }
}

/// The channel as the console names it.
fn channel_label(channel: &str, lang: ExportLang) -> &str {
    let (vi, en) = match channel {
        "web" => ("Cổng thông tin", "Web portal"),
        "phone" => ("Tổng đài 1022", "1022 hotline"),
        "email" => ("Thư điện tử", "E-mail"),
        "sms" => ("Tin nhắn SMS", "SMS"),
        "zalo" => ("Zalo", "Zalo"),
        "facebook" => ("Facebook Messenger", "Facebook Messenger"),
        "open311" => ("Ứng dụng Open311", "Open311 app"),
        other => (other, other),
    };
    if lang == ExportLang::En {
        en
    } else {
        vi
    }
}

/// What the export shows, decided once per request.
#[derive(Debug)]
struct Layout {
    lang: ExportLang,
    /// Whether the contact columns are present at all.
    contacts: bool,
    names: Names,
}

impl Layout {
    fn headers(&self) -> impl Iterator<Item = &'static ExportColumn> {
        COLUMNS.iter().chain(if self.contacts { CONTACT_COLUMNS } else { &[] })
    }

    fn header_names(&self) -> Vec<&'static str> {
        self.headers().map(|c| if self.lang == ExportLang::En { c.en } else { c.vi }).collect()
    }

    /// The cells of one report; `handles` says whether the caller may see its reporter.
    fn cells(&self, r: &Report, handles: bool) -> Vec<Cell> {
        let en = self.lang == ExportLang::En;
        let text = |s: Option<&str>| Cell::Text(s.unwrap_or_default().to_string());
        let mut out = vec![
            Cell::Text(r.tracking_code.clone()),
            Cell::Time(Some(r.received_at)),
            Cell::Text(channel_label(&r.channel, self.lang).to_string()),
            Cell::Text(Names::pick(&self.names.categories, r.category_code.as_deref(), self.lang).to_string()),
            Cell::Text(r.description.clone()),
            text(r.address.as_deref()),
            Cell::Text(
                r.jurisdiction_code.as_deref().map(|c| self.names.wards.get(c).map_or(c, String::as_str)).unwrap_or_default().to_string(),
            ),
            Cell::Text(Names::pick(&self.names.agencies, r.agency_code.as_deref(), self.lang).to_string()),
            Cell::Text(if en { r.status.label_en() } else { r.status.label_vi() }.to_string()),
            Cell::Time(Some(r.due_at)),
            Cell::Text(
                match (r.overdue, en) {
                    (true, false) => "Có",
                    (false, false) => "Không",
                    (true, true) => "Yes",
                    (false, true) => "No",
                }
                .to_string(),
            ),
            Cell::Time(r.resolved_at),
            text(r.public_answer.as_deref()),
            // Ratings are 1–5: exact in an f64.
            Cell::Number(r.rating.map(|x| x as f64)),
            Cell::Number(r.lat),
            Cell::Number(r.lon),
        ];
        if self.contacts {
            let who = r.reporter.as_ref().filter(|_| handles);
            out.push(text(who.and_then(|p| p.name.as_deref())));
            out.push(text(who.and_then(|p| p.phone.as_deref())));
            out.push(text(who.and_then(|p| p.email.as_deref())));
        }
        out
    }
}

/// `dd/mm/yyyy HH:mm` in Hồ Chí Minh City.
fn local_time(t: chrono::DateTime<chrono::Utc>) -> String {
    (t.naive_utc() + chrono::Duration::seconds(i64::from(VIETNAM_UTC_OFFSET_SECS))).format("%d/%m/%Y %H:%M").to_string()
}

/// One CSV field: a value a spreadsheet would run as a formula gets a
/// leading `'`, then RFC 4180 quoting when needed.
fn csv_field(raw: &str) -> Cow<'_, str> {
    let neutralised: Cow<'_, str> =
        if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) { Cow::Owned(format!("'{raw}")) } else { Cow::Borrowed(raw) };
    if neutralised.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", neutralised.replace('"', "\"\"")))
    } else {
        neutralised
    }
}

fn csv_record<'a>(out: &mut String, fields: impl IntoIterator<Item = Cow<'a, str>>) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_field(&f));
    }
    out.push_str("\r\n");
}

fn csv_cell(c: &Cell) -> Cow<'_, str> {
    match c {
        Cell::Text(s) => Cow::Borrowed(s),
        Cell::Time(t) => Cow::Owned(t.map(local_time).unwrap_or_default()),
        Cell::Number(n) => Cow::Owned(n.map(|x| x.to_string()).unwrap_or_default()),
    }
}

/// Where the next page of an export starts: after this sort-key value and id.
#[derive(Debug, Clone)]
struct Cursor {
    key: i64,
    id: String,
}

/// The order of an export: the queue's sort key, then the id, so paging by
/// key is exact.
#[derive(Debug, Clone, Copy)]
struct Order {
    column: &'static str,
    dir: Dir,
}

impl Order {
    fn of(q: &ReportQuery) -> Self {
        match q.sort.as_deref() {
            Some("-received_at") => Self { column: "received_at", dir: Dir::Desc },
            Some("received_at") => Self { column: "received_at", dir: Dir::Asc },
            _ => Self { column: "due_at", dir: Dir::Asc },
        }
    }

    fn key(self, r: &Report) -> i64 {
        to_millis(if self.column == "received_at" { r.received_at } else { r.due_at })
    }
}

/// A streamed CSV export in progress.
struct CsvExport {
    feedback: Feedback,
    caller: Caller,
    layout: Arc<Layout>,
    filter: Filter,
    order: Order,
    now: i64,
    cursor: Option<Cursor>,
    started: bool,
    done: bool,
}

impl CsvExport {
    /// The next chunk: the BOM and header with the first page, then a page at a time; `None` at the end.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, FeedbackError> {
        if self.done {
            return Ok(None);
        }
        let mut out = String::new();
        if !self.started {
            self.started = true;
            out.push_str(BOM);
            csv_record(&mut out, self.layout.header_names().into_iter().map(Cow::Borrowed));
        }
        let page = self.feedback.export_page(&self.filter, self.order, self.cursor.as_ref(), self.now).await?;
        if (page.len() as i64) < PAGE_ROWS {
            self.done = true;
        }
        if let Some(last) = page.last() {
            self.cursor = Some(Cursor { key: self.order.key(last), id: last.id.clone() });
        }
        for r in &page {
            let cells = self.layout.cells(r, Feedback::may_handle(&self.caller, r));
            csv_record(&mut out, cells.iter().map(csv_cell));
        }
        Ok(if out.is_empty() { None } else { Some(Bytes::from(out)) })
    }

    fn into_stream(self) -> impl Stream<Item = Result<Bytes, FeedbackError>> + Send {
        stream::unfold(self, |mut export| async move {
            match export.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), export)),
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, "export stopped by a database failure; the download is cut short");
                    export.done = true;
                    Some((Err(e), export))
                }
            }
        })
    }
}

/// The audit record's description of an export: format, language and the
/// filters set; the search words are left out (they may name a person).
fn describe(q: &ReportQuery, format: ExportFormat, lang: ExportLang) -> String {
    let mut s = format!(
        "export format={} lang={}",
        if format == ExportFormat::Xlsx { "xlsx" } else { "csv" },
        if lang == ExportLang::En { "en" } else { "vi" }
    );
    for (name, value) in [("status", &q.status), ("agency", &q.agency), ("category", &q.category), ("ward", &q.ward), ("sort", &q.sort)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            // Codes only: anything else is cut to what a code looks like.
            let v: String = v.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, ',' | '.' | '-' | '_')).take(200).collect();
            let _ = write!(s, " {name}={v}");
        }
    }
    if q.overdue == Some(true) {
        s.push_str(" overdue=true");
    }
    if q.unclear == Some(true) {
        s.push_str(" unclear=true");
    }
    if q.q.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        s.push_str(" q=(text search)");
    }
    s
}

fn attachment(filename: &str, content_type: &'static str, body: Body) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // Personal data: never kept by a browser or proxy cache.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

impl Feedback {
    /// The queue's reports as a CSV or XLSX attachment (see the module docs).
    ///
    /// # Errors
    /// 401/403 as the queue; 422 for an Excel export over [`XLSX_MAX_ROWS`] rows.
    pub async fn export(&self, caller: &Caller, q: &ReportQuery, options: ExportOptions) -> Result<Response, FeedbackError> {
        caller.require_any(Self::READERS)?;
        let format = options.format.unwrap_or_default();
        let lang = options.lang.unwrap_or_default();
        let now = to_millis(self.clock().now());
        let filter = self.queue_filter(caller, q, now);
        let order = Order::of(q);
        let total: i64 = query::count(&schema(self.db().backend()), Some(&filter))
            .map_err(|e| ApiError::invalid(e.to_string()))?
            .query()
            .fetch_one(self.db().reader())
            .await?
            .try_get("n")?;
        if format == ExportFormat::Xlsx && total > XLSX_MAX_ROWS {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "export_too_large", "Too many rows for Excel")
                .detail(format!("{total} reports match; an Excel export holds at most {XLSX_MAX_ROWS}. Export CSV, or narrow the filters."))
                .with("rows", total)
                .with("max_rows", XLSX_MAX_ROWS)
                .into());
        }
        let layout = Arc::new(Layout {
            lang,
            contacts: caller.has_any(&[Role::Operator, Role::Staff, Role::AgencyAdmin]),
            names: self.export_names().await?,
        });
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "feedback.report.export".into(),
            object: "reports".into(),
            purpose: Some(describe(q, format, lang)),
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(total),
        };
        cityos_audit::append_now(self.db(), self.clock(), &rec).await?;
        let date = cityos_calendar::local_date(self.clock().now()).format("%Y-%m-%d");
        match format {
            ExportFormat::Csv => {
                let export = CsvExport {
                    feedback: self.clone(),
                    caller: caller.clone(),
                    layout,
                    filter,
                    order,
                    now,
                    cursor: None,
                    started: false,
                    done: false,
                };
                Ok(attachment(&format!("1022-{date}.csv"), "text/csv; charset=utf-8", Body::from_stream(export.into_stream())))
            }
            ExportFormat::Xlsx => {
                // The workbook is written in a blocking task, page by page as the pages are read
                // (rust_xlsxwriter's constant-memory sheet keeps the rows in a temporary file).
                let (pages, mut received) = tokio::sync::mpsc::channel::<Vec<Vec<Cell>>>(2);
                let sheet_layout = Arc::clone(&layout);
                let writer = tokio::task::spawn_blocking(move || {
                    let mut sheet = Sheet::new(&sheet_layout)?;
                    while let Some(page) = received.blocking_recv() {
                        sheet.append(&page)?;
                    }
                    sheet.finish()
                });
                let mut cursor: Option<Cursor> = None;
                let mut written = 0_i64;
                loop {
                    let page = self.export_page(&filter, order, cursor.as_ref(), now).await?;
                    let full = page.len() as i64 == PAGE_ROWS;
                    if let Some(last) = page.last() {
                        cursor = Some(Cursor { key: order.key(last), id: last.id.clone() });
                    }
                    // Rows filed since the count are left for the next export rather than breaking the cap.
                    let take = usize::try_from((XLSX_MAX_ROWS - written).max(0)).unwrap_or(0);
                    let cells: Vec<Vec<Cell>> = page.iter().take(take).map(|r| layout.cells(r, Self::may_handle(caller, r))).collect();
                    written += cells.len() as i64;
                    // A closed channel means the writer failed: its error is reported below.
                    if pages.send(cells).await.is_err() || !full || written >= XLSX_MAX_ROWS {
                        break;
                    }
                }
                drop(pages);
                let book =
                    writer.await.map_err(|e| ApiError::internal(&e))?.map_err(|e: rust_xlsxwriter::XlsxError| ApiError::internal(&e))?;
                Ok(attachment(&format!("1022-{date}.xlsx"), XLSX_TYPE, Body::from(book)))
            }
        }
    }

    /// One page of the export after `cursor`, in `order`.
    async fn export_page(&self, filter: &Filter, order: Order, cursor: Option<&Cursor>, now: i64) -> Result<Vec<Report>, FeedbackError> {
        let mut parts = vec![filter.clone()];
        if let Some(c) = cursor {
            let op = if order.dir == Dir::Asc { Op::Gt } else { Op::Lt };
            parts.push(Filter::Or(vec![
                Filter::Cmp { column: order.column.into(), op, value: Value::Int(c.key) },
                Filter::And(vec![
                    Filter::Cmp { column: order.column.into(), op: Op::Eq, value: Value::Int(c.key) },
                    Filter::Cmp { column: "id".into(), op, value: Value::Text(c.id.clone()) },
                ]),
            ]));
        }
        let sel = Select {
            filter: Some(Filter::And(parts)),
            sort: vec![(order.column.into(), order.dir), ("id".into(), order.dir)],
            limit: Some(PAGE_ROWS),
            ..Select::default()
        };
        let compiled = query::select(&schema(self.db().backend()), &sel).map_err(|e| ApiError::invalid(e.to_string()))?;
        let rows = compiled.query().fetch_all(self.db().reader()).await?;
        Ok(rows.iter().map(|r| decode(r, now).map(|x| x.report)).collect::<Result<_, _>>()?)
    }

    async fn export_names(&self) -> Result<Names, FeedbackError> {
        let identity = |e: cityos_identity::IdentityError| FeedbackError::Identity(e.to_string());
        Ok(Names {
            categories: self.categories().await?.into_iter().map(|c| (c.code, (c.name_vi, c.name_en))).collect(),
            agencies: self.identity().agencies().await.map_err(identity)?.into_iter().map(|a| (a.code, (a.name_vi, a.name_en))).collect(),
            wards: self.identity().jurisdictions().await.map_err(identity)?.into_iter().map(|j| (j.code, j.name)).collect(),
        })
    }
}

/// An Excel export being written: one sheet, bold frozen header with a
/// filter, dates as Excel dates in Hồ Chí Minh City time, every text a string
/// (never a formula). Rows go to a temporary file as they come, so memory
/// stays flat however many there are.
struct Sheet {
    book: rust_xlsxwriter::Workbook,
    date: rust_xlsxwriter::Format,
    columns: u16,
    rows: u32,
}

impl Sheet {
    fn new(layout: &Layout) -> Result<Self, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut book = Workbook::new();
        let header = Format::new().set_bold();
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(if layout.lang == ExportLang::En { "Reports" } else { "Phản ánh" })?;
        let mut columns = 0_u16;
        for (column, name) in layout.headers().zip(layout.header_names()) {
            sheet.set_column_width(columns, column.width)?;
            sheet.write_string_with_format(0, columns, name, &header)?;
            columns += 1;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(Self { book, date: Format::new().set_num_format("dd/mm/yyyy hh:mm"), columns, rows: 0 })
    }

    fn append(&mut self, rows: &[Vec<Cell>]) -> Result<(), rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::ExcelDateTime;
        let sheet = self.book.worksheet_from_index(0)?;
        for cells in rows {
            self.rows += 1;
            for (j, cell) in cells.iter().enumerate() {
                let c = u16::try_from(j).unwrap_or(u16::MAX);
                match cell {
                    Cell::Text(s) if !s.is_empty() => {
                        sheet.write_string(self.rows, c, s)?;
                    }
                    Cell::Time(Some(t)) => {
                        let local = ExcelDateTime::from_timestamp(t.timestamp() + i64::from(VIETNAM_UTC_OFFSET_SECS))?;
                        sheet.write_datetime_with_format(self.rows, c, &local, &self.date)?;
                    }
                    Cell::Number(Some(n)) => {
                        sheet.write_number(self.rows, c, *n)?;
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let (rows, columns) = (self.rows, self.columns.saturating_sub(1));
        self.book.worksheet_from_index(0)?.autofilter(0, 0, rows, columns)?;
        self.book.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("Ổ gà lớn"), "Ổ gà lớn");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("nói \"gấp\""), "\"nói \"\"gấp\"\"\"");
        assert_eq!(csv_field("dòng 1\ndòng 2"), "\"dòng 1\ndòng 2\"");
        for (raw, safe) in [
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("+84901234567", "'+84901234567"),
            ("-1+2", "'-1+2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
        ] {
            assert_eq!(csv_field(raw), safe, "{raw:?}");
        }
        let mut line = String::new();
        csv_record(&mut line, ["a", "", "b c"].map(Cow::Borrowed));
        assert_eq!(line, "a,,b c\r\n");
    }

    #[test]
    fn times_are_shown_in_ho_chi_minh_city() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-04-24T17:30:00Z").unwrap().to_utc();
        assert_eq!(local_time(t), "25/04/2026 00:30");
    }

    #[test]
    fn the_audit_description_keeps_codes_and_drops_search_words() {
        let q = ReportQuery {
            status: Some("forwarded,acknowledged".into()),
            agency: Some("UBND-P-SAIGON".into()),
            q: Some("Lê Thị Mai 0909111222".into()),
            overdue: Some(true),
            ..ReportQuery::default()
        };
        let d = describe(&q, ExportFormat::Xlsx, ExportLang::En);
        assert_eq!(d, "export format=xlsx lang=en status=forwarded,acknowledged agency=UBND-P-SAIGON overdue=true q=(text search)");
    }
}
