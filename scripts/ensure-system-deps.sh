#!/usr/bin/env bash
# Installs what CityOS's build and tests need from Debian's packages, if missing:
# PostGIS for the running PostgreSQL major version, the PostgreSQL client tools,
# Chromium and Noto fonts (Vietnamese) for browser tests, Dovecot (IMAP) and openssl
# for the e-mail channel's tests, GDAL's ogrinfo for the OGC API tests. Safe to run repeatedly.
set -euo pipefail
need=()
pg_major=""
if command -v pg_config >/dev/null 2>&1; then pg_major=$(pg_config --version | sed -E 's/[^0-9]*([0-9]+).*/\1/'); fi
[ -z "$pg_major" ] && pg_major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1 || true)
[ -z "$pg_major" ] && pg_major=15
dpkg -s "postgresql-${pg_major}-postgis-3" >/dev/null 2>&1 || need+=("postgresql-${pg_major}-postgis-3")
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
[ -x /usr/lib/postgresql/${pg_major}/bin/initdb ] || need+=("postgresql-${pg_major}")
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-noto-core >/dev/null 2>&1 || need+=(fonts-noto-core)
# The e-mail channel's tests run a real IMAP server (Dovecot) and make TLS certificates with openssl.
[ -x /usr/sbin/dovecot ] && command -v doveadm >/dev/null 2>&1 || need+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# OGC API - Features is checked with GDAL's own client (ogrinfo's OAPIF driver).
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The tests start their own Dovecot; the system-wide one the package may have started is not needed.
  if [[ " ${need[*]} " == *" dovecot-imapd "* ]] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now dovecot >/dev/null 2>&1 || true
  fi
fi
