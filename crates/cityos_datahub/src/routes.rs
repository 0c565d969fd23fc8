//! The catalogue's own REST API for the console (`/api/datahub/…`, in the
//! OpenAPI document) and the DCAT-AP export. CKAN clients use
//! [`crate::ckan`] instead; both call the same catalogue functions, so they
//! apply the same rules. Each handler's doc line says who may call it.

use crate::catalogue::{
    Clause, ClauseField, Dataset, DatasetFields, FacetCount, FacetField, Resource, ResourceFields, SearchQuery, SortField,
};
use crate::dcat::RdfFormat;
use crate::vocabulary::{Frequency, Licence, SharingLevel, Theme, FREQUENCIES, LICENCES, THEMES};
use crate::DataHub;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cityos_api::extract::{Json, Path, Query};
use cityos_api::{ApiError, Caller};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The catalogue's routes.
pub fn router(hub: DataHub) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_datasets, create_dataset))
        .routes(routes!(get_dataset, update_dataset, delete_dataset))
        .routes(routes!(add_resource))
        .routes(routes!(get_resource, update_resource, delete_resource))
        .routes(routes!(vocabulary))
        .routes(routes!(catalog))
        .routes(routes!(dcat_jsonld))
        .routes(routes!(dcat_turtle))
        .with_state(hub)
}

/// Catalogue search parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DatasetQuery {
    /// Words to find (without diacritics is fine).
    pub q: Option<String>,
    /// Owner agency code.
    pub agency: Option<String>,
    /// Theme id.
    pub theme: Option<String>,
    /// Tag.
    pub tag: Option<String>,
    /// Resource format, e.g. `CSV`.
    pub format: Option<String>,
    /// Licence id.
    pub license_id: Option<String>,
    /// `open`, `shared` or `restricted`.
    pub sharing_level: Option<String>,
    /// `relevance` (default), `-modified`, `modified`, `title`, `-title`, `name`, `-created`.
    pub sort: Option<String>,
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (at most 500, default 20).
    pub per_page: Option<u32>,
}

/// A page of datasets with facet counts (over every match, not just the page).
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetList {
    /// The datasets on this page.
    pub items: Vec<Dataset>,
    /// Matching datasets in all.
    pub total: i64,
    /// This page.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
    /// Counts per facet: `agency`, `theme`, `tag`, `format`, `license_id`, `sharing_level`.
    pub facets: BTreeMap<String, Vec<FacetCount>>,
}

/// The fixed vocabularies forms choose from.
#[derive(Debug, Serialize, ToSchema)]
pub struct Vocabulary {
    /// Licences.
    pub licences: Vec<Licence>,
    /// Themes.
    pub themes: Vec<Theme>,
    /// Update frequencies.
    pub frequencies: Vec<Frequency>,
    /// Sharing levels.
    pub sharing_levels: Vec<SharingLevel>,
}

const FACETS: [(FacetField, &str); 6] = [
    (FacetField::Organization, "agency"),
    (FacetField::Groups, "theme"),
    (FacetField::Tags, "tag"),
    (FacetField::ResFormat, "format"),
    (FacetField::LicenseId, "license_id"),
    (FacetField::SharingLevel, "sharing_level"),
];

/// Datasets the caller may read, with facets (anyone: open ones; staff also
/// the shared and restricted ones they may read).
#[utoipa::path(get, path = "/api/datahub/datasets", tag = "datahub", params(DatasetQuery),
    responses((status = 200, body = DatasetList), (status = 400)))]
async fn list_datasets(State(hub): State<DataHub>, caller: Caller, Query(p): Query<DatasetQuery>) -> Result<Json<DatasetList>, ApiError> {
    let page = p.page.unwrap_or(1).max(1);
    let per_page = p.per_page.unwrap_or(20).clamp(1, 500);
    let mut clauses = Vec::new();
    for (field, value) in [
        (ClauseField::Organization, &p.agency),
        (ClauseField::Groups, &p.theme),
        (ClauseField::Tags, &p.tag),
        (ClauseField::ResFormat, &p.format),
        (ClauseField::LicenseId, &p.license_id),
        (ClauseField::SharingLevel, &p.sharing_level),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            clauses.push(Clause { field, value: v.to_string(), negate: false });
        }
    }
    let sort = match p.sort.as_deref().unwrap_or("relevance") {
        "relevance" => vec![(SortField::Score, true)],
        "-modified" => vec![(SortField::Modified, true)],
        "modified" => vec![(SortField::Modified, false)],
        "title" => vec![(SortField::Title, false)],
        "-title" => vec![(SortField::Title, true)],
        "name" => vec![(SortField::Name, false)],
        "-created" => vec![(SortField::Created, true)],
        other => return Err(ApiError::bad_request("invalid_sort", format!("cannot sort by {other}"))),
    };
    let q = SearchQuery {
        q: p.q.clone(),
        clauses,
        include_private: true,
        sort,
        rows: i64::from(per_page),
        start: i64::from(page - 1) * i64::from(per_page),
        facets: FACETS.iter().map(|(f, _)| *f).collect(),
        facet_limit: Some(50),
    };
    let found = hub.search(&caller, &q).await?;
    let facets = found
        .facets
        .into_iter()
        .filter_map(|(f, items)| FACETS.iter().find(|(g, _)| *g == f).map(|(_, name)| ((*name).to_string(), items)))
        .collect();
    Ok(Json(DatasetList { items: found.results, total: found.count, page, per_page, facets }))
}

