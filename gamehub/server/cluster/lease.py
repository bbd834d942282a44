"""Which server process owns a session: a PostgreSQL advisory lock per session (docs/deployment.md).

A lease is `pg_try_advisory_lock` on a 64-bit key derived from the session id, taken on one
dedicated connection per process. Session-level advisory locks belong to that connection's
backend: when the process dies, even by kill -9, the kernel closes its socket, PostgreSQL ends
the backend and every lock it held is free at once, with no expiry to wait for.

The lease is a promise about speed, never about safety: the command log's primary key and its
unique client ids still refuse a second writer, so a process that believes it owns a session it
has lost only has one write refused, reloads and carries on (gamehub/server/hub.py).
"""

from __future__ import annotations

import hashlib
import logging
import threading

log = logging.getLogger(__name__)


def lease_key(session_id: str) -> int:
    """The advisory-lock key of a session: a signed 64-bit hash, prefixed so that other users of
    advisory locks on the same database are unlikely to collide with ours."""
    digest = hashlib.blake2b(f"gamehub-session:{session_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Leases:
    """The advisory locks this process holds, on one connection of its own.

    `connect()` returns a new DB-API connection to the session database (autocommit is set
    here). Every method may block on the network: under eventlet the caller runs them in the
    store's runner, in turn with its other database calls (gamehub/storage/offloaded.py)."""

    def __init__(self, connect, name: str = "gamehub"):
        self._connect = connect
        self._name = name
        self._conn = None
        self._held: set[str] = set()
        self._guard = threading.Lock()  # one statement at a time on the one connection

    def holds(self, session_id: str) -> bool:
        return session_id in self._held

    def held(self) -> set[str]:
        return set(self._held)

    def _connection(self):
        if self._conn is None:
            conn = self._connect()
            conn.autocommit = True
            with conn.cursor() as cursor:
                # Who holds what shows in pg_locks joined with pg_stat_activity (and in tests).
                cursor.execute("SELECT set_config('application_name', %s, false)", (self._name[:63],))
            self._conn = conn
        return self._conn

    def _scalar(self, sql: str, *params):
        with self._guard:
            try:
                with self._connection().cursor() as cursor:
                    cursor.execute(sql, params)
                    return cursor.fetchone()[0]
            except Exception:
                self._lose_connection()
                raise

    def take(self, session_id: str) -> bool:
        """Try to take the session's lease without waiting; True if this process holds it now."""
        if session_id in self._held:
            return True
        if self._scalar("SELECT pg_try_advisory_lock(%s)", lease_key(session_id)):
            self._held.add(session_id)
            return True
        return False

    def release(self, session_id: str) -> None:
        """Give the lease back (a hand-over to another process)."""
        if session_id not in self._held:
            return
        self._held.discard(session_id)
        self._scalar("SELECT pg_advisory_unlock(%s)", lease_key(session_id))

    def check(self) -> set[str]:
        """Whether the lease connection is alive; returns the sessions whose lease was just lost
        with it (every one: the locks went with the backend)."""
        lost = set(self._held)
        try:
            self._scalar("SELECT 1")
            return set()
        except Exception:
            log.warning("the lease connection to the database was lost: %d sessions are no longer owned", len(lost))
            return lost

    def _lose_connection(self) -> None:
        self._held.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def close(self) -> None:
        with self._guard:
            self._lose_connection()
