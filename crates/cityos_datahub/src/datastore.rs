//! The datastore: every loaded version of a resource is a table of its own,
//! `ds_<hash of the resource id>_v<version>`, with the row number `_id`,
//! one typed column per field (`c1…cN`; `resource_fields.column_name` maps
//! the file's names to them), `_search` (the row's folded words, for
//! full-text search without diacritics) and `_lat`/`_lon` when the rows have
//! coordinates. Tables are made and filled by the ingest through
//! `cityos_store::query::table`; every read goes through the store's query
//! compiler with a whitelist built from the resource's fields, so names and
//! values from a request never reach SQL as text.
//!
//! **Who reads what** is decided in one place, [`DataHub::authorize_data_read`]:
//! open data is everyone's; `shared` and `restricted` data only the owner
//! agency's (grants scoped to it or to an agency above it; administrators)
//! and agencies holding an active approval ([`crate::sharing`]). Personal fields
//! are masked (`***`) for every reader the grant does not cover, and cannot
//! be filtered, sorted, grouped or aggregated by them. Every read of
//! non-public data — a `shared`/`restricted` dataset, or personal fields
//! shown — writes one audit record per request with the number of rows
//! returned, and so does every refusal of a signed-in caller.

use crate::catalogue::{can_read_metadata, Dataset};
use crate::infer::FieldType;
use crate::vocabulary::SharingLevel;
use crate::{DataHub, DataHubError};
use cityos_api::{ApiError, Caller, Principal, Role, Scope, Target};
use cityos_audit::AuditRecord;
use cityos_store::query::table::Ident;
use cityos_store::query::{self, Aggregate, Column, Compiled, Dir, Filter, GroupKey, GroupSelect, Op, Schema, Select, Value};
use cityos_store::Backend;
use http::StatusCode;
use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};
use sqlx::Row as _;
use std::borrow::Cow;
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// What a masked personal value reads as.
pub const MASK: &str = "***";

/// The most rows one JSON page returns.
pub const MAX_LIMIT: i64 = 10_000;

/// Rows a JSON page returns when no `limit` is given.
pub const DEFAULT_LIMIT: i64 = 100;

/// The row-number column every datastore table has.
pub const ROW_ID: &str = "_id";

/// A field of the current version of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Field {
    /// Its name (from the file's header).
    pub name: String,
    /// Its datastore column (`c1…`).
    #[serde(skip)]
    pub column: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Whether some rows have no value.
    pub nullable: bool,
    /// Whether it holds personal data.
    pub personal: bool,
    /// The officer's description.
    pub description: String,
}

/// The loaded, current version of a resource.
#[derive(Debug, Clone)]
pub struct Current {
    /// The dataset it belongs to.
    pub dataset: Dataset,
    /// The resource's id.
    pub resource_id: String,
    /// Its current version.
    pub version: i64,
    /// Its table.
    pub table: Ident,
    /// Rows in it.
    pub row_count: i64,
    /// Whether rows have `_lat`/`_lon`.
    pub has_geo: bool,
    /// Columns whose words are in `_search`.
    pub search_columns: Vec<String>,
    /// Its fields, in order.
    pub fields: Vec<Field>,
}

impl Current {
    /// A field by name.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The whitelist for queries: `_id`, every field by name, `_lat`/`_lon`
    /// when there are coordinates, and the full-text index.
    fn schema(&self, backend: Backend) -> Result<Schema, DataHubError> {
        let mut columns = vec![Column { name: Cow::Borrowed(ROW_ID), sql: Cow::Borrowed(ROW_ID) }];
        for f in &self.fields {
            columns.push(Column { name: Cow::Owned(f.name.clone()), sql: Cow::Owned(f.column.clone()) });
        }
        if self.has_geo {
            columns.push(Column { name: Cow::Borrowed("_lat"), sql: Cow::Borrowed("_lat") });
            columns.push(Column { name: Cow::Borrowed("_lon"), sql: Cow::Borrowed("_lon") });
        }
        let key = Ident::new(ROW_ID).map_err(store)?;
        let words = Ident::new("_search").map_err(store)?;
        let fts = query::table::fulltext_match(backend, &self.table, &key, &words).map_err(store)?;
        Ok(Schema { table: Cow::Owned(self.table.to_string()), columns: Cow::Owned(columns), fulltext: Some(Cow::Owned(fts)) })
    }
}

fn store(e: query::QueryError) -> DataHubError {
    DataHubError::Store(cityos_store::StoreError::Query(e))
}

/// Why a caller may read a dataset's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadBasis {
    /// Open data, read by anyone.
    Public,
    /// The owner agency (or an agency above it, or an administrator).
    Owner,
    /// An approved sharing request (the sharing workflow).
    Approval {
        /// The approval's id.
        id: String,
        /// The reading agency.
        agency: String,
    },
}

/// Which personal fields a reader sees unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonalAccess {
    /// None: every personal field is masked.
    None,
    /// All of them.
    All,
    /// Only these fields (by name).
    Only(BTreeSet<String>),
}

/// What [`DataHub::authorize_data_read`] allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadGrant {
    /// Why the read is allowed.
    pub basis: ReadBasis,
    /// Personal fields shown.
    pub personal: PersonalAccess,
    /// The purpose written to the audit record.
    pub purpose: String,
}

impl ReadGrant {
    /// Whether `field` is shown as it is.
    #[must_use]
    pub fn may_see(&self, field: &Field) -> bool {
        !field.personal
            || match &self.personal {
                PersonalAccess::None => false,
                PersonalAccess::All => true,
                PersonalAccess::Only(set) => set.contains(&field.name),
            }
    }
}

/// Whether `caller` reads `owner`'s data as the owner: an administrator, or
/// a grant scoped to the owner agency or an agency above it. City-wide
/// grants of other roles (operators, analysts, auditors) do not make their
/// holders the owner: their agencies read under an approval like any other.
#[must_use]
pub fn is_owner_side(caller: &Caller, owner: &str) -> bool {
    matches!(caller.principal, Principal::Staff { .. })
        && caller.grants.iter().any(|g| {
            g.role == Role::Admin || (matches!(g.scope, Scope::Agency(_)) && g.covers(&Target { agency: Some(owner), jurisdiction: None }))
        })
}

