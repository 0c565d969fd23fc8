//! Server-rendered HTML for `/ogc` (the `html` conformance class): plain,
//! escaped, accessible pages with Vietnamese labels first (English when the
//! browser prefers it), no scripts.

use super::meta::{Lang, CONFORMANCE};
use super::params;
use crate::model::{self, CollectionDef, Feature};
use serde_json::Value;
use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A breadcrumb step: label and, for all but the last, its href.
type Crumb<'a> = (&'a str, Option<String>);

fn page(lang: Lang, title: &str, crumbs: &[Crumb<'_>], json_href: &str, main: &str) -> String {
    let mut nav = String::new();
    for (i, (label, href)) in crumbs.iter().enumerate() {
        if i > 0 {
            nav.push_str(" › ");
        }
        match href {
            Some(h) => {
                let _ = write!(nav, "<a href=\"{}\">{}</a>", esc(h), esc(label));
            }
            None => {
                let _ = write!(nav, "<span aria-current=\"page\">{}</span>", esc(label));
            }
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} — CityOS OGC API</title>\
<link rel=\"alternate\" type=\"application/json\" href=\"{json}\">\
<style>body{{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;line-height:1.5}}header,main{{padding:0 1.5rem}}\
header{{background:#0b3d91;color:#fff;padding:.75rem 1.5rem}}header a{{color:#fff}}a{{color:#0b3d91}}\
table{{border-collapse:collapse;margin:1rem 0}}th,td{{border:1px solid #999;padding:.3rem .6rem;text-align:left;vertical-align:top}}\
th{{background:#eef}}nav.crumbs{{margin:.75rem 0}}a:focus,button:focus{{outline:3px solid #f90;outline-offset:2px}}\
.skip{{position:absolute;left:-999px}}.skip:focus{{left:1rem;top:1rem;background:#fff;color:#000;padding:.5rem}}</style></head>\
<body><a class=\"skip\" href=\"#main\">{skip}</a><header><strong>CityOS</strong> — OGC API – Features</header>\
<main id=\"main\"><nav class=\"crumbs\" aria-label=\"{crumb_label}\">{nav}</nav><h1>{title}</h1>{main}\
<p><a href=\"{json}\">{json_label}</a></p></main></body></html>\n",
        lang = lang.tag(),
        title = esc(title),
        json = esc(json_href),
        skip = lang.pick("Chuyển đến nội dung chính", "Skip to main content"),
        crumb_label = lang.pick("Vị trí", "Breadcrumb"),
        json_label = lang.pick("Xem dạng JSON", "View as JSON"),
    )
}

fn home(lang: Lang, base: &str) -> Crumb<'static> {
    (lang.pick("Trang chủ", "Home"), Some(format!("{base}?f=html")))
}

/// The landing page.
pub(crate) fn landing(base: &str, lang: Lang, body: &Value) -> String {
    let mut main = String::new();
    let _ = write!(main, "<p>{}</p><ul>", esc(body["description"].as_str().unwrap_or("")));
    let _ = write!(
        main,
        "<li><a href=\"{}\">{}</a></li>",
        esc(&format!("{base}/collections?f=html")),
        lang.pick("Các lớp dữ liệu", "Collections")
    );
    let _ = write!(
        main,
        "<li><a href=\"{}\">{}</a></li>",
        esc(&format!("{base}/conformance?f=html")),
        lang.pick("Các lớp tuân thủ", "Conformance classes")
    );
    let _ =
        write!(main, "<li><a href=\"{}\">{}</a></li>", esc(&format!("{base}/api?f=html")), lang.pick("Tài liệu API", "API documentation"));
    let _ = write!(
        main,
        "<li><a href=\"{}\">{}</a></li>",
        esc(&format!("{base}/api")),
        lang.pick("Mô tả API (OpenAPI 3.0, JSON)", "API definition (OpenAPI 3.0, JSON)")
    );
    main.push_str("</ul>");
    let title = body["title"].as_str().unwrap_or("CityOS");
    page(lang, title, &[(lang.pick("Trang chủ", "Home"), None)], &format!("{base}?f=json"), &main)
}

