"""The budget of failed attempts per client address (wrong room codes, keys, tokens), with the
check and the charge in one step, so guesses sent in parallel cannot slip past it.

An attempt that needs a lookup to answer first reserves a place in its address's budget; the
lookup's outcome settles it: a failure keeps the place for the window, a success gives it
back. Checking first and charging after the lookup let every guess sent at once pass the
check before any was charged (36 sent together: 35 looked up).

While reserved places fill what failures left of the budget, a new attempt waits for them to
settle instead of being refused (`BUSY`): a hall of phones behind one venue address opening
the join page together must not be refused because thirty of them are being looked up.

Two stores, one behaviour: this process's memory, or Redis when processes share a message
queue, so N processes do not make N budgets. Each step there is one Lua script (atomic in
Redis, and timed by Redis's own clock, so the processes' clocks need not agree). The `limits`
library, which the other budgets use, cannot give a place back (its storages only acquire),
and giving back is what lets the charge come first. docs/security.md.
"""

from __future__ import annotations

import enum
import logging
import secrets
import threading
import time
from collections import deque

log = logging.getLogger(__name__)

# A reservation not settled by then is dropped: its process died during the lookup.
RESERVATION_SECONDS = 30


class Reserve(enum.Enum):
    RESERVED = "reserved"  # a place is held: look it up, then settle the ticket
    BUSY = "busy"  # lookups in flight fill the budget: try again in a moment
    SPENT = "spent"  # failures fill the budget: refuse


class MemoryFailures:
    """The budget in this process's memory."""

    def __init__(self, limit: int, window: float, clock=time.monotonic):
        self.limit, self.window, self._clock = limit, window, clock
        self._lock = threading.Lock()
        self._failed: dict[str, deque[float]] = {}
        self._held: dict[str, dict[str, float]] = {}

    def reserve(self, key: str) -> tuple[Reserve, str | None]:
        now = self._clock()
        with self._lock:
            failed, held = self._current(key, now)
            if len(failed) >= self.limit:
                return Reserve.SPENT, None
            if len(failed) + len(held) >= self.limit:
                return Reserve.BUSY, None
            ticket = secrets.token_hex(8)
            self._held.setdefault(key, {})[ticket] = now
            if len(self._held) + len(self._failed) > 10_000:
                self._sweep(now)
            return Reserve.RESERVED, ticket

    def fail(self, key: str, ticket: str) -> None:
        with self._lock:
            self._unhold(key, ticket)
            self._failed.setdefault(key, deque()).append(self._clock())

    def release(self, key: str, ticket: str) -> None:
        with self._lock:
            self._unhold(key, ticket)

    def _unhold(self, key: str, ticket: str) -> None:
        held = self._held.get(key)
        if held is not None:
            held.pop(ticket, None)
            if not held:  # most addresses only ever succeed: keep nothing for them
                del self._held[key]

    def _current(self, key: str, now: float) -> tuple[deque, dict]:
        failed = self._failed.get(key, deque())
        while failed and failed[0] <= now - self.window:
            failed.popleft()
        held = self._held.get(key, {})
        for ticket in [t for t, at in held.items() if at <= now - RESERVATION_SECONDS]:
            del held[ticket]
        return failed, held

    def _sweep(self, now: float) -> None:
        for key in list(self._failed.keys() | self._held.keys()):
            failed, held = self._current(key, now)
            if not failed:
                self._failed.pop(key, None)
            if not held:
                self._held.pop(key, None)


