#!/usr/bin/python3
"""A WebSocket client for the tests (Debian's python3-websockets, run by /usr/bin/python3).

  ws_client.py URL [--header 'Name: value']... [--origin URL] [--count N] [--timeout S]
               [--pause S] [--send TEXT]... [--duration S]

Connects over TLS without verifying the certificate (the tests' servers are self-signed),
prints each text message received on a line of its own until N were received (0: until closed
or timed out), and ends with one line: "CLOSED <code> <reason>", "TIMEOUT" or
"REFUSED <HTTP status>". With --pause it reads nothing for S seconds first (a slow client).
--send sends TEXT once connected (in order); --duration stops after S seconds ("DONE").
"""
import argparse
import asyncio
import ssl
import sys

import websockets


async def main(args):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    headers = [tuple(h.split(": ", 1)) for h in args.header]
    try:
        async with websockets.connect(
                args.url, ssl=context, extra_headers=headers, origin=args.origin,
                max_queue=4, read_limit=2**14, max_size=2**20,
                open_timeout=10) as socket:
            for text in args.send:
                await socket.send(text)
            if args.pause > 0:
                await asyncio.sleep(args.pause)
            received = 0
            loop = asyncio.get_running_loop()
            end = loop.time() + args.duration if args.duration > 0 else None
            while args.count == 0 or received < args.count:
                wait = args.timeout
                if end is not None:
                    if loop.time() >= end:
                        break
                    wait = min(wait, end - loop.time())
                try:
                    message = await asyncio.wait_for(socket.recv(), wait)
                except asyncio.TimeoutError:
                    if end is not None and loop.time() >= end:
                        break
                    raise
                print(message, flush=True)
                received += 1
            print("DONE", flush=True)
    except websockets.exceptions.InvalidStatusCode as refused:
        print(f"REFUSED {refused.status_code}", flush=True)
    except websockets.exceptions.ConnectionClosed as closed:
        print(f"CLOSED {closed.code} {closed.reason}", flush=True)
    except asyncio.TimeoutError:
        print("TIMEOUT", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--origin", default=None)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--pause", type=float, default=0)
    parser.add_argument("--send", action="append", default=[])
    parser.add_argument("--duration", type=float, default=0)
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
