//! Public holidays and working days.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;
use std::sync::{Arc, OnceLock};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::lunar::{lunar_to_solar, tet, LunarDate};

/// The name of a day off, in Vietnamese and English.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayName {
    /// Vietnamese name, e.g. "Quốc khánh".
    pub vi: String,
    /// English name, e.g. "National Day".
    pub en: String,
}

impl HolidayName {
    /// Builds a name from its Vietnamese and English text.
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self { vi: vi.into(), en: en.into() }
    }
}

/// A holiday on the same Gregorian (solar) day every year from `since`
/// through `until`.
///
/// A 29 February holiday is observed only in leap years.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolarHoliday {
    /// Month, 1..=12.
    pub month: u32,
    /// Day of the month, valid for `month` in a leap year.
    pub day: u32,
    /// What the day is called.
    pub name: HolidayName,
    /// First year the holiday is observed; `None`: always was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i32>,
    /// Last year the holiday is observed; `None`: still is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i32>,
}

impl SolarHoliday {
    /// A holiday on `day`/`month` every year.
    pub fn new(month: u32, day: u32, name: HolidayName) -> Self {
        Self { month, day, name, since: None, until: None }
    }
}

/// A holiday on the same lunar day (of the ordinary, not the leap, month)
/// every lunar year from `since` through `until`. A day 30 holiday is
/// skipped in years whose month has 29 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LunarHoliday {
    /// Lunar month, 1..=12.
    pub month: u32,
    /// Lunar day, 1..=30.
    pub day: u32,
    /// What the day is called.
    pub name: HolidayName,
    /// First lunar year the holiday is observed; `None`: always was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i32>,
    /// Last lunar year the holiday is observed; `None`: still is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i32>,
}

impl LunarHoliday {
    /// A holiday on lunar `day`/`month` every lunar year.
    pub fn new(month: u32, day: u32, name: HolidayName) -> Self {
        Self { month, day, name, since: None, until: None }
    }
}

/// Whether a holiday valid `since..=until` is observed in `year`.
fn observed_in(year: i32, since: Option<i32>, until: Option<i32>) -> bool {
    since.is_none_or(|s| year >= s) && until.is_none_or(|u| year <= u)
}

/// The Tết Nguyên Đán break, as day offsets from lunar 1/1.
///
/// Offset `-1` is the last day of the old lunar year (29 or 30 of month 12,
/// whichever exists), `0` is lunar 1/1, `3` is lunar 1/4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TetHoliday {
    /// Days off relative to lunar 1/1, each within `-30..=30`.
    pub offsets: Vec<i32>,
    /// What the days are called.
    pub name: HolidayName,
}

impl Default for TetHoliday {
    /// One day before and four days from lunar 1/1 (Labour Code 2019,
    /// Art. 112(1)(b)).
    fn default() -> Self {
        Self { offsets: vec![-1, 0, 1, 2, 3], name: HolidayName::new("Tết Nguyên Đán", "Lunar New Year") }
    }
}

/// The rules that decide which days are days off; the configuration of a
/// [`HolidayCalendar`].
///
/// Deserialising rejects unknown fields; every missing field takes its value
/// from [`HolidayRules::default`], so a configuration only names what it
/// changes (e.g. the government's yearly `extra_days_off` and
/// `extra_working_days` swaps). Values are checked by
/// [`HolidayCalendar::new`], not while deserialising.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HolidayRules {
    /// Holidays on fixed Gregorian dates.
    pub solar: Vec<SolarHoliday>,
    /// Holidays on fixed lunar dates other than Tết.
    pub lunar: Vec<LunarHoliday>,
    /// The Tết break.
    pub tet: TetHoliday,
    /// When a holiday falls on a weekend day, the next working day (one that
    /// is not a weekend day, holiday, extra day off or already a
    /// compensatory day) is off instead.
    pub compensatory_days_off: bool,
    /// Further days off decreed for a particular year.
    pub extra_days_off: Vec<NaiveDate>,
    /// Days that are working days whatever else applies (typically the
    /// Saturday worked in exchange for an extra day off). Takes precedence
    /// over every other rule.
    pub extra_working_days: Vec<NaiveDate>,
    /// Weekly rest days.
    pub weekend: Vec<Weekday>,
}

