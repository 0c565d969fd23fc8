//! Benchmarks every forecast must beat: naive, seasonal naive, naive with drift, and Naive2
//! (naive on data seasonally adjusted by classical multiplicative decomposition when a 90%
//! autocorrelation test finds seasonality, as defined for the M4 competition).
//!
//! Point forecasts and intervals follow R's `forecast::naive`, `snaive` and `rwf(drift = TRUE)`
//! (`lagwalk`): the residual scale is the root mean square of the lag-`m` differences (for drift,
//! the standard deviation of the first differences around their mean), and the forecast standard
//! error grows with the number of full seasons ahead, `σ √k` (for drift, `σ √(h + h² / (n − 1))`,
//! which adds the drift estimate's uncertainty).
//!
//! The M4 seasonality test and classical decomposition are written here ([`seasonality_test`],
//! [`classical_seasonal_indices`]) rather than taken from [`crate::decompose`], whose
//! multiplicative indices are neutral as soon as a value is not positive: the M4 benchmark code
//! (R's `decompose`) divides by the trend whatever the sign, and Tourism has series with zeros,
//! where the two differ (Naive2's sMAPE on a sixth of Tourism monthly: 23.9 here, 26.7 there).

use crate::stats::{acf, z_for_level};
use crate::{FitError, Fitted, Forecast, Interval, Series};

/// Which baseline a [`BaselineFit`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Naive,
    SeasonalNaive,
    Drift,
    Naive2,
}

/// A fitted baseline.
#[derive(Debug, Clone)]
pub struct BaselineFit {
    name: String,
    method: Method,
    /// The series the walk runs on (seasonally adjusted for Naive2).
    walk: Vec<f64>,
    /// The lag of the walk (the season for seasonal naive, else 1).
    lag: usize,
    /// Drift per period (0 unless drift).
    drift: f64,
    /// Standard error of the drift estimate.
    drift_se: f64,
    /// One-step residual standard deviation of the walk.
    sigma: f64,
    /// Seasonal indices to multiply back (Naive2), indexed by `t mod m` from the series start.
    indices: Option<Vec<f64>>,
    /// Observations, to compute fitted values on the original scale.
    n: usize,
}

/// Last value carried forward.
///
/// # Errors
/// [`FitError::TooShort`] for an empty series.
pub fn naive(series: &Series<'_>) -> Result<BaselineFit, FitError> {
    series.check()?;
    Ok(walk_fit("Naive", Method::Naive, series.values.to_vec(), 1, None))
}

/// The value of the same season one cycle earlier (naive when `season` is 1 or the series is
/// shorter than one season).
///
/// # Errors
/// [`FitError::TooShort`] for an empty series.
pub fn seasonal_naive(series: &Series<'_>) -> Result<BaselineFit, FitError> {
    series.check()?;
    let m = series.season.max(1);
    if m == 1 || series.values.len() < m {
        return Ok(walk_fit("Naive", Method::Naive, series.values.to_vec(), 1, None));
    }
    Ok(walk_fit(&format!("SeasonalNaive[{m}]"), Method::SeasonalNaive, series.values.to_vec(), m, None))
}

/// Naive plus the average change over the history.
///
/// # Errors
/// [`FitError::TooShort`] below two observations.
pub fn drift(series: &Series<'_>) -> Result<BaselineFit, FitError> {
    series.check()?;
    let x = series.values;
    let n = x.len();
    if n < 2 {
        return Err(FitError::TooShort { needed: 2, got: n });
    }
    let diffs: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let k = diffs.len() as f64;
    let b = diffs.iter().sum::<f64>() / k;
    // lm(diff(x) ~ 1): residual standard error with k − 1 degrees of freedom.
    let sigma = if diffs.len() > 1 { (diffs.iter().map(|d| (d - b).powi(2)).sum::<f64>() / (k - 1.0)).sqrt() } else { 0.0 };
    let mut fit = walk_fit("Drift", Method::Drift, x.to_vec(), 1, None);
    fit.drift = b;
    fit.drift_se = sigma / k.sqrt();
    fit.sigma = sigma;
    Ok(fit)
}

