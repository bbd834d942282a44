"""The parts around several gamehub processes, for `python -m bench --processes N`: a fresh
PostgreSQL schema, our own redis-server and our own nginx, each on loopback, each stopped by
its PID. Copied and trimmed from tests/cluster.py (bench does not import the tests), with an
nginx tuned for thousands of websockets instead of a handful.

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
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil

PG_HOST, PG_PORT, PG_DATABASE, PG_USER = "127.0.0.1", 5432, "test", "root"  # trust auth on loopback
REDIS_SERVER = Path("/usr/bin/redis-server")
NGINX = Path("/usr/sbin/nginx")
START_SECONDS = 30  # a part that is not up by then has failed
SCHEMA_PREFIX = "gamehub_bench_"


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


def create_schema() -> str:
    """A fresh, empty schema in database `test`; its name."""
    ensure_postgres()
    name = SCHEMA_PREFIX + secrets.token_hex(6)
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


def start_redis(workdir: Path) -> tuple[subprocess.Popen, int]:
    """Our own redis-server on a free loopback port, no persistence (the message queue keeps
    nothing worth saving). The caller stops it by PID."""
    if not REDIS_SERVER.exists():
        raise ClusterError(f"{REDIS_SERVER} is missing: install Debian's redis-server (scripts/test.sh does)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with open(workdir / "redis.log", "ab") as log:
        process = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(workdir), "--maxclients", "10000"],
            stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    deadline = time.monotonic() + START_SECONDS
    while not _redis_ping(port):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise ClusterError(f"redis-server did not start on port {port}:\n{_tail(workdir / 'redis.log')}")
        time.sleep(0.05)
    return process, port


# -- nginx ---------------------------------------------------------------------------------

NGINX_CONF = """\
# The benchmark's nginx: foreground, private prefix, nothing under /var.
daemon off;
master_process on;
# One worker: it is one more process on the same two cores, and its CPU is reported.
worker_processes 1;
worker_rlimit_nofile {nofile};
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
# Each phone is two connections here: the client's and the one to its gamehub process.
events {{ worker_connections {connections}; }}
http {{
    # One line per connection, written when it closes: which process each screen got.
    log_format bench '$http_x_forwarded_for $upstream_addr';
    access_log {prefix}/access.log bench;
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
        # By the session in the URL (?session=CODE), as docs/deployment.md: every screen of a
        # session reaches the process that owns it. (ip_hash would put every simulated client
        # on one process: they all come from 127.0.0.1.)
        hash $arg_session consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            proxy_pass http://gamehub;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Every simulated screen comes from 127.0.0.1 and says who it is in X-Forwarded-For
            # (10.x.y.z). Pass that on unchanged, as if nginx had seen the screen's own address,
            # so gamehub (--trusted-proxies 1) applies its per-address limits per screen.
            proxy_set_header X-Forwarded-For $http_x_forwarded_for;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


def start_nginx(prefix: Path, upstreams: list[int], connections: int = 8192) -> tuple[subprocess.Popen, int]:
    """Our own nginx in front of gamehub processes on 127.0.0.1 (`upstreams`: their ports),
    up once `/healthz` answers through it. The caller stops it with `stop_nginx`."""
    if not NGINX.exists():
        raise ClusterError(f"{NGINX} is missing: install Debian's nginx (scripts/test.sh does)")
    prefix.mkdir(parents=True, exist_ok=True)
    # As root, nginx's workers drop to an unprivileged user; they must reach the prefix.
    prefix.chmod(0o755)
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in upstreams)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, prefix=prefix, servers=servers, port=port,
                                      connections=connections, nofile=2 * connections + 1024))
    process = subprocess.Popen([str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return process, port
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_nginx(process)
            raise ClusterError(f"nginx did not come up on port {port}:\n{_tail(prefix / 'error.log')}")
        time.sleep(0.1)


def upstream_counts(prefix: Path, screen: Callable[[str], str]) -> dict[str, dict[str, int]]:
    """From nginx's access log: {gamehub address: {kind of screen: connections}}, where
    `screen` tells a screen's kind from the address it sent in X-Forwarded-For."""
    counts: dict[str, dict[str, int]] = {}
    path = prefix / "access.log"
    if not path.exists():
        return counts
    for line in path.read_text(errors="replace").splitlines():
        forwarded, _, upstream = line.partition(" ")
        if forwarded == "-" or not upstream or upstream == "-":
            continue  # nginx's own health check, or a request no process answered
        per = counts.setdefault(upstream.split(",")[-1].strip(), {})
        kind = screen(forwarded)
        per[kind] = per.get(kind, 0) + 1
    return counts


def nginx_pids(process: subprocess.Popen) -> list[int]:
    """The master and its workers."""
    try:
        return [process.pid, *(child.pid for child in psutil.Process(process.pid).children(recursive=True))]
    except psutil.Error:
        return []


def stop_nginx(process: subprocess.Popen) -> None:
    """SIGTERM to the master by PID (fast shutdown, closes open websockets); its workers by PID
    too if they outlive it."""
    try:
        workers = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        workers = []
    stop(process)
    for worker in workers:
        with contextlib.suppress(psutil.Error):
            if worker.is_running():
                worker.kill()


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


def _tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"