impl DataHub {
    /// Decides whether `caller` may read the rows of `dataset`, and which
    /// personal fields they see: the one place the sharing workflow plugs
    /// its approvals into. A dataset the caller may not even see is 404 (as
    /// the catalogue answers); a `shared` or `restricted` one read by
    /// another agency without an approval is 403 `approval_required`, with a
    /// `denied` audit record.
    ///
    /// # Errors
    /// 404, 403; database failure writing the refusal's audit record.
    pub async fn authorize_data_read(&self, caller: &Caller, dataset: &Dataset) -> Result<ReadGrant, DataHubError> {
        let owner = is_owner_side(caller, &dataset.owner_agency);
        // The sharing workflow (crate::sharing): an approved, unexpired
        // request of the caller's agency gives ReadBasis::Approval with its
        // purpose and the personal fields it covers (also for open data).
        let approval = if owner { None } else { self.approval_grant(caller, dataset).await? };
        if !can_read_metadata(caller, dataset) && approval.is_none() && !self.known_through_sharing(caller, dataset).await? {
            return Err(ApiError::not_found(format!("no dataset {}", dataset.name)).into());
        }
        if owner {
            return Ok(ReadGrant { basis: ReadBasis::Owner, personal: PersonalAccess::All, purpose: "owner agency".into() });
        }
        if let Some(grant) = approval {
            return Ok(grant);
        }
        if dataset.sharing_level == SharingLevel::Open {
            return Ok(ReadGrant { basis: ReadBasis::Public, personal: PersonalAccess::None, purpose: "open data".into() });
        }
        self.audit_data_access(caller, &format!("dataset:{}", dataset.id), "denied", Some("no approval for this agency".into()), None)
            .await?;
        Err(ApiError::new(StatusCode::FORBIDDEN, "approval_required", "Approval required")
            .detail(format!(
                "Dataset {} is {} data of {}: another agency reads it only under an approved sharing request.",
                dataset.name,
                dataset.sharing_level.as_str(),
                dataset.owner_agency
            ))
            .into())
    }

    /// Writes the audit record of one data read (or refusal).
    pub(crate) async fn audit_data_access(
        &self,
        caller: &Caller,
        object: &str,
        outcome: &str,
        purpose: Option<String>,
        rows: Option<i64>,
    ) -> Result<(), DataHubError> {
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "datahub.data.read".into(),
            object: object.into(),
            purpose,
            outcome: outcome.into(),
            request_id: caller.request_id.clone(),
            row_count: rows,
        };
        cityos_audit::append_now(&self.db, &self.clock, &rec).await?;
        Ok(())
    }

    /// The current version of a resource, with its dataset and fields
    /// (no access check). 404 when the resource is unknown or deleted, or
    /// nothing has been loaded yet.
    ///
    /// # Errors
    /// 404; database failure.
    pub async fn current_table(&self, resource_id: &str) -> Result<Current, DataHubError> {
        let not_found = || DataHubError::Api(ApiError::not_found(format!("no resource {resource_id}")));
        let row = sqlx::query(
            "SELECT r.dataset_id, r.current_version, r.datastore_table, r.row_count, t.has_geo, t.search_columns
             FROM resources r LEFT JOIN datastore_tables t ON t.table_name = r.datastore_table
             WHERE r.id = $1 AND r.state = 'active'",
        )
        .bind(resource_id)
        .fetch_optional(self.db.reader())
        .await?
        .ok_or_else(not_found)?;
        let dataset_id: String = row.try_get("dataset_id")?;
        let dataset = self.load_dataset(&dataset_id).await?.filter(|d| d.state != "deleted").ok_or_else(not_found)?;
        let Some(table) = row.try_get::<Option<String>, _>("datastore_table")? else {
            return Err(ApiError::not_found(format!("resource {resource_id} has no data yet: upload a version first")).into());
        };
        let table = Ident::new(&table).map_err(store)?;
        let search: Option<String> = row.try_get("search_columns")?;
        let fields = self.fields(resource_id).await?;
        Ok(Current {
            dataset,
            resource_id: resource_id.to_string(),
            version: row.try_get("current_version")?,
            table,
            row_count: row.try_get::<Option<i64>, _>("row_count")?.unwrap_or(0),
            has_geo: row.try_get::<Option<i64>, _>("has_geo")?.unwrap_or(0) == 1,
            search_columns: search.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
            fields,
        })
    }

    /// The fields of a resource's current version, in order.
    ///
    /// # Errors
    /// Database failure.
    pub async fn fields(&self, resource_id: &str) -> Result<Vec<Field>, DataHubError> {
        let rows = sqlx::query(
            "SELECT name, column_name, data_type, nullable, personal, description FROM resource_fields WHERE resource_id = $1 ORDER BY position",
        )
        .bind(resource_id)
        .fetch_all(self.db.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Field {
                    name: r.try_get("name")?,
                    column: r.try_get("column_name")?,
                    ty: FieldType::parse(&r.try_get::<String, _>("data_type")?).unwrap_or(FieldType::Text),
                    nullable: r.try_get::<i64, _>("nullable")? == 1,
                    personal: r.try_get::<i64, _>("personal")? == 1,
                    description: r.try_get("description")?,
                })
            })
            .collect()
    }
}

// ------------------------------------------------------------------ queries

/// A comparison in a data query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// `eq:` (the default): equal.
    Eq,
    /// `ne:`: not equal.
    Ne,
    /// `lt:`.
    Lt,
    /// `lte:`.
    Lte,
    /// `gt:`.
    Gt,
    /// `gte:`.
    Gte,
    /// `in:a,b,c`: any of.
    In,
    /// `like:`: contains (text fields).
    Like,
    /// `null:`: has no value.
    Null,
    /// `notnull:`: has a value.
    NotNull,
}

impl FilterOp {
    /// Parses an operator prefix.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "lt" => Self::Lt,
            "lte" => Self::Lte,
            "gt" => Self::Gt,
            "gte" => Self::Gte,
            "in" => Self::In,
            "like" => Self::Like,
            "null" => Self::Null,
            "notnull" => Self::NotNull,
            _ => return None,
        })
    }
}

/// One condition on a field: `field op values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFilter {
    /// The field's name (or `_id`).
    pub field: String,
    /// The comparison.
    pub op: FilterOp,
    /// The values as text (one, or several for `in`); parsed by the field's type.
    pub values: Vec<String>,
}

impl FieldFilter {
    /// `field=op:value` as the query API writes it: a known operator prefix,
    /// or none (then the whole text is the value to equal).
    #[must_use]
    pub fn from_param(field: &str, text: &str) -> Self {
        let (op, value) = match text.split_once(':').and_then(|(p, v)| FilterOp::parse(p).map(|op| (op, v))) {
            Some(x) => x,
            None => (FilterOp::Eq, text),
        };
        let values = match op {
            FilterOp::In => value.split(',').map(str::to_string).collect(),
            FilterOp::Null | FilterOp::NotNull => Vec::new(),
            _ => vec![value.to_string()],
        };
        Self { field: field.to_string(), op, values }
    }

    /// CKAN-style `filters` member: a value (equal) or a list (any of); `null` is "has no value".
    ///
    /// # Errors
    /// Objects as values.
    pub fn from_json(field: &str, value: &serde_json::Value) -> Result<Self, ApiError> {
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => Ok(s.clone()),
            serde_json::Value::Number(n) => Ok(n.to_string()),
            serde_json::Value::Bool(b) => Ok(b.to_string()),
            _ => Err(ApiError::bad_request("invalid_filter", format!("filter on {field}: values must be text, numbers or booleans"))),
        };
        Ok(match value {
            serde_json::Value::Null => Self { field: field.into(), op: FilterOp::Null, values: Vec::new() },
            serde_json::Value::Array(list) => {
                Self { field: field.into(), op: FilterOp::In, values: list.iter().map(text).collect::<Result<_, _>>()? }
            }
            v => Self { field: field.into(), op: FilterOp::Eq, values: vec![text(v)?] },
        })
    }
}

