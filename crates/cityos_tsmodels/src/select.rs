//! Rolling-origin backtests, automatic model selection with a fallback, and conformal
//! prediction intervals from backtest errors.
//!
//! A backtest cuts the history at a few origins (the last `origins` windows of `horizon`
//! periods, stepping back by `horizon` when the history allows it, else by one period), fits
//! each model on the data before the origin and scores its forecast of the next `horizon`
//! values: MASE (scaled by the training part's seasonal naive error, as M4), sMAPE and the
//! coverage of its 80% and 95% intervals. A model that fails at an origin is scored with the
//! benchmark's forecast there (and the failure counted), so every model is judged on the same
//! origins. The benchmark is seasonal naive for seasonal series, naive otherwise.
//!
//! [`auto`] ranks the candidates by backtest MASE and refits on the whole history either the best
//! ([`Policy::Best`]) or, by default, the three best, averaged ([`Policy::MeanOfBest`]); a model
//! that fails on the full history is replaced by the next in the ranking, and naive is the last
//! resort. When the history is too short for a backtest it goes by length: the ETS–ARIMA–Theta
//! combination with two full seasons (and at least 10 observations), else ETS (then Theta) with
//! 5, else naive.
//!
//! Series with regressors are fitted by [`fit_kind`]: ARIMA uses them natively, every other
//! family through [`crate::regressors::Adjusted`].
//!
//! [`conformal`] replaces model-based intervals with split-conformal ones: at step `h`, the
//! `⌈(k + 1)·level⌉`-th smallest of the `k` backtest absolute errors at that step (the largest
//! when `k` is too small for the level), around the point forecast. With few origins that cannot
//! reach 95%, so [`conformal_scaled`] (normalised conformal: errors over the model's own
//! standard deviation, pooled over steps) is preferred when there are enough scores.
//! [`calibrated`] (what [`Selection::forecast`] gives with [`IntervalMethod::Calibrated`], the
//! forecasting centre's and the CLI's default) pools the two views of the error: the model's
//! Gaussian and the backtest's normalised errors, as an equal-weight mixture.

use std::sync::Arc;

use serde::Serialize;

use crate::metrics::{coverage, mase_scale, smape};
use crate::stats::z_for_level;
use crate::{FitError, Fitted, Forecast, Interval, ModelKind, Series};

/// The interval levels every backtest scores.
pub const BACKTEST_LEVELS: [f64; 2] = [80.0, 95.0];

/// Default number of backtest origins: few, to keep selection fast.
pub const DEFAULT_ORIGINS: usize = 3;

/// One model's backtest scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelScore {
    /// The model family.
    pub kind: ModelKind,
    /// The selected form at the last origin, e.g. `ETS(A,N,N)` (the kind's name if it never fit).
    pub model: String,
    /// Mean MASE over the origins.
    pub mase: f64,
    /// Mean sMAPE over the origins (percent).
    pub smape: f64,
    /// Share of actual values inside the 80% intervals (0 to 1).
    pub coverage_80: f64,
    /// Share of actual values inside the 95% intervals (0 to 1).
    pub coverage_95: f64,
    /// MASE relative to the benchmark's (below 1 beats it).
    pub relative_mase: f64,
    /// sMAPE relative to the benchmark's.
    pub relative_smape: f64,
    /// Origins at which the model failed to fit (scored with the benchmark's forecast there).
    pub failures: usize,
    /// Absolute errors, `abs_errors[step][origin]`, for conformal intervals.
    pub abs_errors: Vec<Vec<f64>>,
    /// Errors over the standard deviation implied by the model's own 95% interval at that step,
    /// pooled over steps and origins, for [`conformal_scaled`] (empty when it gave no interval).
    pub std_errors: Vec<f64>,
    /// The forecast at each origin (the benchmark's where the model failed), for scoring
    /// ensembles of models; not serialised.
    #[serde(skip)]
    pub forecasts: Vec<Forecast>,
}

/// The result of a rolling-origin backtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestReport {
    /// Forecast horizon scored at each origin.
    pub horizon: usize,
    /// Season length used for MASE and seasonal models.
    pub season: usize,
    /// Training lengths: the origin is just after this many observations.
    pub origins: Vec<usize>,
    /// The model every score is relative to (naive or seasonal naive).
    pub benchmark: ModelKind,
    /// Scores in the order the kinds were given (the benchmark is added when missing).
    pub models: Vec<ModelScore>,
}

impl BacktestReport {
    /// The scores of `kind`, if it was backtested.
    #[must_use]
    pub fn score(&self, kind: ModelKind) -> Option<&ModelScore> {
        self.models.iter().find(|m| m.kind == kind)
    }

    /// Kinds ordered from the lowest backtest MASE (non-finite scores last; ties keep order).
    #[must_use]
    pub fn ranking(&self) -> Vec<ModelKind> {
        let mut v: Vec<&ModelScore> = self.models.iter().collect();
        v.sort_by(|a, b| {
            let ka = if a.mase.is_finite() { a.mase } else { f64::INFINITY };
            let kb = if b.mase.is_finite() { b.mase } else { f64::INFINITY };
            ka.total_cmp(&kb)
        });
        v.into_iter().map(|m| m.kind).collect()
    }
}

/// Observations a training window needs before an origin.
#[must_use]
pub fn min_train(season: usize) -> usize {
    (2 * season.max(1)).max(8)
}

/// The backtest horizon for a series of `n` values: `horizon`, shortened until the backtest has
/// room for one origin (a training part of [`min_train`] observations); `None` when not even one
/// step fits. Short series are still ranked and calibrated on the steps their history allows.
#[must_use]
pub fn backtest_horizon(n: usize, season: usize, horizon: usize) -> Option<usize> {
    let room = n.checked_sub(min_train(season.max(1)))?;
    let h = horizon.min(room);
    (h >= 1).then_some(h)
}

/// Training lengths for `origins` windows of `horizon` periods, latest last; empty when the
/// history has no room for even one.
#[must_use]
pub fn origin_lengths(n: usize, season: usize, horizon: usize, origins: usize) -> Vec<usize> {
    let min = min_train(season);
    if horizon == 0 || origins == 0 || n < horizon + min {
        return Vec::new();
    }
    let last = n - horizon;
    let room = last - min;
    let step = if room >= horizon * (origins - 1) { horizon } else { 1 };
    let count = (room / step + 1).min(origins);
    (0..count).rev().map(|i| last - i * step).collect()
}