/// The conformance declaration.
pub(crate) fn conformance(base: &str, lang: Lang, classes: &[&str]) -> String {
    let mut main = String::from("<ul>");
    for c in classes {
        let _ = write!(main, "<li><code>{}</code></li>", esc(c));
    }
    main.push_str("</ul>");
    let title = lang.pick("Các lớp tuân thủ", "Conformance classes");
    page(lang, title, &[home(lang, base), (title, None)], &format!("{base}/conformance?f=json"), &main)
}

/// The list of collections.
pub(crate) fn collections(base: &str, lang: Lang) -> String {
    let mut main = format!(
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        lang.pick("Các lớp dữ liệu hạ tầng", "Infrastructure collections"),
        lang.pick("Lớp", "Collection"),
        lang.pick("Mạng lưới", "Network"),
        lang.pick("Mã", "Id"),
        lang.pick("Đối tượng", "Features"),
    );
    for c in model::COLLECTIONS {
        let (vi, en) = c.network.titles();
        let _ = write!(
            main,
            "<tr><td><a href=\"{href}?f=html\">{title}</a></td><td>{net}</td><td><code>{id}</code></td><td><a href=\"{href}/items?f=html\">{items}</a></td></tr>",
            href = esc(&format!("{base}/collections/{}", c.id)),
            title = esc(lang.pick(c.title_vi, c.title_en)),
            net = esc(lang.pick(vi, en)),
            id = esc(c.id),
            items = lang.pick("Xem", "Browse"),
        );
    }
    main.push_str("</tbody></table>");
    let title = lang.pick("Các lớp dữ liệu", "Collections");
    page(lang, title, &[home(lang, base), (title, None)], &format!("{base}/collections?f=json"), &main)
}

fn console_map(base: &str, layer: &str, feature: Option<&str>) -> String {
    let root = base.trim_end_matches("/ogc");
    match feature {
        Some(f) => format!("{root}/#/map?layer={}&feature={}", params::encode(layer), params::encode(f)),
        None => format!("{root}/#/map?layer={}", params::encode(layer)),
    }
}

