#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test (unit,
# integration on real redis-server processes the tests start, e2e on the real
# binaries) and prints ctest's summary. Exits non-zero on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${CERTPATH_BUILD_DIR:-$ROOT/build}"

"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh"

# Formatting is part of the contract: warn-free, clang-formatted sources.
if command -v clang-format >/dev/null; then
  bad=$(cd "$ROOT" && git ls-files '*.cc' '*.h' 2>/dev/null | while read -r f; do
          clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
  if [ -n "$bad" ]; then
    echo "not clang-formatted:"; echo "$bad"; exit 1
  fi
fi

cd "$BUILD"
ctest --output-on-failure -j2 --timeout 900
