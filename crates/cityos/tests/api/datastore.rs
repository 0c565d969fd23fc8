//! The data hub's ingest and query API through HTTP: uploads in every
//! format and encoding become versions with a schema and a diff; the rows
//! are filtered, searched, sorted, paged, aggregated and clipped to a box,
//! as JSON, CSV and GeoJSON; personal fields are masked; shared data is the
//! owner's until approvals exist, and every non-public read is audited.

use crate::harness::{assert_problem, TestApp};
use cityos_api::Role;
use serde_json::{json, Value};
use sqlx::Row as _;

/// A bearer token of a new user holding `role` for `agency`.
async fn token_for(t: &TestApp, username: &str, agency: &str, role: Role) -> String {
    t.agency_user(username, agency, role).await
}

/// A dataset of Sở Y tế with one upload resource, made by its data officer; the resource's id.
async fn dataset(t: &TestApp, officer: &str, name: &str, level: &str) -> String {
    let r = t
        .post(
            "/api/datahub/datasets",
            Some(officer),
            &json!({"name": name, "title_vi": format!("Bộ dữ liệu {name}"), "owner_agency": "SO-YT", "sharing_level": level}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = t.post(&format!("/api/datahub/datasets/{name}/resources"), Some(officer), &json!({"name": "Dữ liệu", "kind": "upload"})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

/// Uploads a file as multipart (field `file`).
async fn upload(t: &TestApp, token: Option<&str>, rid: &str, filename: &str, content_type: &str, data: &[u8]) -> reqwest::Response {
    let boundary = "cityos-test-boundary-7d1f";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut rb = t
        .http
        .post(format!("{}/api/datahub/resources/{rid}/versions", t.url))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body);
    if let Some(tok) = token {
        rb = rb.bearer_auth(tok);
    }
    rb.send().await.unwrap()
}

/// Uploads a file as the raw body.
async fn upload_raw(t: &TestApp, token: &str, rid: &str, content_type: &str, data: Vec<u8>) -> reqwest::Response {
    t.http
        .post(format!("{}/api/datahub/resources/{rid}/versions", t.url))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(data)
        .send()
        .await
        .unwrap()
}

async fn created(r: reqwest::Response) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

/// GET …/data with a query string (already encoded by reqwest from pairs).
async fn data(t: &TestApp, token: Option<&str>, rid: &str, params: &[(&str, &str)]) -> reqwest::Response {
    let mut rb = t.http.get(format!("{}/api/datahub/resources/{rid}/data", t.url)).query(params);
    if let Some(tok) = token {
        rb = rb.bearer_auth(tok);
    }
    rb.send().await.unwrap()
}

async fn ok_json(r: reqwest::Response) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

fn names(records: &Value, field: &str) -> Vec<String> {
    records.as_array().unwrap().iter().map(|r| r[field].as_str().unwrap_or("").to_string()).collect()
}

fn field<'a>(fields: &'a Value, name: &str) -> &'a Value {
    fields.as_array().unwrap().iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("no field {name} in {fields}"))
}

/// Audit records of data reads on `object`: (actor, outcome, row count).
async fn reads(t: &TestApp, object: &str) -> Vec<(String, String, Option<i64>)> {
    sqlx::query("SELECT actor, outcome, row_count FROM audit_log WHERE action = 'datahub.data.read' AND object = $1 ORDER BY seq")
        .bind(object)
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("actor"), r.get("outcome"), r.get("row_count")))
        .collect()
}

const V1: &str = "\u{feff}Mã,Tên cơ sở,Loại hình,Phường,Số giường,Điện thoại,Vĩ độ,Kinh độ,Ngày cấp phép
YT-1,Bệnh viện Chợ Rẫy,Bệnh viện,Phường Chợ Lớn,1800,0901234567,10.7578,106.6594,01/02/1990
YT-2,Bệnh viện Nhi Đồng 1,Bệnh viện,Phường Diên Hồng,1400,0912345678,10.7686,106.6702,15/06/1978
YT-3,Trạm Y tế phường Sài Gòn,Trạm y tế,Phường Sài Gòn,0,0987654321,10.7769,106.7009,2001-03-04
YT-4,Phòng khám Đa khoa Hòa Hảo,Phòng khám,Phường Diên Hồng,20,,10.7655,106.6661,09/09/2009
YT-5,Bệnh viện Từ Dũ,Bệnh viện,Phường Bến Thành,1600,0938765432,10.7687,106.6853,20/11/1985
YT-6,Bệnh viện Bà Rịa,Bệnh viện,Phường Bà Rịa,1000,0977111222,10.4963,107.1688,05/05/2005
";

