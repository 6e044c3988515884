"""The story's intruder: a host the baseline never saw reads the PLC's holding registers.

Three reads of the whole register map one second apart on one connection, as reconnaissance
before tampering would look.

Usage: intruder.py PLC START AT
  START   the story's start, seconds since the epoch; AT the offset of the first read.
"""

import sys

from pymodbus.client import ModbusTcpClient

from schedule import client_arguments, sleep_until

READS = 3


def main() -> None:
    opts = client_arguments("at", "the offset of the first read").parse_args()

    sleep_until(opts.start, opts.at)
    client = ModbusTcpClient(opts.plc, port=502, timeout=2)
    if not client.connect():
        sys.exit("intruder: cannot reach the PLC")
    for i in range(READS):
        sleep_until(opts.start, opts.at + i)
        regs = client.read_holding_registers(0, count=12, device_id=1)
        if regs.isError():
            sys.exit(f"intruder: read failed: {regs}")
    client.close()
    print(f"intruder: read {regs.registers}", flush=True)


if __name__ == "__main__":
    main()
