//! The example filters of the CQL2 standard (OGC 21-065r2, `cql2/standard/schema/examples`,
//! © Open Geospatial Consortium, used under the OGC document licence), in
//! the conformance classes CityOS implements, plus Vietnamese ones: each
//! text/JSON pair must parse to the same tree, and the JSON written back
//! must parse to it again.

use cityos_cql2::{parse_json, parse_text, to_json, to_text, Expr};

const PAIRS: &[(&str, &str)] = &[
    ("city='Toronto'", r#"{"op":"=","args":[{"property":"city"},"Toronto"]}"#),
    ("updated >= date('1970-01-01')", r#"{"op":">=","args":[{"property":"updated"},{"date":"1970-01-01"}]}"#),
    ("geometry IS NOT NULL", r#"{"op":"not","args":[{"op":"isNull","args":[{"property":"geometry"}]}]}"#),
    ("name LIKE 'Smith%'", r#"{"op":"like","args":[{"property":"name"},"Smith%"]}"#),
    ("depth BETWEEN 100.0 and 150.0", r#"{"op":"between","args":[{"property":"depth"},100.0,150.0]}"#),
    ("cityName IN ('Toronto','Frankfurt','Tokyo','New York')", r#"{"op":"in","args":[{"property":"cityName"},["Toronto","Frankfurt","Tokyo","New York"]]}"#),
    ("category NOT IN (1,2,3,4)", r#"{"op":"not","args":[{"op":"in","args":[{"property":"category"},[1,2,3,4]]}]}"#),
    ("CASEI(road_class) IN (CASEI('Οδος'),CASEI('Straße'))", r#"{"op":"in","args":[{"op":"casei","args":[{"property":"road_class"}]},[{"op":"casei","args":["Οδος"]},{"op":"casei","args":["Straße"]}]]}"#),
    ("ACCENTI(etat_vol) = ACCENTI('débárquér')", r#"{"op":"=","args":[{"op":"accenti","args":[{"property":"etat_vol"}]},{"op":"accenti","args":["débárquér"]}]}"#),
    ("S_INTERSECTS(geometry,POINT(36.319836 32.288087))", r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[36.319836,32.288087]}]}"#),
    ("T_INTERSECTS(event_time, INTERVAL('1969-07-16T05:32:00Z', '1969-07-24T16:50:35Z'))", r#"{"op":"t_intersects","args":[{"property":"event_time"},{"interval":["1969-07-16T05:32:00Z","1969-07-24T16:50:35Z"]}]}"#),
    ("T_DURING(INTERVAL(touchdown, liftOff), INTERVAL('1969-07-16T13:32:00Z', '1969-07-24T16:50:35Z'))", r#"{"op":"t_during","args":[{"interval":[{"property":"touchdown"},{"property":"liftOff"}]},{"interval":["1969-07-16T13:32:00Z","1969-07-24T16:50:35Z"]}]}"#),
    ("T_DURING(INTERVAL('1969-07-20T20:17:40Z', '1969-07-21T17:54:00Z'), INTERVAL('1969-07-16T13:32:00Z', '1969-07-24T16:50:35Z'))", r#"{"op":"t_during","args":[{"interval":["1969-07-20T20:17:40Z","1969-07-21T17:54:00Z"]},{"interval":["1969-07-16T13:32:00Z","1969-07-24T16:50:35Z"]}]}"#),
    ("landsat:scene_id = 'LC82030282019133LGN00'", r#"{"op":"=","args":[{"property":"landsat:scene_id"},"LC82030282019133LGN00"]}"#),
    ("eo:instrument LIKE 'OLI%'", r#"{"op":"like","args":[{"property":"eo:instrument"},"OLI%"]}"#),
    ("landsat:wrs_path IN ('153','154','15X')", r#"{"op":"in","args":[{"property":"landsat:wrs_path"},["153","154","15X"]]}"#),
    ("eo:cloud_cover < 0.1 AND landsat:wrs_row=28 AND landsat:wrs_path=203", r#"{"op":"and","args":[{"op":"<","args":[{"property":"eo:cloud_cover"},0.1]},{"op":"=","args":[{"property":"landsat:wrs_row"},28]},{"op":"=","args":[{"property":"landsat:wrs_path"},203]}]}"#),
    ("eo:cloud_cover=0.1 OR eo:cloud_cover=0.2", r#"{"op":"or","args":[{"op":"=","args":[{"property":"eo:cloud_cover"},0.1]},{"op":"=","args":[{"property":"eo:cloud_cover"},0.2]}]}"#),
    ("eo:cloud_cover BETWEEN 0.1 AND 0.2 AND landsat:wrs_row=28 AND landsat:wrs_path=203", r#"{"op":"and","args":[{"op":"between","args":[{"property":"eo:cloud_cover"},0.1,0.2]},{"op":"=","args":[{"property":"landsat:wrs_row"},28]},{"op":"=","args":[{"property":"landsat:wrs_path"},203]}]}"#),
    ("beamMode='ScanSAR Narrow' AND swathDirection='ascending' AND polarization='HH+VV+HV+VH' AND s_intersects(footprint,POLYGON((-77.117938 38.936860, -77.040604 39.995648, -76.910536 38.892912, -77.039359 38.791753, -77.047906 38.841462, -77.034183 38.840655, -77.033142 38.857490, -77.117938 38.936860)))", r#"{"op":"and","args":[{"op":"=","args":[{"property":"beamMode"},"ScanSAR Narrow"]},{"op":"=","args":[{"property":"swathDirection"},"ascending"]},{"op":"=","args":[{"property":"polarization"},"HH+VV+HV+VH"]},{"op":"s_intersects","args":[{"property":"footprint"},{"type":"Polygon","coordinates":[[[-77.117938,38.936860],[-77.040604,39.995648],[-76.910536,38.892912],[-77.039359,38.791753],[-77.047906,38.841462],[-77.034183,38.840655],[-77.033142,38.857490],[-77.117938,38.936860]]]}]}]}"#),
    ("floors>5", r#"{"op":">","args":[{"property":"floors"},5]}"#),
    ("taxes <= 500", r#"{"op":"<=","args":[{"property":"taxes"},500]}"#),
    ("owner NOT LIKE '%Mike%'", r#"{"op":"not","args":[{"op":"like","args":[{"property":"owner"},"%Mike%"]}]}"#),
    ("swimming_pool = true", r#"{"op":"=","args":[{"property":"swimming_pool"},true]}"#),
    ("swimming_pool=true AND (floors>5 OR material LIKE 'brick%' OR material LIKE '%brick')", r#"{"op":"and","args":[{"op":"=","args":[{"property":"swimming_pool"},true]},{"op":"or","args":[{"op":">","args":[{"property":"floors"},5]},{"op":"like","args":[{"property":"material"},"brick%"]},{"op":"like","args":[{"property":"material"},"%brick"]}]}]}"#),
    ("(floors>5 AND material='brick') OR swimming_pool=true", r#"{"op":"or","args":[{"op":"and","args":[{"op":">","args":[{"property":"floors"},5]},{"op":"=","args":[{"property":"material"},"brick"]}]},{"op":"=","args":[{"property":"swimming_pool"},true]}]}"#),
    ("NOT (floors<5) OR swimming_pool=true", r#"{"op":"or","args":[{"op":"not","args":[{"op":"<","args":[{"property":"floors"},5]}]},{"op":"=","args":[{"property":"swimming_pool"},true]}]}"#),
    ("(owner LIKE 'mike%' OR owner LIKE 'Mike%') AND floors<4", r#"{"op":"and","args":[{"op":"or","args":[{"op":"like","args":[{"property":"owner"},"mike%"]},{"op":"like","args":[{"property":"owner"},"Mike%"]}]},{"op":"<","args":[{"property":"floors"},4]}]}"#),
    ("T_BEFORE(built, DATE('2015-01-01'))", r#"{"op":"t_before","args":[{"property":"built"},{"date":"2015-01-01"}]}"#),
    ("T_AFTER(built,DATE('2012-06-05'))", r#"{"op":"t_after","args":[{"property":"built"},{"date":"2012-06-05"}]}"#),
    ("S_WITHIN(location,BBOX(-118,33.8,-117.9,34))", r#"{"op":"s_within","args":[{"property":"location"},{"bbox":[-118,33.8,-117.9,34]}]}"#),
    ("S_INTERSECTS(geometry,POLYGON((-10.0 -10.0,10.0 -10.0,10.0 10.0,-10.0 -10.0)))", r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[-10,-10],[10,-10],[10,10],[-10,-10]]]}]}"#),
    ("floors>5 AND S_WITHIN(geometry,BBOX(-118,33.8,-117.9,34))", r#"{"op":"and","args":[{"op":">","args":[{"property":"floors"},5]},{"op":"s_within","args":[{"property":"geometry"},{"bbox":[-118,33.8,-117.9,34]}]}]}"#),
    ("CASEI(geophys:SURVEY_NAME) LIKE CASEI('%calcutta%')", r#"{"op":"like","args":[{"op":"casei","args":[{"property":"geophys:SURVEY_NAME"}]},{"op":"casei","args":["%calcutta%"]}]}"#),
    (r#""id" = 'fa7e1920-9107-422d-a3db-c468cbc5d6df'"#, r#"{"op":"=","args":[{"property":"id"},"fa7e1920-9107-422d-a3db-c468cbc5d6df"]}"#),
    (r#""value" <> 10"#, r#"{"op":"<>","args":[{"property":"value"},10]}"#),
    (r#"NOT "name" LIKE 'foo%'"#, r#"{"op":"not","args":[{"op":"like","args":[{"property":"name"},"foo%"]}]}"#),
    (r#"NOT "value" BETWEEN 10 AND 20"#, r#"{"op":"not","args":[{"op":"between","args":[{"property":"value"},10,20]}]}"#),
    (r#""value" IN (1.0, 2.0, 3.0)"#, r#"{"op":"in","args":[{"property":"value"},[1.0,2.0,3.0]]}"#),
    (r#"NOT "value" IN ('a', 'b', 'c')"#, r#"{"op":"not","args":[{"op":"in","args":[{"property":"value"},["a","b","c"]]}]}"#),
    (r#""value" IS NULL"#, r#"{"op":"isNull","args":[{"property":"value"}]}"#),
    (r#"NOT "value" IS NULL"#, r#"{"op":"not","args":[{"op":"isNull","args":[{"property":"value"}]}]}"#),
    (r#"(NOT "name" LIKE 'foo%' AND "value" > 10)"#, r#"{"op":"and","args":[{"op":"not","args":[{"op":"like","args":[{"property":"name"},"foo%"]}]},{"op":">","args":[{"property":"value"},10]}]}"#),
    (r#"("value" IS NULL OR "value" BETWEEN 10 AND 20)"#, r#"{"op":"or","args":[{"op":"isNull","args":[{"property":"value"}]},{"op":"between","args":[{"property":"value"},10,20]}]}"#),
    (r#"S_INTERSECTS("geometry", BBOX(-128.098193, -1.1, -99999.0, 180.0, 90.0, 100000.0))"#, r#"{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[-128.098193,-1.1,-99999.0,180.0,90.0,100000.0]}]}"#),
    (r#"S_EQUALS(POLYGON ((-0.333333 89.0, -102.723546 -0.5, -179.0 -89.0, -1.9 89.0, -0.0 89.0, 2.00001 -1.9, -0.333333 89.0)), "geometry")"#, r#"{"op":"s_equals","args":[{"type":"Polygon","coordinates":[[[-0.333333,89.0],[-102.723546,-0.5],[-179.0,-89.0],[-1.9,89.0],[-0.0,89.0],[2.00001,-1.9],[-0.333333,89.0]]]},{"property":"geometry"}]}"#),
    (r#"S_DISJOINT("geometry", MULTIPOLYGON (((144.022387 45.176126, -1.1 0.0, 180.0 47.808086, 144.022387 45.176126))))"#, r#"{"op":"s_disjoint","args":[{"property":"geometry"},{"type":"MultiPolygon","coordinates":[[[[144.022387,45.176126],[-1.1,0.0],[180.0,47.808086],[144.022387,45.176126]]]]}]}"#),
    (r#"S_TOUCHES("geometry", MULTILINESTRING ((-1.9 -0.99999, 75.292574 1.5, -0.5 -4.016458, -31.708594 -74.743801, 179.0 -90.0),(-1.9 -1.1, 1.5 8.547371)))"#, r#"{"op":"s_touches","args":[{"property":"geometry"},{"type":"MultiLineString","coordinates":[[[-1.9,-0.99999],[75.292574,1.5],[-0.5,-4.016458],[-31.708594,-74.743801],[179.0,-90.0]],[[-1.9,-1.1],[1.5,8.547371]]]}]}"#),
    (r#"S_WITHIN(POLYGON Z ((-49.88024 0.5 -75993.341684, -1.5 -0.99999 -100000.0, 0.0 0.5 -0.333333, -49.88024 0.5 -75993.341684), (-65.887123 2.00001 -100000.0, 0.333333 -53.017711 -79471.332949, 180.0 0.0 1852.616704, -65.887123 2.00001 -100000.0)), "geometry")"#, r#"{"op":"s_within","args":[{"type":"Polygon","coordinates":[[[-49.88024,0.5,-75993.341684],[-1.5,-0.99999,-100000.0],[0.0,0.5,-0.333333],[-49.88024,0.5,-75993.341684]],[[-65.887123,2.00001,-100000.0],[0.333333,-53.017711,-79471.332949],[180.0,0.0,1852.616704],[-65.887123,2.00001,-100000.0]]]},{"property":"geometry"}]}"#),
    (r#"S_OVERLAPS("geometry", BBOX(-179.912109, 1.9, 180.0, 16.897016))"#, r#"{"op":"s_overlaps","args":[{"property":"geometry"},{"bbox":[-179.912109,1.9,180.0,16.897016]}]}"#),
    (r#"S_CROSSES("geometry", LINESTRING (172.03086 1.5, 1.1 -90.0, -159.757695 0.99999, -180.0 0.5, -12.111235 81.336403, -0.5 64.43958, 0.0 81.991815, -155.93831 90.0))"#, r#"{"op":"s_crosses","args":[{"property":"geometry"},{"type":"LineString","coordinates":[[172.03086,1.5],[1.1,-90.0],[-159.757695,0.99999],[-180.0,0.5],[-12.111235,81.336403],[-0.5,64.43958],[0.0,81.991815],[-155.93831,90.0]]}]}"#),
    (r#"S_CONTAINS("geometry", POINT (-3.508362 -1.754181))"#, r#"{"op":"s_contains","args":[{"property":"geometry"},{"type":"Point","coordinates":[-3.508362,-1.754181]}]}"#),
    (r#"T_BEFORE("updated_at", TIMESTAMP('2012-08-10T05:30:00.000000Z'))"#, r#"{"op":"t_before","args":[{"property":"updated_at"},{"timestamp":"2012-08-10T05:30:00Z"}]}"#),
    ("T_CONTAINS(INTERVAL('2000-01-01T00:00:00.000000Z', '2005-01-10T01:01:01.393216Z'), INTERVAL(starts_at, ends_at))", r#"{"op":"t_contains","args":[{"interval":["2000-01-01T00:00:00Z","2005-01-10T01:01:01.393216Z"]},{"interval":[{"property":"starts_at"},{"property":"ends_at"}]}]}"#),
    ("T_DISJOINT(INTERVAL('..', '2005-01-10T01:01:01.393216Z'), INTERVAL(starts_at, ends_at))", r#"{"op":"t_disjoint","args":[{"interval":["..","2005-01-10T01:01:01.393216Z"]},{"interval":[{"property":"starts_at"},{"property":"ends_at"}]}]}"#),
    ("T_DURING(INTERVAL(starts_at, ends_at), INTERVAL('2005-01-10', '2010-02-10'))", r#"{"op":"t_during","args":[{"interval":[{"property":"starts_at"},{"property":"ends_at"}]},{"interval":["2005-01-10","2010-02-10"]}]}"#),
    (r#"T_EQUALS("updated_at", DATE('1851-04-29'))"#, r#"{"op":"t_equals","args":[{"property":"updated_at"},{"date":"1851-04-29"}]}"#),
    ("T_FINISHEDBY(INTERVAL(starts_at, ends_at), INTERVAL('1991-10-07T08:21:06.393262Z', '2010-02-10T05:29:20.073225Z'))", r#"{"op":"t_finishedBy","args":[{"interval":[{"property":"starts_at"},{"property":"ends_at"}]},{"interval":["1991-10-07T08:21:06.393262Z","2010-02-10T05:29:20.073225Z"]}]}"#),
    ("T_FINISHES(INTERVAL(starts_at, ends_at), INTERVAL('1991-10-07', '2010-02-10T05:29:20.073225Z'))", r#"{"op":"t_finishes","args":[{"interval":[{"property":"starts_at"},{"property":"ends_at"}]},{"interval":["1991-10-07","2010-02-10T05:29:20.073225Z"]}]}"#),
    ("T_MEETS(INTERVAL('2005-01-10', '2010-02-10'), INTERVAL(starts_at, ends_at))", r#"{"op":"t_meets","args":[{"interval":["2005-01-10","2010-02-10"]},{"interval":[{"property":"starts_at"},{"property":"ends_at"}]}]}"#),
    ("T_METBY(INTERVAL('2010-02-10T05:29:20.073225Z', '2010-10-07'), INTERVAL(starts_at, ends_at))", r#"{"op":"t_metBy","args":[{"interval":["2010-02-10T05:29:20.073225Z","2010-10-07"]},{"interval":[{"property":"starts_at"},{"property":"ends_at"}]}]}"#),
    ("T_OVERLAPPEDBY(INTERVAL('1991-10-07T08:21:06.393262Z', '2010-02-10T05:29:20.073225Z'), INTERVAL(starts_at, ends_at))", r#"{"op":"t_overlappedBy","args":[{"interval":["1991-10-07T08:21:06.393262Z","2010-02-10T05:29:20.073225Z"]},{"interval":[{"property":"starts_at"},{"property":"ends_at"}]}]}"#),
    // Property-property comparison (OGC example 68 style).
    ("prop1 = prop2", r#"{"op":"=","args":[{"property":"prop1"},{"property":"prop2"}]}"#),
    // Vietnamese: asset names, ward codes, networks in Ho Chi Minh City.
    ("ACCENTI(name) LIKE ACCENTI('%Đường Lê Lợi%') AND status = 'functional'", r#"{"op":"and","args":[{"op":"like","args":[{"op":"accenti","args":[{"property":"name"}]},{"op":"accenti","args":["%Đường Lê Lợi%"]}]},{"op":"=","args":[{"property":"status"},"functional"]}]}"#),
    ("S_INTERSECTS(geometry, BBOX(106.69, 10.76, 106.71, 10.78)) AND diameter_mm >= 300", r#"{"op":"and","args":[{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[106.69,10.76,106.71,10.78]}]},{"op":">=","args":[{"property":"diameter_mm"},300]}]}"#),
    ("T_INTERSECTS(INTERVAL(valid_from, valid_to), INTERVAL('2025-07-01', '..'))", r#"{"op":"t_intersects","args":[{"interval":[{"property":"valid_from"},{"property":"valid_to"}]},{"interval":["2025-07-01",".."]}]}"#),
    ("install_date < DATE('2000-01-01') AND condition IN ('poor', 'critical')", r#"{"op":"and","args":[{"op":"<","args":[{"property":"install_date"},{"date":"2000-01-01"}]},{"op":"in","args":[{"property":"condition"},["poor","critical"]]}]}"#),
];

#[test]
fn text_and_json_of_each_example_give_the_same_tree() {
    for (text, json) in PAIRS {
        let from_text = parse_text(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        let from_json = parse_json(&value).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(from_text, from_json, "{text}");
        let again = parse_json(&to_json(&from_text)).unwrap_or_else(|e| panic!("round trip of {text}: {e}"));
        assert_eq!(again, from_text, "round trip of {text}");
        let written = to_text(&from_json);
        assert_eq!(parse_text(&written).as_ref(), Ok(&from_json), "text round trip of {text} as {written}");
    }
}

#[test]
fn unsupported_classes_are_refused_with_a_reason() {
    let e = parse_text("avg(windSpeed) < 4").unwrap_err();
    assert!(e.to_string().contains("unknown function `avg`"), "{e}");
    let e = parse_text("A_CONTAINS(layer:ids, ('layers-ca','layers-us'))").unwrap_err();
    assert!(e.to_string().contains("unknown function"), "{e}");
    let e = parse_json(&serde_json::json!({"op": "Buffer", "args": [{"property": "geometry"}, 10, "m"]})).unwrap_err();
    assert!(e.to_string().contains("unknown operator `Buffer`"), "{e}");
    let e = parse_text("floors + 1 > 5").unwrap_err();
    assert!(e.to_string().contains("arithmetic"), "{e}");
}

#[test]
fn keywords_are_case_insensitive_and_strings_escape_quotes() {
    let a = parse_text("name like 'O''Brien%' and not (x is null)").unwrap();
    let b = parse_text("name LIKE 'O''Brien%' AND NOT x IS NULL").unwrap();
    assert_eq!(a, b);
    let Expr::Op { args, .. } = &a else { panic!() };
    let Expr::Op { args: like, .. } = &args[0] else { panic!() };
    assert_eq!(like[1], Expr::Text("O'Brien%".into()));
}
