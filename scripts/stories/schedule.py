"""Shared timing for the story's clients: everything is an offset from one start instant.

Each client gets the story's start as seconds since the epoch and sleeps until absolute
instants (start + offset), so periods do not drift with the time each request takes and the
timeline in samples/stories/README.md holds to a few milliseconds.
"""

import time


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
