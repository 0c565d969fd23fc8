#!/usr/bin/env bash
# Data hub benchmarks on one backend (sqlite or postgres): ingest of a large
# CSV of bus stops through the upload route (rows/s, the server's peak
# memory), then filtered queries on the loaded rows (p50/p95/p99 with wrk).
# Not part of `make test`. Results go to docs/BENCHMARKS.md by hand.
# Usage: scripts/bench-datahub-ingest.sh sqlite|postgres [ROWS] [SECONDS]
# (10,000,000 rows make a 1.1 GB file.)
set -euo pipefail
backend="${1:-sqlite}"; rows="${2:-10000000}"; dur="${3:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"; export CITYOS_ROOT="$root"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cd "$root" && cargo build --release -p cityos >/dev/null
bin="$root/target/release/cityos"
data=$(mktemp -d /tmp/cityos-bench-dh.XXXXXX)
env=(CITYOS_LOG=warn CITYOS_SECURITY__PUBLIC_RATE_LIMIT_PER_MINUTE=100000000)
if [ "$backend" = postgres ]; then
  admin=$(scripts/test-postgres.sh); db="cityos_bench_dh_ingest"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qc "CREATE DATABASE $db"
  env+=(CITYOS_DATABASE__URL="${admin%/*}/$db")
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
# Seed the city (demo) once, then stop it, so the measured server starts fresh.
env "${env[@]}" "$bin" demo --data-dir "$data" --listen "127.0.0.1:$port" >"$data/demo.log" 2>&1 & pid=$!
for _ in $(seq 1 600); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.5; done
kill "$pid"; wait "$pid" 2>/dev/null || true
# The server runs under /usr/bin/time -v, which reports its peak resident memory when it stops.
/usr/bin/time -v -o "$data/time.txt" env "${env[@]}" "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 & tpid=$!
trap 'kill $(ps -o pid= --ppid $tpid) 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.5; done
spid=$(ps -o pid= --ppid "$tpid" | tr -d ' ')
grep -E 'VmRSS' "/proc/$spid/status" | sed 's/^/server before the upload: /'
token=$(curl -sf -XPOST "$url/api/auth/login" -H 'content-type: application/json' \
  -d '{"username":"data_officer","password":"data_officer-demo-2025"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
auth="Authorization: Bearer $token"
curl -sf -XPOST "$url/api/datahub/datasets" -H "$auth" -H 'content-type: application/json' \
  -d '{"name":"bench-tram-xe-buyt","title_vi":"Trạm dừng xe buýt (benchmark)","owner_agency":"SO-YT","sharing_level":"open"}' >/dev/null
rid=$(curl -sf -XPOST "$url/api/datahub/datasets/bench-tram-xe-buyt/resources" -H "$auth" -H 'content-type: application/json' \
  -d '{"name":"Trạm dừng","kind":"upload"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

echo "=== generating $rows bus stops in the city's 168 wards ==="
curl -sf "$url/api/jurisdictions" >"$data/wards.json"
python3 - "$data/wards.json" "$rows" >"$data/stops.csv" <<'PY'
import json, random, sys
wards = [j for j in json.load(open(sys.argv[1]))["items"] if j["level"] == 2 and j.get("lat")]
rows = int(sys.argv[2]); rnd = random.Random(4)
streets = ["Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Điện Biên Phủ", "Cách Mạng Tháng Tám", "Võ Văn Kiệt", "Trần Hưng Đạo",
           "Lý Thường Kiệt", "Phan Đăng Lưu", "Cộng Hòa", "Trường Chinh", "Âu Cơ", "Nguyễn Văn Linh", "Phạm Văn Đồng", "Quang Trung"]
marks = ["Chợ", "Trường học", "Bệnh viện", "Công viên", "Ngã tư", "Cầu", "Siêu thị", "UBND phường", "Bến xe", "Nhà văn hóa"]
out = sys.stdout
out.write("Mã trạm,Tên trạm,Đường,Phường/Xã,Mã phường,Các tuyến,Có nhà chờ,Vĩ độ,Kinh độ\n")
buf = []
for i in range(rows):
    w = wards[i % len(wards)]; s = rnd.choice(streets)
    routes = " ".join("%02d" % rnd.randint(1, 150) for _ in range(rnd.randint(1, 4)))
    buf.append("BS%08d,%s %s %d,%s,%s,%s,%s,%s,%.6f,%.6f\n" % (i + 1, rnd.choice(marks), s, rnd.randint(1, 300), s, w["name"], w["code"],
               routes, "Có" if rnd.random() < 0.33 else "Không", w["lat"] + rnd.uniform(-0.01, 0.01), w["lon"] + rnd.uniform(-0.01, 0.01)))
    if len(buf) == 10000:
        out.write("".join(buf)); buf = []
out.write("".join(buf))
PY
size=$(stat -c %s "$data/stops.csv")
echo "file: $size bytes"

echo "=== $backend: ingest (POST /api/datahub/resources/{id}/versions, raw body) ==="
start=$(date +%s.%N)
curl -sf -XPOST -T "$data/stops.csv" -H "$auth" -H 'content-type: text/csv' "$url/api/datahub/resources/$rid/versions" >"$data/report.json"
end=$(date +%s.%N)
python3 - "$data/report.json" "$start" "$end" "$size" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); secs = float(sys.argv[3]) - float(sys.argv[2]); size = int(sys.argv[4])
print("rows=%d seconds=%.1f rows/s=%.0f MB/s=%.1f types=%s" % (r["row_count"], secs, r["row_count"] / secs, size / secs / 1e6,
      ",".join(f["type"] for f in r["fields"])))
PY
grep -E 'VmHWM' "/proc/$spid/status" | sed 's/^/server peak so far: /'

echo "=== $backend: filtered query p95 (one ward, 100 rows with the total) ==="
wrk -t2 -c4 -d"${dur}s" -s "$root/scripts/wrk/p95.lua" "$url/api/datahub/resources/$rid/data?M%C3%A3%20ph%C6%B0%E1%BB%9Dng=26740&limit=100" | tail -1
echo "=== $backend: two filters (ward and shelter), sorted by stop code desc, page 3 ==="
wrk -t2 -c4 -d"${dur}s" -s "$root/scripts/wrk/p95.lua" "$url/api/datahub/resources/$rid/data?M%C3%A3%20ph%C6%B0%E1%BB%9Dng=26740&C%C3%B3%20nh%C3%A0%20ch%E1%BB%9D=true&sort=M%C3%A3%20tr%E1%BA%A1m%20desc&limit=50&offset=100" | tail -1
echo "=== $backend: bounding box around Phường Sài Gòn ==="
wrk -t2 -c4 -d"${dur}s" -s "$root/scripts/wrk/p95.lua" "$url/api/datahub/resources/$rid/data?bbox=106.695,10.770,106.705,10.780&limit=100" | tail -1
echo "=== $backend: full text, no diacritics (q=cong vien le loi) ==="
wrk -t2 -c4 -d"${dur}s" --timeout 20s -s "$root/scripts/wrk/p95.lua" "$url/api/datahub/resources/$rid/data?q=cong%20vien%20le%20loi&limit=20" | tail -1
if curl -sf "$url/api/3/action/datastore_search?resource_id=$rid&limit=1" >/dev/null; then
  echo "=== $backend: CKAN datastore_search, filtered (one ward) ==="
  wrk -t2 -c4 -d"${dur}s" -s "$root/scripts/wrk/p95.lua" "$url/api/3/action/datastore_search?resource_id=$rid&filters=%7B%22M%C3%A3%20ph%C6%B0%E1%BB%9Dng%22%3A26740%7D&limit=100" | tail -1
fi
echo "=== $backend: one aggregate over every row (count by ward), single request ==="
curl -s -o /dev/null -w 'seconds=%{time_total}\n' "$url/api/datahub/resources/$rid/data?aggregate=count&group_by=M%C3%A3%20ph%C6%B0%E1%BB%9Dng"
kill "$spid"; wait "$tpid" 2>/dev/null || true
grep -E 'Maximum resident set size' "$data/time.txt" | sed 's/^\s*/server /'
du -sh "$data" | sed 's/^/data directory: /'
