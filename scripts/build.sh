#!/usr/bin/env bash
# Configures and builds certpath in ./build (2 parallel jobs: the machines have 2 cores).
# Extra arguments are build targets (default: everything).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${CERTPATH_BUILD_DIR:-$ROOT/build}"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
if [ $# -gt 0 ]; then
  targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$BUILD" -j"${CERTPATH_JOBS:-2}" "${targets[@]}"
else
  cmake --build "$BUILD" -j"${CERTPATH_JOBS:-2}"
fi
