//! Addresses to places. With the city's geocoder configured
//! (`[geocoder] url`, Nominatim's search API shape) an address becomes a
//! point; without one, or when it does not answer in time, the ward is found
//! from the ward names (current or pre-2025) the address contains, and the
//! point is that ward's published centroid.

use crate::{Feedback, FeedbackError};
use cityos_core::config::GeocoderConfig;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use std::time::Duration;
use utoipa::ToSchema;

/// A client of the city's geocoder.
#[derive(Debug, Clone)]
pub struct Geocoder {
    url: String,
    client: reqwest::Client,
}

impl Geocoder {
    /// The configured geocoder, or `None` when `[geocoder] url` is empty.
    ///
    /// # Errors
    /// The HTTP client cannot be built (TLS set-up).
    pub fn from_config(cfg: &GeocoderConfig) -> Result<Option<Self>, String> {
        let url = cfg.url.trim();
        if url.is_empty() {
            return Ok(None);
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("[geocoder] url must be an http(s) URL, got {url:?}"));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(cfg.timeout_ms.max(100)))
            .user_agent("CityOS-1022")
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Some(Self { url: url.to_string(), client }))
    }

    /// The first match for `address`, or `None` when the geocoder finds
    /// nothing, fails or is slow (the caller falls back to ward names).
    pub async fn search(&self, address: &str) -> Option<(f64, f64)> {
        let query = [("q", address), ("format", "jsonv2"), ("limit", "1"), ("accept-language", "vi")];
        let resp = match self.client.get(&self.url).query(&query).send().await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => {
                tracing::warn!(status = %r.status(), "geocoder refused a search; using ward names");
                return None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "geocoder unreachable; using ward names");
                return None;
            }
        };
        let hits: Vec<Hit> = match resp.json().await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "geocoder answered something other than Nominatim JSON");
                return None;
            }
        };
        let hit = hits.into_iter().next()?;
        let (lat, lon) = (hit.lat.value()?, hit.lon.value()?);
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
    }
}

/// One Nominatim result; coordinates come as strings (Nominatim) or numbers (others).
#[derive(Debug, Deserialize)]
struct Hit {
    lat: Coordinate,
    lon: Coordinate,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Coordinate {
    Text(String),
    Number(f64),
}

impl Coordinate {
    fn value(&self) -> Option<f64> {
        match self {
            Self::Text(s) => s.trim().parse().ok().filter(|v: &f64| v.is_finite()),
            Self::Number(n) => Some(*n).filter(|v| v.is_finite()),
        }
    }
}

/// Where an address is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Place {
    /// Latitude (WGS 84).
    pub lat: f64,
    /// Longitude (WGS 84).
    pub lon: f64,
    /// The ward, commune or special zone containing it (GSO code).
    pub jurisdiction_code: Option<String>,
    /// Its name.
    pub jurisdiction_name: Option<String>,
    /// `geocoder` (the city's geocoder found the address) or `ward` (only the
    /// ward was recognised; the point is its centroid).
    pub source: String,
}

impl Feedback {
    /// Where `address` is: the geocoder's point when one is configured and
    /// finds it, else the centroid of the ward named in it.
    ///
    /// # Errors
    /// Database failures.
    pub async fn geocode(&self, address: &str) -> Result<Option<Place>, FeedbackError> {
        let address = cityos_text::nfc(address.trim());
        if address.is_empty() {
            return Ok(None);
        }
        if let Some(g) = &self.geocoder {
            if let Some((lat, lon)) = g.search(&address).await {
                let ward = self.identity.locate(lat, lon).await.map_err(|e| FeedbackError::Identity(e.to_string()))?;
                return Ok(Some(Place {
                    lat,
                    lon,
                    jurisdiction_code: ward.as_ref().map(|j| j.code.clone()),
                    jurisdiction_name: ward.map(|j| j.name),
                    source: "geocoder".into(),
                }));
            }
        }
        let Some(code) = self.ward_named_in(&address).await? else { return Ok(None) };
        let row =
            sqlx::query("SELECT name, lat, lon FROM jurisdictions WHERE code = $1").bind(&code).fetch_optional(self.db.reader()).await?;
        let Some(row) = row else { return Ok(None) };
        let (lat, lon): (Option<f64>, Option<f64>) = (row.try_get("lat")?, row.try_get("lon")?);
        Ok(lat.zip(lon).map(|(lat, lon)| Place {
            lat,
            lon,
            jurisdiction_code: Some(code),
            jurisdiction_name: row.try_get("name").ok(),
            source: "ward".into(),
        }))
    }

    /// A point for a report filed with an address and no coordinates: only
    /// the geocoder's (a ward centroid would pretend to a precision the
    /// citizen never gave).
    pub(crate) async fn geocode_point(&self, address: &str) -> Option<(f64, f64)> {
        match &self.geocoder {
            Some(g) => g.search(&cityos_text::nfc(address.trim())).await,
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_come_as_text_or_numbers() {
        let hits: Vec<Hit> =
            serde_json::from_str(r#"[{"lat":"10.7725","lon":"106.698","display_name":"x"},{"lat":10.0,"lon":106.0}]"#).unwrap_or_default();
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].lat.value(), Some(10.7725));
        assert_eq!(hits[1].lon.value(), Some(106.0));
        assert_eq!(Coordinate::Text("abc".into()).value(), None);
        assert_eq!(Coordinate::Text("NaN".into()).value(), None);
    }

    #[test]
    fn only_http_urls_configure_a_geocoder() {
        let mut cfg = GeocoderConfig::default();
        assert!(Geocoder::from_config(&cfg).unwrap_or(None).is_none());
        cfg.url = "ftp://geo".into();
        assert!(Geocoder::from_config(&cfg).is_err());
        cfg.url = "http://127.0.0.1:9/search".into();
        assert!(matches!(Geocoder::from_config(&cfg), Ok(Some(_))));
    }
}
