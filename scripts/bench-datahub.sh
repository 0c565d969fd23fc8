#!/usr/bin/env bash
# CKAN package_search benchmark on one backend (sqlite or postgres) with
# COUNT datasets in the catalogue (80% open): p50/p95/p99 of typical
# anonymous searches — the first page, words without diacritics, an fq filter
# with facets, and a sorted deep page.
# Load: wrk (Debian package) in a second process on loopback.
# Usage: [CITYOS_BIN=path/to/release/cityos] scripts/bench-datahub.sh sqlite|postgres [COUNT] [SECONDS]
set -euo pipefail
backend="${1:-sqlite}"; count="${2:-10000}"; dur="${3:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# CITYOS_BIN: a release binary already built (skips the build).
if [ -z "${CITYOS_BIN:-}" ]; then (cd "$root" && cargo build --release -p cityos >/dev/null); fi
bin="${CITYOS_BIN:-$root/target/release/cityos}"
cd "$root"
data=$(mktemp -d /tmp/cityos-bench-dh.XXXXXX)
env=(CITYOS_LOG=warn)
if [ "$backend" = postgres ]; then
  admin=$(scripts/test-postgres.sh); db="cityos_bench_dh"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qc "CREATE DATABASE $db"
  env+=(CITYOS_DATABASE__URL="${admin%/*}/$db")
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Seed the city (demo) once, then stop it.
env "${env[@]}" "$bin" demo --data-dir "$data" --listen "127.0.0.1:$port" >"$data/demo.log" 2>&1 & pid=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "=== $backend: bulk-inserting $count datasets ==="
env "${env[@]}" "$bin" bench seed-datasets --data-dir "$data" --count "$count" 2>/dev/null
env "${env[@]}" CITYOS_SECURITY__PUBLIC_RATE_LIMIT_PER_MINUTE=100000000 "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
base="http://127.0.0.1:$port/api/3/action/package_search"
total=$(curl -sf "$base?rows=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["count"])')
echo "=== $backend: $total open datasets visible to anonymous callers ==="
run() {
  echo "--- $1"
  wrk -t2 -c8 -d"${dur}s" -s "$root/scripts/wrk/p95.lua" "$2" | tail -1
}
run "first page (rows=10, newest first)" "$base?rows=10&sort=metadata_modified%20desc"
run "q=tram y te (no diacritics, by relevance)" "$base?q=tram%20y%20te&rows=10"
run "fq=groups:health res_format:CSV with 3 facets" "$base?fq=groups:health%20res_format:CSV&rows=10&facet.field=%5B%22organization%22,%22tags%22,%22res_format%22%5D"
run "deep page (start=5000, title_string asc)" "$base?rows=20&start=5000&sort=title_string%20asc"
