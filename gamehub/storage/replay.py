"""Rebuilding a session from its command log: the engine is pure, so replay is exact."""

from __future__ import annotations

from collections.abc import Iterable

from ..engine import COMMANDS, Actor, Role, Session, apply
from ..engine.legacy import LEGACY_COMMANDS
from .store import LogEntry


class ReplayError(RuntimeError):
    """The log does not replay to the versions it recorded: the data is damaged."""


def replay(state: Session, entries: Iterable[LogEntry]) -> Session:
    """Apply logged commands to `state` in order, checking each lands on its recorded version."""
    for entry in entries:
        command = (COMMANDS.get(entry.event) or LEGACY_COMMANDS[entry.event])(**entry.payload)
        actor = Actor(Role(entry.actor["role"]), entry.actor.get("participant"))
        outcome = apply(state, command, actor, entry.at)
        if not outcome.ok or outcome.state.version != entry.version:
            problem = outcome.error.to_dict() if outcome.error else f"version {outcome.state.version}"
            raise ReplayError(f"session {state.id}: command {entry.version} ({entry.event}) "
                              f"does not replay: {problem}")
        state = outcome.state
    return state
