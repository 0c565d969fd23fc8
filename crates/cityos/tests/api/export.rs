//! The staff console's tools over HTTP: the queue exported as CSV and Excel
//! (read back with the `csv` crate and calamine), bulk lifecycle steps with
//! per-report outcomes, and the operators' view of webhook messages that did
//! not become reports. Scope, personal data and role boundaries throughout.

use crate::harness::{assert_problem, TestApp};
use calamine::{DataType as _, Reader as _};
use cityos_core::config::Secret;
use cityos_core::Clock as _;
use cityos_feedback::webhooks::hub_signature;
use cityos_notify::testing::TestSmtpServer;
use serde_json::{json, Value};
use sqlx::Row as _;
use std::io::Read as _;
use std::time::{Duration, Instant};

/// Phường Sài Gòn's published centroid (its reports go to UBND-P-SAIGON, the demo staff's unit).
const SAIGON: (f64, f64) = (10.7805, 106.704);
const SMS_SECRET: &str = "sms-gateway-shared-secret";
const WAIT: Duration = Duration::from_secs(15);
const BOM: &[u8] = b"\xEF\xBB\xBF";

const HEADER_VI: [&str; 19] = [
    "Mã phản ánh",
    "Thời điểm tiếp nhận",
    "Kênh",
    "Lĩnh vực",
    "Nội dung",
    "Địa chỉ",
    "Phường, xã",
    "Đơn vị xử lý",
    "Trạng thái",
    "Hạn xử lý",
    "Quá hạn",
    "Thời điểm xử lý xong",
    "Trả lời công khai",
    "Đánh giá (1–5)",
    "Vĩ độ",
    "Kinh độ",
    "Người phản ánh",
    "Điện thoại",
    "Thư điện tử",
];

async fn app_with(configure: impl FnOnce(&mut cityos_core::config::Config)) -> TestApp {
    let t = TestApp::spawn_with(configure).await;
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 0).await.unwrap();
    t
}

async fn app() -> TestApp {
    app_with(|_| {}).await
}

async fn file(t: &TestApp, body: Value) -> Value {
    let r = t.post("/api/feedback/reports", None, &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

/// The report's id (the public answer carries only the tracking code).
async fn id_of(t: &TestApp, code: &Value) -> String {
    sqlx::query("SELECT id FROM reports WHERE tracking_code = $1")
        .bind(code.as_str().unwrap())
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .try_get("id")
        .unwrap()
}

/// A CSV export: the raw bytes and the records parsed by an independent RFC 4180 reader.
async fn csv_export(t: &TestApp, token: &str, query: &str) -> (reqwest::header::HeaderMap, Vec<u8>, Vec<Vec<String>>) {
    let r = t.get(&format!("/api/feedback/reports/export?{query}"), Some(token)).await;
    assert_eq!(r.status(), 200, "{query}");
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(BOM), "UTF-8 byte-order mark first");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[BOM.len()..]);
    let records = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    (headers, bytes, records)
}

