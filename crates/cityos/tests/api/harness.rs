//! A CityOS served on a free loopback port over a fresh test database,
//! seeded with the demo city, with a clock the test controls.

use cityos_core::config::Config;
use cityos_core::{Clock, ManualClock, SharedClock, SystemClock};
use cityos_events::InProcessBus;
use cityos_http::App;
use cityos_store::testing::TestDb;
use serde_json::Value;
use sqlx::Row as _;
use std::net::SocketAddr;
use std::sync::Arc;

pub struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    pub app: App,
    pub clock: ManualClock,
    tdb: TestDb,
}

pub const SEAL_KEY: &[u8] = b"test-seal-key";

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let tdb = TestDb::new().await;
        tdb.db.migrate(cityos::MIGRATIONS).await.expect("migrate");
        let mut cfg = Config::default();
        cfg.storage.data_dir = tdb.dir.clone();
        cfg.server.web_dir = tdb.dir.join("web");
        cfg.security.public_rate_limit_per_minute = 100_000;
        // The 1022 open data feed would add a dataset mid-test; tests that need it publish it themselves.
        cfg.open_data.feedback_owner_agency = String::new();
        configure(&mut cfg);
        let clock = ManualClock::new(SystemClock.now());
        let shared: SharedClock = Arc::new(clock.clone());
        let app = App::new(cfg, tdb.db.clone(), shared, Arc::new(InProcessBus::default()), SEAL_KEY.to_vec()).expect("app");
        cityos::demo::seed(&app.identity).await.expect("seed demo");
        let _workers = cityos_http::spawn_workers(&app);
        let mut rx = app.stopping();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = cityos_http::router(app.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await;
        });
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self { url: format!("http://{addr}"), http, app, clock, tdb }
    }

    pub fn db(&self) -> &cityos_store::Db {
        &self.tdb.db
    }

    pub async fn cleanup(self) {
        self.app.begin_shutdown();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        self.tdb.cleanup().await;
    }

    pub async fn totp_secret(&self, username: &str) -> Option<String> {
        sqlx::query("SELECT totp_secret FROM users WHERE username = $1")
            .bind(username)
            .fetch_one(self.db().reader())
            .await
            .expect("user")
            .try_get("totp_secret")
            .expect("column")
    }

    /// The current TOTP code of a user, at the test clock's time.
    pub async fn totp(&self, username: &str) -> String {
        let secret = self.totp_secret(username).await.expect("user has a TOTP secret");
        cityos_identity::totp_code(&secret, u64::try_from(self.clock.now().timestamp()).expect("time")).expect("code")
    }

    /// Signs a demo user in (with a fresh TOTP code where needed) and returns the bearer token.
    pub async fn login(&self, username: &str) -> String {
        let mut body = serde_json::json!({ "username": username, "password": cityos::demo::demo_password(username) });
        if self.totp_secret(username).await.is_some() && needs_code(username) {
            // Each code is accepted once: move to the next 30-second step first.
            self.clock.advance(chrono::Duration::seconds(30));
            body["totp"] = Value::String(self.totp(username).await);
        }
        let r = self.post("/api/auth/login", None, &body).await;
        assert_eq!(r.status(), 200, "login {username}: {}", r.text().await.unwrap_or_default());
        r.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut rb = self.http.get(format!("{}{path}", self.url));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut rb = self.http.post(format!("{}{path}", self.url)).json(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb.send().await.expect("request")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut rb = self.http.delete(format!("{}{path}", self.url));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb.send().await.expect("request")
    }

    pub async fn user_id(&self, username: &str) -> String {
        self.app.identity.user_id(username).await.expect("db").expect("user exists")
    }

    /// The password of users made by [`TestApp::agency_user`].
    pub const AGENCY_USER_PASSWORD: &'static str = "Str0ng-passw0rd!";

    /// A bearer token of a new staff user holding `role` for `agency`.
    pub async fn agency_user(&self, username: &str, agency: &str, role: cityos_api::Role) -> String {
        let u = self
            .app
            .identity
            .create_user(
                None,
                &cityos_identity::NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    password: Self::AGENCY_USER_PASSWORD.into(),
                    agency_code: Some(agency.into()),
                },
            )
            .await
            .expect("create user");
        self.app.identity.grant(None, &u.id, role, &cityos_api::Scope::Agency(agency.into())).await.expect("grant");
        let r =
            self.post("/api/auth/login", None, &serde_json::json!({"username": username, "password": Self::AGENCY_USER_PASSWORD})).await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string()
    }

    /// A new API key acting as the holder of `token`.
    pub async fn api_key(&self, token: &str, name: &str) -> String {
        let r = self.post("/api/auth/api-keys", Some(token), &serde_json::json!({"name": name})).await;
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.expect("json")["key"].as_str().expect("key").to_string()
    }
}

fn needs_code(username: &str) -> bool {
    matches!(username, "admin" | "agency_admin" | "auditor")
}

/// Asserts a problem+json answer with `status` and `code`.
pub async fn assert_problem(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(ct, "application/problem+json", "content type");
    let body: Value = r.json().await.expect("problem body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["type"].is_string());
    body
}
