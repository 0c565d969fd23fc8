//! The ETS recursions: one-step forecasts, state updates, the likelihood criterion, point
//! forecasts and the admissibility test, as R's `forecast` (`etscalc.c`) computes them.

/// One component of an ETS form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Component {
    /// Absent.
    None,
    /// Additive.
    Additive,
    /// Multiplicative.
    Multiplicative,
}

impl Component {
    pub(crate) fn letter(self) -> char {
        match self {
            Component::None => 'N',
            Component::Additive => 'A',
            Component::Multiplicative => 'M',
        }
    }
}

/// An ETS form: error, trend (additive or none, possibly damped) and season.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Form {
    pub error: Component,
    pub trend: Component,
    pub season: Component,
    pub damped: bool,
}

impl Form {
    /// `ETS(M,Ad,M)`.
    pub(crate) fn name(self) -> String {
        format!("ETS({},{}{},{})", self.error.letter(), self.trend.letter(), if self.damped { "d" } else { "" }, self.season.letter())
    }

    pub(crate) fn has_trend(self) -> bool {
        self.trend != Component::None
    }

    pub(crate) fn has_season(self) -> bool {
        self.season != Component::None
    }
}

/// Smoothing parameters; `beta = 0` without trend, `gamma = 0` without season, `phi = 1` undamped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Smoothing {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub phi: f64,
}

/// A state: level, trend and `m` seasonal states, `season[0]` the most recent and
/// `season[m - 1]` the one the next observation uses (R's order).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    pub level: f64,
    pub trend: f64,
    pub season: Vec<f64>,
}

const TOL: f64 = 1e-10;
const HUGE: f64 = 1e10;

/// Runs the model over `y` from `state` (updated in place to the final state). The seasonal
/// states rotate through a ring buffer, so a step costs O(1) whatever the season length.
/// Returns the criterion `n·log(Σe²)` (+ `2·Σlog|ŷ|` for multiplicative errors); `fitted` and
/// `errors`, when given, receive the one-step forecasts and the (relative) errors.
pub(crate) fn run(
    y: &[f64],
    form: Form,
    p: Smoothing,
    state: &mut State,
    ring: &mut Vec<f64>,
    mut record: Option<(&mut Vec<f64>, &mut Vec<f64>)>,
) -> f64 {
    let m = state.season.len().max(1);
    ring.clear();
    if form.has_season() {
        ring.extend_from_slice(&state.season);
    } else {
        ring.push(0.0);
    }
    // `ring[(head + j) % m]` is `season[j]`.
    let mut head = 0usize;
    let (mut l, mut b) = (state.level, state.trend);
    let mut sse = 0.0;
    let mut sum_log = 0.0;
    let mut product = 1.0f64;
    let multiplicative_error = form.error == Component::Multiplicative;
    let beta_over_alpha = p.beta / p.alpha;
    for &yt in y {
        let idx = if head == 0 { m - 1 } else { head - 1 };
        let (q, phib) = match form.trend {
            Component::None => (l, 0.0),
            _ => {
                let phib = p.phi * b;
                (l + phib, phib)
            }
        };
        let old_s = ring[idx];
        let f = match form.season {
            Component::None => q,
            Component::Additive => q + old_s,
            Component::Multiplicative => q * old_s,
        };
        let e = if multiplicative_error { (yt - f) / if f.abs() < TOL { f + TOL } else { f } } else { yt - f };
        if let Some((fitted, errors)) = record.as_mut() {
            fitted.push(f);
            errors.push(e);
        }
        let deseasonalised = match form.season {
            Component::None => yt,
            Component::Additive => yt - old_s,
            Component::Multiplicative => {
                if old_s.abs() < TOL {
                    HUGE
                } else {
                    yt / old_s
                }
            }
        };
        let new_l = q + p.alpha * (deseasonalised - q);
        if form.has_trend() {
            b = phib + beta_over_alpha * (new_l - l - phib);
        }
        if form.has_season() {
            let t = match form.season {
                Component::Multiplicative => {
                    if q.abs() < TOL {
                        HUGE
                    } else {
                        yt / q
                    }
                }
                _ => yt - q,
            };
            ring[idx] = old_s + p.gamma * (t - old_s);
            head = idx;
        }
        l = new_l;
        sse += e * e;
        if multiplicative_error {
            // Σ log|ŷ| as the log of a running product, renormalised before it over- or
            // underflows: one logarithm every few dozen steps instead of one per step.
            let af = f.abs();
            product *= if af > 0.0 { af } else { af + 1e-8 };
            if !(1e-100..=1e100).contains(&product) {
                sum_log += product.ln();
                product = 1.0;
            }
        }
    }
    sum_log += product.ln();
    state.level = l;
    state.trend = b;
    if form.has_season() {
        for (j, s) in state.season.iter_mut().enumerate() {
            *s = ring[(head + j) % m];
        }
    }
    let n = y.len() as f64;
    let mut lik = if sse > 0.0 { n * sse.ln() } else { n * (sse + 1e-8).ln() };
    if multiplicative_error {
        lik += 2.0 * sum_log;
    }
    lik
}

