#!/usr/bin/env bash
# Checks CityOS's GIS file formats against GDAL (Debian's gdal-bin), on a
# running CityOS:
#   * files GDAL writes import back: ogr2ogr turns a GeoJSON of three valves
#     into a GeoPackage and a zipped Shapefile; CityOS validates both (dry run,
#     no errors, CRS detected) and imports the GeoPackage;
#   * files CityOS writes are read by GDAL: `ogrinfo -al -so` on the exported
#     GeoPackage and zipped Shapefile (CRS84, and VN-2000 / UTM 48N) finds the
#     layer, the same feature count as the GeoJSON export, and the CRS.
# Usage: scripts/gis-formats-check.sh BASE_URL [BEARER_TOKEN]
#   Without a token, signs in as the demo user `staff` (an agency's staff).
set -euo pipefail
url="${1%/}"
token="${2:-}"
command -v ogr2ogr >/dev/null && command -v ogrinfo >/dev/null || { echo "ogr2ogr/ogrinfo missing: run scripts/ensure-system-deps.sh (gdal-bin)"; exit 1; }
if [ -z "$token" ]; then
  token=$(curl -sf -H 'content-type: application/json' -d '{"username":"staff","password":"staff-demo-2025"}' "$url/api/auth/login" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
fi
coll=water-valves
work=$(mktemp -d /tmp/cityos-gisfmt.XXXXXX)
trap 'rm -rf "$work"' EXIT
tag="gdal-check-$$-$(date +%s)"

# POSTs a file to /api/gis/imports; prints the JSON answer. Args: file query.
import() { curl -sS -X POST -H "authorization: Bearer $token" --data-binary "@$1" "$url/api/gis/imports?collection=$coll&$2"; }
# Asserts on an import answer read from stdin. Arg: a Python expression over `r`.
check() { python3 -c "import json,sys; r=json.load(sys.stdin); ok=($1); print('    ', r['report']['features'], 'features,', r['report']['error_count'], 'errors,', 'crs', [l['used'] for l in r['report']['layers']]); sys.exit(0 if ok else 1)" \
  || { echo "check failed: $1"; exit 1; }; }

cat > "$work/valves.geojson" <<JSON
{"type":"FeatureCollection","features":[
 {"type":"Feature","geometry":{"type":"Point","coordinates":[106.7009,10.7769]},"properties":{"name":"Van Lê Lợi $tag","status":"functional","diameter_mm":150}},
 {"type":"Feature","geometry":{"type":"Point","coordinates":[106.7030,10.7710]},"properties":{"name":"Van Hàm Nghi $tag","status":"projected","diameter_mm":200}},
 {"type":"Feature","geometry":{"type":"Point","coordinates":[106.6950,10.7800]},"properties":{"name":"Van Pasteur $tag","status":"functional","diameter_mm":100}}
]}
JSON

echo "--- ogr2ogr GeoJSON -> GeoPackage, validated and imported by CityOS"
ogr2ogr -f GPKG "$work/gdal.gpkg" "$work/valves.geojson" -nln valves
import "$work/gdal.gpkg" "dry_run=true" | check "r['report']['error_count']==0 and r['report']['features']==3 and r['report']['layers'][0]['detected']['kind']=='declared'"
import "$work/gdal.gpkg" "dry_run=false" | check "r['imported']==3"

echo "--- ogr2ogr GeoJSON -> zipped Shapefile (VN-2000 / UTM 48N), validated by CityOS"
mkdir -p "$work/shp"
ogr2ogr -f "ESRI Shapefile" "$work/shp/valves.shp" "$work/valves.geojson" -t_srs EPSG:3405 -lco ENCODING=UTF-8
(cd "$work/shp" && python3 -m zipfile -c "$work/gdal-shp.zip" valves.shp valves.shx valves.dbf valves.prj valves.cpg)
import "$work/gdal-shp.zip" "dry_run=true" | check "r['report']['error_count']==0 and r['report']['features']==3 and r['report']['layers'][0]['used'].endswith('/3405')"

echo "--- CityOS exports read by ogrinfo -al -so"
curl -sf "$url/api/gis/exports?collection=$coll&format=geojson" -o "$work/export.geojson"
want=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["features"]))' "$work/export.geojson")
[ "$want" -ge 3 ] || { echo "the GeoJSON export has $want features, expected the 3 imported at least"; exit 1; }
count() { awk -F': ' '/^Feature Count/{print $2}' "$1"; }
curl -sf "$url/api/gis/exports?collection=$coll&format=gpkg" -o "$work/export.gpkg"
ogrinfo -ro -al -so "$work/export.gpkg" > "$work/gpkg.txt"
[ "$(count "$work/gpkg.txt")" = "$want" ] || { cat "$work/gpkg.txt"; echo "GeoPackage: GDAL counts $(count "$work/gpkg.txt"), expected $want"; exit 1; }
grep -q 'WGS 84' "$work/gpkg.txt" || { cat "$work/gpkg.txt"; echo "GeoPackage: no WGS 84 CRS"; exit 1; }
echo "    GeoPackage: $want features, WGS 84"
for crs in CRS84 EPSG:3405; do
  curl -sf "$url/api/gis/exports?collection=$coll&format=shp&crs=$crs" -o "$work/export-$crs.zip"
  ogrinfo -ro -al -so "/vsizip/$work/export-$crs.zip" > "$work/shp.txt"
  [ "$(count "$work/shp.txt")" = "$want" ] || { cat "$work/shp.txt"; echo "Shapefile ($crs): GDAL counts $(count "$work/shp.txt"), expected $want"; exit 1; }
  case $crs in
    CRS84) grep -q 'WGS 84' "$work/shp.txt" ;;
    *) grep -q 'VN-2000' "$work/shp.txt" ;;
  esac || { cat "$work/shp.txt"; echo "Shapefile ($crs): CRS not recognised by GDAL"; exit 1; }
  echo "    Shapefile ($crs): $want features, CRS recognised"
done
echo "GIS formats: GDAL reads CityOS's files and CityOS reads GDAL's"
