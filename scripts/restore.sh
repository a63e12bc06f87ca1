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
# No password is needed: the temporary redis-server listens on a private
# socket only. What is restored is owned like the directories it goes into.
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
bad=$(cd "$FROM" && find files -type f -print0 | xargs -0 -r sha256sum |
  awk '{ sum = substr($0, 1, 64); path = substr($0, 67); n = split(path, p, "/")
         if (sum != p[n]) print path }')
[ -z "$bad" ] || die "files in the backup that do not match their SHA-256:
$bad"

# 2. Nothing is overwritten: no Redis data (an RDB, an AOF, an AOF
# directory, under the configuration's names too) in --redis-dir.
conf_value() { [ -z "$CONF" ] || awk -v k="$1" '$1 == k { gsub(/"/, "", $2); print $2 }' "$CONF"; }
AOFDIR=$(conf_value appenddirname | tail -n 1)
AOFDIR=${AOFDIR:-appendonlydir}
case "$AOFDIR" in
  */* | . | ..) die "appenddirname $AOFDIR in $CONF: a name, not a path (as Redis requires)" ;;
esac
mkdir -p "$RDIR" "$FILES"
found=$(find "$RDIR" -maxdepth 2 \( -name '*.rdb' -o -name '*.aof' -o -name '*.manifest' \
  -o -path "$RDIR/$AOFDIR" \) -print -quit)
[ -z "$found" ] || die "$found exists: Redis data is there already; move it away first"
if [ -n "$(find "$FILES" -mindepth 1 -maxdepth 1 ! -name tmp -print -quit)" ]; then
  die "$FILES holds files already; move them away first"
fi

# A failure from here on leaves both places as they were (empty of data), so
# the restore can run again.
sock="$RDIR/restore.$$.sock" pid=""
cleanup() {
  [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
  [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
  rm -rf "${RDIR:?}/dump.rdb" "$sock" "${RDIR:?}/${AOFDIR:?}"
  find "$FILES" -mindepth 1 -maxdepth 1 ! -name tmp -exec rm -rf {} +
}
trap cleanup EXIT

# 3. The files.
tar -C "$FROM/files" -cf - . | tar -C "$FILES" -xf -
sync -f "$FILES" 2>/dev/null || sync

# 4. Redis: the snapshot loaded, written out as the AOF.
cp "$FROM/redis.rdb" "$RDIR/dump.rdb"
# Private: no TCP port, a socket only its owner opens, so no password.
args=(--port 0 --unixsocket "$sock" --unixsocketperm 700 --dir "$RDIR" --dbfilename dump.rdb
  --appendonly no --appenddirname "$AOFDIR" --save "" --daemonize no --requirepass ""
  --logfile "$RDIR/restore.log")
redis-server ${CONF:+"$CONF"} "${args[@]}" &
pid=$!
cli() { redis-cli -s "$sock" "$@"; }
# As long as it takes (a large dataset loads for minutes), while it runs.
until [ "$(cli PING 2>/dev/null)" = PONG ] &&
  [ "$(cli INFO persistence | tr -d '\r' | sed -n 's/^loading://p')" = 0 ]; do
  kill -0 $pid 2>/dev/null || die "redis-server stopped: $(tail -n 3 "$RDIR/restore.log")"
  sleep 0.2
done
keys=$(cli DBSIZE)
[ "$keys" -gt 0 ] || die "the snapshot loaded no keys"
[ "$(cli CONFIG SET appendonly yes)" = OK ] || die "CONFIG SET appendonly yes failed"
while :; do
  state=$(cli INFO persistence | tr -d '\r')
  if grep -qx 'aof_enabled:1' <<<"$state" && grep -qx 'aof_rewrite_in_progress:0' <<<"$state" &&
    grep -qx 'aof_rewrite_scheduled:0' <<<"$state"; then
    break
  fi
  kill -0 $pid 2>/dev/null || die "redis-server stopped: $(tail -n 3 "$RDIR/restore.log")"
  sleep 0.2
done
grep -qx 'aof_last_bgrewrite_status:ok' <<<"$state" && grep -qx 'aof_enabled:1' <<<"$state" ||
  die "Redis did not write its AOF: $(tail -n 3 "$RDIR/restore.log")"
# SIGTERM: Redis flushes and fsyncs its AOF and exits (SHUTDOWN may be renamed).
kill -TERM $pid
wait $pid || die "redis-server did not shut down cleanly: $(tail -n 3 "$RDIR/restore.log")"
pid=""
trap - EXIT
rm -f "$RDIR/dump.rdb" "$sock" "$RDIR/restore.log"
# Owned like the directories they were restored into (a restore run as root
# for a Redis and a documents service that run as their own users).
if [ "$(id -u)" = 0 ]; then
  chown -R --reference="$RDIR" "$RDIR/$AOFDIR"
  find "$FILES" -mindepth 1 -maxdepth 1 ! -name tmp -exec chown -R --reference="$FILES" {} +
fi

count=$(find "$FROM/files" -type f | wc -l)
echo "restored $keys Redis keys and $count files from $FROM;" \
  "start Redis with its configuration on $RDIR, then the services"
