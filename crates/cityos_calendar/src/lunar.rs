//! The Vietnamese lunisolar calendar.
//!
//! This is Hồ Ngọc Đức's astronomical algorithm (new moons and solar
//! longitude after Jean Meeus, "Astronomical Algorithms", 1998), computed for
//! the Vietnamese civil time zone UTC+7. The rules: a lunar month starts on
//! the local day of a new moon; month 11 is the one containing the winter
//! solstice; a lunar year with 13 months leaps the first month after month 11
//! that contains no major solar term.
//!
//! Because the time zone is UTC+7 rather than China's UTC+8, a new moon that
//! happens between 23:00 and 24:00 Beijing time starts a month one day
//! earlier in Vietnam, so Tết differs from Chinese New Year in some years
//! (1985 and 2007, for example).

use std::f64::consts::PI;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Hours east of UTC of Vietnamese civil time, used for all lunar dates.
const TIME_ZONE: f64 = 7.0;

/// Mean length of a synodic month in days.
const SYNODIC_MONTH: f64 = 29.530_588_853;

/// Julian day of the new moon of 1900-01-01 (the epoch of `k`).
const NEW_MOON_EPOCH: f64 = 2_415_021.076_998_695;

/// Julian day number of 0000-12-31 (proleptic Gregorian), so that
/// `jd = days_from_ce + JD_OF_CE_DAY_ZERO`.
const JD_OF_CE_DAY_ZERO: i64 = 1_721_425;

/// A date of the Vietnamese lunar calendar (âm lịch).
///
/// `year` is the Gregorian year in which the lunar year *starts* (so lunar
/// 1/1/2025 is Tết of 2025, and lunar 12/2025 mostly falls in January 2026).
/// `month` is 1..=12; `leap` marks the intercalary month (tháng nhuận) that
/// follows the ordinary month with the same number. `day` is 1..=30.
///
/// Values produced by [`solar_to_lunar`] always denote an existing day;
/// [`lunar_to_solar`] rejects values that do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LunarDate {
    /// Gregorian year in which this lunar year starts.
    pub year: i32,
    /// Month number, 1..=12.
    pub month: u32,
    /// Day of the month, 1..=30.
    pub day: u32,
    /// Whether this is the leap (intercalary) month.
    pub leap: bool,
}

/// Converts a Gregorian date to the Vietnamese lunar calendar.
///
/// Guarantees: total for every `NaiveDate`; the result satisfies
/// `lunar_to_solar(solar_to_lunar(d)) == Some(d)` wherever the astronomy is
/// meaningful. The algorithm is tuned for 1800..=2199; outside that range
/// the answer is a consistent extrapolation, not a historical fact. Vietnam
/// itself used UTC+8 (the Chinese calendar) before 1968, so dates before then
/// are the UTC+7 calendar as if applied retroactively.
pub fn solar_to_lunar(date: NaiveDate) -> LunarDate {
    let day_number = jd_of(date);
    let yy = i64::from(date.year());
    // The mean synodic month only estimates which new moon starts the
    // month; the true new moon can be most of a day away from the mean one,
    // so the estimate is corrected in both directions. (The published
    // algorithm only looks one month ahead and yields day 0 on rare dates
    // such as 2054-05-07.)
    let mut k = ((day_number as f64 - NEW_MOON_EPOCH) / SYNODIC_MONTH).floor() as i64;
    let mut month_start = new_moon_day(k);
    for _ in 0..2 {
        if month_start <= day_number {
            break;
        }
        k = k.saturating_sub(1);
        month_start = new_moon_day(k);
    }
    for _ in 0..2 {
        let next = new_moon_day(k.saturating_add(1));
        if next > day_number {
            break;
        }
        k = k.saturating_add(1);
        month_start = next;
    }
    let mut a11 = lunar_month_11(yy);
    let mut b11 = a11;
    let mut lunar_year;
    if a11 >= month_start {
        lunar_year = yy;
        a11 = lunar_month_11(yy - 1);
    } else {
        lunar_year = yy + 1;
        b11 = lunar_month_11(yy + 1);
    }
    let lunar_day = day_number.saturating_sub(month_start).saturating_add(1);
    let diff = month_start.saturating_sub(a11).div_euclid(29);
    let mut leap = false;
    let mut lunar_month = diff + 11;
    if b11.saturating_sub(a11) > 365 {
        let leap_month_diff = leap_month_offset(a11);
        if diff >= leap_month_diff {
            lunar_month = diff + 10;
            if diff == leap_month_diff {
                leap = true;
            }
        }
    }
    if lunar_month > 12 {
        lunar_month -= 12;
    }
    if lunar_month >= 11 && diff < 4 {
        lunar_year -= 1;
    }
    LunarDate {
        // Within one of the input year, which is far inside i32.
        year: i32::try_from(lunar_year).unwrap_or(date.year()),
        month: u32::try_from(lunar_month).unwrap_or(1),
        day: u32::try_from(lunar_day).unwrap_or(1),
        leap,
    }
}

