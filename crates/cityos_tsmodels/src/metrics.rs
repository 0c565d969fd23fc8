//! Forecast accuracy as the M4 competition defines it: sMAPE, MASE and OWA against Naive2, and
//! interval coverage and the mean scaled interval score (MSIS).
//!
//! All functions take the actual values and the forecasts over the same horizon; per-series
//! scores are then averaged over a set of series by [`Owa`].

use serde::{Deserialize, Serialize};

/// Symmetric MAPE in percent, as M4: `mean(200 |y − f| / (|y| + |f|))` (terms with
/// `|y| + |f| = 0` count as 0). NaN when there are no pairs.
#[must_use]
pub fn smape(actual: &[f64], forecast: &[f64]) -> f64 {
    let n = actual.len().min(forecast.len());
    if n == 0 {
        return f64::NAN;
    }
    let s: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(y, f)| {
            let d = y.abs() + f.abs();
            if d == 0.0 {
                0.0
            } else {
                200.0 * (y - f).abs() / d
            }
        })
        .sum();
    s / n as f64
}

/// The MASE scale of a history: the in-sample mean absolute error of the seasonal naive
/// forecast, `mean_{t ≥ m} |x_t − x_{t−m}|` (M4 uses the series' frequency as `m`; when the
/// history is not longer than `m`, lag 1 is used). An exactly periodic history has a seasonal
/// error of zero, which would make every MASE infinite and every model tie; there the lag-1 error
/// is used instead (competition series never reach this case). NaN below two observations; zero
/// only for a constant history.
#[must_use]
pub fn mase_scale(history: &[f64], season: usize) -> f64 {
    let n = history.len();
    let lag_error = |m: usize| (m..n).map(|t| (history[t] - history[t - m]).abs()).sum::<f64>() / (n - m) as f64;
    let m = if season.max(1) < n { season.max(1) } else { 1 };
    if n <= m {
        return f64::NAN;
    }
    let seasonal = lag_error(m);
    if seasonal == 0.0 && m > 1 {
        return lag_error(1);
    }
    seasonal
}

/// Mean absolute scaled error: the forecast's mean absolute error over [`mase_scale`]. Infinite
/// or NaN when the history is constant.
#[must_use]
pub fn mase(history: &[f64], season: usize, actual: &[f64], forecast: &[f64]) -> f64 {
    mae(actual, forecast) / mase_scale(history, season)
}

/// Mean absolute error (NaN when there are no pairs).
#[must_use]
pub fn mae(actual: &[f64], forecast: &[f64]) -> f64 {
    let n = actual.len().min(forecast.len());
    if n == 0 {
        return f64::NAN;
    }
    actual.iter().zip(forecast).map(|(y, f)| (y - f).abs()).sum::<f64>() / n as f64
}

/// Share of actual values inside `[lo, hi]` (0 to 1; NaN when there are none).
#[must_use]
pub fn coverage(actual: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
    let n = actual.len().min(lo.len()).min(hi.len());
    if n == 0 {
        return f64::NAN;
    }
    (0..n).filter(|&i| actual[i] >= lo[i] && actual[i] <= hi[i]).count() as f64 / n as f64
}

/// Mean scaled interval score (M4) of a `level`% interval: `mean(hi − lo + (2/α)(lo − y)·[y <
/// lo] + (2/α)(y − hi)·[y > hi]) / scale`, with `α = 1 − level/100` and `scale` from
/// [`mase_scale`].
#[must_use]
pub fn msis(history: &[f64], season: usize, actual: &[f64], lo: &[f64], hi: &[f64], level: f64) -> f64 {
    let n = actual.len().min(lo.len()).min(hi.len());
    if n == 0 {
        return f64::NAN;
    }
    let a = 1.0 - level / 100.0;
    let s: f64 = (0..n)
        .map(|i| {
            let y = actual[i];
            let mut v = hi[i] - lo[i];
            if y < lo[i] {
                v += 2.0 / a * (lo[i] - y);
            }
            if y > hi[i] {
                v += 2.0 / a * (y - hi[i]);
            }
            v
        })
        .sum();
    s / n as f64 / mase_scale(history, season)
}

