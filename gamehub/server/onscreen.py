"""Phones follow the card on the projector during the showcase.

A showcase step changes what every phone shows at the top of its screen (which group presents,
its story once revealed, its format once revealed) but nothing else of any phone's view. So a
step is not a whole new view per phone: it is one small `on_screen` event, the same bytes for
every phone of the session, sent once to a room they all listen in (with a message queue, one
message on the queue, not one per phone). It goes out only when what the phones show changed:
revealing answer parts, which phones do not show, sends nothing.

This module also keeps, per session, what is on screen and who takes part, so a reaction tap
(reactions.py) is checked without reading the store on every tap. It is refreshed by every
change this process makes (with one process, that is every change) and, when several processes
share the sessions (another may have made one), read again from the store once older than
`ttl` seconds, by one tap while the others go on with what is known.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..engine import Phase, Session
from ..storage.store import SessionStore
from ..views import screens as views


def phones_room(session_id: str) -> str:
    """The room every joined phone of a session listens in (beside its own)."""
    return f"{session_id}/phones"


@dataclass(frozen=True)
class Screen:
    """What the projector of a session shows now, as far as phones and reactions care."""

    showcase: bool  # the session is in the showcase phase
    shown: dict | None  # `views.on_screen` of the session
    participants: frozenset[str]
    expires: float | None  # None: never stale (one process: it hears of every change)

    @property
    def group(self) -> int | None:
        """The number of the group whose card is on the projector (None: the gallery, or not the showcase)."""
        group = self.shown and self.shown["group"]
        return group["number"] if group else None


class OnScreen:
    def __init__(self, store: SessionStore, emit: Callable[..., None], clock: Callable[[], float] = time.monotonic,
                 ttl: float | None = None, shared: bool = False):
        self._store = store
        # Several processes: what this one sent last is no guide to what phones show.
        self._shared = shared
        self._emit = emit
        self._clock = clock
        self._ttl = ttl
        self._screens: dict[str, Screen] = {}
        self._loading: set[str] = set()  # sessions being read again by one caller
        self._guard = threading.Lock()

    def published(self, state: Session, phones: frozenset[str] | None) -> None:
        """A change this process made and stored (called by the hub under the session's lock,
        so in version order). `phones` are the phones that got a whole view (None: all of them,
        and their views already say what is on screen)."""
        if state.phase is not Phase.SHOWCASE:
            with self._guard:
                self._screens.pop(state.id, None)
            return
        screen = self._screen_of(state)
        with self._guard:
            before = self._screens.get(state.id)
            self._screens[state.id] = screen
        if phones is None or (not self._shared and before is not None and before.shown == screen.shown):
            return
        self._emit("on_screen", {"session": state.id, "version": state.version, "on_screen": screen.shown},
                   to=phones_room(state.id))

    def current(self, session_id: str) -> Screen | None:
        """What the session's projector shows now (None: no such session)."""
        with self._guard:
            screen = self._screens.get(session_id)
            if screen is not None and (screen.expires is None or screen.expires > self._clock()):
                return screen
            if screen is not None and session_id in self._loading:
                return screen  # a thousand taps at once: one reads the store, the rest go on
            self._loading.add(session_id)
        try:
            record = self._store.get(session_id)
            fresh = None if record is None else self._screen_of(record.state)
        finally:
            with self._guard:
                self._loading.discard(session_id)
        with self._guard:
            if fresh is None:
                self._screens.pop(session_id, None)
            else:
                self._screens[session_id] = fresh
        return fresh

    def forget(self, session_id: str) -> None:
        """A deleted session."""
        with self._guard:
            self._screens.pop(session_id, None)

    def _screen_of(self, state: Session) -> Screen:
        # An ended game is still in the showcase phase, but its phones show a thank-you: no reactions.
        showcase = state.phase is Phase.SHOWCASE and state.ended_at is None
        return Screen(showcase=showcase, shown=views.on_screen(state) if showcase else None,
                      participants=frozenset(state.participants),
                      expires=None if self._ttl is None else self._clock() + self._ttl)
