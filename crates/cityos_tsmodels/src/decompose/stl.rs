//! STL (Cleveland, Cleveland, McRae & Terpenning 1990), a line-by-line port of the reference
//! Fortran `stl.f` as `statsmodels.tsa.seasonal.STL` carries it, with every jump fixed at 1
//! (the statsmodels default): each LOESS smoother is evaluated at every point.
//!
//! Indices in the LOESS helpers are 1-based where the original is, so the port can be checked
//! against it line by line.

/// STL's window lengths, degrees and robustness; [`StlOptions::for_period`] gives statsmodels'
/// defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StlOptions {
    /// Seasonal smoother window (odd, at least 3); statsmodels' default 7.
    pub seasonal: usize,
    /// Trend smoother window (odd, greater than the period).
    pub trend: usize,
    /// Low-pass filter window (odd, greater than the period).
    pub low_pass: usize,
    /// Degree (0 or 1) of the seasonal LOESS.
    pub seasonal_deg: usize,
    /// Degree (0 or 1) of the trend LOESS.
    pub trend_deg: usize,
    /// Degree (0 or 1) of the low-pass LOESS.
    pub low_pass_deg: usize,
    /// Robust fitting: 15 outer iterations down-weighting outliers (bisquare of 6 MADs).
    pub robust: bool,
}

impl StlOptions {
    /// statsmodels' defaults for `period` with seasonal window `seasonal` (forced odd, ≥ 3):
    /// trend window the next odd integer ≥ 1.5·period / (1 − 1.5 / seasonal), low-pass window
    /// the next odd integer > period, all degrees 1, not robust.
    #[must_use]
    pub fn for_period(period: usize, seasonal: usize) -> Self {
        let seasonal = odd_at_least(seasonal.max(3));
        let trend = (1.5 * period as f64 / (1.0 - 1.5 / seasonal as f64)).ceil() as usize;
        let trend = odd_at_least(trend.max(period + 1).max(3));
        let low_pass = odd_at_least(period + 1);
        StlOptions { seasonal, trend, low_pass, seasonal_deg: 1, trend_deg: 1, low_pass_deg: 1, robust: false }
    }
}

fn odd_at_least(x: usize) -> usize {
    if x.is_multiple_of(2) {
        x + 1
    } else {
        x
    }
}

/// The result of one STL run: seasonal and trend (the remainder is the rest) and the final
/// robustness weights (all 1 when not robust).
#[derive(Debug, Clone)]
pub(crate) struct StlParts {
    pub seasonal: Vec<f64>,
    pub trend: Vec<f64>,
    #[cfg_attr(not(test), expect(dead_code, reason = "kept for diagnostics and tests"))]
    pub weights: Vec<f64>,
}

/// Runs STL on `y` (at least two values; `period` ≥ 2).
pub(crate) fn run(y: &[f64], period: usize, o: &StlOptions) -> StlParts {
    let n = y.len();
    let (inner, outer) = if o.robust { (2, 15) } else { (5, 0) };
    let mut trend = vec![0.0; n];
    let mut season = vec![0.0; n];
    let mut rw = vec![1.0; n];
    let mut use_rw = false;
    let mut ws = Workspace::new(n, period);
    let mut k = 0;
    loop {
        onestp(y, period, o, inner, use_rw, &rw, &mut season, &mut trend, &mut ws);
        k += 1;
        if k > outer {
            break;
        }
        robustness_weights(y, &season, &trend, &mut rw);
        use_rw = true;
    }
    if outer == 0 {
        rw.iter_mut().for_each(|w| *w = 1.0);
    }
    StlParts { seasonal: season, trend, weights: rw }
}

struct Workspace {
    w0: Vec<f64>,
    w1: Vec<f64>,
    w2: Vec<f64>,
    w3: Vec<f64>,
    sub: Vec<f64>,
    sub_rw: Vec<f64>,
    sub_out: Vec<f64>,
}