/// Accumulates per-series sMAPE and MASE of a method and of Naive2 over a set of series and
/// gives the M4 overall weighted average: `OWA = ½ (mean sMAPE / mean sMAPE_Naive2 + mean MASE
/// / mean MASE_Naive2)`. Series whose MASE is not finite (constant history) are skipped whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Owa {
    /// Sum of the method's sMAPE.
    pub smape_sum: f64,
    /// Sum of the method's MASE.
    pub mase_sum: f64,
    /// Sum of Naive2's sMAPE.
    pub naive2_smape_sum: f64,
    /// Sum of Naive2's MASE.
    pub naive2_mase_sum: f64,
    /// Series counted.
    pub count: usize,
}

impl Owa {
    /// Adds one series: its history (for the MASE scale), season, actual future values, the
    /// method's forecast and Naive2's forecast. Returns whether the series was counted.
    pub fn add(&mut self, history: &[f64], season: usize, actual: &[f64], forecast: &[f64], naive2: &[f64]) -> bool {
        let (s, m) = (smape(actual, forecast), mase(history, season, actual, forecast));
        let (sn, mn) = (smape(actual, naive2), mase(history, season, actual, naive2));
        if ![s, m, sn, mn].iter().all(|v| v.is_finite()) {
            return false;
        }
        self.smape_sum += s;
        self.mase_sum += m;
        self.naive2_smape_sum += sn;
        self.naive2_mase_sum += mn;
        self.count += 1;
        true
    }

    /// Mean sMAPE of the method.
    #[must_use]
    pub fn smape(&self) -> f64 {
        self.smape_sum / self.count as f64
    }

    /// Mean MASE of the method.
    #[must_use]
    pub fn mase(&self) -> f64 {
        self.mase_sum / self.count as f64
    }

    /// The overall weighted average relative to Naive2 (1 = as good as Naive2, lower is better).
    #[must_use]
    pub fn owa(&self) -> f64 {
        0.5 * (self.smape_sum / self.naive2_smape_sum + self.mase_sum / self.naive2_mase_sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smape_and_mase_match_hand_values() {
        let y = [100.0, 110.0];
        let f = [90.0, 121.0];
        // 200*10/190 = 10.526315789, 200*11/231 = 9.523809524
        assert!((smape(&y, &f) - (10.526_315_789_473_685 + 9.523_809_523_809_524) / 2.0).abs() < 1e-12);
        assert_eq!(smape(&[0.0], &[0.0]), 0.0);
        let hist = [1.0, 2.0, 4.0, 3.0, 5.0, 8.0];
        // season 2: |4-1|,|3-2|,|5-4|,|8-3| = 3,1,1,5 -> 2.5
        assert!((mase_scale(&hist, 2) - 2.5).abs() < 1e-12);
        assert!((mase(&hist, 2, &y, &f) - 10.5 / 2.5).abs() < 1e-12);
        // A season longer than the history falls back to lag 1.
        assert!((mase_scale(&hist[..2], 4) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn coverage_and_msis() {
        let y = [1.0, 5.0, 10.0];
        let lo = [0.0, 0.0, 0.0];
        let hi = [2.0, 4.0, 12.0];
        assert!((coverage(&y, &lo, &hi) - 2.0 / 3.0).abs() < 1e-12);
        // widths 2,4,12 and one miss by 1 at alpha 0.05: 2/0.05 = 40 -> (2+44+12)/3 = 19.333
        let hist = [1.0, 2.0, 3.0];
        assert!((msis(&hist, 1, &y, &lo, &hi, 95.0) - 58.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn owa_is_relative_to_naive2_over_the_set() {
        let mut o = Owa::default();
        let hist = [10.0, 11.0, 12.0, 13.0];
        assert!(o.add(&hist, 1, &[14.0, 15.0], &[14.0, 15.0], &[13.0, 13.0]));
        assert!(o.add(&hist, 1, &[12.0, 12.0], &[13.0, 13.0], &[13.0, 13.0]));
        assert!(!o.add(&[5.0, 5.0], 1, &[5.0], &[5.0], &[5.0]));
        assert_eq!(o.count, 2);
        let n2_s = smape(&[14.0, 15.0], &[13.0, 13.0]) + smape(&[12.0, 12.0], &[13.0, 13.0]);
        let m_s = smape(&[12.0, 12.0], &[13.0, 13.0]);
        // MASE: method 0 + 1, Naive2 1.5 + 1.
        let expected = 0.5 * (m_s / n2_s + 1.0 / 2.5);
        assert!((o.owa() - expected).abs() < 1e-12);
        assert!((o.mase() - 0.5).abs() < 1e-12);
    }
}