fn column_of(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// The local (UTC+7) `dd/mm/yyyy HH:mm` of an RFC 3339 time.
fn local(rfc3339: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc() + chrono::Duration::hours(7);
    t.format("%d/%m/%Y %H:%M").to_string()
}

#[tokio::test]
async fn csv_export_is_excel_ready_scoped_and_audited() {
    let t = app().await;
    let tricky = "Đèn đường \"hỏng\", tối om\ncả tuần ở hẻm 12";
    let mine = file(
        &t,
        json!({"description": tricky, "category_code": "LIGHTING.OUT", "lat": SAIGON.0, "lon": SAIGON.1,
        "reporter": {"name": "Lê Thị Mai", "phone": "0909 111 222", "email": "mai@example.vn"}}),
    )
    .await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"bấm vào đây\")";
    let injected = file(&t, json!({"description": formula, "category_code": "ROADS.POTHOLE", "lat": SAIGON.0, "lon": SAIGON.1})).await;
    let theirs = file(
        &t,
        json!({"description": "Ổ gà lớn trước chợ", "category_code": "ROADS.POTHOLE", "address": "Phường Bến Thành",
        "reporter": {"phone": "0912 345 678"}}),
    )
    .await;

    let op = t.login("operator").await;
    let (headers, bytes, rows) = csv_export(&t, &op, "format=csv").await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let date = cityos_calendar::local_date(t.clock.now()).format("%Y-%m-%d").to_string();
    assert_eq!(headers["content-disposition"], format!("attachment; filename=\"1022-{date}.csv\"").as_str());
    assert_eq!(headers["cache-control"], "no-store");
    let text = String::from_utf8(bytes[BOM.len()..].to_vec()).expect("UTF-8");
    assert!(text.ends_with("\r\n") && text.lines().count() > 3, "CRLF records");
    assert_eq!(rows[0], HEADER_VI.map(String::from).to_vec(), "Vietnamese headers, contacts for an operator");
    assert_eq!(rows.len(), 4, "header and three reports");
    let h = &rows[0];
    let row_of = |code: &Value| rows.iter().find(|r| r[0] == code.as_str().unwrap()).unwrap_or_else(|| panic!("{code} exported")).clone();
    let m = row_of(&mine["tracking_code"]);
    assert_eq!(m[column_of(h, "Nội dung")], tricky, "quotes, commas, line breaks and Vietnamese survive");
    assert_eq!(m[column_of(h, "Lĩnh vực")], "Đèn đường không sáng");
    assert_eq!(m[column_of(h, "Kênh")], "Cổng thông tin");
    assert_eq!(m[column_of(h, "Trạng thái")], "Đã chuyển đơn vị xử lý");
    assert_eq!(m[column_of(h, "Phường, xã")], "Phường Sài Gòn");
    assert_eq!(m[column_of(h, "Đơn vị xử lý")], "Ủy ban nhân dân phường Sài Gòn");
    assert_eq!(m[column_of(h, "Thời điểm tiếp nhận")], local(mine["received_at"].as_str().unwrap()));
    assert_eq!(m[column_of(h, "Hạn xử lý")], local(mine["due_at"].as_str().unwrap()));
    assert_eq!(m[column_of(h, "Quá hạn")], "Không");
    assert_eq!(m[column_of(h, "Người phản ánh")], "Lê Thị Mai");
    assert_eq!(m[column_of(h, "Điện thoại")], "'+84909111222", "a leading + is neutralised like any formula start");
    assert_eq!(m[column_of(h, "Thư điện tử")], "mai@example.vn");
    let i = row_of(&injected["tracking_code"]);
    assert_eq!(i[column_of(h, "Nội dung")], format!("'{formula}"), "formula neutralised");

    // English headers and values.
    let (_, _, en) = csv_export(&t, &op, "format=csv&lang=en").await;
    assert_eq!(&en[0][..3], ["Tracking code", "Received", "Channel"]);
    let m = en.iter().find(|r| r[0] == mine["tracking_code"].as_str().unwrap()).unwrap();
    assert_eq!((m[column_of(&en[0], "Status")].as_str(), m[column_of(&en[0], "Category")].as_str()), ("Forwarded", "Street light out"));

    // The queue's filters: one ward; a search.
    let (_, _, ward) = csv_export(&t, &op, "ward=26743").await;
    assert_eq!(ward.len(), 2);
    assert_eq!(ward[1][0], theirs["tracking_code"].as_str().unwrap());
    let (_, _, found) = csv_export(&t, &op, "q=toi%20om").await;
    assert_eq!(found.iter().skip(1).map(|r| r[0].as_str()).collect::<Vec<_>>(), [mine["tracking_code"].as_str().unwrap()]);

    // A unit exports only its own reports.
    let staff = t.login("staff").await;
    let (_, bytes, own) = csv_export(&t, &staff, "").await;
    assert_eq!(own.len(), 3);
    assert!(own.iter().skip(1).all(|r| r[column_of(&own[0], "Đơn vị xử lý")] == "Ủy ban nhân dân phường Sài Gòn"), "{own:?}");
    assert!(!String::from_utf8_lossy(&bytes).contains("84912345678"), "nothing of the other unit's reports");

    // A city-wide viewer reads every report but never who sent it: no contact columns.
    let admin = t.login("admin").await;
    let uid = t.user_id("viewer").await;
    let g = t.post(&format!("/api/identity/users/{uid}/grants"), Some(&admin), &json!({"role": "viewer", "scope": {"kind": "city"}})).await;
    assert_eq!(g.status(), 201);
    let viewer = t.login("viewer").await;
    let (_, bytes, seen) = csv_export(&t, &viewer, "").await;
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0], HEADER_VI[..16].iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let body = String::from_utf8_lossy(&bytes);
    assert!(!body.contains("84909111222") && !body.contains("Lê Thị Mai") && !body.contains("mai@example.vn"), "{body}");

    // Roles that read no reports.
    for user in ["analyst", "data_officer", "auditor"] {
        let token = t.login(user).await;
        assert_problem(t.get("/api/feedback/reports/export?format=xlsx", Some(&token)).await, 403, "forbidden").await;
    }
    assert_problem(t.get("/api/feedback/reports/export", None).await, 401, "unauthorized").await;
    assert_problem(t.get("/api/feedback/reports/export?format=pdf", Some(&op)).await, 400, "invalid_query").await;

    // One audit record per export, with the row count and the filters, never the search words.
    let admin = t.login("admin").await;
    let audit: Value = t.get("/api/audit?action=feedback.report.export&per_page=50", Some(&admin)).await.json().await.unwrap();
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "{audit}");
    let purposes: Vec<&str> = items.iter().map(|i| i["purpose"].as_str().unwrap()).collect();
    assert!(items.iter().any(|i| i["row_count"] == 3 && i["purpose"] == "export format=csv lang=vi"), "{purposes:?}");
    assert!(items.iter().any(|i| i["row_count"] == 1 && i["purpose"] == "export format=csv lang=vi ward=26743"), "{purposes:?}");
    assert!(purposes.iter().any(|p| p.ends_with("q=(text search)")) && !audit.to_string().contains("toi om"), "{purposes:?}");
    t.cleanup().await;
}

