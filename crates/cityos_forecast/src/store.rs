//! Indicators, vintages, observations and stored runs. Every write runs in one transaction with
//! its audit record and outbox event; reads check the caller's right to the indicator.

use crate::model::{Indicator, IndicatorPatch, NewIndicator, Observation, ObservationsInput, Source, Vintage};
use crate::period::{self, Period};
use crate::{ForecastCentre, ForecastError};
use cityos_api::{ApiError, Caller, Principal, Role, Target};
use cityos_audit::AuditRecord;
use cityos_core::Classification;
use cityos_events::CloudEvent;
use cityos_store::Tx;
use cityos_tsmodels::Frequency;
use serde_json::json;
use sqlx::Row as _;
use std::collections::BTreeMap;

/// The roles that write indicators and run forecasts (admin holds every role).
pub const WRITERS: &[Role] = &[Role::Analyst];

/// The event source of this module.
const SOURCE: &str = "/cityos/forecast";

/// Who writes: a caller with a writing role, or the system (demo seeding).
#[derive(Debug, Clone)]
pub struct Author {
    /// Audit actor.
    pub actor: String,
    /// Request id.
    pub request_id: Option<String>,
}

impl Author {
    /// A caller who holds `analyst` or `admin` (covering `jurisdiction` when given).
    ///
    /// # Errors
    /// 401 anonymous, 403 without the role.
    pub fn of(caller: &Caller, jurisdiction: Option<&str>) -> Result<Self, ApiError> {
        caller.require_any(WRITERS)?;
        if let Some(j) = jurisdiction {
            caller.require_for(WRITERS, &Target { agency: None, jurisdiction: Some(j) })?;
        }
        Ok(Self { actor: caller.actor(), request_id: caller.request_id.clone() })
    }

    /// The system.
    #[must_use]
    pub fn system() -> Self {
        Self { actor: "system".into(), request_id: None }
    }
}

/// Whether `caller` may read `ind`.
///
/// # Errors
/// 401/403 for an internal indicator and a caller who is not staff.
pub fn may_read(caller: &Caller, ind: &Indicator) -> Result<(), ApiError> {
    if ind.classification == "public" {
        return Ok(());
    }
    caller.require_staff().map(|_| ())
}

fn is_staff(caller: &Caller) -> bool {
    matches!(caller.principal, Principal::Staff { .. })
}

fn bad(code: &'static str, detail: impl Into<String>) -> ForecastError {
    ForecastError::Api(ApiError::bad_request(code, detail))
}

/// 404 for an unknown indicator.
#[must_use]
pub fn unknown_indicator(id: &str) -> ApiError {
    ApiError::not_found(format!("indicator `{}`", id.chars().take(64).collect::<String>())).with("code_detail", "unknown_indicator")
}

fn ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(v).unwrap_or_default()
}

fn valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'.' | b'-'))
}

fn check_text(field: &str, v: &str, max: usize) -> Result<(), ForecastError> {
    if v.trim().is_empty() || v.chars().count() > max {
        return Err(bad("invalid_indicator", format!("{field} must be 1..={max} characters")));
    }
    Ok(())
}

fn check_classification(c: &str) -> Result<(), ForecastError> {
    if c == "public" || c == "internal" {
        Ok(())
    } else {
        Err(bad("invalid_indicator", "classification must be `public` or `internal`"))
    }
}

fn check_jurisdiction(j: &str) -> Result<(), ForecastError> {
    if j.is_empty() || j.len() > 10 || !j.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("invalid_indicator", "jurisdiction must be a GSO code (digits), e.g. `79`"));
    }
    Ok(())
}

fn check_source(s: &Source) -> Result<(), ForecastError> {
    if let Source::Dataset { dataset_id, column, period_column } = s {
        for (f, v) in [("dataset_id", dataset_id), ("column", column), ("period_column", period_column)] {
            check_text(f, v, 200)?;
        }
    }
    Ok(())
}

fn search_text(id: &str, vi: &str, en: &str) -> String {
    cityos_text::fold(&format!("{id} {vi} {en}"))
}

fn indicator(row: &sqlx::any::AnyRow) -> Result<Indicator, ForecastError> {
    let source: String = row.try_get("source")?;
    Ok(Indicator {
        id: row.try_get("id")?,
        name_vi: row.try_get("name_vi")?,
        name_en: row.try_get("name_en")?,
        unit: row.try_get("unit")?,
        frequency: row.try_get("frequency")?,
        jurisdiction: row.try_get("jurisdiction")?,
        parent_id: row.try_get("parent_id")?,
        source: serde_json::from_str(&source)?,
        classification: row.try_get("classification")?,
        illustrative: row.try_get::<i64, _>("illustrative")? != 0,
        main: row.try_get::<i64, _>("main")? != 0,
        latest_vintage: row.try_get("latest_vintage")?,
        created_at: from_ms(row.try_get("created_at")?),
        updated_at: from_ms(row.try_get("updated_at")?),
    })
}

