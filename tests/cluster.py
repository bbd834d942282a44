"""Several `gamehub serve` processes on one PostgreSQL schema and one Redis, with nginx in front.

Everything here is ours and bounded in time: a fresh PostgreSQL schema per test (dropped at
the end), our own redis-server on a free port (never the machine's shared one on 6379, which
other work may use), our own nginx with a private prefix, and gamehub processes, each stopped
by its PID. The helpers fail loudly rather than skip: a scale-out test that silently does not
run proves nothing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg
import pytest
import socketio

from conftest import merge_patch
from server_process import ServerProcess, free_port
from sheets import NOTHING, Typist
from test_real_server import matches

PG_HOST, PG_PORT, PG_DATABASE, PG_USER = "127.0.0.1", 5432, "test", "root"  # trust auth on loopback
REDIS_SERVER = Path("/usr/bin/redis-server")
NGINX = Path("/usr/sbin/nginx")
START_SECONDS = 30  # a helper that is not up by then has failed


# -- PostgreSQL ----------------------------------------------------------------------------


def _pg_connect(**options) -> psycopg.Connection:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DATABASE, user=PG_USER, connect_timeout=5,
                           autocommit=True, **options)


def _pg_up() -> bool:
    try:
        with _pg_connect():
            return True
    except psycopg.OperationalError:
        return False


def ensure_postgres() -> None:
    """PostgreSQL runs on the development and CI machines; if it is down, start it or fail."""
    if _pg_up():
        return
    subprocess.run("pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
                   shell=True, timeout=60, check=False)
    deadline = time.monotonic() + START_SECONDS
    while not _pg_up():
        if time.monotonic() > deadline:
            pytest.fail(f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} (database {PG_DATABASE!r}, "
                        f"user {PG_USER!r}) and could not be started")
        time.sleep(0.5)


@dataclass
class Schema:
    name: str

    @property
    def url(self) -> str:
        """A database URL whose connections see this schema first (libpq `options`, URL-encoded),
        so gamehub creates and finds its tables there without knowing about schemas."""
        return (f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
                f"?options=-csearch_path%3D{self.name}")

    def query(self, sql: str, *params) -> list[tuple]:
        """Read gamehub's tables directly: what is stored, whatever any process says."""
        with _pg_connect(options=f"-csearch_path={self.name}") as db:
            return db.execute(sql, params).fetchall()


@contextlib.contextmanager
def pg_schema() -> Iterator[Schema]:
    """A fresh schema in database `test`, dropped with everything in it at the end."""
    ensure_postgres()
    schema = Schema(f"gamehub_t_{secrets.token_hex(6)}")
    with _pg_connect() as db:
        db.execute(f'CREATE SCHEMA "{schema.name}"')
    try:
        yield schema
    finally:
        # Processes are stopped before this runs (they were started inside); a lock timeout
        # still bounds the drop if a stray connection holds a lock.
        with _pg_connect() as db:
            db.execute("SET lock_timeout = '10s'")
            db.execute(f'DROP SCHEMA IF EXISTS "{schema.name}" CASCADE')


# -- Redis ---------------------------------------------------------------------------------


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """Our own redis-server, started, killed and started again by PID on one port."""

    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gamehub-redis-")))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if not REDIS_SERVER.exists():
            pytest.fail(f"{REDIS_SERVER} is missing: install Debian's redis-server (scripts/test.sh does)")
        log = open(self.workdir / "redis.log", "ab")
        # No persistence: a restart is an empty Redis, as after a crash of a cache-only Redis
        # (the message queue keeps nothing worth saving).
        self.process = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        log.close()
        deadline = time.monotonic() + START_SECONDS
        while not _redis_ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"redis-server did not start on port {self.port}:\n{self.log()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL by PID: an outage, not a clean shutdown."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def log(self) -> str:
        path = self.workdir / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.workdir, ignore_errors=True)


# -- nginx ---------------------------------------------------------------------------------

NGINX_CONF = """\
# A test nginx: foreground, private prefix, nothing under /var.
daemon off;
master_process on;
worker_processes 1;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream gamehub {{
        # By the session in the URL (?session=CODE): every screen of a session reaches the
        # process that owns it, and every request of one polling connection the same one.
        hash $arg_session consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gamehub;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # The origin check compares the page's Origin with the host the browser used.
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_connect_timeout 2s;
            # A dead process refuses the connection: try the next one (a reconnecting phone
            # lands on a survivor instead of getting a 502).
            proxy_next_upstream error timeout;
            # Which process answered, so a test can tell where nginx sends loopback clients.
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    upstreams: list[int]  # ports of gamehub processes on 127.0.0.1
    port: int = field(default_factory=free_port)
    prefix: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gamehub-nginx-")))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if not NGINX.exists():
            pytest.fail(f"{NGINX} is missing: install Debian's nginx (scripts/test.sh does)")
        # As root, nginx's workers drop to an unprivileged user; they must reach the prefix.
        self.prefix.chmod(0o755)
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;"
                            for port in self.upstreams)
        conf = self.prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, prefix=self.prefix, servers=servers, port=self.port))
        self.process = subprocess.Popen(
            [str(NGINX), "-p", str(self.prefix), "-c", str(conf), "-e", str(self.prefix / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"nginx did not come up on {self.url}:\n{self.error_log()}")
            time.sleep(0.1)

    def upstream_for_loopback(self, session: str = "") -> int:
        """The gamehub port nginx sends a session's screens to (it hashes `?session=`)."""
        with urllib.request.urlopen(f"{self.url}/healthz?session={session}", timeout=5) as response:
            return int(response.headers["X-Upstream"].rsplit(":", 1)[1])

    def stop(self) -> None:
        """SIGTERM to the master by PID (fast shutdown, closes open websockets); its workers by
        PID too if they outlive it."""
        if self.process is None:
            return
        try:
            workers = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            workers = []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for worker in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.kill()

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@contextlib.contextmanager
def nginx(upstreams: list[int]) -> Iterator[Nginx]:
    proxy = Nginx(list(upstreams))
    try:
        proxy.start()
        yield proxy
    finally:
        proxy.stop()
        shutil.rmtree(proxy.prefix, ignore_errors=True)


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

    def __init__(self, url: str, auth: dict, name: str = "", reconnection: bool = False):
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
        # The session in the URL too, as the page puts it: nginx routes by it.
        self.sio.connect(f"{url}?session={auth['session']}", auth=lambda: dict(self.auth), transports=["websocket"],
                         wait_timeout=10)

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
