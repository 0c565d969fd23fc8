#!/usr/bin/env bash
# Validates a running CityOS's OpenAPI documents with an independent validator
# (openapi-spec-validator from PyPI, installed into target/pyenv):
#   * /api/openapi.json, the platform API;
#   * /ogc/api, the OGC API – Features definition, which must also declare
#     OpenAPI 3.0.x (the `oas30` conformance class) and be served as
#     application/vnd.oai.openapi+json;version=3.0.
# Any failure exits non-zero and names the document.
set -euo pipefail
url="${1%/}"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/pyenv"
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'openapi-spec-validator>=0.7,<0.8'
fi
out="$root/target/openapi"
mkdir -p "$out"

echo "--- /api/openapi.json"
curl -sf "$url/api/openapi.json" -o "$out/api.json"
"$venv/bin/openapi-spec-validator" "$out/api.json"

echo "--- /ogc/api (OGC API – Features, OpenAPI 3.0)"
ct=$(curl -sf -o "$out/ogc.json" -w '%{content_type}' "$url/ogc/api")
case "$ct" in
  application/vnd.oai.openapi+json*version=3.0*) ;;
  *) echo "/ogc/api is served as \`$ct\`, not application/vnd.oai.openapi+json;version=3.0"; exit 1 ;;
esac
version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("openapi", ""))' "$out/ogc.json")
case "$version" in
  3.0.*) ;;
  *) echo "/ogc/api declares openapi \`$version\`, not 3.0.x"; exit 1 ;;
esac
"$venv/bin/openapi-spec-validator" "$out/ogc.json"
echo "OpenAPI documents: both valid"