/// The families [`ModelKind::Combination`] averages, in the order it lists them.
pub const COMBINATION_MEMBERS: [ModelKind; 3] = [ModelKind::Ets, ModelKind::Arima, ModelKind::Theta];

/// Fits `kind`, using the series' regressors where there are any: ARIMA takes them natively,
/// the other families through [`crate::regressors::Adjusted`], and the combination is the mean
/// of ETS, ARIMA and Theta each fitted this way.
///
/// # Errors
/// [`FitError`] from the model (for the combination, when no member fits).
pub fn fit_kind(kind: ModelKind, series: &Series<'_>) -> Result<Box<dyn Fitted>, FitError> {
    let has_xreg = series.xreg.is_some_and(|x| !x.is_empty());
    if !has_xreg {
        return crate::fit(kind, series);
    }
    match kind {
        ModelKind::Arima => crate::fit(kind, series),
        ModelKind::Combination => {
            let members: Vec<Box<dyn Fitted>> = COMBINATION_MEMBERS.into_iter().filter_map(|k| fit_kind(k, series).ok()).collect();
            if members.is_empty() {
                return Err(FitError::Failed("no member of the combination fitted".into()));
            }
            Ok(Box::new(crate::combine::Combination::new(members)?))
        }
        _ => Ok(Box::new(crate::regressors::Adjusted::fit(kind, series)?)),
    }
}

/// Full-history fits for [`auto`], each family fitted once: the combination is assembled from the
/// ETS, ARIMA and Theta fits (as at the backtest origins, and as [`fit_kind`] would fit it), so
/// averaging it with one of its members does not fit that member twice.
struct FullFits<'a, 's> {
    series: &'a Series<'s>,
    done: Vec<(ModelKind, SharedFit)>,
}

/// A full-history fit that several members may share, or why it failed.
type SharedFit = Result<Arc<dyn Fitted>, FitError>;

impl FullFits<'_, '_> {
    fn shared(&mut self, kind: ModelKind) -> SharedFit {
        if let Some((_, r)) = self.done.iter().find(|(k, _)| *k == kind) {
            return r.clone();
        }
        let r: SharedFit = if kind == ModelKind::Combination {
            let members: Vec<Box<dyn Fitted>> = COMBINATION_MEMBERS
                .into_iter()
                .filter_map(|k| self.shared(k).ok())
                .map(|f| Box::new(Shared(f)) as Box<dyn Fitted>)
                .collect();
            if members.is_empty() {
                Err(FitError::Failed("no member of the combination fitted".into()))
            } else {
                crate::combine::Combination::new(members).map(|c| Arc::new(c) as Arc<dyn Fitted>)
            }
        } else {
            fit_kind(kind, self.series).map(Arc::from)
        };
        self.done.push((kind, r.clone()));
        r
    }

    fn get(&mut self, kind: ModelKind) -> Result<Box<dyn Fitted>, FitError> {
        self.shared(kind).map(|f| Box::new(Shared(f)) as Box<dyn Fitted>)
    }
}

/// A fitted model used in more than one place (a member of the combination and a model of its
/// own in a mean of the best).
#[derive(Debug)]
struct Shared(Arc<dyn Fitted>);

impl Fitted for Shared {
    fn name(&self) -> String {
        self.0.name()
    }

    fn fitted(&self) -> Vec<f64> {
        self.0.fitted()
    }

    fn forecast(&self, horizon: usize, levels: &[f64]) -> Result<Forecast, FitError> {
        self.0.forecast(horizon, levels)
    }

    fn aicc(&self) -> Option<f64> {
        self.0.aicc()
    }

    fn params(&self) -> serde_json::Value {
        self.0.params()
    }
}

/// Forecasts of every kind at one origin, each family fitted once (the combination reuses the
/// ETS, ARIMA and Theta fits).
struct OriginForecasts<'s> {
    series: Series<'s>,
    horizon: usize,
    done: Vec<(ModelKind, Result<Forecast, FitError>)>,
}

impl<'s> OriginForecasts<'s> {
    fn get(&mut self, kind: ModelKind) -> Result<Forecast, FitError> {
        if let Some((_, r)) = self.done.iter().find(|(k, _)| *k == kind) {
            return r.clone();
        }
        let r = if kind == ModelKind::Combination {
            let members: Vec<Forecast> = COMBINATION_MEMBERS.into_iter().filter_map(|k| self.get(k).ok()).collect();
            combine_forecasts(&members)
        } else {
            fit_kind(kind, &self.series).and_then(|f| f.forecast(self.horizon, &BACKTEST_LEVELS))
        };
        self.done.push((kind, r.clone()));
        r
    }
}

/// The equal-weight mean of forecasts (means and bounds), as [`crate::combine::Combination`].
fn combine_forecasts(members: &[Forecast]) -> Result<Forecast, FitError> {
    let first = members.first().ok_or_else(|| FitError::Failed("no member of the combination fitted".into()))?;
    let k = members.len() as f64;
    let h = first.mean.len();
    let avg = |get: &dyn Fn(&Forecast) -> Option<f64>| -> f64 { members.iter().filter_map(get).sum::<f64>() / k };
    let mean = (0..h).map(|i| avg(&|f| f.mean.get(i).copied())).collect();
    let intervals = first
        .intervals
        .iter()
        .enumerate()
        .map(|(j, iv)| Interval {
            level: iv.level,
            lo: (0..h).map(|i| avg(&|f| f.intervals.get(j).and_then(|x| x.lo.get(i).copied()))).collect(),
            hi: (0..h).map(|i| avg(&|f| f.intervals.get(j).and_then(|x| x.hi.get(i).copied()))).collect(),
        })
        .collect();
    let names: Vec<&str> = members.iter().map(|f| f.model.as_str()).collect();
    Ok(Forecast { model: format!("Combination({})", names.join(", ")), mean, intervals })
}

