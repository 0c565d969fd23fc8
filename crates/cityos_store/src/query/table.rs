//! Tables made at run time: the data hub keeps each version of an uploaded
//! dataset in a table of its own, with columns chosen by the data. Their
//! DDL and bulk inserts are compiled here, like every other dynamic SQL:
//! names are [`Ident`]s (plain lower-case identifiers the caller generates,
//! checked again here, never text from a file or a request) and every value
//! is bound.
//!
//! Values are bound with one SQL type per column position, so a statement
//! PostgreSQL prepared once keeps fitting: integers as `BIGINT` (a missing
//! one as a `BIGINT` NULL), doubles as text cast back
//! (`CAST(NULLIF($n, '') AS DOUBLE PRECISION)`: sqlx's `Any` driver binds a
//! missing `f64` as a `float4` NULL), text as text.

use super::QueryError;
use crate::Backend;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;
use std::fmt::Write as _;

/// The most placeholders one compiled insert uses (PostgreSQL allows 65,535;
/// SQLite as bundled by sqlx allows more).
pub const MAX_BINDS: usize = 30_000;

/// A table, column or index name made at run time: `[a-z_][a-z0-9_]*`, at
/// most 63 bytes (PostgreSQL's limit), so it never needs quoting and can
/// never close a statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident(String);

impl Ident {
    /// Checks `name`.
    ///
    /// # Errors
    /// [`QueryError::BadIdentifier`] for anything but a plain lower-case identifier.
    pub fn new(name: &str) -> Result<Self, QueryError> {
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if first_ok && rest_ok && name.len() <= 63 {
            Ok(Self(name.to_string()))
        } else {
            Err(QueryError::BadIdentifier(name.chars().take(80).collect()))
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This name with `suffix` appended (`<table>_fts`, `<table>_lat_lon`).
    ///
    /// # Errors
    /// The result is not an identifier (too long, or `suffix` has other characters).
    pub fn with_suffix(&self, suffix: &str) -> Result<Self, QueryError> {
        Self::new(&format!("{}{suffix}", self.0))
    }
}

impl std::fmt::Display for Ident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SQL type of a column made at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `BIGINT` (also flags 0/1).
    BigInt,
    /// `DOUBLE PRECISION`.
    Double,
    /// `TEXT`.
    Text,
}

impl ColumnType {
    fn sql(self) -> &'static str {
        match self {
            Self::BigInt => "BIGINT",
            Self::Double => "DOUBLE PRECISION",
            Self::Text => "TEXT",
        }
    }
}

/// A column of a table made at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    /// Its name.
    pub name: Ident,
    /// Its type.
    pub ty: ColumnType,
}

/// A value for one column of an inserted row; its variant must match the
/// column's [`ColumnType`] (`None` is NULL).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// For a `BIGINT` column.
    Int(Option<i64>),
    /// For a `DOUBLE PRECISION` column (non-finite values are stored as NULL).
    Double(Option<f64>),
    /// For a `TEXT` column.
    Text(Option<String>),
}

/// `CREATE TABLE table (key <integer primary key>, columns…)`. The key is the
/// row number: SQLite's rowid (`INTEGER PRIMARY KEY`), PostgreSQL's `BIGINT
/// PRIMARY KEY`.
#[must_use]
pub fn create_table(backend: Backend, table: &Ident, key: &Ident, columns: &[TableColumn]) -> String {
    let mut sql = format!("CREATE TABLE {table} ({key} {} PRIMARY KEY", backend.pick("INTEGER", "BIGINT"));
    for c in columns {
        let _ = write!(sql, ", {} {}", c.name, c.ty.sql());
    }
    sql.push(')');
    sql
}

/// `CREATE INDEX index ON table (columns…)`.
#[must_use]
pub fn create_index(table: &Ident, index: &Ident, columns: &[Ident]) -> String {
    let cols: Vec<&str> = columns.iter().map(Ident::as_str).collect();
    format!("CREATE INDEX {index} ON {table} ({})", cols.join(", "))
}

/// The full-text index over `column` (which holds `cityos_text::fold`ed
/// words): a contentless FTS5 table `<table>_fts` keyed by the row number on
/// SQLite (fill it with [`insert_fulltext`]), a `simple` GIN index on
/// PostgreSQL (maintained by the database).
///
/// # Errors
/// `<table>_fts` is too long a name.
pub fn create_fulltext(backend: Backend, table: &Ident, column: &Ident) -> Result<String, QueryError> {
    let fts = table.with_suffix("_fts")?;
    Ok(match backend {
        Backend::Sqlite => format!("CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='', tokenize='unicode61')"),
        Backend::Postgres => format!("CREATE INDEX {fts} ON {table} USING GIN (to_tsvector('simple', {column}))"),
    })
}

