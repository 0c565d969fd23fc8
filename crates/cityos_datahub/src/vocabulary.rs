//! The catalogue's fixed vocabularies: licences, themes, update frequencies
//! and sharing levels, each with its Vietnamese and English name and, where
//! one exists, the EU vocabulary term DCAT-AP uses for it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who may read a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum SharingLevel {
    /// Everyone, without signing in (open data).
    Open,
    /// Staff of every state agency (the default between agencies).
    #[default]
    Shared,
    /// The owning agency, and agencies it approves.
    Restricted,
}

impl SharingLevel {
    /// Every level.
    pub const ALL: [SharingLevel; 3] = [SharingLevel::Open, SharingLevel::Shared, SharingLevel::Restricted];

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Shared => "shared",
            Self::Restricted => "restricted",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// How events about a dataset at this level are classified.
    #[must_use]
    pub fn classification(self) -> cityos_core::Classification {
        match self {
            Self::Open => cityos_core::Classification::Public,
            Self::Shared => cityos_core::Classification::Internal,
            Self::Restricted => cityos_core::Classification::Restricted,
        }
    }
}

/// A licence a dataset may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Licence {
    /// Id (CKAN's licence ids where CKAN has one).
    pub id: &'static str,
    /// Vietnamese title.
    pub title_vi: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// The licence text.
    pub url: &'static str,
    /// Whether it is an open licence (Open Definition conformant).
    pub open: bool,
    /// The EU licence vocabulary term, when there is one.
    #[serde(skip)]
    pub eu: Option<&'static str>,
}

/// The licences, in the order forms show them.
pub const LICENCES: &[Licence] = &[
    Licence {
        id: "cc-by-4.0",
        title_vi: "Creative Commons Ghi công 4.0",
        title_en: "Creative Commons Attribution 4.0",
        url: "https://creativecommons.org/licenses/by/4.0/",
        open: true,
        eu: Some("CC_BY_4_0"),
    },
    Licence {
        id: "cc-by-sa-4.0",
        title_vi: "Creative Commons Ghi công – Chia sẻ tương tự 4.0",
        title_en: "Creative Commons Attribution Share-Alike 4.0",
        url: "https://creativecommons.org/licenses/by-sa/4.0/",
        open: true,
        eu: Some("CC_BYSA_4_0"),
    },
    Licence {
        id: "cc-zero",
        title_vi: "Creative Commons CC0 (dành cho công chúng)",
        title_en: "Creative Commons CCZero",
        url: "https://creativecommons.org/publicdomain/zero/1.0/",
        open: true,
        eu: Some("CC0"),
    },
    Licence {
        id: "odc-by",
        title_vi: "Giấy phép Ghi công Open Data Commons",
        title_en: "Open Data Commons Attribution License",
        url: "https://opendatacommons.org/licenses/by/1-0/",
        open: true,
        eu: Some("ODC_BY"),
    },
    Licence {
        id: "odc-odbl",
        title_vi: "Giấy phép Cơ sở dữ liệu mở Open Data Commons (ODbL)",
        title_en: "Open Data Commons Open Database License (ODbL)",
        url: "https://opendatacommons.org/licenses/odbl/1-0/",
        open: true,
        eu: Some("ODC_BL"),
    },
    Licence {
        id: "odc-pddl",
        title_vi: "Giấy phép Dành cho công chúng Open Data Commons (PDDL)",
        title_en: "Open Data Commons Public Domain Dedication and License (PDDL)",
        url: "https://opendatacommons.org/licenses/pddl/1-0/",
        open: true,
        eu: Some("ODC_PDDL"),
    },
    Licence {
        id: "vn-open-data",
        title_vi: "Dữ liệu mở của cơ quan nhà nước — sử dụng tự do, ghi nguồn",
        title_en: "Vietnamese state open data — free use with attribution",
        url: "https://cityos.dev/licences/vn-open-data",
        open: true,
        eu: None,
    },
    Licence {
        id: "other-open",
        title_vi: "Khác (mở)",
        title_en: "Other (Open)",
        url: "https://opendefinition.org/licenses/",
        open: true,
        eu: None,
    },
    Licence {
        id: "other-closed",
        title_vi: "Khác (không mở)",
        title_en: "Other (Not Open)",
        url: "https://cityos.dev/licences/other-closed",
        open: false,
        eu: None,
    },
];

/// The licence with `id`.
#[must_use]
pub fn licence(id: &str) -> Option<&'static Licence> {
    LICENCES.iter().find(|l| l.id == id)
}

/// A theme (CKAN's groups; DCAT's `dcat:theme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Theme {
    /// Id.
    pub id: &'static str,
    /// Vietnamese name.
    pub name_vi: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// The EU data theme it maps to (`http://publications.europa.eu/resource/authority/data-theme/…`).
    pub eu: &'static str,
}

