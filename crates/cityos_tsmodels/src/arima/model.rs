//! One ARIMA fit with fixed orders, after R's `stats::arima` (`arima.c`): conditional sum of
//! squares for starting values, then the exact Gaussian likelihood through the Kalman filter
//! with Gardner et al.'s (1980) initial state covariance and a diffuse prior on the
//! differenced part.
//!
//! The numerical kernels keep the index loops of the C code they follow, so that they can be
//! checked line by line against it.
#![expect(clippy::needless_range_loop, reason = "index loops kept as in R's arima.c")]

use super::optimize::{bfgs, Bfgs};

/// The orders of a seasonal ARIMA model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Order {
    /// Non-seasonal AR order.
    pub p: usize,
    /// Non-seasonal differences.
    pub d: usize,
    /// Non-seasonal MA order.
    pub q: usize,
    /// Seasonal AR order.
    pub sp: usize,
    /// Seasonal differences.
    pub sd: usize,
    /// Seasonal MA order.
    pub sq: usize,
    /// Season length (1 for none).
    pub m: usize,
}

impl Order {
    /// Number of ARMA coefficients.
    pub(crate) fn narma(&self) -> usize {
        self.p + self.q + self.sp + self.sq
    }
}

/// How the parameters are estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Conditional sum of squares only (the fast approximation of the stepwise search).
    Css,
    /// CSS for starting values, then exact maximum likelihood.
    CssMl,
    /// As [`Method::CssMl`] but without the final pass of the full state space filter (no
    /// residuals, no state to forecast from): enough to rank candidates in the search.
    CssMlRank,
}

/// The state space form of an ARIMA model and the filter's state.
#[derive(Debug, Clone)]
pub(crate) struct StateSpace {
    pub phi: Vec<f64>,
    /// MA coefficients padded to `r - 1`.
    pub theta: Vec<f64>,
    pub delta: Vec<f64>,
    pub r: usize,
    pub rd: usize,
    pub a: Vec<f64>,
    /// Filtered state covariance, column-major `rd × rd`.
    pub pmat: Vec<f64>,
    /// Predicted state covariance (initially the prior), column-major `rd × rd`.
    pub pn: Vec<f64>,
}

/// Expands (φ, θ, Φ, Θ) into the full AR and MA polynomials; with `trans`, the AR blocks are
/// first mapped from the real line into the stationary region (R's `partrans`).
pub(crate) fn trans_pars(par: &[f64], order: &Order, trans: bool) -> (Vec<f64>, Vec<f64>) {
    let (mp, mq, msp, msq, ns) = (order.p, order.q, order.sp, order.sq, order.m.max(1));
    let p = mp + ns * msp;
    let q = mq + ns * msq;
    let mut params = par[..order.narma()].to_vec();
    if trans {
        if mp > 0 {
            partrans(&par[..mp], &mut params[..mp]);
        }
        if msp > 0 {
            let v = mp + mq;
            partrans(&par[v..v + msp], &mut params[v..v + msp]);
        }
    }
    let mut phi = vec![0.0; p];
    let mut theta = vec![0.0; q];
    phi[..mp].copy_from_slice(&params[..mp]);
    theta[..mq].copy_from_slice(&params[mp..mp + mq]);
    for j in 0..msp {
        let sj = params[j + mp + mq];
        phi[(j + 1) * ns - 1] += sj;
        for i in 0..mp {
            phi[(j + 1) * ns + i] -= params[i] * sj;
        }
    }
    for j in 0..msq {
        let sj = params[j + mp + mq + msp];
        theta[(j + 1) * ns - 1] += sj;
        for i in 0..mq {
            theta[(j + 1) * ns + i] += params[i + mp] * sj;
        }
    }
    (phi, theta)
}

/// Maps unconstrained values to the coefficients of a stationary AR polynomial through the
/// partial autocorrelations (Jones 1980, R's `partrans`).
fn partrans(raw: &[f64], out: &mut [f64]) {
    let p = raw.len();
    let mut work: Vec<f64> = raw.iter().map(|v| v.tanh()).collect();
    out.copy_from_slice(&work);
    for j in 1..p {
        let a = out[j];
        for k in 0..j {
            work[k] -= a * out[j - k - 1];
        }
        out[..j].copy_from_slice(&work[..j]);
    }
}

/// The inverse of [`partrans`]; `None` when the AR polynomial is not stationary.
fn inv_partrans(phi: &[f64]) -> Option<Vec<f64>> {
    let p = phi.len();
    let mut new = phi.to_vec();
    let mut work = phi.to_vec();
    for j in (1..p).rev() {
        let a = new[j];
        if a.abs() >= 1.0 {
            return None;
        }
        for k in 0..j {
            work[k] = (new[k] + a * new[j - k - 1]) / (1.0 - a * a);
        }
        new[..j].copy_from_slice(&work[..j]);
    }
    if new.iter().any(|v| v.abs() >= 1.0 || !v.is_finite()) {
        return None;
    }
    Some(new.iter().map(|v| v.atanh()).collect())
}

/// Whether every root of `1 - c₁z - … - c_k z^k` lies outside the circle of radius `radius`
/// (Schur–Cohn through the backward Durbin–Levinson recursion on the rescaled polynomial).
pub(crate) fn roots_outside(coefs: &[f64], radius: f64) -> bool {
    let last = coefs.iter().rposition(|c| c.abs() > 1e-8);
    let Some(last) = last else { return true };
    let mut scale = 1.0;
    let scaled: Vec<f64> = coefs[..=last]
        .iter()
        .map(|c| {
            scale *= radius;
            c * scale
        })
        .collect();
    let p = scaled.len();
    let mut new = scaled.clone();
    let mut work = scaled;
    for j in (1..p).rev() {
        let a = new[j];
        if a.is_nan() || a.abs() >= 1.0 {
            return false;
        }
        for k in 0..j {
            work[k] = (new[k] + a * new[j - k - 1]) / (1.0 - a * a);
        }
        new[..j].copy_from_slice(&work[..j]);
    }
    new[0].abs() < 1.0
}