impl Workspace {
    fn new(n: usize, np: usize) -> Self {
        let m = n + 2 * np;
        let k = n / np + 3;
        Workspace {
            w0: vec![0.0; m],
            w1: vec![0.0; m],
            w2: vec![0.0; m],
            w3: vec![0.0; m],
            sub: vec![0.0; k],
            sub_rw: vec![0.0; k],
            sub_out: vec![0.0; k],
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "mirrors the reference routine's argument list")]
fn onestp(
    y: &[f64],
    np: usize,
    o: &StlOptions,
    inner: usize,
    use_rw: bool,
    rw: &[f64],
    season: &mut [f64],
    trend: &mut [f64],
    ws: &mut Workspace,
) {
    let n = y.len();
    for _ in 0..inner {
        for i in 0..n {
            ws.w0[i] = y[i] - trend[i];
        }
        // Cycle-subseries smoothing into w1 (length n + 2·np).
        subseries(
            &ws.w0[..n],
            np,
            o.seasonal,
            o.seasonal_deg,
            if use_rw { Some(rw) } else { None },
            &mut ws.w1,
            &mut ws.sub,
            &mut ws.sub_rw,
            &mut ws.sub_out,
        );
        // Low-pass: moving averages of lengths np, np, 3, then LOESS.
        moving_average(&ws.w1[..n + 2 * np], np, &mut ws.w2);
        moving_average(&ws.w2[..n + np + 1], np, &mut ws.w0);
        moving_average(&ws.w0[..n + 2], 3, &mut ws.w2);
        ess(&ws.w2[..n], o.low_pass, o.low_pass_deg, None, &mut ws.w0[..n]);
        for i in 0..n {
            season[i] = ws.w1[np + i] - ws.w0[i];
            ws.w3[i] = y[i] - season[i];
        }
        ess(&ws.w3[..n], o.trend, o.trend_deg, if use_rw { Some(rw) } else { None }, trend);
    }
}

#[expect(clippy::too_many_arguments, reason = "mirrors the reference routine's argument list")]
fn subseries(
    y: &[f64],
    np: usize,
    ns: usize,
    isdeg: usize,
    rw: Option<&[f64]>,
    season: &mut [f64],
    work1: &mut [f64],
    work3: &mut [f64],
    work2: &mut [f64],
) {
    let n = y.len();
    for j in 0..np {
        let k = (n - (j + 1)) / np + 1;
        for i in 0..k {
            work1[i] = y[i * np + j];
        }
        if let Some(rw) = rw {
            for i in 0..k {
                work3[i] = rw[i * np + j];
            }
        }
        let sub_rw = rw.map(|_| &work3[..k]);
        ess(&work1[..k], ns, isdeg, sub_rw, &mut work2[1..=k]);
        let nright = ns.min(k) as i64;
        work2[0] = est(&work1[..k], ns, isdeg, 0, 1, nright, sub_rw).unwrap_or(work2[1]);
        let nleft = (k as i64 - ns as i64 + 1).max(1);
        work2[k + 1] = est(&work1[..k], ns, isdeg, k as i64 + 1, nleft, k as i64, sub_rw).unwrap_or(work2[k]);
        for m in 0..k + 2 {
            season[m * np + j] = work2[m];
        }
    }
}

/// LOESS smoothing of `y` at every point (the reference `stless` with jump 1).
fn ess(y: &[f64], len: usize, ideg: usize, rw: Option<&[f64]>, ys: &mut [f64]) {
    let n = y.len();
    if n < 2 {
        ys[0] = y[0];
        return;
    }
    if len >= n {
        for i in 0..n {
            ys[i] = est(y, len, ideg, i as i64 + 1, 1, n as i64, rw).unwrap_or(y[i]);
        }
    } else {
        let nsh = (len + 2) / 2;
        let (mut nleft, mut nright) = (1_i64, len as i64);
        for i in 0..n {
            if i + 1 > nsh && nright != n as i64 {
                nleft += 1;
                nright += 1;
            }
            ys[i] = est(y, len, ideg, i as i64 + 1, nleft, nright, rw).unwrap_or(y[i]);
        }
    }
}

/// One local (tricube-weighted, degree 0 or 1) regression at `xs` over `nleft..=nright`
/// (1-based); `None` when every weight is zero.
///
/// The reference normalises the weights, then for degree 1 rescales them by the linear fit
/// before the weighted sum, in six passes; the same value is computed here in one pass from the
/// weighted moments of `u = j − xs` (centred, so the variance does not lose digits).
fn est(y: &[f64], len: usize, ideg: usize, xs: i64, nleft: i64, nright: i64, rw: Option<&[f64]>) -> Option<f64> {
    let n = y.len();
    let range = n as f64 - 1.0;
    let mut h = (xs - nleft).max(nright - xs) as f64;
    if len > n {
        h += ((len - n) / 2) as f64;
    }
    let h9 = 0.999 * h;
    let h1 = 0.001 * h;
    let (lo, hi) = ((nleft - 1) as usize, nright as usize);
    let (mut s0, mut su, mut suu, mut sy, mut suy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for j in lo..hi {
        let u = (j as i64 + 1 - xs) as f64;
        let r = u.abs();
        if r <= h9 {
            let mut w = if r <= h1 { 1.0 } else { (1.0 - (r / h).powi(3)).powi(3) };
            if let Some(rw) = rw {
                w *= rw[j];
            }
            s0 += w;
            su += w * u;
            suu += w * u * u;
            sy += w * y[j];
            suy += w * u * y[j];
        }
    }
    if s0 <= 0.0 {
        return None;
    }
    let mut ys = sy / s0;
    if h > 0.0 && ideg > 0 {
        let a = su / s0;
        let c = (suu / s0 - a * a).max(0.0);
        if c.sqrt() > 0.001 * range {
            let b = -a / c;
            ys = (sy + b * (suy - a * sy)) / s0;
        }
    }
    Some(ys)
}

/// Moving average of length `len` of `x` into `ave[..x.len() - len + 1]`.
fn moving_average(x: &[f64], len: usize, ave: &mut [f64]) {
    let newn = x.len() + 1 - len;
    let flen = len as f64;
    let mut v: f64 = x[..len].iter().sum();
    ave[0] = v / flen;
    for j in 1..newn {
        v += x[len + j - 1] - x[j - 1];
        ave[j] = v / flen;
    }
}

/// Bisquare weights of the residuals scaled by six times their median absolute value.
fn robustness_weights(y: &[f64], season: &[f64], trend: &[f64], rw: &mut [f64]) {
    let n = y.len();
    for i in 0..n {
        rw[i] = (y[i] - season[i] - trend[i]).abs();
    }
    let mut sorted = rw.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid0 = n / 2;
    let mid1 = n - mid0 - 1;
    let cmad = 3.0 * (sorted[mid0] + sorted[mid1]);
    if cmad == 0.0 {
        rw.iter_mut().for_each(|w| *w = 1.0);
        return;
    }
    let (c9, c1) = (0.999 * cmad, 0.001 * cmad);
    for w in rw.iter_mut() {
        *w = if *w <= c1 {
            1.0
        } else if *w <= c9 {
            (1.0 - (*w / cmad).powi(2)).powi(2)
        } else {
            0.0
        };
    }
}