/// An aggregate asked for: `count`, `sum:field`, `avg:field`, `min:field`, `max:field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateSpec {
    /// `count`, `sum`, `avg`, `min` or `max`.
    pub function: String,
    /// The field (none for `count`).
    pub field: Option<String>,
}

impl AggregateSpec {
    /// Parses `count` or `fn:field`.
    ///
    /// # Errors
    /// An unknown function, or a field missing or given where none belongs.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let s = s.trim();
        let (function, field) = match s.split_once(':') {
            Some((f, field)) => (f.trim(), Some(field.trim().to_string())),
            None => (s, None),
        };
        match (function, &field) {
            ("count", None) | ("sum" | "avg" | "min" | "max", Some(_)) => Ok(Self { function: function.into(), field }),
            _ => Err(ApiError::bad_request("invalid_aggregate", format!("`{s}`: use count, sum:field, avg:field, min:field or max:field"))),
        }
    }

    /// How the result names it: `count`, `sum:field`, ….
    #[must_use]
    pub fn label(&self) -> String {
        match &self.field {
            Some(f) => format!("{}:{f}", self.function),
            None => self.function.clone(),
        }
    }
}

/// A query over the rows of a resource's current version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataQuery {
    /// Conditions, all of which must hold.
    pub filters: Vec<FieldFilter>,
    /// Full-text words (diacritics and case ignored; the last word matches as a prefix).
    pub q: Option<String>,
    /// Sort keys (fields, or aggregate labels when aggregating).
    pub sort: Vec<(String, Dir)>,
    /// Fields to return (all when empty).
    pub fields: Vec<String>,
    /// Rows (or groups) to return; `None` for all (streamed outputs).
    pub limit: Option<i64>,
    /// Rows (or groups) to skip.
    pub offset: i64,
    /// Aggregates per group.
    pub aggregates: Vec<AggregateSpec>,
    /// Fields to group by.
    pub group_by: Vec<String>,
    /// `min_lon, min_lat, max_lon, max_lat`: rows whose point lies inside.
    pub bbox: Option<[f64; 4]>,
    /// Distinct rows of `fields` (CKAN's `distinct`).
    pub distinct: bool,
}

impl DataQuery {
    /// Parses `sort=field asc,field2 desc` (or a JSON list of such strings).
    ///
    /// # Errors
    /// Not a sort list.
    pub fn parse_sort(s: &str) -> Result<Vec<(String, Dir)>, ApiError> {
        let mut out = Vec::new();
        for key in split_list(s)? {
            let key = key.trim();
            if key.is_empty() {
                continue;
            }
            let lower = key.to_ascii_lowercase();
            let (name, dir) = if lower.ends_with(" desc") {
                (&key[..key.len() - 5], Dir::Desc)
            } else if lower.ends_with(" asc") {
                (&key[..key.len() - 4], Dir::Asc)
            } else {
                (key, Dir::Asc)
            };
            out.push((name.trim().trim_matches('"').to_string(), dir));
        }
        Ok(out)
    }

    /// Parses `bbox=minLon,minLat,maxLon,maxLat`.
    ///
    /// # Errors
    /// Not four numbers inside WGS 84's ranges, min above max.
    pub fn parse_bbox(s: &str) -> Result<[f64; 4], ApiError> {
        let bad = || ApiError::bad_request("invalid_bbox", "bbox is minLon,minLat,maxLon,maxLat in degrees (WGS 84)");
        let v: Vec<f64> = s.split(',').map(|p| p.trim().parse::<f64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
        let [a, b, c, d] = <[f64; 4]>::try_from(v).map_err(|_| bad())?;
        let lon_ok = |x: f64| (-180.0..=180.0).contains(&x);
        let lat_ok = |x: f64| (-90.0..=90.0).contains(&x);
        if !(lon_ok(a) && lon_ok(c) && lat_ok(b) && lat_ok(d)) || a > c || b > d {
            return Err(bad());
        }
        Ok([a, b, c, d])
    }
}

/// `a,b,c`, or a JSON list of strings (for names with commas).
///
/// # Errors
/// A malformed JSON list.
pub fn split_list(s: &str) -> Result<Vec<String>, ApiError> {
    if s.trim_start().starts_with('[') {
        return serde_json::from_str(s).map_err(|e| ApiError::bad_request("invalid_list", format!("not a JSON list of strings: {e}")));
    }
    Ok(s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
}

/// A record in field order (JSON objects would sort their keys).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record(pub Vec<(String, serde_json::Value)>);

impl Record {
    /// A member by name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&serde_json::Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A field as a result describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldInfo {
    /// The name.
    pub name: String,
    /// The type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Whether it holds personal data.
    pub personal: bool,
    /// Whether its values are masked for this reader.
    pub masked: bool,
}

/// A page of rows.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DataPage {
    /// The resource.
    pub resource_id: String,
    /// The version read.
    pub version: i64,
    /// The fields returned.
    pub fields: Vec<FieldInfo>,
    /// The rows.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<Record>,
    /// Rows matching (before paging).
    pub total: i64,
    /// The page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

/// Groups with their aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AggregatePage {
    /// The resource.
    pub resource_id: String,
    /// The version read.
    pub version: i64,
    /// The grouping fields.
    pub group_by: Vec<String>,
    /// The aggregates' labels (`count`, `sum:field`, …), as keys of each group.
    pub aggregates: Vec<String>,
    /// One object per group: its grouping values and aggregates.
    #[schema(value_type = Vec<Object>)]
    pub groups: Vec<Record>,
    /// Groups in all (before paging).
    pub total: i64,
    /// The page size.
    pub limit: i64,
    /// Groups skipped.
    pub offset: i64,
}

/// A column of a compiled row query: the row number or a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Out {
    Id,
    Field(usize),
    Lat,
    Lon,
}

/// A row query checked and compiled for one reader, ready to run.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Who reads (for the audit record).
    pub caller: Caller,
    /// The version read.
    pub current: Current,
    /// What the reader may see.
    pub grant: ReadGrant,
    pub(crate) outputs: Vec<Out>,
    pub(crate) select: Compiled,
    /// The personal fields the read shows or selects, filters or sorts on
    /// (those the reader may see; the rest are refused).
    pub personal_fields: Vec<String>,
    /// Counts the matches; `None` when every row matches (the count is known).
    pub(crate) count: Option<Compiled>,
    /// The page size (`None`: every row).
    pub limit: Option<i64>,
    /// Rows skipped.
    pub offset: i64,
}

impl Prepared {
    /// The fields returned, as results describe them (`_id` first).
    #[must_use]
    pub fn field_infos(&self) -> Vec<FieldInfo> {
        self.outputs
            .iter()
            .filter_map(|o| match *o {
                Out::Id => Some(FieldInfo { name: ROW_ID.into(), ty: FieldType::Integer, personal: false, masked: false }),
                Out::Field(i) => self.current.fields.get(i).map(|f| FieldInfo {
                    name: f.name.clone(),
                    ty: f.ty,
                    personal: f.personal,
                    masked: !self.grant.may_see(f),
                }),
                Out::Lat | Out::Lon => None,
            })
            .collect()
    }