impl Default for HolidayRules {
    /// Vietnam's public holidays under the Labour Code 2019 (Bộ luật Lao
    /// động 45/2019/QH14), Art. 112: 1/1; Tết (5 days); Hùng Kings 10/3
    /// lunar; 30/4; 1/5; 2/9 plus one adjacent day (taken here as 1/9);
    /// compensatory days off on; Saturday and Sunday as weekend; no swaps.
    /// Also 24/11, Vietnam Culture Day (Ngày Văn hóa Việt Nam), a paid day
    /// off from 2026 (Resolution 80-NQ/TW); remove that entry from `solar`
    /// for the bare Art. 112 list.
    fn default() -> Self {
        let solar = |month, day, vi: &str, en: &str| SolarHoliday::new(month, day, HolidayName::new(vi, en));
        Self {
            solar: vec![
                solar(1, 1, "Tết Dương lịch", "New Year's Day"),
                solar(4, 30, "Ngày Chiến thắng", "Reunification Day"),
                solar(5, 1, "Ngày Quốc tế Lao động", "International Workers' Day"),
                solar(9, 1, "Quốc khánh", "National Day"),
                solar(9, 2, "Quốc khánh", "National Day"),
                SolarHoliday { since: Some(2026), ..solar(11, 24, "Ngày Văn hóa Việt Nam", "Vietnam Culture Day") },
            ],
            lunar: vec![LunarHoliday::new(3, 10, HolidayName::new("Giỗ Tổ Hùng Vương", "Hùng Kings' Commemoration Day"))],
            tet: TetHoliday::default(),
            compensatory_days_off: true,
            extra_days_off: Vec::new(),
            extra_working_days: Vec::new(),
            weekend: vec![Weekday::Sat, Weekday::Sun],
        }
    }
}

/// Why a [`HolidayRules`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// A solar holiday names a month/day that no year has.
    #[error("solar holiday {day}/{month} is not a date")]
    InvalidSolarDate {
        /// The configured month.
        month: u32,
        /// The configured day.
        day: u32,
    },
    /// A lunar holiday's month is not 1..=12 or its day not 1..=30.
    #[error("lunar holiday {day}/{month} is not a lunar date")]
    InvalidLunarDate {
        /// The configured month.
        month: u32,
        /// The configured day.
        day: u32,
    },
    /// A Tết offset is outside `-30..=30`.
    #[error("Tết offset {0} is outside -30..=30")]
    TetOffsetOutOfRange(i32),
    /// Every day of the week is a weekend day, so no day could be worked.
    #[error("every weekday is configured as weekend")]
    NoWorkingWeekday,
    /// A holiday's `since` year is after its `until` year.
    #[error("holiday {day}/{month} has since {since} after until {until}")]
    EmptyYearRange {
        /// The configured month.
        month: u32,
        /// The configured day.
        day: u32,
        /// The configured first year.
        since: i32,
        /// The configured last year.
        until: i32,
    },
    /// A date is both an extra day off and an extra working day.
    #[error("{0} is both an extra day off and an extra working day")]
    ConflictingSwap(NaiveDate),
}

/// Years whose holiday tables are cached inside a [`HolidayCalendar`];
/// other years are computed on each call (correct, only slower).
const CACHED_YEARS: RangeInclusive<i32> = 1900..=2199;

const CACHED_YEAR_COUNT: usize = (*CACHED_YEARS.end() - *CACHED_YEARS.start() + 1) as usize;

/// Days off (holidays and compensatory days) of one Gregorian year, before
/// the extra days off and extra working days are applied.
pub(crate) type YearTable = BTreeMap<NaiveDate, HolidayName>;

