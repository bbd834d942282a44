"""Which sessions have screens on other processes: what lets an owner skip the message queue.

nginx sends every screen of a session to one process (`hash $arg_session consistent`), which
owns the session (ownership.py). Then every message of the session is for screens of that
process, and publishing it to Redis only for every process to receive and drop it was a
large share of an owner's CPU (docs/performance.md, "Cheaper per change"). So an owner
delivers its session's messages itself, past the queue, unless it knows of screens elsewhere
(`SessionEmitter`, emitter.py).

Screens do land elsewhere: nginx reloaded with other upstreams, a client without the session
in its URL, the minutes after a process restarts. So:

- a process that holds screens of a session it does not own says so, on the handover channel,
  every ANNOUNCE_SECONDS; every process keeps what it hears for FOREIGN_SECONDS;
- a screen connecting to a process that does not own its session waits (at most
  NOTED_SECONDS) until the owner says it has heard, before it joins its rooms and reads its
  view: nothing the owner sends after that skips the queue, and everything before it is in
  the view it reads;
- an owner sends through the queue for FOREIGN_SECONDS after it takes a session (or after the
  queue came back from an outage), long enough to hear of every screen elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

ANNOUNCE_SECONDS = 2.0  # how often a process names the sessions it holds screens of but does not own
FOREIGN_SECONDS = 10.0  # how long what it said holds: five announcements, so one late or lost does not matter
NOTED_SECONDS = 1.0  # how long a screen reaching a non-owner waits for the owner to have heard of it


class ForeignScreens:
    """What this process has heard of other processes' screens, and what it says of its own.

    `publish(message) -> int` sends a message on the handover channel and returns how many
    processes listen (Redis's PUBLISH); `clock` is monotonic."""

    def __init__(self, me: str, publish: Callable[[dict], int], clock: Callable[[], float]):
        self._me = me
        self._publish = publish
        self._clock = clock
        self._until: dict[str, float] = {}  # session -> until when screens elsewhere are counted on
        self._noted: dict[str, threading.Event] = {}  # sessions whose owner this process waits to hear from

    def elsewhere(self, session_id: str, now: float) -> bool:
        """Whether another process may hold screens of the session."""
        return self._until.get(session_id, 0.0) > now

    def heard(self, message: dict, holds: Callable[[str], bool]) -> None:
        """A process named the sessions it holds screens of; if it waits for an answer, the
        owner of any of them answers (the screens are counted on from now on)."""
        sessions = [s for s in message.get("sessions") or () if isinstance(s, str)]
        now = self._clock()
        # What has lapsed goes, so a long-running process does not keep every session it
        # ever heard of.
        self._until = {s: t for s, t in self._until.items() if t > now}
        for session_id in sessions:
            self._until[session_id] = now + FOREIGN_SECONDS
        owned = [s for s in sessions if holds(s)]
        if message.get("ask") and owned:
            self._publish({"op": "noted", "from": self._me, "to": message.get("from"), "sessions": owned})

    def noted(self, message: dict) -> None:
        """An owner answered: the screens waiting on its sessions may join their rooms."""
        for session_id in message.get("sessions") or ():
            if (waiting := self._noted.get(session_id)) is not None:
                waiting.set()

    def tell(self, session_id: str) -> None:
        """A screen of a session owned elsewhere connected here: say so, and wait until the
        owner has heard (several screens at once share one question)."""
        waiting = self._noted.get(session_id)
        if waiting is None:
            waiting = self._noted[session_id] = threading.Event()
            listeners = self._publish({"op": "screens", "from": self._me, "sessions": [session_id], "ask": True})
            if listeners <= 1:  # nobody else listens: there is no owner to wait for
                waiting.set()
        try:
            waiting.wait(NOTED_SECONDS)
        finally:
            if self._noted.get(session_id) is waiting:  # answered or not: the next screen asks anew
                self._noted.pop(session_id, None)

    def announce(self, sessions: Iterable[str]) -> None:
        """Name the sessions this process holds screens of but does not own (none: say nothing)."""
        sessions = sorted(set(sessions))
        if sessions:
            self._publish({"op": "screens", "from": self._me, "sessions": sessions})
