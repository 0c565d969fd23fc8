//! GIS file import with the validation report, and export in every format,
//! through HTTP (`/api/gis/imports`, `/api/gis/exports`) on the test backend.

use crate::harness::{assert_problem, TestApp};
use cityos_api::Role;
use cityos_gis::store::ItemQuery;
use serde_json::{json, Value};
use std::io::{Read as _, Write as _};

async fn upload(app: &TestApp, token: Option<&str>, query: &str, body: Vec<u8>, content_type: &str) -> reqwest::Response {
    let mut rb = app.http.post(format!("{}/api/gis/imports?{query}", app.url)).header("content-type", content_type).body(body);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    rb.send().await.expect("request")
}

async fn download(app: &TestApp, query: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let r = app.get(&format!("/api/gis/exports?{query}"), None).await;
    assert_eq!(r.status(), 200, "export {query}");
    let h = r.headers().clone();
    (h, r.bytes().await.expect("body").to_vec())
}

fn valves_geojson() -> Vec<u8> {
    json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.7009, 10.7769]}, "properties": {"name": "Van 1", "status": "functional"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[106.70, 10.77], [106.71, 10.78]]}, "properties": {"name": "not a valve"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.71, 10.78]}, "properties": {"name": "Van 3", "DUONG_KINH": 200, "status": "broken"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}, "properties": {"name": "Van Paris"}}
    ]})
    .to_string()
    .into_bytes()
}

fn count(report: &Value, code: &str) -> u64 {
    report["counts"][code].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn gis_import_dry_run_reports_problems_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.agency_user("import_staff", "SAWACO", Role::Staff).await;
    let r = upload(&app, Some(&token), "collection=water-valves", valves_geojson(), "application/geo+json").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["dry_run"], true);
    let rep = &body["report"];
    assert_eq!(rep["format"], "geojson");
    assert_eq!(rep["features"], 4);
    assert_eq!(rep["blocking"], true);
    assert_eq!(rep["features_with_errors"], 2, "{rep}");
    assert_eq!(count(rep, "geometry_type_mismatch"), 1);
    assert_eq!(count(rep, "invalid_code"), 1);
    assert_eq!(count(rep, "outside_city"), 1);
    assert_eq!(rep["layers"][0]["detected"]["kind"], "format_default");
    let unknown = rep["warnings"].as_array().unwrap().iter().find(|w| w["code"] == "unknown_attribute").expect("unknown attribute warning");
    assert_eq!(unknown["field"], "DUONG_KINH");
    assert_eq!(unknown["suggestion"], "mapping=DUONG_KINH:diameter_mm");
    assert!(unknown["message_vi"].as_str().unwrap().contains("không có trong lớp"));
    let mismatch = rep["errors"].as_array().unwrap().iter().find(|e| e["code"] == "geometry_type_mismatch").unwrap();
    assert_eq!(mismatch["index"], 1);
    let bbox = rep["bbox"].as_array().unwrap();
    assert_eq!(bbox[0].as_f64(), Some(2.35));

    // A real import with blocking errors writes nothing and answers 422 with the report.
    let r = upload(&app, Some(&token), "collection=water-valves&dry_run=false", valves_geojson(), "application/geo+json").await;
    let problem = assert_problem(r, 422, "invalid_input").await;
    assert_eq!(problem["result"]["report"]["blocking"], true);
    let page = app.app.gis.query(&ItemQuery { collection: "water-valves".into(), limit: 10, ..ItemQuery::default() }).await.unwrap();
    assert!(page.features.is_empty());

    // Clear refusals for bad requests.
    let r = upload(&app, Some(&token), "collection=nope", valves_geojson(), "application/json").await;
    assert_problem(r, 400, "unknown_collection").await;
    let r = upload(&app, Some(&token), "collection=water-valves&crs=EPSG:2154", valves_geojson(), "application/json").await;
    assert_problem(r, 400, "invalid_crs").await;
    let r = upload(&app, Some(&token), "collection=water-valves", b"\x00\x01\x02binary".to_vec(), "application/octet-stream").await;
    assert_problem(r, 400, "unknown_format").await;
    let r = upload(&app, Some(&token), "collection=water-valves", b"{\"type\": ".to_vec(), "application/json").await;
    assert_problem(r, 400, "invalid_file").await;
    let r = upload(&app, Some(&token), "collection=water-valves", Vec::new(), "application/json").await;
    assert_problem(r, 400, "missing_file").await;
    let r = upload(&app, Some(&token), "collection=water-valves&mapping=DUONG_KINH:width", valves_geojson(), "application/json").await;
    assert_problem(r, 400, "invalid_mapping").await;
    app.cleanup().await;
}

#[tokio::test]
async fn gis_import_needs_an_editing_role_and_export_is_public() {
    let app = TestApp::spawn().await;
    let viewer = app.agency_user("import_viewer", "SAWACO", Role::Viewer).await;
    let r = upload(&app, Some(&viewer), "collection=water-valves", valves_geojson(), "application/geo+json").await;
    assert_problem(r, 403, "forbidden").await;
    let r = upload(&app, None, "collection=water-valves", valves_geojson(), "application/geo+json").await;
    assert_problem(r, 401, "unauthorized").await;
    let (h, body) = download(&app, "collection=water-valves").await;
    assert_eq!(h["content-type"], "application/geo+json");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    let r = app.get("/api/gis/exports?collection=water-valves&format=kml", None).await;
    assert_problem(r, 400, "invalid_format").await;
    let r = app.get("/api/gis/exports?collection=water-valves&bbox=1,2,3", None).await;
    assert_problem(r, 400, "invalid_bbox").await;
    let doc: Value = app.get("/api/openapi.json", None).await.json().await.unwrap();
    assert!(doc["paths"]["/api/gis/imports"]["post"].is_object(), "import route documented");
    assert!(doc["paths"]["/api/gis/exports"]["get"].is_object(), "export route documented");
    app.cleanup().await;
}