#[tokio::test]
async fn versions_schema_diff_and_every_kind_of_query() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    let rid = dataset(&t, &officer, "co-so-y-te-thu", "open").await;

    // Version 1: schema inferred from every row, personal data suggested.
    let v1 = created(upload(&t, Some(&officer), &rid, "co-so.csv", "text/csv", V1.as_bytes()).await).await;
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["row_count"], 6);
    assert_eq!(v1["format"], "CSV");
    assert_eq!(v1["source_encoding"], "utf-8-bom");
    let fields = &v1["fields"];
    assert_eq!(fields.as_array().unwrap().len(), 9);
    assert_eq!(field(fields, "Mã")["type"], "text");
    assert_eq!(field(fields, "Số giường")["type"], "integer");
    assert_eq!(field(fields, "Vĩ độ")["type"], "number");
    assert_eq!(field(fields, "Ngày cấp phép")["type"], "date");
    assert_eq!(field(fields, "Điện thoại")["type"], "text");
    assert_eq!(field(fields, "Điện thoại")["personal"], true);
    assert_eq!(field(fields, "Điện thoại")["personal_reason"], "phone");
    assert_eq!(field(fields, "Điện thoại")["nullable"], true);
    assert_eq!(field(fields, "Tên cơ sở")["personal"], false);
    assert_eq!(v1["diff"]["previous_version"], Value::Null);
    assert_eq!(v1["diff"]["added"].as_array().unwrap().len(), 9);

    // The public reads open data with the personal field masked; not audited.
    let page = ok_json(data(&t, None, &rid, &[]).await).await;
    assert_eq!(page["total"], 6);
    assert_eq!(page["version"], 1);
    assert_eq!(page["records"][0]["_id"], 1);
    assert_eq!(page["records"][0]["Tên cơ sở"], "Bệnh viện Chợ Rẫy");
    assert_eq!(page["records"][0]["Số giường"], 1800);
    assert_eq!(page["records"][0]["Ngày cấp phép"], "1990-02-01");
    assert_eq!(page["records"][0]["Điện thoại"], "***");
    assert_eq!(page["records"][3]["Điện thoại"], Value::Null);
    assert_eq!(field(&page["fields"], "Điện thoại")["masked"], true);
    assert!(reads(&t, &format!("resource:{rid}")).await.is_empty());
    // Masked fields cannot be probed by filters, sorts or groups.
    assert_problem(data(&t, None, &rid, &[("Điện thoại", "0901234567")]).await, 403, "personal_field").await;
    assert_problem(data(&t, None, &rid, &[("sort", "Điện thoại desc")]).await, 403, "personal_field").await;
    assert_problem(data(&t, None, &rid, &[("aggregate", "count"), ("group_by", "Điện thoại")]).await, 403, "personal_field").await;

    // Filters by type: equality, ranges, lists, substrings, dates in either form.
    let p = ok_json(data(&t, None, &rid, &[("Loại hình", "Bệnh viện")]).await).await;
    assert_eq!(p["total"], 4);
    let p = ok_json(data(&t, None, &rid, &[("Số giường", "gte:1400"), ("Số giường", "lt:1800")]).await).await;
    assert_eq!(names(&p["records"], "Mã"), ["YT-2", "YT-5"]);
    let p = ok_json(data(&t, None, &rid, &[("Mã", "in:YT-1,YT-6,YT-9")]).await).await;
    assert_eq!(p["total"], 2);
    let p = ok_json(data(&t, None, &rid, &[("Tên cơ sở", "like:Nhi Đồng")]).await).await;
    assert_eq!(names(&p["records"], "Mã"), ["YT-2"]);
    let p = ok_json(data(&t, None, &rid, &[("Ngày cấp phép", "gte:01/01/2001")]).await).await;
    assert_eq!(names(&p["records"], "Mã"), ["YT-3", "YT-4", "YT-6"]);
    let p = ok_json(
        data(&t, None, &rid, &[("filters", r#"{"Phường": ["Phường Diên Hồng", "Phường Bà Rịa"], "Loại hình": "Bệnh viện"}"#)]).await,
    )
    .await;
    assert_eq!(names(&p["records"], "Mã"), ["YT-2", "YT-6"]);
    assert_problem(data(&t, None, &rid, &[("Số giường", "gte:nhiều")]).await, 400, "invalid_filter").await;
    assert_problem(data(&t, None, &rid, &[("Không có", "1")]).await, 400, "unknown_field").await;

    // Full text without diacritics, and as a prefix.
    let p = ok_json(data(&t, None, &rid, &[("q", "cho ray")]).await).await;
    assert_eq!(names(&p["records"], "Mã"), ["YT-1"]);
    let p = ok_json(data(&t, None, &rid, &[("q", "BENH VIEN nhi")]).await).await;
    assert_eq!(names(&p["records"], "Mã"), ["YT-2"]);
    let p = ok_json(data(&t, None, &rid, &[("q", "dien ho")]).await).await;
    assert_eq!(p["total"], 2);
    // The masked phone numbers are not searchable either.
    let p = ok_json(data(&t, None, &rid, &[("q", "0901234567")]).await).await;
    assert_eq!(p["total"], 0);

    // Sort, fields, paging.
    let p =
        ok_json(data(&t, None, &rid, &[("sort", "Số giường desc,Mã"), ("fields", "Mã,Số giường"), ("limit", "2"), ("offset", "1")]).await)
            .await;
    assert_eq!(p["total"], 6);
    assert_eq!(p["records"], json!([{"Mã": "YT-5", "Số giường": 1600}, {"Mã": "YT-2", "Số giường": 1400}]));
    assert_eq!(p["fields"].as_array().unwrap().len(), 2);
    assert_problem(data(&t, None, &rid, &[("limit", "10001")]).await, 400, "invalid_paging").await;

    // Aggregates by group.
    let p = ok_json(
        data(&t, None, &rid, &[("aggregate", "count,sum:Số giường,max:Ngày cấp phép"), ("group_by", "Loại hình"), ("sort", "count desc")])
            .await,
    )
    .await;
    assert_eq!(p["total"], 3);
    assert_eq!(p["groups"][0], json!({"Loại hình": "Bệnh viện", "count": 4, "sum:Số giường": 5800, "max:Ngày cấp phép": "2005-05-05"}));
    let p = ok_json(data(&t, None, &rid, &[("aggregate", "avg:Số giường,min:Số giường"), ("Loại hình", "ne:Bệnh viện")]).await).await;
    assert_eq!(p["groups"], json!([{"avg:Số giường": 10.0, "min:Số giường": 0}]));
    assert_problem(data(&t, None, &rid, &[("aggregate", "sum:Tên cơ sở")]).await, 400, "invalid_aggregate").await;

    // A box around the old city centre (not Bà Rịa).
    let p = ok_json(data(&t, None, &rid, &[("bbox", "106.6,10.7,106.8,10.8"), ("fields", "Mã")]).await).await;
    assert_eq!(p["total"], 5);

    // CSV (BOM, header, masked) and GeoJSON outputs, streamed.
    let r = data(&t, None, &rid, &[("format", "csv"), ("Loại hình", "Bệnh viện"), ("sort", "Mã")]).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(lines[0].starts_with("_id,Mã,Tên cơ sở,Loại hình"));
    assert!(lines[1].contains("Bệnh viện Chợ Rẫy") && lines[1].contains("***") && !lines[1].contains("0901234567"));
    let r = data(&t, None, &rid, &[("format", "geojson"), ("fields", "Mã,Tên cơ sở"), ("Mã", "YT-1")]).await;
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    let fc: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    assert_eq!(fc["features"][0]["geometry"], json!({"type": "Point", "coordinates": [106.6594, 10.7578]}));
    assert_eq!(fc["features"][0]["properties"], json!({"Mã": "YT-1", "Tên cơ sở": "Bệnh viện Chợ Rẫy"}));

    // The owner sees personal data, and that read is audited with its row count.
    let p = ok_json(data(&t, Some(&officer), &rid, &[("Điện thoại", "0901234567")]).await).await;
    assert_eq!(names(&p["records"], "Mã"), ["YT-1"]);
    assert_eq!(p["records"][0]["Điện thoại"], "0901234567");
    let audited = reads(&t, &format!("resource:{rid}")).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].1, "success");
    assert_eq!(audited[0].2, Some(1));

    // Version 2: a field removed, one added, one widened; the diff says so.
    let v2_csv = "Mã,Tên cơ sở,Loại hình,Phường,Số giường,Điện thoại,Vĩ độ,Kinh độ,Số bác sĩ
YT-1,Bệnh viện Chợ Rẫy,Bệnh viện,Phường Chợ Lớn,1800.5,0901234567,10.7578,106.6594,900
YT-7,Bệnh viện Hùng Vương,Bệnh viện,Phường Chợ Lớn,900,0901111111,10.7553,106.6611,300
";
    let v2 = created(upload_raw(&t, &officer, &rid, "text/csv", v2_csv.as_bytes().to_vec()).await).await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["source_encoding"], "utf-8");
    assert_eq!(
        v2["diff"],
        json!({"previous_version": 1, "added": ["Số bác sĩ"], "removed": ["Ngày cấp phép"], "type_changed": [{"name": "Số giường", "from": "integer", "to": "number"}]})
    );
    let p = ok_json(data(&t, None, &rid, &[]).await).await;
    assert_eq!((p["version"].clone(), p["total"].clone()), (json!(2), json!(2)));
    assert_eq!(p["records"][0]["Số giường"], 1800.5);
    // The officer's decision on the personal field carried over.
    assert_eq!(p["records"][0]["Điện thoại"], "***");
    let list = ok_json(t.get(&format!("/api/datahub/resources/{rid}/versions"), None).await).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!((items[0]["version"].clone(), items[0]["current"].clone()), (json!(2), json!(true)));
    assert_eq!(items[1]["current"], false);
    assert_eq!(items[1]["diff"]["previous_version"], Value::Null);
    assert_eq!(items[1]["fields"].as_array().unwrap().len(), 9);
    // Version 1's table is gone; its file stays and downloads for the owner, byte for byte.
    let states: Vec<(i64, String)> = sqlx::query("SELECT version, state FROM datastore_tables WHERE resource_id = $1 ORDER BY version")
        .bind(&rid)
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("version"), r.get("state")))
        .collect();
    assert_eq!(states, vec![(1, "dropped".to_string()), (2, "current".to_string())]);
    let r = t.get(&format!("/api/datahub/resources/{rid}/versions/1/download"), Some(&officer)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), V1.as_bytes());
    // The public may not download a file whose personal field cannot be masked.
    assert_problem(t.get(&format!("/api/datahub/resources/{rid}/versions/1/download"), None).await, 403, "personal_field").await;

    // The dataset's own path to the same rows; another dataset's path is 404.
    let p = ok_json(t.get(&format!("/api/datahub/datasets/co-so-y-te-thu/resources/{rid}/data?limit=1"), None).await).await;
    assert_eq!(p["records"].as_array().unwrap().len(), 1);
    assert_problem(t.get(&format!("/api/datahub/datasets/khac/resources/{rid}/data"), None).await, 404, "not_found").await;

    // Uploads and their events are audited.
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'datahub.resource.version.create' AND object = $1")
        .bind(format!("resource:{rid}"))
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .get("n");
    assert_eq!(n, 2);
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE type = 'vn.cityos.datahub.resource.version.created'")
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .get("n");
    assert_eq!(n, 2);
    t.cleanup().await;
}

