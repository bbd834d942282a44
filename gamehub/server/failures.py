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

Two stores, one behaviour: this process's memory (here), or Redis when processes share a
message queue, so N processes do not make N budgets (gamehub/server/cluster/failures.py).
docs/security.md.
"""

from __future__ import annotations

import enum
import re
import secrets
import threading
import time
from collections import deque

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
