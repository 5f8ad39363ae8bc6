#!/usr/bin/python3
"""ews-server's automatic reports end to end (issue 15, points 5 and 6).

The real ews-server, configured with an e-mail report to a real SMTP server (Debian's aiosmtpd,
sdk/reports/testdata/smtp_server.py, AUTH required) on loopback: the administrator's "send a test
report now" delivers it, GET /api/v1/reports/status and the audit log show the result, another
role is refused, the server process has no OpenSSL libcrypto/libssl nor libcurl mapped (the
report_sender helper delivers), and with the SMTP server down the route answers 502 and the
delivery stays queued with its error.
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ews_client  # noqa: E402

SMTP_SCRIPT = os.path.join(os.environ["TEST_SRCDIR"], "ews/sdk/reports/testdata/smtp_server.py")

checks = ews_client.Checks()
work = os.environ["TEST_TMPDIR"]
data = os.path.join(work, "data")
mail = os.path.join(work, "mail")
os.makedirs(mail)

server = ews_client.Server(data)  # the first start writes the factory configuration
server.stop()

smtp = subprocess.Popen(["/usr/bin/python3", SMTP_SCRIPT, "plain", "0", "-", "-", mail,
                         "reporter", "s3cret-pass"], stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, text=True)
smtp_port = int(smtp.stdout.readline())

config_path = os.path.join(data, "config.textproto")
with open(config_path) as f:
    config = f.read()
config = re.sub(r"(?ms)^reports \{.*?^\}\n", "", config)
config += """reports {
  email {
    enabled: true
    recipients: "ops@example.com"
    period: PERIOD_DAILY
    smtp { host: "127.0.0.1" port: %d tls_mode: TLS_MODE_NONE username: "reporter"
           password: "s3cret-pass" }
    from_address: "ews@example.com"
    send_at_minute: 360
  }
}
""" % smtp_port
with open(config_path, "w") as f:
    f.write(config)

server = ews_client.Server(data)
try:
    cookie, csrf = ews_client.logged_in_session(server)
    auth = {"Cookie": cookie, "X-CSRF-Token": csrf}

    status, _, body = server.request("GET", "/api/v1/reports/status", headers=auth)
    checks("status answers 200 with nothing pending", status == 200 and
           json.loads(body)["pending"] == [], "%d %s" % (status, body[:200]))

    status, _, body = server.request("POST", "/api/v1/reports/test?report=email", body="",
                                     headers=auth)
    checks("send a test report now: 200", status == 200, "%d %s" % (status, body[:300]))
    message = b""
    for _ in range(50):
        if os.path.exists(os.path.join(mail, "1.eml")):
            with open(os.path.join(mail, "1.eml"), "rb") as f:
                message = f.read()
            break
        time.sleep(0.1)
    checks("the e-mail reached the SMTP server (AUTH)", b"Subject: EWS: daily report" in message,
           message[:300])
    with open(os.path.join(mail, "1.eml.rcpt")) as f:
        checks("envelope: sender and recipient", f.read() == "ews@example.com\nops@example.com")

    status, _, body = server.request("GET", "/api/v1/reports/status", headers=auth)
    results = json.loads(body)["results"] if status == 200 else []
    checks("status shows the delivery ok", len(results) == 1 and results[0]["ok"] and
           results[0]["target"] == "smtp://127.0.0.1:%d" % smtp_port, body[:300])

    status, _, body = server.request("GET", "/api/v1/audit?limit=50", headers=auth)
    actions = [e["action"] + " " + e["outcome"] for e in json.loads(body)["entries"]]
    checks("audited: report.test and report.sent",
           "report.test ok" in actions and "report.sent ok" in actions, actions)

    with open("/proc/%d/maps" % server.process.pid) as f:
        maps = f.read()
    checks("no OpenSSL libssl.so.3/libcrypto.so.3 nor libcurl in ews-server",
           "libssl.so.3" not in maps and "libcrypto.so.3" not in maps and "libcurl" not in maps)

    status, _, _ = server.request("POST", "/api/v1/reports/test?report=nope", body="",
                                  headers=auth)
    checks("unknown report: 404", status == 404, status)
    status, _, _ = server.request("GET", "/api/v1/reports/status")
    checks("no session: 401", status == 401, status)

    # The outage: the SMTP server is down.
    smtp.terminate()
    smtp.wait(timeout=10)
    status, _, body = server.request("POST", "/api/v1/reports/test?report=email", body="",
                                     headers=auth, timeout=60)
    checks("SMTP down: 502 delivery_failed with the reason",
           status == 502 and b'"code":"delivery_failed"' in body and b"connect" in body.lower(),
           "%d %s" % (status, body[:300]))
    status, _, body = server.request("GET", "/api/v1/reports/status", headers=auth)
    pending = json.loads(body)["pending"] if status == 200 else []
    checks("the delivery stays queued with its error", len(pending) == 1 and
           pending[0]["attempts"] == 1 and pending[0]["last_error"] != "", body[:400])
    status, _, body = server.request("GET", "/api/v1/audit?limit=50", headers=auth)
    actions = [e["action"] + " " + e["outcome"][:6] for e in json.loads(body)["entries"]]
    checks("audited: report.failed", "report.failed failed" in actions, actions)

    # The configuration written in the pre-list form was migrated at start,
    # and a report added through the API is applied live: it can be sent now.
    status, _, body = server.request("GET", "/api/v1/config/reports", headers=auth)
    section = json.loads(body)["reports"] if status == 200 else {}
    checks("the legacy e-mail report was migrated to reports.list",
           [r["name"] for r in section.get("list", [])] == ["email"] and
           not section["email"]["enabled"], body[:300])
    section["list"].append({"name": "weekly-meters", "enabled": True, "period": "PERIOD_WEEKLY",
                            "send_at_minute": 420, "language": "REPORT_LANGUAGE_FRENCH",
                            "recipients": ["energy@example.com"]})
    status, _, body = server.request("PUT", "/api/v1/config/reports",
                                     body=json.dumps({"reports": section}),
                                     headers=dict(auth, **{"Content-Type": "application/json"}))
    answer = json.loads(body) if status == 200 else {}
    checks("a new report is applied live (no restart)", status == 200 and
           answer.get("applied_live") == ["reports"] and not answer.get("restart_required"),
           "%d %s" % (status, body[:300]))
    status, _, body = server.request("POST", "/api/v1/reports/test?report=weekly-meters",
                                     body="", headers=auth, timeout=60)
    checks("the new report is known at once (502: SMTP still down)",
           status == 502 and b"delivery_failed" in body, "%d %s" % (status, body[:300]))
    checks("the server is still up", server.alive())
finally:
    if smtp.poll() is None:
        smtp.terminate()
        smtp.wait(timeout=10)
    server.stop()
sys.exit(checks.finish(server.log_tail()))
