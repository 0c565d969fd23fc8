//! Generated rows for the demo city's open datasets (health facilities,
//! schools, markets, bus stops), with Vietnamese names and addresses in the
//! city's 168 wards and coordinates around each ward's centroid, and
//! [`seed_demo_data`], which ingests them into the demo catalogue's upload
//! resources. The same bus-stop generator makes the benchmark's big files
//! (`scripts/bench-datahub-ingest.sh`). Not real data: the demo says so.

use crate::catalogue::ResourceKind;
use crate::ingest::FieldUpdate;
use crate::{DataHub, DataHubError};
use cityos_api::{Caller, Principal, ResolvedGrant, Role, Scope};
use sqlx::Row as _;
use std::io::Write;

/// A ward: GSO code, name, centroid.
#[derive(Debug, Clone, PartialEq)]
pub struct Ward {
    /// GSO code.
    pub code: String,
    /// Name, e.g. "Phường Sài Gòn".
    pub name: String,
    /// Latitude of its centroid.
    pub lat: f64,
    /// Longitude of its centroid.
    pub lon: f64,
}

/// A small deterministic generator (SplitMix64): the same demo every time.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next() % u64::try_from(n).unwrap_or(1)).unwrap_or(0)
    }

    /// A number in `[-r, r)`.
    pub fn spread(&mut self, r: f64) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "53 random bits")]
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (unit * 2.0 - 1.0) * r
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const STREETS: &[&str] = &[
    "Lê Lợi",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Điện Biên Phủ",
    "Cách Mạng Tháng Tám",
    "Nguyễn Thị Minh Khai",
    "Võ Văn Kiệt",
    "Trần Hưng Đạo",
    "Lý Thường Kiệt",
    "Nguyễn Văn Cừ",
    "Phan Đăng Lưu",
    "Hoàng Văn Thụ",
    "Cộng Hòa",
    "Trường Chinh",
    "Âu Cơ",
    "Lạc Long Quân",
    "Kinh Dương Vương",
    "Nguyễn Văn Linh",
    "Huỳnh Tấn Phát",
    "Phạm Văn Đồng",
    "Xa lộ Hà Nội",
    "Quang Trung",
    "Lê Văn Việt",
    "Đỗ Xuân Hợp",
    "Nguyễn Oanh",
    "Phan Văn Trị",
    "Tô Ký",
    "Hồng Bàng",
    "An Dương Vương",
    "Nguyễn Tri Phương",
    "Ba Tháng Hai",
    "Sư Vạn Hạnh",
    "Bình Dương",
    "30 Tháng 4",
];

const FAMILY: &[&str] = &["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"];
const MIDDLE: &[&str] = &["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Quốc", "Hoài", "Đức", "Thu", "Kim"];
const GIVEN: &[&str] = &[
    "An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc", "Quân", "Tâm", "Thảo", "Trang", "Tuấn",
    "Vy",
];

const HOSPITALS: &[(&str, i64)] = &[
    ("Bệnh viện Chợ Rẫy", 1800),
    ("Bệnh viện Nhi Đồng 1", 1400),
    ("Bệnh viện Nhi Đồng 2", 1400),
    ("Bệnh viện Từ Dũ", 1600),
    ("Bệnh viện Hùng Vương", 900),
    ("Bệnh viện Nhân dân 115", 1500),
    ("Bệnh viện Nhân dân Gia Định", 1500),
    ("Bệnh viện Thống Nhất", 1200),
    ("Bệnh viện Đại học Y Dược", 1000),
    ("Bệnh viện Ung Bướu", 1300),
    ("Bệnh viện Bệnh Nhiệt đới", 550),
    ("Bệnh viện Mắt", 500),
    ("Bệnh viện Răng Hàm Mặt", 200),
    ("Bệnh viện Chấn thương Chỉnh hình", 600),
    ("Bệnh viện Phạm Ngọc Thạch", 750),
    ("Bệnh viện Nguyễn Tri Phương", 800),
    ("Bệnh viện Trưng Vương", 700),
    ("Bệnh viện An Bình", 450),
    ("Bệnh viện Tâm Thần", 600),
    ("Bệnh viện Đa khoa tỉnh Bình Dương", 1500),
    ("Bệnh viện Bà Rịa", 1000),
];

fn person(rng: &mut Rng) -> String {
    format!("{} {} {}", rng.pick(FAMILY), rng.pick(MIDDLE), rng.pick(GIVEN))
}

