use super::reference::*;
use super::*;

fn fit(y: &[f64], m: usize) -> EtsFit {
    fit_auto(&Series::new(y, m), &Options::default()).unwrap()
}

fn fit_form_named(y: &[f64], m: usize, form: &str, damped: Option<bool>) -> Result<EtsFit, FitError> {
    fit_auto(&Series::new(y, m), &Options { form: Some(form.into()), damped })
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

fn assert_close(what: &str, ours: &[f64], theirs: &[f64], rel: f64) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(close(*a, *b, rel), "{what}[{i}]: ours {a} statsforecast {b}\nours   {ours:?}\ntheirs {theirs:?}");
    }
}

type Reference = ([f64; 4], &'static [f64], f64, f64, [&'static [f64]; 5]);

/// Rebuilds a statsforecast fit from its parameters: checks our recursions, criterion, σ²,
/// point forecasts and intervals against theirs, independently of the optimiser.
fn replay(y: &[f64], m: usize, form: Form, r: &Reference) -> (EtsFit, Forecast) {
    let [alpha, beta, gamma, phi] = r.0;
    let smoothing = Smoothing {
        alpha,
        beta: if form.has_trend() { beta } else { 0.0 },
        gamma: if form.has_season() { gamma } else { 0.0 },
        phi: if form.damped { phi } else { 1.0 },
    };
    let states = r.1;
    let first_season = 1 + usize::from(form.has_trend());
    let initial =
        State { level: states[0], trend: if form.has_trend() { states[1] } else { 0.0 }, season: states[first_season..].to_vec() };
    assert_eq!(initial.season.len(), if form.has_season() { m } else { 0 });
    // Estimated: the smoothing parameters, the states less the one normalisation fixes, σ².
    let smoothing_count = 1 + usize::from(form.has_trend()) + usize::from(form.has_season()) + usize::from(form.damped);
    let n_params = smoothing_count + states.len() - usize::from(form.has_season()) + 1;
    let f = assemble(y, form, smoothing, initial, n_params).unwrap();
    let fc = f.forecast(8, &[80.0, 95.0]).unwrap();
    (f, fc)
}

fn form(error: Component, trend: Component, season: Component, damped: bool) -> Form {
    Form { error, trend, season, damped }
}

use Component::{Additive as A, Multiplicative as M, None as N};

#[test]
fn recursions_criterion_and_linear_intervals_match_statsforecast() {
    let cases: [(&str, &[f64], usize, Form, &Reference); 5] = [
        ("ETS(M,Ad,N)", MONTHLY, 12, form(M, A, N, true), &MONTHLY_MADN),
        ("ETS(M,N,N)", MONTHLY, 12, form(M, N, N, false), &MONTHLY_MNN),
        ("ETS(A,N,A)", QUARTERLY, 4, form(A, N, A, false), &QUARTERLY_ANA),
        ("ETS(A,A,A)", QUARTERLY, 4, form(A, A, A, false), &QUARTERLY_AAA),
        ("ETS(A,Ad,N)", YEARLY, 1, form(A, A, N, true), &YEARLY_AADN),
    ];
    for (name, y, m, form, r) in cases {
        let (f, fc) = replay(y, m, form, r);
        assert_eq!(f.name(), name);
        assert!(close(f.aicc().unwrap(), r.3, 1e-9), "{name}: AICc {} vs {}", f.aicc().unwrap(), r.3);
        assert!(close(f.sigma2(), r.2, 1e-9), "{name}: sigma2 {} vs {}", f.sigma2(), r.2);
        assert_close(&format!("{name} mean"), &fc.mean, r.4[0], 1e-9);
        // statsforecast's seasonal class-1 variances use ⌊(H−1)/m⌋ of the whole horizon H at
        // every step (R uses each step's own); they agree from step m + 1 on, where both are 1.
        let from = if form.has_season() { m } else { 0 };
        assert_close(&format!("{name} lo80"), &fc.intervals[0].lo[from..], &r.4[1][from..], 1e-6);
        assert_close(&format!("{name} hi80"), &fc.intervals[0].hi[from..], &r.4[2][from..], 1e-6);
        assert_close(&format!("{name} lo95"), &fc.intervals[1].lo[from..], &r.4[3][from..], 1e-6);
        assert_close(&format!("{name} hi95"), &fc.intervals[1].hi[from..], &r.4[4][from..], 1e-6);
        if form.has_season() && form.error == A {
            // Within the first season only the level's innovations add up: σ²(1 + (h−1)(α + β)²)
            // for β ≠ 0 this is the AAA formula's (h−1)·(α² + αβh + β²h(2h−1)/6) at h ≤ m.
            let (a, b) = (r.0[0], if form.has_trend() { r.0[1] } else { 0.0 });
            for h in 1..=m {
                let hf = h as f64;
                let steps = 1.0 + (hf - 1.0) * (a * a + a * b * hf + b * b * hf * (2.0 * hf - 1.0) / 6.0);
                let half = crate::stats::z_for_level(95.0) * (r.2 * steps).sqrt();
                assert!(close(fc.intervals[1].hi[h - 1], fc.mean[h - 1] + half, 1e-9), "{name} h={h}");
            }
        }
    }
}

