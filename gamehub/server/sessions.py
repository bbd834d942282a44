"""Opening a new session: its room code, seed and secrets."""

from __future__ import annotations

import secrets

from ..engine import Deck, Settings, new_session
from ..storage.store import SessionRecord, SessionStore
from ..storage.tokens import new_room_code, new_token, token_hash


class TooManySessions(RuntimeError):
    """The store already holds the most sessions this server may keep."""


def open_session(store: SessionStore, deck: Deck, settings: Settings, now: float,
                 max_sessions: int | None = None) -> tuple[SessionRecord, str]:
    """Create and store a session; returns it and the facilitator token (shown once, never stored).
    With `max_sessions`, refuses (TooManySessions) when the store holds that many already."""
    if max_sessions is not None and (count := len(store.session_ids())) >= max_sessions:
        raise TooManySessions(f"{count} sessions are stored, and at most {max_sessions} are allowed")
    code = new_room_code()
    while store.get(code) is not None:
        code = new_room_code()
    facilitator_token = new_token()
    record = SessionRecord(
        state=new_session(code, seed=secrets.token_hex(16), deck=deck, settings=settings, now=now),
        facilitator_hash=token_hash(facilitator_token),
        projector_key=secrets.token_urlsafe(16),
    )
    store.create(record)
    return record, facilitator_token
