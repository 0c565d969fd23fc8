//! Starting values: the initial states from a classical decomposition and a regression
//! (`forecast:::initstate`), and the smoothing parameters (`forecast:::initparam`).

use super::model::{Component, Form};

/// The initial states to optimise: level, trend (when there is one) and the first `m - 1`
/// seasonal states in R's order (most recent first; the last one follows from normalisation).
/// `None` when the series is too short for a seasonal start.
pub(crate) fn initial_states(y: &[f64], m: usize, form: Form) -> Option<Vec<f64>> {
    let n = y.len();
    let mut states = Vec::new();
    let (y_sa, m_eff, init_seas) = if form.has_season() {
        if n < 4 || m < 2 {
            return None;
        }
        let multiplicative = form.season == Component::Multiplicative;
        let seasonal = if n < 3 * m { fourier_seasonal(y, m, multiplicative)? } else { classical_seasonal(&y[..3 * m], m, multiplicative) };
        let mut init: Vec<f64> = seasonal[1..m].iter().rev().copied().collect();
        let y_sa: Vec<f64> = if multiplicative {
            for s in &mut init {
                *s = s.max(1e-2);
            }
            let total: f64 = init.iter().sum();
            if total > m as f64 {
                let denom: f64 = init.iter().map(|s| s + 1e-2).sum();
                for s in &mut init {
                    *s /= denom;
                }
            }
            y.iter().zip(&seasonal).map(|(v, s)| v / s.max(1e-2)).collect()
        } else {
            y.iter().zip(&seasonal).map(|(v, s)| v - s).collect()
        };
        (y_sa, m, init)
    } else {
        (y.to_vec(), 1, Vec::new())
    };
    let maxn = 10usize.max(2 * m_eff).min(y_sa.len());
    if maxn == 0 {
        return None;
    }
    let head = &y_sa[..maxn];
    if form.has_trend() {
        let (mut l0, mut b0) = if maxn >= 2 { crate::stats::least_squares_line(head) } else { (head[0], 0.0) };
        // With multiplicative errors a first forecast of zero would divide by zero.
        if (l0 + b0).abs() < 1e-8 {
            l0 *= 1.0 + 1e-3;
            b0 *= 1.0 - 1e-3;
        }
        states.push(l0);
        states.push(b0);
    } else {
        states.push(crate::stats::mean(head));
    }
    states.extend(init_seas);
    Some(states)
}

/// The seasonal component of R's `decompose` ([`crate::decompose::seasonal_indices`]: centred
/// moving average, averaged detrended values per season, normalised to sum 0 or average 1), one
/// value per observation.
pub(crate) fn classical_seasonal(y: &[f64], m: usize, multiplicative: bool) -> Vec<f64> {
    let idx = crate::decompose::seasonal_indices(y, m, multiplicative);
    (0..y.len()).map(|t| idx[t % m]).collect()
}

/// For series shorter than three seasons: the residual of a regression on a line and the first
/// Fourier pair (what `forecast:::initstate` does), as differences or ratios.
fn fourier_seasonal(y: &[f64], m: usize, multiplicative: bool) -> Option<Vec<f64>> {
    let n = y.len();
    let omega = 2.0 * std::f64::consts::PI / m as f64;
    // Columns: 1, t, cos, and sin unless sin(π t) vanishes (m = 2).
    let with_sin = m != 2;
    let k = if with_sin { 4 } else { 3 };
    let row = |t: usize| -> [f64; 4] {
        let tf = (t + 1) as f64;
        [1.0, tf, (omega * tf).cos(), if with_sin { (omega * tf).sin() } else { 0.0 }]
    };
    let mut xtx = vec![0.0; k * k];
    let mut xty = vec![0.0; k];
    for (t, v) in y.iter().enumerate() {
        let r = row(t);
        for i in 0..k {
            xty[i] += r[i] * v;
            for j in 0..k {
                xtx[i * k + j] += r[i] * r[j];
            }
        }
    }
    let coef = crate::stats::solve_linear(&mut xtx, &mut xty, k, 1e-12)?;
    Some(
        (0..n)
            .map(|t| {
                let line = coef[0] + coef[1] * (t + 1) as f64;
                if multiplicative {
                    y[t] / line
                } else {
                    y[t] - line
                }
            })
            .collect(),
    )
}

/// Lower and upper bounds of α, β, γ, φ ("usual" region of `forecast::ets`).
pub(crate) const LOWER: [f64; 4] = [1e-4, 1e-4, 1e-4, 0.8];
/// See [`LOWER`].
pub(crate) const UPPER: [f64; 4] = [0.9999, 0.9999, 0.9999, 0.98];

/// Upper bounds of β and γ in force while the forms of one selection are fitted.
///
/// statsforecast's `initparam` lowers the shared `upper` array in place (`upper[1] = min(upper[1],
/// α₀)`, `upper[2] = min(upper[2], 1 − α₀)`, α₀ the starting α of the form), and `ets_f` passes
/// the same array to every form it tries, so each form's β and γ are bounded by the starting α of
/// every trended (seasonal) form fitted before it: β ≤ 0.2 on yearly data, β ≤ 0.2/m once a
/// seasonal trended form has been tried. R bounds only the starting values this way. The tighter
/// box regularises the trend: on the 699 yearly M1/Tourism series it cut the MASE of AutoETS by
/// 3% (a freely optimised β near α chases the last few slopes and overshoots). [`super::fit_auto`]
/// applies it to non-seasonal data only, where it helps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Caps {
    /// Upper bound of β.
    pub beta: f64,
    /// Upper bound of γ.
    pub gamma: f64,
}