/// The themes.
pub const THEMES: &[Theme] = &[
    Theme { id: "health", name_vi: "Y tế", name_en: "Health", eu: "HEAL" },
    Theme { id: "education", name_vi: "Giáo dục", name_en: "Education", eu: "EDUC" },
    Theme { id: "transport", name_vi: "Giao thông vận tải", name_en: "Transport", eu: "TRAN" },
    Theme { id: "environment", name_vi: "Môi trường", name_en: "Environment", eu: "ENVI" },
    Theme { id: "economy", name_vi: "Kinh tế", name_en: "Economy", eu: "ECON" },
    Theme { id: "population", name_vi: "Dân cư và xã hội", name_en: "Population and society", eu: "SOCI" },
    Theme { id: "government", name_vi: "Chính quyền và khu vực công", name_en: "Government and public sector", eu: "GOVE" },
    Theme { id: "agriculture", name_vi: "Nông nghiệp", name_en: "Agriculture", eu: "AGRI" },
    Theme { id: "infrastructure", name_vi: "Hạ tầng đô thị", name_en: "Urban infrastructure", eu: "REGI" },
    Theme { id: "tourism", name_vi: "Du lịch", name_en: "Tourism", eu: "ECON" },
];

/// The theme with `id`.
#[must_use]
pub fn theme(id: &str) -> Option<&'static Theme> {
    THEMES.iter().find(|t| t.id == id)
}

/// How often a dataset is updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Frequency {
    /// Id.
    pub id: &'static str,
    /// Vietnamese name.
    pub name_vi: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// The EU frequency term (`http://publications.europa.eu/resource/authority/frequency/…`).
    pub eu: &'static str,
}

/// The update frequencies.
pub const FREQUENCIES: &[Frequency] = &[
    Frequency { id: "continuous", name_vi: "Liên tục", name_en: "Continuous", eu: "UPDATE_CONT" },
    Frequency { id: "daily", name_vi: "Hằng ngày", name_en: "Daily", eu: "DAILY" },
    Frequency { id: "weekly", name_vi: "Hằng tuần", name_en: "Weekly", eu: "WEEKLY" },
    Frequency { id: "monthly", name_vi: "Hằng tháng", name_en: "Monthly", eu: "MONTHLY" },
    Frequency { id: "quarterly", name_vi: "Hằng quý", name_en: "Quarterly", eu: "QUARTERLY" },
    Frequency { id: "annual", name_vi: "Hằng năm", name_en: "Annual", eu: "ANNUAL" },
    Frequency { id: "irregular", name_vi: "Không định kỳ", name_en: "Irregular", eu: "IRREG" },
    Frequency { id: "never", name_vi: "Không cập nhật", name_en: "Never", eu: "NEVER" },
];

/// The frequency with `id`.
#[must_use]
pub fn frequency(id: &str) -> Option<&'static Frequency> {
    FREQUENCIES.iter().find(|f| f.id == id)
}

/// A file format: its EU file-type term and media type (for DCAT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileFormat {
    /// Upper-case name as resources carry it, e.g. `CSV`.
    pub name: &'static str,
    /// EU file-type term.
    pub eu: &'static str,
    /// IANA media type.
    pub media_type: &'static str,
}

/// The formats DCAT knows how to describe.
pub const FORMATS: &[FileFormat] = &[
    FileFormat { name: "CSV", eu: "CSV", media_type: "text/csv" },
    FileFormat { name: "JSON", eu: "JSON", media_type: "application/json" },
    FileFormat { name: "GEOJSON", eu: "GEOJSON", media_type: "application/geo+json" },
    FileFormat { name: "XLSX", eu: "XLSX", media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
    FileFormat { name: "XLS", eu: "XLS", media_type: "application/vnd.ms-excel" },
    FileFormat { name: "XML", eu: "XML", media_type: "application/xml" },
    FileFormat { name: "PDF", eu: "PDF", media_type: "application/pdf" },
    FileFormat { name: "ZIP", eu: "ZIP", media_type: "application/zip" },
    FileFormat { name: "HTML", eu: "HTML", media_type: "text/html" },
    FileFormat { name: "API", eu: "JSON", media_type: "application/json" },
];

/// The format named `name` (any case).
#[must_use]
pub fn file_format(name: &str) -> Option<&'static FileFormat> {
    FORMATS.iter().find(|f| f.name.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found() {
        for (i, l) in LICENCES.iter().enumerate() {
            assert!(LICENCES[i + 1..].iter().all(|o| o.id != l.id), "{}", l.id);
            assert_eq!(licence(l.id), Some(l));
        }
        for t in THEMES {
            assert_eq!(theme(t.id), Some(t));
        }
        for f in FREQUENCIES {
            assert_eq!(frequency(f.id), Some(f));
        }
        assert_eq!(file_format("csv").map(|f| f.media_type), Some("text/csv"));
        assert_eq!(SharingLevel::parse("shared"), Some(SharingLevel::Shared));
        assert_eq!(SharingLevel::parse("secret"), None);
    }
}