/// Converts a Vietnamese lunar date to the Gregorian calendar.
///
/// Guarantees: `None` unless `lunar` names a day that exists: month 1..=12,
/// `leap` only for the actual leap month of that lunar year, `day` not past
/// the month's last day (29 or 30), and the result representable as a
/// `NaiveDate`. When `Some(d)`, `solar_to_lunar(d) == lunar`.
pub fn lunar_to_solar(lunar: LunarDate) -> Option<NaiveDate> {
    if !(1..=12).contains(&lunar.month) || !(1..=30).contains(&lunar.day) {
        return None;
    }
    let year = i64::from(lunar.year);
    // One year of margin either side of chrono's range: lunar years start
    // in the Gregorian year that names them, and month 12 may end in the
    // next one.
    let representable = i64::from(NaiveDate::MIN.year()) - 1..=i64::from(NaiveDate::MAX.year()) + 1;
    if !representable.contains(&year) {
        return None;
    }
    let month = i64::from(lunar.month);
    let (a11, b11) =
        if month < 11 { (lunar_month_11(year - 1), lunar_month_11(year)) } else { (lunar_month_11(year), lunar_month_11(year + 1)) };
    let k = (0.5 + (a11 as f64 - NEW_MOON_EPOCH) / SYNODIC_MONTH).floor() as i64;
    let mut off = (month - 11).rem_euclid(12);
    if b11.saturating_sub(a11) > 365 {
        let leap_off = leap_month_offset(a11);
        let leap_month = (leap_off - 2).rem_euclid(12);
        if lunar.leap && month != leap_month {
            return None;
        }
        if lunar.leap || off >= leap_off {
            off += 1;
        }
    } else if lunar.leap {
        return None;
    }
    let month_start = new_moon_day(k.saturating_add(off));
    let date = date_of_jd(month_start.checked_add(i64::from(lunar.day) - 1)?)?;
    // Rejects day 30 of a 29-day month (and any other inconsistency) by
    // requiring the conversion to round-trip.
    (solar_to_lunar(date) == lunar).then_some(date)
}

/// Returns the Gregorian date of Tết Nguyên Đán (lunar 1/1) of `year`.
///
/// Guarantees: the date lies in `year`, between 21 January and 20 February
/// for 1800..=2199; `None` only when it is not representable as a
/// `NaiveDate` (years near chrono's limits of ±262,000).
pub fn tet(year: i32) -> Option<NaiveDate> {
    lunar_to_solar(LunarDate { year, month: 1, day: 1, leap: false })
}

/// Julian day number of a proleptic Gregorian date.
fn jd_of(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) + JD_OF_CE_DAY_ZERO
}

/// Julian day number of 31 December of `year` (proleptic Gregorian), for any
/// year, without going through `NaiveDate` (whose range is smaller).
fn jd_of_dec_31(year: i64) -> i64 {
    // Fliegel & Van Flandern's formula with month = 12, day = 31.
    let y = year + 4800;
    let m = 9;
    31 + (153 * m + 2) / 5 + 365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) - 32045
}

fn date_of_jd(jd: i64) -> Option<NaiveDate> {
    let days = i32::try_from(jd.checked_sub(JD_OF_CE_DAY_ZERO)?).ok()?;
    NaiveDate::from_num_days_from_ce_opt(days)
}

