//! Working-day deadlines in Vietnamese civil time (Asia/Ho_Chi_Minh).
//!
//! Asia/Ho_Chi_Minh has been a fixed UTC+7 without daylight saving since
//! 1975, so it is modelled as a fixed offset rather than with a time zone
//! database. Before 1975 the zone's real offset differed; instants from then
//! are still read as UTC+7.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};

use crate::holidays::{HolidayCalendar, YearTable};

/// Offset of Vietnamese civil time from UTC, in seconds (UTC+7).
pub const VIETNAM_UTC_OFFSET_SECS: i32 = 7 * 3600;

/// Deadlines later than 31 December of this year are not computed
/// ([`add_working_days`] returns `None`).
pub const MAX_DEADLINE_YEAR: i32 = 9999;

/// A run of this many consecutive non-working days means the rules leave no
/// working day to count (e.g. every date configured as a holiday).
const MAX_NON_WORKING_RUN: u32 = 3660;

fn offset() -> TimeDelta {
    TimeDelta::seconds(i64::from(VIETNAM_UTC_OFFSET_SECS))
}

/// The calendar date in Vietnam (UTC+7) at `instant`.
///
/// Guarantees: total; saturates to `NaiveDate::MAX` for the last seven
/// hours chrono can represent, whose local date is not representable.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.naive_utc().checked_add_signed(offset()).map_or(NaiveDate::MAX, |local| local.date())
}

/// 23:59:59 at UTC+7 expressed in UTC.
const END_OF_LOCAL_DAY_IN_UTC: NaiveTime = match NaiveTime::from_hms_opt(16, 59, 59) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// The instant 23:59:59 Vietnamese time on `date`, the moment a deadline
/// "by the end of `date`" expires.
///
/// Guarantees: total; the result is 16:59:59 UTC on the same calendar date
/// and `local_date(end_of_local_day(d)) == d`.
pub fn end_of_local_day(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(END_OF_LOCAL_DAY_IN_UTC).and_utc()
}

/// The deadline for something received at `start` that must be handled
/// within `days` working days.
///
/// The request is taken as received on the Vietnamese local date of
/// `start`. That day itself is not counted (Civil Code 2015, Art. 147): the
/// deadline is 23:59:59 local time on the `days`-th working day after it.
/// So a request received on a non-working day counts from the next working
/// day, which is day 1 (received Saturday, 1 working day: due Monday).
/// With `days == 0` the deadline is the end of the day of receipt, or of
/// the next working day when that is not one.
///
/// Guarantees: total; `None` when the deadline would fall after
/// [`MAX_DEADLINE_YEAR`] or the calendar has no working day for ten years;
/// for `days >= 1`,
/// `working_days_between(cal, local_date(start), local_date(deadline)) == days`
/// and the deadline's local date is a working day. The time of day of
/// `start` does not matter (no afternoon cut-off).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use cityos_calendar::{add_working_days, HolidayCalendar};
///
/// let cal = HolidayCalendar::default();
/// // Friday 13 March 2026, 15:30 in Hanoi.
/// let received = Utc.with_ymd_and_hms(2026, 3, 13, 8, 30, 0).unwrap();
/// // Due by the end of Monday 16 March, 23:59:59 in Hanoi.
/// let due = Utc.with_ymd_and_hms(2026, 3, 16, 16, 59, 59).unwrap();
/// assert_eq!(add_working_days(&cal, received, 1), Some(due));
/// ```
pub fn add_working_days(cal: &HolidayCalendar, start: DateTime<Utc>, days: u32) -> Option<DateTime<Utc>> {
    let mut date = local_date(start);
    // Each working day takes at least one calendar day and a year has at
    // most 366: reject hopeless requests before walking the calendar.
    let years_left = i64::from(MAX_DEADLINE_YEAR) - i64::from(date.year()) + 1;
    if years_left <= 0 || i64::from(days) > 366 * years_left {
        return None;
    }
    let mut days_off = DaysOff::new(cal);
    if days == 0 {
        date = days_off.first_working_day_from(date)?;
    }
    for _ in 0..days {
        date = days_off.first_working_day_from(date.succ_opt()?)?;
    }
    if date.year() > MAX_DEADLINE_YEAR {
        return None;
    }
    Some(end_of_local_day(date))
}

