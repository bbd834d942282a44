"""The one path that changes a session: lock it, load, apply, save, emit.

Everything that changes a session, from any handler, goes through `Hub.execute`. Updates of
one session run one at a time (a lock per session), so views go out in version order.

Fan-out is targeted: a phone hears only of its own group. A sheet update goes on as it came
to the groupmates' other screens (their pages merge it into their copy of the document), not
as views. A change to one group (typing, a format, a re-roll) reaches the projector and the
facilitator as a `view_patch` of that group alone, at most one per `staff_interval` per session
and screen, so its cost does not grow with the room. Whole staff views (after a join, a phase
change, a phone going offline) are coalesced the same way, so 500 phones joining in a minute
do not mean 500 full rebuilds of two big views.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections.abc import Callable
from typing import Protocol

from ..storage import organiser_key
from ..views import screens as views
from ..engine import Command, Outcome, Rejected, Role, Session, SheetEcho, apply
from ..engine.game.planning import sheet_group
from ..engine.sheet import EMPTY_STATE_VECTOR
from ..storage.store import LogEntry, SessionRecord, SessionStore, VersionConflict
from .cluster.ownership import NoOwnership
from .presence import Connection, Presence, phone_room, role_room
from .throttle import Throttle
from ..storage.tokens import same_secret


MAX_ATTEMPTS = 20  # writes lost to other processes before a command is refused as `busy`


class Emitter(Protocol):
    def emit(self, event: str, data: dict, *, to: str | list[str], skip_sid: str | None = None) -> None: ...


class Hub:
    def __init__(self, store: SessionStore, emitter: Emitter, public_url: str,
                 clock: Callable[[], float] = time.time, disconnect: Callable[[str], None] = lambda sid: None,
                 staff_interval: float = 0.0, spawn: Callable | None = None, sleep: Callable[[float], None] = time.sleep,
                 shared: bool = False):
        self.store = store
        self.presence = Presence()
        self._emitter = emitter
        self._disconnect = disconnect
        self._public_url = public_url.rstrip("/")
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        # Whole staff views and each staff screen's patches, each at most once per
        # `staff_interval` per session (0 sends each at once: the in-process tests).
        self._staff_views = Throttle(staff_interval)
        self._patches = {Role.FACILITATOR: Throttle(staff_interval), Role.PROJECTOR: Throttle(staff_interval)}
        self._spawn = spawn or (lambda fn, *args: threading.Thread(target=fn, args=args, daemon=True).start())
        self._sleep = sleep
        self._staff_guard = threading.Lock()
        self._shown_on_projector: dict[str, dict[int, dict]] = {}  # what each projector last got
        # When each group last typed in its sheet, for the facilitator: ephemeral, never stored.
        self._active_at: dict[str, dict[int, float]] = {}
        # Other processes also send to this session's screens: what this one sent last is no
        # guide to what a projector shows, so its patches always go out.
        self._shared = shared
        # Who is online: this process's own connections, unless processes share it (set by
        # create_app with a message queue: gamehub/server/cluster/presence.py).
        self.online_of: Callable[[str], set[str]] = self.presence.online
        self.online_changed: Callable[[str], None] = lambda session_id: None
        # Which sessions this process owns among several (set by create_app with a message
        # queue: gamehub/server/cluster/ownership.py); alone, all of them.
        self.ownership = NoOwnership()
        # Told of every stored change after its views went out (phones follow the showcase: onscreen.py).
        self.published: Callable[[Session, frozenset[str] | None], None] = lambda state, phones: None

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

        Among several processes, a session owned by another is applied there
        (gamehub/server/cluster/ownership.py), unless it cannot be reached.
        """
        with self._lock(session_id):
            owned = self.ownership.claim(session_id)  # an owned session is read from memory alone
        if not owned:
            cid = cid or self.ownership.new_cid()  # so the owner and this process cannot both apply it
            forwarded = self.ownership.forward(session_id, command, connection, cid, origin)
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
                self._publish(dataclasses.replace(record, state=outcome.state), outcome, now, origin)
                return outcome
            raise Rejected("busy", "The session is very busy right now: try again")

    def delete_session(self, session_id: str, requester: str | None = None) -> bool:
        """Delete a session and all its data; every connected screen is told, then dropped.

        The requester's socket is told but not dropped, so its ack can still reach it; it
        closes the connection itself (and has no session left to act on)."""
        with self._lock(session_id):
            record = self.store.get(session_id)
            deleted = self.store.delete(session_id)
            self.ownership.forget(session_id)
            # Through the rooms, so screens held by other server processes hear it too.
            rooms = [role_room(session_id, role) for role in (Role.GUEST, Role.PROJECTOR, Role.FACILITATOR)]
            rooms += [phone_room(session_id, pid) for pid in (record.state.participants if record else ())]
            local = set(self.presence.sids(session_id))
            for room in rooms:
                self._emitter.emit("session_deleted", {"session": session_id}, to=room)
            for sid in local:
                self.presence.session_deleted(sid)
                if sid != requester:
                    self._disconnect(sid)
        with self._locks_guard:
            self._locks.pop(session_id, None)
        self._staff_views.forget(session_id)
        for throttle in self._patches.values():
            throttle.forget(session_id)
        with self._staff_guard:
            self._shown_on_projector.pop(session_id, None)
            self._active_at.pop(session_id, None)
        return deleted

    def forget_shown(self, session_id: str | None = None) -> None:
        """Forget what the projectors of a session (None: of all) were last sent: the next
        patch sends every group it names."""
        with self._staff_guard:
            if session_id is None:
                self._shown_on_projector.clear()
            else:
                self._shown_on_projector.pop(session_id, None)

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
        state, now = record.state, self._clock() if now is None else now
        if connection.role is Role.PARTICIPANT:
            return views.phone_view(state, connection.participant_id or "", now)
        if connection.role is Role.PROJECTOR:
            return views.projector_view(state, now, self.join_url(state.id))
        if connection.role is Role.FACILITATOR:
            return views.facilitator_view(state, now, self.links(record), self.online_of(state.id),
                                          self._active_at.get(state.id))
        return views.guest_view(state, now)

    def send_view(self, sid: str, connection: Connection) -> None:
        """Send one connection its current view (on connect, and after it joins)."""
        record = self.store.get(connection.session_id)
        if record is not None:
            self._emitter.emit("view", self.view_for(connection, record), to=sid)

    def resync_local(self) -> int:
        """Send every connection of this process its current view, straight to its socket (not
        through the message queue): after a message-queue outage some may have missed changes.

        A phone may also have missed groupmates' sheet updates, and its Yjs document holds back
        every later update that builds on a missed one: it gets its group's whole sheet as one
        `sheet_update` (`by` null, no fields), of which it applies only what it lacks."""
        self.ownership.reload()
        self.forget_shown()  # other processes may have sent the projectors meanwhile
        sent = 0
        for sid, connection in self.presence.connections():
            record = self.store.get(connection.session_id)
            if record is not None:
                self._emitter.emit("view", self.view_for(connection, record), to=sid, ignore_queue=True)
                group = record.state.group_of(connection.participant_id or "")
                if connection.role is Role.PARTICIPANT and group is not None and group.sheet is not None:
                    whole = group.sheet.missing_for(EMPTY_STATE_VECTOR)
                    self._emitter.emit("sheet_update", {"session": record.state.id, "sheet": group.sheet.id,
                                                        "update": whole, "by": None, "fields": []},
                                       to=sid, ignore_queue=True)
                sent += 1
        return sent

    def refresh_facilitators(self, session_id: str) -> None:
        """Who is online changed: only the staff views show that."""
        self.online_changed(session_id)
        with self._lock(session_id):  # in version order with the session's other views
            self._staff_changed(session_id)

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

    def _publish(self, record: SessionRecord, outcome: Outcome, now: float, origin: str | None = None) -> None:
        state: Session = record.state
        if outcome.echo is not None:
            self._echo(state, outcome.echo, now, origin)
        if outcome.groups is None:
            self._staff_changed(state.id, record)
        else:
            self._patch_staff(state, sorted(outcome.groups), now)
        targets = state.participants.keys() if outcome.phones is None else outcome.phones
        for pid in targets:
            self._emitter.emit("view", views.phone_view(state, pid, now), to=phone_room(state.id, pid))
        self.published(state, outcome.phones)

    def _echo(self, state: Session, echo: SheetEcho, now: float, origin: str | None) -> None:
        """A sheet update goes on to every screen of the group's members but the one that sent it."""
        self._active_at.setdefault(state.id, {})[echo.group] = now
        author = state.participants[echo.by]
        message = {"session": state.id, "sheet": echo.sheet, "update": echo.update,
                   "by": {"id": author.id, "name": author.name}, "fields": list(echo.fields)}
        # One emit to all the members' rooms: Socket.IO encodes the packet once, not per member.
        rooms = [phone_room(state.id, pid) for pid in state.groups[echo.group - 1].members]
        self._emitter.emit("sheet_update", message, to=rooms, skip_sid=origin)

    def _patch_staff(self, state: Session, numbers: list[int], now: float) -> None:
        """Only these groups changed: send them alone, each staff screen at most one patch per
        `staff_interval` per session (a room filling in its sheets would otherwise redraw both
        screens hundreds of times a second); the projector only what it would see change."""
        if self._staff_views.due(state.id):
            return  # a whole view is due, read under the lock after this change: it has it
        for role, throttle in self._patches.items():
            wait = throttle.offer(state.id, numbers)
            if wait == 0:
                self._send_patch(role, state, numbers, now)
            elif wait is not None:
                self._spawn(self._send_patch_later, role, state.id, wait)

    def _send_patch_later(self, role: Role, session_id: str, wait: float) -> None:
        self._sleep(wait)
        with self._lock(session_id):
            numbers = sorted(self._patches[role].take(session_id))
            record = self.store.get(session_id)
            if record is not None and numbers:
                self._send_patch(role, record.state, numbers, self._clock())

    def _send_patch(self, role: Role, state: Session, numbers: list[int], now: float) -> None:
        groups = [g for g in (state.group(n) for n in numbers) if g is not None]
        if role is Role.FACILITATOR:
            active = self._active_at.get(state.id, {})
            changed = [views.facilitator_group(state, g, active.get(g.number)) for g in groups]
        else:
            shown = self._shown_on_projector.setdefault(state.id, {})
            changed = []
            for group in groups:
                rendition = views.projector_group(state, group)
                # Most planning edits change nothing there. What was sent is only known when no
                # other process sends too: alone, or owning the session (the others forward).
                if (self._shared and not self.ownership.owns(state.id)) or shown.get(group.number) != rendition:
                    shown[group.number] = rendition
                    changed.append(rendition)
        if changed:
            self._emitter.emit("view_patch", views.group_patch(role.value, state, changed, now),
                               to=role_room(state.id, role))

    def _staff_changed(self, session_id: str, record: SessionRecord | None = None) -> None:
        """Send the staff (and guest) views now, or once the coalescing interval is over."""
        wait = self._staff_views.offer(session_id)
        if wait == 0:
            self._send_staff(session_id, record)
        elif wait is not None:  # (None: a send is already due, and it will read the latest state)
            self._spawn(self._send_staff_later, session_id, wait)

    def _send_staff_later(self, session_id: str, wait: float) -> None:
        self._sleep(wait)
        with self._lock(session_id):  # so it cannot overtake a newer view being sent
            self._staff_views.take(session_id)
            self._send_staff(session_id)

    def _send_staff(self, session_id: str, record: SessionRecord | None = None) -> None:
        record = record or self.store.get(session_id)
        if record is None:
            return
        now = self._clock()
        for role in (Role.FACILITATOR, Role.PROJECTOR, Role.GUEST):
            view = self.view_for(Connection(session_id, role), record, now)
            if role is Role.PROJECTOR:
                with self._staff_guard:
                    self._shown_on_projector[session_id] = {g["number"]: g for g in view["groups"]}
            self._emitter.emit("view", view, to=role_room(session_id, role))
