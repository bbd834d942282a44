"""The servers a benchmark run measures, started and stopped by PID: gamehub as one process on
SQLite (or the relay), or as N processes on PostgreSQL and Redis behind nginx (`Cluster`, its
parts from `bench.cluster` and `bench.nginx`); and what is read from them afterwards (the export, the code that
ran). Every child is registered in CHILDREN, so `stop_children` ends them even when a run is
cut short.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import cluster, nginx
from .cluster import free_port

# Every child process and subprocess we start, so `stop_children` can end them by PID even
# when a run is interrupted (timeout, Ctrl+C).
CHILDREN: list = []
TEMP_DIRS: list[str] = []  # gamehub's data directories, removed by `stop_children` too
CLEANUPS: list = []  # callables run by `stop_children` after the processes are stopped (drop a schema)



# -- the server under test -------------------------------------------------------------------

@dataclass
class Server:
    kind: str
    process: subprocess.Popen
    port: int
    data_dir: str | None
    sessions: list[dict]  # {code, projector, facilitator}: the keys each screen sends in auth
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # The same interface as `Cluster`, so a run does not care which one it measures.
    def server_pids(self) -> list[int]:
        return [self.process.pid]

    def components(self) -> dict:
        return {}

    def stop(self) -> None:
        stop_process(self.process)

    def exit_codes(self):
        return self.process.returncode

    def log_tail(self) -> list[str]:
        return self.log[-40:]

    def export_args(self) -> list[str]:
        return ["--data-dir", self.data_dir]

    def discard(self) -> None:
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            if self.data_dir in TEMP_DIRS:
                TEMP_DIRS.remove(self.data_dir)


SERVE_ARGS: list[str] = []  # more `gamehub serve` options, last so they win (`python -m bench --async-mode`)


def _gamehub_command(port: int, sessions: int, per_session: int, storage: list[str], opening: bool) -> list[str]:
    return [sys.executable, "-m", "gamehub", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--no-qr", "--print-keys",
            *(["--new-session", "--sessions", str(sessions)] if opening else ["--sessions", "0"]),
            *storage, "--max-participants", str(max(500, per_session)), "--max-sessions", str(max(50, sessions)),
            "--trusted-proxies", "1",
            # Every simulated phone comes from this one address, joining as fast as it can: the
            # budget meant for a flood from one address would measure the budget, not gamehub.
            "--join-budget", "off", *SERVE_ARGS]


def _spawn(command: list[str], kind: str, deadline: float) -> tuple[subprocess.Popen, str, list[str]]:
    """Start a server, registered for `stop_children`; read its output up to "Listening on";
    then keep draining it in a thread (a chatty server never blocks on a full pipe)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    CHILDREN.append(process)
    lines: list[str] = []
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"{kind} exited early:\n{''.join(lines)}")
            lines.append(line)
            if line.startswith("Listening on"):
                break
        else:
            raise RuntimeError(f"{kind} did not start:\n{''.join(lines)}")
    except BaseException:
        stop_process(process)
        raise
    log = [line.rstrip() for line in lines[-20:]]
    threading.Thread(target=_drain, args=(process, log), daemon=True).start()
    return process, "".join(lines), log


def _session_links(header: str) -> list[dict]:
    return [{"code": code, "projector": projector.split("#key=", 1)[1], "facilitator": facilitator.split("#key=", 1)[1]}
            for code, projector, facilitator in re.findall(
                r"Session (\w+)\n  Join \(phones\):\s+\S+\n  Projector:\s+(\S+)\n  Facilitator:\s+(\S+)", header)]


