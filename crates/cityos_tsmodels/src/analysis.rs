//! Outliers and changepoints, for explaining a series to an analyst.
//!
//! **Outliers** (in the spirit of R's `forecast::tsoutliers`): the series is split into trend,
//! season and remainder, either by STL ([`crate::decompose::stl`]) or by a robust backfitting
//! decomposition (local linear trend over two seasons, mean seasonal profile, bisquare
//! robustness weights as STL's outer loop); a point is an outlier when its remainder lies more than
//! `threshold` robust standard deviations (1.4826 × the median absolute deviation; 4.5 by
//! default) from the
//! remainders' median. The suggested replacement is trend + seasonal there.
//!
//! **Changepoints**: PELT (Killick et al. 2012) for changes in the mean of a normal series with
//! the BIC penalty `2 ln n` (R `changepoint::cpt.mean(method = "PELT", penalty = "BIC")`), the
//! variance estimated robustly from the first differences (`σ = 1.4826 MAD(Δx) / √2`), so it is
//! not inflated by the shifts themselves. Trend changes are changes in the mean of the seasonally
//! adjusted series' first differences (those beyond 3 robust σ replaced by the median, so a level
//! shift does not count);
//! level changes are mean shifts of the adjusted series less that piecewise linear trend. A
//! level change's `before`/`after` are the detrended segment means, so their difference is the
//! size of the jump.

use serde::{Deserialize, Serialize};

use crate::FitError;

/// How the remainder for outlier detection is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlierMethod {
    /// STL when the series has two full seasons and STL succeeds, else the robust backfitting
    /// decomposition.
    #[default]
    Auto,
    /// The robust backfitting decomposition only (no STL).
    SeasonalMedian,
}

/// Settings for [`outliers`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OutlierOptions {
    /// Robust standard deviations beyond which a point is an outlier (default 4.5, close to
    /// `tsoutliers`' 3 × IQR fence, which lies about 4.7 σ from the median for normal data).
    pub threshold: f64,
    /// Decomposition used.
    pub method: OutlierMethod,
}

impl Default for OutlierOptions {
    fn default() -> Self {
        OutlierOptions { threshold: 4.5, method: OutlierMethod::Auto }
    }
}

/// An unusual observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlier {
    /// Position in the series (0 = oldest).
    pub index: usize,
    /// The observed value.
    pub value: f64,
    /// What trend and season suggest instead (a replacement value).
    pub expected: f64,
    /// Robust z-score of the remainder (signed).
    pub score: f64,
}

/// What changed at a changepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The level (mean of the seasonally adjusted series).
    Level,
    /// The trend (mean change per period).
    Trend,
}

/// A change in level or trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changepoint {
    /// First period of the new regime.
    pub index: usize,
    /// Level or trend.
    pub kind: ChangeKind,
    /// Mean level (or change per period) of the segment before.
    pub before: f64,
    /// Mean level (or change per period) of the segment after.
    pub after: f64,
}

/// A decomposition `x = trend + seasonal + remainder`.
#[derive(Debug, Clone, PartialEq)]
struct Parts {
    trend: Vec<f64>,
    seasonal: Vec<f64>,
}

fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Median absolute deviation from the median, scaled by 1.4826 to estimate a normal σ.
fn robust_sd(v: &[f64]) -> f64 {
    let m = median(v);
    let dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    1.4826 * median(&dev)
}

