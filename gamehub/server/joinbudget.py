"""How many new participants one client address may add to a session: a token bucket per
session and address, so a script behind one address cannot fill a room with fake phones
while a real room behind a venue's one NAT address still gets in within a couple of minutes.

Only a join that would add someone is charged: a phone reconnecting with its token is not a
join at all, a join resent with a token already in the session is the same person, and a
join the engine refuses (locked, full, a name too long) gives its place back. The numbers and
the arithmetic: docs/security.md, "Joins per address".
"""

from __future__ import annotations

from .buckets import Buckets

DEFAULT = "40,240"  # a burst of 40, then 240 a minute (4 a second)
MAX_BURST = 10_000
MAX_PER_MINUTE = 60_000


class BadBudget(ValueError):
    """A `--join-budget` / `JOIN_BUDGET` that is not "BURST,PER_MINUTE" or "off"."""


def parse_budget(spec: object) -> tuple[int, int] | None:
    """"BURST,PER_MINUTE" as two whole numbers, or None for "off" (no budget)."""
    text = str(spec).strip().lower()
    if text == "off":
        return None
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise BadBudget(f"the join budget must be BURST,PER_MINUTE (e.g. {DEFAULT}) or off, not {str(spec)[:40]!r}")
    burst, per_minute = int(parts[0]), int(parts[1])
    if not (1 <= burst <= MAX_BURST and 1 <= per_minute <= MAX_PER_MINUTE):
        raise BadBudget(f"the join budget's burst must be 1 to {MAX_BURST:,} and its rate 1 to "
                        f"{MAX_PER_MINUTE:,} a minute")
    return burst, per_minute


class JoinBudget:
    """A bucket of `burst` joins per (session, address), refilled at `per_minute` / 60 a second.
    In this process's memory: among several processes, each session's phones reach the process
    that owns it (docs/deployment.md), so its joins are counted in one place."""

    def __init__(self, spec: object = DEFAULT):
        self.shape = parse_budget(spec)
        self._buckets = None if self.shape is None else Buckets(float(self.shape[0]), self.shape[1] / 60)

    def take(self, session_id: str, address: str, now: float) -> bool:
        """Charge one join; False when the address has used up its budget for this session."""
        return self._buckets is None or self._buckets.take((session_id, address), now)

    def give_back(self, session_id: str, address: str) -> None:
        """A charged join added nobody (the engine refused it): its place is free again."""
        if self._buckets is not None:
            self._buckets.give_back((session_id, address))

    def wait(self, session_id: str, address: str) -> float:
        """Seconds until the address may add someone to the session again, as of its last `take`."""
        return 0.0 if self._buckets is None else round(self._buckets.wait((session_id, address)), 2)
