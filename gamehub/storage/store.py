"""Where sessions live: a small interface, and an in-memory implementation.

The server changes a session through exactly one path (`Hub.execute`), which calls
`append` with the new state and the command that made it. A durable store keeps the
command log so a session can be rebuilt and audited.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace

from ..engine import Session


class VersionConflict(Exception):
    """Another process stored this session's next version first: load it again and retry."""


@dataclass(frozen=True)
class SessionRecord:
    """A session and the secrets that guard it (kept out of the engine's state)."""

    state: Session
    facilitator_hash: str  # SHA-256 of the facilitator token; the token itself is never stored
    projector_key: str  # low privilege (sees only what the room sees), shown to the facilitator


@dataclass(frozen=True)
class LogEntry:
    """One accepted command, as it was applied: enough to apply it again (see `gamehub.storage.replay`)."""

    version: int  # the session's version after this command
    event: str
    payload: dict  # every field of the command, server-set ones included
    actor: dict  # {"role": ..., "participant": ...}
    at: float  # the `now` it was applied with
    cid: str | None = None  # the client's command id, so a resent command is applied once
    result: dict = field(default_factory=dict)  # the ack's extra fields, to answer a resend alike


@dataclass(frozen=True)
class DeckRecord:
    """An organiser's deck: `data` has the shape of formats.yaml (title, instructions, questions,
    formats {1: [...], ...}) and was validated by `gamehub.content.formats.parse_deck` before it was stored."""

    id: str
    name: str
    data: dict
    created: float
    updated: float


class SessionStore(ABC):
    @abstractmethod
    def create(self, record: SessionRecord) -> None:
        """Add a new session."""

    @abstractmethod
    def get(self, session_id: str) -> SessionRecord | None:
        """The session's latest record, or None."""

    @abstractmethod
    def append(self, session_id: str, state: Session, entry: LogEntry) -> None:
        """Record an accepted command and the state it produced."""

    @abstractmethod
    def log(self, session_id: str) -> list[LogEntry]:
        """Every accepted command of the session, oldest first."""

    @abstractmethod
    def find_cid(self, session_id: str, cid: str) -> LogEntry | None:
        """The accepted command that carried this client command id, if any."""

    @abstractmethod
    def session_ids(self) -> list[str]:
        """All sessions, oldest first."""

    @abstractmethod
    def last_activity(self, session_id: str) -> float | None:
        """When the session last changed (or was created); None if there is no such session."""

    @abstractmethod
    def rekey(self, session_id: str, facilitator_hash: str) -> bool:
        """Replace the facilitator token's hash; False if there is no such session."""

    def facilitator_hashes(self, session_ids: list[str]) -> dict[str, str]:
        """`facilitator_hash` of several sessions at once (a deleted one is left out)."""
        hashes = {session_id: self.facilitator_hash(session_id) for session_id in session_ids}
        return {session_id: value for session_id, value in hashes.items() if value is not None}

    @abstractmethod
    def facilitator_hash(self, session_id: str) -> str | None:
        """The facilitator token's hash as stored now, past any cache: another process
        (`gamehub sessions key`) may have replaced it. None if there is no such session."""

    @abstractmethod
    def delete(self, session_id: str) -> bool:
        """Forget a session and everything about it; False if there was none."""

    # -- decks and server settings (the organiser's home, docs/organiser.md) ------------------

    @abstractmethod
    def decks(self) -> list[DeckRecord]:
        """Every organiser deck, oldest first."""

    @abstractmethod
    def get_deck(self, deck_id: str) -> DeckRecord | None:
        """One organiser deck, or None."""

    @abstractmethod
    def put_deck(self, deck: DeckRecord) -> None:
        """Add the deck, or replace the one with the same id."""

    @abstractmethod
    def delete_deck(self, deck_id: str) -> bool:
        """Forget a deck (sessions keep their own copies); False if there was none."""

    @abstractmethod
    def setting(self, name: str) -> str | None:
        """A server-wide value (e.g. the organiser key's hash), read past any cache: another
        process (`gamehub organiser key`) may have changed it. None if never set."""

    @abstractmethod
    def put_setting(self, name: str, value: str) -> None:
        """Set a server-wide value, for every process on this database."""

    def purge(self, before: float) -> list[str]:
        """Delete every session with no activity since `before`; returns their ids."""
        stale = [sid for sid in self.session_ids() if (self.last_activity(sid) or 0) < before]
        return [sid for sid in stale if self.delete(sid)]

    def close(self) -> None:
        """Release connections; the default store has none."""

    def cached(self, session_id: str) -> SessionRecord | None:
        """The session if this process holds it in memory, without touching any database."""
        return None

    def cid_is_new(self, session_id: str, cid: str) -> bool:
        """True only if this store knows, without touching any database, that no command of
        the session carried this client id (so `find_cid` would say None)."""
        return False


class MemoryStore(SessionStore):
    """Keeps everything in this process: for tests, and until a durable store is configured."""

    def __init__(self) -> None:
        self._records: dict[str, SessionRecord] = {}
        self._logs: dict[str, list[LogEntry]] = {}
        self._cids: dict[tuple[str, str], LogEntry] = {}
        self._decks: dict[str, DeckRecord] = {}
        self._settings: dict[str, str] = {}

    def create(self, record: SessionRecord) -> None:
        if record.state.id in self._records:
            raise KeyError(f"session {record.state.id} exists")
        self._records[record.state.id] = record
        self._logs[record.state.id] = []

    def get(self, session_id: str) -> SessionRecord | None:
        return self._records.get(session_id)

    def append(self, session_id: str, state: Session, entry: LogEntry) -> None:
        self._records[session_id] = replace(self._records[session_id], state=state)
        self._logs[session_id].append(entry)
        if entry.cid is not None:
            self._cids[(session_id, entry.cid)] = entry

    def log(self, session_id: str) -> list[LogEntry]:
        return list(self._logs.get(session_id, []))

    def find_cid(self, session_id: str, cid: str) -> LogEntry | None:
        return self._cids.get((session_id, cid))

    def session_ids(self) -> list[str]:
        return list(self._records)

    def last_activity(self, session_id: str) -> float | None:
        record = self._records.get(session_id)
        if record is None:
            return None
        log = self._logs[session_id]
        return log[-1].at if log else record.state.created_at

    def rekey(self, session_id: str, facilitator_hash: str) -> bool:
        record = self._records.get(session_id)
        if record is None:
            return False
        self._records[session_id] = replace(record, facilitator_hash=facilitator_hash)
        return True

    def facilitator_hash(self, session_id: str) -> str | None:
        record = self._records.get(session_id)
        return record.facilitator_hash if record else None

    def delete(self, session_id: str) -> bool:
        self._logs.pop(session_id, None)
        self._cids = {key: e for key, e in self._cids.items() if key[0] != session_id}
        return self._records.pop(session_id, None) is not None

    def decks(self) -> list[DeckRecord]:
        return sorted(self._decks.values(), key=lambda d: d.created)

    def get_deck(self, deck_id: str) -> DeckRecord | None:
        return self._decks.get(deck_id)

    def put_deck(self, deck: DeckRecord) -> None:
        self._decks[deck.id] = deck

    def delete_deck(self, deck_id: str) -> bool:
        return self._decks.pop(deck_id, None) is not None

    def setting(self, name: str) -> str | None:
        return self._settings.get(name)

    def put_setting(self, name: str, value: str) -> None:
        self._settings[name] = value