#[test]
fn multiplicative_seasonal_intervals_are_simulated_reproducibly() {
    let (f, fc) = replay(AIR, 12, form(M, N, M, false), &AIR_MNM);
    assert_eq!(f.name(), "ETS(M,N,M)");
    assert!(close(f.aicc().unwrap(), AIR_MNM.3, 1e-9));
    assert_close("mean", &fc.mean, AIR_MNM.4[0], 1e-9);
    // statsforecast approximates class-3 variances analytically; 5000 simulated paths agree
    // within a few percent.
    assert_close("lo95", &fc.intervals[1].lo, AIR_MNM.4[3], 0.03);
    assert_close("hi95", &fc.intervals[1].hi, AIR_MNM.4[4], 0.03);
    assert_close("hi80", &fc.intervals[0].hi, AIR_MNM.4[2], 0.03);
    let again = f.forecast(8, &[80.0, 95.0]).unwrap();
    assert_eq!(fc, again);
}

/// M1 yearly series YAI14 (14 values): statsforecast 2.1.1 `AutoETS(season_length=1)` selects
/// ETS(M,A,N) with AICc 145.2187487832849, α 0.99989924, β 0.20006 (at the bound its shared
/// `upper` array leaves, see [`init::Caps`]) and forecasts these six values. Before the bound and
/// the plain restart we chose ETS(M,N,N) (AICc 147.08; our (M,A,N) stalled at α ≈ 0, AICc 175.6).
#[test]
fn yearly_trend_matches_statsforecast_yai14() {
    let y = [25.9, 35.7, 48.5, 63.8, 74.8, 72.9, 115.1, 171.8, 178.3, 240.7, 355.1, 511.4, 606.0, 810.1];
    let f = fit(&y, 1);
    assert_eq!(f.name(), "ETS(M,A,N)");
    assert!(close(f.aicc().unwrap(), 145.2187487832849, 1e-6), "{}", f.params());
    assert!(close(f.smoothing.alpha, 0.99989924, 1e-4), "{}", f.params());
    assert!(close(f.smoothing.beta, 0.20006, 1e-6), "{}", f.params());
    let fc = f.forecast(6, &[]).unwrap();
    assert_close("mean", &fc.mean, &[909.60713515, 1009.1274435, 1108.64775184, 1208.16806018, 1307.68836853, 1407.20867687], 1e-5);
}