/// Moves the AR blocks of `par` to the unconstrained scale (R's `ARIMA_Invtrans`).
fn inv_trans(par: &[f64], order: &Order) -> Option<Vec<f64>> {
    let mut out = par.to_vec();
    if order.p > 0 {
        out[..order.p].copy_from_slice(&inv_partrans(&par[..order.p])?);
    }
    if order.sp > 0 {
        let v = order.p + order.q;
        out[v..v + order.sp].copy_from_slice(&inv_partrans(&par[v..v + order.sp])?);
    }
    Some(out)
}

/// Maps the AR blocks of `par` back into coefficients (R's `undoPars`).
fn undo_pars(par: &[f64], order: &Order) -> Vec<f64> {
    let mut out = par.to_vec();
    if order.p > 0 {
        partrans(&par[..order.p], &mut out[..order.p]);
    }
    if order.sp > 0 {
        let v = order.p + order.q;
        partrans(&par[v..v + order.sp], &mut out[v..v + order.sp]);
    }
    out
}

/// The differencing polynomial's coefficients (R's `Delta`).
pub(crate) fn delta_poly(order: &Order) -> Vec<f64> {
    let mut poly = vec![1.0];
    let mut conv = |b: &[f64]| {
        let mut out = vec![0.0; poly.len() + b.len() - 1];
        for (i, x) in poly.iter().enumerate() {
            for (j, y) in b.iter().enumerate() {
                out[i + j] += x * y;
            }
        }
        poly = out;
    };
    for _ in 0..order.d {
        conv(&[1.0, -1.0]);
    }
    if order.m > 1 {
        let mut s = vec![0.0; order.m + 1];
        s[0] = 1.0;
        s[order.m] = -1.0;
        for _ in 0..order.sd {
            conv(&s);
        }
    }
    poly[1..].iter().map(|v| -v).collect()
}

/// Differences `x` at `lag` once.
pub(crate) fn diff(x: &[f64], lag: usize) -> Vec<f64> {
    if x.len() <= lag {
        return Vec::new();
    }
    (lag..x.len()).map(|t| x[t] - x[t - lag]).collect()
}

/// The stationary covariance of the ARMA state (Gardner, Harvey and Phillips 1980; R's `getQ0`),
/// column-major `r × r`.
pub(crate) fn get_q0(phi: &[f64], theta: &[f64]) -> Vec<f64> {
    let p = phi.len();
    let q = theta.len();
    let r = p.max(q + 1);
    let np = r * (r + 1) / 2;
    let nrbar = np * (np - 1) / 2;
    let mut v = Vec::with_capacity(np);
    for j in 0..r {
        let vj = ma_vector(theta, j);
        for i in j..r {
            let vi = ma_vector(theta, i);
            v.push(vi * vj);
        }
    }
    let mut res = vec![0.0; r * r];
    if r == 1 {
        res[0] = if p == 0 { 1.0 } else { 1.0 / (1.0 - phi[0] * phi[0]) };
        return res;
    }
    let pm = &mut res;
    if p > 0 {
        let mut rbar = vec![0.0; nrbar];
        let mut thetab = vec![0.0; np];
        let mut xnext = vec![0.0; np];
        let mut xrow = vec![0.0; np];
        let mut ind = 0usize;
        let mut ind1: isize = -1;
        let npr = np - r;
        let npr1 = npr + 1;
        let mut indj = npr;
        let mut ind2: isize = npr as isize - 1;
        for j in 0..r {
            let phij = if j < p { phi[j] } else { 0.0 };
            xnext[indj] = 0.0;
            indj += 1;
            let mut indi = npr1 + j;
            for i in j..r {
                let ynext = v[ind];
                ind += 1;
                let phii = if i < p { phi[i] } else { 0.0 };
                if j != r - 1 {
                    xnext[indj] = -phii;
                    if i != r - 1 {
                        xnext[indi] -= phij;
                        ind1 += 1;
                        xnext[ind1 as usize] = -1.0;
                    }
                }
                xnext[npr] = -phii * phij;
                ind2 += 1;
                if ind2 as usize >= np {
                    ind2 = 0;
                }
                xnext[ind2 as usize] += 1.0;
                inclu2(&xnext, &mut xrow, ynext, pm, &mut rbar, &mut thetab);
                xnext[ind2 as usize] = 0.0;
                if i != r - 1 {
                    xnext[indi] = 0.0;
                    indi += 1;
                    xnext[ind1 as usize] = 0.0;
                }
            }
        }
        let mut ithisr = nrbar as isize - 1;
        let mut im = np as isize - 1;
        for i in 0..np {
            let mut bi = thetab[im as usize];
            let mut jm = np as isize - 1;
            for _ in 0..i {
                bi -= rbar[ithisr as usize] * pm[jm as usize];
                ithisr -= 1;
                jm -= 1;
            }
            pm[im as usize] = bi;
            im -= 1;
        }
        // Re-order.
        xnext[..r].copy_from_slice(&pm[npr..npr + r]);
        let mut ind = np as isize - 1;
        let mut ind1 = npr as isize - 1;
        for _ in 0..npr {
            pm[ind as usize] = pm[ind1 as usize];
            ind -= 1;
            ind1 -= 1;
        }
        pm[..r].copy_from_slice(&xnext[..r]);
    } else {
        let mut indn = np;
        let mut ind = np;
        for i in 0..r {
            for j in 0..=i {
                ind -= 1;
                pm[ind] = v[ind];
                if j != 0 {
                    indn -= 1;
                    pm[ind] += pm[indn];
                }
            }
        }
    }
    // Unpack to a full matrix.
    let mut ind = np;
    for i in (1..r).rev() {
        for j in (i..r).rev() {
            ind -= 1;
            pm[r * i + j] = pm[ind];
        }
    }
    for i in 0..r - 1 {
        for j in i + 1..r {
            pm[i + r * j] = pm[j + r * i];
        }
    }
    res
}

