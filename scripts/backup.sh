#!/usr/bin/env bash
# A consistent backup of certpath's data while it runs: Redis (every
# service's records, events and audit trails) and the documents service's
# file store.
#
#   scripts/backup.sh (--redis-socket=PATH | --redis-host=H --redis-port=P)
#                     --files=DIR --out=DIR
#
#   --files  the documents service's --data-dir (content-addressed files)
#   --out    where the backup directory is made: certpath-backup-<UTC time>
#   REDISCLI_AUTH in the environment, when Redis wants a password.
#
# Order is what makes it consistent: Redis is snapshotted first (a full RDB
# over the replication protocol, `redis-cli --rdb`: no access to Redis's own
# disk needed), then the files are copied. A version record is written only
# after its file is durable, and a file a record names is never swept, so
# every file the snapshot names is there when the copy runs; files stored
# later are extra and harmless (the sweep removes them after a restore).
# Each copied file is checked against its name (its SHA-256).
#
# The backup is readable by its owner only (umask 077). SHA256SUMS lists the
# snapshot and every file. Prints the backup's path on success. Exit 1 on any failure, leaving
# <path>.partial for inspection; a stored file that does not match its hash
# fails the backup too (restore that file from an older backup).
# Restore with scripts/restore.sh.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "backup: $*" >&2
  exit 1
}

REDIS=() FILES="" OUT=""
for arg in "$@"; do
  case "$arg" in
    --redis-socket=*) REDIS+=(-s "${arg#*=}") ;;
    --redis-host=*) REDIS+=(-h "${arg#*=}") ;;
    --redis-port=*) REDIS+=(-p "${arg#*=}") ;;
    --files=*) FILES="${arg#*=}" ;;
    --out=*) OUT="${arg#*=}" ;;
    -h | --help) usage ;;
    *) echo "backup: unknown argument $arg" >&2 && usage ;;
  esac
done
[ ${#REDIS[@]} -gt 0 ] && [ -n "$FILES" ] && [ -n "$OUT" ] || usage
[ -d "$FILES" ] || die "--files=$FILES is not a directory"
# Every tenant's data: readable by the owner only.
umask 077
command -v redis-cli >/dev/null || die "redis-cli not found (Debian: redis-tools)"

dest="$OUT/certpath-backup-$(date -u +%Y%m%dT%H%M%SZ)"
work="$dest.partial"
[ ! -e "$dest" ] && [ ! -e "$work" ] || die "$dest exists already"
mkdir -p "$work/files"

# 1. Redis.
if ! redis-cli "${REDIS[@]}" --rdb "$work/redis.rdb" >"$work/redis-cli.log" 2>&1; then
  die "the Redis snapshot failed: $(tail -n 3 "$work/redis-cli.log")"
fi
[ -s "$work/redis.rdb" ] || die "the Redis snapshot is empty: $(tail -n 3 "$work/redis-cli.log")"
keys=$(redis-cli "${REDIS[@]}" DBSIZE)

# 2. The files (not tmp/: uploads in progress), after the snapshot. A stored
# file never changes; one touched (uploaded again) or swept while tar reads
# is not an error (GNU tar exit 1).
set +e
tar -C "$FILES" --exclude=./tmp --warning=no-file-changed --warning=no-file-removed -cf - . |
  tar -C "$work/files" -xf -
codes=("${PIPESTATUS[@]}")
set -e
[ "${codes[0]}" -le 1 ] && [ "${codes[1]}" -eq 0 ] ||
  die "copying the files from $FILES failed (tar exit ${codes[*]})"

# 3. SHA256SUMS: the snapshot and every file (a restore finds one missing or
# changed); every file must be named by its hash.
(cd "$work" && { sha256sum redis.rdb && find files -type f -print0 | xargs -0 -r sha256sum; } \
  >SHA256SUMS)
bad=$(awk '{ sum = substr($0, 1, 64); path = substr($0, 67); n = split(path, p, "/")
             if (path != "redis.rdb" && sum != p[n]) print path }' "$work/SHA256SUMS")
[ -z "$bad" ] || die "stored files that do not match their SHA-256 (restore them from an older backup):
$bad"
count=$(($(wc -l <"$work/SHA256SUMS") - 1))
bytes=$(find "$work/files" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
cat >"$work/MANIFEST" <<EOF
format=certpath-backup-1
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
redis_keys_after_snapshot=$keys
files=$count
file_bytes=$bytes
EOF
rm -f "$work/redis-cli.log"
sync -f "$work" 2>/dev/null || sync
mv "$work" "$dest"
echo "$dest"
