//! The generated demo networks (`cityos_gis::demo`) loaded through the real
//! store at a small scale: every feature is accepted, every link end is
//! connected to a node of its network, owners are the utilities, and
//! seeding again writes nothing.

use crate::harness::TestApp;
use cityos_gis::model::{collection, Kind};
use sqlx::Row as _;

#[tokio::test]
async fn generated_networks_load_fully_connected_and_idempotently() {
    let app = TestApp::spawn().await;
    let gis = &app.app.gis;
    let (seed, scale) = (5, 0.02);
    let expected = cityos_gis::demo::generate(seed, scale);
    let total: usize = expected.iter().map(|(_, v)| v.len()).sum();
    let links: usize = expected.iter().filter(|(c, _)| collection(c).is_some_and(|d| d.kind == Kind::Link)).map(|(_, v)| v.len()).sum();
    assert!(total > 1000 && links > 300, "{total} features, {links} links");

    let inserted = cityos_gis::demo::seed_generated(gis, seed, scale).await.expect("seed");
    assert_eq!(inserted, total);

    let db = app.db();
    let count =
        |sql: &'static str| async move { sqlx::query(sql).fetch_one(db.reader()).await.expect(sql).try_get::<i64, _>(0).expect("count") };
    assert_eq!(count("SELECT COUNT(*) FROM gis_features WHERE valid_to IS NULL").await, i64::try_from(total).unwrap());
    // Both ends of every link found their node, and only nodes of the link's network.
    assert_eq!(count("SELECT COUNT(*) FROM gis_connections").await, 2 * i64::try_from(links).unwrap());
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM gis_connections c JOIN gis_features l ON l.id = c.link_id JOIN gis_features n ON n.id = c.node_id \
             WHERE l.network <> n.network"
        )
        .await,
        0
    );
    assert_eq!(count("SELECT COUNT(*) FROM gis_features WHERE network = 'sewer' AND owner_agency <> 'UDC'").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM gis_features WHERE network = 'telecom' AND owner_agency <> 'VNPT-HCM'").await, 0);

    // A sewer pipe flows from a manhole into a manhole or an outfall.
    let r = app.get("/ogc/collections/sewer-pipes/items?limit=1", None).await;
    assert_eq!(r.status(), 200);
    let page: serde_json::Value = r.json().await.expect("json");
    let id = page["features"][0]["id"].as_str().expect("a sewer pipe").to_string();
    let conns = gis.connections(&id).await.expect("connections");
    assert_eq!(conns.len(), 2, "{conns:?}");
    assert!(conns.iter().all(|c| c.node_collection == "sewer-manholes" || c.node_collection == "sewer-outfalls"), "{conns:?}");

    assert_eq!(cityos_gis::demo::seed_generated(gis, seed, scale).await.expect("seed again"), 0);
    assert_eq!(count("SELECT COUNT(*) FROM gis_features WHERE valid_to IS NULL").await, i64::try_from(total).unwrap());
    app.cleanup().await;
}

/// The full demo (what `cityos demo` loads), timed:
/// `cargo test -p cityos --test api gis_demo::full -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "loads 100,000+ features; run by hand to time the demo seeding"]
async fn full_demo_seeding() {
    let app = TestApp::spawn().await;
    let started = std::time::Instant::now();
    let n = cityos_gis::demo::seed_demo(&app.app.gis).await.expect("seed");
    eprintln!("seeded {n} features in {:?}", started.elapsed());
    assert!(n >= 100_000, "{n}");
    let links: usize = cityos_gis::demo::generate(cityos_gis::demo::DEMO_SEED, 1.0)
        .iter()
        .filter(|(c, _)| collection(c).is_some_and(|d| d.kind == Kind::Link))
        .map(|(_, v)| v.len())
        .sum();
    let conns: i64 = sqlx::query("SELECT COUNT(*) FROM gis_connections").fetch_one(app.db().reader()).await.expect("count").get(0);
    assert_eq!(conns, 2 * i64::try_from(links).unwrap());
    app.cleanup().await;
}
