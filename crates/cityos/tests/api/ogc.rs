//! OGC API – Features at `/ogc`: landing page, conformance, collections,
//! parameter checks, paging, CRS (EPSG:3857 round trip), Part 4 writes with
//! ETag/If-Match, owner-agency refusals and the OGC exception shape.

use crate::harness::TestApp;
use cityos_api::Role;
use serde_json::{json, Value};

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const EPSG3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";

/// Asserts an OGC exception: `status`, JSON, `code` and `description` strings.
async fn assert_exception(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(ct.starts_with("application/json"), "content type {ct}");
    let body: Value = r.json().await.expect("exception body");
    assert!(body["code"].is_string() && body["description"].is_string(), "{body}");
    assert!(body.get("type").is_none() && body.get("title").is_none(), "not problem+json: {body}");
    body
}

const QUERYABLES_REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/queryables";

fn rels(v: &Value) -> Vec<String> {
    v["links"].as_array().expect("links").iter().map(|l| l["rel"].as_str().unwrap_or("").to_string()).collect()
}

fn valve(name: &str, lon: f64, lat: f64) -> Value {
    json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [lon, lat] },
        "properties": { "name": name, "status": "functional", "diameter_mm": 150.0 },
    })
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &Value)>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut rb = app.http.request(method, format!("{}{path}", app.url));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some((ct, b)) = body {
        rb = rb.header("content-type", ct).body(b.to_string());
    }
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.send().await.expect("request")
}

async fn create(app: &TestApp, token: &str, coll: &str, feature: &Value) -> (String, String) {
    let r = send(
        app,
        reqwest::Method::POST,
        &format!("/ogc/collections/{coll}/items"),
        Some(token),
        Some(("application/geo+json", feature)),
        &[],
    )
    .await;
    let status = r.status().as_u16();
    let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let etag = r.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body: Value = r.json().await.expect("json");
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_string();
    assert!(location.ends_with(&format!("/ogc/collections/{coll}/items/{id}")), "{location}");
    assert!(!etag.is_empty());
    (id, etag)
}

