"""A pymodbus RTU slave on a serial device (an endpoint of the virtual bus).

usage: /usr/bin/python3 pymodbus_rtu_slave.py DEVICE BAUD UNIT[,UNIT...]

Each unit serves holding registers 0..99 = 1000 + address, input registers
0..99 = 2000 + address, coils 0..99 = address % 2. Prints "ready" on stdout
once the port is open. Broadcasts (unit 0) are applied to every unit,
without an answer.
"""
import logging
import sys
import threading

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.device import ModbusDeviceIdentification
from pymodbus.server import StartSerialServer
from pymodbus.transaction import ModbusRtuFramer


def main():
    device, baud, units = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    slaves = {}
    for unit in units.split(","):
        slaves[int(unit)] = ModbusSlaveContext(
            di=ModbusSequentialDataBlock(0, [0] * 101),
            co=ModbusSequentialDataBlock(0, [(i - 1) % 2 for i in range(101)]),
            # pymodbus data blocks are offset by one (address 0 is index 1).
            hr=ModbusSequentialDataBlock(0, [1000 + i - 1 for i in range(101)]),
            ir=ModbusSequentialDataBlock(0, [2000 + i - 1 for i in range(101)]),
            zero_mode=False)
    context = ModbusServerContext(slaves=slaves, single=False)
    identity = ModbusDeviceIdentification(info_name={
        "VendorName": "pymodbus", "ProductCode": "PM", "MajorMinorRevision": "3.0"})
    logging.basicConfig(level=logging.WARNING)
    threading.Timer(0.5, lambda: print("ready", flush=True)).start()
    # 8N1 on the pty: Linux ptys cannot hold parity (the bus times the line).
    StartSerialServer(context=context, identity=identity, framer=ModbusRtuFramer,
                      port=device, baudrate=baud, bytesize=8, parity="N",
                      stopbits=1, timeout=0.005, broadcast_enable=True)


if __name__ == "__main__":
    main()