def _wait_accepting(kind: str, port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{kind} does not accept connections on port {port}")


def start_server(kind: str, sessions: int, per_session: int, relay_nodelay: bool = False) -> Server:
    port = free_port()
    data_dir = None
    if kind == "gamehub":
        data_dir = tempfile.mkdtemp(prefix="gamehub-bench-")
        TEMP_DIRS.append(data_dir)
        command = _gamehub_command(port, sessions, per_session, ["--data-dir", data_dir], opening=True)
    else:
        command = [sys.executable, "-m", "bench.relay", "--host", "127.0.0.1", "--port", str(port),
                   *(["--nodelay"] if relay_nodelay else [])]
    deadline = time.monotonic() + 60
    process, header, log = _spawn(command, kind, deadline)
    found = _session_links(header)
    if kind == "relay":
        found = [{"code": f"R{i + 1}", "projector": "", "facilitator": ""} for i in range(sessions)]
    if len(found) != sessions:
        raise RuntimeError(f"expected {sessions} session links from {kind}, got {len(found)}:\n{header}")
    server = Server(kind, process, port, data_dir, found, log)
    _wait_accepting(kind, port, deadline)
    return server


@dataclass
class Cluster:
    """`--processes N`: N `gamehub serve` processes on a fresh PostgreSQL schema and our own
    redis-server (the message queue), behind our own nginx. Clients connect to nginx."""

    processes: int
    workdir: str
    schema: str | None = None
    redis: subprocess.Popen | None = None
    redis_port: int = 0
    gamehubs: list[subprocess.Popen] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    logs: list[list[str]] = field(default_factory=list)
    nginx: subprocess.Popen | None = None
    nginx_port: int = 0
    sessions: list[dict] = field(default_factory=list)
    resumed: list[int] = field(default_factory=list)  # sessions each later process said it serves
    connections: dict = field(default_factory=dict)  # {process port: {kind of screen: n}}, from nginx's log
    redis_info: dict = field(default_factory=dict)  # redis-server's counters at the end
    pg_log: tuple | None = None  # PostgreSQL's log and its size at the start
    lost_races: list[float] | None = None  # when a process lost a version race (PostgreSQL's log)
    kind: str = "gamehub"
    data_dir: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    @property
    def database_url(self) -> str:
        return cluster.database_url(self.schema)

    def server_pids(self) -> list[int]:
        return [p.pid for p in self.gamehubs]

    def components(self) -> dict:
        """What else to sample, each as a function giving its PIDs now."""
        out = {}
        if self.nginx is not None:
            out["nginx"] = lambda: nginx.nginx_pids(self.nginx)
        if self.redis is not None:
            out["redis"] = lambda: [self.redis.pid]
        out["postgres"] = cluster.postgres_pids
        return out

    def stop(self) -> None:
        """nginx, then the gamehub processes, then redis-server: each by its PID."""
        if self.redis is not None and self.redis.poll() is None:
            self.redis_info = cluster.redis_info(self.redis_port)
        if self.nginx is not None:
            nginx.stop_nginx(self.nginx)
            counts = nginx.upstream_counts(Path(self.workdir) / "nginx", _screen_kind)
            self.connections = {address.rsplit(":", 1)[-1]: per for address, per in sorted(counts.items())}
        for process in self.gamehubs:
            stop_process(process)
        if self.redis is not None:
            cluster.stop(self.redis)
        self.lost_races = cluster.lost_races(self.pg_log, {s["code"] for s in self.sessions})

    def exit_codes(self):
        return [p.returncode for p in self.gamehubs]

    def log_tail(self) -> list[str]:
        return [f"[{i + 1}] {line}" for i, log in enumerate(self.logs) for line in log[-20:]]

    def export_args(self) -> list[str]:
        return ["--database-url", self.database_url]

    def discard(self) -> None:
        """Drop the schema and remove the working directory (after `stop`). Idempotent."""
        if self.discard in CLEANUPS:
            CLEANUPS.remove(self.discard)
        try:
            if self.schema is not None:
                cluster.drop_schema(self.schema)
                self.schema = None
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
            if self.workdir in TEMP_DIRS:
                TEMP_DIRS.remove(self.workdir)


def _screen_kind(address: str) -> str:
    """Phones send 10.0.x.y (`fake_address(i + 1)`), projectors 10.16.x.(even) and
    facilitators 10.16.x.(odd) (`Watcher`)."""
    if not address.startswith("10.16."):
        return "phones"
    return "facilitators" if int(address.rsplit(".", 1)[1]) % 2 else "projectors"


def start_cluster(processes: int, sessions: int, per_session: int) -> Cluster:
    """The first process opens the sessions (`--new-session --sessions S`), the others only
    serve the stored ones (`--sessions 0`); each is up once it prints "Listening on". All of
    them share one data directory (the secret key), as docs/deployment.md asks."""
    workdir = tempfile.mkdtemp(prefix="gamehub-bench-cluster-")
    TEMP_DIRS.append(workdir)
    target = Cluster(processes, workdir, data_dir=os.path.join(workdir, "data"))
    CLEANUPS.append(target.discard)  # even if the run is cut short, the schema is dropped
    try:
        _start_cluster(target, sessions, per_session)
    except BaseException:
        target.stop()
        target.discard()
        raise
    return target


def _start_cluster(target: Cluster, sessions: int, per_session: int) -> None:
    processes, workdir = target.processes, target.workdir
    target.schema = cluster.create_schema()
    target.pg_log = cluster.postgres_log()
    target.redis, target.redis_port = cluster.start_redis(Path(workdir) / "redis")
    CHILDREN.append(target.redis)
    storage = ["--data-dir", target.data_dir, "--database-url", target.database_url,
               "--message-queue", f"redis://127.0.0.1:{target.redis_port}/0", "--async-mode", "eventlet"]
    for i in range(processes):
        port = free_port()
        kind = f"gamehub process {i + 1} of {processes}"
        deadline = time.monotonic() + 60
        process, header, log = _spawn(_gamehub_command(port, sessions, per_session, storage, opening=i == 0),
                                      kind, deadline)
        target.gamehubs.append(process)
        target.ports.append(port)
        target.logs.append(log)
        if i == 0:
            target.sessions = _session_links(header)
            if len(target.sessions) != sessions:
                raise RuntimeError(f"expected {sessions} session links from {kind}, got {len(target.sessions)}:\n"
                                   f"{header}")
        else:
            target.resumed.append(len(re.findall(r"Session (\w+) \(resumed", header)))
        _wait_accepting(kind, port, deadline)
    connections = max(1024, 2 * (per_session * sessions + 2 * sessions) + 1024)
    target.nginx, target.nginx_port = nginx.start_nginx(Path(workdir) / "nginx", target.ports,
                                                        connections=max(8192, connections), balance=nginx.BY_SESSION,
                                                        forwarded_for=nginx.PASS_THROUGH)
    CHILDREN.append(target.nginx)


# server PID -> {line printed after the start, codes masked: [times, first at, last at]}
LOG_COUNTS: dict[int, dict[str, list]] = {}


def _drain(process: subprocess.Popen, log: list[str]) -> None:
    counts = LOG_COUNTS.setdefault(process.pid, {})
    for line in process.stdout:
        log.append(line.rstrip())
        del log[:-300]
        # The same warning for 40 sessions is one line, counted, with when it first and last came.
        key = re.sub(r"\b[0-9A-Z]{8}\b", "<code>", line.rstrip())[:160]
        now = time.time()
        seen = counts.setdefault(key, [0, now, now])
        seen[0] += 1
        seen[2] = now


def stop_process(process) -> None:
    """SIGTERM one child by its PID, then SIGKILL if it lingers."""
    if isinstance(process, subprocess.Popen):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    elif process.pid is not None and process.is_alive():  # a multiprocessing worker
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(10)


def stop_children() -> None:
    while CHILDREN:
        stop_process(CHILDREN.pop())
    while CLEANUPS:
        try:
            CLEANUPS.pop()()
        except Exception as error:  # noqa: BLE001 -- say so, and go on cleaning up
            print(f"bench: cleanup failed: {error!r}", file=sys.stderr, flush=True)
    while TEMP_DIRS:
        shutil.rmtree(TEMP_DIRS.pop(), ignore_errors=True)


def export_answers(server) -> dict:
    """{(session index, group): [4 answer texts]} from `gamehub export --format json` (a few
    sessions at once: with 40 sessions, one after another takes a minute)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(session: dict) -> dict:
        done = subprocess.run([sys.executable, "-m", "gamehub", "export", session["code"], "--format", "json",
                               *server.export_args()], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"gamehub export failed: {done.stderr}")
        return json.loads(done.stdout)

    answers = {}
    with ThreadPoolExecutor(4) as pool:
        for index, exported in enumerate(pool.map(one, server.sessions)):
            for group in exported["groups"]:
                answers[(index, group["number"])] = [a["answer"] for a in group["answers"]]
    return answers


def source() -> dict:
    """Which gamehub code was measured: HEAD and a hash of uncommitted changes under gamehub/
    (the server changes while benchmarks are compared). Read-only git commands."""
    import hashlib

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return None
    diff = git("diff", "HEAD", "--", "gamehub")
    return {"commit": (git("rev-parse", "--short", "HEAD") or "").strip() or None,
            "gamehub_uncommitted": bool(diff),
            "gamehub_diff_sha1": hashlib.sha1(diff.encode()).hexdigest()[:10] if diff else None}