/// Absolute errors per step and errors standardised by the sd implied by the forecast's 95%
/// interval (where it has one with positive width).
fn forecast_scores(actual: &[f64], fc: &Forecast) -> (Vec<f64>, Vec<f64>) {
    let abs: Vec<f64> = actual.iter().zip(&fc.mean).map(|(y, f)| (y - f).abs()).collect();
    let mut std = Vec::new();
    if let Some(i) = fc.interval(95.0) {
        let z = z_for_level(95.0);
        for (e, (lo, hi)) in abs.iter().zip(i.lo.iter().zip(&i.hi)) {
            let sd = (hi - lo) / (2.0 * z);
            if sd > 0.0 && sd.is_finite() {
                std.push(e / sd);
            }
        }
    }
    (abs, std)
}

/// Backtests `kinds` on the last `origins` windows of `horizon` periods.
///
/// # Errors
/// [`FitError::TooShort`] when there is no room for one origin (see [`min_train`]);
/// [`FitError`] from the series check, or when even the benchmark fails.
pub fn backtest(kinds: &[ModelKind], series: &Series<'_>, horizon: usize, origins: usize) -> Result<BacktestReport, FitError> {
    series.check()?;
    let x = series.values;
    let m = series.season.max(1);
    let ends = origin_lengths(x.len(), m, horizon, origins);
    if ends.is_empty() {
        return Err(FitError::TooShort { needed: horizon.max(1) + min_train(m), got: x.len() });
    }
    let benchmark = if m > 1 { ModelKind::SeasonalNaive } else { ModelKind::Naive };
    let mut all: Vec<ModelKind> = Vec::with_capacity(kinds.len() + 1);
    for &k in kinds {
        if !all.contains(&k) {
            all.push(k);
        }
    }
    if !all.contains(&benchmark) {
        all.push(benchmark);
    }
    struct Acc {
        mase: f64,
        smape: f64,
        cov80: f64,
        cov95: f64,
        failures: usize,
        model: String,
        errors: Vec<Vec<f64>>,
        std_errors: Vec<f64>,
        forecasts: Vec<Forecast>,
    }
    let mut acc: Vec<Acc> = all
        .iter()
        .map(|k| Acc {
            mase: 0.0,
            smape: 0.0,
            cov80: 0.0,
            cov95: 0.0,
            failures: 0,
            model: k.as_str().to_string(),
            errors: vec![Vec::new(); horizon],
            std_errors: Vec::new(),
            forecasts: Vec::new(),
        })
        .collect();
    for &end in &ends {
        let train = &x[..end];
        let actual = &x[end..end + horizon];
        // Regressors keep their future values: the columns run past the training end.
        let s = Series { values: train, season: m, xreg: series.xreg };
        let mut cache = OriginForecasts { series: s, horizon, done: Vec::new() };
        // The benchmark is always the plain model, so relative scores mean the same with regressors.
        let bench =
            crate::fit(benchmark, &Series { values: train, season: m, xreg: None }).and_then(|f| f.forecast(horizon, &BACKTEST_LEVELS))?;
        let scale = mase_scale(train, m);
        for (a, &kind) in acc.iter_mut().zip(&all) {
            let fc = match cache.get(kind) {
                Ok(f) => {
                    a.model = f.model.clone();
                    f
                }
                Err(_) => {
                    a.failures += 1;
                    bench.clone()
                }
            };
            let mae = actual.iter().zip(&fc.mean).map(|(y, f)| (y - f).abs()).sum::<f64>() / horizon as f64;
            a.mase += mae / scale;
            a.smape += smape(actual, &fc.mean);
            if let Some(i) = fc.interval(80.0) {
                a.cov80 += coverage(actual, &i.lo, &i.hi);
            }
            if let Some(i) = fc.interval(95.0) {
                a.cov95 += coverage(actual, &i.lo, &i.hi);
            }
            let (abs, std) = forecast_scores(actual, &fc);
            for (step, e) in abs.into_iter().enumerate() {
                a.errors[step].push(e);
            }
            a.std_errors.extend(std);
            a.forecasts.push(fc);
        }
    }
    let k = ends.len() as f64;
    let bi = all.iter().position(|&kk| kk == benchmark).unwrap_or(0);
    let (bm, bs) = (acc[bi].mase / k, acc[bi].smape / k);
    let models = all
        .iter()
        .zip(acc)
        .map(|(&kind, a)| ModelScore {
            kind,
            model: a.model,
            mase: a.mase / k,
            smape: a.smape / k,
            coverage_80: a.cov80 / k,
            coverage_95: a.cov95 / k,
            relative_mase: (a.mase / k) / bm,
            relative_smape: (a.smape / k) / bs,
            failures: a.failures,
            abs_errors: a.errors,
            std_errors: a.std_errors,
            forecasts: a.forecasts,
        })
        .collect();
    Ok(BacktestReport { horizon, season: m, origins: ends, benchmark, models })
}

/// Settings for [`auto`].
#[derive(Debug, Clone, PartialEq)]
pub struct AutoOptions {
    /// Candidate kinds; empty means [`default_candidates`].
    pub kinds: Vec<ModelKind>,
    /// Backtest origins.
    pub origins: usize,
    /// How the backtest ranking becomes a forecast.
    pub policy: Policy,
}

impl Default for AutoOptions {
    fn default() -> Self {
        AutoOptions { kinds: Vec::new(), origins: DEFAULT_ORIGINS, policy: Policy::default() }
    }
}

/// How [`auto`] turns the backtest ranking into a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// The single model with the lowest backtest MASE.
    Best,
    /// The equal-weight mean of the `n` best-ranked models that fit (the default, with 3). On a
    /// fifth of M1 and a sixth of Tourism (3 origins), the mean OWA over the six frequency groups
    /// was 0.850 for the mean of the best 3, 0.854 for the best 2, 0.857 for the fixed
    /// ETS–ARIMA–Theta combination and 0.872 for the single best model: picking one model from
    /// three short backtests is noisy, averaging the few best is not.
    MeanOfBest(usize),
}

impl Default for Policy {
    fn default() -> Self {
        Policy::MeanOfBest(3)
    }
}

