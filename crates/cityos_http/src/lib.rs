//! The HTTP platform: one [`App`] holding the shared services, and
//! [`router`] composing every module's routes behind the cross-cutting
//! layers — request ids, structured request logs, Prometheus metrics per
//! matched route, security headers, body and time limits, per-address rate
//! limits for anonymous callers, authentication (session cookie with CSRF
//! check, bearer token, API key) — plus `/healthz`, `/readyz`, `/metrics`,
//! `/api/openapi.json`, `/api/docs`, the live event stream `/api/events` and
//! the web console.
//!
//! Architecture invariant: modules contribute `OpenApiRouter`s; this crate
//! owns no domain logic. Errors raised outside handlers are rendered by the
//! [`cityos_api::ErrorFormat`] registered for the request's path family.

mod auth;
mod calendar;
mod docs;
mod events;
mod forecast_source;
mod metrics_layer;
mod ratelimit;
pub mod workers;

pub use calendar::calendar_from;
pub use workers::spawn_workers;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use cityos_api::{ApiError, ErrorFormat, ProblemJson};
use cityos_core::config::Config;
use cityos_core::SharedClock;
use cityos_events::EventBus;
use cityos_identity::Identity;
use cityos_store::Db;
use http::{header, HeaderValue, StatusCode};
use std::sync::Arc;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_axum::router::OpenApiRouter;

/// Everything the server shares between requests.
#[derive(Debug, Clone)]
pub struct App {
    /// Effective configuration.
    pub config: Arc<Config>,
    /// Database.
    pub db: Db,
    /// Clock.
    pub clock: SharedClock,
    /// Identity service.
    pub identity: Identity,
    /// Event bus fed by the outbox dispatcher.
    pub bus: Arc<dyn EventBus>,
    /// Key that signs audit seals.
    pub seal_key: Arc<Vec<u8>>,
    /// Public holidays for working-day deadlines.
    pub calendar: Arc<cityos_calendar::HolidayCalendar>,
    /// Citizen feedback (1022).
    pub feedback: cityos_feedback::Feedback,
    /// Data hub and open data.
    pub datahub: cityos_datahub::DataHub,
    /// Infrastructure GIS.
    pub gis: cityos_gis::Gis,
    /// Forecasting centre.
    pub forecast: cityos_forecast::ForecastCentre,
    /// Rate limiter for anonymous callers.
    pub(crate) limiter: Arc<ratelimit::Limiter>,
    /// Turns true when the server starts shutting down: long-lived streams
    /// and workers end, so in-flight requests can finish.
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
}

impl App {
    /// Assembles the shared services.
    ///
    /// # Errors
    /// An invalid `[calendar]` or `[geocoder]` section.
    pub fn new(config: Config, db: Db, clock: SharedClock, bus: Arc<dyn EventBus>, seal_key: Vec<u8>) -> Result<Self, String> {
        let identity = Identity::new(db.clone(), clock.clone(), config.security.clone());
        let limiter = Arc::new(ratelimit::Limiter::new(config.security.public_rate_limit_per_minute));
        let calendar = Arc::new(calendar_from(&config)?);
        let stopping = Arc::new(tokio::sync::watch::channel(false).0);
        let geocoder = cityos_feedback::geocode::Geocoder::from_config(&config.geocoder)?;
        let feedback =
            cityos_feedback::Feedback::new(db.clone(), clock.clone(), calendar.clone(), identity.clone(), &config.server.public_url)
                .with_geocoder(geocoder);
        let datahub =
            cityos_datahub::DataHub::new(db.clone(), clock.clone(), identity.clone(), &config.storage.data_dir, &config.server.public_url);
        let gis = cityos_gis::Gis::new(db.clone(), clock.clone(), identity.clone(), &config.server.public_url);
        let forecast = cityos_forecast::ForecastCentre::new(db.clone(), clock.clone(), identity.clone())
            .with_datasets(Arc::new(forecast_source::HubColumns::new(datahub.clone())));
        Ok(Self {
            config: Arc::new(config),
            db,
            clock,
            identity,
            bus,
            seal_key: Arc::new(seal_key),
            calendar,
            feedback,
            datahub,
            gis,
            forecast,
            limiter,
            stopping,
        })
    }

    /// Starts shutting down: event streams close and workers stop.
    pub fn begin_shutdown(&self) {
        self.stopping.send_replace(true);
    }

    /// A receiver that turns true when shutdown begins.
    #[must_use]
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }
}

/// Error format per path family. Standard API families register here as
/// they arrive (OGC, NGSI-LD, CKAN): `/open311` answers Open311 error
/// arrays (XML for `.xml` paths); `/api` and the rest use problem+json.
#[must_use]
pub fn error_format_for(path: &str) -> &'static dyn ErrorFormat {
    static PROBLEM: ProblemJson = ProblemJson;
    if path == "/open311" || path.starts_with("/open311/") {
        return cityos_feedback::open311::Open311Errors::for_path(path);
    }
    if cityos_datahub::ckan::is_ckan_path(path) {
        static CKAN: cityos_datahub::ckan::CkanErrors = cityos_datahub::ckan::CkanErrors;
        return &CKAN;
    }
    if cityos_gis::ogc::is_ogc_path(path) {
        static OGC: cityos_gis::ogc::OgcErrors = cityos_gis::ogc::OgcErrors;
        return &OGC;
    }
    &PROBLEM
}

/// Renders `err` in the format of `path`'s API family.
#[must_use]
pub fn render_error(path: &str, err: &ApiError) -> Response {
    error_format_for(path).render(err)
}

