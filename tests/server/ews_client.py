"""ews-server under test from Python (Debian's /usr/bin/python3, standard library only).

Starts ews-server on loopback with a fresh data directory and simulated hardware, waits for its
ready file, and talks HTTPS to it over raw sockets (so that tests control every byte and the
client's source address, which may be any 127.x address: the server's per-address cap counts
them apart). Everything started here is stopped by its pid.
"""
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time

SERVER = os.path.abspath("apps/server/ews-server")


class Checks:
    """Check bookkeeping: prints "ok: …" / "FAIL: …" lines, then the closing line."""

    def __init__(self, enforce=True):
        self.enforce = enforce  # false: report only (by-hand measurements)
        self.failures = []

    def __call__(self, what, ok, detail=""):
        print(("ok: " if ok else "FAIL: ") + what + (" (%s)" % detail if detail else ""))
        if not ok and self.enforce:
            self.failures.append(what)

    def finish(self, log=""):
        """The exit status: 1 (with `log` shown) when a check failed."""
        if self.failures:
            print(log)
            print("%d check(s) failed" % len(self.failures))
            return 1
        print("all checks passed")
        return 0


def server_flags(data_dir):
    return ["--data_dir=" + data_dir, "--bind_address=127.0.0.1", "--https_port=0",
            "--http_port=-1", "--modbus_port=-1", "--rs485_device=" + data_dir + "-no-rs485",
            "--rtc_device=/nonexistent/rtc", "--net_interface=lo"]


def registered_routes(work):
    """(METHOD, path) of every API route ews-server registers (`--list_routes`, which starts a
    server on a fresh data directory under `work` and stops it)."""
    output = subprocess.run([SERVER, *server_flags(os.path.join(work, "routes-data")),
                             "--list_routes"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    return [tuple(line.split(" ", 1)) for line in output.splitlines() if line]


def tls_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Server:
    def __init__(self, data_dir, extra_flags=()):
        self.data_dir = data_dir
        self.log_path = data_dir + ".log"
        ready = os.path.join(data_dir, "run", "ews-server.ready")
        if os.path.exists(ready):
            os.unlink(ready)
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([SERVER, *server_flags(data_dir), *extra_flags],
                                        stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        self.port = None
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with open(ready) as f:
                    fields = dict(line.split("=", 1) for line in f.read().split())
                self.port = int(fields["https_port"])
                break
            except (OSError, KeyError, ValueError):
                time.sleep(0.1)
        if self.port is None:
            self.stop()
            raise RuntimeError("ews-server did not start; log:\n" + self.log_tail())

    def log_tail(self, lines=40):
        with open(self.log_path, "rb") as f:
            return b"".join(f.readlines()[-lines:]).decode(errors="replace")

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def connect(self, source="127.0.0.1", timeout=5.0, handshake=True):
        """A TLS socket to the server from `source` (raw TCP when not `handshake`)."""
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=timeout,
                                       source_address=(source, 0))
        if not handshake:
            return raw
        try:
            return tls_context().wrap_socket(raw)
        except BaseException:
            raw.close()
            raise

    def request(self, method, path, body=None, headers=None, source="127.0.0.1", timeout=10.0,
                raw_head=None):
        """One request on a new connection: (status, headers dict lower-cased, body bytes).
        `raw_head` sends those bytes as the whole request head instead."""
        with self.connect(source, timeout) as conn:
            data = body.encode() if isinstance(body, str) else (body or b"")
            if raw_head is None:
                lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1",
                         "Connection: close"]
                if body is not None:
                    lines.append("Content-Length: %d" % len(data))
                    lines.append("Content-Type: application/json")
                for name, value in (headers or {}).items():
                    lines.append("%s: %s" % (name, value))
                head = ("\r\n".join(lines) + "\r\n\r\n").encode()
            else:
                head = raw_head
            conn.sendall(head + data)
            return read_answer(conn)


def read_answer(conn):
    answer = b""
    while True:
        try:
            chunk = conn.recv(65536)
        except (ssl.SSLError, ConnectionResetError):
            break
        if not chunk:
            break
        answer += chunk
        head_end = answer.find(b"\r\n\r\n")
        if head_end >= 0:
            head = answer[:head_end].decode(errors="replace").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "-1"))
            if length >= 0 and len(answer) >= head_end + 4 + length:
                return int(head[0].split()[1]), headers, answer[head_end + 4:head_end + 4 + length]
    if not answer:
        raise ConnectionError("no answer")
    head_end = answer.find(b"\r\n\r\n")
    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    headers = {}
    for line in answer[:head_end].decode(errors="replace").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, answer[head_end + 4:] if head_end >= 0 else b""


def login(server, role, pin, source="127.0.0.1", timeout=10.0):
    """(status, cookie header value or None, csrf token or None, body dict or None)."""
    status, headers, body = server.request(
        "POST", "/api/v1/session/login", json.dumps({"role": role, "pin": pin}), source=source,
        timeout=timeout)
    cookie = headers.get("set-cookie", "").split(";", 1)[0] or None
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    csrf = parsed["session"]["csrf_token"] if status == 200 else None
    return status, cookie, csrf, parsed


def logged_in_session(server, role="administrator", factory_pin="99999", new_pin="31415",
                      new_puk="27182 8182 84590", source="127.0.0.1"):
    """Logs in through the real flow, factory codes changed first: (cookie, csrf)."""
    status, cookie, csrf, _ = login(server, role, factory_pin, source)
    if status == 200:
        status, _, _ = server.request(
            "POST", "/api/v1/session/codes",
            json.dumps({"current_pin": factory_pin, "new_pin": new_pin, "new_puk": new_puk}),
            headers={"Cookie": cookie, "X-CSRF-Token": csrf}, source=source)
        if status != 200:
            raise RuntimeError("code change refused: %d" % status)
    status, cookie, csrf, _ = login(server, role, new_pin, source)
    if status != 200:
        raise RuntimeError("login with the new PIN refused: %d" % status)
    return cookie, csrf


def tree_digest(directory, names):
    """SHA-256 of each file under `directory` whose name starts with one of `names`."""
    digests = {}
    for root, _, files in os.walk(directory):
        for name in sorted(files):
            if any(name.startswith(prefix) for prefix in names):
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    digests[os.path.relpath(path, directory)] = hashlib.sha256(f.read()).hexdigest()
    return digests