/// The number of working days after `from` up to and including `to`;
/// negative (the same count, negated) when `to` is before `from`.
///
/// Guarantees: `working_days_between(cal, a, a) == 0`,
/// `working_days_between(cal, a, b) == -working_days_between(cal, b, a)`,
/// and it inverts [`add_working_days`] for `days >= 1`. Runs in time
/// proportional to the number of days between the dates.
pub fn working_days_between(cal: &HolidayCalendar, from: NaiveDate, to: NaiveDate) -> i64 {
    let (lo, hi, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
    let mut days_off = DaysOff::new(cal);
    let mut count = 0_i64;
    for date in lo.iter_days().skip(1).take_while(|d| *d <= hi) {
        if days_off.is_working_day(date) {
            count += 1;
        }
    }
    sign * count
}

/// Walks a calendar day by day, keeping the current year's table at hand.
struct DaysOff<'a> {
    cal: &'a HolidayCalendar,
    year: Option<(i32, Cow<'a, YearTable>)>,
}

impl<'a> DaysOff<'a> {
    fn new(cal: &'a HolidayCalendar) -> Self {
        Self { cal, year: None }
    }

    fn is_working_day(&mut self, date: NaiveDate) -> bool {
        let y = date.year();
        match &self.year {
            Some((cached, table)) if *cached == y => self.cal.is_working_day_in(table, date),
            _ => {
                let table = self.cal.year_table(y);
                let working = self.cal.is_working_day_in(&table, date);
                self.year = Some((y, table));
                working
            }
        }
    }

    /// `date` if it is a working day, else the next working day.
    fn first_working_day_from(&mut self, mut date: NaiveDate) -> Option<NaiveDate> {
        for _ in 0..MAX_NON_WORKING_RUN {
            if self.is_working_day(date) {
                return Some(date);
            }
            date = date.succ_opt()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Weekday};

    use super::*;
    use crate::holidays::{HolidayName, HolidayRules, SolarHoliday};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The instant at local (UTC+7) time `h:mi` on `y-m-day`.
    fn local(y: i32, m: u32, day: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, mi, 0).unwrap() - TimeDelta::hours(7)
    }

    /// The end of local day `y-m-day`, i.e. 16:59:59 UTC that day.
    fn end(y: i32, m: u32, day: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(y, m, day, 16, 59, 59).unwrap())
    }

    #[test]
    fn local_date_uses_utc_plus_7() {
        assert_eq!(local_date(Utc.with_ymd_and_hms(2026, 3, 13, 16, 59, 59).unwrap()), d(2026, 3, 13));
        assert_eq!(local_date(Utc.with_ymd_and_hms(2026, 3, 13, 17, 0, 0).unwrap()), d(2026, 3, 14));
        assert_eq!(local_date(DateTime::<Utc>::MAX_UTC), NaiveDate::MAX);
        let _ = local_date(DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn end_of_local_day_is_16_59_59_utc() {
        assert_eq!(Some(end_of_local_day(d(2026, 3, 16))), end(2026, 3, 16));
        let local_end = d(2026, 3, 16).and_hms_opt(23, 59, 59).unwrap() - offset();
        assert_eq!(end_of_local_day(d(2026, 3, 16)), local_end.and_utc());
        for date in [NaiveDate::MIN, d(2026, 3, 16), NaiveDate::MAX] {
            assert_eq!(local_date(end_of_local_day(date)), date);
            assert_eq!(local_date(end_of_local_day(date) + TimeDelta::seconds(1)), date.succ_opt().unwrap_or(NaiveDate::MAX));
        }
    }

    #[test]
    fn friday_afternoon_plus_one_is_monday() {
        let cal = HolidayCalendar::default();
        assert_eq!(d(2026, 3, 13).weekday(), Weekday::Fri);
        assert_eq!(add_working_days(&cal, local(2026, 3, 13, 15, 30), 1), end(2026, 3, 16));
        // Zero days: by the end of the day of receipt.
        assert_eq!(add_working_days(&cal, local(2026, 3, 13, 15, 30), 0), end(2026, 3, 13));
    }

    #[test]
    fn received_on_weekend_counts_from_next_working_day() {
        let cal = HolidayCalendar::default();
        // Friday 23:30 in Hanoi is still Friday; 00:30 on Saturday is not,
        // although both are Friday in UTC. Either way Monday 16/3 is day 1.
        assert_eq!(add_working_days(&cal, local(2026, 3, 13, 23, 30), 1), end(2026, 3, 16));
        assert_eq!(add_working_days(&cal, local(2026, 3, 14, 0, 30), 1), end(2026, 3, 16));
        assert_eq!(add_working_days(&cal, local(2026, 3, 15, 10, 0), 1), end(2026, 3, 16));
        assert_eq!(add_working_days(&cal, local(2026, 3, 15, 10, 0), 2), end(2026, 3, 17));
        assert_eq!(add_working_days(&cal, local(2026, 3, 13, 23, 30), 2), end(2026, 3, 17));
        // Zero days on a weekend: by the end of the next working day.
        assert_eq!(add_working_days(&cal, local(2026, 3, 14, 10, 0), 0), end(2026, 3, 16));
    }

    #[test]
    fn across_tet_2026() {
        let cal = HolidayCalendar::default();
        // Received Fri 13/2/2026. Then: Sat 14, Sun 15 weekend; Tết break
        // Mon 16 (lunar 29/12) .. Fri 20 (lunar 4/1), none on a weekend so
        // no days in lieu; Sat 21, Sun 22 weekend. Working days 1..5 are
        // Mon 23 .. Fri 27 February, 6..10 are Mon 2 .. Fri 6 March.
        let received = local(2026, 2, 13, 14, 0);
        assert_eq!(add_working_days(&cal, received, 1), end(2026, 2, 23));
        assert_eq!(add_working_days(&cal, received, 10), end(2026, 3, 6));
    }

    #[test]
    fn across_national_day_2026() {
        let cal = HolidayCalendar::default();
        // 1/9/2026 is a Tuesday and 2/9 a Wednesday, both off.
        assert_eq!(d(2026, 9, 1).weekday(), Weekday::Tue);
        // Received Mon 31/8: Thu 3/9 is day 1, Fri 4/9 day 2, Mon 7/9 day 3.
        let received = local(2026, 8, 31, 9, 0);
        assert_eq!(add_working_days(&cal, received, 1), end(2026, 9, 3));
        assert_eq!(add_working_days(&cal, received, 3), end(2026, 9, 7));
        // Received on the holiday itself: Thu 3/9 is day 1.
        assert_eq!(add_working_days(&cal, local(2026, 9, 2, 9, 0), 1), end(2026, 9, 3));
    }

    #[test]
    fn compensatory_day_after_consecutive_holidays_2028() {
        let cal = HolidayCalendar::default();
        // Received Fri 28/4/2028. Sat 29 weekend; Sun 30/4 holiday on a
        // weekend; Mon 1/5 holiday; Tue 2/5 off in lieu of 30/4. Day 1 is
        // Wed 3/5.
        assert_eq!(add_working_days(&cal, local(2028, 4, 28, 16, 0), 1), end(2028, 5, 3));
    }

    #[test]
    fn extra_working_day_is_honoured() {
        let rules =
            HolidayRules { extra_days_off: vec![d(2025, 1, 27)], extra_working_days: vec![d(2025, 2, 8)], ..HolidayRules::default() };
        let cal = HolidayCalendar::new(rules).unwrap();
        // Fri 7/2/2025 + 1: Saturday 8/2 is worked.
        assert_eq!(add_working_days(&cal, local(2025, 2, 7, 10, 0), 1), end(2025, 2, 8));
        assert_eq!(add_working_days(&HolidayCalendar::default(), local(2025, 2, 7, 10, 0), 1), end(2025, 2, 10));
        // Fri 24/1/2025 + 1: Mon 27/1 is swapped off; Tết 2025 (Tue 28/1 ..
        // Sat 1/2) follows, Sat 1/2 earning Mon 3/2 in lieu; day 1 is Tue 4/2.
        assert_eq!(add_working_days(&cal, local(2025, 1, 24, 10, 0), 1), end(2025, 2, 4));
    }

    #[test]
    fn working_days_between_counts_after_from_through_to() {
        let cal = HolidayCalendar::default();
        assert_eq!(working_days_between(&cal, d(2026, 2, 13), d(2026, 3, 6)), 10);
        assert_eq!(working_days_between(&cal, d(2026, 3, 6), d(2026, 2, 13)), -10);
        assert_eq!(working_days_between(&cal, d(2026, 2, 13), d(2026, 2, 13)), 0);
        assert_eq!(working_days_between(&cal, d(2026, 2, 13), d(2026, 2, 22)), 0);
        // A whole year: 2026 has 365 - 104 weekend days - 11 weekday holidays
        // (1/1, five of Tết, 30/4, 1/5, 1/9, 2/9, 24/11; Hùng Kings is on
        // Sunday 26/4) - 1 day in lieu (Mon 27/4) = 249.
        assert_eq!(working_days_between(&cal, d(2025, 12, 31), d(2026, 12, 31)), 249);
    }

    #[test]
    fn add_and_between_agree() {
        let cal = HolidayCalendar::default();
        let mut date = d(2025, 12, 1);
        while date < d(2027, 2, 1) {
            let start = local(date.year(), date.month(), date.day(), 11, 0);
            for n in [1, 2, 5, 10, 30] {
                let due = local_date(add_working_days(&cal, start, n).unwrap());
                assert_eq!(working_days_between(&cal, date, due), i64::from(n), "{date} + {n}");
                assert!(cal.is_working_day(due), "{date} + {n}");
            }
            let due = local_date(add_working_days(&cal, start, 0).unwrap());
            assert!(cal.is_working_day(due));
            assert_eq!(due == date, cal.is_working_day(date));
            assert_eq!(working_days_between(&cal, date, due), i64::from(due != date));
            date = date.succ_opt().unwrap();
        }
    }

    #[test]
    fn arithmetic_is_total() {
        let cal = HolidayCalendar::default();
        let start = local(2026, 1, 5, 9, 0);
        assert_eq!(add_working_days(&cal, start, u32::MAX), None);
        assert_eq!(add_working_days(&cal, DateTime::<Utc>::MAX_UTC, 1), None);
        assert_eq!(add_working_days(&cal, local(9999, 12, 31, 9, 0), 1), None);
        let _ = add_working_days(&cal, DateTime::<Utc>::MIN_UTC, 3);
        for year in [1900, 2000, 2199] {
            assert!(add_working_days(&cal, local(year, 6, 1, 9, 0), 250).is_some(), "{year}");
        }
        let _ = working_days_between(&cal, NaiveDate::MIN, NaiveDate::MIN);
        assert_eq!(working_days_between(&cal, NaiveDate::MAX, NaiveDate::MAX), 0);
    }

    #[test]
    fn calendar_without_working_days_gives_none() {
        let name = HolidayName::new("x", "x");
        let solar = (1..=12)
            .flat_map(|month| (1..=31).map(move |day| (month, day)))
            .filter(|(m, day)| NaiveDate::from_ymd_opt(2000, *m, *day).is_some())
            .map(|(month, day)| SolarHoliday::new(month, day, name.clone()))
            .collect();
        let cal = HolidayCalendar::new(HolidayRules { solar, ..HolidayRules::default() }).unwrap();
        assert_eq!(add_working_days(&cal, local(2026, 1, 5, 9, 0), 1), None);
    }
}