/// Create a dataset (data officers and agency administrators of the owner
/// agency, administrators).
#[utoipa::path(post, path = "/api/datahub/datasets", tag = "datahub", request_body = DatasetFields,
    responses((status = 201, body = Dataset), (status = 401), (status = 403), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_dataset(State(hub): State<DataHub>, caller: Caller, Json(f): Json<DatasetFields>) -> Result<Response, ApiError> {
    let d = hub.create_dataset(&caller, &f, None).await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

/// A dataset by id or name (anyone, if they may read it; 404 otherwise).
#[utoipa::path(get, path = "/api/datahub/datasets/{id}", tag = "datahub", params(("id" = String, Path, description = "id or name")),
    responses((status = 200, body = Dataset), (status = 404)))]
async fn get_dataset(State(hub): State<DataHub>, caller: Caller, Path(id): Path<String>) -> Result<Json<Dataset>, ApiError> {
    Ok(Json(hub.dataset(&caller, &id).await?))
}

/// Replace a dataset's fields (its writers). Resources are changed through
/// their own routes.
#[utoipa::path(put, path = "/api/datahub/datasets/{id}", tag = "datahub", params(("id" = String, Path, description = "id or name")),
    request_body = DatasetFields, responses((status = 200, body = Dataset), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_dataset(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
    Json(f): Json<DatasetFields>,
) -> Result<Json<Dataset>, ApiError> {
    Ok(Json(hub.update_dataset(&caller, &id, &f, None).await?))
}

/// Delete a dataset (its writers).
#[utoipa::path(delete, path = "/api/datahub/datasets/{id}", tag = "datahub", params(("id" = String, Path, description = "id or name")),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_dataset(State(hub): State<DataHub>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    hub.delete_dataset(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a resource to a dataset (its writers): a link, or an `upload`
/// resource whose files are then uploaded as versions.
#[utoipa::path(post, path = "/api/datahub/datasets/{id}/resources", tag = "datahub", params(("id" = String, Path, description = "dataset id or name")),
    request_body = ResourceFields, responses((status = 201, body = Resource), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn add_resource(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
    Json(r): Json<ResourceFields>,
) -> Result<Response, ApiError> {
    let r = hub.create_resource(&caller, &id, &r).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// A resource (anyone who may read its dataset).
#[utoipa::path(get, path = "/api/datahub/resources/{id}", tag = "datahub", params(("id" = String, Path)),
    responses((status = 200, body = Resource), (status = 404)))]
async fn get_resource(State(hub): State<DataHub>, caller: Caller, Path(id): Path<String>) -> Result<Json<Resource>, ApiError> {
    Ok(Json(hub.resource(&caller, &id).await?.0))
}

/// Change a resource's name, description, format and (links) URL (its dataset's writers).
#[utoipa::path(put, path = "/api/datahub/resources/{id}", tag = "datahub", params(("id" = String, Path)), request_body = ResourceFields,
    responses((status = 200, body = Resource), (status = 401), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_resource(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
    Json(r): Json<ResourceFields>,
) -> Result<Json<Resource>, ApiError> {
    Ok(Json(hub.update_resource(&caller, &id, &r).await?))
}

/// Delete a resource (its dataset's writers).
#[utoipa::path(delete, path = "/api/datahub/resources/{id}", tag = "datahub", params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_resource(State(hub): State<DataHub>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    hub.delete_resource(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Licences, themes, update frequencies and sharing levels (public).
#[utoipa::path(get, path = "/api/datahub/vocabulary", tag = "datahub", responses((status = 200, body = Vocabulary)))]
async fn vocabulary() -> Json<Vocabulary> {
    Json(Vocabulary {
        licences: LICENCES.to_vec(),
        themes: THEMES.to_vec(),
        frequencies: FREQUENCIES.to_vec(),
        sharing_levels: SharingLevel::ALL.to_vec(),
    })
}

async fn rdf(hub: &DataHub, format: RdfFormat) -> Result<Response, ApiError> {
    let body = hub.dcat(format).await?;
    let ct = match format {
        RdfFormat::JsonLd => "application/ld+json",
        RdfFormat::Turtle => "text/turtle; charset=utf-8",
    };
    let mut resp = body.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    Ok(resp)
}

/// The public catalogue in DCAT-AP 3 (public): Turtle when the client
/// accepts `text/turtle` first, JSON-LD otherwise.
#[utoipa::path(get, path = "/api/datahub/catalog", tag = "datahub",
    responses((status = 200, description = "DCAT-AP 3 (JSON-LD, or Turtle when asked for)", content_type = "application/ld+json")))]
async fn catalog(State(hub): State<DataHub>, headers: HeaderMap) -> Result<Response, ApiError> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let turtle = accept.find("text/turtle").is_some_and(|t| accept.find("json").is_none_or(|j| t < j));
    rdf(&hub, if turtle { RdfFormat::Turtle } else { RdfFormat::JsonLd }).await
}

/// The public catalogue in DCAT-AP 3 as JSON-LD (public).
#[utoipa::path(get, path = "/api/datahub/dcat.jsonld", tag = "datahub",
    responses((status = 200, description = "DCAT-AP 3 JSON-LD", content_type = "application/ld+json")))]
async fn dcat_jsonld(State(hub): State<DataHub>) -> Result<Response, ApiError> {
    rdf(&hub, RdfFormat::JsonLd).await
}

/// The public catalogue in DCAT-AP 3 as Turtle (public).
#[utoipa::path(get, path = "/api/datahub/dcat.ttl", tag = "datahub",
    responses((status = 200, description = "DCAT-AP 3 Turtle", content_type = "text/turtle")))]
async fn dcat_turtle(State(hub): State<DataHub>) -> Result<Response, ApiError> {
    rdf(&hub, RdfFormat::Turtle).await
}
