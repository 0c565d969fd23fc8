//! Shapefile `.prj` (and GeoPackage SRS definition) WKT to a supported
//! [`Crs`] and back. Reading trusts an EPSG authority code when the WKT has
//! one (`AUTHORITY["EPSG","3405"]`, WKT2 `ID["EPSG",3405]`); ESRI-flavoured
//! WKT, which has none, is matched by datum and projection parameters
//! (central meridian, scale factor) against the supported systems:
//! VN-2000 UTM 48N/49N and TM-3 zones, WGS 84 (UTM 48N/49N), Web Mercator.

use crate::crs::Crs;

/// Transverse Mercator systems CityOS supports: EPSG code, name, central meridian, scale, VN-2000 datum.
const TM: &[(u32, &str, f64, f64, bool)] = &[
    (3405, "VN-2000 / UTM zone 48N", 105.0, 0.9996, true),
    (3406, "VN-2000 / UTM zone 49N", 111.0, 0.9996, true),
    (9210, "VN-2000 / TM-3 105-45", 105.75, 0.9999, true),
    (9211, "VN-2000 / TM-3 106-00", 106.0, 0.9999, true),
    (9212, "VN-2000 / TM-3 106-15", 106.25, 0.9999, true),
    (5899, "VN-2000 / TM-3 107-45", 107.75, 0.9999, true),
    (32648, "WGS 84 / UTM zone 48N", 105.0, 0.9996, false),
    (32649, "WGS 84 / UTM zone 49N", 111.0, 0.9996, false),
];

const VN2000_TOWGS84: &str = "TOWGS84[-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278]";

/// The EPSG code a WKT definition names or matches, if any.
#[must_use]
pub fn epsg_of(wkt: &str) -> Option<u32> {
    let up = wkt.to_ascii_uppercase();
    // The outermost object's authority comes last in WKT1; WKT2 puts ID last too.
    let authority = ["AUTHORITY[\"EPSG\",\"", "ID[\"EPSG\","]
        .iter()
        .filter_map(|pat| up.rfind(pat).map(|i| (i, &up[i + pat.len()..])))
        .max_by_key(|(i, _)| *i)
        .and_then(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse::<u32>().ok());
    if authority.is_some() {
        return authority;
    }
    let squashed: String = up.chars().filter(char::is_ascii_alphanumeric).collect();
    let vn2000 = squashed.contains("VN2000") || squashed.contains("VIETNAM2000");
    let projected = up.trim_start().starts_with("PROJCS") || up.trim_start().starts_with("PROJCRS");
    if !projected {
        if vn2000 {
            return Some(4756);
        }
        return (squashed.contains("WGS84") || squashed.contains("WGS1984")).then_some(4326);
    }
    if squashed.contains("MERCATORAUXILIARYSPHERE") || squashed.contains("PSEUDOMERCATOR") || squashed.contains("WEBMERCATOR") {
        return Some(3857);
    }
    if !squashed.contains("TRANSVERSEMERCATOR") {
        return None;
    }
    let cm = parameter(&up, "CENTRAL_MERIDIAN").or_else(|| parameter(&up, "LONGITUDE OF NATURAL ORIGIN"))?;
    let k = parameter(&up, "SCALE_FACTOR").or_else(|| parameter(&up, "SCALE FACTOR AT NATURAL ORIGIN"))?;
    let wgs84 = squashed.contains("WGS84") || squashed.contains("WGS1984");
    TM.iter().find(|(_, _, c, s, vn)| (c - cm).abs() < 1e-6 && (s - k).abs() < 1e-7 && (*vn == vn2000) && (vn2000 || wgs84)).map(|t| t.0)
}

/// The value of `PARAMETER["name",value]` (name upper-cased), if present.
fn parameter(up: &str, name: &str) -> Option<f64> {
    let pat = format!("PARAMETER[\"{name}\",");
    let i = up.find(&pat)? + pat.len();
    up[i..].split([']', ',']).next()?.trim().parse().ok()
}

/// The supported system a WKT definition names, if any.
#[must_use]
pub fn crs_of(wkt: &str) -> Option<Crs> {
    epsg_of(wkt).and_then(Crs::from_epsg)
}

const WGS84_GEOGCS: &str = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4326\"]]";

fn vn2000_geogcs() -> String {
    format!("GEOGCS[\"VN-2000\",DATUM[\"Vietnam_2000\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],{VN2000_TOWGS84},AUTHORITY[\"EPSG\",\"6756\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4756\"]]")
}

/// OGC WKT1 (as GDAL writes `.prj` files) for `crs`, easting/longitude first.
#[must_use]
pub fn wkt_of(crs: Crs) -> Option<String> {
    let code = crs.epsg().unwrap_or(4326);
    match code {
        4326 => Some(WGS84_GEOGCS.to_string()),
        4756 => Some(vn2000_geogcs()),
        3857 => Some(format!(
            "PROJCS[\"WGS 84 / Pseudo-Mercator\",{WGS84_GEOGCS},PROJECTION[\"Mercator_1SP\"],PARAMETER[\"central_meridian\",0],PARAMETER[\"scale_factor\",1],PARAMETER[\"false_easting\",0],PARAMETER[\"false_northing\",0],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH],EXTENSION[\"PROJ4\",\"+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs\"],AUTHORITY[\"EPSG\",\"3857\"]]"
        )),
        _ => {
            let (code, name, cm, k, vn) = TM.iter().find(|t| t.0 == code).copied()?;
            let geog = if vn { vn2000_geogcs() } else { WGS84_GEOGCS.to_string() };
            Some(format!(
                "PROJCS[\"{name}\",{geog},PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",{cm}],PARAMETER[\"scale_factor\",{k}],PARAMETER[\"false_easting\",500000],PARAMETER[\"false_northing\",0],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH],AUTHORITY[\"EPSG\",\"{code}\"]]"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esri_vn2000_prj_files_are_recognised() {
        // As ArcGIS writes them for Ho Chi Minh City's survey data (no authority codes).
        let utm = r#"PROJCS["VN_2000_UTM_Zone_48N",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(epsg_of(utm), Some(3405));
        assert_eq!(crs_of(utm), Some(Crs::Vn2000Utm48n));
        let tm3 = utm.replace("VN_2000_UTM_Zone_48N", "VN_2000_TM3_105_45").replace("105.0]", "105.75]").replace("0.9996", "0.9999");
        assert_eq!(crs_of(&tm3), Some(Crs::Vn2000Tm3_105_45));
        let wgs_utm = r#"PROJCS["WGS_1984_UTM_Zone_48N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(epsg_of(wgs_utm), Some(32648));
        let geo = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(crs_of(geo), Some(Crs::Epsg4326));
        let merc = r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(crs_of(merc), Some(Crs::Epsg3857));
        let lambert = r#"PROJCS["RGF93_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]]],PROJECTION["Lambert_Conformal_Conic"]]"#;
        assert_eq!(crs_of(lambert), None);
    }

    #[test]
    fn written_wkt_reads_back_for_every_supported_system() {
        for c in Crs::ALL {
            let Some(w) = wkt_of(*c) else { continue };
            let back = crs_of(&w).unwrap();
            // CRS84 and EPSG:4326 share a .prj (files are longitude first either way).
            assert!(back == *c || (*c == Crs::Crs84 && back == Crs::Epsg4326), "{c:?} -> {back:?}");
        }
        assert!(wkt_of(Crs::Vn2000Utm48n).unwrap().contains("TOWGS84"));
    }
}
