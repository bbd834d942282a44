"""A store whose database calls run off the event loop (eventlet's native-thread pool).

Under eventlet a SQLite or PostgreSQL call blocks every connection of the process while it
waits for the disk or the network. Each call of the wrapped store runs instead in one native
thread: the green thread that asked waits (so an ack still follows the commit), the others
carry on. One thread, because the database layer's own locks are green under eventlet and
must never be contended from two native threads; SQLite writes one at a time anyway.
"""

from __future__ import annotations

from collections.abc import Callable

from .engine import Session
from .store import DeckRecord, LogEntry, SessionRecord, SessionStore


class OffloadedStore(SessionStore):
    """Every method of `inner`, run through `run(fn, *args)` (e.g. eventlet.tpool.execute)."""

    def __init__(self, inner: SessionStore, run: Callable):
        self.inner = inner
        self._run = run

    def get(self, session_id: str) -> SessionRecord | None:
        # Most reads are of the session being played, which the store keeps in memory.
        return self.inner.cached(session_id) or self._run(self.inner.get, session_id)

    def create(self, record: SessionRecord) -> None:
        self._run(self.inner.create, record)

    def append(self, session_id: str, state: Session, entry: LogEntry) -> None:
        self._run(self.inner.append, session_id, state, entry)

    def log(self, session_id: str) -> list[LogEntry]:
        return self._run(self.inner.log, session_id)

    def find_cid(self, session_id: str, cid: str) -> LogEntry | None:
        # Nearly every command is new: a trip to the database thread just to learn that cost
        # as much as the write itself.
        if self.inner.cid_is_new(session_id, cid):
            return None
        return self._run(self.inner.find_cid, session_id, cid)

    def cid_is_new(self, session_id: str, cid: str) -> bool:
        return self.inner.cid_is_new(session_id, cid)

    def session_ids(self) -> list[str]:
        return self._run(self.inner.session_ids)

    def last_activity(self, session_id: str) -> float | None:
        return self._run(self.inner.last_activity, session_id)

    def rekey(self, session_id: str, facilitator_hash: str) -> bool:
        return self._run(self.inner.rekey, session_id, facilitator_hash)

    def facilitator_hash(self, session_id: str) -> str | None:
        return self._run(self.inner.facilitator_hash, session_id)

    def delete(self, session_id: str) -> bool:
        return self._run(self.inner.delete, session_id)

    def decks(self) -> list[DeckRecord]:
        return self._run(self.inner.decks)

    def get_deck(self, deck_id: str) -> DeckRecord | None:
        return self._run(self.inner.get_deck, deck_id)

    def put_deck(self, deck: DeckRecord) -> None:
        self._run(self.inner.put_deck, deck)

    def delete_deck(self, deck_id: str) -> bool:
        return self._run(self.inner.delete_deck, deck_id)

    def setting(self, name: str) -> str | None:
        return self._run(self.inner.setting, name)

    def put_setting(self, name: str, value: str) -> None:
        self._run(self.inner.put_setting, name, value)

    def purge(self, before: float) -> list[str]:
        return self._run(self.inner.purge, before)

    def close(self) -> None:
        self._run(self.inner.close)


def eventlet_runner() -> Callable:
    """eventlet.tpool.execute on a pool of one native thread."""
    from eventlet import tpool

    tpool.set_num_threads(1)
    return tpool.execute
