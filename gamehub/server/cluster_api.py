"""What the server asks of other server processes, and `Alone`, the answer for one process.

The hub is given one `Cluster` when it is built. Alone (no message queue), it is `Alone`: this
process owns every session, forwards nothing, knows who is online from its own connections and
tells nobody anything. With a message queue, create_app builds the real one from
gamehub/server/cluster/ (ownership, forwarding, shared presence, the queue watch, the shared
budgets): the only place that package is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..engine import Command, Outcome
    from .presence import Connection


class Cluster(Protocol):
    # Other processes may change this process's sessions and send to its screens: what this
    # one sent last is then no guide to what a screen shows.
    several: bool

    def emitter(self, socketio):
        """What the server's messages go out through: `emit(event, data, *, to, skip_sid=None,
        ignore_queue=False)`, as Flask-SocketIO's."""

    def shared_limits(self):
        """The rate limits' shared budgets (gamehub/server/ratelimit.py), or None: per process."""

    def start(self, hub) -> None:
        """Begin the background work, which applies other processes' commands through `hub`."""

    def claim(self, session_id: str) -> bool:
        """Whether this process may apply the session's commands from memory, taking it if free
        (called under the session's lock)."""

    def forward(self, session_id: str, command: Command, connection: Connection, cid: str,
                origin: str | None) -> Outcome | None:
        """The owner's outcome of a command for a session another process owns; None: apply it here."""

    def new_cid(self) -> str:
        """A client id for a forwarded command that came without one."""

    def owns(self, session_id: str) -> bool:
        """Whether nobody else sends this session's staff patches (no database, no network)."""

    def arrived(self, session_id: str, routed: bool) -> None:
        """A screen of the session is connecting here, before it joins its rooms."""

    def forget(self, session_id: str) -> None:
        """The session was deleted here."""

    def reload(self) -> None:
        """The message queue came back from an outage: read again what may have been missed."""

    def online(self, session_id: str, here: set[str]) -> set[str]:
        """Participants with a phone online anywhere, given those on this process."""

    def online_changed(self, session_id: str) -> None:
        """The phones online on this process changed."""


class Alone:
    """One process: every session is this process's alone."""

    several = False

    def emitter(self, socketio):
        return socketio

    def shared_limits(self):
        return None

    def start(self, hub) -> None:
        pass

    def claim(self, session_id: str) -> bool:
        return True

    def forward(self, session_id, command, connection, cid, origin):
        return None

    def new_cid(self) -> str:
        raise AssertionError("alone, nothing is forwarded")

    def owns(self, session_id: str) -> bool:
        return True

    def arrived(self, session_id: str, routed: bool) -> None:
        pass

    def forget(self, session_id: str) -> None:
        pass

    def reload(self) -> None:
        pass

    def online(self, session_id: str, here: set[str]) -> set[str]:
        return here

    def online_changed(self, session_id: str) -> None:
        pass


ALONE = Alone()