/// "Bệnh viện Chợ Rẫy" in Windows-1258: ê + combining dot below, ơ + dot below, â + combining tilde.
const CP1258_NAME: &[u8] = b"B\xEA\xF2nh vi\xEA\xF2n Ch\xF5\xF2 R\xE2\xDEy";

#[tokio::test]
async fn legacy_encodings_json_geojson_and_xlsx() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;

    // Windows-1258 with semicolons.
    let rid = dataset(&t, &officer, "cp1258", "open").await;
    let mut file = b"T\xEAn;Qu\xE2\xF2n;S\xF4\xEC gi\xFD\xF5\xCCng\n".to_vec();
    file.extend_from_slice(CP1258_NAME);
    file.extend_from_slice(b";5;1800\n");
    let v = created(upload(&t, Some(&officer), &rid, "a.csv", "text/csv", &file).await).await;
    assert_eq!(v["source_encoding"], "windows-1258");
    assert_eq!(v["fields"][0]["name"], "Tên");
    assert_eq!(v["fields"][1]["name"], "Quận");
    assert_eq!(v["fields"][2]["name"], "Số giường");
    assert_eq!(v["fields"][2]["type"], "integer");
    let p = ok_json(data(&t, None, &rid, &[("q", "cho ray")]).await).await;
    assert_eq!(p["records"][0]["Tên"], "Bệnh viện Chợ Rẫy");
    // Stored precomposed (NFC), so an exact filter typed on a modern keyboard matches.
    let p = ok_json(data(&t, None, &rid, &[("Tên", "Bệnh viện Chợ Rẫy")]).await).await;
    assert_eq!(p["total"], 1);

    // UTF-16 (Excel's "Unicode text": little-endian with BOM, tab-separated).
    let rid = dataset(&t, &officer, "utf16", "open").await;
    let text = "\u{feff}Tên\tPhường\nBệnh viện Chợ Rẫy\tPhường Chợ Lớn\nTrường Lê Lợi\tPhường Sài Gòn\n";
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let v = created(upload(&t, Some(&officer), &rid, "b.txt", "text/plain", &bytes).await).await;
    assert_eq!(v["source_encoding"], "utf-16le");
    assert_eq!(v["row_count"], 2);
    let p = ok_json(data(&t, None, &rid, &[("q", "le loi")]).await).await;
    assert_eq!(p["records"][0]["Phường"], "Phường Sài Gòn");

    // JSON records with nested values.
    let rid = dataset(&t, &officer, "json", "open").await;
    let body = json!({"records": [{"ten": "Chợ Bến Thành", "hang": 1, "mo_cua": "2024-01-05T05:00:00", "tags": ["chợ"]}, {"ten": "Chợ Bình Tây", "hang": 1.5}]});
    let v = created(upload_raw(&t, &officer, &rid, "application/json", body.to_string().into_bytes()).await).await;
    assert_eq!(v["format"], "JSON");
    assert_eq!(field(&v["fields"], "hang")["type"], "number");
    assert_eq!(field(&v["fields"], "mo_cua")["type"], "datetime");
    assert_eq!(field(&v["fields"], "tags")["type"], "json");
    let p = ok_json(data(&t, None, &rid, &[("sort", "hang desc")]).await).await;
    assert_eq!(p["records"][0]["ten"], "Chợ Bình Tây");
    assert_eq!(p["records"][1]["tags"], json!(["chợ"]));

    // GeoJSON: properties become fields, the geometry a field with its point.
    let rid = dataset(&t, &officer, "geojson", "open").await;
    let fc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.6981, 10.7721]}, "properties": {"ten": "Chợ Bến Thành"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[107.0, 10.3], [107.2, 10.3], [107.2, 10.5], [107.0, 10.5], [107.0, 10.3]]]}, "properties": {"ten": "Vùng Bà Rịa"}}
    ]});
    let v = created(upload(&t, Some(&officer), &rid, "c.geojson", "application/geo+json", fc.to_string().as_bytes()).await).await;
    assert_eq!(v["format"], "GeoJSON");
    assert_eq!(field(&v["fields"], "geometry")["type"], "geometry");
    let p = ok_json(data(&t, None, &rid, &[("bbox", "107.0,10.3,107.2,10.5")]).await).await;
    assert_eq!(names(&p["records"], "ten"), ["Vùng Bà Rịa"]);
    let r = data(&t, None, &rid, &[("format", "geojson"), ("ten", "Chợ Bến Thành")]).await;
    let out: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(out["features"][0]["geometry"], json!({"type": "Point", "coordinates": [106.6981, 10.7721]}));

    // XLSX, first sheet; Excel dates and whole numbers come out typed.
    let rid = dataset(&t, &officer, "xlsx", "open").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in ["Tên trường", "Số học sinh", "Ngày thành lập"].iter().enumerate() {
        sheet.write_string(0, u16::try_from(c).unwrap(), *h).unwrap();
    }
    sheet.write_string(1, 0, "Trường THPT Lê Quý Đôn").unwrap();
    sheet.write_number(1, 1, 1250.0).unwrap();
    sheet.write_datetime_with_format(1, 2, rust_xlsxwriter::ExcelDateTime::from_ymd(1995, 9, 5).unwrap(), &date).unwrap();
    sheet.write_string(2, 0, "Trường Tiểu học Kỳ Đồng").unwrap();
    sheet.write_number(2, 1, 800.0).unwrap();
    let xlsx = book.save_to_buffer().unwrap();
    let v = created(
        upload(&t, Some(&officer), &rid, "d.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &xlsx).await,
    )
    .await;
    assert_eq!(v["format"], "XLSX");
    assert_eq!(field(&v["fields"], "Số học sinh")["type"], "integer");
    assert_eq!(field(&v["fields"], "Ngày thành lập")["type"], "date");
    let p = ok_json(data(&t, None, &rid, &[("Số học sinh", "gt:1000")]).await).await;
    assert_eq!(p["records"][0]["Ngày thành lập"], "1995-09-05");
    t.cleanup().await;
}

