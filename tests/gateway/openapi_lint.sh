#!/usr/bin/env bash
# The gateway's OpenAPI document, linted by a real validator (@redocly/cli,
# installed by scripts/install-deps.sh), and checked to have exactly one
# operation for every google.api.http annotation in the protos.
#   openapi_lint.sh <certpath-gateway> <redocly> <repo root>
set -euo pipefail
GATEWAY="$1"; REDOCLY="$2"; ROOT="$3"
DIR="$(mktemp -d)"; trap 'rm -rf "$DIR"' EXIT
"$GATEWAY" --print-openapi > "$DIR/openapi.json"
(cd "$DIR" && "$REDOCLY" lint --config "$ROOT/gateway/redocly.yaml" openapi.json)

# Every service's protos but the tests' own stand-ins (proto/certpath/testdata).
annotated=$(ls "$ROOT"/proto/certpath/*/v1/*.proto | grep -v /testdata/ | xargs cat |
            grep -c 'option (google.api.http)')
node - "$DIR/openapi.json" "$annotated" <<'JS'
const doc = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const want = Number(process.argv[3]);
const verbs = ['get', 'put', 'post', 'delete', 'patch'];
const ids = new Set();
let ops = 0;
for (const [path, item] of Object.entries(doc.paths)) {
  for (const v of verbs) {
    if (!item[v]) continue;
    ops++;
    const id = item[v].operationId;
    if (ids.has(id)) { console.error(`operation ${id} twice`); process.exit(1); }
    ids.add(id);
    const declared = item[v].parameters.filter(p => p.in === 'path').map(p => p.name).sort();
    const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map(m => m[1]).sort();
    if (JSON.stringify(declared) !== JSON.stringify(inPath)) {
      console.error(`${v} ${path}: path parameters ${declared} vs ${inPath}`); process.exit(1);
    }
  }
}
console.log(`${ops} operations for ${want} annotated RPCs`);
if (ops !== want) process.exit(1);
JS
