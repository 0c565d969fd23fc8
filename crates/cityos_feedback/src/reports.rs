//! Reports: intake from every channel, routing, lifecycle, answers, the
//! citizen's confirmation and rating, queues and search.

use crate::model::{Channel, Status};
use crate::{Feedback, FeedbackError};
use cityos_api::{ApiError, Caller, Principal, Role, Target};
use cityos_audit::AuditRecord;
use cityos_core::{from_millis, new_id, to_millis, Classification, Page, PageParams};
use cityos_events::CloudEvent;
use cityos_notify::{Locale, NotificationRequest};
use cityos_store::query::{self, Column, Dir, Filter, Op, Schema, Select, Value};
use cityos_store::{Backend, Tx};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use std::borrow::Cow;
use utoipa::{IntoParams, ToSchema};

/// Who reported (personal data: shown only to the units handling the report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reporter {
    /// Name given.
    pub name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

/// A report being filed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewReport {
    /// Channel it came through (set by the endpoint for webhooks and Open311).
    #[serde(default = "default_channel")]
    pub channel: Channel,
    /// Category code; suggested from the text when absent.
    pub category_code: Option<String>,
    /// What is wrong, in the citizen's words.
    pub description: String,
    /// Latitude (WGS84).
    pub lat: Option<f64>,
    /// Longitude (WGS84).
    pub lon: Option<f64>,
    /// Address as given (ward names, also pre-2025 names, are recognised).
    pub address: Option<String>,
    /// Contact details.
    #[serde(default)]
    pub reporter: Reporter,
    /// Hide the reporter from the public view entirely.
    #[serde(default)]
    pub anonymous: bool,
    /// The channel's own message id: the same id twice makes one report.
    pub external_id: Option<String>,
    /// `vi` (default) or `en`, for messages to the citizen.
    pub locale: Option<String>,
}

fn default_channel() -> Channel {
    Channel::Web
}

/// One entry of a report's history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReportUpdate {
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// `created`, `status`, `note`, `assignment`, `citizen_message` (the
    /// citizen wrote again about the report, e.g. an e-mail reply).
    pub kind: String,
    /// Status before.
    pub status_from: Option<String>,
    /// Status after.
    pub status_to: Option<String>,
    /// Unit after an assignment.
    pub agency_code: Option<String>,
    /// Text (internal note, public answer, reason).
    pub text: Option<String>,
    /// Whether citizens see it.
    pub public: bool,
    /// Photos and videos shown with this entry (ids; the public view lists only published ones).
    pub media: Vec<String>,
    /// For progress updates: the date the unit committed to finish by.
    pub committed_date: Option<chrono::NaiveDate>,
}

/// A report as staff see it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Report {
    /// Id.
    pub id: String,
    /// Tracking code given to the citizen.
    pub tracking_code: String,
    /// Channel.
    pub channel: String,
    /// Category code.
    pub category_code: Option<String>,
    /// Description.
    pub description: String,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Address.
    pub address: Option<String>,
    /// Ward (GSO code).
    pub jurisdiction_code: Option<String>,
    /// Responsible unit.
    pub agency_code: Option<String>,
    /// Status.
    pub status: Status,
    /// Whether the reporter asked to stay anonymous publicly.
    pub anonymous: bool,
    /// Contact details (only for units allowed to see them).
    pub reporter: Option<Reporter>,
    /// Received.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// Routed to the unit.
    pub forwarded_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Resolved.
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Answer due (end of the last working day).
    pub due_at: chrono::DateTime<chrono::Utc>,
    /// For unclear reports: jurisdiction must be settled by then.
    pub jurisdiction_due_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Past its deadline and still open.
    pub overdue: bool,
    /// Public answer.
    pub public_answer: Option<String>,
    /// Citizen's rating 1–5.
    pub rating: Option<i64>,
    /// Citizen's comment with the rating.
    pub rating_comment: Option<String>,
    /// The report this duplicates.
    pub duplicate_of: Option<String>,
    /// Last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Media the reporter published with it (Open311 `media_url`).
    pub media_url: Option<String>,
    /// History (on single-report reads).
    pub updates: Vec<ReportUpdate>,
}

/// A report as the public sees it: no names, phones, e-mails; location
/// rounded to about 100 m; internal notes left out.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicReport {
    /// Tracking code.
    pub tracking_code: String,
    /// Category code.
    pub category_code: Option<String>,
    /// Description with phone numbers and e-mail addresses masked.
    pub description: String,
    /// Ward (GSO code).
    pub jurisdiction_code: Option<String>,
    /// Status.
    pub status: Status,
    /// Status in Vietnamese.
    pub status_vi: String,
    /// Status in English.
    pub status_en: String,
    /// Rounded latitude.
    pub lat: Option<f64>,
    /// Rounded longitude.
    pub lon: Option<f64>,
    /// Received.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// Answer due.
    pub due_at: chrono::DateTime<chrono::Utc>,
    /// Resolved.
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Public answer.
    pub public_answer: Option<String>,
    /// Rating.
    pub rating: Option<i64>,
    /// The unit handling it.
    pub agency_code: Option<String>,
    /// Last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Media the reporter published with it.
    pub media_url: Option<String>,
    /// Photos and videos published by staff (redacted where needed).
    pub media: Vec<crate::media::PublicMedia>,
    /// Public history.
    pub updates: Vec<ReportUpdate>,
}

/// Queue filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Comma-separated statuses.
    pub status: Option<String>,
    /// Responsible unit.
    pub agency: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Ward (GSO code).
    pub ward: Option<String>,
    /// Only reports past their deadline.
    pub overdue: Option<bool>,
    /// Only the unclear-jurisdiction queue.
    pub unclear: Option<bool>,
    /// Full-text search (any diacritics).
    pub q: Option<String>,
    /// `due_at` (default), `-received_at`, `received_at`.
    pub sort: Option<String>,
    /// Page.
    pub page: Option<u32>,
    /// Per page.
    pub per_page: Option<u32>,
}

const COLUMNS: &str = "id, tracking_code, channel, category_code, description, lat, lon, address, jurisdiction_code, agency_code, status, anonymous,
    reporter_name, reporter_phone, reporter_email, reporter_citizen_id, locale, received_at, forwarded_at, resolved_at, due_at, jurisdiction_due_at,
    public_answer, rating, rating_comment, duplicate_of, updated_at, media_url, reporter_channel_id";

const QUEUE_COLUMNS: &[Column] = &[
    Column::fixed("id"),
    Column::fixed("tracking_code"),
    Column::fixed("channel"),
    Column::fixed("category_code"),
    Column::fixed("description"),
    Column::fixed("lat"),
    Column::fixed("lon"),
    Column::fixed("address"),
    Column::fixed("jurisdiction_code"),
    Column::fixed("agency_code"),
    Column::fixed("status"),
    Column::fixed("anonymous"),
    Column::fixed("reporter_name"),
    Column::fixed("reporter_phone"),
    Column::fixed("reporter_email"),
    Column::fixed("reporter_citizen_id"),
    Column::fixed("locale"),
    Column::fixed("received_at"),
    Column::fixed("forwarded_at"),
    Column::fixed("resolved_at"),
    Column::fixed("due_at"),
    Column::fixed("jurisdiction_due_at"),
    Column::fixed("public_answer"),
    Column::fixed("rating"),
    Column::fixed("rating_comment"),
    Column::fixed("duplicate_of"),
    Column::fixed("updated_at"),
    Column::fixed("media_url"),
    Column::fixed("reporter_channel_id"),
];