/// Decides whether a day is a working day under a set of [`HolidayRules`].
///
/// Precedence, for any date: an extra working day is a working day; else an
/// extra day off, a holiday, a compensatory day or a weekend day is not;
/// else it is a working day. Every method is total for every `NaiveDate`
/// (no panics). Holiday tables are computed once per year for 1900..=2199
/// and cached (the calendar is `Send + Sync` and can be shared).
#[derive(Debug, Clone)]
pub struct HolidayCalendar {
    rules: HolidayRules,
    weekend: [bool; 7],
    extra_days_off: BTreeSet<NaiveDate>,
    extra_working_days: BTreeSet<NaiveDate>,
    cache: Arc<[OnceLock<YearTable>]>,
}

impl Default for HolidayCalendar {
    /// The calendar of [`HolidayRules::default`] (Vietnam, Labour Code 2019).
    fn default() -> Self {
        Self::build(HolidayRules::default())
    }
}

impl HolidayCalendar {
    /// Builds a calendar after checking `rules`.
    ///
    /// # Errors
    ///
    /// A [`RulesError`] when a solar date does not exist (e.g. 31/4), a
    /// lunar date is out of range, a holiday's `since` is after its
    /// `until`, a Tết offset is beyond ±30 days, all seven weekdays are
    /// weekend, or a date is both an extra day off and an extra working day.
    pub fn new(rules: HolidayRules) -> Result<Self, RulesError> {
        for h in &rules.solar {
            // 2000 is a leap year, so 29/2 is accepted.
            if NaiveDate::from_ymd_opt(2000, h.month, h.day).is_none() {
                return Err(RulesError::InvalidSolarDate { month: h.month, day: h.day });
            }
        }
        for h in &rules.lunar {
            if !(1..=12).contains(&h.month) || !(1..=30).contains(&h.day) {
                return Err(RulesError::InvalidLunarDate { month: h.month, day: h.day });
            }
        }
        let ranges = rules.solar.iter().map(|h| (h.month, h.day, h.since, h.until));
        let ranges = ranges.chain(rules.lunar.iter().map(|h| (h.month, h.day, h.since, h.until)));
        for (month, day, since, until) in ranges {
            if let (Some(since), Some(until)) = (since, until) {
                if since > until {
                    return Err(RulesError::EmptyYearRange { month, day, since, until });
                }
            }
        }
        if let Some(&o) = rules.tet.offsets.iter().find(|o| !(-30..=30).contains(*o)) {
            return Err(RulesError::TetOffsetOutOfRange(o));
        }
        let weekend: BTreeSet<_> = rules.weekend.iter().map(|w| w.num_days_from_monday()).collect();
        if weekend.len() >= 7 {
            return Err(RulesError::NoWorkingWeekday);
        }
        if let Some(&d) = rules.extra_days_off.iter().find(|d| rules.extra_working_days.contains(d)) {
            return Err(RulesError::ConflictingSwap(d));
        }
        Ok(Self::build(rules))
    }

    fn build(rules: HolidayRules) -> Self {
        let mut weekend = [false; 7];
        for w in &rules.weekend {
            weekend[w.num_days_from_monday() as usize] = true;
        }
        Self {
            weekend,
            extra_days_off: rules.extra_days_off.iter().copied().collect(),
            extra_working_days: rules.extra_working_days.iter().copied().collect(),
            cache: (0..CACHED_YEAR_COUNT).map(|_| OnceLock::new()).collect(),
            rules,
        }
    }

    /// The rules this calendar was built from.
    pub fn rules(&self) -> &HolidayRules {
        &self.rules
    }

