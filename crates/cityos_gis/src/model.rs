//! The network model, after INSPIRE Utility Networks: a collection per
//! network and asset type. Links (cables, pipes, ducts) join nodes (valves,
//! switches, transformers, manholes, poles, cabinets, hydrants, service
//! connections); sources (substations, treatment plants, exchanges) give
//! the flow direction; post offices are point facilities.
//!
//! Every feature carries the common attributes in [`COMMON_ATTRIBUTES`]
//! (stored as columns, so they are queryable) and its collection's
//! [`CollectionDef::extra`] attributes (kept as JSON).

use serde::{Deserialize, Serialize};

/// A utility network type (INSPIRE `UtilityNetworkType`, plus post).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// Electricity.
    Electricity,
    /// Water supply.
    Water,
    /// Sewer and drainage.
    Sewer,
    /// Telecommunications.
    Telecom,
    /// District heating and cooling.
    Thermal,
    /// Postal facilities.
    Post,
}

impl Network {
    /// Every network.
    pub const ALL: [Network; 6] = [Network::Electricity, Network::Water, Network::Sewer, Network::Telecom, Network::Thermal, Network::Post];

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Electricity => "electricity",
            Network::Water => "water",
            Network::Sewer => "sewer",
            Network::Telecom => "telecom",
            Network::Thermal => "thermal",
            Network::Post => "post",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Network> {
        Network::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// Vietnamese and English titles.
    #[must_use]
    pub fn titles(self) -> (&'static str, &'static str) {
        match self {
            Network::Electricity => ("Lưới điện", "Electricity"),
            Network::Water => ("Cấp nước", "Water supply"),
            Network::Sewer => ("Thoát nước", "Sewer and drainage"),
            Network::Telecom => ("Viễn thông", "Telecommunications"),
            Network::Thermal => ("Nhiệt", "Thermal"),
            Network::Post => ("Bưu chính", "Post"),
        }
    }
}

/// What part of a network an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A cable, pipe or duct between two nodes (LineString).
    Link,
    /// A node links connect to (Point).
    Node,
    /// A point facility outside the link/node graph (post offices).
    Facility,
}

/// A node's role in the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowRole {
    /// Where the flow starts (substation, treatment plant, exchange, plant).
    Source,
    /// Where the flow ends (a drainage outfall).
    Sink,
}

/// The geometry type of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeometryKind {
    /// Points.
    Point,
    /// Line strings.
    LineString,
}

impl GeometryKind {
    /// The GeoJSON type name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            GeometryKind::Point => "Point",
            GeometryKind::LineString => "LineString",
        }
    }
}

/// The type of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// Text.
    Text,
    /// A number (double).
    Number,
    /// An integer.
    Integer,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// A timestamp (RFC 3339 on the wire).
    Timestamp,
}

/// An attribute of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr {
    /// The property name on the wire.
    pub name: &'static str,
    /// Its type.
    pub ty: AttrType,
    /// Vietnamese title.
    pub title_vi: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// Allowed values for a code list, empty when free.
    pub values: &'static [&'static str],
}

const fn attr(name: &'static str, ty: AttrType, title_vi: &'static str, title_en: &'static str) -> Attr {
    Attr { name, ty, title_vi, title_en, values: &[] }
}

/// Allowed `status` values (INSPIRE `ConditionOfFacility`).
pub const STATUSES: &[&str] = &["functional", "projected", "under_construction", "disused", "decommissioned"];
/// Allowed `condition` values (the owner's last inspection).
pub const CONDITIONS: &[&str] = &["good", "fair", "poor", "critical", "unknown"];

/// Attributes every feature has, stored as columns (queryable). `network`,
/// `asset_type` and `flow_role` come from the collection and are read-only;
/// `owner_agency` defaults to the creator's agency; `valid_from`/`valid_to`
/// bound the version's validity (`valid_to` empty while current).
pub const COMMON_ATTRIBUTES: &[Attr] = &[
    attr("name", AttrType::Text, "Tên", "Name"),
    attr("network", AttrType::Text, "Mạng lưới", "Network"),
    attr("asset_type", AttrType::Text, "Loại tài sản", "Asset type"),
    attr("owner_agency", AttrType::Text, "Đơn vị quản lý", "Owner agency"),
    Attr { name: "status", ty: AttrType::Text, title_vi: "Trạng thái", title_en: "Status", values: STATUSES },
    Attr { name: "condition", ty: AttrType::Text, title_vi: "Tình trạng", title_en: "Condition", values: CONDITIONS },
    attr("material", AttrType::Text, "Vật liệu", "Material"),
    attr("diameter_mm", AttrType::Number, "Đường kính (mm)", "Diameter (mm)"),
    attr("voltage_kv", AttrType::Number, "Điện áp (kV)", "Voltage (kV)"),
    attr("depth_m", AttrType::Number, "Độ sâu (m)", "Depth (m)"),
    attr("install_date", AttrType::Date, "Ngày lắp đặt", "Install date"),
    attr("flow_role", AttrType::Text, "Vai trò dòng chảy", "Flow role"),
    attr("valid_from", AttrType::Timestamp, "Hiệu lực từ", "Valid from"),
    attr("valid_to", AttrType::Timestamp, "Hiệu lực đến", "Valid to"),
];

