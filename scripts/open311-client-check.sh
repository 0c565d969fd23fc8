#!/usr/bin/env bash
# Reads a running CityOS's Open311 GeoReport v2 API (/open311/v2) with an
# independent client: `georeport` from PyPI (a Python wrapper for GeoReport v2,
# installed into target/pyenv), in both of its formats (JSON and XML, which it
# parses with xmltodict). georeport cannot create requests, so the one request
# this check files is a plain form POST with python-requests, read back through
# georeport.
#   usage: scripts/open311-client-check.sh URL APIKEY
set -euo pipefail
url="$1"
key="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/pyenv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import georeport' 2>/dev/null; then
  "$venv/bin/pip" install -q --disable-pip-version-check 'georeport==0.3.1'
fi
OPEN311_URL="$url/open311/v2" OPEN311_KEY="$key" "$venv/bin/python" - <<'PY'
import os

import requests
from georeport import GeoReport, __version__

base, key = os.environ["OPEN311_URL"], os.environ["OPEN311_KEY"]


def as_list(x):
    # xmltodict gives a dict for one element and a list for several.
    return x if isinstance(x, list) else [x]


# File one request (georeport only reads), with contact details that must never come back.
r = requests.post(f"{base}/requests.json", timeout=30, data={
    "api_key": key,
    "service_code": "ROADS.POTHOLE",
    "lat": "10.7805",
    "long": "106.704",
    "description": "Kiểm tra bằng client Open311 độc lập: ổ gà lớn giữa đường",
    "email": "client-check@example.vn",
    "phone": "0909123456",
    "attribute[size]": "large",
})
assert r.status_code == 200, (r.status_code, r.text)
created = r.json()[0]["service_request_id"]
assert isinstance(created, str), created

for fmt in ("json", "xml"):
    c = GeoReport(base, jurisdiction="hochiminhcity.gov.vn", output_format=fmt)
    services = as_list(c.get_service_list())
    codes = [s["service_code"] for s in services]
    assert "ROADS.POTHOLE" in codes and len(codes) >= 10, codes
    assert all(s["type"] == "realtime" and str(s["metadata"]).lower() == "true" for s in services), services[0]
    d = c.get_service_definition("ROADS.POTHOLE")
    attrs = d["attributes"] if fmt == "json" else as_list(d["attributes"]["attribute"])
    assert {a["code"] for a in attrs} >= {"landmark", "size"}, attrs
    recent = as_list(c.get_service_requests())
    assert len(recent) >= 1 and all(x["status"] in ("open", "closed") for x in recent), recent[:1]
    closed = as_list(c.get_service_requests(status="closed"))
    assert all(x["status"] == "closed" for x in closed)
    lights = as_list(c.get_service_requests(service_code="LIGHTING.OUT", status="open"))
    assert all(x["service_code"] == "LIGHTING.OUT" and x["status"] == "open" for x in lights)
    both = as_list(c.get_service_requests(service_request_id=f"{created},{recent[-1]['service_request_id']}"))
    assert created in {x["service_request_id"] for x in both}
    mine = c.get_service_request(created)
    assert mine["service_request_id"] == created and mine["service_code"] == "ROADS.POTHOLE", mine
    assert mine["requested_datetime"].endswith("+07:00"), mine
    assert "client-check@example.vn" not in str(mine) and "909123456" not in str(mine), mine
    print(f"georeport {__version__} ({fmt}): {len(services)} services, {len(recent)} requests in the last 90 days "
          f"({len(closed)} closed, {len(lights)} open street-light requests); read back {created}")
PY
