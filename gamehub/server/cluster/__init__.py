"""Several server processes on one PostgreSQL and one Redis: ownership, forwarding, shared presence.

`Several` is the one object the server is given when processes share a message queue; what it
answers is gamehub/server/cluster_api.py's `Cluster`. Only create_app imports this package, and
only with a message queue: a process alone never loads it.
"""

from __future__ import annotations

from collections.abc import Callable

from .emitter import SessionEmitter
from .forward import new_cid
from .limits import SharedLimits
from .ownership import NoOwnership, ownership_for
from .presence import SharedPresence
from .queuewatch import QueueWatch


class Several:
    """The processes on the message queue at `url`, sharing `store` (on PostgreSQL, a
    SharedSqlStore, whose sessions they take turns to own; any other store, without owners)."""

    several = True

    def __init__(self, url: str, store, start_task: Callable, sleep: Callable[[float], None]):
        self._url = url
        self._store = store
        self._start_task = start_task
        self._sleep = sleep
        # Until `start`, no session is this process's alone, and only its own phones are known.
        # (The leases, once started: tests look at them.)
        self.ownership = NoOwnership()
        self._presence: SharedPresence | None = None

    def emitter(self, socketio) -> SessionEmitter:
        return SessionEmitter(socketio, lambda session_id: self.ownership.exclusive(session_id))

    def shared_limits(self) -> SharedLimits:
        return SharedLimits(self._url)

    def start(self, hub) -> None:
        QueueWatch(self._url, hub.resync_local, self._start_task, self._sleep).start()
        self._presence = SharedPresence(self._url, hub.presence.online, self._start_task, self._sleep)
        self._presence.start()
        self.ownership = ownership_for(self._store, self._url, hub, self._start_task, self._sleep)

    def claim(self, session_id: str) -> bool:
        return self.ownership.claim(session_id)

    def forward(self, session_id, command, connection, cid, origin):
        return self.ownership.forward(session_id, command, connection, cid, origin)

    def new_cid(self) -> str:
        return new_cid()

    def owns(self, session_id: str) -> bool:
        return self.ownership.owns(session_id)

    def arrived(self, session_id: str, routed: bool) -> None:
        self.ownership.arrived(session_id, routed)

    def forget(self, session_id: str) -> None:
        self.ownership.forget(session_id)

    def reload(self) -> None:
        self.ownership.reload()

    def online(self, session_id: str, here: set[str]) -> set[str]:
        return here if self._presence is None else self._presence.online(session_id, here)

    def online_changed(self, session_id: str) -> None:
        if self._presence is not None:
            self._presence.changed(session_id)

    def close(self) -> None:
        """Give every lease back (tests; a serving process's leases go with it)."""
        close = getattr(self.ownership, "close", None)
        if close is not None:
            close()


def build(config, store, socketio) -> Several:
    """The cluster of the app whose config names a message queue."""
    return Several(config["MESSAGE_QUEUE"], store, socketio.start_background_task, socketio.sleep)
