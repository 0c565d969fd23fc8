//! The one dynamic-query compiler. Filters, sorting and paging chosen at run
//! time (audit search, CQL2, dataset queries) are compiled here into SQL with
//! `$n` placeholders: every value is bound, never spliced, and every column
//! name is checked against the caller's whitelist ([`Schema`]) and replaced by
//! the SQL expression the whitelist maps it to.

use serde::Deserialize;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;
use std::borrow::Cow;
use std::fmt::Write as _;

pub mod table;

/// A value bound into a compiled query.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// Text.
    Text(String),
}

/// A column callers may name, and the SQL expression it stands for.
#[derive(Debug, Clone)]
pub struct Column {
    /// The name used in filters and sort keys.
    pub name: Cow<'static, str>,
    /// The SQL expression (a trusted, fixed column reference).
    pub sql: Cow<'static, str>,
}

impl Column {
    /// A whitelisted column whose public name is also its SQL name.
    #[must_use]
    pub const fn fixed(name: &'static str) -> Self {
        Self { name: Cow::Borrowed(name), sql: Cow::Borrowed(name) }
    }

    /// A *template*: a trusted, backend-specific SQL fragment for
    /// [`Filter::Spatial`], with placeholders `{relation}` (replaced by the
    /// fixed function name of the [`Relation`], e.g. `ST_Intersects`),
    /// `{geojson}`, `{minx}`, `{miny}`, `{maxx}` and `{maxy}` (each replaced
    /// by a bound value). A column whose SQL holds `{` is a template: it is
    /// never selected, sorted or compared, only used by [`Filter::Spatial`].
    #[must_use]
    pub const fn template(name: &'static str, sql: &'static str) -> Self {
        Self { name: Cow::Borrowed(name), sql: Cow::Borrowed(sql) }
    }

    fn is_template(&self) -> bool {
        self.sql.contains('{')
    }
}

/// The table and columns a query may use.
#[derive(Debug, Clone)]
pub struct Schema {
    /// The table (a trusted, fixed name).
    pub table: Cow<'static, str>,
    /// The whitelist.
    pub columns: Cow<'static, [Column]>,
    /// The trusted SQL fragment for [`Filter::FullText`], with `{}` where the
    /// bound query goes (e.g. an FTS5 `MATCH` or a PostgreSQL `@@`); `None`
    /// when the table has no full-text index.
    pub fulltext: Option<Cow<'static, str>>,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// Substring match (`LIKE '%v%'` with the value's wildcards escaped).
    Contains,
    /// Prefix match.
    StartsWith,
    /// `LIKE` with the caller's pattern as given: `%` any run, `_` one
    /// character, a backslash escapes the next character (a trailing lone
    /// backslash is a literal one). Case-sensitive on PostgreSQL; SQLite's `LIKE`
    /// ignores ASCII case, so use [`Op::Glob`] there for a case-sensitive
    /// match. Not offered to deserialised (data hub) filters.
    #[serde(skip)]
    Like,
    /// SQLite only: the same pattern language as [`Op::Like`] (translated
    /// by the compiler to `GLOB`, which is case-sensitive). Not offered to
    /// deserialised filters.
    #[serde(skip)]
    Glob,
}

/// A spatial relation for [`Filter::Spatial`] (the DE-9IM predicates of
/// OGC Simple Features), substituted into a template as its PostGIS name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// `ST_Intersects`
    Intersects,
    /// `ST_Equals`
    Equals,
    /// `ST_Disjoint`
    Disjoint,
    /// `ST_Touches`
    Touches,
    /// `ST_Within`
    Within,
    /// `ST_Overlaps`
    Overlaps,
    /// `ST_Crosses`
    Crosses,
    /// `ST_Contains`
    Contains,
}

impl Relation {
    /// The PostGIS function name.
    #[must_use]
    pub fn function(self) -> &'static str {
        match self {
            Relation::Intersects => "ST_Intersects",
            Relation::Equals => "ST_Equals",
            Relation::Disjoint => "ST_Disjoint",
            Relation::Touches => "ST_Touches",
            Relation::Within => "ST_Within",
            Relation::Overlaps => "ST_Overlaps",
            Relation::Crosses => "ST_Crosses",
            Relation::Contains => "ST_Contains",
        }
    }
}

