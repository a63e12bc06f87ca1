#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh, with Redis and every service
# stopped.
#
#   scripts/restore.sh --from=BACKUP --redis-dir=DIR --files=DIR
#                      [--redis-conf=FILE]
#
#   --from        the backup directory (certpath-backup-<time>)
#   --redis-dir   Redis's `dir` (it must hold no data: move it away first)
#   --files       the documents service's --data-dir (must hold no files)
#   --redis-conf  Redis's configuration, when appenddirname or
#                 appendfilename are not the defaults
#
# The backup is checked first (the snapshot's SHA-256, every file against
# its name; every file SHA256SUMS lists present). The files are copied, then
# Redis: it runs with appendonly, which ignores an RDB at start, so
# the snapshot is loaded by a temporary redis-server without it, which then
# turns appendonly on (CONFIG SET: Redis writes its AOF from the data) and
# shuts down. Start Redis with its own configuration on --redis-dir
# afterwards, then the services.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "restore: $*" >&2
  exit 1
}

FROM="" RDIR="" FILES="" CONF=""
for arg in "$@"; do
  case "$arg" in
    --from=*) FROM="${arg#*=}" ;;
    --redis-dir=*) RDIR="${arg#*=}" ;;
    --files=*) FILES="${arg#*=}" ;;
    --redis-conf=*) CONF="${arg#*=}" ;;
    -h | --help) usage ;;
    *) echo "restore: unknown argument $arg" >&2 && usage ;;
  esac
done
[ -n "$FROM" ] && [ -n "$RDIR" ] && [ -n "$FILES" ] || usage
command -v redis-server >/dev/null || die "redis-server not found"
umask 077
# redis-server changes into its dir: every path absolute.
FROM=$(realpath -m -- "$FROM") RDIR=$(realpath -m -- "$RDIR") FILES=$(realpath -m -- "$FILES")
[ -z "$CONF" ] || CONF=$(realpath -m -- "$CONF")
[ -f "$FROM/MANIFEST" ] && grep -qx 'format=certpath-backup-1' "$FROM/MANIFEST" ||
  die "$FROM is not a certpath backup (no MANIFEST of format certpath-backup-1)"
[ -f "$FROM/redis.rdb" ] && [ -d "$FROM/files" ] && [ -s "$FROM/SHA256SUMS" ] ||
  die "$FROM is incomplete (redis.rdb, files/ and SHA256SUMS are needed)"

# 1. The backup is whole: the snapshot and every file listed, none missing or
# changed, and each file named by its SHA-256.
grep -q '  redis\.rdb$' "$FROM/SHA256SUMS" || die "$FROM/SHA256SUMS does not list redis.rdb"
if ! failed=$(cd "$FROM" && sha256sum --quiet --strict -c SHA256SUMS 2>&1); then
  die "the backup does not match its SHA256SUMS:
$failed"
fi
bad=$(find "$FROM/files" -type f -print0 | xargs -0 -r sha256sum |
  awk '{ n = split($2, p, "/"); if ($1 != p[n]) print $2 }')
[ -z "$bad" ] || die "files in the backup that do not match their SHA-256:
$bad"

# 2. Nothing is overwritten.
mkdir -p "$RDIR" "$FILES"
for f in "$RDIR"/dump.rdb "$RDIR"/appendonly*; do
  [ ! -e "$f" ] || die "$f exists: Redis data is there already; move it away first"
done
if [ -n "$(find "$FILES" -mindepth 1 -maxdepth 1 ! -name tmp -print -quit)" ]; then
  die "$FILES holds files already; move them away first"
fi

# A failure from here on leaves both places as they were (empty of data), so
# the restore can run again.
sock="$RDIR/restore.$$.sock" pid=""
cleanup() {
  [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
  [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
  rm -rf "$RDIR/dump.rdb" "$sock" "$RDIR"/appendonly*
  find "$FILES" -mindepth 1 -maxdepth 1 ! -name tmp -exec rm -rf {} +
}
trap cleanup EXIT

# 3. The files.
tar -C "$FROM/files" -cf - . | tar -C "$FILES" -xf -
sync -f "$FILES" 2>/dev/null || sync

# 4. Redis: the snapshot loaded, written out as the AOF.
cp "$FROM/redis.rdb" "$RDIR/dump.rdb"
args=(--port 0 --unixsocket "$sock" --unixsocketperm 700 --dir "$RDIR" --dbfilename dump.rdb
  --appendonly no --save "" --daemonize no --logfile "$RDIR/restore.log")
redis-server ${CONF:+"$CONF"} "${args[@]}" &
pid=$!
cli() { redis-cli -s "$sock" "$@"; }
for _ in $(seq 1 600); do
  [ "$(cli PING 2>/dev/null)" = PONG ] && [ "$(cli INFO persistence | tr -d '\r' |
    sed -n 's/^loading://p')" = 0 ] && break
  kill -0 $pid 2>/dev/null || die "redis-server stopped: $(tail -n 3 "$RDIR/restore.log")"
  sleep 0.1
done
keys=$(cli DBSIZE)
[ "$keys" -gt 0 ] || die "the snapshot loaded no keys"
[ "$(cli CONFIG SET appendonly yes)" = OK ] || die "CONFIG SET appendonly yes failed"
state=""
for _ in $(seq 1 3000); do
  state=$(cli INFO persistence | tr -d '\r')
  if grep -qx 'aof_enabled:1' <<<"$state" && grep -qx 'aof_rewrite_in_progress:0' <<<"$state" &&
    grep -qx 'aof_rewrite_scheduled:0' <<<"$state"; then
    break
  fi
  sleep 0.1
done
grep -qx 'aof_last_bgrewrite_status:ok' <<<"$state" && grep -qx 'aof_enabled:1' <<<"$state" ||
  die "Redis did not write its AOF: $(tail -n 3 "$RDIR/restore.log")"
cli SHUTDOWN >/dev/null 2>&1 || true
wait $pid || true
pid=""
trap - EXIT
rm -f "$RDIR/dump.rdb" "$sock" "$RDIR/restore.log"

count=$(find "$FROM/files" -type f | wc -l)
echo "restored $keys Redis keys and $count files from $FROM;" \
  "start Redis with its configuration on $RDIR, then the services"