/// sMAPE (percent) and MASE of ours and statsforecast's AutoETS on the M1/Tourism sample in
/// `/work/tgt/etsref/bench.json` (development aid: `cargo test --release -- --ignored bench`).
#[test]
#[ignore = "needs /work/tgt/etsref/bench.json"]
fn bench_against_statsforecast() {
    let text = std::fs::read_to_string("/work/tgt/etsref/bench.json").unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut groups: std::collections::BTreeMap<String, [f64; 10]> = Default::default();
    let mut total = std::time::Duration::ZERO;
    for r in &rows {
        let y: Vec<f64> = serde_json::from_value(r["y"].clone()).unwrap();
        let test: Vec<f64> = serde_json::from_value(r["test"].clone()).unwrap();
        let theirs: Vec<f64> = serde_json::from_value(r["mean"].clone()).unwrap();
        let m = r["m"].as_u64().unwrap() as usize;
        let h = test.len();
        let start = std::time::Instant::now();
        let cpu0 = thread_cpu_ns();
        let e0 = crate::optim::evaluations_so_far();
        let fc = fit_auto(&Series::new(&y, m), &Options::default()).and_then(|f| f.forecast(h, &[95.0]));
        let evals = crate::optim::evaluations_so_far() - e0;
        let _ = start;
        let took = std::time::Duration::from_nanos(thread_cpu_ns() - cpu0);
        total += took;
        let (ours, lo, hi) = match fc {
            Ok(fc) => (fc.mean.clone(), fc.intervals[0].lo.clone(), fc.intervals[0].hi.clone()),
            Err(_) => (vec![y[y.len() - 1]; h], vec![f64::NAN; h], vec![f64::NAN; h]),
        };
        let smape = |f: &[f64]| f.iter().zip(&test).map(|(a, b)| 200.0 * (a - b).abs() / (a.abs() + b.abs())).sum::<f64>() / h as f64;
        let lag = if y.len() > m { m } else { 1 };
        let scale = (lag..y.len()).map(|t| (y[t] - y[t - lag]).abs()).sum::<f64>() / (y.len() - lag) as f64;
        let mase = |f: &[f64]| f.iter().zip(&test).map(|(a, b)| (a - b).abs()).sum::<f64>() / h as f64 / scale;
        let (sf_lo, sf_hi): (Vec<f64>, Vec<f64>) =
            (serde_json::from_value(r["lo95"].clone()).unwrap(), serde_json::from_value(r["hi95"].clone()).unwrap());
        let sf_cover = sf_lo.iter().zip(&sf_hi).zip(&test).filter(|((l, u), t)| l <= t && t <= u).count() as f64 / h as f64;
        let cover = lo.iter().zip(&hi).zip(&test).filter(|((l, u), t)| l <= t && t <= u).count() as f64 / h as f64;
        let key = format!("{}-{}", r["set"].as_str().unwrap(), m);
        let g = groups.entry(key).or_default();
        let (ms, mt) = (mase(&ours), mase(&theirs));
        g[0] += 1.0;
        g[1] += smape(&ours);
        g[2] += smape(&theirs);
        g[3] += if ms.is_finite() { ms } else { 0.0 };
        g[4] += if mt.is_finite() { mt } else { 0.0 };
        g[5] += cover;
        g[6] += r["cpu"].as_f64().unwrap();
        g[7] += took.as_secs_f64();
        g[9] += sf_cover;
        g[8] += (evals * y.len()) as f64 / 1e6;
    }
    for (k, g) in &groups {
        println!(
            "{k}: n={} sMAPE ours {:.3} sf {:.3} | MASE ours {:.3} sf {:.3} | cover95 ours {:.3} sf {:.3} | sf cpu {:.2}s ours {:.2}s steps {:.1}M",
            g[0],
            g[1] / g[0],
            g[2] / g[0],
            g[3] / g[0],
            g[4] / g[0],
            g[5] / g[0],
            g[9] / g[0],
            g[6],
            g[7],
            g[8]
        );
    }
    println!("ours total CPU {total:?} for {} series", rows.len());
}

/// CPU time of this thread in nanoseconds (Linux), so timings ignore other processes.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[test]
fn yearly_series_selects_the_same_form_as_statsforecast() {
    // statsforecast AutoETS on this M1 yearly series: ETS(A,A,N) with AICc 534.490; our
    // optimiser reaches a lower value of the same criterion for the same form.
    let f = fit(YEARLY, 1);
    assert_eq!(f.name(), "ETS(A,A,N)");
    assert!(f.aicc().unwrap() <= 534.490 + 0.01, "{}", f.aicc().unwrap());
    let p = f.params();
    assert!(p["beta"].as_f64().unwrap() <= p["alpha"].as_f64().unwrap(), "{p}");
    let fc = f.forecast(6, &[80.0, 95.0]).unwrap();
    // A growing series keeps growing, by about its recent yearly increase.
    assert!(fc.mean.windows(2).all(|w| w[1] > w[0]), "{:?}", fc.mean);
    assert!(fc.mean[0] > 500_000.0 && fc.mean[0] < 620_000.0, "{:?}", fc.mean);
    // Class 1: the first step's half-width is z·σ.
    let width = fc.intervals[1].hi[0] - fc.mean[0];
    assert!(close(width, crate::stats::z_for_level(95.0) * f.sigma2().sqrt(), 1e-9), "{width}");
    assert!(fc.intervals[1].hi[5] - fc.intervals[1].lo[5] > 2.0 * width);
}

