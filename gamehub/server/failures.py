"""The budgets of failed attempts (wrong room codes, keys, tokens) per client address and per
target, with the check and the charge in one step, so guesses sent in parallel cannot slip
past them.

An attempt that needs a lookup to answer first reserves a place in its address's budget; the
lookup's outcome settles it: a failure keeps the place for the window, a success gives it
back. Checking first and charging after the lookup let every guess sent at once pass the
check before any was charged (36 sent together: 35 looked up).

While reserved places fill what failures left of the budget, a new attempt waits for them to
settle instead of being refused (`BUSY`): a hall of phones behind one venue address opening
the join page together must not be refused because thirty of them are being looked up.

Each attempt is counted twice: under its target (the room code and the kind of key it tries,
see `target`), and under its address as a whole, with a higher limit. Guesses at one room's
projector key then spend that target's budget, not the join page's nor another room's; many
targets guessed at once (a spray of room codes) still meet the address's cap.

Two stores, one behaviour: this process's memory, or Redis when processes share a message
queue, so N processes do not make N budgets. Each step there is one Lua script (atomic in
Redis, and timed by Redis's own clock, so the processes' clocks need not agree). The `limits`
library, which the other budgets use, cannot give a place back (its storages only acquire),
and giving back is what lets the charge come first. docs/security.md.
"""

from __future__ import annotations

import enum
import logging
import re
import secrets
import threading
import time
from collections import deque

log = logging.getLogger(__name__)

# A reservation not settled by then is dropped: its process died during the lookup.
RESERVATION_SECONDS = 30

_NOT_CODE = re.compile(r"[^A-Z0-9]")


def target(code: object, kind: str) -> str:
    """What an attempt tries, as a budget key: the room code as the lookup normalises it (only
    letters and digits, at most 16, so a made-up code cannot make a long key) and the kind of
    key (`code` for a code alone, `phone`, `projector`, `facilitator`, `organiser`, `auth`)."""
    text = code[:64].strip().upper().replace("-", "").replace(" ", "") if isinstance(code, str) else ""
    return f"{_NOT_CODE.sub('', text)[:16] or '-'}:{kind}"


class Reserve(enum.Enum):
    RESERVED = "reserved"  # a place is held: look it up, then settle the ticket
    BUSY = "busy"  # lookups in flight fill the budget: try again in a moment
    SPENT = "spent"  # failures fill the budget: refuse


class MemoryFailures:
    """The budget in this process's memory: `limit` failures per address and `per_target` per
    (address, target), both within the same `window` of seconds."""

    def __init__(self, limit: int, window: float, per_target: int | None = None, clock=time.monotonic):
        self.limit, self.window, self._clock = limit, window, clock
        self.per_target = limit if per_target is None else per_target
        self._lock = threading.Lock()
        self._failed: dict[str, deque[float]] = {}
        self._held: dict[str, dict[str, float]] = {}

    def _keys(self, address: str, target: str) -> tuple[tuple[str, int], ...]:
        return (address, self.limit), (f"{address} {target}", self.per_target)

    def reserve(self, address: str, target: str = "") -> tuple[Reserve, str | None]:
        now = self._clock()
        keys = self._keys(address, target)
        with self._lock:
            counts = []
            for key, limit in keys:
                failed, held = self._current(key, now)
                counts.append((len(failed), len(held), limit))
            if any(failed >= limit for failed, _, limit in counts):
                return Reserve.SPENT, None
            if any(failed + held >= limit for failed, held, limit in counts):
                return Reserve.BUSY, None
            ticket = secrets.token_hex(8)
            for key, _ in keys:
                self._held.setdefault(key, {})[ticket] = now
            if len(self._held) + len(self._failed) > 10_000:
                self._sweep(now)
            return Reserve.RESERVED, ticket

    def fail(self, address: str, target: str, ticket: str) -> None:
        with self._lock:
            now = self._clock()
            for key, _ in self._keys(address, target):
                self._unhold(key, ticket)
                self._failed.setdefault(key, deque()).append(now)

    def release(self, address: str, target: str, ticket: str) -> None:
        with self._lock:
            for key, _ in self._keys(address, target):
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
        import redis  # only with --message-queue (the `scale` extra)

        self._errors = (redis.RedisError, OSError)
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
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


BUSY_WAIT_SECONDS = 2.0  # how long an attempt waits for lookups in flight before it is refused
BUSY_POLL_SECONDS = 0.02


class Attempt:
    """One attempt that needs a lookup, from `with limiter.attempt(address, target) as attempt:`.
    `spent`: the address's or the target's budget is used up: refuse before looking anything
    up, the same way whatever the client sent (a right token included: answering it would
    make the lookup's outcome, or its time, tell right from wrong). Otherwise a place is held:
    `failed()` keeps it for the window; leaving the block any other way (a success, an error)
    gives it back. While lookups in flight hold a budget, the attempt waits for them."""

    def __init__(self, budget, address: str, target: str = "", sleep=time.sleep):
        self._budget, self._address, self._target, self._ticket = budget, address, target, None
        waited = 0.0
        while True:
            outcome, self._ticket = budget.reserve(address, target)
            if outcome is not Reserve.BUSY or waited >= BUSY_WAIT_SECONDS:
                break
            sleep(BUSY_POLL_SECONDS)
            waited += BUSY_POLL_SECONDS
        self.spent = outcome is not Reserve.RESERVED

    def failed(self) -> None:
        """Charge this attempt: the lookup found nothing (a wrong code, key or token)."""
        if self._ticket is not None:
            self._budget.fail(self._address, self._target, self._ticket)
            self._ticket = None

    def __enter__(self) -> Attempt:
        return self

    def __exit__(self, *exc) -> None:
        if self._ticket is not None:
            self._budget.release(self._address, self._target, self._ticket)
            self._ticket = None
