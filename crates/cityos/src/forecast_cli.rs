//! `cityos forecast`: forecast a file of series without a server.
//!
//! Reads a JSON array of `{"id", "values", "frequency", "season_length"?, "start"?}`, forecasts
//! every series in parallel (scoped threads, one per available core) and writes, for each series
//! in input order, `{"id", "model", "mean", "lo": {"80": [...]}, "hi": {...}, "start"?}`.
//! A series whose model cannot be fitted falls back to naive, with a line on stderr and a
//! `"fallback"` field giving the reason: a forecast file never loses a series.

use anyhow::{anyhow, bail, Context, Result};
use cityos_tsmodels::select::IntervalMethod;
use cityos_tsmodels::{select, Forecast, Frequency, Interval, ModelKind, Series};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One series of the input file, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSeries {
    /// The caller's identifier, echoed in the output.
    pub id: String,
    /// Observations, oldest first, all finite.
    pub values: Vec<f64>,
    /// How often the series is observed.
    pub frequency: Frequency,
    /// Season length: `season_length` from the input, else the frequency's (12, 4, 1).
    pub season: usize,
    /// Year and month of the first observation, when given (`YYYY-MM`).
    pub start: Option<(i32, u32)>,
}

/// What to forecast and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Steps ahead.
    pub horizon: usize,
    /// Season length for every series, overriding the input and the frequency.
    pub season: Option<usize>,
    /// Models: one is used as is; among several, the mean of the (up to) three best by
    /// rolling-origin backtest. Empty: the ETS + ARIMA + Theta combination.
    pub models: Vec<ModelKind>,
    /// Interval levels in percent, e.g. `[80.0, 95.0]`.
    pub levels: Vec<f64>,
    /// Where the intervals come from (default: [`IntervalMethod::Calibrated`], which needs a
    /// backtest; [`IntervalMethod::Model`] with one model skips it).
    pub intervals: IntervalMethod,
    /// Worker threads; 0 for `std::thread::available_parallelism()`.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            horizon: 12,
            season: None,
            models: Vec::new(),
            levels: vec![80.0, 95.0],
            intervals: IntervalMethod::default(),
            threads: 0,
        }
    }
}

/// The forecast of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesForecast {
    /// The input series' identifier.
    pub id: String,
    /// The forecast (its `model` names the model actually used).
    pub forecast: Forecast,
    /// Why the requested model was replaced by naive, if it was.
    pub fallback: Option<String>,
    /// Year and month of the first forecast period, when the input had a `start`.
    pub start: Option<(i32, u32)>,
}

/// Parses a comma-separated model list (`ets,arima,theta`); aliases `snaive` and `combo` work.
///
/// # Errors
/// An unknown model name.
pub fn parse_models(list: &str) -> Result<Vec<ModelKind>> {
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let kind = ModelKind::parse(&name.to_ascii_lowercase()).ok_or_else(|| {
            let known: Vec<&str> = ModelKind::ALL.iter().map(|k| k.as_str()).collect();
            anyhow!("unknown model {name:?}; known models: {}", known.join(", "))
        })?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    Ok(out)
}

/// Parses a comma-separated list of interval levels in percent (`80,95`).
///
/// # Errors
/// A level that is not a number strictly between 0 and 100.
pub fn parse_levels(list: &str) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for s in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let level: f64 = s.parse().map_err(|_| anyhow!("interval level {s:?} is not a number"))?;
        if !(level > 0.0 && level < 100.0) {
            bail!("interval level {s} must be strictly between 0 and 100 (percent)");
        }
        out.push(level);
    }
    Ok(out)
}

/// Parses and validates the input file's text.
///
/// # Errors
/// Not JSON, not an array, or a series with a missing or duplicate id, an unknown frequency, an
/// empty or non-numeric `values`, a non-finite value, a bad `season_length` or `start`; the
/// message names the series.
pub fn parse_input(text: &str) -> Result<Vec<InputSeries>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| anyhow!("the input is not valid JSON: {e}"))?;
    let Value::Array(items) = doc else { bail!("the input must be a JSON array of series") };
    let mut out: Vec<InputSeries> = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let s = parse_series(i, item)?;
        if !seen.insert(s.id.clone()) {
            bail!("series {:?} (item {i}): the id appears more than once", s.id);
        }
        out.push(s);
    }
    Ok(out)
}