/// A filter tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `column op value`
    Cmp {
        /// Column name (checked against the whitelist).
        column: String,
        /// Operator.
        op: Op,
        /// Bound value.
        value: Value,
    },
    /// `column IN (values…)`; an empty list matches nothing.
    In {
        /// Column name.
        column: String,
        /// Bound values.
        values: Vec<Value>,
    },
    /// `column IS NULL`
    IsNull(String),
    /// `left op right` between two whitelisted columns (`Eq`…`Ge` only).
    CmpColumns {
        /// Left column.
        left: String,
        /// Operator.
        op: Op,
        /// Right column.
        right: String,
    },
    /// A spatial predicate through a template column of the schema (see
    /// [`Column::template`]): e.g. a PostGIS `ST_Intersects(geom, …)` or an
    /// R*Tree bounding-box lookup on SQLite.
    Spatial {
        /// The template column.
        column: String,
        /// The relation, for templates with `{relation}`.
        relation: Relation,
        /// The other geometry as GeoJSON, for templates with `{geojson}`.
        geojson: String,
        /// Its bounding box `[minx, miny, maxx, maxy]`, for the `{min…}`/`{max…}` placeholders.
        bbox: [f64; 4],
    },
    /// A constant (`1 = 1` or `1 = 0`).
    Const(bool),
    /// Full-text match through the schema's index; the text must already be
    /// a safe query for the backend (see `cityos_text::fts_query`/`pg_tsquery`).
    FullText(String),
    /// All must hold.
    And(Vec<Filter>),
    /// Any must hold.
    Or(Vec<Filter>),
    /// Negation.
    Not(Box<Filter>),
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// A query over one [`Schema`].
#[derive(Debug, Clone, Default)]
pub struct Select {
    /// Columns to return; empty means every whitelisted column.
    pub fields: Vec<String>,
    /// Row filter.
    pub filter: Option<Filter>,
    /// Sort keys.
    pub sort: Vec<(String, Dir)>,
    /// Row limit.
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// Why a dynamic query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A column name that is not in the whitelist.
    #[error("unknown field `{0}`")]
    UnknownColumn(String),
    /// Full-text search on a table without a full-text index.
    #[error("full-text search is not available here")]
    NoFullText,
    /// A negative limit or offset.
    #[error("limit and offset must not be negative")]
    NegativePaging,
    /// A name for a table, column or index made at run time that is not a
    /// plain lower-case SQL identifier (see [`table::Ident`]).
    #[error("`{0}` is not a valid identifier")]
    BadIdentifier(String),
    /// Rows for a run-time table that do not fit its columns (see [`table::insert_rows`]).
    #[error("rows do not fit the table: {0}")]
    BadRow(String),
    /// A grouped query naming a group or aggregate that it does not have.
    #[error("sort key {0} is not a group or aggregate of the query")]
    BadSortKey(usize),
    /// An operator a filter variant does not take, or a template column
    /// with an unknown placeholder.
    #[error("unsupported filter: {0}")]
    Unsupported(String),
}

/// SQL text and the values to bind to its `$1…$n` placeholders, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// The statement.
    pub sql: String,
    /// Values for `$1…$n`.
    pub args: Vec<Value>,
}

impl Compiled {
    /// A sqlx query with every value bound.
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.sql);
        for v in &self.args {
            q = match v {
                Value::Null => q.bind(Option::<String>::None),
                Value::Bool(b) => q.bind(*b),
                Value::Int(i) => q.bind(*i),
                Value::Float(f) => q.bind(*f),
                Value::Text(s) => q.bind(s.as_str()),
            };
        }
        q
    }
}

struct Builder<'s> {
    schema: &'s Schema,
    sql: String,
    args: Vec<Value>,
}

