#!/usr/bin/env bash
# Checks a running CityOS's CKAN Action API and DCAT-AP export with unchanged
# clients from PyPI, installed into target/pyenv:
#   * ckanapi: `action package_search` (POST and GET), `dump datasets --all`,
#     then a round trip — the organisation's open datasets are loaded back
#     under new names (`load datasets`: package_create), dumped again and
#     compared field by field with the originals; loading that dump again
#     updates them in place (package_update) without changing anything;
#     finally `delete datasets` removes the copies.
#   * rdflib: /api/datahub/dcat.jsonld and /api/datahub/dcat.ttl parse, hold
#     the same graph (isomorphic), and every dcat:Dataset has its mandatory
#     properties.
# Usage: scripts/ckanapi-check.sh BASE_URL API_KEY [ORGANIZATION]
#   API_KEY: a data officer's key; ORGANIZATION: their organisation (default so-yt).
set -euo pipefail
url="$1"; key="$2"; org="${3:-so-yt}"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/pyenv"
if [ ! -x "$venv/bin/ckanapi" ] || ! "$venv/bin/python" -c 'import rdflib' 2>/dev/null; then
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'ckanapi==4.11' 'rdflib>=7,<8'
fi
# ckanapi starts its workers as `ckanapi` from PATH.
export PATH="$venv/bin:$PATH"
py="$venv/bin/python"
work=$(mktemp -d /tmp/cityos-ckanapi.XXXXXX)
trap 'rm -rf "$work"' EXIT
ck() { "$venv/bin/ckanapi" "$@" -r "$url" -a "$key"; }

echo "--- ckanapi action package_search (POST, then GET)"
ck action package_search "fq=organization:$org" rows:1000 'facet.field:["tags","res_format"]' -j > "$work/search.json"
ck action package_search q=du-lieu rows:1 -g -j > "$work/search-get.json"
"$py" - "$work/search.json" "$org" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["count"] >= 1, f"no datasets of {sys.argv[2]}: {r}"
assert all(p["organization"]["name"] == sys.argv[2] for p in r["results"]), "fq organization: ignored"
assert "tags" in r["search_facets"] and "res_format" in r["facets"], "facets missing"
print(f"    {r['count']} datasets of {sys.argv[2]}")
EOF