/// Weighted local linear fit over `[t − half, t + half]` (clipped at the ends), evaluated at each
/// `t`; exact for straight lines, so the ends are not biased by a trend.
fn local_linear(y: &[f64], weights: &[f64], half: usize) -> Vec<f64> {
    let n = y.len();
    (0..n)
        .map(|t| {
            let (a, b) = (t.saturating_sub(half), (t + half).min(n - 1));
            let (mut sw, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for i in a..=b {
                let w = weights[i];
                let x = i as f64 - t as f64;
                sw += w;
                sx += w * x;
                sy += w * y[i];
                sxx += w * x * x;
                sxy += w * x * y[i];
            }
            if sw <= 0.0 {
                return y[t];
            }
            let det = sw * sxx - sx * sx;
            if det.abs() <= 1e-12 * sw * sxx.max(1.0) {
                return sy / sw;
            }
            // Intercept of the weighted regression at x = 0 (the point t itself).
            (sy * sxx - sx * sxy) / det
        })
        .collect()
}

/// The robust decomposition (see the module documentation): backfitting of a local linear trend
/// (a window of two seasons, or 7 periods without seasonality) and a seasonal profile (the
/// weighted mean per season position), with bisquare robustness weights from the remainders
/// (`6 × median |r|`, as STL), so outliers stop pulling the trend and the profile.
fn seasonal_median_parts(x: &[f64], season: usize) -> Parts {
    let n = x.len();
    let m = season.max(1);
    let seasonal_on = m > 1 && n >= 2 * m;
    let half = if seasonal_on { m } else { 3 };
    let mut weights = vec![1.0; n];
    let mut seasonal = vec![0.0; n];
    let mut trend = vec![0.0; n];
    for outer in 0..4 {
        for _ in 0..if outer == 0 { 8 } else { 3 } {
            let adjusted: Vec<f64> = x.iter().zip(&seasonal).map(|(a, b)| a - b).collect();
            trend = local_linear(&adjusted, &weights, half);
            if seasonal_on {
                let mut profile = vec![0.0; m];
                for (i, p) in profile.iter_mut().enumerate() {
                    let (mut sw, mut s) = (0.0, 0.0);
                    for t in (i..n).step_by(m) {
                        sw += weights[t];
                        s += weights[t] * (x[t] - trend[t]);
                    }
                    *p = if sw > 1e-9 {
                        s / sw
                    } else {
                        let v: Vec<f64> = (i..n).step_by(m).map(|t| x[t] - trend[t]).collect();
                        median(&v)
                    };
                }
                let mean = profile.iter().sum::<f64>() / m as f64;
                for (t, s) in seasonal.iter_mut().enumerate() {
                    *s = profile[t % m] - mean;
                }
            }
        }
        let rem: Vec<f64> = (0..n).map(|t| (x[t] - trend[t] - seasonal[t]).abs()).collect();
        let h = 6.0 * median(&rem);
        if h.is_nan() || h <= 0.0 {
            break;
        }
        for (w, r) in weights.iter_mut().zip(&rem) {
            let u = r / h;
            *w = if u < 1.0 { (1.0 - u * u).powi(2) } else { 0.0 };
        }
    }
    Parts { trend, seasonal }
}

fn parts(x: &[f64], season: usize, method: OutlierMethod) -> Parts {
    let m = season.max(1);
    if method == OutlierMethod::Auto && m > 1 && x.len() >= 2 * m {
        if let Ok(d) = crate::decompose::stl(x, m) {
            if d.trend.len() == x.len() {
                let mut seasonal = vec![0.0; x.len()];
                for (_, s) in &d.seasonal {
                    seasonal.iter_mut().zip(s).for_each(|(a, b)| *a += b);
                }
                return Parts { trend: d.trend, seasonal };
            }
        }
    }
    seasonal_median_parts(x, m)
}

/// Finds outliers (see the module documentation). Fewer than 5 observations give none.
///
/// # Errors
/// [`FitError::NonFinite`] for a NaN or infinite value.
pub fn outliers(values: &[f64], season: usize, options: &OutlierOptions) -> Result<Vec<Outlier>, FitError> {
    if values.iter().any(|v| !v.is_finite()) {
        return Err(FitError::NonFinite);
    }
    if values.len() < 5 {
        return Ok(Vec::new());
    }
    let p = parts(values, season, options.method);
    let fit: Vec<f64> = p.trend.iter().zip(&p.seasonal).map(|(a, b)| a + b).collect();
    let rem: Vec<f64> = values.iter().zip(&fit).map(|(x, f)| x - f).collect();
    let (med, sd) = (median(&rem), robust_sd(&rem));
    if sd.is_nan() || sd <= 0.0 {
        return Ok(Vec::new());
    }
    Ok(rem
        .iter()
        .enumerate()
        .filter_map(|(t, r)| {
            let z = (r - med) / sd;
            (z.abs() > options.threshold).then_some(Outlier { index: t, value: values[t], expected: fit[t], score: z })
        })
        .collect())
}

/// PELT for changes in mean with cost `Σ (x − mean)² / σ²` per segment, penalty `penalty` per
/// change and segments of at least `min_segment` points. Returns the first index of each new
/// segment, ascending.
#[must_use]
pub fn pelt_mean(x: &[f64], sigma2: f64, penalty: f64, min_segment: usize) -> Vec<usize> {
    let n = x.len();
    let ms = min_segment.max(1);
    if n < 2 * ms || sigma2.is_nan() || sigma2 <= 0.0 {
        return Vec::new();
    }
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for t in 0..n {
        s1[t + 1] = s1[t] + x[t];
        s2[t + 1] = s2[t] + x[t] * x[t];
    }
    let cost = |a: usize, b: usize| -> f64 {
        let k = (b - a) as f64;
        let s = s1[b] - s1[a];
        ((s2[b] - s2[a]) - s * s / k).max(0.0) / sigma2
    };
    // f[t]: optimal cost of x[..t]; last[t]: start of its final segment.
    let mut f = vec![f64::INFINITY; n + 1];
    let mut last = vec![0usize; n + 1];
    f[0] = -penalty;
    let mut candidates: Vec<usize> = vec![0];
    for t in ms..=n {
        let mut best = f64::INFINITY;
        let mut arg = 0;
        let mut vals = Vec::with_capacity(candidates.len());
        for &s in &candidates {
            let v = if t - s >= ms { f[s] + cost(s, t) + penalty } else { f64::INFINITY };
            vals.push(v);
            if v < best {
                best = v;
                arg = s;
            }
        }
        f[t] = best;
        last[t] = arg;
        // Prune candidates that can never be optimal again (keep those still too close to t).
        let keep: Vec<usize> =
            candidates.iter().zip(&vals).filter(|(s, v)| t - **s < ms || **v - penalty <= best).map(|(s, _)| *s).collect();
        candidates = keep;
        candidates.push(t);
    }
    let mut cps = Vec::new();
    let mut t = n;
    while t > 0 {
        let s = last[t];
        if s > 0 {
            cps.push(s);
        }
        t = s;
    }
    cps.reverse();
    cps
}

/// Robust noise variance from first differences: `(1.4826 MAD(Δx) / √2)²`, falling back to a tiny
/// share of the variance when the differences are mostly zero.
fn noise_variance(x: &[f64]) -> f64 {
    let d: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let s = robust_sd(&d) / std::f64::consts::SQRT_2;
    if s > 0.0 {
        return s * s;
    }
    let scale = x.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1.0);
    (scale * 1e-6).powi(2)
}

