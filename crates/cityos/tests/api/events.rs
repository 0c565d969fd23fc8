use crate::harness::TestApp;
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;

/// Reads server-sent events until `enough` says stop (or a timeout).
async fn read_events(resp: reqwest::Response, enough: impl Fn(&[(i64, Value)]) -> bool) -> Vec<(i64, Value)> {
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !enough(&out) {
        let chunk =
            tokio::time::timeout_at(deadline, stream.next()).await.expect("events arrive in time").expect("stream open").expect("chunk");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if let (Some(id), false) = (id, data.is_empty()) {
                out.push((id, serde_json::from_str(&data).expect("event json")));
            }
        }
    }
    out
}

async fn connect(t: &TestApp, token: Option<&str>, last: Option<i64>) -> reqwest::Response {
    let mut rb = t.http.get(format!("{}/api/events", t.url));
    if let Some(tok) = token {
        rb = rb.bearer_auth(tok);
    }
    if let Some(l) = last {
        rb = rb.header("last-event-id", l.to_string());
    }
    let r = rb.send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    r
}

fn agency(code: &str) -> Value {
    json!({"code": code, "name_vi": format!("Cơ quan {code}"), "name_en": code, "kind": "service", "parent_code": "UBND-TP"})
}

fn codes(evs: &[(i64, Value)]) -> Vec<String> {
    evs.iter()
        .filter(|(_, e)| e["type"] == "vn.cityos.identity.agency.created")
        .map(|(_, e)| e["data"]["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn reconnecting_with_last_event_id_receives_what_was_missed() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let live = connect(&t, Some(&admin), None).await;
    assert_eq!(t.post("/api/identity/agencies", Some(&admin), &agency("EV-1")).await.status(), 201);
    let first = read_events(live, |evs| codes(evs).contains(&"EV-1".to_string())).await;
    let (last_id, ev) = first.iter().find(|(_, e)| e["data"]["code"] == "EV-1").unwrap().clone();
    assert_eq!(ev["specversion"], "1.0");
    assert_eq!(ev["source"], "/cityos/identity");
    assert_eq!(ev["classification"], "public");
    assert_eq!(ev["agency"], "EV-1");
    // Disconnected (the response was dropped); two more changes happen.
    for c in ["EV-2", "EV-3"] {
        assert_eq!(t.post("/api/identity/agencies", Some(&admin), &agency(c)).await.status(), 201);
    }
    let resumed = connect(&t, Some(&admin), Some(last_id)).await;
    let missed = read_events(resumed, |evs| codes(evs).len() >= 2).await;
    assert_eq!(codes(&missed), vec!["EV-2", "EV-3"]);
    assert!(missed.iter().all(|(id, _)| *id > last_id));
    t.cleanup().await;
}

#[tokio::test]
async fn each_caller_sees_only_what_they_may() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let u = json!({"username": "su.kien", "display_name": "Sự kiện", "password": "Nhan-vien-2025", "agency_code": "SO-YT"});
    assert_eq!(t.post("/api/identity/users", Some(&admin), &u).await.status(), 201); // internal event
    assert_eq!(t.post("/api/identity/agencies", Some(&admin), &agency("EV-END")).await.status(), 201); // public event
    let done = |evs: &[(i64, Value)]| codes(evs).contains(&"EV-END".to_string());
    let anon = read_events(connect(&t, None, Some(0)).await, done).await;
    assert!(anon.iter().all(|(_, e)| e["classification"] == "public"), "anonymous sees public events only");
    let staff = t.login("viewer").await;
    let seen = read_events(connect(&t, Some(&staff), Some(0)).await, done).await;
    assert!(seen.iter().any(|(_, e)| e["type"] == "vn.cityos.identity.user.created"), "staff see internal events");
    assert_eq!(t.get("/api/events", None).await.status(), 200);
    let bad = t.http.get(format!("{}/api/events", t.url)).header("last-event-id", "abc").send().await.unwrap();
    assert_eq!(bad.status(), 400);
    t.cleanup().await;
}
