//! Prediction intervals: exact variances for the linear models (class 1 of Hyndman et al. 2008),
//! the class-2 approximation for multiplicative errors with additive or no season, and seeded
//! simulation for multiplicative seasons (class 3).

use super::model::{Component, Form, Smoothing, State};
use crate::stats::normal_intervals;
use crate::Interval;

/// Sample paths simulated for class-3 intervals.
const PATHS: usize = 5000;

/// Intervals at each of `levels` around `mean` (the point forecasts from `last`).
pub(crate) fn intervals(form: Form, p: Smoothing, last: &State, sigma2: f64, mean: &[f64], levels: &[f64]) -> Vec<Interval> {
    let h = mean.len();
    let sigma2 = if sigma2.is_finite() { sigma2.max(0.0) } else { 0.0 };
    if form.season == Component::Multiplicative {
        return simulated(form, p, last, sigma2, h, levels);
    }
    let c = psi_weights(form, p, last.season.len(), h);
    let variances: Vec<f64> = if form.error == Component::Additive {
        let mut acc = 0.0;
        (0..h)
            .map(|i| {
                let v = sigma2 * (1.0 + acc);
                acc += c[i] * c[i];
                v
            })
            .collect()
    } else {
        let mut theta = Vec::with_capacity(h);
        for k in 0..h {
            let sum: f64 = (0..k).map(|j| c[j] * c[j] * theta[k - 1 - j]).sum();
            theta.push(mean[k] * mean[k] + sigma2 * sum);
        }
        (0..h).map(|k| ((1.0 + sigma2) * theta[k] - mean[k] * mean[k]).max(0.0)).collect()
    };
    let sd: Vec<f64> = variances.iter().map(|v| v.sqrt()).collect();
    normal_intervals(mean, &sd, levels)
}

/// `c_j = w′ F^{j−1} g` for `j = 1..h` of the linear innovations form (`c[0]` is `c_1`).
fn psi_weights(form: Form, p: Smoothing, m: usize, h: usize) -> Vec<f64> {
    let seasonal = form.has_season() && m > 0;
    let mut level = p.alpha;
    let mut trend = if form.has_trend() { p.beta } else { 0.0 };
    let phi = if form.has_trend() { p.phi } else { 0.0 };
    let mut season = vec![0.0; if seasonal { m } else { 0 }];
    if seasonal {
        season[0] = p.gamma;
    }
    let mut out = Vec::with_capacity(h);
    for _ in 0..h {
        let s_next = if seasonal { season[m - 1] } else { 0.0 };
        out.push(level + phi * trend + s_next);
        level += phi * trend;
        trend *= phi;
        if seasonal {
            season.rotate_right(1);
        }
    }
    out
}

/// A small, fast generator (xorshift64*) so simulated intervals are reproducible.
struct XorShift(u64);

impl XorShift {
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform on (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A pair of independent standard normals (Marsaglia's polar method: no trigonometry).
    fn normal_pair(&mut self) -> (f64, f64) {
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = (-2.0 * s.ln() / s).sqrt();
                return (u * factor, v * factor);
            }
        }
    }
}

/// Quantiles of simulated future paths (R's `quantile` type 7).
fn simulated(form: Form, p: Smoothing, last: &State, sigma2: f64, h: usize, levels: &[f64]) -> Vec<Interval> {
    let sigma = sigma2.sqrt();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    // `paths[step * PATHS + path]`: one contiguous block of outcomes per horizon step.
    let mut paths = vec![0.0; h * PATHS];
    let m = last.season.len().max(1);
    let mut ring = vec![0.0; m];
    let mut normals = Vec::with_capacity(h + 1);
    for path in 0..PATHS {
        // Innovations for the whole path first, two per Box–Muller draw.
        normals.clear();
        while normals.len() < h {
            let (a, b) = rng.normal_pair();
            normals.push(sigma * a);
            normals.push(sigma * b);
        }
        let (mut l, mut b) = (last.level, last.trend);
        // `ring[(head + j) % m]` is seasonal state `j`, as in `model::run`.
        ring.iter_mut().zip(last.season.iter().chain(std::iter::repeat(&0.0))).for_each(|(r, s)| *r = *s);
        let mut head = 0usize;
        for (step, &e) in normals.iter().take(h).enumerate() {
            let idx = if head == 0 { m - 1 } else { head - 1 };
            let phib = if form.has_trend() { p.phi * b } else { 0.0 };
            let q = l + phib;
            let old_s = ring[idx];
            let f = match form.season {
                Component::None => q,
                Component::Additive => q + old_s,
                Component::Multiplicative => q * old_s,
            };
            let y = if form.error == Component::Multiplicative { f * (1.0 + e) } else { f + e };
            paths[step * PATHS + path] = y;
            let deseasonalised = match form.season {
                Component::None => y,
                Component::Additive => y - old_s,
                Component::Multiplicative => y / old_s,
            };
            let new_l = q + p.alpha * (deseasonalised - q);
            if form.has_trend() {
                b = phib + (p.beta / p.alpha) * (new_l - l - phib);
            }
            if form.has_season() {
                let t = match form.season {
                    Component::Multiplicative => y / q,
                    _ => y - q,
                };
                ring[idx] = old_s + p.gamma * (t - old_s);
                head = idx;
            }
            l = new_l;
        }
    }
    // R's `quantile` type 7 from two order statistics, found by selection rather than sorting.
    let quantile = |values: &mut [f64], q: f64| -> f64 {
        let pos = q * (values.len() - 1) as f64;
        let k = pos.floor() as usize;
        let (_, at, above) = values.select_nth_unstable_by(k, f64::total_cmp);
        let lo = *at;
        let hi = above.iter().copied().fold(f64::INFINITY, f64::min);
        if hi.is_finite() {
            lo + (pos - k as f64) * (hi - lo)
        } else {
            lo
        }
    };
    let mut out: Vec<Interval> =
        levels.iter().map(|&level| Interval { level, lo: Vec::with_capacity(h), hi: Vec::with_capacity(h) }).collect();
    for column in paths.chunks_mut(PATHS) {
        for interval in &mut out {
            interval.lo.push(quantile(column, 0.5 - interval.level / 200.0));
            interval.hi.push(quantile(column, 0.5 + interval.level / 200.0));
        }
    }
    out
}
