#!/usr/bin/env bash
# The HTTP service from the shell. Start it and make a key first:
#   quyche keys create --party "Ban Tổ chức Tỉnh ủy"      # prints the key once
#   quyche serve                                         # http://127.0.0.1:8000
# then: QUYCHE_KEY=qk_... bash examples/clients/curl.sh
set -euo pipefail
URL="${QUYCHE_URL:-http://127.0.0.1:8000}"
AUTH="Authorization: Bearer ${QUYCHE_KEY:?set QUYCHE_KEY to a key from quyche keys create}"
HERE="$(dirname "$0")"

# who must do what for one event: obligations and the decision receipt
curl -sS -H "$AUTH" -H 'Content-Type: application/json' \
  --data @"$HERE/event.json" "$URL/v1/notify"
echo
# the same for several events at once (up to 100; one receipt each)
curl -sS -H "$AUTH" -H 'Content-Type: application/json' \
  --data "{\"events\": [$(cat "$HERE/event.json")]}" "$URL/v1/notify/batch"
echo
# every rule that binds a body
curl -sS -H "$AUTH" "$URL/v1/duties/ban_to_chuc_tinh_uy"
echo
# 7 working days after receipt (Art. 3.1), holidays and swapped Saturdays counted
curl -sS -H "$AUTH" "$URL/v1/deadline?received=2026-02-13&days=7"
echo
# one rule, one clause, the coverage of the text, the event schema
curl -sS -H "$AUTH" "$URL/v1/rules/art3.1.respond"
echo
curl -sS -H "$AUTH" "$URL/v1/clauses/5.2.a"
echo
# the tracker: what this key's body owes and is owed on a date (same JSON as
# `quyche track status --json`), and its open deadlines as an iCalendar feed
curl -sS -H "$AUTH" "$URL/v1/track/status?as_of=2026-02-20"
echo
curl -sS -H "$AUTH" "$URL/v1/track/ics?as_of=2026-02-20"
echo
# recording the request needs a key of its sender (the requester, Đảng ủy Khối):
#   QUYCHE_KEY=<key made with --party "Đảng ủy Khối">
#   curl -sS -H "$AUTH" -H 'Content-Type: application/json' \
#     --data @"$HERE/event.json" "$URL/v1/track"
# one case and its history (a case id from the answer of POST /v1/track)
# curl -sS -H "$AUTH" "$URL/v1/track/cases/<case_id>"
# a decision read back from the log (use a decision_id from a receipt above)
# curl -sS -H "$AUTH" "$URL/v1/decisions/<decision_id>"
curl -sS "$URL/healthz"
echo
