//! The data hub's catalogue through the CKAN Action API and the console's
//! REST API, and the DCAT-AP export: envelope and error types, package CRUD
//! with audit records, agency boundaries, visibility, search.

use crate::harness::{assert_problem, TestApp};
use cityos_api::Role;
use serde_json::{json, Value};
use sqlx::Row as _;

/// An API key of a new user holding `role` for `agency`.
async fn key_for(t: &TestApp, username: &str, agency: &str, role: Role) -> String {
    let token = t.agency_user(username, agency, role).await;
    t.api_key(&token, "ckan client").await
}

async fn api_key(t: &TestApp, token: &str) -> String {
    t.api_key(token, "ckan client").await
}

/// The demo data officer (Sở Y tế)'s API key.
async fn health_officer(t: &TestApp) -> String {
    let token = t.login("data_officer").await;
    api_key(t, &token).await
}

/// POSTs a CKAN action with a JSON body, the key in `Authorization` as ckanapi sends it.
async fn call(t: &TestApp, action: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut rb = t.http.post(format!("{}/api/3/action/{action}", t.url)).json(body);
    if let Some(k) = key {
        rb = rb.header("Authorization", k);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    (status, r.json().await.unwrap())
}

/// GETs a CKAN action with query parameters, the key in `X-CKAN-API-Key`.
async fn get(t: &TestApp, action_and_query: &str, key: Option<&str>) -> (u16, Value) {
    let mut rb = t.http.get(format!("{}/api/action/{action_and_query}", t.url));
    if let Some(k) = key {
        rb = rb.header("X-CKAN-API-Key", k);
    }
    let r = rb.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The result of a successful call.
fn ok(r: (u16, Value)) -> Value {
    assert_eq!(r.0, 200, "{}", r.1);
    assert_eq!(r.1["success"], true);
    assert!(r.1["help"].as_str().unwrap().contains("help_show?name="));
    r.1["result"].clone()
}

/// Asserts a CKAN error with `status` and `__type`; returns the error object.
fn err(r: (u16, Value), status: u16, kind: &str) -> Value {
    assert_eq!(r.0, status, "{}", r.1);
    assert_eq!(r.1["success"], false, "{}", r.1);
    assert_eq!(r.1["error"]["__type"], kind, "{}", r.1);
    r.1["error"].clone()
}

fn package(name: &str, org: &str, level: &str) -> Value {
    json!({
        "name": name,
        "title": format!("Bộ dữ liệu {name}"),
        "owner_org": org,
        "notes": "Mô tả",
        "license_id": "cc-by-4.0",
        "extras": [{"key": "sharing_level", "value": level}],
    })
}

async fn audit_actions(t: &TestApp, object: &str) -> Vec<(String, String)> {
    sqlx::query("SELECT action, actor FROM audit_log WHERE object = $1 ORDER BY seq")
        .bind(object)
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("action").unwrap(), r.try_get("actor").unwrap()))
        .collect()
}

#[tokio::test]
async fn envelope_and_error_types() {
    let t = TestApp::spawn().await;
    let status = ok(get(&t, "status_show", None).await);
    assert_eq!(status["ckan_version"], "2.10.0");
    assert_eq!(status["site_url"], "http://127.0.0.1:8080");
    // Unknown actions, missing datasets, anonymous writes, invalid input, writes by GET, broken JSON.
    let e = err(get(&t, "no_such_action", None).await, 400, "Bad Request");
    assert!(e["message"].as_str().unwrap().contains("Action name not known"));
    err(get(&t, "package_show?id=nothing-here", None).await, 404, "Not Found Error");
    err(call(&t, "package_create", None, &package("an-open-one", "so-yt", "open")).await, 403, "Authorization Error");
    let key = health_officer(&t).await;
    let e =
        err(call(&t, "package_create", Some(&key), &json!({"name": "Not A Slug!", "owner_org": "so-yt"})).await, 409, "Validation Error");
    assert!(e["name"][0].as_str().unwrap().contains("lowercase"), "{e}");
    let e = err(call(&t, "package_create", Some(&key), &json!({"name": "x1", "owner_org": "no-such-org"})).await, 409, "Validation Error");
    assert_eq!(e["owner_org"], json!(["Organization does not exist"]));
    err(get(&t, "package_create?name=abc&owner_org=so-yt", Some(&key)).await, 400, "Bad Request");
    let r =
        t.http.post(format!("{}/api/action/package_create", t.url)).header("Authorization", &key).body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["success"], false);
    // A key the platform does not know is an Authorization Error in CKAN's envelope too.
    err(get(&t, "package_list", Some("cok_unknown_key")).await, 403, "Authorization Error");
    assert!(ok(get(&t, "help_show?name=package_search", None).await).as_str().unwrap().contains("fq"));
    t.cleanup().await;
}

