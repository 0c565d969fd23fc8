//! The open data portal's usage counts (`POST /api/datahub/datasets/{id}/usage`):
//! anyone may report a view or a download of an open dataset; each visitor
//! (address and browser) counts once a day and kind; other datasets are 404.

use crate::harness::{assert_problem, TestApp};
use serde_json::{json, Value};
use sqlx::Row as _;

async fn create(t: &TestApp, token: &str, name: &str, level: &str, state: &str) {
    let body =
        json!({ "name": name, "title_vi": format!("Bộ dữ liệu {name}"), "owner_agency": "SO-YT", "sharing_level": level, "state": state });
    let r = t.post("/api/datahub/datasets", Some(token), &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
}

/// Reports a use as a browser would: anonymous, with a User-Agent.
async fn report(t: &TestApp, name: &str, kind: &str, agent: &str) -> reqwest::Response {
    t.http
        .post(format!("{}/api/datahub/datasets/{name}/usage", t.url))
        .header("user-agent", agent)
        .json(&json!({ "kind": kind }))
        .send()
        .await
        .unwrap()
}

async fn counts(t: &TestApp, name: &str) -> (i64, i64) {
    let r = t.get(&format!("/api/datahub/datasets/{name}"), None).await;
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    (d["views"].as_i64().unwrap(), d["downloads"].as_i64().unwrap())
}

#[tokio::test]
async fn views_and_downloads_count_once_a_day_per_visitor() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    create(&t, &officer, "co-so-y-te-thu", "open", "active").await;
    assert_eq!(counts(&t, "co-so-y-te-thu").await, (0, 0));

    assert_eq!(report(&t, "co-so-y-te-thu", "view", "Firefox").await.status(), 204);
    assert_eq!(counts(&t, "co-so-y-te-thu").await, (1, 0));
    // The same visitor again the same day: the answer is the same, the count is not.
    assert_eq!(report(&t, "co-so-y-te-thu", "view", "Firefox").await.status(), 204);
    assert_eq!(counts(&t, "co-so-y-te-thu").await, (1, 0));
    // Another browser is another visitor; downloads count on their own.
    assert_eq!(report(&t, "co-so-y-te-thu", "view", "Chromium").await.status(), 204);
    assert_eq!(report(&t, "co-so-y-te-thu", "download", "Firefox").await.status(), 204);
    assert_eq!(report(&t, "co-so-y-te-thu", "download", "Firefox").await.status(), 204);
    assert_eq!(counts(&t, "co-so-y-te-thu").await, (2, 1));
    // A signed-in official on the portal counts like anyone (the dataset is addressed by id here).
    let id = t.get("/api/datahub/datasets/co-so-y-te-thu", None).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let r = t.post(&format!("/api/datahub/datasets/{id}/usage"), Some(&officer), &json!({ "kind": "view" })).await;
    assert_eq!(r.status(), 204);
    assert_eq!(counts(&t, "co-so-y-te-thu").await, (3, 1));

    // The next day the same visitor counts again, and two days on the old rows are gone.
    t.clock.advance(chrono::Duration::days(1));
    assert_eq!(report(&t, "co-so-y-te-thu", "view", "Firefox").await.status(), 204);
    assert_eq!(counts(&t, "co-so-y-te-thu").await, (4, 1));
    t.clock.advance(chrono::Duration::days(2));
    assert_eq!(report(&t, "co-so-y-te-thu", "download", "Firefox").await.status(), 204);
    let days: Vec<String> = sqlx::query("SELECT DISTINCT day FROM dataset_usage_visits")
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("day").unwrap())
        .collect();
    assert_eq!(days.len(), 1, "{days:?}");
    // No address is stored: visitors are 32-hex-digit pseudonyms.
    let visitors: Vec<String> = sqlx::query("SELECT visitor FROM dataset_usage_visits")
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("visitor").unwrap())
        .collect();
    assert!(visitors.iter().all(|v| v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit())), "{visitors:?}");
    assert_eq!(counts(&t, "co-so-y-te-thu").await, (4, 2));
    t.cleanup().await;
}

#[tokio::test]
async fn only_open_active_datasets_are_counted() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    create(&t, &officer, "ho-so-benh-an", "shared", "active").await;
    create(&t, &officer, "tram-y-te-nhap", "open", "draft").await;
    // A dataset the public cannot see is not there for counting either, even for its own officer.
    assert_problem(report(&t, "ho-so-benh-an", "view", "Firefox").await, 404, "not_found").await;
    let r = t.post("/api/datahub/datasets/tram-y-te-nhap/usage", Some(&officer), &json!({ "kind": "view" })).await;
    assert_problem(r, 404, "not_found").await;
    assert_problem(report(&t, "khong-co", "view", "Firefox").await, 404, "not_found").await;
    let counted: i64 = sqlx::query("SELECT COUNT(*) AS n FROM datasets WHERE views > 0 OR downloads > 0")
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(counted, 0);
    // Only `view` and `download` are uses.
    create(&t, &officer, "cho-thu", "open", "active").await;
    let r = t.post("/api/datahub/datasets/cho-thu/usage", None, &json!({ "kind": "like" })).await;
    assert!(r.status() == 400 || r.status() == 422, "{}", r.status());
    let r = t.post("/api/datahub/datasets/cho-thu/usage", None, &json!({ "kind": "view", "count": 1000 })).await;
    assert!(r.status() == 400 || r.status() == 422, "{}", r.status());
    assert_eq!(counts(&t, "cho-thu").await, (0, 0));
    t.cleanup().await;
}