#[tokio::test]
async fn a_large_export_streams_every_report_once_in_order() {
    let t = app().await;
    // More rows than several export pages, with many equal deadlines and arrival times (ties the paging must not lose or repeat).
    let now = cityos_core::to_millis(t.clock.now());
    let mut tx = t.db().begin().await.unwrap();
    for i in 0..1234_i64 {
        sqlx::query(
            "INSERT INTO reports (id, tracking_code, channel, description, search, status, received_at, due_at, updated_at, agency_code, jurisdiction_code)
             VALUES ($1, $2, 'web', $3, '', 'forwarded', $4, $5, $4, 'UBND-P-SAIGON', '26740')",
        )
        .bind(cityos_core::new_id())
        .bind(format!("261127-T{i:04}"))
        .bind(format!("Phản ánh số {i}"))
        .bind(now - (i % 7) * 60_000)
        .bind(now + (i % 3) * 86_400_000)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let staff = t.login("staff").await;
    for (query, column, ascending) in
        [("", "Hạn xử lý", true), ("sort=-received_at", "Thời điểm tiếp nhận", false), ("sort=received_at", "Thời điểm tiếp nhận", true)]
    {
        let (_, _, rows) = csv_export(&t, &staff, query).await;
        assert_eq!(rows.len(), 1235, "{query}");
        let codes: std::collections::HashSet<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(codes.len(), 1234, "each report once ({query})");
        let c = column_of(&rows[0], column);
        let times: Vec<chrono::NaiveDateTime> =
            rows[1..].iter().map(|r| chrono::NaiveDateTime::parse_from_str(&r[c], "%d/%m/%Y %H:%M").unwrap()).collect();
        assert!(times.windows(2).all(|w| if ascending { w[0] <= w[1] } else { w[0] >= w[1] }), "ordered by {column} ({query})");
    }
    // Excel, written page by page as well.
    let r = t.get("/api/feedback/reports/export?format=xlsx", Some(&staff)).await;
    assert_eq!(r.status(), 200);
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    let range = book.worksheet_range("Phản ánh").unwrap();
    let codes: std::collections::HashSet<String> = range.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!((range.height(), codes.len()), (1235, 1234));
    t.cleanup().await;
}

#[tokio::test]
async fn excel_refuses_more_rows_than_it_holds_and_points_to_csv() {
    let t = app().await;
    let now = cityos_core::to_millis(t.clock.now());
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100001)
         INSERT INTO reports (id, tracking_code, channel, description, search, status, received_at, due_at, updated_at, agency_code)
         SELECT 'bulk-' || i, 'T' || i, 'web', 'Phản ánh', '', 'forwarded', $1, $1, $1, 'UBND-P-SAIGON' FROM n",
    )
    .bind(now)
    .execute(t.db().writer())
    .await
    .unwrap();
    let op = t.login("operator").await;
    let r = t.get("/api/feedback/reports/export?format=xlsx", Some(&op)).await;
    let problem = assert_problem(r, 422, "export_too_large").await;
    assert_eq!((problem["rows"].as_i64(), problem["max_rows"].as_i64()), (Some(100_001), Some(100_000)));
    // Narrower filters fit.
    let r = t.get("/api/feedback/reports/export?format=xlsx&ward=26743", Some(&op)).await;
    assert_eq!(r.status(), 200);
    t.cleanup().await;
}

