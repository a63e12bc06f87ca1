#!/usr/bin/env bash
# The run command: installs what is missing, builds, and runs certpath locally —
# a durable Redis, every service — with a demo tenant. Prints the endpoints and
# ready tokens. Ctrl-C stops everything cleanly (services drain, Redis fsyncs).
# State (Redis data, the signing key, logs) lives in ./.run and survives restarts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${CERTPATH_BUILD_DIR:-$ROOT/build}"
STATE="${CERTPATH_STATE_DIR:-$ROOT/.run}"
TENANT="${CERTPATH_DEMO_TENANT:-demo}"
ENGAGEMENTS_ADDR="${CERTPATH_ENGAGEMENTS_ADDR:-127.0.0.1:7101}"
ENGAGEMENTS_METRICS="${CERTPATH_ENGAGEMENTS_METRICS:-127.0.0.1:9101}"
DOCUMENTS_ADDR="${CERTPATH_DOCUMENTS_ADDR:-127.0.0.1:7102}"
DOCUMENTS_METRICS="${CERTPATH_DOCUMENTS_METRICS:-127.0.0.1:9102}"
SCHEDULING_ADDR="${CERTPATH_SCHEDULING_ADDR:-127.0.0.1:7103}"
SCHEDULING_METRICS="${CERTPATH_SCHEDULING_METRICS:-127.0.0.1:9103}"
BILLING_ADDR="${CERTPATH_BILLING_ADDR:-127.0.0.1:7104}"
BILLING_METRICS="${CERTPATH_BILLING_METRICS:-127.0.0.1:9104}"
GATEWAY_ADDR="${CERTPATH_GATEWAY_ADDR:-127.0.0.1:8080}"
GATEWAY_GRPC="${CERTPATH_GATEWAY_GRPC:-127.0.0.1:7100}"
GATEWAY_METRICS="${CERTPATH_GATEWAY_METRICS:-127.0.0.1:9100}"

"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh" certpath-engagements certpath-billing certpath-scheduling certpath-documents \
  certpath-gateway \
  certpath-admin certpath-demo

mkdir -p "$STATE/redis" "$STATE/log" "$STATE/files"
chmod 700 "$STATE"
KEY_FILE="$STATE/signing.key"
if [ ! -s "$KEY_FILE" ]; then
  (umask 077; "$BUILD/services/common/certpath-admin" new-key > "$KEY_FILE")
fi

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping…"
  # Services first (they drain), Redis last (SIGTERM: final fsync of the AOF).
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; wait "${pids[$i]}" 2>/dev/null || true; done
  echo "stopped."
}
trap stop INT TERM EXIT

# Headroom for connections: every process started below may open as many files
# as the hard limit allows (the services also raise their own soft limit).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

SOCK="$STATE/redis.sock"
redis-server "$ROOT/deploy/local/redis.conf" --dir "$STATE/redis" --unixsocket "$SOCK" \
  --unixsocketperm 700 --port 0 --daemonize no --logfile "$STATE/log/redis.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "redis-server did not start; see $STATE/log/redis.log" >&2; exit 1; }

"$BUILD/services/billing/certpath-billing" \
  --listen="$BILLING_ADDR" --metrics-listen="$BILLING_METRICS" \
  --redis-socket="$SOCK" --signing-key-file="$KEY_FILE" --engagements-target="$ENGAGEMENTS_ADDR" \
  >> "$STATE/log/billing.log" 2>&1 &
pids+=($!)
"$BUILD/services/scheduling/certpath-scheduling" \
  --listen="$SCHEDULING_ADDR" --metrics-listen="$SCHEDULING_METRICS" \
  --redis-socket="$SOCK" --signing-key-file="$KEY_FILE" \
  --engagements-target="$ENGAGEMENTS_ADDR" --billing-target="$BILLING_ADDR" \
  >> "$STATE/log/scheduling.log" 2>&1 &
pids+=($!)
"$BUILD/services/documents/certpath-documents" \
  --listen="$DOCUMENTS_ADDR" --metrics-listen="$DOCUMENTS_METRICS" --data-dir="$STATE/files" \
  --redis-socket="$SOCK" --signing-key-file="$KEY_FILE" \
  --engagements-target="$ENGAGEMENTS_ADDR" --billing-target="$BILLING_ADDR" \
  >> "$STATE/log/documents.log" 2>&1 &