#[tokio::test]
async fn malformed_files_and_injection_attempts() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    let rid = dataset(&t, &officer, "injection", "open").await;

    // Names and values that look like SQL are data.
    let csv = "\"x\"\" FROM ds; --\",Tên'); DROP TABLE resources; --,n\n\"'; DELETE FROM audit_log; --\",a,1\nb,c,2\n";
    let v = created(upload(&t, Some(&officer), &rid, "x.csv", "text/csv", csv.as_bytes()).await).await;
    assert_eq!(v["fields"][0]["name"], "x\" FROM ds; --");
    assert_eq!(v["fields"][1]["name"], "Tên'); DROP TABLE resources; --");
    let p = ok_json(data(&t, None, &rid, &[("x\" FROM ds; --", "'; DELETE FROM audit_log; --")]).await).await;
    assert_eq!(p["total"], 1);
    assert_eq!(p["records"][0]["Tên'); DROP TABLE resources; --"], "a");
    let p = ok_json(data(&t, None, &rid, &[("fields", r#"["x\" FROM ds; --"]"#), ("sort", "Tên'); DROP TABLE resources; -- desc")]).await)
        .await;
    assert_eq!(p["records"], json!([{"x\" FROM ds; --": "b"}, {"x\" FROM ds; --": "'; DELETE FROM audit_log; --"}]));
    let p = ok_json(data(&t, None, &rid, &[("q", "\" OR 1=1 --")]).await).await;
    assert_eq!(p["total"], 0);
    // Names outside the whitelist are refused wherever they appear.
    assert_problem(data(&t, None, &rid, &[("fields", "n; DROP TABLE resources")]).await, 400, "unknown_field").await;
    assert_problem(data(&t, None, &rid, &[("sort", "1; DROP TABLE resources")]).await, 400, "unknown_field").await;
    assert_problem(data(&t, None, &rid, &[("aggregate", "sum:n) FROM resources; --")]).await, 400, "unknown_field").await;
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM resources").fetch_one(t.db().reader()).await.unwrap().get("n");
    assert_eq!(n, 1);

    // A malformed file is refused naming the line; the version before keeps serving.
    let bad = "Tên,Số\nA,1\n\nB,2\nC,3,4\n";
    let e = assert_problem(upload(&t, Some(&officer), &rid, "bad.csv", "text/csv", bad.as_bytes()).await, 422, "malformed_file").await;
    assert_eq!(e["line"], 5, "{e}");
    assert!(e["detail"].as_str().unwrap().starts_with("line 5:"), "{e}");
    let e = assert_problem(
        upload_raw(&t, &officer, &rid, "application/json", b"[{\"a\": 1},\n{\"a\": }]".to_vec()).await,
        422,
        "malformed_file",
    )
    .await;
    assert!(e["detail"].as_str().unwrap().starts_with("line 2"), "{e}");
    assert_problem(
        upload(&t, Some(&officer), &rid, "x.xlsx", "application/octet-stream", b"Ten,So\nA,1\n").await,
        415,
        "unsupported_format",
    )
    .await;
    assert_problem(upload(&t, Some(&officer), &rid, "e.csv", "text/csv", b"").await, 422, "invalid_input").await;
    let p = ok_json(data(&t, None, &rid, &[]).await).await;
    assert_eq!((p["version"].clone(), p["total"].clone()), (json!(1), json!(2)));
    let versions: i64 = sqlx::query("SELECT COUNT(*) AS n FROM resource_versions WHERE resource_id = $1")
        .bind(&rid)
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .get("n");
    assert_eq!(versions, 1);
    let leftovers: i64 = sqlx::query("SELECT COUNT(*) AS n FROM datastore_tables WHERE resource_id = $1 AND state <> 'current'")
        .bind(&rid)
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .get("n");
    assert_eq!(leftovers, 0);
    // The next good upload is version 2.
    let v = created(upload(&t, Some(&officer), &rid, "ok.csv", "text/csv", b"a\n1\n").await).await;
    assert_eq!(v["version"], 2);
    // A link resource takes no files.
    let r = t
        .post("/api/datahub/datasets/injection/resources", Some(&officer), &json!({"name": "Liên kết", "url": "https://example.org/x.csv"}))
        .await;
    let link = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    assert_problem(upload(&t, Some(&officer), &link, "a.csv", "text/csv", b"a\n1\n").await, 409, "conflict").await;
    t.cleanup().await;
}

#[tokio::test]
async fn shared_data_is_the_owners_until_approved_and_every_read_is_audited() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    let rid = dataset(&t, &officer, "tiem-chung", "shared").await;
    created(
        upload(&t, Some(&officer), &rid, "a.csv", "text/csv", "Phường,Tỷ lệ\nPhường Sài Gòn,0.97\nPhường Bến Thành,0.95\n".as_bytes())
            .await,
    )
    .await;
    let object = format!("resource:{rid}");

    // Another agency's staff: 403 and a `denied` record, for rows, CKAN-style search and files alike.
    let viewer = t.login("viewer").await;
    assert_problem(data(&t, Some(&viewer), &rid, &[]).await, 403, "approval_required").await;
    assert_problem(t.get(&format!("/api/datahub/resources/{rid}/versions/1/download"), Some(&viewer)).await, 403, "approval_required")
        .await;
    let other_officer = token_for(&t, "officer_gddt", "SO-GDDT", Role::DataOfficer).await;
    assert_problem(data(&t, Some(&other_officer), &rid, &[("aggregate", "count")]).await, 403, "approval_required").await;
    let denied: Vec<String> =
        sqlx::query("SELECT outcome FROM audit_log WHERE action = 'datahub.data.read' AND object LIKE 'dataset:%' ORDER BY seq")
            .fetch_all(t.db().reader())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("outcome"))
            .collect();
    assert_eq!(denied, ["denied", "denied", "denied"]);
    // City-wide roles of other agencies need an approval too.
    let analyst = t.login("analyst").await;
    assert_problem(data(&t, Some(&analyst), &rid, &[]).await, 403, "approval_required").await;
    // The public does not see that the dataset exists.
    assert_problem(data(&t, None, &rid, &[]).await, 404, "not_found").await;

    // The owner agency's staff read, audited with the row count.
    let staff = token_for(&t, "staff_yt", "SO-YT", Role::Staff).await;
    let p = ok_json(data(&t, Some(&staff), &rid, &[("Tỷ lệ", "gt:0.96")]).await).await;
    assert_eq!(p["total"], 1);
    let p = ok_json(data(&t, Some(&officer), &rid, &[("aggregate", "avg:Tỷ lệ")]).await).await;
    assert_eq!(p["groups"][0]["avg:Tỷ lệ"], 0.96);
    let r = data(&t, Some(&officer), &rid, &[("format", "csv")]).await;
    assert_eq!(String::from_utf8_lossy(&r.bytes().await.unwrap()).lines().count(), 3);
    let log = reads(&t, &object).await;
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].2, Some(1));
    assert_eq!(log[1].2, Some(1));
    assert_eq!(log[2].2, Some(2));
    assert!(log.iter().all(|(actor, outcome, _)| actor.starts_with("user:") && outcome == "success"));

    // Role boundaries of the writes: anonymous 401; a viewer, or another agency's officer, 403.
    assert_problem(upload(&t, None, &rid, "a.csv", "text/csv", b"a\n1\n").await, 401, "unauthorized").await;
    assert_problem(upload(&t, Some(&viewer), &rid, "a.csv", "text/csv", b"a\n1\n").await, 403, "forbidden").await;
    assert_problem(upload(&t, Some(&other_officer), &rid, "a.csv", "text/csv", b"a\n1\n").await, 403, "forbidden").await;
    assert_problem(upload(&t, Some(&staff), &rid, "a.csv", "text/csv", b"a\n1\n").await, 403, "forbidden").await;
    let put = |tok: String| {
        let url = format!("{}/api/datahub/resources/{rid}/fields/Phường", t.url);
        let http = t.http.clone();
        async move { http.put(url).bearer_auth(tok).json(&json!({"description": "Tên phường"})).send().await.unwrap() }
    };
    assert_problem(put(other_officer.clone()).await, 403, "forbidden").await;
    let r = put(officer.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["description"], "Tên phường");
    t.cleanup().await;
}