fn address(rng: &mut Rng) -> String {
    format!("{} {}", 1 + rng.below(400), rng.pick(STREETS))
}

fn point(rng: &mut Rng, w: &Ward, r: f64) -> (String, String) {
    (format!("{:.6}", w.lat + rng.spread(r)), format!("{:.6}", w.lon + rng.spread(r)))
}

fn csv_row(out: &mut impl Write, cells: &[String]) -> std::io::Result<()> {
    let mut line = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        if c.contains([',', '"', '\n']) {
            line.push('"');
            line.push_str(&c.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(c);
        }
    }
    line.push('\n');
    out.write_all(line.as_bytes())
}

fn header(out: &mut impl Write, names: &[&str]) -> std::io::Result<()> {
    csv_row(out, &names.iter().map(|s| (*s).to_string()).collect::<Vec<_>>())
}

/// Health facilities: the city's hospitals, a health station in every
/// ward, and polyclinics.
///
/// # Errors
/// Writing fails.
pub fn health_facilities(out: &mut impl Write, wards: &[Ward]) -> std::io::Result<()> {
    let mut rng = Rng::new(1);
    header(
        out,
        &[
            "Mã cơ sở",
            "Tên cơ sở",
            "Loại hình",
            "Địa chỉ",
            "Phường/Xã",
            "Mã phường",
            "Số giường bệnh",
            "Điện thoại",
            "Người phụ trách",
            "Ngày cấp phép",
            "Vĩ độ",
            "Kinh độ",
        ],
    )?;
    let mut n = 0;
    let mut row = |rng: &mut Rng, name: String, kind: &str, beds: i64, w: &Ward| -> std::io::Result<()> {
        n += 1;
        let (lat, lon) = point(rng, w, 0.006);
        let licensed = format!("{:02}/{:02}/{}", 1 + rng.below(28), 1 + rng.below(12), 1995 + rng.below(30));
        csv_row(
            out,
            &[
                format!("YT-{n:05}"),
                name,
                kind.into(),
                address(rng),
                w.name.clone(),
                w.code.clone(),
                beds.to_string(),
                format!("028 {} {:04}", 3800 + rng.below(199), rng.below(10_000)),
                person(rng),
                licensed,
                lat,
                lon,
            ],
        )
    };
    for (i, (name, beds)) in HOSPITALS.iter().enumerate() {
        let w = &wards[(i * 7) % wards.len()];
        row(&mut rng, (*name).into(), "Bệnh viện", *beds, w)?;
    }
    for w in wards {
        let station = w.name.replacen("Phường", "phường", 1).replacen("Xã", "xã", 1).replacen("Đặc khu", "đặc khu", 1);
        row(&mut rng, format!("Trạm Y tế {station}"), "Trạm y tế", 0, w)?;
    }
    for i in 0..wards.len() * 2 {
        let w = &wards[rng.below(wards.len())];
        let name = format!(
            "Phòng khám Đa khoa {} {}",
            rng.pick(&["Sài Gòn", "Hòa Hảo", "Medic", "An Khang", "Tâm Đức", "Phước An", "Hồng Đức"]),
            i + 1
        );
        let beds = i64::try_from(rng.below(30)).unwrap_or(0);
        row(&mut rng, name, "Phòng khám đa khoa", beds, w)?;
    }
    Ok(())
}

/// Schools of every level, several per ward.
///
/// # Errors
/// Writing fails.
pub fn schools(out: &mut impl Write, wards: &[Ward]) -> std::io::Result<()> {
    let mut rng = Rng::new(2);
    header(
        out,
        &[
            "Mã trường",
            "Tên trường",
            "Cấp học",
            "Loại hình",
            "Địa chỉ",
            "Phường/Xã",
            "Mã phường",
            "Số lớp",
            "Số học sinh",
            "Vĩ độ",
            "Kinh độ",
        ],
    )?;
    let mut n = 0;
    for w in wards {
        for (level, prefix, per_class) in [
            ("Mầm non", "Trường Mầm non", 25),
            ("Tiểu học", "Trường Tiểu học", 35),
            ("Trung học cơ sở", "Trường THCS", 42),
            ("Trung học phổ thông", "Trường THPT", 45),
        ] {
            let count = if level == "Trung học phổ thông" { rng.below(2) } else { 1 + rng.below(2) };
            for _ in 0..count {
                n += 1;
                let classes = 8 + rng.below(30);
                let (lat, lon) = point(&mut rng, w, 0.008);
                let private = rng.below(5) == 0;
                csv_row(
                    out,
                    &[
                        format!("GD-{n:05}"),
                        format!("{prefix} {}", person(&mut rng)),
                        level.into(),
                        if private { "Tư thục" } else { "Công lập" }.into(),
                        address(&mut rng),
                        w.name.clone(),
                        w.code.clone(),
                        classes.to_string(),
                        (classes * per_class + rng.below(20)).to_string(),
                        lat,
                        lon,
                    ],
                )?;
            }
        }
    }
    Ok(())
}

