//! The category tree (Vietnamese and English names, keywords for automatic
//! suggestion, deadline in working days) and the routing rules that send a
//! report to the responsible unit by category × ward.

use crate::{Feedback, FeedbackError};
use cityos_api::{ApiError, Caller, Role};
use cityos_core::{new_id, to_millis};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use utoipa::ToSchema;

/// A category (Open311 service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Category {
    /// Code, e.g. `ROADS.POTHOLE`.
    pub code: String,
    /// Parent group.
    pub parent_code: Option<String>,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Vietnamese description.
    pub description_vi: String,
    /// English description.
    pub description_en: String,
    /// Folded keywords that suggest this category.
    pub keywords: Vec<String>,
    /// The unit that handles it when no rule is more specific.
    pub default_agency_code: Option<String>,
    /// Working days to answer.
    pub deadline_days: i64,
}

/// Body for creating a category.
pub type NewCategory = Category;

/// A routing rule: reports of `category_code` (any when empty) in
/// `jurisdiction_code` (any when empty) go to `agency_code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewRoute {
    /// Category, or none for any.
    pub category_code: Option<String>,
    /// Ward (GSO code), or none for any.
    pub jurisdiction_code: Option<String>,
    /// The responsible unit.
    pub agency_code: String,
}

fn category_row(r: &sqlx::any::AnyRow) -> Result<Category, sqlx::Error> {
    Ok(Category {
        code: r.try_get("code")?,
        parent_code: r.try_get("parent_code")?,
        name_vi: r.try_get("name_vi")?,
        name_en: r.try_get("name_en")?,
        description_vi: r.try_get("description_vi")?,
        description_en: r.try_get("description_en")?,
        keywords: r.try_get::<String, _>("keywords")?.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        default_agency_code: r.try_get("default_agency_code")?,
        deadline_days: r.try_get("deadline_days")?,
    })
}

impl Feedback {
    /// Every category, groups first then by sort order.
    ///
    /// # Errors
    /// Database failure.
    pub async fn categories(&self) -> Result<Vec<Category>, FeedbackError> {
        let rows = sqlx::query(
            "SELECT code, parent_code, name_vi, name_en, description_vi, description_en, keywords, default_agency_code, deadline_days
             FROM feedback_categories ORDER BY sort_order, code",
        )
        .fetch_all(self.db.reader())
        .await?;
        Ok(rows.iter().map(category_row).collect::<Result<_, _>>()?)
    }

    /// One category.
    ///
    /// # Errors
    /// Database failure.
    pub async fn category(&self, code: &str) -> Result<Option<Category>, FeedbackError> {
        Ok(self.categories().await?.into_iter().find(|c| c.code == code))
    }