#[tokio::test]
async fn marking_a_field_personal_masks_it_and_takes_it_out_of_search() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    let rid = dataset(&t, &officer, "ghi-chu", "open").await;
    created(
        upload(&t, Some(&officer), &rid, "a.csv", "text/csv", "Tên,Ghi chú\nTrạm A,liên hệ ông Quang\nTrạm B,không\n".as_bytes()).await,
    )
    .await;
    let p = ok_json(data(&t, None, &rid, &[("q", "quang")]).await).await;
    assert_eq!(p["total"], 1);

    let r = t
        .http
        .put(format!("{}/api/datahub/resources/{rid}/fields/Ghi chú", t.url))
        .bearer_auth(&officer)
        .json(&json!({"personal": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["personal"], true);
    // At once: masked, and the words are out of the index before the answer
    // came (the rebuild is part of the write), so nothing is left to wait for.
    let p = ok_json(data(&t, None, &rid, &[("sort", "Tên")]).await).await;
    assert_eq!(p["records"][0]["Ghi chú"], "***");
    let p = ok_json(data(&t, None, &rid, &[("q", "quang")]).await).await;
    assert_eq!(p["total"], 0);
    // The owner still finds the row by the field's value, not through the index.
    let p = ok_json(data(&t, Some(&officer), &rid, &[("Ghi chú", "like:Quang")]).await).await;
    assert_eq!(p["total"], 1);
    let p = ok_json(data(&t, None, &rid, &[("q", "tram")]).await).await;
    assert_eq!(p["total"], 2);
    let fields = ok_json(t.get(&format!("/api/datahub/resources/{rid}/fields"), None).await).await;
    assert_eq!(field(&fields["items"], "Ghi chú")["personal"], true);
    let n: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('datahub.resource.field.update', 'datahub.resource.reindex')")
            .fetch_one(t.db().reader())
            .await
            .unwrap()
            .get("n");
    assert_eq!(n, 2);
    t.cleanup().await;
}

#[tokio::test]
async fn demo_data_and_ckan_datastore_search() {
    let t = TestApp::spawn().await;
    let hub = &t.app.datahub;
    cityos_datahub::seed::seed_catalogue(hub).await.unwrap();
    let made = cityos_datahub::demo_data::seed_demo_data(hub).await.unwrap();
    assert!(made >= 3, "{made}");
    // Idempotent.
    assert_eq!(cityos_datahub::demo_data::seed_demo_data(hub).await.unwrap(), 0);
    let d = ok_json(t.get("/api/datahub/datasets/tram-xe-buyt", None).await).await;
    let rid = d["resources"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(d["resources"][0]["datastore_active"], true);
    let p = ok_json(data(&t, None, &rid, &[("limit", "1")]).await).await;
    assert_eq!(p["total"], 168 * 25);
    assert_eq!(field(&p["fields"], "Có nhà chờ")["type"], "boolean");
    // Stops around Phường Sài Gòn's centroid, counted per ward.
    let p = ok_json(
        data(
            &t,
            None,
            &rid,
            &[("bbox", "106.68,10.76,106.72,10.79"), ("aggregate", "count"), ("group_by", "Mã phường"), ("sort", "count desc")],
        )
        .await,
    )
    .await;
    assert!(p["groups"].as_array().unwrap().iter().any(|g| g["Mã phường"] == "26740"), "{p}");
    // The health facilities' switchboard numbers were reviewed as not personal; the person in charge is.
    let d = ok_json(t.get("/api/datahub/datasets/co-so-y-te", None).await).await;
    let health = d["resources"][0]["id"].as_str().unwrap().to_string();
    let p = ok_json(data(&t, None, &health, &[("q", "cho ray")]).await).await;
    assert_eq!(p["records"][0]["Loại hình"], "Bệnh viện");
    assert_ne!(p["records"][0]["Điện thoại"], "***");
    assert_eq!(p["records"][0]["Người phụ trách"], "***");

    // CKAN's datastore_search, as the CKAN action calls it: shapes, masking, paging, distinct.
    let caller = cityos_api::Caller::default();
    let params = json!({"resource_id": health, "q": "benh vien", "filters": {"Loại hình": "Bệnh viện"}, "limit": 3, "fields": "Tên cơ sở,Người phụ trách", "sort": "Số giường bệnh desc"});
    let s = cityos_datahub::datastore::DatastoreSearch::from_ckan(params.as_object().unwrap()).unwrap();
    let r = serde_json::to_value(hub.datastore_search(&caller, &health, &s).await.unwrap()).unwrap();
    assert_eq!(r["fields"], json!([{"id": "Tên cơ sở", "type": "text"}, {"id": "Người phụ trách", "type": "text"}]));
    assert_eq!(r["records"].as_array().unwrap().len(), 3);
    assert_eq!(r["records"][0]["Tên cơ sở"], "Bệnh viện Chợ Rẫy");
    assert_eq!(r["records"][0]["Người phụ trách"], "***");
    assert!(r["total"].as_i64().unwrap() >= 20);
    assert_eq!(r["limit"], 3);
    assert!(r["_links"]["next"].as_str().unwrap().contains("offset=3"));
    let s = cityos_datahub::datastore::DatastoreSearch::from_ckan(json!({"fields": ["Loại hình"], "distinct": true}).as_object().unwrap())
        .unwrap();
    let r = serde_json::to_value(hub.datastore_search(&caller, &health, &s).await.unwrap()).unwrap();
    assert_eq!(r["total"], 3);
    assert_eq!(r["records"][0], json!({"Loại hình": "Bệnh viện"}));
    t.cleanup().await;
}

#[tokio::test]
async fn uploads_are_not_bound_by_the_platform_body_limit() {
    let t = TestApp::spawn_with(|c| c.server.max_body_bytes = 16 * 1024).await;
    let officer = t.login("data_officer").await;
    let rid = dataset(&t, &officer, "lon", "open").await;
    let mut csv = String::from("Mã,Tên\n");
    for i in 0..4000 {
        csv.push_str(&format!("M{i:05},Trạm dừng số {i}\n"));
    }
    assert!(csv.len() > 64 * 1024);
    let v = created(upload_raw(&t, &officer, &rid, "text/csv", csv.clone().into_bytes()).await).await;
    assert_eq!(v["row_count"], 4000);
    let v = created(upload(&t, Some(&officer), &rid, "b.csv", "text/csv", csv.as_bytes()).await).await;
    assert_eq!(v["version"], 2);
    // Other routes keep the platform's limit.
    let big = json!({"name": "x".repeat(32 * 1024), "kind": "upload"});
    assert_problem(t.post("/api/datahub/datasets/lon/resources", Some(&officer), &big).await, 413, "payload_too_large").await;
    t.cleanup().await;
}

/// The datastore tables of a resource (every version's), with their state.
async fn tables_of(t: &TestApp, rid: &str) -> Vec<(String, String)> {
    sqlx::query("SELECT table_name, state FROM datastore_tables WHERE resource_id = $1 ORDER BY table_name")
        .bind(rid)
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("table_name"), r.get("state")))
        .collect()
}