#[tokio::test]
async fn data_officer_creates_updates_patches_and_deletes_with_audit() {
    let t = TestApp::spawn().await;
    let key = health_officer(&t).await;
    let mut body = package("co-so-kham-benh", "so-yt", "open");
    body["tags"] = json!([{"name": "y tế"}, {"name": "bệnh viện"}]);
    body["groups"] = json!([{"name": "health"}]);
    body["maintainer"] = json!("Lê Văn Dữ Liệu");
    body["maintainer_email"] = json!("dulieu@soyte.hochiminhcity.gov.vn");
    body["extras"] = json!([
        {"key": "sharing_level", "value": "open"},
        {"key": "title_en", "value": "Health facilities"},
        {"key": "update_frequency", "value": "monthly"},
        {"key": "spatial_ward", "value": "26740"},
        {"key": "temporal_start", "value": "2025-07-01"},
        {"key": "source_system", "value": "HIS"},
    ]);
    body["resources"] = json!([{"name": "Trang web", "url": "https://medinet.hochiminhcity.gov.vn/", "format": "html"}]);
    let created = ok(call(&t, "package_create", Some(&key), &body).await);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["name"], "co-so-kham-benh");
    assert_eq!(created["owner_org"], "SO-YT");
    assert_eq!(created["organization"]["name"], "so-yt");
    assert_eq!(created["organization"]["title"], "Sở Y tế");
    assert_eq!(created["private"], false);
    assert_eq!(created["isopen"], true);
    assert_eq!(created["num_tags"], 2);
    assert_eq!(created["groups"][0]["name"], "health");
    assert_eq!(created["resources"][0]["format"], "HTML");
    assert_eq!(created["resources"][0]["package_id"], id.as_str());
    assert_eq!(created["resources"][0]["datastore_active"], false);
    let extras: Vec<(String, String)> = created["extras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["key"].as_str().unwrap().to_string(), e["value"].as_str().unwrap().to_string()))
        .collect();
    for kv in [("title_en", "Health facilities"), ("source_system", "HIS"), ("spatial_ward", "26740"), ("update_frequency", "monthly")] {
        assert!(extras.contains(&(kv.0.to_string(), kv.1.to_string())), "{kv:?} in {extras:?}");
    }
    for field in ["metadata_created", "metadata_modified", "license_title", "num_resources", "creator_user_id"] {
        assert!(!created[field].is_null(), "{field}");
    }
    // The same name again is CKAN's validation error.
    let e = err(call(&t, "package_create", Some(&key), &body).await, 409, "Validation Error");
    assert_eq!(e["name"], json!(["That URL is already in use."]));

    // Shown by name and by id, anonymously (it is open).
    assert_eq!(ok(get(&t, "package_show?id=co-so-kham-benh", None).await)["id"], id.as_str());
    assert_eq!(ok(get(&t, &format!("package_show?id={id}"), None).await)["name"], "co-so-kham-benh");

    // Patch changes only what it names; the revision moves on.
    t.clock.advance(chrono::Duration::minutes(5));
    let patched = ok(call(&t, "package_patch", Some(&key), &json!({"id": id, "title": "Cơ sở khám bệnh, chữa bệnh"})).await);
    assert_eq!(patched["title"], "Cơ sở khám bệnh, chữa bệnh");
    assert_eq!(patched["num_tags"], 2);
    assert_eq!(patched["resources"].as_array().unwrap().len(), 1);
    assert_eq!(patched["revision"], 2);
    assert_ne!(patched["metadata_modified"], created["metadata_modified"]);

    // Update replaces: a new resource list (the old one kept by id, one added) and private.
    let mut full = patched.clone();
    full["private"] = json!(true);
    full["tags"] = json!([{"name": "y tế"}]);
    full["resources"] =
        json!([patched["resources"][0].clone(), {"name": "Danh sách", "url": "https://example.org/ds.csv", "format": "CSV"}]);
    let updated = ok(call(&t, "package_update", Some(&key), &full).await);
    assert_eq!(updated["private"], true);
    assert_eq!(updated["num_tags"], 1);
    assert_eq!(updated["resources"].as_array().unwrap().len(), 2);
    assert_eq!(updated["resources"][0]["id"], patched["resources"][0]["id"]);
    let level = updated["extras"].as_array().unwrap().iter().find(|e| e["key"] == "sharing_level").unwrap()["value"].clone();
    assert_eq!(level, "shared");
    // Now private: anonymous callers cannot see it.
    err(get(&t, &format!("package_show?id={id}"), None).await, 404, "Not Found Error");
    // The precise level is an extra; `private` flips between open and not open.
    let level_of = |p: &Value| p["extras"].as_array().unwrap().iter().find(|e| e["key"] == "sharing_level").unwrap()["value"].clone();
    let r =
        ok(call(&t, "package_patch", Some(&key), &json!({"id": id, "extras": [{"key": "sharing_level", "value": "restricted"}]})).await);
    assert_eq!((level_of(&r), r["private"].clone()), (json!("restricted"), json!(true)));
    let r = ok(call(&t, "package_patch", Some(&key), &json!({"id": id, "private": false})).await);
    assert_eq!(level_of(&r), "open");
    let r = ok(call(&t, "package_patch", Some(&key), &json!({"id": id, "private": true})).await);
    assert_eq!(level_of(&r), "shared");

    // Resource actions.
    let res_id = updated["resources"][1]["id"].as_str().unwrap().to_string();
    let r = ok(call(&t, "resource_patch", Some(&key), &json!({"id": res_id, "description": "Tệp CSV"})).await);
    assert_eq!(r["description"], "Tệp CSV");
    assert_eq!(r["url"], "https://example.org/ds.csv");
    assert_eq!(ok(get(&t, &format!("resource_show?id={res_id}"), Some(&key)).await)["name"], "Danh sách");
    err(get(&t, &format!("resource_show?id={res_id}"), None).await, 404, "Not Found Error");
    let added = ok(call(
        &t,
        "resource_create",
        Some(&key),
        &json!({"package_id": "co-so-kham-benh", "name": "API", "url": "https://example.org/api", "format": "API"}),
    )
    .await);
    assert_eq!(added["position"], 2);

    // Delete: gone for everyone but its writers, out of every list.
    assert!(ok(call(&t, "package_delete", Some(&key), &json!({"id": "co-so-kham-benh"})).await).is_null());
    err(get(&t, "package_show?id=co-so-kham-benh", None).await, 404, "Not Found Error");
    assert_eq!(ok(get(&t, "package_show?id=co-so-kham-benh", Some(&key)).await)["state"], "deleted");
    let list = ok(get(&t, "package_list", None).await);
    assert!(!list.as_array().unwrap().iter().any(|n| n == "co-so-kham-benh"));

    // Every write is in the audit log, by the API key that made it.
    let actions = audit_actions(&t, &format!("dataset:{id}")).await;
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    let mut expected = vec!["datahub.dataset.create"];
    expected.extend(["datahub.dataset.update"; 5]);
    expected.push("datahub.dataset.delete");
    assert_eq!(names, expected);
    assert!(actions.iter().all(|(_, actor)| actor.starts_with("apikey:")));
    assert_eq!(audit_actions(&t, &format!("resource:{res_id}")).await[0].0, "datahub.resource.update");
    // …and each wrote its event.
    let events: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE subject = $1")
        .bind(format!("dataset:{id}"))
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(events, 7);
    t.cleanup().await;
}

