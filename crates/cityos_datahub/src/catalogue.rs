//! The catalogue: datasets owned by agencies and their resources, with
//! validation, revisions, folded search text and the rules of who may read
//! and write what.
//!
//! * **Writes** — data officers and agency administrators of the owner
//!   agency (or an agency above it), and administrators. Every write commits
//!   with its audit record and its event in one transaction and bumps the
//!   dataset's `revision`.
//! * **Reads of metadata** — [`can_read_metadata`] is the one place that
//!   decides (and `visibility_filter` its twin for searches): `open`
//!   datasets are everyone's; `shared` ones are seen by staff of every state
//!   agency; `restricted` ones by the owner agency (grants covering it,
//!   city-wide grants included). Approvals from the sharing workflow that
//!   reveal a restricted dataset to another agency plug in there. A dataset
//!   the caller may not see does not exist for them (404), as CKAN answers
//!   for private datasets. Reads of *rows and files* are decided by
//!   `DataHub::authorize_data_read` (`datastore`), which starts from this
//!   rule and requires an approval for another agency's non-open data.
//! * **Search** — [`DataHub::search`] filters through the store's query
//!   compiler (every value bound, every column whitelisted); `q` matches
//!   word prefixes of the folded `search` column, so "benh vien" finds
//!   "Bệnh viện". The catalogue is small (thousands of datasets, not
//!   millions), which is why the filter scans instead of keeping a separate
//!   full-text index in step; `docs/BENCHMARKS.md` measures it at 10,000.

use crate::vocabulary::{self, SharingLevel};
use crate::{DataHub, DataHubError};
use chrono::{DateTime, NaiveDate, Utc};
use cityos_api::{ApiError, Caller, Principal, Role, Target};
use cityos_audit::AuditRecord;
use cityos_core::{from_millis, new_id, to_millis};
use cityos_events::CloudEvent;
use cityos_identity::Agency;
use cityos_store::query::{self, Aggregate, Column, Dir, Filter, GroupKey, GroupSelect, Op, Schema, Select, Value};
use cityos_store::Tx;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

/// Field errors of an invalid write: field name → messages.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// CKAN core fields CityOS keeps as they are given, beside the extras.
pub const KEPT_CORE_FIELDS: [&str; 4] = ["author", "author_email", "url", "version"];

/// The most tags, themes and resources one dataset may have.
const MAX_TAGS: usize = 100;
const MAX_RESOURCES: usize = 200;

/// A dataset as the catalogue holds it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Dataset {
    /// Id (UUID).
    pub id: String,
    /// URL name: 2–100 of `a-z`, `0-9`, `-`, `_`.
    pub name: String,
    /// Vietnamese title.
    pub title_vi: String,
    /// English title.
    pub title_en: String,
    /// Vietnamese description (Markdown).
    pub notes_vi: String,
    /// English description (Markdown).
    pub notes_en: String,
    /// Code of the agency that owns it.
    pub owner_agency: String,
    /// Who may read it.
    pub sharing_level: SharingLevel,
    /// Licence id (see `/api/datahub/vocabulary`); empty when not given.
    pub license_id: String,
    /// Update frequency id; empty when not given.
    pub update_frequency: String,
    /// The ward, commune or special zone it covers (GSO code).
    pub spatial_ward: Option<String>,
    /// The area it covers, as a GeoJSON geometry.
    #[schema(value_type = Option<Object>)]
    pub spatial_geometry: Option<serde_json::Value>,
    /// First day covered (ISO date).
    pub temporal_start: Option<String>,
    /// Last day covered (ISO date).
    pub temporal_end: Option<String>,
    /// The focal officer's name.
    pub contact_name: String,
    /// The focal officer's e-mail.
    pub contact_email: String,
    /// The legal basis for collecting, keeping and sharing it.
    pub legal_basis: String,
    /// Theme ids.
    pub themes: Vec<String>,
    /// Tags (keywords).
    pub tags: Vec<String>,
    /// Further CKAN extras and kept CKAN fields (`author`, `author_email`, `url`, `version`).
    pub extras: BTreeMap<String, String>,
    /// `active`, `draft` or `deleted`.
    pub state: String,
    /// Bumped by every change, starting at 1.
    pub revision: i64,
    /// Times its page was viewed.
    pub views: i64,
    /// Times its files were downloaded.
    pub downloads: i64,
    /// The user who created it.
    pub created_by: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its metadata last changed.
    pub modified_at: DateTime<Utc>,
    /// Its resources, in order.
    pub resources: Vec<Resource>,
}

/// How a resource's content is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A link to content elsewhere.
    #[default]
    Url,
    /// Files uploaded to CityOS, in versions.
    Upload,
}

impl ResourceKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Url => "url",
            Self::Upload => "upload",
        }
    }
}

/// A resource of a dataset: an uploaded file (in versions) or a link.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Resource {
    /// Id (UUID).
    pub id: String,
    /// The dataset's id.
    pub dataset_id: String,
    /// Place in the dataset's list, from 0.
    pub position: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Format, e.g. `CSV`.
    pub format: String,
    /// `upload` or `url`.
    pub kind: ResourceKind,
    /// Where to get it: the link, or the current version's download.
    pub url: String,
    /// The current version of an upload (0 before the first).
    pub current_version: i64,
    /// Whether its rows can be queried (the current version is loaded into the datastore).
    pub datastore_active: bool,
    /// Rows in the current version.
    pub row_count: Option<i64>,
    /// Bytes of the current version's file.
    pub size_bytes: Option<i64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub modified_at: DateTime<Utc>,
}

/// A dataset as written: create and update take every field (update
/// replaces), so partial changes read the dataset first.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct DatasetFields {
    /// URL name: 2–100 of `a-z`, `0-9`, `-`, `_`.
    pub name: String,
    /// Vietnamese title (required).
    pub title_vi: String,
    /// English title.
    pub title_en: String,
    /// Vietnamese description.
    pub notes_vi: String,
    /// English description.
    pub notes_en: String,
    /// Owner agency code (required).
    pub owner_agency: String,
    /// Who may read it (default `shared`).
    pub sharing_level: SharingLevel,
    /// Licence id, or empty.
    pub license_id: String,
    /// Update frequency id, or empty.
    pub update_frequency: String,
    /// Ward, commune or special zone covered (GSO code).
    pub spatial_ward: Option<String>,
    /// Area covered, as a GeoJSON geometry.
    #[schema(value_type = Option<Object>)]
    pub spatial_geometry: Option<serde_json::Value>,
    /// First day covered (`YYYY-MM-DD`).
    pub temporal_start: Option<String>,
    /// Last day covered (`YYYY-MM-DD`).
    pub temporal_end: Option<String>,
    /// The focal officer's name.
    pub contact_name: String,
    /// The focal officer's e-mail.
    pub contact_email: String,
    /// Legal basis.
    pub legal_basis: String,
    /// Theme ids.
    pub themes: Vec<String>,
    /// Tags: 1–100 characters of letters, digits, spaces, `-`, `_`, `.`.
    pub tags: Vec<String>,
    /// Further extras (string values).
    pub extras: BTreeMap<String, String>,
    /// `active` (default) or `draft`.
    pub state: Option<String>,
}

impl From<&Dataset> for DatasetFields {
    fn from(d: &Dataset) -> Self {
        Self {
            name: d.name.clone(),
            title_vi: d.title_vi.clone(),
            title_en: d.title_en.clone(),
            notes_vi: d.notes_vi.clone(),
            notes_en: d.notes_en.clone(),
            owner_agency: d.owner_agency.clone(),
            sharing_level: d.sharing_level,
            license_id: d.license_id.clone(),
            update_frequency: d.update_frequency.clone(),
            spatial_ward: d.spatial_ward.clone(),
            spatial_geometry: d.spatial_geometry.clone(),
            temporal_start: d.temporal_start.clone(),
            temporal_end: d.temporal_end.clone(),
            contact_name: d.contact_name.clone(),
            contact_email: d.contact_email.clone(),
            legal_basis: d.legal_basis.clone(),
            themes: d.themes.clone(),
            tags: d.tags.clone(),
            extras: d.extras.clone(),
            state: Some(d.state.clone()).filter(|s| s != "deleted"),
        }
    }
}

/// A resource as written. With an `id` of one of the dataset's resources
/// (in a dataset write), that resource is updated; otherwise one is added.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ResourceFields {
    /// An existing resource's id (dataset writes only).
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Format, e.g. `CSV`.
    pub format: String,
    /// The link (`url` resources): http or https.
    pub url: Option<String>,
    /// `url` (default) or `upload` (its files are uploaded as versions).
    pub kind: ResourceKind,
}