#[test]
fn monthly_seasonal_series_fits_at_least_as_well_as_statsforecast() {
    // AirPassengers (first 132 months): statsforecast picks ETS(M,N,M) with AICc 1297.47; the
    // same criterion should come out no worse here, with a multiplicative season.
    let f = fit(AIR, 12);
    let name = f.name();
    assert!(name.starts_with("ETS(M,") && name.ends_with(",M)"), "{name}");
    assert!(f.aicc().unwrap() < 1297.47, "{}", f.aicc().unwrap());
    let p = f.params();
    let (alpha, gamma) = (p["alpha"].as_f64().unwrap(), p["gamma"].as_f64().unwrap());
    assert!((1e-4..=0.9999).contains(&alpha) && gamma <= 1.0 - alpha, "{p}");
    let fc = f.forecast(12, &[80.0, 95.0]).unwrap();
    // The held-out year 1960: a multiplicative seasonal fit tracks it within ~6% sMAPE
    // (statsforecast's ETS(M,N,M): 3.9%, seasonal naive: 8.9%).
    let actual = [417.0, 391.0, 419.0, 461.0, 472.0, 535.0, 622.0, 606.0, 508.0, 461.0, 390.0, 432.0];
    let smape = fc.mean.iter().zip(&actual).map(|(f, a)| 200.0 * (f - a).abs() / (f + a)).sum::<f64>() / 12.0;
    assert!(smape < 6.0, "sMAPE {smape}: {:?}", fc.mean);
    for (i, iv) in fc.intervals.iter().enumerate() {
        for h in 0..12 {
            assert!(iv.lo[h] < fc.mean[h] && fc.mean[h] < iv.hi[h], "level {i} step {h}");
        }
    }
    assert!(fc.intervals[1].hi[11] - fc.intervals[1].lo[11] > fc.intervals[0].hi[11] - fc.intervals[0].lo[11]);
    assert_eq!(f.fitted().len(), AIR.len());
}

#[test]
fn quarterly_series_criterion_no_worse_than_statsforecast() {
    // statsforecast: ETS(M,N,M) with AICc 144.962.
    let f = fit(QUARTERLY, 4);
    assert!(f.aicc().unwrap() <= 144.962 + 0.01, "{} {}", f.name(), f.aicc().unwrap());
}

#[test]
fn constant_series_gives_flat_forecasts_without_spread() {
    let y = [5.0; 30];
    let f = fit(&y, 12);
    assert_eq!(f.name(), "ETS(A,N,N)");
    let fc = f.forecast(4, &[95.0]).unwrap();
    for h in 0..4 {
        assert!((fc.mean[h] - 5.0).abs() < 1e-6, "{:?}", fc.mean);
        assert!((fc.intervals[0].hi[h] - fc.intervals[0].lo[h]).abs() < 1e-3, "{:?}", fc.intervals);
    }
}

#[test]
fn zeros_and_negatives_allow_only_additive_forms() {
    // M1 monthly series minus its mean: statsforecast picks ETS(A,A,N) with AICc 1242.981.
    let mean = MONTHLY.iter().sum::<f64>() / MONTHLY.len() as f64;
    let y: Vec<f64> = MONTHLY.iter().map(|v| v - mean).collect();
    let f = fit(&y, 12);
    assert_eq!(f.name(), "ETS(A,A,N)");
    assert!(f.aicc().unwrap() <= 1242.981 + 0.01, "{}", f.aicc().unwrap());
    assert!(matches!(fit_form_named(&y, 12, "MNN", None), Err(FitError::InvalidInput(_))));
    let with_zero = [0.0, 3.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0, 11.0, 10.0, 12.0, 13.0];
    let g = fit(&with_zero, 1);
    assert!(g.name().starts_with("ETS(A,"), "{}", g.name());
}

#[test]
fn very_short_series_use_simple_smoothing() {
    // Three values: SSE(α) = 2² + (1 − 2α)² is least at α = 0.5, so the level ends at 11.
    let f = fit(&[10.0, 12.0, 11.0], 12);
    assert_eq!(f.name(), "ETS(A,N,N)");
    assert!((f.params()["alpha"].as_f64().unwrap() - 0.5).abs() < 1e-6);
    let fc = f.forecast(2, &[95.0]).unwrap();
    assert!((fc.mean[0] - 11.0).abs() < 1e-6 && (fc.mean[1] - 11.0).abs() < 1e-6);
    // σ² = 4/2; step two adds α²σ².
    let z = crate::stats::z_for_level(95.0);
    assert!((fc.intervals[0].hi[0] - 11.0 - z * 2f64.sqrt()).abs() < 1e-6);
    assert!((fc.intervals[0].hi[1] - 11.0 - z * 2.5f64.sqrt()).abs() < 1e-6);
    assert!(matches!(fit_auto(&Series::new(&[1.0], 1), &Options::default()), Err(FitError::TooShort { .. })));
}