pub(crate) fn schema(backend: Backend) -> Schema {
    Schema {
        table: Cow::Borrowed("reports"),
        columns: Cow::Borrowed(QUEUE_COLUMNS),
        fulltext: Some(Cow::Borrowed(backend.pick(
            "rid IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH {})",
            "to_tsvector('simple', search) @@ to_tsquery('simple', {})",
        ))),
    }
}

/// Which reports a public listing returns; every filter that is set must hold.
#[derive(Debug, Clone, Default)]
pub struct PublicQuery {
    /// Tracking codes.
    pub codes: Option<Vec<String>>,
    /// Category codes.
    pub categories: Option<Vec<String>>,
    /// Statuses.
    pub statuses: Option<Vec<Status>>,
    /// Received at or after.
    pub received_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Received at or before.
    pub received_to: Option<chrono::DateTime<chrono::Utc>>,
    /// At most this many.
    pub limit: i64,
}

/// Which public history entries to return; every filter that is set must hold.
#[derive(Debug, Clone, Default)]
pub struct PublicUpdateQuery {
    /// Tracking codes of the reports.
    pub codes: Option<Vec<String>>,
    /// At or after.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// At or before.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// At most this many.
    pub limit: i64,
}

/// One public entry of a report's history (personal data masked).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicUpdate {
    /// Id of the entry.
    pub id: String,
    /// The report's tracking code.
    pub tracking_code: String,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// `created`, `status`, `assignment`.
    pub kind: String,
    /// Status after the change.
    pub status: Option<Status>,
    /// The report's status now.
    pub report_status: Status,
    /// Public text (answer, reason), with phone numbers and e-mail addresses masked.
    pub text: Option<String>,
}

const UPDATE_COLUMNS: &[Column] = &[
    Column { name: Cow::Borrowed("id"), sql: Cow::Borrowed("u.id") },
    Column { name: Cow::Borrowed("tracking_code"), sql: Cow::Borrowed("r.tracking_code") },
    Column { name: Cow::Borrowed("at"), sql: Cow::Borrowed("u.at") },
    Column { name: Cow::Borrowed("kind"), sql: Cow::Borrowed("u.kind") },
    Column { name: Cow::Borrowed("status_to"), sql: Cow::Borrowed("u.status_to") },
    Column { name: Cow::Borrowed("report_status"), sql: Cow::Borrowed("r.status") },
    Column { name: Cow::Borrowed("text"), sql: Cow::Borrowed("u.text") },
    Column { name: Cow::Borrowed("public"), sql: Cow::Borrowed("u.public") },
];

fn update_schema() -> Schema {
    Schema {
        table: Cow::Borrowed("report_updates u JOIN reports r ON r.id = u.report_id"),
        columns: Cow::Borrowed(UPDATE_COLUMNS),
        fulltext: None,
    }
}

/// Internal row with the citizen link kept for notifications.
pub(crate) struct Row {
    pub(crate) report: Report,
    pub(crate) citizen_id: Option<String>,
    locale: String,
    /// The citizen's id on the chat channel the report came by (Zalo user id, Messenger PSID).
    sender: Option<String>,
}

pub(crate) fn decode(r: &sqlx::any::AnyRow, now: i64) -> Result<Row, sqlx::Error> {
    let status = Status::parse(&r.try_get::<String, _>("status")?).unwrap_or(Status::Received);
    let due: i64 = r.try_get("due_at")?;
    let jdue: Option<i64> = r.try_get("jurisdiction_due_at")?;
    let reporter = Reporter { name: r.try_get("reporter_name")?, phone: r.try_get("reporter_phone")?, email: r.try_get("reporter_email")? };
    let overdue = status.is_open() && (due < now || (status == Status::Received && jdue.is_some_and(|j| j < now)));
    Ok(Row {
        report: Report {
            id: r.try_get("id")?,
            tracking_code: r.try_get("tracking_code")?,
            channel: r.try_get("channel")?,
            category_code: r.try_get("category_code")?,
            description: r.try_get("description")?,
            lat: r.try_get("lat")?,
            lon: r.try_get("lon")?,
            address: r.try_get("address")?,
            jurisdiction_code: r.try_get("jurisdiction_code")?,
            agency_code: r.try_get("agency_code")?,
            status,
            anonymous: r.try_get::<i64, _>("anonymous")? != 0,
            reporter: Some(reporter),
            received_at: from_millis(r.try_get("received_at")?),
            forwarded_at: r.try_get::<Option<i64>, _>("forwarded_at")?.map(from_millis),
            resolved_at: r.try_get::<Option<i64>, _>("resolved_at")?.map(from_millis),
            due_at: from_millis(due),
            jurisdiction_due_at: jdue.map(from_millis),
            overdue,
            public_answer: r.try_get("public_answer")?,
            rating: r.try_get("rating")?,
            rating_comment: r.try_get("rating_comment")?,
            duplicate_of: r.try_get("duplicate_of")?,
            updated_at: from_millis(r.try_get("updated_at")?),
            media_url: r.try_get("media_url")?,
            updates: Vec::new(),
        },
        citizen_id: r.try_get("reporter_citizen_id")?,
        locale: r.try_get("locale")?,
        sender: r.try_get("reporter_channel_id")?,
    })
}