impl From<&Resource> for ResourceFields {
    fn from(r: &Resource) -> Self {
        Self {
            id: Some(r.id.clone()),
            name: r.name.clone(),
            description: r.description.clone(),
            format: r.format.clone(),
            url: (r.kind == ResourceKind::Url).then(|| r.url.clone()),
            kind: r.kind,
        }
    }
}

// ------------------------------------------------------------------ access

/// Whether `caller` belongs to `agency` for the catalogue: holds any role
/// with a scope covering it (its own agency or one above it, or the city).
#[must_use]
pub fn is_member(caller: &Caller, agency: &str) -> bool {
    caller.has_for(&Role::ALL, &Target { agency: Some(agency), jurisdiction: None })
}

/// Whether `caller` may create, change and delete datasets of `agency`:
/// its data officers and agency administrators (also of an agency above
/// it), and administrators.
#[must_use]
pub fn can_write(caller: &Caller, agency: &str) -> bool {
    caller.has_for(&[Role::DataOfficer, Role::AgencyAdmin], &Target { agency: Some(agency), jurisdiction: None })
}

/// Whether `caller` is staff of a state agency: signed-in staff (or their
/// API key) holding at least one grant.
#[must_use]
pub fn is_state_staff(caller: &Caller) -> bool {
    matches!(caller.principal, Principal::Staff { .. }) && !caller.grants.is_empty()
}

/// Whether `caller` may see that dataset `d` exists and read its metadata.
/// Open: everyone. Shared: staff of every state agency. Restricted: the
/// owner agency. Drafts and deleted datasets: their writers only.
///
/// The sharing workflow adds the approvals that reveal a restricted
/// dataset to another agency here (rows and files: `authorize_data_read`).
#[must_use]
pub fn can_read_metadata(caller: &Caller, d: &Dataset) -> bool {
    if d.state != "active" {
        return can_write(caller, &d.owner_agency);
    }
    match d.sharing_level {
        SharingLevel::Open => true,
        SharingLevel::Shared => is_state_staff(caller),
        SharingLevel::Restricted => is_member(caller, &d.owner_agency),
    }
}

/// The visibility rule of [`can_read_metadata`] as a filter over the
/// `datasets` table (active datasets only), for searches. With
/// `include_private` false only open datasets match, as in CKAN. `approved`
/// are the restricted datasets the caller's agency reads under an active
/// approval: they are listed as its own restricted datasets are.
fn visibility_filter(caller: &Caller, include_private: bool, approved: &[String]) -> Filter {
    let level = |l: SharingLevel| Filter::Cmp { column: "sharing_level".into(), op: Op::Eq, value: Value::Text(l.as_str().into()) };
    let mut any = vec![level(SharingLevel::Open)];
    if include_private && is_state_staff(caller) {
        any.push(level(SharingLevel::Shared));
        match caller.agencies_for(&Role::ALL) {
            None => any.push(level(SharingLevel::Restricted)),
            Some(set) if !set.is_empty() => {
                let mut codes: Vec<String> = set.into_iter().collect();
                codes.sort();
                any.push(Filter::And(vec![
                    level(SharingLevel::Restricted),
                    Filter::In { column: "owner_agency".into(), values: codes.into_iter().map(Value::Text).collect() },
                ]));
            }
            Some(_) => {}
        }
        if !approved.is_empty() {
            any.push(Filter::And(vec![
                level(SharingLevel::Restricted),
                Filter::In { column: "id".into(), values: approved.iter().cloned().map(Value::Text).collect() },
            ]));
        }
    }
    Filter::And(vec![Filter::Cmp { column: "state".into(), op: Op::Eq, value: Value::Text("active".into()) }, Filter::Or(any)])
}

// ------------------------------------------------------------------ search

/// A field a search clause (CKAN's `fq`) can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClauseField {
    /// Owner agency (by code).
    Organization,
    /// A tag.
    Tags,
    /// A resource format (any case).
    ResFormat,
    /// The licence id.
    LicenseId,
    /// A theme id.
    Groups,
    /// The URL name.
    Name,
    /// The id.
    Id,
    /// The sharing level.
    SharingLevel,
}

/// One `field:value` condition; `negate` for `-field:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// The field.
    pub field: ClauseField,
    /// The value it must have.
    pub value: String,
    /// Whether it must not have it instead.
    pub negate: bool,
}

/// A sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    /// Relevance to `q` (then most recently modified).
    Score,
    /// When the metadata last changed.
    Modified,
    /// When the dataset was created.
    Created,
    /// The Vietnamese title.
    Title,
    /// The URL name.
    Name,
}

/// What facet counts to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FacetField {
    /// Owner agency codes.
    Organization,
    /// Tags.
    Tags,
    /// Resource formats (upper case).
    ResFormat,
    /// Licence ids.
    LicenseId,
    /// Theme ids.
    Groups,
    /// Sharing levels.
    SharingLevel,
}

/// A catalogue search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words to find (diacritics-insensitive word prefixes, all must match).
    pub q: Option<String>,
    /// Conditions that must all hold.
    pub clauses: Vec<Clause>,
    /// Include the shared and restricted datasets the caller may read.
    pub include_private: bool,
    /// Sort keys (`true` = descending); empty means relevance, then newest.
    pub sort: Vec<(SortField, bool)>,
    /// Page size.
    pub rows: i64,
    /// Rows to skip.
    pub start: i64,
    /// Facets to count.
    pub facets: Vec<FacetField>,
    /// Most values per facet; `None` for all.
    pub facet_limit: Option<usize>,
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self {
            q: None,
            clauses: Vec::new(),
            include_private: false,
            sort: Vec::new(),
            rows: 10,
            start: 0,
            facets: Vec::new(),
            facet_limit: Some(50),
        }
    }
}

/// One value of a facet and how many datasets have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FacetCount {
    /// The value (agency code, tag, format, licence or theme id, level).
    pub name: String,
    /// Matching datasets with it.
    pub count: i64,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// Datasets matching in all.
    pub count: i64,
    /// This page.
    pub results: Vec<Dataset>,
    /// Counts per requested facet, most frequent first.
    pub facets: Vec<(FacetField, Vec<FacetCount>)>,
}

// ------------------------------------------------------------------ schemas

const DATASET_FIELDS: &[&str] = &[
    "id",
    "name",
    "title_vi",
    "title_en",
    "notes_vi",
    "notes_en",
    "owner_agency",
    "sharing_level",
    "license_id",
    "update_frequency",
    "spatial",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
    "legal_basis",
    "themes",
    "state",
    "revision",
    "views",
    "downloads",
    "created_by",
    "created_at",
    "modified_at",
];

/// The `datasets` columns searches may name, qualified so that the same
/// whitelist serves the joins that count tags and formats.
const DATASET_COLUMN_NAMES: &[&str] = &[
    "id",
    "name",
    "title_vi",
    "title_en",
    "notes_vi",
    "notes_en",
    "owner_agency",
    "sharing_level",
    "license_id",
    "update_frequency",
    "spatial",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
    "legal_basis",
    "themes",
    "search",
    "state",
    "revision",
    "views",
    "downloads",
    "created_by",
    "created_at",
    "modified_at",
];

/// The `datasets` columns, qualified so that the same whitelist serves the
/// joins that count tags and formats. `tags_index` and `formats_index`
/// (`|a|b|`, kept by triggers) answer tag and format clauses.
fn dataset_columns() -> Vec<Column> {
    DATASET_COLUMN_NAMES
        .iter()
        .chain(&["tags_index", "formats_index"])
        .map(|n| Column { name: Cow::Borrowed(*n), sql: Cow::Owned(format!("datasets.{n}")) })
        .collect()
}

fn dataset_schema() -> Schema {
    Schema { table: Cow::Borrowed("datasets"), columns: Cow::Owned(dataset_columns()), fulltext: None }
}

/// Datasets joined with their tags (one row per tag): counts per tag.
fn tag_facet_schema() -> Schema {
    let mut columns = dataset_columns();
    columns.push(Column { name: Cow::Borrowed("facet_tag"), sql: Cow::Borrowed("dataset_tags.tag") });
    Schema {
        table: Cow::Borrowed("dataset_tags JOIN datasets ON datasets.id = dataset_tags.dataset_id"),
        columns: Cow::Owned(columns),
        fulltext: None,
    }
}