fn multipart(boundary: &str, mapping: &str, file_name: &str, file: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    write!(b, "--{boundary}\r\nContent-Disposition: form-data; name=\"mapping\"\r\n\r\n{mapping}\r\n").unwrap();
    write!(b, "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n")
        .unwrap();
    b.extend_from_slice(file);
    write!(b, "\r\n--{boundary}--\r\n").unwrap();
    b
}

/// Replaces the `.prj` of every layer in a zipped Shapefile.
fn with_prj(zip_bytes: &[u8], prj: &str) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.to_vec())).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        out.start_file(name.clone(), zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(if name.ends_with(".prj") { prj.as_bytes() } else { &data }).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[tokio::test]
async fn gis_import_writes_features_and_exports_read_back_in_every_format() {
    let app = TestApp::spawn().await;
    let token = app.agency_user("import_writer", "SAWACO", Role::Staff).await;
    // A spreadsheet export: BOM, semicolons, decimal commas, Vietnamese headers.
    let csv = "\u{feff}Tên;Lat;Lon;DUONG_KINH;trang_thai\nVan Lê Lợi;10,7769;106,7009;150;functional\nVan Hàm Nghi;10,7710;106,7030;200;projected\nVan Pasteur;10,7800;106,6950;100;functional\n";
    let body = multipart("XyZbound", r#"{"DUONG_KINH": "diameter_mm"}"#, "van.csv", csv.as_bytes());
    let r = upload(&app, Some(&token), "collection=water-valves&dry_run=false", body, "multipart/form-data; boundary=XyZbound").await;
    let status = r.status();
    let res: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{res}");
    assert_eq!(res["imported"], 3);
    assert_eq!(res["ids"].as_array().unwrap().len(), 3);
    assert_eq!(res["field_mapping"]["Tên"], "name");
    assert_eq!(res["field_mapping"]["trang_thai"], "status");
    assert_eq!(res["report"]["layers"][0]["assumed"], true, "CSV declares no CRS; lon/lat is assumed");

    let page = app.app.gis.query(&ItemQuery { collection: "water-valves".into(), limit: 10, ..ItemQuery::default() }).await.unwrap();
    assert_eq!(page.features.len(), 3);
    let le_loi = page.features.iter().find(|f| f.properties["name"] == "Van Lê Lợi").expect("imported valve");
    assert_eq!(le_loi.properties["diameter_mm"], json!(150.0));
    assert_eq!(le_loi.properties["status"], "functional");
    assert_eq!(le_loi.properties["owner_agency"], "SAWACO");

    // GeoJSON.
    let (_, gj) = download(&app, "collection=water-valves&filter=status%3D%27functional%27").await;
    let gj: Value = serde_json::from_slice(&gj).unwrap();
    assert_eq!(gj["features"].as_array().unwrap().len(), 2);

    // GeoPackage: a valid file that imports back cleanly.
    let (h, gpkg) = download(&app, "collection=water-valves&format=gpkg").await;
    assert_eq!(h["content-type"], "application/geopackage+sqlite3");
    assert!(h["content-disposition"].to_str().unwrap().contains("water-valves.gpkg"));
    assert_eq!(&gpkg[68..72], b"GPKG");
    let r = upload(&app, Some(&token), "collection=water-valves", gpkg, "application/geopackage+sqlite3").await;
    let back: Value = r.json().await.unwrap();
    assert_eq!(back["report"]["features"], 3, "{back}");
    assert_eq!(back["report"]["error_count"], 0, "{back}");

    // Shapefile in VN-2000 / UTM 48N: the .prj is recognised and the positions come back.
    let (h, shp) = download(&app, "collection=water-valves&format=shp&crs=EPSG:3405").await;
    assert_eq!(h["content-type"], "application/zip");
    assert_eq!(h["content-crs"], "http://www.opengis.net/def/crs/EPSG/0/3405");
    let r = upload(&app, Some(&token), "collection=water-valves", shp.clone(), "application/zip").await;
    let back: Value = r.json().await.unwrap();
    let rep = &back["report"];
    assert_eq!(rep["error_count"], 0, "{back}");
    assert_eq!(rep["layers"][0]["detected"]["crs"], "http://www.opengis.net/def/crs/EPSG/0/3405");
    let bbox: Vec<f64> = rep["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    for (got, want) in bbox.iter().zip([106.6950, 10.7710, 106.7030, 10.7800]) {
        assert!((got - want).abs() < 1e-6, "{bbox:?}");
    }
    // An unknown .prj blocks until the user chooses the CRS.
    let unknown = with_prj(
        &shp,
        r#"PROJCS["Hanoi_local",GEOGCS["GCS_X",DATUM["D_X",SPHEROID["S",6378245,298.3]]],PROJECTION["Lambert_Conformal_Conic"]]"#,
    );
    let r = upload(&app, Some(&token), "collection=water-valves", unknown.clone(), "application/zip").await;
    let back: Value = r.json().await.unwrap();
    assert_eq!(back["report"]["crs_required"], true);
    assert_eq!(count(&back["report"], "crs_unknown"), 1);
    let r = upload(&app, Some(&token), "collection=water-valves&crs=EPSG:3405", unknown, "application/zip").await;
    let back: Value = r.json().await.unwrap();
    assert_eq!(back["report"]["error_count"], 0, "{back}");

    // CSV with WKT.
    let (_, csv) = download(&app, "collection=water-valves&format=csv").await;
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains("POINT(106.7009 10.7769)"), "{text}");
    assert!(text.contains("Van Lê Lợi"));
    app.cleanup().await;
}
