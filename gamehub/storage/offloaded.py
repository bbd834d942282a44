"""A store whose database calls take turns and never stall the event loop while they wait.

Under eventlet and gevent every connection of the process shares one loop. Each call of the
wrapped store goes through `run(fn, *args)`, one at a time (the database layer was written for
one caller at a time, and SQLite writes one at a time anyway), in one of two ways
(`runner_for`):

- on the loop itself, when the driver never makes it wait for long or waits cooperatively:
  SQLite in WAL mode with synchronous=NORMAL (a commit is a write to the OS's cache), and
  psycopg, whose waits for the server go through the green `select` (gevent is detected by
  psycopg itself; eventlet is told by `green_psycopg`). The green thread that
  asked waits, the others carry on, and no native thread is woken per call: that hand-over
  cost more CPU than the SQLite write itself (docs/performance.md, "Cheaper per change");
- in one native thread (eventlet's tpool), for a driver whose waits would block the loop.

Writes share commits (group commit): while one write waits for its commit, the others
queue; the next trip takes all of them, one statement and one commit for several sessions
(`append_many`), and each waits until the commit that holds its command is done. No write
waits for company: a lone write goes at once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from ..engine import Session
from .store import DeckRecord, LogEntry, SessionRecord, SessionStore


class OffloadedStore(SessionStore):
    """Every method of `inner`, run through `run(fn, *args)` (e.g. eventlet.tpool.execute)."""

    def __init__(self, inner: SessionStore, run: Callable):
        self.inner = inner
        self._run = run
        # Group commit: the writes waiting for their turn at the database, and whether one of their
        # green threads (the leader) is taking them there. Green locks under eventlet.
        self._guard = threading.Lock()
        self._queued: list[_Write] = []
        self._writing = False

    def get(self, session_id: str) -> SessionRecord | None:
        # Most reads are of the session being played, which the store keeps in memory.
        return self.inner.cached(session_id) or self._run(self.inner.get, session_id)

    def create(self, record: SessionRecord) -> None:
        self._run(self.inner.create, record)

    def append(self, session_id: str, state: Session, entry: LogEntry) -> None:
        if not hasattr(self.inner, "append_many"):
            self._run(self.inner.append, session_id, state, entry)
            return
        write = _Write((session_id, state, entry))
        with self._guard:
            self._queued.append(write)
            leads, self._writing = not self._writing, True
        if not leads:
            write.done.wait()  # until a leader wrote it, or made this one the leader
            if not write.leads:
                if write.error is not None:
                    raise write.error
                return
        self._lead()
        if write.error is not None:
            raise write.error

    def _lead(self) -> None:
        """Take every queued write to the database in one trip, answer each, and hand the lead
        to the first write that queued meanwhile (or put it down)."""
        with self._guard:
            batch, self._queued = self._queued, []
        errors = None
        try:
            errors = self._run(self.inner.append_many, [w.args for w in batch])
        except Exception as error:  # noqa: BLE001 -- the database is down: every write says so
            errors = [error] * len(batch)
        finally:
            with self._guard:
                if self._queued:
                    self._queued[0].leads = True
                    self._queued[0].done.set()
                else:
                    self._writing = False
            # Even if this green thread is being killed: nobody waits for ever.
            for write, error in zip(batch, errors or [RuntimeError("the write was interrupted")] * len(batch)):
                write.error = error
                write.leads = False
                write.done.set()

    def log(self, session_id: str) -> list[LogEntry]:
        return self._run(self.inner.log, session_id)

    def find_cid(self, session_id: str, cid: str) -> LogEntry | None:
        # Nearly every command is new: a turn at the database just to learn that cost
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

    def facilitator_hashes(self, session_ids: list[str]) -> dict[str, str]:
        return self._run(self.inner.facilitator_hashes, session_ids)

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


class _Write:
    """One append waiting for its commit."""

    __slots__ = ("args", "done", "error", "leads")

    def __init__(self, args: tuple):
        self.args = args
        self.done = threading.Event()
        self.error: Exception | None = None
        self.leads = False  # woken to take the queue to the database, not with its answer


def on_the_loop() -> Callable:
    """Runs each call where it is asked, one at a time (the lock is green once the loop's
    modules are patched, so the green threads waiting their turn let the others run)."""
    turn = threading.Lock()

    def run(fn, *args, **kwargs):
        with turn:
            return fn(*args, **kwargs)
    return run


def eventlet_thread() -> Callable:
    """eventlet.tpool.execute on a pool of one native thread."""
    from eventlet import tpool

    tpool.set_num_threads(1)
    return tpool.execute


def green_psycopg() -> None:
    """Make psycopg wait for PostgreSQL through the (patched) `select` module under eventlet,
    as it does by itself under gevent: its own, C, wait would block the loop. Before psycopg
    is first imported (psycopg reads it once): `gamehub serve` calls it right after patching."""
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")


def waits_are_green(store: SessionStore) -> bool:
    """Whether `store`'s database calls can run on the loop: SQLite's never wait long, and
    psycopg's wait through a patched `select` (see green_psycopg)."""
    engine = getattr(store, "engine", None)
    if engine is None or engine.dialect.name == "sqlite":
        return True
    if engine.dialect.name != "postgresql":
        return False
    import select

    from psycopg import waiting

    return waiting.wait is not getattr(waiting, "wait_c", None) and select.select.__module__ != "select"


def runner_for(store: SessionStore, mode: str) -> Callable:
    """How `mode`'s loop runs `store`'s calls (the module's docstring)."""
    if waits_are_green(store):
        return on_the_loop()
    if mode == "eventlet":
        return eventlet_thread()
    from ..runtime.green import runner

    return runner()
