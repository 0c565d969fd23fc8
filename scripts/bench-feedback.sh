#!/usr/bin/env bash
# 1022 benchmarks on one backend (sqlite or postgres): reports created per
# second through the API and through the SMS webhook; search p95 and a unit's queue page p95 with
# COUNT reports in the database (10,000 of them open in one unit's queue).
# Load: wrk (Debian package) in a second process on loopback.
# Usage: scripts/bench-feedback.sh sqlite|postgres [COUNT] [SECONDS]
set -euo pipefail
backend="${1:-sqlite}"; count="${2:-1000000}"; dur="${3:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"; export CITYOS_ROOT="$root"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cd "$root" && cargo build --release -p cityos >/dev/null
bin="$root/target/release/cityos"
data=$(mktemp -d /tmp/cityos-bench.XXXXXX)
env=(CITYOS_LOG=warn)
if [ "$backend" = postgres ]; then
  admin=$(scripts/test-postgres.sh); db="cityos_bench_fb"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qc "CREATE DATABASE $db"
  env+=(CITYOS_DATABASE__URL="${admin%/*}/$db")
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Seed the city (demo) once, then stop it.
env "${env[@]}" "$bin" demo --data-dir "$data" --listen "127.0.0.1:$port" >"$data/demo.log" 2>&1 & pid=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "=== $backend: bulk-inserting $count reports ==="
env "${env[@]}" "$bin" bench seed-reports --data-dir "$data" --count "$count" --open-in-one-unit 10000 2>/dev/null
env "${env[@]}" CITYOS_SECURITY__PUBLIC_RATE_LIMIT_PER_MINUTE=100000000 CITYOS_WEBHOOKS__SMS_SECRET=bench-sms-secret "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
token=$(curl -sf -XPOST "http://127.0.0.1:$port/api/auth/login" -H 'content-type: application/json' \
  -d '{"username":"operator","password":"operator-demo-2025"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
auth="Authorization: Bearer $token"
echo "=== $backend: search p95 (GET /api/feedback/reports?q=…, $count reports) ==="
wrk -t2 -c8 -d"${dur}s" -s "$root/scripts/wrk/p95.lua" -H "$auth" "http://127.0.0.1:$port/api/feedback/reports?q=duong%20le%20loi%20ngap&per_page=20" | tail -1
echo "=== $backend: queue page p95 (10,000 open reports in UBND-26740, sorted by deadline) ==="
wrk -t2 -c8 -d"${dur}s" -s "$root/scripts/wrk/p95.lua" -H "$auth" "http://127.0.0.1:$port/api/feedback/reports?agency=UBND-26740&status=forwarded,acknowledged,in_progress&per_page=50" | tail -1
echo "=== $backend: reports created through the API (anonymous web reports, routed by point) ==="
wrk -t2 -c8 -d"${dur}s" -s "$root/scripts/wrk/create-report.lua" "http://127.0.0.1:$port/api/feedback/reports" | tail -1
echo "=== $backend: reports through the SMS webhook (signed deliveries from 8 clients; then until every message is a report) ==="
env "${env[@]}" "$bin" bench webhooks --data-dir "$data" --url "http://127.0.0.1:$port" --secret bench-sms-secret --connections 8 --seconds "$dur"
