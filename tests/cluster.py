"""Several `gamehub serve` processes on one PostgreSQL schema and one Redis, with nginx in front.

Everything here is ours and bounded in time: a fresh PostgreSQL schema per test (dropped at
the end), our own redis-server on a free port (never the machine's shared one on 6379, which
other work may use), our own nginx with a private prefix (those three from `bench.cluster`
and `bench.nginx`, shared with the benchmark), and gamehub processes, each stopped by its PID.
The helpers fail loudly rather than skip: a scale-out test that silently does not run proves
nothing (a part that does not start raises `ClusterError`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import socketio

# The parts (PostgreSQL schema, redis-server, nginx) are the benchmark's too: one helper for
# both. Imported here for the tests, which take them all from this module.
from bench.cluster import START_SECONDS, RedisServer, Schema, pg_schema, redis_server  # noqa: F401
from bench.nginx import Nginx, nginx  # noqa: F401
from conftest import merge_patch
from server_process import ServerProcess, matches
from sheets import NOTHING, Typist


# -- gamehub processes ---------------------------------------------------------------------


@dataclass
class GamehubProcess(ServerProcess):
    """`gamehub serve` on a shared PostgreSQL and Redis (eventlet, the default mode, said
    explicitly so the test does not change meaning if the default does)."""

    database_url: str = ""
    message_queue: str = ""
    extra_args: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.args = ["--database-url", self.database_url, "--message-queue", self.message_queue,
                     "--async-mode", "eventlet", *self.extra_args, *self.args]

    def __enter__(self) -> GamehubProcess:
        # ServerProcess waits on the process's output with a blocking readline; a process that
        # hangs silently would hang the test. Kill it by PID after START_SECONDS instead.
        started = threading.Event()

        def watchdog() -> None:
            if not started.wait(START_SECONDS + 5) and self.process is not None and self.process.poll() is None:
                os.kill(self.process.pid, signal.SIGKILL)

        threading.Thread(target=watchdog, daemon=True).start()
        try:
            super().__enter__()
        except BaseException:
            self.stop(signal.SIGKILL)
            raise
        finally:
            started.set()
        return self

    def kill(self) -> None:
        """kill -9, by PID."""
        self.stop(signal.SIGKILL)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


# -- clients -------------------------------------------------------------------------------


class Peer:
    """A python-socketio client that keeps its views as a page does: it merges `view_patch`,
    ignores a view older than the one it shows (views from two processes may cross), and
    counts its connections. With `reconnection=True` it reconnects by itself like the page,
    and `auth` is read on every (re)connection, so a phone that joined comes back as itself."""

    def __init__(self, url: str, auth: dict, name: str = "", reconnection: bool = False, routed: bool = True):
        self.name = name
        self.url = url
        self.auth = dict(auth)
        self.where = ""  # which process (or proxy) the test connected it to
        self.pid: str | None = None  # the participant id, once joined
        self.views: list[dict] = []
        self.connects = 0
        self.sheet: str | None = None
        self.doc: Typist | None = None  # its copy of its group's sheet, from `sync_sheet` on
        self._changed = threading.Condition()
        # Delays like the browser client's, shortened so a test measures the server, not back-off.
        self.sio = socketio.Client(reconnection=reconnection, reconnection_delay=0.3, reconnection_delay_max=1.0,
                                   randomization_factor=0.2)
        self.sio.on("connect", self._on_connect)
        self.sio.on("view", self._on_view)
        self.sio.on("view_patch", self._on_patch)
        self.sio.on("sheet_update", self._on_sheet_update)
        # The session in the URL too, as the page puts it: nginx routes by it (`routed=False`:
        # a client that leaves it out, which reaches whichever process it is sent to).
        self.sio.connect(f"{url}?session={auth['session']}" if routed else url, auth=lambda: dict(self.auth),
                         transports=["websocket"], wait_timeout=10)

    def __repr__(self) -> str:
        return f"<Peer {self.name} {self.url}>"

    def _on_connect(self) -> None:
        with self._changed:
            self.connects += 1
            self._changed.notify_all()

    def _on_view(self, view: dict) -> None:
        with self._changed:
            if self.views and view["version"] < self.views[-1]["version"]:
                return  # an older view that crossed a newer one: the page ignores it too
            self.views.append(view)
            self._changed.notify_all()

    def _on_patch(self, patch: dict) -> None:
        with self._changed:
            if self.views and patch["version"] > self.views[-1]["version"]:
                self.views.append(merge_patch(self.views[-1], patch))
                self._changed.notify_all()

    def _on_sheet_update(self, message: dict) -> None:
        with self._changed:
            if self.doc is not None and message["sheet"] == self.sheet:
                self.doc.apply(message["update"])
                self._changed.notify_all()

    def sync_sheet(self) -> dict:
        """`sheet_sync`, as the page does on (re)connecting: take what this phone lacks, send
        back what the server lacks. A new sheet id starts a new copy."""
        with self._changed:
            sheet = self.views[-1]["group"]["sheet"]
            if self.doc is None or sheet != self.sheet:
                self.sheet, self.doc = sheet, Typist()
            vector = self.doc.state_vector()
        reply = self.call("sheet_sync", {"sheet": sheet, "state_vector": vector})
        assert reply["ok"], reply
        with self._changed:
            self.doc.apply(reply["update"])
            back = self.doc.missing_for(reply["state_vector"])
            self._changed.notify_all()
        if back != NOTHING:
            ack = self.call("sheet_update", {"sheet": sheet, "update": back})
            assert ack["ok"], ack
        return reply

    def typed(self, question: int, text: str) -> str:
        """Append `text` to an answer in this phone's copy; returns the update, not yet sent."""
        with self._changed:
            return self.doc.append(question, text)

    def type(self, question: int, text: str, **extra) -> dict:
        """Type and send, as the page does; returns the ack."""
        return self.call("sheet_update", {"sheet": self.sheet, "update": self.typed(question, text), **extra})

    @property
    def texts(self) -> tuple[str, ...]:
        with self._changed:
            return tuple(self.doc.text(q) for q in range(4))

    def wait_for_texts(self, predicate, timeout: float = 10, what: str = "") -> tuple[str, ...]:
        """Wait until this phone's copy of the sheet (its four texts) matches."""
        with self._changed:
            ok = self._changed.wait_for(lambda: matches(predicate, self.texts), timeout=timeout)
            last = self.texts
        assert ok, f"{self.name or self.url}: no matching sheet {what} within {timeout:.1f} s; last: {last}"
        return last

    @property
    def view(self) -> dict | None:
        with self._changed:
            return self.views[-1] if self.views else None

    def call(self, event: str, payload: dict | None = None, timeout: float = 10) -> dict:
        return self.sio.call(event, payload or {}, timeout=timeout)

    def send(self, event: str, payload: dict) -> Callable[[float], dict | None]:
        """Emit without waiting; returns `wait(timeout)` for the ack (None if none came)."""
        done, box = threading.Event(), []

        def on_ack(reply=None):
            box.append(reply)
            done.set()

        self.sio.emit(event, payload, callback=on_ack)
        return lambda timeout: box[0] if done.wait(timeout) else None

    def wait_for(self, predicate, timeout: float = 10, what: str = "") -> dict:
        with self._changed:
            ok = self._changed.wait_for(lambda: self.views and matches(predicate, self.views[-1]), timeout=timeout)
            last = self.views[-1] if self.views else None
        assert ok, f"{self.name or self.url}: no matching view {what} within {timeout:.1f} s; last: {last}"
        return last

    def wait_connects(self, count: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.connects >= count, timeout=timeout)

    def close(self) -> None:
        """Disconnect, and stop any reconnection attempts."""
        with contextlib.suppress(Exception):
            self.sio.shutdown()