const TAG_COLUMNS: &[Column] = &[Column::fixed("dataset_id"), Column::fixed("tag")];
const EXTRA_COLUMNS: &[Column] = &[Column::fixed("dataset_id"), Column::fixed("name"), Column::fixed("value")];
const RESOURCE_COLUMNS: &[Column] = &[
    Column::fixed("id"),
    Column::fixed("dataset_id"),
    Column::fixed("position"),
    Column::fixed("name"),
    Column::fixed("description"),
    Column::fixed("format"),
    Column::fixed("kind"),
    Column::fixed("url"),
    Column::fixed("current_version"),
    Column::fixed("datastore_table"),
    Column::fixed("row_count"),
    Column::fixed("size_bytes"),
    Column::fixed("state"),
    Column::fixed("created_at"),
    Column::fixed("modified_at"),
];

fn table(name: &'static str, columns: &'static [Column]) -> Schema {
    Schema { table: Cow::Borrowed(name), columns: Cow::Borrowed(columns), fulltext: None }
}

fn compiled(r: Result<query::Compiled, query::QueryError>) -> Result<query::Compiled, DataHubError> {
    r.map_err(|e| DataHubError::Api(ApiError::internal(&e)))
}

fn in_ids(column: &str, ids: &[String]) -> Filter {
    Filter::In { column: column.into(), values: ids.iter().map(|i| Value::Text(i.clone())).collect() }
}

// ------------------------------------------------------------------ validation

/// Whether `name` is a valid dataset URL name (CKAN's rule).
#[must_use]
pub fn valid_name(name: &str) -> bool {
    (2..=100).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn valid_tag(tag: &str) -> bool {
    let n = tag.chars().count();
    (1..=100).contains(&n) && tag.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
}

fn valid_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn valid_geometry(v: &serde_json::Value) -> Result<(), String> {
    let geometry: geojson::Geometry = serde_json::from_value(v.clone()).map_err(|e| format!("not a GeoJSON geometry: {e}"))?;
    let mut ok = true;
    let mut check = |c: &[f64]| ok &= c.len() >= 2 && (-180.0..=180.0).contains(&c[0]) && (-90.0..=90.0).contains(&c[1]);
    fn walk(v: &geojson::Value, check: &mut dyn FnMut(&[f64])) {
        use geojson::Value as G;
        match v {
            G::Point(p) => check(p),
            G::MultiPoint(ps) | G::LineString(ps) => ps.iter().for_each(|p| check(p)),
            G::MultiLineString(ls) | G::Polygon(ls) => ls.iter().flatten().for_each(|p| check(p)),
            G::MultiPolygon(polys) => polys.iter().flatten().flatten().for_each(|p| check(p)),
            G::GeometryCollection(gs) => gs.iter().for_each(|g| walk(&g.value, check)),
        }
    }
    walk(&geometry.value, &mut check);
    if ok {
        Ok(())
    } else {
        Err("coordinates must be [longitude, latitude] within ±180 and ±90".into())
    }
}

fn push(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors.entry(field.to_string()).or_default().push(message.into());
}

/// The 422 answer for `errors` (CKAN renders the same map as its field errors).
fn invalid(errors: FieldErrors) -> DataHubError {
    let summary = errors.iter().map(|(k, v)| format!("{k}: {}", v.join(" "))).collect::<Vec<_>>().join("; ");
    let map: serde_json::Map<String, serde_json::Value> = errors.into_iter().map(|(k, v)| (k, serde_json::Value::from(v))).collect();
    DataHubError::Api(ApiError::invalid(summary).with("errors", serde_json::Value::Object(map)))
}

/// A tidy, validated copy of `f` (texts NFC and trimmed, tags and themes
/// de-duplicated in order).
fn normalise(f: &DatasetFields) -> DatasetFields {
    let text = |s: &str| cityos_text::nfc(s.trim());
    let mut seen = HashSet::new();
    let tags = f.tags.iter().map(|t| text(t)).filter(|t| !t.is_empty() && seen.insert(t.clone())).collect();
    let mut seen = HashSet::new();
    let themes = f.themes.iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty() && seen.insert(t.clone())).collect();
    DatasetFields {
        name: f.name.trim().to_string(),
        title_vi: text(&f.title_vi),
        title_en: text(&f.title_en),
        notes_vi: cityos_text::nfc(&f.notes_vi),
        notes_en: cityos_text::nfc(&f.notes_en),
        owner_agency: f.owner_agency.trim().to_string(),
        sharing_level: f.sharing_level,
        license_id: f.license_id.trim().to_string(),
        update_frequency: f.update_frequency.trim().to_string(),
        spatial_ward: f.spatial_ward.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        spatial_geometry: f.spatial_geometry.clone().filter(|g| !g.is_null()),
        temporal_start: f.temporal_start.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        temporal_end: f.temporal_end.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        contact_name: text(&f.contact_name),
        contact_email: f.contact_email.trim().to_lowercase(),
        legal_basis: text(&f.legal_basis),
        themes,
        tags,
        extras: f.extras.iter().map(|(k, v)| (k.trim().to_string(), cityos_text::nfc(v))).collect(),
        state: f.state.clone(),
    }
}

fn check_fields(f: &DatasetFields, agencies: &HashMap<String, Agency>, errors: &mut FieldErrors) {
    // PostgreSQL text cannot hold NUL; refuse it on both backends alike.
    let texts = [&f.name, &f.title_vi, &f.title_en, &f.notes_vi, &f.notes_en, &f.contact_name, &f.contact_email, &f.legal_basis];
    let lists = f.tags.iter().chain(&f.themes).chain(f.extras.keys()).chain(f.extras.values());
    if texts.into_iter().chain(lists).any(|t| t.contains('\u{0}')) {
        push(errors, "__all__", "Text must not contain NUL characters");
    }
    if f.name.is_empty() {
        push(errors, "name", "Missing value");
    } else if !valid_name(&f.name) {
        push(errors, "name", "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_ (2 to 100 characters)");
    }
    if f.title_vi.is_empty() {
        push(errors, "title", "Missing value");
    }
    for (field, v, max) in
        [("title", &f.title_vi, 500), ("title_en", &f.title_en, 500), ("notes", &f.notes_vi, 50_000), ("notes_en", &f.notes_en, 50_000)]
    {
        if v.chars().count() > max {
            push(errors, field, format!("Must be at most {max} characters"));
        }
    }
    if f.owner_agency.is_empty() {
        push(errors, "owner_org", "Missing value");
    } else if !agencies.contains_key(&f.owner_agency) {
        push(errors, "owner_org", "Organization does not exist");
    }
    if !f.license_id.is_empty() && vocabulary::licence(&f.license_id).is_none() {
        let ids: Vec<&str> = vocabulary::LICENCES.iter().map(|l| l.id).collect();
        push(errors, "license_id", format!("Unknown licence: use one of {}", ids.join(", ")));
    }
    if !f.update_frequency.is_empty() && vocabulary::frequency(&f.update_frequency).is_none() {
        let ids: Vec<&str> = vocabulary::FREQUENCIES.iter().map(|l| l.id).collect();
        push(errors, "update_frequency", format!("Unknown frequency: use one of {}", ids.join(", ")));
    }
    for t in &f.themes {
        if vocabulary::theme(t).is_none() {
            push(errors, "groups", format!("Group {t} does not exist"));
        }
    }
    if f.tags.len() > MAX_TAGS {
        push(errors, "tags", format!("At most {MAX_TAGS} tags"));
    }
    for t in &f.tags {
        if !valid_tag(t) {
            push(errors, "tags", format!("Tag \"{t}\" must be 1 to 100 letters, digits, spaces or these symbols: -_."));
        }
    }
    if let Some(g) = &f.spatial_geometry {
        if let Err(e) = valid_geometry(g) {
            push(errors, "spatial", e);
        }
    }
    if f.spatial_ward.is_some() && f.spatial_geometry.is_some() {
        push(errors, "spatial", "Give a ward code or a geometry, not both");
    }
    let date =
        |field: &str, v: &Option<String>, errors: &mut FieldErrors| match v.as_deref().map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d")) {
            Some(Err(_)) => {
                push(errors, field, "Must be a date: YYYY-MM-DD");
                None
            }
            Some(Ok(d)) => Some(d),
            None => None,
        };
    let start = date("temporal_start", &f.temporal_start, errors);
    let end = date("temporal_end", &f.temporal_end, errors);
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            push(errors, "temporal_end", "Must not be before temporal_start");
        }
    }
    if !f.contact_email.is_empty() && !valid_email(&f.contact_email) {
        push(errors, "maintainer_email", "Not an e-mail address");
    }
    if f.contact_name.chars().count() > 200 {
        push(errors, "maintainer", "Must be at most 200 characters");
    }
    if f.legal_basis.chars().count() > 5000 {
        push(errors, "legal_basis", "Must be at most 5000 characters");
    }
    if let Some(s) = f.state.as_deref() {
        if !matches!(s, "active" | "draft") {
            push(errors, "state", "Must be active or draft");
        }
    }
    for (k, v) in &f.extras {
        if k.is_empty() || k.chars().count() > 100 {
            push(errors, "extras", "Keys must be 1 to 100 characters");
        } else if RESERVED_EXTRAS.contains(&k.as_str()) && !KEPT_CORE_FIELDS.contains(&k.as_str()) {
            push(errors, "extras", format!("There is a schema field with the same name: {k}"));
        }
        if v.chars().count() > 10_000 {
            push(errors, "extras", format!("Value of {k} must be at most 10000 characters"));
        }
    }
}