#[test]
fn options_restrict_the_search() {
    assert_eq!(fit_form_named(MONTHLY, 12, "ANN", None).unwrap().name(), "ETS(A,N,N)");
    assert!(fit_form_named(YEARLY, 1, "ZZN", Some(true)).unwrap().name().contains(",Ad,"));
    assert_eq!(fit_form_named(AIR, 12, "MAM", Some(false)).unwrap().name(), "ETS(M,A,M)");
    assert!(fit_form_named(AIR, 12, "ZZM", None).unwrap().name().starts_with("ETS(M,"));
    for bad in ["ANM", "AMN", "XYZ", "AN"] {
        assert!(matches!(fit_form_named(AIR, 12, bad, None), Err(FitError::InvalidInput(_))), "{bad}");
    }
    // A seasonal form needs a season.
    assert!(matches!(fit_form_named(YEARLY, 1, "ANA", None), Err(FitError::InvalidInput(_))));
    assert!(matches!(fit_form_named(YEARLY, 1, "ANN", Some(true)), Err(FitError::InvalidInput(_))));
    // A bad level is refused.
    let f = fit(YEARLY, 1);
    assert!(matches!(f.forecast(3, &[100.0]), Err(FitError::InvalidInput(_))));
}

#[test]
fn non_seasonal_fit_of_seasonal_data_for_mstl() {
    // MSTL calls fit_auto with season 1: never a seasonal form.
    let f = fit(AIR, 1);
    assert!(f.name().ends_with(",N)"), "{}", f.name());
}

/// Fit time per series (`cargo test --release -p cityos_tsmodels -- --ignored --nocapture ets_timing`).
#[test]
#[ignore = "timing, run on demand in release mode"]
fn ets_timing() {
    for (form, damped) in [("MAM", false), ("MNM", false), ("AAN", true), ("ANN", false)] {
        let reps = 20;
        let c0 = thread_cpu_ns();
        for _ in 0..reps {
            std::hint::black_box(fit_form_named(AIR, 12, form, Some(damped)).unwrap());
        }
        let per = (thread_cpu_ns() - c0) as f64 / reps as f64 / 1e6;
        println!("AirPassengers n=132, one form {form}{}: {per:.2} ms CPU", if damped { " damped" } else { "" });
    }
    for (name, y, m) in [
        ("AirPassengers n=132 m=12", AIR, 12usize),
        ("M1 quarterly n=40", QUARTERLY, 4),
        ("M1 monthly n=42", MONTHLY, 12),
        ("M1 yearly n=22", YEARLY, 1),
    ] {
        let reps = 20;
        let c0 = thread_cpu_ns();
        for _ in 0..reps {
            std::hint::black_box(fit(y, m));
        }
        let per = (thread_cpu_ns() - c0) as f64 / reps as f64 / 1e6;
        let one = crate::optim::evaluations_so_far();
        let _ = fit(y, m);
        let evals = crate::optim::evaluations_so_far() - one;
        let f = fit(y, m);
        let c1 = thread_cpu_ns();
        for _ in 0..reps {
            std::hint::black_box(f.forecast(18, &[80.0, 95.0]).unwrap());
        }
        let fc_ms = (thread_cpu_ns() - c1) as f64 / reps as f64 / 1e6;
        println!(
            "{name}: {per:.2} ms CPU per automatic fit (all forms), {evals} evaluations; {} forecast h=18 with intervals {fc_ms:.3} ms",
            f.name()
        );
    }
}

