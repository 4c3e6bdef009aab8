#!/usr/bin/env bash
# Fuzzes a running `iou serve` against its own OpenAPI document with schemathesis (pinned in
# scripts/schemathesis/requirements.txt, installed into a venv under target/). Fails on any
# 5xx, on a response that does not match the document (status, content type, schema), and on a
# request the server accepts that the document says is invalid. Bounded by IOU_FUZZ_SECONDS
# (default 150 s of fuzzing) so the whole test run stays well within CI's time.
#
# The server runs on a fresh data dir (sealed with a fresh key file) with the default rules. The
# script uses the bootstrap token once to create an operator holding every role, logs it in
# (TOTP computed here), and gives schemathesis that session, so it calls the operator routes
# authenticated; merchant routes answer 401 (their signature cannot be made by a generic
# fuzzer), which the document allows. The four calls that would end the fuzzer's own access
# (logout, disabling an operator, setting roles, revoking an API key) are not fuzzed: their
# refusals and effects are tested in crates/api/tests/api/operators.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${IOU_FUZZ_SECONDS:-150}"
venv="target/schemathesis-venv"
requirements="scripts/schemathesis/requirements.txt"
stamp="$venv/.installed-$(sha256sum "$requirements" | cut -c1-16)"

if [ ! -f "$stamp" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  for attempt in 1 2 3; do
    if "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"; then
      touch "$stamp"
      break
    fi
    echo "schemathesis: pip install failed (attempt $attempt)" >&2
    sleep 5
  done
  [ -f "$stamp" ] || { echo "schemathesis: could not install $requirements" >&2; exit 1; }
fi

cargo build --quiet --locked -p iou
data="$(mktemp -d)"
log="$data/serve.log"
token="op_schemathesis_$(date +%s)_fuzz"
cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

target/debug/iou keys init --out "$data/keys" >/dev/null
IOU_ADMIN_TOKEN="$token" target/debug/iou serve --data "$data/store" --listen 127.0.0.1:0 \
  --rules rules --key-file "$data/keys" --auth-failures-per-minute 1000000 >"$data/stdout" 2>"$log" &
pid=$!
url=""
for _ in $(seq 1 300); do
  url="$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$data/stdout" | head -n 1)"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "iou serve exited:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "iou serve did not start" >&2; cat "$log" >&2; exit 1; }

session="$(python3 - "$url" "$token" <<'PY'
import base64, hashlib, hmac, json, struct, sys, time, urllib.request
url, token = sys.argv[1], sys.argv[2]
def post(path, body, headers):
    request = urllib.request.Request(url + path, json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)
password = "schemathesis-password-0123"
roles = ["admin", "support", "analyst", "fraud", "credit_officer", "rules_admin", "auditor"]
made = post("/v1/operators/bootstrap", {"name": "fuzzer", "password": password, "roles": roles},
            {"Authorization": "Bearer " + token, "Idempotency-Key": "fuzzer-bootstrap"})
secret = made["totp_secret"]
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
offset = digest[19] & 0xF
code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000
login = post("/v1/operators/login", {"name": "fuzzer", "password": password, "totp": "%06d" % code}, {})
print(login["token"])
PY
)"
[ -n "$session" ] || { echo "schemathesis: could not log the fuzzer's operator in" >&2; exit 1; }

# One worker: with two, hypothesis parses its own sources on two threads at once, and CPython
# 3.11 can fail that with "AST constructor recursion depth mismatch" (a runtime error of the tool,
# not of the server, seen on GET /v1/approvals). The auth-failure budget is lifted for this
# server (above): the fuzzer's unauthenticated probes would otherwise spend it and leave most
# operations answering 429 (the budget itself is tested in crates/api/tests/api/edge_policy.rs).
echo "schemathesis: fuzzing $url for ${seconds}s"
status=0
"$venv/bin/schemathesis" run "$url/openapi.json" \
  --url "$url" \
  --header "Authorization: Bearer $session" \
  --exclude-operation-id operator_logout \
  --exclude-operation-id disable_operator \
  --exclude-operation-id set_operator_roles \
  --exclude-operation-id revoke_api_key \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-time "$seconds" \
  --request-timeout 10 \
  --workers 1 \
  --seed 1 \
  --suppress-health-check all \
  --generation-database none \
  --no-color || status=$?
if [ "$status" -ne 0 ]; then
  echo "schemathesis found failures (exit $status); server log tail:" >&2
  tail -n 50 "$log" >&2
  exit "$status"
fi
echo "schemathesis: 1 passed, 0 failed"