/// The stationary covariance of the ARMA state (unit innovation variance), column-major
/// `r × r`, from the autocovariances of the process: `O(p³ + r²)` instead of the `O(r⁶)` of
/// Gardner et al.'s method ([`get_q0`], kept as the reference in the tests), which dominates
/// the cost of seasonal models (r = 30 for a seasonal AR(2) at lag 12).
///
/// With `a_t[i] = φ_i y_{t-1} + R_i ε_t + a_{t-1}[i+1]`, the first row is
/// `Cov(y_t, a_t[j]) = Σ_k φ_{j+k} γ(k+1) + R_{j+k} ψ_k` and the rest follows from
/// `Q[i][j] = φ_i φ_j γ(0) + φ_i Q[0][j+1] + φ_j Q[0][i+1] + R_i R_j + Q[i+1][j+1]`.
pub(crate) fn state_covariance(phi: &[f64], theta: &[f64]) -> Option<Vec<f64>> {
    let p = phi.len();
    let q = theta.len();
    let r = p.max(q + 1);
    let ph = |i: usize| if i < p { phi[i] } else { 0.0 };
    // R = (1, θ₁, …), θ_j for the MA part with θ₀ = 1.
    let rv = |i: usize| ma_vector(theta, i);
    // ψ weights up to r.
    let mut psi = vec![0.0; r + 1];
    psi[0] = 1.0;
    for k in 1..=r {
        let mut v = rv(k);
        for j in 1..=k.min(p) {
            v += phi[j - 1] * psi[k - j];
        }
        psi[k] = v;
    }
    let cvec: Vec<f64> = (0..=q).map(|k| (k..=q).map(|j| rv(j) * psi[j - k]).sum()).collect();
    let c = |k: usize| -> f64 { cvec.get(k).copied().unwrap_or(0.0) };
    // Autocovariances γ(0..=r).
    let mut gamma = vec![0.0; r + 2];
    if p == 0 {
        for (k, g) in gamma.iter_mut().enumerate() {
            *g = if k <= q { c(k) } else { 0.0 };
        }
    } else {
        let k1 = p + 1;
        let mut a = vec![0.0; k1 * k1];
        let mut b = vec![0.0; k1];
        for k in 0..=p {
            a[k * k1 + k] += 1.0;
            for j in 1..=p {
                let idx = k.abs_diff(j);
                a[k * k1 + idx] -= phi[j - 1];
            }
            b[k] = c(k);
        }
        let sol = crate::stats::solve_linear(&mut a, &mut b, k1, 1e-300)?;
        gamma[..=p].copy_from_slice(&sol);
        for k in p + 1..gamma.len() {
            let mut v = if k <= q { c(k) } else { 0.0 };
            for j in 1..=p {
                v += phi[j - 1] * gamma[k - j];
            }
            gamma[k] = v;
        }
    }
    // First row.
    let mut row0 = vec![0.0; r + 1];
    row0[0] = gamma[0];
    for (j, item) in row0.iter_mut().enumerate().take(r).skip(1) {
        *item = (0..r - j).map(|k| ph(j + k) * gamma[k + 1] + rv(j + k) * psi[k]).sum();
    }
    let mut qm = vec![0.0; r * r];
    for j in 0..r {
        qm[r * j] = row0[j];
        qm[j] = row0[j];
    }
    for i in (1..r).rev() {
        for j in (i..r).rev() {
            let next = if i + 1 < r && j + 1 < r { qm[(i + 1) + r * (j + 1)] } else { 0.0 };
            let v = ph(i) * ph(j) * gamma[0] + ph(i) * row0[j + 1] + ph(j) * row0[i + 1] + rv(i) * rv(j) + next;
            qm[i + r * j] = v;
            qm[j + r * i] = v;
        }
    }
    qm.iter().all(|v| v.is_finite()).then_some(qm)
}

fn inclu2(xnext: &[f64], xrow: &mut [f64], mut ynext: f64, d: &mut [f64], rbar: &mut [f64], thetab: &mut [f64]) {
    let np = xnext.len();
    xrow.copy_from_slice(xnext);
    let mut ithisr = 0usize;
    for i in 0..np {
        if xrow[i] != 0.0 {
            let xi = xrow[i];
            let di = d[i];
            let dpi = di + xi * xi;
            d[i] = dpi;
            let cbar = di / dpi;
            let sbar = xi / dpi;
            for k in i + 1..np {
                let xk = xrow[k];
                let rbthis = rbar[ithisr];
                xrow[k] = xk - xi * rbthis;
                rbar[ithisr] = cbar * rbthis + sbar * xk;
                ithisr += 1;
            }
            let xk = ynext;
            ynext = xk - xi * thetab[i];
            thetab[i] = cbar * thetab[i] + sbar * xk;
            if di == 0.0 {
                return;
            }
        } else {
            ithisr += np - i - 1;
        }
    }
}

impl StateSpace {
    /// R's `makeARIMA` with `kappa = 1e6`.
    pub(crate) fn new(phi: &[f64], theta: &[f64], delta: &[f64]) -> Self {
        let p = phi.len();
        let q = theta.len();
        let r = p.max(q + 1);
        let d = delta.len();
        let rd = r + d;
        let mut th = theta.to_vec();
        th.resize(r - 1, 0.0);
        let mut ss = StateSpace {
            phi: phi.to_vec(),
            theta: th,
            delta: delta.to_vec(),
            r,
            rd,
            a: vec![0.0; rd],
            pmat: vec![0.0; rd * rd],
            pn: vec![0.0; rd * rd],
        };
        if r > 1 {
            let q0 = state_covariance(phi, &ss.theta).unwrap_or_else(|| get_q0(phi, &ss.theta));
            for j in 0..r {
                for i in 0..r {
                    ss.pn[i + rd * j] = q0[i + r * j];
                }
            }
        } else {
            ss.pn[0] = if p > 0 { 1.0 / (1.0 - phi[0] * phi[0]) } else { 1.0 };
        }
        for i in 0..d {
            ss.pn[(r + i) * (rd + 1)] = 1e6;
        }
        ss
    }