/// Point forecasts `1..=h` steps ahead of `state`.
pub(crate) fn point_forecasts(form: Form, p: Smoothing, state: &State, h: usize) -> Vec<f64> {
    let m = state.season.len();
    let mut out = Vec::with_capacity(h);
    let mut phistar = p.phi;
    for i in 0..h {
        let mut f = match form.trend {
            Component::None => state.level,
            _ => state.level + phistar * state.trend,
        };
        if form.has_season() && m > 0 {
            let j = m - 1 - (i % m);
            match form.season {
                Component::Additive => f += state.season[j],
                Component::Multiplicative => f *= state.season[j],
                Component::None => {}
            }
        }
        out.push(f);
        if (p.phi - 1.0).abs() < TOL {
            phistar += 1.0;
        } else {
            phistar += p.phi.powi(i as i32 + 1);
        }
    }
    out
}

/// Hyndman et al. (2008) admissibility (the parameter region where the model is forecastable),
/// as `forecast:::admissible`; `beta`/`gamma`/`phi` are `None` for absent components.
pub(crate) fn admissible(alpha: f64, beta: Option<f64>, gamma: Option<f64>, phi: Option<f64>, m: usize) -> bool {
    let phi = phi.unwrap_or(1.0);
    if !(0.0..=1.0 + 1e-8).contains(&phi) {
        return false;
    }
    match gamma {
        None => {
            if alpha < 1.0 - 1.0 / phi || alpha > 1.0 + 1.0 / phi {
                return false;
            }
            if let Some(beta) = beta {
                if beta < alpha * (phi - 1.0) || beta > (1.0 + phi) * (2.0 - alpha) {
                    return false;
                }
            }
            true
        }
        Some(gamma) if m > 1 && m < MAX_DEGREE => {
            let beta = beta.unwrap_or(0.0);
            if gamma < (1.0 - 1.0 / phi - alpha).max(0.0) || gamma > 1.0 + 1.0 / phi - alpha {
                return false;
            }
            let mf = m as f64;
            if alpha < 1.0 - 1.0 / phi - gamma * (1.0 - mf + phi + phi * mf) / (2.0 * phi * mf) {
                return false;
            }
            if beta < -(1.0 - phi) * (gamma / mf + alpha) {
                return false;
            }
            // The characteristic polynomial, lowest degree first; every root must lie in the
            // (slightly enlarged) closed unit disc.
            let mut poly = [0.0; MAX_DEGREE + 1];
            poly[0] = phi * (1.0 - alpha - gamma);
            poly[1] = alpha + beta - alpha * phi + gamma - 1.0;
            for c in &mut poly[2..m] {
                *c = alpha + beta - alpha * phi;
            }
            poly[m] = alpha + beta - phi;
            poly[m + 1] = 1.0;
            roots_within(&mut poly[..m + 2], 1.0 + 1e-10)
        }
        Some(_) => true,
    }
}

/// Whether every root of the polynomial `Σ c_k z^k` has modulus below `radius`
/// (Schur–Cohn test: O(d²), no root finding).
pub(crate) fn roots_within(coefs: &mut [f64], radius: f64) -> bool {
    let mut scale = 1.0;
    for c in coefs.iter_mut() {
        *c *= scale;
        scale *= radius;
    }
    let mut d = coefs.len().saturating_sub(1);
    while d > 0 && coefs[d] == 0.0 {
        d -= 1;
    }
    let mut next = [0.0; MAX_DEGREE + 1];
    while d > 0 {
        let (a0, ad) = (coefs[0], coefs[d]);
        // NaN coefficients fail this too.
        if a0.abs().partial_cmp(&ad.abs()) != Some(std::cmp::Ordering::Less) {
            return false;
        }
        let mut biggest: f64 = 0.0;
        for k in 1..=d {
            let v = ad * coefs[k] - a0 * coefs[d - k];
            biggest = biggest.max(v.abs());
            next[k - 1] = v;
        }
        if biggest == 0.0 || !biggest.is_finite() {
            return false;
        }
        for k in 0..d {
            coefs[k] = next[k] / biggest;
        }
        d -= 1;
    }
    true
}

/// Largest polynomial degree [`admissible`] builds: season 24 plus one.
const MAX_DEGREE: usize = 25;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schur_cohn_agrees_with_known_roots() {
        // (z - 0.5)(z + 0.9) = z² + 0.4z - 0.45: inside.
        assert!(roots_within(&mut [-0.45, 0.4, 1.0], 1.0));
        // (z - 1.1)(z + 0.2) = z² - 0.9z - 0.22: one outside.
        assert!(!roots_within(&mut [-0.22, -0.9, 1.0], 1.0));
        // z² + 1.0 with roots ±i, just inside a radius a little above one.
        assert!(roots_within(&mut [1.0, 0.0, 1.0], 1.0 + 1e-6));
        // Complex pair of modulus 1.2: z² - 0.0 z + 1.44.
        assert!(!roots_within(&mut [1.44, 0.0, 1.0], 1.0));
    }

    #[test]
    fn admissibility_of_usual_and_unusual_parameters() {
        assert!(admissible(0.3, Some(0.1), Some(0.1), Some(0.95), 12));
        assert!(admissible(0.3, None, None, None, 1));
        assert!(!admissible(2.5, None, None, None, 1));
        assert!(!admissible(0.3, Some(0.1), Some(1.9), None, 4));
    }
}