/// The M4 competition's Naive2: when the series has at least three seasons and passes the 90%
/// autocorrelation test at the seasonal lag, naive on the series divided by classical
/// multiplicative seasonal indices, multiplied back; otherwise naive.
///
/// # Errors
/// [`FitError::TooShort`] for an empty series.
pub fn naive2(series: &Series<'_>) -> Result<BaselineFit, FitError> {
    series.check()?;
    let x = series.values;
    let m = series.season.max(1);
    if m > 1 && seasonality_test(x, m) {
        if let Some(idx) = classical_seasonal_indices(x, m) {
            let adjusted: Vec<f64> = x.iter().enumerate().map(|(t, v)| v / idx[t % m]).collect();
            if adjusted.iter().all(|v| v.is_finite()) {
                return Ok(walk_fit("Naive2", Method::Naive2, adjusted, 1, Some(idx)));
            }
        }
    }
    Ok(walk_fit("Naive2", Method::Naive2, x.to_vec(), 1, None))
}

/// The M4 seasonality test: with at least `3 m` observations, whether the autocorrelation at
/// lag `m` exceeds `1.645 √((1 + 2 Σ_{k<m} r_k²) / n)` (90%, Bartlett's variance), as the
/// competition's R benchmark code (`SeasonalityTest`).
#[must_use]
pub fn seasonality_test(x: &[f64], m: usize) -> bool {
    let n = x.len();
    if m < 2 || n < 3 * m {
        return false;
    }
    let r = acf(x, m);
    let s: f64 = r[1..m].iter().map(|v| v * v).sum();
    let limit = 1.645 * ((1.0 + 2.0 * s) / n as f64).sqrt();
    r[m].abs() > limit
}

/// Classical multiplicative seasonal indices (R's `decompose(type = "multiplicative")`): the
/// centred moving average of order `m` as trend, the mean ratio to it per season position,
/// normalised to mean 1. Index `i` belongs to periods `t` with `t mod m == i` counted from the
/// series start. `None` when there are fewer than `2 m` observations or a ratio is undefined.
#[must_use]
pub fn classical_seasonal_indices(x: &[f64], m: usize) -> Option<Vec<f64>> {
    let n = x.len();
    if m < 2 || n < 2 * m {
        return None;
    }
    let half = m / 2;
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for t in half..n - half {
        let trend = if m.is_multiple_of(2) {
            (0.5 * x[t - half] + x[t - half + 1..t + half].iter().sum::<f64>() + 0.5 * x[t + half]) / m as f64
        } else {
            x[t - half..=t + half].iter().sum::<f64>() / m as f64
        };
        if trend == 0.0 {
            return None;
        }
        sums[t % m] += x[t] / trend;
        counts[t % m] += 1;
    }
    if counts.contains(&0) {
        return None;
    }
    let figure: Vec<f64> = sums.iter().zip(&counts).map(|(s, &c)| s / c as f64).collect();
    let avg = figure.iter().sum::<f64>() / m as f64;
    let out: Vec<f64> = figure.iter().map(|f| f / avg).collect();
    (out.iter().all(|v| v.is_finite() && *v != 0.0)).then_some(out)
}

fn walk_fit(name: &str, method: Method, walk: Vec<f64>, lag: usize, indices: Option<Vec<f64>>) -> BaselineFit {
    let n = walk.len();
    // sqrt(mean(diff(x, lag)^2)) as forecast's lagwalk without drift.
    let sigma = if n > lag {
        let ss: f64 = (lag..n).map(|t| (walk[t] - walk[t - lag]).powi(2)).sum();
        (ss / (n - lag) as f64).sqrt()
    } else {
        0.0
    };
    BaselineFit { name: name.to_string(), method, walk, lag, drift: 0.0, drift_se: 0.0, sigma, indices, n }
}

impl BaselineFit {
    fn index(&self, t: usize) -> f64 {
        self.indices.as_ref().map_or(1.0, |idx| idx[t % idx.len()])
    }
}

