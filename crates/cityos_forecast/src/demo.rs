//! Illustrative demo indicators for the demo city: monthly CPI, retail sales (strong Tết effect),
//! budget revenue, exports, international tourist arrivals (the 2020–2021 COVID collapse),
//! industrial production; quarterly GRDP (a 2021 Q3 lockdown dip); yearly population; and retail
//! sales of a handful of wards with the city total that is their sum (for reconciliation).
//!
//! Every series runs from 2015-01 to the last complete period before the demo's date and is
//! generated deterministically (a fixed seed) from trend, seasonality, Tết (from
//! [`cityos_calendar::tet`]) and noise. All are flagged `illustrative`.

use crate::model::{ForecastRequest, NewIndicator, ObservationInput, ObservationsInput, Source};
use crate::period::{self, Period};
use crate::store::Author;
use crate::{ForecastCentre, ForecastError};
use chrono::{Datelike as _, NaiveDate};
use cityos_tsmodels::Frequency;

/// A generated demo indicator with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSeries {
    /// Code.
    pub id: &'static str,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Unit.
    pub unit: &'static str,
    /// Frequency.
    pub frequency: Frequency,
    /// GSO code.
    pub jurisdiction: &'static str,
    /// Parent indicator.
    pub parent: Option<&'static str>,
    /// On the dashboard.
    pub main: bool,
    /// `(period, value)`, oldest first.
    pub values: Vec<(Period, f64)>,
}

/// SplitMix64: a tiny deterministic generator, so the demo is identical everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = self.next().max(1e-12);
        let v = self.next();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn tet_month(year: i32) -> u32 {
    cityos_calendar::tet(year).map_or(2, |d| d.month())
}

/// The Tết effect of a month: `peak` in the Tết month, `after` in the month after it.
fn tet_factor(p: Period, peak: f64, after: f64) -> f64 {
    let (y, m) = (period::year(p), period::month(p));
    let t = tet_month(y);
    if m == t {
        1.0 + peak
    } else if m == t + 1 {
        1.0 + after
    } else {
        1.0
    }
}

fn covid_retail(p: Period) -> f64 {
    match (period::year(p), period::month(p)) {
        (2020, 4) => 0.72,
        (2020, 5) => 0.9,
        (2021, 6) => 0.9,
        (2021, 7) => 0.6,
        (2021, 8) => 0.5,
        (2021, 9) => 0.58,
        (2021, 10) => 0.85,
        _ => 1.0,
    }
}

fn tourism_covid(p: Period) -> f64 {
    let (y, m) = (period::year(p), period::month(p));
    match y {
        2020 if m == 2 => 0.6,
        2020 if m == 3 => 0.3,
        2020 if m >= 4 => 0.015,
        2021 => 0.01,
        2022 if m <= 2 => 0.05,
        2022 => 0.15 + 0.08 * f64::from(m - 2),
        2023 if m <= 6 => 0.85 + 0.025 * f64::from(m),
        _ => 1.0,
    }
}

fn monthly(from: Period, to: Period) -> Vec<Period> {
    (from..=to).collect()
}