/// The frequency of a stored indicator.
#[must_use]
pub fn frequency(ind: &Indicator) -> Frequency {
    period::parse_frequency(&ind.frequency).unwrap_or(Frequency::Monthly)
}

/// A filter for listing indicators.
#[derive(Debug, Clone, Default)]
pub struct IndicatorFilter {
    /// Words to find in the code and names (accent-insensitive).
    pub q: Option<String>,
    /// Frequency.
    pub frequency: Option<String>,
    /// Jurisdiction.
    pub jurisdiction: Option<String>,
    /// Parent indicator.
    pub parent: Option<String>,
    /// Only dashboard indicators.
    pub main_only: bool,
}

impl ForecastCentre {
    /// Writes the audit record (`what.0` the action) and the event (`what.1` its type) of a change
    /// to `object` in an indicator of `scope` (classification, jurisdiction).
    async fn audit_event(
        &self,
        tx: &mut Tx,
        author: &Author,
        what: (&str, &str),
        object: &str,
        scope: (&str, &str),
        data: serde_json::Value,
    ) -> Result<(), ForecastError> {
        let (action, kind) = what;
        let (classification, jurisdiction) = scope;
        let record = AuditRecord {
            actor: author.actor.clone(),
            action: action.into(),
            object: object.into(),
            purpose: None,
            outcome: "success".into(),
            request_id: author.request_id.clone(),
            row_count: None,
        };
        cityos_audit::append(tx, self.db.backend(), &self.clock, &record).await?;
        let class = if classification == "public" { Classification::Public } else { Classification::Internal };
        let event = CloudEvent::new(&self.clock, SOURCE, kind, class, data)
            .subject(object.to_string())
            .jurisdiction(Some(jurisdiction.to_string()));
        cityos_events::publish(tx, &event).await?;
        Ok(())
    }

    /// An indicator by id, without a rights check.
    ///
    /// # Errors
    /// Database failure.
    pub async fn find(&self, id: &str) -> Result<Option<Indicator>, ForecastError> {
        let sql = const_format_indicator_by_id();
        let row = sqlx::query(sql).bind(id).fetch_optional(self.db.reader()).await?;
        row.as_ref().map(indicator).transpose()
    }

    /// An indicator the caller may read.
    ///
    /// # Errors
    /// 404 unknown, 401/403 not allowed.
    pub async fn readable(&self, caller: &Caller, id: &str) -> Result<Indicator, ForecastError> {
        let ind = self.find(id).await?.ok_or_else(|| unknown_indicator(id))?;
        may_read(caller, &ind)?;
        Ok(ind)
    }

