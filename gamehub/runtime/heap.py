"""The garbage collector, set for a server that holds a room of long-lived connections.

At Python's thresholds, the many objects a room of connections keeps alive (sockets, green
threads, timers, views) made young collections so frequent that they promoted objects only
waiting a moment (an update waiting for its commit, a packet in a socket's queue); full
collections over everything then came every few seconds, and their pauses of the event loop
set the tail of every latency. So: what is loaded at start goes out of every collection
(`gc.freeze`), and young collections come late enough that nearly all of a command's objects
are freed by their reference counts first and never reach the older generations.
Measurements: docs/performance.md, "The garbage collector".
"""

from __future__ import annotations

import gc

YOUNG = 50_000  # container allocations (net) between young collections; Python's default is 700
MIDDLE = 20  # young collections between collections of the middle generation (default 10)
OLD = 10  # middle collections between full ones, Python's default (full ones also wait until
#           the objects promoted since the last are a quarter of those it would scan)


def settle() -> None:
    """Call once, right before serving: collect, freeze what is loaded, and set the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, MIDDLE, OLD)
