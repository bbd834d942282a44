"""The one path that changes a session: lock it, load, apply, store, publish.

Everything that changes a session, from any handler, goes through `Hub.execute`. Updates of
one session run one at a time (a lock per session), so views go out in version order. What
goes out, to whom, is fanout.py's; what other server processes have to do with it is the
cluster's (cluster_api.py), given to the hub when it is built.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections.abc import Callable
from typing import Protocol

from ..engine import Command, Outcome, Rejected, Session, apply
from ..engine.game.planning import sheet_group
from ..storage import organiser_key
from ..storage.store import LogEntry, SessionRecord, SessionStore, VersionConflict
from ..storage.tokens import same_secret
from .cluster_api import ALONE, Cluster
from .fanout import Fanout
from .presence import Connection, Presence

MAX_ATTEMPTS = 20  # writes lost to other processes before a command is refused as `busy`


class Emitter(Protocol):
    def emit(self, event: str, data: dict, *, to: str | list[str], skip_sid: str | None = None,
             ignore_queue: bool = False) -> None: ...


class Hub:
    def __init__(self, store: SessionStore, emitter: Emitter, public_url: str,
                 clock: Callable[[], float] = time.time, disconnect: Callable[[str], None] = lambda sid: None,
                 staff_interval: float = 0.0, spawn: Callable | None = None, sleep: Callable[[float], None] = time.sleep,
                 cluster: Cluster = ALONE,
                 published: Callable[[Session, frozenset[str] | None], None] = lambda state, phones: None):
        """`cluster`: the other server processes, if any (cluster_api.py); `published` is told of
        every stored change after its views went out (phones follow the showcase: onscreen.py)."""
        self.store = store
        self.presence = Presence()
        self.cluster = cluster
        self._emitter = emitter
        self._disconnect = disconnect
        self._public_url = public_url.rstrip("/")
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._sleep = sleep
        spawn = spawn or (lambda fn, *args: threading.Thread(target=fn, args=args, daemon=True).start())
        self._fanout = Fanout(emitter, store, self.presence, cluster, self._lock, self.links, self.join_url,
                              clock, staff_interval, spawn, sleep, published)

    def session_lock(self, session_id: str) -> threading.Lock:
        """The lock a session's changes are applied under, one at a time."""
        return self._lock(session_id)

    def _lock(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(session_id, threading.Lock())

    def execute(self, session_id: str, command: Command, connection: Connection, cid: str | None = None,
                origin: str | None = None) -> Outcome:
        """Apply a command to a session, store it, then send the changed views.

        Returns only after the store has it, so an ack means the command is durable. A
        command whose client id `cid` was already applied is not applied again: its outcome
        repeats the first one's ack fields, with `duplicate` set. `origin` is the sending
        socket, which a sheet update is not echoed back to.

        Among several processes, a session owned by another is applied there (the cluster's
        `forward`), unless it cannot be reached.
        """
        with self._lock(session_id):
            owned = self.cluster.claim(session_id)  # an owned session is read from memory alone
        if not owned:
            cid = cid or self.cluster.new_cid()  # so the owner and this process cannot both apply it
            forwarded = self.cluster.forward(session_id, command, connection, cid, origin)
            if forwarded is not None:
                return forwarded
        return self.execute_here(session_id, command, connection, cid, origin)

    def execute_here(self, session_id: str, command: Command, connection: Connection, cid: str | None = None,
                     origin: str | None = None) -> Outcome:
        """`execute` in this process, whoever owns the session."""
        with self._lock(session_id):
            # Several server processes on one database: whoever stores a version first wins;
            # the other loads that version and applies its command again on top.
            for attempt in range(MAX_ATTEMPTS):
                if attempt:
                    # Lost a race to another process: step aside a moment, so the two do not
                    # keep colliding in lockstep.
                    self._sleep(random.uniform(0, 0.005 * attempt))
                record = self.store.get(session_id)
                if record is None:
                    raise Rejected("unknown_session", "This session no longer exists")
                # Scoped to the sender, so nobody can swallow another client's command by its id.
                scoped_cid = f"{connection.participant_id or connection.role.value}:{cid}" if cid else None
                if scoped_cid and (earlier := self.store.find_cid(session_id, scoped_cid)) is not None:
                    return Outcome(state=record.state, result={**earlier.result, "duplicate": True})
                now = self._clock()
                outcome = apply(record.state, command, connection.actor, now)
                if not outcome.ok:
                    return outcome
                entry = LogEntry(version=outcome.state.version, event=command.event,
                                 payload=command.as_record(),
                                 actor={"role": connection.role.value, "participant": connection.participant_id},
                                 at=now, cid=scoped_cid, result=outcome.result)
                try:
                    self.store.append(session_id, outcome.state, entry)
                except VersionConflict:
                    continue
                self._fanout.publish(dataclasses.replace(record, state=outcome.state), outcome, now, origin)
                return outcome
            raise Rejected("busy", "The session is very busy right now: try again")

    def delete_session(self, session_id: str, requester: str | None = None) -> bool:
        """Delete a session and all its data; every connected screen is told, then dropped.

        The requester's socket is told but not dropped, so its ack can still reach it; it
        closes the connection itself (and has no session left to act on)."""
        with self._lock(session_id):
            record = self.store.get(session_id)
            deleted = self.store.delete(session_id)
            self.cluster.forget(session_id)
            local = set(self.presence.sids(session_id))
            self._fanout.session_deleted(record, session_id)
            for sid in local:
                self.presence.session_deleted(sid)
                if sid != requester:
                    self._disconnect(sid)
        with self._locks_guard:
            self._locks.pop(session_id, None)
        self._fanout.forget(session_id)
        return deleted

    def forget_shown(self, session_id: str | None = None) -> None:
        """Forget what the projectors of a session (None: of all) were last sent: the next
        patch sends every group it names."""
        self._fanout.forget_shown(session_id)

    def drop(self, sid: str) -> None:
        """Close one connection from the server side. Its disconnect handler runs as for any
        other (so the facilitator sees a dropped phone go offline); then it is no longer anyone."""
        self._disconnect(sid)
        self.presence.remove(sid)

    # -- facilitator keys ------------------------------------------------------------------

    def key_is_current(self, connection: Connection) -> bool:
        """Whether a facilitator connection's key is still the session's (read past any cache).
        A deleted session has no key to hold: refused as every command on it is, `unknown_session`
        (it may have been deleted by another process, or by `gamehub sessions delete`)."""
        current = self.store.facilitator_hash(connection.session_id)
        if current is None:
            raise Rejected("unknown_session", "This session no longer exists")
        return self._key_holds(connection, current, lambda: organiser_key.current_hash(self.store))

    @staticmethod
    def _key_holds(connection: Connection, facilitator: str, organiser: Callable[[], str | None]) -> bool:
        """The connection proved the session's facilitator key or the organiser key, as they are
        now (the organiser's is read only for a connection that did not prove the session's own)."""
        proved = connection.key_hash
        if proved is None:
            return False
        if same_secret(proved, facilitator):
            return True
        current = organiser()
        return current is not None and same_secret(proved, current)

    def revoke_stale_keys(self) -> int:
        """Tell and close every facilitator connection whose key was replaced; returns how many."""
        stale = 0
        by_session: dict[str, list[tuple[str, Connection]]] = {}
        for sid, connection in self.presence.facilitators().items():
            by_session.setdefault(connection.session_id, []).append((sid, connection))
        read: list[str | None] = []  # the organiser key's hash, read at most once per sweep

        def organiser() -> str | None:
            if not read:
                read.append(organiser_key.current_hash(self.store))
            return read[0]

        hashes = self.store.facilitator_hashes(sorted(by_session)) if by_session else {}
        for session_id, connections in by_session.items():
            current = hashes.get(session_id)
            if current is None:
                continue  # deleted: `delete_session` tells and drops everyone itself
            for sid, connection in connections:
                if not self._key_holds(connection, current, organiser):
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
        return self._fanout.view_for(connection, record, now)

    def send_view(self, sid: str, connection: Connection) -> None:
        """Send one connection its current view (on connect, and after it joins)."""
        self._fanout.send_view(sid, connection)

    def resync_local(self) -> int:
        """Send every connection of this process its current view, straight to its socket (not
        through the message queue): after a message-queue outage some may have missed changes.

        A phone may also have missed groupmates' sheet updates, and its Yjs document holds back
        every later update that builds on a missed one: it gets its group's whole sheet as one
        `sheet_update` (`by` null, no fields), of which it applies only what it lacks."""
        self.cluster.reload()
        return self._fanout.resync(self.presence.connections())

    def refresh_facilitators(self, session_id: str) -> None:
        """Who is online changed: only the staff views show that."""
        self.cluster.online_changed(session_id)
        with self._lock(session_id):  # in version order with the session's other views
            self._fanout.staff_changed(session_id)

    def sheet_sync(self, session_id: str, connection: Connection, sheet_id: str, state_vector: str) -> dict:
        """What a phone's copy of its group sheet lacks, and the server's state vector: the
        phone sends back what the server lacks (docs/protocol.md, `sheet_sync`). Changes nothing."""
        with self._lock(session_id):  # the sheet's live document is only ever used by one at a time
            record = self.store.get(session_id)
            if record is None:
                raise Rejected("unknown_session", "This session no longer exists")
            sheet = sheet_group(record.state, connection.actor, sheet_id).sheet
            return {"sheet": sheet.id, "update": sheet.missing_for(state_vector),
                    "state_vector": sheet.state_vector()}
