"""A real FTP(S) server for reporter_test: Debian's pyftpdlib on loopback.

ftp_server.py MODE PORT CERT KEY ROOT USER PASSWORD
  MODE: ftp (plain) or ftps (explicit TLS, AUTH TLS and PROT P required).
  Note: with Debian 12's pyftpdlib 1.5.7 + pyOpenSSL 23 the TLS data
  connection is closed right after it is secured (curl, on OpenSSL or GnuTLS,
  gets "Connection reset by peer" on STOR), so reporter_test uses "ftp".
  PORT 0 picks a free port. Prints the port on stdout and serves ROOT
  (read-write for USER) until killed.
"""
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer

mode, port, cert, key, root, user, password = sys.argv[1:8]

authorizer = DummyAuthorizer()
authorizer.add_user(user, password, root, perm="elradfmwMT")
if mode == "ftps":
    handler = TLS_FTPHandler
    handler.certfile = cert
    handler.keyfile = key
    handler.tls_control_required = True
    handler.tls_data_required = True
else:
    handler = FTPHandler
handler.authorizer = authorizer
handler.passive_ports = None
server = FTPServer(("127.0.0.1", int(port)), handler)
print(server.socket.getsockname()[1], flush=True)
server.serve_forever()