/// Extras keys that are fields of their own (in CKAN or in CityOS).
pub const RESERVED_EXTRAS: &[&str] = &[
    "id",
    "name",
    "title",
    "notes",
    "owner_org",
    "private",
    "state",
    "type",
    "license_id",
    "tags",
    "groups",
    "resources",
    "maintainer",
    "maintainer_email",
    "author",
    "author_email",
    "url",
    "version",
    "title_en",
    "notes_en",
    "sharing_level",
    "update_frequency",
    "legal_basis",
    "spatial",
    "spatial_ward",
    "temporal_start",
    "temporal_end",
    "revision",
];

fn check_resource(r: &ResourceFields, errors: &mut FieldErrors, at: &str) {
    if [&r.name, &r.description, &r.format].into_iter().chain(r.url.as_ref()).any(|t| t.contains('\u{0}')) {
        push(errors, &format!("{at}name"), "Text must not contain NUL characters");
    }
    if r.name.chars().count() > 500 {
        push(errors, &format!("{at}name"), "Must be at most 500 characters");
    }
    if r.format.chars().count() > 50 {
        push(errors, &format!("{at}format"), "Must be at most 50 characters");
    }
    if r.description.chars().count() > 20_000 {
        push(errors, &format!("{at}description"), "Must be at most 20000 characters");
    }
    if let Some(u) = r.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() > 2000 || u.contains(char::is_whitespace) {
            push(errors, &format!("{at}url"), "Must be an http or https URL");
        }
    }
}

fn normalise_format(f: &str) -> String {
    let f = f.trim().trim_start_matches('.');
    match vocabulary::file_format(f) {
        Some(known) => known.name.to_string(),
        None => f.to_string(),
    }
}

/// Separates the title words from the others in [`search_text`].
const TITLE_END: &str = " | ";

/// The folded words a dataset is found by, each once, between spaces so
/// that ` word` matches a word prefix: first its name and titles, then
/// `|`, then its descriptions, tags, themes and owner (so relevance can
/// tell a word in a title from one elsewhere).
#[must_use]
pub fn search_text(f: &DatasetFields, owner: Option<&Agency>) -> String {
    let mut rest = vec![f.notes_vi.clone(), f.notes_en.clone()];
    rest.extend(f.tags.iter().cloned());
    for t in &f.themes {
        if let Some(th) = vocabulary::theme(t) {
            rest.push(format!("{} {}", th.name_vi, th.name_en));
        }
    }
    if let Some(a) = owner {
        rest.push(format!("{} {} {}", a.code, a.name_vi, a.name_en));
    }
    let mut seen = HashSet::new();
    let title = format!("{} {} {}", f.name.replace(['-', '_'], " "), f.title_vi, f.title_en);
    let title_words: Vec<String> = cityos_text::tokens(&title).into_iter().filter(|w| seen.insert(w.clone())).collect();
    let other_words: Vec<String> = cityos_text::tokens(&rest.join(" ")).into_iter().filter(|w| seen.insert(w.clone())).collect();
    format!(" {}{TITLE_END}{} ", title_words.join(" "), other_words.join(" "))
}

// ------------------------------------------------------------------ decoding

fn decode_dataset(row: &sqlx::any::AnyRow) -> Result<Dataset, DataHubError> {
    let spatial: Option<String> = row.try_get("spatial")?;
    let (spatial_ward, spatial_geometry) = match spatial {
        Some(s) if s.trim_start().starts_with('{') => (None, serde_json::from_str(&s).ok()),
        Some(s) if !s.is_empty() => (Some(s), None),
        _ => (None, None),
    };
    let themes: String = row.try_get("themes")?;
    let level: String = row.try_get("sharing_level")?;
    Ok(Dataset {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        title_vi: row.try_get("title_vi")?,
        title_en: row.try_get("title_en")?,
        notes_vi: row.try_get("notes_vi")?,
        notes_en: row.try_get("notes_en")?,
        owner_agency: row.try_get("owner_agency")?,
        sharing_level: SharingLevel::parse(&level).unwrap_or(SharingLevel::Restricted),
        license_id: row.try_get("license_id")?,
        update_frequency: row.try_get("update_frequency")?,
        spatial_ward,
        spatial_geometry,
        temporal_start: row.try_get("temporal_start")?,
        temporal_end: row.try_get("temporal_end")?,
        contact_name: row.try_get("contact_name")?,
        contact_email: row.try_get("contact_email")?,
        legal_basis: row.try_get("legal_basis")?,
        themes: serde_json::from_str(&themes).unwrap_or_default(),
        tags: Vec::new(),
        extras: BTreeMap::new(),
        state: row.try_get("state")?,
        revision: row.try_get("revision")?,
        views: row.try_get("views")?,
        downloads: row.try_get("downloads")?,
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?),
        modified_at: from_millis(row.try_get("modified_at")?),
        resources: Vec::new(),
    })
}

impl DataHub {
    /// The download URL of an uploaded resource's version.
    #[must_use]
    pub fn version_download_url(&self, resource_id: &str, version: i64) -> String {
        format!("{}/api/datahub/resources/{resource_id}/versions/{version}/download", self.public_url)
    }

    fn decode_resource(&self, row: &sqlx::any::AnyRow) -> Result<Resource, DataHubError> {
        let kind = if row.try_get::<String, _>("kind")? == "upload" { ResourceKind::Upload } else { ResourceKind::Url };
        let id: String = row.try_get("id")?;
        let current_version: i64 = row.try_get("current_version")?;
        let stored_url: Option<String> = row.try_get("url")?;
        let url = match kind {
            ResourceKind::Url => stored_url.unwrap_or_default(),
            ResourceKind::Upload if current_version > 0 => self.version_download_url(&id, current_version),
            ResourceKind::Upload => String::new(),
        };
        Ok(Resource {
            dataset_id: row.try_get("dataset_id")?,
            position: row.try_get("position")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            format: row.try_get("format")?,
            kind,
            url,
            current_version,
            datastore_active: row.try_get::<Option<String>, _>("datastore_table")?.is_some(),
            row_count: row.try_get("row_count")?,
            size_bytes: row.try_get("size_bytes")?,
            created_at: from_millis(row.try_get("created_at")?),
            modified_at: from_millis(row.try_get("modified_at")?),
            id,
        })
    }

    /// Every agency by code (agencies are public).
    pub(crate) async fn agency_map(&self) -> Result<HashMap<String, Agency>, DataHubError> {
        let list = self.identity.agencies().await.map_err(ApiError::from)?;
        Ok(list.into_iter().map(|a| (a.code.clone(), a)).collect())
    }

