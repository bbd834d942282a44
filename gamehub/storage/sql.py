"""Durable sessions in SQLite (the embedded default) or PostgreSQL, through SQLAlchemy Core.

Each accepted command is one row of an append-only log, committed before the sender is
acknowledged: on PostgreSQL one INSERT that commits as it runs, one round trip, sent by psycopg
itself (gamehub/storage/pglog.py; the commands of several sessions that queued meanwhile share one:
`append_many`). The session row holds a
snapshot of the state, refreshed every SNAPSHOT_EVERY commands; loading a session replays
the log since its snapshot, so a write costs one small row, however big the room.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

import platformdirs
from sqlalchemy import create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..engine import Session
from ..engine.codec import decode, encode
from ..runtime.extras import import_extra
from .replay import replay
from .store import DeckRecord, LogEntry, SessionRecord, SessionStore, VersionConflict
from .tables import (
    commands_table,
    decks_table,
    metadata,
    sessions_table,
    settings_table,
)

# A snapshot of a full room with its sheets is large and written inside a command's
# transaction while the session waits: taken often, it was most of what SQLite wrote and set
# the latency's tail. Taken rarely, loading replays the commands since, which are small.
# Measurements: docs/performance.md, "The shared sheet: keystrokes through Yjs".
SNAPSHOT_EVERY = 500

# A server across the network, or a firewall between, may drop a connection that sat idle for
# long: replace pooled connections older than this when they are next taken. (A ping at every
# checkout did the same at the price of a round trip per use, a large share of the database
# thread's time under load: docs/performance.md, "Beyond one process".) One dropped anyway is
# met by one retry (`_retried`).
POOL_RECYCLE_SECONDS = 300

log = logging.getLogger(__name__)

_INSERT_COMMAND = insert(commands_table)


def sqlite_url(path: str) -> str:
    return f"sqlite:///{path}"


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (SQLAlchemy's default driver would be psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _tune_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer. NORMAL: a commit survives a killed process (the
    # OS has it); only a power cut can lose the last moments.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class SqlStore(SessionStore):
    """A SessionStore on any SQLAlchemy database URL (sqlite:///..., postgresql+psycopg://...),
    written by this process alone (several server processes: storage/shared.py)."""

    def __init__(self, url: str):
        self.url = normalise_url(url)
        sqlite = self.url.startswith("sqlite")
        if not sqlite:
            import_extra("psycopg", "A PostgreSQL database (--database-url)")
        self.engine: Engine = create_engine(self.url, **({} if sqlite else {"pool_recycle": POOL_RECYCLE_SECONDS}))
        # The log's writes. On PostgreSQL in autocommit: psycopg would otherwise send BEGIN and
        # COMMIT as round trips of their own around the one INSERT; alone it is its own
        # transaction, committed before the server answers it. (The snapshot, every
        # SNAPSHOT_EVERY commands, is one more statement: the log is the truth, and snapshot and
        # snapshot_version change together in it.) SQLite keeps a transaction per write.
        self._writes: Engine = self.engine if sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        if sqlite:
            event.listen(self.engine, "connect", _tune_sqlite)
        # On PostgreSQL the log's INSERT skips SQLAlchemy's layers: the one statement every
        # command costs (gamehub/storage/pglog.py).
        self._log = None if sqlite else _pglog(self.engine)
        metadata.create_all(self.engine)
        # This process writes every change, so its cache stays true.
        self._cache: dict[str, SessionRecord] = {}
        # The client ids each cached session has used, so telling a new command from a resend
        # needs no query (a resend, rare, is then looked up for its first ack).
        self._cids: dict[str, set[str]] = {}

    def close(self) -> None:
        self.engine.dispose()

    def cached(self, session_id: str) -> SessionRecord | None:
        return self._cache.get(session_id)

    def create(self, record: SessionRecord) -> None:
        with self.engine.begin() as db:
            db.execute(insert(sessions_table).values(
                id=record.state.id, created_at=record.state.created_at,
                facilitator_hash=record.facilitator_hash, projector_key=record.projector_key,
                snapshot=encode(record.state), snapshot_version=record.state.version))
        self._cache[record.state.id] = record
        self._cids[record.state.id] = set()

    def get(self, session_id: str) -> SessionRecord | None:
        return _retried(self._get, session_id)

    def _get(self, session_id: str) -> SessionRecord | None:
        cached = self._cache.get(session_id)
        if cached is not None:
            return self._fresh(cached)
        with self.engine.connect() as db:
            row = db.execute(select(sessions_table).where(sessions_table.c.id == session_id)).first()
            if row is None:
                return None
            tail = db.execute(select(commands_table)
                              .where(commands_table.c.session_id == session_id,
                                     commands_table.c.version > row.snapshot_version)
                              .order_by(commands_table.c.version)).all()
            cids = set(db.execute(select(commands_table.c.cid).where(
                commands_table.c.session_id == session_id, commands_table.c.cid.is_not(None))).scalars())
        state = replay(decode(row.snapshot), map(_entry, tail))
        record = SessionRecord(state=state, facilitator_hash=row.facilitator_hash, projector_key=row.projector_key)
        self._cache[session_id] = record
        self._cids[session_id] = cids
        return record

    def _fresh(self, cached: SessionRecord) -> SessionRecord | None:
        """The cached session as the database holds it now: here, as it is (storage/shared.py
        catches up with other writers)."""
        return cached

    def _lost_race(self, session_id: str) -> None:
        """Another writer stored a version first: forget the copy, so the next read loads what
        the log holds."""
        self._cache.pop(session_id, None)
        self._cids.pop(session_id, None)

    def append(self, session_id: str, state: Session, entry: LogEntry) -> None:
        try:
            try:
                self._write(session_id, entry)
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
                # The connection was dead (the server restarted, a backend was ended): SQLAlchemy
                # has dropped it and every pooled connection as old. Once more, on a fresh one.
                # The first may have committed before the answer was lost: then this version
                # is ours already, and says so.
                try:
                    self._write(session_id, entry)
                except IntegrityError:
                    if not self._stored_already(session_id, entry):
                        raise
        except IntegrityError as error:
            # This version (or this client id) was stored by another writer first.
            self._lost_race(session_id)
            raise VersionConflict(f"session {session_id}: version {entry.version} is taken") from error
        self._remember(session_id, state, entry)
        self._snapshot([(session_id, state, entry)])

    def append_many(self, writes: list[tuple[str, Session, LogEntry]]) -> list[Exception | None]:
        """Several sessions' commands (at most one each) in one statement and one commit: group
        commit, for the commands that queued while the last commit was written. Per command,
        None, or what `append` would have raised. A batch that fails as a whole (one of them
        lost a version race, the connection died) is written again one by one, to tell whose
        write failed."""
        if len(writes) > 1:
            try:
                self._insert([_row(sid, entry) for sid, _, entry in writes])
            except DBAPIError:
                pass  # one by one, below (nothing of the batch was stored: one statement)
            else:
                for write in writes:
                    self._remember(*write)
                self._snapshot(writes)
                return [None] * len(writes)
        results: list[Exception | None] = []
        for write in writes:
            try:
                self.append(*write)
                results.append(None)
            except (VersionConflict, DBAPIError) as error:
                results.append(error)
        return results

    def _remember(self, session_id: str, state: Session, entry: LogEntry) -> None:
        record = self._cache.get(session_id) or self.get(session_id)
        self._cache[session_id] = replace(record, state=state)
        if entry.cid is not None and session_id in self._cids:
            self._cids[session_id].add(entry.cid)

    def _write(self, session_id: str, entry: LogEntry) -> None:
        self._insert([_row(session_id, entry)])

    def _insert(self, rows: list[dict]) -> None:
        """The rows in one statement (PostgreSQL) or one transaction (SQLite), committed."""
        if self._log is not None:
            self._log.insert(rows)
            return
        with self._writes.begin() as db:
            # Values as parameters, not in the statement: one compiled INSERT serves every write.
            db.execute(_INSERT_COMMAND, rows)

    def _snapshot(self, writes: list[tuple[str, Session, LogEntry]]) -> None:
        """Every SNAPSHOT_EVERY versions, the session's state, once its command is stored. Only
        a shortcut for loading (the log is the truth, and snapshot and snapshot_version change
        together): one that fails is said and skipped, the command stands."""
        for session_id, state, _ in writes:
            if state.version % SNAPSHOT_EVERY:
                continue
            try:
                with self._writes.begin() as db:
                    db.execute(update(sessions_table).where(sessions_table.c.id == session_id)
                               .values(snapshot=encode(state), snapshot_version=state.version))
            except DBAPIError as error:
                log.warning("session %s: snapshot at version %d not written (%s)", session_id, state.version, error)

    def _stored_already(self, session_id: str, entry: LogEntry) -> bool:
        """Whether the log's row at `entry.version` is this very command (a write whose commit
        went through on a connection that died before it could say so)."""
        with self.engine.connect() as db:
            row = db.execute(select(commands_table).where(commands_table.c.session_id == session_id,
                                                          commands_table.c.version == entry.version)).first()
        return row is not None and (row.cid, row.event, row.actor, row.at) == (entry.cid, entry.event, entry.actor,
                                                                               entry.at)

    def log(self, session_id: str) -> list[LogEntry]:
        with self.engine.connect() as db:
            rows = db.execute(select(commands_table).where(commands_table.c.session_id == session_id)
                              .order_by(commands_table.c.version)).all()
        return [_entry(row) for row in rows]

    def cid_is_new(self, session_id: str, cid: str) -> bool:
        # Shared too (storage/shared.py): a read brings the set up to date with the log's tail,
        # and a resend another process stores meanwhile is stopped by the log's unique index.
        known = self._cids.get(session_id)
        return known is not None and cid not in known

    def find_cid(self, session_id: str, cid: str) -> LogEntry | None:
        if self.cid_is_new(session_id, cid):
            return None
        with self.engine.connect() as db:
            row = db.execute(select(commands_table).where(commands_table.c.session_id == session_id,
                                                          commands_table.c.cid == cid)).first()
        return _entry(row) if row else None

    def session_ids(self) -> list[str]:
        with self.engine.connect() as db:
            return list(db.execute(select(sessions_table.c.id).order_by(sessions_table.c.created_at)).scalars())

    def last_activity(self, session_id: str) -> float | None:
        with self.engine.connect() as db:
            last = db.execute(select(func.max(commands_table.c.at))
                              .where(commands_table.c.session_id == session_id)).scalar()
            if last is None:
                last = db.execute(select(sessions_table.c.created_at)
                                  .where(sessions_table.c.id == session_id)).scalar()
        return last

    def rekey(self, session_id: str, facilitator_hash: str) -> bool:
        with self.engine.begin() as db:
            changed = db.execute(update(sessions_table).where(sessions_table.c.id == session_id)
                                 .values(facilitator_hash=facilitator_hash)).rowcount
        self._cache.pop(session_id, None)
        return changed > 0

    def facilitator_hash(self, session_id: str) -> str | None:
        return self.facilitator_hashes([session_id]).get(session_id)

    def facilitator_hashes(self, session_ids: list[str]) -> dict[str, str]:
        # One query for every session with a facilitator on screen (the key watch's sweep).
        with self.engine.connect() as db:
            rows = db.execute(select(sessions_table.c.id, sessions_table.c.facilitator_hash)
                              .where(sessions_table.c.id.in_(session_ids))).all()
        current = {row.id: row.facilitator_hash for row in rows}
        for session_id, value in current.items():
            cached = self._cache.get(session_id)
            if cached is not None and cached.facilitator_hash != value:
                self._cache[session_id] = replace(cached, facilitator_hash=value)  # keep the copy honest
        return current

    def delete(self, session_id: str) -> bool:
        with self.engine.begin() as db:
            db.execute(delete(commands_table).where(commands_table.c.session_id == session_id))
            gone = db.execute(delete(sessions_table).where(sessions_table.c.id == session_id)).rowcount
        self._cache.pop(session_id, None)
        self._cids.pop(session_id, None)
        return gone > 0

    # Decks and settings are small and rarely read: no cache, so every process sees the same.

    def decks(self) -> list[DeckRecord]:
        with self.engine.connect() as db:
            rows = db.execute(select(decks_table).order_by(decks_table.c.created, decks_table.c.id)).all()
        return [_deck(row) for row in rows]

    def get_deck(self, deck_id: str) -> DeckRecord | None:
        with self.engine.connect() as db:
            row = db.execute(select(decks_table).where(decks_table.c.id == deck_id)).first()
        return _deck(row) if row else None

    def put_deck(self, deck: DeckRecord) -> None:
        values = {"name": deck.name, "data": deck.data, "created": deck.created, "updated": deck.updated}
        with self.engine.begin() as db:
            changed = db.execute(update(decks_table).where(decks_table.c.id == deck.id).values(**values)).rowcount
            if not changed:
                db.execute(insert(decks_table).values(id=deck.id, **values))

    def delete_deck(self, deck_id: str) -> bool:
        with self.engine.begin() as db:
            return db.execute(delete(decks_table).where(decks_table.c.id == deck_id)).rowcount > 0

    def setting(self, name: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(select(settings_table.c.value).where(settings_table.c.name == name)).scalar()

    def put_setting(self, name: str, value: str) -> None:
        with self.engine.begin() as db:
            if not db.execute(update(settings_table).where(settings_table.c.name == name)
                              .values(value=value)).rowcount:
                db.execute(insert(settings_table).values(name=name, value=value))


def open_store(database_url: str | None = None, data_dir: str | os.PathLike | None = None,
               kind: type[SqlStore] | None = None) -> SqlStore:
    """The configured store: `database_url` (or $GAMEHUB_DATABASE_URL), else SQLite in the data
    directory (or the per-user default), created readable by this user only. `kind`: the store
    for a database URL (storage/shared.py's when other server processes use it too)."""
    url = database_url or os.environ.get("GAMEHUB_DATABASE_URL")
    if url:
        return (kind or SqlStore)(url)
    from .files import DATABASE, create_database, make_private

    directory = Path(data_dir) if data_dir else default_data_dir()
    make_private(directory)  # `gamehub serve` says what it fixed; other commands fix it quietly
    create_database(directory / DATABASE)
    return SqlStore(sqlite_url(str(directory / DATABASE)))


def _pglog(engine: Engine):
    from .pglog import PgLog  # psycopg: only with the `postgres` extra

    return PgLog(engine, POOL_RECYCLE_SECONDS)


def default_data_dir() -> Path:
    return Path(os.environ.get("GAMEHUB_DATA_DIR") or platformdirs.user_data_dir("gamehub", appauthor=False))


def _row(session_id: str, entry: LogEntry) -> dict:
    return {"session_id": session_id, "version": entry.version, "event": entry.event, "payload": entry.payload,
            "actor": entry.actor, "at": entry.at, "cid": entry.cid, "result": entry.result}


def _retried(read, *args):
    """`read(*args)`, once more if its connection turned out to be dead (see `append`)."""
    try:
        return read(*args)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        return read(*args)


def _entry(row) -> LogEntry:
    return LogEntry(version=row.version, event=row.event, payload=row.payload, actor=row.actor, at=row.at,
                    cid=row.cid, result=row.result or {})


def _deck(row) -> DeckRecord:
    return DeckRecord(id=row.id, name=row.name, data=row.data, created=row.created, updated=row.updated)
