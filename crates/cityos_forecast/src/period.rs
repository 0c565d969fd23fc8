//! Periods: a month index (`year * 12 + month - 1`) written `YYYY-MM` on the wire. Quarterly
//! periods are labelled by the quarter's first month, yearly periods by January.

use cityos_tsmodels::Frequency;

/// A period as a month index: `year * 12 + (month - 1)`.
pub type Period = i64;

/// Why a period label was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{label}` is not a {frequency} period: write YYYY-MM{hint}")]
pub struct PeriodError {
    /// The label given.
    pub label: String,
    /// The frequency expected.
    pub frequency: &'static str,
    /// What else is accepted.
    pub hint: &'static str,
}

/// The wire name of a frequency.
#[must_use]
pub fn frequency_name(f: Frequency) -> &'static str {
    match f {
        Frequency::Monthly => "monthly",
        Frequency::Quarterly => "quarterly",
        Frequency::Yearly => "yearly",
    }
}

/// Parses a frequency's wire name.
#[must_use]
pub fn parse_frequency(s: &str) -> Option<Frequency> {
    match s {
        "monthly" => Some(Frequency::Monthly),
        "quarterly" => Some(Frequency::Quarterly),
        "yearly" | "annual" => Some(Frequency::Yearly),
        _ => None,
    }
}

/// Months between periods of `f`.
#[must_use]
pub fn step(f: Frequency) -> i64 {
    i64::from(f.months())
}

/// Parses `YYYY-MM` (any frequency, aligned to it), `YYYY-Qn` (quarterly) or `YYYY` (yearly).
///
/// # Errors
/// [`PeriodError`] for anything else, or a month that does not start a period of `f`.
pub fn parse(label: &str, f: Frequency) -> Result<Period, PeriodError> {
    let err = || PeriodError {
        label: label.chars().take(40).collect(),
        frequency: frequency_name(f),
        hint: match f {
            Frequency::Monthly => "",
            Frequency::Quarterly => " with the quarter's first month (01, 04, 07, 10) or YYYY-Qn",
            Frequency::Yearly => "-01 or YYYY",
        },
    };
    let label = label.trim();
    let year_of = |s: &str| -> Option<i64> {
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse::<i64>().ok().filter(|y| (1800..=2200).contains(y))
        } else {
            None
        }
    };
    let month = if let Some((y, rest)) = label.split_once('-') {
        let year = year_of(y).ok_or_else(err)?;
        if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            if f != Frequency::Quarterly {
                return Err(err());
            }
            let q: i64 = match q {
                "1" => 1,
                "2" => 2,
                "3" => 3,
                "4" => 4,
                _ => return Err(err()),
            };
            year * 12 + (q - 1) * 3
        } else {
            if rest.len() != 2 || !rest.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            let m: i64 = rest.parse().map_err(|_| err())?;
            if !(1..=12).contains(&m) {
                return Err(err());
            }
            year * 12 + m - 1
        }
    } else {
        if f != Frequency::Yearly {
            return Err(err());
        }
        year_of(label).ok_or_else(err)? * 12
    };
    if month.rem_euclid(step(f)) != 0 {
        return Err(err());
    }
    Ok(month)
}

/// Writes `YYYY-MM`.
#[must_use]
pub fn label(p: Period) -> String {
    format!("{:04}-{:02}", p.div_euclid(12), p.rem_euclid(12) + 1)
}

/// The calendar year of a period.
#[must_use]
pub fn year(p: Period) -> i32 {
    i32::try_from(p.div_euclid(12)).unwrap_or(0)
}

/// The calendar month (1..=12) of a period.
#[must_use]
pub fn month(p: Period) -> u32 {
    u32::try_from(p.rem_euclid(12) + 1).unwrap_or(1)
}

/// `count` consecutive periods of `f` after `last`.
#[must_use]
pub fn following(last: Period, f: Frequency, count: usize) -> Vec<Period> {
    (1..=count).map(|k| last + step(f) * i64::try_from(k).unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_labels() {
        assert_eq!(parse("2024-03", Frequency::Monthly), Ok(2024 * 12 + 2));
        assert_eq!(label(2024 * 12 + 2), "2024-03");
        assert_eq!(parse("2024-Q3", Frequency::Quarterly), Ok(2024 * 12 + 6));
        assert_eq!(parse("2024-07", Frequency::Quarterly), Ok(2024 * 12 + 6));
        assert!(parse("2024-08", Frequency::Quarterly).is_err());
        assert_eq!(parse("2024", Frequency::Yearly), Ok(2024 * 12));
        assert!(parse("2024", Frequency::Monthly).is_err());
        assert!(parse("2024-13", Frequency::Monthly).is_err());
        assert!(parse("24-01", Frequency::Monthly).is_err());
        assert!(parse("2024-1", Frequency::Monthly).is_err());
        assert_eq!(following(2024 * 12 + 9, Frequency::Quarterly, 2), vec![2025 * 12, 2025 * 12 + 3]);
    }
}
