#!/usr/bin/env bash
# End to end over the run command (scripts/run.sh), as its README user would:
# start it, read the tokens it prints, and drive a whole engagement through
# the gateway with curl — client and engagement, phases, stage 1 passed, the
# fee invoice issued by billing from the event, the accounting CSV, an API key
# for a partner, refusals — then Ctrl-C (SIGTERM) stops everything.
#   run_command_e2e.sh <repo root> <build dir>
set -euo pipefail
ROOT="$1"; BUILD="$2"
# The README's two commands are what a new reader runs: each must be there, on
# a code line of its own (a formatter run over README.md once broke them).
for c in ./scripts/run.sh ./scripts/test.sh; do
  grep -qxF "    $c" "$ROOT/README.md" || { echo "FAIL: README.md does not give '$c' as a command"; exit 1; }
done
STATE="$(mktemp -d)"
base=$((20000 + (RANDOM % 600) * 20))  # below the kernel's ephemeral ports (32768-)
export CERTPATH_BUILD_DIR="$BUILD" CERTPATH_STATE_DIR="$STATE" CERTPATH_DEMO_TENANT=e2e
export CERTPATH_ENGAGEMENTS_ADDR=127.0.0.1:$((base + 1)) CERTPATH_ENGAGEMENTS_METRICS=127.0.0.1:$((base + 2))
export CERTPATH_BILLING_ADDR=127.0.0.1:$((base + 3)) CERTPATH_BILLING_METRICS=127.0.0.1:$((base + 4))
export CERTPATH_GATEWAY_ADDR=127.0.0.1:$((base + 5)) CERTPATH_GATEWAY_GRPC=127.0.0.1:$((base + 6))
export CERTPATH_GATEWAY_METRICS=127.0.0.1:$((base + 7))
export CERTPATH_SCHEDULING_ADDR=127.0.0.1:$((base + 8)) CERTPATH_SCHEDULING_METRICS=127.0.0.1:$((base + 9))
export CERTPATH_DOCUMENTS_ADDR=127.0.0.1:$((base + 10)) CERTPATH_DOCUMENTS_METRICS=127.0.0.1:$((base + 11))
GW="http://$CERTPATH_GATEWAY_ADDR"
OUT="$STATE/run.out"

bash "$ROOT/scripts/run.sh" > "$OUT" 2>&1 &
RUN=$!
cleanup() { kill -TERM "$RUN" 2>/dev/null || true; wait "$RUN" 2>/dev/null || true; rm -rf "$STATE"; }
trap cleanup EXIT
for _ in $(seq 600); do
  grep -q "Ctrl-C stops everything" "$OUT" && break
  kill -0 "$RUN" 2>/dev/null || { echo "run.sh exited:"; cat "$OUT"; exit 1; }
  sleep 0.2
done
grep -q "Ctrl-C stops everything" "$OUT" || { echo "run.sh did not come up:"; cat "$OUT"; exit 1; }

