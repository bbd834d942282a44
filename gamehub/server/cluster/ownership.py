"""One owner per session across several server processes (docs/deployment.md, "One owner per session").

The process that applies a session's commands holds its lease (gamehub/server/cluster/lease.py) and keeps the
session in memory with no catch-up read before a command. nginx sends every connection of a
session to one process (`hash $arg_session consistent`), and that process takes the lease:

- on a command or a connection for a session nobody holds, it takes the lease (at most one try
  per session a second while someone else holds it);
- a connection that carries `?session=CODE` (the routing key nginx hashes) and reaches a process
  that does not hold that session's lease asks the owner, through Redis, to hand it over. The
  owner, once it has held the session HOLD_SECONDS, waits for the command in progress (the
  session's lock), gives the lease back and says so; the asker takes it. A new owner always
  reads the session whole from the database once, so it starts from everything the old one
  stored;
- until then, and for connections that stay on a process that is not the owner, commands are
  applied there as before ownership: read the log's tail, write, and lose the race to another
  process's write if there was one (the log's primary key and unique client ids refuse the
  second writer), so nothing is applied twice and nothing acknowledged is lost, only slower;
- every CHECK_SECONDS the lease connection is checked; if it is gone, so are the leases, and the
  sessions go back to being read through the database until taken again;
- an owner sends its session's messages past the message queue when no other process holds
  screens of it (`exclusive`; screens.py tells how the processes learn of each other's).

Without a message queue there is one process and no ownership: the store keeps every session.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from . import redis as clients
from .forward import Forwarder, listen, new_cid
from .lease import Leases
from .screens import ANNOUNCE_SECONDS, FOREIGN_SECONDS, ForeignScreens

log = logging.getLogger(__name__)

CHANNEL = "gamehub:handover"
HOLD_SECONDS = 5.0  # an owner keeps a session at least this long before handing it over
RETRY_SECONDS = 1.0  # a process tries a session held elsewhere at most once per this
CHECK_SECONDS = 2.0  # how often the lease connection is checked


class NoOwnership:
    """No shared PostgreSQL to hold leases in: every process applies any session's commands
    through the database, and every message goes through the queue."""

    def claim(self, session_id: str) -> bool:
        return True

    def arrived(self, session_id: str, routed: bool) -> None:
        pass

    def forget(self, session_id: str) -> None:
        pass

    def exclusive(self, session_id: str) -> bool:
        return False  # no message queue to skip

    def owns(self, session_id: str) -> bool:
        return True

    def forward(self, session_id, command, connection, cid, origin):
        return None

    def reload(self) -> None:
        pass


class Ownership:
    """Leases on `store`'s sessions, handed over between processes through Redis at `url`.

    `run(fn, *args)` runs a database call in turn with the store's others (gamehub/storage/offloaded.py);
    `hub` applies commands, under its per-session lock."""

    def __init__(self, store, url: str, run: Callable, hub, start_task: Callable,
                 sleep: Callable[[float], None], clock: Callable[[], float] = time.monotonic):
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._store = store
        self._leases = Leases(lambda: _detached_connection(store.engine), name=f"gamehub-lease {self.me}")
        self._redis = clients.client(url)
        self._run = run
        self._lock_of = hub.session_lock
        self._forget_shown = hub.forget_shown
        self._start_task = start_task
        self._sleep = sleep
        self._clock = clock
        self._since: dict[str, float] = {}  # when this process took each lease it holds
        self._tried: dict[str, float] = {}  # when it last tried a session held elsewhere
        self._asked: dict[str, float] = {}  # when it last asked the owner for a session
        self._guard = threading.Lock()
        self._closed = False
        self._presence = hub.presence
        self._screens = ForeignScreens(self.me, self._publish, clock)
        self._forwarder = Forwarder(self._redis, self.me, self._leases.holds, self._owner_gone, hub.execute_here,
                                    start_task, sleep)

    def start(self) -> None:
        self._start_task(self._listen)
        self._start_task(self._watch)
        self._start_task(self._announce)
        self._forwarder.start()

    def close(self) -> None:
        """Stop the background work and give every lease back (closing their connection)."""
        self._closed = True
        self._forwarder.closed = True
        self._run(self._leases.close)

    # -- taking ----------------------------------------------------------------------------

    def claim(self, session_id: str, now: bool = False) -> bool:
        """Whether this process owns the session, taking the lease if it is free. Called under
        the session's lock before a command; cheap when owned (no database call)."""
        if self._leases.holds(session_id):
            return True
        at = self._clock()
        if not now and at - self._tried.get(session_id, -RETRY_SECONDS) < RETRY_SECONDS:
            return False
        self._tried[session_id] = at
        try:
            taken = self._run(self._leases.take, session_id)
        except Exception:
            log.warning("could not reach the database for the lease of %s", session_id, exc_info=True)
            self._drop_lost()
            return False
        if taken:
            self._store.own(session_id)
            self._forget_shown(session_id)  # the last owner sent the projectors things too
            self._since[session_id] = at
            self._tried.pop(session_id, None)
            log.info("%s now owns session %s", self.me, session_id)
        return taken

    def arrived(self, session_id: str, routed: bool) -> None:
        """A screen of the session is connecting here, before it joins its rooms. If another
        process owns the session, make sure the owner has heard of this screen (so it sends the
        session's messages through the queue: screens.py) and, if `routed` (the session is in
        its URL, so nginx chose this process for the session), ask the owner for it."""
        with self._lock_of(session_id):
            if self.claim(session_id):
                return
        if routed:
            self._ask_for(session_id)
        self._screens.tell(session_id)

    def owns(self, session_id: str) -> bool:
        """Whether this process holds the session's lease (no database call)."""
        return self._leases.holds(session_id)

    def exclusive(self, session_id: str) -> bool:
        """Whether every screen of the session is on this process, as far as it can know: it
        owns the session, has owned it long enough to have heard of screens elsewhere, and has
        heard of none. Asked for every message sent: no database, no Redis."""
        since = self._since.get(session_id)
        if since is None or not self._leases.holds(session_id):
            return False
        now = self._clock()
        return now - since >= FOREIGN_SECONDS and not self._screens.elsewhere(session_id, now)

    def _ask_for(self, session_id: str) -> None:
        at = self._clock()
        with self._guard:  # a room reconnecting at once asks once, not once per screen
            if at - self._asked.get(session_id, -RETRY_SECONDS) < RETRY_SECONDS:
                return
            self._asked[session_id] = at
        self._publish({"op": "request", "session": session_id, "from": self.me})

    def forget(self, session_id: str) -> None:
        """The session was deleted here: give its lease back, and tell the owner, if another
        process, to drop its copy (it reads nothing before a command, so would not notice)."""
        self._give_back(session_id)
        self._publish({"op": "deleted", "session": session_id, "from": self.me})

    def forward(self, session_id: str, command, connection, cid: str | None, origin: str | None):
        """The owner's outcome of a command for a session owned elsewhere, or None when no
        owner answers and this process must apply it itself (gamehub/server/cluster/forward.py)."""
        return self._forwarder.send(session_id, command, connection, cid, origin)

    def new_cid(self) -> str:
        return new_cid()

    def _owner_gone(self, session_id: str) -> bool:
        with self._lock_of(session_id):
            return self.claim(session_id, now=True)

    def reload(self) -> None:
        """Read every owned session whole again: while the message queue was down, other
        processes could not forward and may have written some of them themselves, and could
        not say which screens they hold (so send through the queue until they have)."""
        now = self._clock()
        for session_id in self._leases.held():
            self._store.own(session_id)
            self._since[session_id] = now

    # -- handing over ------------------------------------------------------------------------

    def _publish(self, message: dict) -> int:
        """Send on the handover channel; how many processes listen (0: Redis is down)."""
        try:
            return self._redis.publish(CHANNEL, json.dumps(message))
        except Exception:  # Redis down: no hand-over now; the commands still work without it
            log.warning("could not send %s through the message queue", message.get("op"))
            return 0

    def _listen(self) -> None:
        listen(self._redis, [CHANNEL], self._received, lambda: self._closed, self._sleep)

    def _received(self, _channel: str, message: dict) -> None:
        session_id, sender = message.get("session"), message.get("from")
        if sender == self.me:
            return
        if message.get("op") == "screens":
            self._screens.heard(message, self._leases.holds)
        elif message.get("op") == "noted" and message.get("to") == self.me:
            self._screens.noted(message)
        if not isinstance(session_id, str):
            return
        if message.get("op") == "request" and self._leases.holds(session_id):
            held = self._clock() - self._since.get(session_id, 0.0)
            if held >= HOLD_SECONDS:
                self._start_task(self._hand_over, session_id, sender)
        elif message.get("op") == "released" and message.get("to") == self.me:
            self._start_task(self._take_handed, session_id)
        elif message.get("op") == "deleted" and self._leases.holds(session_id):
            self._start_task(self._deleted, session_id)

    def _hand_over(self, session_id: str, to: str) -> None:
        with self._lock_of(session_id):  # after the command in progress, before the next
            if not self._leases.holds(session_id):
                return
            self._give_back(session_id)
            # Its own screens' next commands must not take the lease straight back before the
            # asker does: they are forwarded (or, if the asker is gone, taken over then).
            self._tried[session_id] = self._clock() + HOLD_SECONDS
        log.info("%s handed session %s over to %s", self.me, session_id, to)
        self._publish({"op": "released", "session": session_id, "from": self.me, "to": to})

    def _give_back(self, session_id: str) -> None:
        self._store.disown(session_id)
        self._since.pop(session_id, None)
        try:
            self._run(self._leases.release, session_id)
        except Exception:
            self._drop_lost()

    def _deleted(self, session_id: str) -> None:
        with self._lock_of(session_id):
            self._give_back(session_id)
            self._run(self._store.get, session_id)  # read through the database: finds it gone, drops the copy

    def _take_handed(self, session_id: str) -> None:
        with self._lock_of(session_id):
            self.claim(session_id, now=True)

    # -- keeping -----------------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._closed:
            self._sleep(CHECK_SECONDS)
            if self._closed:
                return
            try:
                lost = self._run(self._leases.check)
            except Exception:
                lost = set()
            for session_id in lost:
                self._store.disown(session_id)
            self._drop_lost()

    def _announce(self) -> None:
        """Every ANNOUNCE_SECONDS, name the sessions this process holds screens of but does not own."""
        while not self._closed:
            self._sleep(ANNOUNCE_SECONDS)
            self._screens.announce(s for s in self._presence.sessions() if not self._leases.holds(s))

    def _drop_lost(self) -> None:
        """Sessions the store keeps as owned whose lease went with a lost connection."""
        for session_id in self._store.owned - self._leases.held():
            self._store.disown(session_id)
            self._since.pop(session_id, None)


def _detached_connection(engine):
    """A connection of the store's own engine (same URL and options), taken out of its pool for
    good: the pool may recycle its connections, and a lease lives exactly as long as its one."""
    pooled = engine.raw_connection()
    connection = pooled.driver_connection  # (read first: a detached proxy no longer knows it)
    pooled.detach()
    return connection


def ownership_for(store, url: str | None, hub, start_task: Callable, sleep: Callable):
    """Ownership when several processes share a PostgreSQL store and a message queue; else none."""
    from ...storage.offloaded import OffloadedStore

    inner = store.inner if isinstance(store, OffloadedStore) else store
    engine = getattr(inner, "engine", None)
    if not url or engine is None or engine.dialect.name != "postgresql" or not hasattr(inner, "own"):
        return NoOwnership()
    run = store._run if isinstance(store, OffloadedStore) else (lambda fn, *args: fn(*args))
    ownership = Ownership(inner, url, run, hub, start_task, sleep)
    ownership.start()
    return ownership
