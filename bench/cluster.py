"""The parts around several gamehub processes: a fresh PostgreSQL schema, our own redis-server
and our own nginx (`bench.nginx`), each on loopback, each stopped by its PID. One helper for
both users: the benchmark (`python -m bench --processes N`, through the functions) and the
scale-out tests (tests/cluster.py, through `pg_schema`, `redis_server` and `nginx`, context
managers that clean up after themselves). It needs no pytest: a part that fails raises
`ClusterError`, and a test that meets one fails with it.

Nothing here touches a system service: PostgreSQL is the machine's (database `test`, trust
auth on loopback), but everything we create in it lives in one schema that `drop_schema`
removes; redis-server and nginx are our own processes with private directories and free
ports. A part that is missing or does not start raises `ClusterError` with what it printed.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import secrets
import signal
import socket
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

PG_HOST, PG_PORT, PG_DATABASE, PG_USER = "127.0.0.1", 5432, "test", "root"  # trust auth on loopback
REDIS_SERVER = Path("/usr/bin/redis-server")
NGINX = Path("/usr/sbin/nginx")
START_SECONDS = 30  # a part that is not up by then has failed
SCHEMA_PREFIX = "gamehub_bench_"  # the tests' schemas are gamehub_t_...


class ClusterError(RuntimeError):
    """A part of the cluster is missing or did not start."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- PostgreSQL ----------------------------------------------------------------------------


def _pg_connect(**options):
    import psycopg  # the `scale` extra, which `test` includes

    return psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DATABASE, user=PG_USER, connect_timeout=5,
                           autocommit=True, **options)


def _pg_up() -> bool:
    import psycopg

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
            raise ClusterError(f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} (database {PG_DATABASE!r}, "
                               f"user {PG_USER!r}) and could not be started")
        time.sleep(0.5)


def create_schema(prefix: str = SCHEMA_PREFIX) -> str:
    """A fresh, empty schema in database `test`; its name."""
    ensure_postgres()
    name = prefix + secrets.token_hex(6)
    with _pg_connect() as db:
        db.execute(f'CREATE SCHEMA "{name}"')
    return name


def database_url(schema: str) -> str:
    """A URL whose connections see `schema` first (libpq `options`, URL-encoded), so gamehub
    creates and finds its tables there without knowing about schemas."""
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}?options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    """Drop the schema and everything in it. Call after the gamehub processes are stopped; a
    lock timeout still bounds the drop if a stray connection holds a lock."""
    with _pg_connect() as db:
        db.execute("SET lock_timeout = '10s'")
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def schema_exists(schema: str) -> bool:
    with _pg_connect() as db:
        return db.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None


@dataclass
class Schema:
    name: str

    @property
    def url(self) -> str:
        return database_url(self.name)

    def query(self, sql: str, *params) -> list[tuple]:
        """Read gamehub's tables directly: what is stored, whatever any process says."""
        with _pg_connect(options=f"-csearch_path={self.name}") as db:
            return db.execute(sql, params).fetchall()


@contextlib.contextmanager
def pg_schema(prefix: str = "gamehub_t_") -> Iterator[Schema]:
    """A fresh schema, dropped with everything in it at the end (stop the processes that use
    it inside, before)."""
    schema = Schema(create_schema(prefix))
    try:
        yield schema
    finally:
        drop_schema(schema.name)


def postgres_log() -> tuple[Path, int] | None:
    """The machine's PostgreSQL log (Debian's /var/log/postgresql/postgresql-*-main.log) and
    its size now, to read what is logged from here on; None if there is none we may read."""
    for path in sorted(Path("/var/log/postgresql").glob("postgresql-*-main.log")):
        try:
            return path, path.stat().st_size
        except OSError:
            continue
    return None


LOST_RACE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) UTC .*DETAIL:\s+Key \(session_id, "
                       r"version\)=\((\w+), \d+\) already exists")


def lost_races(where: tuple[Path, int] | None, codes: set[str]) -> list[float] | None:
    """When a gamehub process lost a version race on one of `codes` since `where` was taken:
    PostgreSQL logs each refused INSERT (duplicate (session_id, version) key) with its time.
    None if the log cannot be read."""
    if where is None:
        return None
    path, offset = where
    try:
        with open(path, "rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
    except OSError:
        return None
    times = []
    for line in text.splitlines():
        match = LOST_RACE.match(line)
        if match and match.group(2) in codes:
            stamp = datetime.datetime.strptime(match.group(1)[:19], "%Y-%m-%d %H:%M:%S")
            fraction = float("0" + match.group(1)[19:]) if len(match.group(1)) > 19 else 0.0
            times.append(stamp.replace(tzinfo=datetime.timezone.utc).timestamp() + fraction)
    return times


def postgres_pids() -> list[int]:
    """Every process of the machine's PostgreSQL (the postmaster and its backends), to sample
    their CPU: we do not own them, we only read their counters."""
    pids = []
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] == "postgres":
            pids.append(proc.pid)
    return pids


# -- Redis ---------------------------------------------------------------------------------


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def redis_info(port: int) -> dict[str, int]:
    """A few counters from redis-server's INFO: how many clients, how many connections it
    accepted in all, how many it refused, how many commands it ran."""
    wanted = ("connected_clients", "maxclients", "total_connections_received", "rejected_connections",
              "total_commands_processed", "pubsub_channels")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"INFO\r\n")
            data = b""
            while not data.endswith(b"\r\n\r\n") and len(data) < 1_000_000:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                if data.startswith(b"$") and b"\r\n" in data:
                    size = int(data[1:data.index(b"\r\n")])
                    if len(data) >= data.index(b"\r\n") + 2 + size:
                        break
    except OSError:
        return {}
    out = {}
    for line in data.decode(errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key in wanted and value.strip().isdigit():
            out[key] = int(value)
    return out


def start_redis(workdir: Path, port: int | None = None, maxclients: int = 10000) -> tuple[subprocess.Popen, int]:
    """Our own redis-server on a free loopback port (or `port`), no persistence: a restart is an
    empty Redis, as after a crash of a cache-only Redis (the message queue keeps nothing worth
    saving). The caller stops it by PID."""
    if not REDIS_SERVER.exists():
        raise ClusterError(f"{REDIS_SERVER} is missing: install Debian's redis-server (scripts/test.sh does)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    with open(workdir / "redis.log", "ab") as log:
        process = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(workdir), "--maxclients", str(maxclients)],
            stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    deadline = time.monotonic() + START_SECONDS
    while not _redis_ping(port):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise ClusterError(f"redis-server did not start on port {port}:\n{tail(workdir / 'redis.log')}")
        time.sleep(0.05)
    return process, port


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
        self.process, _ = start_redis(self.workdir, self.port)

    def kill(self) -> None:
        """SIGKILL by PID: an outage, not a clean shutdown."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def log(self) -> str:
        return tail(self.workdir / "redis.log", 100_000)


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.workdir, ignore_errors=True)


# -- common --------------------------------------------------------------------------------


def stop(process: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM one process by its PID, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)


def tail(path: Path, chars: int = 4000) -> str:
    """The end of a part's log, for an error message."""
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"