impl Builder<'_> {
    fn column(&self, name: &str) -> Result<&str, QueryError> {
        self.schema
            .columns
            .iter()
            .find(|c| c.name == name && !c.is_template())
            .map(|c| c.sql.as_ref())
            .ok_or_else(|| QueryError::UnknownColumn(name.to_string()))
    }

    fn template(&self, name: &str) -> Result<String, QueryError> {
        self.schema
            .columns
            .iter()
            .find(|c| c.name == name && c.is_template())
            .map(|c| c.sql.to_string())
            .ok_or_else(|| QueryError::UnknownColumn(name.to_string()))
    }

    fn bind(&mut self, v: Value) {
        self.args.push(v);
        let _ = write!(self.sql, "${}", self.args.len());
    }

    fn filter(&mut self, f: &Filter) -> Result<(), QueryError> {
        match f {
            Filter::Cmp { column, op, value } => {
                let col = self.column(column)?.to_string();
                let (sym, value) = match op {
                    Op::Eq => ("=", value.clone()),
                    Op::Ne => ("<>", value.clone()),
                    Op::Lt => ("<", value.clone()),
                    Op::Le => ("<=", value.clone()),
                    Op::Gt => (">", value.clone()),
                    Op::Ge => (">=", value.clone()),
                    Op::Contains => ("LIKE", like_pattern(value, true)),
                    Op::StartsWith => ("LIKE", like_pattern(value, false)),
                    Op::Like => ("LIKE", Value::Text(user_like_pattern(value))),
                    Op::Glob => ("GLOB", Value::Text(glob_pattern(&user_like_pattern(value)))),
                };
                let _ = write!(self.sql, "{col} {sym} ");
                self.bind(value);
                if matches!(op, Op::Contains | Op::StartsWith | Op::Like) {
                    self.sql.push_str(" ESCAPE '\\'");
                }
            }
            Filter::In { column, values } => {
                let col = self.column(column)?.to_string();
                if values.is_empty() {
                    self.sql.push_str("1 = 0");
                    return Ok(());
                }
                let _ = write!(self.sql, "{col} IN (");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.sql.push_str(", ");
                    }
                    self.bind(v.clone());
                }
                self.sql.push(')');
            }
            Filter::FullText(q) => {
                let fragment = self.schema.fulltext.clone().ok_or(QueryError::NoFullText)?;
                let (before, after) = fragment.split_once("{}").ok_or(QueryError::NoFullText)?;
                self.sql.push_str(before);
                self.bind(Value::Text(q.clone()));
                self.sql.push_str(after);
            }
            Filter::IsNull(column) => {
                let col = self.column(column)?.to_string();
                let _ = write!(self.sql, "{col} IS NULL");
            }
            Filter::CmpColumns { left, op, right } => {
                let sym = match op {
                    Op::Eq => "=",
                    Op::Ne => "<>",
                    Op::Lt => "<",
                    Op::Le => "<=",
                    Op::Gt => ">",
                    Op::Ge => ">=",
                    other => return Err(QueryError::Unsupported(format!("{other:?} between two columns"))),
                };
                let (l, r) = (self.column(left)?.to_string(), self.column(right)?.to_string());
                let _ = write!(self.sql, "{l} {sym} {r}");
            }
            Filter::Spatial { column, relation, geojson, bbox } => {
                let template = self.template(column)?;
                let mut rest = template.as_str();
                while let Some(open) = rest.find('{') {
                    self.sql.push_str(&rest[..open]);
                    let after = &rest[open + 1..];
                    let close = after
                        .find('}')
                        .ok_or_else(|| QueryError::Unsupported(format!("template `{column}` has an unclosed placeholder")))?;
                    match &after[..close] {
                        "relation" => self.sql.push_str(relation.function()),
                        "geojson" => self.bind(Value::Text(geojson.clone())),
                        "minx" => self.bind(Value::Float(bbox[0])),
                        "miny" => self.bind(Value::Float(bbox[1])),
                        "maxx" => self.bind(Value::Float(bbox[2])),
                        "maxy" => self.bind(Value::Float(bbox[3])),
                        other => return Err(QueryError::Unsupported(format!("template `{column}` has an unknown placeholder `{other}`"))),
                    }
                    rest = &after[close + 1..];
                }
                self.sql.push_str(rest);
            }
            Filter::Const(b) => self.sql.push_str(if *b { "1 = 1" } else { "1 = 0" }),
            Filter::And(parts) | Filter::Or(parts) => {
                if parts.is_empty() {
                    self.sql.push_str(if matches!(f, Filter::And(_)) { "1 = 1" } else { "1 = 0" });
                    return Ok(());
                }
                let joiner = if matches!(f, Filter::And(_)) { " AND " } else { " OR " };
                self.sql.push('(');
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        self.sql.push_str(joiner);
                    }
                    self.filter(p)?;
                }
                self.sql.push(')');
            }
            Filter::Not(inner) => {
                self.sql.push_str("NOT (");
                self.filter(inner)?;
                self.sql.push(')');
            }
        }
        Ok(())
    }
}

fn like_pattern(v: &Value, leading: bool) -> Value {
    let raw = match v {
        Value::Text(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
    };
    let escaped = raw.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Value::Text(if leading { format!("%{escaped}%") } else { format!("{escaped}%") })
}

/// A pattern in the [`Op::Like`] language made safe for `LIKE … ESCAPE '\\'`
/// on both backends: a trailing lone backslash (which PostgreSQL rejects)
/// becomes an escaped, literal one.
fn user_like_pattern(v: &Value) -> String {
    let raw = match v {
        Value::Text(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
    };
    let mut out = String::with_capacity(raw.len() + 1);
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '\\' {
            out.push(chars.next().unwrap_or('\\'));
        }
    }
    out
}

/// Translates an [`Op::Like`] pattern to SQLite `GLOB` syntax: `%` → `*`,
/// `_` → `?`, and GLOB's own special characters (`*`, `?`, `[`) and escaped
/// characters made literal with a one-character class (`[*]`).
fn glob_pattern(like: &str) -> String {
    let mut out = String::with_capacity(like.len() + 4);
    let literal = |out: &mut String, c: char| match c {
        '*' | '?' | '[' => {
            out.push('[');
            out.push(c);
            out.push(']');
        }
        c => out.push(c),
    };
    let mut chars = like.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => out.push('*'),
            '_' => out.push('?'),
            '\\' => literal(&mut out, chars.next().unwrap_or('\\')),
            c => literal(&mut out, c),
        }
    }
    out
}

