//! The console's own GIS routes under `/api/gis` (in the OpenAPI document):
//! a feature's history and connections, and (in [`crate::imports`]) imports
//! and exports. Features themselves are read and written through the OGC
//! API at `/ogc` ([`crate::ogc`]), so the rules of one service apply to both.

use crate::model;
use crate::Gis;
use axum::extract::State;
use cityos_api::extract::{Json, Path};
use cityos_api::{ApiError, Caller};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The `/api/gis` routes.
pub fn router(gis: Gis) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(feature_history))
        .routes(routes!(feature_connections))
        .with_state(gis.clone())
        .merge(crate::imports::router(gis))
}

/// Every version of a feature, newest first, with who made it (staff:
/// the actors are internal).
#[utoipa::path(get, path = "/api/gis/features/{collection}/{id}/history", tag = "gis",
    params(("collection" = String, Path, description = "collection id, e.g. `water-valves`"), ("id" = String, Path, description = "feature id")),
    responses((status = 200, description = "versions, newest first", body = Object), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn feature_history(
    State(gis): State<Gis>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require_staff()?;
    if model::collection(&collection).is_none() {
        return Err(ApiError::not_found(format!("collection `{collection}`")));
    }
    let versions = gis.history(&collection, &id).await?;
    if versions.is_empty() {
        return Err(ApiError::not_found(format!("feature `{id}` in `{collection}`")));
    }
    Ok(Json(serde_json::to_value(versions).map_err(|e| ApiError::internal(&e))?))
}

/// The links and nodes a feature is connected to (anyone: the network map is public).
#[utoipa::path(get, path = "/api/gis/features/{id}/connections", tag = "gis",
    params(("id" = String, Path, description = "feature id")),
    responses((status = 200, description = "connections, by link and end", body = Object), (status = 404)))]
async fn feature_connections(State(gis): State<Gis>, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let links = gis.connections(&id).await?;
    if links.is_empty() && !gis.exists(&id).await? {
        return Err(ApiError::not_found(format!("feature `{id}`")));
    }
    Ok(Json(serde_json::to_value(links).map_err(|e| ApiError::internal(&e))?))
}