fn segment_means(x: &[f64], cps: &[usize]) -> Vec<f64> {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cps);
    bounds.push(x.len());
    bounds.windows(2).map(|w| x[w[0]..w[1]].iter().sum::<f64>() / (w[1] - w[0]) as f64).collect()
}

/// Finds changes in level and in trend (see the module documentation). Fewer than 8
/// observations give none.
///
/// # Errors
/// [`FitError::NonFinite`] for a NaN or infinite value.
pub fn changepoints(values: &[f64], season: usize) -> Result<Vec<Changepoint>, FitError> {
    if values.iter().any(|v| !v.is_finite()) {
        return Err(FitError::NonFinite);
    }
    let n = values.len();
    if n < 8 {
        return Ok(Vec::new());
    }
    let p = seasonal_median_parts(values, season);
    let adjusted: Vec<f64> = values.iter().zip(&p.seasonal).map(|(x, s)| x - s).collect();
    let penalty = 2.0 * (n as f64).ln();
    let mut out = Vec::new();
    // Trend: mean changes of the first differences, those beyond 3 robust σ replaced by the
    // median so that a level shift
    // (one outlying difference) does not look like a change of slope.
    let diffs: Vec<f64> = adjusted.windows(2).map(|w| w[1] - w[0]).collect();
    let (dm, ds) = (median(&diffs), robust_sd(&diffs));
    let clipped: Vec<f64> = diffs.iter().map(|d| if ds > 0.0 && (d - dm).abs() > 3.0 * ds { dm } else { *d }).collect();
    let trend = pelt_mean(&clipped, noise_variance(&clipped), penalty, 4);
    let slopes = segment_means(&clipped, &trend);
    for (i, &c) in trend.iter().enumerate() {
        // Difference d[c] = x[c + 1] − x[c]: the new slope starts after period c.
        out.push(Changepoint { index: c, kind: ChangeKind::Trend, before: slopes[i], after: slopes[i + 1] });
    }
    // Level: mean shifts of the series less the piecewise linear trend just found.
    let mut bounds = vec![0];
    bounds.extend_from_slice(&trend);
    let mut g = 0.0;
    let mut detrended = Vec::with_capacity(n);
    for (t, x) in adjusted.iter().enumerate() {
        detrended.push(x - g);
        let seg = bounds.iter().rposition(|&b| b <= t).unwrap_or(0);
        g += slopes.get(seg).copied().unwrap_or(0.0);
    }
    let level = pelt_mean(&detrended, noise_variance(&detrended), penalty, 3);
    let means = segment_means(&detrended, &level);
    for (i, &c) in level.iter().enumerate() {
        out.push(Changepoint { index: c, kind: ChangeKind::Level, before: means[i], after: means[i + 1] });
    }
    out.sort_by_key(|c| c.index);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic small noise in [-0.5, 0.5].
    fn noise(t: usize) -> f64 {
        ((t as f64 * 12.9898).sin() * 43_758.545_3).rem_euclid(1.0) - 0.5
    }

    #[test]
    fn finds_a_spike_in_a_seasonal_series() {
        let mut x: Vec<f64> = (0..48).map(|t| 100.0 + 0.5 * t as f64 + 10.0 * ((t % 12) as f64 - 5.5).abs() + noise(t)).collect();
        x[30] += 25.0;
        let o = outliers(&x, 12, &OutlierOptions { method: OutlierMethod::SeasonalMedian, ..OutlierOptions::default() }).unwrap();
        assert_eq!(o.iter().map(|o| o.index).collect::<Vec<_>>(), vec![30], "{o:?}");
        assert!(o[0].score > 3.0);
        assert!((o[0].value - o[0].expected - 25.0).abs() < 4.0, "{o:?}");
        // The default goes through STL; the spike stands out there too.
        let o = outliers(&x, 12, &OutlierOptions::default()).unwrap();
        assert!(o.iter().any(|o| o.index == 30), "{o:?}");
        let clean: Vec<f64> = (0..48).map(|t| 100.0 + noise(t)).collect();
        assert!(outliers(&clean, 1, &OutlierOptions::default()).unwrap().is_empty());
    }

    #[test]
    fn pelt_finds_mean_shifts() {
        let x: Vec<f64> = (0..60).map(|t| if t < 25 { 10.0 } else if t < 40 { 14.0 } else { 9.0 } + 0.6 * noise(t)).collect();
        let cps = pelt_mean(&x, noise_variance(&x), 2.0 * 60f64.ln(), 3);
        assert_eq!(cps, vec![25, 40]);
        assert!(pelt_mean(&x[..24], noise_variance(&x[..24]), 2.0 * 24f64.ln(), 3).is_empty());
    }

    #[test]
    fn changepoints_separate_level_and_trend() {
        // Level jump of +20 at 30 on a flat series; a slope change at 40 in a second series.
        let x: Vec<f64> = (0..60).map(|t| if t < 30 { 50.0 } else { 70.0 } + noise(t)).collect();
        let c = changepoints(&x, 1).unwrap();
        let level: Vec<&Changepoint> = c.iter().filter(|c| c.kind == ChangeKind::Level).collect();
        assert_eq!(level.len(), 1, "{c:?}");
        assert_eq!(level[0].index, 30);
        assert!((level[0].after - level[0].before - 20.0).abs() < 0.5);
        assert!(c.iter().all(|c| c.kind == ChangeKind::Level), "{c:?}");
        let y: Vec<f64> = (0..80).map(|t| if t < 40 { t as f64 } else { 40.0 + 3.0 * (t - 40) as f64 } + 0.3 * noise(t)).collect();
        let c = changepoints(&y, 1).unwrap();
        let trend: Vec<&Changepoint> = c.iter().filter(|c| c.kind == ChangeKind::Trend).collect();
        assert_eq!(trend.len(), 1, "{c:?}");
        assert!((trend[0].index as i64 - 40).abs() <= 1, "{c:?}");
        assert!((trend[0].before - 1.0).abs() < 0.1 && (trend[0].after - 3.0).abs() < 0.1);
    }
}
