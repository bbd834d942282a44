"""Several server processes share one Redis message queue; when Redis comes back after an
outage, every process re-sends each of its own connections its current view.

While Redis is down, an emit from one process cannot reach clients held by the others, so
some screens miss changes. python-socketio's Redis listener resubscribes by itself, with a
back-off of up to a minute; this watch pings Redis every second and, once it answers again,
re-sends every local connection its view (straight to the socket, not through the queue),
then again a few times while the other processes' listeners resubscribe. Views are whole
states, so a client that missed anything is whole again after one of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from . import redis as clients

log = logging.getLogger(__name__)

RESEND_AFTER = (0, 3, 10, 30)  # seconds after Redis answers again


class QueueWatch:
    def __init__(self, url: str, resync: Callable[[], int], start_task: Callable, sleep: Callable[[float], None],
                 interval: float = 1.0):
        self._redis = clients.client(url)
        self._resync = resync
        self._start_task = start_task
        self._sleep = sleep
        self._interval = interval

    def start(self) -> None:
        self._start_task(self._loop)

    def _reachable(self) -> bool:
        try:
            return bool(self._redis.ping())
        except Exception:  # any failure to reach Redis is an outage, whatever its exception
            return False

    def _loop(self) -> None:
        up = True
        while True:
            self._sleep(self._interval)
            now_up = self._reachable()
            if up and not now_up:
                log.warning("the message queue is unreachable: other processes' changes may be missed")
            if now_up and not up:
                log.warning("the message queue is back: re-sending every connection its view")
                self._start_task(self._resend)
            up = now_up

    def _resend(self) -> None:
        waited = 0
        for at in RESEND_AFTER:
            self._sleep(at - waited)
            waited = at
            try:
                log.info("re-sent %d views", self._resync())
            except Exception:
                log.exception("re-sending views failed")
