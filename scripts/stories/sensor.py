"""The story's MQTT sensor readings: one JSON line every 2 s, for `mosquitto_pub -l`.

mosquitto_pub publishes each line it reads as one message over a single connection, so the
readings go out as a real sensor's would: one session, a PUBLISH every period.

Usage: sensor.py START UNTIL | mosquitto_pub -l ...
"""

import argparse
import math

from schedule import ticks

FIRST = 1.0
PERIOD = 2.0


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("start", type=float)
    args.add_argument("until", type=float)
    opts = args.parse_args()

    for offset in ticks(opts.start, FIRST, PERIOD, opts.until):
        # A slow, repeatable swing around 21 °C, so every run publishes the same values.
        celsius = 21.0 + 0.5 * math.sin(offset / 20.0)
        print(f'{{"celsius": {celsius:.2f}}}', flush=True)


if __name__ == "__main__":
    main()