    /// Creates or replaces a category (admin; `None` for seeding).
    ///
    /// # Errors
    /// 403, 422.
    pub async fn put_category(&self, caller: Option<&Caller>, c: &NewCategory, sort_order: i64) -> Result<(), FeedbackError> {
        if let Some(caller) = caller {
            caller.require_any(&[Role::Admin])?;
        }
        if c.code.trim().is_empty() || c.name_vi.trim().is_empty() || !(1..=60).contains(&c.deadline_days) {
            return Err(ApiError::invalid("code and name_vi are required; deadline_days must be 1–60").into());
        }
        let keywords: Vec<String> = c.keywords.iter().map(|k| cityos_text::fold(k)).filter(|k| !k.is_empty()).collect();
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM feedback_categories WHERE code = $1").bind(&c.code).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO feedback_categories (code, parent_code, name_vi, name_en, description_vi, description_en, keywords, default_agency_code, deadline_days, sort_order)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&c.code)
        .bind(c.parent_code.as_deref())
        .bind(&c.name_vi)
        .bind(&c.name_en)
        .bind(&c.description_vi)
        .bind(&c.description_en)
        .bind(keywords.join(","))
        .bind(c.default_agency_code.as_deref())
        .bind(c.deadline_days)
        .bind(sort_order)
        .execute(&mut *tx)
        .await?;
        let actor = caller.map_or_else(|| "system".to_string(), Caller::actor);
        let rec = cityos_audit::AuditRecord {
            actor,
            action: "feedback.category.put".into(),
            object: format!("category:{}", c.code),
            outcome: "success".into(),
            request_id: caller.and_then(|c| c.request_id.clone()),
            row_count: Some(1),
            purpose: None,
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a routing rule (admin or operator; `None` for seeding).
    ///
    /// # Errors
    /// 403, 409 for a rule that exists.
    pub async fn add_route(&self, caller: Option<&Caller>, r: &NewRoute) -> Result<(), FeedbackError> {
        if let Some(caller) = caller {
            caller.require_any(&[Role::Admin, Role::Operator])?;
        }
        let mut tx = self.db.begin().await?;
        let exists = sqlx::query(
            "SELECT 1 AS x FROM feedback_routes WHERE COALESCE(category_code, '') = $1 AND COALESCE(jurisdiction_code, '') = $2",
        )
        .bind(r.category_code.as_deref().unwrap_or(""))
        .bind(r.jurisdiction_code.as_deref().unwrap_or(""))
        .fetch_optional(&mut *tx)
        .await?;
        if exists.is_some() {
            return Err(ApiError::conflict("a rule for this category and ward exists").into());
        }
        sqlx::query(
            "INSERT INTO feedback_routes (id, category_code, jurisdiction_code, agency_code, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(r.category_code.as_deref())
        .bind(r.jurisdiction_code.as_deref())
        .bind(&r.agency_code)
        .bind(to_millis(self.clock.now()))
        .execute(&mut *tx)
        .await?;
        let rec = cityos_audit::AuditRecord {
            actor: caller.map_or_else(|| "system".to_string(), Caller::actor),
            action: "feedback.route.create".into(),
            object: format!("route:{}:{}", r.category_code.as_deref().unwrap_or("*"), r.jurisdiction_code.as_deref().unwrap_or("*")),
            outcome: "success".into(),
            request_id: caller.and_then(|c| c.request_id.clone()),
            row_count: Some(1),
            purpose: None,
        };
        cityos_audit::append(&mut tx, self.db.backend(), &self.clock, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The category whose keywords best match `text` (most keyword hits;
    /// longer keywords break ties), among leaf categories.
    ///
    /// # Errors
    /// Database failure.
    pub async fn suggest_category(&self, text: &str) -> Result<Option<Category>, FeedbackError> {
        let folded = format!(" {} ", cityos_text::tokens(text).join(" "));
        let cats = self.categories().await?;
        let leaves: Vec<&Category> =
            cats.iter().filter(|c| !cats.iter().any(|o| o.parent_code.as_deref() == Some(c.code.as_str()))).collect();
        let mut best: Option<(usize, usize, &Category)> = None;
        for c in leaves {
            let hits: Vec<&String> = c.keywords.iter().filter(|k| folded.contains(&format!(" {k} "))).collect();
            if hits.is_empty() {
                continue;
            }
            let score = (hits.len(), hits.iter().map(|k| k.len()).max().unwrap_or(0));
            if best.is_none_or(|(n, l, _)| score > (n, l)) {
                best = Some((score.0, score.1, c));
            }
        }
        Ok(best.map(|(_, _, c)| c.clone()))
    }

    /// The responsible unit for a category in a ward: the most specific rule
    /// (category × ward, then category, then ward), then the category's
    /// default unit, then the ward's People's Committee.
    ///
    /// # Errors
    /// Database failure.
    pub async fn route_for(&self, category: Option<&str>, ward: Option<&str>) -> Result<Option<String>, FeedbackError> {
        let mut keys: Vec<(&str, &str)> = Vec::new();
        if let (Some(c), Some(w)) = (category, ward) {
            keys.push((c, w));
        }
        if let Some(c) = category {
            keys.push((c, ""));
        }
        if let Some(w) = ward {
            keys.push(("", w));
        }
        for (c, w) in keys {
            let row = sqlx::query(
                "SELECT agency_code FROM feedback_routes WHERE COALESCE(category_code, '') = $1 AND COALESCE(jurisdiction_code, '') = $2",
            )
            .bind(c)
            .bind(w)
            .fetch_optional(self.db.reader())
            .await?;
            if let Some(r) = row {
                return Ok(Some(r.try_get("agency_code")?));
            }
        }
        if let Some(c) = category {
            if let Some(cat) = self.category(c).await? {
                if let Some(a) = cat.default_agency_code {
                    return Ok(Some(a));
                }
            }
        }
        if let Some(w) = ward {
            let row =
                sqlx::query("SELECT code FROM agencies WHERE jurisdiction_code = $1 AND kind = 'ward_committee' ORDER BY code LIMIT 1")
                    .bind(w)
                    .fetch_optional(self.db.reader())
                    .await?;
            if let Some(r) = row {
                return Ok(Some(r.try_get("code")?));
            }
        }
        Ok(None)
    }
}
