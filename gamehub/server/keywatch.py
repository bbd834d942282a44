"""Closes facilitator screens soon after `gamehub sessions key` replaced their key.

The CLI writes the new hash to the database from another process. Every facilitator event and
connection already checks the stored hash; this background task also catches screens that
are open but idle, so the old link stops working within `interval` seconds, not at its next
click. It runs only while some facilitator is connected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .hub import Hub

log = logging.getLogger(__name__)


class KeyWatch:
    def __init__(self, hub: Hub, start_task: Callable[[Callable[[], None]], object],
                 sleep: Callable[[float], None], interval: float):
        self._hub = hub
        self._start_task = start_task
        self._sleep = sleep
        self._interval = interval
        self._running = False
        self._guard = threading.Lock()

    @property
    def running(self) -> bool:
        return self._running

    def ensure_running(self) -> None:
        """Call after a facilitator connected; starts the task unless it runs already."""
        if self._interval <= 0:
            return
        with self._guard:
            if self._running:
                return
            self._running = True
        self._start_task(self._loop)

    def _loop(self) -> None:
        while True:
            self._sleep(self._interval)
            try:
                if revoked := self._hub.revoke_stale_keys():
                    log.warning("closed %d facilitator connection(s) whose key was replaced", revoked)
            except Exception:  # a database hiccup must not end the watch for good
                log.exception("checking facilitator keys failed")
            with self._guard:
                # Checked under the guard that `ensure_running` takes, so a facilitator who
                # connects right now either is seen here or starts a new task.
                if not self._hub.presence.facilitators():
                    self._running = False
                    return
