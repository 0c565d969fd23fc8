//! Tests that run the real `cityos` binary: crash durability (kill -9),
//! backup under write load and restore, `audit verify`, configuration errors.

use cityos_store::testing::{create_pg_database, drop_pg_database, test_backend};
use cityos_store::{Backend, Db};
use serde_json::{json, Value};
use sqlx::Row as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_cityos");

/// A data directory and, on PostgreSQL, a database of its own.
struct Site {
    dir: std::path::PathBuf,
    pg: Option<(String, String)>,
}

impl Site {
    async fn new() -> Self {
        let name = format!("cityos_test_{}", cityos_store::new_suffix());
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        let pg = match test_backend() {
            Backend::Postgres => Some((name.clone(), create_pg_database(&name).await)),
            Backend::Sqlite => None,
        };
        Self { dir, pg }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args).arg("--data-dir").arg(&self.dir).env("CITYOS_LOG", "warn").env_remove("CITYOS_CONFIG");
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CITYOS_") && k.contains("__")) {
            c.env_remove(k);
        }
        if let Some((_, url)) = &self.pg {
            c.env("CITYOS_DATABASE__URL", url);
        }
        c
    }

    fn run(&self, args: &[&str]) -> (bool, String) {
        let out = self.cmd(args).output().unwrap();
        (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }

    async fn db(&self) -> Db {
        let url = match &self.pg {
            Some((_, url)) => url.clone(),
            None => format!("sqlite://{}", self.dir.join("cityos.db").display()),
        };
        Db::connect(&url, 2).await.unwrap()
    }

    async fn cleanup(self) {
        if let Some((name, _)) = &self.pg {
            drop_pg_database(name).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGKILL (a no-op if the test already killed it), then reap.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(site: &Site) -> Server {
    let port = free_port();
    let child = site.cmd(&["serve", "--listen", &format!("127.0.0.1:{port}")]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let server = Server { child, url: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    for _ in 0..150 {
        if client.get(format!("{}/readyz", server.url)).send().await.is_ok_and(|r| r.status() == 200) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not start");
}

async fn login(url: &str, user: &str, password: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{url}/api/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

async fn create_key(url: &str, token: &str, name: &str) -> bool {
    let r = reqwest::Client::new().post(format!("{url}/api/auth/api-keys")).bearer_auth(token).json(&json!({"name": name})).send().await;
    r.is_ok_and(|r| r.status() == 201)
}

async fn key_names(db: &Db) -> Vec<String> {
    sqlx::query("SELECT name FROM api_keys ORDER BY name")
        .fetch_all(db.reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("name"))
        .collect()
}

const PW: &str = "Van-hanh-2025";

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let site = Site::new().await;
    let (ok, out) = site.run(&["user", "add", "--username", "vanhanh", "--password", PW, "--role", "operator"]);
    assert!(ok, "{out}");
    let mut server = start(&site).await;
    let token = login(&server.url, "vanhanh", PW).await;
    for i in 0..25 {
        assert!(create_key(&server.url, &token, &format!("k{i:03}")).await);
    }
    // SIGKILL right after the last acknowledgement: no shutdown, no flush.
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let mut again = start(&site).await;
    let token = login(&again.url, "vanhanh", PW).await;
    let keys: Value = reqwest::Client::new()
        .get(format!("{}/api/auth/api-keys", again.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["items"].as_array().unwrap().len(), 25, "every acknowledged write is still there");
    again.child.kill().unwrap();
    again.child.wait().unwrap();
    let (ok, out) = site.run(&["audit", "verify"]);
    assert!(ok && out.contains("intact"), "{out}");
    site.cleanup().await;
}

#[tokio::test]
async fn audit_verify_names_the_altered_row() {
    let site = Site::new().await;
    assert!(site.run(&["user", "add", "--username", "vanhanh", "--password", PW, "--role", "operator"]).0);
    let mut server = start(&site).await;
    let token = login(&server.url, "vanhanh", PW).await;
    for i in 0..4 {
        assert!(create_key(&server.url, &token, &format!("k{i}")).await);
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let (ok, out) = site.run(&["audit", "verify"]);
    assert!(ok, "{out}");
    let db = site.db().await;
    sqlx::query("UPDATE audit_log SET actor = 'user:someone-else' WHERE seq = 3").execute(db.writer()).await.unwrap();
    db.close().await;
    let (ok, out) = site.run(&["audit", "verify"]);
    assert!(!ok, "verify must fail: {out}");
    assert!(out.contains("BROKEN at record 3"), "{out}");
    site.cleanup().await;
}

#[tokio::test]
async fn backup_under_write_load_restores_into_a_fresh_site() {
    let site = Site::new().await;
    assert!(site.run(&["user", "add", "--username", "vanhanh", "--password", PW, "--role", "operator"]).0);
    let mut server = start(&site).await;
    let token = login(&server.url, "vanhanh", PW).await;
    for i in 0..10 {
        assert!(create_key(&server.url, &token, &format!("a{i:04}")).await);
    }
    // Keep writing while the backup runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (url, tok, st) = (server.url.clone(), token.clone(), stop.clone());
    let writer = tokio::spawn(async move {
        let mut n = 0;
        while !st.load(std::sync::atomic::Ordering::Relaxed) {
            if create_key(&url, &tok, &format!("b{n:04}")).await {
                n += 1;
            }
        }
        n
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backup_dir = site.dir.join("backup");
    let out = site.cmd(&["backup", "--to", backup_dir.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written_during = writer.await.unwrap();
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    assert!(written_during > 0, "writes happened during the backup");

    let fresh = Site::new().await;
    let (ok, out) = fresh.run(&["restore", "--from", backup_dir.to_str().unwrap(), "--force"]);
    assert!(ok, "{out}");
    let (ok, out) = fresh.run(&["audit", "verify"]);
    assert!(ok && out.contains("intact"), "the restored audit chain is consistent: {out}");
    let original = key_names(&site.db().await).await;
    let restored = key_names(&fresh.db().await).await;
    // A consistent snapshot: everything acknowledged before the backup, and a prefix of what came during it.
    assert!(restored.iter().filter(|n| n.starts_with('a')).count() == 10, "{restored:?}");
    assert!(restored.iter().all(|n| original.contains(n)));
    let during: Vec<&String> = restored.iter().filter(|n| n.starts_with('b')).collect();
    let expected: Vec<String> = (0..during.len()).map(|i| format!("b{i:04}")).collect();
    assert_eq!(during.iter().map(|s| s.as_str()).collect::<Vec<_>>(), expected.iter().map(String::as_str).collect::<Vec<_>>());
    // The restored site serves.
    let mut s2 = start(&fresh).await;
    let t2 = login(&s2.url, "vanhanh", PW).await;
    assert_eq!(reqwest::Client::new().get(format!("{}/api/auth/me", s2.url)).bearer_auth(&t2).send().await.unwrap().status(), 200);
    s2.child.kill().unwrap();
    s2.child.wait().unwrap();
    site.cleanup().await;
    fresh.cleanup().await;
}

#[tokio::test]
async fn configuration_errors_name_the_key_and_secrets_stay_hidden() {
    let site = Site::new().await;
    let out = site.cmd(&["config"]).env("CITYOS_SERVER__LISTN", "x").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("listn") && err.contains("CITYOS_SERVER__LISTN"), "{err}");
    let out = Command::new(BIN)
        .arg("config")
        .env("CITYOS_DATABASE__URL", "postgres://city:hunter2@db.example/cityos")
        .env("CITYOS_NOTIFY__SMTP__PASSWORD", "s3cret")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("postgres://city:<redacted>@db.example/cityos") && !text.contains("hunter2") && !text.contains("s3cret"),
        "{text}"
    );
    let cfg = site.dir.join("bad.toml");
    std::fs::write(&cfg, "[server]\nlisten = 5\n").unwrap();
    let out = Command::new(BIN).arg("--config").arg(&cfg).arg("config").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
    site.cleanup().await;
}

#[tokio::test]
async fn sigterm_closes_event_streams_and_exits_cleanly() {
    let site = Site::new().await;
    let mut server = start(&site).await;
    // A long-lived connection must not keep the server from stopping.
    let stream = reqwest::Client::new().get(format!("{}/api/events", server.url)).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let mut exited = None;
    for _ in 0..100 {
        if let Some(status) = server.child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = exited.expect("the server stops within 10 s of SIGTERM");
    assert!(status.success(), "{status}");
    // The stream ended rather than hanging.
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.bytes()).await.expect("the stream closed instead of hanging");
    site.cleanup().await;
}

#[tokio::test]
async fn official_boundaries_replace_illustrative_ones_by_import() {
    let site = Site::new().await;
    let file = site.dir.join("wards.geojson");
    let square = json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"code": "26740", "name": "Phường Sài Gòn", "division_type": "phường"},
        "geometry": {"type": "Polygon", "coordinates": [[[106.69, 10.77], [106.71, 10.77], [106.71, 10.79], [106.69, 10.79], [106.69, 10.77]]]}
    }]});
    std::fs::write(&file, square.to_string()).unwrap();
    let (ok, out) = site.run(&["import", "jurisdictions", file.to_str().unwrap()]);
    assert!(ok && out.contains("imported 1"), "{out}");
    let db = site.db().await;
    let row = sqlx::query("SELECT boundary_source, name FROM jurisdictions WHERE code = '26740'").fetch_one(db.reader()).await.unwrap();
    assert_eq!(row.get::<String, _>("boundary_source"), "imported");
    db.close().await;
    // Malformed input changes nothing and says why.
    std::fs::write(&file, r#"{"type":"FeatureCollection","features":[{"properties":{},"geometry":null}]}"#).unwrap();
    let (ok, out) = site.run(&["import", "jurisdictions", file.to_str().unwrap()]);
    assert!(!ok && out.contains("properties.code"), "{out}");
    site.cleanup().await;
}