fail() { echo "FAIL: $*"; echo "--- run.sh said:"; cat "$OUT"; tail -n 20 "$STATE"/log/*.log; exit 1; }
field() { sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" | head -1; }
token() { sed -n "s/^  $1 *\\([^ ]*\\)$/\\1/p" "$OUT"; }
ADMIN=$(token "office admin"); CLIENT_TOKEN=$(token client); PARTNER=$(token partner)
[ -n "$ADMIN" ] && [ -n "$CLIENT_TOKEN" ] && [ -n "$PARTNER" ] || fail "no tokens printed"
ENGAGEMENT=$(sed -n 's/^demo engagement *\([^ ]*\) .*/\1/p' "$OUT")
[ -n "$ENGAGEMENT" ] || fail "no demo engagement printed"

# call METHOD PATH TOKEN [BODY] → body in $BODY, status in $STATUS
call() {
  local args=(-s -o "$STATE/body" -w '%{http_code}' -X "$1" "$GW$2")
  [ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
  [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' -d "$4")
  STATUS=$(curl "${args[@]}"); BODY=$(cat "$STATE/body")
}
expect() { [ "$STATUS" = "$1" ] || fail "$2: HTTP $STATUS, wanted $1: $BODY"; echo "ok  $STATUS  $2"; }

call GET "/v1/$ENGAGEMENT" "$ADMIN"; expect 200 "the office reads the demo engagement"
grep -q '"phase": *"PHASE_PREPARATION"\|"phase":"PHASE_PREPARATION"' <<<"$BODY" || fail "phase: $BODY"
call GET "/v1/$ENGAGEMENT" "$CLIENT_TOKEN"; expect 200 "the client reads its engagement"
call GET "/v1/$ENGAGEMENT" ""; expect 401 "no credentials"
call GET "/v1/nowhere" "$ADMIN"; expect 404 "an unknown path"
call DELETE "/v1/$ENGAGEMENT:advancePhase" "$ADMIN"; expect 405 "a known path, the wrong method"

# A new client and engagement, Japanese text end to end.
call POST "/v1/tenants/e2e/clients" "$ADMIN" '{"displayName":"株式会社イーツーイー","departments":["情報システム部"]}'
expect 200 "create a client"
grep -q "株式会社イーツーイー" <<<"$BODY" || fail "UTF-8 lost: $BODY"
CLIENT=$(field name <<<"$BODY")
call POST "/v1/tenants/e2e/engagements" "$ADMIN" \
  "{\"client\":\"$CLIENT\",\"standard\":\"ISO_IEC_27001_2022\",\"department\":\"情報システム部\",\"partnerOrganizations\":[\"partner-demo\"],\"supportStart\":{\"year\":2026,\"month\":4,\"day\":1}}"
expect 200 "create an engagement"
E=$(field name <<<"$BODY")
call POST "/v1/tenants/e2e/engagements" "$ADMIN" '{"client":"'"$CLIENT"'","unknownField":1}'
expect 400 "an unknown JSON field"
grep -q "unknownField" <<<"$BODY" || fail "the offending name is not named: $BODY"

# A quote accepted for it, then the phases up to stage 1, passed.
call POST "/v1/tenants/e2e/quotes" "$ADMIN" \
  "{\"engagement\":\"$E\",\"recipientName\":\"株式会社イーツーイー\",\"validUntil\":{\"year\":2026,\"month\":12,\"day\":31},\"lines\":[{\"kind\":\"LINE_KIND_CONSULTING_FEE\",\"description\":\"構築支援\",\"quantity\":1,\"unitPriceJpy\":\"600000\"}]}"
expect 200 "a quote"
Q=$(field name <<<"$BODY")
call POST "/v1/$Q:send" "$ADMIN" '{}'; expect 200 "the quote sent"
call POST "/v1/$Q:accept" "$ADMIN" '{}'; expect 200 "the quote accepted"
for _ in 1 2 3; do
  call POST "/v1/$E:advancePhase" "$ADMIN" '{"overrideReason":"e2e"}'; expect 200 "the next phase"
done
grep -q "PHASE_STAGE1_AUDIT" <<<"$BODY" || fail "not at stage 1: $BODY"
call POST "/v1/$E:recordAuditResult" "$ADMIN" \
  '{"stage":"AUDIT_STAGE_1","outcome":"AUDIT_OUTCOME_MAY_PROCEED","auditDate":{"year":2026,"month":11,"day":20}}'
expect 200 "stage 1 passed"

# Billing issues the fee invoice from the event (Stage1Passed), within seconds.
for _ in $(seq 100); do
  call GET "/v1/tenants/e2e/invoices?engagement=$E" "$ADMIN"
  grep -q '"invoices"' <<<"$BODY" && break
  sleep 0.2
done
expect 200 "the engagement's invoices"
grep -q '"invoices"' <<<"$BODY" || fail "no fee invoice after stage 1: $BODY"
grep -q '"660000"' <<<"$BODY" || fail "the fee with 10% tax is not 660000 yen: $BODY"
INVOICE=$(field name <<<"$BODY")

# The accounting CSV is a download (raw bytes, text/csv).
TODAY=$(TZ=Asia/Tokyo date +%Y-%m-%d)
IFS=- read -r Y M D <<<"$TODAY"
HEADERS=$(curl -s -D - -o "$STATE/export.csv" -H "Authorization: Bearer $ADMIN" \
  "$GW/v1/tenants/e2e/invoices:export?from.year=$Y&from.month=$((10#$M))&from.day=1&to.year=$Y&to.month=$((10#$M))&to.day=$((10#$D))")
grep -qi '^content-type: text/csv' <<<"$HEADERS" || fail "export content type: $HEADERS"
head -1 "$STATE/export.csv" | grep -q "収支区分" || fail "export body: $(head -2 "$STATE/export.csv")"
grep -q "^収入,INV-.*株式会社イーツーイー" "$STATE/export.csv" || fail "the fee invoice is not in the CSV: $(cat "$STATE/export.csv")"
echo "ok  200  the accounting CSV ($(wc -l < "$STATE/export.csv") lines)"

# An API key for the partner's program: sees its engagements, not the office's tools.
call POST "/v1/tenants/e2e/apiKeys" "$ADMIN" \
  '{"displayName":"partner sync","role":"ROLE_PARTNER","organization":"partner-demo","subject":"sync@partner"}'
expect 200 "an API key"
KEY=$(field key <<<"$BODY")
[[ "$KEY" == cpk_* ]] || fail "key: $BODY"
call GET "/v1/$E" "$KEY"; expect 200 "the partner's key reads its engagement"
call GET "/v1/$INVOICE" "$KEY"; expect 200 "the partner's key reads its engagement's invoice"
call POST "/v1/tenants/e2e/clients" "$KEY" '{"displayName":"株式会社パートナー"}'
expect 403 "the partner's key may not create clients"
call POST "/v1/tenants/e2e/apiKeys" "$KEY" '{"displayName":"x","role":"ROLE_OFFICE_ADMIN","subject":"x"}'
expect 403 "a key cannot make keys"
call GET "/openapi.json" ""; expect 200 "the OpenAPI document"

# Scheduling: the demo's first visit, seen by the client; the consultant's calendar feed
# read with no credential and parsed by an independent parser (python3-icalendar).
call GET "/v1/tenants/e2e/visits?engagement=$ENGAGEMENT" "$CLIENT_TOKEN"
expect 200 "the client lists its engagement's visits"
grep -q "VISIT_KIND_INCLUDED_1" <<<"$BODY" || fail "the demo visit is not listed: $BODY"
call POST "/v1/tenants/e2e/visits" "$PARTNER" "{\"engagement\":\"$ENGAGEMENT\",\"kind\":\"VISIT_KIND_OPTION_A\"}"
expect 403 "a partner may not book visits"
call GET "/v1/tenants/e2e/deadlines?engagement=$ENGAGEMENT" "$ADMIN"
expect 200 "the engagement's deadlines"
grep -q "DEADLINE_KIND_SUPPORT_END" <<<"$BODY" || fail "no support-end deadline: $BODY"
FEED=$(sed -n 's/^calendar feed *\(http[^ ]*\) .*/\1/p' "$OUT")
[[ "$FEED" == "$GW/v1/feeds/"*.ics ]] || fail "no calendar feed printed: $FEED"
HEADERS=$(curl -s -D - -o "$STATE/feed.ics" "$FEED")
grep -qi '^content-type: text/calendar' <<<"$HEADERS" || fail "feed content type: $HEADERS"
/usr/bin/python3 - "$STATE/feed.ics" <<'PY' || fail "the feed does not parse: $(cat "$STATE/feed.ics")"
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
assert any(s.startswith("第1回訪問") for s in summaries), summaries
assert cal.walk("VTIMEZONE"), "no VTIMEZONE"
PY
echo "ok  200  the calendar feed, without credentials, parsed"

# Documents: the client creates its own document and uploads a file as the request body (a
# google.api.HttpBody route); the bytes come back the same, with their type and name.
call POST "/v1/$ENGAGEMENT/documents" "$CLIENT_TOKEN" '{"title":"情報資産台帳","kind":"TEMPLATE_KIND_RECORD_FORM"}'
expect 200 "the client creates a document"
DOC=$(field name <<<"$BODY")
printf '%%PDF-1.7\n%% 情報資産台帳 e2e\n%%%%EOF\n' > "$STATE/upload.pdf"
STATUS=$(curl -s -o "$STATE/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $CLIENT_TOKEN" \
  -H "Content-Type: application/pdf" --data-binary @"$STATE/upload.pdf" \
  "$GW/v1/$DOC/versions?fileName=%E5%8F%B0%E5%B8%B3.pdf&changeNote=e2e")
BODY=$(cat "$STATE/body"); expect 200 "a file uploaded as the request body"
VERSION=$(field name <<<"$BODY")
grep -q "\"$(sha256sum "$STATE/upload.pdf" | cut -d' ' -f1)\"" <<<"$BODY" || fail "sha256: $BODY"
HEADERS=$(curl -s -D - -o "$STATE/download.pdf" -H "Authorization: Bearer $PARTNER" "$GW/v1/$VERSION:download")
cmp -s "$STATE/upload.pdf" "$STATE/download.pdf" || fail "the download differs from the upload"
grep -qi '^content-type: application/pdf' <<<"$HEADERS" || fail "download type: $HEADERS"
grep -qi "^content-disposition: attachment; .*filename\*=UTF-8''%E5%8F%B0%E5%B8%B3.pdf" <<<"$HEADERS" ||
  fail "download name: $HEADERS"
echo "ok  200  the partner downloads the same bytes"
STATUS=$(curl -s -o "$STATE/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $CLIENT_TOKEN" \
  -H "Content-Type: application/pdf" --data-binary 'MZ not a pdf' "$GW/v1/$DOC/versions?fileName=x.pdf")
BODY=$(cat "$STATE/body"); expect 400 "a file that is not what its name says"
call POST "/v1/$VERSION:submitForReview" "$CLIENT_TOKEN" '{}'; expect 200 "the client submits it for review"
call POST "/v1/$VERSION:decideReview" "$CLIENT_TOKEN" '{"decision":"REVIEW_DECISION_APPROVE"}'
expect 403 "the client may not approve"

# The support specification of the demo engagement, printed to PDF by headless Chromium
# (Debian's chromium, from install-deps) and read back with pdftotext.
curl -s -o "$STATE/spec.html" -H "Authorization: Bearer $CLIENT_TOKEN" "$GW/v1/$ENGAGEMENT/supportSpecification"
grep -q "マネジメントシステム構築支援仕様書" "$STATE/spec.html" || fail "spec: $(head -c 300 "$STATE/spec.html")"
HOME="$STATE" timeout 120 chromium --headless=new --no-sandbox --disable-gpu --no-pdf-header-footer \
  --user-data-dir="$STATE/chromium" --print-to-pdf="$STATE/spec.pdf" "file://$STATE/spec.html" \
  > "$STATE/chromium.log" 2>&1 || fail "chromium: $(tail -5 "$STATE/chromium.log")"
PAGES=$(pdfinfo "$STATE/spec.pdf" | sed -n 's/^Pages: *//p')
pdfinfo "$STATE/spec.pdf" | grep -q "(A4)" || fail "not A4: $(pdfinfo "$STATE/spec.pdf")"
[ "${PAGES:-0}" -ge 3 ] || fail "the specification has $PAGES pages, wanted the cover, the body and 別紙1"
pdftotext "$STATE/spec.pdf" "$STATE/spec.txt"
REF=$(sed -n 's/^demo engagement *[^ ]* (\(.*\))$/\1/p' "$OUT")
for want in "株式会社デモ" "情報システム部" "山田 太郎" "$REF" "本書の作成目的" "別紙1" "内部監査チェック項目票"; do
  grep -q "$want" "$STATE/spec.txt" || fail "the PDF lacks \"$want\": $(head -40 "$STATE/spec.txt")"
done
echo "ok  200  the support specification printed to a $PAGES-page A4 PDF with its header"

# The logs: a JSON line for the refused call, never a token or a key.
grep -q '"status":"401".*"request_id":"[0-9a-f-]\{36\}"' "$STATE/log/gateway.log" ||
  fail "no access-log line for the 401"
for secret in "$ADMIN" "$CLIENT_TOKEN" "$KEY"; do
  if grep -qF "$secret" "$STATE"/log/*.log; then fail "a credential is in the logs"; fi
done
echo "ok  the logs have the refused call and no credentials"

# Stopping it (what Ctrl-C does): every process stops, nothing keeps listening.
kill -TERM "$RUN"  # Ctrl-C in a terminal; a background job ignores SIGINT
wait "$RUN" || true
trap 'rm -rf "$STATE"' EXIT
grep -q "stopped." "$OUT" || fail "run.sh did not stop cleanly"
for addr in "$CERTPATH_GATEWAY_ADDR" "$CERTPATH_ENGAGEMENTS_ADDR" "$CERTPATH_BILLING_ADDR" \
  "$CERTPATH_SCHEDULING_ADDR" "$CERTPATH_DOCUMENTS_ADDR"; do
  if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then fail "$addr still listens"; fi
done
echo "ok  the run command stopped everything"