/// A collection: one network and asset type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionDef {
    /// The collection id, e.g. `water-valves`.
    pub id: &'static str,
    /// The network.
    pub network: Network,
    /// Link, node or facility.
    pub kind: Kind,
    /// The asset type, e.g. `valve`.
    pub asset_type: &'static str,
    /// The geometry type.
    pub geometry: GeometryKind,
    /// Source or sink of the flow, for the whole collection.
    pub flow_role: Option<FlowRole>,
    /// Vietnamese title.
    pub title_vi: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// Attributes beyond [`COMMON_ATTRIBUTES`].
    pub extra: &'static [Attr],
}

use AttrType::{Integer, Number, Text};
use GeometryKind::{LineString, Point};
use Kind::{Facility, Link, Node};

macro_rules! coll {
    ($id:literal, $net:ident, $kind:ident, $asset:literal, $geom:ident, $role:expr, $vi:literal, $en:literal, [$($extra:expr),*]) => {
        CollectionDef {
            id: $id,
            network: Network::$net,
            kind: $kind,
            asset_type: $asset,
            geometry: $geom,
            flow_role: $role,
            title_vi: $vi,
            title_en: $en,
            extra: &[$($extra),*],
        }
    };
}

/// Every collection, in the order the landing page lists them.
pub const COLLECTIONS: &[CollectionDef] = &[
    coll!(
        "electricity-substations",
        Electricity,
        Node,
        "substation",
        Point,
        Some(FlowRole::Source),
        "Trạm biến áp nguồn",
        "Substations",
        [attr("capacity_mva", Number, "Công suất (MVA)", "Capacity (MVA)")]
    ),
    coll!(
        "electricity-transformers",
        Electricity,
        Node,
        "transformer",
        Point,
        None,
        "Máy biến áp phân phối",
        "Distribution transformers",
        [attr("capacity_kva", Number, "Công suất (kVA)", "Capacity (kVA)")]
    ),
    coll!(
        "electricity-switches",
        Electricity,
        Node,
        "switch",
        Point,
        None,
        "Thiết bị đóng cắt",
        "Switches",
        [attr("normally_open", Integer, "Thường mở (1/0)", "Normally open (1/0)")]
    ),
    coll!(
        "electricity-poles",
        Electricity,
        Node,
        "pole",
        Point,
        None,
        "Cột điện",
        "Poles",
        [attr("height_m", Number, "Chiều cao (m)", "Height (m)")]
    ),
    coll!(
        "electricity-cables",
        Electricity,
        Link,
        "cable",
        LineString,
        None,
        "Đường dây và cáp điện",
        "Cables and lines",
        [attr("conductor", Text, "Loại dây dẫn", "Conductor"), attr("underground", Integer, "Đi ngầm (1/0)", "Underground (1/0)")]
    ),
    coll!(
        "water-treatment-plants",
        Water,
        Node,
        "treatment_plant",
        Point,
        Some(FlowRole::Source),
        "Nhà máy nước",
        "Treatment plants",
        [attr("capacity_m3_day", Number, "Công suất (m³/ngày)", "Capacity (m³/day)")]
    ),
    coll!(
        "water-valves",
        Water,
        Node,
        "valve",
        Point,
        None,
        "Van",
        "Valves",
        [attr("normally_open", Integer, "Thường mở (1/0)", "Normally open (1/0)")]
    ),
    coll!("water-hydrants", Water, Node, "hydrant", Point, None, "Trụ cứu hỏa", "Hydrants", []),
    coll!(
        "water-service-connections",
        Water,
        Node,
        "service_connection",
        Point,
        None,
        "Đấu nối khách hàng",
        "Service connections",
        [attr("customer_count", Integer, "Số khách hàng", "Customers")]
    ),
    coll!(
        "water-pipes",
        Water,
        Link,
        "pipe",
        LineString,
        None,
        "Đường ống cấp nước",
        "Water mains",
        [attr("pressure_bar", Number, "Áp lực (bar)", "Pressure (bar)")]
    ),
    coll!(
        "sewer-outfalls",
        Sewer,
        Node,
        "outfall",
        Point,
        Some(FlowRole::Sink),
        "Cửa xả",
        "Outfalls",
        [attr("receiving_water", Text, "Nguồn tiếp nhận", "Receiving water")]
    ),
    coll!(
        "sewer-manholes",
        Sewer,
        Node,
        "manhole",
        Point,
        None,
        "Hố ga",
        "Manholes",
        [attr("invert_level_m", Number, "Cao độ đáy (m)", "Invert level (m)")]
    ),
    coll!(
        "sewer-pipes",
        Sewer,
        Link,
        "pipe",
        LineString,
        None,
        "Cống thoát nước",
        "Sewers and drains",
        [attr("gravity", Integer, "Tự chảy (1/0)", "Gravity (1/0)")]
    ),
    coll!("telecom-exchanges", Telecom, Node, "exchange", Point, Some(FlowRole::Source), "Tổng đài", "Exchanges", []),
    coll!("telecom-cabinets", Telecom, Node, "cabinet", Point, None, "Tủ cáp", "Cabinets", [attr("ports", Integer, "Số cổng", "Ports")]),
    coll!("telecom-manholes", Telecom, Node, "manhole", Point, None, "Hầm cáp", "Cable manholes", []),
    coll!("telecom-ducts", Telecom, Link, "duct", LineString, None, "Cống bể cáp", "Ducts", [attr("ways", Integer, "Số ống", "Ways")]),
    coll!(
        "telecom-cables",
        Telecom,
        Link,
        "cable",
        LineString,
        None,
        "Cáp viễn thông",
        "Telecom cables",
        [attr("fibre_count", Integer, "Số sợi", "Fibres")]
    ),
    coll!("thermal-plants", Thermal, Node, "plant", Point, Some(FlowRole::Source), "Trạm nhiệt/lạnh", "Heating/cooling plants", []),
    coll!("thermal-pipes", Thermal, Link, "pipe", LineString, None, "Đường ống nhiệt/lạnh", "Thermal pipes", []),
    coll!(
        "post-offices",
        Post,
        Facility,
        "post_office",
        Point,
        None,
        "Bưu cục",
        "Post offices",
        [attr("postcode", Text, "Mã bưu chính", "Postcode"), attr("opening_hours", Text, "Giờ mở cửa", "Opening hours")]
    ),
];