    /// Whether `date` is a working day.
    ///
    /// Guarantees: total; follows the precedence documented on
    /// [`HolidayCalendar`].
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.is_working_day_in(&self.year_table(date.year()), date)
    }

    /// Every day off of Gregorian `year` that is not a weekly rest day by
    /// itself: holidays (also those falling on a weekend), compensatory days
    /// and extra days off, sorted by date, one entry per date.
    ///
    /// Guarantees: no date in the result is an extra working day; each
    /// date lies in `year`. Two holidays on the same date share one entry
    /// whose names are joined with "; ".
    pub fn holidays_in(&self, year: i32) -> Vec<(NaiveDate, HolidayName)> {
        let mut days = self.year_table(year).into_owned();
        for &d in &self.extra_days_off {
            if d.year() == year {
                days.entry(d).or_insert_with(extra_day_off_name);
            }
        }
        days.into_iter().filter(|(d, _)| !self.extra_working_days.contains(d)).collect()
    }

    /// The holiday table of `year`, from the cache when the year is cached.
    pub(crate) fn year_table(&self, year: i32) -> Cow<'_, YearTable> {
        let slot = year.checked_sub(*CACHED_YEARS.start()).and_then(|i| usize::try_from(i).ok()).and_then(|i| self.cache.get(i));
        match slot {
            Some(cell) => Cow::Borrowed(cell.get_or_init(|| self.compute_year(year))),
            None => Cow::Owned(self.compute_year(year)),
        }
    }

    /// `is_working_day` given the table of `date`'s year.
    pub(crate) fn is_working_day_in(&self, table: &YearTable, date: NaiveDate) -> bool {
        if self.extra_working_days.contains(&date) {
            return true;
        }
        !(self.extra_days_off.contains(&date) || self.is_weekend(date) || table.contains_key(&date))
    }

    fn is_weekend(&self, date: NaiveDate) -> bool {
        self.weekend[date.weekday().num_days_from_monday() as usize]
    }

    /// Holidays and compensatory days of `year`.
    ///
    /// Compensatory days are found over the window `year - 1 ..= year + 1`
    /// so that a late-December holiday's day in lieu lands in January.
    fn compute_year(&self, year: i32) -> YearTable {
        let window = year
            .checked_sub(1)
            .and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1))
            .and(year.checked_add(1))
            .and_then(|y| NaiveDate::from_ymd_opt(y, 12, 31));
        let Some(last) = window else {
            // At chrono's limits: give up on cross-year effects rather than
            // on the year.
            return self.holidays_between(year, year);
        };
        let mut holidays = self.holidays_between(year - 1, year + 1);
        if self.rules.compensatory_days_off {
            let on_weekend: Vec<(NaiveDate, HolidayName)> =
                holidays.iter().filter(|(d, _)| self.is_weekend(**d)).map(|(d, n)| (*d, n.clone())).collect();
            for (date, name) in on_weekend {
                let mut candidate = date;
                // The window end stops the walk; the count only makes the
                // bound visible.
                for _ in 0..(3 * 366) {
                    let Some(next) = candidate.succ_opt() else {
                        break;
                    };
                    candidate = next;
                    if candidate > last {
                        break;
                    }
                    if !self.is_weekend(candidate) && !self.extra_days_off.contains(&candidate) && !holidays.contains_key(&candidate) {
                        holidays.insert(candidate, compensatory_name(&name));
                        break;
                    }
                }
            }
        }
        holidays.retain(|d, _| d.year() == year);
        holidays
    }

    /// Holidays (without compensatory days) of Gregorian years
    /// `from..=to`, keyed by date.
    fn holidays_between(&self, from: i32, to: i32) -> YearTable {
        let mut out = YearTable::new();
        let mut add = |date: NaiveDate, name: &HolidayName| {
            if (from..=to).contains(&date.year()) {
                out.entry(date)
                    .and_modify(|existing| {
                        if existing != name {
                            existing.vi = format!("{}; {}", existing.vi, name.vi);
                            existing.en = format!("{}; {}", existing.en, name.en);
                        }
                    })
                    .or_insert_with(|| name.clone());
            }
        };
        for year in from..=to {
            for h in &self.rules.solar {
                if !observed_in(year, h.since, h.until) {
                    continue;
                }
                if let Some(date) = NaiveDate::from_ymd_opt(year, h.month, h.day) {
                    add(date, &h.name);
                }
            }
        }
        // A lunar year starts in January/February of its Gregorian year,
        // so lunar year `y` covers dates in `y` and `y + 1`; Tết offsets
        // reach at most 30 days either side.
        for lunar_year in from.saturating_sub(1)..=to.saturating_add(1) {
            if let Some(new_year) = tet(lunar_year) {
                for &offset in &self.rules.tet.offsets {
                    if let Some(date) = shift(new_year, offset) {
                        add(date, &self.rules.tet.name);
                    }
                }
            }
            for h in &self.rules.lunar {
                if !observed_in(lunar_year, h.since, h.until) {
                    continue;
                }
                let lunar = LunarDate { year: lunar_year, month: h.month, day: h.day, leap: false };
                if let Some(date) = lunar_to_solar(lunar) {
                    add(date, &h.name);
                }
            }
        }
        out
    }
}

