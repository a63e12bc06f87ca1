#!/usr/bin/env bash
# Installs the Debian 12 packages certpath needs to build, run and test.
# Safe to run again: installs only what is missing. Root or sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libhiredis-dev prometheus-cpp-dev libssl-dev
  libgtest-dev libgmock-dev libboost-dev
  golang-github-gogo-googleapis-dev
  redis-server prometheus
  clang-format wrk curl python3 python3-icalendar
  chromium poppler-utils fonts-noto-cjk
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
# Node.js runs the OpenAPI validator; a machine that has one keeps it.
command -v npm >/dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
    echo "need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
  echo "installing: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test tools from npm, pinned, in one folder of their own (not the system's node_modules).
TOOLS="${CERTPATH_TOOLS_DIR:-/opt/certpath-tools}"
REDOCLY_VERSION=1.25.0  # runs on Debian's Node.js 18 and on 20+
if [ "$("$TOOLS/node_modules/.bin/redocly" --version 2>/dev/null)" != "$REDOCLY_VERSION" ]; then
  echo "installing @redocly/cli@$REDOCLY_VERSION into $TOOLS"
  $SUDO mkdir -p "$TOOLS"
  $SUDO npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error \
    "@redocly/cli@$REDOCLY_VERSION" >/dev/null
fi