# KEYS: the address's failures and reservations (sorted sets scored by time).
# ARGV: limit, window seconds, reservation seconds, ticket. Returns 2 reserved, 1 busy, 0 spent.
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local limit = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
local failed = redis.call('ZCARD', KEYS[1])
if failed >= limit then return 0 end
if failed + redis.call('ZCARD', KEYS[2]) >= limit then return 1 end
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 2
"""

# KEYS as above; ARGV: window seconds, ticket. The reservation becomes a failure.
_FAIL = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""

_LOCAL = "local:"  # a ticket from the fallback, while Redis was unreachable


class RedisFailures:
    """The budget in Redis, shared by every process on the message queue. While Redis cannot
    be reached, each process falls back to its own memory budget (`local`) rather than
    refusing everyone: the queue being down already degrades the cluster to separate
    processes, and their own budgets still hold each to the limit."""

    def __init__(self, url: str, limit: int, window: float, local: MemoryFailures):
        import redis  # only with --message-queue (the `scale` extra)

        self._errors = (redis.RedisError, OSError)
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._reserve, self._fail, self._client = client.register_script(_RESERVE), client.register_script(_FAIL), client
        self.limit, self.window, self.local = limit, int(window), local
        self._down = False

    @staticmethod
    def _keys(key: str) -> list[str]:
        # One hash tag: both keys of an address sit on one node of a Redis cluster.
        return [f"gamehub:{{failures:{key}}}", f"gamehub:{{failures:{key}}}:held"]

    def reserve(self, key: str) -> tuple[Reserve, str | None]:
        ticket = secrets.token_hex(8)
        try:
            answer = self._reserve(self._keys(key), [self.limit, self.window, RESERVATION_SECONDS, ticket])
        except self._errors:
            self._outage()
            outcome, local_ticket = self.local.reserve(key)
            return outcome, local_ticket and _LOCAL + local_ticket
        self._down = False
        return {2: (Reserve.RESERVED, ticket), 1: (Reserve.BUSY, None)}.get(int(answer), (Reserve.SPENT, None))

    def fail(self, key: str, ticket: str) -> None:
        if ticket.startswith(_LOCAL):
            return self.local.fail(key, ticket[len(_LOCAL):])
        try:
            self._fail(self._keys(key), [self.window, ticket])
        except self._errors:
            self._outage()
            self.local.fail(key, ticket)  # still counted, here at least

    def release(self, key: str, ticket: str) -> None:
        if ticket.startswith(_LOCAL):
            return self.local.release(key, ticket[len(_LOCAL):])
        try:
            self._client.zrem(self._keys(key)[1], ticket)
        except self._errors:
            self._outage()  # the reservation expires by itself

    def _outage(self) -> None:
        if not self._down:
            log.warning("Redis is unreachable: failed attempts are counted per process until it is back")
        self._down = True


BUSY_WAIT_SECONDS = 2.0  # how long an attempt waits for lookups in flight before it is refused
BUSY_POLL_SECONDS = 0.02


class Attempt:
    """One attempt that needs a lookup, from `with limiter.attempt(address) as attempt:`.
    `spent`: the budget is used up, refuse without looking anything up (unless the client
    holds a credential to try). Otherwise a place is held: `failed()` keeps it for the window;
    leaving the block any other way (a success, an error) gives it back. `wait=False`: when
    lookups in flight hold the budget, do not wait for them but count as spent (for a client
    with a credential, which is looked up anyway and answered as if spent if it is wrong)."""

    def __init__(self, budget, key: str, sleep=time.sleep, wait: bool = True):
        self._budget, self._key, self._ticket = budget, key, None
        waited = 0.0
        while True:
            outcome, self._ticket = budget.reserve(key)
            if outcome is not Reserve.BUSY or not wait or waited >= BUSY_WAIT_SECONDS:
                break
            sleep(BUSY_POLL_SECONDS)
            waited += BUSY_POLL_SECONDS
        self.spent = outcome is not Reserve.RESERVED

    def failed(self) -> None:
        """Charge this attempt: the lookup found nothing (a wrong code, key or token)."""
        if self._ticket is not None:
            self._budget.fail(self._key, self._ticket)
            self._ticket = None

    def __enter__(self) -> Attempt:
        return self

    def __exit__(self, *exc) -> None:
        if self._ticket is not None:
            self._budget.release(self._key, self._ticket)
            self._ticket = None