fn parse_series(i: usize, item: &Value) -> Result<InputSeries> {
    let Value::Object(obj) = item else { bail!("item {i} is not an object") };
    let id = match obj.get("id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => bail!("item {i}: \"id\" is missing or not a non-empty string"),
    };
    let who = format!("series {id:?}");
    let frequency = match obj.get("frequency") {
        Some(Value::String(f)) => match f.to_ascii_lowercase().as_str() {
            "monthly" | "month" | "m" => Frequency::Monthly,
            "quarterly" | "quarter" | "q" => Frequency::Quarterly,
            "yearly" | "annual" | "year" | "y" => Frequency::Yearly,
            _ => bail!("{who}: unknown frequency {f:?} (use monthly, quarterly or yearly)"),
        },
        None => bail!("{who}: \"frequency\" is missing (monthly, quarterly or yearly)"),
        Some(other) => bail!("{who}: \"frequency\" must be a string, not {other}"),
    };
    let Some(Value::Array(raw)) = obj.get("values") else { bail!("{who}: \"values\" is missing or not an array of numbers") };
    if raw.is_empty() {
        bail!("{who}: \"values\" is empty");
    }
    let mut values = Vec::with_capacity(raw.len());
    for (t, v) in raw.iter().enumerate() {
        match v.as_f64() {
            Some(x) if x.is_finite() => values.push(x),
            _ => bail!("{who}: value {t} ({v}) is not a finite number"),
        }
    }
    let season = match obj.get("season_length") {
        None | Some(Value::Null) => frequency.season_length(),
        Some(v) => match v.as_u64() {
            Some(m) if (1..=10_000).contains(&m) => usize::try_from(m).unwrap_or(1),
            _ => bail!("{who}: \"season_length\" must be a positive integer, not {v}"),
        },
    };
    let start = match obj.get("start") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_year_month(s).ok_or_else(|| anyhow!("{who}: \"start\" {s:?} is not YYYY-MM"))?),
        Some(v) => bail!("{who}: \"start\" must be a YYYY-MM string, not {v}"),
    };
    Ok(InputSeries { id, values, frequency, season, start })
}

fn parse_year_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let year: i32 = y.parse().ok()?;
    let month: u32 = m.parse().ok()?;
    (y.len() == 4 && (1..=12).contains(&month)).then_some((year, month))
}

/// The year and month `steps` observations after `start`.
#[must_use]
pub fn advance(start: (i32, u32), frequency: Frequency, steps: usize) -> (i32, u32) {
    let months0 = i64::from(start.0) * 12 + i64::from(start.1) - 1;
    let add = i64::try_from(steps).unwrap_or(0) * i64::from(frequency.months());
    let total = months0 + add;
    (i32::try_from(total.div_euclid(12)).unwrap_or(start.0), u32::try_from(total.rem_euclid(12) + 1).unwrap_or(1))
}

/// Forecasts every series (in parallel; the output keeps the input's order).
///
/// # Errors
/// A horizon of 0 or no interval level is fine; only invalid options (a level outside (0, 100))
/// fail. Models that fail on a series fall back to naive instead of failing the run.
pub fn forecast_all(inputs: &[InputSeries], opts: &Options) -> Result<Vec<SeriesForecast>> {
    if opts.horizon == 0 {
        bail!("the horizon must be at least 1");
    }
    if let Some(l) = opts.levels.iter().find(|l| !(**l > 0.0 && **l < 100.0)) {
        bail!("interval level {l} must be strictly between 0 and 100 (percent)");
    }
    let results = parallel_map(inputs, opts.threads, |s| forecast_one(s, opts));
    Ok(results)
}

