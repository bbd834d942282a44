"""The log's INSERT on PostgreSQL, straight through psycopg on a connection kept for it.

Every accepted command is one such INSERT, so its cost is the cost of a command, and through
SQLAlchemy Core most of that cost was SQLAlchemy's own (execution context, events, pool
checkout and return; a several-row INSERT was compiled anew each time). Here two fixed
statements, which psycopg prepares on the server once each: one row as plain values (most
writes; cheaper than one row as arrays), several rows as arrays that `unnest` makes rows
again (a group commit). The arrays go in PostgreSQL's binary format (`%b`): in text, psycopg
quotes every element through a regular expression. The connection commits each statement as
it runs (autocommit): one round trip per write. Measurements: docs/performance.md, "Cheaper
per change" (the INSERT through psycopg) and "Frames unmasked in C, binary arrays".

Errors come out as SQLAlchemy's (IntegrityError for a taken version or client id, and
`connection_invalidated` for a connection that turned out dead, which is then replaced), so
the store handles them as it handles every other statement's.
"""

from __future__ import annotations

import json
import threading
import time

import psycopg
from sqlalchemy import JSON, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from .tables import commands_table

_COLUMNS = tuple(column.name for column in commands_table.columns)
_JSON = {column.name for column in commands_table.columns if isinstance(column.type, JSON)}  # stored as json.dumps
_INTO = f"INSERT INTO {commands_table.name} ({', '.join(_COLUMNS)}) "
# The casts below follow the columns' order: session_id, version, event, payload, actor, at, cid, result.
ONE_ROW = _INTO + "VALUES (%s, %s, %s, %s::json, %s::json, %s, %s, %s::json)"
ROWS = _INTO + ("SELECT * FROM unnest(%b::text[], %b::int[], %b::text[], %b::text[]::json[], %b::text[]::json[], "
                "%b::float8[], %b::text[], %b::text[]::json[])")


class PgLog:
    """Inserts log rows (dicts of the commands table's columns) on `engine`'s database, on one
    connection of its own, opened as the engine opens them (same URL, options and events) and
    replaced once idle for `recycle` seconds, as the pool would."""

    def __init__(self, engine: Engine, recycle: float, clock=time.monotonic):
        self._engine = engine
        self._recycle = recycle
        self._clock = clock
        self._connection: psycopg.Connection | None = None
        self._used = 0.0
        self._guard = threading.Lock()
        # engine.dispose() (tests trace the connections opened after it) drops this one too.
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def insert(self, rows: list[dict]) -> None:
        """All `rows` in one statement, committed when this returns."""
        columns = [[json.dumps(row[name]) if name in _JSON else row[name] for row in rows] for name in _COLUMNS]
        statement, params = (ONE_ROW, [column[0] for column in columns]) if len(rows) == 1 else (ROWS, columns)
        with self._guard:
            connection = self._open()
            try:
                connection.execute(statement, params)
            except psycopg.Error as error:
                dead = connection.broken or connection.closed or self._engine.dialect.is_disconnect(
                    error, connection, None)
                if dead:
                    self._drop()
                raise DBAPIError.instance(statement, params, error, psycopg.Error,
                                          connection_invalidated=dead) from error
            self._used = self._clock()

    def close(self) -> None:
        with self._guard:
            self._drop()

    def _open(self) -> psycopg.Connection:
        if self._connection is not None and self._clock() - self._used > self._recycle:
            self._drop()
        if self._connection is None:
            pooled = self._engine.raw_connection()
            connection = pooled.driver_connection  # (read first: a detached proxy no longer knows it)
            pooled.detach()  # the pool neither recycles nor resets it: it is this writer's
            connection.autocommit = True
            self._connection, self._used = connection, self._clock()
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.close()
            except psycopg.Error:
                pass
