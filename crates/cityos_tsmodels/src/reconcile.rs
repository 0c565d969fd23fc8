//! Hierarchical reconciliation, so ward forecasts add up to the city's: bottom-up and MinT
//! (minimum trace, with the shrinkage covariance estimator of Wickramasuriya et al. 2019).
//!
//! The hierarchy is two levels: a parent (the city) and its children (the wards), the parent
//! being the sum of the children. Series are ordered `[parent, child 1, …, child k]`, so the
//! summing matrix is `S = [1ᵀ; I_k]`.
//!
//! MinT reconciles base forecasts `ŷ` as `ỹ = S (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹ ŷ`, where `W` is the
//! covariance of the in-sample one-step residuals shrunk towards its diagonal with the
//! Schäfer–Strimmer intensity, computed exactly as `hierarchicalforecast`'s
//! `MinTrace(method="mint_shrink")` (its `_shrunk_covariance_schaferstrimmer_no_nans`, with the
//! same `2e-8` guards and the diagonal floored at the ridge `2e-8`). Time points where any
//! residual is missing are left out of the covariance.
//!
//! The small linear algebra (a Cholesky solve of a symmetric positive definite system) is
//! written here; [`solve_spd`] is public for the other modules of this crate.

use serde::{Deserialize, Serialize};

use crate::FitError;

/// The ridge that floors the shrunk covariance's diagonal (as `hierarchicalforecast`).
pub const MINT_SHRINK_RIDGE: f64 = 2e-8;

/// Reconciled forecasts: the parent equals the sum of the children at every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reconciled {
    /// The parent's forecasts.
    pub parent: Vec<f64>,
    /// Each child's forecasts, in the order given.
    pub children: Vec<Vec<f64>>,
    /// The shrinkage intensity towards the diagonal (MinT only; 1 = diagonal only).
    pub shrinkage: Option<f64>,
}

/// Bottom-up: the children's forecasts as they are, the parent as their sum.
///
/// # Errors
/// [`FitError::InvalidInput`] without children or with children of different lengths.
pub fn bottom_up(children: &[Vec<f64>]) -> Result<Reconciled, FitError> {
    let h = horizon_of(children)?;
    let parent = (0..h).map(|t| children.iter().map(|c| c[t]).sum()).collect();
    Ok(Reconciled { parent, children: children.to_vec(), shrinkage: None })
}

fn horizon_of(children: &[Vec<f64>]) -> Result<usize, FitError> {
    let first = children.first().ok_or_else(|| FitError::InvalidInput("a hierarchy needs at least one child".into()))?;
    if children.iter().any(|c| c.len() != first.len()) {
        return Err(FitError::InvalidInput("the children's forecasts differ in length".into()));
    }
    Ok(first.len())
}

/// The Schäfer–Strimmer shrunk covariance of `residuals` (`residuals[series][time]`, complete
/// time points only) and the shrinkage intensity `λ` (off-diagonals are scaled by `1 − λ`).
///
/// # Errors
/// [`FitError::TooShort`] with fewer than two complete time points.
pub fn shrunk_covariance(residuals: &[Vec<f64>]) -> Result<(Vec<Vec<f64>>, f64), FitError> {
    let k = residuals.len();
    let len = residuals.iter().map(Vec::len).min().unwrap_or(0);
    let rows: Vec<usize> = (0..len).filter(|&t| residuals.iter().all(|r| r[t].is_finite())).collect();
    let n = rows.len();
    if n < 2 {
        return Err(FitError::TooShort { needed: 2, got: n });
    }
    let eps = 2e-8;
    let nf = n as f64;
    // Centred residuals and their standardised versions (population sd, as numpy's std).
    let centred: Vec<Vec<f64>> = residuals
        .iter()
        .map(|r| {
            let m = rows.iter().map(|&t| r[t]).sum::<f64>() / nf;
            rows.iter().map(|&t| r[t] - m).collect()
        })
        .collect();
    let standard: Vec<Vec<f64>> = centred
        .iter()
        .map(|x| {
            let sd = (x.iter().map(|v| v * v).sum::<f64>() / nf).sqrt();
            let xs: Vec<f64> = x.iter().map(|v| v / (sd + eps)).collect();
            let m = xs.iter().sum::<f64>() / nf;
            xs.iter().map(|v| v - m).collect()
        })
        .collect();
    let mut w = vec![vec![0.0; k]; k];
    let (mut sum_var, mut sum_sq) = (0.0, 0.0);
    for i in 0..k {
        for j in 0..=i {
            let c = centred[i].iter().zip(&centred[j]).map(|(a, b)| a * b).sum::<f64>() / (nf - 1.0);
            w[i][j] = c;
            w[j][i] = c;
            if i != j {
                let prod: Vec<f64> = standard[i].iter().zip(&standard[j]).map(|(a, b)| a * b).collect();
                let pm = prod.iter().sum::<f64>() / nf;
                sum_var += prod.iter().map(|v| (v - pm).powi(2)).sum::<f64>();
                sum_sq += pm * pm;
            }
        }
    }
    let lambda = ((sum_var / (nf * (nf - 1.0))) / (sum_sq + eps)).clamp(0.0, 1.0);
    for (i, row) in w.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            if i == j {
                *v = v.max(MINT_SHRINK_RIDGE);
            } else {
                *v *= 1.0 - lambda;
            }
        }
    }
    Ok((w, lambda))
}

