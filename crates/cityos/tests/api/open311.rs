//! Open311 GeoReport v2 at `/open311/v2`: discovery, services and their
//! definitions, creating requests with an API key, listing with every
//! filter, the public history extension, error arrays in both formats, and
//! no personal data in anything a reader gets back.

use crate::harness::TestApp;
use cityos_core::Clock as _;
use serde_json::{json, Value};

async fn app_with(configure: impl FnOnce(&mut cityos_core::config::Config)) -> TestApp {
    let t = TestApp::spawn_with(configure).await;
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 0).await.unwrap();
    t
}

async fn app() -> TestApp {
    app_with(|_| {}).await
}

/// Phường Sài Gòn's published centroid.
const SAIGON: (f64, f64) = (10.7805, 106.704);

async fn get(t: &TestApp, path: &str) -> reqwest::Response {
    t.http.get(format!("{}/open311/v2/{path}", t.url)).send().await.unwrap()
}

async fn get_json(t: &TestApp, path: &str) -> Value {
    let r = get(t, path).await;
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(content_type(&r), "application/json; charset=utf-8", "{path}");
    r.json().await.unwrap()
}

async fn get_xml(t: &TestApp, path: &str) -> String {
    let r = get(t, path).await;
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(content_type(&r), "text/xml; charset=utf-8", "{path}");
    let body = r.text().await.unwrap();
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"), "{body}");
    body
}

