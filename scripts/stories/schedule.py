"""What the story's clients share: their arguments and their timing.

Each client gets the story's start as seconds since the epoch and sleeps until absolute
instants (start + offset), so periods do not drift with the time each request takes and the
timeline in samples/stories/README.md holds to a few milliseconds.
"""

import argparse
import time


def client_arguments(last: str, help_last: str) -> argparse.ArgumentParser:
    """The arguments every client takes: the PLC's address, the story's start, then `last`."""
    args = argparse.ArgumentParser()
    args.add_argument("plc", help="the PLC's address")
    args.add_argument("start", type=float, help="the story's start, seconds since the epoch")
    args.add_argument(last, type=float, help=help_last)
    return args


def sleep_until(start: float, offset: float) -> None:
    """Sleep until `offset` seconds after `start` (returns at once when that is past)."""
    delay = start + offset - time.time()
    if delay > 0:
        time.sleep(delay)


def ticks(start: float, first: float, period: float, until: float):
    """Yield the offsets first, first + period, … below `until`, sleeping until each one."""
    n = 0
    while True:
        offset = first + n * period
        if offset >= until:
            return
        sleep_until(start, offset)
        yield offset
        n += 1
