"""Sessions that several server processes write, on one database (docs/deployment.md).

Alone, a SqlStore's copy of a session is the truth: it wrote every change. Shared, another
process may have stored commands since, so a read first brings the copy up to date from the
log (a small indexed query). The sessions this process owns (it holds their lease,
gamehub/server/cluster/lease.py) nobody else writes: those are kept as if alone, with no
catch-up read before a command.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from .replay import replay
from .sql import SqlStore, _entry
from .store import SessionRecord
from .tables import commands_table, sessions_table


class SharedSqlStore(SqlStore):
    def __init__(self, url: str):
        super().__init__(url)
        self.owned: set[str] = set()

    def own(self, session_id: str) -> None:
        """This process now holds the session's lease: read it whole once more (whatever the
        previous owner wrote), then keep it as if alone."""
        self._cache.pop(session_id, None)
        self._cids.pop(session_id, None)
        self.owned.add(session_id)

    def disown(self, session_id: str) -> None:
        """The lease is gone (handed over or lost): back to catching up before every read."""
        self.owned.discard(session_id)

    def cached(self, session_id: str) -> SessionRecord | None:
        return self._cache.get(session_id) if session_id in self.owned else None

    def _fresh(self, cached: SessionRecord) -> SessionRecord | None:
        return cached if cached.state.id in self.owned else self._caught_up(cached)

    def _lost_race(self, session_id: str) -> None:
        # Not owned, the next read catches up from the log as always.
        if session_id in self.owned:
            super()._lost_race(session_id)

    def _caught_up(self, cached: SessionRecord) -> SessionRecord | None:
        """The cached session with whatever other processes stored since (or None if deleted)."""
        session_id = cached.state.id
        with self.engine.connect() as db:
            row = db.execute(select(sessions_table.c.facilitator_hash)
                             .where(sessions_table.c.id == session_id)).first()
            if row is None:
                self._cache.pop(session_id, None)
                return None
            tail = db.execute(select(commands_table)
                              .where(commands_table.c.session_id == session_id,
                                     commands_table.c.version > cached.state.version)
                              .order_by(commands_table.c.version)).all()
        if not tail and row.facilitator_hash == cached.facilitator_hash:
            return cached
        known = self._cids.get(session_id)
        if known is not None:  # so a resend of what another process stored is told without a query
            known.update(entry.cid for entry in tail if entry.cid is not None)
        record = replace(cached, state=replay(cached.state, map(_entry, tail)), facilitator_hash=row.facilitator_hash)
        self._cache[session_id] = record
        return record
