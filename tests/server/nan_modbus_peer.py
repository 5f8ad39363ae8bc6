"""A Modbus TCP device whose float registers hold NaN and +infinity.

Serves the generic_modbus_device profile's input registers (voltage and current as FLOAT32,
CDAB word order) on 127.0.0.1, a port chosen by the kernel, written to the file given as the
first argument once it accepts connections. Every other register reads as 0. Runs until killed.
"""
import os
import socketserver
import struct
import sys

NAN = 0x7FC00000
POS_INF = 0x7F800000


def cdab(bits):
    return [bits & 0xFFFF, bits >> 16]


INPUT_REGISTERS = dict(enumerate(cdab(NAN) + cdab(POS_INF)))


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            header = self._read(7)
            if header is None:
                return
            transaction, protocol, length, unit = struct.unpack(">HHHB", header)
            pdu = self._read(length - 1)
            if pdu is None:
                return
            function = pdu[0]
            if function in (3, 4) and len(pdu) == 5:
                address, count = struct.unpack(">HH", pdu[1:5])
                table = INPUT_REGISTERS if function == 4 else {}
                words = [table.get(address + i, 0) for i in range(count)]
                reply = bytes([function, 2 * count]) + struct.pack(">%dH" % count, *words)
            else:
                reply = bytes([function | 0x80, 1])
            self.request.sendall(
                struct.pack(">HHHB", transaction, protocol, len(reply) + 1, unit) + reply)

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    with Server(("127.0.0.1", 0), Handler) as server:
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        server.serve_forever()
