"""A real FTP(S) server for reporter_test: Debian's pyftpdlib on loopback.

ftp_server.py MODE PORT CERT KEY ROOT USER PASSWORD
  MODE: ftp (plain) or ftps (explicit TLS, AUTH TLS and PROT P required).
  PORT 0 picks a free port. Prints the port on stdout and serves ROOT
  (read-write for USER) until killed.
"""
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer



class DataHandler(TLS_DTPHandler):
    """pyftpdlib 1.5.7 (Debian 12) closes a passive data connection that is
    readable before a transfer command (DTPHandler.readable). curl >= 7.87
    handshakes TLS on the data connection as soon as it connects, before
    STOR, so its ClientHello made the server close (RST): curl then reported
    "Bad PASV/EPSV response". The server must read while its handshake is
    running. Fixed upstream in pyftpdlib 1.5.8 (giampaolo/pyftpdlib#612)."""

    def readable(self):
        return self._ssl_accepting or super().readable()


mode, port, cert, key, root, user, password = sys.argv[1:8]

authorizer = DummyAuthorizer()
authorizer.add_user(user, password, root, perm="elradfmwMT")
if mode == "ftps":
    handler = TLS_FTPHandler
    handler.certfile = cert
    handler.keyfile = key
    handler.tls_control_required = True
    handler.tls_data_required = True
    handler.dtp_handler = DataHandler
else:
    handler = FTPHandler
handler.authorizer = authorizer
handler.passive_ports = None
server = FTPServer(("127.0.0.1", int(port)), handler)
print(server.socket.getsockname()[1], flush=True)
server.serve_forever()
