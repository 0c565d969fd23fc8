//! The OpenAPI document's frame and the browsable docs page.

use axum::response::Html;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};

/// Title, version and security schemes; modules add the paths.
#[must_use]
pub fn base_document() -> OpenApi {
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("CityOS API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "CityOS's own API. Standard APIs (Open311, OGC API, NGSI-LD, CKAN) are described by their own documents.",
                ))
                .build(),
        )
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    components.add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-CKAN-API-Key"))));
    doc
}

/// `GET /api/docs`: Swagger UI, served from the console's own assets (no CDN).
pub async fn swagger_page() -> Html<&'static str> {
    Html(
        r##"<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>CityOS API</title>
<link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"><noscript>Bật JavaScript để xem tài liệu API, hoặc tải <a href="/api/openapi.json">/api/openapi.json</a>.</noscript></div>
<script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script>window.onload=function(){window.ui=SwaggerUIBundle({url:"/api/openapi.json",dom_id:"#swagger-ui",deepLinking:true});};</script>
</body></html>"##,
    )
}
