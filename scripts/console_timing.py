#!/usr/bin/env python3
"""Times what each operator console page asks of a running `iou serve` (BENCHMARKS.md,
"Operator console page loads"): the shell (the page, its style sheet, its ten modules and
GET /v1/operators/me), the queues (every list the page shows), a customer 360 (with its
transactions and their decisions and its devices and links), the dashboards (readiness,
metrics, the queue counts and the portfolio), an audit page and an audit verify, each
as its requests made one after another over fresh connections (a browser makes some of them
in parallel, so this is the slower bound), 10 runs each, median and max.

Usage: console_timing.py HOST:PORT BOOTSTRAP_TOKEN CUSTOMER_ID [AUDIT_RECORDS_TO_ADD]
A fresh store (the demo's: `iou simulate --serve`) whose bootstrap token still works: it makes
an operator with the console's roles and logs it in through the console login (TOTP computed
here). AUDIT_RECORDS_TO_ADD customer-token rotations first grow the audit log.
"""
import base64, hashlib, hmac, http.client, json, statistics, struct, sys, time, uuid

HOST, PORT = sys.argv[1].split(":")
TOKEN, CUSTOMER = sys.argv[2], sys.argv[3]
GROW = int(sys.argv[4]) if len(sys.argv) > 4 else 0


def req(method, path, body=None, headers=None):
    c = http.client.HTTPConnection(HOST, int(PORT), timeout=60)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Content-Type": "application/json", **(headers or {})})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def totp(secret):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    d = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    o = d[19] & 0xF
    return "%06d" % ((struct.unpack(">I", d[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


password = "timing-password-0123"
roles = ["admin", "analyst", "fraud", "support", "auditor", "credit_officer"]
s, _, b = req("POST", "/v1/operators/bootstrap", {"name": "timing", "password": password, "roles": roles},
              {"Authorization": "Bearer " + TOKEN, "Idempotency-Key": str(uuid.uuid4())})
assert s == 201, b
secret = json.loads(b)["totp_secret"]
s, h, b = req("POST", "/v1/operators/console/login", {"name": "timing", "password": password, "totp": totp(secret)},
              {"X-IOU-Console": "1"})
assert s == 200, b
auth = {"Cookie": h["set-cookie"].split(";")[0], "X-IOU-Console": "1"}
for _ in range(GROW):
    s, _, b = req("POST", "/v1/customers/%s/token/rotate" % CUSTOMER, {}, {**auth, "Idempotency-Key": str(uuid.uuid4())})
    assert s in (200, 201), b

c = "/v1/customers/" + CUSTOMER
assets = ["/console/", "/console/console.css"] + [
    "/console/js/%s.js" % n for n in ["app", "api", "dom", "login", "queues", "customer", "audit", "rules",
                                       "dashboard", "portfolio"]]
pages = {
    "shell (page, css, 10 modules, /me)": [(a, False) for a in assets] + [("/v1/operators/me", True)],
    "queues (approvals, open cases, limit requests, applications)": [
        (p, True) for p in ["/v1/approvals?status=pending", "/v1/cases?status=open",
                            "/v1/temporary-limit-requests?status=pending", "/v1/applications?status=review"]],
    "customer 360 (line, statements, plans, cases, transactions, devices)": [
        (p, True) for p in [c, c + "/statements", c + "/plans", c + "/cases", c + "/transactions?limit=20", c + "/devices"]],
    "dashboards (readyz, metrics, queue counts, portfolio)": [("/readyz", False), ("/metrics", False)] + [
        (p, True) for p in ["/v1/case-queues", "/v1/applications?status=review",
                            "/v1/temporary-limit-requests?status=pending", "/v1/approvals?status=pending&limit=500",
                            "/v1/portfolio"]],
    "audit (a page of 100 records)": [("/v1/audit?limit=100", True)],
    "audit verify (the whole chain)": [("/v1/audit/verify", True)],
}
for name, calls in pages.items():
    runs = []
    for _ in range(10):
        t0 = time.perf_counter()
        for path, authed in calls:
            s, _, b = req("GET", path, headers=auth if authed else {})
            assert s == 200, (path, s, b[:200])
        runs.append((time.perf_counter() - t0) * 1000)
    print("%-48s median %6.1f ms  max %6.1f ms  (%d requests)" % (name, statistics.median(runs), max(runs), len(calls)))