    /// Decodes one row into a record (masked where the grant says so), and
    /// its point when the query asked for one.
    pub(crate) fn record(&self, row: &sqlx::any::AnyRow) -> (Record, Option<(f64, f64)>) {
        let mut rec = Vec::with_capacity(self.outputs.len());
        let (mut lat, mut lon) = (None, None);
        for (i, o) in self.outputs.iter().enumerate() {
            match *o {
                Out::Id => rec.push((ROW_ID.to_string(), int_at(row, i).map_or(serde_json::Value::Null, serde_json::Value::from))),
                Out::Field(f) => {
                    let Some(field) = self.current.fields.get(f) else { continue };
                    let v = value_at(row, i, field.ty);
                    let v = if v.is_null() || self.grant.may_see(field) { v } else { serde_json::Value::String(MASK.into()) };
                    rec.push((field.name.clone(), v));
                }
                Out::Lat => lat = float_at(row, i),
                Out::Lon => lon = float_at(row, i),
            }
        }
        (Record(rec), lat.zip(lon))
    }

    /// Rows matching the query (before paging).
    ///
    /// # Errors
    /// Database failure.
    pub async fn total(&self, hub: &DataHub) -> Result<i64, DataHubError> {
        match &self.count {
            Some(c) => Ok(c.query().fetch_one(hub.db.reader()).await?.try_get::<i64, _>("n")?),
            None => Ok(self.current.row_count),
        }
    }

    /// Whether the read must be audited: non-public data, or personal
    /// fields shown, filtered or sorted on.
    #[must_use]
    pub fn audited(&self) -> bool {
        self.current.dataset.sharing_level != SharingLevel::Open || !self.personal_fields.is_empty()
    }
}

fn int_at(row: &sqlx::any::AnyRow, i: usize) -> Option<i64> {
    match row.try_get::<Option<i64>, _>(i) {
        Ok(v) => v,
        #[expect(clippy::cast_possible_truncation, reason = "an integer column read back as a double holds an integral value")]
        Err(_) => row.try_get::<Option<f64>, _>(i).ok().flatten().map(|f| f as i64),
    }
}

fn float_at(row: &sqlx::any::AnyRow, i: usize) -> Option<f64> {
    match row.try_get::<Option<f64>, _>(i) {
        Ok(v) => v,
        #[expect(clippy::cast_precision_loss, reason = "SQLite may hand back an integral double as an integer")]
        Err(_) => row.try_get::<Option<i64>, _>(i).ok().flatten().map(|v| v as f64),
    }
}

fn text_at(row: &sqlx::any::AnyRow, i: usize) -> Option<String> {
    row.try_get::<Option<String>, _>(i).ok().flatten()
}

/// A stored value as JSON, by the field's type.
fn value_at(row: &sqlx::any::AnyRow, i: usize, ty: FieldType) -> serde_json::Value {
    use serde_json::Value as J;
    match ty {
        FieldType::Integer => int_at(row, i).map_or(J::Null, J::from),
        FieldType::Number => float_at(row, i).and_then(serde_json::Number::from_f64).map_or(J::Null, J::Number),
        FieldType::Boolean => int_at(row, i).map_or(J::Null, |v| J::Bool(v != 0)),
        FieldType::Json | FieldType::Geometry => text_at(row, i).map_or(J::Null, |t| serde_json::from_str(&t).unwrap_or(J::String(t))),
        FieldType::Date | FieldType::Datetime | FieldType::Text => text_at(row, i).map_or(J::Null, J::String),
    }
}

fn unknown_field(name: &str) -> DataHubError {
    ApiError::bad_request("unknown_field", format!("the resource has no field `{name}`")).into()
}

fn masked_field(name: &str) -> DataHubError {
    ApiError::new(StatusCode::FORBIDDEN, "personal_field", "Personal field")
        .detail(format!("`{name}` holds personal data you may not see, so it cannot be used to filter, sort or group."))
        .into()
}

/// A value of a filter, parsed by its field's type.
fn typed_value(field: &str, ty: FieldType, raw: &str) -> Result<Value, DataHubError> {
    use crate::infer::{to_sql, Cell};
    use cityos_store::query::table::Cell as Sql;
    let bad = || -> DataHubError {
        ApiError::bad_request("invalid_filter", format!("`{raw}` is not a valid {} for `{field}`", ty.as_str())).into()
    };
    let cell = Cell::Text(cityos_text::nfc(raw.trim()));
    Ok(match (ty, to_sql(&cell, ty)) {
        (FieldType::Text | FieldType::Json | FieldType::Geometry, _) => Value::Text(cityos_text::nfc(raw)),
        (_, Sql::Int(Some(i))) => Value::Int(i),
        (_, Sql::Double(Some(f))) => Value::Float(f),
        (_, Sql::Text(Some(t))) => Value::Text(t),
        _ => return Err(bad()),
    })
}