/// The candidates [`auto`] compares by default: the benchmarks, ETS, ARIMA, Theta and their
/// combination (seasonal naive only for seasonal series).
#[must_use]
pub fn default_candidates(season: usize) -> Vec<ModelKind> {
    let mut v = vec![ModelKind::Naive];
    if season > 1 {
        v.push(ModelKind::SeasonalNaive);
    }
    v.extend([ModelKind::Drift, ModelKind::Ets, ModelKind::Arima, ModelKind::Theta, ModelKind::Combination]);
    v
}

/// How [`auto`] reached its choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionReason {
    /// The lowest backtest MASE.
    BestBacktest,
    /// A better-scored model failed on the full history; this is the next best.
    NextBest,
    /// The history is too short for a backtest; chosen by length.
    TooShortForBacktest,
    /// Every candidate failed; naive.
    LastResort,
}

/// What [`auto`] chose and why, for the API and the CLI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectionInfo {
    /// The chosen family.
    pub kind: ModelKind,
    /// The fitted form, e.g. `ETS(M,Ad,M)`.
    pub model: String,
    /// How it was chosen.
    pub reason: SelectionReason,
    /// The backtest behind the choice, when there was one.
    pub backtest: Option<BacktestReport>,
    /// Candidates that failed on the full history, with the error.
    pub failed: Vec<(ModelKind, String)>,
    /// The models averaged, best first (one for a single model).
    pub members: Vec<ModelKind>,
}

/// Backtest errors of the chosen model (or mean of models), for conformal intervals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConformalScores {
    /// Absolute errors, `abs_errors[step][origin]`.
    pub abs_errors: Vec<Vec<f64>>,
    /// Errors over the sd implied by the 95% interval, pooled over steps and origins.
    pub std_errors: Vec<f64>,
}

/// The chosen, fitted model.
#[derive(Debug)]
pub struct Selection {
    /// The model refitted on the whole history.
    pub fitted: Box<dyn Fitted>,
    /// Why it was chosen.
    pub info: SelectionInfo,
    /// Its backtest errors, when there was a backtest.
    pub scores: Option<ConformalScores>,
}

/// Where [`Selection::forecast`]'s intervals come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// The model's own (Gaussian, from its residual variance).
    Model,
    /// Normalised split-conformal from the backtest errors alone ([`conformal_scaled`], or
    /// per-step [`conformal`] with fewer than [`MIN_SCALED_SCORES`] scores).
    Conformal,
    /// The equal-weight mixture of the model's distribution and the backtest's ([`calibrated`]):
    /// the default.
    #[default]
    Calibrated,
}

impl IntervalMethod {
    /// The method named `name`: `calibrated` (or `auto`, the default's name in requests),
    /// `conformal`, `model`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "calibrated" | "auto" => Some(Self::Calibrated),
            "conformal" => Some(Self::Conformal),
            "model" => Some(Self::Model),
            _ => None,
        }
    }

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Conformal => "conformal",
            Self::Calibrated => "calibrated",
        }
    }
}

impl Selection {
    /// The method [`Selection::forecast`] applies when asked for `requested`: the model's own
    /// without a backtest, or for the calibrated method without standardised backtest errors.
    #[must_use]
    pub fn applied(&self, requested: IntervalMethod) -> IntervalMethod {
        match (&self.scores, requested) {
            (None, _) => IntervalMethod::Model,
            (Some(s), IntervalMethod::Calibrated) if s.std_errors.is_empty() => IntervalMethod::Model,
            (_, m) => m,
        }
    }

    /// Forecasts with the chosen model, the intervals by `method` (see [`IntervalMethod`]);
    /// without a backtest (or without model intervals to scale) every method gives the model's
    /// own.
    ///
    /// # Errors
    /// [`FitError`] from the model's forecast.
    pub fn forecast(&self, horizon: usize, levels: &[f64], method: IntervalMethod) -> Result<Forecast, FitError> {
        let fc = self.fitted.forecast(horizon, levels)?;
        let Some(score) = &self.scores else { return Ok(fc) };
        Ok(match self.applied(method) {
            IntervalMethod::Model => fc,
            IntervalMethod::Conformal if score.std_errors.len() >= MIN_SCALED_SCORES && !fc.intervals.is_empty() => {
                conformal_scaled(&fc, &score.std_errors, levels)
            }
            IntervalMethod::Conformal => conformal(&fc, &score.abs_errors, levels),
            // Without model intervals (no levels) there is nothing to scale.
            IntervalMethod::Calibrated if fc.intervals.is_empty() => fc,
            IntervalMethod::Calibrated => calibrated(&fc, score, levels),
        })
    }
}

