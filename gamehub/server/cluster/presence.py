"""Who is online across several server processes, kept in the Redis of the message queue.

Each process holds its own connections. It writes the set of participants with a phone on it
to a Redis set of its own, with a time to live that it keeps renewing, so a process killed
with its phones still "online" drops out of the count within TTL seconds. The facilitator's
view takes the union over the live processes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from . import redis as clients

log = logging.getLogger(__name__)

TTL = 30  # seconds a dead process's phones may still show online


class SharedPresence:
    def __init__(self, url: str, local: Callable[[str], set[str]], start_task: Callable,
                 sleep: Callable[[float], None], ttl: int = TTL):
        # When a whole room reconnects at once, writers wait for a connection instead of failing.
        self._redis = clients.client(url, pool_size=20)
        self._local = local  # session -> participants online on this process
        self._me = uuid.uuid4().hex[:12]
        self._ttl = ttl
        self._sessions: set[str] = set()  # sessions this process has written for
        self._start_task = start_task
        self._sleep = sleep

    def start(self) -> None:
        self._start_task(self._renew)

    def _procs_key(self, session_id: str) -> str:
        return f"gamehub:online:{session_id}"

    def _mine_key(self, session_id: str, process: str | None = None) -> str:
        return f"gamehub:online:{session_id}:{process or self._me}"

    def changed(self, session_id: str) -> None:
        """This process's phones of the session changed: write them."""
        self._sessions.add(session_id)
        try:
            self._write(session_id)
        except Exception:  # Redis down: the facilitator sees this process's phones only
            log.warning("could not share who is online in %s", session_id)

    def _write(self, session_id: str) -> None:
        online = self._local(session_id)
        with self._redis.pipeline() as pipe:
            pipe.delete(self._mine_key(session_id))
            if online:
                pipe.sadd(self._mine_key(session_id), *online)
                pipe.expire(self._mine_key(session_id), self._ttl)
            pipe.sadd(self._procs_key(session_id), self._me)
            pipe.expire(self._procs_key(session_id), self._ttl)
            pipe.execute()

    def online(self, session_id: str, here: set[str] | None = None) -> set[str]:
        """Participants of the session with a phone on any live process (`here`: those on this
        one, if known already)."""
        local = self._local(session_id) if here is None else here
        try:
            processes = self._redis.smembers(self._procs_key(session_id))
            if not processes:
                return local
            with self._redis.pipeline() as pipe:
                for process in processes:
                    pipe.smembers(self._mine_key(session_id, process))
                found = pipe.execute()
        except Exception:
            return local
        return local.union(*found)

    def _renew(self) -> None:
        while True:
            self._sleep(self._ttl / 3)
            for session_id in list(self._sessions):
                try:
                    self._write(session_id)
                except Exception:
                    pass  # renewed on the next round, or by the next change
