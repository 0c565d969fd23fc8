//! The 1022 open data feed: every report, anonymised, published as the open
//! dataset `phan-anh-1022` and read back through the CKAN API like any other.

use crate::harness::TestApp;
use serde_json::{json, Value};

async fn ckan(t: &TestApp, action: &str, body: &Value) -> Value {
    let r = t.http.post(format!("{}/api/3/action/{action}", t.url)).json(body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{action}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["success"], true, "{v}");
    v["result"].clone()
}

#[tokio::test]
async fn reports_are_published_anonymised_as_an_open_dataset_and_each_run_is_a_new_version() {
    let t = TestApp::spawn_with(|cfg| cfg.open_data.feedback_owner_agency = "IOC".into()).await;
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 40).await.unwrap();
    let secret = "Gọi tôi: 0901 234 567, nguyenvana@example.com";
    let filed = t
        .post(
            "/api/feedback/reports",
            None,
            &json!({"description": format!("Đèn đường không sáng. {secret}"), "lat": 10.780_49, "lon": 106.704_12,
                    "reporter": {"name": "Nguyễn Văn A", "phone": "0901234567", "email": "nguyenvana@example.com"}}),
        )
        .await;
    assert_eq!(filed.status(), 201);
    let code = filed.json::<Value>().await.unwrap()["tracking_code"].as_str().unwrap().to_string();

    let rows = cityos_http::workers::publish_feedback_feed(&t.app).await.unwrap().expect("IOC exists");
    let total: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM reports").fetch_one(t.db().reader()).await.unwrap();
    assert_eq!(rows, total, "every report is in the feed");

    // Anyone finds it through CKAN, owned by the operations centre, open, under an open licence.
    let pkg = ckan(&t, "package_show", &json!({"id": "phan-anh-1022"})).await;
    assert_eq!(pkg["private"], false);
    assert_eq!(pkg["license_id"], "cc-by-4.0");
    assert_eq!(pkg["organization"]["name"], "ioc");
    let resource = pkg["resources"][0]["id"].as_str().unwrap().to_string();
    let found = ckan(&t, "datastore_search", &json!({"resource_id": resource, "q": code, "limit": 5})).await;
    assert_eq!(found["total"], 1, "{found}");
    let row = &found["records"][0];
    assert_eq!(row["lat"].as_f64(), Some(10.78), "location rounded to about 100 m: {row}");
    assert_eq!(row["lon"].as_f64(), Some(106.704), "{row}");
    assert_eq!(row["category_code"], "LIGHTING.OUT");
    assert_eq!(row["jurisdiction_name"], "Phường Sài Gòn");
    let fields: Vec<String> = found["fields"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
    for personal in ["description", "reporter_name", "reporter_phone", "reporter_email", "address"] {
        assert!(!fields.iter().any(|f| f == personal), "no {personal} column: {fields:?}");
    }
    let everything = ckan(&t, "datastore_search", &json!({"resource_id": resource, "limit": 1000})).await.to_string();
    for leaked in ["0901", "234 567", "nguyenvana", "Nguyễn Văn A", "Gọi tôi"] {
        assert!(!everything.contains(leaked), "{leaked} must not be published");
    }

    // The next run is the next version of the same dataset.
    cityos_http::workers::publish_feedback_feed(&t.app).await.unwrap();
    let pkg = ckan(&t, "package_show", &json!({"id": "phan-anh-1022"})).await;
    assert_eq!(pkg["num_resources"], 1);
    let versions: Value =
        t.get(&format!("/api/datahub/resources/{resource}/versions"), Some(&t.login("admin").await)).await.json().await.unwrap();
    assert_eq!(versions.as_array().or_else(|| versions["items"].as_array()).map(Vec::len), Some(2), "{versions}");
    t.cleanup().await;
}

#[tokio::test]
async fn no_feed_without_its_owner_agency() {
    let t = TestApp::spawn_with(|cfg| cfg.open_data.feedback_owner_agency = "NO-SUCH-AGENCY".into()).await;
    assert_eq!(cityos_http::workers::publish_feedback_feed(&t.app).await.unwrap(), None);
    t.cleanup().await;
}
