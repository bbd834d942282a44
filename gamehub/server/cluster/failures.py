"""The failure budget in Redis, shared by every process on the message queue (the single
process's own is gamehub/server/failures.py, which says how a budget works).

Each step is one Lua script (atomic in Redis, and timed by Redis's own clock, so the processes'
clocks need not agree). The `limits` library, which the other budgets use, cannot give a place
back (its storages only acquire), and giving back is what lets the charge come first.
docs/security.md.
"""

from __future__ import annotations

import logging
import secrets

from ..failures import RESERVATION_SECONDS, MemoryFailures, Reserve
from . import redis as clients

log = logging.getLogger(__name__)


# KEYS: the address's failures and reservations, then the target's (sorted sets scored by time).
# ARGV: address limit, target limit, window seconds, reservation seconds, ticket.
# Returns 2 reserved, 1 busy, 0 spent: spent if either budget is, busy if either is held full.
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local busy = false
for i = 1, 2 do
  local failed, held, limit = KEYS[2 * i - 1], KEYS[2 * i], tonumber(ARGV[i])
  redis.call('ZREMRANGEBYSCORE', failed, '-inf', now - tonumber(ARGV[3]))
  redis.call('ZREMRANGEBYSCORE', held, '-inf', now - tonumber(ARGV[4]))
  local count = redis.call('ZCARD', failed)
  if count >= limit then return 0 end
  if count + redis.call('ZCARD', held) >= limit then busy = true end
end
if busy then return 1 end
for i = 1, 2 do
  redis.call('ZADD', KEYS[2 * i], now, ARGV[5])
  redis.call('EXPIRE', KEYS[2 * i], ARGV[4])
end
return 2
"""

# KEYS as above; ARGV: window seconds, ticket. The reservations become failures.
_FAIL = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
for i = 1, 2 do
  redis.call('ZREM', KEYS[2 * i], ARGV[2])
  redis.call('ZADD', KEYS[2 * i - 1], now, ARGV[2])
  redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[1])
end
return 1
"""

_LOCAL = "local:"  # a ticket from the fallback, while Redis was unreachable


class RedisFailures:
    """The budget in Redis, shared by every process on the message queue. While Redis cannot
    be reached, each process falls back to its own memory budget (`local`) rather than
    refusing everyone: the queue being down already degrades the cluster to separate
    processes, and their own budgets still hold each to the limit."""

    def __init__(self, url: str, limit: int, window: float, local: MemoryFailures, per_target: int | None = None):
        self._errors = clients.errors()
        client = clients.client(url)
        self._reserve, self._fail, self._client = client.register_script(_RESERVE), client.register_script(_FAIL), client
        self.limit, self.window, self.local = limit, int(window), local
        self.per_target = limit if per_target is None else per_target
        self._down = False

    @staticmethod
    def _keys(address: str, target: str) -> list[str]:
        # One hash tag, the address: its four keys sit on one node of a Redis cluster.
        tag = f"gamehub:{{failures:{address}}}"
        return [tag, f"{tag}:held", f"{tag}:{target}", f"{tag}:{target}:held"]

    def reserve(self, address: str, target: str = "") -> tuple[Reserve, str | None]:
        ticket = secrets.token_hex(8)
        try:
            answer = self._reserve(self._keys(address, target),
                                   [self.limit, self.per_target, self.window, RESERVATION_SECONDS, ticket])
        except self._errors:
            self._outage()
            outcome, local_ticket = self.local.reserve(address, target)
            return outcome, local_ticket and _LOCAL + local_ticket
        self._down = False
        return {2: (Reserve.RESERVED, ticket), 1: (Reserve.BUSY, None)}.get(int(answer), (Reserve.SPENT, None))

    def fail(self, address: str, target: str, ticket: str) -> None:
        if ticket.startswith(_LOCAL):
            return self.local.fail(address, target, ticket[len(_LOCAL):])
        try:
            self._fail(self._keys(address, target), [self.window, ticket])
        except self._errors:
            self._outage()
            self.local.fail(address, target, ticket)  # still counted, here at least

    def release(self, address: str, target: str, ticket: str) -> None:
        if ticket.startswith(_LOCAL):
            return self.local.release(address, target, ticket[len(_LOCAL):])
        keys = self._keys(address, target)
        try:
            self._client.pipeline(transaction=False).zrem(keys[1], ticket).zrem(keys[3], ticket).execute()
        except self._errors:
            self._outage()  # the reservation expires by itself

    def _outage(self) -> None:
        if not self._down:
            log.warning("Redis is unreachable: failed attempts are counted per process until it is back")
        self._down = True
