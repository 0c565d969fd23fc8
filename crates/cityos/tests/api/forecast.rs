//! Forecasting centre API: indicators, vintages, forecasts, backtests (both backends).

use crate::harness::{assert_problem, TestApp};
use serde_json::{json, Value};

/// A monthly pattern repeated exactly: seasonal naive forecasts it without error.
const PATTERN: [f64; 12] = [120.0, 80.0, 95.0, 100.0, 102.0, 101.0, 103.0, 104.0, 100.0, 105.0, 108.0, 130.0];

fn periods(from_year: i32, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{:04}-{:02}", from_year + i32::try_from(i / 12).unwrap(), i % 12 + 1)).collect()
}

fn observations(values: &[f64], from_year: i32) -> Value {
    let obs: Vec<Value> = periods(from_year, values.len()).iter().zip(values).map(|(p, v)| json!({"period": p, "value": v})).collect();
    json!({ "note": "test upload", "observations": obs })
}

async fn create(t: &TestApp, token: &str, id: &str, extra: Value) -> Value {
    let mut body = json!({"id": id, "name_vi": format!("Chỉ tiêu {id}"), "name_en": format!("Indicator {id}"), "unit": "tỷ đồng", "frequency": "monthly"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = t.post("/api/forecast/indicators", Some(token), &body).await;
    assert_eq!(r.status(), 201, "create {id}: {}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

async fn upload(t: &TestApp, token: &str, id: &str, body: &Value) -> Value {
    let r = t.post(&format!("/api/forecast/indicators/{id}/observations"), Some(token), body).await;
    assert_eq!(r.status(), 201, "upload {id}: {}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

async fn json_ok(r: reqwest::Response) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn vintages_runs_are_stored_reproducible_and_explained() {
    let t = TestApp::spawn().await;
    let analyst = t.login("analyst").await;
    create(&t, &analyst, "sales", json!({"main": true})).await;
    let values: Vec<f64> = (0..48).map(|i| PATTERN[i % 12]).collect();
    let v1 = upload(&t, &analyst, "sales", &observations(&values, 2020)).await;
    assert_eq!((v1["seq"].as_i64(), v1["added"].as_i64(), v1["revised"].as_i64()), (Some(1), Some(48), Some(0)));

    // A new release: one new month (2024-01), one revision (2023-12: 130 -> 131), one value repeated.
    let v2 = upload(
        &t,
        &analyst,
        "sales",
        &json!({"note": "release 2", "observations": [{"period": "2024-01", "value": 121.0}, {"period": "2023-12", "value": 131.0}, {"period": "2023-11", "value": 108.0}]}),
    )
    .await;
    assert_eq!(
        (v2["seq"].as_i64(), v2["added"].as_i64(), v2["revised"].as_i64(), v2["unchanged"].as_i64()),
        (Some(2), Some(1), Some(1), Some(1))
    );

    // The old vintage is kept.
    let old = json_ok(t.get("/api/forecast/indicators/sales/series?vintage=1", None).await).await;
    let obs = old["observations"].as_array().unwrap();
    assert_eq!(obs.len(), 48);
    assert_eq!(obs[47], json!({"period": "2023-12", "value": 130.0, "vintage": 1}));
    let new = json_ok(t.get("/api/forecast/indicators/sales/series", None).await).await;
    let obs = new["observations"].as_array().unwrap();
    assert_eq!(obs.len(), 49);
    assert_eq!(obs[47], json!({"period": "2023-12", "value": 131.0, "vintage": 2}));
    let vintages = json_ok(t.get("/api/forecast/indicators/sales/vintages", None).await).await;
    assert_eq!(vintages["vintages"].as_array().unwrap().iter().map(|v| v["seq"].as_i64().unwrap()).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(vintages["vintages"][0]["note"], "release 2");

    // A run on vintage 1: seasonal naive repeats the pattern exactly and wins the backtest.
    let req = json!({"horizon": 6, "models": ["naive", "seasonal_naive"], "levels": [80, 95], "vintage": 1, "backtest_windows": 2});
    let r = t.post("/api/forecast/indicators/sales/forecasts", Some(&analyst), &req).await;
    assert_eq!(r.status(), 201);
    let run1: Value = r.json().await.unwrap();
    assert_eq!(run1["vintage"], 1);
    assert_eq!(run1["selected_model"], "seasonal_naive");
    assert_eq!(run1["selection"], "backtest");
    assert_eq!(run1["forecast"]["periods"], json!(["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]));
    assert_eq!(run1["forecast"]["mean"], json!([120.0, 80.0, 95.0, 100.0, 102.0, 101.0]));
    assert_eq!(run1["inputs"]["values"].as_array().unwrap().len(), 48);
    assert_eq!(run1["inputs"]["start"], "2020-01");
    assert_eq!(run1["request"]["interval_method"], "auto");
    assert_eq!(run1["request"]["selection_policy"], "best");
    assert_eq!(run1["members"], json!(["seasonal_naive"]));
    assert!(run1["library_version"].is_string());
    let snaive = run1["models"].as_array().unwrap().iter().find(|m| m["model"] == "seasonal_naive").unwrap();
    assert_eq!(snaive["backtest"]["mase"], 0.0);
    assert_eq!(snaive["backtest"]["coverage"]["95"], 1.0);
    let naive = run1["models"].as_array().unwrap().iter().find(|m| m["model"] == "naive").unwrap();
    assert!(naive["backtest"]["mase"].as_f64().unwrap() > 0.5);
    // Naive's 80% interval at step 1: last value ± 1.2816 × RMS of the first differences.
    let diffs: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    let sigma = (diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64).sqrt();
    let lo = naive["forecast"]["lo"]["80"][0].as_f64().unwrap();
    assert!((lo - (130.0 - 1.281_551_6 * sigma)).abs() < 1e-3, "{lo}");

    // Reproducible: the same request on the same vintage gives the same numbers.
    let again: Value = t.post("/api/forecast/indicators/sales/forecasts", Some(&analyst), &req).await.json().await.unwrap();
    assert_ne!(again["id"], run1["id"]);
    assert_eq!(again["forecast"], run1["forecast"]);
    assert_eq!(again["models"], run1["models"]);
    assert_eq!(again["inputs"], run1["inputs"]);

    // A run on the latest vintage, explained against the first run.
    let req2 = json!({"horizon": 6, "models": ["naive", "seasonal_naive"], "backtest_windows": 2});
    let run2: Value = t.post("/api/forecast/indicators/sales/forecasts", Some(&analyst), &req2).await.json().await.unwrap();
    assert_eq!(run2["vintage"], 2);
    assert_eq!(run2["forecast"]["periods"][0], "2024-02");
    let id2 = run2["id"].as_str().unwrap();
    let id1 = run1["id"].as_str().unwrap();
    let ex = json_ok(t.get(&format!("/api/forecast/runs/{id2}/explain?against={id1}"), None).await).await;
    assert_eq!(ex["vintages"], json!({"from": 1, "to": 2}));
    assert_eq!(ex["new_observations"], json!([{"period": "2024-01", "value": 121.0}]));
    assert_eq!(ex["revised_observations"], json!([{"period": "2023-12", "old": 130.0, "new": 131.0}]));
    let feb = ex["forecast_changes"].as_array().unwrap().iter().find(|c| c["period"] == "2024-02").unwrap();
    assert_eq!(feb["old"], 80.0);
    // Without `against`, the previous run (the reproduction, same vintage 1) is used.
    let ex_prev = json_ok(t.get(&format!("/api/forecast/runs/{id2}/explain"), None).await).await;
    assert_eq!(ex_prev["against"], again["id"]);
    // The first run has nothing to compare with.
    let first = json_ok(t.get(&format!("/api/forecast/runs/{id1}/explain"), None).await).await;
    assert!(first["against"].is_null());

    // Stored and listed.
    let got = json_ok(t.get(&format!("/api/forecast/runs/{id1}"), None).await).await;
    assert_eq!(got["forecast"], run1["forecast"]);
    let list = json_ok(t.get("/api/forecast/indicators/sales/forecasts", None).await).await;
    assert_eq!(list["runs"].as_array().unwrap().len(), 3);
    assert_eq!(list["runs"][0]["id"], run2["id"]);

    // Summaries: latest value, changes and the next forecast.
    let ind = json_ok(t.get("/api/forecast/indicators/sales", None).await).await;
    assert_eq!(ind["latest"], json!({"period": "2024-01", "value": 121.0}));
    assert_eq!(ind["change_previous"]["abs"], -10.0);
    assert_eq!(ind["change_year"]["period"], "2023-01");
    assert_eq!(ind["change_year"]["abs"], 1.0);
    assert_eq!(ind["next_forecast"]["period"], "2024-02");
    assert_eq!(ind["next_forecast"]["run_id"], run2["id"]);
    // The next period's 80% bounds come with the summary, as stored with the run.
    assert_eq!(ind["next_forecast"]["lo"], run2["forecast"]["lo"]["80"][0]);
    assert_eq!(ind["next_forecast"]["hi"], run2["forecast"]["hi"]["80"][0]);
    assert!(ind["next_forecast"]["lo"].as_f64().unwrap() <= ind["next_forecast"]["value"].as_f64().unwrap());
    let dash = json_ok(t.get("/api/forecast/dashboard", None).await).await;
    assert!(dash["indicators"].as_array().unwrap().iter().any(|i| i["id"] == "sales"));

    // Conformal intervals come from the backtest errors: zero for a perfect seasonal naive.
    let conf: Value = t
        .post(
            "/api/forecast/indicators/sales/forecasts",
            Some(&analyst),
            &json!({"horizon": 3, "models": ["seasonal_naive"], "interval_method": "conformal", "vintage": 1}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(conf["interval_method"], "conformal");
    assert_eq!(conf["forecast"]["lo"]["80"], conf["forecast"]["mean"]);
    t.cleanup().await;
}

#[tokio::test]
async fn backtest_decomposition_anomalies_and_regressors() {
    let t = TestApp::spawn().await;
    let analyst = t.login("analyst").await;
    create(&t, &analyst, "shop", json!({})).await;
    let values: Vec<f64> = (0..60).map(|i| PATTERN[i % 12] + 0.5 * i as f64).collect();
    upload(&t, &analyst, "shop", &observations(&values, 2019)).await;

    let bt = json_ok(t.get("/api/forecast/indicators/shop/backtest?models=seasonal_naive,naive&horizon=6&windows=2", None).await).await;
    assert_eq!((bt["horizon"].as_i64(), bt["windows"].as_i64()), (Some(6), Some(2)));
    let rows = bt["models"].as_array().unwrap();
    assert_eq!(rows[0]["model"], "naive");
    assert_eq!(rows[0]["relative_mase"], 1.0);
    // Seasonal naive misses by exactly one year of trend (6 per step); the MASE scale is the
    // mean seasonal difference, also 6: MASE = 1, relative to naive below 1.
    let sn = rows.iter().find(|r| r["model"] == "seasonal_naive").unwrap();
    assert!((sn["mase"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{sn}");
    assert!(sn["relative_mase"].as_f64().unwrap() < 1.0);
    assert!(sn["smape"].as_f64().unwrap() > 0.0);
    assert!(sn["coverage"]["80"].is_number());
    assert_eq!(bt["best"], "seasonal_naive");

    let d = json_ok(t.get("/api/forecast/indicators/shop/decomposition", None).await).await;
    assert_eq!(d["season"], 12);
    let obs = d["observed"].as_array().unwrap();
    assert_eq!(obs.len(), 60);
    for i in 0..60 {
        let sum = d["trend"][i].as_f64().unwrap() + d["seasonal"][i].as_f64().unwrap() + d["remainder"][i].as_f64().unwrap();
        assert!((sum - obs[i].as_f64().unwrap()).abs() < 1e-6, "period {i}");
    }
    assert_eq!(d["periods"][0], "2019-01");

    let a = json_ok(t.get("/api/forecast/indicators/shop/anomalies", None).await).await;
    assert!(a["outliers"].is_array() && a["changepoints"].is_array());

    // Regressors: Tết and a lockdown dummy are recorded with the run.
    let req = json!({"horizon": 3, "models": ["seasonal_naive"], "regressors": {"tet": true, "dummies": [{"name": "lockdown", "periods": ["2021-07", "2021-08"], "future": ["2024-02"]}]}});
    let r = t.post("/api/forecast/indicators/shop/forecasts", Some(&analyst), &req).await;
    assert_eq!(r.status(), 201);
    let run: Value = r.json().await.unwrap();
    assert_eq!(run["request"]["regressors"]["dummies"][0]["name"], "lockdown");
    assert_eq!(run["request"]["regressors"]["tet"], true);
    assert_eq!(run["selected_model"], "seasonal_naive");
    // A default run: the library's selection, the mean of the three best models by backtest.
    let def: Value = t.post("/api/forecast/indicators/shop/forecasts", Some(&analyst), &json!({"horizon": 12})).await.json().await.unwrap();
    assert_eq!(def["request"]["selection_policy"], "mean_of_best_3");
    assert_eq!(def["selected_model"], "mean_of_best");
    assert_eq!(def["members"].as_array().unwrap().len(), 3);
    assert_eq!(def["models"].as_array().unwrap().len(), 5);
    assert!(def["model_interval_coverage"]["95"].is_number());
    assert_eq!(def["forecast"]["mean"].as_array().unwrap().len(), 12);
    let bad = json!({"horizon": 3, "regressors": {"dummies": [{"name": "lockdown", "future": ["2030-01"]}]}});
    assert_problem(t.post("/api/forecast/indicators/shop/forecasts", Some(&analyst), &bad).await, 400, "invalid_regressor").await;
    t.cleanup().await;
}

#[tokio::test]
async fn reconcile_makes_wards_add_up() {
    let t = TestApp::spawn().await;
    let analyst = t.login("analyst").await;
    create(&t, &analyst, "city-total", json!({})).await;
    create(&t, &analyst, "ward-a", json!({"jurisdiction": "26740", "parent_id": "city-total"})).await;
    create(&t, &analyst, "ward-b", json!({"jurisdiction": "26743", "parent_id": "city-total"})).await;
    let a: Vec<f64> = (0..36).map(|i| PATTERN[i % 12] + (i as f64 * 1.7).sin() * 3.0).collect();
    let b: Vec<f64> = (0..36).map(|i| 0.5 * PATTERN[i % 12] + (i as f64 * 0.9).cos() * 2.0).collect();
    let total: Vec<f64> = a.iter().zip(&b).enumerate().map(|(i, (x, y))| x + y + ((i * 7) % 5) as f64 - 2.0).collect();
    upload(&t, &analyst, "ward-a", &observations(&a, 2021)).await;
    upload(&t, &analyst, "ward-b", &observations(&b, 2021)).await;
    upload(&t, &analyst, "city-total", &observations(&total, 2021)).await;
    let r = json_ok(t.post("/api/forecast/indicators/city-total/reconcile", None, &json!({"horizon": 4, "model": "seasonal_naive"})).await)
        .await;
    assert_eq!(r["periods"], json!(["2024-01", "2024-02", "2024-03", "2024-04"]));
    let series = r["series"].as_array().unwrap();
    assert_eq!(series.len(), 3);
    assert_eq!(series[0]["role"], "parent");
    // Seasonal naive: base forecasts are last year's values; bottom-up sums the wards.
    assert!((series[1]["base"][0].as_f64().unwrap() - a[24]).abs() < 1e-9);
    assert!((series[0]["bottom_up"][0].as_f64().unwrap() - (a[24] + b[24])).abs() < 1e-9);
    assert_eq!(r["coherence_gap"]["bottom_up"], 0.0);
    let mint_gap = r["coherence_gap"]["mint"].as_f64().unwrap();
    assert!(mint_gap < 1e-6, "{mint_gap}");
    assert!(r["coherence_gap"]["base"].as_f64().unwrap() > 0.0);
    // No children: 422.
    assert_problem(t.post("/api/forecast/indicators/ward-a/reconcile", None, &json!({})).await, 422, "not_enough_data").await;
    t.cleanup().await;
}

#[tokio::test]
async fn role_boundaries() {
    let t = TestApp::spawn().await;
    let analyst = t.login("analyst").await;
    let admin = t.login("admin").await;
    let viewer = t.login("viewer").await;
    let staff = t.login("staff").await;
    create(&t, &analyst, "open", json!({})).await;
    create(&t, &admin, "secret", json!({"classification": "internal"})).await;
    let body = observations(&PATTERN, 2024);
    upload(&t, &analyst, "open", &body).await;
    upload(&t, &admin, "secret", &body).await;

    // Reads: public to anyone, internal to staff members only.
    assert_eq!(t.get("/api/forecast/indicators/open", None).await.status(), 200);
    assert_eq!(t.get("/api/forecast/indicators/open/series", None).await.status(), 200);
    assert_problem(t.get("/api/forecast/indicators/secret", None).await, 401, "unauthorized").await;
    assert_problem(t.get("/api/forecast/indicators/secret/series", None).await, 401, "unauthorized").await;
    for token in [&viewer, &staff, &analyst] {
        assert_eq!(t.get("/api/forecast/indicators/secret/series", Some(token)).await.status(), 200);
    }
    let anon_list = json_ok(t.get("/api/forecast/indicators", None).await).await;
    let ids: Vec<&str> = anon_list["indicators"].as_array().unwrap().iter().filter_map(|i| i["id"].as_str()).collect();
    assert!(ids.contains(&"open") && !ids.contains(&"secret"));
    let staff_list = json_ok(t.get("/api/forecast/indicators", Some(&viewer)).await).await;
    assert!(staff_list["indicators"].as_array().unwrap().iter().any(|i| i["id"] == "secret"));

    // Writes: analyst and admin only.
    let new = json!({"id": "x1", "name_vi": "X", "name_en": "X", "unit": "u", "frequency": "monthly"});
    assert_problem(t.post("/api/forecast/indicators", None, &new).await, 401, "unauthorized").await;
    assert_problem(t.post("/api/forecast/indicators", Some(&viewer), &new).await, 403, "forbidden").await;
    assert_problem(t.post("/api/forecast/indicators", Some(&staff), &new).await, 403, "forbidden").await;
    assert_problem(t.post("/api/forecast/indicators/open/observations", Some(&staff), &body).await, 403, "forbidden").await;
    assert_problem(t.post("/api/forecast/indicators/open/observations", None, &body).await, 401, "unauthorized").await;
    let run = json!({"horizon": 2, "models": ["naive"]});
    assert_problem(t.post("/api/forecast/indicators/open/forecasts", Some(&viewer), &run).await, 403, "forbidden").await;
    assert_eq!(t.post("/api/forecast/indicators/open/forecasts", Some(&admin), &run).await.status(), 201);
    assert_eq!(t.post("/api/forecast/indicators/open/forecasts", Some(&analyst), &run).await.status(), 201);
    let patch = |token: &str| {
        t.http.patch(format!("{}/api/forecast/indicators/open", t.url)).bearer_auth(token).json(&json!({"unit": "nghìn tỷ đồng"})).send()
    };
    assert_problem(patch(&staff).await.unwrap(), 403, "forbidden").await;
    let r = patch(&analyst).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["unit"], "nghìn tỷ đồng");

    // A run of an internal indicator is internal too.
    let secret_run: Value = t.post("/api/forecast/indicators/secret/forecasts", Some(&admin), &run).await.json().await.unwrap();
    let id = secret_run["id"].as_str().unwrap();
    assert_problem(t.get(&format!("/api/forecast/runs/{id}"), None).await, 401, "unauthorized").await;
    assert_eq!(t.get(&format!("/api/forecast/runs/{id}"), Some(&viewer)).await.status(), 200);

    // Every write is audited.
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'forecast.%'").fetch_one(t.db().reader()).await.unwrap();
    assert!(audited >= 8, "{audited}");
    t.cleanup().await;
}

#[tokio::test]
async fn bad_input_is_a_problem_not_a_crash() {
    let t = TestApp::spawn().await;
    let analyst = t.login("analyst").await;
    create(&t, &analyst, "tiny", json!({})).await;
    let path = "/api/forecast/indicators/tiny";
    // Not enough data before any observation, and with two.
    assert_problem(t.post(&format!("{path}/forecasts"), Some(&analyst), &json!({})).await, 422, "not_enough_data").await;
    upload(&t, &analyst, "tiny", &json!({"observations": [{"period": "2024-01", "value": 1.0}, {"period": "2024-02", "value": 2.0}]}))
        .await;
    assert_problem(t.post(&format!("{path}/forecasts"), Some(&analyst), &json!({"models": ["naive"]})).await, 422, "not_enough_data").await;
    assert_problem(t.get(&format!("{path}/backtest"), None).await, 422, "not_enough_data").await;
    // Horizon, models, levels, methods.
    for h in [0, 61] {
        assert_problem(t.post(&format!("{path}/forecasts"), Some(&analyst), &json!({"horizon": h})).await, 400, "invalid_horizon").await;
    }
    assert_problem(t.get(&format!("{path}/backtest?horizon=0"), None).await, 400, "invalid_horizon").await;
    assert_problem(t.post(&format!("{path}/forecasts"), Some(&analyst), &json!({"models": ["prophet"]})).await, 400, "invalid_model").await;
    assert_problem(t.get(&format!("{path}/backtest?models=naive,prophet"), None).await, 400, "invalid_model").await;
    assert_problem(t.post(&format!("{path}/forecasts"), Some(&analyst), &json!({"levels": [100]})).await, 400, "invalid_level").await;
    assert_problem(
        t.post(&format!("{path}/forecasts"), Some(&analyst), &json!({"interval_method": "magic"})).await,
        400,
        "invalid_request",
    )
    .await;
    assert_problem(t.post(&format!("{path}/forecasts"), Some(&analyst), &json!({"horizon": "twelve"})).await, 422, "invalid_json").await;
    // Periods.
    for p in ["2024-13", "24-01", "2024/01", "2024"] {
        let body = json!({"observations": [{"period": p, "value": 1.0}]});
        assert_problem(t.post(&format!("{path}/observations"), Some(&analyst), &body).await, 400, "invalid_period").await;
    }
    let dup = json!({"observations": [{"period": "2024-03", "value": 1.0}, {"period": "2024-03", "value": 2.0}]});
    assert_problem(t.post(&format!("{path}/observations"), Some(&analyst), &dup).await, 400, "invalid_observations").await;
    assert_problem(
        t.post(&format!("{path}/observations"), Some(&analyst), &json!({"observations": []})).await,
        400,
        "invalid_observations",
    )
    .await;
    // Quarterly periods are aligned to quarters.
    create(&t, &analyst, "qtr", json!({"frequency": "quarterly"})).await;
    let q = json!({"observations": [{"period": "2024-02", "value": 1.0}]});
    assert_problem(t.post("/api/forecast/indicators/qtr/observations", Some(&analyst), &q).await, 400, "invalid_period").await;
    let q = json!({"observations": [{"period": "2024-Q2", "value": 1.0}, {"period": "2024-07", "value": 2.0}]});
    upload(&t, &analyst, "qtr", &q).await;
    let s = json_ok(t.get("/api/forecast/indicators/qtr/series", None).await).await;
    assert_eq!(s["observations"][0]["period"], "2024-04");
    // Unknown things.
    assert_problem(t.get("/api/forecast/indicators/nope", None).await, 404, "not_found").await;
    assert_problem(t.post("/api/forecast/indicators/nope/forecasts", Some(&analyst), &json!({})).await, 404, "not_found").await;
    assert_problem(t.get("/api/forecast/runs/nope", None).await, 404, "not_found").await;
    assert_problem(t.get(&format!("{path}/series?vintage=9"), None).await, 404, "not_found").await;
    // Indicator validation.
    let dupe = json!({"id": "tiny", "name_vi": "X", "name_en": "X", "unit": "u", "frequency": "monthly"});
    assert_problem(t.post("/api/forecast/indicators", Some(&analyst), &dupe).await, 409, "conflict").await;
    let bad_id = json!({"id": "Bad Id", "name_vi": "X", "name_en": "X", "unit": "u", "frequency": "monthly"});
    assert_problem(t.post("/api/forecast/indicators", Some(&analyst), &bad_id).await, 400, "invalid_indicator").await;
    let bad_freq = json!({"id": "w", "name_vi": "X", "name_en": "X", "unit": "u", "frequency": "weekly"});
    assert_problem(t.post("/api/forecast/indicators", Some(&analyst), &bad_freq).await, 400, "invalid_indicator").await;
    let bad_parent = json!({"id": "w", "name_vi": "X", "name_en": "X", "unit": "u", "frequency": "monthly", "parent_id": "ghost"});
    assert_problem(t.post("/api/forecast/indicators", Some(&analyst), &bad_parent).await, 404, "not_found").await;
    let unknown_field = json!({"id": "w", "name_vi": "X", "name_en": "X", "unit": "u", "frequency": "monthly", "colour": "red"});
    assert_problem(t.post("/api/forecast/indicators", Some(&analyst), &unknown_field).await, 422, "invalid_json").await;
    t.cleanup().await;
}

#[tokio::test]
async fn demo_indicators_are_illustrative_and_forecastable() {
    let t = TestApp::spawn().await;
    cityos::demo::seed_forecast(&t.app.identity).await.unwrap();
    // Idempotent.
    cityos::demo::seed_forecast(&t.app.identity).await.unwrap();
    let dash = json_ok(t.get("/api/forecast/dashboard", None).await).await;
    let inds = dash["indicators"].as_array().unwrap();
    for id in ["cpi", "retail", "budget-revenue", "exports", "tourists", "iip", "grdp", "population"] {
        let i = inds.iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("{id} on the dashboard"));
        assert_eq!(i["illustrative"], true);
        assert!(i["latest"]["value"].is_number(), "{id}");
        assert!(i["next_forecast"]["value"].is_number(), "{id} has a forecast");
    }
    let cpi = json_ok(t.get("/api/forecast/indicators/cpi/vintages", None).await).await;
    assert_eq!(cpi["vintages"][0]["revised"], 2);
    let r = json_ok(
        t.post(
            "/api/forecast/indicators/retail-wards/reconcile",
            None,
            &json!({"horizon": 6, "model": "seasonal_naive", "method": "bottom_up"}),
        )
        .await,
    )
    .await;
    assert_eq!(r["series"].as_array().unwrap().len(), 5);
    assert_eq!(r["coherence_gap"]["bottom_up"], 0.0);
    t.cleanup().await;
}

/// A dataset of Sở Y tế (`sharing_level` given) with one upload resource, made by its data officer; the resource's id.
async fn hub_dataset(t: &TestApp, officer: &str, name: &str, level: &str) -> String {
    let body = json!({"name": name, "title_vi": format!("Bộ dữ liệu {name}"), "owner_agency": "SO-YT", "sharing_level": level});
    let r = t.post("/api/datahub/datasets", Some(officer), &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = t.post(&format!("/api/datahub/datasets/{name}/resources"), Some(officer), &json!({"name": "Dữ liệu", "kind": "upload"})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

/// Uploads a CSV as a new version of a resource (multipart field `file`).
async fn hub_upload(t: &TestApp, officer: &str, rid: &str, csv: &str) {
    let boundary = "cityos-forecast-boundary-3e9a";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let r = t
        .http
        .post(format!("{}/api/datahub/resources/{rid}/versions", t.url))
        .bearer_auth(officer)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

fn dataset_source(dataset: &str, column: &str) -> Value {
    json!({"source": {"kind": "dataset", "dataset_id": dataset, "column": column, "period_column": "Tháng"}})
}

async fn refresh(t: &TestApp, token: &str, id: &str) -> reqwest::Response {
    t.post(&format!("/api/forecast/indicators/{id}/refresh"), Some(token), &json!({})).await
}

fn values(series: &Value) -> Vec<(String, f64, i64)> {
    series["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["period"].as_str().unwrap().to_string(), o["value"].as_f64().unwrap(), o["vintage"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn dataset_column_refresh_makes_vintages() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    let analyst = t.login("analyst").await;
    let rid = hub_dataset(&t, &officer, "doanh-thu-thang", "open").await;
    // Months as text and dates, an empty value (skipped), an empty row.
    hub_upload(
        &t,
        &officer,
        &rid,
        "Tháng,Doanh thu,Ghi chú\n2024-01,100,\n2024-02-01,110.5,\n2024-03,,chưa có số liệu\n,,\n01/04/2024,120,\n",
    )
    .await;
    create(&t, &analyst, "retail", dataset_source("doanh-thu-thang", "Doanh thu")).await;

    let r = refresh(&t, &analyst, "retail").await;
    assert_eq!(r.status(), 201);
    let v1: Value = r.json().await.unwrap();
    assert_eq!(
        (v1["seq"].as_i64(), v1["added"].as_i64(), v1["revised"].as_i64(), v1["unchanged"].as_i64()),
        (Some(1), Some(3), Some(0), Some(0))
    );
    assert!(v1["note"].as_str().unwrap().starts_with("refresh from dataset doanh-thu-thang"), "{v1}");
    let s = json_ok(t.get("/api/forecast/indicators/retail/series", None).await).await;
    let expected1 = vec![("2024-01".to_string(), 100.0, 1), ("2024-02".into(), 110.5, 1), ("2024-04".into(), 120.0, 1)];
    assert_eq!(values(&s), expected1);

    // The officer uploads a new version: 2024-02 revised, 2024-05 new, the others unchanged.
    hub_upload(&t, &officer, &rid, "Tháng,Doanh thu,Ghi chú\n2024-01,100,\n2024-02,111,sửa\n2024-04,120,\n2024-05,125,\n").await;
    let r = refresh(&t, &analyst, "retail").await;
    assert_eq!(r.status(), 201);
    let v2: Value = r.json().await.unwrap();
    assert_eq!(
        (v2["seq"].as_i64(), v2["added"].as_i64(), v2["revised"].as_i64(), v2["unchanged"].as_i64()),
        (Some(2), Some(1), Some(1), Some(2))
    );
    let s = json_ok(t.get("/api/forecast/indicators/retail/series", None).await).await;
    assert_eq!(
        values(&s),
        vec![("2024-01".to_string(), 100.0, 1), ("2024-02".into(), 111.0, 2), ("2024-04".into(), 120.0, 1), ("2024-05".into(), 125.0, 2)]
    );
    // The first vintage is kept as it was.
    let old = json_ok(t.get("/api/forecast/indicators/retail/series?vintage=1", None).await).await;
    assert_eq!(values(&old), expected1);
    // Refreshes are written like posted observations: audited, with their outbox event.
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'forecast.observations.add' AND object = 'indicator:retail'")
            .fetch_one(t.db().reader())
            .await
            .unwrap();
    assert_eq!(audited, 2);

    // A quarterly indicator over the same column: dates and months fall into quarters, and two
    // months of one quarter are refused rather than summed.
    create(&t, &analyst, "retail-q", json!({"frequency": "quarterly", "source": dataset_source("doanh-thu-thang", "Doanh thu")["source"]}))
        .await;
    let p = assert_problem(refresh(&t, &analyst, "retail-q").await, 422, "invalid_period").await;
    assert!(p["detail"].as_str().unwrap().starts_with("row 2: `2024-02`"), "{p}");
    hub_upload(&t, &officer, &rid, "Tháng,Doanh thu\n2024-01-31,100\n15/02/2024,110\n2024-Q2,120\n").await;
    let p = assert_problem(refresh(&t, &analyst, "retail-q").await, 422, "duplicate_periods").await;
    assert!(p["detail"].as_str().unwrap().contains("2024-01 (rows 1, 2)"), "{p}");
    hub_upload(&t, &officer, &rid, "Tháng,Doanh thu\n2024-03-31,100\n15/05/2024,110\n").await;
    let r = refresh(&t, &analyst, "retail-q").await;
    assert_eq!(r.status(), 201);
    let s = json_ok(t.get("/api/forecast/indicators/retail-q/series", None).await).await;
    assert_eq!(values(&s), vec![("2024-01".to_string(), 100.0, 1), ("2024-04".into(), 110.0, 1)]);
    t.cleanup().await;
}

#[tokio::test]
async fn dataset_refresh_errors_are_problems() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    let analyst = t.login("analyst").await;
    let viewer = t.login("viewer").await;
    let rid = hub_dataset(&t, &officer, "so-lieu-mo", "open").await;
    hub_upload(&t, &officer, &rid, "Tháng,Giá trị,Nhãn\n2024-01,1,a\nTháng 2,2,b\n2024-03,n/a,c\n").await;

    // Not a dataset-sourced indicator.
    create(&t, &analyst, "posted", json!({})).await;
    assert_problem(refresh(&t, &analyst, "posted").await, 409, "not_dataset_sourced").await;
    // Unknown indicator; who may refresh.
    assert_problem(refresh(&t, &analyst, "ghost").await, 404, "not_found").await;
    create(&t, &analyst, "bad-period", dataset_source("so-lieu-mo", "Giá trị")).await;
    assert_problem(t.post("/api/forecast/indicators/bad-period/refresh", None, &json!({})).await, 401, "unauthorized").await;
    assert_problem(refresh(&t, &viewer, "bad-period").await, 403, "forbidden").await;
    // A period that does not parse names its row.
    let p = assert_problem(refresh(&t, &analyst, "bad-period").await, 422, "invalid_period").await;
    assert!(p["detail"].as_str().unwrap().starts_with("row 2: `Tháng 2`"), "{p}");
    // A value that is not a number.
    hub_upload(&t, &officer, &rid, "Tháng,Giá trị,Nhãn\n2024-01,1,a\n2024-03,n/a,c\n").await;
    let p = assert_problem(refresh(&t, &analyst, "bad-period").await, 422, "invalid_value").await;
    assert_eq!(p["detail"], "row 2: `n/a` is not a number");
    // No readable rows.
    hub_upload(&t, &officer, &rid, "Tháng,Giá trị,Nhãn\n2024-01,,a\n2024-02,,b\n").await;
    assert_problem(refresh(&t, &analyst, "bad-period").await, 422, "no_rows").await;
    // Unknown column, unknown dataset, a dataset with nothing loaded.
    create(&t, &analyst, "bad-column", dataset_source("so-lieu-mo", "Doanh thu")).await;
    let p = assert_problem(refresh(&t, &analyst, "bad-column").await, 422, "unknown_column").await;
    assert_eq!(p["columns"], json!(["Tháng", "Giá trị", "Nhãn"]), "{p}");
    create(&t, &analyst, "bad-dataset", dataset_source("khong-co", "Giá trị")).await;
    assert_problem(refresh(&t, &analyst, "bad-dataset").await, 404, "not_found").await;
    hub_dataset(&t, &officer, "chua-co-du-lieu", "open").await;
    create(&t, &analyst, "empty", dataset_source("chua-co-du-lieu", "Giá trị")).await;
    assert_problem(refresh(&t, &analyst, "empty").await, 422, "no_data").await;
    // Another agency's shared data needs an approved sharing request (the data hub's own rule).
    let shared = hub_dataset(&t, &officer, "so-lieu-chia-se", "shared").await;
    hub_upload(&t, &officer, &shared, "Tháng,Giá trị\n2024-01,1\n").await;
    create(&t, &analyst, "shared", dataset_source("so-lieu-chia-se", "Giá trị")).await;
    assert_problem(refresh(&t, &analyst, "shared").await, 403, "approval_required").await;
    // Nothing was written by the refusals.
    let vintages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM forecast_vintages").fetch_one(t.db().reader()).await.unwrap();
    assert_eq!(vintages, 0);
    t.cleanup().await;
}
