//! Derivative-free minimisation: the box-bounded, adaptive Nelder–Mead simplex that
//! `statsforecast` fits ETS and Theta with (its `nelder_mead.h`; Gao & Han 2012 coefficients),
//! shared by every model in the crate.
//!
//! Points are clamped to the box, the initial simplex moves each coordinate by a relative step
//! (an absolute one for zeros), and the search stops when the population standard deviation of
//! the simplex values falls below a tolerance or a budget is spent; it returns the best vertex.

/// Which vertices a shrink step moves towards the best one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shrink {
    /// Every vertex but the best (the textbook step, and statsforecast's Python ETS optimiser).
    AllButBest,
    /// Rows 1..=n of the simplex, as statsforecast 2.x's C++ loop does: row 0 stays put even
    /// when it is not the best (the best row is "shrunk" onto itself and re-evaluated).
    AllButFirst,
}

/// Settings for [`bounded_nelder_mead`]; the default is statsforecast 2.x's Theta setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NelderMead {
    /// Largest number of iterations (statsforecast counts iterations).
    pub max_iterations: usize,
    /// Largest number of objective evaluations (the initial simplex included).
    pub max_evaluations: usize,
    /// Stop when the population standard deviation of the simplex values is below this.
    pub tol_std: f64,
    /// Initial simplex: coordinate `i` of vertex `i` becomes `x·(1 + init_step)`.
    pub init_step: f64,
    /// Initial simplex: the value used for a coordinate that is exactly zero.
    pub zero_step: f64,
    /// Which vertices a shrink step moves.
    pub shrink: Shrink,
}

impl Default for NelderMead {
    fn default() -> Self {
        NelderMead {
            max_iterations: 1000,
            max_evaluations: usize::MAX,
            tol_std: 1e-4,
            init_step: 0.05,
            zero_step: 1e-4,
            shrink: Shrink::AllButFirst,
        }
    }
}

/// The result of a minimisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// Objective evaluations used.
    pub evaluations: usize,
}

/// Minimises `f` over the box `[lower, upper]` from `x0` (empty bounds mean unbounded).
/// NaN objective values count as +∞, so `f` may return NaN or `f64::INFINITY` for inadmissible
/// parameters. `min_step` (may be empty) is a per-coordinate floor on the initial step: where
/// `|x·init_step|` is smaller, the coordinate moves up by `min_step` instead. As statsforecast's
/// `np.fill_diagonal`, vertex `i < n` moves coordinate `i` and vertex `n` is the start.
pub fn bounded_nelder_mead(
    mut f: impl FnMut(&[f64]) -> f64,
    x0: &[f64],
    lower: &[f64],
    upper: &[f64],
    min_step: &[f64],
    settings: &NelderMead,
) -> Minimum {
    let n = x0.len();
    let clamp = |x: &mut [f64]| {
        for ((v, lo), hi) in x.iter_mut().zip(lower).zip(upper) {
            *v = v.max(*lo).min(*hi);
        }
    };
    let mut evaluations = 0usize;
    let mut eval = |x: &[f64], count: &mut usize| {
        *count += 1;
        let v = f(x);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    let mut start = x0.to_vec();
    clamp(&mut start);
    if n == 0 {
        let value = eval(&start, &mut evaluations);
        count_evaluations(evaluations);
        return Minimum { x: start, value, evaluations };
    }
    let nf = n as f64;
    let (refl, expand, contract, shrink) = (1.0, 1.0 + 2.0 / nf, 0.75 - 1.0 / (2.0 * nf), 1.0 - 1.0 / nf);
    let mut simplex = vec![start.clone(); n + 1];
    for (i, vertex) in simplex.iter_mut().enumerate().take(n) {
        let v = vertex[i];
        let floor = min_step.get(i).copied().unwrap_or(0.0);
        let moved = if (v * settings.init_step).abs() < floor {
            v + floor
        } else if v == 0.0 {
            settings.zero_step
        } else {
            v * (1.0 + settings.init_step)
        };
        vertex[i] = moved;
        clamp(vertex);
    }
    let mut values: Vec<f64> = simplex.iter().map(|p| eval(p, &mut evaluations)).collect();
    let mut centroid = vec![0.0; n];
    let mut trial = vec![0.0; n];
    let mut trial2 = vec![0.0; n];
    for _ in 0..settings.max_iterations {
        if evaluations >= settings.max_evaluations {
            break;
        }
        let mean = values.iter().sum::<f64>() / (n + 1) as f64;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n + 1) as f64).sqrt();
        if sd < settings.tol_std {
            break;
        }
        // Best (first smallest), worst (last largest) and the second worst value, as a stable
        // sort of the values would give them.
        let (mut best, mut worst) = (0, 0);
        for i in 1..=n {
            if values[i] < values[best] {
                best = i;
            }
            if values[i] >= values[worst] {
                worst = i;
            }
        }
        let second = (0..=n).filter(|&i| i != worst).map(|i| values[i]).fold(f64::NEG_INFINITY, f64::max);
        for (j, c) in centroid.iter_mut().enumerate() {
            *c = (simplex.iter().map(|p| p[j]).sum::<f64>() - simplex[worst][j]) / nf;
        }
        for ((t, c), w) in trial.iter_mut().zip(&centroid).zip(&simplex[worst]) {
            *t = c + refl * (c - w);
        }
        clamp(&mut trial);
        let fr = eval(&trial, &mut evaluations);
        if values[best] <= fr && fr < second {
            simplex[worst].copy_from_slice(&trial);
            values[worst] = fr;
            continue;
        }
        if fr < values[best] {
            for ((e, c), r) in trial2.iter_mut().zip(&centroid).zip(&trial) {
                *e = c + expand * (r - c);
            }
            clamp(&mut trial2);
            let fe = eval(&trial2, &mut evaluations);
            if fe < fr {
                simplex[worst].copy_from_slice(&trial2);
                values[worst] = fe;
            } else {
                simplex[worst].copy_from_slice(&trial);
                values[worst] = fr;
            }
            continue;
        }
        if fr < values[worst] {
            // Outside contraction (here second ≤ fr < worst).
            for ((e, c), r) in trial2.iter_mut().zip(&centroid).zip(&trial) {
                *e = c + contract * (r - c);
            }
            clamp(&mut trial2);
            let fc = eval(&trial2, &mut evaluations);
            if fc <= fr {
                simplex[worst].copy_from_slice(&trial2);
                values[worst] = fc;
                continue;
            }
        } else {
            // Inside contraction.
            for ((e, c), r) in trial2.iter_mut().zip(&centroid).zip(&trial) {
                *e = c - contract * (r - c);
            }
            clamp(&mut trial2);
            let fc = eval(&trial2, &mut evaluations);
            if fc < values[worst] {
                simplex[worst].copy_from_slice(&trial2);
                values[worst] = fc;
                continue;
            }
        }
        let best_point = simplex[best].clone();
        for i in 0..=n {
            let skip = match settings.shrink {
                Shrink::AllButBest => i == best,
                Shrink::AllButFirst => i == 0,
            };
            if skip {
                continue;
            }
            for (p, b) in simplex[i].iter_mut().zip(&best_point) {
                *p = b + shrink * (*p - b);
            }
            clamp(&mut simplex[i]);
            values[i] = eval(&simplex[i], &mut evaluations);
        }
    }
    let best = (0..=n).min_by(|&a, &b| values[a].total_cmp(&values[b])).unwrap_or(0);
    count_evaluations(evaluations);
    Minimum { value: values[best], x: simplex.swap_remove(best), evaluations }
}