#[tokio::test]
async fn xlsx_export_opens_with_real_dates_bold_frozen_header_and_the_rows() {
    let t = app().await;
    let a = file(
        &t,
        json!({"description": "Cây đổ chắn ngang đường Lê Lợi", "category_code": "TREES.FALLEN", "lat": SAIGON.0, "lon": SAIGON.1,
        "reporter": {"name": "Trần Văn Bình"}}),
    )
    .await;
    let b =
        file(&t, json!({"description": "=1+1 thử công thức", "category_code": "ROADS.POTHOLE", "lat": SAIGON.0, "lon": SAIGON.1})).await;
    let op = t.login("operator").await;
    let r = t.get("/api/feedback/reports/export?format=xlsx&sort=received_at", Some(&op)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let date = cityos_calendar::local_date(t.clock.now()).format("%Y-%m-%d").to_string();
    assert_eq!(r.headers()["content-disposition"], format!("attachment; filename=\"1022-{date}.xlsx\"").as_str());
    let bytes = r.bytes().await.unwrap().to_vec();

    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).expect("a workbook calamine opens");
    assert_eq!(book.sheet_names(), vec!["Phản ánh".to_string()]);
    let range = book.worksheet_range("Phản ánh").unwrap();
    let rows: Vec<Vec<calamine::Data>> = range.rows().map(<[calamine::Data]>::to_vec).collect();
    assert_eq!(rows.len(), 3);
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(header, HEADER_VI.map(String::from).to_vec());
    assert_eq!(rows[1][0].to_string(), a["tracking_code"].as_str().unwrap());
    assert_eq!(rows[1][4].to_string(), "Cây đổ chắn ngang đường Lê Lợi");
    assert_eq!(rows[1][16].to_string(), "Trần Văn Bình");
    assert_eq!(rows[2][0].to_string(), b["tracking_code"].as_str().unwrap());
    assert_eq!(rows[2][4], calamine::Data::String("=1+1 thử công thức".into()), "text stays text, never a formula");
    // Received is a real Excel date holding the time in Hồ Chí Minh City.
    let received = rows[1][1].as_datetime().expect("an Excel date");
    let expected = chrono::DateTime::parse_from_rfc3339(a["received_at"].as_str().unwrap()).unwrap().to_utc() + chrono::Duration::hours(7);
    assert!((received - expected.naive_utc()).num_seconds().abs() <= 1, "{received} vs {expected}");
    assert!(matches!(rows[1][14], calamine::Data::Float(x) if (x - SAIGON.0).abs() < 1e-9), "latitude is a number");
    let formulas = book.worksheet_formula("Phản ánh").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formulas at all");

    // The header row is bold and frozen (read from the package itself).
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut sheet).unwrap();
    assert!(sheet.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#), "{sheet}");
    assert!(sheet.contains("<autoFilter ref=\"A1:S3\"/>"), "{sheet}");
    let mut styles = String::new();
    zip.by_name("xl/styles.xml").unwrap().read_to_string(&mut styles).unwrap();
    assert!(styles.contains("<b/>"), "a bold font for the header");

    // English sheet.
    let r = t.get("/api/feedback/reports/export?format=xlsx&lang=en", Some(&op)).await;
    let book = calamine::Xlsx::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(book.sheet_names(), vec!["Reports".to_string()]);
    t.cleanup().await;
}

