//! Forecast combinations: the equal-weight mean of several models' forecasts.
//!
//! Intervals of a combination are the means of the members' bounds at each level. This is the
//! choice of `statsforecast`'s and the M4 benchmarks' combinations: simple, monotone in the
//! members, and, when the members' errors are strongly correlated (as for ETS, ARIMA and Theta
//! on the same series), close to the interval of the combined forecast; it is a little
//! conservative when they are not. Out of sample these intervals are too narrow (M1 and Tourism
//! holdouts: 67–74% inside the 80% interval); [`crate::select::calibrated`] recalibrates them
//! from a backtest.

use crate::{arima, ets, theta, FitError, Fitted, Forecast, Interval, Series};

/// Several fitted models forecasting together.
#[derive(Debug)]
pub struct Combination {
    members: Vec<Box<dyn Fitted>>,
}

impl Combination {
    /// Combines already fitted models.
    ///
    /// # Errors
    /// [`FitError::InvalidInput`] when `members` is empty.
    pub fn new(members: Vec<Box<dyn Fitted>>) -> Result<Combination, FitError> {
        if members.is_empty() {
            return Err(FitError::InvalidInput("a combination needs at least one member".into()));
        }
        Ok(Combination { members })
    }

    /// The members, in the order they were given.
    #[must_use]
    pub fn members(&self) -> &[Box<dyn Fitted>] {
        &self.members
    }
}

/// The mean of ETS, ARIMA and Theta (members that fail to fit are left out).
///
/// # Errors
/// [`FitError`] when none of them fits (the last member's error).
pub fn ets_arima_theta(series: &Series<'_>) -> Result<Combination, FitError> {
    series.check()?;
    let mut members: Vec<Box<dyn Fitted>> = Vec::with_capacity(3);
    let mut last_err = FitError::Failed("no member fitted".into());
    match ets::fit_auto(series, &ets::Options::default()) {
        Ok(f) => members.push(Box::new(f)),
        Err(e) => last_err = e,
    }
    match arima::fit_auto(series, &arima::Options::default()) {
        Ok(f) => members.push(Box::new(f)),
        Err(e) => last_err = e,
    }
    match theta::fit_auto(series) {
        Ok(f) => members.push(Box::new(f)),
        Err(e) => last_err = e,
    }
    if members.is_empty() {
        return Err(last_err);
    }
    Combination::new(members)
}

/// The element-wise mean of equally long vectors (NaN where every member is NaN).
fn mean_of(rows: &[Vec<f64>]) -> Vec<f64> {
    let len = rows.iter().map(Vec::len).min().unwrap_or(0);
    (0..len)
        .map(|i| {
            let vals: Vec<f64> = rows.iter().map(|r| r[i]).filter(|v| v.is_finite()).collect();
            if vals.is_empty() {
                f64::NAN
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            }
        })
        .collect()
}

impl Fitted for Combination {
    fn name(&self) -> String {
        let names: Vec<String> = self.members.iter().map(|m| m.name()).collect();
        format!("Combination({})", names.join(", "))
    }

    fn fitted(&self) -> Vec<f64> {
        let rows: Vec<Vec<f64>> = self.members.iter().map(|m| m.fitted()).filter(|f| !f.is_empty()).collect();
        mean_of(&rows)
    }

    fn forecast(&self, horizon: usize, levels: &[f64]) -> Result<Forecast, FitError> {
        let fcs = self.members.iter().map(|m| m.forecast(horizon, levels)).collect::<Result<Vec<_>, _>>()?;
        let means: Vec<Vec<f64>> = fcs.iter().map(|f| f.mean.clone()).collect();
        let mut intervals = Vec::with_capacity(levels.len());
        for (j, &level) in levels.iter().enumerate() {
            let lo: Vec<Vec<f64>> = fcs.iter().filter_map(|f| f.intervals.get(j).map(|i| i.lo.clone())).collect();
            let hi: Vec<Vec<f64>> = fcs.iter().filter_map(|f| f.intervals.get(j).map(|i| i.hi.clone())).collect();
            intervals.push(Interval { level, lo: mean_of(&lo), hi: mean_of(&hi) });
        }
        Ok(Forecast { model: self.name(), mean: mean_of(&means), intervals })
    }

    fn params(&self) -> serde_json::Value {
        serde_json::Value::Array(self.members.iter().map(|m| serde_json::json!({ "model": m.name(), "params": m.params() })).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline;

    #[test]
    fn combination_averages_points_and_bounds() {
        let x = [10.0, 12.0, 11.0, 15.0, 14.0];
        let s = Series::new(&x, 1);
        let a = baseline::naive(&s).unwrap();
        let b = baseline::drift(&s).unwrap();
        let fa = a.forecast(2, &[80.0]).unwrap();
        let fb = b.forecast(2, &[80.0]).unwrap();
        let c = Combination::new(vec![Box::new(a), Box::new(b)]).unwrap();
        let f = c.forecast(2, &[80.0]).unwrap();
        // drift = (14 - 10) / 4 = 1: means (14 + 15) / 2 and (14 + 16) / 2.
        assert_eq!(f.mean, vec![14.5, 15.0]);
        let i = &f.intervals[0];
        assert!((i.lo[1] - (fa.intervals[0].lo[1] + fb.intervals[0].lo[1]) / 2.0).abs() < 1e-12);
        assert!((i.hi[0] - (fa.intervals[0].hi[0] + fb.intervals[0].hi[0]) / 2.0).abs() < 1e-12);
        assert_eq!(c.name(), "Combination(Naive, Drift)");
        let fit = c.fitted();
        assert!(fit[0].is_nan());
        assert_eq!(fit[1], 10.5); // naive 10, drift 10 + 1
        assert!(Combination::new(Vec::new()).is_err());
    }
}