    /// Runs the Kalman filter over `y` (R's `ARIMA_Like` with `up = 0`), leaving the final state
    /// in `a` and `pmat`. Returns (sum of squared standardised innovations, sum of log gains,
    /// number of innovations used) and fills `resid` with standardised innovations when given.
    pub(crate) fn filter(&mut self, y: &[f64], mut resid: Option<&mut Vec<f64>>) -> (f64, f64, usize) {
        let (r, rd, p) = (self.r, self.rd, self.phi.len());
        let d = rd - r;
        let q = self.theta.len();
        let phi = &self.phi;
        let theta = &self.theta;
        let delta = &self.delta;
        let a = &mut self.a;
        let pm = &mut self.pmat;
        let pnew = &mut self.pn;
        let mut anew = vec![0.0; rd];
        let mut mvec = vec![0.0; rd];
        let mut mm = if d > 0 { vec![0.0; rd * rd] } else { Vec::new() };
        let (mut ssq, mut sumlog, mut nu) = (0.0, 0.0, 0usize);
        if let Some(res) = resid.as_deref_mut() {
            res.clear();
            res.resize(y.len(), f64::NAN);
        }
        // Once the predicted covariance stops changing it stays at its steady state; the
        // covariance updates (the quadratic cost) can then be skipped.
        let mut steady = false;
        for (l, &yl) in y.iter().enumerate() {
            for i in 0..r {
                let mut tmp = if i < r - 1 { a[i + 1] } else { 0.0 };
                if i < p {
                    tmp += phi[i] * a[0];
                }
                anew[i] = tmp;
            }
            if d > 0 {
                anew[r + 1..rd].copy_from_slice(&a[r..rd - 1]);
                let mut tmp = a[0];
                for i in 0..d {
                    tmp += delta[i] * a[r + i];
                }
                anew[r] = tmp;
            }
            if l > 0 && !steady {
                if d == 0 {
                    for i in 0..r {
                        let vi = ma_vector(theta, i);
                        for j in 0..r {
                            let mut tmp = if j == 0 {
                                vi
                            } else if j - 1 < q {
                                vi * theta[j - 1]
                            } else {
                                0.0
                            };
                            if i < p && j < p {
                                tmp += phi[i] * phi[j] * pm[0];
                            }
                            if i < r - 1 && j < r - 1 {
                                tmp += pm[i + 1 + r * (j + 1)];
                            }
                            if i < p && j < r - 1 {
                                tmp += phi[i] * pm[j + 1];
                            }
                            if j < p && i < r - 1 {
                                tmp += phi[j] * pm[i + 1];
                            }
                            pnew[i + r * j] = tmp;
                        }
                    }
                } else {
                    // mm = T P
                    for j in 0..rd {
                        let col = rd * j;
                        for i in 0..r {
                            let mut tmp = 0.0;
                            if i < p {
                                tmp += phi[i] * pm[col];
                            }
                            if i < r - 1 {
                                tmp += pm[i + 1 + col];
                            }
                            mm[i + col] = tmp;
                        }
                        let mut tmp = pm[col];
                        for k in 0..d {
                            tmp += delta[k] * pm[r + k + col];
                        }
                        mm[r + col] = tmp;
                        for i in 1..d {
                            mm[r + i + col] = pm[r + i - 1 + col];
                        }
                    }
                    // Pnew = mm T'
                    for i in 0..r {
                        for j in 0..rd {
                            let mut tmp = 0.0;
                            if i < p {
                                tmp += phi[i] * mm[j];
                            }
                            if i < r - 1 {
                                tmp += mm[rd * (i + 1) + j];
                            }
                            pnew[j + rd * i] = tmp;
                        }
                    }
                    for j in 0..rd {
                        let mut tmp = mm[j];
                        for k in 0..d {
                            tmp += delta[k] * mm[rd * (r + k) + j];
                        }
                        pnew[j + rd * r] = tmp;
                    }
                    for i in 1..d {
                        for j in 0..rd {
                            pnew[j + rd * (r + i)] = mm[rd * (r + i - 1) + j];
                        }
                    }
                    for i in 0..=q {
                        let vi = if i == 0 { 1.0 } else { theta[i - 1] };
                        for j in 0..=q {
                            pnew[i + rd * j] += vi * if j == 0 { 1.0 } else { theta[j - 1] };
                        }
                    }
                }
            }
            let mut resid0 = yl - anew[0];
            for i in 0..d {
                resid0 -= delta[i] * anew[r + i];
            }
            for i in 0..rd {
                let mut tmp = pnew[i];
                for k in 0..d {
                    tmp += pnew[i + rd * (r + k)] * delta[k];
                }
                mvec[i] = tmp;
            }
            let mut gain = mvec[0];
            for i in 0..d {
                gain += delta[i] * mvec[r + i];
            }
            if gain < 1e4 {
                nu += 1;
                ssq += resid0 * resid0 / gain;
                sumlog += gain.ln();
            }
            if let Some(res) = resid.as_deref_mut() {
                res[l] = resid0 / gain.sqrt();
            }
            for i in 0..rd {
                a[i] = anew[i] + mvec[i] * resid0 / gain;
            }
            if !steady {
                let mut change = 0.0f64;
                for j in 0..rd {
                    for i in 0..rd {
                        let v = pnew[i + rd * j] - mvec[i] * mvec[j] / gain;
                        change = change.max((v - pm[i + rd * j]).abs());
                        pm[i + rd * j] = v;
                    }
                }
                // The filtered covariance has converged: freeze it (and the predicted one).
                if l > 0 && gain < 1e4 && change < STEADY_TOL * gain {
                    steady = true;
                }
            }
        }
        (ssq, sumlog, nu)
    }

