//! Offset pagination shared by every list endpoint.

use serde::{Deserialize, Serialize};

/// Query parameters `page` (1-based) and `per_page` (1..=500, default 50).
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number.
    pub page: Option<u32>,
    /// Items per page, at most 500.
    pub per_page: Option<u32>,
}

impl PageParams {
    /// The page number, at least 1.
    #[must_use]
    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    /// Items per page, clamped to 1..=500.
    #[must_use]
    pub fn per_page(&self) -> u32 {
        self.per_page.unwrap_or(50).clamp(1, 500)
    }

    /// SQL `LIMIT` for this page.
    #[must_use]
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page())
    }

    /// SQL `OFFSET` for this page.
    #[must_use]
    pub fn offset(&self) -> i64 {
        i64::from(self.page() - 1) * i64::from(self.per_page())
    }
}

/// One page of results with the total count.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: i64,
    /// This page's number (1-based).
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

impl<T> Page<T> {
    /// Wraps `items` with the paging facts from `params`.
    #[must_use]
    pub fn new(items: Vec<T>, total: i64, params: &PageParams) -> Self {
        Self { items, total, page: params.page(), per_page: params.per_page() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_and_offsets() {
        let p = PageParams { page: Some(0), per_page: Some(10_000) };
        assert_eq!(p.page(), 1);
        assert_eq!(p.per_page(), 500);
        assert_eq!(p.offset(), 0);
        let p = PageParams { page: Some(3), per_page: Some(20) };
        assert_eq!(p.offset(), 40);
    }
}
