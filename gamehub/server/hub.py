"""The one path that changes a session: lock it, load, apply, save, emit.

Everything that changes a session, from any handler, goes through `Hub.execute`. Updates of
one session run one at a time (a lock per session), so views go out in version order.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Protocol

from .. import views
from ..engine import Command, Outcome, Rejected, Role, Session, apply
from ..store import LogEntry, SessionRecord, SessionStore
from .presence import Connection, Presence, phone_room, role_room
from .tokens import same_secret


class Emitter(Protocol):
    def emit(self, event: str, data: dict, *, to: str) -> None: ...


class Hub:
    def __init__(self, store: SessionStore, emitter: Emitter, public_url: str,
                 clock: Callable[[], float] = time.time, disconnect: Callable[[str], None] = lambda sid: None):
        self.store = store
        self.presence = Presence()
        self._emitter = emitter
        self._disconnect = disconnect
        self._public_url = public_url.rstrip("/")
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(session_id, threading.Lock())

    def execute(self, session_id: str, command: Command, connection: Connection, cid: str | None = None) -> Outcome:
        """Apply a command to a session, store it, then send the changed views.

        Returns only after the store has it, so an ack means the command is durable. A
        command whose client id `cid` was already applied is not applied again: its outcome
        repeats the first one's ack fields, with `duplicate` set.
        """
        with self._lock(session_id):
            record = self.store.get(session_id)
            if record is None:
                raise Rejected("unknown_session", "This session no longer exists")
            # Scoped to the sender, so nobody can swallow another client's command by its id.
            scoped_cid = f"{connection.participant_id or connection.role.value}:{cid}" if cid else None
            if scoped_cid and (earlier := self.store.find_cid(session_id, scoped_cid)) is not None:
                return Outcome(state=record.state, result={**earlier.result, "duplicate": True})
            now = self._clock()
            outcome = apply(record.state, command, connection.actor, now)
            if outcome.ok:
                entry = LogEntry(version=outcome.state.version, event=command.event,
                                 payload=dataclasses.asdict(command),
                                 actor={"role": connection.role.value, "participant": connection.participant_id},
                                 at=now, cid=scoped_cid, result=outcome.result)
                self.store.append(session_id, outcome.state, entry)
                self._publish(dataclasses.replace(record, state=outcome.state), outcome.phones, now)
            return outcome

    def delete_session(self, session_id: str, requester: str | None = None) -> bool:
        """Delete a session and all its data; every connected screen is told, then dropped.

        The requester's socket is told but not dropped, so its ack can still reach it; it
        closes the connection itself (and has no session left to act on)."""
        with self._lock(session_id):
            deleted = self.store.delete(session_id)
            for sid in self.presence.sids(session_id):
                self._emitter.emit("session_deleted", {"session": session_id}, to=sid)
                self.presence.remove(sid)
                if sid != requester:
                    self._disconnect(sid)
        with self._locks_guard:
            self._locks.pop(session_id, None)
        return deleted

    def drop(self, sid: str) -> None:
        """Close one connection from the server side. Its disconnect handler runs as for any
        other (so the facilitator sees a dropped phone go offline); then it is no longer anyone."""
        self._disconnect(sid)
        self.presence.remove(sid)

    # -- facilitator keys ------------------------------------------------------------------

    def key_is_current(self, connection: Connection) -> bool:
        """Whether a facilitator connection's key is still the session's (read past any cache)."""
        current = self.store.facilitator_hash(connection.session_id)
        return current is not None and connection.key_hash is not None and same_secret(connection.key_hash, current)

    def revoke_stale_keys(self) -> int:
        """Tell and close every facilitator connection whose key was replaced; returns how many."""
        stale = 0
        by_session: dict[str, list[tuple[str, Connection]]] = {}
        for sid, connection in self.presence.facilitators().items():
            by_session.setdefault(connection.session_id, []).append((sid, connection))
        for session_id, connections in by_session.items():
            current = self.store.facilitator_hash(session_id)
            if current is None:
                continue  # deleted: `delete_session` tells and drops everyone itself
            for sid, connection in connections:
                if connection.key_hash is None or not same_secret(connection.key_hash, current):
                    self._emitter.emit("key_rotated", {"session": session_id}, to=sid)
                    self.drop(sid)
                    stale += 1
        return stale

    # -- views --------------------------------------------------------------------------

    def join_url(self, session_id: str) -> str:
        return f"{self._public_url}/j/{session_id}"

    def links(self, record: SessionRecord) -> dict:
        code = record.state.id
        return {"join": self.join_url(code),
                "projector": f"{self._public_url}/s/{code}/projector#key={record.projector_key}"}

    def view_for(self, connection: Connection, record: SessionRecord, now: float | None = None) -> dict:
        """The view one connection may see of its session."""
        state, now = record.state, self._clock() if now is None else now
        if connection.role is Role.PARTICIPANT:
            return views.phone_view(state, connection.participant_id or "", now)
        if connection.role is Role.PROJECTOR:
            return views.projector_view(state, now, self.join_url(state.id))
        if connection.role is Role.FACILITATOR:
            return views.facilitator_view(state, now, self.links(record), self.presence.online(state.id))
        return views.guest_view(state, now)

    def send_view(self, sid: str, connection: Connection) -> None:
        """Send one connection its current view (on connect, and after it joins)."""
        record = self.store.get(connection.session_id)
        if record is not None:
            self._emitter.emit("view", self.view_for(connection, record), to=sid)

    def refresh_facilitators(self, session_id: str) -> None:
        """Who is online changed: only the facilitator's view shows that."""
        with self._lock(session_id):
            record = self.store.get(session_id)
            if record is not None:
                self._emit_role(record, Role.FACILITATOR, self._clock())

    def _publish(self, record: SessionRecord, phones: frozenset[str] | None, now: float) -> None:
        state: Session = record.state
        for role in (Role.FACILITATOR, Role.PROJECTOR, Role.GUEST):
            self._emit_role(record, role, now)
        targets = state.participants.keys() if phones is None else phones
        for pid in targets:
            self._emitter.emit("view", views.phone_view(state, pid, now), to=phone_room(state.id, pid))

    def _emit_role(self, record: SessionRecord, role: Role, now: float) -> None:
        connection = Connection(record.state.id, role)
        self._emitter.emit("view", self.view_for(connection, record, now), to=role_room(record.state.id, role))
