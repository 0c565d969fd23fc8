//! The demo city's catalogue: datasets of the health, education, industry
//! and trade, and construction (transport) departments, open, shared and
//! restricted. Idempotent: a dataset whose name exists is left as it is.
//!
//! The four open datasets with data each get one `upload` resource, which
//! the ingest's demo seeding fills with generated rows (by these names):
//! `co-so-y-te` (health facilities, Sở Y tế), `truong-hoc` (schools, Sở
//! Giáo dục và Đào tạo), `cho-truyen-thong` (traditional markets, Sở Công
//! Thương) and `tram-xe-buyt` (bus stops, Sở Xây dựng, which has managed
//! public transport since the 2025 merger of the transport department).

use crate::catalogue::{DatasetFields, ResourceFields, ResourceKind};
use crate::vocabulary::SharingLevel;
use crate::{DataHub, DataHubError};
use cityos_api::{Caller, Principal, ResolvedGrant, Role, Scope};
use std::collections::BTreeMap;

/// One demo dataset.
struct Seed {
    name: &'static str,
    owner: &'static str,
    level: SharingLevel,
    title_vi: &'static str,
    title_en: &'static str,
    notes_vi: &'static str,
    notes_en: &'static str,
    themes: &'static [&'static str],
    tags: &'static [&'static str],
    licence: &'static str,
    frequency: &'static str,
    contact: (&'static str, &'static str),
    legal_basis: &'static str,
    /// The upload resource's name and format, for datasets with generated data.
    upload: Option<(&'static str, &'static str)>,
}