pids+=($!)
"$BUILD/services/engagements/certpath-engagements" \
  --listen="$ENGAGEMENTS_ADDR" --metrics-listen="$ENGAGEMENTS_METRICS" \
  --redis-socket="$SOCK" --signing-key-file="$KEY_FILE" --billing-target="$BILLING_ADDR" \
  --scheduling-target="$SCHEDULING_ADDR" \
  >> "$STATE/log/engagements.log" 2>&1 &
pids+=($!)
for target in "$ENGAGEMENTS_ADDR" "$BILLING_ADDR" "$SCHEDULING_ADDR" "$DOCUMENTS_ADDR"; do
  "$BUILD/tools/certpath-demo" wait --target="$target" --timeout-seconds=30
done
"$BUILD/gateway/certpath-gateway" \
  --http-listen="$GATEWAY_ADDR" --listen="$GATEWAY_GRPC" --metrics-listen="$GATEWAY_METRICS" \
  --redis-socket="$SOCK" --signing-key-file="$KEY_FILE" \
  --engagements-target="$ENGAGEMENTS_ADDR" --billing-target="$BILLING_ADDR" \
  --scheduling-target="$SCHEDULING_ADDR" --documents-target="$DOCUMENTS_ADDR" \
  >> "$STATE/log/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/${GATEWAY_ADDR%:*}/${GATEWAY_ADDR##*:}") 2>/dev/null && break
  sleep 0.1
done

ADMIN="$BUILD/services/common/certpath-admin"
token() { "$ADMIN" token --signing-key-file="$KEY_FILE" --tenant="$TENANT" --ttl-minutes=720 "$@"; }
ADMIN_TOKEN=$(token --role=office_admin --subject=admin@demo)
SEED=$("$BUILD/tools/certpath-demo" seed --target="$ENGAGEMENTS_ADDR" \
         --token="$ADMIN_TOKEN" --tenant="$TENANT" --billing-target="$BILLING_ADDR" \
         --scheduling-target="$SCHEDULING_ADDR")
CLIENT=$(sed -n 's/^client=//p' <<<"$SEED")
ENGAGEMENT=$(sed -n 's/^engagement=//p' <<<"$SEED")
CONSULTANT_TOKEN=$(token --role=consultant --subject=consultant@demo)
PARTNER_TOKEN=$(token --role=partner --subject=partner@demo --organization=partner-demo)
CLIENT_TOKEN=$(token --role=client --subject=yamada@demo --organization="${CLIENT##*/}")

cat <<MSG

certpath is running (tenant "$TENANT").
  gateway HTTP/JSON  http://$GATEWAY_ADDR   (Authorization: Bearer <token or API key>; /openapi.json)
  gateway gRPC       $GATEWAY_GRPC   (metadata authorization: Bearer …; health, reflection)
  gateway /metrics   http://$GATEWAY_METRICS/metrics
  engagements gRPC   $ENGAGEMENTS_ADDR   (grpc.health.v1, reflection)
  engagements /metrics http://$ENGAGEMENTS_METRICS/metrics
  billing gRPC       $BILLING_ADDR   (certpath.billing.v1.BillingService)
  billing /metrics   http://$BILLING_METRICS/metrics
  documents gRPC     $DOCUMENTS_ADDR   (certpath.documents.v1.DocumentService; files in $STATE/files)
  documents /metrics http://$DOCUMENTS_METRICS/metrics
  scheduling gRPC    $SCHEDULING_ADDR   (certpath.scheduling.v1.SchedulingService)
  scheduling /metrics http://$SCHEDULING_METRICS/metrics
  redis              $SOCK (appendonly, appendfsync always)
  logs               $STATE/log/

demo client        $CLIENT
demo engagement    $ENGAGEMENT ($(sed -n 's/^reference_number=//p' <<<"$SEED"))
demo quote         $(sed -n 's/^quote=//p' <<<"$SEED") (accepted: passing stage 1 issues the fee invoice)
demo consultant    $(sed -n 's/^consultant=//p' <<<"$SEED") (consultant@demo; first visit booked on the next business day)
calendar feed      http://$GATEWAY_ADDR$(sed -n 's/^feed_path=//p' <<<"$SEED")   (subscribe in a calendar app; no other credential)

