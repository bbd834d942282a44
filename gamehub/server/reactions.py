"""Reactions: phones applaud the group on the projector with a small fixed set of emoji.

Reactions are the room's atmosphere, not game state: they are counted here, in memory, and
never go through the engine or the command log (a replay of a session has no reactions, and
a restart forgets them). Each phone has a small budget of taps (a token bucket per
participant); taps are counted per session and group, and every `interval` seconds one
`reactions` message per session carries what changed to its projector and facilitator rooms,
so a thousand phones tapping at once are a few messages a second, never one per tap.

Several server processes: each counts the taps of its own phones and sends its own counts,
marked with its `source` (a random id per process); the screens add the sources up. Through
the message queue every process reaches every projector, so no count is lost, and each message
carries that process's totals, so a lost message is made good by the next one.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable

from ..engine import Rejected, Role
from .onscreen import OnScreen
from .presence import Connection, role_room

log = logging.getLogger(__name__)

# The set, in the order the phones show it: applause, laughter, surprise, love, an idea.
EMOJI = ("👏", "😂", "😮", "❤️", "💡")

CONFIG_DEFAULTS = {
    # A person taps a few times a second when something lands; a burst of 6 lets a quick
    # triple tap through twice, and 3 a second after that keeps a held thumb from flooding.
    "REACTIONS_PER_SECOND": 3.0,
    "REACTIONS_BURST": 6,
    # How often counts go to the screens (only when something changed); None: never by
    # itself (tests call `flush`).
    "REACTIONS_FLUSH_SECONDS": 0.25,
}

IDLE_SECONDS = 60.0  # a phone's budget is forgotten after this long without a tap (it is full by then)


class Bucket:
    """`capacity` taps at once, refilled at `rate` a second."""

    __slots__ = ("tokens", "stamp")

    def __init__(self, capacity: float, now: float):
        self.tokens, self.stamp = capacity, now

    def take(self, capacity: float, rate: float, now: float) -> float:
        """0 if a tap may go now (and it is counted), else the seconds until one may."""
        self.tokens = min(capacity, self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / rate


class Reactions:
    def __init__(self, screens: OnScreen, emit: Callable[..., None], per_second: float = 3.0, burst: int = 6,
                 clock: Callable[[], float] = time.monotonic, start: Callable[[], object] | None = None):
        self._screens = screens
        self._start = start  # starts the background flush (`run`), once, at the first counted tap
        self._emit = emit
        self._rate, self._burst = float(per_second), float(burst)
        self._clock = clock
        self.source = secrets.token_hex(4)  # this process, for screens adding up several
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._counts: dict[tuple[str, int], Counter] = {}  # (session, group) -> every tap so far
        self._added: dict[str, dict[int, Counter]] = {}  # session -> group -> taps since the last flush
        self._guard = threading.Lock()
        self._swept = clock()

    def react(self, connection: Connection, payload: object) -> dict:
        """A phone's tap: checked, limited and counted (not stored). The ack, or `Rejected`."""
        if connection.role is not Role.PARTICIPANT:
            raise Rejected("not_joined" if connection.role is Role.GUEST else "forbidden",
                           "Only a participant's phone can react")
        emoji, group = _parse(payload)
        if emoji not in EMOJI:
            raise Rejected("unknown_emoji", "That is not one of the reactions", {"emoji": list(EMOJI)})
        session_id, pid = connection.session_id, connection.participant_id or ""
        now = self._clock()
        with self._guard:
            bucket = self._buckets.get((session_id, pid))
            if bucket is None:
                bucket = self._buckets[(session_id, pid)] = Bucket(self._burst, now)
            wait = bucket.take(self._burst, self._rate, now)
        if wait:
            raise Rejected("rate_limited", "Too many reactions at once: wait a moment",
                           {"retry_after": round(wait, 2)})
        screen = self._screens.current(session_id)
        if screen is None:
            raise Rejected("unknown_session", "This session no longer exists")
        if pid not in screen.participants:
            raise Rejected("removed", "You are no longer in this session")
        if not screen.showcase:
            raise Rejected("wrong_phase", "Reactions are for the showcase")
        if screen.group != group:
            raise Rejected("not_on_screen", "That group is not on the big screen now", {"group": screen.group})
        with self._guard:
            self._counts.setdefault((session_id, group), Counter())[emoji] += 1
            self._added.setdefault(session_id, {}).setdefault(group, Counter())[emoji] += 1
            start, self._start = self._start, None
        if start is not None:
            start()
        return {"ok": True}

    def flush(self) -> int:
        """Send each session's changed counts to its projector and facilitator; how many sessions."""
        with self._guard:
            added, self._added = self._added, {}
            messages = [(session_id, {"session": session_id, "source": self.source, "groups": [
                {"number": number, "added": dict(taps), "counts": dict(self._counts[(session_id, number)])}
                for number, taps in sorted(groups.items())]}) for session_id, groups in added.items()]
            self._sweep()
        for session_id, message in messages:
            for role in (Role.PROJECTOR, Role.FACILITATOR):
                self._emit("reactions", message, to=role_room(session_id, role))
        return len(messages)

    def _sweep(self) -> None:
        """Forget the budgets of phones that stopped tapping (they are full again anyway)."""
        now = self._clock()
        if now - self._swept < IDLE_SECONDS:
            return
        self._swept = now
        for key in [k for k, b in self._buckets.items() if now - b.stamp > IDLE_SECONDS]:
            del self._buckets[key]

    def forget(self, session_id: str) -> None:
        """A deleted session: its counts and budgets go."""
        self._screens.forget(session_id)
        with self._guard:
            self._added.pop(session_id, None)
            for key in [k for k in self._counts if k[0] == session_id]:
                del self._counts[key]
            for key in [k for k in self._buckets if k[0] == session_id]:
                del self._buckets[key]

    def run(self, interval: float, sleep: Callable[[float], None]) -> None:
        """Flush every `interval` seconds, for ever (a background task)."""
        while True:
            sleep(interval)
            try:
                self.flush()
            except Exception:  # noqa: BLE001 -- one bad flush must not stop the next
                log.exception("sending reaction counts failed")


def _parse(payload: object) -> tuple[str, int]:
    """`{emoji, group}` (and an optional `cid`, ignored: a tap is not a command)."""
    if (not isinstance(payload, dict) or set(payload) - {"emoji", "group", "cid"}
            or not isinstance(payload.get("emoji"), str)
            or not isinstance(payload.get("group"), int) or isinstance(payload.get("group"), bool)):
        raise Rejected("bad_payload", "react: send {emoji: str, group: int}")
    return payload["emoji"], payload["group"]