    /// Forecasts `h` steps from the filtered state: means and variances in units of σ².
    pub(crate) fn forecast(&self, h: usize) -> (Vec<f64>, Vec<f64>) {
        let rd = self.rd;
        let r = self.r;
        let d = rd - r;
        // Dense T, Z and V.
        let mut t = vec![0.0; rd * rd];
        for (i, &ph) in self.phi.iter().enumerate() {
            t[i] = ph;
        }
        for i in 1..r {
            t[(i - 1) + rd * i] = 1.0;
        }
        let mut z = vec![0.0; rd];
        z[0] = 1.0;
        z[r..r + d].copy_from_slice(&self.delta[..d]);
        if d > 0 {
            for j in 0..rd {
                t[r + rd * j] = z[j];
            }
            for i in 1..d {
                t[(r + i) + rd * (r + i - 1)] = 1.0;
            }
        }
        let mut rv = vec![0.0; rd];
        rv[0] = 1.0;
        rv[1..r].copy_from_slice(&self.theta);
        let mut a = self.a.clone();
        let mut pm = self.pmat.clone();
        let mut tmp = vec![0.0; rd * rd];
        let mut means = Vec::with_capacity(h);
        let mut vars = Vec::with_capacity(h);
        for _ in 0..h {
            let an: Vec<f64> = (0..rd).map(|i| (0..rd).map(|k| t[i + rd * k] * a[k]).sum()).collect();
            a = an;
            means.push(a.iter().zip(&z).map(|(x, y)| x * y).sum());
            // tmp = T P
            for j in 0..rd {
                for i in 0..rd {
                    tmp[i + rd * j] = (0..rd).map(|k| t[i + rd * k] * pm[k + rd * j]).sum();
                }
            }
            // P = tmp T' + V
            for j in 0..rd {
                for i in 0..rd {
                    pm[i + rd * j] = (0..rd).map(|k| tmp[i + rd * k] * t[j + rd * k]).sum::<f64>() + rv[i] * rv[j];
                }
            }
            let mut v = 0.0;
            for j in 0..rd {
                for i in 0..rd {
                    v += z[i] * pm[i + rd * j] * z[j];
                }
            }
            vars.push(v);
        }
        (means, vars)
    }
}

/// Element `i` of the state-space MA vector `R = (1, θ₁, …, θ_q, 0, …)`.
fn ma_vector(theta: &[f64], i: usize) -> f64 {
    match i {
        0 => 1.0,
        i => theta.get(i - 1).copied().unwrap_or(0.0),
    }
}

/// The state dimension `r = max(p, q + 1)` of an ARMA model, with `work.phi` (φ padded to `r`)
/// and `work.v` ((1, θ) padded to `r`) filled, and the stationary state covariance `Q0` the
/// likelihood starts from (row-major, `r × r`; the AR(1) or white-noise variance when `r = 1`).
fn arma_start(phi: &[f64], theta: &[f64], work: &mut ArmaWork) -> (usize, Vec<f64>) {
    let p = phi.len();
    let r = p.max(theta.len() + 1);
    work.phi.clear();
    work.phi.extend_from_slice(phi);
    work.phi.resize(r, 0.0);
    work.v.clear();
    work.v.push(1.0);
    work.v.extend_from_slice(theta);
    work.v.resize(r, 0.0);
    let q0 = if r > 1 {
        state_covariance(phi, &work.v[1..]).unwrap_or_else(|| get_q0(phi, &work.v[1..]))
    } else {
        vec![if p > 0 { 1.0 / (1.0 - phi[0] * phi[0]) } else { 1.0 }]
    };
    (r, q0)
}

/// The Gaussian likelihood of a stationary ARMA model (no differencing), started from the
/// stationary state covariance as R's `ARIMA_Like` does, through the Chandrasekhar recursions
/// (Morf, Sidhu and Kailath 1974): from a stationary start the covariance changes by a rank-one
/// matrix each step, so a step costs O(r) instead of the Riccati update's O(r²). Returns
/// (ssq, sumlog, nu), equal to the Kalman filter's up to rounding.
pub(crate) fn arma_likelihood(phi: &[f64], theta: &[f64], w: &[f64], work: &mut ArmaWork) -> (f64, f64, usize) {
    let (r, q0) = arma_start(phi, theta, work);
    let phi = &work.phi[..r];
    // Vectors carry a trailing zero so that the companion product `T v` has no branch:
    // (T v)[i] = φ_i v[0] + v[i + 1].
    let t_mul = |v: &[f64], out: &mut [f64]| {
        let v0 = v[0];
        for ((o, ph), next) in out[..r].iter_mut().zip(phi).zip(&v[1..=r]) {
            *o = ph * v0 + next;
        }
    };
    // g = Pn Z' (the first column of the predicted covariance), f = Z Pn Z'.
    work.pn.clear();
    work.pn.extend_from_slice(&q0[..r]);
    work.pn.push(0.0);
    let g = &mut work.pn;
    let mut f = g[0];
    // ΔPn = wv · m · wv', wv = T g at the start, m = -1/f.
    work.pm.clear();
    work.pm.resize(r + 1, 0.0);
    let wv = &mut work.pm;
    t_mul(g, wv);
    let mut m = -1.0 / f;
    work.a.clear();
    work.a.resize(r + 1, 0.0);
    work.anew.clear();
    work.anew.resize(r + 1, 0.0);
    let (a, tmp) = (&mut work.a, &mut work.anew);
    let (mut ssq, mut sumlog, mut nu) = (0.0, 0.0, 0usize);
    // Σ log f as the log of a running product (f ≥ 1 here), flushed before it can overflow.
    let mut prod = 1.0f64;
    for &yl in w {
        // a holds the predicted state for this step.
        let resid0 = yl - a[0];
        if f < 1e4 {
            nu += 1;
            ssq += resid0 * resid0 / f;
            prod *= f;
            if !(1e-200..=1e200).contains(&prod) {
                sumlog += prod.ln();
                prod = 1.0;
            }
        }
        // Filtered state, then the next prediction.
        let k = resid0 / f;
        for ((t, ai), gi) in tmp[..r].iter_mut().zip(&a[..r]).zip(&g[..r]) {
            *t = ai + gi * k;
        }
        t_mul(tmp, a);
        // Covariance recursions.
        let wz = wv[0];
        let f_old = f;
        let mw = m * wz;
        f += wz * mw;
        for (gi, wi) in g[..r].iter_mut().zip(&wv[..r]) {
            *gi += wi * mw;
        }
        m += mw * mw / f_old;
        // wv ← T wv − (T g / f) wz
        t_mul(wv, tmp);
        let c = wz / f;
        let g0 = g[0];
        for (i, wi) in wv[..r].iter_mut().enumerate() {
            *wi = tmp[i] - (phi[i] * g0 + g[i + 1]) * c;
        }
    }
    (ssq, sumlog + prod.ln(), nu)
}

