#!/usr/bin/env bash
# OGC API - Features benchmark: CityOS and pygeoapi (PyPI) serving the same
# features from the same PostgreSQL + PostGIS server, measured side by side in
# one run with the same requests (`cityos bench ogc`): random bounding boxes
# over central Ho Chi Minh City, then the same boxes with a CQL2 filter.
# On sqlite, CityOS alone (pygeoapi's SQLite provider needs SpatiaLite).
#
# Usage: [CITYOS_BIN=target/release/cityos] [REUSE=1] scripts/bench-gis.sh postgres|sqlite [FEATURES] [SECONDS] [CONNECTIONS]
# REUSE=1 (postgres) measures again on the database an earlier run seeded, without seeding.
set -euo pipefail
backend="${1:-postgres}"; features="${2:-1000000}"; dur="${3:-20}"; conns="${4:-8}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ -z "${CITYOS_BIN:-}" ]; then cargo build --release -p cityos >/dev/null; fi
bin="${CITYOS_BIN:-$root/target/release/cityos}"
data=$(mktemp -d /tmp/cityos-bench-gis.XXXXXX)
env=(CITYOS_LOG=warn)
if [ "$backend" = postgres ]; then
  admin=$(scripts/test-postgres.sh); db="cityos_bench_gis"
  if [ "${REUSE:-0}" != 1 ]; then
    psql "$admin" -qc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qc "CREATE DATABASE $db"
  fi
  dburl="${admin%/*}/$db"
  env+=(CITYOS_DATABASE__URL="$dburl")
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$data"; }
trap cleanup EXIT
wait_for() { for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.5; done; echo "not up: $1" >&2; tail -20 "$data"/*.log >&2; return 1; }

if [ "${REUSE:-0}" = 1 ] && [ "$backend" = postgres ]; then
  echo "=== $backend: measuring the $(psql "$dburl" -tAc 'SELECT count(*) FROM gis_features') features seeded earlier ==="
else
  echo "=== $backend: seeding the city and $features generated features ==="
  env "${env[@]}" "$bin" bench seed-gis --data-dir "$data" --features "$features"
fi
# Fresh statistics for the planner, as pygeoapi's copies get below (autovacuum
# would gather them too, some time after a bulk load).
if [ "$backend" = postgres ]; then psql "$dburl" -qc "ANALYZE gis_features"; fi
env "${env[@]}" CITYOS_SECURITY__PUBLIC_RATE_LIMIT_PER_MINUTE=100000000 "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 & pids+=($!)
wait_for "http://127.0.0.1:$port/readyz"
targets=(--target "cityos=http://127.0.0.1:$port/ogc")

if [ "$backend" = postgres ]; then
  venv="$root/target/pyenv-pygeoapi"
  if [ ! -x "$venv/bin/pygeoapi" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check pygeoapi psycopg2-binary sqlalchemy geoalchemy2 gunicorn
  fi
  # pygeoapi reads one table per collection: give it its own indexed copy of each.
  cols=(water-pipes electricity-cables)
  for c in "${cols[@]}"; do
    t="pg_${c//-/_}"
    psql "$dburl" -q <<SQL
DROP TABLE IF EXISTS $t;
CREATE TABLE $t AS SELECT id, name, status, material, diameter_mm, voltage_kv, install_date, geom FROM gis_features WHERE collection = '$c';
ALTER TABLE $t ADD PRIMARY KEY (id);
CREATE INDEX ${t}_geom ON $t USING GIST (geom);
ANALYZE $t;
SQL
  done
  host=$(python3 -c "import urllib.parse as u; p=u.urlparse('$dburl'); print('|'.join(map(str, [p.hostname or '127.0.0.1', p.port or 5432, p.username or 'postgres', p.password or '', p.path.lstrip('/')])))")
  IFS='|' read -r pghost pgport pguser pgpass pgdb <<<"$host"
  ppport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cfg="$data/pygeoapi.yml"
  {
    cat <<YAML
server:
  bind: {host: 127.0.0.1, port: $ppport}
  url: http://127.0.0.1:$ppport
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {default_items: 100, max_items: 10000}
  map: {url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: OSM}
logging: {level: ERROR}
metadata:
  identification: {title: bench, description: bench, keywords: [bench], keywords_type: theme, terms_of_service: none, url: http://example.org}
  license: {name: CC-BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}
  provider: {name: bench, url: http://example.org}
  contact: {name: bench, position: bench, address: x, city: x, stateorprovince: x, postalcode: x, country: x, phone: x, fax: x, email: x@example.org, url: http://example.org, hours: x, instructions: x, role: pointOfContact}
resources:
YAML
    for c in "${cols[@]}"; do
      cat <<YAML
  $c:
    type: collection
    title: $c
    description: $c
    keywords: [$c]
    extents: {spatial: {bbox: [106.3, 8.5, 107.6, 11.2], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}}
    providers:
      - type: feature
        name: PostgreSQL
        data: {host: $pghost, port: $pgport, dbname: $pgdb, user: $pguser, password: '$pgpass', search_path: [public]}
        id_field: id
        table: pg_${c//-/_}
        geom_field: geom
YAML
    done
  } >"$cfg"
  "$venv/bin/pygeoapi" openapi generate "$cfg" --output-file "$data/pygeoapi-openapi.yml" >"$data/pygeoapi-openapi.log" 2>&1 || { cat "$data/pygeoapi-openapi.log"; exit 1; }
  (cd "$data" && PYGEOAPI_CONFIG="$cfg" PYGEOAPI_OPENAPI="$data/pygeoapi-openapi.yml" \
    exec "$venv/bin/gunicorn" -w 2 -b "127.0.0.1:$ppport" pygeoapi.flask_app:APP >"$data/pygeoapi.log" 2>&1) & pids+=($!)
  wait_for "http://127.0.0.1:$ppport/collections?f=json"
  targets+=(--target "pygeoapi=http://127.0.0.1:$ppport")
fi

echo "=== $backend: $(date -u +%F) on $(nproc) cores, $conns connections, ${dur}s per run ==="
env "${env[@]}" "$bin" bench ogc "${targets[@]}" --collection water-pipes --seconds "$dur" --connections "$conns"
env "${env[@]}" "$bin" bench ogc "${targets[@]}" --collection water-pipes --seconds "$dur" --connections "$conns" \
  --filter "diameter_mm >= 300 AND status = 'functional'"
