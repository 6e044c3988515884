"""The story's PLC: a pymodbus Modbus/TCP server and a python-snap7 S7 server in one process.

A Siemens-style controller that also speaks Modbus/TCP, as many do. Both servers bind the
PLC's own address only. Runs until killed.

Usage: plc.py ADDRESS
"""

import logging
import sys

import snap7
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartTcpServer
from snap7.type import SrvArea


def start_s7(address: str) -> snap7.server.Server:
    """Serve data block 1 (the line's process image) over S7comm on port 102."""
    server = snap7.server.Server(log=False)
    # Tank level, pressure, temperature and speed as 16-bit words, then a status byte.
    process_image = bytearray([0x03, 0x2C, 0x03, 0xF5, 0x00, 0xD7, 0x05, 0xAA, 0x01, 0x00])
    server.register_area(SrvArea.DB, 1, process_image)
    server.start_to(address, 102)
    return server


def serve_modbus(address: str) -> None:
    """Serve twelve holding registers over Modbus/TCP on port 502 until killed."""
    # Level, pressure, temperature, speed, pump, setpoints and a mode word. The data block
    # counts from 1 (the Modbus data model's numbering), so protocol address 0 is the first.
    registers = ModbusSequentialDataBlock(1, [812, 1013, 215, 1450, 0, 900, 1100, 200, 1500, 3, 0, 0])
    context = ModbusServerContext(devices=ModbusDeviceContext(hr=registers), single=True)
    StartTcpServer(context, address=(address, 502))


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    address = sys.argv[1]
    s7 = start_s7(address)
    try:
        serve_modbus(address)
    finally:
        s7.stop()


if __name__ == "__main__":
    main()
