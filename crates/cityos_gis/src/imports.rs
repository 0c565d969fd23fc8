//! Import of GeoJSON, GeoPackage, CSV with WKT and zipped Shapefiles with a
//! validation report before anything is written; export of query results (placeholder).