const SEEDS: &[Seed] = &[
    Seed {
        name: "co-so-y-te",
        owner: "SO-YT",
        level: SharingLevel::Open,
        title_vi: "Cơ sở khám bệnh, chữa bệnh trên địa bàn Thành phố Hồ Chí Minh",
        title_en: "Health facilities in Ho Chi Minh City",
        notes_vi: "Bệnh viện, trung tâm y tế, trạm y tế phường, xã và phòng khám đa khoa: tên, loại hình, địa chỉ, phường/xã, số giường bệnh, điện thoại và tọa độ.",
        notes_en: "Hospitals, health centres, ward and commune health stations and polyclinics: name, type, address, ward, beds, telephone and coordinates.",
        themes: &["health"],
        tags: &["y tế", "bệnh viện", "trạm y tế"],
        licence: "cc-by-4.0",
        frequency: "monthly",
        contact: ("Phòng Công nghệ thông tin — Sở Y tế", "cntt.soyte@hcm.cityos.demo"),
        legal_basis: "Luật Khám bệnh, chữa bệnh số 15/2023/QH15; Luật Dữ liệu số 60/2024/QH15 (dữ liệu mở).",
        upload: Some(("Danh sách cơ sở khám bệnh, chữa bệnh", "CSV")),
    },
    Seed {
        name: "truong-hoc",
        owner: "SO-GDDT",
        level: SharingLevel::Open,
        title_vi: "Trường mầm non, tiểu học, trung học cơ sở và trung học phổ thông",
        title_en: "Kindergartens, primary, lower and upper secondary schools",
        notes_vi: "Các trường công lập và ngoài công lập: tên trường, cấp học, loại hình, địa chỉ, phường/xã, số lớp, số học sinh và tọa độ.",
        notes_en: "Public and private schools: name, level, type, address, ward, classes, pupils and coordinates.",
        themes: &["education"],
        tags: &["giáo dục", "trường học"],
        licence: "cc-by-4.0",
        frequency: "annual",
        contact: ("Văn phòng Sở Giáo dục và Đào tạo", "dulieu.sogddt@hcm.cityos.demo"),
        legal_basis: "Luật Giáo dục số 43/2019/QH14; Luật Dữ liệu số 60/2024/QH15 (dữ liệu mở).",
        upload: Some(("Danh sách trường học", "CSV")),
    },
    Seed {
        name: "cho-truyen-thong",
        owner: "SO-CT",
        level: SharingLevel::Open,
        title_vi: "Chợ truyền thống",
        title_en: "Traditional markets",
        notes_vi: "Chợ đầu mối, chợ hạng 1, 2, 3: tên chợ, hạng, địa chỉ, phường/xã, số điểm kinh doanh, giờ mở cửa và tọa độ.",
        notes_en: "Wholesale and class 1–3 markets: name, class, address, ward, stalls, opening hours and coordinates.",
        themes: &["economy", "tourism"],
        tags: &["chợ", "thương mại"],
        licence: "odc-by",
        frequency: "quarterly",
        contact: ("Phòng Quản lý thương mại — Sở Công Thương", "thuongmai.soct@hcm.cityos.demo"),
        legal_basis: "Nghị định 60/2024/NĐ-CP về phát triển và quản lý chợ; Luật Dữ liệu số 60/2024/QH15 (dữ liệu mở).",
        upload: Some(("Danh sách chợ", "CSV")),
    },
    Seed {
        name: "tram-xe-buyt",
        owner: "SO-XD",
        level: SharingLevel::Open,
        title_vi: "Trạm dừng xe buýt",
        title_en: "Bus stops",
        notes_vi: "Trạm dừng và nhà chờ xe buýt: mã trạm, tên trạm, đường, phường/xã, các tuyến đi qua, có nhà chờ hay không và tọa độ.",
        notes_en: "Bus stops and shelters: stop code, name, street, ward, routes served, shelter and coordinates.",
        themes: &["transport", "infrastructure"],
        tags: &["xe buýt", "giao thông công cộng"],
        licence: "cc-zero",
        frequency: "weekly",
        contact: ("Trung tâm Quản lý giao thông công cộng", "xebuyt.soxd@hcm.cityos.demo"),
        legal_basis: "Luật Đường bộ số 35/2024/QH15; Luật Dữ liệu số 60/2024/QH15 (dữ liệu mở).",
        upload: Some(("Danh sách trạm dừng xe buýt", "CSV")),
    },
    Seed {
        name: "nguoi-hanh-nghe-kham-chua-benh",
        owner: "SO-YT",
        level: SharingLevel::Open,
        title_vi: "Người hành nghề khám bệnh, chữa bệnh được cấp giấy phép",
        title_en: "Licensed medical practitioners",
        notes_vi: "Số giấy phép hành nghề, họ tên, chức danh chuyên môn, phạm vi hoạt động và nơi hành nghề, như Sở Y tế công bố công khai.",
        notes_en: "Practising licence number, name, professional title, scope of practice and place of practice, as published by the Department of Health.",
        themes: &["health"],
        tags: &["y tế", "giấy phép hành nghề"],
        licence: "vn-open-data",
        frequency: "monthly",
        contact: ("Phòng Nghiệp vụ Y — Sở Y tế", "nghiepvuy.soyte@hcm.cityos.demo"),
        legal_basis: "Luật Khám bệnh, chữa bệnh số 15/2023/QH15 (công khai danh sách người hành nghề).",
        upload: None,
    },
    Seed {
        name: "tiem-chung-mo-rong",
        owner: "SO-YT",
        level: SharingLevel::Shared,
        title_vi: "Kết quả tiêm chủng mở rộng theo phường, xã",
        title_en: "Expanded immunisation coverage by ward",
        notes_vi: "Tỷ lệ trẻ dưới 1 tuổi được tiêm chủng đầy đủ theo từng phường, xã, hằng tháng. Chia sẻ cho các cơ quan nhà nước.",
        notes_en: "Share of children under one fully immunised, by ward, monthly. Shared with state agencies.",
        themes: &["health", "population"],
        tags: &["tiêm chủng", "trẻ em"],
        licence: "other-closed",
        frequency: "monthly",
        contact: ("Trung tâm Kiểm soát bệnh tật", "hcdc@hcm.cityos.demo"),
        legal_basis: "Nghị định 47/2020/NĐ-CP về quản lý, kết nối và chia sẻ dữ liệu số của cơ quan nhà nước.",
        upload: None,
    },
    Seed {
        name: "ho-so-suc-khoe-dien-tu",
        owner: "SO-YT",
        level: SharingLevel::Restricted,
        title_vi: "Thống kê hồ sơ sức khỏe điện tử",
        title_en: "Electronic health record statistics",
        notes_vi: "Số hồ sơ sức khỏe điện tử đã lập theo phường, xã, nhóm tuổi và giới tính. Có trường dữ liệu cá nhân: chỉ Sở Y tế và cơ quan được phê duyệt.",
        notes_en: "Electronic health records opened by ward, age group and sex. Contains personal data: the Department of Health and approved agencies only.",
        themes: &["health"],
        tags: &["hồ sơ sức khỏe", "dữ liệu cá nhân"],
        licence: "other-closed",
        frequency: "monthly",
        contact: ("Phòng Công nghệ thông tin — Sở Y tế", "cntt.soyte@hcm.cityos.demo"),
        legal_basis: "Luật Khám bệnh, chữa bệnh số 15/2023/QH15; Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân.",
        upload: None,
    },
    Seed {
        name: "hoc-sinh-khuyet-tat",
        owner: "SO-GDDT",
        level: SharingLevel::Restricted,
        title_vi: "Học sinh khuyết tật cần hỗ trợ học tập",
        title_en: "Pupils with disabilities needing learning support",
        notes_vi: "Danh sách học sinh khuyết tật theo trường và dạng khuyết tật, để bố trí giáo viên hỗ trợ. Dữ liệu cá nhân nhạy cảm.",
        notes_en: "Pupils with disabilities by school and kind of disability, to assign support teachers. Sensitive personal data.",
        themes: &["education", "population"],
        tags: &["giáo dục hòa nhập", "dữ liệu cá nhân"],
        licence: "other-closed",
        frequency: "annual",
        contact: ("Phòng Giáo dục thường xuyên", "gdtx.sogddt@hcm.cityos.demo"),
        legal_basis: "Luật Người khuyết tật số 51/2010/QH12; Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân.",
        upload: None,
    },
    Seed {
        name: "luu-luong-hanh-khach-xe-buyt",
        owner: "SO-XD",
        level: SharingLevel::Shared,
        title_vi: "Lưu lượng hành khách xe buýt theo tuyến",
        title_en: "Bus ridership by route",
        notes_vi: "Số lượt hành khách theo tuyến và theo giờ, từ vé điện tử. Chia sẻ cho các cơ quan nhà nước phục vụ quy hoạch.",
        notes_en: "Passenger trips by route and hour, from electronic tickets. Shared with state agencies for planning.",
        themes: &["transport"],
        tags: &["xe buýt", "hành khách"],
        licence: "other-closed",
        frequency: "daily",
        contact: ("Trung tâm Quản lý giao thông công cộng", "xebuyt.soxd@hcm.cityos.demo"),
        legal_basis: "Nghị định 47/2020/NĐ-CP về quản lý, kết nối và chia sẻ dữ liệu số của cơ quan nhà nước.",
        upload: None,
    },
];