/// The demo series, up to the last complete period before `today`.
#[must_use]
pub fn generate(today: NaiveDate) -> Vec<DemoSeries> {
    let start = 2015 * 12;
    let this_month = i64::from(today.year()) * 12 + i64::from(today.month0());
    let last_month = this_month - 1;
    let last_quarter = this_month - this_month.rem_euclid(3) - 3;
    let last_year = (i64::from(today.year()) - 1) * 12;
    let mut rng = Rng(0x00C1_7905_2015);
    let months = monthly(start, last_month);
    let t = |p: Period| (p - start) as f64;
    let season = |p: Period, amp: &[f64; 12]| amp[(period::month(p) - 1) as usize];
    let mut out = Vec::new();

    let mut cpi = Vec::new();
    let mut level = 88.0;
    for &p in &months {
        let infl = 0.0027 + 0.002 * (tet_factor(p, 1.0, 0.0) - 1.0) + 0.0012 * rng.normal();
        level *= 1.0 + infl;
        cpi.push((p, (level * 100.0).round() / 100.0));
    }
    out.push(DemoSeries {
        id: "cpi",
        name_vi: "Chỉ số giá tiêu dùng (CPI)".into(),
        name_en: "Consumer price index (CPI)".into(),
        unit: "chỉ số (2019 = 100)",
        frequency: Frequency::Monthly,
        jurisdiction: "79",
        parent: None,
        main: true,
        values: cpi,
    });

    const RETAIL: [f64; 12] = [1.02, 0.97, 0.97, 0.98, 0.99, 0.99, 1.0, 1.0, 1.0, 1.01, 1.02, 1.08];
    let retail: Vec<(Period, f64)> = months
        .iter()
        .map(|&p| {
            let v = 68_000.0
                * (0.0072 * t(p)).exp()
                * season(p, &RETAIL)
                * tet_factor(p, 0.16, -0.11)
                * covid_retail(p)
                * (1.0 + 0.015 * rng.normal());
            (p, v.round())
        })
        .collect();
    out.push(DemoSeries {
        id: "retail",
        name_vi: "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng".into(),
        name_en: "Retail sales of goods and services".into(),
        unit: "tỷ đồng",
        frequency: Frequency::Monthly,
        jurisdiction: "79",
        parent: None,
        main: true,
        values: retail,
    });

    const BUDGET: [f64; 12] = [1.3, 0.85, 0.95, 1.05, 0.95, 0.95, 1.0, 0.95, 0.95, 1.0, 0.95, 1.1];
    let budget: Vec<(Period, f64)> = months
        .iter()
        .map(|&p| {
            let v = 29_000.0 * (0.0058 * t(p)).exp() * season(p, &BUDGET) * covid_retail(p).sqrt() * (1.0 + 0.06 * rng.normal());
            (p, v.round())
        })
        .collect();
    out.push(DemoSeries {
        id: "budget-revenue",
        name_vi: "Thu ngân sách nhà nước trên địa bàn".into(),
        name_en: "State budget revenue in the city".into(),
        unit: "tỷ đồng",
        frequency: Frequency::Monthly,
        jurisdiction: "79",
        parent: None,
        main: true,
        values: budget,
    });

    const EXPORTS: [f64; 12] = [1.0, 0.9, 1.02, 1.0, 1.0, 1.01, 1.02, 1.03, 1.0, 1.02, 1.0, 1.05];
    let exports: Vec<(Period, f64)> = months
        .iter()
        .map(|&p| {
            let v = 3_100.0
                * (0.005 * t(p)).exp()
                * season(p, &EXPORTS)
                * tet_factor(p, -0.2, 0.04)
                * covid_retail(p).powf(0.6)
                * (1.0 + 0.035 * rng.normal());
            (p, v.round())
        })
        .collect();
    out.push(DemoSeries {
        id: "exports",
        name_vi: "Kim ngạch xuất khẩu hàng hóa".into(),
        name_en: "Merchandise exports".into(),
        unit: "triệu USD",
        frequency: Frequency::Monthly,
        jurisdiction: "79",
        parent: None,
        main: true,
        values: exports,
    });

    const TOURISM: [f64; 12] = [1.25, 1.2, 1.15, 1.0, 0.85, 0.85, 0.95, 0.95, 0.8, 0.9, 0.95, 1.15];
    let tourists: Vec<(Period, f64)> = months
        .iter()
        .map(|&p| {
            let v = 420_000.0 * (0.0075 * t(p)).exp() * season(p, &TOURISM) * tourism_covid(p) * (1.0 + 0.04 * rng.normal());
            (p, v.round().max(100.0))
        })
        .collect();
    out.push(DemoSeries {
        id: "tourists",
        name_vi: "Lượt khách quốc tế đến".into(),
        name_en: "International tourist arrivals".into(),
        unit: "lượt khách",
        frequency: Frequency::Monthly,
        jurisdiction: "79",
        parent: None,
        main: true,
        values: tourists,
    });

    const IIP: [f64; 12] = [1.0, 0.97, 1.02, 1.0, 1.01, 1.01, 1.0, 1.01, 1.0, 1.01, 1.0, 1.03];
    let iip: Vec<(Period, f64)> = months
        .iter()
        .map(|&p| {
            let v = 100.0
                * (0.0055 * t(p)).exp()
                * season(p, &IIP)
                * tet_factor(p, -0.24, 0.05)
                * covid_retail(p).powf(0.8)
                * (1.0 + 0.02 * rng.normal());
            (p, (v * 10.0).round() / 10.0)
        })
        .collect();
    out.push(DemoSeries {
        id: "iip",
        name_vi: "Chỉ số sản xuất công nghiệp (IIP)".into(),
        name_en: "Index of industrial production (IIP)".into(),
        unit: "chỉ số (2015 = 100)",
        frequency: Frequency::Monthly,
        jurisdiction: "79",
        parent: None,
        main: true,
        values: iip,
    });

    let grdp: Vec<(Period, f64)> = (start..=last_quarter)
        .step_by(3)
        .map(|p| {
            let q = [0.93, 1.0, 1.01, 1.08][((period::month(p) - 1) / 3) as usize];
            let shock = match (period::year(p), period::month(p)) {
                (2020, 4) => 0.95,
                (2021, 7) => 0.75,
                (2021, 10) => 0.92,
                _ => 1.0,
            };
            let v = 235_000.0 * (0.018 * t(p) / 3.0).exp() * q * shock * (1.0 + 0.01 * rng.normal());
            (p, v.round())
        })
        .collect();
    out.push(DemoSeries {
        id: "grdp",
        name_vi: "Tổng sản phẩm trên địa bàn (GRDP, giá hiện hành)".into(),
        name_en: "Gross regional domestic product (GRDP, current prices)".into(),
        unit: "tỷ đồng",
        frequency: Frequency::Quarterly,
        jurisdiction: "79",
        parent: None,
        main: true,
        values: grdp,
    });

    let population: Vec<(Period, f64)> = (start..=last_year)
        .step_by(12)
        .map(|p| {
            let years = t(p) / 12.0;
            let covid = if period::year(p) >= 2021 { 0.985 } else { 1.0 };
            (p, (12_350.0 * 1.019f64.powf(years) * covid * (1.0 + 0.002 * rng.normal())).round())
        })
        .collect();
    out.push(DemoSeries {
        id: "population",
        name_vi: "Dân số trung bình".into(),
        name_en: "Average population".into(),
        unit: "nghìn người",
        frequency: Frequency::Yearly,
        jurisdiction: "79",
        parent: None,
        main: true,
        values: population,
    });

    let wards: [(&str, &str, &str, f64, f64); 4] = [
        ("retail-w26740", "26740", "Sài Gòn", 2_600.0, 0.007),
        ("retail-w26743", "26743", "Bến Thành", 3_100.0, 0.006),
        ("retail-w26737", "26737", "Tân Định", 1_200.0, 0.008),
        ("retail-w25747", "25747", "Thủ Dầu Một", 1_900.0, 0.009),
    ];
    let mut total = vec![0.0; months.len()];
    let mut children = Vec::new();
    for (id, code, name, base, growth) in wards {
        let values: Vec<(Period, f64)> = months
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let v = (base
                    * (growth * t(p)).exp()
                    * season(p, &RETAIL)
                    * tet_factor(p, 0.14, -0.1)
                    * covid_retail(p)
                    * (1.0 + 0.03 * rng.normal()))
                .round();
                total[i] += v;
                (p, v)
            })
            .collect();
        let name_vi = format!("Bán lẻ hàng hóa và dịch vụ — phường {name}");
        let name_en = format!("Retail sales — {name} ward");
        children.push(DemoSeries {
            id,
            name_vi,
            name_en,
            unit: "tỷ đồng",
            frequency: Frequency::Monthly,
            jurisdiction: code,
            parent: Some("retail-wards"),
            main: false,
            values,
        });
    }
    out.push(DemoSeries {
        id: "retail-wards",
        name_vi: "Bán lẻ hàng hóa và dịch vụ — tổng các phường thí điểm".into(),
        name_en: "Retail sales — total of the pilot wards".into(),
        unit: "tỷ đồng",
        frequency: Frequency::Monthly,
        jurisdiction: "79",
        parent: None,
        main: false,
        values: months.iter().zip(&total).map(|(p, v)| (*p, *v)).collect(),
    });
    out.extend(children);
    out
}

