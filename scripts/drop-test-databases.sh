#!/usr/bin/env bash
# Drops databases left behind by interrupted test runs.
set -euo pipefail
url="$1"
psql "$url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'cityos_test_%'" 2>/dev/null | while read -r d; do
  [ -n "$d" ] && psql "$url" -qc "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1 || true
done