    /// Datasets by id, with tags, extras and active resources, in the order of `ids`.
    async fn load_many(&self, ids: &[String]) -> Result<Vec<Dataset>, DataHubError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let reader = self.db.reader();
        let schema = dataset_schema();
        let fields = DATASET_FIELDS.iter().map(|s| (*s).to_string()).collect();
        let sel = Select { fields, filter: Some(in_ids("id", ids)), ..Select::default() };
        let c = compiled(query::select(&schema, &sel))?;
        let mut by_id: HashMap<String, Dataset> = HashMap::new();
        for row in c.query().fetch_all(reader).await? {
            let d = decode_dataset(&row)?;
            by_id.insert(d.id.clone(), d);
        }
        let tags = table("dataset_tags", TAG_COLUMNS);
        let sel = Select {
            filter: Some(in_ids("dataset_id", ids)),
            sort: vec![("dataset_id".into(), Dir::Asc), ("tag".into(), Dir::Asc)],
            ..Select::default()
        };
        let c = compiled(query::select(&tags, &sel))?;
        for row in c.query().fetch_all(reader).await? {
            if let Some(d) = by_id.get_mut(&row.try_get::<String, _>("dataset_id")?) {
                d.tags.push(row.try_get("tag")?);
            }
        }
        let extras = table("dataset_extras", EXTRA_COLUMNS);
        let sel = Select { filter: Some(in_ids("dataset_id", ids)), ..Select::default() };
        let c = compiled(query::select(&extras, &sel))?;
        for row in c.query().fetch_all(reader).await? {
            if let Some(d) = by_id.get_mut(&row.try_get::<String, _>("dataset_id")?) {
                d.extras.insert(row.try_get("name")?, row.try_get("value")?);
            }
        }
        let resources = table("resources", RESOURCE_COLUMNS);
        let sel = Select {
            filter: Some(Filter::And(vec![
                in_ids("dataset_id", ids),
                Filter::Cmp { column: "state".into(), op: Op::Eq, value: Value::Text("active".into()) },
            ])),
            sort: vec![("dataset_id".into(), Dir::Asc), ("position".into(), Dir::Asc), ("created_at".into(), Dir::Asc)],
            ..Select::default()
        };
        let c = compiled(query::select(&resources, &sel))?;
        for row in c.query().fetch_all(reader).await? {
            let r = self.decode_resource(&row)?;
            if let Some(d) = by_id.get_mut(&r.dataset_id) {
                d.resources.push(r);
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// A dataset by id or name, whatever its state, without access checks
    /// (for the crate's own use: callers' reads go through [`DataHub::dataset`]).
    ///
    /// # Errors
    /// Database failure.
    pub(crate) async fn load_dataset(&self, id_or_name: &str) -> Result<Option<Dataset>, DataHubError> {
        let row =
            sqlx::query("SELECT id FROM datasets WHERE id = $1 OR name = $1").bind(id_or_name).fetch_optional(self.db.reader()).await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get("id")?;
        Ok(self.load_many(&[id]).await?.pop())
    }

    /// A dataset the caller may read (404 otherwise, so that its existence
    /// is not revealed). Reading another agency's non-open dataset is audited.
    ///
    /// # Errors
    /// 404; database failure.
    pub async fn dataset(&self, caller: &Caller, id_or_name: &str) -> Result<Dataset, DataHubError> {
        let mut d = self.load_dataset(id_or_name).await?;
        // An agency that asked for a restricted dataset (crate::sharing) sees it.
        if let Some(x) = d.as_ref().filter(|x| !can_read_metadata(caller, x)) {
            if !self.known_through_sharing(caller, x).await? {
                d = None;
            }
        }
        let d = d.ok_or_else(|| ApiError::not_found(format!("no dataset {id_or_name}")))?;
        if d.sharing_level != SharingLevel::Open && !is_member(caller, &d.owner_agency) {
            self.audit_read(caller, &format!("dataset:{}", d.id), "datahub.dataset.read").await?;
        }
        Ok(d)
    }

    async fn audit_read(&self, caller: &Caller, object: &str, action: &str) -> Result<(), DataHubError> {
        let rec = AuditRecord {
            actor: caller.actor(),
            action: action.into(),
            object: object.into(),
            purpose: Some("catalogue metadata".into()),
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append_now(&self.db, &self.clock, &rec).await?;
        Ok(())
    }

    fn require_writer(caller: &Caller, agency: &str) -> Result<(), DataHubError> {
        caller.require_any(&[Role::DataOfficer, Role::AgencyAdmin])?;
        if can_write(caller, agency) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("only data officers of {agency} (or an agency above it) may change its datasets")).into())
        }
    }

    async fn validated(
        &self,
        f: &DatasetFields,
        resources: Option<&[ResourceFields]>,
    ) -> Result<(DatasetFields, HashMap<String, Agency>), DataHubError> {
        let f = normalise(f);
        let agencies = self.agency_map().await?;
        let mut errors = FieldErrors::new();
        check_fields(&f, &agencies, &mut errors);
        if let Some(code) = &f.spatial_ward {
            if self.identity.jurisdiction(code).await.map_err(ApiError::from)?.is_none() {
                push(&mut errors, "spatial", format!("Unknown ward, commune or special zone {code}"));
            }
        }
        if let Some(rs) = resources {
            if rs.len() > MAX_RESOURCES {
                push(&mut errors, "resources", format!("At most {MAX_RESOURCES} resources"));
            }
            for (i, r) in rs.iter().enumerate() {
                check_resource(r, &mut errors, &format!("resources[{i}]."));
            }
        }
        if errors.is_empty() {
            Ok((f, agencies))
        } else {
            Err(invalid(errors))
        }
    }

    async fn name_taken(tx: &mut Tx, name: &str, except_id: Option<&str>) -> Result<bool, DataHubError> {
        let row = sqlx::query("SELECT id FROM datasets WHERE name = $1").bind(name).fetch_optional(&mut **tx).await?;
        Ok(match row {
            Some(r) => Some(r.try_get::<String, _>("id")?.as_str()) != except_id,
            None => false,
        })
    }

    fn name_conflict() -> DataHubError {
        let mut errors = FieldErrors::new();
        push(&mut errors, "name", "That URL is already in use.");
        let map: serde_json::Map<String, serde_json::Value> = errors.into_iter().map(|(k, v)| (k, v.into())).collect();
        DataHubError::Api(ApiError::conflict("name: That URL is already in use.").with("errors", serde_json::Value::Object(map)))
    }