#[tokio::test]
async fn bulk_steps_go_report_by_report_through_the_single_transition() {
    let smtp = TestSmtpServer::start().await;
    let t = app_with(|c| c.notify.smtp = smtp.config()).await;
    let mut codes = Vec::new();
    for (i, email) in ["an@example.vn", "binh@example.vn"].iter().enumerate() {
        let r = file(
            &t,
            json!({"description": format!("Rác tồn đọng số {i}"), "category_code": "WASTE.COLLECT", "lat": SAIGON.0, "lon": SAIGON.1,
            "reporter": {"email": email}}),
        )
        .await;
        codes.push(r["tracking_code"].clone());
    }
    let theirs =
        file(&t, json!({"description": "Ổ gà lớn trước chợ", "category_code": "ROADS.POTHOLE", "address": "Phường Bến Thành"})).await;
    let (a, b, other) = (id_of(&t, &codes[0]).await, id_of(&t, &codes[1]).await, id_of(&t, &theirs["tracking_code"]).await);

    // Staff of Phường Sài Gòn acknowledge their two, another unit's report and an unknown id.
    let staff = t.login("staff").await;
    let body = json!({"ids": [a, b, other, "khong-co", a], "action": "acknowledge"});
    let r = t.post("/api/feedback/reports/bulk", Some(&staff), &body).await;
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!((out["succeeded"].as_i64(), out["failed"].as_i64()), (Some(2), Some(2)), "{out}");
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.iter().map(|r| r["id"].as_str().unwrap()).collect::<Vec<_>>(), [a.as_str(), b.as_str(), other.as_str(), "khong-co"]);
    for (r, code) in results[..2].iter().zip(&codes) {
        assert_eq!((r["ok"].as_bool(), &r["tracking_code"], r["status"].as_str()), (Some(true), code, Some("acknowledged")));
    }
    assert_eq!(results[2]["error"]["code"], "forbidden");
    assert_eq!(results[3]["error"]["code"], "not_found");
    let refused = results[2].to_string();
    assert!(results[2]["tracking_code"].is_null() && results[2]["status"].is_null(), "{refused}");
    assert!(!refused.contains(theirs["tracking_code"].as_str().unwrap()) && !refused.contains("Ổ gà"), "nothing of it leaks: {refused}");
    let untouched: Value =
        t.get(&format!("/api/feedback/public/reports/{}", theirs["tracking_code"].as_str().unwrap()), None).await.json().await.unwrap();
    assert_eq!(untouched["status"], "forwarded");

    // Each report got its history row, audit record and the citizen's notification.
    for code in &codes {
        let full: Value = t.get(&format!("/api/feedback/reports/{}", code.as_str().unwrap()), Some(&staff)).await.json().await.unwrap();
        assert_eq!(full["updates"].as_array().unwrap().last().unwrap()["status_to"], "acknowledged");
    }
    for who in ["an@example.vn", "binh@example.vn"] {
        smtp.wait_for(|m| m.to.iter().any(|x| x == who) && m.text().contains("Đơn vị đã nhận"), WAIT)
            .await
            .unwrap_or_else(|| panic!("{who} hears the change"));
    }
    let admin = t.login("admin").await;
    let audit: Value = t.get("/api/audit?action=feedback.report.acknowledged", Some(&admin)).await.json().await.unwrap();
    assert_eq!(audit["total"], 2);

    // The lifecycle applies per report: acknowledged twice is a conflict.
    let again: Value =
        t.post("/api/feedback/reports/bulk", Some(&staff), &json!({"ids": [a], "action": "acknowledge"})).await.json().await.unwrap();
    assert_eq!(again["results"][0]["error"]["code"], "conflict");
    // Staff cannot move reports to another unit; operators can, with a reason.
    let to_other = json!({"ids": [a, b], "action": "forward", "agency_code": "UBND-P-BENTHANH", "text": "Thuộc địa bàn Bến Thành"});
    let moved: Value = t.post("/api/feedback/reports/bulk", Some(&staff), &to_other).await.json().await.unwrap();
    assert!(moved["results"].as_array().unwrap().iter().all(|r| r["error"]["code"] == "forbidden"), "{moved}");
    let op = t.login("operator").await;
    let no_reason = json!({"ids": [a], "action": "forward", "agency_code": "UBND-P-BENTHANH"});
    let moved: Value = t.post("/api/feedback/reports/bulk", Some(&op), &no_reason).await.json().await.unwrap();
    assert_eq!(moved["results"][0]["error"]["code"], "invalid_input");
    let moved: Value = t.post("/api/feedback/reports/bulk", Some(&op), &to_other).await.json().await.unwrap();
    assert_eq!(moved["succeeded"], 2, "{moved}");
    let started: Value =
        t.post("/api/feedback/reports/bulk", Some(&op), &json!({"ids": [other], "action": "start_progress"})).await.json().await.unwrap();
    assert_eq!(started["results"][0]["status"], "in_progress");

    // Whole-request refusals.
    let too_many: Vec<String> = (0..201).map(|i| format!("id-{i}")).collect();
    assert_problem(
        t.post("/api/feedback/reports/bulk", Some(&op), &json!({"ids": too_many, "action": "acknowledge"})).await,
        422,
        "invalid_input",
    )
    .await;
    assert_problem(
        t.post("/api/feedback/reports/bulk", Some(&op), &json!({"ids": [], "action": "acknowledge"})).await,
        422,
        "invalid_input",
    )
    .await;
    assert_problem(t.post("/api/feedback/reports/bulk", Some(&op), &json!({"ids": [a], "action": "reject"})).await, 422, "invalid_input")
        .await;
    assert_problem(t.post("/api/feedback/reports/bulk", Some(&op), &json!({"ids": [a], "action": "forward"})).await, 422, "invalid_input")
        .await;
    assert_problem(t.post("/api/feedback/reports/bulk", Some(&op), &json!({"ids": [a], "action": "close"})).await, 422, "invalid_json")
        .await;
    for user in ["viewer", "analyst", "data_officer", "auditor"] {
        let token = t.login(user).await;
        let r = t.post("/api/feedback/reports/bulk", Some(&token), &json!({"ids": [a], "action": "acknowledge"})).await;
        assert_problem(r, 403, "forbidden").await;
    }
    assert_problem(t.post("/api/feedback/reports/bulk", None, &json!({"ids": [a], "action": "acknowledge"})).await, 401, "unauthorized")
        .await;
    t.cleanup().await;
}

