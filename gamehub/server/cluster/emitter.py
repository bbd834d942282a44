"""Sending a session's messages: past the message queue when all its screens are on this process.

With a message queue, Socket.IO publishes every emit to Redis for every process to deliver to
its own screens. An owner whose session has no screen anywhere else (screens.py) delivers it
itself instead: same rooms, same order, no round trip to Redis and no copy for every other
process to read and drop. (A process alone has no queue, and sends through Socket.IO as it is.)
"""

from __future__ import annotations

from collections.abc import Callable


class SessionEmitter:
    """`emit` as Flask-SocketIO's, for the hub and the showcase's reactions. `exclusive(session)`
    says whether every screen of the session is on this process (Ownership.exclusive)."""

    def __init__(self, socketio, exclusive: Callable[[str], bool]):
        self._emit = socketio.emit
        self._exclusive = exclusive

    def emit(self, event: str, data: dict, *, to: str | list[str], skip_sid: str | None = None,
             ignore_queue: bool = False) -> None:
        if not ignore_queue:
            ignore_queue = self._one_session_here(to)
        self._emit(event, data, to=to, skip_sid=skip_sid, ignore_queue=ignore_queue)

    def _one_session_here(self, to: str | list[str]) -> bool:
        """Rooms are named "<session>/..." (presence.py, onscreen.py); a bare socket id is not
        a session's room, and its message goes as before."""
        rooms = [to] if isinstance(to, str) else to
        sessions = {room.partition("/")[0] for room in rooms if "/" in room}
        return len(sessions) == 1 and len(rooms) > 0 and all("/" in room for room in rooms) \
            and self._exclusive(sessions.pop())