/// Masks phone numbers (runs of 8+ digits, spaces and dots allowed) and
/// e-mail addresses in text shown publicly.
#[must_use]
pub fn mask_personal(text: &str) -> String {
    let words: Vec<String> =
        text.split(' ').map(|w| if w.contains('@') && w.contains('.') { "[email]".to_string() } else { w.to_string() }).collect();
    let joined = words.join(" ");
    let chars: Vec<char> = joined.chars().collect();
    let mut out = String::with_capacity(joined.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let mut j = i + 1;
            let mut digits = usize::from(chars[i].is_ascii_digit());
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || ((chars[j] == ' ' || chars[j] == '.' || chars[j] == '-') && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
            {
                digits += usize::from(chars[j].is_ascii_digit());
                j += 1;
            }
            if digits >= 8 {
                out.push_str("[số điện thoại]");
            } else {
                out.extend(&chars[i..j]);
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn round3(x: Option<f64>) -> Option<f64> {
    x.map(|v| (v * 1000.0).round() / 1000.0)
}

fn tracking_code(now: chrono::DateTime<chrono::Utc>) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..5).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect();
    format!("{}-{tail}", cityos_calendar::local_date(now).format("%y%m%d"))
}

impl Feedback {
    /// The ward for a report: the polygon containing its point, else a ward
    /// name (current or pre-2025) found in its address.
    async fn ward_for(&self, lat: Option<f64>, lon: Option<f64>, address: Option<&str>) -> Result<Option<String>, FeedbackError> {
        if let (Some(lat), Some(lon)) = (lat, lon) {
            match self.identity.locate(lat, lon).await {
                Ok(Some(j)) => return Ok(Some(j.code)),
                Ok(None) => {}
                Err(cityos_identity::IdentityError::Api(e)) => return Err(e.into()),
                Err(e) => return Err(FeedbackError::Identity(e.to_string())),
            }
        }
        match address {
            Some(addr) => self.ward_named_in(addr).await,
            None => Ok(None),
        }
    }

    /// The ward whose name (current or pre-2025) appears in `address`.
    pub(crate) async fn ward_named_in(&self, address: &str) -> Result<Option<String>, FeedbackError> {
        let folded = format!(" {} ", cityos_text::tokens(address).join(" "));
        let units = self.identity.jurisdictions().await.map_err(|e| FeedbackError::Identity(e.to_string()))?;
        // Longest names first, so "phuong an phu dong" wins over "phuong an phu".
        let mut wards: Vec<(String, String)> =
            units.into_iter().filter(|j| j.level == 2).map(|j| (cityos_text::tokens(&j.name).join(" "), j.code)).collect();
        wards.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        if let Some((_, code)) = wards.iter().find(|(n, _)| folded.contains(&format!(" {n} "))) {
            return Ok(Some(code.clone()));
        }
        let legacy = sqlx::query("SELECT name, default_new_code FROM legacy_units").fetch_all(self.db.reader()).await?;
        let mut old: Vec<(String, String)> = legacy
            .iter()
            .filter_map(|r| {
                Some((cityos_text::tokens(&r.try_get::<String, _>("name").ok()?).join(" "), r.try_get("default_new_code").ok()?))
            })
            .collect();
        old.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        Ok(old.into_iter().find(|(n, _)| folded.contains(&format!(" {n} "))).map(|(_, c)| c))
    }

    /// Files a report from any channel. Anyone may file; a signed-in citizen's
    /// report is linked to their account. Routing happens at once when the
    /// ward and category are known (that counts as forwarding); otherwise the
    /// report waits in the unclear queue with a one-hour deadline.
    ///
    /// # Errors
    /// 422 for invalid input.
    pub async fn create_report(&self, caller: &Caller, new: &NewReport) -> Result<Report, FeedbackError> {
        self.file_report(caller, new, None).await
    }

    /// [`Feedback::create_report`] with a link to media the reporter
    /// published (Open311's `media_url`: an http(s) URL, checked by the caller).
    pub(crate) async fn file_report(&self, caller: &Caller, new: &NewReport, media_url: Option<&str>) -> Result<Report, FeedbackError> {
        self.file_report_from(caller, new, media_url, None).await
    }

    /// [`Feedback::create_report`] for a message that came by chat (Zalo,
    /// Messenger): `sender` is the citizen's id there, kept with the report so
    /// that every notification about it is also answered on that channel.
    pub(crate) async fn create_report_with_sender(
        &self,
        caller: &Caller,
        new: &NewReport,
        sender: Option<&str>,
    ) -> Result<Report, FeedbackError> {
        self.file_report_from(caller, new, None, sender).await
    }

    async fn file_report_from(
        &self,
        caller: &Caller,
        new: &NewReport,
        media_url: Option<&str>,
        sender: Option<&str>,
    ) -> Result<Report, FeedbackError> {
        let description = cityos_text::nfc(new.description.trim());
        if description.chars().count() < 5 || description.chars().count() > 5000 {
            return Err(ApiError::invalid("description must be 5–5000 characters").into());
        }
        match (new.lat, new.lon) {
            (Some(lat), Some(lon)) if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) => {
                return Err(ApiError::invalid("lat must be within ±90 and lon within ±180").into())
            }
            (Some(_), None) | (None, Some(_)) => return Err(ApiError::invalid("give both lat and lon, or neither").into()),
            _ => {}
        }
        if let Some(ext) = &new.external_id {
            if let Some(existing) = self.by_external(new.channel, ext).await? {
                return Ok(existing);
            }
        }
        let category = match &new.category_code {
            Some(c) => Some(self.category(c).await?.ok_or_else(|| ApiError::invalid(format!("unknown category {c}")))?),
            None => self.suggest_category(&description).await?,
        };
        // An address without a point is located by the city's geocoder, when there is one.
        let (lat, lon) = match (new.lat, new.lon, new.address.as_deref()) {
            (None, None, Some(addr)) => self.geocode_point(addr).await.unzip(),
            _ => (new.lat, new.lon),
        };
        let ward = self.ward_for(lat, lon, new.address.as_deref()).await?;
        let agency = match (&category, &ward) {
            (Some(c), Some(_)) | (Some(c), None) if ward.is_some() || c.default_agency_code.is_some() => {
                self.route_for(Some(&c.code), ward.as_deref()).await?
            }
            (None, Some(w)) => self.route_for(None, Some(w)).await?,
            _ => None,
        };
        // Unclear until both the place and the unit are known.
        let routed = agency.is_some() && ward.is_some();
        let now = self.clock.now();
        let days = category.as_ref().map_or(10, |c| c.deadline_days);
        let due = cityos_calendar::add_working_days(&self.calendar, now, u32::try_from(days).unwrap_or(10))
            .ok_or_else(|| ApiError::invalid("no deadline can be computed"))?;
        let (citizen_id, mut reporter) = match &caller.principal {
            Principal::Citizen { citizen_id } => (Some(citizen_id.clone()), new.reporter.clone()),
            _ => (None, new.reporter.clone()),
        };
        if citizen_id.is_some() {
            if let Ok(acc) = self.identity.citizen_account(caller).await {
                match acc.contact_kind.as_str() {
                    "email" if reporter.email.is_none() => reporter.email = Some(acc.contact),
                    "phone" if reporter.phone.is_none() => reporter.phone = Some(acc.contact),
                    _ => {}
                }
                if reporter.name.is_none() {
                    reporter.name = acc.display_name;
                }
            }
        }
        // Contacts are stored normalised (E.164 phones, lower-case e-mail) so replies reach them.
        if let Some(p) = reporter.phone.as_deref().filter(|p| !p.trim().is_empty()) {
            match cityos_identity::normalise_contact(p) {
                Ok(c) if c.kind == "phone" => reporter.phone = Some(c.value),
                _ => return Err(ApiError::invalid("reporter.phone is not a phone number").into()),
            }
        } else {
            reporter.phone = None;
        }
        if let Some(e) = reporter.email.as_deref().filter(|e| !e.trim().is_empty()) {
            match cityos_identity::normalise_contact(e) {
                Ok(c) if c.kind == "email" => reporter.email = Some(c.value),
                _ => return Err(ApiError::invalid("reporter.email is not an e-mail address").into()),
            }
        } else {
            reporter.email = None;
        }
        let id = new_id();
        let status = if routed { Status::Forwarded } else { Status::Received };
        let locale = new.locale.clone().filter(|l| l == "en").unwrap_or_else(|| "vi".into());
        let search = cityos_text::tokens(&format!(
            "{} {} {}",
            description,
            new.address.as_deref().unwrap_or(""),
            category.as_ref().map(|c| format!("{} {}", c.name_vi, c.name_en)).unwrap_or_default()
        ))
        .join(" ");
        let mut tx = self.db.begin().await?;
        let mut code = tracking_code(now);
        for _ in 0..5 {
            if sqlx::query("SELECT 1 AS x FROM reports WHERE tracking_code = $1").bind(&code).fetch_optional(&mut *tx).await?.is_none() {
                break;
            }
            code = tracking_code(now);
        }
        let rid: i64 = sqlx::query(
            "INSERT INTO reports (id, tracking_code, channel, external_id, category_code, description, search, lat, lon, address, jurisdiction_code, agency_code,
               status, anonymous, reporter_citizen_id, reporter_name, reporter_phone, reporter_email, locale, received_at, forwarded_at, due_at, jurisdiction_due_at, updated_at, media_url,
               reporter_channel_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, CAST(NULLIF($8, '') AS DOUBLE PRECISION), CAST(NULLIF($9, '') AS DOUBLE PRECISION),
               $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $20, $24, $25) RETURNING rid",
        )
        .bind(&id)
        .bind(&code)
        .bind(new.channel.as_str())
        .bind(new.external_id.as_deref())
        .bind(category.as_ref().map(|c| c.code.clone()))
        .bind(&description)
        .bind(&search)
        // Coordinates travel as text: sqlx 0.8's Any driver binds a missing f64 as a float4 NULL, and
        // PostgreSQL then keeps float4 for that connection's cached statement, refusing the next real f64.
        .bind(lat.map(|x| x.to_string()).unwrap_or_default())
        .bind(lon.map(|x| x.to_string()).unwrap_or_default())
        .bind(new.address.as_deref().map(str::trim))
        .bind(ward.as_deref())
        .bind(agency.as_deref().filter(|_| routed))
        .bind(status.as_str())
        .bind(i64::from(new.anonymous))
        .bind(citizen_id.as_deref())
        .bind(reporter.name.as_deref())
        .bind(reporter.phone.as_deref())
        .bind(reporter.email.as_deref())
        .bind(&locale)
        .bind(to_millis(now))
        .bind(routed.then(|| to_millis(now)))
        .bind(to_millis(due))
        .bind((!routed).then(|| to_millis(now + chrono::Duration::hours(1))))
        .bind(media_url)
        .bind(sender)
        .fetch_one(&mut *tx)
        .await?
        .try_get("rid")?;
        if self.db.backend() == Backend::Sqlite {
            sqlx::query("INSERT INTO reports_fts (rowid, search) VALUES ($1, $2)").bind(rid).bind(&search).execute(&mut *tx).await?;
        }
        self.history(&mut tx, &id, &caller.actor(), "created", None, Some(status), agency.as_deref().filter(|_| routed), None, true)
            .await?;
        let chat = sender.map(|s| (new.channel.as_str(), s));
        self.notify_reporter(&mut tx, &reporter, chat, &locale, &code, "report_received", None).await?;
        let ev = CloudEvent::new(&self.clock, "/cityos/feedback", "vn.cityos.feedback.report.created", Classification::Internal, serde_json::json!({
            "id": id, "tracking_code": code, "category": category.as_ref().map(|c| c.code.clone()), "ward": ward, "status": status.as_str(),
        }))
        .subject(format!("report:{id}"))
        .agency(agency.clone().filter(|_| routed))
        .jurisdiction(ward.clone());
        cityos_events::publish(&mut tx, &ev).await?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "feedback.report.create".into(),
            object: format!("report:{id}"),
            purpose: Some(format!("channel {}", new.channel.as_str())),
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        self.load(&id).await?.map(|r| r.report).ok_or_else(|| ApiError::not_found("report").into())
    }

    async fn by_external(&self, channel: Channel, ext: &str) -> Result<Option<Report>, FeedbackError> {
        let row = sqlx::query("SELECT id FROM reports WHERE channel = $1 AND external_id = $2")
            .bind(channel.as_str())
            .bind(ext)
            .fetch_optional(self.db.reader())
            .await?;
        match row {
            Some(r) => Ok(self.load(&r.try_get::<String, _>("id")?).await?.map(|r| r.report)),
            None => Ok(None),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn history(
        &self,
        tx: &mut Tx,
        report_id: &str,
        actor: &str,
        kind: &str,
        from: Option<Status>,
        to: Option<Status>,
        agency: Option<&str>,
        text: Option<&str>,
        public: bool,
    ) -> Result<String, FeedbackError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO report_updates (id, report_id, at, actor, kind, status_from, status_to, agency_code, text, public) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(report_id)
        .bind(to_millis(self.clock.now()))
        .bind(actor)
        .bind(kind)
        .bind(from.map(Status::as_str))
        .bind(to.map(Status::as_str))
        .bind(agency)
        .bind(text)
        .bind(i64::from(public))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Queues `template` about report `code` to the reporter's phone and
    /// e-mail, and on the chat it came by: `chat` is (report channel, the
    /// citizen's id there); `zalo` and `facebook` are answered there. For
    /// `email` the id is the `Message-ID` of the citizen's e-mail, which the
    /// e-mail answers (`In-Reply-To`), so it shows in the citizen's thread.
    /// Browsers that subscribed to the report in the 1022 app get a web push.
    #[expect(clippy::too_many_arguments, reason = "one notification, described field by field")]
    async fn notify_reporter(
        &self,
        tx: &mut Tx,
        reporter: &Reporter,
        chat: Option<(&str, &str)>,
        locale: &str,
        code: &str,
        template: &str,
        status: Option<Status>,
    ) -> Result<(), FeedbackError> {
        let locale = Locale::parse(locale).unwrap_or(Locale::Vi);
        let url = format!("{}/#/track/{code}", self.public_url);
        let mut targets: Vec<NotificationRequest> = [
            reporter.phone.as_ref().map(|p| NotificationRequest::sms(p, template)),
            reporter.email.as_ref().map(|e| match chat {
                Some(("email", message_id)) => NotificationRequest::email(e, template).var(cityos_notify::IN_REPLY_TO, message_id),
                _ => NotificationRequest::email(e, template),
            }),
            match chat {
                Some(("zalo", id)) => Some(NotificationRequest::zalo(id, template)),
                Some(("facebook", id)) => Some(NotificationRequest::messenger(id, template)),
                _ => None,
            },
        ]
        .into_iter()
        .flatten()
        .collect();
        // The 1022 app's push subscriptions following this report (or all of its citizen's).
        targets.extend(crate::push::web_push_targets(tx, code, template, status).await?);
        for req in targets {
            let mut req = req
                .locale(locale)
                .var("report_id", code)
                .var("url", &url)
                .purpose("report status")
                .related_object(format!("report:{code}"));
            if let Some(s) = status {
                req = req.var("status", if locale == Locale::En { s.label_en() } else { s.label_vi() });
            }
            cityos_notify::enqueue(tx, self.clock.as_ref(), &req).await.map_err(|e| FeedbackError::Notify(e.to_string()))?;
        }
        Ok(())
    }

    pub(crate) async fn load(&self, id_or_code: &str) -> Result<Option<Row>, FeedbackError> {
        let sql = format!("SELECT {COLUMNS} FROM reports WHERE id = $1 OR tracking_code = $1");
        let row = sqlx::query(&sql).bind(id_or_code).fetch_optional(self.db.reader()).await?;
        let now = to_millis(self.clock.now());
        let Some(row) = row else { return Ok(None) };
        let mut r = decode(&row, now)?;
        let ups = sqlx::query(
            "SELECT id, at, kind, status_from, status_to, agency_code, text, public, committed_date FROM report_updates WHERE report_id = $1 ORDER BY at, id",
        )
        .bind(&r.report.id)
        .fetch_all(self.db.reader())
        .await?;
        let shown =
            sqlx::query("SELECT id, update_id FROM report_media WHERE report_id = $1 AND update_id IS NOT NULL ORDER BY created_at, id")
                .bind(&r.report.id)
                .fetch_all(self.db.reader())
                .await?;
        for u in ups {
            let update_id: String = u.try_get("id")?;
            let mut media = Vec::new();
            for m in &shown {
                if m.try_get::<String, _>("update_id")? == update_id {
                    media.push(m.try_get("id")?);
                }
            }
            let committed: Option<String> = u.try_get("committed_date")?;
            r.report.updates.push(ReportUpdate {
                media,
                committed_date: committed.and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                at: from_millis(u.try_get("at")?),
                kind: u.try_get("kind")?,
                status_from: u.try_get("status_from")?,
                status_to: u.try_get("status_to")?,
                agency_code: u.try_get("agency_code")?,
                text: u.try_get("text")?,
                public: u.try_get::<i64, _>("public")? != 0,
            });
        }
        Ok(Some(r))
    }

    /// Staff roles that read reports.
    pub(crate) const READERS: &'static [Role] = &[Role::Operator, Role::Staff, Role::Viewer, Role::AgencyAdmin];

    pub(crate) fn may_read(caller: &Caller, r: &Report) -> bool {
        caller.has_any(&[Role::Operator])
            || caller.has_for(Self::READERS, &Target { agency: r.agency_code.as_deref(), jurisdiction: r.jurisdiction_code.as_deref() })
    }

    pub(crate) fn may_handle(caller: &Caller, r: &Report) -> bool {
        caller.has_any(&[Role::Operator])
            || caller.has_for(
                &[Role::Staff, Role::AgencyAdmin],
                &Target { agency: r.agency_code.as_deref(), jurisdiction: r.jurisdiction_code.as_deref() },
            )
    }

    /// One report for staff (operators: all; others: their units' reports).
    /// Reading it (with the reporter's contact details) is audited.
    ///
    /// # Errors
    /// 401/403/404.
    pub async fn report(&self, caller: &Caller, id: &str) -> Result<Report, FeedbackError> {
        caller.require_any(Self::READERS)?;
        let mut r = self.load(id).await?.ok_or_else(|| ApiError::not_found("no such report"))?.report;
        if !Self::may_read(caller, &r) {
            return Err(ApiError::forbidden("this report belongs to another unit").into());
        }
        // Contact details only for those who handle the report (need to know).
        if !Self::may_handle(caller, &r) {
            r.reporter = None;
        }
        self.audit_read(caller, &format!("report:{}", r.id), 1).await?;
        Ok(r)
    }

    async fn audit_read(&self, caller: &Caller, object: &str, rows: usize) -> Result<(), FeedbackError> {
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "feedback.report.read".into(),
            object: object.into(),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(i64::try_from(rows).unwrap_or(i64::MAX)),
        };
        cityos_audit::append_now(&self.db, &self.clock, &rec).await?;
        Ok(())
    }

    /// A page of the queue: operators see every unit; others their units'.
    ///
    /// # Errors
    /// 401/403.
    pub async fn queue(&self, caller: &Caller, q: &ReportQuery) -> Result<Page<Report>, FeedbackError> {
        caller.require_any(Self::READERS)?;
        let now = to_millis(self.clock.now());
        let filter = self.queue_filter(caller, q, now);
        let sort = match q.sort.as_deref() {
            Some("-received_at") => vec![("received_at".to_string(), Dir::Desc)],
            Some("received_at") => vec![("received_at".to_string(), Dir::Asc)],
            _ => vec![("due_at".to_string(), Dir::Asc), ("received_at".to_string(), Dir::Asc)],
        };
        let page = PageParams { page: q.page, per_page: q.per_page };
        let schema = schema(self.db.backend());
        let sel =
            Select { filter: Some(filter.clone()), sort, limit: Some(page.limit()), offset: Some(page.offset()), ..Select::default() };
        let compiled = query::select(&schema, &sel).map_err(|e| ApiError::invalid(e.to_string()))?;
        let rows = compiled.query().fetch_all(self.db.reader()).await?;
        let total: i64 = query::count(&schema, Some(&filter))
            .map_err(|e| ApiError::invalid(e.to_string()))?
            .query()
            .fetch_one(self.db.reader())
            .await?
            .try_get("n")?;
        let mut items: Vec<Report> = rows.iter().map(|r| decode(r, now).map(|x| x.report)).collect::<Result<_, _>>()?;
        for r in &mut items {
            if !Self::may_handle(caller, r) {
                r.reporter = None;
            }
        }
        self.audit_read(caller, "reports", items.len()).await?;
        Ok(Page::new(items, total, &page))
    }

    /// The reports of the queue `q` that `caller` may read (operators: every
    /// unit; others: their units'), as one filter: the queue and the export
    /// share it, so both always select the same rows. `now` decides "overdue".
    pub(crate) fn queue_filter(&self, caller: &Caller, q: &ReportQuery, now: i64) -> Filter {
        let mut parts = Vec::new();
        if !caller.has_any(&[Role::Operator]) {
            if let Some(set) = caller.agencies_for(Self::READERS) {
                let mut vals: Vec<Value> = set.into_iter().map(Value::Text).collect();
                vals.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
                parts.push(Filter::In { column: "agency_code".into(), values: vals });
            }
        }
        if let Some(s) = &q.status {
            let vals: Vec<Value> = s.split(',').filter_map(|x| Status::parse(x.trim())).map(|x| Value::Text(x.as_str().into())).collect();
            parts.push(Filter::In { column: "status".into(), values: vals });
        }
        for (col, v) in [("agency_code", &q.agency), ("category_code", &q.category), ("jurisdiction_code", &q.ward)] {
            if let Some(v) = v {
                parts.push(Filter::Cmp { column: col.into(), op: Op::Eq, value: Value::Text(v.clone()) });
            }
        }
        if q.overdue == Some(true) {
            parts.push(Filter::Cmp { column: "due_at".into(), op: Op::Lt, value: Value::Int(now) });
            let open: Vec<Value> = open_states();
            parts.push(Filter::In { column: "status".into(), values: open });
        }
        if q.unclear == Some(true) {
            parts.push(Filter::Cmp { column: "status".into(), op: Op::Eq, value: Value::Text("received".into()) });
        }
        if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
            let fts = match self.db.backend() {
                Backend::Sqlite => cityos_text::fts_query(text),
                Backend::Postgres => cityos_text::pg_tsquery(text),
            };
            match fts {
                Some(f) => parts.push(Filter::FullText(f)),
                None => parts.push(Filter::Or(vec![])),
            }
        }
        Filter::And(parts)
    }

    /// Reports as the public sees them (anyone; not audited: nothing
    /// non-public is read), newest first. Every filter that is set must hold.
    ///
    /// # Errors
    /// Database failure.
    pub async fn public_list(&self, q: &PublicQuery) -> Result<Vec<PublicReport>, FeedbackError> {
        let text = |v: &[String]| v.iter().map(|x| Value::Text(x.clone())).collect::<Vec<_>>();
        let mut parts = Vec::new();
        if let Some(codes) = &q.codes {
            parts.push(Filter::In { column: "tracking_code".into(), values: text(codes) });
        }
        if let Some(cats) = &q.categories {
            parts.push(Filter::In { column: "category_code".into(), values: text(cats) });
        }
        if let Some(statuses) = &q.statuses {
            parts.push(Filter::In { column: "status".into(), values: statuses.iter().map(|s| Value::Text(s.as_str().into())).collect() });
        }
        if let Some(from) = q.received_from {
            parts.push(Filter::Cmp { column: "received_at".into(), op: Op::Ge, value: Value::Int(to_millis(from)) });
        }
        if let Some(to) = q.received_to {
            parts.push(Filter::Cmp { column: "received_at".into(), op: Op::Le, value: Value::Int(to_millis(to)) });
        }
        let sel = Select {
            filter: Some(Filter::And(parts)),
            sort: vec![("received_at".into(), Dir::Desc), ("tracking_code".into(), Dir::Asc)],
            limit: Some(q.limit.max(0)),
            ..Select::default()
        };
        let compiled = query::select(&schema(self.db.backend()), &sel).map_err(|e| ApiError::invalid(e.to_string()))?;
        let rows = compiled.query().fetch_all(self.db.reader()).await?;
        let now = to_millis(self.clock.now());
        Ok(rows.iter().map(|r| decode(r, now).map(|x| to_public(x.report, Vec::new()))).collect::<Result<_, _>>()?)
    }

    /// The public history of reports (anyone): status changes and public
    /// answers, never internal notes, oldest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn public_updates(&self, q: &PublicUpdateQuery) -> Result<Vec<PublicUpdate>, FeedbackError> {
        let mut parts = vec![Filter::Cmp { column: "public".into(), op: Op::Eq, value: Value::Int(1) }];
        if let Some(codes) = &q.codes {
            parts.push(Filter::In { column: "tracking_code".into(), values: codes.iter().map(|c| Value::Text(c.clone())).collect() });
        }
        if let Some(from) = q.from {
            parts.push(Filter::Cmp { column: "at".into(), op: Op::Ge, value: Value::Int(to_millis(from)) });
        }
        if let Some(to) = q.to {
            parts.push(Filter::Cmp { column: "at".into(), op: Op::Le, value: Value::Int(to_millis(to)) });
        }
        let sel = Select {
            filter: Some(Filter::And(parts)),
            sort: vec![("at".into(), Dir::Asc), ("id".into(), Dir::Asc)],
            limit: Some(q.limit.max(0)),
            ..Select::default()
        };
        let compiled = query::select(&update_schema(), &sel).map_err(|e| ApiError::invalid(e.to_string()))?;
        let rows = compiled.query().fetch_all(self.db.reader()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(PublicUpdate {
                id: r.try_get("id")?,
                tracking_code: r.try_get("tracking_code")?,
                at: from_millis(r.try_get("at")?),
                kind: r.try_get("kind")?,
                status: r.try_get::<Option<String>, _>("status_to")?.as_deref().and_then(Status::parse),
                report_status: Status::parse(&r.try_get::<String, _>("report_status")?).unwrap_or_default(),
                text: r.try_get::<Option<String>, _>("text")?.map(|t| mask_personal(&t)),
            });
        }
        Ok(out)
    }

    /// Moves a report through its lifecycle (operators: any; staff: their
    /// units'). `forwarded` with `agency_code` reassigns (operators only, with
    /// a reason); `rejected` needs a reason; `duplicate` needs `duplicate_of`;
    /// `resolved` needs the public answer. The citizen is told on every change.
    ///
    /// # Errors
    /// 401/403/404, 409 for a transition the lifecycle does not allow, 422 for missing text.
    pub async fn transition(&self, caller: &Caller, id: &str, change: &Transition) -> Result<Report, FeedbackError> {
        caller.require_any(&[Role::Operator, Role::Staff, Role::AgencyAdmin])?;
        let row = self.load(id).await?.ok_or_else(|| ApiError::not_found("no such report"))?;
        let r = &row.report;
        if !Self::may_handle(caller, r) {
            return Err(ApiError::forbidden("this report belongs to another unit").into());
        }
        let to = change.status;
        if !r.status.can_become(to) {
            return Err(ApiError::conflict(format!("a {} report cannot become {}", r.status.as_str(), to.as_str())).into());
        }
        // Whether a resolved report is really fixed is the citizen's word: units cannot close or
        // reopen their own work; the call centre records it when the citizen phones in.
        if r.status == Status::Resolved && !caller.has_any(&[Role::Operator]) {
            return Err(
                ApiError::forbidden("only the citizen (or the call centre on their behalf) confirms or reopens a resolved report").into()
            );
        }
        let text = change.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if let Some(date) = change.committed_date {
            if to != Status::InProgress {
                return Err(ApiError::invalid("committed_date goes with the in_progress status").into());
            }
            if date < cityos_calendar::local_date(self.clock.now()) {
                return Err(ApiError::invalid("committed_date is in the past").into());
            }
        }
        crate::media::check_update_media(self, &r.id, &change.media).await?;
        let mut agency = r.agency_code.clone();
        let mut duplicate_of = None;
        match to {
            Status::Forwarded => {
                let target = change
                    .agency_code
                    .clone()
                    .or_else(|| r.agency_code.clone())
                    .ok_or_else(|| ApiError::invalid("agency_code is required to forward"))?;
                // Routing an unclear report is a first assignment; moving one from a unit is a reassignment.
                if r.agency_code.as_ref().is_some_and(|current| current != &target) {
                    caller.require_any(&[Role::Operator])?;
                    if text.is_none() {
                        return Err(ApiError::invalid("a reassignment needs a reason in text").into());
                    }
                }
                if r.jurisdiction_code.is_none() && change.jurisdiction_code.is_none() {
                    return Err(ApiError::invalid("settle the ward (jurisdiction_code) before forwarding").into());
                }
                if !self.identity.agencies().await.map_err(|e| FeedbackError::Identity(e.to_string()))?.iter().any(|a| a.code == target) {
                    return Err(ApiError::invalid(format!("unknown agency {target}")).into());
                }
                agency = Some(target);
            }
            Status::Rejected if text.is_none() => return Err(ApiError::invalid("a rejection needs a reason in text").into()),
            Status::Resolved if text.is_none() => return Err(ApiError::invalid("resolving needs the public answer in text").into()),
            Status::Duplicate => {
                let of = change.duplicate_of.as_deref().ok_or_else(|| ApiError::invalid("duplicate_of is required"))?;
                let other = self.load(of).await?.ok_or_else(|| ApiError::invalid("duplicate_of names no report"))?;
                if other.report.id == r.id {
                    return Err(ApiError::invalid("a report cannot duplicate itself").into());
                }
                duplicate_of = Some(other.report.id);
            }
            Status::Escalated => {
                let parent = match &r.agency_code {
                    Some(a) => self
                        .identity
                        .agencies()
                        .await
                        .map_err(|e| FeedbackError::Identity(e.to_string()))?
                        .into_iter()
                        .find(|x| &x.code == a)
                        .and_then(|x| x.parent_code),
                    None => None,
                };
                agency = parent.or(agency);
            }
            _ => {}
        }
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        let jurisdiction = change.jurisdiction_code.clone().or_else(|| r.jurisdiction_code.clone());
        sqlx::query(
            "UPDATE reports SET status = $1, agency_code = $2, jurisdiction_code = $3, updated_at = $4,
               forwarded_at = CASE WHEN $1 = 'forwarded' THEN $4 ELSE forwarded_at END,
               acknowledged_at = CASE WHEN $1 = 'acknowledged' THEN $4 ELSE acknowledged_at END,
               resolved_at = CASE WHEN $1 = 'resolved' THEN $4 ELSE resolved_at END,
               closed_at = CASE WHEN $1 IN ('closed', 'rejected', 'duplicate') THEN $4 ELSE closed_at END,
               public_answer = CASE WHEN $1 IN ('resolved', 'rejected') THEN $5 ELSE public_answer END,
               escalated = CASE WHEN $1 = 'escalated' THEN 1 ELSE escalated END,
               duplicate_of = COALESCE($6, duplicate_of)
             WHERE id = $7",
        )
        .bind(to.as_str())
        .bind(agency.as_deref())
        .bind(jurisdiction.as_deref())
        .bind(now)
        .bind(text)
        .bind(duplicate_of.as_deref())
        .bind(&r.id)
        .execute(&mut *tx)
        .await?;
        let public = !matches!(to, Status::Escalated) || change.public;
        let kind = if agency != r.agency_code { "assignment" } else { "status" };
        let update_id =
            self.history(&mut tx, &r.id, &caller.actor(), kind, Some(r.status), Some(to), agency.as_deref(), text, public).await?;
        crate::media::show_with_update(&mut tx, &r.id, &update_id, &change.media).await?;
        if let Some(date) = change.committed_date {
            sqlx::query("UPDATE report_updates SET committed_date = $1 WHERE id = $2")
                .bind(date.format("%Y-%m-%d").to_string())
                .bind(&update_id)
                .execute(&mut *tx)
                .await?;
        }
        let reporter = r.reporter.clone().unwrap_or_default();
        let chat = row.sender.as_deref().map(|s| (r.channel.as_str(), s));
        self.notify_reporter(&mut tx, &reporter, chat, &row.locale, &r.tracking_code, "report_status_changed", Some(to)).await?;
        // Reporters of merged duplicates follow the surviving report.
        let merged =
            sqlx::query("SELECT tracking_code, channel, reporter_phone, reporter_email, reporter_channel_id, locale FROM reports WHERE duplicate_of = $1")
            .bind(&r.id)
            .fetch_all(&mut *tx)
            .await?;
        for m in merged {
            let who = Reporter { name: None, phone: m.try_get("reporter_phone")?, email: m.try_get("reporter_email")? };
            let code: String = m.try_get("tracking_code")?;
            let (channel, sender): (String, Option<String>) = (m.try_get("channel")?, m.try_get("reporter_channel_id")?);
            let chat = sender.as_deref().map(|s| (channel.as_str(), s));
            self.notify_reporter(&mut tx, &who, chat, &m.try_get::<String, _>("locale")?, &code, "report_status_changed", Some(to)).await?;
        }
        let ev = CloudEvent::new(
            &self.clock,
            "/cityos/feedback",
            "vn.cityos.feedback.report.status_changed",
            Classification::Internal,
            serde_json::json!({
                "id": r.id, "tracking_code": r.tracking_code, "from": r.status.as_str(), "to": to.as_str(), "agency": agency,
            }),
        )
        .subject(format!("report:{}", r.id))
        .agency(agency.clone())
        .jurisdiction(jurisdiction.clone());
        cityos_events::publish(&mut tx, &ev).await?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: format!("feedback.report.{}", to.as_str()),
            object: format!("report:{}", r.id),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        self.load(&r.id).await?.map(|x| x.report).ok_or_else(|| ApiError::not_found("report").into())
    }

    /// Adds a message from the reporting citizen about their report, come by
    /// `msg.channel` (an e-mail reply carrying the tracking code): kept in the
    /// history as `citizen_message` for the units handling the report (not
    /// public: a citizen's words may hold personal data), and the citizen is
    /// told on that channel that it arrived. The same `external_id` twice
    /// adds it once.
    ///
    /// # Errors
    /// 404 for an unknown report, 422 for an empty message.
    pub(crate) async fn add_citizen_message(&self, caller: &Caller, code: &str, msg: &CitizenMessage<'_>) -> Result<Report, FeedbackError> {
        let row = self.load(code).await?.ok_or_else(|| ApiError::not_found("no such report"))?;
        let r = &row.report;
        let text: String = cityos_text::nfc(msg.text.trim()).chars().take(5000).collect();
        if text.trim().is_empty() {
            return Err(ApiError::invalid("the message is empty").into());
        }
        let mut tx = self.db.begin().await?;
        let seen = sqlx::query("SELECT 1 AS x FROM report_updates WHERE report_id = $1 AND external_id = $2")
            .bind(&r.id)
            .bind(msg.external_id)
            .fetch_optional(&mut *tx)
            .await?;
        if seen.is_none() {
            let now = to_millis(self.clock.now());
            sqlx::query(
                "INSERT INTO report_updates (id, report_id, at, actor, kind, text, public, external_id) VALUES ($1, $2, $3, $4, 'citizen_message', $5, 0, $6)",
            )
            .bind(new_id())
            .bind(&r.id)
            .bind(now)
            .bind(caller.actor())
            .bind(&text)
            .bind(msg.external_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE reports SET updated_at = $1 WHERE id = $2").bind(now).bind(&r.id).execute(&mut *tx).await?;
            let chat = msg.thread.map(|t| (msg.channel.as_str(), t));
            self.notify_reporter(&mut tx, msg.reply_to, chat, &row.locale, &r.tracking_code, "report_message_received", None).await?;
            let ev = CloudEvent::new(
                &self.clock,
                "/cityos/feedback",
                "vn.cityos.feedback.report.citizen_message",
                Classification::Internal,
                serde_json::json!({ "id": r.id, "tracking_code": r.tracking_code, "channel": msg.channel.as_str() }),
            )
            .subject(format!("report:{}", r.id))
            .agency(r.agency_code.clone())
            .jurisdiction(r.jurisdiction_code.clone());
            cityos_events::publish(&mut tx, &ev).await?;
            let rec = AuditRecord {
                actor: caller.actor(),
                action: "feedback.report.citizen_message".into(),
                object: format!("report:{}", r.id),
                purpose: Some(format!("channel {}", msg.channel.as_str())),
                outcome: "success".into(),
                request_id: caller.request_id.clone(),
                row_count: Some(1),
            };
            cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
            tx.commit().await?;
        } else {
            drop(tx);
        }
        self.load(&r.id).await?.map(|x| x.report).ok_or_else(|| ApiError::not_found("report").into())
    }

    /// Adds an internal note (not shown to citizens).
    ///
    /// # Errors
    /// 401/403/404, 422 for an empty note.
    pub async fn note(&self, caller: &Caller, id: &str, text: &str) -> Result<(), FeedbackError> {
        caller.require_any(&[Role::Operator, Role::Staff, Role::AgencyAdmin])?;
        let r = self.load(id).await?.ok_or_else(|| ApiError::not_found("no such report"))?.report;
        if !Self::may_handle(caller, &r) {
            return Err(ApiError::forbidden("this report belongs to another unit").into());
        }
        if text.trim().is_empty() {
            return Err(ApiError::invalid("the note is empty").into());
        }
        let mut tx = self.db.begin().await?;
        self.history(&mut tx, &r.id, &caller.actor(), "note", None, None, None, Some(text.trim()), false).await?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "feedback.report.note".into(),
            object: format!("report:{}", r.id),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The reporting citizen says whether a resolved report is really fixed:
    /// "not fixed" reopens it (and restarts nothing silently: the unit sees it
    /// in its queue again), "fixed" closes it. Optional rating 1–5.
    ///
    /// # Errors
    /// 401/403 for anyone but the reporter, 409 unless resolved, 422 for a bad rating.
    pub async fn citizen_feedback(
        &self,
        caller: &Caller,
        code: &str,
        fixed: bool,
        rating: Option<i64>,
        comment: Option<&str>,
    ) -> Result<Report, FeedbackError> {
        let citizen = caller.require_citizen()?.to_string();
        let row = self.load(code).await?.ok_or_else(|| ApiError::not_found("no such report"))?;
        if row.citizen_id.as_deref() != Some(citizen.as_str()) {
            return Err(ApiError::forbidden("only the reporter can confirm or rate this report").into());
        }
        let r = &row.report;
        if r.status != Status::Resolved {
            return Err(ApiError::conflict("only a resolved report can be confirmed").into());
        }
        if rating.is_some_and(|x| !(1..=5).contains(&x)) {
            return Err(ApiError::invalid("rating must be 1–5").into());
        }
        let to = if fixed { Status::Closed } else { Status::Reopened };
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "UPDATE reports SET status = $1, updated_at = $2, closed_at = CASE WHEN $1 = 'closed' THEN $2 ELSE closed_at END,
               rating = COALESCE($3, rating), rating_comment = COALESCE($4, rating_comment) WHERE id = $5",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(rating)
        .bind(comment.map(str::trim).filter(|c| !c.is_empty()))
        .bind(&r.id)
        .execute(&mut *tx)
        .await?;
        let text = if fixed { "Người dân xác nhận đã khắc phục" } else { "Người dân báo chưa khắc phục" };
        self.history(&mut tx, &r.id, &caller.actor(), "status", Some(r.status), Some(to), None, Some(text), true).await?;
        let ev = CloudEvent::new(
            &self.clock,
            "/cityos/feedback",
            "vn.cityos.feedback.report.status_changed",
            Classification::Internal,
            serde_json::json!({
                "id": r.id, "tracking_code": r.tracking_code, "from": r.status.as_str(), "to": to.as_str(), "rating": rating,
            }),
        )
        .subject(format!("report:{}", r.id))
        .agency(r.agency_code.clone())
        .jurisdiction(r.jurisdiction_code.clone());
        cityos_events::publish(&mut tx, &ev).await?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: format!("feedback.report.citizen_{}", if fixed { "confirmed" } else { "reopened" }),
            object: format!("report:{}", r.id),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        self.load(&r.id).await?.map(|x| x.report).ok_or_else(|| ApiError::not_found("report").into())
    }

    /// A report's public view, by tracking code (anyone).
    ///
    /// # Errors
    /// 404.
    pub async fn public_report(&self, code: &str) -> Result<PublicReport, FeedbackError> {
        let r = self.load(code).await?.ok_or_else(|| ApiError::not_found("no such report"))?.report;
        let media = crate::media::public_media(self, &r.id).await?;
        Ok(to_public(r, media))
    }

    /// The signed-in citizen's own reports, newest first.
    ///
    /// # Errors
    /// 401/403.
    pub async fn my_reports(&self, caller: &Caller) -> Result<Vec<PublicReport>, FeedbackError> {
        let citizen = caller.require_citizen()?;
        let sql = format!("SELECT {COLUMNS} FROM reports WHERE reporter_citizen_id = $1 ORDER BY received_at DESC LIMIT 200");
        let rows = sqlx::query(&sql).bind(citizen).fetch_all(self.db.reader()).await?;
        let now = to_millis(self.clock.now());
        Ok(rows.iter().map(|r| decode(r, now).map(|x| to_public(x.report, Vec::new()))).collect::<Result<_, _>>()?)
    }

    /// Escalates open reports past their deadline to the supervising body
    /// (once each); returns how many.
    ///
    /// # Errors
    /// Database failure.
    pub async fn escalate_overdue(&self) -> Result<usize, FeedbackError> {
        let now = to_millis(self.clock.now());
        let rows = sqlx::query(
            "SELECT id FROM reports WHERE escalated = 0 AND due_at < $1 AND status IN ('forwarded', 'acknowledged', 'in_progress', 'reopened') ORDER BY due_at LIMIT 200",
        )
        .bind(now)
        .fetch_all(self.db.reader())
        .await?;
        let system = Caller {
            principal: Principal::Staff { user_id: "system".into(), username: "system".into(), agency: None, api_key_id: None },
            grants: vec![cityos_api::ResolvedGrant {
                role: Role::Operator,
                scope: cityos_api::Scope::City,
                agencies: None,
                jurisdictions: None,
            }],
            request_id: None,
        };
        let mut n = 0;
        for r in rows {
            let id: String = r.try_get("id")?;
            let change = Transition {
                status: Status::Escalated,
                text: Some("Quá hạn xử lý: tự động chuyển cấp trên".into()),
                ..Transition::default()
            };
            self.transition(&system, &id, &change).await?;
            n += 1;
        }
        Ok(n)
    }
}

/// Statuses whose deadline still runs, as bound values.
fn open_states() -> Vec<Value> {
    crate::insights::open_statuses().into_iter().map(|s| Value::Text(s.as_str().into())).collect()
}

/// The public view of `r`; `media` are its published files (none for lists),
/// and history entries show only those.
fn to_public(r: Report, media: Vec<crate::media::PublicMedia>) -> PublicReport {
    let published = |id: &String| media.iter().any(|m| &m.id == id);
    let updates = r
        .updates
        .into_iter()
        .filter(|u| u.public)
        .map(|u| ReportUpdate {
            text: u.text.map(|t| mask_personal(&t)),
            media: u.media.into_iter().filter(|id| published(id)).collect(),
            ..u
        })
        .collect();
    PublicReport {
        tracking_code: r.tracking_code,
        category_code: r.category_code,
        description: mask_personal(&r.description),
        jurisdiction_code: r.jurisdiction_code,
        status: r.status,
        status_vi: r.status.label_vi().into(),
        status_en: r.status.label_en().into(),
        lat: round3(r.lat),
        lon: round3(r.lon),
        received_at: r.received_at,
        due_at: r.due_at,
        resolved_at: r.resolved_at,
        public_answer: r.public_answer.map(|a| mask_personal(&a)),
        rating: r.rating,
        agency_code: r.agency_code,
        updated_at: r.updated_at,
        media_url: r.media_url,
        media,
        updates,
    }
}

/// A citizen's message about their report (see [`Feedback::add_citizen_message`]).
#[derive(Debug, Clone)]
pub(crate) struct CitizenMessage<'a> {
    /// The channel it came by.
    pub channel: Channel,
    /// What the citizen wrote (at most 5000 characters are kept).
    pub text: &'a str,
    /// The channel's id of the message (an e-mail's `Message-ID`): the same id twice adds it once.
    pub external_id: &'a str,
    /// Whom to tell that it arrived (the sender, on the channel it came by).
    pub reply_to: &'a Reporter,
    /// The channel's handle for the answer (for e-mail, the `Message-ID` it answers).
    pub thread: Option<&'a str>,
}