/// The `/api` routes of every module, with their OpenAPI description.
#[must_use]
pub fn api_routes(app: &App) -> OpenApiRouter {
    let identity = cityos_identity::routes::router(cityos_identity::routes::IdentityRoutes {
        identity: app.identity.clone(),
        cookie_secure: app.config.cookie_secure(),
    });
    let audit = cityos_audit::routes::router(cityos_audit::routes::AuditRoutes { db: app.db.clone(), clock: app.clock.clone() });
    OpenApiRouter::with_openapi(docs::base_document())
        .merge(identity)
        .merge(audit)
        .merge(events::router(app.clone()))
        .merge(calendar::router(app.clone()))
        .merge(cityos_feedback::routes::router(app.feedback.clone()))
        .merge(cityos_feedback::push::router(app.feedback.clone(), &app.config.push))
        .merge(cityos_feedback::media::router(app.feedback.clone(), &app.config.storage.data_dir, app.config.media.clone()))
        .merge(cityos_feedback::calls::router(app.feedback.clone(), app.bus.clone(), app.stopping()))
        .merge(cityos_datahub::routes::router(app.datahub.clone()))
        .merge(cityos_datahub::query_api::router(app.datahub.clone()))
        .merge(cityos_datahub::sharing::router(app.datahub.clone()))
        .merge(cityos_datahub::portal::router(app.datahub.clone()))
        .merge(cityos_datahub::gateway::router(cityos_datahub::gateway::Gateway::new(app.datahub.clone(), &app.seal_key)))
        .merge(cityos_gis::routes::router(app.gis.clone()))
        .merge(cityos_forecast::routes::router(app.forecast.clone()))
}

/// The whole HTTP application.
pub fn router(app: App) -> Router {
    let (api, openapi) = api_routes(&app).split_for_parts();
    let openapi = Arc::new(openapi);
    let web_dir = app.config.server.web_dir.clone();
    let console = ServeDir::new(&web_dir).fallback(ServeFile::new(web_dir.join("index.html")));
    let max_body = app.config.server.max_body_bytes;
    let upload_max = cityos_feedback::media::upload_body_limit(&app.config.media);
    let timeout = Duration::from_secs(app.config.server.request_timeout_secs.max(1));
    let hsts = app.config.server.public_url.starts_with("https://");

    let platform = Router::new().route("/readyz", get(readyz)).with_state(app.clone());
    let mut r = Router::new()
        .merge(api)
        .merge(cityos_feedback::open311::router(app.feedback.clone()))
        .merge(cityos_datahub::ckan::router(app.datahub.clone()))
        .merge(cityos_gis::ogc::router(app.gis.clone()))
        .merge(cityos_datahub::gateway::proxy_router(cityos_datahub::gateway::Gateway::new(app.datahub.clone(), &app.seal_key)))
        .merge(cityos_feedback::webhooks::router(app.feedback.clone(), app.config.webhooks.clone()))
        .merge(cityos_feedback::calls::webhook_router(app.feedback.clone(), app.config.webhooks.clone()))
        .merge(platform)
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route("/api/docs", get(docs::swagger_page))
        .route("/api", get(|| async { axum::response::Redirect::permanent("/api/docs") }))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .route("/open311/{*rest}", axum::routing::any(api_not_found))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics_layer::render))
        .fallback_service(console)
        .layer(axum::middleware::from_fn_with_state(app.clone(), auth::authenticate))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            // Photo and video uploads have their own, larger limit.
            let max = if cityos_feedback::media::is_upload_path(req.uri().path()) {
                upload_max.max(max_body)
            } else if cityos_datahub::ingest::is_upload_path(req.uri().path()) || cityos_datahub::ckan::is_upload_path(req.uri().path()) {
                // Dataset versions stream to disk as they arrive; the ingest enforces its own limit.
                cityos_datahub::ingest::MAX_UPLOAD_BYTES.max(max_body)
            } else if cityos_gis::imports::is_upload_path(req.uri().path()) {
                cityos_gis::imports::MAX_IMPORT_BYTES.max(max_body)
            } else {
                max_body
            };
            body_limit(max, req, next)
        }))
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| time_limit(timeout, req, next)))
        .layer(axum::middleware::from_fn(metrics_layer::track))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &http::Request<axum::body::Body>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    if hsts {
        r = r.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    r
}

async fn api_not_found(uri: http::Uri) -> Response {
    render_error(uri.path(), &ApiError::not_found(format!("no route {}", uri.path())))
}

/// Answers 408 when a request runs past `limit`. A dataset upload (up to
/// 2 GiB, loaded into the datastore before it answers) and a GIS import
/// (validated and written before it answers) are not limited: they end when
/// the body does, and the module checks its size.
async fn time_limit(limit: Duration, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    if cityos_datahub::ingest::is_upload_path(path)
        || cityos_datahub::ckan::is_upload_path(path)
        || cityos_gis::imports::is_upload_path(path)
    {
        return next.run(req).await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// Refuses a declared body over the limit before reading it; chunked bodies
/// are cut off by `DefaultBodyLimit` in the extractors.
async fn body_limit(max: usize, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        let e = ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Request body too large")
            .detail(format!("The body may be at most {max} bytes."));
        return render_error(req.uri().path(), &e);
    }
    next.run(req).await
}

async fn readyz(State(app): State<App>) -> Response {
    match app.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => ApiError::unavailable(&e).into_response(),
    }
}

async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let is_docs = req.uri().path() == "/api/docs";
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(self)"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    // The console and the API docs load only their own assets; Swagger UI needs inline styles and its init script.
    let csp = if is_docs {
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    } else {
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
    };
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(csp));
    resp
}