#[cfg(test)]
pub(crate) fn arma_likelihood_dense(phi: &[f64], theta: &[f64], w: &[f64], work: &mut ArmaWork) -> (f64, f64, usize) {
    let (r, q0) = arma_start(phi, theta, work);
    let rp = r + 1;
    work.pn.clear();
    work.pn.extend_from_slice(&q0);
    work.pm.clear();
    work.pm.resize(rp * rp, 0.0);
    work.a.clear();
    work.a.resize(rp, 0.0);
    work.anew.clear();
    work.anew.resize(r, 0.0);
    let (phi, v, pn, pm, a, anew) = (&work.phi, &work.v, &mut work.pn, &mut work.pm, &mut work.a, &mut work.anew);
    let (mut ssq, mut sumlog, mut nu) = (0.0, 0.0, 0usize);
    let mut steady = false;
    for (l, &yl) in w.iter().enumerate() {
        let a0 = a[0];
        for i in 0..r {
            anew[i] = a[i + 1] + phi[i] * a0;
        }
        if l > 0 && !steady {
            let p00 = pm[0];
            for i in 0..r {
                let (phii, vi) = (phi[i], v[i]);
                let pi0 = pm[(i + 1) * rp];
                let row_next = &pm[(i + 1) * rp + 1..(i + 1) * rp + 1 + r];
                let row0 = &pm[1..1 + r];
                for j in i..r {
                    let t = vi * v[j] + phii * phi[j] * p00 + row_next[j] + phii * row0[j] + phi[j] * pi0;
                    pn[i * r + j] = t;
                    pn[j * r + i] = t;
                }
            }
        }
        let resid0 = yl - anew[0];
        let gain = pn[0];
        if gain < 1e4 {
            nu += 1;
            ssq += resid0 * resid0 / gain;
            sumlog += gain.ln();
        }
        let k = resid0 / gain;
        for i in 0..r {
            a[i] = anew[i] + pn[i * r] * k;
        }
        if !steady {
            let mut change = 0.0f64;
            for i in 0..r {
                let mi = pn[i * r] / gain;
                for j in 0..r {
                    let val = pn[i * r + j] - mi * pn[j * r];
                    change = change.max((val - pm[i * rp + j]).abs());
                    pm[i * rp + j] = val;
                }
            }
            if l > 0 && gain < 1e4 && change < STEADY_TOL * gain {
                steady = true;
            }
        }
    }
    (ssq, sumlog, nu)
}

/// Relative change of the filtered covariance below which it is treated as converged.
pub(crate) const STEADY_TOL: f64 = 1e-10;

/// Buffers reused across likelihood evaluations.
#[derive(Debug, Default)]
pub(crate) struct ArmaWork {
    phi: Vec<f64>,
    v: Vec<f64>,
    pn: Vec<f64>,
    pm: Vec<f64>,
    a: Vec<f64>,
    anew: Vec<f64>,
}

/// Conditional sum of squares (R's `ARIMA_CSS`): returns (ssq / nu, residuals).
pub(crate) fn css(y: &[f64], order: &Order, phi: &[f64], theta: &[f64], ncond: usize) -> (f64, Vec<f64>) {
    let n = y.len();
    let mut w = y.to_vec();
    for _ in 0..order.d {
        for l in (1..n).rev() {
            w[l] -= w[l - 1];
        }
    }
    let ns = order.m.max(1);
    for _ in 0..order.sd {
        for l in (ns..n).rev() {
            w[l] -= w[l - ns];
        }
    }
    let mut resid = vec![0.0; n];
    let (p, q) = (phi.len(), theta.len());
    let mut ssq = 0.0;
    let mut nu = 0usize;
    for l in ncond..n {
        let mut tmp = w[l];
        for j in 0..p {
            tmp -= phi[j] * w[l - j - 1];
        }
        let jmax = (l - ncond).min(q);
        for j in 0..jmax {
            tmp -= theta[j] * resid[l - j - 1];
        }
        resid[l] = tmp;
        if tmp.is_finite() {
            nu += 1;
            ssq += tmp * tmp;
        }
    }
    (if nu > 0 { ssq / nu as f64 } else { f64::NAN }, resid)
}

/// Least squares `y ~ X - 1` by the normal equations: coefficients and standard errors.
pub(crate) fn ols(y: &[f64], cols: &[Vec<f64>]) -> Option<(Vec<f64>, Vec<f64>)> {
    let k = cols.len();
    let n = y.len();
    if n <= k {
        return None;
    }
    let mut xtx = vec![0.0; k * k];
    let mut xty = vec![0.0; k];
    for i in 0..k {
        xty[i] = cols[i].iter().zip(y).map(|(a, b)| a * b).sum();
        for j in 0..=i {
            let v: f64 = cols[i].iter().zip(&cols[j]).map(|(a, b)| a * b).sum();
            xtx[i * k + j] = v;
            xtx[j * k + i] = v;
        }
    }
    let inv = invert_spd(&xtx, k)?;
    let beta: Vec<f64> = (0..k).map(|i| (0..k).map(|j| inv[i * k + j] * xty[j]).sum()).collect();
    let rss: f64 = (0..n)
        .map(|t| {
            let fit: f64 = (0..k).map(|j| cols[j][t] * beta[j]).sum();
            (y[t] - fit).powi(2)
        })
        .sum();
    let s2 = rss / (n - k) as f64;
    let se = (0..k).map(|i| (s2 * inv[i * k + i]).max(0.0).sqrt()).collect();
    Some((beta, se))
}

