//! Geodesy and geodata formats, pure Rust (no PROJ, no GDAL): coordinate
//! reference systems and reprojection ([`crs`]), and the file formats GIS
//! teams exchange ([`formats`]), each read into GeoJSON features in CRS84
//! with a validation report before anything is written.

pub mod crs;
pub mod formats;
pub mod wkb;
pub mod wkt;