/// Traditional markets, up to two per ward.
///
/// # Errors
/// Writing fails.
pub fn markets(out: &mut impl Write, wards: &[Ward]) -> std::io::Result<()> {
    let mut rng = Rng::new(3);
    header(out, &["Tên chợ", "Hạng chợ", "Địa chỉ", "Phường/Xã", "Mã phường", "Số điểm kinh doanh", "Giờ mở cửa", "Vĩ độ", "Kinh độ"])?;
    let famous =
        ["Chợ Bến Thành", "Chợ Bình Tây", "Chợ An Đông", "Chợ Tân Định", "Chợ Bà Chiểu", "Chợ Hòa Bình", "Chợ Thủ Dầu Một", "Chợ Vũng Tàu"];
    for (i, w) in wards.iter().enumerate() {
        for k in 0..rng.below(3) {
            let name = if k == 0 && i < famous.len() {
                famous[i].to_string()
            } else {
                format!("Chợ {}", w.name.trim_start_matches("Phường ").trim_start_matches("Xã "))
            };
            let class = 1 + rng.below(3);
            let (lat, lon) = point(&mut rng, w, 0.005);
            csv_row(
                out,
                &[
                    if k > 0 { format!("{name} {}", k + 1) } else { name },
                    class.to_string(),
                    address(&mut rng),
                    w.name.clone(),
                    w.code.clone(),
                    (400 / class + rng.below(200)).to_string(),
                    format!("{:02}:00-{:02}:00", 4 + rng.below(3), 17 + rng.below(5)),
                    lat,
                    lon,
                ],
            )?;
        }
    }
    Ok(())
}

/// `rows` bus stops spread over the wards (the demo uses about 25 per ward;
/// the benchmark millions).
///
/// # Errors
/// Writing fails.
pub fn bus_stops(out: &mut impl Write, wards: &[Ward], rows: usize) -> std::io::Result<()> {
    let mut rng = Rng::new(4);
    header(out, &["Mã trạm", "Tên trạm", "Đường", "Phường/Xã", "Mã phường", "Các tuyến", "Có nhà chờ", "Vĩ độ", "Kinh độ"])?;
    let landmarks = ["Chợ", "Trường học", "Bệnh viện", "Công viên", "Ngã tư", "Cầu", "Siêu thị", "UBND phường", "Bến xe", "Nhà văn hóa"];
    for i in 0..rows {
        let w = &wards[i % wards.len().max(1)];
        let street = rng.pick(STREETS);
        let (lat, lon) = point(&mut rng, w, 0.01);
        let routes: Vec<String> = (0..1 + rng.below(4)).map(|_| format!("{:02}", 1 + rng.below(150))).collect();
        csv_row(
            out,
            &[
                format!("BS{:07}", i + 1),
                format!("{} {} {}", rng.pick(&landmarks), street, 1 + rng.below(300)),
                street.into(),
                w.name.clone(),
                w.code.clone(),
                routes.join(" "),
                if rng.below(3) == 0 { "Có" } else { "Không" }.into(),
                lat,
                lon,
            ],
        )?;
    }
    Ok(())
}

impl DataHub {
    /// The city's wards with their centroids.
    ///
    /// # Errors
    /// Database failure.
    pub async fn wards(&self) -> Result<Vec<Ward>, DataHubError> {
        let rows = sqlx::query(
            "SELECT code, name, lat, lon FROM jurisdictions WHERE level = 2 AND lat IS NOT NULL AND lon IS NOT NULL ORDER BY code",
        )
        .fetch_all(self.db.reader())
        .await?;
        rows.iter()
            .map(|r| Ok(Ward { code: r.try_get("code")?, name: r.try_get("name")?, lat: r.try_get("lat")?, lon: r.try_get("lon")? }))
            .collect()
    }
}