/// The [`super::Schema::fulltext`] fragment for an index made by
/// [`create_fulltext`]; bind `cityos_text::fts_query` (SQLite) or
/// `cityos_text::pg_tsquery` (PostgreSQL) into it.
///
/// # Errors
/// `<table>_fts` is too long a name.
pub fn fulltext_match(backend: Backend, table: &Ident, key: &Ident, column: &Ident) -> Result<String, QueryError> {
    let fts = table.with_suffix("_fts")?;
    Ok(match backend {
        Backend::Sqlite => format!("{key} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {{}})"),
        Backend::Postgres => format!("to_tsvector('simple', {column}) @@ to_tsquery('simple', {{}})"),
    })
}

/// Statements that drop a table made here, with its SQLite full-text table.
///
/// # Errors
/// `<table>_fts` is too long a name.
pub fn drop_table(backend: Backend, table: &Ident) -> Result<Vec<String>, QueryError> {
    let mut out = vec![format!("DROP TABLE IF EXISTS {table}")];
    if backend == Backend::Sqlite {
        out.push(format!("DROP TABLE IF EXISTS {}", table.with_suffix("_fts")?));
    }
    Ok(out)
}

/// Readies a freshly loaded table for queries: `ANALYZE` on SQLite (the
/// planner's statistics); `VACUUM (ANALYZE)` on PostgreSQL, which also sets
/// the visibility map, so that counts can use index-only scans instead of
/// reading (and hint-bit writing) the whole heap. Run it outside a
/// transaction (`sqlx::raw_sql`).
#[must_use]
pub fn analyze(backend: Backend, table: &Ident) -> String {
    match backend {
        Backend::Sqlite => format!("ANALYZE {table}"),
        Backend::Postgres => format!("VACUUM (ANALYZE) {table}"),
    }
}

/// How many rows one [`insert_rows`] statement may carry for `width` columns.
#[must_use]
pub fn rows_per_insert(width: usize) -> usize {
    (MAX_BINDS / width.max(1)).clamp(1, 1000)
}

/// A multi-row insert with its values.
#[derive(Debug, Clone)]
pub struct Insert {
    /// The statement.
    pub sql: String,
    args: Vec<Cell>,
}

impl Insert {
    /// A sqlx query with every value bound, one SQL type per column.
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.sql);
        for c in &self.args {
            q = match c {
                Cell::Int(v) => q.bind(*v),
                Cell::Double(v) => q.bind(v.filter(|f| f.is_finite()).map(|f| f.to_string()).unwrap_or_default()),
                Cell::Text(v) => q.bind(v.as_deref()),
            };
        }
        q
    }
}

/// Compiles `INSERT INTO table (columns…) VALUES (…), (…)` for `rows`, each
/// with one [`Cell`] per column, in order (at most [`rows_per_insert`] rows).
///
/// Placeholders are `$n` on PostgreSQL and anonymous `?` on SQLite: sqlx
/// binds SQLite parameters by looking each one's name up, a linear search
/// per parameter, which for thousands of `$n` made loading quadratic (90 %
/// of the time in `sqlite3_bind_parameter_name`); `?` parameters are bound
/// by position.
///
/// # Errors
/// No rows, a row of the wrong width, a cell of the wrong type for its
/// column, or more values than [`MAX_BINDS`].
pub fn insert_rows(backend: Backend, table: &Ident, columns: &[TableColumn], rows: Vec<Vec<Cell>>) -> Result<Insert, QueryError> {
    if rows.is_empty() || rows.len() * columns.len() > MAX_BINDS {
        return Err(QueryError::BadRow(format!("{} rows for {table}", rows.len())));
    }
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
    let mut args = Vec::with_capacity(rows.len() * columns.len());
    for (r, row) in rows.into_iter().enumerate() {
        if row.len() != columns.len() {
            return Err(QueryError::BadRow(format!("{} values for {} columns of {table}", row.len(), columns.len())));
        }
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for (i, (cell, col)) in row.into_iter().zip(columns).enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let n = args.len() + 1;
            let p = match backend {
                Backend::Sqlite => "?".to_string(),
                Backend::Postgres => format!("${n}"),
            };
            match (&cell, col.ty) {
                (Cell::Int(_), ColumnType::BigInt) | (Cell::Text(_), ColumnType::Text) => sql.push_str(&p),
                (Cell::Double(_), ColumnType::Double) => {
                    let _ = write!(sql, "CAST(NULLIF({p}, '') AS DOUBLE PRECISION)");
                }
                _ => return Err(QueryError::BadRow(format!("a value of the wrong type for {}", col.name))),
            }
            args.push(cell);
        }
        sql.push(')');
    }
    Ok(Insert { sql, args })
}

