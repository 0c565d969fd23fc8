//! Small statistics the models share.

/// Arithmetic mean (NaN for an empty slice).
#[must_use]
pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample variance with `n - 1` in the denominator (NaN below two values).
#[must_use]
pub fn variance(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64
}

/// The least-squares line through `(1, x₁), …, (n, xₙ)` as `(intercept at t = 0, slope)`; the
/// slope is 0 below two values.
#[must_use]
pub fn least_squares_line(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean_t = (n + 1.0) / 2.0;
    let mean_x = mean(x);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in x.iter().enumerate() {
        let dt = (i + 1) as f64 - mean_t;
        sxy += dt * (v - mean_x);
        sxx += dt * dt;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (mean_x - slope * mean_t, slope)
}

/// Solves `a x = b` (`a` row-major `k × k`, both overwritten) by Gaussian elimination with
/// partial pivoting; `None` when a pivot is below `min_pivot` in absolute value.
pub(crate) fn solve_linear(a: &mut [f64], b: &mut [f64], k: usize, min_pivot: f64) -> Option<Vec<f64>> {
    for c in 0..k {
        let piv = (c..k).max_by(|&x, &y| a[x * k + c].abs().total_cmp(&a[y * k + c].abs()))?;
        if a[piv * k + c].abs() < min_pivot {
            return None;
        }
        if piv != c {
            for j in 0..k {
                a.swap(c * k + j, piv * k + j);
            }
            b.swap(c, piv);
        }
        for i in c + 1..k {
            let f = a[i * k + c] / a[c * k + c];
            if f != 0.0 {
                for j in c..k {
                    a[i * k + j] -= f * a[c * k + j];
                }
                b[i] -= f * b[c];
            }
        }
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|j| a[i * k + j] * x[j]).sum();
        x[i] = (b[i] - s) / a[i * k + i];
    }
    Some(x)
}

/// Normal prediction intervals `mean ± z·sd` for each level (percent), in the order given.
#[must_use]
pub fn normal_intervals(mean: &[f64], sd: &[f64], levels: &[f64]) -> Vec<crate::Interval> {
    scaled_intervals(mean, sd, levels, z_for_level)
}

/// Intervals `mean ± u(level)·sd` for each level (percent), in the order given: the normal ones
/// with `u = z`, recalibrated ones with a multiplier learnt from backtest errors.
#[must_use]
pub fn scaled_intervals(mean: &[f64], sd: &[f64], levels: &[f64], multiplier: impl Fn(f64) -> f64) -> Vec<crate::Interval> {
    levels
        .iter()
        .map(|&level| {
            let u = multiplier(level);
            crate::Interval {
                level,
                lo: mean.iter().zip(sd).map(|(m, s)| m - u * s).collect(),
                hi: mean.iter().zip(sd).map(|(m, s)| m + u * s).collect(),
            }
        })
        .collect()
}

/// Autocorrelation of `x` at lags `0..=max_lag` (biased estimator, as R's `acf`).
#[must_use]
pub fn acf(x: &[f64], max_lag: usize) -> Vec<f64> {
    let n = x.len();
    let m = mean(x);
    let denom: f64 = x.iter().map(|v| (v - m).powi(2)).sum();
    (0..=max_lag)
        .map(|k| {
            if k >= n || denom == 0.0 {
                return 0.0;
            }
            (k..n).map(|t| (x[t] - m) * (x[t - k] - m)).sum::<f64>() / denom
        })
        .collect()
}

/// The standard normal quantile function (inverse CDF), accurate to about 1e-7
/// (Acklam's rational approximation refined by one Halley step).
#[must_use]
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] =
        [-5.447_609_879_822_406e1, 1.615_858_368_580_409e2, -1.556_989_798_598_866e2, 6.680_131_188_771_972e1, -1.328_068_155_288_572e1];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let low = 0.024_25;
    let x = if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step against erfc.
    let e = 0.5 * erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// The standard normal CDF.
#[must_use]
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The z value of a two-sided interval at `level` percent (1.2816 for 80, 1.96 for 95).
#[must_use]
pub fn z_for_level(level: f64) -> f64 {
    normal_quantile(0.5 + level / 200.0)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7).
#[must_use]
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07 + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
pub(crate) mod testdata;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_match_tables() {
        assert!((z_for_level(95.0) - 1.959_964).abs() < 1e-5);
        assert!((z_for_level(80.0) - 1.281_552).abs() < 1e-5);
        assert!((normal_quantile(0.001) + 3.090_232).abs() < 1e-5);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
    }

    #[test]
    fn least_squares_line_matches_a_hand_fit() {
        // lm(y ~ t) for t = 1..5: intercept 0.3, slope 1.9.
        let (a, b) = least_squares_line(&[2.0, 4.5, 6.0, 7.5, 10.0]);
        assert!((a - 0.3).abs() < 1e-12 && (b - 1.9).abs() < 1e-12, "{a} {b}");
        assert_eq!(least_squares_line(&[4.0]), (4.0, 0.0));
    }

    #[test]
    fn solves_a_pivoting_system() {
        let mut a = vec![0.0, 2.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0];
        let mut b = vec![5.0, 5.0, 12.0];
        let x = solve_linear(&mut a, &mut b, 3, 1e-12).unwrap();
        for (got, want) in x.iter().zip([1.0, 1.0, 3.0]) {
            assert!((got - want).abs() < 1e-12, "{x:?}");
        }
        assert!(solve_linear(&mut [1.0, 2.0, 2.0, 4.0], &mut [1.0, 2.0], 2, 1e-12).is_none());
    }

    #[test]
    fn normal_intervals_are_symmetric_about_the_mean() {
        let iv = normal_intervals(&[10.0, 20.0], &[1.0, 2.0], &[95.0, 80.0]);
        assert_eq!(iv.iter().map(|i| i.level).collect::<Vec<_>>(), vec![95.0, 80.0]);
        assert!((iv[0].lo[1] - (20.0 - 2.0 * 1.959_964)).abs() < 1e-5 && (iv[0].hi[0] - 11.959_964).abs() < 1e-5);
        assert!((iv[1].hi[1] - (20.0 + 2.0 * 1.281_552)).abs() < 1e-5);
    }

    #[test]
    fn acf_of_a_seasonal_series_peaks_at_the_season() {
        let x: Vec<f64> = (0..48).map(|t| ((t % 12) as f64 * 0.5).sin()).collect();
        let r = acf(&x, 12);
        assert!((r[0] - 1.0).abs() < 1e-12);
        assert!(r[12] > 0.6, "{r:?}");
    }
}
