"""Rate limits for Socket.IO: events per connection and per client address, connection
attempts per address, and a stricter budget for attempts that fail (room-code guessing).

Events, the hot path (every command of every phone), go through small token buckets: O(1)
per event and nothing to sweep. (The `limits` library's in-memory storage re-scans every key
on a short timer; with a room of phones that sweep took much of the server's time:
docs/performance.md, "Profile".) Connection
attempts, which are rare, use `limits` (moving windows: a burst at a window's edge cannot pass
twice the limit); failed attempts have their own budget (failures.py), charged before the
lookup. With a message queue, both live in Redis (given by the cluster,
gamehub/server/cluster/limits.py), so every process shares one budget per address. The numbers
and why: docs/security.md.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ..runtime.addresses import client_address
from .buckets import Buckets, bucket_shape
from .failures import Attempt, MemoryFailures
from .joinbudget import DEFAULT as JOIN_BUDGET_DEFAULT
from .joinbudget import JoinBudget

log = logging.getLogger(__name__)

# Keys in the app's config (create_app DEFAULTS), so tests and deployments can change them.
CONFIG_DEFAULTS = {
    # A typing phone sends a sheet update per 150 ms (under 7 a second), a tap a command; a
    # resend burst after a reconnect is a handful. 20 in a second is far above a person, 600 a
    # minute (10/s) above any page.
    "RATE_LIMIT_EVENTS_PER_CONNECTION": "20/second;600/minute",
    # A whole room can reach the server from one address (venue NAT, a reverse proxy): in a
    # lecture hall of 2,000 phones, a third typing at once send about 4,500 updates a second.
    "RATE_LIMIT_EVENTS_PER_ADDRESS": "5000/second",
    # Refused events within this window after which the connection is dropped: 100 in 10 s
    # is five times the per-second burst, which no page that honours `rate_limited` reaches.
    "RATE_LIMIT_DROP_AFTER": "100/10seconds",
    # A hall of 2,000 reconnecting at once (server restart, wifi back) through one address.
    "RATE_LIMIT_CONNECTS_PER_ADDRESS": "3000/minute",
    # Wrong room codes, keys and tokens (on sockets and pages), per address and per target (a
    # room code and a kind of key): a person mistypes a code a few times, and a hall behind one
    # venue address mistypes many different codes, each its own target. Both in one window.
    "RATE_LIMIT_FAILURES_PER_ADDRESS": "120/minute",
    "RATE_LIMIT_FAILURES_PER_TARGET": "30/minute",
    # How many reverse proxies in front of the server append to X-Forwarded-For; 0 trusts none.
    "TRUSTED_PROXIES": 0,
    # New participants per session from one address: a burst, then a rate ("BURST,PER_MINUTE",
    # or "off"). A room of 500 behind one venue address is in within two minutes; a script's
    # 150 fake phones in a second and a half are not (joinbudget.py; docs/security.md).
    "JOIN_BUDGET": JOIN_BUDGET_DEFAULT,
}


class Verdict(enum.Enum):
    OK = "ok"
    LIMITED = "limited"  # refuse this event, keep the connection
    DROP = "drop"  # refuse it and close the connection: sustained abuse


class RateLimiter:
    """One per app. Event checks are arithmetic in memory; nothing touches the store. With
    `shared` (a message queue's cluster: `window()` a `limits` storage, `failures(limit,
    window, local, per_target)` a failure budget), connection attempts and failures are counted
    there, for every process at once. `sleep` waits cooperatively (the server's)."""

    def __init__(self, config: Mapping, sleep=time.sleep, shared=None):
        self._window = self._local_window = MovingWindowRateLimiter(MemoryStorage())
        failures = parse(config["RATE_LIMIT_FAILURES_PER_ADDRESS"])
        per_target = parse(config["RATE_LIMIT_FAILURES_PER_TARGET"])
        if per_target.get_expiry() != failures.get_expiry():
            raise ValueError("RATE_LIMIT_FAILURES_PER_TARGET and _PER_ADDRESS must count over the same window")
        self._failures = MemoryFailures(failures.amount, failures.get_expiry(), per_target.amount)
        if shared is not None:
            # Events stay per process: a Redis round trip per event would cost more than the
            # event, and a connection's events all reach the process that holds it.
            self._window = MovingWindowRateLimiter(shared.window())
            self._failures = shared.failures(failures.amount, failures.get_expiry(), local=self._failures,
                                             per_target=per_target.amount)
        self._sleep = sleep
        self._per_connection = Buckets(*bucket_shape(config["RATE_LIMIT_EVENTS_PER_CONNECTION"]))
        self._per_address = Buckets(*bucket_shape(config["RATE_LIMIT_EVENTS_PER_ADDRESS"]))
        self._strikes = Buckets(*bucket_shape(config["RATE_LIMIT_DROP_AFTER"]))
        self._connects = parse_many(config["RATE_LIMIT_CONNECTS_PER_ADDRESS"])
        self._failure_window = failures.get_expiry()
        self.trusted_proxies = int(config["TRUSTED_PROXIES"])
        self.joins = JoinBudget(config["JOIN_BUDGET"])  # new participants per session and address

    def address(self, environ: Mapping) -> str:
        return client_address(environ, self.trusted_proxies)

    def event(self, sid: str, address: str) -> Verdict:
        """Count one event of connection `sid` from `address`."""
        now = time.monotonic()
        if not self._per_connection.take(sid, now):
            # Only a connection's own excess counts toward dropping it: a busy room sharing
            # its address must not get its phones dropped.
            return Verdict.LIMITED if self._strikes.take(sid, now) else Verdict.DROP
        # Refused events never reach the address budget, so a flooding phone cannot use up
        # the budget of the others behind the same NAT.
        return Verdict.OK if self._per_address.take(address, now) else Verdict.LIMITED

    def retry_after(self, sid: str) -> float:
        """Seconds until connection `sid` may send again (a hint for clients)."""
        return round(self._per_connection.wait(sid), 2)

    def forget(self, sid: str) -> None:
        """A connection closed: drop its counters."""
        self._per_connection.forget(sid)
        self._strikes.forget(sid)

    def connect(self, address: str) -> bool:
        """Count one connection attempt; False when the address has made too many."""
        return self._take(self._connects, "connect", address)

    def attempt(self, address: str, target: str) -> Attempt:
        """`with limiter.attempt(address, failures.target(code, kind)) as attempt:` around
        anything that looks up a room code, key or token: a place in the address's and the
        target's failure budgets is held before the lookup (`attempt.spent` when either has none
        left: refuse before any lookup, whatever was sent), kept by `attempt.failed()`, given
        back otherwise (failures.Attempt)."""
        return Attempt(self._failures, address, target, self._sleep)

    @property
    def failure_window(self) -> int:
        """Seconds a failure counts for: how long a guessing address waits."""
        return self._failure_window

    def _take(self, items: list[RateLimitItem], scope: str, key: str) -> bool:
        try:
            return self._take_in(self._window, items, scope, key)
        except StorageError:  # Redis is unreachable: this process's own count, until it is back
            log.warning("Redis is unreachable: connection attempts are counted per process")
            return self._take_in(self._local_window, items, scope, key)

    @staticmethod
    def _take_in(window: MovingWindowRateLimiter, items: list[RateLimitItem], scope: str, key: str) -> bool:
        if len(items) == 1:  # one step: the check and the charge together
            return window.hit(items[0], scope, key)
        # Test every window first: a refused event must not use up the longer windows too.
        if not all(window.test(item, scope, key) for item in items):
            return False
        return all([window.hit(item, scope, key) for item in items])