/// Chooses a model for `series` by rolling-origin backtest over `horizon` periods, with the
/// fallbacks described in the module documentation. Never fails on a valid, non-empty series.
///
/// # Errors
/// [`FitError`] from the series check (empty or non-finite).
pub fn auto(series: &Series<'_>, horizon: usize, options: &AutoOptions) -> Result<Selection, FitError> {
    series.check()?;
    let m = series.season.max(1);
    let n = series.values.len();
    let kinds = if options.kinds.is_empty() { default_candidates(m) } else { options.kinds.clone() };
    let tested = backtest_horizon(n, m, horizon).ok_or(FitError::TooShort { needed: min_train(m) + 1, got: n });
    let (order, reason, report) = match tested.and_then(|h| backtest(&kinds, series, h, options.origins.max(1))) {
        Ok(report) => {
            let order: Vec<ModelKind> = report.ranking().into_iter().filter(|k| kinds.contains(k)).collect();
            (order, SelectionReason::BestBacktest, Some(report))
        }
        Err(_) => {
            let mut order = Vec::new();
            if n >= (2 * m).max(10) {
                order.push(ModelKind::Combination);
            }
            if n >= 5 {
                order.extend([ModelKind::Ets, ModelKind::Theta]);
            }
            (order, SelectionReason::TooShortForBacktest, None)
        }
    };
    let wanted = match options.policy {
        Policy::Best => 1,
        Policy::MeanOfBest(k) => k.max(1),
    };
    let mut failed = Vec::new();
    let mut fitted: Vec<(ModelKind, Box<dyn Fitted>)> = Vec::new();
    let mut first_ok = None;
    let mut fits = FullFits { series, done: Vec::new() };
    for (i, &kind) in order.iter().enumerate() {
        match fits.get(kind) {
            Ok(f) => {
                first_ok.get_or_insert(i);
                fitted.push((kind, f));
                // Without a backtest there is no ranking to average: the first that fits.
                if fitted.len() >= wanted || report.is_none() {
                    break;
                }
            }
            Err(e) => failed.push((kind, e.to_string())),
        }
    }
    if fitted.is_empty() {
        let fitted: Box<dyn Fitted> = Box::new(crate::baseline::naive(series)?);
        let reason = if order.is_empty() { SelectionReason::TooShortForBacktest } else { SelectionReason::LastResort };
        let info = SelectionInfo {
            kind: ModelKind::Naive,
            model: fitted.name(),
            reason,
            backtest: report,
            failed,
            members: vec![ModelKind::Naive],
        };
        return Ok(Selection { fitted, info, scores: None });
    }
    let reason = if first_ok.unwrap_or(0) > 0 && reason == SelectionReason::BestBacktest { SelectionReason::NextBest } else { reason };
    let members: Vec<ModelKind> = fitted.iter().map(|(k, _)| *k).collect();
    let scores = report.as_ref().and_then(|r| ensemble_scores(r, &members, series.values));
    let kind = members[0];
    let model: Box<dyn Fitted> = if fitted.len() == 1 {
        fitted.into_iter().map(|(_, f)| f).next().ok_or_else(|| FitError::Failed("no model".into()))?
    } else {
        Box::new(crate::combine::Combination::new(fitted.into_iter().map(|(_, f)| f).collect())?)
    };
    let info = SelectionInfo { kind, model: model.name(), reason, backtest: report, failed, members };
    Ok(Selection { fitted: model, info, scores })
}

/// The backtest errors of the equal-weight mean of `members`' backtest forecasts.
fn ensemble_scores(report: &BacktestReport, members: &[ModelKind], values: &[f64]) -> Option<ConformalScores> {
    let scores: Vec<&ModelScore> = members.iter().map(|k| report.score(*k)).collect::<Option<_>>()?;
    let mut out = ConformalScores { abs_errors: vec![Vec::new(); report.horizon], std_errors: Vec::new() };
    for (o, &end) in report.origins.iter().enumerate() {
        let fcs: Vec<Forecast> = scores.iter().map(|s| s.forecasts.get(o).cloned()).collect::<Option<_>>()?;
        let fc = combine_forecasts(&fcs).ok()?;
        let actual = values.get(end..end + report.horizon)?;
        let (abs, std) = forecast_scores(actual, &fc);
        for (step, e) in abs.into_iter().enumerate() {
            out.abs_errors[step].push(e);
        }
        out.std_errors.extend(std);
    }
    Some(out)
}

/// Fewest pooled standardised backtest errors for [`conformal_scaled`].
pub const MIN_SCALED_SCORES: usize = 10;

/// The standard deviation each step's first interval implies (`(hi − lo) / 2z`; NaN without
/// intervals).
fn implied_sd(forecast: &Forecast) -> Vec<f64> {
    match forecast.intervals.first() {
        Some(i) => {
            let z = z_for_level(i.level);
            i.lo.iter().zip(&i.hi).map(|(lo, hi)| (hi - lo) / (2.0 * z)).collect()
        }
        None => vec![f64::NAN; forecast.mean.len()],
    }
}

/// Calibrated intervals: `mean ± u_L σ_h`, where `σ_h` is the standard deviation the model's
/// interval implies at step `h` and `u_L` the `L`-level point of the equal-weight mixture of two
/// views of the standardised error: the model's (`|Z|`, standard normal) and the backtest's (the
/// empirical distribution of `scores.std_errors`, the backtest errors over the model's implied
/// sd). See [`mixture_quantile`] for the finite-sample count.
///
/// Neither view alone is calibrated out of sample: the model's ignores parameter and model
/// uncertainty (too narrow), a few backtest origins give a noisy estimate of the tail. The
/// mixture (a linear opinion pool) is at least as wide as the narrower view at every level and
/// close to the wider one in the tail. On the holdouts of M1 and Tourism (2,312 series, the
/// library's default selection) its coverage is within 5 points of 80% and 95% where the model's
/// and the backtest's alone are not; M3 (2,829 series, not used to choose it) confirms it
/// (`docs/FORECASTING.md`, Intervals).
#[must_use]
pub fn calibrated(forecast: &Forecast, scores: &ConformalScores, levels: &[f64]) -> Forecast {
    let sd = implied_sd(forecast);
    let origins = scores.abs_errors.first().map_or(0, Vec::len);
    let effective = effective_scores(origins, scores.abs_errors.len());
    scaled_intervals(forecast, &sd, levels, |level| mixture_quantile(&scores.std_errors, level, effective))
}

/// `forecast`'s point forecasts with, at each level, `mean ± m(level) · sd_h`.
fn scaled_intervals(forecast: &Forecast, sd: &[f64], levels: &[f64], multiplier: impl Fn(f64) -> f64) -> Forecast {
    let intervals = crate::stats::scaled_intervals(&forecast.mean, sd, levels, multiplier);
    Forecast { model: forecast.model.clone(), mean: forecast.mean.clone(), intervals }
}

/// How many independent scores `origins` backtest windows of `steps` steps are worth:
/// `origins · steps^EFFECTIVE_STEP_EXPONENT`. The errors of one window share its starting point
/// and its shocks, so they count for less than `steps` independent ones.
#[must_use]
pub fn effective_scores(origins: usize, steps: usize) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "counts are small")]
    let (o, h) = (origins as f64, steps as f64);
    o * h.powf(EFFECTIVE_STEP_EXPONENT)
}

/// The exponent of [`effective_scores`] (0: one score per window, 1: every step independent).
pub const EFFECTIVE_STEP_EXPONENT: f64 = 0.6;

