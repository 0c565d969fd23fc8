//! The open data portal's usage counts: the portal reports a view of a
//! dataset's page and each download it offers, and the catalogue's `views`
//! and `downloads` (shown on the portal and in CKAN's `tracking_summary`
//! sense) count them once a day per visitor, as CKAN's page-view tracking
//! does. Original files downloaded through the versions route are counted
//! there, not here.
//!
//! A visitor is a keyed hash of the client's address and browser, kept only
//! for the day it counts (rows of earlier days are deleted as new ones
//! come in), under a key that lives in the process's memory: nothing stored
//! can be turned back into an address. Several replicas, or a restart, each
//! have their own key, so a visitor may then count once more that day.
//! Anonymous callers are already rate-limited per address by the HTTP layer.

use crate::vocabulary::SharingLevel;
use crate::{DataHub, DataHubError};
use axum::extract::{ConnectInfo, State};
use axum::Extension;
use chrono::Duration;
use cityos_api::extract::{Json, Path};
use cityos_api::{ApiError, Caller};
use http::{header, HeaderMap, StatusCode};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::OnceLock;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The portal's table: who was counted today (versions 20261129500000..).
pub(crate) const USAGE_SQL: &str = "
CREATE TABLE dataset_usage_visits (
    dataset_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('view', 'download')),
    day TEXT NOT NULL,
    visitor TEXT NOT NULL,
    PRIMARY KEY (dataset_id, kind, day, visitor)
);
CREATE INDEX dataset_usage_visits_day ON dataset_usage_visits (day);
";

/// The portal's routes.
pub fn router(hub: DataHub) -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(record_usage)).with_state(hub)
}

/// What the portal counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    /// The dataset's page was opened.
    View,
    /// A file or a query result was downloaded from it.
    Download,
}

impl UsageKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Download => "download",
        }
    }
}

/// One use of a dataset.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageEvent {
    /// `view` or `download`.
    pub kind: UsageKind,
}

/// The key of this process's visitor hashes.
fn visitor_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()))
}

/// The day a moment falls on in Ho Chi Minh City (`yyyy-mm-dd`; UTC+7, no daylight saving).
fn hcmc_day(at: chrono::DateTime<chrono::Utc>) -> String {
    (at + Duration::hours(7)).format("%Y-%m-%d").to_string()
}

/// A visitor's pseudonym for one day: keyed SHA-256 of the day, address and browser.
fn visitor(key: &str, day: &str, address: &str, user_agent: &str) -> String {
    let mut h = Sha256::new();
    for part in [key, day, address, user_agent] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(&h.finalize()[..16])
}

impl DataHub {
    /// Counts one use of open dataset `id_or_name` by `visitor` today, once
    /// per day and kind; returns whether it counted. Only active open
    /// datasets are counted (others are 404: the portal shows nothing else).
    ///
    /// # Errors
    /// 404; database failure.
    pub async fn record_usage(&self, id_or_name: &str, kind: UsageKind, visitor: &str) -> Result<bool, DataHubError> {
        let d = self
            .load_dataset(id_or_name)
            .await?
            .filter(|d| d.state == "active" && d.sharing_level == SharingLevel::Open)
            .ok_or_else(|| ApiError::not_found(format!("no open dataset {id_or_name}")))?;
        let now = self.clock().now();
        let today = hcmc_day(now);
        let yesterday = hcmc_day(now - Duration::days(1));
        let mut tx = self.db().begin().await?;
        let inserted =
            sqlx::query("INSERT INTO dataset_usage_visits (dataset_id, kind, day, visitor) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind(&d.id)
                .bind(kind.as_str())
                .bind(&today)
                .bind(visitor)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if inserted {
            let sql = match kind {
                UsageKind::View => "UPDATE datasets SET views = views + 1 WHERE id = $1",
                UsageKind::Download => "UPDATE datasets SET downloads = downloads + 1 WHERE id = $1",
            };
            sqlx::query(sql).bind(&d.id).execute(&mut *tx).await?;
        }
        // Yesterday's rows still dedupe visits across midnight in other time zones' clocks; older ones go.
        sqlx::query("DELETE FROM dataset_usage_visits WHERE day < $1").bind(&yesterday).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(inserted)
    }
}

/// Count a view of an open dataset's page, or a download from it (anyone).
/// Counted once a day per visitor; the answer is the same either way.
#[utoipa::path(post, path = "/api/datahub/datasets/{id}/usage", tag = "datahub", params(("id" = String, Path, description = "id or name")),
    request_body = UsageEvent, responses((status = 204), (status = 404), (status = 422)))]
async fn record_usage(
    State(hub): State<DataHub>,
    _caller: Caller,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(event): Json<UsageEvent>,
) -> Result<StatusCode, ApiError> {
    let address = connect.map_or_else(|| "unknown".to_string(), |Extension(ConnectInfo(a))| a.ip().to_string());
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let day = hcmc_day(hub.clock().now());
    hub.record_usage(&id, event.kind, &visitor(visitor_key(), &day, &address, agent)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn days_are_ho_chi_minh_city_days() {
        let late = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 17, 30, 0).unwrap();
        assert_eq!(hcmc_day(late), "2026-03-02");
        let early = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 16, 59, 0).unwrap();
        assert_eq!(hcmc_day(early), "2026-03-01");
    }

    #[test]
    fn visitors_are_keyed_pseudonyms() {
        let a = visitor("k1", "2026-03-01", "203.0.113.5", "Firefox");
        assert_eq!(a.len(), 32);
        assert_eq!(a, visitor("k1", "2026-03-01", "203.0.113.5", "Firefox"));
        assert_ne!(a, visitor("k2", "2026-03-01", "203.0.113.5", "Firefox"));
        assert_ne!(a, visitor("k1", "2026-03-02", "203.0.113.5", "Firefox"));
        assert_ne!(a, visitor("k1", "2026-03-01", "203.0.113.6", "Firefox"));
        assert_ne!(a, visitor("k1", "2026-03-01", "203.0.113.5", "Chromium"));
        assert_eq!(visitor_key(), visitor_key());
        assert_eq!(visitor_key().len(), 64);
    }
}
