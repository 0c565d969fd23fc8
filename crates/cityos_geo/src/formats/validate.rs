//! The validation report of an import, built before anything is written:
//! per feature (its index in the file, 0-based), blocking errors and
//! warnings with a stable `code`, a Vietnamese and an English message, and
//! counts per code; the first examples of each severity are kept in full.
//!
//! This module checks geometry (non-finite coordinates, too few points,
//! unclosed or self-intersecting rings, positions outside a plausibility
//! box around the city); the caller adds its own checks (geometry type,
//! attributes) through [`Report::push`].

use super::{for_each_position, Dataset, LayerInfo};
use geojson::Value;
use serde::Serialize;
use std::collections::BTreeMap;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks the import.
    Error,
    /// Imported anyway; worth a look.
    Warning,
}

/// One problem of one feature (or of the file, `index` `None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The feature's 0-based index in the file, `None` for the whole file.
    pub index: Option<usize>,
    /// Error or warning.
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `self_intersection`.
    pub code: &'static str,
    /// The attribute concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A suggested fix (an attribute to map the field to, a CRS to choose).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// Vietnamese message.
    pub message_vi: String,
    /// English message.
    pub message_en: String,
}

impl Problem {
    /// A problem of feature `index`.
    #[must_use]
    pub fn new(index: Option<usize>, severity: Severity, code: &'static str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self { index, severity, code, field: None, suggestion: None, message_vi: vi.into(), message_en: en.into() }
    }

    /// With the attribute concerned.
    #[must_use]
    pub fn field(mut self, f: impl Into<String>) -> Self {
        self.field = Some(f.into());
        self
    }

    /// With a suggestion.
    #[must_use]
    pub fn suggest(mut self, s: impl Into<String>) -> Self {
        self.suggestion = Some(s.into());
        self
    }
}

/// A box `[min_lon, min_lat, max_lon, max_lat]` that real features should fall in.
pub type PlausibilityBox = [f64; 4];

/// Ho Chi Minh City since 1 July 2025 (with the former Bình Dương and Bà
/// Rịa–Vũng Tàu, and the Côn Đảo special zone), with a margin.
pub const HO_CHI_MINH_CITY: PlausibilityBox = [106.2, 8.4, 107.8, 11.8];

/// The validation report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The file's format.
    pub format: super::Format,
    /// Features read.
    pub features: usize,
    /// Features without errors (they would be imported).
    pub valid: usize,
    /// Features with at least one error.
    pub features_with_errors: usize,
    /// Features with warnings only.
    pub features_with_warnings: usize,
    /// Errors in all.
    pub error_count: usize,
    /// Warnings in all.
    pub warning_count: usize,
    /// Problems per code.
    pub counts: BTreeMap<&'static str, usize>,
    /// The first errors.
    pub errors: Vec<Problem>,
    /// The first warnings.
    pub warnings: Vec<Problem>,
    /// Each layer with the CRS detected and the one used.
    pub layers: Vec<LayerInfo>,
    /// `true` when no CRS could be settled and the user must choose one.
    pub crs_required: bool,
    /// The bounding box of the readable geometries, CRS84.
    pub bbox: Option<[f64; 4]>,
    /// File-level remarks.
    pub notes: Vec<String>,
    /// `true` when an error blocks the import.
    pub blocking: bool,
    #[serde(skip)]
    max_examples: usize,
    #[serde(skip)]
    feature_errors: Vec<bool>,
    #[serde(skip)]
    feature_warnings: Vec<bool>,
}

impl Report {
    /// An empty report for `ds`, keeping up to `max_examples` of each severity.
    #[must_use]
    pub fn new(ds: &Dataset, max_examples: usize) -> Self {
        let n = ds.records.len();
        let crs_required = ds.layers.iter().any(|l| l.used.is_none() && l.count > 0);
        let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for r in &ds.records {
            if let Some(g) = &r.geometry {
                for_each_position(g, &mut |p| {
                    if p.len() >= 2 && p[0].is_finite() && p[1].is_finite() {
                        bbox = [bbox[0].min(p[0]), bbox[1].min(p[1]), bbox[2].max(p[0]), bbox[3].max(p[1])];
                    }
                });
            }
        }
        let mut r = Self {
            format: ds.format,
            features: n,
            valid: n,
            features_with_errors: 0,
            features_with_warnings: 0,
            error_count: 0,
            warning_count: 0,
            counts: BTreeMap::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            layers: ds.layers.clone(),
            crs_required,
            bbox: bbox[0].is_finite().then_some(bbox),
            notes: ds.notes.clone(),
            blocking: false,
            max_examples,
            feature_errors: vec![false; n],
            feature_warnings: vec![false; n],
        };
        for l in &ds.layers {
            if l.used.is_none() && l.count > 0 {
                r.push(
                    Problem::new(
                        None,
                        Severity::Error,
                        "crs_unknown",
                        format!("Không xác định được hệ tọa độ của lớp {}: hãy chọn hệ tọa độ (tham số crs).", l.name),
                        format!("The coordinate reference system of layer {} is unknown: choose one (the crs parameter).", l.name),
                    )
                    .suggest("EPSG:9210 (VN-2000 / TM-3 105-45), EPSG:3405 (VN-2000 / UTM 48N), CRS84"),
                );
            } else if l.assumed {
                r.push(Problem::new(
                    None,
                    Severity::Warning,
                    "crs_assumed",
                    format!(
                        "Lớp {} không khai báo hệ tọa độ; tọa độ nằm trong phạm vi kinh độ/vĩ độ nên được hiểu là WGS 84 (CRS84).",
                        l.name
                    ),
                    format!(
                        "Layer {} declares no CRS; its coordinates are within longitude/latitude bounds and were read as WGS 84 (CRS84).",
                        l.name
                    ),
                ));
            }
        }
        if n == 0 {
            r.push(Problem::new(None, Severity::Error, "empty_file", "Tệp không có đối tượng nào.", "The file holds no features."));
        }
        r
    }

