//! Addresses to places: the city's geocoder (a local Nominatim-shaped server
//! standing in for it) locates addresses without ward names; without it, or
//! when it is down, the ward named in the address decides.

use crate::harness::{assert_problem, TestApp};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// A point inside Phường Bến Thành (GSO 26743): its published centroid.
const BEN_THANH: (f64, f64) = (10.7713, 106.694);

/// A geocoder that knows one street and records what it was asked.
async fn start_geocoder() -> (String, Arc<Mutex<Vec<String>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    let app = axum::Router::new().route(
        "/search",
        axum::routing::get(move |q: axum::extract::Query<std::collections::HashMap<String, String>>| {
            let log = log.clone();
            async move {
                let text = q.get("q").cloned().unwrap_or_default();
                assert_eq!(q.get("format").map(String::as_str), Some("jsonv2"));
                log.lock().unwrap().push(text.clone());
                if text.contains("Lê Lợi") {
                    axum::Json(json!([{"lat": BEN_THANH.0.to_string(), "lon": BEN_THANH.1.to_string(), "display_name": "Lê Lợi"}]))
                } else {
                    axum::Json(json!([]))
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/search", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, asked)
}

async fn seeded(t: &TestApp) {
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 0).await.unwrap();
}

#[tokio::test]
async fn the_city_geocoder_locates_an_address_and_the_report_is_routed_by_it() {
    let (url, asked) = start_geocoder().await;
    let t = TestApp::spawn_with(move |cfg| cfg.geocoder.url = url).await;
    seeded(&t).await;
    let place: Value = t.get("/api/feedback/geocode?q=135%20L%C3%AA%20L%E1%BB%A3i", None).await.json().await.unwrap();
    assert_eq!(place["source"], "geocoder");
    assert_eq!(place["jurisdiction_code"], "26743");
    let r =
        t.post("/api/feedback/reports", None, &json!({"description": "Đèn đường không sáng cả tuần nay", "address": "135 Lê Lợi"})).await;
    assert_eq!(r.status(), 201);
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["jurisdiction_code"], "26743", "routed by the geocoder's point: {r}");
    assert_eq!(r["status"], "forwarded");
    let (lat, lon) = (r["lat"].as_f64().unwrap(), r["lon"].as_f64().unwrap());
    assert!((lat - BEN_THANH.0).abs() < 0.002 && (lon - BEN_THANH.1).abs() < 0.002, "the report has the point: {r}");
    assert!(asked.lock().unwrap().iter().any(|q| q == "135 Lê Lợi"));
    // An address the geocoder does not know still finds its ward by name.
    let place: Value = t
        .get("/api/feedback/geocode?q=h%E1%BA%BBm%201%2C%20ph%C6%B0%E1%BB%9Dng%20B%E1%BA%BFn%20Ngh%C3%A9", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(place["source"], "ward");
    assert_eq!(place["jurisdiction_name"], "Phường Sài Gòn", "pre-2025 name Bến Nghé: {place}");
    t.cleanup().await;
}

#[tokio::test]
async fn without_a_geocoder_or_when_it_is_down_ward_names_decide() {
    // Nothing listens on port 9 (discard): the geocoder is down.
    let t = TestApp::spawn_with(|cfg| {
        cfg.geocoder.url = "http://127.0.0.1:9/search".into();
        cfg.geocoder.timeout_ms = 500;
    })
    .await;
    seeded(&t).await;
    let r = t
        .post("/api/feedback/reports", None, &json!({"description": "Rác ứ đọng nhiều ngày", "address": "12 Lê Lợi, phường Bến Thành"}))
        .await;
    assert_eq!(r.status(), 201);
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["jurisdiction_code"], "26743");
    assert!(r["lat"].is_null(), "no point is invented from a ward name: {r}");
    assert_problem(t.get("/api/feedback/geocode?q=Kh%C3%B4ng%20c%C3%B3%20%C4%91%C3%A2u", None).await, 404, "not_found").await;
    assert_problem(t.get("/api/feedback/geocode?q=x", None).await, 422, "invalid_input").await;
    t.cleanup().await;
}