/// Compiles a `SELECT` of rows.
///
/// # Errors
/// A column outside the whitelist or negative paging.
pub fn select(schema: &Schema, q: &Select) -> Result<Compiled, QueryError> {
    select_with(schema, q, "")
}

/// [`select`], with the number of rows the filter matches before paging in
/// every row's column `n_total` (`COUNT(*) OVER ()`): one query and one pass
/// over the matching rows where a count and a page would take two. A page
/// past the end has no rows to carry the count; callers count then.
///
/// # Errors
/// As [`select`].
pub fn select_counted(schema: &Schema, q: &Select) -> Result<Compiled, QueryError> {
    select_with(schema, q, ", COUNT(*) OVER () AS n_total")
}

fn select_with(schema: &Schema, q: &Select, extra_field: &str) -> Result<Compiled, QueryError> {
    let mut b = Builder { schema, sql: String::from("SELECT "), args: Vec::new() };
    if q.fields.is_empty() {
        let all: Vec<String> =
            schema.columns.iter().filter(|c| !c.is_template()).map(|c| format!("{} AS {}", c.sql, quoted_alias(&c.name))).collect();
        b.sql.push_str(&all.join(", "));
    } else {
        let mut cols = Vec::new();
        for f in &q.fields {
            cols.push(format!("{} AS {}", b.column(f)?, quoted_alias(f)));
        }
        b.sql.push_str(&cols.join(", "));
    }
    b.sql.push_str(extra_field);
    let _ = write!(b.sql, " FROM {}", schema.table);
    if let Some(f) = &q.filter {
        b.sql.push_str(" WHERE ");
        b.filter(f)?;
    }
    if !q.sort.is_empty() {
        let mut keys = Vec::new();
        for (name, dir) in &q.sort {
            keys.push(format!("{} {}", b.column(name)?, if *dir == Dir::Asc { "ASC" } else { "DESC" }));
        }
        let _ = write!(b.sql, " ORDER BY {}", keys.join(", "));
    }
    if q.limit.is_some_and(|l| l < 0) || q.offset.is_some_and(|o| o < 0) {
        return Err(QueryError::NegativePaging);
    }
    // SQLite needs a LIMIT before OFFSET; i64::MAX means "no limit" on both backends.
    if q.limit.is_some() || q.offset.is_some() {
        b.sql.push_str(" LIMIT ");
        b.bind(Value::Int(q.limit.unwrap_or(i64::MAX)));
    }
    if let Some(o) = q.offset {
        b.sql.push_str(" OFFSET ");
        b.bind(Value::Int(o));
    }
    Ok(Compiled { sql: b.sql, args: b.args })
}

/// A whitelisted name as a quoted output alias. Names may come from data
/// (the headers of an uploaded file), so a `"` is doubled and NULs (which
/// neither backend accepts in a name) are dropped: the alias stays one
/// quoted identifier whatever the name holds.
fn quoted_alias(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars().filter(|c| *c != '\0') {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// An aggregate over the rows of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Aggregate {
    /// `COUNT(*)`: rows.
    Count,
    /// Sum of a numeric column, as DOUBLE PRECISION (PostgreSQL would answer
    /// NUMERIC for integers, which the store does not use).
    Sum(String),
    /// Mean of a numeric column, as DOUBLE PRECISION.
    Avg(String),
    /// Smallest value (of the column's own type).
    Min(String),
    /// Largest value (of the column's own type).
    Max(String),
}

/// What a grouped query sorts by: one of its groups or aggregates, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKey {
    /// `group_by[i]`.
    Group(usize),
    /// `aggregates[i]`.
    Aggregate(usize),
}

/// A grouped query over one [`Schema`]: one row per distinct combination of
/// the `group_by` columns (one row in all when there are none), with the
/// aggregates of its rows. Output columns are `g0…` for the groups and `a0…`
/// for the aggregates, so no name from the whitelist becomes an alias.
/// With no aggregates, the rows are the distinct values of the groups.
#[derive(Debug, Clone, Default)]
pub struct GroupSelect {
    /// Columns to group by.
    pub group_by: Vec<String>,
    /// Aggregates to compute per group.
    pub aggregates: Vec<Aggregate>,
    /// Row filter (applied before grouping).
    pub filter: Option<Filter>,
    /// Sort keys.
    pub sort: Vec<(GroupKey, Dir)>,
    /// Group limit.
    pub limit: Option<i64>,
    /// Groups to skip.
    pub offset: Option<i64>,
}

