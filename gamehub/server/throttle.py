"""At most one send per interval per key: the first at once, the rest gathered into one."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Iterable


class Throttle:
    """Coalesces sends per key (a session). `offer` says whether to send now, to schedule
    `take` after some seconds, or nothing (a send is already scheduled and will carry this)."""

    def __init__(self, interval: float):
        self.interval = interval  # 0 or less: every offer is sent at once
        self._sent: dict[str, float] = {}  # key -> monotonic time of the last send
        self._due: dict[str, set[Hashable]] = {}  # key -> what the scheduled send will carry
        self._guard = threading.Lock()

    def offer(self, key: str, items: Iterable[Hashable] = ()) -> float | None:
        """0: send now. A positive number: schedule a send (that calls `take`) that many seconds
        from now. None: a send is scheduled already, and `items` were added to it."""
        with self._guard:
            if key in self._due:
                self._due[key].update(items)
                return None
            wait = self._sent.get(key, float("-inf")) + self.interval - time.monotonic()
            if wait > 0:
                self._due[key] = set(items)
                return wait
            self._sent[key] = time.monotonic()
            return 0.0

    def due(self, key: str) -> bool:
        """Whether a send is scheduled for `key`."""
        with self._guard:
            return key in self._due

    def take(self, key: str) -> set[Hashable]:
        """The scheduled send is going now: what it carries."""
        with self._guard:
            self._sent[key] = time.monotonic()
            return self._due.pop(key, set())

    def forget(self, key: str) -> None:
        with self._guard:
            self._sent.pop(key, None)
            self._due.pop(key, None)
