//! The variable metric (BFGS) minimiser of R's `optim(method = "BFGS")` (`vmmin`), with a
//! forward-difference gradient on the scaled parameters (as `scipy.optimize.minimize`, which
//! `statsforecast` uses; R's `optim` takes central differences with a larger step).

/// Settings for [`bfgs`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bfgs {
    /// Largest number of iterations (gradient evaluations).
    pub max_iter: usize,
    /// Relative convergence tolerance on the objective.
    pub reltol: f64,
    /// Relative step of the numerical gradient, on the scaled parameters.
    pub ndeps: f64,
}

impl Default for Bfgs {
    fn default() -> Self {
        Bfgs { max_iter: 100, reltol: 1.490_116_119_384_765_6e-8, ndeps: 1e-6 }
    }
}

/// The result of [`bfgs`].
#[derive(Debug, Clone)]
pub(crate) struct BfgsMin {
    /// The minimiser, on the original scale.
    pub x: Vec<f64>,
    /// The objective there.
    #[cfg_attr(not(test), expect(dead_code, reason = "kept for diagnostics and tests"))]
    pub value: f64,
}

/// Minimises `f` from `x0`; `parscale[i]` is the typical size of parameter `i`.
pub(crate) fn bfgs(mut f: impl FnMut(&[f64]) -> f64, x0: &[f64], parscale: &[f64], settings: Bfgs) -> BfgsMin {
    let n = x0.len();
    let mut xbuf = vec![0.0; n];
    // Objective on the scaled parameters.
    let mut fs = |z: &[f64]| -> f64 {
        for i in 0..n {
            xbuf[i] = z[i] * parscale[i];
        }
        let v = f(&xbuf);
        if v.is_nan() {
            f64::MAX
        } else {
            v
        }
    };
    let mut b: Vec<f64> = x0.iter().zip(parscale).map(|(x, s)| x / s).collect();
    let eps = settings.ndeps;
    // Forward differences from the current value (one evaluation per parameter rather than
    // central differences' two); with the smooth likelihood a small step is accurate.
    let grad = |fs: &mut dyn FnMut(&[f64]) -> f64, b: &[f64], f0: f64| -> Vec<f64> {
        let mut z = b.to_vec();
        (0..n)
            .map(|i| {
                let h = eps * (1.0 + b[i].abs());
                z[i] = b[i] + h;
                let f1 = fs(&z);
                z[i] = b[i];
                let g = (f1 - f0) / h;
                if g.is_finite() {
                    g
                } else {
                    0.0
                }
            })
            .collect()
    };
    let mut fmin = fs(&b);
    if !fmin.is_finite() || fmin >= f64::MAX {
        return BfgsMin { x: b.iter().zip(parscale).map(|(z, s)| z * s).collect(), value: fmin };
    }
    let mut g = grad(&mut fs, &b, fmin);
    let mut bmat = vec![0.0; n * n];
    let mut t = vec![0.0; n];
    let mut xk = vec![0.0; n];
    let mut c = vec![0.0; n];
    let (stepredn, acctol, reltest) = (0.2, 0.0001, 10.0);
    let mut iter = 1usize;
    let mut gradcount = 1usize;
    let mut ilast = gradcount;
    loop {
        if ilast == gradcount {
            for i in 0..n {
                for j in 0..n {
                    bmat[i * n + j] = if i == j { 1.0 } else { 0.0 };
                }
            }
        }
        xk.copy_from_slice(&b);
        c.copy_from_slice(&g);
        let mut gradproj = 0.0;
        for i in 0..n {
            let s: f64 = (0..n).map(|j| -bmat[i * n + j] * g[j]).sum();
            t[i] = s;
            gradproj += s * g[i];
        }
        let mut count;
        if gradproj < 0.0 {
            let mut steplength = 1.0;
            let mut accpoint = false;
            let mut fval = fmin;
            loop {
                count = 0;
                for i in 0..n {
                    b[i] = xk[i] + steplength * t[i];
                    if reltest + xk[i] == reltest + b[i] {
                        count += 1;
                    }
                }
                if count < n {
                    fval = fs(&b);
                    accpoint = fval.is_finite() && fval < f64::MAX && fval <= fmin + gradproj * steplength * acctol;
                    if !accpoint {
                        steplength *= stepredn;
                    }
                }
                if count == n || accpoint {
                    break;
                }
            }
            let enough = (fval - fmin).abs() > settings.reltol * (fmin.abs() + settings.reltol);
            if !enough {
                count = n;
                if fval < fmin {
                    fmin = fval;
                } else {
                    b.copy_from_slice(&xk);
                }
            }
            if count < n {
                fmin = fval;
                g = grad(&mut fs, &b, fval);
                gradcount += 1;
                iter += 1;
                let mut d1 = 0.0;
                for i in 0..n {
                    t[i] *= steplength;
                    c[i] = g[i] - c[i];
                    d1 += t[i] * c[i];
                }
                if d1 > 0.0 {
                    let mut d2 = 0.0;
                    for i in 0..n {
                        let s: f64 = (0..n).map(|j| bmat[i * n + j] * c[j]).sum();
                        xk[i] = s;
                        d2 += s * c[i];
                    }
                    d2 = 1.0 + d2 / d1;
                    for i in 0..n {
                        for j in 0..n {
                            bmat[i * n + j] += (d2 * t[i] * t[j] - xk[i] * t[j] - t[i] * xk[j]) / d1;
                        }
                    }
                } else {
                    ilast = gradcount;
                }
            } else if ilast < gradcount {
                count = 0;
                ilast = gradcount;
            }
        } else {
            count = 0;
            if ilast == gradcount {
                count = n;
            } else {
                ilast = gradcount;
            }
        }
        if iter >= settings.max_iter {
            break;
        }
        if gradcount - ilast > 2 * n {
            ilast = gradcount;
        }
        if count == n && ilast == gradcount {
            break;
        }
    }
    BfgsMin { x: b.iter().zip(parscale).map(|(z, s)| z * s).collect(), value: fmin }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_rosenbrock() {
        let f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = bfgs(f, &[-1.2, 1.0], &[1.0, 1.0], Bfgs { max_iter: 500, ..Bfgs::default() });
        assert!((m.x[0] - 1.0).abs() < 1e-2 && (m.x[1] - 1.0).abs() < 2e-2, "{m:?}");
        assert!(m.value < 1e-4);
    }
}
