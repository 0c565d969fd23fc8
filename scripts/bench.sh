#!/usr/bin/env bash
# Load benchmark of an authenticated read endpoint (GET /api/auth/me with a
# bearer token) on both backends, with wrk (Debian package) as the load
# generator in a second process on loopback. Prints wrk's report per backend.
# Usage: scripts/bench.sh [duration_seconds] [connections]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dur="${1:-20}"; conns="${2:-32}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cd "$root" && cargo build --release -p cityos
bin="$root/target/release/cityos"
run_one() {
  local backend="$1" data port pid token
  data=$(mktemp -d /tmp/cityos-bench.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local env=(CITYOS_LOG=warn)
  if [ "$backend" = postgres ]; then
    local admin; admin=$(scripts/test-postgres.sh)
    local db="cityos_bench_$$"
    psql "$admin" -qc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qc "CREATE DATABASE $db"
    env+=(CITYOS_DATABASE__URL="${admin%/*}/$db")
  fi
  env "${env[@]}" "$bin" user add --data-dir "$data" --username bench --password Bench-mark-2025 --role operator >/dev/null
  env "${env[@]}" "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  token=$(curl -sf -XPOST "http://127.0.0.1:$port/api/auth/login" -H 'content-type: application/json' \
    -d '{"username":"bench","password":"Bench-mark-2025"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  echo "=== backend: $backend — GET /api/auth/me, wrk -t2 -c$conns -d${dur}s --latency ==="
  wrk -t2 -c"$conns" -d"${dur}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/auth/me"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
run_one sqlite
run_one postgres
