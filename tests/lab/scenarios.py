#!/usr/bin/python3
"""End-to-end scenarios in the containerized lab (lab/lab.py).

  tests/lab/scenarios.py RESULTS_DIR [SCENARIO...]     (default: all, in order)

Each scenario brings its topology up in a fresh lab (a private dockerd, the device image and the
lab image, virtual RS485 lines), checks the site from outside the device container (HTTPS from
the host, mbpoll from the host, the buses' control sockets), tears the lab down and writes
RESULTS_DIR/<scenario>.json (machine-readable) and RESULTS_DIR/<scenario>.txt (a human summary).
Every scenario is bounded (its own deadline; waits have timeouts). Exit status: 0 all passed,
1 a scenario failed, 77 containers cannot run here (each scenario is then recorded as skipped,
with the reason).
"""

import calendar
import gzip
import http.client
import json
import os
import re
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))
import lab as lablib  # noqa: E402

REPO = lablib.REPO
TOPOLOGIES = os.path.join(REPO, "lab", "topologies")


class Scenario:
    def __init__(self, name, topology, description):
        self.name = name
        self.topology = topology
        self.description = description
        self.checks = []
        self.measurements = {}
        self.lab = None

    def check(self, what, ok, detail=""):
        self.checks.append({"check": what, "ok": bool(ok), "detail": str(detail)[:2000]})
        print("  %s: %s%s" % ("ok" if ok else "FAIL", what, (" (%s)" % (detail,)) if detail and
                              not ok else ""), flush=True)
        return ok

    def measure(self, name, value):
        self.measurements[name] = value


# ------------------------------------------------------------------------ helpers


def mbpoll(host, *args, timeout=20):
    result = subprocess.run(["mbpoll", "-m", "tcp", "-1", "-o", "1"] + list(args) + [host],
                            capture_output=True, text=True, timeout=timeout)
    return result.stdout + result.stderr


def register_values(output):
    return [int(v) for v in re.findall(r"^\[\d+\]:\s+(-?\d+)", output, re.M)]


def devices_by_id(lab):
    return {d["id"]: d for d in lab.api("/api/v1/devices")["devices"]}


def wait_state(lab, device_id, online, timeout_s):
    """Waits until the device's `online` equals `online`; returns the seconds it took."""
    start = time.monotonic()
    lablib.wait_for("%s online=%s" % (device_id, online),
                    lambda: devices_by_id(lab).get(device_id, {}).get("online") == online,
                    timeout_s, 0.5)
    return round(time.monotonic() - start, 1)


def online_count(lab):
    return sum(1 for d in devices_by_id(lab).values() if d.get("online"))