/// The demo's system caller: an administrator that is nobody (`user:demo` in the audit log).
fn demo_admin() -> Caller {
    Caller {
        principal: Principal::Staff { user_id: "demo".into(), username: "demo".into(), agency: None, api_key_id: None },
        grants: vec![ResolvedGrant { role: Role::Admin, scope: Scope::City, agencies: None, jurisdictions: None }],
        request_id: None,
    }
}

/// Fills the demo catalogue's upload resources (datasets `co-so-y-te`,
/// `truong-hoc`, `cho-truyen-thong`, `tram-xe-buyt`; the first upload
/// resource of each) with generated rows, through the ingest. Idempotent:
/// resources that already have a version are left alone, as are datasets
/// the catalogue does not have. Returns the versions made.
///
/// # Errors
/// Database or file failure.
pub async fn seed_demo_data(hub: &DataHub) -> Result<usize, DataHubError> {
    let wards = hub.wards().await?;
    if wards.is_empty() {
        return Ok(0);
    }
    let caller = demo_admin();
    let dir = hub.files_dir().join(".demo");
    tokio::fs::create_dir_all(&dir).await?;
    let mut made = 0;
    type Generator = fn(&mut Vec<u8>, &[Ward]) -> std::io::Result<()>;
    let sets: [(&str, Generator); 4] = [
        ("co-so-y-te", |o, w| health_facilities(o, w)),
        ("truong-hoc", |o, w| schools(o, w)),
        ("cho-truyen-thong", |o, w| markets(o, w)),
        ("tram-xe-buyt", |o, w| bus_stops(o, w, w.len() * 25)),
    ];
    for (name, generate) in sets {
        let Some(dataset) = hub.load_dataset(name).await? else { continue };
        let Some(resource) = dataset.resources.iter().find(|r| r.kind == ResourceKind::Upload) else { continue };
        if resource.current_version > 0 {
            continue;
        }
        let mut csv = Vec::new();
        generate(&mut csv, &wards)?;
        let file = dir.join(format!("{name}.csv"));
        tokio::fs::write(&file, &csv).await?;
        let report = hub.ingest_file(&caller, &resource.id, &file).await;
        let _ = tokio::fs::remove_file(&file).await;
        let report = report?;
        // The facility's switchboard is not a person's phone: the officer's review, done.
        if report.fields.iter().any(|f| f.name == "Điện thoại" && f.personal) {
            let upd = FieldUpdate {
                personal: Some(false),
                description: Some("Số điện thoại của cơ sở (tổng đài), không phải dữ liệu cá nhân.".into()),
            };
            hub.update_field(&caller, &resource.id, "Điện thoại", &upd).await?;
        }
        made += 1;
    }
    let _ = tokio::fs::remove_dir(&dir).await;
    if made > 0 {
        tracing::info!(made, "loaded the demo datasets' rows");
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wards() -> Vec<Ward> {
        vec![
            Ward { code: "26740".into(), name: "Phường Sài Gòn".into(), lat: 10.776, lon: 106.701 },
            Ward { code: "26743".into(), name: "Phường Bến Thành".into(), lat: 10.772, lon: 106.698 },
        ]
    }

    #[test]
    fn generators_write_parseable_csv_in_the_city() {
        for (i, gen) in [health_facilities as fn(&mut Vec<u8>, &[Ward]) -> std::io::Result<()>, schools, markets].iter().enumerate() {
            let mut out = Vec::new();
            gen(&mut out, &wards()).unwrap();
            let mut rdr = csv::Reader::from_reader(&out[..]);
            let width = rdr.headers().unwrap().len();
            let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
            assert!(i == 2 || rows.len() >= 2, "generator {i}");
            assert!(rows.iter().all(|r| r.len() == width));
        }
        let mut out = Vec::new();
        bus_stops(&mut out, &wards(), 100).unwrap();
        let mut rdr = csv::Reader::from_reader(&out[..]);
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 100);
        for r in &rows {
            let lat: f64 = r[7].parse().unwrap();
            let lon: f64 = r[8].parse().unwrap();
            assert!((lat - 10.77).abs() < 0.02 && (lon - 106.70).abs() < 0.02);
        }
        // The same every time.
        let mut again = Vec::new();
        bus_stops(&mut again, &wards(), 100).unwrap();
        assert_eq!(out, again);
    }
}
