#!/usr/bin/env bash
# Prints a PostgreSQL admin URL for the tests. Uses the local server on
# 127.0.0.1:5432 when it answers (starting the machine's cluster if it is
# installed but stopped); otherwise starts a throwaway cluster from the
# installed PostgreSQL binaries under target/pg (as lemmy's start_dev_db.sh does).
set -euo pipefail
if [ -n "${CITYOS_TEST_PG_URL:-}" ]; then echo "$CITYOS_TEST_PG_URL"; exit 0; fi
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "postgres://postgres@127.0.0.1:5432/postgres"; exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  v=$(ls /etc/postgresql | sort -n | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$v" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if psql -h 127.0.0.1 -U postgres -c 'select 1' >/dev/null 2>&1; then echo "postgres://postgres@127.0.0.1:5432/postgres"; exit 0; fi
  fi
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
dir="$(pwd)/target/pg"
port=54329
if ! pg_isready -q -h 127.0.0.1 -p $port 2>/dev/null; then
  rm -rf "$dir"; mkdir -p "$dir"
  run() { if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$dir"; su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
  run "$bin/initdb -D $dir/data -U postgres --auth=trust -E UTF8 >/dev/null"
  run "$bin/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off' -l $dir/log -w start >/dev/null"
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
