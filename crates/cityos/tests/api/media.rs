//! Photos and videos on reports through HTTP: upload by the reporter (upload
//! token) and by staff, metadata stripped from what is stored, type and size
//! limits, redaction of the public copy, publishing, progress updates with
//! photos and a committed date, and every role boundary.

use crate::harness::{assert_problem, TestApp};
use cityos_core::Clock as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const GPS_JPG: &[u8] = include_bytes!("../../../cityos_feedback/tests/fixtures/gps.jpg");
const TEXT_PNG: &[u8] = include_bytes!("../../../cityos_feedback/tests/fixtures/text.png");
const GPS_MP4: &[u8] = include_bytes!("../../../cityos_feedback/tests/fixtures/gps.mp4");

/// Phường Sài Gòn's published centroid: reports there go to UBND-P-SAIGON (the demo `staff`'s unit).
const SAIGON: (f64, f64) = (10.7805, 106.704);

async fn app_with(configure: impl FnOnce(&mut cityos_core::config::Config)) -> TestApp {
    let t = TestApp::spawn_with(configure).await;
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 0).await.unwrap();
    t
}

async fn app() -> TestApp {
    app_with(|_| {}).await
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Files a pothole report in Phường Sài Gòn (or `address`) anonymously: (public view with the upload grant).
async fn file_at(t: &TestApp, address: Option<&str>) -> Value {
    let body = match address {
        Some(a) => json!({"description": "Ổ gà lớn giữa đường", "category_code": "ROADS.POTHOLE", "address": a}),
        None => json!({"description": "Ổ gà lớn giữa đường", "category_code": "ROADS.POTHOLE", "lat": SAIGON.0, "lon": SAIGON.1}),
    };
    let r = t.post("/api/feedback/reports", None, &body).await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn file(t: &TestApp) -> (String, String) {
    let r = file_at(t, None).await;
    (r["tracking_code"].as_str().unwrap().to_string(), r["upload"]["token"].as_str().expect("an upload grant").to_string())
}

fn multipart(name: &str, declared_type: &str, data: &[u8], visibility: Option<&str>) -> (String, Vec<u8>) {
    let boundary = "cityos-test-boundary-7d1f";
    let mut body = Vec::new();
    if let Some(v) = visibility {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"visibility\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {declared_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads `data` to report `code`, with the reporter's upload token and/or a bearer token.
async fn upload(t: &TestApp, code: &str, upload_token: Option<&str>, bearer: Option<&str>, data: &[u8]) -> reqwest::Response {
    upload_as(t, code, upload_token, bearer, data, None).await
}

async fn upload_as(
    t: &TestApp,
    code: &str,
    upload_token: Option<&str>,
    bearer: Option<&str>,
    data: &[u8],
    visibility: Option<&str>,
) -> reqwest::Response {
    let (ct, body) = multipart("photo.jpg", "image/jpeg", data, visibility);
    let mut rb = t.http.post(format!("{}/api/feedback/reports/{code}/media", t.url)).header("content-type", ct).body(body);
    if let Some(u) = upload_token {
        rb = rb.header("x-upload-token", u);
    }
    if let Some(b) = bearer {
        rb = rb.bearer_auth(b);
    }
    rb.send().await.unwrap()
}

async fn uploaded(r: reqwest::Response) -> Value {
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

async fn bytes(t: &TestApp, path: &str, bearer: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = t.get(path, bearer).await;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

/// A white JPEG `w`×`h`, without metadata.
fn white_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([255, 255, 255]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Jpeg).unwrap();
    out
}

fn dark(p: &image::Rgb<u8>) -> bool {
    p.0.iter().all(|c| *c < 24)
}

fn light(p: &image::Rgb<u8>) -> bool {
    p.0.iter().all(|c| *c > 230)
}

#[tokio::test]
async fn a_reporters_photo_is_stored_without_its_gps_and_stays_internal() {
    let t = app().await;
    let (code, token) = file(&t).await;
    assert!(token.starts_with("cmu_"));
    let a = uploaded(upload(&t, &code, Some(&token), None, GPS_JPG).await).await;
    assert_eq!(a["kind"], "photo");
    assert_eq!(a["content_type"], "image/jpeg");
    assert_eq!(a["uploaded_by"], "anonymous");
    assert_eq!(a["visibility"], "internal", "the reporter's files wait for staff");
    assert_eq!((a["width"].as_i64(), a["height"].as_i64()), (Some(96), Some(64)));
    let id = a["id"].as_str().unwrap();

    // Staff read back the stored file: no EXIF, GPS, camera, XMP or comment; the recorded hash is its hash.
    let staff = t.login("staff").await;
    let (status, headers, stored) = bytes(&t, &format!("/api/feedback/media/{id}"), Some(&staff)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["content-disposition"], format!("inline; filename=\"{id}.jpg\""));
    assert_eq!(headers["cache-control"], "private, no-cache");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    for needle in [&b"Exif"[..], b"GPSLatitude", b"PhoneModel X", b"Nguyen Van A", b"0901234567"] {
        assert!(!contains(&stored, needle), "{} stored", String::from_utf8_lossy(needle));
    }
    assert_eq!(a["sha256"], hex::encode(Sha256::digest(&stored)));
    assert_eq!(a["size_bytes"].as_u64(), Some(stored.len() as u64));
    let img = image::load_from_memory_with_format(&stored, image::ImageFormat::Jpeg).expect("still a photo");
    assert_eq!((img.width(), img.height()), (96, 64));
    // A repeated request is answered from the browser's copy.
    let etag = headers["etag"].to_str().unwrap().to_string();
    let again =
        t.http.get(format!("{}/api/feedback/media/{id}", t.url)).bearer_auth(&staff).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);

    // In the report's history for staff, not in the public view; the public cannot fetch it.
    let report: Value = t.get(&format!("/api/feedback/reports/{code}"), Some(&staff)).await.json().await.unwrap();
    let entry = report["updates"].as_array().unwrap().iter().find(|u| u["kind"] == "media").expect("history entry");
    assert_eq!(entry["public"], false);
    assert_eq!(entry["media"], json!([id]));
    let list: Value = t.get(&format!("/api/feedback/reports/{code}/media"), Some(&staff)).await.json().await.unwrap();
    assert_eq!(list["items"][0]["id"], id);
    let public: Value = t.get(&format!("/api/feedback/public/reports/{code}"), None).await.json().await.unwrap();
    assert_eq!(public["media"], json!([]));
    assert!(public["updates"].as_array().unwrap().iter().all(|u| u["kind"] != "media"));
    assert_problem(t.get(&format!("/api/feedback/media/{id}"), None).await, 404, "not_found").await;

    // Audited, without personal data.
    use sqlx::Row as _;
    let rows = sqlx::query("SELECT action, object, purpose FROM audit_log WHERE action LIKE 'feedback.media.%' ORDER BY seq")
        .fetch_all(t.db().reader())
        .await
        .unwrap();
    let actions: Vec<String> = rows.iter().map(|r| r.try_get::<String, _>("action").unwrap()).collect();
    assert!(actions.contains(&"feedback.media.added".to_string()) && actions.contains(&"feedback.media.read".to_string()), "{actions:?}");
    for r in &rows {
        let text = format!(
            "{}{}",
            r.try_get::<String, _>("object").unwrap(),
            r.try_get::<Option<String>, _>("purpose").unwrap().unwrap_or_default()
        );
        assert!(!text.contains("0901") && !text.contains("Nguyen"), "no personal data in the audit log: {text}");
    }
    t.cleanup().await;
}

#[tokio::test]
async fn png_text_chunks_and_video_locations_are_stripped() {
    let t = app().await;
    let (code, token) = file(&t).await;
    let staff = t.login("staff").await;
    let png = uploaded(upload(&t, &code, Some(&token), None, TEXT_PNG).await).await;
    assert_eq!(png["content_type"], "image/png");
    let (_, _, stored) = bytes(&t, &format!("/api/feedback/media/{}", png["id"].as_str().unwrap()), Some(&staff)).await;
    for needle in [&b"tEXt"[..], b"zTXt", b"iTXt", b"eXIf", b"Nguyen Van A", b"GPS 10.7805"] {
        assert!(!contains(&stored, needle), "{} stored", String::from_utf8_lossy(needle));
    }
    image::load_from_memory_with_format(&stored, image::ImageFormat::Png).expect("still a picture");

    let mp4 = uploaded(upload(&t, &code, Some(&token), None, GPS_MP4).await).await;
    assert_eq!((mp4["kind"].as_str(), mp4["content_type"].as_str()), (Some("video"), Some("video/mp4")));
    let (_, headers, stored) = bytes(&t, &format!("/api/feedback/media/{}", mp4["id"].as_str().unwrap()), Some(&staff)).await;
    assert_eq!(headers["content-type"], "video/mp4");
    assert_eq!(stored.len(), GPS_MP4.len(), "metadata overwritten in place");
    for needle in [&b"+10.7805+106.7040"[..], b"PhoneMaker", b"PhoneModel X", b"Nguyen Van A"] {
        assert!(!contains(&stored, needle), "{} stored", String::from_utf8_lossy(needle));
    }
    assert!(contains(&stored, b"mdat") && contains(&stored, b"moov"));
    t.cleanup().await;
}

#[tokio::test]
async fn wrong_types_are_refused_415_and_big_files_413() {
    let t = app_with(|c| {
        c.media.max_photo_bytes = 1000;
        c.media.max_video_bytes = 4000;
    })
    .await;
    let (code, token) = file(&t).await;
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n".repeat(4);
    assert_problem(upload(&t, &code, Some(&token), None, &pdf).await, 415, "unsupported_media_type").await;
    let webp = b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0".repeat(2);
    let p = assert_problem(upload(&t, &code, Some(&token), None, &webp).await, 415, "unsupported_media_type").await;
    assert!(p["detail"].as_str().unwrap().contains("WebP"), "{p}");
    let html = b"<html><script>alert(1)</script></html>";
    assert_problem(upload(&t, &code, Some(&token), None, html).await, 415, "unsupported_media_type").await;
    assert_problem(upload(&t, &code, Some(&token), None, b"").await, 422, "invalid_input").await;
    // A photo over max_photo_bytes (the 1.5 KB fixture), while a bigger video is still taken.
    let p = assert_problem(upload(&t, &code, Some(&token), None, GPS_JPG).await, 413, "payload_too_large").await;
    assert_eq!(p["max_bytes"], 1000);
    uploaded(upload(&t, &code, Some(&token), None, GPS_MP4).await).await;
    // A declared body over the upload limit is refused before it is read.
    let r = t
        .http
        .post(format!("{}/api/feedback/reports/{code}/media", t.url))
        .header("x-upload-token", &token)
        .header("content-type", "multipart/form-data; boundary=x")
        .body(vec![0u8; 4000 + 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_problem(r, 413, "payload_too_large").await;
    // A broken JPEG is not stored.
    let t2 = app().await;
    let (code2, token2) = file(&t2).await;
    assert_problem(upload(&t2, &code2, Some(&token2), None, &GPS_JPG[..300]).await, 422, "invalid_input").await;
    assert_problem(upload(&t2, &code2, Some(&token2), None, b"plain text, not a photo").await, 415, "unsupported_media_type").await;
    // A body that is not multipart at all.
    let r = t2
        .http
        .post(format!("{}/api/feedback/reports/{code2}/media", t2.url))
        .header("x-upload-token", &token2)
        .header("content-type", "image/jpeg")
        .body(GPS_JPG.to_vec())
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "invalid_multipart").await;
    t2.cleanup().await;
    t.cleanup().await;
}

#[tokio::test]
async fn the_upload_token_is_the_reporters_for_30_minutes_and_files_are_limited() {
    let t = app_with(|c| c.media.max_per_report = 2).await;
    let (code, token) = file(&t).await;
    let (other_code, other_token) = file(&t).await;
    assert_problem(upload(&t, &code, None, None, GPS_JPG).await, 401, "unauthorized").await;
    assert_problem(upload(&t, &code, Some("cmu_guess"), None, GPS_JPG).await, 403, "forbidden").await;
    assert_problem(upload(&t, &code, Some(&other_token), None, GPS_JPG).await, 403, "forbidden").await;
    uploaded(upload(&t, &code, Some(&token), None, GPS_JPG).await).await;
    uploaded(upload(&t, &code, Some(&token), None, TEXT_PNG).await).await;
    assert_problem(upload(&t, &code, Some(&token), None, GPS_JPG).await, 409, "conflict").await;
    // Staff have their own allowance on the same report.
    let staff = t.login("staff").await;
    uploaded(upload(&t, &code, None, Some(&staff), GPS_JPG).await).await;
    // After the window the token no longer works.
    t.clock.advance(chrono::Duration::minutes(31));
    assert_problem(upload(&t, &other_code, Some(&other_token), None, GPS_JPG).await, 403, "forbidden").await;
    assert_problem(upload(&t, "260101-ZZZZZ", Some(&token), None, GPS_JPG).await, 404, "not_found").await;
    t.cleanup().await;
}

#[tokio::test]
async fn a_signed_in_citizen_gets_a_grant_too_and_staff_get_none() {
    let t = app().await;
    // Staff filing by phone upload with their own rights.
    let op = t.login("operator").await;
    let r = t
        .post(
            "/api/feedback/reports",
            Some(&op),
            &json!({"description": "Ổ gà lớn giữa đường", "lat": SAIGON.0, "lon": SAIGON.1, "reporter": {"phone": "0901234567"}}),
        )
        .await;
    let staff_filed: Value = r.json().await.unwrap();
    assert!(staff_filed.get("upload").is_none(), "{staff_filed}");
    let a = uploaded(upload(&t, staff_filed["tracking_code"].as_str().unwrap(), None, Some(&op), GPS_JPG).await).await;
    assert_eq!(a["uploaded_by"], "staff");
    t.cleanup().await;
}

#[tokio::test]
async fn redaction_blacks_out_the_public_copy_and_the_original_stays_internal() {
    let t = app().await;
    let (code, token) = file(&t).await;
    let a = uploaded(upload(&t, &code, Some(&token), None, &white_jpeg(200, 100)).await).await;
    let id = a["id"].as_str().unwrap();
    let staff = t.login("staff").await;
    let url = format!("/api/feedback/media/{id}/redactions");
    // Regions must lie on the photo.
    for bad in [
        json!({"x": 0.8, "y": 0, "width": 0.5, "height": 0.1}),
        json!({"x": 0, "y": 0, "width": 0, "height": 0.1}),
        json!({"x": -0.1, "y": 0, "width": 0.5, "height": 0.1}),
    ] {
        assert_problem(t.post(&url, Some(&staff), &json!({"regions": [bad]})).await, 422, "invalid_input").await;
    }
    let r = t.post(&url, Some(&staff), &json!({"regions": [{"x": 0, "y": 0, "width": 0.5, "height": 0.5}], "publish": true})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let a: Value = r.json().await.unwrap();
    assert_eq!((a["redacted"].as_bool(), a["visibility"].as_str()), (Some(true), Some("public")));
    assert_eq!(a["regions"].as_array().unwrap().len(), 1);

    // The public gets the redacted copy: black top-left quarter, the rest untouched.
    let (status, headers, public) = bytes(&t, &format!("/api/feedback/media/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "public, no-cache");
    let img = image::load_from_memory_with_format(&public, image::ImageFormat::Jpeg).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (200, 100));
    for (x, y) in [(2, 2), (50, 25), (95, 45)] {
        assert!(dark(img.get_pixel(x, y)), "({x},{y}) is blacked out: {:?}", img.get_pixel(x, y));
    }
    for (x, y) in [(150, 80), (110, 10), (10, 70)] {
        assert!(light(img.get_pixel(x, y)), "({x},{y}) is left alone: {:?}", img.get_pixel(x, y));
    }
    // Staff still have the original, and can preview the public copy.
    let (_, _, original) = bytes(&t, &format!("/api/feedback/media/{id}"), Some(&staff)).await;
    let orig = image::load_from_memory_with_format(&original, image::ImageFormat::Jpeg).unwrap().to_rgb8();
    assert!(light(orig.get_pixel(10, 10)), "the original is not painted");
    assert_eq!(a["sha256"], hex::encode(Sha256::digest(&original)));
    let (_, _, preview) = bytes(&t, &format!("/api/feedback/media/{id}?variant=public"), Some(&staff)).await;
    assert_eq!(preview, public);
    // Asking for the original without rights still gives only the public copy.
    let (_, _, anon_original) = bytes(&t, &format!("/api/feedback/media/{id}?variant=original"), None).await;
    assert_eq!(anon_original, public);

    // The public view lists it; history and audit record the change.
    let view: Value = t.get(&format!("/api/feedback/public/reports/{code}"), None).await.json().await.unwrap();
    assert_eq!(
        view["media"],
        json!([{"id": id, "kind": "photo", "content_type": "image/jpeg", "url": format!("/api/feedback/media/{id}")}])
    );
    let report: Value = t.get(&format!("/api/feedback/reports/{code}"), Some(&staff)).await.json().await.unwrap();
    assert!(report["updates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["kind"] == "media" && u["text"].as_str().unwrap().starts_with("Che 1 vùng")));

    // Redacting again replaces the regions (and the copy on disk); none removes the redaction; hiding takes it off the public page.
    let dir = t.app.config.storage.data_dir.join("media").join(a["report_id"].as_str().unwrap());
    let files =
        || std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.file_name().into_string().unwrap()).collect::<Vec<_>>();
    let again = t.post(&url, Some(&staff), &json!({"regions": [{"x": 0.5, "y": 0.5, "width": 0.5, "height": 0.5}]})).await;
    assert_eq!(again.status(), 200);
    let (_, _, second) = bytes(&t, &format!("/api/feedback/media/{id}"), None).await;
    let img = image::load_from_memory_with_format(&second, image::ImageFormat::Jpeg).unwrap().to_rgb8();
    assert!(light(img.get_pixel(10, 10)) && dark(img.get_pixel(150, 80)), "the new regions replace the old ones");
    assert_eq!(files().len(), 2, "the original and one public copy: {:?}", files());
    let a: Value = t.post(&url, Some(&staff), &json!({"regions": []})).await.json().await.unwrap();
    assert_eq!(a["redacted"], false);
    assert_eq!(files().len(), 1, "only the original is left: {:?}", files());
    let (_, _, now_public) = bytes(&t, &format!("/api/feedback/media/{id}"), None).await;
    assert_eq!(now_public, original, "published as it is");
    let hide = t.post(&format!("/api/feedback/media/{id}/visibility"), Some(&staff), &json!({"visibility": "internal"})).await;
    assert_eq!(hide.status(), 200);
    assert_problem(t.get(&format!("/api/feedback/media/{id}"), None).await, 404, "not_found").await;
    let view: Value = t.get(&format!("/api/feedback/public/reports/{code}"), None).await.json().await.unwrap();
    assert_eq!(view["media"], json!([]));
    t.cleanup().await;
}

#[tokio::test]
async fn videos_are_published_or_hidden_never_redacted() {
    let t = app().await;
    let (code, token) = file(&t).await;
    let a = uploaded(upload(&t, &code, Some(&token), None, GPS_MP4).await).await;
    let id = a["id"].as_str().unwrap();
    let staff = t.login("staff").await;
    let r = t
        .post(
            &format!("/api/feedback/media/{id}/redactions"),
            Some(&staff),
            &json!({"regions": [{"x": 0, "y": 0, "width": 0.5, "height": 0.5}]}),
        )
        .await;
    assert_problem(r, 422, "invalid_input").await;
    let r = t.post(&format!("/api/feedback/media/{id}/visibility"), Some(&staff), &json!({"visibility": "public"})).await;
    assert_eq!(r.status(), 200);
    // Players fetch videos in ranges.
    let part = t.http.get(format!("{}/api/feedback/media/{id}", t.url)).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], format!("bytes 0-99/{}", GPS_MP4.len()));
    assert_eq!(part.bytes().await.unwrap().len(), 100);
    let bad = t.http.get(format!("{}/api/feedback/media/{id}", t.url)).header("range", "bytes=999999-").send().await.unwrap();
    assert_eq!(bad.status(), 416);
    t.cleanup().await;
}

#[tokio::test]
async fn progress_updates_show_photos_and_a_committed_date() {
    let t = app().await;
    let (code, token) = file(&t).await;
    let citizen_photo = uploaded(upload(&t, &code, Some(&token), None, GPS_JPG).await).await;
    let staff = t.login("staff").await;
    let before = uploaded(upload_as(&t, &code, None, Some(&staff), &white_jpeg(40, 30), Some("public")).await).await;
    assert_eq!((before["uploaded_by"].as_str(), before["visibility"].as_str()), (Some("staff"), Some("public")));
    let internal = uploaded(upload(&t, &code, None, Some(&staff), &white_jpeg(40, 30)).await).await;
    assert_eq!(internal["visibility"], "internal");
    let (other_code, _) = file(&t).await;
    let other = uploaded(upload(&t, &other_code, None, Some(&staff), GPS_JPG).await).await;

    let url = format!("/api/feedback/reports/{code}/transition");
    let today = cityos_calendar::local_date(t.clock.now());
    let ids = json!([before["id"], internal["id"]]);
    // Checks: a date in the past, a date without in_progress, another report's file.
    let past = (today - chrono::Duration::days(1)).to_string();
    assert_problem(t.post(&url, Some(&staff), &json!({"status": "in_progress", "committed_date": past})).await, 422, "invalid_input").await;
    let later = (today + chrono::Duration::days(7)).to_string();
    assert_problem(t.post(&url, Some(&staff), &json!({"status": "acknowledged", "committed_date": later})).await, 422, "invalid_input")
        .await;
    assert_problem(t.post(&url, Some(&staff), &json!({"status": "in_progress", "media": [other["id"]]})).await, 422, "invalid_input").await;

    let r = t
        .post(
            &url,
            Some(&staff),
            &json!({"status": "in_progress", "text": "Đã rào chắn, sẽ vá trong tuần", "media": ids, "committed_date": later}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let full: Value = r.json().await.unwrap();
    let entry = full["updates"].as_array().unwrap().iter().find(|u| u["status_to"] == "in_progress").unwrap().clone();
    assert_eq!(entry["media"], ids, "staff see every file of the update");
    assert_eq!(entry["committed_date"], later);

    // Citizens see the update with its published photo only, and the date.
    let view: Value = t.get(&format!("/api/feedback/public/reports/{code}"), None).await.json().await.unwrap();
    let entry = view["updates"].as_array().unwrap().iter().find(|u| u["status_to"] == "in_progress").unwrap().clone();
    assert_eq!(entry["media"], json!([before["id"]]));
    assert_eq!(entry["committed_date"], later);
    let listed: Vec<&str> = view["media"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(listed, vec![before["id"].as_str().unwrap()], "the citizen's own photo stays internal until staff publish it");
    assert_ne!(citizen_photo["id"], before["id"]);
    t.cleanup().await;
}

#[tokio::test]
async fn role_boundaries_for_files() {
    let t = app().await;
    let (code, token) = file(&t).await; // Phường Sài Gòn: the demo staff's unit
    let theirs = file_at(&t, Some("Phường Bến Thành")).await; // another unit
    let theirs_code = theirs["tracking_code"].as_str().unwrap();
    let a = uploaded(upload(&t, &code, Some(&token), None, GPS_JPG).await).await;
    let id = a["id"].as_str().unwrap();
    let b = uploaded(upload(&t, theirs_code, Some(theirs["upload"]["token"].as_str().unwrap()), None, GPS_JPG).await).await;
    let their_id = b["id"].as_str().unwrap();
    let redaction = json!({"regions": [{"x": 0, "y": 0, "width": 0.5, "height": 0.5}]});
    let redact = |i: &str| format!("/api/feedback/media/{i}/redactions");
    let visibility = |i: &str| format!("/api/feedback/media/{i}/visibility");

    // Anonymous: 401 on every staff route.
    assert_problem(t.post(&redact(id), None, &redaction).await, 401, "unauthorized").await;
    assert_problem(t.post(&visibility(id), None, &json!({"visibility": "public"})).await, 401, "unauthorized").await;
    assert_problem(t.get(&format!("/api/feedback/reports/{code}/media"), None).await, 401, "unauthorized").await;

    // Staff of another unit: no redaction, no publishing, no list, no upload, no original.
    let staff = t.login("staff").await;
    assert_problem(t.post(&redact(their_id), Some(&staff), &redaction).await, 403, "forbidden").await;
    assert_problem(t.post(&visibility(their_id), Some(&staff), &json!({"visibility": "public"})).await, 403, "forbidden").await;
    assert_problem(t.get(&format!("/api/feedback/reports/{theirs_code}/media"), Some(&staff)).await, 403, "forbidden").await;
    assert_problem(upload(&t, theirs_code, None, Some(&staff), GPS_JPG).await, 403, "forbidden").await;
    assert_problem(t.get(&format!("/api/feedback/media/{their_id}"), Some(&staff)).await, 404, "not_found").await;
    // An agency admin of another agency neither.
    let agency_admin = t.login("agency_admin").await;
    assert_problem(t.post(&redact(id), Some(&agency_admin), &redaction).await, 403, "forbidden").await;
    // Viewers and analysts read nothing they may not, and change nothing.
    let viewer = t.login("viewer").await;
    assert_problem(t.post(&redact(id), Some(&viewer), &redaction).await, 403, "forbidden").await;
    assert_problem(upload(&t, &code, None, Some(&viewer), GPS_JPG).await, 403, "forbidden").await;
    let analyst = t.login("analyst").await;
    assert_problem(t.get(&format!("/api/feedback/reports/{code}/media"), Some(&analyst)).await, 403, "forbidden").await;
    assert_problem(t.post(&visibility(id), Some(&analyst), &json!({"visibility": "public"})).await, 403, "forbidden").await;
    // The unit's staff and the operators may.
    assert_eq!(t.post(&redact(id), Some(&staff), &redaction).await.status(), 200);
    let op = t.login("operator").await;
    assert_eq!(t.post(&visibility(their_id), Some(&op), &json!({"visibility": "public"})).await.status(), 200);
    assert_eq!(t.get(&format!("/api/feedback/reports/{theirs_code}/media"), Some(&op)).await.status(), 200);
    // Finished reports take no more files.
    let close = t
        .post(&format!("/api/feedback/reports/{code}/transition"), Some(&op), &json!({"status": "rejected", "text": "Không thuộc phạm vi"}))
        .await;
    assert_eq!(close.status(), 200);
    assert_problem(upload(&t, &code, None, Some(&staff), GPS_JPG).await, 409, "conflict").await;
    t.cleanup().await;
}

#[tokio::test]
async fn stored_files_are_in_the_data_directory_that_backups_copy() {
    let t = app().await;
    let (code, token) = file(&t).await;
    let a = uploaded(upload(&t, &code, Some(&token), None, GPS_JPG).await).await;
    let report_id: String = {
        use sqlx::Row as _;
        sqlx::query("SELECT id FROM reports WHERE tracking_code = $1")
            .bind(&code)
            .fetch_one(t.db().reader())
            .await
            .unwrap()
            .try_get("id")
            .unwrap()
    };
    let path = t.app.config.storage.data_dir.join("media").join(&report_id).join(format!("{}.jpg", a["id"].as_str().unwrap()));
    let on_disk = std::fs::read(&path).expect("stored under <data_dir>/media/<report>/");
    assert_eq!(a["sha256"], hex::encode(Sha256::digest(&on_disk)));
    // `cityos backup` copies the data directory's files (SQLite here; PostgreSQL needs pg_dump on PATH).
    if t.db().backend() == cityos_store::Backend::Sqlite {
        let to = t.app.config.storage.data_dir.join("backup");
        cityos::backup::backup(&t.app.config, t.db(), &to).await.unwrap();
        let copied = to.join("files").join("media").join(&report_id).join(format!("{}.jpg", a["id"].as_str().unwrap()));
        assert_eq!(std::fs::read(copied).unwrap(), on_disk);
    }
    t.cleanup().await;
}