/// The smallest `u ≥ 0` with `½ (2Φ(u) − 1) + ½ c · #(s ≤ u) / k ≥ level / 100` over the `k`
/// finite `scores`, where `c = e / (e + 1)` is the split-conformal correction for `e = effective`
/// independent scores (the backtest's empirical distribution can put at most `e / (e + 1)` of its
/// mass inside any finite bound). When the mixture cannot reach the level
/// (`c < 2·level/100 − 1`, e.g. fewer than 9 effective scores at 95%), the larger of the model's
/// `z_level` and the largest score; `z_level` without scores.
#[must_use]
pub fn mixture_quantile(scores: &[f64], level: f64, effective: f64) -> f64 {
    let mut s: Vec<f64> = scores.iter().copied().filter(|v| v.is_finite() && *v >= 0.0).collect();
    s.sort_by(f64::total_cmp);
    let p = level / 100.0;
    let k = s.len();
    if k == 0 {
        return z_for_level(level);
    }
    let c = if effective > 0.0 { effective / (effective + 1.0) } else { 0.0 };
    // On [s_j, s_{j+1}) the empirical part is c·j/k; the normal part must supply the rest, 2p − c·j/k
    // of |Z|'s probability.
    for j in 0..=k {
        #[expect(clippy::cast_precision_loss, reason = "score counts are small")]
        let t = 2.0 * p - c * j as f64 / k as f64;
        let from = if j == 0 { 0.0 } else { s[j - 1] };
        let to = s.get(j).copied().unwrap_or(f64::INFINITY);
        if t <= 0.0 {
            return from;
        }
        if t < 1.0 {
            let u = z_for_level(100.0 * t).max(from);
            if u < to {
                return u;
            }
        }
    }
    z_for_level(level).max(s[k - 1])
}

/// Normalised split-conformal intervals: the backtest errors divided by the standard deviation
/// the model's own interval implied (`std_errors`, pooled over steps and origins) are the
/// conformity scores; at level `L` the interval is `mean ± q_L σ_h`, with `q_L` their
/// [`conformal_quantile`] and `σ_h` the standard deviation implied by `forecast`'s first
/// interval at step `h`. This recalibrates the width of the model's intervals from
/// out-of-sample errors while keeping their shape over the horizon; pooling gives enough scores
/// for 95% from a few origins (per-step scores from 3 origins can cover at most 75%).
#[must_use]
pub fn conformal_scaled(forecast: &Forecast, std_errors: &[f64], levels: &[f64]) -> Forecast {
    let sd = implied_sd(forecast);
    scaled_intervals(forecast, &sd, levels, |level| conformal_quantile(std_errors, level))
}

/// Split-conformal intervals: keeps `forecast`'s point forecasts and replaces its intervals by
/// `mean ± q_h`, where `q_h` is the `⌈(k + 1)·level/100⌉`-th smallest of the `k` absolute
/// backtest errors at step `h` (`abs_errors[h][origin]`, the largest when `k` is too small).
/// Steps beyond the backtest horizon use the last step's errors scaled by `√(h / H)`.
#[must_use]
pub fn conformal(forecast: &Forecast, abs_errors: &[Vec<f64>], levels: &[f64]) -> Forecast {
    let h = forecast.mean.len();
    let big_h = abs_errors.len();
    let intervals = levels
        .iter()
        .map(|&level| {
            let q: Vec<f64> = (0..h)
                .map(|i| {
                    if big_h == 0 {
                        return f64::NAN;
                    }
                    let (row, scale) =
                        if i < big_h { (&abs_errors[i], 1.0) } else { (&abs_errors[big_h - 1], ((i + 1) as f64 / big_h as f64).sqrt()) };
                    conformal_quantile(row, level) * scale
                })
                .collect();
            Interval {
                level,
                lo: forecast.mean.iter().zip(&q).map(|(m, q)| m - q).collect(),
                hi: forecast.mean.iter().zip(&q).map(|(m, q)| m + q).collect(),
            }
        })
        .collect();
    Forecast { model: forecast.model.clone(), mean: forecast.mean.clone(), intervals }
}