/// The demo's system caller: an administrator that is nobody (`user:demo` in the audit log).
fn demo_admin() -> Caller {
    Caller {
        principal: Principal::Staff { user_id: "demo".into(), username: "demo".into(), agency: None, api_key_id: None },
        grants: vec![ResolvedGrant { role: Role::Admin, scope: Scope::City, agencies: None, jurisdictions: None }],
        request_id: None,
    }
}

/// Seeds the demo catalogue; returns how many datasets were added. Owner
/// agencies missing from the city are skipped.
///
/// # Errors
/// Database failure.
pub async fn seed_catalogue(hub: &DataHub) -> Result<usize, DataHubError> {
    let caller = demo_admin();
    let agencies = hub.agency_map().await?;
    let mut added = 0;
    for s in SEEDS {
        if !agencies.contains_key(s.owner) || hub.load_dataset(s.name).await?.is_some() {
            continue;
        }
        let fields = DatasetFields {
            name: s.name.into(),
            title_vi: s.title_vi.into(),
            title_en: s.title_en.into(),
            notes_vi: s.notes_vi.into(),
            notes_en: s.notes_en.into(),
            owner_agency: s.owner.into(),
            sharing_level: s.level,
            license_id: s.licence.into(),
            update_frequency: s.frequency.into(),
            spatial_ward: Some("79".into()),
            spatial_geometry: None,
            temporal_start: Some("2025-07-01".into()),
            temporal_end: None,
            contact_name: s.contact.0.into(),
            contact_email: s.contact.1.into(),
            legal_basis: s.legal_basis.into(),
            themes: s.themes.iter().map(|t| (*t).to_string()).collect(),
            tags: s.tags.iter().map(|t| (*t).to_string()).collect(),
            extras: BTreeMap::new(),
            state: None,
        };
        let resources: Vec<ResourceFields> = s
            .upload
            .iter()
            .map(|(name, format)| ResourceFields {
                name: (*name).into(),
                format: (*format).into(),
                description: "Dữ liệu sinh cho bản demo (không phải số liệu thật).".into(),
                kind: ResourceKind::Upload,
                ..ResourceFields::default()
            })
            .collect();
        hub.create_dataset(&caller, &fields, Some(&resources)).await?;
        added += 1;
    }
    if added > 0 {
        tracing::info!(added, "seeded the demo data catalogue");
    }
    Ok(added)
}
