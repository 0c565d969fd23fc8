//! The default 1022 category tree for Ho Chi Minh City: groups and leaf
//! categories with Vietnamese and English names, folded keywords for the
//! automatic suggestion, the responsible utility where one exists, and the
//! answer deadline in working days (10 by default, as the city requires).

use crate::categories::Category;
use crate::{Feedback, FeedbackError};

/// (code, parent, name_vi, name_en, keywords, default agency, deadline days)
type Row = (&'static str, Option<&'static str>, &'static str, &'static str, &'static str, Option<&'static str>, i64);

const TREE: &[Row] = &[
    ("ROADS", None, "Giao thông – đường sá", "Roads", "", None, 10),
    (
        "ROADS.POTHOLE",
        Some("ROADS"),
        "Ổ gà, hư hỏng mặt đường",
        "Pothole or damaged road",
        "o ga,ho,lun,nut,sup,mat duong,hu hong duong,lo ghe",
        None,
        10,
    ),
    ("ROADS.SIDEWALK", Some("ROADS"), "Vỉa hè hư hỏng", "Damaged sidewalk", "via he,gach via he,bong gach", None, 10),
    ("LIGHTING", None, "Chiếu sáng công cộng", "Street lighting", "", None, 10),
    (
        "LIGHTING.OUT",
        Some("LIGHTING"),
        "Đèn đường không sáng",
        "Street light out",
        "den duong,khong sang,den tat,chap chon,cot den",
        None,
        5,
    ),
    ("DRAINAGE", None, "Thoát nước – ngập", "Drainage and flooding", "", None, 10),
    ("DRAINAGE.FLOOD", Some("DRAINAGE"), "Ngập nước", "Flooding", "ngap,ngap nuoc,trieu cuong,nuoc ngap,ngap sau", None, 5),
    (
        "DRAINAGE.BLOCKED",
        Some("DRAINAGE"),
        "Cống nghẹt, hố ga mất nắp",
        "Blocked drain or open manhole",
        "cong,nghet,ho ga,mat nap,nap cong,boc mui",
        None,
        5,
    ),
    ("WASTE", None, "Rác thải – vệ sinh môi trường", "Waste and sanitation", "", None, 10),
    ("WASTE.DUMP", Some("WASTE"), "Đổ rác, xà bần trái phép", "Illegal dumping", "rac,do rac,xa rac,xa ban,bai rac,rac thai", None, 5),
    ("WASTE.COLLECT", Some("WASTE"), "Không thu gom rác", "Missed waste collection", "thu gom,xe rac,khong thu gom,rac ton dong", None, 3),
    ("TREES", None, "Cây xanh", "Trees", "", None, 10),
    (
        "TREES.FALLEN",
        Some("TREES"),
        "Cây ngã, gãy nhánh",
        "Fallen tree or branch",
        "cay,cay xanh,cay nga,gay nhanh,nhanh cay,cay do,cay nghieng,nga de",
        None,
        3,
    ),
    ("TRAFFIC", None, "Giao thông – tín hiệu, ùn tắc", "Traffic", "", None, 10),
    (
        "TRAFFIC.SIGNAL",
        Some("TRAFFIC"),
        "Đèn tín hiệu giao thông hỏng",
        "Broken traffic light",
        "den giao thong,den tin hieu,den do,den xanh",
        Some("SO-XD"),
        3,
    ),
    ("TRAFFIC.JAM", Some("TRAFFIC"), "Ùn tắc giao thông", "Traffic congestion", "ket xe,un tac,tac duong,ket cung", Some("SO-XD"), 10),
    ("ORDER", None, "Trật tự đô thị", "Public order", "", None, 10),
    (
        "ORDER.ENCROACH",
        Some("ORDER"),
        "Lấn chiếm lòng lề đường",
        "Street encroachment",
        "lan chiem,buon ban,ban hang rong,chiem via he,dau xe",
        None,
        10,
    ),
    ("NOISE", None, "Tiếng ồn", "Noise", "", None, 10),
    ("NOISE.LOUD", Some("NOISE"), "Gây ồn ào, karaoke", "Loud noise, karaoke", "on,on ao,karaoke,loa,nhac lon,tieng on", None, 5),
    ("CONSTRUCTION", None, "Xây dựng", "Construction", "", None, 10),
    (
        "CONSTRUCTION.ILLEGAL",
        Some("CONSTRUCTION"),
        "Xây dựng không phép, sai phép",
        "Unpermitted construction",
        "xay dung,khong phep,sai phep,cong trinh,xay lan",
        None,
        10,
    ),
    ("WATER", None, "Cấp nước", "Water supply", "", None, 10),
    (
        "WATER.OUTAGE",
        Some("WATER"),
        "Mất nước, nước yếu",
        "No water or low pressure",
        "mat nuoc,cup nuoc,nuoc yeu,khong co nuoc",
        Some("SAWACO"),
        3,
    ),
    ("WATER.LEAK", Some("WATER"), "Vỡ ống nước", "Burst water main", "vo ong,ong nuoc,xi nuoc,ro ri nuoc", Some("SAWACO"), 3),
    ("POWER", None, "Điện", "Electricity", "", None, 10),
    ("POWER.OUTAGE", Some("POWER"), "Mất điện", "Power cut", "mat dien,cup dien,chap dien", Some("EVNHCMC"), 3),
    (
        "POWER.WIRE",
        Some("POWER"),
        "Dây điện đứt, võng, chập cháy",
        "Fallen, sagging or sparking wires",
        "day dien,dut,vong,chay no,tu dien",
        Some("EVNHCMC"),
        3,
    ),
    ("ADMIN", None, "Thủ tục hành chính", "Administrative procedures", "", None, 10),
    ("ADMIN.DELAY", Some("ADMIN"), "Hồ sơ giải quyết chậm", "Delayed application", "ho so,tre han,cham,thu tuc,mot cua", None, 10),
];

impl Feedback {
    /// Loads the default category tree where categories are missing
    /// (existing ones are left as an administrator set them). Returns how many were added.
    ///
    /// # Errors
    /// Database failure.
    pub async fn seed_default_categories(&self) -> Result<usize, FeedbackError> {
        let existing: Vec<String> = self.categories().await?.into_iter().map(|c| c.code).collect();
        let mut added = 0;
        for (i, (code, parent, vi, en, keywords, agency, days)) in TREE.iter().enumerate() {
            if existing.iter().any(|c| c == code) {
                continue;
            }
            let c = Category {
                code: (*code).into(),
                parent_code: parent.map(Into::into),
                name_vi: (*vi).into(),
                name_en: (*en).into(),
                description_vi: String::new(),
                description_en: String::new(),
                keywords: keywords.split(',').map(str::to_string).collect(),
                default_agency_code: agency.map(Into::into),
                deadline_days: *days,
            };
            self.put_category(None, &c, i64::try_from(i).unwrap_or(0)).await?;
            added += 1;
        }
        Ok(added)
    }
}