/// Seeds the demo indicators that do not exist yet (idempotent), with a revision of the CPI's
/// last two months in a second vintage and a first forecast of each dashboard indicator.
///
/// # Errors
/// Database failure.
pub async fn seed_demo(centre: &ForecastCentre) -> Result<usize, ForecastError> {
    let today = centre.clock().now().date_naive();
    let author = Author::system();
    let mut added = 0;
    for s in generate(today) {
        if centre.find(s.id).await?.is_some() {
            continue;
        }
        let new = NewIndicator {
            id: s.id.into(),
            name_vi: s.name_vi.clone(),
            name_en: s.name_en.clone(),
            unit: s.unit.into(),
            frequency: period::frequency_name(s.frequency).into(),
            jurisdiction: Some(s.jurisdiction.into()),
            parent_id: s.parent.map(Into::into),
            source: Some(Source::Upload),
            classification: Some("public".into()),
            illustrative: Some(true),
            main: Some(s.main),
        };
        let mut ind = centre.create(&author, &new).await?;
        let obs = |vals: &[(Period, f64)]| {
            vals.iter().map(|(p, v)| ObservationInput { period: period::label(*p), value: *v }).collect::<Vec<_>>()
        };
        let n = s.values.len();
        let (first, revised) = if s.id == "cpi" && n > 3 { (&s.values[..n - 1], true) } else { (&s.values[..], false) };
        centre
            .add_observations(
                &author,
                &ind,
                &ObservationsInput {
                    note: Some("Dữ liệu minh họa (demo) / illustrative demo data".into()), observations: obs(first)
                },
            )
            .await?;
        if revised {
            ind = centre.find(s.id).await?.unwrap_or(ind);
            // The latest release adds a month and revises the two before it.
            let mut second: Vec<(Period, f64)> =
                s.values[n - 3..n - 1].iter().map(|(p, v)| (*p, (v * 1.002 * 100.0).round() / 100.0)).collect();
            second.push(s.values[n - 1]);
            centre
                .add_observations(
                    &author,
                    &ind,
                    &ObservationsInput {
                        note: Some("Bản phát hành mới, điều chỉnh 2 tháng trước / new release, two months revised".into()),
                        observations: obs(&second),
                    },
                )
                .await?;
        }
        if s.main {
            let ind = centre.find(s.id).await?.unwrap_or(ind);
            let req = ForecastRequest {
                models: Some(vec!["ets".into(), "theta".into(), "seasonal_naive".into()]),
                backtest_windows: Some(2),
                ..Default::default()
            };
            if let Err(e) = centre.run(&author, &ind, &req).await {
                tracing::warn!(indicator = s.id, error = %e, "demo forecast failed");
            }
        }
        added += 1;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_deterministic_and_coherent() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let a = generate(today);
        assert_eq!(a, generate(today));
        let cpi = a.iter().find(|s| s.id == "cpi").unwrap();
        assert_eq!(cpi.values.first().unwrap().0, 2015 * 12);
        assert_eq!(period::label(cpi.values.last().unwrap().0), "2026-10");
        let grdp = a.iter().find(|s| s.id == "grdp").unwrap();
        assert_eq!(period::label(grdp.values.last().unwrap().0), "2026-07");
        let pop = a.iter().find(|s| s.id == "population").unwrap();
        assert_eq!(period::label(pop.values.last().unwrap().0), "2025-01");
        // Wards add up to the city total.
        let total = a.iter().find(|s| s.id == "retail-wards").unwrap();
        for (i, (_, v)) in total.values.iter().enumerate() {
            let sum: f64 = a.iter().filter(|s| s.parent == Some("retail-wards")).map(|s| s.values[i].1).sum();
            assert_eq!(*v, sum);
        }
        // Retail peaks in the Tết month: Tết 2024 was 10 February.
        let retail = a.iter().find(|s| s.id == "retail").unwrap();
        let at = |y: i64, m: i64| retail.values.iter().find(|(p, _)| *p == y * 12 + m - 1).unwrap().1;
        assert!(at(2024, 2) > at(2024, 1) && at(2024, 2) > at(2024, 3));
        // Tourist arrivals collapse in 2020–2021.
        let tourists = a.iter().find(|s| s.id == "tourists").unwrap();
        let t = |y: i64, m: i64| tourists.values.iter().find(|(p, _)| *p == y * 12 + m - 1).unwrap().1;
        assert!(t(2021, 6) < 0.05 * t(2019, 6));
    }
}