impl DataHub {
    /// Compiles the conditions of `q` (filters, full text, bounding box).
    fn row_filter(&self, current: &Current, grant: &ReadGrant, q: &DataQuery) -> Result<Filter, DataHubError> {
        let mut parts = Vec::new();
        for f in &q.filters {
            let (column, ty) = if f.field == ROW_ID {
                (ROW_ID.to_string(), FieldType::Integer)
            } else {
                let field = current.field(&f.field).ok_or_else(|| unknown_field(&f.field))?;
                if !grant.may_see(field) {
                    return Err(masked_field(&field.name));
                }
                (field.name.clone(), field.ty)
            };
            let one = |i: usize| -> Result<Value, DataHubError> {
                let raw = f.values.get(i).map_or("", String::as_str);
                typed_value(&f.field, ty, raw)
            };
            let cmp = |op: Op| -> Result<Filter, DataHubError> { Ok(Filter::Cmp { column: column.clone(), op, value: one(0)? }) };
            parts.push(match f.op {
                FilterOp::Eq => cmp(Op::Eq)?,
                FilterOp::Ne => cmp(Op::Ne)?,
                FilterOp::Lt => cmp(Op::Lt)?,
                FilterOp::Lte => cmp(Op::Le)?,
                FilterOp::Gt => cmp(Op::Gt)?,
                FilterOp::Gte => cmp(Op::Ge)?,
                FilterOp::In => Filter::In { column: column.clone(), values: (0..f.values.len()).map(one).collect::<Result<_, _>>()? },
                FilterOp::Like if matches!(ty, FieldType::Text | FieldType::Date | FieldType::Datetime) => Filter::Cmp {
                    column: column.clone(),
                    op: Op::Contains,
                    value: Value::Text(cityos_text::nfc(f.values.first().map_or("", String::as_str))),
                },
                FilterOp::Like => {
                    return Err(ApiError::bad_request(
                        "invalid_filter",
                        format!("like: works on text fields; `{}` is {}", f.field, ty.as_str()),
                    )
                    .into())
                }
                FilterOp::Null => Filter::IsNull(column.clone()),
                FilterOp::NotNull => Filter::Not(Box::new(Filter::IsNull(column.clone()))),
            });
        }
        if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
            // Words of fields marked personal after the table was built may
            // still be indexed: until it is rebuilt, only readers who see
            // them may search.
            if let Some(hidden) = current.fields.iter().find(|f| current.search_columns.contains(&f.column) && !grant.may_see(f)) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "search_unavailable", "Search unavailable")
                    .detail(format!("`{}` was just marked personal; full-text search returns once the rows are re-indexed.", hidden.name))
                    .into());
            }
            let fts = match self.db.backend() {
                Backend::Sqlite => cityos_text::fts_query(text),
                Backend::Postgres => cityos_text::pg_tsquery(text),
            };
            parts.push(fts.map_or(Filter::Or(Vec::new()), Filter::FullText));
        }
        if let Some([min_lon, min_lat, max_lon, max_lat]) = q.bbox {
            if !current.has_geo {
                return Err(ApiError::bad_request("no_coordinates", "this resource's rows have no coordinates").into());
            }
            let c = |column: &str, op: Op, v: f64| Filter::Cmp { column: column.into(), op, value: Value::Float(v) };
            parts.push(c("_lon", Op::Ge, min_lon));
            parts.push(c("_lon", Op::Le, max_lon));
            parts.push(c("_lat", Op::Ge, min_lat));
            parts.push(c("_lat", Op::Le, max_lat));
        }
        Ok(Filter::And(parts))
    }

    /// Checks `q` against the resource and the reader, and compiles its row
    /// query (not for aggregates). `with_point` adds `_lat`/`_lon` (GeoJSON).
    ///
    /// # Errors
    /// 400 for unknown fields and bad values, 403 for personal fields, and
    /// everything [`DataHub::authorize_data_read`] refuses.
    pub async fn prepare_rows(
        &self,
        caller: &Caller,
        resource_id: &str,
        q: &DataQuery,
        with_point: bool,
    ) -> Result<Prepared, DataHubError> {
        let current = self.current_table(resource_id).await?;
        let grant = self.authorize_data_read(caller, &current.dataset).await?;
        self.prepare_with(caller, current, grant, q, with_point)
    }

    pub(crate) fn prepare_with(
        &self,
        caller: &Caller,
        current: Current,
        grant: ReadGrant,
        q: &DataQuery,
        with_point: bool,
    ) -> Result<Prepared, DataHubError> {
        if q.offset < 0 || q.limit.is_some_and(|l| l < 0) {
            return Err(ApiError::bad_request("invalid_paging", "limit and offset must not be negative").into());
        }
        let filter = self.row_filter(&current, &grant, q)?;
        let mut outputs = Vec::new();
        if q.fields.is_empty() {
            outputs.push(Out::Id);
            outputs.extend((0..current.fields.len()).map(Out::Field));
        } else {
            for name in &q.fields {
                if name == ROW_ID {
                    outputs.push(Out::Id);
                } else {
                    let i = current.fields.iter().position(|f| &f.name == name).ok_or_else(|| unknown_field(name))?;
                    outputs.push(Out::Field(i));
                }
            }
        }
        if with_point && current.has_geo {
            outputs.push(Out::Lat);
            outputs.push(Out::Lon);
        }
        let names: Vec<String> = outputs
            .iter()
            .map(|o| match *o {
                Out::Id => ROW_ID.to_string(),
                Out::Field(i) => current.fields[i].name.clone(),
                Out::Lat => "_lat".into(),
                Out::Lon => "_lon".into(),
            })
            .collect();
        let mut sort = Vec::new();
        for (name, dir) in &q.sort {
            if name != ROW_ID {
                let f = current.field(name).ok_or_else(|| unknown_field(name))?;
                if !grant.may_see(f) {
                    return Err(masked_field(name));
                }
            }
            sort.push((name.clone(), *dir));
        }
        // The row number breaks ties, so pages never overlap.
        if !sort.iter().any(|(n, _)| n == ROW_ID) {
            sort.push((ROW_ID.to_string(), Dir::Asc));
        }
        let schema = current.schema(self.db.backend())?;
        let select = query::select(
            &schema,
            &Select { fields: names, filter: Some(filter.clone()), sort, limit: q.limit, offset: Some(q.offset).filter(|o| *o > 0) },
        )
        .map_err(|e| bad_query(&e))?;
        // Counting every row of a big table is a full scan; the count of the version is known.
        let count =
            if filter == Filter::And(Vec::new()) { None } else { Some(query::count(&schema, Some(&filter)).map_err(|e| bad_query(&e))?) };
        let mut involved: Vec<&str> = outputs
            .iter()
            .filter_map(|o| match *o {
                Out::Field(i) => current.fields.get(i).map(|f| f.name.as_str()),
                _ => None,
            })
            .collect();
        involved.extend(q.filters.iter().map(|f| f.field.as_str()));
        involved.extend(q.sort.iter().map(|(n, _)| n.as_str()));
        let personal_fields = personal_in(&current, &grant, involved);
        Ok(Prepared { caller: caller.clone(), current, grant, outputs, select, personal_fields, count, limit: q.limit, offset: q.offset })
    }

    /// Rows of a resource, one page (JSON); audited when non-public data is read.
    ///
    /// # Errors
    /// As [`DataHub::prepare_rows`]; database failure.
    pub async fn data_page(&self, caller: &Caller, resource_id: &str, q: &DataQuery) -> Result<DataPage, DataHubError> {
        let mut q = q.clone();
        let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
        if limit > MAX_LIMIT {
            return Err(
                ApiError::bad_request("invalid_paging", format!("limit is at most {MAX_LIMIT} (use format=csv for everything)")).into()
            );
        }
        q.limit = Some(limit);
        let p = self.prepare_rows(caller, resource_id, &q, false).await?;
        match self.run_page(&p, true).await {
            Ok((page, _)) => Ok(page),
            Err(e) if is_store_error(&e) && self.replaced(&p.current).await => {
                let p = self.prepare_rows(caller, resource_id, &q, false).await?;
                Ok(self.run_page(&p, true).await?.0)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether `current`'s table is no longer the resource's current one: a
    /// new version, a re-index or a delete retired (and may have dropped) it
    /// between the read finding it and querying it. Such a read is retried
    /// once against the table current now (or answers 404 when the resource
    /// is gone), rather than failing with the database's "no such table".
    async fn replaced(&self, current: &Current) -> bool {
        let state = sqlx::query("SELECT state FROM datastore_tables WHERE table_name = $1")
            .bind(current.table.as_str())
            .fetch_optional(self.db.reader())
            .await
            .ok()
            .flatten()
            .and_then(|r| r.try_get::<String, _>("state").ok());
        state.as_deref() != Some("current")
    }

    /// Runs a prepared page: the rows, the total when asked, and the audit record.
    pub(crate) async fn run_page(&self, p: &Prepared, with_total: bool) -> Result<(DataPage, Vec<Option<(f64, f64)>>), DataHubError> {
        let reader = self.db.reader();
        let rows = p.select.query().fetch_all(reader).await?;
        let mut records = Vec::with_capacity(rows.len());
        let mut points = Vec::with_capacity(rows.len());
        for r in &rows {
            let (rec, point) = p.record(r);
            records.push(rec);
            points.push(point);
        }
        let total = if with_total { p.total(self).await? } else { i64::try_from(records.len()).unwrap_or(i64::MAX) + p.offset };
        if p.audited() {
            let n = i64::try_from(records.len()).unwrap_or(i64::MAX);
            self.audit_data_access_of(p, n).await?;
        }
        let page = DataPage {
            resource_id: p.current.resource_id.clone(),
            version: p.current.version,
            fields: p.field_infos(),
            records,
            total,
            limit: p.limit.unwrap_or(total),
            offset: p.offset,
        };
        Ok((page, points))
    }

    pub(crate) async fn audit_data_access_of(&self, p: &Prepared, rows: i64) -> Result<(), DataHubError> {
        self.audit_data_access(
            &p.caller,
            &format!("resource:{}", p.current.resource_id),
            "success",
            Some(personal_purpose(&p.grant.purpose, &p.personal_fields)),
            Some(rows),
        )
        .await
    }

    /// Groups and aggregates of a resource's rows; audited like rows.
    ///
    /// # Errors
    /// 400 for unknown fields, sums of non-numbers and bad sort keys; 403 for
    /// personal fields; as [`DataHub::authorize_data_read`]; database failure.
    pub async fn aggregate(&self, caller: &Caller, resource_id: &str, q: &DataQuery) -> Result<AggregatePage, DataHubError> {
        let current = self.current_table(resource_id).await?;
        match self.aggregate_on(caller, resource_id, current.clone(), q).await {
            Err(e) if is_store_error(&e) && self.replaced(&current).await => {
                let current = self.current_table(resource_id).await?;
                self.aggregate_on(caller, resource_id, current, q).await
            }
            other => other,
        }
    }

    async fn aggregate_on(
        &self,
        caller: &Caller,
        resource_id: &str,
        current: Current,
        q: &DataQuery,
    ) -> Result<AggregatePage, DataHubError> {
        let grant = self.authorize_data_read(caller, &current.dataset).await?;
        let limit = q.limit.unwrap_or(MAX_LIMIT);
        if !(0..=MAX_LIMIT).contains(&limit) || q.offset < 0 {
            return Err(ApiError::bad_request("invalid_paging", format!("limit is 0 to {MAX_LIMIT}, offset not negative")).into());
        }
        let filter = self.row_filter(&current, &grant, q)?;
        let usable = |name: &str| -> Result<&Field, DataHubError> {
            let f = current.field(name).ok_or_else(|| unknown_field(name))?;
            if grant.may_see(f) {
                Ok(f)
            } else {
                Err(masked_field(name))
            }
        };
        let mut group_fields = Vec::new();
        for g in &q.group_by {
            group_fields.push(usable(g)?.clone());
        }
        let mut aggs = Vec::new();
        let mut agg_types = Vec::new();
        for a in &q.aggregates {
            let field = a.field.as_deref().map(usable).transpose()?;
            let (agg, ty) = match (a.function.as_str(), field) {
                ("count", _) => (Aggregate::Count, Some(FieldType::Integer)),
                ("sum" | "avg", Some(f)) if f.ty.is_numeric() => {
                    let agg = if a.function == "sum" { Aggregate::Sum(f.name.clone()) } else { Aggregate::Avg(f.name.clone()) };
                    (
                        agg,
                        if a.function == "sum" && f.ty == FieldType::Integer { Some(FieldType::Integer) } else { Some(FieldType::Number) },
                    )
                }
                ("min" | "max", Some(f)) if !matches!(f.ty, FieldType::Json | FieldType::Geometry) => {
                    let agg = if a.function == "min" { Aggregate::Min(f.name.clone()) } else { Aggregate::Max(f.name.clone()) };
                    (agg, Some(f.ty))
                }
                _ => {
                    return Err(
                        ApiError::bad_request("invalid_aggregate", format!("{} does not apply to that field's type", a.label())).into()
                    );
                }
            };
            aggs.push(agg);
            agg_types.push(ty.unwrap_or(FieldType::Text));
        }
        let labels: Vec<String> = q.aggregates.iter().map(AggregateSpec::label).collect();
        let mut sort = Vec::new();
        for (name, dir) in &q.sort {
            let key = if let Some(i) = q.group_by.iter().position(|g| g == name) {
                GroupKey::Group(i)
            } else if let Some(i) = labels.iter().position(|l| l == name) {
                GroupKey::Aggregate(i)
            } else {
                return Err(ApiError::bad_request("invalid_sort", format!("`{name}` is neither a group_by field nor an aggregate")).into());
            };
            sort.push((key, *dir));
        }
        if sort.is_empty() {
            sort = (0..q.group_by.len()).map(|i| (GroupKey::Group(i), Dir::Asc)).collect();
        }
        let gs = GroupSelect {
            group_by: q.group_by.clone(),
            aggregates: aggs.clone(),
            filter: Some(filter),
            sort,
            limit: Some(limit),
            offset: Some(q.offset).filter(|o| *o > 0),
        };
        let schema = current.schema(self.db.backend())?;
        let compiled = query::group(&schema, &gs).map_err(|e| bad_query(&e))?;
        let counted = query::group_count(&schema, &gs).map_err(|e| bad_query(&e))?;
        let reader = self.db.reader();
        let rows = compiled.query().fetch_all(reader).await?;
        let total: i64 = counted.query().fetch_one(reader).await?.try_get("n")?;
        let mut groups = Vec::with_capacity(rows.len());
        // With no aggregates, the compiler still counts each group (a0); it is not shown.
        let shown_aggs = if aggs.is_empty() { 0 } else { aggs.len() };
        for r in &rows {
            let mut rec = Vec::new();
            for (i, f) in group_fields.iter().enumerate() {
                rec.push((f.name.clone(), value_at(r, i, f.ty)));
            }
            for (j, label) in labels.iter().enumerate().take(shown_aggs) {
                let idx = group_fields.len() + j;
                let v = match (&aggs[j], agg_types[j]) {
                    (Aggregate::Count, _) => int_at(r, idx).map_or(serde_json::Value::Null, serde_json::Value::from),
                    #[expect(clippy::cast_possible_truncation, reason = "a sum of integers is integral")]
                    (Aggregate::Sum(_), FieldType::Integer) => {
                        float_at(r, idx).map_or(serde_json::Value::Null, |f| serde_json::Value::from(f.round() as i64))
                    }
                    (Aggregate::Sum(_) | Aggregate::Avg(_), _) => {
                        float_at(r, idx).and_then(serde_json::Number::from_f64).map_or(serde_json::Value::Null, serde_json::Value::Number)
                    }
                    (_, ty) => value_at(r, idx, ty),
                };
                rec.push((label.clone(), v));
            }
            groups.push(Record(rec));
        }
        // Grouping, aggregating or filtering over a personal field reads it,
        // even when no value of it is returned: audited as such.
        let involved = q
            .group_by
            .iter()
            .map(String::as_str)
            .chain(q.aggregates.iter().filter_map(|a| a.field.as_deref()))
            .chain(q.filters.iter().map(|f| f.field.as_str()));
        let personal_fields = personal_in(&current, &grant, involved);
        if current.dataset.sharing_level != SharingLevel::Open || !personal_fields.is_empty() {
            let n = i64::try_from(groups.len()).unwrap_or(i64::MAX);
            let purpose = personal_purpose(&grant.purpose, &personal_fields);
            self.audit_data_access(caller, &format!("resource:{resource_id}"), "success", Some(purpose), Some(n)).await?;
        }
        Ok(AggregatePage {
            resource_id: resource_id.to_string(),
            version: current.version,
            group_by: q.group_by.clone(),
            aggregates: labels,
            groups,
            total,
            limit,
            offset: q.offset,
        })
    }
}

/// Whether a read failed in the database (rather than being refused).
fn is_store_error(e: &DataHubError) -> bool {
    matches!(e, DataHubError::Store(_))
}

/// The personal fields among `names` that `grant` shows, each once, in the
/// resource's field order.
fn personal_in<'a>(current: &Current, grant: &ReadGrant, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let names: BTreeSet<&str> = names.into_iter().collect();
    current.fields.iter().filter(|f| f.personal && grant.may_see(f) && names.contains(f.name.as_str())).map(|f| f.name.clone()).collect()
}

/// What separates a read's purpose from the personal fields it touched in
/// its audit record.
pub const PERSONAL_FIELDS_MARK: &str = " | personal fields: ";

/// The audit purpose of a read: the grant's purpose, and the personal
/// fields it showed, selected, filtered, sorted, grouped or aggregated on.
#[must_use]
pub fn personal_purpose(purpose: &str, fields: &[String]) -> String {
    if fields.is_empty() {
        purpose.to_string()
    } else {
        format!("{purpose}{PERSONAL_FIELDS_MARK}{}", fields.join(", "))
    }
}

/// Splits an audit purpose written by [`personal_purpose`] into the
/// grant's purpose and the personal fields read.
#[must_use]
pub fn split_personal_purpose(purpose: &str) -> (&str, Vec<&str>) {
    match purpose.split_once(PERSONAL_FIELDS_MARK) {
        Some((p, fields)) => (p, fields.split(", ").collect()),
        None => (purpose, Vec::new()),
    }
}

fn bad_query(e: &query::QueryError) -> DataHubError {
    match e {
        query::QueryError::UnknownColumn(c) => unknown_field(c),
        other => ApiError::bad_request("invalid_query", other.to_string()).into(),
    }
}

// ------------------------------------------------------------------ CKAN

/// CKAN's `datastore_search` parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct DatastoreSearch {
    /// Full text over the row (a string), or per field (`{field: text}`, contains).
    pub q: Option<serde_json::Value>,
    /// `{field: value | [values]}`.
    pub filters: serde_json::Map<String, serde_json::Value>,
    /// Rows (default 100; at most [`MAX_LIMIT`], as CKAN caps at its `rows_max`).
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
    /// Fields to return (all when `None`).
    pub fields: Option<Vec<String>>,
    /// `field asc, field2 desc`.
    pub sort: Option<String>,
    /// Distinct rows of `fields`.
    pub distinct: bool,
    /// Whether to count the matches (default true).
    pub include_total: bool,
}