impl Caps {
    /// The "usual" bounds, before any form has lowered them.
    pub(crate) const USUAL: Caps = Caps { beta: UPPER[1], gamma: UPPER[2] };

    /// Lowers the bounds as statsforecast's `initparam` does before fitting `form`.
    pub(crate) fn lower_for(&mut self, form: Form, m: usize) {
        let alpha = starting_alpha(form, m);
        if form.has_trend() {
            self.beta = self.beta.min(alpha);
        }
        if form.has_season() {
            self.gamma = self.gamma.min(1.0 - alpha);
        }
    }
}

fn starting_alpha(form: Form, m: usize) -> f64 {
    let m = if form.has_season() { m.max(1) } else { 1 } as f64;
    let alpha = LOWER[0] + 0.2 * (UPPER[0] - LOWER[0]) / m;
    if (0.0..=1.0).contains(&alpha) {
        alpha
    } else {
        LOWER[0] + 2e-3
    }
}

/// Starting α, β, γ, φ as `forecast:::initparam` (α small for long seasons, β a tenth of the
/// way to α, γ a twentieth of the way to 1 − α, φ near its upper bound), within `caps`.
pub(crate) fn initial_parameters(form: Form, m: usize, caps: Caps) -> [f64; 4] {
    let alpha = starting_alpha(form, m);
    let upper_beta = caps.beta.min(alpha);
    let mut beta = LOWER[1] + 0.1 * (upper_beta - LOWER[1]);
    if beta < 0.0 || beta > alpha {
        beta = alpha - 1e-3;
    }
    let upper_gamma = caps.gamma.min(1.0 - alpha);
    let mut gamma = LOWER[2] + 0.05 * (upper_gamma - LOWER[2]);
    if gamma < 0.0 || gamma > 1.0 - alpha {
        gamma = 1.0 - alpha - 1e-3;
    }
    let phi = LOWER[3] + 0.99 * (UPPER[3] - LOWER[3]);
    [alpha, beta, gamma, phi]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposition_matches_r_decompose() {
        // statsmodels' seasonal_decompose (same as R's decompose) on these series.
        let cases: [(&[f64], usize, bool, &[f64]); 3] = [
            (&[1.0, 5.0, 3.0, 2.0, 2.0, 6.0, 4.0, 3.0, 3.0, 7.0, 5.0, 4.0], 4, false, &[-1.375, 2.375, 0.125, -1.125]),
            (
                &[10.0, 30.0, 20.0, 15.0, 12.0, 33.0, 24.0, 17.0, 14.0, 35.0, 27.0, 20.0],
                4,
                true,
                &[0.6050264881717503, 1.533259500336663, 1.089442801320949, 0.7722712101706376],
            ),
            (
                &[3.0, 8.0, 5.0, 4.0, 9.0, 6.0, 5.0, 10.0, 7.0, 6.0, 11.0, 8.0, 7.0, 12.0, 9.0],
                3,
                false,
                &[-2.0, 2.6666666666666665, -0.6666666666666664],
            ),
        ];
        for (y, m, mult, expect) in cases {
            let s = classical_seasonal(y, m, mult);
            for (a, b) in s.iter().zip(expect.iter().cycle()) {
                assert!((a - b).abs() < 1e-12, "{s:?}");
            }
        }
    }

    #[test]
    fn caps_shrink_as_statsforecast_upper_array() {
        let form = |trend, season, damped| Form { error: Component::Additive, trend, season, damped };
        let mut caps = Caps::USUAL;
        caps.lower_for(form(Component::None, Component::None, false), 4);
        assert_eq!(caps, Caps::USUAL);
        // A trended non-seasonal form: β ≤ α₀ = 1e-4 + 0.2·0.9998.
        caps.lower_for(form(Component::Additive, Component::None, true), 4);
        assert!((caps.beta - 0.20006).abs() < 1e-12 && caps.gamma == UPPER[2], "{caps:?}");
        // A seasonal trended form with m = 4: α₀ = 1e-4 + 0.05·0.9998; both bounds drop and stay.
        caps.lower_for(form(Component::Additive, Component::Additive, true), 4);
        assert!((caps.beta - 0.05009).abs() < 1e-12 && (caps.gamma - 0.94991).abs() < 1e-12, "{caps:?}");
        caps.lower_for(form(Component::Additive, Component::None, false), 4);
        assert!((caps.beta - 0.05009).abs() < 1e-12, "{caps:?}");
        let start = initial_parameters(form(Component::Additive, Component::None, false), 4, caps);
        assert!((start[1] - (1e-4 + 0.1 * (0.05009 - 1e-4))).abs() < 1e-12, "{start:?}");
    }

    #[test]
    fn level_and_trend_from_a_line() {
        let y: Vec<f64> = (1..=20).map(|t| 3.0 + 2.0 * t as f64).collect();
        let form = Form { error: Component::Additive, trend: Component::Additive, season: Component::None, damped: false };
        let s = initial_states(&y, 1, form).unwrap();
        assert!((s[0] - 3.0).abs() < 1e-9 && (s[1] - 2.0).abs() < 1e-9, "{s:?}");
    }
}
