//! How many differences: KPSS tests for `d` (as `forecast::ndiffs`) and the STL seasonal
//! strength for `D` (as `forecast::nsdiffs(test = "seas")`), from [`crate::decompose::stl_with`]
//! (seasonal window 11, seasonal degree 0, no robustness).

use super::model::diff;

/// Whether every value equals the first.
pub(crate) fn is_constant(x: &[f64]) -> bool {
    x.iter().all(|v| *v == x[0])
}

/// The KPSS level-stationarity statistic with `floor(3√n / 13)` Bartlett lags.
pub(crate) fn kpss_stat(x: &[f64]) -> f64 {
    let n = x.len();
    let lags = (3.0 * (n as f64).sqrt() / 13.0).floor() as usize;
    let mean = crate::stats::mean(x);
    let e: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let mut s = 0.0;
    let mut eta = 0.0;
    for v in &e {
        s += v;
        eta += s * s;
    }
    eta /= (n * n) as f64;
    let mut s_hat: f64 = e.iter().map(|v| v * v).sum();
    for i in 1..=lags.min(n.saturating_sub(1)) {
        let dot: f64 = (i..n).map(|t| e[t] * e[t - i]).sum();
        s_hat += 2.0 * (1.0 - i as f64 / (lags as f64 + 1.0)) * dot;
    }
    s_hat /= n as f64;
    eta / s_hat
}

/// Non-seasonal differences needed: KPSS at 5% (critical value 0.463), at most `max_d`.
pub(crate) fn ndiffs(x: &[f64], max_d: usize) -> usize {
    let mut d = 0;
    if x.len() < 2 || is_constant(x) {
        return 0;
    }
    let mut x = x.to_vec();
    let test = |x: &[f64]| {
        let s = kpss_stat(x);
        if s.is_finite() {
            Some(s > 0.463)
        } else {
            None
        }
    };
    let Some(mut dodiff) = test(&x) else { return 0 };
    while dodiff && d < max_d {
        d += 1;
        x = diff(&x, 1);
        if x.len() < 2 || is_constant(&x) {
            return d;
        }
        match test(&x) {
            Some(v) => dodiff = v,
            None => return d - 1,
        }
    }
    d
}

/// Seasonal differences needed: 1 when the STL seasonal strength exceeds 0.64.
pub(crate) fn nsdiffs(x: &[f64], m: usize) -> usize {
    if m <= 1 || is_constant(x) || m >= x.len() {
        return 0;
    }
    match seasonal_strength(x, m) {
        Some(s) if s > 0.64 => 1,
        _ => 0,
    }
}

/// `max(0, min(1, 1 - var(R) / var(R + S)))` from an STL decomposition with `s.window = 11`.
pub(crate) fn seasonal_strength(x: &[f64], m: usize) -> Option<f64> {
    if x.len() < 2 * m {
        return None;
    }
    // statsforecast's `seas_heuristic`: statsmodels' STL with seasonal window 11 and a
    // degree-0 seasonal LOESS, not robust.
    let options = crate::decompose::StlOptions { seasonal_deg: 0, ..crate::decompose::StlOptions::for_period(m, 11) };
    let d = crate::decompose::stl_with(x, m, &options).ok()?;
    let (rem, seasonal) = (&d.remainder, &d.seasonal.first()?.1);
    let rs: Vec<f64> = rem.iter().zip(seasonal).map(|(r, s)| r + s).collect();
    let vr = crate::stats::variance(rem);
    let vrs = crate::stats::variance(&rs);
    if vrs.is_nan() || vrs <= 0.0 {
        return None;
    }
    Some((1.0 - vr / vrs).clamp(0.0, 1.0))
}
