//! Feeds: datasets other modules publish on a schedule (the 1022 reports,
//! anonymised, first). A feed is an ordinary open dataset with one uploaded
//! CSV resource; each publication is a new version of it, ingested like any
//! upload, so the portal, the query API, CKAN and DCAT serve it unchanged.
//! The data hub knows nothing of the module that writes the file; the
//! server's workers wire them (`cityos_http::workers`).

use crate::catalogue::{DatasetFields, ResourceFields, ResourceKind};
use crate::ingest::VersionReport;
use crate::vocabulary::SharingLevel;
use crate::{DataHub, DataHubError};
use cityos_api::{Caller, Principal, ResolvedGrant, Role, Scope};
use std::collections::BTreeMap;
use std::path::Path;

/// What a feed's dataset says about itself.
#[derive(Debug, Clone)]
pub struct FeedSpec {
    /// Dataset name (URL slug).
    pub name: &'static str,
    /// Vietnamese title.
    pub title_vi: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// Vietnamese description.
    pub notes_vi: &'static str,
    /// English description.
    pub notes_en: &'static str,
    /// Theme ids.
    pub themes: &'static [&'static str],
    /// Tags.
    pub tags: &'static [&'static str],
    /// Update frequency id.
    pub frequency: &'static str,
    /// The CSV resource's name.
    pub resource: &'static str,
}

/// The 1022 feed: every citizen report, anonymised (see `cityos_feedback::open_data`).
pub const FEEDBACK_FEED: FeedSpec = FeedSpec {
    name: "phan-anh-1022",
    title_vi: "Phản ánh, kiến nghị của người dân qua đường dây 1022 (ẩn danh)",
    title_en: "Citizen reports to the 1022 hotline (anonymised)",
    notes_vi: "Mọi phản ánh gửi tới 1022 qua mọi kênh: lĩnh vực, phường/xã, đơn vị xử lý, kênh, ngày nhận, hạn và ngày giải quyết, \
               đúng hạn hay không, mức hài lòng và vị trí làm tròn (khoảng 100 m). Không có nội dung phản ánh, họ tên, số điện thoại, \
               thư điện tử, địa chỉ hay hình ảnh. Cập nhật hằng ngày.",
    notes_en: "Every report sent to 1022 on any channel: category, ward, handling unit, channel, dates received, due and resolved, \
               whether it was answered on time, the citizen's rating and the location rounded to about 100 m. No words, names, \
               phone numbers, e-mail addresses, addresses or photos. Updated daily.",
    themes: &["government"],
    tags: &["1022", "phản ánh", "dịch vụ công"],
    frequency: "daily",
    resource: "phan-anh-1022.csv",
};

/// The caller a feed publishes as: the system, with an administrator's
/// rights, recorded in the audit log as `user:system`.
fn system() -> Caller {
    Caller {
        principal: Principal::Staff { user_id: "system".into(), username: "system".into(), agency: None, api_key_id: None },
        grants: vec![ResolvedGrant { role: Role::Admin, scope: Scope::City, agencies: None, jurisdictions: None }],
        request_id: None,
    }
}

impl DataHub {
    /// Publishes `file` (CSV) as the next version of feed `spec`, owned by
    /// `owner_agency`, creating the open dataset and its resource the first
    /// time. `None` when the owner agency does not exist.
    ///
    /// # Errors
    /// Database, file or ingest failures.
    pub async fn publish_feed(&self, spec: &FeedSpec, owner_agency: &str, file: &Path) -> Result<Option<VersionReport>, DataHubError> {
        if !self.agency_map().await?.contains_key(owner_agency) {
            return Ok(None);
        }
        let caller = system();
        let dataset = match self.load_dataset(spec.name).await? {
            Some(d) => d,
            None => {
                let fields = DatasetFields {
                    name: spec.name.into(),
                    title_vi: spec.title_vi.into(),
                    title_en: spec.title_en.into(),
                    notes_vi: spec.notes_vi.into(),
                    notes_en: spec.notes_en.into(),
                    owner_agency: owner_agency.into(),
                    sharing_level: SharingLevel::Open,
                    license_id: "cc-by-4.0".into(),
                    update_frequency: spec.frequency.into(),
                    spatial_ward: Some("79".into()),
                    spatial_geometry: None,
                    temporal_start: None,
                    temporal_end: None,
                    contact_name: String::new(),
                    contact_email: String::new(),
                    legal_basis: String::new(),
                    themes: spec.themes.iter().map(|t| (*t).to_string()).collect(),
                    tags: spec.tags.iter().map(|t| (*t).to_string()).collect(),
                    extras: BTreeMap::new(),
                    state: None,
                };
                let resource = ResourceFields {
                    name: spec.resource.into(),
                    format: "CSV".into(),
                    description: spec.notes_vi.into(),
                    kind: ResourceKind::Upload,
                    ..ResourceFields::default()
                };
                self.create_dataset(&caller, &fields, Some(std::slice::from_ref(&resource))).await?
            }
        };
        let resource = match dataset.resources.iter().find(|r| r.name == spec.resource) {
            Some(r) => r.id.clone(),
            None => {
                let fields = ResourceFields {
                    name: spec.resource.into(),
                    format: "CSV".into(),
                    kind: ResourceKind::Upload,
                    ..ResourceFields::default()
                };
                self.create_resource(&caller, &dataset.id, &fields).await?.id
            }
        };
        Ok(Some(self.ingest_file(&caller, &resource, file).await?))
    }
}
