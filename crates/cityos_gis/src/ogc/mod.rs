//! OGC API – Features at `/ogc` (placeholder).
use crate::Gis;

/// The `/ogc` routes (outside `/api`: own OpenAPI 3.0 document and OGC exception bodies).
pub fn router(gis: Gis) -> axum::Router {
    axum::Router::new().with_state(gis)
}

/// Whether `path` is under `/ogc` (errors there are OGC exception bodies).
#[must_use]
pub fn is_ogc_path(path: &str) -> bool {
    path == "/ogc" || path.starts_with("/ogc/")
}