#[cfg(test)]
thread_local! {
    /// Objective evaluations so far on this thread, over all minimisations (for measuring the
    /// optimiser's cost in tests).
    static EVALUATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Objective evaluations so far on this thread, over all minimisations.
#[cfg(test)]
pub(crate) fn evaluations_so_far() -> usize {
    EVALUATIONS.with(std::cell::Cell::get)
}

#[cfg(test)]
fn count_evaluations(evaluations: usize) {
    EVALUATIONS.with(|c| c.set(c.get() + evaluations));
}

#[cfg(not(test))]
fn count_evaluations(_evaluations: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_rosenbrock_unbounded() {
        let f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let settings = NelderMead { max_iterations: 5000, tol_std: 1e-14, ..NelderMead::default() };
        let m = bounded_nelder_mead(f, &[-1.2, 1.0], &[], &[], &[], &settings);
        assert!((m.x[0] - 1.0).abs() < 1e-3 && (m.x[1] - 1.0).abs() < 1e-3, "{m:?}");
    }

    #[test]
    fn treats_inadmissible_points_as_infinite() {
        let f = |x: &[f64]| {
            if x[0] < 0.0 {
                f64::NAN
            } else {
                (x[0] - 0.3).powi(2)
            }
        };
        let m = bounded_nelder_mead(f, &[0.9], &[], &[], &[], &NelderMead { tol_std: 1e-10, ..NelderMead::default() });
        assert!((m.x[0] - 0.3).abs() < 1e-3, "{m:?}");
    }

    #[test]
    fn respects_bounds_and_finds_interior_minima() {
        let f = |x: &[f64]| (x[0] - 0.3).powi(2) + (x[1] + 2.0).powi(2);
        for shrink in [Shrink::AllButBest, Shrink::AllButFirst] {
            let settings =
                NelderMead { max_iterations: usize::MAX, max_evaluations: 2000, tol_std: 1e-12, shrink, ..NelderMead::default() };
            let m = bounded_nelder_mead(f, &[0.5, 1.0], &[0.0, -1.0], &[1.0, 5.0], &[], &settings);
            assert!((m.x[0] - 0.3).abs() < 1e-3 && (m.x[1] + 1.0).abs() < 1e-6, "{m:?}");
            assert!((m.value - 1.0).abs() < 1e-5);
            assert!(m.evaluations <= 2000 + 4);
        }
    }

    #[test]
    fn builds_the_initial_simplex_like_statsforecast() {
        let mut seen = Vec::new();
        let settings = NelderMead { max_iterations: 0, ..NelderMead::default() };
        let _ = bounded_nelder_mead(
            |x| {
                seen.push(x.to_vec());
                0.0
            },
            &[2.0, 0.0, -4.0],
            &[],
            &[],
            &[0.0, 0.0, 0.0],
            &settings,
        );
        // Row i moves coordinate i (numpy's fill_diagonal); the last row is the start.
        assert_eq!(seen, vec![vec![2.1, 0.0, -4.0], vec![2.0, 1e-4, -4.0], vec![2.0, 0.0, -4.2], vec![2.0, 0.0, -4.0]]);
    }
}