/// One collection.
pub(crate) fn collection(base: &str, lang: Lang, c: &CollectionDef) -> String {
    let href = format!("{base}/collections/{}", c.id);
    let (vi, en) = c.network.titles();
    let mut main = String::new();
    let _ = write!(
        main,
        "<dl><dt>{}</dt><dd><code>{}</code></dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl><ul>",
        lang.pick("Mã", "Id"),
        esc(c.id),
        lang.pick("Mạng lưới", "Network"),
        esc(lang.pick(vi, en)),
        lang.pick("Hình học", "Geometry"),
        esc(c.geometry.as_str()),
        lang.pick("Tên khác", "Other name"),
        esc(lang.pick(c.title_en, c.title_vi)),
    );
    let _ = write!(main, "<li><a href=\"{}\">{}</a></li>", esc(&format!("{href}/items?f=html")), lang.pick("Các đối tượng", "Features"));
    let _ = write!(
        main,
        "<li><a href=\"{}\">{}</a></li>",
        esc(&format!("{href}/queryables?f=html")),
        lang.pick("Thuộc tính truy vấn được", "Queryables")
    );
    let _ = write!(
        main,
        "<li><a href=\"{}\">{}</a></li>",
        esc(&console_map(base, c.id, None)),
        lang.pick("Xem trên bản đồ của bảng điều khiển", "View on the console map")
    );
    main.push_str("</ul>");
    let title = lang.pick(c.title_vi, c.title_en);
    let cols = lang.pick("Các lớp dữ liệu", "Collections");
    page(
        lang,
        title,
        &[home(lang, base), (cols, Some(format!("{base}/collections?f=html"))), (title, None)],
        &format!("{href}?f=json"),
        &main,
    )
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A page of features as a table.
#[allow(clippy::too_many_arguments, reason = "one page's worth of context, each used once")]
pub(crate) fn items(
    base: &str,
    lang: Lang,
    c: &CollectionDef,
    features: &[Feature],
    matched: Option<u64>,
    offset: i64,
    next: Option<&str>,
    prev: Option<&str>,
) -> String {
    let href = format!("{base}/collections/{}", c.id);
    let columns = ["name", "status", "condition", "owner_agency"];
    let mut main = String::new();
    let shown = features.len();
    let _ = write!(
        main,
        "<p>{} {}–{}{}</p>",
        lang.pick("Đối tượng", "Features"),
        if shown == 0 { 0 } else { offset + 1 },
        offset + i64::try_from(shown).unwrap_or(0),
        matched.map(|m| format!(" / {m}")).unwrap_or_default(),
    );
    let _ = write!(
        main,
        "<p><a href=\"{}\">{}</a></p>",
        esc(&console_map(base, c.id, None)),
        lang.pick("Xem lớp này trên bản đồ của bảng điều khiển", "View this layer on the console map")
    );
    let _ = write!(
        main,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th>",
        esc(lang.pick(c.title_vi, c.title_en)),
        lang.pick("Mã", "Id")
    );
    for col in columns {
        let title = c.attribute(col).map_or(col, |a| lang.pick(a.title_vi, a.title_en));
        let _ = write!(main, "<th scope=\"col\">{}</th>", esc(title));
    }
    main.push_str("</tr></thead><tbody>");
    for f in features {
        let _ = write!(
            main,
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th>",
            esc(&format!("{href}/items/{}?f=html", params::encode(&f.id))),
            esc(&f.id)
        );
        for col in columns {
            let _ = write!(main, "<td>{}</td>", esc(&f.properties.get(col).map(value_text).unwrap_or_default()));
        }
        main.push_str("</tr>");
    }
    main.push_str("</tbody></table><nav aria-label=\"");
    main.push_str(lang.pick("Phân trang", "Pages"));
    main.push_str("\">");
    if let Some(p) = prev {
        let _ = write!(main, "<a rel=\"prev\" href=\"{}\">{}</a> ", esc(p), lang.pick("← Trang trước", "← Previous"));
    }
    if let Some(n) = next {
        let _ = write!(main, "<a rel=\"next\" href=\"{}\">{}</a>", esc(n), lang.pick("Trang sau →", "Next →"));
    }
    main.push_str("</nav>");
    let title = lang.pick(c.title_vi, c.title_en);
    let cols = lang.pick("Các lớp dữ liệu", "Collections");
    page(
        lang,
        title,
        &[
            home(lang, base),
            (cols, Some(format!("{base}/collections?f=html"))),
            (title, Some(format!("{href}?f=html"))),
            (lang.pick("Đối tượng", "Features"), None),
        ],
        &format!("{href}/items?f=json"),
        &main,
    )
}

/// One feature.
pub(crate) fn item(base: &str, lang: Lang, c: &CollectionDef, f: &Feature) -> String {
    let href = format!("{base}/collections/{}", c.id);
    let mut main = format!(
        "<table><caption>{}</caption><tbody><tr><th scope=\"row\">{}</th><td>{}</td></tr>",
        lang.pick("Thuộc tính", "Properties"),
        lang.pick("Hình học", "Geometry"),
        esc(&serde_json::to_string(&f.geometry).unwrap_or_default())
    );
    for a in c.attributes() {
        if let Some(v) = f.properties.get(a.name) {
            let _ =
                write!(main, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", esc(lang.pick(a.title_vi, a.title_en)), esc(&value_text(v)));
        }
    }
    main.push_str("</tbody></table>");
    let _ = write!(
        main,
        "<p><a href=\"{}\">{}</a></p>",
        esc(&console_map(base, c.id, Some(&f.id))),
        lang.pick("Xem trên bản đồ của bảng điều khiển", "View on the console map")
    );
    let title = f.properties.get("name").and_then(Value::as_str).unwrap_or(&f.id).to_string();
    let coll_title = lang.pick(c.title_vi, c.title_en);
    page(
        lang,
        &title,
        &[
            home(lang, base),
            (coll_title, Some(format!("{href}?f=html"))),
            (lang.pick("Đối tượng", "Features"), Some(format!("{href}/items?f=html"))),
            (&title, None),
        ],
        &format!("{href}/items/{}?f=json", params::encode(&f.id)),
        &main,
    )
}

/// The queryables of a collection.
pub(crate) fn queryables(base: &str, lang: Lang, c: &CollectionDef, schema: &Value) -> String {
    let href = format!("{base}/collections/{}", c.id);
    let mut main = format!(
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        lang.pick("Thuộc tính dùng được trong bộ lọc CQL2 và tham số truy vấn", "Properties usable in CQL2 filters and as query parameters"),
        lang.pick("Tên", "Name"),
        lang.pick("Mô tả", "Title"),
        lang.pick("Kiểu", "Type"),
    );
    if let Some(props) = schema["properties"].as_object() {
        for (name, p) in props {
            let ty = p.get("format").or_else(|| p.get("type")).map(value_text).unwrap_or_default();
            let _ = write!(
                main,
                "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td><td>{}</td></tr>",
                esc(name),
                esc(p["title"].as_str().unwrap_or("")),
                esc(&ty)
            );
        }
    }
    main.push_str("</tbody></table>");
    let title = lang.pick("Thuộc tính truy vấn được", "Queryables");
    let coll_title = lang.pick(c.title_vi, c.title_en);
    page(
        lang,
        title,
        &[home(lang, base), (coll_title, Some(format!("{href}?f=html"))), (title, None)],
        &format!("{href}/queryables?f=json"),
        &main,
    )
}

/// The API documentation page (`service-doc`): every path and operation of the OpenAPI document.
pub(crate) fn api_doc(base: &str, lang: Lang, doc: &Value) -> String {
    let mut main = format!(
        "<p>{} <a href=\"{}\">OpenAPI 3.0</a>.</p><p>{}</p>",
        lang.pick("Mô tả máy đọc được:", "Machine-readable definition:"),
        esc(&format!("{base}/api")),
        esc(lang.pick(
            "Lỗi được trả về dạng ngoại lệ OGC: {\"code\", \"description\"}. Ghi (POST/PUT/PATCH/DELETE) cần đăng nhập với quyền của đơn vị quản lý; dùng ETag và If-Match để tránh ghi đè.",
            "Errors are OGC exceptions: {\"code\", \"description\"}. Writes (POST/PUT/PATCH/DELETE) need credentials of the owner agency; use ETag and If-Match to avoid lost updates.",
        ))
    );
    main.push_str("<table><thead><tr><th scope=\"col\">Path</th><th scope=\"col\">Method</th><th scope=\"col\">Summary</th><th scope=\"col\">Parameters</th></tr></thead><tbody>");
    if let Some(paths) = doc["paths"].as_object() {
        for (path, ops) in paths {
            let Some(ops) = ops.as_object() else { continue };
            for (method, op) in ops {
                let params: Vec<String> = op["parameters"]
                    .as_array()
                    .map(|ps| ps.iter().filter_map(|p| p["name"].as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                let _ = write!(
                    main,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(path),
                    esc(&method.to_uppercase()),
                    esc(op["summary"].as_str().unwrap_or("")),
                    esc(&params.join(", "))
                );
            }
        }
    }
    main.push_str("</tbody></table><h2>");
    main.push_str(lang.pick("Các lớp tuân thủ", "Conformance classes"));
    main.push_str("</h2><ul>");
    for c in CONFORMANCE {
        let _ = write!(main, "<li><code>{}</code></li>", esc(c));
    }
    main.push_str("</ul>");
    let title = lang.pick("Tài liệu API", "API documentation");
    page(lang, title, &[home(lang, base), (title, None)], &format!("{base}/api"), &main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn item_page_escapes_properties_and_is_vietnamese_first() {
        let c = model::collection("water-valves").unwrap();
        let mut props = serde_json::Map::new();
        props.insert("name".into(), "<script>alert(1)</script>".into());
        let f = Feature {
            id: "v1".into(),
            collection: c.id.into(),
            geometry: geojson::Geometry::new(geojson::Value::Point(vec![106.7, 10.8])),
            properties: props,
            version: 1,
        };
        let html = item("http://x/ogc", Lang::Vi, c, &f);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("lang=\"vi\"") && html.contains("Thuộc tính"));
        assert!(item("http://x/ogc", Lang::En, c, &f).contains("Properties"));
    }
}
