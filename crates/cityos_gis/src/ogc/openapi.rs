//! The OpenAPI 3.0 document of `/ogc` (the `oas30` conformance class asks
//! for 3.0), built by hand so that every parameter is defined inline (no
//! remote `$ref`) and collection ids are an enum.

use super::meta::{Lang, CONFORMANCE};
use super::params::{self, QueryPairs, DEFAULT_LIMIT, MAX_LIMIT};
use super::{base_url, html, json_response, Format, OgcResult};
use crate::model::{self, AttrType};
use crate::Gis;
use axum::extract::State;
use cityos_geo::crs::Crs;
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

/// `GET /ogc/api`: the OpenAPI document (JSON) or its HTML rendering.
pub(crate) async fn document(State(gis): State<Gis>, headers: HeaderMap, q: QueryPairs) -> OgcResult {
    let f = params::only_f(&q.0)?;
    let format = Format::negotiate(f.as_deref(), &headers)?;
    let base = base_url(&gis, &headers);
    let doc = build(&base);
    Ok(match format {
        Format::Json => json_response(StatusCode::OK, "application/vnd.oai.openapi+json;version=3.0", &doc),
        Format::Html => super::html_response(html::api_doc(&base, Lang::from_headers(&headers), &doc)),
    })
}

fn exception() -> Value {
    json!({
        "description": "An OGC exception.",
        "content": { "application/json": { "schema": {
            "type": "object",
            "required": ["code"],
            "properties": { "code": { "type": "string" }, "description": { "type": "string" } },
        } } },
    })
}

fn link_schema() -> Value {
    json!({
        "type": "object",
        "required": ["href"],
        "properties": {
            "href": { "type": "string" }, "rel": { "type": "string" }, "type": { "type": "string" }, "title": { "type": "string" },
        },
    })
}

fn json_ok(description: &str, media: &str, schema: Value) -> Value {
    let mut content = Map::new();
    content.insert(media.into(), json!({ "schema": schema }));
    content.insert("text/html".into(), json!({ "schema": { "type": "string" } }));
    json!({ "description": description, "content": content })
}

fn f_param() -> Value {
    json!({
        "name": "f", "in": "query", "required": false,
        "description": "The response format (overrides the Accept header).",
        "schema": { "type": "string", "enum": ["json", "html"] },
        "style": "form", "explode": false,
    })
}

fn collection_id() -> Value {
    let ids: Vec<&str> = model::COLLECTIONS.iter().map(|c| c.id).collect();
    json!({ "name": "collectionId", "in": "path", "required": true, "description": "The collection.", "schema": { "type": "string", "enum": ids } })
}

fn feature_id() -> Value {
    json!({ "name": "featureId", "in": "path", "required": true, "description": "The feature.", "schema": { "type": "string" } })
}

fn crs_param(name: &str, description: &str) -> Value {
    let uris: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
    json!({
        "name": name, "in": "query", "required": false, "description": description,
        "schema": { "type": "string", "format": "uri", "enum": uris }, "style": "form", "explode": false,
    })
}

fn geometry_schema() -> Value {
    json!({
        "type": "object", "nullable": true, "required": ["type"],
        "properties": { "type": { "type": "string" }, "coordinates": { "type": "array", "items": {} } },
    })
}

fn feature_schema() -> Value {
    json!({
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": { "type": "string", "enum": ["Feature"] },
            "id": { "oneOf": [{ "type": "string" }, { "type": "integer" }] },
            "geometry": geometry_schema(),
            "properties": { "type": "object", "nullable": true },
            "links": { "type": "array", "items": link_schema() },
        },
    })
}

fn etag_header() -> Value {
    json!({ "ETag": { "description": "The feature version's entity tag, for If-Match.", "schema": { "type": "string" } } })
}

fn if_match() -> Value {
    json!({
        "name": "If-Match", "in": "header", "required": false,
        "description": "Only change the feature when its current ETag is this one (412 otherwise).",
        "schema": { "type": "string" },
    })
}

fn content_crs_header() -> Value {
    json!({
        "name": "Content-Crs", "in": "header", "required": false,
        "description": "The CRS of the body's coordinates, `<uri>`; CRS84 when absent.",
        "schema": { "type": "string" },
    })
}