    /// Creates a dataset (data officers and agency administrators of the
    /// owner agency, administrators), with `resources` (links; uploads get
    /// their files afterwards).
    ///
    /// # Errors
    /// 401/403; 409 for a name in use; 422 for invalid fields (`errors` names them).
    pub async fn create_dataset(
        &self,
        caller: &Caller,
        fields: &DatasetFields,
        resources: Option<&[ResourceFields]>,
    ) -> Result<Dataset, DataHubError> {
        caller.require_any(&[Role::DataOfficer, Role::AgencyAdmin])?;
        let (f, agencies) = self.validated(fields, resources).await?;
        Self::require_writer(caller, &f.owner_agency)?;
        let id = new_id();
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        if Self::name_taken(&mut tx, &f.name, None).await? {
            return Err(Self::name_conflict());
        }
        sqlx::query(
            "INSERT INTO datasets (id, name, title_vi, title_en, notes_vi, notes_en, owner_agency, sharing_level, license_id, update_frequency,
               spatial, temporal_start, temporal_end, contact_name, contact_email, legal_basis, themes, search, state, revision, created_by,
               created_at, modified_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1, $20, $21, $21)",
        )
        .bind(&id)
        .bind(&f.name)
        .bind(&f.title_vi)
        .bind(&f.title_en)
        .bind(&f.notes_vi)
        .bind(&f.notes_en)
        .bind(&f.owner_agency)
        .bind(f.sharing_level.as_str())
        .bind(&f.license_id)
        .bind(&f.update_frequency)
        .bind(spatial_text(&f))
        .bind(f.temporal_start.as_deref())
        .bind(f.temporal_end.as_deref())
        .bind(&f.contact_name)
        .bind(&f.contact_email)
        .bind(&f.legal_basis)
        .bind(serde_json::to_string(&f.themes).unwrap_or_else(|_| "[]".into()))
        .bind(search_text(&f, agencies.get(&f.owner_agency)))
        .bind(f.state.as_deref().unwrap_or("active"))
        .bind(user_of(caller))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Self::write_tags_and_extras(&mut tx, &id, &f).await?;
        if let Some(rs) = resources {
            self.sync_resources(&mut tx, &id, rs, now).await?;
        }
        self.finish(tx, caller, "created", &id, &f, 1).await?;
        self.load_dataset(&id).await?.ok_or_else(|| ApiError::not_found("dataset").into())
    }

    /// Replaces a dataset's fields (and, when `resources` is given, its
    /// resource list: listed ids are updated, new entries added, the rest
    /// deleted). Moving it to another agency needs rights over both.
    ///
    /// # Errors
    /// 401/403/404; 409 for a name in use; 422 for invalid fields.
    pub async fn update_dataset(
        &self,
        caller: &Caller,
        id_or_name: &str,
        fields: &DatasetFields,
        resources: Option<&[ResourceFields]>,
    ) -> Result<Dataset, DataHubError> {
        caller.require_any(&[Role::DataOfficer, Role::AgencyAdmin])?;
        let old = self.writable(caller, id_or_name).await?;
        let (f, agencies) = self.validated(fields, resources).await?;
        Self::require_writer(caller, &f.owner_agency)?;
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        if Self::name_taken(&mut tx, &f.name, Some(&old.id)).await? {
            return Err(Self::name_conflict());
        }
        let state = match (f.state.as_deref(), old.state.as_str()) {
            (Some(s), _) => s.to_string(),
            (None, "deleted") => "active".to_string(),
            (None, s) => s.to_string(),
        };
        let revision: i64 = sqlx::query(
            "UPDATE datasets SET name = $2, title_vi = $3, title_en = $4, notes_vi = $5, notes_en = $6, owner_agency = $7, sharing_level = $8,
               license_id = $9, update_frequency = $10, spatial = $11, temporal_start = $12, temporal_end = $13, contact_name = $14,
               contact_email = $15, legal_basis = $16, themes = $17, search = $18, state = $19, revision = revision + 1, modified_at = $20
             WHERE id = $1 RETURNING revision",
        )
        .bind(&old.id)
        .bind(&f.name)
        .bind(&f.title_vi)
        .bind(&f.title_en)
        .bind(&f.notes_vi)
        .bind(&f.notes_en)
        .bind(&f.owner_agency)
        .bind(f.sharing_level.as_str())
        .bind(&f.license_id)
        .bind(&f.update_frequency)
        .bind(spatial_text(&f))
        .bind(f.temporal_start.as_deref())
        .bind(f.temporal_end.as_deref())
        .bind(&f.contact_name)
        .bind(&f.contact_email)
        .bind(&f.legal_basis)
        .bind(serde_json::to_string(&f.themes).unwrap_or_else(|_| "[]".into()))
        .bind(search_text(&f, agencies.get(&f.owner_agency)))
        .bind(&state)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("revision")?;
        Self::write_tags_and_extras(&mut tx, &old.id, &f).await?;
        let removed = match resources {
            Some(rs) => self.sync_resources(&mut tx, &old.id, rs, now).await?,
            None => Vec::new(),
        };
        self.finish(tx, caller, "updated", &old.id, &f, revision).await?;
        self.drop_retired_of(&removed).await;
        self.load_dataset(&old.id).await?.ok_or_else(|| ApiError::not_found("dataset").into())
    }

    /// Deletes a dataset (its writers): it leaves every listing and reads
    /// as 404 to everyone else; its name stays taken, as in CKAN.
    ///
    /// # Errors
    /// 401/403/404.
    pub async fn delete_dataset(&self, caller: &Caller, id_or_name: &str) -> Result<(), DataHubError> {
        caller.require_any(&[Role::DataOfficer, Role::AgencyAdmin])?;
        let d = self.writable(caller, id_or_name).await?;
        if d.state == "deleted" {
            return Ok(());
        }
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        let revision: i64 = sqlx::query(
            "UPDATE datasets SET state = 'deleted', revision = revision + 1, modified_at = $2 WHERE id = $1 RETURNING revision",
        )
        .bind(&d.id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("revision")?;
        // Every resource's tables go with it (deleted resources' too, should
        // an earlier drop have failed); the files and version records stay.
        let resources: Vec<String> = sqlx::query("SELECT id FROM resources WHERE dataset_id = $1")
            .bind(&d.id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        Self::retire_datastore(&mut tx, &resources).await?;
        self.finish(tx, caller, "deleted", &d.id, &DatasetFields::from(&d), revision).await?;
        self.drop_retired_of(&resources).await;
        Ok(())
    }

    /// The dataset `id_or_name` if the caller may change it: 404 when they
    /// may not even see it, 403 when they may see but not change it.
    async fn writable(&self, caller: &Caller, id_or_name: &str) -> Result<Dataset, DataHubError> {
        let d = self.load_dataset(id_or_name).await?.ok_or_else(|| ApiError::not_found(format!("no dataset {id_or_name}")))?;
        if !can_write(caller, &d.owner_agency) {
            if !can_read_metadata(caller, &d) {
                return Err(ApiError::not_found(format!("no dataset {id_or_name}")).into());
            }
            return Err(ApiError::forbidden(format!("only data officers of {} may change this dataset", d.owner_agency)).into());
        }
        Ok(d)
    }

    async fn write_tags_and_extras(tx: &mut Tx, id: &str, f: &DatasetFields) -> Result<(), DataHubError> {
        sqlx::query("DELETE FROM dataset_tags WHERE dataset_id = $1").bind(id).execute(&mut **tx).await?;
        for t in &f.tags {
            sqlx::query("INSERT INTO dataset_tags (dataset_id, tag) VALUES ($1, $2)").bind(id).bind(t).execute(&mut **tx).await?;
        }
        sqlx::query("DELETE FROM dataset_extras WHERE dataset_id = $1").bind(id).execute(&mut **tx).await?;
        for (k, v) in &f.extras {
            sqlx::query("INSERT INTO dataset_extras (dataset_id, name, value) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(k)
                .bind(v)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Makes the dataset's active resources the listed ones, in order.
    /// Returns the resources it deleted (their tables are retired in `tx`).
    async fn sync_resources(&self, tx: &mut Tx, dataset_id: &str, list: &[ResourceFields], now: i64) -> Result<Vec<String>, DataHubError> {
        let existing: Vec<String> = sqlx::query("SELECT id FROM resources WHERE dataset_id = $1 AND state = 'active'")
            .bind(dataset_id)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        let mut kept = HashSet::new();
        for (pos, r) in list.iter().enumerate() {
            let pos = i64::try_from(pos).unwrap_or(i64::MAX);
            match r.id.as_deref().filter(|id| existing.iter().any(|e| e == id)) {
                Some(id) if kept.insert(id.to_string()) => {
                    Self::update_resource_row(tx, id, r, Some(pos), now).await?;
                }
                _ => {
                    Self::insert_resource_row(tx, dataset_id, r, pos, now).await?;
                }
            }
        }
        let removed: Vec<String> = existing.iter().filter(|e| !kept.contains(*e)).cloned().collect();
        for id in &removed {
            sqlx::query("UPDATE resources SET state = 'deleted', modified_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        Self::retire_datastore(tx, &removed).await?;
        Ok(removed)
    }

    async fn insert_resource_row(
        tx: &mut Tx,
        dataset_id: &str,
        r: &ResourceFields,
        position: i64,
        now: i64,
    ) -> Result<String, DataHubError> {
        let id = new_id();
        let url = match r.kind {
            ResourceKind::Url => Some(r.url.as_deref().map(str::trim).unwrap_or_default().to_string()),
            ResourceKind::Upload => None,
        };
        sqlx::query(
            "INSERT INTO resources (id, dataset_id, position, name, description, format, kind, url, created_at, modified_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id)
        .bind(dataset_id)
        .bind(position)
        .bind(cityos_text::nfc(r.name.trim()))
        .bind(cityos_text::nfc(&r.description))
        .bind(normalise_format(&r.format))
        .bind(r.kind.as_str())
        .bind(url)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Updates a resource's description; a link's URL too (an upload's
    /// content changes only through new versions).
    async fn update_resource_row(tx: &mut Tx, id: &str, r: &ResourceFields, position: Option<i64>, now: i64) -> Result<(), DataHubError> {
        sqlx::query(
            "UPDATE resources SET name = $2, description = $3, format = $4,
               url = CASE WHEN kind = 'url' THEN $5 ELSE url END, position = COALESCE($6, position), modified_at = $7
             WHERE id = $1",
        )
        .bind(id)
        .bind(cityos_text::nfc(r.name.trim()))
        .bind(cityos_text::nfc(&r.description))
        .bind(normalise_format(&r.format))
        .bind(r.url.as_deref().map(str::trim).unwrap_or_default())
        .bind(position)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Audit record and event for a dataset write, then commit.
    async fn finish(
        &self,
        mut tx: Tx,
        caller: &Caller,
        what: &str,
        id: &str,
        f: &DatasetFields,
        revision: i64,
    ) -> Result<(), DataHubError> {
        let action = match what {
            "created" => "create",
            "deleted" => "delete",
            _ => "update",
        };
        let rec = AuditRecord {
            actor: caller.actor(),
            action: format!("datahub.dataset.{action}"),
            object: format!("dataset:{id}"),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        let ev = CloudEvent::new(
            &self.clock,
            "/cityos/datahub",
            &format!("vn.cityos.datahub.dataset.{what}"),
            f.sharing_level.classification(),
            serde_json::json!({ "id": id, "name": f.name, "sharing_level": f.sharing_level.as_str(), "revision": revision }),
        )
        .subject(format!("dataset:{id}"))
        .agency(Some(f.owner_agency.clone()));
        cityos_events::publish(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(())
    }

    // -------------------------------------------------------------- resources

    /// A resource and its dataset, if the caller may read the dataset.
    ///
    /// # Errors
    /// 404; database failure.
    pub async fn resource(&self, caller: &Caller, id: &str) -> Result<(Resource, Dataset), DataHubError> {
        let row = sqlx::query("SELECT dataset_id FROM resources WHERE id = $1 AND state = 'active'")
            .bind(id)
            .fetch_optional(self.db.reader())
            .await?;
        let not_found = || DataHubError::Api(ApiError::not_found(format!("no resource {id}")));
        let dataset_id: String = row.ok_or_else(not_found)?.try_get("dataset_id")?;
        let d = self.dataset(caller, &dataset_id).await.map_err(|_| not_found())?;
        let r = d.resources.iter().find(|r| r.id == id).cloned().ok_or_else(not_found)?;
        Ok((r, d))
    }

    /// Adds a resource to a dataset (its writers). An `upload` resource
    /// starts without content; its files arrive as versions.
    ///
    /// # Errors
    /// 401/403/404; 422 for invalid fields.
    pub async fn create_resource(&self, caller: &Caller, dataset: &str, r: &ResourceFields) -> Result<Resource, DataHubError> {
        caller.require_any(&[Role::DataOfficer, Role::AgencyAdmin])?;
        let d = self.writable(caller, dataset).await?;
        let mut errors = FieldErrors::new();
        check_resource(r, &mut errors, "");
        if d.resources.len() >= MAX_RESOURCES {
            push(&mut errors, "resources", format!("At most {MAX_RESOURCES} resources"));
        }
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        let position = d.resources.iter().map(|r| r.position + 1).max().unwrap_or(0);
        let id = Self::insert_resource_row(&mut tx, &d.id, r, position, now).await?;
        self.finish_resource(tx, caller, "created", &id, &d, now).await?;
        Ok(self.resource(caller, &id).await?.0)
    }

    /// Changes a resource's name, description, format and (links) URL.
    ///
    /// # Errors
    /// 401/403/404; 422 for invalid fields.
    pub async fn update_resource(&self, caller: &Caller, id: &str, r: &ResourceFields) -> Result<Resource, DataHubError> {
        caller.require_any(&[Role::DataOfficer, Role::AgencyAdmin])?;
        let (_, d) = self.resource(caller, id).await?;
        let d = self.writable(caller, &d.id).await?;
        let mut errors = FieldErrors::new();
        check_resource(r, &mut errors, "");
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        Self::update_resource_row(&mut tx, id, r, None, now).await?;
        self.finish_resource(tx, caller, "updated", id, &d, now).await?;
        Ok(self.resource(caller, id).await?.0)
    }

    /// Deletes a resource (its dataset's writers).
    ///
    /// # Errors
    /// 401/403/404.
    pub async fn delete_resource(&self, caller: &Caller, id: &str) -> Result<(), DataHubError> {
        caller.require_any(&[Role::DataOfficer, Role::AgencyAdmin])?;
        let (_, d) = self.resource(caller, id).await?;
        let d = self.writable(caller, &d.id).await?;
        let now = to_millis(self.clock.now());
        let mut tx = self.db.begin().await?;
        sqlx::query("UPDATE resources SET state = 'deleted', modified_at = $2 WHERE id = $1").bind(id).bind(now).execute(&mut *tx).await?;
        let ids = [id.to_string()];
        Self::retire_datastore(&mut tx, &ids).await?;
        self.finish_resource(tx, caller, "deleted", id, &d, now).await?;
        self.drop_retired_of(&ids).await;
        Ok(())
    }

    /// A resource change is a change of its dataset: the revision moves on,
    /// and the audit record and event commit with it.
    async fn finish_resource(&self, mut tx: Tx, caller: &Caller, what: &str, id: &str, d: &Dataset, now: i64) -> Result<(), DataHubError> {
        let revision: i64 = sqlx::query("UPDATE datasets SET revision = revision + 1, modified_at = $2 WHERE id = $1 RETURNING revision")
            .bind(&d.id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
            .try_get("revision")?;
        let action = match what {
            "created" => "create",
            "deleted" => "delete",
            _ => "update",
        };
        let rec = AuditRecord {
            actor: caller.actor(),
            action: format!("datahub.resource.{action}"),
            object: format!("resource:{id}"),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        let ev = CloudEvent::new(
            &self.clock,
            "/cityos/datahub",
            &format!("vn.cityos.datahub.resource.{what}"),
            d.sharing_level.classification(),
            serde_json::json!({ "id": id, "dataset_id": d.id, "revision": revision }),
        )
        .subject(format!("resource:{id}"))
        .agency(Some(d.owner_agency.clone()));
        cityos_events::publish(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(())
    }

    // -------------------------------------------------------------- search

    /// Searches the catalogue: the datasets `caller` may read that match
    /// `q` and every clause, sorted and paged, with facet counts.
    ///
    /// # Errors
    /// Database failure.
    pub async fn search(&self, caller: &Caller, q: &SearchQuery) -> Result<SearchResult, DataHubError> {
        let schema = dataset_schema();
        let words = q.q.as_deref().map(cityos_text::query_tokens).unwrap_or_default();
        let approved = if q.include_private { self.approved_dataset_ids(caller).await? } else { Vec::new() };
        let mut parts = vec![visibility_filter(caller, q.include_private, &approved)];
        for w in &words {
            parts.push(Filter::Cmp { column: "search".into(), op: Op::Contains, value: Value::Text(format!(" {w}")) });
        }
        for c in &q.clauses {
            // PostgreSQL text cannot hold NUL: such a value matches nothing, as on SQLite.
            let c = Clause { value: c.value.replace('\u{0}', "\u{fffd}"), ..c.clone() };
            let f = clause_filter(&c);
            parts.push(if c.negate { Filter::Not(Box::new(f)) } else { f });
        }
        let filter = Filter::And(parts);
        let count: i64 = compiled(query::count(&schema, Some(&filter)))?.query().fetch_one(self.db.reader()).await?.try_get("n")?;
        let rows = q.rows.clamp(0, 1000);
        let start = q.start.max(0);
        let by_score = matches!(q.sort.first(), None | Some((SortField::Score, _)));
        let ids: Vec<String> = if rows == 0 {
            Vec::new()
        } else if by_score && !words.is_empty() {
            self.ids_by_score(&schema, &filter, &words, rows, start).await?
        } else {
            let mut sort = Vec::new();
            for (field, desc) in &q.sort {
                let dir = if *desc { Dir::Desc } else { Dir::Asc };
                let col = match field {
                    SortField::Score | SortField::Modified => ("modified_at", if *field == SortField::Score { Dir::Desc } else { dir }),
                    SortField::Created => ("created_at", dir),
                    SortField::Title => ("title_vi", dir),
                    SortField::Name => ("name", dir),
                };
                sort.push((col.0.to_string(), col.1));
            }
            if sort.is_empty() {
                sort.push(("modified_at".into(), Dir::Desc));
            }
            sort.push(("name".into(), Dir::Asc));
            let sel = Select { fields: vec!["id".into()], filter: Some(filter.clone()), sort, limit: Some(rows), offset: Some(start) };
            compiled(query::select(&schema, &sel))?
                .query()
                .fetch_all(self.db.reader())
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()?
        };
        let results = self.load_many(&ids).await?;
        let mut facets = Vec::new();
        for f in &q.facets {
            if !facets.iter().any(|(g, _)| g == f) {
                facets.push((*f, self.facet_counts(*f, &filter, q.facet_limit).await?));
            }
        }
        Ok(SearchResult { count, results, facets })
    }

    /// Relevance: a word found in the name or a title counts ten, elsewhere
    /// one; ties go to the most recently modified, then by name.
    async fn ids_by_score(
        &self,
        schema: &Schema,
        filter: &Filter,
        words: &[String],
        rows: i64,
        start: i64,
    ) -> Result<Vec<String>, DataHubError> {
        let fields = ["id", "name", "search", "modified_at"].iter().map(|s| (*s).to_string()).collect();
        let sel = Select { fields, filter: Some(filter.clone()), ..Select::default() };
        let found = compiled(query::select(schema, &sel))?.query().fetch_all(self.db.reader()).await?;
        let mut scored = Vec::with_capacity(found.len());
        for r in &found {
            let search: String = r.try_get("search")?;
            let title = search.split(TITLE_END).next().unwrap_or("");
            let score: i64 = words.iter().map(|w| if title.contains(&format!(" {w}")) { 10 } else { 1 }).sum();
            scored.push((score, r.try_get::<i64, _>("modified_at")?, r.try_get::<String, _>("name")?, r.try_get::<String, _>("id")?));
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        let skip = usize::try_from(start).unwrap_or(usize::MAX);
        let take = usize::try_from(rows).unwrap_or(0);
        Ok(scored.into_iter().skip(skip).take(take).map(|s| s.3).collect())
    }

    /// How many matching datasets have each value of `field`, most first
    /// (then by value), grouped in the database.
    async fn facet_counts(&self, field: FacetField, filter: &Filter, limit: Option<usize>) -> Result<Vec<FacetCount>, DataHubError> {
        let (schema, column) = match field {
            FacetField::Organization => (dataset_schema(), "owner_agency"),
            FacetField::LicenseId => (dataset_schema(), "license_id"),
            FacetField::SharingLevel => (dataset_schema(), "sharing_level"),
            FacetField::Groups => (dataset_schema(), "themes"),
            FacetField::Tags => (tag_facet_schema(), "facet_tag"),
            FacetField::ResFormat => (dataset_schema(), "formats_index"),
        };
        let g = GroupSelect {
            group_by: vec![column.into()],
            aggregates: vec![Aggregate::Count],
            filter: Some(filter.clone()),
            sort: vec![(GroupKey::Aggregate(0), Dir::Desc), (GroupKey::Group(0), Dir::Asc)],
            ..GroupSelect::default()
        };
        let rows = compiled(query::group(&schema, &g))?.query().fetch_all(self.db.reader()).await?;
        let mut counts: HashMap<String, i64> = HashMap::new();
        for r in &rows {
            let value: Option<String> = r.try_get("g0")?;
            let n: i64 = r.try_get("a0")?;
            let values = match (field, value) {
                // Themes (a JSON list) and formats are lists per dataset: each
                // combination's count goes to each value in it.
                (FacetField::Groups, Some(v)) => serde_json::from_str::<Vec<String>>(&v).unwrap_or_default(),
                // `|CSV|JSON|CSV|`: each distinct format of the combination.
                (FacetField::ResFormat, Some(v)) => {
                    let set: HashSet<&str> = v.split('|').filter(|f| !f.is_empty()).collect();
                    set.into_iter().map(str::to_string).collect()
                }
                (_, Some(v)) if !v.is_empty() => vec![v],
                _ => Vec::new(),
            };
            for v in values {
                *counts.entry(v).or_default() += n;
            }
        }
        let mut items: Vec<FacetCount> = counts.into_iter().map(|(name, count)| FacetCount { name, count }).collect();
        items.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        if let Some(limit) = limit {
            items.truncate(limit);
        }
        Ok(items)
    }

    /// Names of the active open datasets, sorted (CKAN's `package_list`).
    ///
    /// # Errors
    /// Database failure.
    pub async fn open_dataset_names(&self, limit: i64, offset: i64) -> Result<Vec<String>, DataHubError> {
        let rows =
            sqlx::query("SELECT name FROM datasets WHERE state = 'active' AND sharing_level = 'open' ORDER BY name LIMIT $1 OFFSET $2")
                .bind(limit.max(0))
                .bind(offset.max(0))
                .fetch_all(self.db.reader())
                .await?;
        Ok(rows.iter().map(|r| r.try_get("name")).collect::<Result<_, _>>()?)
    }

    /// Tags of active open datasets, sorted, optionally those whose folded
    /// form contains `query`'s.
    ///
    /// # Errors
    /// Database failure.
    pub async fn open_tags(&self, query: Option<&str>) -> Result<Vec<String>, DataHubError> {
        let rows = sqlx::query(
            "SELECT DISTINCT t.tag FROM dataset_tags t JOIN datasets d ON d.id = t.dataset_id
             WHERE d.state = 'active' AND d.sharing_level = 'open' ORDER BY t.tag",
        )
        .fetch_all(self.db.reader())
        .await?;
        let needle = query.map(cityos_text::fold).filter(|q| !q.is_empty());
        let mut tags = Vec::new();
        for r in rows {
            let t: String = r.try_get("tag")?;
            if needle.as_ref().is_none_or(|n| cityos_text::fold(&t).contains(n.as_str())) {
                tags.push(t);
            }
        }
        Ok(tags)
    }

    /// Active open datasets per owner agency and per theme.
    ///
    /// # Errors
    /// Database failure.
    pub async fn open_counts(&self) -> Result<(HashMap<String, i64>, HashMap<String, i64>), DataHubError> {
        let rows = sqlx::query("SELECT owner_agency, themes FROM datasets WHERE state = 'active' AND sharing_level = 'open'")
            .fetch_all(self.db.reader())
            .await?;
        let (mut by_agency, mut by_theme) = (HashMap::new(), HashMap::new());
        for r in rows {
            *by_agency.entry(r.try_get::<String, _>("owner_agency")?).or_insert(0) += 1;
            let themes: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("themes")?).unwrap_or_default();
            for t in themes {
                *by_theme.entry(t).or_insert(0) += 1;
            }
        }
        Ok((by_agency, by_theme))
    }

    /// Every active open dataset, newest first (the DCAT export).
    ///
    /// # Errors
    /// Database failure.
    pub async fn open_datasets(&self) -> Result<Vec<Dataset>, DataHubError> {
        let rows = sqlx::query("SELECT id FROM datasets WHERE state = 'active' AND sharing_level = 'open' ORDER BY modified_at DESC, name")
            .fetch_all(self.db.reader())
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            out.extend(self.load_many(chunk).await?);
        }
        Ok(out)
    }
}

fn clause_filter(c: &Clause) -> Filter {
    let text = |column: &str, v: String| Filter::Cmp { column: column.into(), op: Op::Eq, value: Value::Text(v) };
    let contains = |column: &str, v: String| Filter::Cmp { column: column.into(), op: Op::Contains, value: Value::Text(v) };
    match c.field {
        ClauseField::Organization => text("owner_agency", c.value.clone()),
        ClauseField::Tags => contains("tags_index", format!("|{}|", c.value)),
        ClauseField::ResFormat => contains("formats_index", format!("|{}|", c.value.trim().to_uppercase())),
        ClauseField::LicenseId => text("license_id", c.value.clone()),
        ClauseField::Groups => contains("themes", format!("\"{}\"", c.value)),
        ClauseField::Name => text("name", c.value.clone()),
        ClauseField::Id => text("id", c.value.clone()),
        ClauseField::SharingLevel => text("sharing_level", c.value.clone()),
    }
}

fn spatial_text(f: &DatasetFields) -> Option<String> {
    match (&f.spatial_ward, &f.spatial_geometry) {
        (Some(w), _) => Some(w.clone()),
        (None, Some(g)) => Some(g.to_string()),
        (None, None) => None,
    }
}

fn user_of(caller: &Caller) -> Option<String> {
    match &caller.principal {
        Principal::Staff { user_id, .. } => Some(user_id.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_ckan() {
        for ok in ["co-so-y-te", "ab", "truong_hoc_2025"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["a", "Co-so", "cơ-sở", "has space", &"x".repeat(101)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn tags_allow_vietnamese_words_but_no_separators() {
        assert!(valid_tag("bệnh viện"));
        assert!(valid_tag("y-te_2025.v1"));
        assert!(!valid_tag("a|b"));
        assert!(!valid_tag(""));
        assert!(!valid_tag("a,b"));
    }

    #[test]
    fn search_text_is_folded_words_between_spaces() {
        let f = DatasetFields {
            name: "co-so-y-te".into(),
            title_vi: "Danh sách Bệnh viện".into(),
            tags: vec!["Y tế".into()],
            themes: vec!["health".into()],
            ..DatasetFields::default()
        };
        let s = search_text(&f, None);
        assert!(s.starts_with(' ') && s.ends_with(' '));
        assert!(s.contains(" benh vien "), "{s}");
        assert!(s.contains(" health "));
        assert_eq!(s.matches(" y ").count(), 1, "each word once: {s}");
    }

    #[test]
    fn geometry_checks_coordinates() {
        assert!(valid_geometry(&serde_json::json!({"type": "Point", "coordinates": [106.7, 10.77]})).is_ok());
        assert!(valid_geometry(&serde_json::json!({"type": "Point", "coordinates": [10.77, 106.7]})).is_err());
        assert!(valid_geometry(&serde_json::json!({"type": "Polygon"})).is_err());
        assert!(valid_geometry(&serde_json::json!("26740")).is_err());
    }

    #[test]
    fn invalid_fields_are_named() {
        let f = normalise(&DatasetFields {
            name: "Bad Name".into(),
            license_id: "wtfpl".into(),
            themes: vec!["space".into()],
            temporal_start: Some("2025-12-01".into()),
            temporal_end: Some("2025-01-01".into()),
            contact_email: "not-mail".into(),
            ..DatasetFields::default()
        });
        let mut errors = FieldErrors::new();
        check_fields(&f, &HashMap::new(), &mut errors);
        for field in ["name", "title", "owner_org", "license_id", "groups", "temporal_end", "maintainer_email"] {
            assert!(errors.contains_key(field), "{field} in {errors:?}");
        }
    }
}