    /// Adds a problem.
    pub fn push(&mut self, p: Problem) {
        *self.counts.entry(p.code).or_default() += 1;
        let slot = match p.severity {
            Severity::Error => {
                self.error_count += 1;
                self.blocking = true;
                if let Some(f) = p.index.and_then(|i| self.feature_errors.get_mut(i)) {
                    if !*f {
                        *f = true;
                        self.features_with_errors += 1;
                        self.valid = self.valid.saturating_sub(1);
                    }
                }
                &mut self.errors
            }
            Severity::Warning => {
                self.warning_count += 1;
                if let Some(f) = p.index.and_then(|i| self.feature_warnings.get_mut(i)) {
                    *f = true;
                }
                &mut self.warnings
            }
        };
        if slot.len() < self.max_examples {
            slot.push(p);
        }
    }

    /// Whether feature `index` has an error.
    #[must_use]
    pub fn has_error(&self, index: usize) -> bool {
        self.feature_errors.get(index).copied().unwrap_or(false)
    }

    /// Finishes the counts.
    pub fn finish(&mut self) {
        self.features_with_warnings = self.feature_warnings.iter().zip(&self.feature_errors).filter(|(w, e)| **w && !**e).count();
    }
}

/// Checks one CRS84 geometry; problems are added for feature `index`.
pub fn check_geometry(index: usize, v: &Value, plausible: &PlausibilityBox, report: &mut Report) {
    let err = |code: &'static str, vi: String, en: String| Problem::new(Some(index), Severity::Error, code, vi, en);
    let mut finite = true;
    let mut outside = 0usize;
    for_each_position(v, &mut |p| {
        if p.len() < 2 || !p[0].is_finite() || !p[1].is_finite() {
            finite = false;
        } else if p[0] < plausible[0] || p[0] > plausible[2] || p[1] < plausible[1] || p[1] > plausible[3] {
            outside += 1;
        }
    });
    if !finite {
        report.push(err(
            "non_finite",
            "Tọa độ không hợp lệ (NaN hoặc vô cực).".into(),
            "A coordinate is not a finite number (NaN or infinity).".into(),
        ));
        return;
    }
    let lines: Vec<&Vec<Vec<f64>>> = match v {
        Value::LineString(l) => vec![l],
        Value::MultiLineString(ls) => ls.iter().collect(),
        _ => Vec::new(),
    };
    for l in lines {
        if l.len() < 2 {
            report.push(err("too_few_points", "Đường có ít hơn 2 điểm.".into(), "A line has fewer than 2 points.".into()));
        } else if l.windows(2).all(|w| w[0] == w[1]) {
            report.push(err(
                "degenerate_line",
                "Đường có độ dài bằng 0 (mọi điểm trùng nhau).".into(),
                "A line has zero length (all points equal).".into(),
            ));
        }
    }
    let rings: Vec<&Vec<Vec<f64>>> = match v {
        Value::Polygon(p) => p.iter().collect(),
        Value::MultiPolygon(ps) => ps.iter().flatten().collect(),
        _ => Vec::new(),
    };
    for (i, r) in rings.iter().enumerate() {
        if r.len() < 4 {
            report.push(err(
                "too_few_points",
                format!("Vòng {i} của vùng có ít hơn 4 điểm."),
                format!("Ring {i} of a polygon has fewer than 4 points."),
            ));
        } else if r.first() != r.last() {
            report.push(err(
                "unclosed_ring",
                format!("Vòng {i} của vùng không khép kín."),
                format!("Ring {i} of a polygon is not closed."),
            ));
        } else if let Some(at) = self_intersection(r) {
            report.push(err(
                "self_intersection",
                format!("Vòng {i} của vùng tự cắt gần ({:.6}, {:.6}).", at.0, at.1),
                format!("Ring {i} of a polygon intersects itself near ({:.6}, {:.6}).", at.0, at.1),
            ));
        }
    }
    if let Value::Polygon(_) | Value::MultiPolygon(_) = v {
    } else if matches!(v, Value::GeometryCollection(gs) if gs.is_empty())
        || matches!(v, Value::MultiPoint(p) if p.is_empty())
        || matches!(v, Value::MultiLineString(p) if p.is_empty())
    {
        report.push(err("empty_geometry", "Hình học rỗng.".into(), "The geometry is empty.".into()));
    }
    if outside > 0 {
        report.push(Problem::new(
            Some(index),
            Severity::Warning,
            "outside_city",
            format!("{outside} điểm nằm ngoài phạm vi Thành phố Hồ Chí Minh: kiểm tra hệ tọa độ."),
            format!("{outside} position(s) lie outside Ho Chi Minh City: check the coordinate reference system."),
        ));
    }
}