fn write_errors(responses: &mut Map<String, Value>) {
    for (code, what) in [
        ("400", "Invalid body or parameters."),
        ("401", "No credentials."),
        ("403", "Not allowed for the owner agency."),
        ("404", "No such collection or feature."),
        ("412", "If-Match does not match the current ETag."),
        ("415", "Unsupported media type."),
    ] {
        let mut e = exception();
        e["description"] = what.into();
        responses.insert(code.into(), e);
    }
}

/// The queryables of `collections` as query parameters (queryables-query-parameters).
fn queryable_params(collections: &[model::CollectionDef]) -> Vec<Value> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for c in collections {
        for a in c.attributes() {
            if seen.contains(&a.name) {
                continue;
            }
            seen.push(a.name);
            let mut schema = match a.ty {
                AttrType::Text => json!({ "type": "string" }),
                AttrType::Number => json!({ "type": "number" }),
                AttrType::Integer => json!({ "type": "integer" }),
                AttrType::Date => json!({ "type": "string", "format": "date" }),
                AttrType::Timestamp => json!({ "type": "string", "format": "date-time" }),
            };
            if !a.values.is_empty() {
                schema["enum"] = a.values.iter().map(|v| Value::from(*v)).collect();
            }
            let only: Vec<&str> = collections.iter().filter(|c| c.attribute(a.name).is_some()).map(|c| c.id).collect();
            let scope = if only.len() == model::COLLECTIONS.len() { "every collection".to_string() } else { only.join(", ") };
            out.push(json!({
                "name": a.name, "in": "query", "required": false,
                "description": format!("{} / {}: features whose value equals this (queryable of {scope}).", a.title_vi, a.title_en),
                "schema": schema, "style": "form", "explode": false,
            }));
        }
    }
    out
}

