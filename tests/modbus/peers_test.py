"""End to end with peers that are not ours.

  mbpoll / pymodbus (Modbus TCP clients) -> ews-gateway (127.0.0.1, port 0)
    -> virtual RS485 bus (lab/bus, 19200 8E1, real character timing)
    -> pymodbus RTU slaves (units 17 and 18)

A second ews-gateway, with --broadcast_reply --read_only, on the bus's third
endpoint is started by the one test that uses it (never both at once on the
line).

Run by /usr/bin/python3 (Debian's pymodbus). Every child is stopped by pid.
"""
import os
import subprocess
import sys
import threading
import time
import unittest

from pymodbus.client import ModbusTcpClient
from pymodbus.mei_message import ReadDeviceInformationRequest

RUNFILES = os.environ.get("TEST_SRCDIR", "") + "/ews"
VIRTUAL_BUS = RUNFILES + "/lab/bus/virtual_bus"
GATEWAY = RUNFILES + "/apps/gateway/ews-gateway"
SLAVE = RUNFILES + "/tests/modbus/pymodbus_rtu_slave.py"


def read_line_with(proc, word, timeout=10):
    deadline = time.time() + timeout
    lines = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if word in line:
            return line, lines
    raise RuntimeError("no %r from child: %r" % (word, lines))


class PeersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.children = []
        bus = subprocess.Popen([VIRTUAL_BUS, "--endpoints=3", "--line=19200 8E1"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
        cls.children.append(bus)
        endpoints = {}
        while True:
            line, _ = read_line_with(bus, "")
            if line.startswith("endpoint"):
                _, index, path = line.split()
                endpoints[int(index)] = path
            if line.strip() == "ready":
                break
        slave = subprocess.Popen(["/usr/bin/python3", SLAVE, endpoints[1],
                                  "19200", "17,18"], stdout=subprocess.PIPE,
                                 text=True)
        cls.children.append(slave)
        read_line_with(slave, "ready")
        cls.endpoints = endpoints
        # 64 clients at once on a 19200 line: the last request waits about
        # 1.3 s in the queue, beyond the default deadline (1 s, then 0x0A).
        cls.port = cls.start_gateway(endpoints[0], "--request_timeout_ms=4000")

    @classmethod
    def start_gateway(cls, endpoint, *flags):
        gateway = subprocess.Popen([GATEWAY, "--tty=" + endpoint,
                                    "--serial=19200 8E1", "--bind=127.0.0.1",
                                    "--port=0"] + list(flags),
                                   stdout=subprocess.PIPE, text=True)
        cls.children.append(gateway)
        line, _ = read_line_with(gateway, "listening on")
        return int(line.split()[2])

    @classmethod
    def tearDownClass(cls):
        for child in reversed(cls.children):
            child.terminate()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()

    def mbpoll(self, *args):
        result = subprocess.run(
            ["mbpoll", "-m", "tcp", "-p", str(self.port), "-1", "-o", "2"] +
            list(args), capture_output=True, text=True, timeout=20)
        return result.returncode, result.stdout + result.stderr

    def test_mbpoll_reads_holding_registers(self):
        rc, out = self.mbpoll("-a", "17", "-r", "1", "-c", "4", "127.0.0.1")
        self.assertEqual(rc, 0, out)
        for i, value in enumerate([1000, 1001, 1002, 1003]):
            self.assertIn("[%d]: \t%d" % (i + 1, value), out)

    def test_mbpoll_reads_input_registers_and_coils(self):
        rc, out = self.mbpoll("-a", "18", "-t", "3", "-r", "1", "-c", "2",
                              "127.0.0.1")
        self.assertEqual(rc, 0, out)
        self.assertIn("[1]: \t2000", out)
        rc, out = self.mbpoll("-a", "18", "-t", "0", "-r", "1", "-c", "4",
                              "127.0.0.1")
        self.assertEqual(rc, 0, out)
        self.assertIn("[2]: \t1", out)

    def test_mbpoll_writes_then_reads_back(self):
        rc, out = self.mbpoll("-a", "17", "-r", "50", "127.0.0.1", "4242")
        self.assertEqual(rc, 0, out)
        rc, out = self.mbpoll("-a", "17", "-r", "50", "-c", "1", "127.0.0.1")
        self.assertIn("[50]: \t4242", out)

    def test_mbpoll_silent_unit_gets_target_failed_to_respond(self):
        rc, out = self.mbpoll("-a", "19", "-r", "1", "127.0.0.1")
        self.assertIn("Target device failed to respond", out)

    def test_pymodbus_client_through_the_gateway(self):
        client = ModbusTcpClient("127.0.0.1", port=self.port, timeout=2)
        self.assertTrue(client.connect())
        try:
            rr = client.read_holding_registers(2, 3, slave=17)
            self.assertFalse(rr.isError(), rr)
            self.assertEqual(rr.registers, [1002, 1003, 1004])
            wr = client.write_registers(60, [7, 8, 9], slave=18)
            self.assertFalse(wr.isError(), wr)
            rr = client.read_holding_registers(60, 3, slave=18)
            self.assertEqual(rr.registers, [7, 8, 9])
            # (pymodbus 3.0.0rc1: these requests take unit=, not slave=.)
            rr = client.readwrite_registers(read_address=60, read_count=2,
                                            write_address=61,
                                            write_registers=[5], unit=18)
            self.assertFalse(rr.isError(), rr)
            self.assertEqual(rr.registers, [7, 5])
            wc = client.write_coil(2, True, slave=17)
            self.assertFalse(wc.isError(), wc)
            rc = client.read_coils(0, 4, slave=17)
            self.assertEqual(rc.bits[:4], [False, True, True, True])
            # Device exception passed through; silent unit -> 0x0B.
            bad = client.read_holding_registers(5000, 2, slave=17)
            self.assertTrue(bad.isError())
            self.assertEqual(bad.exception_code, 0x02)
            silent = client.read_holding_registers(0, 1, slave=19)
            self.assertEqual(silent.exception_code, 0x0B)
            # The box itself on unit 255: 43/14.
            ident = client.execute(ReadDeviceInformationRequest(
                read_code=1, object_id=0, unit=255))
            self.assertFalse(ident.isError(), ident)
            self.assertEqual(ident.information[0], b"EWS")
            # And the device's own 43/14 through the gateway.
            ident = client.execute(ReadDeviceInformationRequest(
                read_code=1, object_id=0, unit=17))
            self.assertFalse(ident.isError(), ident)
            self.assertEqual(ident.information[0], b"pymodbus")
        finally:
            client.close()

    def test_pymodbus_broadcast_then_read(self):
        # pymodbus with broadcast_enable reads no answer to a unit-0 write;
        # an answer from the gateway would be taken for the next request's.
        client = ModbusTcpClient("127.0.0.1", port=self.port, timeout=2,
                                 broadcast_enable=True)
        self.assertTrue(client.connect())
        try:
            client.write_register(70, 4711, slave=0)
            rr = client.read_holding_registers(70, 2, slave=17)
            self.assertFalse(rr.isError(), rr)
            self.assertEqual(rr.registers, [4711, 1071])
            client.write_registers(71, [5, 6], slave=0)
            rr = client.read_holding_registers(70, 3, slave=18)
            self.assertFalse(rr.isError(), rr)
            self.assertEqual(rr.registers, [4711, 5, 6])
        finally:
            client.close()

    def test_broadcast_reply_and_read_only_options(self):
        gateway = len(self.children)
        port = self.start_gateway(self.endpoints[2], "--broadcast_reply",
                                  "--read_only")
        client = ModbusTcpClient("127.0.0.1", port=port, timeout=2)
        try:
            self.assertTrue(client.connect())
            # Without broadcast_enable pymodbus waits for the echo, which
            # --broadcast_reply sends; on a read-only route nothing is
            # broadcast, so the gateway says the path is unavailable.
            wr = client.write_register(80, 1, slave=0)
            self.assertTrue(wr.isError(), wr)
            self.assertEqual(wr.exception_code, 0x0A)
            # Writes refused with "illegal function", reads pass.
            wr = client.write_register(80, 1, slave=17)
            self.assertTrue(wr.isError(), wr)
            self.assertEqual(wr.exception_code, 0x01)
            rr = client.read_holding_registers(80, 1, slave=17)
            self.assertFalse(rr.isError(), rr)
            self.assertEqual(rr.registers, [1080])
        finally:
            client.close()
            child = self.children.pop(gateway)
            child.terminate()
            child.wait(timeout=5)

    def test_64_concurrent_pymodbus_clients(self):
        errors = []

        def run(index):
            client = ModbusTcpClient("127.0.0.1", port=self.port, timeout=10)
            try:
                if not client.connect():
                    errors.append("connect %d" % index)
                    return
                for _ in range(2):
                    rr = client.read_holding_registers(index % 50, 2,
                                                       slave=17 + index % 2)
                    if rr.isError() or rr.registers[0] != 1000 + index % 50:
                        errors.append((index, str(rr)))
            finally:
                client.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(64)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
