"""The rate limits' shared budgets: connection attempts and failed attempts counted in the
message queue's Redis, for every process at once (gamehub/server/ratelimit.py uses them)."""

from __future__ import annotations

from ..failures import MemoryFailures
from . import redis as clients
from .failures import RedisFailures


class SharedLimits:
    def __init__(self, url: str):
        self._url = url

    def window(self):
        """Where the moving windows of connection attempts are counted."""
        return clients.limits_storage(self._url, key_prefix="gamehub-limits")

    def failures(self, limit: int, window: float, local: MemoryFailures, per_target: int | None = None) -> RedisFailures:
        """The failure budget; `local`, this process's own, counts while Redis is unreachable."""
        return RedisFailures(self._url, limit, window, local=local, per_target=per_target)