/// The document, with `base` (ending in `/ogc`) as its server.
pub(crate) fn build(base: &str) -> Value {
    let simple_get = |summary: &str, op: &str, description: &str, media: &str, schema: Value| {
        json!({ "get": {
            "summary": summary, "operationId": op, "tags": ["Capabilities"],
            "parameters": [f_param()],
            "responses": { "200": json_ok(description, media, schema), "400": exception() },
        } })
    };
    let mut common_items_params = vec![
        f_param(),
        json!({
            "name": "limit", "in": "query", "required": false,
            "description": format!("Features per page; larger values are clamped to {MAX_LIMIT}."),
            "schema": { "type": "integer", "minimum": 1, "default": DEFAULT_LIMIT }, "style": "form", "explode": false,
        }),
        json!({
            "name": "offset", "in": "query", "required": false, "description": "Features to skip (used by the next/prev links).",
            "schema": { "type": "integer", "minimum": 0, "default": 0 }, "style": "form", "explode": false,
        }),
        json!({
            "name": "bbox", "in": "query", "required": false,
            "description": "minx,miny,maxx,maxy (or 6 numbers with heights), in bbox-crs (CRS84 by default).",
            "schema": { "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } }, "style": "form", "explode": false,
        }),
        crs_param("bbox-crs", "The CRS of bbox."),
        json!({
            "name": "datetime", "in": "query", "required": false,
            "description": "An RFC 3339 instant or date, or an interval start/end with `..` for an open end; matches features valid then.",
            "schema": { "type": "string" }, "style": "form", "explode": false,
        }),
        crs_param("crs", "The CRS of the response's coordinates (Content-Crs says which)."),
        json!({
            "name": "filter", "in": "query", "required": false, "description": "A CQL2 filter in filter-lang.",
            "schema": { "type": "string" }, "style": "form", "explode": false,
        }),
        json!({
            "name": "filter-lang", "in": "query", "required": false, "description": "The filter's encoding.",
            "schema": { "type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text" }, "style": "form", "explode": false,
        }),
        crs_param("filter-crs", "The CRS of the filter's geometry literals (other than CRS84: cql2-json only)."),
    ];
    common_items_params.push(json!({
        "name": "id", "in": "query", "required": false, "description": "Mã đối tượng / Feature id: the feature with this id (a queryable).",
        "schema": { "type": "string" }, "style": "form", "explode": false,
    }));
    let mut items_params = vec![collection_id()];
    items_params.extend(common_items_params.iter().cloned());
    items_params.extend(queryable_params(model::COLLECTIONS));
    let feature_collection = json!({
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": { "type": "string", "enum": ["FeatureCollection"] },
            "features": { "type": "array", "items": feature_schema() },
            "links": { "type": "array", "items": link_schema() },
            "timeStamp": { "type": "string", "format": "date-time" },
            "numberMatched": { "type": "integer", "minimum": 0 },
            "numberReturned": { "type": "integer", "minimum": 0 },
        },
    });
    let content_crs = json!({ "Content-Crs": { "description": "The CRS of the coordinates, `<uri>`.", "schema": { "type": "string" } } });
    let mut items_ok = json_ok("A page of features.", "application/geo+json", feature_collection);
    items_ok["headers"] = content_crs.clone();
    let mut feature_ok = json_ok("The feature.", "application/geo+json", feature_schema());
    let mut feature_headers = etag_header();
    if let (Some(h), Some(c)) = (feature_headers.as_object_mut(), content_crs.as_object()) {
        h.extend(c.clone());
    }
    feature_ok["headers"] = feature_headers.clone();
    let geojson_body = json!({ "required": true, "content": { "application/geo+json": { "schema": feature_schema() } } });
    let mut post_responses = Map::new();
    post_responses.insert(
        "201".into(),
        json!({
            "description": "Created.",
            "headers": {
                "Location": { "description": "The new feature's URL.", "schema": { "type": "string" } },
                "ETag": { "description": "Its entity tag.", "schema": { "type": "string" } },
            },
            "content": { "application/geo+json": { "schema": feature_schema() } },
        }),
    );
    write_errors(&mut post_responses);
    let mut change_responses = Map::new();
    change_responses.insert(
        "200".into(),
        json!({ "description": "Changed; the new version.", "headers": etag_header(), "content": { "application/geo+json": { "schema": feature_schema() } } }),
    );
    write_errors(&mut change_responses);
    let mut delete_responses = Map::new();
    delete_responses.insert("204".into(), json!({ "description": "Deleted (kept in the history)." }));
    write_errors(&mut delete_responses);
    let crs_only = vec![collection_id(), feature_id(), f_param(), crs_param("crs", "The CRS of the response's coordinates.")];
    // Each collection's items also under its own path, with only its own
    // queryables: clients and testers that read the parameters of a concrete
    // path (as OGC's abstract tests do) find them there.
    let concrete: Vec<(String, Value)> = model::COLLECTIONS
        .iter()
        .map(|c| {
            let mut params = common_items_params.clone();
            params.extend(queryable_params(std::slice::from_ref(c)));
            let op = json!({ "get": {
                "summary": format!("{} / {}", c.title_vi, c.title_en),
                "operationId": format!("getFeatures_{}", c.id.replace('-', "_")),
                "tags": ["Data"],
                "parameters": params,
                "responses": { "200": items_ok.clone(), "400": exception() },
            } });
            (format!("/collections/{}/items", c.id), op)
        })
        .collect();

    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "CityOS — OGC API – Features",
            "version": "1.0.0",
            "description": "Hạ tầng kỹ thuật đô thị Thành phố Hồ Chí Minh / Ho Chi Minh City's technical infrastructure networks. Conformance: see /conformance.",
            "license": { "name": "CityOS" },
        },
        "servers": [{ "url": base }],
        "tags": [
            { "name": "Capabilities", "description": "Landing page, conformance, collections." },
            { "name": "Data", "description": "Features (Part 1–3)." },
            { "name": "Transactions", "description": "Create, replace, update, delete (Part 4)." },
        ],
        "x-conformance": CONFORMANCE,
        "paths": {
            "/": simple_get("Landing page", "getLandingPage", "The landing page.", "application/json",
                json!({ "type": "object", "required": ["links"], "properties": { "title": { "type": "string" }, "description": { "type": "string" }, "links": { "type": "array", "items": link_schema() } } })),
            "/api": simple_get("This API definition", "getApiDefinition", "The OpenAPI 3.0 document.", "application/vnd.oai.openapi+json;version=3.0", json!({ "type": "object" })),
            "/conformance": simple_get("Conformance classes", "getConformance", "The conformance classes implemented.", "application/json",
                json!({ "type": "object", "required": ["conformsTo"], "properties": { "conformsTo": { "type": "array", "items": { "type": "string" } } } })),
            "/collections": simple_get("Collections", "getCollections", "Every collection.", "application/json",
                json!({ "type": "object", "required": ["links", "collections"], "properties": { "links": { "type": "array", "items": link_schema() }, "collections": { "type": "array", "items": { "type": "object" } }, "crs": { "type": "array", "items": { "type": "string" } } } })),
            "/collections/{collectionId}": { "get": {
                "summary": "A collection", "operationId": "describeCollection", "tags": ["Capabilities"],
                "parameters": [collection_id(), f_param()],
                "responses": { "200": json_ok("The collection.", "application/json", json!({ "type": "object", "required": ["id", "links"] })), "400": exception(), "404": exception() },
            } },
            "/collections/{collectionId}/queryables": { "get": {
                "summary": "Queryables of a collection", "operationId": "getQueryables", "tags": ["Data"],
                "parameters": [collection_id(), f_param()],
                "responses": { "200": json_ok("A JSON Schema of the queryable properties.", "application/schema+json", json!({ "type": "object" })), "400": exception(), "404": exception() },
            } },
            "/collections/{collectionId}/items": {
                "get": {
                    "summary": "Features of a collection", "operationId": "getFeatures", "tags": ["Data"],
                    "parameters": items_params,
                    "responses": { "200": items_ok, "400": exception(), "404": exception() },
                },
                "post": {
                    "summary": "Create a feature", "operationId": "createFeature", "tags": ["Transactions"],
                    "parameters": [collection_id(), content_crs_header()],
                    "requestBody": geojson_body.clone(),
                    "responses": post_responses,
                },
            },
            "/collections/{collectionId}/items/{featureId}": {
                "get": {
                    "summary": "A feature", "operationId": "getFeature", "tags": ["Data"],
                    "parameters": crs_only,
                    "responses": { "200": feature_ok, "304": { "description": "Not modified (If-None-Match)." }, "400": exception(), "404": exception() },
                },
                "put": {
                    "summary": "Replace a feature", "operationId": "replaceFeature", "tags": ["Transactions"],
                    "parameters": [collection_id(), feature_id(), if_match(), content_crs_header()],
                    "requestBody": geojson_body,
                    "responses": change_responses.clone(),
                },
                "patch": {
                    "summary": "Update a feature (JSON merge patch)", "operationId": "updateFeature", "tags": ["Transactions"],
                    "parameters": [collection_id(), feature_id(), if_match(), content_crs_header()],
                    "requestBody": { "required": true, "content": { "application/merge-patch+json": { "schema": { "type": "object" } } } },
                    "responses": change_responses,
                },
                "delete": {
                    "summary": "Delete a feature", "operationId": "deleteFeature", "tags": ["Transactions"],
                    "parameters": [collection_id(), feature_id(), if_match()],
                    "responses": delete_responses,
                },
            },
        },
    });
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.extend(concrete);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in the document (there should be none: parameters are inline).
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "$ref" {
                        out.push(v.to_string());
                    }
                    refs(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn document_is_openapi_30_without_refs_and_lists_collections() {
        let doc = build("http://x/ogc");
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.0."));
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.is_empty(), "{found:?}");
        let ids = &doc["paths"]["/collections/{collectionId}/items"]["get"]["parameters"][0]["schema"]["enum"];
        assert_eq!(ids.as_array().unwrap().len(), model::COLLECTIONS.len());
        // Every collection's own items path declares the Part 1 parameters; operation ids stay unique.
        let mut op_ids = std::collections::HashSet::new();
        for c in model::COLLECTIONS {
            let params = doc["paths"][format!("/collections/{}/items", c.id)]["get"]["parameters"].as_array().unwrap().clone();
            for name in ["bbox", "datetime", "limit", "crs", "filter"] {
                assert!(params.iter().any(|p| p["name"] == name && p["in"] == "query"), "{} lacks {name}", c.id);
            }
            assert!(!params.iter().any(|p| p["name"] == "collectionId"), "{}", c.id);
        }
        for ops in doc["paths"].as_object().unwrap().values() {
            for op in ops.as_object().unwrap().values() {
                assert!(op_ids.insert(op["operationId"].as_str().unwrap().to_string()), "{op}");
            }
        }
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (m, op) in ops.as_object().unwrap() {
                // Path parameters used must be declared.
                for name in ["collectionId", "featureId"] {
                    if path.contains(&format!("{{{name}}}")) {
                        assert!(op["parameters"].as_array().unwrap().iter().any(|p| p["name"] == name), "{m} {path} {name}");
                    }
                }
            }
        }
    }
}