/// Compiles a grouped query (see [`GroupSelect`]).
///
/// # Errors
/// A column outside the whitelist, a sort key past the groups or aggregates,
/// or negative paging.
pub fn group(schema: &Schema, q: &GroupSelect) -> Result<Compiled, QueryError> {
    let mut b = Builder { schema, sql: String::from("SELECT "), args: Vec::new() };
    let mut outputs = Vec::new();
    let mut groups = Vec::new();
    for (i, g) in q.group_by.iter().enumerate() {
        let col = b.column(g)?.to_string();
        outputs.push(format!("{col} AS g{i}"));
        groups.push(col);
    }
    for (i, a) in q.aggregates.iter().enumerate() {
        let expr = match a {
            Aggregate::Count => "COUNT(*)".to_string(),
            Aggregate::Sum(c) => format!("CAST(SUM({}) AS DOUBLE PRECISION)", b.column(c)?),
            Aggregate::Avg(c) => format!("CAST(AVG({}) AS DOUBLE PRECISION)", b.column(c)?),
            Aggregate::Min(c) => format!("MIN({})", b.column(c)?),
            Aggregate::Max(c) => format!("MAX({})", b.column(c)?),
        };
        outputs.push(format!("{expr} AS a{i}"));
    }
    if outputs.is_empty() {
        outputs.push("COUNT(*) AS a0".into());
    }
    b.sql.push_str(&outputs.join(", "));
    let _ = write!(b.sql, " FROM {}", schema.table);
    if let Some(f) = &q.filter {
        b.sql.push_str(" WHERE ");
        b.filter(f)?;
    }
    if !groups.is_empty() {
        let _ = write!(b.sql, " GROUP BY {}", groups.join(", "));
    }
    if !q.sort.is_empty() {
        let mut keys = Vec::new();
        for (key, dir) in &q.sort {
            let name = match *key {
                GroupKey::Group(i) if i < q.group_by.len() => format!("g{i}"),
                GroupKey::Aggregate(i) if i < q.aggregates.len() => format!("a{i}"),
                GroupKey::Group(i) | GroupKey::Aggregate(i) => return Err(QueryError::BadSortKey(i)),
            };
            keys.push(format!("{name} {}", if *dir == Dir::Asc { "ASC" } else { "DESC" }));
        }
        let _ = write!(b.sql, " ORDER BY {}", keys.join(", "));
    }
    if q.limit.is_some_and(|l| l < 0) || q.offset.is_some_and(|o| o < 0) {
        return Err(QueryError::NegativePaging);
    }
    if q.limit.is_some() || q.offset.is_some() {
        b.sql.push_str(" LIMIT ");
        b.bind(Value::Int(q.limit.unwrap_or(i64::MAX)));
    }
    if let Some(o) = q.offset {
        b.sql.push_str(" OFFSET ");
        b.bind(Value::Int(o));
    }
    Ok(Compiled { sql: b.sql, args: b.args })
}

/// Compiles `SELECT COUNT(*) AS n` of the groups a [`GroupSelect`] has
/// (its sort and paging are ignored).
///
/// # Errors
/// A column outside the whitelist.
pub fn group_count(schema: &Schema, q: &GroupSelect) -> Result<Compiled, QueryError> {
    if q.group_by.is_empty() {
        return Ok(Compiled { sql: "SELECT 1 AS n".into(), args: Vec::new() });
    }
    let mut b = Builder { schema, sql: String::from("SELECT COUNT(*) AS n FROM (SELECT "), args: Vec::new() };
    let mut groups = Vec::new();
    for g in &q.group_by {
        groups.push(b.column(g)?.to_string());
    }
    let _ = write!(b.sql, "{} FROM {}", groups.join(", "), schema.table);
    if let Some(f) = &q.filter {
        b.sql.push_str(" WHERE ");
        b.filter(f)?;
    }
    let _ = write!(b.sql, " GROUP BY {}) grouped", groups.join(", "));
    Ok(Compiled { sql: b.sql, args: b.args })
}

