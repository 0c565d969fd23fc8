//! The `cityos forecast` batch command, run as a process.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_cityos");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cityos_forecast_cli_{}_{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `cityos forecast` on `input` with extra arguments; returns the process output and the
/// parsed output file (when it was written).
fn forecast(name: &str, input: &str, args: &[&str]) -> (Output, Option<Value>) {
    let dir = scratch(name);
    let inp = dir.join("in.json");
    let out = dir.join("out.json");
    std::fs::write(&inp, input).unwrap();
    let _ = std::fs::remove_file(&out);
    let output = Command::new(BIN)
        .arg("forecast")
        .arg("--input")
        .arg(&inp)
        .arg("--output")
        .arg(&out)
        .args(args)
        .env("CITYOS_LOG", "warn")
        .env_remove("CITYOS_CONFIG")
        .output()
        .unwrap();
    let doc = std::fs::read_to_string(&out).ok().map(|t| serde_json::from_str(&t).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    (output, doc)
}

/// Monthly: a trend with a strong December peak and a February dip (Tết-like), 6 years.
fn seasonal_monthly() -> Vec<f64> {
    let pattern = [0.0, -30.0, 5.0, 0.0, 2.0, 4.0, 6.0, 5.0, 3.0, 8.0, 15.0, 40.0];
    (0..72).map(|t| 200.0 + 1.5 * f64::from(t) + pattern[(t % 12) as usize] + if t % 5 == 0 { 3.0 } else { -2.0 }).collect()
}

fn yearly() -> Vec<f64> {
    // GRDP-like: steady growth with noise.
    [100.0, 107.0, 113.5, 121.0, 130.2, 138.0, 147.1, 157.3, 166.0, 176.9, 188.2, 199.0, 211.5, 224.8].to_vec()
}

fn arr(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn check_intervals(s: &Value, h: usize) {
    let mean = arr(&s["mean"]);
    assert_eq!(mean.len(), h, "{s}");
    let (lo80, hi80, lo95, hi95) = (arr(&s["lo"]["80"]), arr(&s["hi"]["80"]), arr(&s["lo"]["95"]), arr(&s["hi"]["95"]));
    for j in 0..h {
        assert!(lo80[j] <= mean[j] && mean[j] <= hi80[j], "80% interval must contain the mean at {j}: {s}");
        assert!(lo95[j] < lo80[j] && hi80[j] < hi95[j], "95% must be wider than 80% at {j}: {s}");
    }
}

#[test]
fn forecast_cli_forecasts_a_seasonal_monthly_and_a_yearly_series() {
    let monthly = seasonal_monthly();
    let input = json!([
        {"id": "retail-sales", "values": monthly, "frequency": "monthly", "start": "2019-01"},
        {"id": "grdp", "values": yearly(), "frequency": "yearly"},
    ]);
    for models in [None, Some("seasonal_naive"), Some("ets,theta,seasonal_naive")] {
        let mut args = vec!["--horizon", "12"];
        if let Some(m) = models {
            args.extend(["--models", m]);
        }
        let (out, doc) = forecast("ok", &input.to_string(), &args);
        assert!(out.status.success(), "{models:?}: {}", String::from_utf8_lossy(&out.stderr));
        let doc = doc.unwrap();
        let items = doc.as_array().unwrap();
        assert_eq!(items.len(), 2);
        let (m, y) = (&items[0], &items[1]);
        assert_eq!(m["id"], "retail-sales");
        assert_eq!(y["id"], "grdp");
        assert!(m["model"].as_str().is_some_and(|s| !s.is_empty()));
        // 72 months from January 2019: the forecast starts in January 2025; no start, no field.
        assert_eq!(m["start"], "2025-01");
        assert!(y.get("start").is_none());
        check_intervals(m, 12);
        check_intervals(y, 12);
        let fm = arr(&m["mean"]);
        // The seasonal pattern continues: December (index 11) is the peak, February (1) the dip.
        let peak = fm.iter().copied().fold(f64::MIN, f64::max);
        let dip = fm.iter().copied().fold(f64::MAX, f64::min);
        assert_eq!(fm[11], peak, "{models:?}: {fm:?}");
        assert_eq!(fm[1], dip, "{models:?}: {fm:?}");
        // And the level: around the last year's values (≈ 290-340), not drifting off.
        let last_year: f64 = monthly[60..].iter().sum::<f64>() / 12.0;
        let next_year: f64 = fm.iter().sum::<f64>() / 12.0;
        assert!((next_year - last_year).abs() < 40.0, "{models:?}: {last_year} -> {next_year}");
        // Yearly growth continues (or at worst holds): no forecast below the last value - 5%.
        let fy = arr(&y["mean"]);
        assert!(fy.iter().all(|v| *v > 224.8 * 0.95 && *v < 224.8 * 2.0), "{models:?}: {fy:?}");
    }
}

#[test]
fn forecast_cli_levels_and_season_override() {
    let input = json!([{"id": "cpi", "values": seasonal_monthly(), "frequency": "monthly"}]);
    let (out, doc) =
        forecast("levels", &input.to_string(), &["--horizon", "3", "--levels", "50,99.5", "--models", "naive", "--season", "1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = &doc.unwrap()[0];
    let last = *seasonal_monthly().last().unwrap();
    assert_eq!(arr(&s["mean"]), vec![last; 3]);
    let (lo50, lo995) = (arr(&s["lo"]["50"]), arr(&s["lo"]["99.5"]));
    assert!(lo995[0] < lo50[0] && lo50[0] < last);
    assert!(s["lo"].get("80").is_none());
}

#[test]
fn forecast_cli_rejects_bad_input_naming_the_series() {
    let cases: [(&str, &str, &[&str]); 6] = [
        ("badjson", "[{\"id\": \"x\", ", &["not valid JSON"]),
        ("freq", r#"[{"id":"exports","values":[1,2,3],"frequency":"weekly"}]"#, &["exports", "weekly"]),
        ("nan", r#"[{"id":"budget","values":[1,null,3],"frequency":"yearly"}]"#, &["budget", "value 1", "finite"]),
        ("string", r#"[{"id":"budget","values":[1,"NaN",3],"frequency":"yearly"}]"#, &["budget", "finite"]),
        ("empty", r#"[{"id":"tourists","values":[],"frequency":"monthly"}]"#, &["tourists", "empty"]),
        ("noarray", r#"{"id":"x"}"#, &["array"]),
    ];
    for (name, input, needles) in cases {
        let (out, doc) = forecast(name, input, &["--horizon", "4"]);
        assert!(!out.status.success(), "{name} should fail");
        assert!(doc.is_none(), "{name}: no output on error");
        let err = String::from_utf8_lossy(&out.stderr);
        for n in needles {
            assert!(err.contains(n), "{name}: {err:?} should mention {n:?}");
        }
    }
    let (out, _) = forecast("model", r#"[{"id":"a","values":[1,2],"frequency":"yearly"}]"#, &["--horizon", "2", "--models", "prophet"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("prophet"));
}

#[test]
fn forecast_cli_never_loses_a_series() {
    // A single observation: ETS, ARIMA and Theta cannot fit it; the series falls back to naive.
    let input = json!([
        {"id": "new-ward", "values": [42.0], "frequency": "quarterly"},
        {"id": "flat", "values": [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0], "frequency": "quarterly"},
    ]);
    let (out, doc) = forecast("fallback", &input.to_string(), &["--horizon", "4"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = doc.unwrap();
    assert_eq!(doc.as_array().unwrap().len(), 2);
    assert_eq!(arr(&doc[0]["mean"]), vec![42.0; 4]);
    assert_eq!(doc[0]["lo"]["95"].as_array().unwrap().len(), 4);
    for v in arr(&doc[1]["mean"]) {
        assert!((v - 5.0).abs() < 1e-6, "{}", doc[1]);
    }
    let err = String::from_utf8_lossy(&out.stderr);
    if doc[0].get("fallback").is_some() {
        assert!(err.contains("new-ward") && err.contains("naive"), "{err}");
    }
}