async fn table_exists(t: &TestApp, table: &str) -> bool {
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(t.db().reader()).await.is_ok()
}

#[tokio::test]
async fn deleting_a_resource_or_its_dataset_drops_every_datastore_table() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    // A resource deleted on its own.
    let rid = dataset(&t, &officer, "xoa-tai-nguyen", "shared").await;
    created(upload(&t, Some(&officer), &rid, "a.csv", "text/csv", b"Ten,So\nA,1\nB,2\n").await).await;
    created(upload(&t, Some(&officer), &rid, "a.csv", "text/csv", b"Ten,So\nA,1\nB,2\nC,3\n").await).await;
    let before = tables_of(&t, &rid).await;
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(table_exists(&t, &before.iter().find(|(_, s)| s == "current").unwrap().0).await);
    let r = t.http.delete(format!("{}/api/datahub/resources/{rid}", t.url)).bearer_auth(&officer).send().await.unwrap();
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    for (table, state) in tables_of(&t, &rid).await {
        assert_eq!(state, "dropped", "{table}");
        assert!(!table_exists(&t, &table).await, "{table} is still there");
    }
    // Reads of it answer 404 in the API's own format, never 500.
    assert_problem(data(&t, Some(&officer), &rid, &[]).await, 404, "not_found").await;
    assert_problem(data(&t, Some(&officer), &rid, &[("aggregate", "count")]).await, 404, "not_found").await;
    assert_problem(data(&t, Some(&officer), &rid, &[("format", "csv")]).await, 404, "not_found").await;

    // A dataset deleted with its resources.
    let rid = dataset(&t, &officer, "xoa-bo-du-lieu", "open").await;
    created(upload(&t, Some(&officer), &rid, "a.csv", "text/csv", b"Ten,So\nA,1\n").await).await;
    let current = tables_of(&t, &rid).await;
    assert_eq!(current.len(), 1);
    let r = t.http.delete(format!("{}/api/datahub/datasets/xoa-bo-du-lieu", t.url)).bearer_auth(&officer).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    for (table, state) in tables_of(&t, &rid).await {
        assert_eq!(state, "dropped", "{table}");
        assert!(!table_exists(&t, &table).await, "{table} is still there");
    }
    assert_problem(data(&t, None, &rid, &[]).await, 404, "not_found").await;
    assert_problem(data(&t, Some(&officer), &rid, &[("q", "a")]).await, 404, "not_found").await;
    t.cleanup().await;
}