impl Fitted for BaselineFit {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn fitted(&self) -> Vec<f64> {
        (0..self.n).map(|t| if t < self.lag { f64::NAN } else { (self.walk[t - self.lag] + self.drift) * self.index(t) }).collect()
    }

    fn forecast(&self, horizon: usize, levels: &[f64]) -> Result<Forecast, FitError> {
        if levels.iter().any(|l| !(*l > 0.0 && *l < 100.0)) {
            return Err(FitError::InvalidInput("interval levels must lie strictly between 0 and 100".into()));
        }
        let n = self.n;
        let lag = self.lag;
        let mut mean = Vec::with_capacity(horizon);
        let mut se = Vec::with_capacity(horizon);
        for h in 1..=horizon {
            // Full seasons ahead: the same-season value `k` cycles back.
            let k = (h - 1) / lag + 1;
            let base = self.walk[n - lag + (h - 1) % lag];
            let hf = h as f64;
            let s = match self.method {
                Method::Drift => (self.sigma.powi(2) * hf + (hf * self.drift_se).powi(2)).sqrt(),
                _ => self.sigma * (k as f64).sqrt(),
            };
            let idx = self.index(n + h - 1);
            mean.push((base + self.drift * hf) * idx);
            se.push(s * idx);
        }
        let intervals = levels
            .iter()
            .map(|&level| {
                let z = z_for_level(level);
                Interval {
                    level,
                    lo: mean.iter().zip(&se).map(|(m, s)| m - z * s).collect(),
                    hi: mean.iter().zip(&se).map(|(m, s)| m + z * s).collect(),
                }
            })
            .collect();
        Ok(Forecast { model: self.name.clone(), mean, intervals })
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "sigma": self.sigma, "drift": self.drift, "seasonal_indices": self.indices })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    /// AirPassengers 1949–1952 (48 months).
    const AIR: [f64; 48] = [
        112., 118., 132., 129., 121., 135., 148., 148., 136., 119., 104., 118., 115., 126., 141., 135., 125., 149., 170., 170., 158., 133.,
        114., 140., 145., 150., 178., 163., 172., 178., 199., 199., 184., 162., 146., 166., 171., 180., 193., 181., 183., 218., 230., 242.,
        209., 191., 172., 194.,
    ];

    #[test]
    fn naive_matches_forecast_naive() {
        let x = [10.0, 12.0, 11.0, 15.0, 14.0];
        let f = naive(&Series::new(&x, 1)).unwrap().forecast(3, &[80.0, 95.0]).unwrap();
        assert_eq!(f.mean, vec![14.0, 14.0, 14.0]);
        // sigma = sqrt((4 + 1 + 16 + 1) / 4) = sqrt(5.5)
        let s = 5.5f64.sqrt();
        let i95 = f.interval(95.0).unwrap();
        assert!(close(i95.hi[0], 14.0 + 1.959_964 * s, 1e-6));
        assert!(close(i95.lo[2], 14.0 - 1.959_964 * s * 3f64.sqrt(), 1e-6));
    }

    #[test]
    fn seasonal_naive_repeats_the_last_season_with_growing_steps() {
        let x: Vec<f64> = AIR.to_vec();
        let fit = seasonal_naive(&Series::new(&x, 12)).unwrap();
        let f = fit.forecast(14, &[80.0]).unwrap();
        assert_eq!(&f.mean[..12], &AIR[36..48]);
        assert_eq!(f.mean[12], AIR[36]);
        // R: snaive(ts(AIR, frequency=12)): sigma = sqrt(mean(diff(x, 12)^2)) (36 differences)
        let ss: f64 = (12..48).map(|t| (AIR[t] - AIR[t - 12]).powi(2)).sum::<f64>() / 36.0;
        assert!(close(fit.sigma, ss.sqrt(), 1e-12));
        assert!(close(fit.sigma, 25.708_839_811, 1e-9), "{}", fit.sigma);
        let i80 = f.interval(80.0).unwrap();
        assert!(close(i80.hi[12] - f.mean[12], 1.281_552 * fit.sigma * 2f64.sqrt(), 1e-6));
        assert!(fit.fitted()[11].is_nan());
        assert_eq!(fit.fitted()[12], AIR[0]);
    }

    #[test]
    fn drift_matches_rwf() {
        // rwf(c(1,3,2,5,6,8), h = 2, drift = TRUE, level = 95)
        let x = [1.0, 3.0, 2.0, 5.0, 6.0, 8.0];
        let f = drift(&Series::new(&x, 1)).unwrap().forecast(2, &[95.0]).unwrap();
        assert!(close(f.mean[0], 9.4, 1e-12));
        assert!(close(f.mean[1], 10.8, 1e-12));
        // diffs 2,-1,3,1,2: mean 1.4, sd = sqrt(((.6)^2+(2.4)^2+(1.6)^2+(.4)^2+(.6)^2)/4) = sqrt(2.3)
        let s = 2.3f64.sqrt();
        let se2 = s * (2.0 + 4.0 / 5.0f64).sqrt();
        assert!(close(f.intervals[0].hi[1], 10.8 + 1.959_964 * se2, 1e-6));
    }

    #[test]
    fn naive2_matches_m4_reference() {
        // Reference: statsmodels' seasonal_decompose(model="multiplicative", period=4), which
        // equals R's decompose() used by the M4 benchmark code; acf(4) = 0.8412 > limit 0.3631.
        let x: Vec<f64> = (0..40)
            .map(|t| (50.0 + 0.5 * t as f64) * (1.0 + 0.3 * (2.0 * std::f64::consts::PI * t as f64 / 4.0).sin()) + ((t * 7) % 5) as f64)
            .collect();
        assert!(seasonality_test(&x, 4));
        let idx = classical_seasonal_indices(&x, 4).unwrap();
        let expected = [1.001_299_481_597_598_4, 1.288_631_404_179_915_8, 1.002_850_830_983_231_4, 0.707_218_283_239_254_6];
        for (a, b) in idx.iter().zip(expected) {
            assert!(close(*a, b, 1e-10), "{idx:?}");
        }
        let f = naive2(&Series::new(&x, 4)).unwrap().forecast(5, &[]).unwrap();
        let last = x[39] / expected[3];
        for h in 0..5 {
            assert!(close(f.mean[h], last * expected[h % 4], 1e-10));
        }
        // AirPassengers' first four years: acf(12) = 0.4010 < limit 0.5824, so plain naive.
        assert!(!seasonality_test(&AIR, 12));
        let f = naive2(&Series::new(&AIR, 12)).unwrap().forecast(2, &[]).unwrap();
        assert_eq!(f.mean, vec![194.0, 194.0]);
    }

    #[test]
    fn naive2_keeps_a_zero_as_r_decompose_does() {
        // R's decompose(type = "multiplicative") (re-implemented in numpy: 2x4 MA, colMeans of
        // x / trend, normalised) on the same series with one zero.
        let mut x: Vec<f64> = (0..40)
            .map(|t| (50.0 + 0.5 * t as f64) * (1.0 + 0.3 * (2.0 * std::f64::consts::PI * t as f64 / 4.0).sin()) + ((t * 7) % 5) as f64)
            .collect();
        x[5] = 0.0;
        let idx = classical_seasonal_indices(&x, 4).unwrap();
        for (a, b) in idx.iter().zip([1.055_838_23, 1.151_364_84, 1.054_834_58, 0.737_962_34]) {
            assert!(close(*a, b, 1e-8), "{idx:?}");
        }
        let f = naive2(&Series::new(&x, 4)).unwrap().forecast(2, &[]).unwrap();
        assert!(close(f.mean[0], 73.898_140_55, 1e-8) && close(f.mean[1], 80.584_049_86, 1e-8), "{f:?}");
    }

    #[test]
    fn naive2_without_seasonality_is_naive() {
        let x: Vec<f64> = (0..40).map(|t| 100.0 + t as f64).collect();
        assert!(!seasonality_test(&x[..20], 12)); // fewer than 3 seasons
        let f = naive2(&Series::new(&x[..20], 12)).unwrap().forecast(2, &[]).unwrap();
        assert_eq!(f.mean, vec![119.0, 119.0]);
    }
}