#[tokio::test]
async fn agencies_stay_within_their_own_datasets() {
    let t = TestApp::spawn().await;
    let health = health_officer(&t).await;
    let schools = key_for(&t, "edu_officer", "SO-GDDT", Role::DataOfficer).await;
    let viewer = key_for(&t, "edu_viewer", "SO-GDDT", Role::Viewer).await;
    ok(call(&t, "package_create", Some(&health), &package("benh-vien-cong", "so-yt", "open")).await);
    ok(call(&t, "package_create", Some(&health), &package("ho-so-benh-an", "so-yt", "restricted")).await);

    // Another agency's data officer: 403 on what it can see, 404 on what it cannot.
    err(call(&t, "package_update", Some(&schools), &package("benh-vien-cong", "so-yt", "open")).await, 403, "Authorization Error");
    err(call(&t, "package_patch", Some(&schools), &json!({"id": "benh-vien-cong", "title": "x"})).await, 403, "Authorization Error");
    err(call(&t, "package_delete", Some(&schools), &json!({"id": "benh-vien-cong"})).await, 403, "Authorization Error");
    err(call(&t, "package_patch", Some(&schools), &json!({"id": "ho-so-benh-an", "title": "x"})).await, 404, "Not Found Error");
    err(call(&t, "package_create", Some(&schools), &package("truong-cua-so-y-te", "so-yt", "open")).await, 403, "Authorization Error");
    err(
        call(&t, "resource_create", Some(&schools), &json!({"package_id": "benh-vien-cong", "url": "https://x.org/a"})).await,
        403,
        "Authorization Error",
    );
    // Moving its own dataset into another agency is refused too.
    ok(call(&t, "package_create", Some(&schools), &package("truong-hoc", "so-gddt", "open")).await);
    err(call(&t, "package_patch", Some(&schools), &json!({"id": "truong-hoc", "owner_org": "so-yt"})).await, 403, "Authorization Error");
    // A viewer may read but never write, even in its own agency.
    err(call(&t, "package_create", Some(&viewer), &package("cua-viewer", "so-gddt", "open")).await, 403, "Authorization Error");
    // Nothing changed.
    assert_eq!(ok(get(&t, "package_show?id=benh-vien-cong", None).await)["title"], "Bộ dữ liệu benh-vien-cong");

    // The console's REST API keeps the same boundaries (problem+json there).
    let bearer = t.login("data_officer").await;
    let r = t
        .http
        .put(format!("{}/api/datahub/datasets/truong-hoc", t.url))
        .bearer_auth(&bearer)
        .json(&json!({"name": "truong-hoc", "title_vi": "x", "owner_agency": "SO-GDDT"}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 403, "forbidden").await;
    let viewer_token = t.login("viewer").await;
    let r = t.post("/api/datahub/datasets", Some(&viewer_token), &json!({"name": "abc", "title_vi": "x", "owner_agency": "SO-GDDT"})).await;
    assert_problem(r, 403, "forbidden").await;
    let r = t.post("/api/datahub/datasets", None, &json!({"name": "abc", "title_vi": "x", "owner_agency": "SO-GDDT"})).await;
    assert_problem(r, 401, "unauthorized").await;
    let r = t
        .post("/api/datahub/datasets", Some(&bearer), &json!({"name": "tiem-chung", "title_vi": "Tiêm chủng", "owner_agency": "SO-YT", "sharing_level": "shared", "themes": ["health"]}))
        .await;
    assert_eq!(r.status(), 201);
    let r = t
        .post("/api/datahub/datasets", Some(&bearer), &json!({"name": "x", "title_vi": "", "owner_agency": "SO-YT", "license_id": "nope"}))
        .await;
    let p = assert_problem(r, 422, "invalid_input").await;
    assert!(p["errors"]["name"].is_array() && p["errors"]["title"].is_array() && p["errors"]["license_id"].is_array(), "{p}");
    let r = t.delete("/api/datahub/datasets/tiem-chung", Some(&viewer_token)).await;
    assert_problem(r, 403, "forbidden").await;
    assert_eq!(t.delete("/api/datahub/datasets/tiem-chung", Some(&bearer)).await.status(), 204);
    t.cleanup().await;
}

#[tokio::test]
async fn anonymous_callers_see_open_datasets_only() {
    let t = TestApp::spawn().await;
    let health = health_officer(&t).await;
    let other = key_for(&t, "edu_viewer", "SO-GDDT", Role::Viewer).await;
    // Publishing is explicit: without `private` or `sharing_level` a dataset is shared, not open (unlike CKAN).
    let implicit = ok(call(&t, "package_create", Some(&health), &json!({"name": "mac-dinh", "owner_org": "so-yt"})).await);
    assert_eq!((implicit["private"].as_bool(), implicit["title"].as_str()), (Some(true), Some("mac-dinh")));
    for (name, level) in [("mo", "open"), ("chia-se", "shared"), ("han-che", "restricted")] {
        ok(call(&t, "package_create", Some(&health), &package(&format!("bv-{name}"), "so-yt", level)).await);
    }
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = v["results"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect();
        n.sort();
        n
    };
    for q in ["package_search?q=bv", "package_search?q=bv&include_private=true"] {
        let r = ok(get(&t, q, None).await);
        assert_eq!((r["count"].as_i64(), names(&r)), (Some(1), vec!["bv-mo".to_string()]), "{q}");
    }
    for name in ["bv-chia-se", "bv-han-che"] {
        err(get(&t, &format!("package_show?id={name}"), None).await, 404, "Not Found Error");
    }
    assert_eq!(ok(get(&t, "package_list", None).await), json!(["bv-mo"]));
    // Staff of another agency: open and shared (with include_private, as CKAN), never restricted.
    let r = ok(get(&t, "package_search?q=bv&include_private=true", Some(&other)).await);
    assert_eq!(names(&r), ["bv-chia-se", "bv-mo"]);
    assert_eq!(ok(get(&t, "package_search?q=bv", Some(&other)).await)["count"], 1);
    err(get(&t, "package_show?id=bv-han-che", Some(&other)).await, 404, "Not Found Error");
    assert_eq!(ok(get(&t, "package_show?id=bv-chia-se", Some(&other)).await)["private"], true);
    // The owner sees all three.
    assert_eq!(names(&ok(get(&t, "package_search?q=bv&include_private=true", Some(&health)).await)), ["bv-chia-se", "bv-han-che", "bv-mo"]);
    // Reading another agency's non-open metadata is audited; the public's reads of open data are not.
    let id = ok(get(&t, "package_show?id=bv-chia-se", Some(&health)).await)["id"].as_str().unwrap().to_string();
    let reads = audit_actions(&t, &format!("dataset:{id}")).await;
    assert_eq!(reads.iter().filter(|(a, _)| a == "datahub.dataset.read").count(), 1, "{reads:?}");
    // The REST list applies the same rule.
    let list: Value = t.get("/api/datahub/datasets?q=bv", None).await.json().await.unwrap();
    assert_eq!(list["total"], 1);
    let token = t.login("data_officer").await;
    let list: Value = t.get("/api/datahub/datasets?q=bv", Some(&token)).await.json().await.unwrap();
    assert_eq!(list["total"], 3);
    assert_eq!(list["facets"]["sharing_level"].as_array().unwrap().len(), 3);
    t.cleanup().await;
}

#[tokio::test]
async fn search_filters_facets_sorts_and_pages() {
    let t = TestApp::spawn().await;
    let health = health_officer(&t).await;
    let schools = key_for(&t, "edu_officer", "SO-GDDT", Role::DataOfficer).await;
    let specs = [
        ("benh-vien-cong-lap", "Danh sách Bệnh viện công lập", &health, "so-yt", vec!["y tế", "bệnh viện"], "CSV", "cc-by-4.0", "health"),
        ("phong-kham-tu-nhan", "Phòng khám tư nhân", &health, "so-yt", vec!["y tế"], "XLSX", "odc-odbl", "health"),
        ("nha-thuoc", "Nhà thuốc đạt chuẩn GPP", &health, "so-yt", vec!["dược"], "CSV", "cc-by-4.0", "health"),
        ("truong-mam-non", "Trường mầm non", &schools, "so-gddt", vec!["giáo dục"], "JSON", "cc-zero", "education"),
        ("truong-tieu-hoc", "Trường tiểu học", &schools, "so-gddt", vec!["giáo dục"], "CSV", "cc-zero", "education"),
        ("y-te-truong-hoc", "Y tế trường học", &schools, "so-gddt", vec!["y tế", "giáo dục"], "CSV", "cc-by-4.0", "education"),
    ];
    for (name, title, key, org, tags, format, licence, theme) in &specs {
        t.clock.advance(chrono::Duration::minutes(1));
        let body = json!({
            "name": name, "title": title, "owner_org": org, "license_id": licence, "private": false,
            "tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
            "groups": [{"name": theme}],
            "resources": [{"name": "tệp", "url": format!("https://example.org/{name}"), "format": format}],
        });
        ok(call(&t, "package_create", Some(key), &body).await);
    }
    let names =
        |v: &Value| -> Vec<String> { v["results"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect() };
    let search = |q: String| {
        let t = &t;
        async move { ok(call(t, "package_search", None, &serde_json::from_str::<Value>(&q).unwrap()).await) }
    };
    // Diacritics-insensitive words, ranked by title.
    let r = search(r#"{"q": "benh vien"}"#.into()).await;
    assert_eq!(names(&r), ["benh-vien-cong-lap"]);
    // Three by their tags or theme ("Y tế"), one by its title.
    let r = search(r#"{"q": "y te"}"#.into()).await;
    assert_eq!(r["count"], 4);
    assert_eq!(names(&r)[0], "y-te-truong-hoc", "a title match ranks first");
    // fq clauses, alone and together, and negated.
    let count = |v: &Value| v["count"].as_i64().unwrap();
    assert_eq!(count(&search(r#"{"fq": "organization:so-yt"}"#.into()).await), 3);
    assert_eq!(count(&search(r#"{"fq": "organization:SO-GDDT"}"#.into()).await), 3);
    assert_eq!(count(&search(r#"{"fq": "tags:\"y tế\""}"#.into()).await), 3);
    assert_eq!(count(&search(r#"{"fq": "tags:\"y tế\" organization:so-gddt"}"#.into()).await), 1);
    assert_eq!(count(&search(r#"{"fq": "res_format:csv"}"#.into()).await), 4);
    assert_eq!(count(&search(r#"{"fq": "+res_format:CSV -license_id:cc-by-4.0"}"#.into()).await), 1);
    assert_eq!(count(&search(r#"{"fq": "groups:education license_id:cc-zero"}"#.into()).await), 2);
    assert_eq!(count(&search(r#"{"q": "tags:dược"}"#.into()).await), 1);
    assert_eq!(count(&search(r#"{"fq_list": ["organization:so-yt", "res_format:XLSX"]}"#.into()).await), 1);
    assert_eq!(count(&search(r#"{"fq": "organization:no-such-org"}"#.into()).await), 0);
    assert_eq!(count(&search(r#"{"q": "*:*"}"#.into()).await), 6);
    // Facets in both of CKAN's shapes.
    let r =
        search(r#"{"facet.field": "[\"organization\", \"tags\", \"res_format\", \"license_id\", \"groups\"]", "rows": 0}"#.into()).await;
    assert_eq!(r["results"], json!([]));
    assert_eq!(r["facets"]["organization"], json!({"so-yt": 3, "so-gddt": 3}));
    assert_eq!(r["facets"]["res_format"], json!({"CSV": 4, "XLSX": 1, "JSON": 1}));
    assert_eq!(r["facets"]["tags"]["y tế"], 3);
    assert_eq!(r["facets"]["groups"], json!({"health": 3, "education": 3}));
    let items = r["search_facets"]["tags"]["items"].as_array().unwrap();
    assert_eq!(items[0], json!({"name": "giáo dục", "display_name": "giáo dục", "count": 3}), "most frequent first, then by name");
    let org_item = r["search_facets"]["organization"]["items"].as_array().unwrap().iter().find(|i| i["name"] == "so-yt").unwrap().clone();
    assert_eq!(org_item["display_name"], "Sở Y tế");
    let r = search(r#"{"facet.field": ["tags"], "facet.limit": 1, "rows": 0}"#.into()).await;
    assert_eq!(r["search_facets"]["tags"]["items"].as_array().unwrap().len(), 1);
    // Sorts.
    let r = search(r#"{"sort": "metadata_modified desc", "rows": 6}"#.into()).await;
    assert_eq!(
        names(&r),
        ["y-te-truong-hoc", "truong-tieu-hoc", "truong-mam-non", "nha-thuoc", "phong-kham-tu-nhan", "benh-vien-cong-lap"]
    );
    let r = search(r#"{"sort": "name asc", "rows": 6}"#.into()).await;
    assert_eq!(
        names(&r),
        ["benh-vien-cong-lap", "nha-thuoc", "phong-kham-tu-nhan", "truong-mam-non", "truong-tieu-hoc", "y-te-truong-hoc"]
    );
    let r = search(r#"{"sort": "title_string asc", "fq": "organization:so-gddt"}"#.into()).await;
    assert_eq!(names(&r), ["truong-mam-non", "truong-tieu-hoc", "y-te-truong-hoc"]);
    // Paging: pages are disjoint and add up to the whole.
    let mut seen = Vec::new();
    for start in [0, 2, 4] {
        let r = ok(get(&t, &format!("package_search?sort=name%20asc&rows=2&start={start}"), None).await);
        assert_eq!(r["count"], 6);
        seen.extend(names(&r));
    }
    assert_eq!(seen, names(&search(r#"{"sort": "name asc", "rows": 100}"#.into()).await));
    // Query errors are CKAN's.
    err(call(&t, "package_search", None, &json!({"sort": "views desc"})).await, 400, "Search Query Error");
    err(call(&t, "package_search", None, &json!({"fq": "colour:red"})).await, 400, "Search Query Error");
    err(call(&t, "package_search", None, &json!({"q": "(a OR b)"})).await, 400, "Search Query Error");
    err(call(&t, "package_search", None, &json!({"rows": "many"})).await, 409, "Validation Error");
    t.cleanup().await;
}

#[tokio::test]
async fn organizations_groups_tags_and_licences() {
    let t = TestApp::spawn().await;
    let health = health_officer(&t).await;
    let mut body = package("tram-y-te", "SO-YT", "open");
    body["tags"] = json!([{"name": "y tế"}, {"name": "trạm y tế"}]);
    body["groups"] = json!([{"name": "health"}]);
    ok(call(&t, "package_create", Some(&health), &body).await);
    let mut hidden = package("han-che", "so-yt", "restricted");
    hidden["tags"] = json!([{"name": "bí mật"}]);
    ok(call(&t, "package_create", Some(&health), &hidden).await);

    let orgs = ok(get(&t, "organization_list", None).await);
    assert!(orgs.as_array().unwrap().iter().any(|o| o == "so-yt"));
    let all = ok(get(&t, "organization_list?all_fields=true&sort=package_count%20desc&limit=3", None).await);
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[0]["name"], "so-yt");
    assert_eq!(all[0]["package_count"], 1, "open datasets only");
    assert_eq!(all[0]["is_organization"], true);
    let org = ok(get(&t, "organization_show?id=so-yt&include_datasets=true", None).await);
    assert_eq!(org["title"], "Sở Y tế");
    assert_eq!(org["id"], "SO-YT");
    assert_eq!(org["packages"].as_array().unwrap().len(), 1);
    err(get(&t, "organization_show?id=nope", None).await, 404, "Not Found Error");

    let groups = ok(get(&t, "group_list", None).await);
    assert!(groups.as_array().unwrap().iter().any(|g| g == "health"));
    let groups = ok(get(&t, "group_list?all_fields=true", None).await);
    let health_group = groups.as_array().unwrap().iter().find(|g| g["name"] == "health").unwrap().clone();
    assert_eq!((health_group["title"].as_str(), health_group["package_count"].as_i64()), (Some("Y tế"), Some(1)));

    assert_eq!(ok(get(&t, "tag_list", None).await), json!(["trạm y tế", "y tế"]), "tags of open datasets only");
    assert_eq!(ok(get(&t, "tag_list?query=tram", None).await), json!(["trạm y tế"]));
    let licences = ok(get(&t, "license_list", None).await);
    assert!(licences.as_array().unwrap().iter().any(|l| l["id"] == "cc-by-4.0" && l["is_okd_compliant"] == true));
    let vocab: Value = t.get("/api/datahub/vocabulary", None).await.json().await.unwrap();
    assert_eq!(vocab["themes"].as_array().unwrap().len(), 10);
    assert_eq!(vocab["sharing_levels"], json!(["open", "shared", "restricted"]));
    t.cleanup().await;
}

#[tokio::test]
async fn dcat_export_describes_open_datasets_with_the_mandatory_properties() {
    let t = TestApp::spawn().await;
    let health = health_officer(&t).await;
    let mut body = package("co-so-y-te", "so-yt", "open");
    body["notes"] = json!("Danh sách \"cơ sở\" y tế\ntrên địa bàn");
    body["tags"] = json!([{"name": "y tế"}]);
    body["groups"] = json!([{"name": "health"}]);
    body["maintainer"] = json!("Phòng Công nghệ thông tin");
    body["maintainer_email"] = json!("cntt@soyte.hochiminhcity.gov.vn");
    body["extras"] = json!([
        {"key": "sharing_level", "value": "open"},
        {"key": "title_en", "value": "Health facilities"},
        {"key": "update_frequency", "value": "monthly"},
        {"key": "temporal_start", "value": "2025-07-01"},
        {"key": "spatial", "value": "{\"type\": \"Point\", \"coordinates\": [106.70, 10.77]}"},
    ]);
    body["resources"] = json!([{"name": "Cổng thông tin", "url": "https://medinet.hochiminhcity.gov.vn/", "format": "HTML"}]);
    ok(call(&t, "package_create", Some(&health), &body).await);
    ok(call(&t, "package_create", Some(&health), &package("khong-cong-khai", "so-yt", "shared")).await);

    let r = t.get("/api/datahub/dcat.jsonld", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/ld+json");
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
    let graph = doc["@graph"].as_array().unwrap();
    let of_type = |ty: &str| graph.iter().filter(|n| n["@type"].as_array().unwrap().iter().any(|x| x == ty)).cloned().collect::<Vec<_>>();
    let catalog = &of_type("dcat:Catalog")[0];
    for p in ["dct:title", "dct:description", "dct:publisher", "dcat:dataset", "foaf:homepage", "dct:language", "dcat:themeTaxonomy"] {
        assert!(catalog[p].is_array(), "catalog {p}");
    }
    let datasets = of_type("dcat:Dataset");
    assert_eq!(datasets.len(), 1, "open datasets only");
    let d = &datasets[0];
    for p in [
        "dct:title",
        "dct:description",
        "dct:identifier",
        "dct:publisher",
        "dcat:contactPoint",
        "dcat:keyword",
        "dcat:theme",
        "dct:issued",
        "dct:modified",
        "dct:spatial",
        "dct:temporal",
        "dct:accrualPeriodicity",
        "dct:accessRights",
        "dcat:distribution",
    ] {
        assert!(d[p].is_array(), "dataset {p} in {d}");
    }
    assert!(d["dct:title"].as_array().unwrap().iter().any(|t| t["@language"] == "en" && t["@value"] == "Health facilities"));
    assert_eq!(d["dcat:theme"][0]["@id"], "http://publications.europa.eu/resource/authority/data-theme/HEAL");
    assert_eq!(d["dct:accrualPeriodicity"][0]["@id"], "http://publications.europa.eu/resource/authority/frequency/MONTHLY");
    assert_eq!(d["dct:issued"][0]["@type"], "xsd:dateTime");
    assert_eq!(d["dct:temporal"][0]["@type"], json!(["dct:PeriodOfTime"]));
    assert_eq!(d["dct:spatial"][0]["locn:geometry"][0]["@type"], "gsp:geoJSONLiteral");
    assert_eq!(d["dcat:contactPoint"][0]["vcard:hasEmail"][0]["@id"], "mailto:cntt@soyte.hochiminhcity.gov.vn");
    let dist = &of_type("dcat:Distribution")[0];
    assert_eq!(dist["dcat:accessURL"][0]["@id"], "https://medinet.hochiminhcity.gov.vn/");
    assert_eq!(dist["dct:format"][0]["@id"], "http://publications.europa.eu/resource/authority/file-type/HTML");
    assert_eq!(dist["dct:license"][0]["@id"], "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0");
    assert!(!of_type("foaf:Agent").is_empty());

    let r = t.get("/api/datahub/dcat.ttl", None).await;
    assert_eq!(r.headers()["content-type"], "text/turtle; charset=utf-8");
    let ttl = r.text().await.unwrap();
    assert!(ttl.contains("@prefix dcat: <http://www.w3.org/ns/dcat#> ."));
    assert!(ttl.contains(r#"dct:description "Danh sách \"cơ sở\" y tế\ntrên địa bàn"@vi"#), "{ttl}");
    assert!(!ttl.contains("khong-cong-khai"));
    let negotiated = t.http.get(format!("{}/api/datahub/catalog", t.url)).header("accept", "text/turtle").send().await.unwrap();
    assert_eq!(negotiated.headers()["content-type"], "text/turtle; charset=utf-8");
    t.cleanup().await;
}

/// A multipart body with text fields, then the file in `upload`.
fn multipart(fields: &[(&str, &str)], filename: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "ranh-gioi-ckan-7f3a";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn resource_upload_goes_through_the_ingest_and_datastore_search_reads_it() {
    let t = TestApp::spawn().await;
    let key = health_officer(&t).await;
    let schools = key_for(&t, "edu_officer", "SO-GDDT", Role::DataOfficer).await;
    ok(call(&t, "package_create", Some(&key), &package("tram-y-te-phuong", "so-yt", "open")).await);
    let csv = "ten,phuong,so_giuong\nTrạm Y tế phường Sài Gòn,Sài Gòn,4\nTrạm Y tế phường Bến Thành,Bến Thành,6\nBệnh viện Chợ Rẫy,Chợ Lớn,1800\n";
    let send = |key: String, fields: Vec<(&'static str, String)>, data: &'static str| {
        let t = &t;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (ct, body) = multipart(&f, "tram-y-te.csv", data.as_bytes());
            let r = t
                .http
                .post(format!("{}/api/action/resource_create", t.url))
                .header("Authorization", key)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let fields =
        vec![("package_id", "tram-y-te-phuong".to_string()), ("name", "Danh sách trạm y tế".to_string()), ("format", "CSV".to_string())];
    // Another agency's officer cannot add files to it, and nothing is left behind.
    err(send(schools.clone(), fields.clone(), csv).await, 403, "Authorization Error");
    let r = ok(send(key.clone(), fields.clone(), csv).await);
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["url_type"], "upload");
    assert_eq!(r["datastore_active"], true);
    assert_eq!(r["version"], 1);
    assert!(r["url"].as_str().unwrap().ends_with(&format!("/api/datahub/resources/{id}/versions/1/download")), "{r}");
    let pkg = ok(get(&t, "package_show?id=tram-y-te-phuong", None).await);
    assert_eq!(pkg["num_resources"], 1);
    // A file the ingest refuses leaves no resource behind.
    let refused = send(key.clone(), fields, "\u{0}\u{1}\u{2}not,a\ncsv\u{0}").await;
    assert_ne!(refused.0, 200, "{}", refused.1);
    assert_eq!(ok(get(&t, "package_show?id=tram-y-te-phuong", None).await)["num_resources"], 1);

    // datastore_search, anonymously (the dataset is open), with CKAN's parameters.
    let found = ok(call(&t, "datastore_search", None, &json!({"resource_id": id, "q": "benh vien"})).await);
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["records"][0]["ten"], "Bệnh viện Chợ Rẫy");
    let found = ok(get(&t, &format!("datastore_search?resource_id={id}&limit=1&sort=so_giuong%20desc"), None).await);
    assert_eq!(found["total"], 3);
    assert_eq!(found["records"].as_array().unwrap().len(), 1);
    assert!(found["fields"].as_array().unwrap().iter().any(|f| f["id"] == "so_giuong"));
    err(call(&t, "datastore_search", None, &json!({"resource_id": "no-such-resource"})).await, 404, "Not Found Error");

    // Format clauses follow every change of the dataset's resources, whoever makes it.
    let count = |fq: &str| {
        let t = &t;
        let fq = format!("name:tram-y-te-phuong {fq}");
        async move { ok(call(t, "package_search", None, &json!({ "fq": fq })).await)["count"].as_i64().unwrap() }
    };
    assert_eq!(count("res_format:csv").await, 1);
    ok(call(&t, "resource_patch", Some(&key), &json!({"id": id, "format": "xlsx"})).await);
    assert_eq!((count("res_format:CSV").await, count("res_format:XLSX").await), (0, 1));
    let tables: Vec<String> = sqlx::query("SELECT table_name FROM datastore_tables WHERE resource_id = $1")
        .bind(&id)
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("table_name"))
        .collect();
    assert!(!tables.is_empty());
    ok(call(&t, "resource_delete", Some(&key), &json!({"id": id})).await);
    assert_eq!(count("res_format:XLSX").await, 0);
    // Its rows went with it: the tables are dropped, and a search of it is CKAN's 404.
    for table in &tables {
        assert!(
            sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(t.db().reader()).await.is_err(),
            "{table} is still there"
        );
    }
    err(call(&t, "datastore_search", None, &json!({"resource_id": id})).await, 404, "Not Found Error");
    err(get(&t, &format!("datastore_search?resource_id={id}"), None).await, 404, "Not Found Error");
    t.cleanup().await;
}

#[tokio::test]
async fn every_demo_role_at_the_catalogue_boundaries() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    let restricted = json!({"name": "han-che-so-yt", "title_vi": "Hạn chế", "owner_agency": "SO-YT", "sharing_level": "restricted"});
    assert_eq!(t.post("/api/datahub/datasets", Some(&officer), &restricted).await.status(), 201);
    for user in ["admin", "agency_admin", "data_officer", "operator", "staff", "analyst", "auditor", "viewer"] {
        let token = t.login(user).await;
        // Writing SO-YT's catalogue: its data officer and administrators only (the agency admin is Sở Xây dựng's).
        let body = json!({"name": format!("cua-{}", user.replace('_', "-")), "title_vi": "Thử", "owner_agency": "SO-YT"});
        let r = t.post("/api/datahub/datasets", Some(&token), &body).await;
        if matches!(user, "admin" | "data_officer") {
            assert_eq!(r.status(), 201, "{user} creates");
        } else {
            assert_problem(r, 403, "forbidden").await;
        }
        // Seeing SO-YT's restricted dataset: the agency and city-wide grants.
        let r = t.get("/api/datahub/datasets/han-che-so-yt", Some(&token)).await;
        if matches!(user, "admin" | "data_officer" | "operator" | "analyst" | "auditor") {
            assert_eq!(r.status(), 200, "{user} sees it");
        } else {
            assert_problem(r, 404, "not_found").await;
        }
    }
    assert_problem(t.get("/api/datahub/datasets/han-che-so-yt", None).await, 404, "not_found").await;
    t.cleanup().await;
}

#[tokio::test]
async fn the_demo_catalogue_seeds_once() {
    let t = TestApp::spawn().await;
    assert_eq!(cityos_datahub::seed::seed_catalogue(&t.app.datahub).await.unwrap(), 9);
    assert_eq!(cityos_datahub::seed::seed_catalogue(&t.app.datahub).await.unwrap(), 0);
    let open = ok(get(&t, "package_list", None).await);
    assert_eq!(open, json!(["cho-truyen-thong", "co-so-y-te", "nguoi-hanh-nghe-kham-chua-benh", "tram-xe-buyt", "truong-hoc"]));
    let health = ok(get(&t, "package_show?id=co-so-y-te", None).await);
    assert_eq!((health["resources"][0]["url_type"].as_str(), health["organization"]["name"].as_str()), (Some("upload"), Some("so-yt")));
    let r = ok(get(&t, "package_search?q=cho&fq=organization:so-ct", None).await);
    assert_eq!(r["results"][0]["name"], "cho-truyen-thong");
    t.cleanup().await;
}