impl Default for DatastoreSearch {
    fn default() -> Self {
        Self {
            q: None,
            filters: serde_json::Map::new(),
            limit: DEFAULT_LIMIT,
            offset: 0,
            fields: None,
            sort: None,
            distinct: false,
            include_total: true,
        }
    }
}

impl DatastoreSearch {
    /// Reads the parameters as CKAN clients send them: JSON bodies with
    /// typed values, or query strings where lists and objects are JSON
    /// text, lists may also be comma-separated, and booleans are `true`/`True`.
    ///
    /// # Errors
    /// A parameter of the wrong shape (400 `invalid_query`, named).
    pub fn from_ckan(p: &serde_json::Map<String, serde_json::Value>) -> Result<Self, ApiError> {
        use serde_json::Value as J;
        let bad = |k: &str, what: &str| ApiError::bad_request("invalid_query", format!("{k}: {what}"));
        let int = |k: &str, default: i64| -> Result<i64, ApiError> {
            match p.get(k) {
                None | Some(J::Null) => Ok(default),
                Some(J::Number(n)) => n.as_i64().ok_or_else(|| bad(k, "not a whole number")),
                Some(J::String(s)) if s.trim().is_empty() => Ok(default),
                Some(J::String(s)) => s.trim().parse().map_err(|_| bad(k, "not a whole number")),
                Some(_) => Err(bad(k, "not a whole number")),
            }
        };
        let boolean = |k: &str, default: bool| -> Result<bool, ApiError> {
            match p.get(k) {
                None | Some(J::Null) => Ok(default),
                Some(J::Bool(b)) => Ok(*b),
                Some(J::String(s)) => match s.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => Ok(true),
                    "false" | "0" | "no" | "" => Ok(false),
                    _ => Err(bad(k, "not a boolean")),
                },
                Some(_) => Err(bad(k, "not a boolean")),
            }
        };
        let filters = match p.get("filters") {
            None | Some(J::Null) => serde_json::Map::new(),
            Some(J::Object(m)) => m.clone(),
            Some(J::String(s)) if s.trim().is_empty() => serde_json::Map::new(),
            Some(J::String(s)) => serde_json::from_str(s).map_err(|_| bad("filters", "not a JSON object"))?,
            Some(_) => return Err(bad("filters", "not an object")),
        };
        let q = match p.get("q") {
            None | Some(J::Null) => None,
            Some(J::String(s)) if s.trim_start().starts_with('{') => {
                Some(serde_json::from_str(s).map_err(|_| bad("q", "not a JSON object"))?)
            }
            Some(J::String(s)) => Some(J::String(s.clone())),
            Some(J::Object(m)) => Some(J::Object(m.clone())),
            Some(_) => return Err(bad("q", "text or an object")),
        };
        let fields = match p.get("fields") {
            None | Some(J::Null) => None,
            Some(J::Array(a)) => Some(
                a.iter()
                    .map(|v| v.as_str().map(str::to_string).ok_or_else(|| bad("fields", "not a list of names")))
                    .collect::<Result<_, _>>()?,
            ),
            Some(J::String(s)) => Some(split_list(s)?),
            Some(_) => return Err(bad("fields", "not a list")),
        };
        let sort = match p.get("sort") {
            None | Some(J::Null) => None,
            Some(J::String(s)) => Some(s.clone()),
            Some(J::Array(a)) => Some(a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(",")),
            Some(_) => return Err(bad("sort", "not text")),
        };
        let limit = int("limit", DEFAULT_LIMIT)?;
        let offset = int("offset", 0)?;
        if limit < 0 || offset < 0 {
            return Err(bad("limit", "limit and offset must not be negative"));
        }
        Ok(Self {
            q,
            filters,
            limit: limit.min(MAX_LIMIT),
            offset,
            fields,
            sort,
            distinct: boolean("distinct", false)?,
            include_total: boolean("include_total", true)?,
        })
    }
}