async fn post_form(t: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    t.http.post(format!("{}/open311/v2/{path}", t.url)).form(form).send().await.unwrap()
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// The texts of every `<name>…</name>` element, in order (a tiny reader for
/// the flat documents Open311 returns; `<name/>` reads as empty).
fn texts(xml: &str, name: &str) -> Vec<String> {
    let (open, close, empty) = (format!("<{name}>"), format!("</{name}>"), format!("<{name}/>"));
    let mut out = Vec::new();
    let mut rest = xml;
    loop {
        let o = rest.find(&open);
        let e = rest.find(&empty);
        match (o, e) {
            (Some(o), e) if e.is_none_or(|e| o < e) => {
                let after = &rest[o + open.len()..];
                let end = after.find(&close).expect("element is closed");
                out.push(unescape(&after[..end]));
                rest = &after[end + close.len()..];
            }
            (_, Some(e)) => {
                out.push(String::new());
                rest = &rest[e + empty.len()..];
            }
            _ => return out,
        }
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// Asserts an Open311 error array (JSON) with `code` equal to the status.
async fn assert_error(r: reqwest::Response, code: u16) -> String {
    assert_eq!(r.status().as_u16(), code, "status");
    assert_eq!(content_type(&r), "application/json; charset=utf-8");
    let body: Value = r.json().await.unwrap();
    let arr = body.as_array().unwrap_or_else(|| panic!("an error array: {body}"));
    assert_eq!(arr.len(), 1, "{body}");
    assert_eq!(arr[0]["code"], code, "{body}");
    arr[0]["description"].as_str().unwrap().to_string()
}

/// Asserts an Open311 error document (XML).
async fn assert_xml_error(r: reqwest::Response, code: u16) -> String {
    assert_eq!(r.status().as_u16(), code, "status");
    assert_eq!(content_type(&r), "text/xml; charset=utf-8");
    let body = r.text().await.unwrap();
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>"), "{body}");
    assert_eq!(texts(&body, "code"), vec![code.to_string()], "{body}");
    texts(&body, "description").remove(0)
}

/// An API key of the demo operator.
async fn api_key(t: &TestApp) -> String {
    let op = t.login("operator").await;
    let r = t.post("/api/auth/api-keys", Some(&op), &json!({"name": "open311 client"})).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_string()
}

/// Creates a request through Open311 and returns its id.
async fn create(t: &TestApp, key: &str, form: &[(&str, &str)]) -> String {
    let mut all = vec![("api_key", key)];
    all.extend_from_slice(form);
    let r = post_form(t, "requests.json", &all).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let body: Value = r.json().await.unwrap();
    body[0]["service_request_id"].as_str().expect("a string service_request_id").to_string()
}

#[tokio::test]
async fn discovery_services_and_definitions_in_both_formats_and_languages() {
    let t = app().await;
    let d = get_json(&t, "discovery.json").await;
    let ep = &d["endpoints"][0];
    assert_eq!(ep["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert_eq!(ep["type"], "production");
    assert_eq!(ep["formats"], json!(["application/json", "text/xml"]));
    assert!(ep["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert!(d["changeset"].as_str().unwrap().ends_with("+07:00") && d["key_service"].is_string() && d["contact"].is_string());
    let dx = get_xml(&t, "discovery.xml").await;
    assert!(dx.contains("<discovery><changeset>"), "{dx}");
    assert_eq!(texts(&dx, "format"), vec!["application/json", "text/xml"]);

    // Services are the leaf categories, Vietnamese first.
    let cats: Value = t.get("/api/feedback/categories", None).await.json().await.unwrap();
    let leaves: Vec<&Value> = cats["items"].as_array().unwrap().iter().filter(|c| c["parent_code"].is_string()).collect();
    let services = get_json(&t, "services.json").await;
    let services = services.as_array().unwrap();
    assert_eq!(services.len(), leaves.len());
    let pothole = services.iter().find(|s| s["service_code"] == "ROADS.POTHOLE").unwrap();
    assert_eq!(pothole["service_name"], "Ổ gà, hư hỏng mặt đường");
    assert_eq!(pothole["group"], "Giao thông – đường sá");
    assert_eq!((pothole["metadata"].as_bool(), pothole["type"].as_str()), (Some(true), Some("realtime")));
    assert!(pothole["keywords"].as_str().unwrap().split(',').any(|k| k == "o ga"));
    assert!(services.iter().all(|s| s["service_code"] != "ROADS"), "groups are not services");
    let en = get_json(&t, "services.json?locale=en").await;
    assert!(en.as_array().unwrap().iter().any(|s| s["service_name"] == "Pothole or damaged road" && s["group"] == "Roads"));
    let by_header: Value = t
        .http
        .get(format!("{}/open311/v2/services.json", t.url))
        .header("accept-language", "en-GB,en;q=0.8")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_header, en);
    let xml = get_xml(&t, "services.xml").await;
    assert!(xml.contains("<services><service><service_code>"), "{xml}");
    assert_eq!(texts(&xml, "service_code").len(), leaves.len());
    assert!(texts(&xml, "service_name").contains(&"Ổ gà, hư hỏng mặt đường".to_string()));
    assert_eq!(get_json(&t, "services.json?jurisdiction_id=hochiminhcity.gov.vn").await.as_array().unwrap().len(), leaves.len());
    assert_error(get(&t, "services.json?jurisdiction_id=hanoi.gov.vn").await, 404).await;
    assert_xml_error(get(&t, "services.xml?jurisdiction_id=hanoi.gov.vn").await, 404).await;
    assert_error(get(&t, "services.yaml").await, 400).await;

    // A service definition: attributes as the specification lays them out.
    let def = get_json(&t, "services/ROADS.POTHOLE.json").await;
    assert_eq!(def["service_code"], "ROADS.POTHOLE");
    let attrs = def["attributes"].as_array().unwrap();
    let landmark = attrs.iter().find(|a| a["code"] == "landmark").unwrap();
    assert_eq!(
        (landmark["datatype"].as_str(), landmark["required"].as_bool(), landmark["variable"].as_bool()),
        (Some("string"), Some(false), Some(true))
    );
    let size = attrs.iter().find(|a| a["code"] == "size").unwrap();
    assert_eq!(size["datatype"], "singlevaluelist");
    assert_eq!(
        size["values"].as_array().unwrap().iter().map(|v| v["key"].as_str().unwrap()).collect::<Vec<_>>(),
        ["small", "medium", "large"]
    );
    assert!(attrs.iter().map(|a| a["order"].as_u64().unwrap()).eq(1..=attrs.len() as u64));
    let dxml = get_xml(&t, "services/ROADS.POTHOLE.xml?locale=en").await;
    assert!(dxml.contains("<service_definition><service_code>ROADS.POTHOLE</service_code><attributes><attribute>"), "{dxml}");
    assert!(texts(&dxml, "name").contains(&"Large (over 1 m)".to_string()));
    assert!(get_json(&t, "services/WASTE.DUMP.json").await["attributes"].as_array().unwrap().len() == 1);
    assert!(assert_error(get(&t, "services/ROADS.json").await, 404).await.contains("ROADS"));
    assert_xml_error(get(&t, "services/NOPE.xml").await, 404).await;
    t.cleanup().await;
}

#[tokio::test]
async fn creating_a_request_needs_an_api_key_and_answers_with_the_tracking_code() {
    let t = app().await;
    let (lat, long) = (SAIGON.0.to_string(), SAIGON.1.to_string());
    let form = [("service_code", "ROADS.POTHOLE"), ("lat", lat.as_str()), ("long", long.as_str()), ("description", "Ổ gà lớn giữa đường")];
    // No key, an unknown key in the form, an unknown key in the query string: 403 arrays.
    assert!(assert_error(post_form(&t, "requests.json", &form).await, 403).await.contains("api_key"));
    let mut bad = form.to_vec();
    bad.push(("api_key", "cok_nope_nope"));
    assert_error(post_form(&t, "requests.json", &bad).await, 403).await;
    assert_xml_error(post_form(&t, "requests.xml?api_key=cok_nope_nope", &form).await, 403).await;
    // A staff session is not an API key.
    let op = t.login("operator").await;
    let r = t.http.post(format!("{}/open311/v2/requests.json", t.url)).bearer_auth(&op).form(&form).send().await.unwrap();
    assert_error(r, 403).await;

    let key = api_key(&t).await;
    let with_key = |extra: &[(&'static str, &'static str)]| {
        let mut f = vec![("api_key", key.clone())];
        f.extend(extra.iter().map(|(k, v)| (*k, (*v).to_string())));
        f
    };
    let send = |f: Vec<(&'static str, String)>| {
        let url = format!("{}/open311/v2/requests.json", t.url);
        let http = t.http.clone();
        async move { http.post(url).form(&f).send().await.unwrap() }
    };
    // Refusals: no location, unknown or group service, a value outside a list, too long a description, a JSON body.
    assert!(assert_error(send(with_key(&[("service_code", "ROADS.POTHOLE"), ("description", "Ổ gà lớn")])).await, 400)
        .await
        .contains("location"));
    assert_error(send(with_key(&[("service_code", "NOPE"), ("address_string", "Lê Lợi")])).await, 400).await;
    assert_error(send(with_key(&[("service_code", "ROADS"), ("address_string", "Lê Lợi")])).await, 400).await;
    assert_error(send(with_key(&[("address_string", "Lê Lợi")])).await, 400).await;
    assert_error(send(with_key(&[("service_code", "ROADS.POTHOLE"), ("lat", "10.78")])).await, 400).await;
    assert_error(send(with_key(&[("service_code", "ROADS.POTHOLE"), ("lat", "abc"), ("long", "106.7")])).await, 400).await;
    assert_error(send(with_key(&[("service_code", "ROADS.POTHOLE"), ("address_id", "99999")])).await, 400).await;
    assert!(assert_error(
        send(with_key(&[("service_code", "ROADS.POTHOLE"), ("address_string", "Lê Lợi"), ("attribute[size]", "huge")])).await,
        400
    )
    .await
    .contains("size"));
    let long_text = "x".repeat(4001);
    let mut f = with_key(&[("service_code", "ROADS.POTHOLE"), ("address_string", "Lê Lợi")]);
    f.push(("description", long_text));
    assert_error(send(f).await, 400).await;
    let r = t
        .http
        .post(format!("{}/open311/v2/requests.json?api_key={key}", t.url))
        .json(&json!({"service_code": "ROADS.POTHOLE"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 400).await;

    // Created: 200 with an array holding the tracking code and the deadline notice.
    let r = send(with_key(&[
        ("service_code", "ROADS.POTHOLE"),
        ("lat", "10.7805"),
        ("long", "106.704"),
        ("description", "Ổ gà lớn giữa đường, xe máy dễ té"),
        ("email", "lan@example.vn"),
        ("phone", "0901234567"),
        ("first_name", "Lan"),
        ("last_name", "Nguyễn"),
        ("device_id", "device-42"),
        ("account_id", "acct-7"),
        ("media_url", "https://img.example.vn/o-ga.jpg"),
        ("attribute[size]", "large"),
        ("attribute[landmark]", "Trước chợ Bến Thành"),
    ]))
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "application/json; charset=utf-8");
    let body: Value = r.json().await.unwrap();
    let code = body[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(body[0]["service_notice"].as_str().unwrap().contains("10 ngày làm việc"), "{body}");
    assert!(body[0]["account_id"].is_null());
    // The unit sees an Open311 report with the contact details and the attributes.
    let full: Value = t.get(&format!("/api/feedback/reports/{code}"), Some(&op)).await.json().await.unwrap();
    assert_eq!(full["channel"], "open311");
    assert_eq!(full["agency_code"], "UBND-P-SAIGON");
    assert_eq!((full["reporter"]["name"].as_str(), full["reporter"]["email"].as_str()), (Some("Lan Nguyễn"), Some("lan@example.vn")));
    assert!(full["reporter"]["phone"].as_str().unwrap().ends_with("901234567"), "{}", full["reporter"]);
    let text = full["description"].as_str().unwrap();
    assert!(text.contains("Kích thước chỗ hư hỏng: Lớn (trên 1 m)") && text.contains("Trước chợ Bến Thành"), "{text}");
    assert_eq!(full["media_url"], "https://img.example.vn/o-ga.jpg");
    assert!(!full.to_string().contains("device-42") && !full.to_string().contains("acct-7"), "device and account ids are not kept");

    // Requests with and without coordinates, interleaved over the pool's connections, all succeed
    // (a missing coordinate once left PostgreSQL expecting float4 on that connection).
    for i in 0..8 {
        let form: &[(&str, &str)] = if i % 2 == 0 {
            &[("service_code", "WASTE.DUMP"), ("address_string", "Hẻm 12 Lê Lợi, Phường Sài Gòn"), ("description", "Rác đổ trộm")]
        } else {
            &[("service_code", "WASTE.DUMP"), ("lat", "10.7806"), ("long", "106.7041"), ("description", "Rác đổ trộm")]
        };
        create(&t, &key, form).await;
    }

    // XML, with the key in the query string and a ward's GSO code as the only location.
    let r =
        post_form(&t, &format!("requests.xml?api_key={key}&locale=en"), &[("service_code", "LIGHTING.OUT"), ("address_id", "26740")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "text/xml; charset=utf-8");
    let xml = r.text().await.unwrap();
    assert!(xml.contains("<service_requests><request><service_request_id>"), "{xml}");
    assert!(texts(&xml, "service_notice")[0].contains("5 working days"), "{xml}");
    assert_eq!(texts(&xml, "account_id"), vec![String::new()]);
    let code2 = texts(&xml, "service_request_id").remove(0);
    let full: Value = t.get(&format!("/api/feedback/reports/{code2}"), Some(&op)).await.json().await.unwrap();
    assert_eq!((full["jurisdiction_code"].as_str(), full["description"].as_str()), (Some("26740"), Some("Đèn đường không sáng")));
    t.cleanup().await;
}

#[tokio::test]
async fn listing_filters_by_id_service_date_and_status_and_shows_no_personal_data() {
    let t = app().await;
    let key = api_key(&t).await;
    let personal = [("email", "lan@example.vn"), ("phone", "0901234567"), ("first_name", "Lan"), ("last_name", "Nguyễn-Thị")];
    let mut form = vec![
        ("service_code", "ROADS.POTHOLE"),
        ("lat", "10.78051"),
        ("long", "106.70412"),
        ("description", "Ổ gà trước nhà, gọi tôi 0901234567"),
    ];
    form.extend_from_slice(&personal);
    let a = create(&t, &key, &form).await;
    t.clock.advance(chrono::Duration::days(3));
    let mut form =
        vec![("service_code", "LIGHTING.OUT"), ("address_string", "Đường Lê Lợi, Phường Sài Gòn"), ("description", "Đèn đường tắt")];
    form.extend_from_slice(&personal);
    let b = create(&t, &key, &form).await;
    t.clock.advance(chrono::Duration::days(3));
    let c =
        create(&t, &key, &[("service_code", "ROADS.POTHOLE"), ("lat", "10.7805"), ("long", "106.704"), ("description", "Ổ gà thứ hai")])
            .await;
    // The first is fixed: Open311 calls that closed.
    let op = t.login("operator").await;
    let r = t.post(&format!("/api/feedback/reports/{a}/transition"), Some(&op), &json!({"status": "resolved", "text": "Đã vá ổ gà"})).await;
    assert_eq!(r.status(), 200);

    let ids = |v: &Value| v.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let all = get_json(&t, "requests.json").await;
    assert_eq!(ids(&all), vec![c.clone(), b.clone(), a.clone()], "newest first");
    let first = all.as_array().unwrap().iter().find(|r| r["service_request_id"] == a.as_str()).unwrap();
    assert_eq!(first["status"], "closed");
    assert_eq!(first["status_notes"], "Đã xử lý xong: Đã vá ổ gà");
    assert_eq!(first["service_code"], "ROADS.POTHOLE");
    assert_eq!(first["service_name"], "Ổ gà, hư hỏng mặt đường");
    assert_eq!(first["agency_responsible"], "Ủy ban nhân dân phường Sài Gòn");
    assert!(first["address"].as_str().unwrap().starts_with("Phường Sài Gòn"), "{first}");
    assert_eq!((first["lat"].as_f64(), first["long"].as_f64()), (Some(10.781), Some(106.704)), "rounded to about 100 m");
    for field in ["requested_datetime", "updated_datetime", "expected_datetime"] {
        let v = first[field].as_str().unwrap();
        assert!(v.ends_with("+07:00") && chrono::DateTime::parse_from_rfc3339(v).is_ok(), "{field}: {v}");
    }
    assert!(first["expected_datetime"].as_str().unwrap() > first["requested_datetime"].as_str().unwrap());
    assert!(first["description"].as_str().unwrap().contains("[số điện thoại]"));
    let en = get_json(&t, &format!("requests/{a}.json?locale=en")).await;
    assert_eq!(
        (en[0]["status_notes"].as_str(), en[0]["agency_responsible"].as_str()),
        (Some("Resolved: Đã vá ổ gà"), Some("Sai Gon Ward People's Committee"))
    );

    // Filters.
    assert_eq!(ids(&get_json(&t, "requests.json?status=open").await), vec![c.clone(), b.clone()]);
    assert_eq!(ids(&get_json(&t, "requests.json?status=closed").await), vec![a.clone()]);
    assert_eq!(ids(&get_json(&t, "requests.json?status=open,closed").await).len(), 3);
    assert_eq!(ids(&get_json(&t, "requests.json?service_code=LIGHTING.OUT").await), vec![b.clone()]);
    assert_eq!(ids(&get_json(&t, "requests.json?service_code=LIGHTING.OUT,ROADS.POTHOLE&status=open").await), vec![c.clone(), b.clone()]);
    let now = t.clock.now();
    let day = |d: i64| (now - chrono::Duration::days(d)).to_rfc3339();
    let enc = |s: String| s.replace('+', "%2B");
    assert_eq!(ids(&get_json(&t, &format!("requests.json?start_date={}", enc(day(4)))).await), vec![c.clone(), b.clone()]);
    assert_eq!(ids(&get_json(&t, &format!("requests.json?end_date={}", enc(day(4)))).await), vec![a.clone()]);
    assert_eq!(ids(&get_json(&t, &format!("requests.json?start_date={}&end_date={}", enc(day(5)), enc(day(1)))).await), vec![b.clone()]);
    // An unencoded "+" arrives as a space and is still read as the offset.
    let local = (now - chrono::Duration::days(4))
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M:%S+07:00");
    assert_eq!(ids(&get_json(&t, &format!("requests.json?start_date={local}")).await), vec![c.clone(), b.clone()]);
    assert_error(get(&t, "requests.json?start_date=yesterday").await, 400).await;
    assert_error(get(&t, &format!("requests.json?start_date={}&end_date={}", enc(day(200)), enc(day(1)))).await, 400).await;
    assert_error(get(&t, "requests.json?status=pending").await, 400).await;
    // service_request_id overrides every other filter.
    assert_eq!(
        ids(&get_json(&t, &format!("requests.json?service_request_id={a},{c}&status=open&service_code=LIGHTING.OUT")).await),
        vec![c.clone(), a.clone()]
    );
    assert!(ids(&get_json(&t, "requests.json?service_request_id=NOPE").await).is_empty());
    // Past the default 90 days, only an explicit range finds them.
    t.clock.advance(chrono::Duration::days(100));
    assert!(ids(&get_json(&t, "requests.json").await).is_empty());
    assert_eq!(ids(&get_json(&t, &format!("requests.json?start_date={}", enc(day(7)))).await).len(), 3);

    // One request; unknown ids are 404 arrays in both formats.
    let one = get_json(&t, &format!("requests/{b}.json")).await;
    assert_eq!((ids(&one), one[0]["status"].as_str()), (vec![b.clone()], Some("open")));
    let xml = get_xml(&t, &format!("requests/{b}.xml")).await;
    assert!(xml.contains("<service_requests><request><service_request_id>"), "{xml}");
    assert_eq!(texts(&xml, "service_request_id"), vec![b.clone()]);
    assert_eq!(texts(&xml, "status"), vec!["open"]);
    assert_eq!(texts(&xml, "service_code"), vec!["LIGHTING.OUT"]);
    assert!(assert_error(get(&t, "requests/NOPE.json").await, 404).await.contains("NOPE"));
    assert_xml_error(get(&t, "requests/NOPE.xml").await, 404).await;
    let list_xml = get_xml(&t, &format!("requests.xml?start_date={}", enc(day(7)))).await;
    assert_eq!(texts(&list_xml, "service_request_id").len(), 3);

    // No personal data in anything a reader gets back.
    let mut everything = Vec::new();
    for path in [
        format!("requests.json?start_date={}", enc(day(7))),
        format!("requests.xml?start_date={}", enc(day(7))),
        format!("requests/{a}.json"),
        format!("requests/{b}.xml"),
        format!("servicerequestupdates.json?start_date={}", enc(day(7))),
        format!("servicerequestupdates.xml?start_date={}", enc(day(7))),
    ] {
        everything.push(get(&t, &path).await.text().await.unwrap());
    }
    let everything = everything.join("\n");
    for secret in ["lan@example.vn", "901234567", "Nguyễn-Thị", "Lan ", "10.78051", "106.70412"] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
    t.cleanup().await;
}

#[tokio::test]
async fn service_request_updates_tell_the_public_history() {
    let t = app().await;
    let key = api_key(&t).await;
    let code = create(
        &t,
        &key,
        &[("service_code", "DRAINAGE.BLOCKED"), ("lat", "10.7805"), ("long", "106.704"), ("description", "Hố ga mất nắp")],
    )
    .await;
    let other = create(&t, &key, &[("service_code", "WASTE.DUMP"), ("address_id", "26740"), ("description", "Rác đổ trộm đầu hẻm")]).await;
    for (status, text) in [("acknowledged", None), ("in_progress", None), ("resolved", Some("Đã lắp nắp mới, liên hệ 0909 111 222"))]
    {
        t.clock.advance(chrono::Duration::hours(2));
        let op = t.login("operator").await;
        let r = t.post(&format!("/api/feedback/reports/{code}/transition"), Some(&op), &json!({"status": status, "text": text})).await;
        assert_eq!(r.status(), 200);
    }
    let op = t.login("operator").await;
    let r = t.post(&format!("/api/feedback/reports/{code}/notes"), Some(&op), &json!({"text": "Ghi chú nội bộ: đội 3"})).await;
    assert_eq!(r.status(), 201);

    let ups = get_json(&t, &format!("servicerequestupdates.json?service_request_id={code}")).await;
    let ups = ups.as_array().unwrap();
    assert_eq!(ups.len(), 4, "created, acknowledged, in progress, resolved: {ups:?}");
    assert!(ups.iter().all(|u| u["service_request_id"] == code.as_str() && u["update_id"].is_string()));
    assert_eq!(ups.iter().map(|u| u["status"].as_str().unwrap()).collect::<Vec<_>>(), ["open", "open", "open", "closed"]);
    assert_eq!(ups[1]["description"], "Đơn vị đã nhận");
    assert_eq!(ups[3]["description"], "Đã lắp nắp mới, liên hệ [số điện thoại]");
    let times: Vec<&str> = ups.iter().map(|u| u["updated_datetime"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]) && times.iter().all(|x| x.ends_with("+07:00")), "{times:?}");
    let all = get_json(&t, "servicerequestupdates.json").await;
    assert!(all.as_array().unwrap().iter().any(|u| u["service_request_id"] == other.as_str()));
    assert!(!all.to_string().contains("nội bộ"), "internal notes are not public");
    let since = chrono::DateTime::parse_from_rfc3339(times[2]).unwrap().to_rfc3339().replace('+', "%2B");
    assert_eq!(get_json(&t, &format!("servicerequestupdates.json?start_date={since}")).await.as_array().unwrap().len(), 2);
    let en = get_json(&t, &format!("servicerequestupdates.json?service_request_id={code}&locale=en")).await;
    assert_eq!(en[1]["description"], "Acknowledged");
    let xml = get_xml(&t, &format!("servicerequestupdates.xml?service_request_id={code}")).await;
    assert!(xml.contains("<service_request_updates><request_update><update_id>"), "{xml}");
    assert_eq!(texts(&xml, "status"), vec!["open", "open", "open", "closed"]);
    assert_eq!(texts(&xml, "media_url"), vec![String::new(); 4]);

    // Tokens are never issued; unknown paths and methods answer error arrays too.
    assert!(assert_error(get(&t, "tokens/123.json").await, 404).await.contains("token"));
    assert_xml_error(get(&t, "tokens/123.xml").await, 404).await;
    assert_error(get(&t, "nothing.json").await, 404).await;
    assert_xml_error(get(&t, "nothing/here.xml").await, 404).await;
    assert_error(t.http.delete(format!("{}/open311/v2/requests.json", t.url)).send().await.unwrap(), 405).await;
    t.cleanup().await;
}

#[tokio::test]
async fn platform_refusals_on_open311_paths_are_error_arrays() {
    let t = app_with(|c| {
        c.security.public_rate_limit_per_minute = 2;
        c.server.max_body_bytes = 2_000;
    })
    .await;
    // Over the body limit: 413, before anything else looks at the request.
    let big = "x".repeat(5_000);
    let r = post_form(&t, "requests.xml", &[("description", big.as_str())]).await;
    assert_xml_error(r, 413).await;
    // The anonymous rate limit: 429 with Retry-After, as an array.
    let mut last = None;
    for _ in 0..4 {
        last = Some(get(&t, "services.json").await);
    }
    let r = last.unwrap();
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("60"));
    assert_error(r, 429).await;
    t.cleanup().await;
}