/// Inverts a symmetric positive definite matrix by Gauss–Jordan with partial pivoting.
fn invert_spd(a: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut m = a.to_vec();
    let mut inv = vec![0.0; k * k];
    for i in 0..k {
        inv[i * k + i] = 1.0;
    }
    let scale = (0..k).map(|i| a[i * k + i].abs()).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    for c in 0..k {
        let piv = (c..k).max_by(|&x, &y| m[x * k + c].abs().total_cmp(&m[y * k + c].abs()))?;
        if m[piv * k + c].abs() < 1e-12 * scale {
            return None;
        }
        if piv != c {
            for j in 0..k {
                m.swap(c * k + j, piv * k + j);
                inv.swap(c * k + j, piv * k + j);
            }
        }
        let d = m[c * k + c];
        for j in 0..k {
            m[c * k + j] /= d;
            inv[c * k + j] /= d;
        }
        for i in 0..k {
            if i != c {
                let f = m[i * k + c];
                if f != 0.0 {
                    for j in 0..k {
                        m[i * k + j] -= f * m[c * k + j];
                        inv[i * k + j] -= f * inv[c * k + j];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// A fitted model with fixed orders (the result of R's `arima`).
#[derive(Debug, Clone)]
pub(crate) struct RawFit {
    pub order: Order,
    /// ARMA coefficients then regression coefficients.
    pub coef: Vec<f64>,
    /// σ² as `arima` reports it (ssq / n_used).
    pub sigma2: f64,
    /// AIC (NaN for CSS).
    pub aic: f64,
    /// Standardised innovations (ML) or CSS residuals.
    pub resid: Vec<f64>,
    /// The filtered state space model (ML only).
    pub ss: Option<StateSpace>,
    /// Estimated parameters.
    pub npar: usize,
}

/// Fits ARIMA `order` to `x` with regressors `xreg` (columns of length n, including any
/// intercept or drift column). With `fixed`, the coefficients are used as given.
pub(crate) fn fit_arima(x: &[f64], order: &Order, xreg: &[Vec<f64>], method: Method, fixed: Option<&[f64]>) -> Option<RawFit> {
    let n = x.len();
    let narma = order.narma();
    let ncxreg = xreg.len();
    let delta = delta_poly(order);
    let n_used = n.checked_sub(delta.len()).filter(|&u| u > 0)?;
    let mut init0 = vec![0.0; narma];
    let mut parscale = vec![1.0; narma];
    if ncxreg > 0 {
        let mut dx = x.to_vec();
        let mut dxreg: Vec<Vec<f64>> = xreg.to_vec();
        for _ in 0..order.d {
            dx = diff(&dx, 1);
            dxreg = dxreg.iter().map(|c| diff(c, 1)).collect();
        }
        if order.m > 1 {
            for _ in 0..order.sd {
                dx = diff(&dx, order.m);
                dxreg = dxreg.iter().map(|c| diff(c, order.m)).collect();
            }
        }
        let (beta, se) = ols(&dx, &dxreg).or_else(|| ols(x, xreg)).unwrap_or((vec![0.0; ncxreg], vec![1.0; ncxreg]));
        init0.extend_from_slice(&beta);
        parscale.extend(se.iter().map(|s| if *s > 0.0 && s.is_finite() { 10.0 * s } else { 1.0 }));
    }
    let ncond = order.d + order.sd * order.m + order.p + order.sp * order.m;
    let mut xw = vec![0.0; n];
    let resid_x = |par: &[f64], xw: &mut Vec<f64>| {
        xw.copy_from_slice(x);
        for (j, col) in xreg.iter().enumerate() {
            let b = par[narma + j];
            for (v, c) in xw.iter_mut().zip(col) {
                *v -= b * c;
            }
        }
    };
    if let Some(fixed) = fixed {
        let coef = fixed.to_vec();
        let (phi, theta) = trans_pars(&coef, order, false);
        resid_x(&coef, &mut xw);
        let mut ss = StateSpace::new(&phi, &theta, &delta);
        let mut resid = Vec::new();
        let (ssq, _, _) = ss.filter(&xw, Some(&mut resid));
        return Some(RawFit { order: *order, coef, sigma2: ssq / n_used as f64, aic: f64::NAN, resid, ss: Some(ss), npar: 0 });
    }
    if ncond >= n {
        return None;
    }
    let settings = Bfgs::default();
    let css_obj = |par: &[f64], xw: &mut Vec<f64>| -> f64 {
        let (phi, theta) = trans_pars(par, order, false);
        resid_x(par, xw);
        let (s, _) = css(xw, order, &phi, &theta, ncond);
        if !s.is_finite() {
            return f64::MAX;
        }
        if s <= 0.0 {
            return f64::NEG_INFINITY;
        }
        0.5 * s.ln()
    };
    let mut css_buf = vec![0.0; n];
    let css_min = if init0.is_empty() { None } else { Some(bfgs(|p| css_obj(p, &mut css_buf), &init0, &parscale, settings)) };
    let css_par = match &css_min {
        Some(m) if m.x.iter().all(|v| v.is_finite()) => m.x.clone(),
        _ => init0.clone(),
    };
    if method == Method::Css {
        let (phi, theta) = trans_pars(&css_par, order, false);
        resid_x(&css_par, &mut xw);
        let (sigma2, resid) = css(&xw, order, &phi, &theta, ncond);
        return Some(RawFit { order: *order, coef: css_par, sigma2, aic: f64::NAN, resid, ss: None, npar: narma + ncxreg });
    }
    // Starting values for ML: the CSS estimates when their AR parts are stationary.
    let stationary = |par: &[f64]| {
        let ar_ok = order.p == 0 || roots_outside(&par[..order.p], 1.0);
        let v = order.p + order.q;
        let sar_ok = order.sp == 0 || roots_outside(&par[v..v + order.sp], 1.0);
        ar_ok && sar_ok
    };
    let start = if stationary(&css_par) { css_par } else { init0.clone() };
    let init = inv_trans(&start, order).or_else(|| inv_trans(&init0, order))?;
    // The exact likelihood of the ARIMA model with a diffuse prior on the differenced states is
    // the ARMA likelihood of the differenced series (the diffuse steps' gains exceed 1e4 and
    // are left out either way), so the optimisation filters the smaller ARMA state.
    let difference = |v: &[f64]| -> Vec<f64> {
        let mut w = v.to_vec();
        for _ in 0..order.d {
            w = diff(&w, 1);
        }
        if order.m > 1 {
            for _ in 0..order.sd {
                w = diff(&w, order.m);
            }
        }
        w
    };
    let dx = difference(x);
    let dxreg: Vec<Vec<f64>> = xreg.iter().map(|c| difference(c)).collect();
    let mut wbuf = vec![0.0; dx.len()];
    let mut work = ArmaWork::default();
    let mut ml_obj = |par: &[f64]| -> f64 {
        let (phi, theta) = trans_pars(par, order, true);
        wbuf.copy_from_slice(&dx);
        for (j, col) in dxreg.iter().enumerate() {
            let b = par[narma + j];
            for (v, c) in wbuf.iter_mut().zip(col) {
                *v -= b * c;
            }
        }
        let (ssq, sumlog, nu) = arma_likelihood(&phi, &theta, &wbuf, &mut work);
        if nu == 0 {
            return f64::MAX;
        }
        let s2 = ssq / nu as f64;
        0.5 * (s2.ln() + sumlog / nu as f64)
    };
    let par = if init.is_empty() { init } else { bfgs(&mut ml_obj, &init, &parscale, settings).x };
    let coef = undo_pars(&par, order);
    let nu_f = n_used as f64;
    let npar = narma + ncxreg;
    let aic_of = |objective: f64| 2.0 * nu_f * objective + nu_f + nu_f * (2.0 * std::f64::consts::PI).ln() + 2.0 * npar as f64 + 2.0;
    if method == Method::CssMlRank {
        let objective = ml_obj(&par);
        if !objective.is_finite() || objective >= f64::MAX {
            return None;
        }
        return Some(RawFit { order: *order, coef, sigma2: f64::NAN, aic: aic_of(objective), resid: Vec::new(), ss: None, npar });
    }
    let (phi, theta) = trans_pars(&coef, order, false);
    resid_x(&coef, &mut xw);
    let mut ss = StateSpace::new(&phi, &theta, &delta);
    let mut resid = Vec::new();
    let (ssq, sumlog, nu) = ss.filter(&xw, Some(&mut resid));
    if nu == 0 {
        return None;
    }
    let objective = 0.5 * ((ssq / nu as f64).ln() + sumlog / nu as f64);
    let aic = aic_of(objective);
    Some(RawFit { order: *order, coef, sigma2: ssq / nu_f, aic, resid, ss: Some(ss), npar })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Q0 must solve the stationary equation Q0 = T Q0 T' + R R'.
    fn check_q0(phi: &[f64], theta: &[f64]) {
        let r = phi.len().max(theta.len() + 1);
        let q0 = get_q0(phi, theta);
        let fast = state_covariance(phi, theta).unwrap();
        for (a, b) in q0.iter().zip(&fast) {
            assert!((a - b).abs() < 1e-9 * (1.0 + a.abs()), "phi {phi:?} theta {theta:?}: {q0:?} vs {fast:?}");
        }
        let mut t = vec![0.0; r * r];
        for (i, v) in phi.iter().enumerate() {
            t[i] = *v;
        }
        for i in 1..r {
            t[(i - 1) + r * i] = 1.0;
        }
        let mut rv = vec![0.0; r];
        rv[0] = 1.0;
        for (i, v) in theta.iter().enumerate() {
            rv[i + 1] = *v;
        }
        for i in 0..r {
            for j in 0..r {
                let mut s = rv[i] * rv[j];
                for k in 0..r {
                    for l in 0..r {
                        s += t[i + r * k] * q0[k + r * l] * t[j + r * l];
                    }
                }
                assert!(
                    (s - q0[i + r * j]).abs() < 1e-8 * (1.0 + s.abs()),
                    "phi {phi:?} theta {theta:?}: {i},{j}: {s} vs {}",
                    q0[i + r * j]
                );
            }
        }
    }

    #[test]
    fn gardner_q0_solves_the_stationary_equation() {
        check_q0(&[0.5], &[0.3]);
        check_q0(&[0.5, -0.2], &[]);
        check_q0(&[0.5, -0.2, 0.1], &[0.4, 0.2]);
        check_q0(&[], &[0.4, 0.2, -0.3]);
        check_q0(&[0.3, 0.0, 0.0, 0.5, -0.15], &[0.2]);
        check_q0(&[0.3], &[0.2, 0.1, 0.0, 0.4, 0.08, 0.04]);
        let o = Order { p: 2, d: 0, q: 1, sp: 2, sd: 0, sq: 1, m: 12 };
        let (phi, theta) = trans_pars(&[0.5, 0.2, -0.3, 0.4, 0.3, -0.2], &o, true);
        check_q0(&phi, &theta);
    }

    #[test]
    fn partrans_round_trips() {
        let raw = [0.3, -0.7, 1.2];
        let mut phi = [0.0; 3];
        partrans(&raw, &mut phi);
        assert!(roots_outside(&phi, 1.0));
        let back = inv_partrans(&phi).unwrap();
        for (a, b) in raw.iter().zip(&back) {
            assert!((a - b).abs() < 1e-10);
        }
        assert!(!roots_outside(&[1.2], 1.0));
        assert!(!roots_outside(&[0.995], 1.01));
        assert!(roots_outside(&[0.5, 0.3], 1.01));
        assert!(!roots_outside(&[0.5, 0.5], 1.0));
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;

    /// The Chandrasekhar recursions, the dense Riccati filter and the general state space filter
    /// give the same likelihood on a differenced seasonal series.
    #[test]
    fn likelihood_recursions_agree() {
        let o = Order { p: 2, d: 1, q: 2, sp: 2, sd: 1, sq: 1, m: 12 };
        let (phi, theta) = trans_pars(&[0.2, 0.1, 0.3, 0.1, 0.2, -0.1, 0.3], &o, true);
        let y: Vec<f64> = (0..144).map(|t| (t as f64 * 0.3).sin() * 10.0 + t as f64 + ((t * 37 % 11) as f64)).collect();
        let w = diff(&diff(&y, 1), 12);
        let mut work = ArmaWork::default();
        let fast = arma_likelihood(&phi, &theta, &w, &mut work);
        let dense = arma_likelihood_dense(&phi, &theta, &w, &mut work);
        let mut ss = StateSpace::new(&phi, &theta, &[]);
        let general = ss.filter(&w, None);
        for other in [dense, general] {
            assert!((fast.0 - other.0).abs() < 1e-9 * fast.0, "{fast:?} {other:?}");
            assert!((fast.1 - other.1).abs() < 1e-9, "{fast:?} {other:?}");
            assert_eq!(fast.2, other.2);
        }
        // With the differencing in the state (diffuse prior), the same innovations are counted.
        let mut full = StateSpace::new(&phi, &theta, &delta_poly(&o));
        let diffuse = full.filter(&y, None);
        assert_eq!(diffuse.2, w.len());
        assert!((diffuse.0 - fast.0).abs() < 1e-4 * fast.0, "{diffuse:?} {fast:?}");
    }
}
