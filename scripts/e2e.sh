#!/usr/bin/env bash
# Starts `cityos demo` on a fresh data directory and a free port, runs the
# Playwright browser tests against it, and stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data=$(mktemp -d /tmp/cityos-e2e.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The citizen sign-in test reads its one-time code from an SMTP sink it starts on this port.
smtp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export CITYOS_E2E_SMTP="127.0.0.1:$smtp_port"
# The call screen-pop test plays the telephone exchange, signing its events with this secret.
export CITYOS_E2E_CALLS_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
# Every client here (browsers, GDAL, OWSLib, ckanapi) calls from 127.0.0.1: the anonymous rate limit
# (tested in crates/cityos/tests/api/platform.rs) would count them all as one visitor.
CITYOS_SECURITY__PUBLIC_RATE_LIMIT_PER_MINUTE=100000 CITYOS_NOTIFY__SMTP__HOST=127.0.0.1 CITYOS_NOTIFY__SMTP__PORT="$smtp_port" CITYOS_WEBHOOKS__CALLS_SECRET="$CITYOS_E2E_CALLS_SECRET" CITYOS_SERVER__WEB_DIR="$root/web/dist" "$root/target/debug/cityos" demo --data-dir "$data" --listen "127.0.0.1:$port" > "$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
# The first start seeds the demo city (with 150,000+ generated network features): allow minutes.
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$data/server.log"; exit 1; }
echo "=== OpenAPI document: independent validation ==="
"$root/scripts/validate-openapi.sh" "http://127.0.0.1:$port"
echo "=== Open311 GeoReport v2: independent client ==="
token=$(curl -sf -H 'content-type: application/json' -d '{"username":"operator","password":"operator-demo-2025"}' \
  "http://127.0.0.1:$port/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
key=$(curl -sf -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"open311 client check"}' \
  "http://127.0.0.1:$port/api/auth/api-keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
"$root/scripts/open311-client-check.sh" "http://127.0.0.1:$port" "$key"
echo "=== CKAN Action API and DCAT-AP: ckanapi and rdflib ==="
token=$(curl -sf -H 'content-type: application/json' -d '{"username":"data_officer","password":"data_officer-demo-2025"}' \
  "http://127.0.0.1:$port/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
key=$(curl -sf -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"ckanapi check"}' \
  "http://127.0.0.1:$port/api/auth/api-keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
"$root/scripts/ckanapi-check.sh" "http://127.0.0.1:$port" "$key" so-yt
echo "=== OGC API – Features: GDAL ogrinfo, OWSLib, OpenAPI 3.0 ===" && "$root/scripts/ogc-clients-check.sh" "http://127.0.0.1:$port"
echo "=== GIS formats: GDAL reads our exports, we import GDAL's ===" && "$root/scripts/gis-formats-check.sh" "http://127.0.0.1:$port"
mkdir -p "$root/target/screenshots"
# The admin test signs in with TOTP: the demo banner prints the secret.
export CITYOS_E2E_ADMIN_TOTP_SECRET=$(awk '$1=="admin"{print $NF}' "$data/server.log")
export CITYOS_E2E_AUDITOR_TOTP_SECRET=$(awk '$1=="auditor"{print $NF}' "$data/server.log")
cd "$root/web" && CITYOS_URL="http://127.0.0.1:$port" npm run test:e2e