    /// The indicators the caller may read, by id.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list(&self, caller: &Caller, filter: &IndicatorFilter) -> Result<Vec<Indicator>, ForecastError> {
        let rows = sqlx::query(const_format_all()).fetch_all(self.db.reader()).await?;
        let words: Vec<String> =
            filter.q.as_deref().map(cityos_text::fold).unwrap_or_default().split_whitespace().map(str::to_string).collect();
        let searches: BTreeMap<String, String> = sqlx::query("SELECT id, search FROM forecast_indicators")
            .fetch_all(self.db.reader())
            .await?
            .iter()
            .map(|r| Ok((r.try_get::<String, _>("id")?, r.try_get::<String, _>("search")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let staff = is_staff(caller);
        let mut out = Vec::new();
        for row in &rows {
            let ind = indicator(row)?;
            if ind.classification != "public" && !staff {
                continue;
            }
            if filter.frequency.as_ref().is_some_and(|f| *f != ind.frequency)
                || filter.jurisdiction.as_ref().is_some_and(|j| *j != ind.jurisdiction)
                || filter.parent.as_ref().is_some_and(|p| Some(p) != ind.parent_id.as_ref())
                || (filter.main_only && !ind.main)
            {
                continue;
            }
            let hay = searches.get(&ind.id).map_or("", String::as_str);
            if !words.iter().all(|w| hay.contains(w.as_str())) {
                continue;
            }
            out.push(ind);
        }
        Ok(out)
    }

    /// Creates an indicator.
    ///
    /// # Errors
    /// 400 invalid fields, 404 unknown parent, 409 id taken.
    pub async fn create(&self, author: &Author, new: &NewIndicator) -> Result<Indicator, ForecastError> {
        if !valid_id(&new.id) {
            return Err(bad("invalid_indicator", "id must match [a-z0-9][a-z0-9_.-]* and have at most 64 characters"));
        }
        check_text("name_vi", &new.name_vi, 300)?;
        check_text("name_en", &new.name_en, 300)?;
        check_text("unit", &new.unit, 100)?;
        let freq = period::parse_frequency(&new.frequency)
            .ok_or_else(|| bad("invalid_indicator", "frequency must be `monthly`, `quarterly` or `yearly`"))?;
        let jurisdiction = new.jurisdiction.clone().unwrap_or_else(|| "79".into());
        check_jurisdiction(&jurisdiction)?;
        let classification = new.classification.clone().unwrap_or_else(|| "public".into());
        check_classification(&classification)?;
        let source = new.source.clone().unwrap_or(Source::Upload);
        check_source(&source)?;
        if let Some(p) = &new.parent_id {
            let parent = self.find(p).await?.ok_or_else(|| unknown_indicator(p))?;
            if parent.frequency != period::frequency_name(freq) {
                return Err(bad("invalid_indicator", "a child indicator must have its parent's frequency"));
            }
        }
        if self.find(&new.id).await?.is_some() {
            return Err(ForecastError::Api(ApiError::conflict(format!("indicator `{}` exists already", new.id))));
        }
        let now = ms(self.clock.now());
        let mut tx = self.db.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO forecast_indicators (id, name_vi, name_en, unit, frequency, jurisdiction, parent_id, source, classification, illustrative, main, search, latest_vintage, created_by, created_at, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14, $13, $14)",
        )
        .bind(&new.id)
        .bind(new.name_vi.trim())
        .bind(new.name_en.trim())
        .bind(new.unit.trim())
        .bind(period::frequency_name(freq))
        .bind(&jurisdiction)
        .bind(new.parent_id.as_deref())
        .bind(serde_json::to_string(&source)?)
        .bind(&classification)
        .bind(i64::from(new.illustrative.unwrap_or(false)))
        .bind(i64::from(new.main.unwrap_or(false)))
        .bind(search_text(&new.id, &new.name_vi, &new.name_en))
        .bind(&author.actor)
        .bind(now)
        .execute(&mut *tx)
        .await;
        if let Err(sqlx::Error::Database(d)) = &inserted {
            if d.is_unique_violation() {
                return Err(ForecastError::Api(ApiError::conflict(format!("indicator `{}` exists already", new.id))));
            }
        }
        inserted?;
        let object = format!("indicator:{}", new.id);
        self.audit_event(
            &mut tx,
            author,
            ("forecast.indicator.create", "vn.cityos.forecast.indicator.created"),
            &object,
            (&classification, &jurisdiction),
            json!({"id": new.id}),
        )
        .await?;
        tx.commit().await?;
        self.find(&new.id).await?.ok_or_else(|| ForecastError::Api(unknown_indicator(&new.id)))
    }

    /// Updates an indicator.
    ///
    /// # Errors
    /// 400 invalid fields, 404 unknown indicator or parent.
    pub async fn update(&self, author: &Author, current: &Indicator, patch: &IndicatorPatch) -> Result<Indicator, ForecastError> {
        let mut ind = current.clone();
        if let Some(v) = &patch.name_vi {
            check_text("name_vi", v, 300)?;
            ind.name_vi = v.trim().into();
        }
        if let Some(v) = &patch.name_en {
            check_text("name_en", v, 300)?;
            ind.name_en = v.trim().into();
        }
        if let Some(v) = &patch.unit {
            check_text("unit", v, 100)?;
            ind.unit = v.trim().into();
        }
        if let Some(v) = &patch.jurisdiction {
            check_jurisdiction(v)?;
            ind.jurisdiction.clone_from(v);
        }
        if let Some(v) = &patch.parent_id {
            if v.is_empty() {
                ind.parent_id = None;
            } else {
                if v == &ind.id {
                    return Err(bad("invalid_indicator", "an indicator cannot be its own parent"));
                }
                let parent = self.find(v).await?.ok_or_else(|| unknown_indicator(v))?;
                if parent.frequency != ind.frequency {
                    return Err(bad("invalid_indicator", "a child indicator must have its parent's frequency"));
                }
                ind.parent_id = Some(v.clone());
            }
        }
        if let Some(v) = &patch.source {
            check_source(v)?;
            ind.source = v.clone();
        }
        if let Some(v) = &patch.classification {
            check_classification(v)?;
            ind.classification.clone_from(v);
        }
        if let Some(v) = patch.illustrative {
            ind.illustrative = v;
        }
        if let Some(v) = patch.main {
            ind.main = v;
        }
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "UPDATE forecast_indicators SET name_vi = $2, name_en = $3, unit = $4, jurisdiction = $5, parent_id = $6, source = $7, classification = $8, illustrative = $9, main = $10, search = $11, updated_by = $12, updated_at = $13 WHERE id = $1",
        )
        .bind(&ind.id)
        .bind(&ind.name_vi)
        .bind(&ind.name_en)
        .bind(&ind.unit)
        .bind(&ind.jurisdiction)
        .bind(ind.parent_id.as_deref())
        .bind(serde_json::to_string(&ind.source)?)
        .bind(&ind.classification)
        .bind(i64::from(ind.illustrative))
        .bind(i64::from(ind.main))
        .bind(search_text(&ind.id, &ind.name_vi, &ind.name_en))
        .bind(&author.actor)
        .bind(ms(self.clock.now()))
        .execute(&mut *tx)
        .await?;
        let object = format!("indicator:{}", ind.id);
        self.audit_event(
            &mut tx,
            author,
            ("forecast.indicator.update", "vn.cityos.forecast.indicator.updated"),
            &object,
            (&ind.classification, &ind.jurisdiction),
            json!({"id": ind.id}),
        )
        .await?;
        tx.commit().await?;
        self.find(&ind.id).await?.ok_or_else(|| ForecastError::Api(unknown_indicator(&ind.id)))
    }