#[tokio::test]
async fn landing_conformance_and_collections_have_the_standard_shape() {
    let app = TestApp::spawn().await;
    let r = app.get("/ogc", None).await;
    assert_eq!(r.status(), 200);
    let landing: Value = r.json().await.unwrap();
    let rels = rels(&landing);
    for rel in ["self", "alternate", "service-desc", "service-doc", "conformance", "data"] {
        assert!(rels.iter().any(|r| r == rel), "{rel} missing in {rels:?}");
    }
    let desc = landing["links"].as_array().unwrap().iter().find(|l| l["rel"] == "service-desc").unwrap();
    assert_eq!(desc["type"], "application/vnd.oai.openapi+json;version=3.0");

    let conf: Value = app.get("/ogc/conformance", None).await.json().await.unwrap();
    let classes: Vec<&str> = conf["conformsTo"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for c in [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    ] {
        assert!(classes.contains(&c), "{c}");
    }
    assert_eq!(classes.len(), 22, "{classes:?}");

    let cols: Value = app.get("/ogc/collections", None).await.json().await.unwrap();
    let list = cols["collections"].as_array().unwrap();
    assert_eq!(list.len(), cityos_gis::model::COLLECTIONS.len());
    for c in list {
        assert_eq!(c["itemType"], "feature");
        assert_eq!(c["storageCrs"], CRS84);
        assert_eq!(c["extent"]["spatial"]["bbox"][0].as_array().unwrap().len(), 4);
        assert!(c["extent"]["temporal"]["interval"].is_array());
        assert!(c["crs"].as_array().unwrap().iter().any(|u| u == EPSG3857));
        let links = c["links"].as_array().unwrap();
        assert!(links.iter().any(|l| l["rel"] == "items" && l["type"] == "application/geo+json"), "{c}");
    }
    let one: Value = app.get("/ogc/collections/water-valves", None).await.json().await.unwrap();
    assert_eq!(one["id"], "water-valves");
    assert_eq!(one["title"], "Van");

    let r = app.get("/ogc/collections/water-valves/queryables", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/schema+json");
    let q: Value = r.json().await.unwrap();
    assert_eq!(q["properties"]["status"]["enum"][0], "functional");
    assert_eq!(q["properties"]["geometry"]["format"], "geometry-point");

    let r = app.get("/ogc/api", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.oai.openapi+json;version=3.0");
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.0."));
    assert!(doc["paths"]["/collections/{collectionId}/items/{featureId}"]["patch"].is_object());

    // HTML: by Accept and by f=html, Vietnamese first, English on request.
    let r = app.http.get(format!("{}/ogc/collections", app.url)).header("accept", "text/html,application/xhtml+xml").send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = r.text().await.unwrap();
    assert!(page.contains("lang=\"vi\"") && page.contains("Các lớp dữ liệu"), "{page}");
    let r = app.http.get(format!("{}/ogc/collections?f=html", app.url)).header("accept-language", "en-GB,en").send().await.unwrap();
    assert!(r.text().await.unwrap().contains("Collections"));
    let r = app.get("/ogc/api?f=html", None).await;
    assert!(r.text().await.unwrap().contains("/collections/{collectionId}/items"));
    app.cleanup().await;
}

#[tokio::test]
async fn unknown_and_invalid_parameters_are_400_ogc_exceptions() {
    let app = TestApp::spawn().await;
    for q in [
        "colour=red",
        "bbox=1,2,3",
        "bbox=106.8,10.7,106.6,10.9",
        "bbox=a,b,c,d",
        "limit=0",
        "limit=many",
        "offset=-5",
        "datetime=yesterday",
        "datetime=../..",
        "crs=EPSG:9999",
        "bbox-crs=EPSG:4326",
        "status=broken",
        "filter-lang=cql2-text",
        "filter=name%20%3D",
        "f=xml",
        "limit=1&limit=2",
    ] {
        let r = app.get(&format!("/ogc/collections/water-valves/items?{q}"), None).await;
        let body = assert_exception(r, 400).await;
        assert!(!body["description"].as_str().unwrap().is_empty(), "{q}");
    }
    let body = assert_exception(app.get("/ogc/collections?foo=1", None).await, 400).await;
    assert!(body["description"].as_str().unwrap().contains("foo"));
    app.cleanup().await;
}

#[tokio::test]
async fn unknown_paths_methods_and_features_are_ogc_exceptions() {
    let app = TestApp::spawn().await;
    let body = assert_exception(app.get("/ogc/nothing/here", None).await, 404).await;
    assert!(body["description"].as_str().unwrap().contains("/ogc/nothing/here"));
    assert_exception(app.get("/ogc/collections/no-such-collection", None).await, 404).await;
    assert_exception(app.get("/ogc/collections/no-such-collection/items", None).await, 404).await;
    assert_exception(app.get("/ogc/collections/water-valves/items/no-such-feature", None).await, 404).await;
    let r = app.delete("/ogc/collections", None).await;
    assert_eq!(r.headers()["allow"], "GET, HEAD");
    assert_exception(r, 405).await;
    let r = send(&app, reqwest::Method::PUT, "/ogc/collections/water-valves/items", None, None, &[]).await;
    assert!(r.headers()["allow"].to_str().unwrap().contains("POST"));
    assert_exception(r, 405).await;
    // Errors raised before the handlers (authentication) have the same shape.
    let r = app.get("/ogc/collections", Some("not-a-token")).await;
    assert_exception(r, 401).await;
    // Anonymous writes: 401 in the OGC shape (from the store's rights check).
    let r = app.post("/ogc/collections/water-valves/items", None, &valve("Van A", 106.7, 10.8)).await;
    assert_exception(r, 401).await;
    app.cleanup().await;
}

#[tokio::test]
async fn items_page_with_links_counts_and_clamped_limit() {
    let app = TestApp::spawn().await;
    let token = app.agency_user("ogc_pager", "SO-XD", Role::Staff).await;
    for i in 0..5 {
        create(&app, &token, "water-valves", &valve(&format!("Van {i}"), 106.70 + f64::from(i) * 0.001, 10.80)).await;
    }
    let r = app.get("/ogc/collections/water-valves/items?limit=2", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    assert_eq!(r.headers()["content-crs"], format!("<{CRS84}>"));
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["type"], "FeatureCollection");
    assert_eq!(page["numberReturned"], 2);
    assert_eq!(page["numberMatched"], 5);
    assert!(page["timeStamp"].is_string());
    let next =
        page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").expect("next link")["href"].as_str().unwrap().to_string();
    assert!(next.contains("offset=2") && next.contains("limit=2"), "{next}");
    assert!(!rels(&page).contains(&"prev".to_string()));
    // Part 3: the filterable resource links to its queryables, in the body and, for HEAD, in the
    // Link header (RFC 8288), which carries every link of the page.
    let queryables = format!("{}/ogc/collections/water-valves/queryables", app.url);
    assert!(page["links"].as_array().unwrap().iter().any(|l| l["rel"] == QUERYABLES_REL && l["href"] == queryables.as_str()), "{page}");
    let head = app.http.head(format!("{}/ogc/collections/water-valves/items?limit=2", app.url)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let link = head.headers()["link"].to_str().unwrap().to_string();
    assert!(link.contains(&format!("<{queryables}>; rel=\"{QUERYABLES_REL}\"; type=\"application/schema+json\"")), "{link}");
    assert!(link.contains("rel=\"next\"") && link.contains("rel=\"self\"; type=\"application/geo+json\""), "{link}");
    let path = next.split_once("/ogc").map(|(_, p)| format!("/ogc{p}")).unwrap();
    let page2: Value = app.get(&path, None).await.json().await.unwrap();
    assert_eq!(page2["numberReturned"], 2);
    assert!(rels(&page2).contains(&"prev".to_string()));
    let ids = |p: &Value| p["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert!(ids(&page).iter().all(|id| !ids(&page2).contains(id)));
    let last: Value = app.get("/ogc/collections/water-valves/items?limit=2&offset=4", None).await.json().await.unwrap();
    assert_eq!(last["numberReturned"], 1);
    assert!(!rels(&last).contains(&"next".to_string()));

    // A limit over the maximum is clamped, not refused: the prev link steps back by 10,000.
    let r = app.get("/ogc/collections/water-valves/items?limit=50000&offset=20000", None).await;
    assert_eq!(r.status(), 200);
    let far: Value = r.json().await.unwrap();
    let prev = far["links"].as_array().unwrap().iter().find(|l| l["rel"] == "prev").unwrap()["href"].as_str().unwrap().to_string();
    assert!(prev.contains("offset=10000"), "{prev}");

    // bbox, queryables as parameters, datetime.
    let inside: Value = app.get("/ogc/collections/water-valves/items?bbox=106.6995,10.79,106.7015,10.81", None).await.json().await.unwrap();
    assert_eq!(inside["numberReturned"], 2);
    let first = page["features"][0]["id"].as_str().unwrap();
    let by_id: Value = app.get(&format!("/ogc/collections/water-valves/items?id={first}"), None).await.json().await.unwrap();
    assert_eq!(by_id["numberReturned"], 1);
    assert_eq!(by_id["features"][0]["id"], first);
    let none: Value = app.get("/ogc/collections/water-valves/items?status=disused", None).await.json().await.unwrap();
    assert_eq!(none["numberReturned"], 0);
    let all: Value =
        app.get("/ogc/collections/water-valves/items?status=functional&datetime=2000-01-01T00:00:00Z/..", None).await.json().await.unwrap();
    assert_eq!(all["numberReturned"], 5);
    // HTML page of items with a link to the console map.
    let html = app.get("/ogc/collections/water-valves/items?f=html&limit=2", None).await.text().await.unwrap();
    assert!(html.contains("Van ") && html.contains("#/map?layer=water-valves") && html.contains("rel=\"next\""), "{html}");
    app.cleanup().await;
}

#[tokio::test]
async fn epsg_3857_and_vn2000_round_trips_on_write_read_and_bbox() {
    let app = TestApp::spawn().await;
    let token = app.agency_user("ogc_crs", "SO-XD", Role::Staff).await;
    // Near the old city centre, in Web Mercator metres.
    let (x, y) = (11_878_003.0_f64, 1_215_512.0_f64);
    let f = json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [x, y] }, "properties": { "name": "Van Bến Thành" } });
    let r = send(
        &app,
        reqwest::Method::POST,
        "/ogc/collections/water-valves/items",
        Some(&token),
        Some(("application/geo+json", &f)),
        &[("content-crs", &format!("<{EPSG3857}>"))],
    )
    .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let c = &created["geometry"]["coordinates"];
    let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
    // The spherical Mercator inverse, computed here independently of the server.
    let r = 6_378_137.0_f64;
    let (want_lon, want_lat) = ((x / r).to_degrees(), (2.0 * (y / r).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees());
    assert!((lon - want_lon).abs() < 1e-7 && (lat - want_lat).abs() < 1e-7, "stored in CRS84: {lon},{lat} (want {want_lon},{want_lat})");

    let r = app.get(&format!("/ogc/collections/water-valves/items/{id}?crs={EPSG3857}"), None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-crs"], format!("<{EPSG3857}>"));
    let back: Value = r.json().await.unwrap();
    let c = &back["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - x).abs() < 0.01 && (c[1].as_f64().unwrap() - y).abs() < 0.01, "{c}");

    let bbox = format!("{},{},{},{}", x - 100.0, y - 100.0, x + 100.0, y + 100.0);
    let page: Value = app
        .get(&format!("/ogc/collections/water-valves/items?bbox={bbox}&bbox-crs={EPSG3857}&crs={EPSG3857}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["numberReturned"], 1);
    let c = &page["features"][0]["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - x).abs() < 0.01, "{c}");
    // VN-2000 / TM-3 106°15' (EPSG:9212, Ho Chi Minh City's cadastral system): read in it, write it back, same place.
    let vn = "http://www.opengis.net/def/crs/EPSG/0/9212";
    let r = app.get(&format!("/ogc/collections/water-valves/items/{id}?crs={vn}"), None).await;
    assert_eq!(r.headers()["content-crs"], format!("<{vn}>"));
    let in_vn: Value = r.json().await.unwrap();
    let c = in_vn["geometry"]["coordinates"].clone();
    let (e, n) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
    assert!((500_000.0..600_000.0).contains(&e) && (1_150_000.0..1_250_000.0).contains(&n), "easting/northing {e},{n}");
    let again =
        json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [e, n] }, "properties": { "name": "Van Bến Thành" } });
    let path = format!("/ogc/collections/water-valves/items/{id}");
    let r = send(
        &app,
        reqwest::Method::PUT,
        &path,
        Some(&token),
        Some(("application/geo+json", &again)),
        &[("content-crs", &format!("<{vn}>"))],
    )
    .await;
    assert_eq!(r.status(), 200);
    let back: Value = r.json().await.unwrap();
    let c = &back["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - lon).abs() < 1e-6 && (c[1].as_f64().unwrap() - lat).abs() < 1e-6, "{c} vs {lon},{lat}");

    let far = format!("{},{},{},{}", x + 1000.0, y + 1000.0, x + 2000.0, y + 2000.0);
    let page: Value =
        app.get(&format!("/ogc/collections/water-valves/items?bbox={far}&bbox-crs={EPSG3857}"), None).await.json().await.unwrap();
    assert_eq!(page["numberReturned"], 0);
    app.cleanup().await;
}

#[tokio::test]
async fn part4_create_replace_update_delete_with_etags() {
    let app = TestApp::spawn().await;
    let token = app.agency_user("ogc_editor", "SO-XD", Role::Staff).await;
    let (id, etag1) = create(&app, &token, "water-valves", &valve("Van 1", 106.70, 10.80)).await;
    let path = format!("/ogc/collections/water-valves/items/{id}");

    let r = app.get(&path, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], etag1.as_str());
    let r = send(&app, reqwest::Method::GET, &path, None, None, &[("if-none-match", &etag1)]).await;
    assert_eq!(r.status(), 304);

    // PUT with the current ETag replaces; the ETag changes.
    let mut replaced = valve("Van 1 (thay mới)", 106.701, 10.801);
    replaced["properties"]["status"] = "under_construction".into();
    let r = send(&app, reqwest::Method::PUT, &path, Some(&token), Some(("application/geo+json", &replaced)), &[("if-match", &etag1)]).await;
    assert_eq!(r.status(), 200);
    let etag2 = r.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(etag1, etag2);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["properties"]["status"], "under_construction");

    // A stale ETag is refused with 412, for every write.
    let r = send(&app, reqwest::Method::PUT, &path, Some(&token), Some(("application/geo+json", &replaced)), &[("if-match", &etag1)]).await;
    assert_exception(r, 412).await;
    let patch = json!({ "properties": { "condition": "poor" } });
    let r =
        send(&app, reqwest::Method::PATCH, &path, Some(&token), Some(("application/merge-patch+json", &patch)), &[("if-match", &etag1)])
            .await;
    assert_exception(r, 412).await;
    let r = send(&app, reqwest::Method::DELETE, &path, Some(&token), None, &[("if-match", &etag1)]).await;
    assert_exception(r, 412).await;

    // PATCH as a merge patch keeps what it does not name.
    let r =
        send(&app, reqwest::Method::PATCH, &path, Some(&token), Some(("application/merge-patch+json", &patch)), &[("if-match", &etag2)])
            .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["properties"]["condition"], "poor");
    assert_eq!(body["properties"]["name"], "Van 1 (thay mới)");
    // Wrong media types and bodies.
    let r = send(&app, reqwest::Method::PATCH, &path, Some(&token), Some(("text/plain", &patch)), &[]).await;
    assert_exception(r, 415).await;
    let r = send(
        &app,
        reqwest::Method::POST,
        "/ogc/collections/water-valves/items",
        Some(&token),
        Some(("application/geo+json", &json!({"type": "Point"}))),
        &[],
    )
    .await;
    assert_exception(r, 400).await;

    let r = send(&app, reqwest::Method::DELETE, &path, Some(&token), None, &[]).await;
    assert_eq!(r.status(), 204);
    assert_exception(app.get(&path, None).await, 404).await;
    app.cleanup().await;
}

#[tokio::test]
async fn another_agency_may_not_change_a_feature() {
    let app = TestApp::spawn().await;
    let owner = app.agency_user("ogc_owner", "SO-XD", Role::Staff).await;
    let other = app.agency_user("ogc_other", "SO-CT", Role::Staff).await;
    let (id, etag) = create(&app, &owner, "water-valves", &valve("Van của Sở Xây dựng", 106.70, 10.80)).await;
    let path = format!("/ogc/collections/water-valves/items/{id}");
    let r = send(
        &app,
        reqwest::Method::PUT,
        &path,
        Some(&other),
        Some(("application/geo+json", &valve("Chiếm", 106.7, 10.8))),
        &[("if-match", &etag)],
    )
    .await;
    assert_exception(r, 403).await;
    let patch = json!({ "properties": { "status": "disused" } });
    let r = send(&app, reqwest::Method::PATCH, &path, Some(&other), Some(("application/merge-patch+json", &patch)), &[]).await;
    assert_exception(r, 403).await;
    let r = send(&app, reqwest::Method::DELETE, &path, Some(&other), None, &[]).await;
    assert_exception(r, 403).await;
    // Still there, unchanged.
    let r = app.get(&path, None).await;
    assert_eq!(r.headers()["etag"], etag.as_str());
    app.cleanup().await;
}

#[tokio::test]
async fn cql2_text_and_json_filters_with_filter_crs() {
    let app = TestApp::spawn().await;
    let token = app.agency_user("ogc_filter", "SO-XD", Role::Staff).await;
    create(&app, &token, "water-valves", &valve("Van Chợ Lớn", 106.650, 10.750)).await;
    create(&app, &token, "water-valves", &valve("Van Thủ Đức", 106.770, 10.850)).await;
    let mut disused = valve("Van cũ", 106.700, 10.780);
    disused["properties"]["status"] = "disused".into();
    create(&app, &token, "water-valves", &disused).await;
    let count = |q: String| {
        let app = &app;
        async move {
            let r = app.get(&format!("/ogc/collections/water-valves/items?{q}"), None).await;
            assert_eq!(r.status(), 200, "{q}: {}", r.text().await.unwrap_or_default());
            let v: Value = r.json().await.unwrap();
            v["numberMatched"].as_u64().unwrap()
        }
    };
    let enc = |s: &str| {
        s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>()
    };
    assert_eq!(count(format!("filter={}", enc("status = 'functional'"))).await, 2);
    assert_eq!(count(format!("filter={}&filter-lang=cql2-text", enc("status = 'disused' OR name = 'Van Thủ Đức'"))).await, 2);
    let json_filter = json!({ "op": "=", "args": [{ "property": "status" }, "disused"] });
    assert_eq!(count(format!("filter={}&filter-lang=cql2-json", enc(&json_filter.to_string()))).await, 1);
    // Filters combine with queryable parameters and bbox.
    assert_eq!(count(format!("filter={}&status=functional&bbox=106.6,10.7,106.7,10.8", enc("name LIKE 'Van%'"))).await, 1);
    // filter-crs: the literal is in EPSG:4326 (latitude first), in text and JSON.
    for text in [
        "S_INTERSECTS(geometry, BBOX(10.84, 106.76, 10.86, 106.78))",
        "S_WITHIN(geometry, POLYGON((10.84 106.76, 10.84 106.78, 10.86 106.78, 10.86 106.76, 10.84 106.76)))",
    ] {
        assert_eq!(
            count(format!("filter={}&filter-crs={}", enc(text), enc("http://www.opengis.net/def/crs/EPSG/0/4326"))).await,
            1,
            "{text}"
        );
        // The same numbers read as CRS84 are far outside the city.
        assert_eq!(count(format!("filter={}", enc(text))).await, 0, "{text}");
    }
    let json_spatial = json!({ "op": "s_intersects", "args": [{ "property": "geometry" }, { "bbox": [10.84, 106.76, 10.86, 106.78] }] });
    assert_eq!(count(format!("filter={}&filter-lang=cql2-json&filter-crs={}", enc(&json_spatial.to_string()), enc("EPSG:4326"))).await, 1);
    // Unknown properties and broken syntax are 400 OGC exceptions.
    let r = app.get(&format!("/ogc/collections/water-valves/items?filter={}", enc("colour = 'red'")), None).await;
    assert_exception(r, 400).await;
    let r = app.get(&format!("/ogc/collections/water-valves/items?filter={}&filter-lang=cql2-json", enc("{\"op\":")), None).await;
    assert_exception(r, 400).await;
    app.cleanup().await;
}

fn bbox_of(c: &Value) -> Vec<f64> {
    c["extent"]["spatial"]["bbox"][0].as_array().expect("bbox").iter().map(|n| n.as_f64().expect("number")).collect()
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
}

#[tokio::test]
async fn collection_extents_come_from_the_data() {
    let app = TestApp::spawn().await;
    let token = app.agency_user("ogc_extent", "SO-XD", Role::Staff).await;
    // Empty: the city's box and an open interval.
    let empty: Value = app.get("/ogc/collections/water-valves", None).await.json().await.unwrap();
    assert!(close(&bbox_of(&empty), &[106.30, 8.50, 107.70, 11.60]), "{empty}");
    assert_eq!(empty["extent"]["temporal"]["interval"], json!([[null, null]]));

    let (a, _) = create(&app, &token, "water-valves", &valve("Van Tây", 106.61, 10.71)).await;
    create(&app, &token, "water-valves", &valve("Van Đông", 106.83, 10.92)).await;
    let pipe = json!({
        "type": "Feature",
        "geometry": { "type": "LineString", "coordinates": [[106.65, 10.75], [106.66, 10.77], [106.70, 10.74]] },
        "properties": { "name": "Ống 1", "status": "functional", "diameter_mm": 300.0 },
    });
    create(&app, &token, "water-pipes", &pipe).await;
    let one: Value = app.get("/ogc/collections/water-valves", None).await.json().await.unwrap();
    assert!(close(&bbox_of(&one), &[106.61, 10.71, 106.83, 10.92]), "{one}");
    let interval = &one["extent"]["temporal"]["interval"][0];
    let start = interval[0].as_str().expect("start");
    assert!(chrono::DateTime::parse_from_rfc3339(start).is_ok(), "{start}");
    assert!(interval[1].is_null(), "current features are valid without end: {interval}");

    // The list agrees, per collection; a line's box spans all its vertices.
    let all: Value = app.get("/ogc/collections", None).await.json().await.unwrap();
    let by_id = |id: &str| all["collections"].as_array().unwrap().iter().find(|c| c["id"] == id).cloned().expect(id);
    assert!(close(&bbox_of(&by_id("water-valves")), &[106.61, 10.71, 106.83, 10.92]));
    assert!(close(&bbox_of(&by_id("water-pipes")), &[106.65, 10.74, 106.70, 10.77]), "{}", by_id("water-pipes"));
    assert!(close(&bbox_of(&by_id("sewer-pipes")), &[106.30, 8.50, 107.70, 11.60]));

    // Writes through /ogc are seen at once: moving and deleting the western valve.
    let path = format!("/ogc/collections/water-valves/items/{a}");
    let patch = json!({ "geometry": { "type": "Point", "coordinates": [106.75, 10.60] } });
    let r = send(&app, reqwest::Method::PATCH, &path, Some(&token), Some(("application/merge-patch+json", &patch)), &[]).await;
    assert_eq!(r.status(), 200);
    let moved: Value = app.get("/ogc/collections/water-valves", None).await.json().await.unwrap();
    assert!(close(&bbox_of(&moved), &[106.75, 10.60, 106.83, 10.92]), "{moved}");
    let r = send(&app, reqwest::Method::DELETE, &path, Some(&token), None, &[]).await;
    assert_eq!(r.status(), 204);
    let left: Value = app.get("/ogc/collections/water-valves", None).await.json().await.unwrap();
    assert!(close(&bbox_of(&left), &[106.83, 10.92, 106.83, 10.92]), "{left}");

    // Writes through the service from elsewhere (imports, the demo) are seen at once too.
    let input: cityos_gis::model::FeatureInput = serde_json::from_value(valve("Van nhập", 106.50, 10.50)).unwrap();
    app.app.gis.insert_many_as_system("SO-XD", "water-valves", vec![input]).await.unwrap();
    let fresh: Value = app.get("/ogc/collections/water-valves", None).await.json().await.unwrap();
    assert!(close(&bbox_of(&fresh), &[106.50, 10.50, 106.83, 10.92]), "{fresh}");

    // A write the service did not see (another replica's, here straight into the table) shows within the cache's lifetime.
    sqlx::query("UPDATE gis_features SET minx = 106.40, maxx = 106.40, miny = 10.40, maxy = 10.40 WHERE name = 'Van nhập'")
        .execute(app.db().writer())
        .await
        .unwrap();
    let cached: Value = app.get("/ogc/collections/water-valves", None).await.json().await.unwrap();
    assert!(close(&bbox_of(&cached), &[106.50, 10.50, 106.83, 10.92]), "served from the cache: {cached}");
    app.clock.advance(chrono::Duration::milliseconds(cityos_gis::store::extent::EXTENT_TTL_MS + 1));
    let later: Value = app.get("/ogc/collections/water-valves", None).await.json().await.unwrap();
    assert!(close(&bbox_of(&later), &[106.40, 10.40, 106.83, 10.92]), "{later}");
    app.cleanup().await;
}

/// A write that must fail: method, content type, body, extra headers, expected status.
type BadWrite = (reqwest::Method, &'static str, Vec<u8>, Vec<(&'static str, &'static str)>, u16);

#[tokio::test]
async fn malformed_input_is_a_4xx_ogc_exception_never_a_500() {
    let app = TestApp::spawn().await;
    let token = app.agency_user("ogc_fuzz", "SO-XD", Role::Staff).await;
    let (id, etag) = create(&app, &token, "water-valves", &valve("Van thử", 106.70, 10.80)).await;
    let deep = format!("{}name = 'a'{}", "(".repeat(3000), ")".repeat(3000));
    let mut failures = Vec::new();
    let queries: Vec<String> = [
        "bbox=NaN,10,107,11",
        "bbox=106,10,inf,11",
        "bbox=1e400,10,107,11",
        "bbox=106,10,107",
        "bbox=106,10,107,11,12",
        "bbox=,,,",
        "bbox=107,10,106,11",
        "bbox=106,11,107,10",
        "bbox=-200,10,107,11",
        "bbox=106,-95,107,11",
        "bbox=1e300,1e300,1e301,1e301&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857",
        "bbox=0,0,1,1&bbox-crs=urn:nowhere",
        "datetime=2026-13-01",
        "datetime=2026-01-01T25:00:00Z",
        "datetime=2026-02-01/2026-01-01",
        "datetime=/",
        "datetime=",
        "datetime=2026-01-01/2026-01-02/2026-01-03",
        "datetime=99999-01-01",
        "filter=(((",
        "filter=name%20%3D%20'a",
        "filter=name%20LIKE",
        "filter=S_INTERSECTS(geometry,POINT(1))",
        "filter=T_AFTER(valid_from,TIMESTAMP('nope'))",
        "filter=%5B%5D&filter-lang=cql2-json",
        "filter=%7B%22op%22%3A%22%3D%22%7D&filter-lang=cql2-json",
        "filter=name%20%3D%20'a'&filter-lang=cql3",
        "filter=name%20%3D%20'a'&filter-lang=",
        "filter=name%20%3D%20'a'&filter-crs=EPSG:1",
        "crs=unknown",
        "crs=",
        "offset=99999999999999999999",
        "limit=-1",
        "limit=1.5",
        "name=%FF",
        "%FF=1",
        "f=%C3",
        "diameter_mm=abc",
        "diameter_mm=NaN",
        "install_date=2026-02-30",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .chain([format!("filter={}", deep.replace(' ', "%20").replace('\'', "%27"))])
    .collect();
    for q in &queries {
        let r = app.get(&format!("/ogc/collections/water-valves/items?{q}"), None).await;
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status != 400 || !body["code"].is_string() || !body["description"].is_string() {
            failures.push(format!("GET ?{q} -> {status} {body}"));
        }
    }
    // Edge values that may be answered or refused, but never fail.
    for q in [
        "filter=S_INTERSECTS(geometry,POINT(1e308%201e308))",
        "filter=S_INTERSECTS(geometry,POINT(1e308%201e308))&filter-crs=EPSG:3857",
        "filter=T_INTERSECTS(valid_from,INTERVAL('2026-01-01','2025-01-01'))",
        "filter=diameter_mm%20BETWEEN%205%20AND%201",
        "filter=name%20LIKE%20'%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25x'",
        "datetime=0000-01-01T00:00:00Z/..",
        "datetime=2026-01-01T00:00:00.999999999999Z",
        "bbox=-1e10,-1e10,1e10,1e10&bbox-crs=EPSG:3857",
        "bbox=1,2,3,4&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/32648",
    ] {
        let r = app.get(&format!("/ogc/collections/water-valves/items?{q}"), None).await;
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        let fine = match status {
            200 => body["type"] == "FeatureCollection",
            400 => body["code"].is_string() && body["description"].is_string(),
            _ => false,
        };
        if !fine {
            failures.push(format!("GET ?{q} -> {status} {body}"));
        }
    }
    // Huge offsets and limits are answered (empty page, clamped limit), not refused or failed.
    for q in ["offset=9223372036854775807", "offset=9223372036854775807&limit=9223372036854775807"] {
        let r = app.get(&format!("/ogc/collections/water-valves/items?{q}"), None).await;
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status != 200 || body["numberReturned"] != 0 {
            failures.push(format!("GET ?{q} -> {status} {body}"));
        }
    }
    // Non-UTF-8 and unknown ids in paths.
    for (path, want) in [
        ("/ogc/collections/%FF/items".to_string(), 404),
        ("/ogc/collections/water-valves/items/%FF%FE".to_string(), 404),
        ("/ogc/collections/%FF".to_string(), 404),
        (format!("/ogc/collections/water-valves/items/{}", "x".repeat(5000)), 404),
        ("/ogc/collections/water-valves/queryables?f=%FF".to_string(), 400),
    ] {
        let r = app.get(&path, None).await;
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if !(status == want || status == 400) || !body["code"].is_string() {
            failures.push(format!("GET {path} -> {status} {body}"));
        }
    }
    // Writes with wrong content types, bodies and preconditions.
    let path = format!("/ogc/collections/water-valves/items/{id}");
    let feature = valve("Van thử", 106.70, 10.80);
    let bodies: Vec<BadWrite> = vec![
        (reqwest::Method::PUT, "text/plain", feature.to_string().into_bytes(), vec![], 415),
        (reqwest::Method::PUT, "", feature.to_string().into_bytes(), vec![], 415),
        (reqwest::Method::PUT, "application/geo+json", b"{not json".to_vec(), vec![], 400),
        (reqwest::Method::PUT, "application/geo+json", b"[]".to_vec(), vec![], 400),
        (reqwest::Method::PUT, "application/geo+json", vec![0xff, 0xfe, 0x00], vec![], 400),
        (reqwest::Method::PUT, "application/geo+json", br#"{"type":"Feature"}"#.to_vec(), vec![], 400),
        (
            reqwest::Method::PUT,
            "application/geo+json",
            br#"{"type":"Feature","geometry":{"type":"Point","coordinates":"x"},"properties":{}}"#.to_vec(),
            vec![],
            400,
        ),
        (
            reqwest::Method::PUT,
            "application/geo+json",
            br#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1e308,1e308]},"properties":{}}"#.to_vec(),
            vec![("content-crs", "<http://www.opengis.net/def/crs/EPSG/0/3857>")],
            400,
        ),
        (
            reqwest::Method::PUT,
            "application/geo+json",
            br#"{"type":"Feature","geometry":{"type":"Point","coordinates":[500,500]},"properties":{}}"#.to_vec(),
            vec![],
            400,
        ),
        (
            reqwest::Method::PUT,
            "application/geo+json",
            br#"{"type":"Feature","geometry":{"type":"Point","coordinates":[106.7,10.8]},"properties":"x"}"#.to_vec(),
            vec![],
            400,
        ),
        (reqwest::Method::PUT, "application/geo+json", feature.to_string().into_bytes(), vec![("content-crs", "garbage")], 400),
        (reqwest::Method::PUT, "application/geo+json", feature.to_string().into_bytes(), vec![("if-match", "garbage")], 412),
        (reqwest::Method::PUT, "application/geo+json", feature.to_string().into_bytes(), vec![("if-match", "\"\"")], 412),
        (reqwest::Method::PATCH, "application/geo+json", br#"{"properties":{}}"#.to_vec(), vec![], 415),
        (reqwest::Method::PATCH, "application/merge-patch+json", b"null".to_vec(), vec![], 400),
        (reqwest::Method::PATCH, "application/merge-patch+json", b"[1]".to_vec(), vec![], 400),
        (reqwest::Method::PATCH, "application/merge-patch+json", b"{".to_vec(), vec![], 400),
        (reqwest::Method::PATCH, "application/merge-patch+json", br#"{"geometry":{"type":"Nope"}}"#.to_vec(), vec![], 400),
        (reqwest::Method::PATCH, "application/merge-patch+json", br#"{"geometry":7}"#.to_vec(), vec![], 400),
        (reqwest::Method::PATCH, "application/merge-patch+json", br#"{"properties":7}"#.to_vec(), vec![], 400),
        (reqwest::Method::PATCH, "application/merge-patch+json", br#"{"properties":{"diameter_mm":"wide"}}"#.to_vec(), vec![], 400),
        (reqwest::Method::PATCH, "application/merge-patch+json", br#"{"properties":{}}"#.to_vec(), vec![("if-match", "W/\"x\"")], 412),
        (reqwest::Method::DELETE, "", Vec::new(), vec![("if-match", "garbage")], 412),
    ];
    for (method, ct, body, headers, want) in bodies {
        let mut rb = app.http.request(method.clone(), format!("{}{path}", app.url)).bearer_auth(&token).body(body);
        if !ct.is_empty() {
            rb = rb.header("content-type", ct);
        }
        for (k, v) in &headers {
            rb = rb.header(*k, *v);
        }
        let r = rb.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status != want || !body["code"].is_string() {
            failures.push(format!("{method} {ct} {headers:?} -> {status} {text}"));
        }
    }
    // An If-Match that is not text is refused, not ignored.
    let r = app
        .http
        .put(format!("{}{path}", app.url))
        .bearer_auth(&token)
        .header("content-type", "application/geo+json")
        .header("if-match", reqwest::header::HeaderValue::from_bytes(b"\"\xff\"").unwrap())
        .body(feature.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    if !(status == 400 || status == 412) {
        failures.push(format!("PUT with a non-text If-Match -> {status}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing above changed the feature.
    let r = app.get(&path, None).await;
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    app.cleanup().await;
}
