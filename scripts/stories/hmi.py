"""The story's HMI: polls the PLC's holding registers once a second over one connection.

With --write-at it also writes two setpoints with Write Multiple Registers (function 16), a
function code the HMI never uses while the baseline is learned.

Usage: hmi.py PLC START UNTIL [--write-at OFFSET]
  START   the story's start, seconds since the epoch; UNTIL the offset to stop polling at.
"""

import sys

from pymodbus.client import ModbusTcpClient

from schedule import client_arguments, sleep_until, ticks

POLL_FIRST = 0.0
POLL_PERIOD = 1.0


def main() -> None:
    args = client_arguments("until", "the offset to stop polling at")
    args.add_argument("--write-at", type=float, help="the offset of the setpoint write")
    opts = args.parse_args()

    client = ModbusTcpClient(opts.plc, port=502, timeout=2)
    written = opts.write_at is None
    for offset in ticks(opts.start, POLL_FIRST, POLL_PERIOD, opts.until):
        if not client.connected and not client.connect():
            sys.exit("hmi: cannot reach the PLC")
        regs = client.read_holding_registers(0, count=10, device_id=1)
        if regs.isError():
            sys.exit(f"hmi: read failed at {offset:.0f} s: {regs}")
        if not written and offset + POLL_PERIOD / 2 >= opts.write_at:
            # Between two reads, on the same connection, as an operator's setpoint change.
            sleep_until(opts.start, opts.write_at)
            reply = client.write_registers(5, [950, 1150], device_id=1)
            if reply.isError():
                sys.exit(f"hmi: write failed: {reply}")
            print(f"hmi: wrote setpoints at {opts.write_at:.1f} s", flush=True)
            written = True
    client.close()
    print(f"hmi: last registers {regs.registers}", flush=True)


if __name__ == "__main__":
    main()