    /// Adds observations as a new vintage: values equal to the current ones are not stored again.
    ///
    /// # Errors
    /// 400 for a bad period, a non-finite value, a period given twice or an empty batch.
    pub async fn add_observations(&self, author: &Author, ind: &Indicator, input: &ObservationsInput) -> Result<Vintage, ForecastError> {
        if input.observations.is_empty() {
            return Err(bad("invalid_observations", "observations must not be empty"));
        }
        if input.observations.len() > 10_000 {
            return Err(bad("invalid_observations", "at most 10000 observations per vintage"));
        }
        if let Some(n) = &input.note {
            if n.chars().count() > 1000 {
                return Err(bad("invalid_observations", "note must have at most 1000 characters"));
            }
        }
        let freq = frequency(ind);
        let mut new: BTreeMap<Period, f64> = BTreeMap::new();
        for o in &input.observations {
            let p = period::parse(&o.period, freq).map_err(|e| bad("invalid_period", e.to_string()))?;
            if !o.value.is_finite() {
                return Err(bad("invalid_observations", format!("the value for {} is not a finite number", o.period)));
            }
            if new.insert(p, o.value).is_some() {
                return Err(bad("invalid_observations", format!("period {} is given twice", period::label(p))));
            }
        }
        let mut tx = self.db.begin().await?;
        let seq: i64 = sqlx::query_scalar("UPDATE forecast_indicators SET latest_vintage = latest_vintage + 1, updated_at = $2, updated_by = $3 WHERE id = $1 RETURNING latest_vintage")
            .bind(&ind.id)
            .bind(ms(self.clock.now()))
            .bind(&author.actor)
            .fetch_one(&mut *tx)
            .await?;
        let current = current_values(&mut tx, &ind.id, seq - 1).await?;
        let (mut added, mut revised, mut unchanged) = (0i64, 0i64, 0i64);
        for (p, v) in &new {
            match current.get(p) {
                Some((old, _)) if old.to_bits() == v.to_bits() => {
                    unchanged += 1;
                    continue;
                }
                Some(_) => revised += 1,
                None => added += 1,
            }
            sqlx::query("INSERT INTO forecast_observations (indicator_id, period, vintage, value) VALUES ($1, $2, $3, $4)")
                .bind(&ind.id)
                .bind(*p)
                .bind(seq)
                .bind(*v)
                .execute(&mut *tx)
                .await?;
        }
        let now = self.clock.now();
        let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
        sqlx::query("INSERT INTO forecast_vintages (indicator_id, seq, note, created_by, created_at, added, revised, unchanged) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&ind.id)
            .bind(seq)
            .bind(note)
            .bind(&author.actor)
            .bind(ms(now))
            .bind(added)
            .bind(revised)
            .bind(unchanged)
            .execute(&mut *tx)
            .await?;
        let object = format!("indicator:{}", ind.id);
        self.audit_event(
            &mut tx,
            author,
            ("forecast.observations.add", "vn.cityos.forecast.vintage.created"),
            &object,
            (&ind.classification, &ind.jurisdiction),
            json!({"id": ind.id, "vintage": seq, "added": added, "revised": revised}),
        )
        .await?;
        tx.commit().await?;
        Ok(Vintage {
            seq,
            indicator_id: ind.id.clone(),
            note: note.map(str::to_string),
            created_by: author.actor.clone(),
            created_at: now,
            added,
            revised,
            unchanged,
        })
    }

    /// Every vintage of an indicator, newest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn vintages(&self, ind: &Indicator) -> Result<Vec<Vintage>, ForecastError> {
        let rows = sqlx::query("SELECT seq, note, created_by, created_at, added, revised, unchanged FROM forecast_vintages WHERE indicator_id = $1 ORDER BY seq DESC")
            .bind(&ind.id)
            .fetch_all(self.db.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Vintage {
                    seq: r.try_get("seq")?,
                    indicator_id: ind.id.clone(),
                    note: r.try_get("note")?,
                    created_by: r.try_get("created_by")?,
                    created_at: from_ms(r.try_get("created_at")?),
                    added: r.try_get("added")?,
                    revised: r.try_get("revised")?,
                    unchanged: r.try_get("unchanged")?,
                })
            })
            .collect()
    }

    /// The vintage to read: `requested` (checked) or the latest.
    ///
    /// # Errors
    /// 404 for a vintage that does not exist.
    pub fn vintage_or_latest(ind: &Indicator, requested: Option<i64>) -> Result<i64, ForecastError> {
        match requested {
            None => Ok(ind.latest_vintage),
            Some(v) if v >= 1 && v <= ind.latest_vintage => Ok(v),
            Some(v) => Err(ForecastError::Api(ApiError::not_found(format!("vintage {v} of indicator `{}`", ind.id)))),
        }
    }

    /// The series as of vintage `vintage`: `(period, value, vintage that wrote it)`, oldest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn series(&self, ind: &Indicator, vintage: i64) -> Result<Vec<(Period, f64, i64)>, ForecastError> {
        let rows = sqlx::query(
            "SELECT period, value, vintage FROM forecast_observations WHERE indicator_id = $1 AND vintage <= $2 ORDER BY period, vintage",
        )
        .bind(&ind.id)
        .bind(vintage)
        .fetch_all(self.db.reader())
        .await?;
        let mut out: BTreeMap<Period, (f64, i64)> = BTreeMap::new();
        for r in &rows {
            out.insert(r.try_get("period")?, (r.try_get("value")?, r.try_get("vintage")?));
        }
        Ok(out.into_iter().map(|(p, (v, s))| (p, v, s)).collect())
    }

    /// The series as wire observations.
    ///
    /// # Errors
    /// Database failure.
    pub async fn observations(&self, ind: &Indicator, vintage: i64) -> Result<Vec<Observation>, ForecastError> {
        Ok(self
            .series(ind, vintage)
            .await?
            .into_iter()
            .map(|(p, value, v)| Observation { period: period::label(p), value, vintage: v })
            .collect())
    }
}