Tokens (metadata "x-certpath-principal", valid 12 h):
  office admin  $ADMIN_TOKEN
  consultant    $CONSULTANT_TOKEN
  partner       $PARTNER_TOKEN
  client        $CLIENT_TOKEN

Try (curl, through the gateway):
  curl -s -H "Authorization: Bearer \$TOKEN" http://$GATEWAY_ADDR/v1/$ENGAGEMENT
  curl -s -H "Authorization: Bearer \$TOKEN" "http://$GATEWAY_ADDR/v1/tenants/$TENANT/engagements?pageSize=10"
  curl -s -H "Authorization: Bearer \$TOKEN" http://$GATEWAY_ADDR/v1/tenants/$TENANT/invoices
  curl -s -X POST -H "Authorization: Bearer \$TOKEN" http://$GATEWAY_ADDR/v1/$ENGAGEMENT:advancePhase -d '{}'
  curl -s http://$GATEWAY_ADDR/openapi.json
  # scheduling: the engagement's visits; a paid option (half day) for the demo consultant
  curl -s -H "Authorization: Bearer \$TOKEN" "http://$GATEWAY_ADDR/v1/tenants/$TENANT/visits?engagement=$ENGAGEMENT"
  curl -s -X POST -H "Authorization: Bearer \$TOKEN" http://$GATEWAY_ADDR/v1/tenants/$TENANT/visits \
    -d '{"engagement":"$ENGAGEMENT","kind":"VISIT_KIND_OPTION_A","billableLength":"BILLABLE_LENGTH_HALF_DAY",
         "startTime":"2026-12-21T01:00:00Z","endTime":"2026-12-21T04:00:00Z","consultants":["<consultant>"]}'
  curl -s -H "Authorization: Bearer \$TOKEN" "http://$GATEWAY_ADDR/v1/tenants/$TENANT/deadlines?engagement=$ENGAGEMENT"
  # documents: the templates of 別紙1; upload a file as a new version of a document (the body is the file)
  curl -s -H "Authorization: Bearer \$TOKEN" http://$GATEWAY_ADDR/v1/tenants/$TENANT/templates
  curl -s -X POST -H "Authorization: Bearer \$TOKEN" -H "Content-Type: application/pdf" --data-binary @manual.pdf \
    "http://$GATEWAY_ADDR/v1/<document>/versions?fileName=manual.pdf&changeNote=first%20draft"
  # an API key for a partner program (shown once; office admin token):
  curl -s -X POST -H "Authorization: Bearer \$TOKEN" http://$GATEWAY_ADDR/v1/tenants/$TENANT/apiKeys \
    -d '{"displayName":"partner sync","role":"ROLE_PARTNER","organization":"partner-demo","subject":"sync@partner"}'
Or gRPC directly (grpcurl):
  grpcurl -plaintext -H "x-certpath-principal: \$TOKEN" -d '{"name":"$ENGAGEMENT"}' \\
    $ENGAGEMENTS_ADDR certpath.engagements.v1.EngagementService/GetEngagement
  grpcurl -plaintext -H "x-certpath-principal: \$TOKEN" -d '{"parent":"tenants/$TENANT"}' \\
    $BILLING_ADDR certpath.billing.v1.BillingService/ListInvoices
More tokens: $ADMIN token --signing-key-file=$KEY_FILE --tenant=$TENANT --role=consultant --subject=you@demo
Audit trail (every write, hash-chained; docs/audit-trail.md):
  $ADMIN audit verify --signing-key-file=$KEY_FILE --tenant=$TENANT --service=engagements --target=$ENGAGEMENTS_ADDR
Dead letters (events a consumer refused; docs/events.md):
  $ADMIN dead-letters list --signing-key-file=$KEY_FILE --tenant=$TENANT --producer=engagements --target=$ENGAGEMENTS_ADDR

Ctrl-C stops everything.
MSG
wait "${pids[@]}"
