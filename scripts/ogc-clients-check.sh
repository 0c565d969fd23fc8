#!/usr/bin/env bash
# Checks a running CityOS's OGC API – Features (/ogc) with unchanged clients:
#   * GDAL's OAPIF driver (Debian's gdal-bin): `ogrinfo OAPIF:…/ogc` lists every
#     collection; for every collection `ogrinfo -so` counts it (compared with the
#     server's numberMatched) and `-spat` bbox-filters it (compared with the
#     server's bbox answer); `-where` on a queryable is checked against the
#     server's CQL2 answer, and the request GDAL sent is reported (CQL2 `filter=`
#     or a queryable parameter).
#   * OWSLib (PyPI, installed into target/pyenv): conformance, collections,
#     items with bbox and limit, queryables, and a CQL2 text filter via GET
#     `filter=` (a POST to /items creates a feature under Part 4, so search is
#     never a POST there).
#   * openapi-spec-validator: /ogc/api is a valid OpenAPI 3.0 document.
# Usage: scripts/ogc-clients-check.sh BASE_URL
set -euo pipefail
url="${1%/}"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/pyenv"
if ! "$venv/bin/python" -c 'import owslib.ogcapi.features' 2>/dev/null || [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'OWSLib>=0.31,<1' 'openapi-spec-validator>=0.7,<0.8'
fi
command -v ogrinfo >/dev/null || { echo "ogrinfo missing: run scripts/ensure-system-deps.sh (gdal-bin)"; exit 1; }
py="$venv/bin/python"
work=$(mktemp -d /tmp/cityos-ogc.XXXXXX)
trap 'rm -rf "$work"' EXIT
# GDAL reads pages of this size; keep its cache out of the way.
export OGR_OAPIF_PAGE_SIZE=1000 GDAL_HTTP_TIMEOUT=60 CPL_VSIL_CURL_USE_CACHE=NO

echo "--- OpenAPI 3.0 document at /ogc/api (openapi-spec-validator)"
curl -sf "$url/ogc/api" -o "$work/ogc-openapi.json"
"$venv/bin/openapi-spec-validator" "$work/ogc-openapi.json"

collections=$(curl -sf "$url/ogc/collections?f=json" | "$py" -c 'import json,sys; print(" ".join(c["id"] for c in json.load(sys.stdin)["collections"]))')
[ -n "$collections" ] || { echo "no collections"; exit 1; }

echo "--- ogrinfo OAPIF: lists every collection"
ogrinfo -ro -q "OAPIF:$url/ogc" > "$work/layers.txt"
for c in $collections; do
  grep -q ": $c\b" "$work/layers.txt" || { echo "ogrinfo does not list $c:"; cat "$work/layers.txt"; exit 1; }
done
echo "    $(echo "$collections" | wc -w) collections listed"

# numberMatched of an items query (params after '?').
matched() { curl -sf "$url/ogc/collections/$1/items?limit=1&$2" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])'; }
# ogrinfo's feature count of a layer, with extra ogrinfo arguments.
ogr_count() { local c="$1"; shift; ogrinfo -ro -so "$@" "OAPIF:$url/ogc" "$c" | awk -F': ' '/^Feature Count/{print $2}'; }

# A small bbox in the old city centre (District 1), CRS84 like the server's default.
bbox=(106.695 10.770 106.705 10.780)
echo "--- ogrinfo -so counts and -spat filters every collection"
total=0
for c in $collections; do
  want=$(matched "$c" "")
  got=$(ogr_count "$c")
  [ "$got" = "$want" ] || { echo "$c: ogrinfo counts $got, server matches $want"; exit 1; }
  want_b=$(matched "$c" "bbox=${bbox[0]},${bbox[1]},${bbox[2]},${bbox[3]}")
  got_b=$(ogr_count "$c" -spat "${bbox[@]}")
  [ "$got_b" = "$want_b" ] || { echo "$c -spat: ogrinfo counts $got_b, server matches $want_b"; exit 1; }
  printf '    %-28s %8s features, %8s in bbox\n' "$c" "$got" "$got_b"
  total=$((total + got))
