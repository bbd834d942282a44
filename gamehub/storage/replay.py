"""Rebuilding a session from its command log: the engine is pure, so replay is exact.

A session this gamehub cannot rebuild (a snapshot format or a command it does not know, as
written by development versions that never shipped) raises `UnsupportedSession`, whose message
is one line naming it; `readable_sessions` says that line and loads the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..engine import COMMANDS, Actor, Role, Session, apply
from ..engine.codec import UnsupportedSession
from .store import LogEntry, SessionRecord, SessionStore


class ReplayError(RuntimeError):
    """The log does not replay to the versions it recorded: the data is damaged."""


def replay(state: Session, entries: Iterable[LogEntry]) -> Session:
    """Apply logged commands to `state` in order, checking each lands on its recorded version."""
    for entry in entries:
        kind = COMMANDS.get(entry.event)
        if kind is None:  # e.g. `edit_answer`, which only development versions that never shipped logged
            raise UnsupportedSession(state.id, f"its log holds the command {entry.event!r}, which this gamehub "
                                               "does not know")
        command = kind(**entry.payload)
        actor = Actor(Role(entry.actor["role"]), entry.actor.get("participant"))
        outcome = apply(state, command, actor, entry.at)
        if not outcome.ok or outcome.state.version != entry.version:
            problem = outcome.error.to_dict() if outcome.error else f"version {outcome.state.version}"
            raise ReplayError(f"session {state.id}: command {entry.version} ({entry.event}) "
                              f"does not replay: {problem}")
        state = outcome.state
    return state


def readable_sessions(store: SessionStore, say: Callable[[str], None]) -> dict[str, SessionRecord]:
    """Every stored session this gamehub can open, oldest first, by room code. Each one it
    cannot open is passed to `say` as one line and stepped over, so that it never keeps the
    others from loading."""
    records = {}
    for code in store.session_ids():
        try:
            record = store.get(code)
        except UnsupportedSession as error:
            say(str(error))
            continue
        if record is not None:  # deleted meanwhile
            records[code] = record
    return records
