#!/usr/bin/python3
"""A person can still log in while one client address holds the HTTPS port hostage (issue 13).

Against a real ews-server on loopback:
  1. 200 idle TLS connections (handshake done, then nothing) from 127.0.0.1, all kept open;
  2. separately, 50 connections from 127.0.0.1 that send half a request and stall;
while each is open, a login from another address (127.0.0.2) must answer 200 within 2 s. The
server's per-address cap (16 by default) closes the abuser's connections beyond it as they are
accepted, so the abuser holds at most 16 of the 256 workers; the same 200 connections spread
over 16 addresses fit in the workers with some to spare. Afterwards the abuser's address is
served again once its connections are gone, and the server still answers.

`--connections_per_address=N` / `--no-assert` run it by hand for the figures in docs/tls.md
(e.g. `--connections_per_address=0` shows the wait without the cap, `--https_workers=128` the
spread case with fewer workers). Bounded: 250 connections,
each step with a time limit; the server is stopped by its pid.
"""
import os
import socket
import ssl
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))
import ews_client  # noqa: E402

LOGIN_LIMIT_S = 2.0


def timed_login(server, role, pin):
    started = time.monotonic()
    try:
        status, _, _, _ = ews_client.login(server, role, pin, source="127.0.0.2",
                                             timeout=20)
    except (OSError, ConnectionError) as error:
        status = "failed (%s)" % error
    return status, time.monotonic() - started


def open_at_once(server, count, half_request, sources=("127.0.0.1",)):
    """`count` connections from 127.0.0.1, opened at the same time (one thread each), each doing
    the TLS handshake and then, with `half_request`, sending half a request head or half a body;
    then they stall. Returns (sockets, how many got that far within 3 s). A connection the
    server closed or has not served stays open on this side."""
    sockets, done, lock = [], [0], threading.Lock()

    def one(i):
        try:
            raw = socket.create_connection(("127.0.0.1", server.port), timeout=3,
                                           source_address=(sources[i % len(sources)], 0))
        except OSError:
            return
        with lock:
            sockets.append(raw)
        try:
            conn = ews_client.tls_context().wrap_socket(raw)
            if half_request and i % 2:
                conn.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            elif half_request:
                conn.sendall(b"POST /api/v1/session/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Content-Length: 200\r\n\r\n{\"role\":")
            with lock:
                sockets.append(conn)  # the TLS object keeps the connection open
                done[0] += 1
        except (OSError, ssl.SSLError):
            pass

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return sockets, done[0]


def close_all(sockets):
    for conn in sockets:
        try:
            conn.close()
        except OSError:
            pass


def main():
    check = ews_client.Checks(enforce="--no-assert" not in sys.argv)
    flags = [arg for arg in sys.argv[1:]
             if arg.startswith(("--connections_per_address", "--https_workers"))]

    work = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp(prefix="ews-abuse.")
    server = ews_client.Server(os.path.join(work, "data"), flags)
    try:
        status, seconds = timed_login(server, "user", "11111")
        check("a login answers on a quiet server", status == 200, "%.3f s" % seconds)

        sockets, handshakes = open_at_once(server, 200, half_request=False)
        print("  200 idle connections from 127.0.0.1: %d completed the TLS handshake" % handshakes)
        status, seconds = timed_login(server, "installer", "55555")
        check("a login from 127.0.0.2 answers 200 within %.0f s while 200 idle TLS connections "
              "are open" % LOGIN_LIMIT_S, status == 200 and seconds < LOGIN_LIMIT_S,
              "status %s in %.3f s" % (status, seconds))
        check("the abuser got at most 16 connections through", handshakes <= 16,
              "%d handshakes" % handshakes)
        close_all(sockets)

        # The same from 16 addresses (127.0.1.1-16, 12-13 each, all under the cap): the 256
        # workers take them all and still have some for the login.
        sources = ["127.0.1.%d" % (n + 1) for n in range(16)]
        sockets, handshakes = open_at_once(server, 200, False, sources)
        print("  200 idle connections from 16 addresses: %d completed the TLS handshake" %
              handshakes)
        status, seconds = timed_login(server, "administrator", "99999")
        check("a login from 127.0.0.2 answers 200 within %.0f s while 16 addresses hold 200 idle "
              "TLS connections" % LOGIN_LIMIT_S, status == 200 and seconds < LOGIN_LIMIT_S,
              "status %s in %.3f s" % (status, seconds))
        close_all(sockets)

        sockets, sent = open_at_once(server, 50, half_request=True)
        print("  50 half-sent requests from 127.0.0.1: %d got as far as sending" % sent)
        status, seconds = timed_login(server, "greenUp", "88888")
        check("a login from 127.0.0.2 answers 200 within %.0f s while 50 half-sent requests are "
              "open" % LOGIN_LIMIT_S, status == 200 and seconds < LOGIN_LIMIT_S,
              "status %s in %.3f s" % (status, seconds))
        close_all(sockets)

        # The abuser's address is served again once its connections are closed (the server
        # notices a closed connection when its worker reads end-of-file).
        deadline, status = time.monotonic() + 10, None
        while time.monotonic() < deadline:
            try:
                status, _, _ = server.request("GET", "/api/v1/health", timeout=3)
                if status == 200:
                    break
            except (OSError, ConnectionError):
                pass
            time.sleep(0.2)
        check("127.0.0.1 is served again after it closed its connections", status == 200)
        check("the server still runs", server.alive())
    finally:
        code = server.stop()
    check("the server stops cleanly", code == 0, "exit status %s" % code)
    return check.finish(server.log_tail())


if __name__ == "__main__":
    sys.exit(main())