def curl(*args, timeout=15):
    result = subprocess.run(["curl", "-s", "-k", "--max-time", "10"] + list(args),
                            capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout + result.stderr


class Client:
    """HTTPS to the device container from the host, with the session cookie and CSRF token of
    docs/api.md ("Session and users") once logged in."""

    def __init__(self, ip):
        self.ip = ip
        self.cookie = None
        self.csrf = None

    def call(self, method, path, body=None, headers=None):
        """Returns (status, headers as a lower-case dict, body bytes)."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(self.ip, 443, context=context, timeout=15)
        sent = dict(headers or {})
        if self.cookie:
            sent["Cookie"] = self.cookie
        if self.csrf and method not in ("GET", "HEAD"):
            sent["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            payload = response.read()
            got = {k.lower(): v for k, v in response.getheaders()}
            for header, value in response.getheaders():
                if header.lower() == "set-cookie" and value.startswith("__Host-ews_session="):
                    self.cookie = value.split(";")[0]
            return response.status, got, payload
        finally:
            connection.close()

    def json(self, method, path, body=None):
        """(status, decoded JSON); waits out the login rate limit (429 "retry in N s",
        at most 4 times)."""
        for _ in range(4):
            status, _, payload = self.call(method, path, body)
            try:
                answer = json.loads(payload or b"null")
            except ValueError:
                answer = {"raw": payload[:200].decode(errors="replace")}
            wait = re.search(r"retry in (\d+) s", str(answer)) if status == 429 else None
            if not wait:
                return status, answer
            time.sleep(int(wait.group(1)) + 0.5)
        return status, answer

    def login(self, role, pin):
        self.cookie = self.csrf = None
        status, answer = self.json("POST", "/api/v1/session/login", {"role": role, "pin": pin})
        if status == 200:
            self.csrf = answer["session"]["csrf_token"]
        return status, answer


FACTORY_PINS = {"administrator": "99999", "installer": "55555", "user": "11111"}  # config/defaults.h
NEW_CODES = {"administrator": ("24680", "24680 2468 02468"),
             "installer": (lablib.LAB_PIN, lablib.LAB_PUK),  # lab.py changed them already
             "user": ("36925", "36925 8147 36925")}


def logged_in(ip, role, changed=False):
    """A session of `role`; unless `changed`, its factory codes are changed first (the forced
    change of the first login)."""
    client = Client(ip)
    pin, puk = NEW_CODES[role]
    if changed:
        status, answer = client.login(role, pin)
        if status != 200:
            raise lablib.LabError("login %s: %d %s" % (role, status, answer))
        return client
    status, answer = client.login(role, FACTORY_PINS[role])
    if status != 200:
        raise lablib.LabError("login %s: %d %s" % (role, status, answer))
    status, answer = client.json("POST", "/api/v1/session/codes", {
        "current_pin": FACTORY_PINS[role], "new_pin": pin, "new_puk": puk})
    if status != 200:
        raise lablib.LabError("change codes %s: %d %s" % (role, status, answer))
    status, answer = client.login(role, pin)
    if status != 200:
        raise lablib.LabError("login %s with the new PIN: %d %s" % (role, status, answer))
    return client


# ------------------------------------------------------------------------ scenarios


def commissioning(s):
    """Topology 1: commissioning by a bus scan, values through the API, the box's Modbus TCP
    gateway read by mbpoll from the host, TLS from outside the container."""
    lab = s.lab
    with open(os.path.join(lab.state["data_dir"], "config.textproto")) as f:
        config = f.read()
    expected = {"emdx3_4_120_45": 2, "mccb_measurement_unit": 1, "acb_measurement_unit": 1,
                "din_measurement_module": 1, "ev_charger_generic": 1, "ems_cx3_measurement": 1,
                "ems_cx3_signalling": 1, "ems_cx3_control": 1, "ems_cx3_pulse_concentrator": 1}
    for profile, count in expected.items():
        found = config.count('profile: "%s"' % profile)
        s.check("the scan identified %d x %s" % (count, profile), found == count, found)
    devices = devices_by_id(lab)
    rs485 = [d for d in devices.values() if d["line"] == "rs485"]
    s.check("10 RS485 devices listed by GET /api/v1/devices", len(rs485) == 10, len(rs485))
    s.check("all of them online", all(d["online"] for d in rs485),
            [d["id"] for d in rs485 if not d["online"]])
    meter = devices.get("emdx3_4_120_45-1", {})
    voltage = {v["quantity"]: v["value"] for v in meter.get("values", [])}.get("v1n")
    s.check("the meter's V1-N is a mains voltage", voltage and 200 < voltage < 260, voltage)
    pulses = [d for d in devices.values() if d["line"] == "pulse"]
    s.check("3 pulse counters online", len(pulses) == 3 and all(d["online"] for d in pulses),
            len(pulses))

    ip = lab.state["device_ip"]
    started = time.monotonic()
    model = mbpoll(ip, "-a", "1", "-r", "769", "-c", "1", "-t", "4")
    s.measure("mbpoll_read_s", round(time.monotonic() - started, 2))
    s.check("mbpoll on the host reads the meter's model register (4512) through the box",
            register_values(model) == [4512], model[-300:])
    v1n = mbpoll(ip, "-a", "1", "-r", "4097", "-c", "1", "-t", "4:int", "-B")
    values = register_values(v1n)
    s.check("mbpoll reads V1-N (U32, mV) through the box",
            len(values) == 1 and 200000 < values[0] < 260000, v1n[-300:])
    silent = mbpoll(ip, "-a", "99", "-r", "1", "-c", "1")
    s.check("a unit nobody answers: exception 0x0B", "Target device failed to respond" in silent,
            silent[-300:])

    code, out = curl("-v", "--tlsv1.2", "https://%s/api/v1/health" % ip)
    s.check("HTTPS from the host", code == 0 and '"status":"ok"' in out, out[-500:])
    tls = re.search(r"SSL connection using (\S+) / (\S+)", out)
    s.measure("tls", tls.group(0) if tls else None)
    s.check("TLS 1.3 with AES-256-GCM negotiated", tls and "TLSv1.3" in tls.group(1) and
            "AES_256_GCM" in tls.group(2), tls.group(0) if tls else out[-300:])
    code, out = curl("--tls-max", "1.1", "--tlsv1", "https://%s/" % ip)
    s.check("TLS 1.1 refused", code != 0, code)
    code, out = curl("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "http://%s/" % ip)
    s.check("plain HTTP answers only with a redirect to HTTPS",
            out.startswith("308 https://"), out)
    web_ui(s, ip)
    with open(os.path.join(lab.state["data_dir"], "network.record")) as f:
        network = f.read()
    s.check("the network settings were applied (recording backend): the factory address",
            "Address=192.168.1.100/24" in network and "Gateway=192.168.1.1" in network,
            network)
    health = lab.api("/api/v1/health")
    s.check("the device container's server reports model 32 and a valid time",
            health["model_size"] == 32 and health["time_valid"], health)


def web_ui(s, ip):
    """The device container serves the built UI (web/dist in the image): index.html to
    revalidate, hashed assets immutable, pre-compressed."""
    client = Client(ip)
    status, headers, body = client.call("GET", "/", headers={"Accept-Encoding": "gzip"})
    html = gzip.decompress(body).decode() if headers.get("content-encoding") == "gzip" else \
        body.decode(errors="replace")
    s.check("GET / serves the UI's index.html (gzip)", status == 200 and
            headers.get("content-type", "").startswith("text/html") and
            headers.get("content-encoding") == "gzip" and "<script" in html,
            (status, headers, html[:200]))
    s.check("index.html: Cache-Control no-cache and an ETag",
            headers.get("cache-control") == "no-cache" and headers.get("etag"), headers)
    # The ETag is size + mtime; the image gives files a content-derived mtime, not 0, so an
    # update that keeps index.html's size still changes it.
    s.check("index.html's ETag changes with its content (not size-only: mtime not 0)",
            re.match(r'"[0-9a-f]+-(?!0[-"])[0-9a-f]+', headers.get("etag", "")),
            headers.get("etag"))
    again, _, _ = client.call("GET", "/", headers={"Accept-Encoding": "gzip",
                                                   "If-None-Match": headers.get("etag", "-")})
    s.check("index.html revalidated: 304 Not Modified", again == 304, again)
    assets = re.findall(r'(/assets/app-[A-Za-z0-9]+\.(?:js|css))', html)
    s.check("index.html names hashed assets", len(assets) == 2, assets)
    for asset in assets:
        status, headers, body = client.call("GET", asset, headers={"Accept-Encoding": "br, gzip"})
        s.check("%s: 200, brotli, Cache-Control public, max-age=31536000, immutable" % asset,
                status == 200 and headers.get("content-encoding") == "br" and
                headers.get("cache-control") == "public, max-age=31536000, immutable" and
                len(body) > 1000, (status, headers, len(body)))
    status, _, _ = client.call("GET", "/src/main.jsx")
    s.check("the UI's sources are not served (only the built bundle is in the image)",
            status == 404, status)


def login_roles(s):
    """The session API from outside the container: log in with a factory code, forced to
    change it first; then the role rules: `user` refused a configuration route (403), the
    installer allowed; no session 401, a wrong PIN 401, a POST without the CSRF token 403."""
    ip = s.lab.state["device_ip"]
    client = Client(ip)
    status, _ = client.json("GET", "/api/v1/users")
    s.check("no session: GET /api/v1/users answers 401", status == 401, status)
    status, answer = client.login("user", "12345")
    s.check("a wrong PIN: 401", status == 401, (status, answer))
    status, answer = client.login("user", FACTORY_PINS["user"])
    s.check("login as user with the factory PIN: 200, must change its codes",
            status == 200 and answer["session"]["must_change_codes"] and
            answer.get("must_change_pin"), (status, answer))
    s.check("the session cookie is __Host-, Secure, HttpOnly",
            client.cookie and client.cookie.startswith("__Host-ews_session="), client.cookie)
    status, answer = client.json("GET", "/api/v1/files")
    s.check("with factory codes only who-am-I, logout and change-codes pass: the files 403",
            status == 403, (status, answer))
    status, answer = client.json("GET", "/api/v1/session")
    s.check("who-am-I answers with the role", status == 200 and
            answer.get("role") == "user", (status, answer))
    pin, puk = NEW_CODES["user"]
    csrf, client.csrf = client.csrf, None
    status, _ = client.json("POST", "/api/v1/session/codes", {
        "current_pin": FACTORY_PINS["user"], "new_pin": pin, "new_puk": puk})
    s.check("changing codes without the CSRF token: 403", status == 403, status)
    client.csrf = csrf
    status, answer = client.json("POST", "/api/v1/session/codes", {
        "current_pin": FACTORY_PINS["user"], "new_pin": FACTORY_PINS["installer"],
        "new_puk": puk})
    s.check("another factory code as the new PIN: 400", status == 400, (status, answer))
    status, answer = client.json("POST", "/api/v1/session/codes", {
        "current_pin": FACTORY_PINS["user"], "new_pin": pin, "new_puk": puk})
    s.check("the forced change of codes: 200", status == 200, (status, answer))
    status, answer = client.login("user", FACTORY_PINS["user"])
    s.check("the factory PIN no longer logs in", status == 401, (status, answer))
    user = logged_in(ip, "user", changed=True)
    status, answer = user.json("GET", "/api/v1/session")
    s.check("user logged in with its new PIN, nothing left to change",
            status == 200 and not answer.get("must_change_codes"), answer)
    status, answer = user.json("GET", "/api/v1/files")
    s.check("user reads the history files (any session, filtered per role)", status == 200,
            (status, answer))
    status, _ = user.json("GET", "/api/v1/users")
    s.check("user refused the user management (administrator only): 403", status == 403,
            status)
    installer = logged_in(ip, "installer", changed=True)
    status, _ = installer.json("GET", "/api/v1/audit")
    s.check("installer refused the audit log (administrator only): 403", status == 403, status)

    # A configuration route (configure_rs485: administrator and installer, not user).
    route = "/api/v1/config/rs485"
    status, answer = installer.json("GET", route)
    s.check("installer allowed the configuration route GET %s: 200" % route, status == 200,
            (status, answer))
    status, answer = user.json("GET", route)
    s.check("user refused the configuration route GET %s: 403" % route, status == 403,
            (status, answer))
    admin = logged_in(ip, "administrator")
    status, answer = admin.json("GET", "/api/v1/audit?limit=50")
    actions = [e.get("action") for e in answer.get("entries", [])] if status == 200 else []
    s.check("administrator reads the audit log: the logins, the refused PIN and the code "
            "changes are in it", status == 200 and "auth.login_failed" in actions and
            "auth.codes_changed" in actions and "auth.login" in actions, (status, actions))
    status, _ = user.json("POST", "/api/v1/session/logout", {})
    status_after, _ = user.json("GET", "/api/v1/session")
    s.check("logout ends the session (who-am-I then 401)", status == 200 and
            status_after == 401, (status, status_after))


def scan_api(s):
    """Commissioning by a bus scan through the API (POST/GET/DELETE /api/v1/scan, installer):
    the scan finds every device of the box's line with the profile the configuration has;
    one scan at a time; a scan can be cancelled; `user` may not scan."""
    lab = s.lab
    ip = lab.state["device_ip"]
    status, _ = Client(ip).json("GET", "/api/v1/scan")
    s.check("no session: GET /api/v1/scan 401", status == 401, status)
    installer = logged_in(ip, "installer", changed=True)
    user = logged_in(ip, "user")
    status, _ = user.json("POST", "/api/v1/scan", {"first_address": 1, "last_address": 2})
    s.check("user may not scan: 403", status == 403, status)
    configured = configured_rs485(lab)
    last = max(configured) + 1
    started = time.monotonic()
    status, answer = installer.json("POST", "/api/v1/scan",
                                    {"line": "rs485", "first_address": 1, "last_address": last})
    s.check("POST /api/v1/scan 1-%d: 202" % last, status == 202, (status, answer))
    status, busy = installer.json("POST", "/api/v1/scan", {"first_address": 1, "last_address": 2})
    s.check("a second scan while one runs: 409 scan_running", status == 409, (status, busy))
    def finished():
        state = installer.json("GET", "/api/v1/scan")[1]
        return state if state.get("state") not in ("running", None) else None

    answer = lablib.wait_for("the scan done", finished, last * 2 + 30, 1)
    s.measure("scan_1_to_%d_s" % last, round(time.monotonic() - started, 1))
    s.check("the scan finished: done, every address probed", answer["state"] == "done" and
            answer["done"] == answer["total"] == last, answer)
    found = {f["address"]: f.get("profile") for f in answer.get("found", [])}
    s.measure("found", found)
    for address, profile in sorted(configured.items()):
        s.check("address %d found as %s" % (address, profile), found.get(address) == profile,
                found.get(address))
    s.check("nothing invented: no device found where none answers",
            set(found) <= set(configured), sorted(set(found) - set(configured)))
    status, answer = installer.json("POST", "/api/v1/scan", {"first_address": 1,
                                                             "last_address": 247})
    s.check("a scan of the whole range 1-247 started: 202", status == 202, (status, answer))
    status, answer = installer.json("DELETE", "/api/v1/scan")
    s.check("DELETE cancels a running scan", status == 200 and
            answer.get("state") == "cancelled", (status, answer))
    lab.wait_device_ready(len(lab.expected_devices()), 60)
    s.check("polling goes on: every device online after the scans", True)


def configured_rs485(lab):
    """{address: profile} of the configuration's devices on the box's own line."""
    with open(os.path.join(lab.state["data_dir"], "config.textproto")) as f:
        config = f.read()
    devices = {}
    for block in re.findall(r"modbus_devices \{(.*?)\n\}", config, re.S):
        if "ip_gateway" in block:
            continue
        address = re.search(r"\baddress: (\d+)", block)
        profile = re.search(r'profile: "([^"]+)"', block)
        if address and profile:
            devices[int(address.group(1))] = profile.group(1)
    return devices


def gateways(s):
    """Topology 2 (mixed): devices on the box's line and behind two IP-gateway containers."""
    lab = s.lab
    devices = devices_by_id(lab)
    for gateway in ("gwa", "gwb"):
        behind = [d for d in devices.values() if d["line"] == gateway]
        s.check("both devices behind %s online" % gateway,
                len(behind) == 2 and all(d["online"] for d in behind),
                [(d["id"], d["online"]) for d in behind])
    local = [d for d in devices.values() if d["line"] == "rs485"]
    s.check("both devices on the box's RS485 line online",
            len(local) == 2 and all(d["online"] for d in local), len(local))
    gwa = lab.state["gateways"][0]["ip"]
    out = mbpoll(gwa, "-a", "1", "-r", "769", "-c", "1", "-t", "4")
    s.check("mbpoll reads a meter directly through IP gateway gwa", register_values(out) == [4512],
            out[-300:])
    # The same unit id on two lines: the box's meter @1 and gwa's meter @1 are different
    # devices with their own CT ratios (200 and 50): their currents differ.
    local_meter = devices.get("emdx3_4_120_45-1", {})
    remote_meter = devices.get("gwa-1", {})
    s.check("unit 1 on the box's line and unit 1 behind gwa are distinct devices",
            local_meter.get("line") == "rs485" and remote_meter.get("line") == "gwa",
            (local_meter.get("line"), remote_meter.get("line")))
    # gwb's line runs at 9600 8N1, not the box's 19200 8E1.
    s.check("gwb's line runs at its own speed (9600 8N1)",
            lab.state["lines"]["gwb"]["settings"] == "9600 8N1", lab.state["lines"]["gwb"])
    # A gateway that disappears: its devices go offline, the rest stays online.
    lab.docker("stop", "--time", "1", lab.container_name("gw-gwb"))
    took = wait_state(lab, "gwb-7", False, 90)
    s.measure("gateway_lost_detected_s", took)
    wait_state(lab, "gwb-8", False, 60)
    devices = devices_by_id(lab)
    s.check("gwb stopped: its devices offline", True, took)
    s.check("the others still online",
            all(d["online"] for d in devices.values() if d["line"] in ("rs485", "gwa")))
    lab.docker("start", lab.container_name("gw-gwb"))
    took = wait_state(lab, "gwb-7", True, 120)
    s.measure("gateway_back_online_s", took)
    s.check("gwb back: its devices online again", True, took)


def line_faults(s):
    """Topology 1: CRC errors and latency on the line, a device unplugged and back, noise
    between frames, a second master, a dead unit; polling goes on."""
    lab = s.lab
    ip = lab.state["device_ip"]
    lab.bus_command("rs485", "clear_capture")
    before = parse_stats(lab.bus_command("rs485", "stats"))

    # CRC errors: characters corrupted at random on the whole line, and 30 ms latency before
    # the meters' simulator (endpoint 1) reaches the line.
    lab.bus_command("rs485", "corrupt_rate 0.002")
    lab.bus_command("rs485", "latency 30 from 1")
    reads = [mbpoll(ip, "-a", "1", "-r", "769", "-c", "1", "-t", "4") for _ in range(15)]
    good = sum(1 for r in reads if register_values(r) == [4512])
    s.measure("reads_ok_with_crc_errors_and_latency", "%d/15" % good)
    after = parse_stats(lab.bus_command("rs485", "stats"))
    s.measure("characters_corrupted", after["corrupted"] - before["corrupted"])
    s.check("most reads through the box succeed on a line with CRC errors and 30 ms latency",
            good >= 10, good)
    lab.bus_command("rs485", "clear_faults")
    lablib.wait_for("all 13 online again", lambda: online_count(lab) == 13, 60, 1)
    s.check("every device online after the CRC errors and latency", online_count(lab) == 13)
    capture = lab.bus_command("rs485", "capture")
    s.check("the bus capture shows the line's frames", capture.count("\n") > 10,
            capture.count("\n"))

    # A device unplugged and back: cut the breakers' simulator (ACB @3 among them) off the line.
    energy_before = value_of(devices_by_id(lab)["acb_measurement_unit-3"], "ea_import")
    lab.bus_command("rs485", "cut 2")
    took = wait_state(lab, "acb_measurement_unit-3", False, 90)
    s.measure("unplugged_detected_s", took)
    s.check("unplugged: reported offline", True, took)
    s.check("the meters on the other endpoint stay online",
            devices_by_id(lab)["emdx3_4_120_45-1"]["online"])
    lab.bus_command("rs485", "restore 2")
    took = wait_state(lab, "acb_measurement_unit-3", True, 120)
    s.measure("replugged_online_s", took)
    energy_after = value_of(devices_by_id(lab)["acb_measurement_unit-3"], "ea_import")
    s.check("replugged: online again, its energy counter has not gone backwards",
            energy_before is not None and energy_after is not None and
            energy_after >= energy_before, (energy_before, energy_after))

    # Noise between frames and a second master, both on the spare endpoint (the last one).
    endpoints = lab.state["lines"]["rs485"]["endpoints"]
    spare = endpoints[str(len(endpoints) - 1)]
    noise_fd = os.open(spare, os.O_RDWR | os.O_NOCTTY)
    try:
        for _ in range(20):
            os.write(noise_fd, bytes([0x55, 0xAA, 0x00, 0xFF, 0x13]))
            time.sleep(0.05)
    finally:
        os.close(noise_fd)
    second = subprocess.Popen(
        ["mbpoll", "-m", "rtu", "-b", "19200", "-P", "even", "-a", "1", "-r", "769", "-c", "1",
         "-t", "4", "-l", "200", "-o", "0.3", spare],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    reads = [mbpoll(ip, "-a", "1", "-r", "769", "-c", "1", "-t", "4") for _ in range(10)]
    second.send_signal(signal.SIGINT)
    try:
        second_out = second.communicate(timeout=10)[0]
    except subprocess.TimeoutExpired:
        second.kill()
        second_out = second.communicate()[0]
    stats = parse_stats(lab.bus_command("rs485", "stats"))
    s.measure("collisions", stats["collisions"] - after["collisions"])
    s.measure("second_master_reads_ok", len(register_values(second_out)))
    good = sum(1 for r in reads if register_values(r) == [4512])
    s.measure("box_reads_ok_with_second_master", "%d/10" % good)
    s.check("the second master was on the line (its reads or collisions seen)",
            register_values(second_out) or stats["collisions"] > after["collisions"],
            second_out[-300:])
    s.check("reads through the box still succeed beside a second master and noise", good >= 5,
            good)
    lablib.wait_for("all 13 online after the second master", lambda: online_count(lab) == 13,
                    90, 1)
    s.check("every device online once the second master left", online_count(lab) == 13)

    # A dead unit: the EV charger stops answering; the others go on.
    lab.simulator_command("breakers", "fault 5 silent")
    took = wait_state(lab, "ev_charger_generic-5", False, 90)
    s.measure("dead_unit_detected_s", took)
    out = mbpoll(ip, "-a", "5", "-r", "1", "-c", "1")
    s.check("the dead unit answers 0x0B through the box's gateway",
            "Target device failed to respond" in out, out[-200:])
    s.check("the rest of the line stays online",
            online_count(lab) == 12, online_count(lab))
    lab.simulator_command("breakers", "clear 5")
    took = wait_state(lab, "ev_charger_generic-5", True, 120)
    s.measure("dead_unit_back_s", took)
    s.check("the unit answers again: back online", True)


def crash_restart(s):
    """Topology 1: the device container killed hard (SIGKILL) mid-write, then restarted: every
    sample acknowledged before the kill (the history health's committed_samples/last_commit)
    still there, record by record; configuration unchanged, SQLite integrity ok, the
    (simulated, battery-backed) RTC still right, every device polled again."""
    lab = s.lab
    data = lab.state["data_dir"]
    with open(os.path.join(data, "config.textproto")) as f:
        config_before = f.read()
    # The history commits each minute's poll round at :30 (history_writer.h). After the first
    # commit, in the quiet part of the minute, dump the records from a copy taken between two
    # identical health answers: exactly what was acknowledged then.
    started = time.monotonic()
    lablib.wait_for("the first history commit",
                    lambda: history_writes(lab).get("committed_samples"), 150, 1)
    time.sleep(5)
    for _ in range(5):
        quiet = history_writes(lab)
        copy = history_copy(data)
        if history_writes(lab) == quiet:
            break
    else:
        raise lablib.LabError("the history kept committing while it was copied")
    records_before = history_records(lab, db=copy)
    # Then kill during the next write: as soon as its commit is acknowledged, while the writer
    # is still busy with the round (SIGKILL, no shutdown).
    def next_commit():
        writes = history_writes(lab)
        return writes if writes.get("committed_samples", 0) > quiet["committed_samples"] \
            else None
    acknowledged = lablib.wait_for("the next history commit", next_commit, 75, 0.05)
    lab.stop_device(kill=True)
    killed_at = time.time()
    s.measure("waited_for_commits_s", round(time.monotonic() - started, 1))
    s.measure("killed_at_second_of_minute", round(killed_at % 60, 2))
    s.measure("acknowledged_before_kill", {k: acknowledged.get(k) for k in
                                           ("committed_samples", "last_commit")})
    samples_before = sum(r[1] for r in records_before.values())
    s.measure("records_dumped_before_kill", len(records_before))
    s.check("the dump before the kill holds every sample acknowledged then "
            "(samples in its minute records = committed_samples)",
            samples_before == quiet["committed_samples"] > 0,
            (samples_before, quiet["committed_samples"]))
    lab.restart_device()
    health = lab.api("/api/v1/health")
    with open(os.path.join(data, "config.textproto")) as f:
        config_after = f.read()
    s.check("the configuration is unchanged after the hard kill", config_after == config_before)
    s.check("the history database reopens", health["history"], health)
    integrity = history_integrity(data)
    s.check("history integrity_check ok", integrity == "ok", integrity)
    records_after = history_records(lab, sorted(set(key[0] for key in records_before)))
    kill_minute = int(killed_at // 60 * 60)
    lost, changed = [], []
    for key, before in records_before.items():
        after = records_after.get(key)
        if after is None:
            lost.append(key)
        elif after != before:  # minutes before the kill's: closed, they must not change
            changed.append((key, before, after))
    s.measure("records_compared", len(records_before))
    s.check("no acknowledged sample lost: the %d minute records dumped before the kill are "
            "there after the restart, unchanged" % len(records_before),
            records_before and not lost and not changed, (lost[:5], changed[:5]))
    samples_after = sum(samples for (series, minute), (_, samples) in records_after.items()
                        if minute <= kill_minute)
    s.measure("samples_up_to_the_kill_after_restart", samples_after)
    s.check("the commit acknowledged just before the kill survived too (samples of the minutes "
            "up to the kill's >= committed_samples at the kill)",
            samples_after >= acknowledged["committed_samples"],
            (samples_after, acknowledged["committed_samples"]))
    skew = abs(parse_iso(health["time"]) - time.time())
    s.measure("clock_skew_s", round(skew, 1))
    s.check("the clock is still right after the restart (simulated RTC)",
            health["time_valid"] and health["rtc"] == "simulated" and skew < 5, health)
    lab.wait_device_ready(13, 120)
    s.check("every device online again", online_count(lab) == 13)


def history_writes(lab):
    return lab.api("/api/v1/health").get("history_writes") or {}


def history_records(lab, series=None, db=None):
    """{(series, minute start): (raw value, samples)} of every minute record of every series
    (or of `series`), read by tests/server:history_dump (the SDK's store) from a copy of the
    database (`db`, or a fresh one)."""
    db = db or history_copy(lab.state["data_dir"])
    if series is None:
        # Closed before history_dump opens the copy: the store takes an exclusive lock
        # (sqlite's unix-excl VFS), and `with connect()` alone would keep this one open.
        connection = sqlite3.connect(db)
        try:
            series = ["%s/%s" % row for row in connection.execute(
                "SELECT device, quantity FROM series ORDER BY id")]
        finally:
            connection.close()
    result = subprocess.run([os.path.join(lab.bin_dir, "tests/server/history_dump"), "--db=" + db]
                            + list(series), capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise lablib.LabError("history_dump: " + result.stderr.strip())
    records = {}
    for line in result.stdout.splitlines():
        device, quantity, minute, raw, samples = line.split()
        records[("%s/%s" % (device, quantity), int(minute))] = (int(raw), int(samples))
    return records


def history(s):
    """The 10-device site: history accumulates every minute, and the CSV (the SDK's export of
    the device container's database) matches the simulator's energy counter, read
    independently by mbpoll from the host all along; the unit unplugged and back: missing
    minutes not invented, the consumption over the silence in one record, no spike."""
    lab = s.lab
    ip = lab.state["device_ip"]
    device = "mccb_measurement_unit-3"  # Ea+ at 0x101C, U32, 1 Wh (its profile and table)
    readings = []  # (host time before, host time after, counter), all along
    started = time.time()

    def read_until(what, done, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            before = time.time()
            values = register_values(mbpoll(ip, "-a", "3", "-r", "4125", "-c", "1", "-t",
                                            "4:int", "-B"))
            if values:
                readings.append((before, time.time(), values[0]))
            if done():
                return
            time.sleep(2)
        raise lablib.LabError("timed out after %ds waiting for %s" % (timeout_s, what))

    def rows_since(t):
        return [r for r in history_rows(lab, device) if r[0] >= t]

    read_until("the first history record", lambda: rows_since(started), 180)
    # The unit stops answering (unplugged) for over a minute's poll, then comes back: the
    # missing minutes are not invented, and the first record after them carries the whole
    # consumption over the silence (no spike, nothing lost).
    lab.simulator_command("site", "fault 3 silent")
    silent = time.monotonic()
    read_until("the unit offline",
               lambda: not devices_by_id(lab)[device]["online"], 90)
    s.measure("unplugged_detected_s", round(time.monotonic() - silent, 1))
    hold = time.monotonic() + 65
    read_until("a minute's poll while unplugged", lambda: time.monotonic() > hold, 70)
    lab.simulator_command("site", "clear 3")
    back = time.time()
    read_until("a record after the unit came back, a minute old",
               lambda: any(r[0] + 60 <= readings[-1][0] for r in rows_since(back)), 200)
    rows = rows_since(started)
    s.measure("mbpoll_readings", len(readings))
    s.measure("csv_rows", len(rows))
    checked = 0
    for minute, counter, consumption in rows:
        lower = [v for (t0, t1, v) in readings if t1 <= minute]
        upper = [v for (t0, t1, v) in readings if t0 >= minute + 60]
        if not lower or not upper:
            continue
        checked += 1
        s.check("CSV %s: counter %d between the simulator's %d (before) and %d (a minute later)"
                % (time.strftime("%H:%M", time.gmtime(minute)), counter, max(lower),
                   min(upper)), max(lower) <= counter <= min(upper))
    s.measure("rows_checked_against_the_simulator", checked)
    s.check("at least two minutes of history checked against the simulator", checked >= 2,
            checked)
    minutes = [r[0] for r in rows]
    missing = [m for m in range(minutes[0], minutes[-1], 60) if m not in minutes]
    s.measure("minutes_missing_while_unplugged", len(missing))
    s.check("the minutes while unplugged are missing, not invented", len(missing) >= 1,
            [time.strftime("%H:%M", time.gmtime(m)) for m in missing])
    for (m0, c0, _), (m1, c1, d1) in zip(rows, rows[1:]):
        s.check("consumption at %s = counter difference since %s (%s)" %
                (time.strftime("%H:%M", time.gmtime(m1)), time.strftime("%H:%M", time.gmtime(m0)),
                 "after the gap" if m1 - m0 > 60 else "next minute"),
                abs(d1 - (c1 - c0)) < 1e-6 and c1 >= c0, (c0, c1, d1))
    total = sum(d for (_, _, d) in rows[1:])
    s.check("the consumption column adds up to the counter's growth (no spike, nothing lost)",
            abs(total - (rows[-1][1] - rows[0][1])) < 1e-6, (total, rows[0][1], rows[-1][1]))


def history_rows(lab, device):
    """[(minute start epoch, counter, consumption)] of the device's ea_import, from the CSV."""
    db = history_copy(lab.state["data_dir"])
    result = subprocess.run([os.path.join(lab.bin_dir, "lab/history/history_csv"), "--db=" + db,
                             "--device=" + device, "--quantities=ea_import", "--minutes=30"],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0 and "unknown series" in result.stderr:
        return []  # not written yet: the series is registered with its first sample
    if result.returncode != 0:
        raise lablib.LabError("history_csv: " + result.stderr.strip())
    rows = []
    for line in result.stdout.lstrip("\ufeff").splitlines()[1:]:
        fields = line.split(",")
        if len(fields) >= 4 and fields[2]:
            minute = calendar.timegm(time.strptime(fields[0], "%Y-%m-%d %H:%M"))
            rows.append((minute, float(fields[2]), float(fields[3] or 0)))
    return rows


def big_site(s):
    """The 32-device site (model 32): every family on the box's line, two IP gateways, pulse
    meters; all 32 online."""
    lab = s.lab
    devices = devices_by_id(lab)
    s.check("32 devices configured", len(devices) == 32, len(devices))
    s.check("all 32 online", sum(d["online"] for d in devices.values()) == 32,
            [i for i, d in devices.items() if not d["online"]])
    lines = sorted(set(d["line"] for d in devices.values()))
    s.check("on the box's line, two gateways and the pulse inputs",
            lines == ["gwa", "gwb", "pulse", "rs485"], lines)
    s.measure("up_seconds", lab.state["up_seconds"])
    health = lab.api("/api/v1/health")
    s.check("model 32", health["model_size"] == 32, health)


def small_site(s):
    """The 10-device site (model 10): 7 Modbus devices + 3 pulse meters."""
    lab = s.lab
    devices = devices_by_id(lab)
    s.check("10 devices, all online", len(devices) == 10 and
            all(d["online"] for d in devices.values()), len(devices))
    s.check("model 10", lab.api("/api/v1/health")["model_size"] == 10)


SCENARIOS = [
    ("commissioning", "rs485.json", commissioning),
    ("login_roles", "site10.json", login_roles),
    ("scan_api", "rs485.json", scan_api),
    ("gateways", "mixed.json", gateways),
    ("line_faults", "rs485.json", line_faults),
    ("crash_restart", "rs485.json", crash_restart),
    ("history", "site10.json", history),
    ("site32", "site32.json", big_site),
    ("site10", "site10.json", small_site),
    ("all_gateways", "gateways.json",
     lambda s: s.check("4 devices behind 2 gateways online",
                       online_count(s.lab) == 4, online_count(s.lab))),
]


# ------------------------------------------------------------------------ small parsers


def parse_stats(text):
    fields = text.split()
    return {fields[i]: int(fields[i + 1]) for i in range(0, len(fields) - 1, 2)
            if fields[i + 1].isdigit()}


def value_of(device, quantity):
    return {v["quantity"]: v["value"] for v in device.get("values", [])}.get(quantity)


def parse_iso(text):
    return time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone


def history_copy(data):
    """A copy of the device's history database (with its -wal, and its -log: the samples
    acknowledged since the last hourly consolidation) in a fresh directory of the lab's run
    directory, which the lab's teardown removes (the history scenario copies every 2 s)."""
    scratch = tempfile.mkdtemp(prefix="history-copy.", dir=os.path.dirname(data))
    for suffix in ("", "-wal", "-shm", "-log"):
        path = os.path.join(data, "history.db" + suffix)
        if os.path.exists(path):
            with open(path, "rb") as src, open(os.path.join(scratch, "h.db" + suffix), "wb") as d:
                d.write(src.read())
    return os.path.join(scratch, "h.db")


def history_query(data, sql):
    """One value from a copy of the device's history database."""
    db = sqlite3.connect(history_copy(data))
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def history_integrity(data):
    return history_query(data, "PRAGMA integrity_check")


# ------------------------------------------------------------------------ runner


def run(name, topology, body, results_dir, skip_reason):
    s = Scenario(name, topology, (body.__doc__ or "").strip())
    started = time.monotonic()
    status = "pass"
    error = None
    print("scenario %s (%s)" % (name, topology), flush=True)
    if skip_reason:
        status = "skip"
        error = skip_reason
    else:
        run_dir = tempfile.mkdtemp(prefix="ewslab.", dir="/tmp")
        s.lab = lablib.Lab(run_dir)
        try:
            s.lab.up(os.path.join(TOPOLOGIES, topology))
            s.measure("up_seconds", s.lab.state["up_seconds"])
            body(s)
        except Exception as e:  # a scenario's failure must not stop the others
            error = "%s: %s" % (type(e).__name__, e)
            s.check("ran to the end", False, error)
        finally:
            try:
                s.lab.down()
            except Exception as e:
                s.check("torn down leaving nothing behind", False, e)
        if not s.checks or not all(c["ok"] for c in s.checks):
            status = "fail"
    result = {
        "scenario": name, "topology": topology, "description": s.description, "status": status,
        "duration_s": round(time.monotonic() - started, 1), "checks": s.checks,
        "measurements": s.measurements, "error": error,
    }
    with open(os.path.join(results_dir, name + ".json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(results_dir, name + ".txt"), "w") as f:
        f.write("%s: %s in %.0f s (topology %s)\n%s\n\n" % (
            name, status.upper(), result["duration_s"], topology, s.description))
        if status == "skip":
            f.write("skipped: %s\n" % skip_reason)
        for c in s.checks:
            f.write("  [%s] %s%s\n" % ("ok" if c["ok"] else "FAIL", c["check"],
                                       "" if c["ok"] else " -- " + c["detail"]))
        for k, v in s.measurements.items():
            f.write("  %s = %s\n" % (k, v))
    print("scenario %s: %s in %.0f s" % (name, status.upper(), result["duration_s"]), flush=True)
    return status


def stop_on_sigterm(signal_number, frame):
    # run.sh's overall bound: unwind, so that the running scenario's lab is torn down.
    raise SystemExit(124)


def main(argv):
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    if len(argv) < 2:
        print(__doc__)
        return 2
    results_dir = argv[1]
    os.makedirs(results_dir, exist_ok=True)
    wanted = argv[2:]
    chosen = [sc for sc in SCENARIOS if not wanted or sc[0] in wanted]
    if wanted and len(chosen) != len(wanted):
        print("unknown scenario; known: %s" % ", ".join(sc[0] for sc in SCENARIOS))
        return 2
    skip_reason = lablib.check_containers()
    if skip_reason:
        print("SKIPPED: the lab's containers cannot run here: %s" % skip_reason, flush=True)
    statuses = [run(name, topology, body, results_dir, skip_reason)
                for name, topology, body in chosen]
    if skip_reason:
        return lablib.SKIP
    return 0 if all(status == "pass" for status in statuses) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