fn shift(date: NaiveDate, offset: i32) -> Option<NaiveDate> {
    let days = Days::new(u64::from(offset.unsigned_abs()));
    if offset >= 0 {
        date.checked_add_days(days)
    } else {
        date.checked_sub_days(days)
    }
}

fn compensatory_name(of: &HolidayName) -> HolidayName {
    HolidayName::new(format!("Nghỉ bù {}", of.vi), format!("{} (day off in lieu)", of.en))
}

fn extra_day_off_name() -> HolidayName {
    HolidayName::new("Ngày nghỉ hoán đổi", "Swapped day off")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dates(cal: &HolidayCalendar, year: i32) -> Vec<NaiveDate> {
        cal.holidays_in(year).into_iter().map(|(d, _)| d).collect()
    }

    #[test]
    fn default_rules_are_valid() {
        assert!(HolidayCalendar::new(HolidayRules::default()).is_ok());
    }

    #[test]
    fn holidays_2026() {
        let cal = HolidayCalendar::default();
        // 1/1 Thu; Tết 16..20 Feb (Mon..Fri, lunar 29/12..4/1); Hùng Kings
        // 26/4 is a Sunday -> Mon 27/4 in lieu; 30/4 Thu; 1/5 Fri; 1/9 Tue;
        // 2/9 Wed; 24/11 Tue (Culture Day, first observed in 2026).
        assert_eq!(
            dates(&cal, 2026),
            [
                d(2026, 1, 1),
                d(2026, 2, 16),
                d(2026, 2, 17),
                d(2026, 2, 18),
                d(2026, 2, 19),
                d(2026, 2, 20),
                d(2026, 4, 26),
                d(2026, 4, 27),
                d(2026, 4, 30),
                d(2026, 5, 1),
                d(2026, 9, 1),
                d(2026, 9, 2),
                d(2026, 11, 24),
            ]
        );
        let names = cal.holidays_in(2026);
        let name_of = |date| names.iter().find(|(d, _)| *d == date).map(|(_, n)| n.clone()).unwrap();
        assert_eq!(name_of(d(2026, 2, 17)), HolidayName::new("Tết Nguyên Đán", "Lunar New Year"));
        assert_eq!(name_of(d(2026, 9, 2)), HolidayName::new("Quốc khánh", "National Day"));
        assert_eq!(
            name_of(d(2026, 4, 27)),
            HolidayName::new("Nghỉ bù Giỗ Tổ Hùng Vương", "Hùng Kings' Commemoration Day (day off in lieu)")
        );
    }

    #[test]
    fn tet_2024_on_weekend_gets_compensatory_days() {
        let cal = HolidayCalendar::default();
        // Lunar 1/1 2024 is Sat 10 Feb; the eve (30/12) is Fri 9 Feb. Tết: Fri 9, Sat 10, Sun 11, Mon 12, Tue 13.
        // Sat 10 and Sun 11 are compensated by Wed 14 and Thu 15.
        let feb: Vec<_> = dates(&cal, 2024).into_iter().filter(|d| d.month() == 2).collect();
        assert_eq!(feb, (9..=15).map(|day| d(2024, 2, day)).collect::<Vec<_>>());
        assert!(cal.is_working_day(d(2024, 2, 16)));
    }

    #[test]
    fn consecutive_holidays_push_compensatory_day_further() {
        let cal = HolidayCalendar::default();
        // 30/4/2028 is a Sunday; Mon 1/5 is itself a holiday, so the day in
        // lieu is Tue 2/5.
        assert_eq!(d(2028, 4, 30).weekday(), Weekday::Sun);
        assert!(!cal.is_working_day(d(2028, 5, 1)));
        assert!(!cal.is_working_day(d(2028, 5, 2)));
        assert!(cal.is_working_day(d(2028, 5, 3)));
        let may: Vec<_> = cal.holidays_in(2028).into_iter().filter(|(d, _)| d.month() == 5).collect();
        assert_eq!(may.len(), 2);
        assert_eq!(may[1].1.en, "Reunification Day (day off in lieu)");
    }

    #[test]
    fn compensation_can_be_switched_off() {
        let rules = HolidayRules { compensatory_days_off: false, ..HolidayRules::default() };
        let cal = HolidayCalendar::new(rules).unwrap();
        assert!(cal.is_working_day(d(2028, 5, 2)));
        assert!(cal.is_working_day(d(2024, 2, 14)));
    }

    #[test]
    fn compensation_crosses_year_end() {
        let rules = HolidayRules {
            solar: vec![SolarHoliday::new(12, 31, HolidayName::new("Giao thừa", "New Year's Eve"))],
            ..HolidayRules::default()
        };
        let cal = HolidayCalendar::new(rules).unwrap();
        // 31/12/2028 is a Sunday; 1/1/2029 is not a holiday under these
        // rules, so Monday 1/1/2029 is off in lieu.
        assert_eq!(d(2028, 12, 31).weekday(), Weekday::Sun);
        assert!(!cal.is_working_day(d(2029, 1, 1)));
        assert_eq!(dates(&cal, 2029)[0], d(2029, 1, 1));
    }

    #[test]
    fn extra_days_off_and_working_days() {
        // The 2025 Tết schedule: Mon 27/1 off, worked on Sat 8/2 instead.
        let rules =
            HolidayRules { extra_days_off: vec![d(2025, 1, 27)], extra_working_days: vec![d(2025, 2, 8)], ..HolidayRules::default() };
        let cal = HolidayCalendar::new(rules).unwrap();
        assert!(!cal.is_working_day(d(2025, 1, 27)));
        assert!(cal.is_working_day(d(2025, 2, 8)));
        let default = HolidayCalendar::default();
        assert!(default.is_working_day(d(2025, 1, 27)));
        assert!(!default.is_working_day(d(2025, 2, 8)));
        let h = cal.holidays_in(2025);
        assert!(h.iter().any(|(day, n)| *day == d(2025, 1, 27) && n.en == "Swapped day off"));
    }

    #[test]
    fn extra_working_day_overrides_holiday() {
        let rules = HolidayRules { extra_working_days: vec![d(2026, 9, 1)], ..HolidayRules::default() };
        let cal = HolidayCalendar::new(rules).unwrap();
        assert!(cal.is_working_day(d(2026, 9, 1)));
        assert!(!dates(&cal, 2026).contains(&d(2026, 9, 1)));
    }

    #[test]
    fn national_day_adjacent_day_is_configurable() {
        let mut rules = HolidayRules::default();
        for h in &mut rules.solar {
            if (h.month, h.day) == (9, 1) {
                h.day = 3;
            }
        }
        let cal = HolidayCalendar::new(rules).unwrap();
        assert!(cal.is_working_day(d(2026, 9, 1)));
        assert!(!cal.is_working_day(d(2026, 9, 3)));
    }

    #[test]
    fn weekend_is_configurable() {
        let rules = HolidayRules { weekend: vec![Weekday::Sun], ..HolidayRules::default() };
        let cal = HolidayCalendar::new(rules).unwrap();
        assert!(cal.is_working_day(d(2026, 3, 7)));
        assert!(!cal.is_working_day(d(2026, 3, 8)));
    }

    #[test]
    fn tet_offsets_are_configurable() {
        let rules =
            HolidayRules { tet: TetHoliday { offsets: vec![-2, -1, 0, 1, 2, 3, 4], ..TetHoliday::default() }, ..HolidayRules::default() };
        let cal = HolidayCalendar::new(rules).unwrap();
        // Tết 2026 is Tue 17/2: offsets -2..4 cover Sun 15 .. Sat 21; Sun 15
        // and Sat 21 earn days in lieu on Mon 23 and Tue 24.
        for day in 15..=24 {
            assert!(!cal.is_working_day(d(2026, 2, day)), "{day}");
        }
        assert!(cal.is_working_day(d(2026, 2, 25)));
    }

    #[test]
    fn invalid_rules_are_rejected() {
        let bad_solar = HolidayRules { solar: vec![SolarHoliday::new(4, 31, HolidayName::new("x", "x"))], ..HolidayRules::default() };
        assert_eq!(HolidayCalendar::new(bad_solar).err(), Some(RulesError::InvalidSolarDate { month: 4, day: 31 }));
        let bad_lunar = HolidayRules { lunar: vec![LunarHoliday::new(13, 1, HolidayName::new("x", "x"))], ..HolidayRules::default() };
        assert!(matches!(HolidayCalendar::new(bad_lunar), Err(RulesError::InvalidLunarDate { .. })));
        let bad_tet = HolidayRules { tet: TetHoliday { offsets: vec![0, 31], ..TetHoliday::default() }, ..HolidayRules::default() };
        assert_eq!(HolidayCalendar::new(bad_tet).err(), Some(RulesError::TetOffsetOutOfRange(31)));
        let all_weekend = HolidayRules {
            weekend: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun],
            ..HolidayRules::default()
        };
        assert_eq!(HolidayCalendar::new(all_weekend).err(), Some(RulesError::NoWorkingWeekday));
        let conflict =
            HolidayRules { extra_days_off: vec![d(2026, 1, 2)], extra_working_days: vec![d(2026, 1, 2)], ..HolidayRules::default() };
        assert_eq!(HolidayCalendar::new(conflict).err(), Some(RulesError::ConflictingSwap(d(2026, 1, 2))));
    }

    #[test]
    fn culture_day_from_2026_only() {
        let cal = HolidayCalendar::default();
        assert!(cal.is_working_day(d(2025, 11, 24)));
        assert!(!cal.is_working_day(d(2026, 11, 24)));
        assert!(!cal.is_working_day(d(2030, 11, 25)), "24/11/2030 is a Sunday");
    }

    #[test]
    fn holidays_can_be_limited_to_years() {
        let rules = HolidayRules {
            solar: vec![SolarHoliday { since: Some(2027), until: Some(2028), ..SolarHoliday::new(3, 3, HolidayName::new("x", "x")) }],
            lunar: vec![LunarHoliday { until: Some(2006), ..LunarHoliday::new(3, 10, HolidayName::new("y", "y")) }],
            ..HolidayRules::default()
        };
        let cal = HolidayCalendar::new(rules).unwrap();
        assert!(cal.is_working_day(d(2026, 3, 3)));
        assert!(!cal.is_working_day(d(2027, 3, 3)));
        assert!(!cal.is_working_day(d(2028, 3, 3)));
        // 3/3/2029 is a Saturday: outside the range, no day in lieu either.
        assert!(!dates(&cal, 2029).contains(&d(2029, 3, 3)));
        assert!(cal.is_working_day(d(2029, 3, 5)));
        // Hùng Kings (limited here to lunar years up to 2006): 7/4/2025 is
        // an ordinary Monday.
        assert!(cal.is_working_day(d(2025, 4, 7)));
        let empty = HolidayRules {
            solar: vec![SolarHoliday { since: Some(2028), until: Some(2027), ..SolarHoliday::new(3, 3, HolidayName::new("x", "x")) }],
            ..HolidayRules::default()
        };
        assert!(matches!(HolidayCalendar::new(empty), Err(RulesError::EmptyYearRange { .. })));
    }

    #[test]
    fn leap_day_holiday_only_in_leap_years() {
        let rules = HolidayRules { solar: vec![SolarHoliday::new(2, 29, HolidayName::new("x", "x"))], ..HolidayRules::default() };
        let cal = HolidayCalendar::new(rules).unwrap();
        assert!(!cal.is_working_day(d(2028, 2, 29)));
        assert!(cal.is_working_day(d(2027, 3, 1)));
    }

    #[test]
    fn coincident_holidays_share_one_entry() {
        let rules = HolidayRules {
            lunar: vec![LunarHoliday::new(3, 10, HolidayName::new("Giỗ Tổ Hùng Vương", "Hùng Kings' Commemoration Day"))],
            solar: vec![SolarHoliday::new(4, 7, HolidayName::new("Thử", "Test"))],
            ..HolidayRules::default()
        };
        let cal = HolidayCalendar::new(rules).unwrap();
        let h = cal.holidays_in(2025);
        let on_7_4: Vec<_> = h.iter().filter(|(day, _)| *day == d(2025, 4, 7)).collect();
        assert_eq!(on_7_4.len(), 1);
        assert_eq!(on_7_4[0].1.en, "Test; Hùng Kings' Commemoration Day");
    }

    #[test]
    fn rules_deserialise_with_defaults_and_reject_unknown_fields() {
        use serde::de::value::{Error, MapDeserializer};

        let only_flag = MapDeserializer::<_, Error>::new([("compensatory_days_off", false)].into_iter());
        let rules = HolidayRules::deserialize(only_flag).unwrap();
        assert_eq!(rules, HolidayRules { compensatory_days_off: false, ..HolidayRules::default() });

        let unknown = MapDeserializer::<_, Error>::new([("compensatory_day_off", false)].into_iter());
        let err = HolidayRules::deserialize(unknown).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");

        let empty = MapDeserializer::<_, Error>::new(std::iter::empty::<(&str, bool)>());
        assert_eq!(HolidayRules::deserialize(empty).unwrap(), HolidayRules::default());

        let lists = MapDeserializer::<_, Error>::new(
            [("weekend", vec!["Fri", "Sat"]), ("extra_days_off", vec!["2026-01-02"]), ("extra_working_days", vec!["2026-01-10"])]
                .into_iter(),
        );
        let rules = HolidayRules::deserialize(lists).unwrap();
        assert_eq!(rules.weekend, [Weekday::Fri, Weekday::Sat]);
        assert_eq!(rules.extra_days_off, [d(2026, 1, 2)]);
        assert_eq!(rules.extra_working_days, [d(2026, 1, 10)]);
        assert_eq!(rules.solar, HolidayRules::default().solar);
    }

    #[test]
    fn calendar_is_total_across_supported_and_extreme_years() {
        let cal = HolidayCalendar::default();
        for year in [1899, 1900, 2199, 2200] {
            assert!(!cal.holidays_in(year).is_empty(), "{year}");
        }
        let _ = cal.is_working_day(NaiveDate::MIN);
        let _ = cal.is_working_day(NaiveDate::MAX);
        let _ = cal.holidays_in(NaiveDate::MIN.year());
        let _ = cal.holidays_in(NaiveDate::MAX.year());
        assert!(cal.holidays_in(i32::MAX).is_empty());
        assert!(cal.holidays_in(i32::MIN).is_empty());
    }

    #[test]
    fn every_cached_year_has_expected_shape() {
        let cal = HolidayCalendar::default();
        for year in CACHED_YEARS {
            let h = cal.holidays_in(year);
            // 11 holidays, some possibly coinciding, plus days in lieu
            // (2023 had six: 2/1, 26/1, 27/1, 2/5, 3/5, 4/9).
            assert!((10..=20).contains(&h.len()), "{year}: {}", h.len());
            let working = (1..=12)
                .flat_map(|m| (1..=31).filter_map(move |day| NaiveDate::from_ymd_opt(year, m, day)))
                .filter(|d| cal.is_working_day(*d))
                .count();
            assert!((235..=255).contains(&working), "{year}: {working}");
        }
    }
}