async fn deliver_sms(t: &TestApp, id: &str, from: &str, text: &str) {
    let body = serde_json::to_vec(&json!({"id": id, "from": from, "text": text})).unwrap();
    let r = t
        .http
        .post(format!("{}/webhooks/sms", t.url))
        .header("content-type", "application/json")
        .header("x-cityos-signature", hub_signature(SMS_SECRET, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Waits until the inbox row of SMS `id` has been processed.
async fn processed(t: &TestApp, id: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let row = sqlx::query("SELECT id, processed_at FROM webhook_inbox WHERE channel = 'sms' AND external_id = $1")
            .bind(id)
            .fetch_optional(t.db().reader())
            .await
            .unwrap();
        if let Some(row) = row.filter(|r| r.try_get::<Option<i64>, _>("processed_at").unwrap().is_some()) {
            return row.try_get("id").unwrap();
        }
        assert!(Instant::now() < deadline, "{id} was never processed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stores an SMS the way the webhook does, in a state of the test's choosing:
/// the inbox's own history (transient failures until it gave up, or waiting
/// for a later attempt) cannot be brought about through HTTP in a test.
async fn stored_sms(t: &TestApp, id: &str, text: &str, processed: bool, error: &str) -> String {
    let inbox_id = cityos_core::new_id();
    let now = cityos_core::to_millis(t.clock.now());
    let payload = json!({"id": id, "from": "+84901234567", "text": text}).to_string();
    sqlx::query(
        "INSERT INTO webhook_inbox (id, channel, external_id, payload, received_at, attempts, next_attempt_at, processed_at, error)
         VALUES ($1, 'sms', $2, $3, $4, 12, $5, $6, $7)",
    )
    .bind(&inbox_id)
    .bind(id)
    .bind(payload)
    .bind(now)
    .bind(now + 3_600_000)
    .bind(processed.then_some(now))
    .bind(error)
    .execute(t.db().writer())
    .await
    .unwrap();
    inbox_id
}

#[tokio::test]
async fn operators_triage_messages_that_did_not_become_reports() {
    let t = app_with(|c| c.webhooks.sms_secret = Secret::new(SMS_SECRET)).await;
    // Refused for good: too short; too long (with a phone number in the words).
    deliver_sms(&t, "gw-short", "+84901111222", "hi").await;
    let long = format!("Gọi lại cho tôi: 0909 111 222, email mai@example.vn. {}", "Rất nhiều rác. ".repeat(400));
    deliver_sms(&t, "gw-long", "+84903333444", &long).await;
    let short = processed(&t, "gw-short").await;
    let long_id = processed(&t, "gw-long").await;
    // Gave up after transient failures; and one waiting for its next attempt.
    let gave_up =
        stored_sms(&t, "gw-gave-up", "Ngập nặng trên đường Lê Lợi, phường Bến Thành", true, "gave up after 12 attempts: pool timed out")
            .await;
    let waiting = stored_sms(&t, "gw-waiting", "Mất nước từ sáng ở phường Sài Gòn", false, "pool timed out").await;

    let op = t.login("operator").await;
    let failed: Value = t.get("/api/feedback/inbox", Some(&op)).await.json().await.unwrap();
    assert_eq!(failed["total"], 3, "{failed}");
    let items = failed["items"].as_array().unwrap();
    let item = |id: &str| items.iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("{id} listed")).clone();
    let s = item(&short);
    assert_eq!(
        (s["channel"].as_str(), s["state"].as_str(), s["preview"].as_str(), s["sender"].as_str()),
        (Some("sms"), Some("failed"), Some("hi"), Some("+84901111222"))
    );
    assert!(s["error"].as_str().unwrap().contains("5–5000"), "{s}");
    let l = item(&long_id);
    let preview = l["preview"].as_str().unwrap();
    assert!(preview.starts_with("Gọi lại cho tôi: [số điện thoại], email [email]") && preview.ends_with('…'), "{preview}");
    assert!(preview.chars().count() <= 281);
    assert!(!failed.to_string().contains("0909") && !failed.to_string().contains("mai@example.vn"), "the words' contacts are masked");
    let pending: Value = t.get("/api/feedback/inbox?state=pending", Some(&op)).await.json().await.unwrap();
    assert_eq!(pending["total"], 1);
    assert_eq!((pending["items"][0]["id"].as_str(), pending["items"][0]["state"].as_str()), (Some(waiting.as_str()), Some("pending")));
    assert!(pending["items"][0]["next_attempt_at"].is_string());

    // Retrying the one that gave up files it now; retrying a refusal records the refusal again.
    let r: Value = t.post(&format!("/api/feedback/inbox/{gave_up}/retry"), Some(&op), &json!({})).await.json().await.unwrap();
    let deadline = Instant::now() + WAIT;
    let report = loop {
        let row = sqlx::query("SELECT tracking_code, agency_code FROM reports WHERE channel = 'sms' AND external_id = 'gw-gave-up'")
            .fetch_optional(t.db().reader())
            .await
            .unwrap();
        if let Some(row) = row {
            break row;
        }
        assert!(Instant::now() < deadline, "retried message never filed: {r}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(report.try_get::<Option<String>, _>("agency_code").unwrap().as_deref(), Some("UBND-P-BENTHANH"));
    if r["state"] == "filed" {
        assert_eq!(r["tracking_code"].as_str(), Some(report.try_get::<String, _>("tracking_code").unwrap().as_str()));
    } else {
        assert_eq!(r["state"], "pending", "the poller took it first: {r}");
    }
    let again = t.post(&format!("/api/feedback/inbox/{short}/retry"), Some(&op), &json!({})).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!((again["state"].as_str(), again["attempts"].as_i64()), (Some("failed"), Some(1)), "{again}");
    assert_problem(t.post(&format!("/api/feedback/inbox/{gave_up}/retry"), Some(&op), &json!({})).await, 409, "conflict").await;

    // Dismissed: out of both lists, never retried.
    let d: Value = t.post(&format!("/api/feedback/inbox/{waiting}/dismiss"), Some(&op), &json!({})).await.json().await.unwrap();
    assert_eq!(d["state"], "dismissed");
    let d: Value = t.post(&format!("/api/feedback/inbox/{long_id}/dismiss"), Some(&op), &json!({})).await.json().await.unwrap();
    assert_eq!(d["state"], "dismissed");
    assert_problem(t.post(&format!("/api/feedback/inbox/{waiting}/retry"), Some(&op), &json!({})).await, 409, "conflict").await;
    assert_problem(t.post(&format!("/api/feedback/inbox/{waiting}/dismiss"), Some(&op), &json!({})).await, 409, "conflict").await;
    assert_problem(t.post("/api/feedback/inbox/no-such-id/dismiss", Some(&op), &json!({})).await, 404, "not_found").await;
    t.clock.advance(chrono::Duration::hours(2));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let row = sqlx::query("SELECT attempts, dismissed_by FROM webhook_inbox WHERE id = $1")
        .bind(&waiting)
        .fetch_one(t.db().reader())
        .await
        .unwrap();
    assert_eq!(row.try_get::<i64, _>("attempts").unwrap(), 12, "the poller leaves a dismissed message alone");
    assert_eq!(row.try_get::<Option<String>, _>("dismissed_by").unwrap(), Some(format!("user:{}", t.user_id("operator").await)));
    let op = t.login("operator").await;
    let failed: Value = t.get("/api/feedback/inbox", Some(&op)).await.json().await.unwrap();
    assert_eq!(failed["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect::<Vec<_>>(), [short.as_str()]);
    let pending: Value = t.get("/api/feedback/inbox?state=pending", Some(&op)).await.json().await.unwrap();
    assert_eq!(pending["total"], 0);
    assert_problem(t.get("/api/feedback/inbox?state=filed", Some(&op)).await, 422, "invalid_input").await;

    // Audited: each listing as a read, each retry and dismissal as a write.
    let admin = t.login("admin").await;
    for (action, n) in [("feedback.inbox.retry", 2), ("feedback.inbox.dismiss", 2)] {
        let audit: Value = t.get(&format!("/api/audit?action={action}"), Some(&admin)).await.json().await.unwrap();
        assert_eq!(audit["total"], n, "{action}");
    }
    let reads: Value = t.get("/api/audit?action=feedback.inbox.read", Some(&admin)).await.json().await.unwrap();
    assert!(reads["items"].as_array().unwrap().iter().any(|i| i["row_count"] == 3));

    // Role boundaries: operators and admins triage; nobody else.
    assert_eq!(t.get("/api/feedback/inbox", Some(&admin)).await.status(), 200);
    for user in ["agency_admin", "staff", "viewer", "analyst", "data_officer", "auditor"] {
        let token = t.login(user).await;
        assert_problem(t.get("/api/feedback/inbox", Some(&token)).await, 403, "forbidden").await;
        assert_problem(t.post(&format!("/api/feedback/inbox/{short}/retry"), Some(&token), &json!({})).await, 403, "forbidden").await;
        assert_problem(t.post(&format!("/api/feedback/inbox/{short}/dismiss"), Some(&token), &json!({})).await, 403, "forbidden").await;
    }
    assert_problem(t.get("/api/feedback/inbox", None).await, 401, "unauthorized").await;
    t.cleanup().await;
}
