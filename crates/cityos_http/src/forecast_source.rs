//! The forecasting centre's [`DatasetColumns`] port over the data hub: domain crates do not
//! depend on each other, so this crate, which holds both, connects them.
//!
//! The read goes through the data hub's public row API as the caller: the dataset must be visible
//! to them ([`cityos_datahub::DataHub::dataset`], 404 otherwise), [`cityos_datahub::DataHub::authorize_data_read`]
//! decides whether they may read its rows (403 `approval_required` for another agency's shared or
//! restricted data), and every page is read with [`cityos_datahub::DataHub::data_page`], which
//! audits non-public reads.

use cityos_api::{ApiError, Caller};
use cityos_datahub::datastore::{DataQuery, MAX_LIMIT, ROW_ID};
use cityos_datahub::DataHub;
use cityos_forecast::dataset::{BoxFuture, ColumnRow, ColumnRows, DatasetColumns, MAX_ROWS};
use http::StatusCode;
use serde_json::Value;

/// Reads dataset columns from the data hub.
#[derive(Debug, Clone)]
pub struct HubColumns {
    hub: DataHub,
}

impl HubColumns {
    /// The port over `hub`.
    #[must_use]
    pub fn new(hub: DataHub) -> Self {
        Self { hub }
    }

    async fn read(&self, caller: &Caller, dataset_id: &str, period_column: &str, value_column: &str) -> Result<ColumnRows, ApiError> {
        let dataset = self.hub.dataset(caller, dataset_id).await?;
        self.hub.authorize_data_read(caller, &dataset).await?;
        let mut loaded = Vec::new();
        for r in dataset.resources.iter().filter(|r| r.datastore_active) {
            let fields = self.hub.fields(&r.id).await?;
            let names: Vec<String> = fields.into_iter().map(|f| f.name).collect();
            if names.iter().any(|n| n == period_column) && names.iter().any(|n| n == value_column) {
                return self.rows(caller, &dataset.name, &r.id, period_column, value_column).await;
            }
            loaded.push(names);
        }
        let Some(names) = loaded.first() else {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_data", "No data")
                .detail(format!("dataset {} has no loaded data: upload a version of one of its resources first", dataset.name)));
        };
        let missing: Vec<&str> = [period_column, value_column].into_iter().filter(|c| !names.iter().any(|n| n == c)).collect();
        Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_column", "Unknown column")
            .detail(format!(
                "no resource of dataset {} has the column{} {}; its columns are: {}",
                dataset.name,
                if missing.len() > 1 { "s" } else { "" },
                missing.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(" and "),
                names.join(", ")
            ))
            .with("columns", names.clone()))
    }

    /// Every row of the two columns, a page of [`MAX_LIMIT`] rows at a time.
    async fn rows(
        &self,
        caller: &Caller,
        dataset: &str,
        resource_id: &str,
        period_column: &str,
        value_column: &str,
    ) -> Result<ColumnRows, ApiError> {
        let mut q = DataQuery {
            fields: vec![ROW_ID.to_string(), period_column.to_string(), value_column.to_string()],
            limit: Some(MAX_LIMIT),
            ..DataQuery::default()
        };
        let mut out = ColumnRows { dataset: dataset.to_string(), resource_id: resource_id.to_string(), version: 0, rows: Vec::new() };
        loop {
            let page = self.hub.data_page(caller, resource_id, &q).await?;
            // A new version uploaded between pages would mix two versions: start again.
            if out.version != 0 && page.version != out.version {
                out.rows.clear();
                q.offset = 0;
                out.version = page.version;
                continue;
            }
            out.version = page.version;
            let n = page.records.len();
            for rec in &page.records {
                let row = rec.get(ROW_ID).and_then(Value::as_i64).unwrap_or(0);
                out.rows.push(ColumnRow { row, period: cell(rec.get(period_column)), value: cell(rec.get(value_column)) });
            }
            if out.rows.len() > MAX_ROWS {
                return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too_many_rows", "Too many rows")
                    .detail(format!("dataset {dataset} has more than {MAX_ROWS} rows; an indicator reads at most {MAX_ROWS}")));
            }
            if n == 0 || i64::try_from(n).unwrap_or(0) < MAX_LIMIT || q.offset + i64::try_from(n).unwrap_or(0) >= page.total {
                return Ok(out);
            }
            q.offset += i64::try_from(n).unwrap_or(0);
        }
    }
}

/// A cell as text: strings as they are, numbers as JSON writes them, empty for null.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

impl DatasetColumns for HubColumns {
    fn read_columns<'a>(
        &'a self,
        caller: &'a Caller,
        dataset_id: &'a str,
        period_column: &'a str,
        value_column: &'a str,
    ) -> BoxFuture<'a, Result<ColumnRows, ApiError>> {
        Box::pin(self.read(caller, dataset_id, period_column, value_column))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_become_text() {
        assert_eq!(cell(None), "");
        assert_eq!(cell(Some(&Value::Null)), "");
        assert_eq!(cell(Some(&json!("2024-01"))), "2024-01");
        assert_eq!(cell(Some(&json!(2024))), "2024");
        assert_eq!(cell(Some(&json!(12.5))), "12.5");
    }
}