resource=$("$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(next((x["id"] for p in r["results"] for x in p["resources"] if x["datastore_active"]), ""))' "$work/search.json")
if [ -n "$resource" ]; then
  echo "--- ckanapi action datastore_search"
  ck action datastore_search "resource_id=$resource" limit:2 -j > "$work/rows.json"
  "$py" - "$work/rows.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["total"] >= 1 and len(r["records"]) <= 2 and r["fields"], r
print(f"    {r['total']} rows, fields {[f['id'] for f in r['fields']][:5]}")
EOF
fi

echo "--- ckanapi dump datasets --all"
ck dump datasets --all -q -O "$work/dump.jsonl"
suffix=$(date +%s)
"$py" - "$work" "$org" "$suffix" <<'EOF'
import json, sys
work, org, suffix = sys.argv[1:]
originals = [json.loads(l) for l in open(f"{work}/dump.jsonl")]
assert originals, "the dump is empty"
assert all(not p["private"] for p in originals), "the anonymous-visible dump has private datasets"
mine = [p for p in originals if p["organization"]["name"] == org]
assert mine, f"no open datasets of {org} in the dump"
with open(f"{work}/load.jsonl", "w") as out, open(f"{work}/names", "w") as names:
    for p in mine:
        copy = dict(p)
        del copy["id"]
        copy["name"] = f"{p['name'][:80]}-rt{suffix}"
        out.write(json.dumps(copy, ensure_ascii=False) + "\n")
        names.write(copy["name"] + "\n")
json.dump({f"{p['name'][:80]}-rt{suffix}": p for p in mine}, open(f"{work}/originals.json", "w"))
print(f"    {len(originals)} open datasets dumped; {len(mine)} of {org} to copy")
EOF

echo "--- ckanapi load datasets (create), dump, compare"
ck load datasets -q -I "$work/load.jsonl"
mapfile -t names < "$work/names"
ck dump datasets "${names[@]}" -q -O "$work/copies.jsonl"
cat > "$work/compare.py" <<'EOF'
import json, sys

def essence(p):
    """What a round trip must keep: everything but ids, names, times and revision."""
    res = [{k: r.get(k) for k in ("name", "description", "format", "url")} for r in p["resources"]]
    return {
        "title": p["title"], "notes": p["notes"], "owner_org": p["owner_org"], "private": p["private"],
        "license_id": p["license_id"], "maintainer": p["maintainer"], "maintainer_email": p["maintainer_email"],
        "author": p.get("author"), "url": p.get("url"), "version": p.get("version"), "state": p["state"],
        "tags": sorted(t["name"] for t in p["tags"]), "groups": sorted(g["name"] for g in p["groups"]),
        "extras": sorted((e["key"], e["value"]) for e in p["extras"]), "resources": res,
    }

expected = {k: essence(v) for k, v in json.load(open(sys.argv[1])).items()}
got = {p["name"]: essence(p) for p in map(json.loads, open(sys.argv[2]))}
assert set(got) == set(expected), f"missing after load: {set(expected) - set(got)}"
for name, e in expected.items():
    if got[name] != e:
        diff = {k: (e[k], got[name][k]) for k in e if e[k] != got[name][k]}
        sys.exit(f"{name} differs after the round trip: {diff}")
print(f"    {len(got)} datasets identical after the round trip")
EOF
"$py" "$work/compare.py" "$work/originals.json" "$work/copies.jsonl"

echo "--- ckanapi load datasets (update in place), dump, compare"
ck load datasets -q -I "$work/copies.jsonl"
ck dump datasets "${names[@]}" -q -O "$work/copies2.jsonl"
"$py" - "$work/copies.jsonl" "$work/copies2.jsonl" <<'EOF'
import json, sys
before = {p["name"]: p for p in map(json.loads, open(sys.argv[1]))}
after = {p["name"]: p for p in map(json.loads, open(sys.argv[2]))}
for name, p in before.items():
    q = after[name]
    assert q["id"] == p["id"], f"{name}: load made a new dataset instead of updating"
    assert q["revision"] == p["revision"] + 1, f"{name}: revision {p['revision']} -> {q['revision']}"
    for k in ("title", "notes", "tags", "groups", "extras", "license_id", "owner_org", "private"):
        assert q[k] == p[k], f"{name}: {k} changed by an unchanged update"
    assert [r["id"] for r in q["resources"]] == [r["id"] for r in p["resources"]], f"{name}: resources replaced"
print(f"    {len(after)} datasets updated in place, unchanged")
EOF

echo "--- ckanapi delete datasets"
ck delete datasets "${names[@]}" -q
for n in "${names[@]}"; do
  if "$venv/bin/ckanapi" action package_show "id=$n" -r "$url" >/dev/null 2>&1; then
    echo "    $n is still visible after delete" >&2; exit 1
  fi
done
echo "    ${#names[@]} copies deleted"

echo "--- DCAT-AP: rdflib parses JSON-LD and Turtle to the same graph"
curl -sf "$url/api/datahub/dcat.jsonld" -o "$work/dcat.jsonld"
curl -sf "$url/api/datahub/dcat.ttl" -o "$work/dcat.ttl"
"$py" - "$work/dcat.jsonld" "$work/dcat.ttl" <<'EOF'
import sys
from rdflib import Graph, Namespace, RDF
from rdflib.compare import isomorphic
DCAT = Namespace("http://www.w3.org/ns/dcat#"); DCT = Namespace("http://purl.org/dc/terms/"); FOAF = Namespace("http://xmlns.com/foaf/0.1/")
j = Graph().parse(sys.argv[1], format="json-ld")
t = Graph().parse(sys.argv[2], format="turtle")
assert len(t) > 0 and isomorphic(j, t), f"JSON-LD ({len(j)} triples) and Turtle ({len(t)} triples) differ"
cat = list(t.subjects(RDF.type, DCAT.Catalog))
assert len(cat) == 1, "one dcat:Catalog"
for p in (DCT.title, DCT.description, DCT.publisher):
    assert (cat[0], p, None) in t, f"catalog lacks {p}"
datasets = list(t.subjects(RDF.type, DCAT.Dataset))
assert datasets, "no dcat:Dataset"
for d in datasets:
    for p in (DCT.title, DCT.description, DCT.publisher, DCT.identifier):
        assert (d, p, None) in t, f"{d} lacks {p}"
    for dist in t.objects(d, DCAT.distribution):
        assert (dist, RDF.type, DCAT.Distribution) in t and (dist, DCAT.accessURL, None) in t, f"{dist} lacks dcat:accessURL"
for a in t.objects(None, DCT.publisher):
    assert (a, FOAF.name, None) in t, f"publisher {a} lacks foaf:name"
print(f"    {len(t)} triples, {len(datasets)} datasets; JSON-LD and Turtle isomorphic")
EOF
echo "ckanapi and rdflib checks passed"