/// The `⌈(k + 1)·level/100⌉`-th smallest of `k` scores (the largest when that exceeds `k`; NaN
/// when there are none).
#[must_use]
pub fn conformal_quantile(scores: &[f64], level: f64) -> f64 {
    let mut s: Vec<f64> = scores.iter().copied().filter(|v| v.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let k = s.len();
    let rank = (((k + 1) as f64) * level / 100.0).ceil() as usize;
    s[rank.clamp(1, k) - 1]
}

#[cfg(test)]
mod eval;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_step_by_the_horizon_when_there_is_room() {
        assert_eq!(origin_lengths(30, 1, 3, 3), vec![21, 24, 27]);
        // 12 observations, min 8, horizon 3: room 1 < 6 -> step 1, two origins.
        assert_eq!(origin_lengths(12, 1, 3, 3), vec![8, 9]);
        // 13: room 2 < 6 -> step 1: origins 8, 9, 10.
        assert_eq!(origin_lengths(13, 1, 3, 3), vec![8, 9, 10]);
        assert!(origin_lengths(10, 1, 3, 3).is_empty());
        assert_eq!(origin_lengths(60, 12, 12, 2), vec![36, 48]);
    }

    #[test]
    fn backtest_scores_match_hand_computation() {
        // A straight line: drift is perfect, naive is off by 1, 2 per step.
        let x: Vec<f64> = (0..14).map(|t| 10.0 + t as f64).collect();
        let r = backtest(&[ModelKind::Drift, ModelKind::Naive], &Series::new(&x, 1), 2, 2).unwrap();
        assert_eq!(r.origins, vec![10, 12]);
        assert_eq!(r.benchmark, ModelKind::Naive);
        let d = r.score(ModelKind::Drift).unwrap();
        assert!(d.mase.abs() < 1e-9 && d.smape.abs() < 1e-9);
        let nv = r.score(ModelKind::Naive).unwrap();
        // MAE 1.5, scale 1 -> MASE 1.5 at both origins.
        assert!((nv.mase - 1.5).abs() < 1e-12);
        // sMAPE: origin 10 (last 19): 200/39, 400/40; origin 12 (last 21): 200/43, 400/44.
        let s = ((200.0 / 39.0 + 400.0 / 40.0) / 2.0 + (200.0 / 43.0 + 400.0 / 44.0) / 2.0) / 2.0;
        assert!((nv.smape - s).abs() < 1e-9);
        assert_eq!(nv.abs_errors, vec![vec![1.0, 1.0], vec![2.0, 2.0]]);
        assert!((d.relative_mase).abs() < 1e-9);
        assert_eq!(r.ranking()[0], ModelKind::Drift);
        // Naive's residuals are all 1, so sigma = 1: step 1 is inside the 80% interval
        // (1 < 1.28), step 2 is not (2 > 1.28 * sqrt(2) = 1.81); at 95% both are (2 < 2.77).
        assert!((nv.coverage_80 - 0.5).abs() < 1e-12);
        assert!((nv.coverage_95 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn auto_picks_the_best_and_falls_back() {
        let x: Vec<f64> = (0..30).map(|t| 5.0 + 2.0 * t as f64 + if t % 2 == 0 { 0.3 } else { -0.3 }).collect();
        let sel = auto(
            &Series::new(&x, 1),
            3,
            &AutoOptions { kinds: vec![ModelKind::Naive, ModelKind::Drift], origins: 3, policy: Policy::Best },
        )
        .unwrap();
        assert_eq!(sel.info.kind, ModelKind::Drift);
        assert_eq!(sel.info.reason, SelectionReason::BestBacktest);
        // Too short for a backtest: the length rule; whatever fails falls through to naive.
        let short = [1.0, 2.0, 3.0];
        let sel = auto(&Series::new(&short, 1), 3, &AutoOptions::default()).unwrap();
        assert_eq!(sel.info.kind, ModelKind::Naive);
        assert_eq!(sel.fitted.forecast(1, &[]).unwrap().mean, vec![3.0]);
    }

    #[test]
    fn auto_with_every_default_candidate_gives_a_finite_forecast() {
        // AirPassengers 1949–1954: whatever the models do, the report lists every candidate and
        // the selection forecasts finite values with ordered bounds.
        let x = [
            112., 118., 132., 129., 121., 135., 148., 148., 136., 119., 104., 118., 115., 126., 141., 135., 125., 149., 170., 170., 158.,
            133., 114., 140., 145., 150., 178., 163., 172., 178., 199., 199., 184., 162., 146., 166., 171., 180., 193., 181., 183., 218.,
            230., 242., 209., 191., 172., 194., 196., 196., 236., 235., 229., 243., 264., 272., 237., 211., 180., 201., 204., 188., 235.,
            227., 234., 264., 302., 293., 259., 229., 203., 229.,
        ];
        let sel = auto(&Series::new(&x, 12), 12, &AutoOptions::default()).unwrap();
        let report = sel.info.backtest.as_ref().unwrap();
        assert_eq!(report.origins, vec![36, 48, 60]);
        assert_eq!(report.models.len(), default_candidates(12).len());
        let snaive = report.score(ModelKind::SeasonalNaive).unwrap();
        assert!((snaive.relative_mase - 1.0).abs() < 1e-12);
        let f = sel.forecast(12, &[80.0, 95.0], IntervalMethod::Calibrated).unwrap();
        assert!(f.mean.iter().all(|v| v.is_finite() && *v > 100.0), "{f:?}");
        for i in &f.intervals {
            assert!(i.lo.iter().zip(&f.mean).zip(&i.hi).all(|((l, m), h)| l <= m && m <= h));
        }
    }

    #[test]
    fn regressors_reach_every_family() {
        // A line with a +10 step during periods 20..=24 and again at 41 (in the horizon).
        let n = 40;
        let dummy: Vec<f64> = (0..n + 3).map(|t| if (20..25).contains(&t) || t == n + 1 { 1.0 } else { 0.0 }).collect();
        let y: Vec<f64> = (0..n).map(|t| 3.0 + 0.5 * t as f64 + 10.0 * dummy[t]).collect();
        let x = crate::Xreg { names: vec!["lockdown".into()], columns: vec![dummy] };
        let s = Series { values: &y, season: 1, xreg: Some(&x) };
        let sel = auto(&s, 3, &AutoOptions { kinds: vec![ModelKind::Naive, ModelKind::Drift], origins: 3, policy: Policy::Best }).unwrap();
        assert_eq!(sel.info.kind, ModelKind::Drift);
        assert_eq!(sel.info.model, "Drift + xreg(lockdown)");
        let f = sel.forecast(3, &[80.0], IntervalMethod::Model).unwrap();
        // Adjusted line 3 + 0.5 t continues: 23, 23.5 (+10), 24.
        for (got, want) in f.mean.iter().zip([23.0, 33.5, 24.0]) {
            assert!((got - want).abs() < 1e-8, "{f:?}");
        }
    }

    #[test]
    fn mixture_quantile_pools_the_model_and_the_backtest() {
        let (z80, z95) = (z_for_level(80.0), z_for_level(95.0));
        // No backtest: the model's own.
        assert_eq!(mixture_quantile(&[], 95.0, 0.0), z95);
        // Backtest errors distributed as the model says (|Z| at i/100), counted as 99 independent
        // ones: the model's z.
        let like_model: Vec<f64> = (1..100).map(|i| z_for_level(f64::from(i))).collect();
        assert!((mixture_quantile(&like_model, 80.0, 99.0) - z80).abs() < 0.03);
        assert!((mixture_quantile(&like_model, 95.0, 99.0) - z95).abs() < 0.05);
        // Errors all 0.5 sd, 39 effective: ½(2Φ(u) − 1) + ½·39/40 = 0.8 → 2Φ(u) − 1 = 0.625, between
        // the backtest's 0.5 and the model's z80.
        let small = vec![0.5; 39];
        let u = mixture_quantile(&small, 80.0, 39.0);
        assert!((u - z_for_level(62.5)).abs() < 1e-9, "{u}");
        assert!(0.5 < u && u < z80);
        // Fewer effective scores widen: the same 39 errors from 3 windows.
        assert!(mixture_quantile(&small, 80.0, 3.0) > u);
        // Errors all 3 sd: below 3 the normal half alone cannot reach 80%, so 3 at both levels.
        let big = vec![3.0; 39];
        assert_eq!(mixture_quantile(&big, 80.0, 39.0), 3.0);
        assert_eq!(mixture_quantile(&big, 95.0, 39.0), 3.0);
        // Four scores cannot speak for 95% (4/5 < 0.9): the wider of z95 and the largest.
        assert_eq!(mixture_quantile(&[0.5; 4], 95.0, 4.0), z95);
        assert_eq!(mixture_quantile(&[0.1, 2.5, 0.3, 0.2], 95.0, 4.0), 2.5);
        // Monotone in the level.
        let mixed: Vec<f64> = (0..40).map(|i| 0.1 * f64::from(i)).collect();
        let us: Vec<f64> = [50.0, 80.0, 90.0, 95.0, 99.0].iter().map(|&l| mixture_quantile(&mixed, l, 20.0)).collect();
        assert!(us.windows(2).all(|w| w[0] <= w[1]), "{us:?}");
        // 3 windows of 12 steps count as 3·12^0.6 ≈ 13.3 independent scores.
        assert!((effective_scores(3, 12) - 3.0 * 12f64.powf(0.6)).abs() < 1e-12);
    }

    #[test]
    fn calibrated_intervals_scale_the_model_sd() {
        let fc = Forecast {
            model: "m".into(),
            mean: vec![10.0, 10.0],
            intervals: crate::stats::normal_intervals(&[10.0, 10.0], &[1.0, 2.0], &[95.0]),
        };
        // 3 windows of 13 steps, every error 3 sd.
        let scores = ConformalScores { abs_errors: vec![vec![3.0; 3]; 13], std_errors: vec![3.0; 39] };
        let out = calibrated(&fc, &scores, &[80.0, 95.0]);
        assert_eq!(out.mean, fc.mean);
        let i80 = out.interval(80.0).unwrap();
        assert!((i80.hi[0] - 13.0).abs() < 1e-9 && (i80.lo[1] - 4.0).abs() < 1e-9, "{i80:?}");
        assert_eq!(IntervalMethod::default(), IntervalMethod::Calibrated);
    }

    #[test]
    fn the_mean_of_the_best_reuses_the_combinations_member_fits() {
        let x: Vec<f64> = (0..72u32).map(|t| 50.0 + 0.8 * f64::from(t) + 6.0 * f64::from(t % 12).cos() + f64::from((t * 31) % 7)).collect();
        let s = Series::new(&x, 12);
        let kinds = vec![ModelKind::Ets, ModelKind::Theta, ModelKind::Combination];
        let sel = auto(&s, 6, &AutoOptions { kinds: kinds.clone(), origins: 3, policy: Policy::MeanOfBest(3) }).unwrap();
        let mut members = sel.info.members.clone();
        members.sort();
        assert_eq!(members, vec![ModelKind::Ets, ModelKind::Theta, ModelKind::Combination]);
        // The same numbers as fitting each on its own.
        let got = sel.forecast(6, &[80.0], IntervalMethod::Model).unwrap();
        let each: Vec<Forecast> = kinds.iter().map(|k| fit_kind(*k, &s).unwrap().forecast(6, &[80.0]).unwrap()).collect();
        let want = combine_forecasts(&each).unwrap();
        for (g, w) in got.mean.iter().zip(&want.mean).chain(got.intervals[0].hi.iter().zip(&want.intervals[0].hi)) {
            assert!((g - w).abs() < 1e-9 * w.abs().max(1.0), "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn short_series_are_backtested_on_the_steps_they_allow() {
        assert_eq!(backtest_horizon(120, 12, 12), Some(12));
        assert_eq!(backtest_horizon(30, 12, 12), Some(6));
        assert_eq!(backtest_horizon(24, 12, 12), None);
        // 12 yearly values, horizon 6: a 4-step backtest (8 to train) ranks and calibrates.
        let x: Vec<f64> = (0..12).map(|t| 100.0 + 3.0 * f64::from(t) + if t % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let sel = auto(&Series::new(&x, 1), 6, &AutoOptions::default()).unwrap();
        assert_eq!(sel.info.reason, SelectionReason::BestBacktest);
        assert_eq!(sel.info.backtest.as_ref().unwrap().horizon, 4);
        let f = sel.forecast(6, &[80.0, 95.0], IntervalMethod::Calibrated).unwrap();
        assert_eq!(f.mean.len(), 6);
    }

    #[test]
    fn conformal_quantiles_follow_the_split_conformal_rank() {
        let e: Vec<f64> = (1..=19).map(f64::from).collect();
        // k = 19: 80% -> ceil(20 * 0.8) = 16th smallest; 95% -> 19th.
        assert_eq!(conformal_quantile(&e, 80.0), 16.0);
        assert_eq!(conformal_quantile(&e, 95.0), 19.0);
        assert_eq!(conformal_quantile(&[3.0, 1.0], 95.0), 3.0);
        let fc = Forecast { model: "x".into(), mean: vec![10.0, 10.0, 10.0], intervals: Vec::new() };
        let c = conformal(&fc, &[vec![1.0, 2.0, 3.0], vec![4.0, 4.0, 8.0]], &[50.0]);
        // k = 3, 50%: ceil(4 * 0.5) = 2nd smallest.
        assert_eq!(c.intervals[0].hi[0], 12.0);
        assert_eq!(c.intervals[0].lo[1], 6.0);
        assert!((c.intervals[0].hi[2] - (10.0 + 4.0 * 1.5f64.sqrt())).abs() < 1e-12);
        // Scaled: the model's 95% interval implies sd 1 then 2; scores 0.1..=1.9 (19 of them):
        // the 80% quantile is the 16th, 1.6.
        let z = z_for_level(95.0);
        let fc = Forecast {
            model: "x".into(),
            mean: vec![10.0, 20.0],
            intervals: vec![Interval { level: 95.0, lo: vec![10.0 - z, 20.0 - 2.0 * z], hi: vec![10.0 + z, 20.0 + 2.0 * z] }],
        };
        let scores: Vec<f64> = (1..=19).map(|i| f64::from(i) / 10.0).collect();
        let c = conformal_scaled(&fc, &scores, &[80.0]);
        assert!((c.intervals[0].hi[0] - 11.6).abs() < 1e-12);
        assert!((c.intervals[0].lo[1] - (20.0 - 3.2)).abs() < 1e-12);
    }
}
