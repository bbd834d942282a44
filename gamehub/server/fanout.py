"""Who hears of a stored change, and what: the views and messages that go out of the hub.

Fan-out is targeted: a phone hears only of its own group. A sheet update goes on as it came
to the groupmates' other screens (their pages merge it into their copy of the document), not
as views. A change to one group (typing, a format, a re-roll) reaches the projector and the
facilitator as a `view_patch` of that group alone, at most one per `staff_interval` per session
and screen, so its cost does not grow with the room. Whole staff views (after a join, a phase
change, a phone going offline) are coalesced the same way, so 500 phones joining in a minute
do not mean 500 full rebuilds of two big views.

The hub calls `publish` once per stored change, under the session's lock, so views go out in
version order; a send that waits for its interval takes the lock again (`lock_of`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from ..engine import Outcome, Role, Session, SheetEcho
from ..engine.sheet import EMPTY_STATE_VECTOR
from ..storage.store import SessionRecord, SessionStore
from ..views import screens as views
from .cluster_api import Cluster
from .presence import Connection, Presence, phone_room, role_room
from .throttle import Throttle


class Fanout:
    """`links(record)` and `join_url(code)` are the hub's; `published(state, phones)` is told of
    every stored change after its views went out (phones follow the showcase: onscreen.py)."""

    def __init__(self, emitter, store: SessionStore, presence: Presence, cluster: Cluster,
                 lock_of: Callable[[str], threading.Lock], links: Callable[[SessionRecord], dict],
                 join_url: Callable[[str], str], clock: Callable[[], float], staff_interval: float,
                 spawn: Callable, sleep: Callable[[float], None],
                 published: Callable[[Session, frozenset[str] | None], None]):
        self._emitter = emitter
        self._store = store
        self._presence = presence
        self._cluster = cluster
        self._lock = lock_of
        self._links = links
        self._join_url = join_url
        self._clock = clock
        self._spawn = spawn
        self._sleep = sleep
        self._published = published
        # Whole staff views and each staff screen's patches, each at most once per
        # `staff_interval` per session (0 sends each at once: the in-process tests).
        self._staff_views = Throttle(staff_interval)
        self._patches = {Role.FACILITATOR: Throttle(staff_interval), Role.PROJECTOR: Throttle(staff_interval)}
        self._staff_guard = threading.Lock()
        self._shown_on_projector: dict[str, dict[int, dict]] = {}  # what each projector last got
        # When each group last typed in its sheet, for the facilitator: ephemeral, never stored.
        self._active_at: dict[str, dict[int, float]] = {}

    # -- one connection ------------------------------------------------------------------

    def view_for(self, connection: Connection, record: SessionRecord, now: float | None = None) -> dict:
        """The view one connection may see of its session."""
        state, now = record.state, self._clock() if now is None else now
        if connection.role is Role.PARTICIPANT:
            return views.phone_view(state, connection.participant_id or "", now)
        if connection.role is Role.PROJECTOR:
            return views.projector_view(state, now, self._join_url(state.id))
        if connection.role is Role.FACILITATOR:
            online = self._cluster.online(state.id, self._presence.online(state.id))
            return views.facilitator_view(state, now, self._links(record), online, self._active_at.get(state.id))
        return views.guest_view(state, now)

    def send_view(self, sid: str, connection: Connection) -> None:
        """Send one connection its current view (on connect, and after it joins)."""
        record = self._store.get(connection.session_id)
        if record is not None:
            self._emitter.emit("view", self.view_for(connection, record), to=sid)

    def resync(self, connections: Iterable[tuple[str, Connection]]) -> int:
        """Send each connection its current view, and each phone its group's whole sheet, straight
        to its socket (see Hub.resync_local); returns how many."""
        self.forget_shown()  # other processes may have sent the projectors meanwhile
        sent = 0
        for sid, connection in connections:
            record = self._store.get(connection.session_id)
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

    # -- a stored change -----------------------------------------------------------------

    def publish(self, record: SessionRecord, outcome: Outcome, now: float, origin: str | None = None) -> None:
        """Everything a stored change sends: the sheet echo, the staff views or patches, the
        phones' views, then the showcase's follower."""
        state: Session = record.state
        if outcome.echo is not None:
            self._echo(state, outcome.echo, now, origin)
        if outcome.groups is None:
            self.staff_changed(state.id, record)
        else:
            self._patch_staff(state, sorted(outcome.groups), now)
        targets = state.participants.keys() if outcome.phones is None else outcome.phones
        for pid in targets:
            self._emitter.emit("view", views.phone_view(state, pid, now), to=phone_room(state.id, pid))
        self._published(state, outcome.phones)

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
            record = self._store.get(session_id)
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
                if not self._cluster.owns(state.id) or shown.get(group.number) != rendition:
                    shown[group.number] = rendition
                    changed.append(rendition)
        if changed:
            self._emitter.emit("view_patch", views.group_patch(role.value, state, changed, now),
                               to=role_room(state.id, role))

    def staff_changed(self, session_id: str, record: SessionRecord | None = None) -> None:
        """Send the staff (and guest) views now, or once the coalescing interval is over. Called
        under the session's lock."""
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
        record = record or self._store.get(session_id)
        if record is None:
            return
        now = self._clock()
        for role in (Role.FACILITATOR, Role.PROJECTOR, Role.GUEST):
            view = self.view_for(Connection(session_id, role), record, now)
            if role is Role.PROJECTOR:
                with self._staff_guard:
                    self._shown_on_projector[session_id] = {g["number"]: g for g in view["groups"]}
            self._emitter.emit("view", view, to=role_room(session_id, role))

    # -- forgetting ----------------------------------------------------------------------

    def session_deleted(self, record: SessionRecord | None, session_id: str) -> None:
        """Tell every screen of a deleted session, through the rooms (so screens held by other
        server processes hear it too), and forget what was sent to it."""
        rooms = [role_room(session_id, role) for role in (Role.GUEST, Role.PROJECTOR, Role.FACILITATOR)]
        rooms += [phone_room(session_id, pid) for pid in (record.state.participants if record else ())]
        for room in rooms:
            self._emitter.emit("session_deleted", {"session": session_id}, to=room)

    def forget(self, session_id: str) -> None:
        self._staff_views.forget(session_id)
        for throttle in self._patches.values():
            throttle.forget(session_id)
        with self._staff_guard:
            self._shown_on_projector.pop(session_id, None)
            self._active_at.pop(session_id, None)

    def forget_shown(self, session_id: str | None = None) -> None:
        """Forget what the projectors of a session (None: of all) were last sent: the next
        patch sends every group it names."""
        with self._staff_guard:
            if session_id is None:
                self._shown_on_projector.clear()
            else:
                self._shown_on_projector.pop(session_id, None)