/// The collection with this id.
#[must_use]
pub fn collection(id: &str) -> Option<&'static CollectionDef> {
    COLLECTIONS.iter().find(|c| c.id == id)
}

impl CollectionDef {
    /// The collection's attributes: the common ones, then its own.
    pub fn attributes(&self) -> impl Iterator<Item = &'static Attr> {
        COMMON_ATTRIBUTES.iter().chain(self.extra.iter())
    }

    /// The attribute named `name`, if the collection has it.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&'static Attr> {
        self.attributes().find(|a| a.name == name)
    }
}

/// A feature as written by a client: a GeoJSON geometry in CRS84 and
/// properties named after the collection's attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureInput {
    /// The id to use (imports and replace); a new one when absent.
    pub id: Option<String>,
    /// The geometry, CRS84.
    pub geometry: geojson::Geometry,
    /// Attribute values.
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// A stored feature, current version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// Its id.
    pub id: String,
    /// Its collection.
    pub collection: String,
    /// The geometry, CRS84.
    pub geometry: geojson::Geometry,
    /// Every attribute, common and collection-specific (absent ones omitted).
    pub properties: serde_json::Map<String, serde_json::Value>,
    /// Increases with every change; the ETag is derived from it.
    pub version: i64,
}

impl Feature {
    /// The strong ETag of this version.
    #[must_use]
    pub fn etag(&self) -> String {
        format!("\"{}-{}\"", self.id, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_ids_are_unique_and_named_after_their_network() {
        let mut seen = std::collections::HashSet::new();
        for c in COLLECTIONS {
            assert!(seen.insert(c.id), "{}", c.id);
            assert!(c.id.starts_with(c.network.as_str()), "{}", c.id);
            assert_eq!(c.kind == Kind::Link, c.geometry == GeometryKind::LineString, "{}", c.id);
        }
        for n in Network::ALL {
            assert!(COLLECTIONS.iter().any(|c| c.network == n), "{n:?}");
        }
    }
}