async fn current_values(tx: &mut Tx, id: &str, vintage: i64) -> Result<BTreeMap<Period, (f64, i64)>, ForecastError> {
    let rows = sqlx::query(
        "SELECT period, value, vintage FROM forecast_observations WHERE indicator_id = $1 AND vintage <= $2 ORDER BY period, vintage",
    )
    .bind(id)
    .bind(vintage)
    .fetch_all(&mut **tx)
    .await?;
    let mut out = BTreeMap::new();
    for r in &rows {
        out.insert(r.try_get("period")?, (r.try_get("value")?, r.try_get("vintage")?));
    }
    Ok(out)
}

fn const_format_indicator_by_id() -> &'static str {
    "SELECT id, name_vi, name_en, unit, frequency, jurisdiction, parent_id, source, classification, illustrative, main, latest_vintage, created_at, updated_at FROM forecast_indicators WHERE id = $1"
}

fn const_format_all() -> &'static str {
    "SELECT id, name_vi, name_en, unit, frequency, jurisdiction, parent_id, source, classification, illustrative, main, latest_vintage, created_at, updated_at FROM forecast_indicators ORDER BY id"
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids() {
        assert!(super::valid_id("cpi"));
        assert!(super::valid_id("retail-w.26743"));
        assert!(!super::valid_id("CPI"));
        assert!(!super::valid_id("-x"));
        assert!(!super::valid_id(""));
    }
}