/// The first crossing of two non-adjacent edges of a closed ring, if any.
fn self_intersection(ring: &[Vec<f64>]) -> Option<(f64, f64)> {
    use geo::line_intersection::{line_intersection, LineIntersection};
    use geo::{coord, Line};
    let n = ring.len() - 1;
    // Quadratic: rings of utility assets are small; very large rings are not checked.
    if n > 5000 {
        return None;
    }
    let edge = |i: usize| Line::new(coord! { x: ring[i][0], y: ring[i][1] }, coord! { x: ring[i + 1][0], y: ring[i + 1][1] });
    for i in 0..n {
        for j in i + 1..n {
            let adjacent = j == i + 1 || (i == 0 && j == n - 1);
            match line_intersection(edge(i), edge(j)) {
                Some(LineIntersection::SinglePoint { intersection, .. }) if !adjacent => return Some((intersection.x, intersection.y)),
                Some(LineIntersection::Collinear { intersection }) if !adjacent || intersection.start != intersection.end => {
                    return Some((intersection.start.x, intersection.start.y))
                }
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Format, Record};

    fn ds(values: Vec<Value>) -> Dataset {
        Dataset {
            format: Format::GeoJson,
            layers: vec![LayerInfo {
                name: "x".into(),
                count: values.len(),
                detected: super::super::CrsSource::Missing,
                used: Some("CRS84".into()),
                assumed: false,
            }],
            records: values.into_iter().map(|v| Record::new(Some(v), serde_json::Map::new())).collect(),
            notes: Vec::new(),
        }
    }

    fn codes(v: Value) -> Vec<&'static str> {
        let d = ds(vec![v.clone()]);
        let mut r = Report::new(&d, 10);
        check_geometry(0, &v, &HO_CHI_MINH_CITY, &mut r);
        r.errors.iter().chain(&r.warnings).map(|p| p.code).collect()
    }

    #[test]
    fn geometry_checks() {
        let sq = |x: f64| vec![vec![x, 10.7], vec![x + 0.01, 10.7], vec![x + 0.01, 10.71], vec![x, 10.71], vec![x, 10.7]];
        assert!(codes(Value::Point(vec![106.7, 10.78])).is_empty());
        assert!(codes(Value::Polygon(vec![sq(106.7)])).is_empty());
        assert_eq!(codes(Value::Point(vec![2.35, 48.85])), vec!["outside_city"]);
        assert_eq!(codes(Value::Point(vec![f64::NAN, 10.0])), vec!["non_finite"]);
        assert_eq!(codes(Value::LineString(vec![vec![106.7, 10.78]])), vec!["too_few_points"]);
        assert_eq!(codes(Value::LineString(vec![vec![106.7, 10.78], vec![106.7, 10.78]])), vec!["degenerate_line"]);
        let mut open = sq(106.7);
        open.pop();
        assert_eq!(codes(Value::Polygon(vec![open])), vec!["unclosed_ring"]);
        let bowtie = vec![vec![106.7, 10.7], vec![106.71, 10.71], vec![106.71, 10.7], vec![106.7, 10.71], vec![106.7, 10.7]];
        assert_eq!(codes(Value::Polygon(vec![bowtie])), vec!["self_intersection"]);
    }

    #[test]
    fn counts_and_examples() {
        let d = ds(vec![Value::Point(vec![1.0, 2.0]), Value::Point(vec![106.7, 10.8])]);
        let mut r = Report::new(&d, 1);
        r.push(Problem::new(Some(0), Severity::Error, "a", "x", "x"));
        r.push(Problem::new(Some(0), Severity::Error, "b", "x", "x"));
        r.push(Problem::new(Some(1), Severity::Warning, "c", "x", "x"));
        r.finish();
        assert_eq!((r.valid, r.features_with_errors, r.features_with_warnings, r.error_count), (1, 1, 1, 2));
        assert_eq!(r.errors.len(), 1);
        assert!(r.blocking && r.has_error(0) && !r.has_error(1));
        assert_eq!(r.bbox, Some([1.0, 2.0, 106.7, 10.8]));
    }
}
