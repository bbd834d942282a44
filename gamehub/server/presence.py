"""Who is connected, as whom, and the Socket.IO rooms each connection listens in."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..engine import Actor, Role


@dataclass(frozen=True)
class Connection:
    session_id: str
    role: Role
    participant_id: str | None = None
    # The facilitator token's hash this connection proved, so a rotated key can close it.
    key_hash: str | None = field(default=None, compare=False, repr=False)

    @property
    def actor(self) -> Actor:
        return Actor(self.role, self.participant_id)

    @property
    def room(self) -> str:
        """The one room this connection's view is sent to (guests, projectors and facilitators
        of a session share one room each; each participant has their own)."""
        if self.role is Role.PARTICIPANT:
            return phone_room(self.session_id, self.participant_id or "")
        return role_room(self.session_id, self.role)


def phone_room(session_id: str, participant_id: str) -> str:
    return f"{session_id}/phone/{participant_id}"


def role_room(session_id: str, role: Role) -> str:
    return f"{session_id}/{role.value}"


class Presence:
    """Socket id -> connection, and which participants have at least one phone online."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Connection] = {}
        self._online: dict[str, Counter[str]] = {}
        self._per_session: Counter[str] = Counter()  # connections of each session
        self._deleted: set[str] = set()  # sockets whose session was deleted, until they close

    def add(self, sid: str, connection: Connection) -> None:
        self.remove(sid)
        self._by_sid[sid] = connection
        self._per_session[connection.session_id] += 1
        if connection.participant_id:
            self._online.setdefault(connection.session_id, Counter())[connection.participant_id] += 1

    def remove(self, sid: str) -> Connection | None:
        self._deleted.discard(sid)
        connection = self._by_sid.pop(sid, None)
        if connection:
            self._per_session[connection.session_id] -= 1
            if self._per_session[connection.session_id] <= 0:
                del self._per_session[connection.session_id]
        if connection and connection.participant_id:
            online = self._online.get(connection.session_id, Counter())
            online[connection.participant_id] -= 1
            if online[connection.participant_id] <= 0:
                del online[connection.participant_id]
        return connection

    def get(self, sid: str) -> Connection | None:
        return self._by_sid.get(sid)

    def session_deleted(self, sid: str) -> None:
        """The connection's session was deleted: it is no longer anyone, and until it closes its
        events are refused as the session's (`unknown_session`), not as a socket that never had one."""
        self.remove(sid)
        self._deleted.add(sid)

    def deleted(self, sid: str) -> bool:
        """Whether this socket's session was deleted while it was connected."""
        return sid in self._deleted

    def facilitators(self) -> dict[str, Connection]:
        """Every facilitator connection, by socket id."""
        return {sid: c for sid, c in self._by_sid.items() if c.role is Role.FACILITATOR}

    def connections(self) -> list[tuple[str, Connection]]:
        """Every connection of this process, with its socket id."""
        return list(self._by_sid.items())

    def sessions(self) -> set[str]:
        """The sessions with at least one connection here."""
        return set(self._per_session)

    def sids(self, session_id: str) -> list[str]:
        """Every connection to the session."""
        return [sid for sid, c in self._by_sid.items() if c.session_id == session_id]

    def online(self, session_id: str) -> set[str]:
        """Participants of the session with at least one open connection."""
        return set(self._online.get(session_id, ()))