/// Julian date (with fraction, UT) of the `k`-th new moon after 1900-01-01.
fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = PI / 180.0;
    let mut jd1 = 2_415_020.759_33 + 29.530_588_68 * k + 0.000_117_8 * t2 - 0.000_000_155 * t3;
    jd1 += 0.000_33 * ((166.56 + 132.87 * t - 0.009_173 * t2) * dr).sin();
    let m = 359.2242 + 29.105_356_08 * k - 0.000_033_3 * t2 - 0.000_003_47 * t3;
    let mpr = 306.0253 + 385.816_918_06 * k + 0.010_730_6 * t2 + 0.000_012_36 * t3;
    let f = 21.2964 + 390.670_506_46 * k - 0.001_652_8 * t2 - 0.000_002_39 * t3;
    let mut c1 = (0.1734 - 0.000_393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let delta_t = if t < -11.0 {
        0.001 + 0.000_839 * t + 0.000_226_1 * t2 - 0.000_008_45 * t3 - 0.000_000_081 * t * t3
    } else {
        -0.000_278 + 0.000_265 * t + 0.000_262 * t2
    };
    jd1 + c1 - delta_t
}

/// Solar longitude in radians, in `[0, 2π)`, at Julian date `jdn` (UT).
fn sun_longitude(jdn: f64) -> f64 {
    let t = (jdn - 2_451_545.0) / 36525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.529_10 + 35_999.050_30 * t - 0.000_155_9 * t2 - 0.000_000_48 * t * t2;
    let l0 = 280.466_45 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let mut dl = (1.914_600 - 0.004_817 * t - 0.000_014 * t2) * (dr * m).sin();
    dl += (0.019_993 - 0.000_101 * t) * (dr * 2.0 * m).sin() + 0.000_290 * (dr * 3.0 * m).sin();
    let l = (l0 + dl) * dr;
    l - 2.0 * PI * (l / (2.0 * PI)).floor()
}

/// Local day (Julian day number) of the `k`-th new moon.
fn new_moon_day(k: i64) -> i64 {
    (new_moon(k) + 0.5 + TIME_ZONE / 24.0).floor() as i64
}

/// Sector 0..=11 of the sun's longitude at the start of local day
/// `day_number`; sector `n` spans `[30n°, 30(n+1)°)`.
fn sun_sector(day_number: i64) -> i64 {
    (sun_longitude(day_number as f64 - 0.5 - TIME_ZONE / 24.0) / PI * 6.0).floor() as i64
}

/// Julian day number of the start of lunar month 11 (the month containing
/// the winter solstice) of Gregorian `year`.
fn lunar_month_11(year: i64) -> i64 {
    let off = jd_of_dec_31(year) - 2_415_021;
    let k = (off as f64 / SYNODIC_MONTH).floor() as i64;
    let nm = new_moon_day(k);
    if sun_sector(nm) >= 9 {
        new_moon_day(k.saturating_sub(1))
    } else {
        nm
    }
}

