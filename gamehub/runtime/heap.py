"""The garbage collector, set for a server that holds a room of long-lived connections.

Python's cyclic collector runs a young collection every 700 container allocations (net) and,
now and then, a full one over every object the process holds. A server with 2,000 phones
holds about 340,000 such objects (sockets, green threads, timers, views), beside the 140,000
loaded at start. At the default thresholds, while a room typed, young collections ran 23-35
times a second and promoted objects that were only waiting a few milliseconds (an update
waiting for its commit, a packet in a socket's queue); so a full collection came every 3-5 s
and stopped the event loop for 0.21-0.28 s. The collector took 9-14% of a core, and its pauses
set the tail of every latency (docs/performance.md, "The garbage collector").

So: what is loaded at start goes out of every collection (`gc.freeze`), and young collections
come every 50,000 allocations, by which time nearly all of a command's objects are freed by
their reference counts and never reach the older generations.
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
