//! The console's own GIS routes under `/api/gis` (placeholder).
use crate::Gis;
use utoipa_axum::router::OpenApiRouter;

/// The `/api/gis` routes.
pub fn router(gis: Gis) -> OpenApiRouter {
    OpenApiRouter::new().with_state(gis)
}