done
echo "    $total features in all"

echo "--- ogrinfo -where (attribute filter sent to the server)"
layer=""
for c in $collections; do
  if [ "$(matched "$c" "status=functional")" -gt 0 ]; then layer="$c"; break; fi
done
[ -n "$layer" ] || { echo "no collection has functional features"; exit 1; }
want=$(matched "$layer" "status=functional")
cql=$(matched "$layer" "filter=status%20%3D%20%27functional%27")
[ "$cql" = "$want" ] || { echo "$layer: CQL2 filter matches $cql, the queryable parameter $want"; exit 1; }
all=$(matched "$layer" "")
got=$(ogrinfo -ro -so -where "status = 'functional'" --debug on "OAPIF:$url/ogc" "$layer" 2> "$work/where.log" | awk -F': ' '/^Feature Count/{print $2}')
[ "$got" = "$want" ] || { echo "$layer -where: ogrinfo counts $got, server matches $want"; grep -i 'http' "$work/where.log" | head; exit 1; }
if grep -q 'filter=' "$work/where.log"; then how="CQL2 filter= ($(grep -o 'filter-lang=[a-z0-9-]*' "$work/where.log" | head -1))"; elif grep -q 'status=functional' "$work/where.log"; then how="queryable parameter status=functional"; else how="client-side"; fi
echo "    $layer: $got of $all functional; GDAL sent it as $how"
# A conjunction GDAL cannot express as a queryable parameter still gives the server's answer.
want=$(matched "$layer" "filter=status%20%3D%20%27functional%27%20AND%20condition%20%3C%3E%20%27critical%27")
got=$(ogrinfo -ro -so -where "status = 'functional' AND condition <> 'critical'" "OAPIF:$url/ogc" "$layer" | awk -F': ' '/^Feature Count/{print $2}')
[ "$got" = "$want" ] || { echo "$layer -where AND: ogrinfo counts $got, server matches $want"; exit 1; }
echo "    $layer: status = 'functional' AND condition <> 'critical': $got"

echo "--- OWSLib: conformance, collections, items, queryables, CQL2 text filter (GET)"
"$py" - "$url/ogc/" "$layer" <<'EOF'
import sys
from owslib.ogcapi.features import Features
url, layer = sys.argv[1], sys.argv[2]
api = Features(url)
conf = api.conformance()["conformsTo"]
for c in ["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
          "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
          "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text"]:
    assert c in conf, c
ids = api.feature_collections()
assert layer in ids and len(ids) >= 20, ids
meta = api.collection(layer)
assert meta["id"] == layer and meta["itemType"] == "feature", meta
items = api.collection_items(layer, limit=5)
assert items["type"] == "FeatureCollection" and items["numberReturned"] == len(items["features"]) <= 5, items
total = items["numberMatched"]
fid = items["features"][0]["id"]
one = api.collection_item(layer, fid)
assert one["id"] == fid, one
boxed = api.collection_items(layer, bbox=[106.60, 10.70, 106.80, 10.85], limit=100)
for f in boxed["features"]:
    if f["geometry"]["type"] == "Point":
        x, y = f["geometry"]["coordinates"][:2]
        assert 106.60 <= x <= 106.80 and 10.70 <= y <= 10.85, f
q = api.collection_queryables(layer)
assert "status" in q["properties"] and "geometry" in q["properties"], q
flt = api.collection_items(layer, filter="status = 'functional'", limit=1000)
assert all(f["properties"]["status"] == "functional" for f in flt["features"]), "filter ignored"
assert flt["numberMatched"] <= total
none = api.collection_items(layer, filter="status = 'functional' AND status = 'disused'", limit=10)
assert none["numberMatched"] == 0, none["numberMatched"]
print(f"    {len(ids)} collections; {layer}: {total} features, {boxed['numberMatched']} in bbox, "
      f"{flt['numberMatched']} with filter status = 'functional', {len(q['properties'])} queryables")
EOF
echo "OGC API – Features clients: all checks passed"
