//! Vietnamese lunar calendar, public holidays and working-day deadlines.
//!
//! - [`solar_to_lunar`], [`lunar_to_solar`] and [`tet`]: the Vietnamese
//!   lunisolar calendar (âm lịch), computed astronomically at UTC+7.
//! - [`HolidayCalendar`], configured by [`HolidayRules`] (default: the
//!   Labour Code 2019, Art. 112), decides which days are working days.
//! - [`add_working_days`] and [`working_days_between`]: deadlines counted in
//!   working days in Vietnamese civil time (fixed UTC+7).
//!
//! Nothing here reads the system clock: callers pass instants in.

mod deadline;
mod holidays;
mod lunar;

pub use deadline::{add_working_days, end_of_local_day, local_date, working_days_between, MAX_DEADLINE_YEAR, VIETNAM_UTC_OFFSET_SECS};
pub use holidays::{HolidayCalendar, HolidayName, HolidayRules, LunarHoliday, RulesError, SolarHoliday, TetHoliday};
pub use lunar::{lunar_to_solar, solar_to_lunar, tet, LunarDate};