/// A field as CKAN's datastore describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatastoreField {
    /// The name.
    pub id: String,
    /// CKAN's type: `int`, `numeric`, `bool`, `date`, `timestamp`, `text`, `json`.
    #[serde(rename = "type")]
    pub ty: String,
}

/// Links to the first and next pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatastoreLinks {
    /// This search from the start.
    pub start: String,
    /// The next page.
    pub next: String,
}

/// CKAN's `datastore_search` result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatastoreResult {
    /// The resource.
    pub resource_id: String,
    /// The fields returned.
    pub fields: Vec<DatastoreField>,
    /// The rows (personal fields masked as the reader requires).
    pub records: Vec<Record>,
    /// Rows matching, when `include_total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Always false: totals are exact.
    pub total_was_estimated: bool,
    /// The page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
    /// Paging links.
    #[serde(rename = "_links")]
    pub links: DatastoreLinks,
}

fn ckan_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Integer => "int",
        FieldType::Number => "numeric",
        FieldType::Boolean => "bool",
        FieldType::Date => "date",
        FieldType::Datetime => "timestamp",
        FieldType::Text => "text",
        FieldType::Json | FieldType::Geometry => "json",
    }
}

impl DataHub {
    /// CKAN's `datastore_search` over a resource's current version, with the
    /// same access rules, masking and audit as the query API.
    ///
    /// # Errors
    /// As [`DataHub::prepare_rows`] and [`DataHub::aggregate`].
    pub async fn datastore_search(
        &self,
        caller: &Caller,
        resource_id: &str,
        params: &DatastoreSearch,
    ) -> Result<DatastoreResult, DataHubError> {
        let mut q = DataQuery { limit: Some(params.limit), offset: params.offset, ..DataQuery::default() };
        for (field, value) in &params.filters {
            q.filters.push(FieldFilter::from_json(field, value)?);
        }
        match &params.q {
            Some(serde_json::Value::String(s)) => q.q = Some(s.clone()),
            Some(serde_json::Value::Object(m)) => {
                for (field, text) in m {
                    let text = text.as_str().map(str::to_string).unwrap_or_else(|| text.to_string());
                    q.filters.push(FieldFilter { field: field.clone(), op: FilterOp::Like, values: vec![text] });
                }
            }
            _ => {}
        }
        if let Some(s) = &params.sort {
            q.sort = DataQuery::parse_sort(s)?;
        }
        q.fields = params.fields.clone().unwrap_or_default();
        let start = format!("/api/3/action/datastore_search?resource_id={resource_id}");
        let next = format!("/api/3/action/datastore_search?offset={}&resource_id={resource_id}", params.offset + params.limit);
        if params.distinct {
            let current = self.current_table(resource_id).await?;
            q.group_by = if q.fields.is_empty() { current.fields.iter().map(|f| f.name.clone()).collect() } else { q.fields.clone() };
            let fields = q
                .group_by
                .iter()
                .filter_map(|n| current.field(n))
                .map(|f| DatastoreField { id: f.name.clone(), ty: ckan_type(f.ty).into() })
                .collect();
            let page = self.aggregate(caller, resource_id, &q).await?;
            return Ok(DatastoreResult {
                resource_id: resource_id.into(),
                fields,
                records: page.groups,
                total: params.include_total.then_some(page.total),
                total_was_estimated: false,
                limit: params.limit,
                offset: params.offset,
                links: DatastoreLinks { start, next },
            });
        }
        let p = self.prepare_rows(caller, resource_id, &q, false).await?;
        let (page, _) = self.run_page(&p, params.include_total).await?;
        Ok(DatastoreResult {
            resource_id: resource_id.into(),
            fields: page.fields.iter().map(|f| DatastoreField { id: f.name.clone(), ty: ckan_type(f.ty).into() }).collect(),
            records: page.records,
            total: params.include_total.then_some(page.total),
            total_was_estimated: false,
            limit: params.limit,
            offset: params.offset,
            links: DatastoreLinks { start, next },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ckan_parameters_in_both_shapes() {
        let body = json!({"resource_id": "r", "q": "cho ray", "filters": {"Quận": ["1", "5"]}, "limit": 5, "fields": ["a", "b"], "include_total": false});
        let s = DatastoreSearch::from_ckan(body.as_object().unwrap()).unwrap();
        assert_eq!(s.q, Some(json!("cho ray")));
        assert_eq!(s.filters["Quận"], json!(["1", "5"]));
        assert_eq!((s.limit, s.include_total), (5, false));
        assert_eq!(s.fields.as_deref(), Some(&["a".to_string(), "b".to_string()][..]));
        let query =
            json!({"filters": "{\"a\": 1}", "limit": "20000", "offset": "3", "fields": "a,b", "distinct": "True", "q": "{\"a\": \"x\"}"});
        let s = DatastoreSearch::from_ckan(query.as_object().unwrap()).unwrap();
        assert_eq!((s.limit, s.offset, s.distinct), (MAX_LIMIT, 3, true));
        assert_eq!(s.filters["a"], json!(1));
        assert_eq!(s.q, Some(json!({"a": "x"})));
        for bad in [json!({"limit": "x"}), json!({"filters": "[1]"}), json!({"distinct": "maybe"}), json!({"offset": -1})] {
            assert!(DatastoreSearch::from_ckan(bad.as_object().unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn filters_from_parameters_and_json() {
        assert_eq!(FieldFilter::from_param("a", "gte:5"), FieldFilter { field: "a".into(), op: FilterOp::Gte, values: vec!["5".into()] });
        assert_eq!(FieldFilter::from_param("a", "notnull:").op, FilterOp::NotNull);
        assert_eq!(FieldFilter::from_param("a", "x:y").values, ["x:y"]);
        assert_eq!(FieldFilter::from_json("a", &json!(true)).unwrap().values, ["true"]);
        assert!(FieldFilter::from_json("a", &json!({"x": 1})).is_err());
        assert_eq!(DataQuery::parse_sort("\"Tên\" desc, b").unwrap(), vec![("Tên".to_string(), Dir::Desc), ("b".to_string(), Dir::Asc)]);
        assert_eq!(AggregateSpec::parse("sum:Số giường").unwrap().label(), "sum:Số giường");
        assert!(AggregateSpec::parse("count:x").is_err());
        assert!(AggregateSpec::parse("sum").is_err());
    }

    #[test]
    fn records_keep_field_order() {
        let r = Record(vec![("z".into(), json!(1)), ("a".into(), json!(2))]);
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"z":1,"a":2}"#);
    }
}