/// Offset, in months after month 11 starting on `a11`, of the leap month
/// of a 13-month lunar year.
fn leap_month_offset(a11: i64) -> i64 {
    let k = ((a11 as f64 - NEW_MOON_EPOCH) / SYNODIC_MONTH + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k.saturating_add(i)));
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k.saturating_add(i)));
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn lunar(year: i32, month: u32, day: u32, leap: bool) -> LunarDate {
        LunarDate { year, month, day, leap }
    }

    #[test]
    fn julian_day_numbers() {
        assert_eq!(jd_of(d(2000, 1, 1)), 2_451_545);
        assert_eq!(jd_of(d(1900, 1, 1)), 2_415_021);
        assert_eq!(jd_of_dec_31(1999), jd_of(d(1999, 12, 31)));
        assert_eq!(jd_of_dec_31(-44), jd_of(d(-44, 12, 31)));
        assert_eq!(date_of_jd(2_451_545), Some(d(2000, 1, 1)));
    }

    #[test]
    fn tet_recent_years() {
        assert_eq!(tet(2024), Some(d(2024, 2, 10)));
        assert_eq!(tet(2025), Some(d(2025, 1, 29)));
        assert_eq!(tet(2026), Some(d(2026, 2, 17)));
        assert_eq!(tet(2027), Some(d(2027, 2, 6)));
    }

    /// Tết and Giỗ Tổ Hùng Vương (lunar 10/3) for 1901..=2099 as (month,
    /// day), from the independently maintained Vietnamese tables of the
    /// python-holidays project (`VIETNAMESE_CALENDAR_LUNAR_NEW_YEAR_DATES`,
    /// `VIETNAMESE_CALENDAR_HUNG_KINGS_DATES`, falling back to its Chinese
    /// tables where the two agree).
    #[rustfmt::skip]
    const TET_1901_2099: [(u32, u32); 199] = [
        (2, 19), (2, 8), (1, 28), (2, 16), (2, 4), (1, 25), (2, 13), (2, 2), (1, 22), (2, 10),
        (1, 30), (2, 18), (2, 6), (1, 26), (2, 14), (2, 3), (1, 23), (2, 11), (2, 1), (2, 20),
        (2, 8), (1, 28), (2, 16), (2, 5), (1, 24), (2, 13), (2, 2), (1, 23), (2, 10), (1, 30),
        (2, 17), (2, 6), (1, 26), (2, 14), (2, 3), (1, 24), (2, 11), (1, 31), (2, 19), (2, 8),
        (1, 27), (2, 15), (2, 5), (1, 25), (2, 13), (2, 2), (1, 22), (2, 10), (1, 29), (2, 17),
        (2, 6), (1, 27), (2, 14), (2, 3), (1, 24), (2, 12), (1, 31), (2, 18), (2, 8), (1, 28),
        (2, 15), (2, 5), (1, 25), (2, 13), (2, 1), (1, 21), (2, 9), (1, 29), (2, 16), (2, 6),
        (1, 27), (2, 15), (2, 3), (1, 23), (2, 11), (1, 31), (2, 18), (2, 7), (1, 28), (2, 16),
        (2, 5), (1, 25), (2, 13), (2, 2), (1, 21), (2, 9), (1, 29), (2, 17), (2, 6), (1, 27),
        (2, 15), (2, 4), (1, 23), (2, 10), (1, 31), (2, 19), (2, 7), (1, 28), (2, 16), (2, 5),
        (1, 24), (2, 12), (2, 1), (1, 22), (2, 9), (1, 29), (2, 17), (2, 7), (1, 26), (2, 14),
        (2, 3), (1, 23), (2, 10), (1, 31), (2, 19), (2, 8), (1, 28), (2, 16), (2, 5), (1, 25),
        (2, 12), (2, 1), (1, 22), (2, 10), (1, 29), (2, 17), (2, 6), (1, 26), (2, 13), (2, 2),
        (1, 23), (2, 11), (1, 31), (2, 19), (2, 8), (1, 28), (2, 15), (2, 4), (1, 24), (2, 12),
        (2, 1), (1, 22), (2, 10), (1, 30), (2, 17), (2, 6), (1, 26), (2, 14), (2, 2), (1, 23),
        (2, 11), (2, 1), (2, 18), (2, 8), (1, 28), (2, 15), (2, 4), (1, 24), (2, 12), (2, 2),
        (1, 21), (2, 9), (1, 29), (2, 17), (2, 5), (1, 26), (2, 14), (2, 3), (1, 23), (2, 11),
        (1, 31), (2, 19), (2, 7), (1, 27), (2, 15), (2, 5), (1, 24), (2, 12), (2, 2), (1, 22),
        (2, 9), (1, 29), (2, 17), (2, 6), (1, 26), (2, 14), (2, 3), (1, 24), (2, 10), (1, 30),
        (2, 18), (2, 7), (1, 27), (2, 15), (2, 5), (1, 25), (2, 12), (2, 1), (1, 21),
    ];

    #[rustfmt::skip]
    const HUNG_KINGS_1901_2099: [(u32, u32); 199] = [
        (4, 28), (4, 17), (4, 7), (4, 25), (4, 14), (4, 3), (4, 22), (4, 10), (4, 29), (4, 19),
        (4, 8), (4, 26), (4, 16), (4, 5), (4, 23), (4, 11), (4, 1), (4, 20), (4, 10), (4, 28),
        (4, 17), (4, 6), (4, 25), (4, 13), (4, 2), (4, 21), (4, 11), (4, 29), (4, 19), (4, 8),
        (4, 27), (4, 15), (4, 4), (4, 23), (4, 12), (4, 1), (4, 20), (4, 10), (4, 28), (4, 17),
        (4, 6), (4, 24), (4, 14), (4, 2), (4, 21), (4, 11), (4, 30), (4, 18), (4, 7), (4, 26),
        (4, 15), (4, 4), (4, 23), (4, 12), (4, 2), (4, 20), (4, 9), (4, 28), (4, 17), (4, 5),
        (4, 24), (4, 14), (4, 3), (4, 21), (4, 11), (3, 31), (4, 19), (4, 7), (4, 26), (4, 15),
        (4, 5), (4, 23), (4, 12), (4, 2), (4, 20), (4, 9), (4, 27), (4, 16), (4, 6), (4, 24),
        (4, 14), (4, 3), (4, 22), (4, 10), (4, 29), (4, 18), (4, 7), (4, 25), (4, 15), (4, 5),
        (4, 24), (4, 12), (4, 1), (4, 20), (4, 9), (4, 27), (4, 16), (4, 6), (4, 25), (4, 14),
        (4, 3), (4, 22), (4, 11), (4, 28), (4, 18), (4, 7), (4, 26), (4, 15), (4, 4), (4, 23),
        (4, 12), (3, 31), (4, 19), (4, 9), (4, 28), (4, 16), (4, 6), (4, 25), (4, 14), (4, 2),
        (4, 21), (4, 10), (4, 29), (4, 18), (4, 7), (4, 26), (4, 16), (4, 4), (4, 23), (4, 12),
        (4, 1), (4, 19), (4, 9), (4, 28), (4, 17), (4, 6), (4, 24), (4, 13), (4, 3), (4, 20),
        (4, 10), (4, 29), (4, 19), (4, 7), (4, 26), (4, 15), (4, 4), (4, 22), (4, 11), (4, 1),
        (4, 20), (4, 9), (4, 28), (4, 17), (4, 6), (4, 24), (4, 13), (4, 2), (4, 21), (4, 10),
        (3, 31), (4, 19), (4, 8), (4, 26), (4, 15), (4, 4), (4, 23), (4, 11), (4, 1), (4, 20),
        (4, 9), (4, 27), (4, 16), (4, 5), (4, 24), (4, 13), (4, 2), (4, 21), (4, 11), (3, 30),
        (4, 18), (4, 7), (4, 26), (4, 14), (4, 3), (4, 22), (4, 12), (4, 1), (4, 20), (4, 9),
        (4, 28), (4, 16), (4, 5), (4, 24), (4, 13), (4, 2), (4, 21), (4, 11), (4, 29),
    ];

    #[test]
    fn tet_and_hung_kings_match_reference_tables_1901_2099() {
        for (i, (&(tm, td), &(hm, hd))) in TET_1901_2099.iter().zip(&HUNG_KINGS_1901_2099).enumerate() {
            let year = 1901 + i as i32;
            assert_eq!(tet(year), Some(d(year, tm, td)), "Tết {year}");
            assert_eq!(lunar_to_solar(lunar(year, 3, 10, false)), Some(d(year, hm, hd)), "Hùng Kings {year}");
        }
    }

    #[test]
    fn tet_where_vietnam_differs_from_china() {
        // Chinese New Year 1985 was 1985-02-20 and 2007 was 2007-02-18.
        assert_eq!(tet(1985), Some(d(1985, 1, 21)));
        assert_eq!(tet(2007), Some(d(2007, 2, 17)));
    }

    #[test]
    fn hung_kings_day() {
        assert_eq!(lunar_to_solar(lunar(2025, 3, 10, false)), Some(d(2025, 4, 7)));
        assert_eq!(lunar_to_solar(lunar(2026, 3, 10, false)), Some(d(2026, 4, 26)));
    }

    #[test]
    fn solar_to_lunar_known_dates() {
        assert_eq!(solar_to_lunar(d(2024, 2, 10)), lunar(2024, 1, 1, false));
        // Tết eve 2026 is the 29th: lunar month 12 of 2025 has 29 days.
        assert_eq!(solar_to_lunar(d(2026, 2, 16)), lunar(2025, 12, 29, false));
        assert_eq!(solar_to_lunar(d(2025, 1, 28)), lunar(2024, 12, 29, false));
        // Mid-Autumn 2025 (rằm tháng 8).
        assert_eq!(solar_to_lunar(d(2025, 10, 6)), lunar(2025, 8, 15, false));
    }

    #[test]
    fn new_moon_far_from_mean_starts_month_next_day() {
        // The published algorithm answers "day 0" here.
        let l = solar_to_lunar(d(2054, 5, 7));
        assert_ne!(l.day, 0);
        assert_eq!(lunar_to_solar(l), Some(d(2054, 5, 7)));
        assert_eq!(solar_to_lunar(d(2054, 5, 8)).day, 1);
    }

    #[test]
    fn leap_month_2023_and_2025() {
        // 2023 had a leap 2nd month starting 2023-03-22; 2025 a leap 6th
        // month starting 2025-07-25.
        assert_eq!(solar_to_lunar(d(2023, 3, 22)), lunar(2023, 2, 1, true));
        assert_eq!(solar_to_lunar(d(2023, 3, 21)), lunar(2023, 2, 30, false));
        assert_eq!(lunar_to_solar(lunar(2023, 2, 1, true)), Some(d(2023, 3, 22)));
        assert_eq!(solar_to_lunar(d(2025, 7, 25)), lunar(2025, 6, 1, true));
        assert_eq!(lunar_to_solar(lunar(2025, 6, 1, true)), Some(d(2025, 7, 25)));
        assert_eq!(lunar_to_solar(lunar(2025, 7, 1, true)), None);
        assert_eq!(lunar_to_solar(lunar(2024, 6, 1, true)), None);
    }

    #[test]
    fn invalid_lunar_dates_are_rejected() {
        assert_eq!(lunar_to_solar(lunar(2025, 0, 1, false)), None);
        assert_eq!(lunar_to_solar(lunar(2025, 13, 1, false)), None);
        assert_eq!(lunar_to_solar(lunar(2025, 1, 0, false)), None);
        assert_eq!(lunar_to_solar(lunar(2025, 1, 31, false)), None);
        // Month 12 of lunar 2025 has 29 days.
        assert_eq!(lunar_to_solar(lunar(2025, 12, 29, false)), Some(d(2026, 2, 16)));
        assert_eq!(lunar_to_solar(lunar(2025, 12, 30, false)), None);
        assert_eq!(lunar_to_solar(lunar(i32::MAX, 1, 1, false)), None);
        assert_eq!(lunar_to_solar(lunar(i32::MIN, 1, 1, false)), None);
        assert_eq!(tet(i32::MAX), None);
    }

    #[test]
    fn round_trip_every_day_1900_to_2199() {
        let mut date = d(1900, 1, 1);
        let end = d(2199, 12, 31);
        let mut prev = solar_to_lunar(date);
        while date < end {
            let Some(next) = date.succ_opt() else { break };
            date = next;
            let l = solar_to_lunar(date);
            assert_eq!(lunar_to_solar(l), Some(date), "{date} -> {l:?}");
            // Consecutive days: same month and day + 1, or a new month 1.
            if l.day != 1 {
                assert_eq!((l.year, l.month, l.leap, l.day), (prev.year, prev.month, prev.leap, prev.day + 1));
            } else {
                assert!(prev.day == 29 || prev.day == 30, "{date}: month length {}", prev.day);
            }
            prev = l;
        }
    }

    #[test]
    fn tet_is_always_in_window() {
        for year in 1800..=2199 {
            let t = tet(year).unwrap();
            assert!(t >= d(year, 1, 21) && t <= d(year, 2, 20), "{year}: {t}");
        }
    }

    #[test]
    fn total_at_chrono_limits() {
        let _ = solar_to_lunar(NaiveDate::MIN);
        let _ = solar_to_lunar(NaiveDate::MAX);
        let _ = tet(NaiveDate::MIN.year());
        let _ = tet(NaiveDate::MAX.year());
    }
}