/// On SQLite, the insert that adds rows' folded words to the full-text
/// table of [`create_fulltext`] (`(row number, words)` pairs); `None` on
/// PostgreSQL, whose index follows the table by itself, or for no rows.
///
/// # Errors
/// `<table>_fts` is too long a name.
pub fn insert_fulltext(backend: Backend, table: &Ident, column: &Ident, rows: Vec<(i64, String)>) -> Result<Option<Insert>, QueryError> {
    if backend != Backend::Sqlite || rows.is_empty() {
        return Ok(None);
    }
    let fts = table.with_suffix("_fts")?;
    let cols =
        [TableColumn { name: Ident::new("rowid")?, ty: ColumnType::BigInt }, TableColumn { name: column.clone(), ty: ColumnType::Text }];
    let rows = rows.into_iter().map(|(id, words)| vec![Cell::Int(Some(id)), Cell::Text(Some(words))]).collect();
    insert_rows(backend, &fts, &cols, rows).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{self, Column, Dir, Filter, Op, Schema, Select, Value};
    use crate::testing::TestDb;
    use sqlx::Row as _;
    use std::borrow::Cow;

    fn id(s: &str) -> Ident {
        Ident::new(s).unwrap()
    }

    #[test]
    fn identifiers_are_plain_lower_case_names_only() {
        for ok in ["ds_0a1b_v1", "_id", "c12", "_search"] {
            assert_eq!(Ident::new(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "1c", "C1", "a-b", "a b", "x; DROP TABLE t", "a\"b", "tên", &"x".repeat(64)] {
            assert!(matches!(Ident::new(bad), Err(QueryError::BadIdentifier(_))), "{bad}");
        }
        assert!(id(&"x".repeat(60)).with_suffix("_fts").is_err());
    }

    #[test]
    fn ddl_for_each_backend() {
        let cols = [TableColumn { name: id("c1"), ty: ColumnType::Text }, TableColumn { name: id("c2"), ty: ColumnType::Double }];
        assert_eq!(
            create_table(Backend::Sqlite, &id("t"), &id("_id"), &cols),
            "CREATE TABLE t (_id INTEGER PRIMARY KEY, c1 TEXT, c2 DOUBLE PRECISION)"
        );
        assert!(create_table(Backend::Postgres, &id("t"), &id("_id"), &cols).starts_with("CREATE TABLE t (_id BIGINT PRIMARY KEY"));
        assert_eq!(create_index(&id("t"), &id("t_geo"), &[id("_lat"), id("_lon")]), "CREATE INDEX t_geo ON t (_lat, _lon)");
        assert!(create_fulltext(Backend::Sqlite, &id("t"), &id("_search")).unwrap().contains("fts5(_search"));
        assert!(create_fulltext(Backend::Postgres, &id("t"), &id("_search")).unwrap().contains("GIN (to_tsvector('simple', _search))"));
        assert_eq!(drop_table(Backend::Sqlite, &id("t")).unwrap().len(), 2);
    }

    #[test]
    fn inserts_bind_every_value_with_one_type_per_column() {
        let cols = [TableColumn { name: id("a"), ty: ColumnType::BigInt }, TableColumn { name: id("b"), ty: ColumnType::Double }];
        let rows = || vec![vec![Cell::Int(Some(1)), Cell::Double(None)], vec![Cell::Int(None), Cell::Double(Some(2.5))]];
        let ins = insert_rows(Backend::Postgres, &id("t"), &cols, rows()).unwrap();
        assert_eq!(
            ins.sql,
            "INSERT INTO t (a, b) VALUES ($1, CAST(NULLIF($2, '') AS DOUBLE PRECISION)), ($3, CAST(NULLIF($4, '') AS DOUBLE PRECISION))"
        );
        let ins = insert_rows(Backend::Sqlite, &id("t"), &cols, rows()).unwrap();
        assert_eq!(
            ins.sql,
            "INSERT INTO t (a, b) VALUES (?, CAST(NULLIF(?, '') AS DOUBLE PRECISION)), (?, CAST(NULLIF(?, '') AS DOUBLE PRECISION))"
        );
        assert!(insert_rows(Backend::Sqlite, &id("t"), &cols, vec![vec![Cell::Text(Some("x".into())), Cell::Double(None)]]).is_err());
        assert!(insert_rows(Backend::Sqlite, &id("t"), &cols, vec![vec![Cell::Int(None)]]).is_err());
        assert!(insert_rows(Backend::Sqlite, &id("t"), &cols, vec![]).is_err());
        assert_eq!(rows_per_insert(3), 1000);
        assert_eq!(rows_per_insert(300), 100);
    }

    /// The whole life of a run-time table on the real backend: typed inserts
    /// with NULLs in every position (the same prepared statement reused),
    /// full-text search, grouped queries, and values that look like SQL.
    #[tokio::test]
    async fn a_run_time_table_on_the_real_backend() {
        let t = TestDb::new().await;
        let backend = t.db.backend();
        let (table, key, words) = (id("ds_test_v1"), id("_id"), id("_search"));
        let cols = vec![
            TableColumn { name: key.clone(), ty: ColumnType::BigInt },
            TableColumn { name: id("c1"), ty: ColumnType::Text },
            TableColumn { name: id("c2"), ty: ColumnType::BigInt },
            TableColumn { name: id("c3"), ty: ColumnType::Double },
            TableColumn { name: words.clone(), ty: ColumnType::Text },
        ];
        sqlx::query(&create_table(backend, &table, &key, &cols[1..])).execute(t.db.writer()).await.unwrap();
        sqlx::query(&create_fulltext(backend, &table, &words).unwrap()).execute(t.db.writer()).await.unwrap();
        let names = ["Bệnh viện Chợ Rẫy", "x' OR '1'='1", "Trường Lê Lợi", "Chợ Bến Thành"];
        for chunk in [0..2, 2..4] {
            let rows: Vec<Vec<Cell>> = chunk
                .clone()
                .map(|i| {
                    let n = i64::try_from(i).unwrap();
                    vec![
                        Cell::Int(Some(n + 1)),
                        Cell::Text(Some(names[i].into())),
                        Cell::Int(if i == 1 { None } else { Some(n * 10) }),
                        Cell::Double(if i == 2 { None } else { Some(n as f64 + 0.5) }),
                        Cell::Text(Some(cityos_text::fold(names[i]))),
                    ]
                })
                .collect();
            let fts: Vec<(i64, String)> = chunk.map(|i| (i64::try_from(i).unwrap() + 1, cityos_text::fold(names[i]))).collect();
            insert_rows(backend, &table, &cols, rows).unwrap().query().execute(t.db.writer()).await.unwrap();
            if let Some(ins) = insert_fulltext(backend, &table, &words, fts).unwrap() {
                ins.query().execute(t.db.writer()).await.unwrap();
            }
        }
        let columns: Vec<Column> = ["_id", "c1", "c2", "c3"]
            .iter()
            .map(|c| Column { name: Cow::Owned(format!("name {c}")), sql: Cow::Owned((*c).to_string()) })
            .collect();
        let schema = Schema {
            table: Cow::Owned(table.to_string()),
            columns: Cow::Owned(columns),
            fulltext: Some(Cow::Owned(fulltext_match(backend, &table, &key, &words).unwrap())),
        };
        let q = match backend {
            Backend::Sqlite => cityos_text::fts_query("cho"),
            Backend::Postgres => cityos_text::pg_tsquery("cho"),
        }
        .unwrap();
        let sel = Select { filter: Some(Filter::FullText(q)), sort: vec![("name _id".into(), Dir::Asc)], ..Select::default() };
        let rows = query::select(&schema, &sel).unwrap().query().fetch_all(t.db.reader()).await.unwrap();
        let got: Vec<String> = rows.iter().map(|r| r.get::<String, _>(1)).collect();
        assert_eq!(got, ["Bệnh viện Chợ Rẫy", "Chợ Bến Thành"]);
        let eq = Filter::Cmp { column: "name c1".into(), op: Op::Eq, value: Value::Text("x' OR '1'='1".into()) };
        let n: i64 = query::count(&schema, Some(&eq)).unwrap().query().fetch_one(t.db.reader()).await.unwrap().get("n");
        assert_eq!(n, 1);
        // Grouped: count and sum of every row, NULLs left out of the sum.
        let g = query::GroupSelect {
            aggregates: vec![query::Aggregate::Count, query::Aggregate::Sum("name c2".into()), query::Aggregate::Max("name c3".into())],
            ..query::GroupSelect::default()
        };
        let row = query::group(&schema, &g).unwrap().query().fetch_one(t.db.reader()).await.unwrap();
        assert_eq!(row.get::<i64, _>("a0"), 4);
        assert!((row.get::<f64, _>("a1") - 50.0).abs() < 1e-9);
        assert!((row.get::<f64, _>("a2") - 3.5).abs() < 1e-9);
        for s in drop_table(backend, &table).unwrap() {
            sqlx::query(&s).execute(t.db.writer()).await.unwrap();
        }
        t.cleanup().await;
    }
}