/// Purposes of the data-read audit records on `object`, in order.
async fn read_purposes(t: &TestApp, object: &str) -> Vec<String> {
    sqlx::query("SELECT purpose FROM audit_log WHERE action = 'datahub.data.read' AND object = $1 ORDER BY seq")
        .bind(object)
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<Option<String>, _>("purpose").unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn filters_and_aggregates_over_personal_fields_are_audited_as_personal_reads() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    let rid = dataset(&t, &officer, "doc-truong-rieng-tu", "open").await;
    created(upload(&t, Some(&officer), &rid, "a.csv", "text/csv", V1.as_bytes()).await).await;
    let object = format!("resource:{rid}");
    // Reads of open data that touch no personal field are not audited, whoever reads.
    ok_json(data(&t, None, &rid, &[("aggregate", "count"), ("group_by", "Loại hình")]).await).await;
    ok_json(data(&t, Some(&officer), &rid, &[("fields", "Mã,Tên cơ sở"), ("Loại hình", "Bệnh viện")]).await).await;
    assert!(read_purposes(&t, &object).await.is_empty());

    // Grouping by a personal field returns its values: a personal read.
    let p = ok_json(data(&t, Some(&officer), &rid, &[("aggregate", "count"), ("group_by", "Điện thoại")]).await).await;
    assert!(!p["groups"].as_array().unwrap().is_empty());
    // Filtering on one returns none of its values, yet tells who has which number.
    let p = ok_json(data(&t, Some(&officer), &rid, &[("fields", "Mã"), ("Điện thoại", "0901234567")]).await).await;
    assert_eq!(names(&p["records"], "Mã"), ["YT-1"]);
    // Counting rows with a value of it, and sorting by it.
    ok_json(data(&t, Some(&officer), &rid, &[("aggregate", "count"), ("Điện thoại", "notnull:")]).await).await;
    ok_json(data(&t, Some(&officer), &rid, &[("fields", "Mã"), ("sort", "Điện thoại desc")]).await).await;
    // CKAN's datastore_search filters are the same read.
    let r = t
        .http
        .post(format!("{}/api/3/action/datastore_search", t.url))
        .bearer_auth(&officer)
        .json(&json!({"resource_id": rid, "fields": ["Mã"], "filters": {"Điện thoại": "0912345678"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let purposes = read_purposes(&t, &object).await;
    assert_eq!(purposes, vec!["owner agency | personal fields: Điện thoại"; 5], "{purposes:?}");
    // The owner's own reads stay out of the access log of who else read the data.
    let log = ok_json(t.get("/api/datahub/datasets/doc-truong-rieng-tu/access-log", Some(&officer)).await).await;
    assert_eq!(log["total"], 0, "{log}");
    t.cleanup().await;
}