/// MinT with shrinkage. `parent` and `children` are the base forecasts (one value per horizon
/// step); `parent_residuals` and `children_residuals` their in-sample one-step residuals over the
/// same time points (NaN where undefined).
///
/// # Errors
/// [`FitError::InvalidInput`] on mismatched lengths, [`FitError::TooShort`] with fewer than two
/// complete residual time points, [`FitError::Failed`] when the covariance is singular.
pub fn mint_shrink(
    parent: &[f64],
    children: &[Vec<f64>],
    parent_residuals: &[f64],
    children_residuals: &[Vec<f64>],
) -> Result<Reconciled, FitError> {
    let h = horizon_of(children)?;
    let k = children.len();
    if parent.len() != h || children_residuals.len() != k {
        return Err(FitError::InvalidInput("the parent and the children do not match".into()));
    }
    let mut residuals = Vec::with_capacity(k + 1);
    residuals.push(parent_residuals.to_vec());
    residuals.extend(children_residuals.iter().cloned());
    let (w, lambda) = shrunk_covariance(&residuals)?;
    // W⁻¹ S, column by column: column j of S is e_0 + e_{j+1}.
    let singular = || FitError::Failed("the residual covariance is singular".into());
    let mut winv_s: Vec<Vec<f64>> = Vec::with_capacity(k);
    for j in 0..k {
        let mut col = vec![0.0; k + 1];
        col[0] = 1.0;
        col[j + 1] = 1.0;
        winv_s.push(solve_spd(&w, &col).ok_or_else(singular)?);
    }
    // A = Sᵀ W⁻¹ S (k × k): A[i][j] = S[:, i] · (W⁻¹ S)[:, j].
    let a: Vec<Vec<f64>> = (0..k).map(|i| (0..k).map(|j| winv_s[j][0] + winv_s[j][i + 1]).collect()).collect();
    let mut rec_children = vec![vec![0.0; h]; k];
    for t in 0..h {
        let mut y = Vec::with_capacity(k + 1);
        y.push(parent[t]);
        y.extend(children.iter().map(|c| c[t]));
        // b = Sᵀ W⁻¹ ŷ = (W⁻¹ S)ᵀ ŷ.
        let b: Vec<f64> = winv_s.iter().map(|col| col.iter().zip(&y).map(|(c, v)| c * v).sum()).collect();
        let bottom = solve_spd(&a, &b).ok_or_else(singular)?;
        for (i, v) in bottom.into_iter().enumerate() {
            rec_children[i][t] = v;
        }
    }
    let mut out = bottom_up(&rec_children)?;
    out.shrinkage = Some(lambda);
    Ok(out)
}

/// In-sample one-step residuals `values − fitted` (NaN where the fitted value is undefined), the
/// input [`mint_shrink`] expects from each model's [`crate::Fitted::fitted`].
#[must_use]
pub fn residuals(values: &[f64], fitted: &[f64]) -> Vec<f64> {
    values.iter().zip(fitted).map(|(y, f)| y - f).collect()
}

