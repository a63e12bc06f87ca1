#!/usr/bin/env bash
# Builds the container images the k8s manifests name (certpath/<service>:dev)
# from deploy/docker/Dockerfile, when a container engine (docker or podman)
# is installed and can reach its Debian 12 base image. Arguments: services
# (default: every service with a k8s manifest).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENGINE="${CONTAINER_ENGINE:-}"
if [ -z "$ENGINE" ]; then
  for e in docker podman; do
    if command -v "$e" >/dev/null && "$e" info >/dev/null 2>&1; then ENGINE=$e; break; fi
  done
fi
if [ -z "$ENGINE" ]; then
  echo "no working container engine (docker or podman); nothing built" >&2
  exit 0
fi
services=("$@")
if [ ${#services[@]} -eq 0 ]; then
  for f in "$ROOT"/k8s/base/*.yaml; do
    img=$(sed -n 's|.*image: certpath/\([a-z-]*\):dev.*|\1|p' "$f")
    [ -n "$img" ] && services+=("$img")
  done
fi
for s in "${services[@]}"; do
  echo "building certpath/$s:dev with $ENGINE"
  "$ENGINE" build -f "$ROOT/deploy/docker/Dockerfile" --build-arg SERVICE="$s" \
    -t "certpath/$s:dev" "$ROOT"
done
