"""The story's engineering workstation: reads the PLC's data block 1 over S7comm every 5 s.

With --stop-at it sends the PLC an S7comm PLC STOP (a PI service request, function 0x29) on
the same connection, then goes on reading.

Usage: ews.py PLC START UNTIL [--stop-at OFFSET]
  START   the story's start, seconds since the epoch; UNTIL the offset to stop reading at.
"""

import logging

import snap7

from schedule import client_arguments, sleep_until, ticks

READ_FIRST = 0.5
READ_PERIOD = 5.0


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = client_arguments("until", "the offset to stop reading at")
    args.add_argument("--stop-at", type=float, help="the offset of the PLC stop")
    opts = args.parse_args()

    sleep_until(opts.start, READ_FIRST)
    client = snap7.client.Client()
    client.connect(opts.plc, 0, 2)
    stopped = opts.stop_at is None
    for offset in ticks(opts.start, READ_FIRST, READ_PERIOD, opts.until):
        if not stopped and offset >= opts.stop_at:
            sleep_until(opts.start, opts.stop_at)
            client.plc_stop()
            print(f"ews: PLC stop sent at {opts.stop_at:.1f} s", flush=True)
            stopped = True
        data = client.db_read(1, 0, 10)
    client.disconnect()
    print(f"ews: last data block {data.hex()}", flush=True)


if __name__ == "__main__":
    main()