#[test]
fn every_length_and_season_gives_finite_forecasts() {
    // A deterministic pseudo-random walk with a season, a trend and occasional zeros/negatives.
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    for season in [1usize, 2, 3, 4, 7, 12, 24, 52] {
        for n in [2usize, 3, 5, 7, 8, 11, 13, 17, 25, 30, 49, 100] {
            for shift in [100.0, 0.0] {
                let y: Vec<f64> = (0..n).map(|t| shift + 0.3 * t as f64 + 5.0 * ((t % season) as f64).sin() + 4.0 * noise()).collect();
                let f = fit_auto(&Series::new(&y, season), &Options::default())
                    .unwrap_or_else(|e| panic!("n={n} m={season} shift={shift}: {e}"));
                let fc = f.forecast(13, &[80.0, 95.0]).unwrap();
                let all = fc.mean.iter().chain(fc.intervals.iter().flat_map(|i| i.lo.iter().chain(&i.hi)));
                assert!(all.copied().all(f64::is_finite), "n={n} m={season} {}: {fc:?}", f.name());
                for h in 0..13 {
                    assert!(fc.intervals[0].lo[h] >= fc.intervals[1].lo[h] - 1e-9 && fc.intervals[0].hi[h] <= fc.intervals[1].hi[h] + 1e-9);
                }
                assert_eq!(f.fitted().len(), n);
            }
        }
    }
}

#[test]
fn fits_do_not_depend_on_the_unit() {
    let base = fit(AIR, 12);
    let big: Vec<f64> = AIR.iter().map(|v| v * 1e6).collect();
    let scaled = fit(&big, 12);
    assert_eq!(base.name(), scaled.name());
    let (a, b) = (base.forecast(12, &[95.0]).unwrap(), scaled.forecast(12, &[95.0]).unwrap());
    for h in 0..12 {
        assert!(close(b.mean[h], a.mean[h] * 1e6, 1e-6), "{h}: {} vs {}", b.mean[h], a.mean[h] * 1e6);
    }
}

/// Dumps our AutoETS (form, AICc, forecasts) for every series of the exported competition data
/// of one frequency (development aid: `ETS_DUMP_FREQ=yearly ETS_DUMP_IN=/work/tgt/fcbench/data
/// cargo test --release -p cityos_tsmodels -- --ignored ets_dump`), written to `ETS_DUMP_OUT`.
#[test]
#[ignore = "needs the exported competition data"]
fn ets_dump() {
    let freq = std::env::var("ETS_DUMP_FREQ").unwrap_or_else(|_| "yearly".into());
    let dir = std::env::var("ETS_DUMP_IN").unwrap_or_else(|_| "/work/tgt/fcbench/data".into());
    let out = std::env::var("ETS_DUMP_OUT").unwrap_or_else(|_| "/work/tgt/etsyearly/ours.json".into());
    let only: Option<String> = std::env::var("ETS_DUMP_ID").ok();
    let options = Options { form: std::env::var("ETS_DUMP_FORM").ok(), damped: None };
    let mut rows = Vec::new();
    let mut total = 0u64;
    let e0 = crate::optim::evaluations_so_far();
    for set in ["m1", "tourism"] {
        let text = std::fs::read_to_string(format!("{dir}/{set}.json")).unwrap();
        let series: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        for s in series.iter().filter(|s| s["frequency"].as_str() == Some(freq.as_str())) {
            if only.as_ref().is_some_and(|id| s["id"].as_str() != Some(id.as_str())) {
                continue;
            }
            let y: Vec<f64> = serde_json::from_value(s["values"].clone()).unwrap();
            let m = s["season_length"].as_u64().unwrap_or(1) as usize;
            let h = s["horizon"].as_u64().unwrap() as usize;
            let cpu0 = thread_cpu_ns();
            let fit = fit_auto(&Series::new(&y, m), &options);
            let (form, aicc, params, mean) = match fit {
                Ok(f) => {
                    let fc = f.forecast(h, &[]).unwrap();
                    (f.form(), f.aicc(), f.params(), fc.mean)
                }
                Err(_) => ("fail".to_string(), None, serde_json::Value::Null, vec![y[y.len() - 1]; h]),
            };
            total += thread_cpu_ns() - cpu0;
            if only.is_some() {
                println!("{} {} {:?} {}", s["id"], form, aicc, params);
            }
            rows.push(serde_json::json!({"set": set, "id": s["id"], "form": form, "aicc": aicc, "params": params, "mean": mean}));
        }
    }
    println!("{} series, CPU {:.3}s, {} evaluations", rows.len(), total as f64 / 1e9, crate::optim::evaluations_so_far() - e0);
    std::fs::write(out, serde_json::to_string(&rows).unwrap()).unwrap();
}