/// Runs `f` over `items` on scoped threads (one per available core unless `threads` > 0),
/// returning the results in input order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = if threads > 0 { threads } else { std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get) };
    let workers = workers.min(items.len()).max(1);
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                if let Ok(mut guard) = slots.lock() {
                    if let Some(slot) = guard.get_mut(i) {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    slots.into_inner().unwrap_or_default().into_iter().flatten().collect()
}

/// Forecasts one series with the requested model(s), falling back to naive.
#[must_use]
pub fn forecast_one(s: &InputSeries, opts: &Options) -> SeriesForecast {
    let season = opts.season.unwrap_or(s.season).max(1);
    let series = Series::new(&s.values, season);
    let (forecast, fallback) = match forecast_models(&series, &opts.models, opts.horizon, &opts.levels, opts.intervals) {
        Ok(f) => (f, None),
        Err(reason) => {
            eprintln!("series {:?}: {reason}; falling back to naive", s.id);
            (naive_fallback(&series, opts.horizon, &opts.levels), Some(reason))
        }
    };
    let start = s.start.map(|st| advance(st, s.frequency, s.values.len()));
    SeriesForecast { id: s.id.clone(), forecast, fallback, start }
}

/// Fits the requested model(s) and forecasts. Several: the library's automatic selection
/// ([`select::auto`] with its default policy: the mean of the (up to) three models with the
/// lowest rolling-origin backtest MASE, refitted on the whole history). One model (none means
/// the ETS + ARIMA + Theta combination): that model, backtested only when the intervals need it
/// (every method but [`IntervalMethod::Model`]). The intervals as `intervals` says
/// ([`select::Selection::forecast`]).
///
/// # Errors
/// A description of why no usable forecast came out.
pub fn forecast_models(
    series: &Series<'_>,
    models: &[ModelKind],
    horizon: usize,
    levels: &[f64],
    intervals: IntervalMethod,
) -> Result<Forecast, String> {
    let models = if models.is_empty() { &[ModelKind::Combination][..] } else { models };
    let f = match models {
        [kind] if intervals == IntervalMethod::Model => cityos_tsmodels::fit(*kind, series).and_then(|m| m.forecast(horizon, levels)),
        _ => {
            let policy = if models.len() == 1 { select::Policy::Best } else { select::Policy::default() };
            let opts = select::AutoOptions { kinds: models.to_vec(), policy, ..select::AutoOptions::default() };
            select::auto(series, horizon, &opts).and_then(|sel| sel.forecast(horizon, levels, intervals))
        }
    }
    .map_err(|e| e.to_string())?;
    if usable(&f, horizon, levels.len()) {
        Ok(f)
    } else {
        Err(format!("{} gave a forecast that is not finite or not of the requested shape", f.model))
    }
}

/// Parses `--intervals`: `calibrated` (or `auto`), `conformal`, `model`.
///
/// # Errors
/// Any other name.
pub fn parse_intervals(name: &str) -> Result<IntervalMethod> {
    let name = name.trim().to_ascii_lowercase();
    IntervalMethod::parse(&name).ok_or_else(|| anyhow!("unknown interval method {name:?}; one of calibrated, conformal, model"))
}

fn usable(f: &Forecast, horizon: usize, levels: usize) -> bool {
    f.mean.len() == horizon
        && f.mean.iter().all(|v| v.is_finite())
        && f.intervals.len() == levels
        && f.intervals.iter().all(|i| i.lo.len() == horizon && i.hi.len() == horizon && i.lo.iter().chain(&i.hi).all(|v| v.is_finite()))
}

/// Naive: the library's, or, if even that fails, the last value with intervals from the
/// standard deviation of the first differences growing with √h (the random walk's).
#[must_use]
pub fn naive_fallback(series: &Series<'_>, horizon: usize, levels: &[f64]) -> Forecast {
    if let Ok(f) = cityos_tsmodels::fit(ModelKind::Naive, series).and_then(|m| m.forecast(horizon, levels)) {
        if usable(&f, horizon, levels.len()) {
            return f;
        }
    }
    let v = series.values;
    let last = v.last().copied().unwrap_or(0.0);
    let diffs: Vec<f64> = v.windows(2).map(|w| w[1] - w[0]).collect();
    #[expect(clippy::cast_precision_loss, reason = "series lengths are small")]
    let sigma = if diffs.is_empty() { 0.0 } else { (diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64).sqrt() };
    let intervals = levels
        .iter()
        .map(|&level| {
            let z = cityos_tsmodels::stats::z_for_level(level);
            #[expect(clippy::cast_precision_loss, reason = "small horizons")]
            let half: Vec<f64> = (1..=horizon).map(|j| z * sigma * (j as f64).sqrt()).collect();
            Interval { level, lo: half.iter().map(|w| last - w).collect(), hi: half.iter().map(|w| last + w).collect() }
        })
        .collect();
    Forecast { model: "Naive".into(), mean: vec![last; horizon], intervals }
}

/// The JSON key of a level: `80` for 80.0, `97.5` for 97.5.
#[must_use]
pub fn level_key(level: f64) -> String {
    if (level - level.round()).abs() < 1e-9 {
        format!("{level:.0}")
    } else {
        format!("{level}")
    }
}

/// The output document: one object per series, in input order.
#[must_use]
pub fn to_json(results: &[SeriesForecast]) -> Value {
    Value::Array(
        results
            .iter()
            .map(|r| {
                let mut lo = Map::new();
                let mut hi = Map::new();
                for i in &r.forecast.intervals {
                    lo.insert(level_key(i.level), json!(i.lo));
                    hi.insert(level_key(i.level), json!(i.hi));
                }
                let mut o = Map::new();
                o.insert("id".into(), json!(r.id));
                o.insert("model".into(), json!(r.forecast.model));
                if let Some((y, m)) = r.start {
                    o.insert("start".into(), json!(format!("{y:04}-{m:02}")));
                }
                o.insert("mean".into(), json!(r.forecast.mean));
                o.insert("lo".into(), Value::Object(lo));
                o.insert("hi".into(), Value::Object(hi));
                if let Some(why) = &r.fallback {
                    o.insert("fallback".into(), json!(why));
                }
                Value::Object(o)
            })
            .collect(),
    )
}

/// The whole command: read `input`, forecast, write `output` (`-` for stdout).
///
/// # Errors
/// The input cannot be read or is invalid, or the output cannot be written.
pub fn run(input: &std::path::Path, output: &std::path::Path, opts: &Options) -> Result<usize> {
    let text = if input.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read the input from stdin")?
    } else {
        std::fs::read_to_string(input).with_context(|| format!("cannot read {}", input.display()))?
    };
    let series = parse_input(&text).with_context(|| format!("in {}", input.display()))?;
    let results = forecast_all(&series, opts)?;
    let fallbacks = results.iter().filter(|r| r.fallback.is_some()).count();
    let doc = serde_json::to_string(&to_json(&results))?;
    if output.as_os_str() == "-" {
        println!("{doc}");
    } else {
        std::fs::write(output, doc + "\n").with_context(|| format!("cannot write {}", output.display()))?;
    }
    if fallbacks > 0 {
        eprintln!("{fallbacks} of {} series fell back to naive", results.len());
    }
    Ok(results.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let ok = parse_input(r#"[{"id":"a","values":[1,2,3],"frequency":"monthly","start":"2020-11"}]"#).unwrap();
        assert_eq!(ok[0].season, 12);
        assert_eq!(ok[0].start, Some((2020, 11)));
        let e = parse_input(r#"[{"id":"cpi","values":[1,null],"frequency":"monthly"}]"#).unwrap_err().to_string();
        assert!(e.contains("\"cpi\"") && e.contains("value 1"), "{e}");
        let e = parse_input(r#"[{"id":"x","values":[1],"frequency":"weekly"}]"#).unwrap_err().to_string();
        assert!(e.contains("\"x\"") && e.contains("weekly"), "{e}");
        let e = parse_input(r#"[{"id":"x","values":[],"frequency":"yearly"}]"#).unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        assert!(parse_input("[{").is_err());
    }

    #[test]
    fn advances_periods() {
        assert_eq!(advance((2020, 11), Frequency::Monthly, 3), (2021, 2));
        assert_eq!(advance((2020, 1), Frequency::Quarterly, 4), (2021, 1));
        assert_eq!(advance((2020, 1), Frequency::Yearly, 5), (2025, 1));
    }

    #[test]
    fn fallback_naive_is_a_random_walk() {
        let v = [1.0, 2.0, 3.0, 2.0];
        let s = Series::new(&v, 1);
        let f = naive_fallback(&s, 2, &[80.0, 95.0]);
        assert_eq!(f.mean, vec![2.0, 2.0]);
        assert!(f.intervals[1].hi[1] > f.intervals[0].hi[1] && f.intervals[0].hi[1] > f.intervals[0].hi[0]);
    }

    #[test]
    fn one_model_is_backtested_only_for_calibrated_intervals() {
        // 8 years of a noisy seasonal month series.
        let v: Vec<f64> =
            (0..96u32).map(|t| 100.0 + 0.5 * f64::from(t) + 8.0 * f64::from(t % 12).sin() + f64::from((t * 7919) % 17) * 0.6).collect();
        let s = Series::new(&v, 12);
        let lv = [80.0, 95.0];
        let own = forecast_models(&s, &[ModelKind::Ets], 12, &lv, IntervalMethod::Model).unwrap();
        let direct = cityos_tsmodels::fit(ModelKind::Ets, &s).and_then(|m| m.forecast(12, &lv)).unwrap();
        assert_eq!(own, direct);
        let cal = forecast_models(&s, &[ModelKind::Ets], 12, &lv, IntervalMethod::Calibrated).unwrap();
        assert_eq!(cal.mean, own.mean);
        assert_ne!(cal.intervals, own.intervals);
        // The default (no models): the combination, calibrated.
        let combo = cityos_tsmodels::fit(ModelKind::Combination, &s).and_then(|m| m.forecast(12, &lv)).unwrap();
        let default = forecast_models(&s, &[], 12, &lv, IntervalMethod::default()).unwrap();
        assert_eq!(default.mean, combo.mean);
        assert_ne!(default.intervals, combo.intervals);
        assert_eq!(parse_intervals("auto").unwrap(), IntervalMethod::Calibrated);
        assert_eq!(parse_intervals("Model").unwrap(), IntervalMethod::Model);
        assert!(parse_intervals("bootstrap").unwrap_err().to_string().contains("bootstrap"));
    }

    #[test]
    fn level_keys() {
        assert_eq!(level_key(80.0), "80");
        assert_eq!(level_key(97.5), "97.5");
    }
}