/// Compiles `SELECT COUNT(*)` of the rows a filter matches.
///
/// # Errors
/// A column outside the whitelist.
pub fn count(schema: &Schema, filter: Option<&Filter>) -> Result<Compiled, QueryError> {
    let mut b = Builder { schema, sql: format!("SELECT COUNT(*) AS n FROM {}", schema.table), args: Vec::new() };
    if let Some(f) = filter {
        b.sql.push_str(" WHERE ");
        b.filter(f)?;
    }
    Ok(Compiled { sql: b.sql, args: b.args })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;
    use sqlx::Row as _;

    const COLS: &[Column] = &[Column::fixed("id"), Column::fixed("name"), Column::fixed("n")];

    fn schema() -> Schema {
        Schema { table: Cow::Borrowed("things"), columns: Cow::Borrowed(COLS), fulltext: None }
    }

    #[test]
    fn binds_every_value_and_checks_columns() {
        let q = Select {
            fields: vec!["name".into()],
            filter: Some(Filter::And(vec![
                Filter::Cmp { column: "name".into(), op: Op::Eq, value: Value::Text("x' OR '1'='1".into()) },
                Filter::In { column: "n".into(), values: vec![Value::Int(1), Value::Int(2)] },
            ])),
            sort: vec![("n".into(), Dir::Desc)],
            limit: Some(10),
            offset: Some(5),
        };
        let c = select(&schema(), &q).unwrap();
        assert_eq!(c.sql, "SELECT name AS \"name\" FROM things WHERE (name = $1 AND n IN ($2, $3)) ORDER BY n DESC LIMIT $4 OFFSET $5");
        assert_eq!(c.args[0], Value::Text("x' OR '1'='1".into()));
        assert!(!c.sql.contains("OR '1'"));
    }

    #[test]
    fn counted_select_carries_the_total_before_paging() {
        let q = Select { fields: vec!["name".into()], limit: Some(2), ..Select::default() };
        let c = select_counted(&schema(), &q).unwrap();
        assert_eq!(c.sql, "SELECT name AS \"name\", COUNT(*) OVER () AS n_total FROM things LIMIT $1");
    }

    #[test]
    fn rejects_unknown_columns_anywhere() {
        let bad = "name; DROP TABLE things; --".to_string();
        let cases = [
            Select { fields: vec![bad.clone()], ..Select::default() },
            Select { sort: vec![(bad.clone(), Dir::Asc)], ..Select::default() },
            Select { filter: Some(Filter::IsNull(bad.clone())), ..Select::default() },
        ];
        for q in cases {
            assert_eq!(select(&schema(), &q), Err(QueryError::UnknownColumn(bad.clone())));
        }
        assert_eq!(select(&schema(), &Select { limit: Some(-1), ..Select::default() }), Err(QueryError::NegativePaging));
    }

    #[test]
    fn names_from_data_stay_one_quoted_alias() {
        let cols = vec![Column { name: Cow::Owned("a\" FROM x; --\0".into()), sql: Cow::Borrowed("c1") }];
        let s = Schema { table: Cow::Borrowed("t"), columns: Cow::Owned(cols), fulltext: None };
        let c = select(&s, &Select::default()).unwrap();
        assert_eq!(c.sql, "SELECT c1 AS \"a\"\" FROM x; --\" FROM t");
    }

    #[test]
    fn grouped_queries_use_generated_aliases_and_check_everything() {
        let q = GroupSelect {
            group_by: vec!["name".into()],
            aggregates: vec![Aggregate::Count, Aggregate::Sum("n".into()), Aggregate::Avg("n".into())],
            filter: Some(Filter::Cmp { column: "n".into(), op: Op::Gt, value: Value::Int(1) }),
            sort: vec![(GroupKey::Aggregate(0), Dir::Desc), (GroupKey::Group(0), Dir::Asc)],
            limit: Some(10),
            offset: None,
        };
        let c = group(&schema(), &q).unwrap();
        assert_eq!(
            c.sql,
            "SELECT name AS g0, COUNT(*) AS a0, CAST(SUM(n) AS DOUBLE PRECISION) AS a1, CAST(AVG(n) AS DOUBLE PRECISION) AS a2 FROM things WHERE n > $1 GROUP BY name ORDER BY a0 DESC, g0 ASC LIMIT $2"
        );
        let n = group_count(&schema(), &q).unwrap();
        assert_eq!(n.sql, "SELECT COUNT(*) AS n FROM (SELECT name FROM things WHERE n > $1 GROUP BY name) grouped");
        let bad = GroupSelect { sort: vec![(GroupKey::Aggregate(3), Dir::Asc)], ..q.clone() };
        assert_eq!(group(&schema(), &bad).unwrap_err(), QueryError::BadSortKey(3));
        let unknown = GroupSelect { aggregates: vec![Aggregate::Max("n; DROP TABLE things".into())], ..q };
        assert!(matches!(group(&schema(), &unknown), Err(QueryError::UnknownColumn(_))));
    }

    const GEO_COLS: &[Column] = &[
        Column::fixed("id"),
        Column::fixed("name"),
        Column::fixed("n"),
        Column::template("near", "(n >= {minx} AND n <= {maxx} AND {relation} IS NOT NULL)"),
        Column::template("bad", "{drop}"),
    ];

    fn geo_schema() -> Schema {
        Schema { table: Cow::Borrowed("things"), columns: Cow::Borrowed(GEO_COLS), fulltext: None }
    }

    #[test]
    fn patterns_columns_and_templates_compile_with_bound_values() {
        let f = Filter::And(vec![
            Filter::Cmp { column: "name".into(), op: Op::Like, value: Value::Text("a%\\".into()) },
            Filter::Cmp { column: "name".into(), op: Op::Glob, value: Value::Text("[x]*?_%\\%".into()) },
            Filter::CmpColumns { left: "n".into(), op: Op::Lt, right: "id".into() },
            Filter::Not(Box::new(Filter::Spatial {
                column: "near".into(),
                relation: Relation::Within,
                geojson: "{}".into(),
                bbox: [1.0, 2.0, 3.0, 4.0],
            })),
            Filter::Const(true),
        ]);
        let c = count(&geo_schema(), Some(&f)).unwrap();
        assert_eq!(
            c.sql,
            "SELECT COUNT(*) AS n FROM things WHERE (name LIKE $1 ESCAPE '\\' AND name GLOB $2 AND n < id AND NOT ((n >= $3 AND n <= $4 AND ST_Within IS NOT NULL)) AND 1 = 1)"
        );
        assert_eq!(c.args[0], Value::Text("a%\\\\".into()));
        assert_eq!(c.args[1], Value::Text("[[]x][*][?]?*%".into()));
        assert_eq!(c.args[2..], [Value::Float(1.0), Value::Float(3.0)]);
        // Templates are neither selected nor usable as plain columns, and plain columns are not templates.
        let all = select(&geo_schema(), &Select::default()).unwrap();
        assert_eq!(all.sql, "SELECT id AS \"id\", name AS \"name\", n AS \"n\" FROM things");
        for bad in [
            Filter::IsNull("near".into()),
            Filter::CmpColumns { left: "n".into(), op: Op::Eq, right: "near".into() },
            Filter::Spatial { column: "n".into(), relation: Relation::Intersects, geojson: String::new(), bbox: [0.0; 4] },
        ] {
            assert!(matches!(count(&geo_schema(), Some(&bad)), Err(QueryError::UnknownColumn(_))), "{bad:?}");
        }
        let unknown = Filter::Spatial { column: "bad".into(), relation: Relation::Intersects, geojson: String::new(), bbox: [0.0; 4] };
        assert!(matches!(count(&geo_schema(), Some(&unknown)), Err(QueryError::Unsupported(_))));
        let like_cols = Filter::CmpColumns { left: "n".into(), op: Op::Like, right: "id".into() };
        assert!(matches!(count(&geo_schema(), Some(&like_cols)), Err(QueryError::Unsupported(_))));
        // The data hub's deserialised operators do not include the raw pattern operators.
        assert!(serde_json::from_str::<Op>("\"like\"").is_err());
        assert!(serde_json::from_str::<Op>("\"glob\"").is_err());
        assert_eq!(serde_json::from_str::<Op>("\"contains\"").unwrap(), Op::Contains);
    }

    #[tokio::test]
    async fn user_patterns_columns_and_templates_on_the_real_backend() {
        let t = TestDb::new().await;
        sqlx::query("CREATE TABLE things (id BIGINT PRIMARY KEY, name TEXT NOT NULL, n BIGINT NOT NULL)")
            .execute(t.db.writer())
            .await
            .unwrap();
        for (i, name, n) in [(1_i64, "Đường Lê Lợi", 5_i64), (2, "duong 50% off", 1), (3, "DUONG [x]*", 9), (4, "back\\slash", 4)] {
            sqlx::query("INSERT INTO things (id, name, n) VALUES ($1, $2, $3)")
                .bind(i)
                .bind(name)
                .bind(n)
                .execute(t.db.writer())
                .await
                .unwrap();
        }
        let ids = |f: Filter| {
            let db = t.db.clone();
            async move {
                let c = select(
                    &geo_schema(),
                    &Select { fields: vec!["id".into()], filter: Some(f), sort: vec![("id".into(), Dir::Asc)], ..Select::default() },
                )
                .unwrap();
                c.query().fetch_all(db.reader()).await.unwrap().iter().map(|r| r.get::<i64, _>("id")).collect::<Vec<_>>()
            }
        };
        let like = |p: &str| Filter::Cmp { column: "name".into(), op: Op::Like, value: Value::Text(p.into()) };
        assert_eq!(ids(like("Đường%")).await, vec![1]);
        assert_eq!(ids(like("%50\\% off")).await, vec![2]);
        assert_eq!(ids(like("%\\")).await, Vec::<i64>::new());
        assert_eq!(ids(like("back\\\\slash")).await, vec![4]);
        assert!(ids(like("_uong%")).await.contains(&2));
        if t.db.backend() == crate::Backend::Sqlite {
            let glob = |p: &str| Filter::Cmp { column: "name".into(), op: Op::Glob, value: Value::Text(p.into()) };
            // Case-sensitive, unlike SQLite's LIKE; GLOB's own wildcards are literal.
            assert_eq!(ids(glob("duong%")).await, vec![2]);
            assert_eq!(ids(glob("%[x]*")).await, vec![3]);
            assert_eq!(ids(glob("%\\%%")).await, vec![2]);
        }
        assert_eq!(ids(Filter::CmpColumns { left: "n".into(), op: Op::Gt, right: "id".into() }).await, vec![1, 3]);
        let near = |minx: f64, maxx: f64| Filter::Spatial {
            column: "near".into(),
            relation: Relation::Intersects,
            geojson: String::new(),
            bbox: [minx, 0.0, maxx, 0.0],
        };
        // The template's `{relation}` is a fixed identifier here; give it a column-free meaning on both backends.
        let cols = vec![Column::fixed("id"), Column::template("near", "(n >= {minx} AND n <= {maxx})")];
        let s = Schema { table: Cow::Borrowed("things"), columns: Cow::Owned(cols), fulltext: None };
        let c = select(
            &s,
            &Select {
                fields: vec!["id".into()],
                filter: Some(Filter::Not(Box::new(near(2.0, 5.0)))),
                sort: vec![("id".into(), Dir::Asc)],
                ..Select::default()
            },
        )
        .unwrap();
        let got: Vec<i64> = c.query().fetch_all(t.db.reader()).await.unwrap().iter().map(|r| r.get("id")).collect();
        assert_eq!(got, vec![2, 3]);
        t.cleanup().await;
    }

    #[tokio::test]
    async fn injection_attempts_are_data_on_the_real_backend() {
        let t = TestDb::new().await;
        sqlx::query("CREATE TABLE things (id BIGINT PRIMARY KEY, name TEXT NOT NULL, n BIGINT NOT NULL)")
            .execute(t.db.writer())
            .await
            .unwrap();
        for (i, name) in ["Đường Lê Lợi", "50%_off", "x' OR '1'='1"].iter().enumerate() {
            sqlx::query("INSERT INTO things (id, name, n) VALUES ($1, $2, $3)")
                .bind(i64::try_from(i).unwrap())
                .bind(*name)
                .bind(i64::try_from(i).unwrap() * 10)
                .execute(t.db.writer())
                .await
                .unwrap();
        }
        let run = |f: Filter| {
            let db = t.db.clone();
            async move {
                let c = select(&schema(), &Select { filter: Some(f), sort: vec![("id".into(), Dir::Asc)], ..Select::default() }).unwrap();
                c.query().fetch_all(db.reader()).await.unwrap().iter().map(|r| r.get::<String, _>("name")).collect::<Vec<_>>()
            }
        };
        // A classic injection matches only the row whose name is literally that text.
        let hit = run(Filter::Cmp { column: "name".into(), op: Op::Eq, value: Value::Text("x' OR '1'='1".into()) }).await;
        assert_eq!(hit, vec!["x' OR '1'='1"]);
        let none = run(Filter::Cmp { column: "name".into(), op: Op::Eq, value: Value::Text("' OR 1=1 --".into()) }).await;
        assert!(none.is_empty());
        // LIKE wildcards in the value are literal.
        let pct = run(Filter::Cmp { column: "name".into(), op: Op::Contains, value: Value::Text("%_".into()) }).await;
        assert_eq!(pct, vec!["50%_off"]);
        let gt = run(Filter::Cmp { column: "n".into(), op: Op::Ge, value: Value::Int(10) }).await;
        assert_eq!(gt.len(), 2);
        let c = count(&schema(), Some(&Filter::Not(Box::new(Filter::IsNull("name".into()))))).unwrap();
        let n: i64 = c.query().fetch_one(t.db.reader()).await.unwrap().get("n");
        assert_eq!(n, 3);
        // The table survived every attempt.
        let still: i64 = sqlx::query("SELECT COUNT(*) AS n FROM things").fetch_one(t.db.reader()).await.unwrap().get("n");
        assert_eq!(still, 3);
        // Grouped on the real backend: rows per name with n above 0, largest group first.
        let g = GroupSelect {
            group_by: vec!["name".into()],
            aggregates: vec![Aggregate::Count, Aggregate::Min("n".into())],
            filter: Some(Filter::Cmp { column: "n".into(), op: Op::Gt, value: Value::Int(0) }),
            sort: vec![(GroupKey::Group(0), Dir::Asc)],
            ..GroupSelect::default()
        };
        let rows = group(&schema(), &g).unwrap().query().fetch_all(t.db.reader()).await.unwrap();
        let got: Vec<(String, i64, i64)> = rows.iter().map(|r| (r.get("g0"), r.get("a0"), r.get("a1"))).collect();
        assert_eq!(got, vec![("50%_off".to_string(), 1, 10), ("x' OR '1'='1".to_string(), 1, 20)]);
        let n: i64 = group_count(&schema(), &g).unwrap().query().fetch_one(t.db.reader()).await.unwrap().get("n");
        assert_eq!(n, 2);
        t.cleanup().await;
    }
}