/// A lifecycle change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Transition {
    /// The new status.
    pub status: Status,
    /// Reason, public answer or message to the citizen.
    pub text: Option<String>,
    /// For `forwarded`: the unit to send it to.
    pub agency_code: Option<String>,
    /// For unclear reports: the ward settled by the operator.
    pub jurisdiction_code: Option<String>,
    /// For `duplicate`: the report it duplicates (id or tracking code).
    pub duplicate_of: Option<String>,
    /// Whether the text is shown publicly (escalations are internal by default).
    #[serde(default)]
    pub public: bool,
    /// Photos or videos already attached to this report to show with this
    /// update (progress photos); publish them to show them to citizens.
    #[serde(default)]
    pub media: Vec<String>,
    /// For `in_progress`: the date (Hồ Chí Minh City) the unit commits to finish by.
    pub committed_date: Option<chrono::NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_masked() {
        assert_eq!(mask_personal("Gọi 0901 234 567 hoặc an@vd.vn ngay"), "Gọi [số điện thoại] hoặc [email] ngay");
        assert_eq!(mask_personal("Số nhà 123 đường 3/2"), "Số nhà 123 đường 3/2");
        assert_eq!(mask_personal("+84901234567"), "[số điện thoại]");
    }

    #[test]
    fn tracking_codes_are_dated_and_unambiguous() {
        let t = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let c = tracking_code(t);
        let (date, tail) = c.split_once('-').unwrap();
        assert_eq!(date, cityos_calendar::local_date(t).format("%y%m%d").to_string());
        assert_eq!(tail.len(), 5);
        assert!(tail.chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit()));
        assert!(!tail.chars().any(|ch| matches!(ch, 'O' | '0' | 'I' | '1')), "no look-alike characters: {tail}");
    }
}
