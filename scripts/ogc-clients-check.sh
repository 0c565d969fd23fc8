#!/usr/bin/env bash
# Checks a running CityOS's OGC API – Features (/ogc) with unchanged clients;
# every check compares the client's answer with the server's own and exits
# non-zero on the first disagreement:
#   * GDAL's OAPIF driver (Debian's gdal-bin; 3.6 here): `ogrinfo OAPIF:…/ogc`
#     lists every collection; for every collection `ogrinfo -so` counts it
#     (the server's numberMatched), reports the collection's extent (the
#     server's extent.spatial.bbox) and `-spat` bbox-filters it (the server's
#     bbox answer); `-where` is checked against the server's CQL2 answer and
#     the request GDAL sent is reported. GDAL 3.6's driver has no CQL2: it
#     sends what it can as queryable parameters (`status=functional`, read
#     from /ogc/api) and evaluates the rest itself.
#   * OWSLib (PyPI, installed into target/pyenv): conformance, collections,
#     items with limit and bbox, one item, queryables, and CQL2 text filters
#     via GET `filter=` (a POST to /items creates a feature under Part 4, so
#     search is never a POST there), each count equal to the server's.
#   * ogctests (PyPI), an independent black-box verifier of OGC API –
#     Features Part 1 Core, run against /ogc as any outside tester would.
# /ogc/api itself is validated as OpenAPI 3.0 by scripts/validate-openapi.sh.
# Usage: scripts/ogc-clients-check.sh BASE_URL
set -euo pipefail
url="${1%/}"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/pyenv"
if ! "$venv/bin/python" -c 'import owslib.ogcapi.features' 2>/dev/null; then
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'OWSLib>=0.31,<1'
fi
if ! "$venv/bin/python" -c 'import ogctests' 2>/dev/null; then
  "$venv/bin/pip" install -q --disable-pip-version-check 'ogctests==0.1.15'
fi
command -v ogrinfo >/dev/null || { echo "ogrinfo missing: run scripts/ensure-system-deps.sh (gdal-bin)"; exit 1; }
py="$venv/bin/python"
work=$(mktemp -d /tmp/cityos-ogc.XXXXXX)
trap 'rm -rf "$work"' EXIT
# GDAL reads pages of this size; keep its cache out of the way.
export OGR_OAPIF_PAGE_SIZE=1000 GDAL_HTTP_TIMEOUT=60 CPL_VSIL_CURL_USE_CACHE=NO

echo "--- $(ogrinfo --version)"
curl -sf "$url/ogc/collections?f=json" -o "$work/collections.json"
collections=$("$py" -c 'import json,sys; print(" ".join(c["id"] for c in json.load(open(sys.argv[1]))["collections"]))' "$work/collections.json")
[ -n "$collections" ] || { echo "no collections"; exit 1; }

echo "--- ogrinfo OAPIF: lists every collection"
ogrinfo -ro -q "OAPIF:$url/ogc" > "$work/layers.txt"
for c in $collections; do
  grep -q ": $c\b" "$work/layers.txt" || { echo "ogrinfo does not list $c:"; cat "$work/layers.txt"; exit 1; }
done
echo "    $(echo "$collections" | wc -w) collections listed"

# numberMatched of an items query (params after '?').
matched() { curl -sf "$url/ogc/collections/$1/items?limit=1&$2" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])'; }
# ogrinfo's summary of a layer, with extra ogrinfo arguments.
ogr_summary() { local c="$1"; shift; ogrinfo -ro -so "$@" "OAPIF:$url/ogc" "$c"; }
# A collection's spatial extent (from /collections) as ogrinfo prints it: `(minx, miny) - (maxx, maxy)`.
server_extent() {
  "$py" -c '
import json, sys
c = next(c for c in json.load(open(sys.argv[1]))["collections"] if c["id"] == sys.argv[2])
print("(%.6f, %.6f) - (%.6f, %.6f)" % tuple(c["extent"]["spatial"]["bbox"][0][:4]))' "$work/collections.json" "$1"
}

# A small bbox in the old city centre (District 1), CRS84 like the server's default.
bbox=(106.695 10.770 106.705 10.780)
echo "--- ogrinfo -so counts, extents and -spat filters of every collection"
total=0
: > "$work/counts.txt"
for c in $collections; do
  want=$(matched "$c" "")
  ogr_summary "$c" > "$work/summary.txt"
  got=$(awk -F': ' '/^Feature Count/{print $2}' "$work/summary.txt")
  [ "$got" = "$want" ] || { echo "$c: ogrinfo counts $got, server matches $want"; exit 1; }
  want_e=$(server_extent "$c")
  got_e=$(awk -F': ' '/^Extent/{print $2}' "$work/summary.txt")
  [ "$got_e" = "$want_e" ] || { echo "$c: ogrinfo's extent $got_e, the server's $want_e"; exit 1; }
  want_b=$(matched "$c" "bbox=${bbox[0]},${bbox[1]},${bbox[2]},${bbox[3]}")
  got_b=$(ogr_summary "$c" -spat "${bbox[@]}" | awk -F': ' '/^Feature Count/{print $2}')
  [ "$got_b" = "$want_b" ] || { echo "$c -spat: ogrinfo counts $got_b, server matches $want_b"; exit 1; }
  printf '    %-28s %8s features, %8s in bbox\n' "$c" "$got" "$got_b"
  echo "$c $got" >> "$work/counts.txt"
  total=$((total + got))
