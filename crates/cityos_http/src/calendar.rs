//! The shared holiday calendar: built from `[calendar]` once, used for
//! every deadline in CityOS, and published at `/api/calendar/*` so the
//! console and other systems count working days the same way.

use crate::App;
use axum::extract::State;
use cityos_api::extract::{Json, Query};
use cityos_api::ApiError;
use cityos_calendar::{add_working_days, local_date, HolidayCalendar, HolidayRules};
use cityos_core::config::Config;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The calendar configured in `[calendar]` (or the default Vietnamese rules).
///
/// # Errors
/// A message naming what is wrong with the section.
pub fn calendar_from(cfg: &Config) -> Result<HolidayCalendar, String> {
    let rules = match &cfg.calendar {
        None => HolidayRules::default(),
        Some(t) => toml::Value::Table(t.clone())
            .try_into::<HolidayRules>()
            .map_err(|e| format!("invalid [calendar] configuration: {}", e.message()))?,
    };
    HolidayCalendar::new(rules).map_err(|e| format!("invalid [calendar] configuration: {e}"))
}

pub fn router(app: App) -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(holidays)).routes(routes!(deadline)).with_state(app)
}

/// A year.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Gregorian year (1900–2199).
    pub year: i32,
}

/// One day off.
#[derive(Debug, Serialize, ToSchema)]
pub struct Holiday {
    /// ISO date.
    pub date: chrono::NaiveDate,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
}

/// Holidays.
#[derive(Debug, Serialize, ToSchema)]
pub struct Holidays {
    /// The days off of the year, in date order.
    pub items: Vec<Holiday>,
}

/// Public holidays of a year (public), including days off in lieu.
#[utoipa::path(get, path = "/api/calendar/holidays", tag = "calendar", params(YearQuery), responses((status = 200, body = Holidays), (status = 422)))]
async fn holidays(State(app): State<App>, Query(q): Query<YearQuery>) -> Result<Json<Holidays>, ApiError> {
    if !(1900..=2199).contains(&q.year) {
        return Err(ApiError::invalid("year must be between 1900 and 2199"));
    }
    let items = app.calendar.holidays_in(q.year).into_iter().map(|(date, n)| Holiday { date, name_vi: n.vi, name_en: n.en }).collect();
    Ok(Json(Holidays { items }))
}

/// Deadline question.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// Start instant (RFC 3339); default now.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Working days allowed (0–3650).
    pub working_days: u32,
}

/// A computed deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deadline {
    /// Start instant.
    pub from: chrono::DateTime<chrono::Utc>,
    /// Working days allowed.
    pub working_days: u32,
    /// The end of the last working day (23:59:59 in Asia/Ho_Chi_Minh), as an instant.
    pub deadline: chrono::DateTime<chrono::Utc>,
    /// The last working day, as a local date.
    pub deadline_local_date: chrono::NaiveDate,
}

/// When N working days from an instant end (public): the rule every CityOS deadline uses.
#[utoipa::path(get, path = "/api/calendar/deadline", tag = "calendar", params(DeadlineQuery), responses((status = 200, body = Deadline), (status = 422)))]
async fn deadline(State(app): State<App>, Query(q): Query<DeadlineQuery>) -> Result<Json<Deadline>, ApiError> {
    if q.working_days > 3650 {
        return Err(ApiError::invalid("working_days must be at most 3650"));
    }
    let from = q.from.unwrap_or_else(|| app.clock.now());
    let deadline = add_working_days(&app.calendar, from, q.working_days)
        .ok_or_else(|| ApiError::invalid("no deadline can be computed for this date"))?;
    Ok(Json(Deadline { from, working_days: q.working_days, deadline, deadline_local_date: local_date(deadline) }))
}