/// Solves `A x = b` for a symmetric positive definite `A` by Cholesky decomposition. `None` when
/// `A` is not positive definite (numerically) or the sizes do not match.
#[must_use]
pub fn solve_spd(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    if a.len() != n || a.iter().any(|r| r.len() != n) {
        return None;
    }
    let scale = (0..n).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if s <= scale * 1e-13 || !s.is_finite() {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    let mut z = vec![0.0; n];
    for i in 0..n {
        z[i] = (b[i] - (0..i).map(|k| l[i][k] * z[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        x[i] = (z[i] - (i + 1..n).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_known_system() {
        let a = vec![vec![4.0, 2.0, 0.4], vec![2.0, 5.0, 1.0], vec![0.4, 1.0, 3.0]];
        let x = [1.0, -2.0, 0.5];
        let b: Vec<f64> = a.iter().map(|r| r.iter().zip(&x).map(|(p, q)| p * q).sum()).collect();
        let got = solve_spd(&a, &b).unwrap();
        for (g, e) in got.iter().zip(x) {
            assert!((g - e).abs() < 1e-12);
        }
        assert!(solve_spd(&[vec![1.0, 2.0], vec![2.0, 1.0]], &[1.0, 1.0]).is_none());
    }

    #[test]
    fn bottom_up_adds_up() {
        let r = bottom_up(&[vec![1.0, 2.0], vec![3.0, 4.5]]).unwrap();
        assert_eq!(r.parent, vec![4.0, 6.5]);
        let res = residuals(&[1.0, 2.0, 4.0], &[f64::NAN, 1.5, 5.0]);
        assert!(res[0].is_nan() && res[1] == 0.5 && res[2] == -1.0);
        assert!(bottom_up(&[]).is_err());
    }

    #[test]
    fn mint_shrink_matches_hierarchicalforecast() {
        // Reference: hierarchicalforecast 1.5.3 `_shrunk_covariance_schaferstrimmer_no_nans(res,
        // 2e-8)` and P = (SᵀW⁻¹S)⁻¹SᵀW⁻¹ in numpy.
        let c1 = vec![1.0, -0.5, 0.3, 0.8, -1.2, 0.4, -0.1, 0.9, -0.7, 0.2];
        let c2 = vec![0.5, 0.1, -0.4, 0.6, -0.3, -0.2, 0.7, 0.1, -0.5, 0.3];
        let noise = [0.2, -0.1, 0.05, -0.3, 0.1, 0.2, -0.2, 0.0, 0.1, -0.05];
        let p: Vec<f64> = (0..10).map(|t| c1[t] + c2[t] + noise[t]).collect();
        let (w, _) = shrunk_covariance(&[p.clone(), c1.clone(), c2.clone()]).unwrap();
        let expected_w = [
            [0.960_555_56, 0.574_767_54, 0.252_598_9],
            [0.574_767_54, 0.534_333_33, 0.132_696_13],
            [0.252_598_9, 0.132_696_13, 0.185_444_44],
        ];
        for i in 0..3 {
            for j in 0..3 {
                assert!((w[i][j] - expected_w[i][j]).abs() < 1e-8, "{w:?}");
            }
        }
        let r = mint_shrink(&[100.0, 104.0], &[vec![55.0, 57.0], vec![40.0, 43.0]], &p, &[c1, c2]).unwrap();
        let expected = [[97.711_469_92, 102.169_175_93], [56.585_296_04, 58.268_236_84], [41.126_173_87, 43.900_939_1]];
        let got = [&r.parent, &r.children[0], &r.children[1]];
        for (row, want) in got.iter().zip(expected) {
            for (g, e) in row.iter().zip(want) {
                assert!((g - e).abs() < 1e-7, "{r:?}");
            }
        }
        for (t, p) in r.parent.iter().enumerate() {
            assert!((p - r.children[0][t] - r.children[1][t]).abs() < 1e-9);
        }
        let lambda = r.shrinkage.unwrap();
        assert!(lambda > 0.0 && lambda < 1.0);
    }
}