done
echo "    $total features in all"

# The advertised extents are the data's own: for every collection small enough
# to read in one page, the min/max over all its features' coordinates equal
# extent.spatial.bbox (the larger ones were compared with GDAL above and are
# covered by the integration tests).
echo "--- extents equal the data's bounds (collections of up to 5,000 features, read whole)"
"$py" - "$url/ogc" "$work/collections.json" "$work/counts.txt" <<'EOF'
import json, sys, urllib.request
base, meta, counts = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
extent = {c["id"]: c["extent"]["spatial"]["bbox"][0] for c in meta["collections"]}
checked = 0
for line in open(counts):
    c, n = line.split()
    if not 0 < int(n) <= 5000:
        continue
    with urllib.request.urlopen(f"{base}/collections/{c}/items?limit=5000") as r:
        page = json.load(r)
    assert page["numberReturned"] == int(n), (c, page["numberReturned"], n)
    xs, ys = [], []
    for f in page["features"]:
        g = f["geometry"]
        pts = [g["coordinates"]] if g["type"] == "Point" else g["coordinates"]
        xs += [p[0] for p in pts]
        ys += [p[1] for p in pts]
    data = [min(xs), min(ys), max(xs), max(ys)]
    assert all(abs(a - b) < 1e-9 for a, b in zip(data, extent[c])), f"{c}: extent {extent[c]}, data {data}"
    checked += 1
assert checked >= 5, checked
print(f"    {checked} collections: extent = min/max of every coordinate")
EOF
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
# The server's own answers, through plain HTTP, for OWSLib's to equal.
s_total=$(matched "$layer" "")
s_boxed=$(matched "$layer" "bbox=106.6,10.7,106.8,10.85")
s_functional=$(matched "$layer" "status=functional")
s_both=$(matched "$layer" "filter=status%20%3D%20%27functional%27%20AND%20S_INTERSECTS(geometry%2CBBOX(106.6%2C10.7%2C106.8%2C10.85))")
"$py" - "$url/ogc/" "$layer" "$s_total" "$s_boxed" "$s_functional" "$s_both" <<'EOF'
import sys
from owslib.ogcapi.features import Features
url, layer = sys.argv[1], sys.argv[2]
s_total, s_boxed, s_functional, s_both = (int(a) for a in sys.argv[3:7])
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
assert total == s_total, (total, s_total)
fid = items["features"][0]["id"]
one = api.collection_item(layer, fid)
assert one["id"] == fid, one
boxed = api.collection_items(layer, bbox=[106.60, 10.70, 106.80, 10.85], limit=100)
assert boxed["numberMatched"] == s_boxed, (boxed["numberMatched"], s_boxed)
for f in boxed["features"]:
    if f["geometry"]["type"] == "Point":
        x, y = f["geometry"]["coordinates"][:2]
        assert 106.60 <= x <= 106.80 and 10.70 <= y <= 10.85, f
q = api.collection_queryables(layer)
assert "status" in q["properties"] and "geometry" in q["properties"], q
flt = api.collection_items(layer, filter="status = 'functional'", limit=1000)
assert all(f["properties"]["status"] == "functional" for f in flt["features"]), "filter ignored"
assert flt["numberMatched"] == s_functional, (flt["numberMatched"], s_functional)
both = api.collection_items(layer, filter="status = 'functional' AND S_INTERSECTS(geometry, BBOX(106.6, 10.7, 106.8, 10.85))", limit=10)
assert both["numberMatched"] == s_both, (both["numberMatched"], s_both)
assert 0 < s_both <= min(s_boxed, s_functional), (s_both, s_boxed, s_functional)
none = api.collection_items(layer, filter="status = 'functional' AND status = 'disused'", limit=10)
assert none["numberMatched"] == 0, none["numberMatched"]
print(f"    {len(ids)} collections; {layer}: {total} features, {boxed['numberMatched']} in bbox, "
      f"{flt['numberMatched']} with filter status = 'functional', {both['numberMatched']} of those in the bbox (CQL2 S_INTERSECTS), "
      f"{len(q['properties'])} queryables")
EOF
echo "--- ogctests: OGC API – Features Part 1 Core, black box"
# `python -m ogctests` loses its HTTP client fixture when run outside its own tree; its documented
# entry point, run_ogctests with a client, does not.
cat > "$work/ogctests_run.py" <<'EOF'
import sys, httpx
from ogctests.main import run_ogctests
with httpx.Client(base_url=sys.argv[1], timeout=120) as client:
    sys.exit(run_ogctests("features/core", sys.argv[1], flags=["-q", "-rfE", "-p", "no:cacheprovider"], test_client=client))
EOF
(cd "$work" && "$py" ogctests_run.py "$url/ogc") > "$work/ogctests.txt" 2>&1 || { cat "$work/ogctests.txt"; exit 1; }
grep -E "passed|failed" "$work/ogctests.txt" | tail -n 1
echo "OGC API – Features clients: all checks passed"
