#!/usr/bin/env bash
# Validates a running CityOS's /api/openapi.json with an independent validator
# (openapi-spec-validator from PyPI, installed into target/pyenv).
set -euo pipefail
url="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/pyenv"
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'openapi-spec-validator>=0.7,<0.8'
fi
curl -sf "$url/api/openapi.json" -o "$root/target/openapi.json"
"$venv/bin/openapi-spec-validator" "$root/target/openapi.json"
