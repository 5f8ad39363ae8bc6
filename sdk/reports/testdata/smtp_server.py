"""A real SMTP server for reporter_test: Debian's aiosmtpd on loopback.

smtp_server.py MODE PORT CERT KEY OUT_DIR USER PASSWORD
  MODE: starttls (STARTTLS and AUTH required), smtps (TLS from the first
  byte, AUTH required) or plain (no TLS, AUTH required; CERT and KEY unused). PORT 0 picks a free port. Prints the port on stdout,
  then stores each message as OUT_DIR/<n>.eml (the bytes received) until
  killed.
"""
import asyncio
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

mode, port, cert, key, out_dir, user, password = sys.argv[1:8]


class Handler:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(out_dir, "%d.eml" % self.count)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(path + ".rcpt", "w") as f:
            f.write(envelope.mail_from + "\n" + "\n".join(envelope.rcpt_tos))
        os.rename(path + ".tmp", path)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False)


async def main():
    context = None
    if mode != "plain":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
    handler = Handler()
    loop = asyncio.get_running_loop()
    if mode == "starttls":
        factory = lambda: SMTP(handler, hostname="localhost",
                               require_starttls=True, tls_context=context,
                               auth_required=True, auth_require_tls=True,
                               authenticator=authenticator)
        server = await loop.create_server(factory, "127.0.0.1", int(port))
    else:
        factory = lambda: SMTP(handler, hostname="localhost",
                               auth_required=True, auth_require_tls=False,
                               authenticator=authenticator)
        server = await loop.create_server(
            factory, "127.0.0.1", int(port),
            ssl=context)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
