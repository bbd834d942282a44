"""The load generator: start a server, play a whole game against it with simulated screens,
collect raw timings. `bench.report` turns what `run_target` returns into numbers.

Shape of one run (the same for gamehub and the relay, `kind` says which):

- the server runs as a subprocess; a thread samples its CPU and RSS every 0.5 s;
- this process holds the watchers (a projector and a facilitator per session) and steers;
- `--workers` processes hold the phones (python-socketio AsyncClient, websocket transport),
  so decoding the phones' views can spread over both cores (one process copes with 1,000
  phones at this rate, measured; more workers are a margin);
- phases: phones connect and join (bounded concurrency), the facilitator forms groups, picks
  stories and starts planning, the typing members of every group type in the group's shared
  sheet for `duration` seconds (a Yjs update every 150 ms each: `bench.typists`), a member
  of each group reads the sheet back (`sheet_sync`), then the showcase, then everyone
  disconnects and the server is stopped.

Every timestamp is `time.time()`: the wall clock is shared by all processes on the machine, so
a send in one process and a receipt in another can be subtracted.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import socketio

from . import cluster, typists

ACK_TIMEOUT = 30.0  # an ack slower than this is an error, not a latency
CONNECT_TIMEOUT = 30.0

# Every child process and subprocess we start, so `stop_children` can end them by PID even
# when a run is interrupted (timeout, Ctrl+C).
CHILDREN: list = []
TEMP_DIRS: list[str] = []  # gamehub's data directories, removed by `stop_children` too
CLEANUPS: list = []  # callables run by `stop_children` after the processes are stopped (drop a schema)


# -- addresses -----------------------------------------------------------------------------

def fake_address(n: int) -> str:
    """A distinct client address per simulated screen, sent as X-Forwarded-For to a gamehub
    started with --trusted-proxies 1: gamehub limits connections (1,000 a minute) and events
    (300 a second) per address, and a thousand phones from 127.0.0.1 would be one address."""
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
            "--no-qr", *(["--new-session", "--sessions", str(sessions)] if opening else ["--sessions", "0"]),
            *storage, "--max-participants", str(max(500, per_session)), "--max-sessions", str(max(50, sessions)),
            "--trusted-proxies", "1", *SERVE_ARGS]


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
            out["nginx"] = lambda: cluster.nginx_pids(self.nginx)
        if self.redis is not None:
            out["redis"] = lambda: [self.redis.pid]
        out["postgres"] = cluster.postgres_pids
        return out

    def stop(self) -> None:
        """nginx, then the gamehub processes, then redis-server: each by its PID."""
        if self.redis is not None and self.redis.poll() is None:
            self.redis_info = cluster.redis_info(self.redis_port)
        if self.nginx is not None:
            cluster.stop_nginx(self.nginx)
            counts = cluster.upstream_counts(Path(self.workdir) / "nginx", _screen_kind)
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
    target.nginx, target.nginx_port = cluster.start_nginx(Path(workdir) / "nginx", target.ports,
                                                          connections=max(8192, connections))
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


class Sampler(threading.Thread):
    """CPU% (100 = one core) and RSS of the server (all its processes, summed) and of the load
    generator's processes; with `components` ({name: function giving PIDs}: nginx, redis,
    PostgreSQL), theirs too, each summed; and the whole machine's CPU."""

    REFRESH = 10  # samples between looking up the components' PIDs again (PostgreSQL backends come and go)

    def __init__(self, server_pids: int | list[int], interval: float = 0.5, components: dict | None = None):
        super().__init__(daemon=True)
        pids = [server_pids] if isinstance(server_pids, int) else list(server_pids)
        self.servers = [psutil.Process(pid) for pid in pids]
        self.clients = [psutil.Process(os.getpid())]
        self.components = components or {}
        self._procs: dict[str, dict[int, psutil.Process]] = {name: {} for name in self.components}
        self.interval = interval
        # (t, server cpu, server rss, clients cpu, clients rss, extra); extra = {"per_server":
        # [cpu of each server process], "machine": cpu of the whole machine, name: [cpu, rss]}
        self.samples: list[tuple] = []
        self._halt = threading.Event()  # not `_stop`: Thread has a method of that name

    def add_client(self, pid: int) -> None:
        self.clients.append(psutil.Process(pid))

    def _refresh(self) -> None:
        for name, pids in self.components.items():
            try:
                now = set(pids())
            except Exception:  # noqa: BLE001 -- a component that is gone has nothing to sample
                now = set()
            known = self._procs[name]
            for pid in set(known) - now:
                del known[pid]
            for pid in now - set(known):
                try:
                    known[pid] = psutil.Process(pid)
                    known[pid].cpu_percent(None)
                except psutil.Error:
                    pass

    @staticmethod
    def _read(procs) -> list[tuple[float, int]]:
        out = []
        for proc in list(procs):
            try:
                out.append((proc.cpu_percent(None), proc.memory_info().rss))
            except psutil.Error:
                pass  # a worker that already finished, a backend that closed
        return out

    def run(self) -> None:
        for proc in [*self.servers, *self.clients]:
            proc.cpu_percent(None)
        psutil.cpu_percent(None)
        cores = psutil.cpu_count() or 1
        self._refresh()
        tick = 0
        while not self._halt.wait(self.interval):
            per_server, gone = [], 0
            for proc in self.servers:
                try:
                    per_server.append((proc.cpu_percent(None), proc.memory_info().rss))
                except psutil.Error:
                    per_server.append((0.0, 0))  # this process is gone (the others go on)
                    gone += 1
            if gone == len(self.servers):
                return  # the server is gone: the run is ending
            clients = self._read(self.clients)
            extra = {"per_server": [c for c, _ in per_server], "machine": psutil.cpu_percent(None) * cores}
            for name, known in self._procs.items():
                read = self._read(known.values())
                extra[name] = [sum(c for c, _ in read), sum(r for _, r in read)]
            self.samples.append((time.time(), sum(c for c, _ in per_server), sum(r for _, r in per_server),
                                 sum(c for c, _ in clients), sum(r for _, r in clients), extra))
            tick += 1
            if self.components and tick % self.REFRESH == 0:
                self._refresh()

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


# -- simulated screens ---------------------------------------------------------------------

class Stats:
    """What one process observed; shipped to the coordinator as plain data."""

    def __init__(self):
        self.errors: list[tuple[str, str]] = []
        self.events = 0
        self.window = (float("inf"), float("-inf"))  # the planning phase
        self.window_events = 0
        self.last_event = 0.0
        self.updates: list[dict] = []  # acked sheet updates (bench.typists.send)
        self.received: list[tuple[str, float, str]] = []  # (update, time, receiver) of each echo
        self.lags: list[float] = []  # how late each typing tick was against its schedule
        self.merged = 0  # ticks typed while an update was in flight: sent with the next one
        self.sheet_full = 0  # ticks not typed: every answer was nearly full

    def event(self) -> float:
        t = time.time()
        self.events += 1
        self.last_event = t
        if self.window[0] <= t <= self.window[1]:
            self.window_events += 1
        return t

    def error(self, kind: str, message: str) -> None:
        self.errors.append((kind, message[:2000]))

    async def quiet(self, seconds: float, limit: float) -> None:
        """Wait until nothing arrived for `seconds` (deliveries still in the pipes), at most `limit`."""
        end = time.time() + limit
        while time.time() < end and time.time() - self.last_event < seconds:
            await asyncio.sleep(0.1)


class Client:
    def __init__(self, url: str, auth: dict, address: str, label: str, stats: Stats):
        self.url, self.auth, self.address, self.label, self.stats = url, auth, address, label, stats
        # No automatic reconnection: a dropped connection must show up as an error.
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("disconnect", self._disconnected)
        self.closing = False

    async def connect(self) -> None:
        # Bounded from outside too: a server that stopped accepting (eventlet's wsgi pool holds
        # 1,024 connections by default) leaves the TCP connect waiting with no timeout of its own.
        # The session in the URL too, as the page puts it: nginx routes by it.
        url = f"{self.url}?session={self.auth['session']}" if "session" in self.auth else self.url
        await asyncio.wait_for(self.sio.connect(
            url, auth=self.auth, transports=["websocket"], headers={"X-Forwarded-For": self.address},
            wait_timeout=CONNECT_TIMEOUT), CONNECT_TIMEOUT + 5)

    async def call(self, event: str, payload: dict) -> dict:
        return await self.sio.call(event, payload, timeout=ACK_TIMEOUT)

    def _disconnected(self, reason=None) -> None:
        if not self.closing:
            self.stats.error("disconnect", f"{self.label}: {reason}")

    async def close(self) -> None:
        self.closing = True
        try:
            await asyncio.wait_for(self.sio.disconnect(), 10)
        except Exception as error:  # noqa: BLE001 -- closing anyway; the server is stopped next
            self.stats.error("close", f"{self.label}: {error!r}")


class Phone(Client):
    def __init__(self, kind: str, url: str, spec: dict, stats: Stats):
        super().__init__(url, {"session": spec["code"], "role": "phone"}, fake_address(spec["index"] + 1),
                         spec["name"], stats)
        self.kind, self.spec = kind, spec
        self.version = -1
        self.group: int | None = None
        self.sheet: str | None = None  # the group sheet's id (the relay: any string)
        self.joined = False
        self.planning = asyncio.Event()  # gamehub: the view shows this phone's group's sheet
        self.typist = typists.Typist(spec["index"])  # every phone holds the sheet, typing or not
        self.in_flight = False  # one sheet_update at a time, as the page sends them
        self.sio.on("view", self._view)
        self.sio.on("view_patch", self._ignored)
        self.sio.on("sheet_update", self._sheet_update)

    def _ignored(self, data=None) -> None:
        self.stats.event()

    def _view(self, view: dict) -> None:
        self.stats.event()
        if view.get("version", 0) < self.version:
            return  # an older view than one already shown (the protocol's rule)
        self.version = view.get("version", 0)
        group = view.get("group")
        if not group:
            return
        self.group, self.sheet = group["number"], group.get("sheet")
        if group.get("answers") is not None and self.sheet:
            self.planning.set()

    def _sheet_update(self, message: dict) -> None:
        """A groupmate's update, passed on by the server: apply it, and note when it came."""
        t = self.stats.event()
        update = message.get("update") or ""
        self.stats.received.append((update, t, self.spec["name"]))
        try:
            self.typist.apply(update)
        except Exception as error:  # noqa: BLE001 -- a broken update is a result, not a crash
            self.stats.error("bad_echo", f"{self.label}: {error!r}")

    async def join(self) -> dict:
        record = {"name": self.spec["name"], "session": self.spec["session"], "ok": False,
                  "t_connect": time.time(), "t_send": None, "t_ack": None}
        try:
            await self.connect()
            record["t_send"] = time.time()
            payload = {"name": self.spec["name"]}
            if self.kind == "gamehub":
                payload.update(title=f"Story of {self.spec['name']}", pitch="A glacier that keeps a diary. " * 3,
                               token=secrets.token_urlsafe(24))  # the phone's own 32-character identity
            ack = await self.call("join", payload)
            record["t_ack"] = time.time()
            if not ack.get("ok"):
                self.stats.error(f"join:{ack.get('error', {}).get('code')}", f"{self.label}: {ack}")
                return record
            if self.kind == "relay":
                self.group = ack["group"]
                self.sheet = f"R{self.spec['session']}.{self.group}"
            self.joined = record["ok"] = True
        except socketio.exceptions.TimeoutError:
            self.stats.error("ack_timeout", f"{self.label}: join")
        except Exception as error:  # noqa: BLE001 -- a refused or failed connection is a result
            self.stats.error("connect", f"{self.label}: {error!r}")
        return record

    async def sync(self) -> str | None:
        """The whole sheet as the server has it (`sheet_sync` from an empty state vector)."""
        try:
            ack = await self.call("sheet_sync", {"sheet": self.sheet, "state_vector": typists.EMPTY_STATE_VECTOR})
        except Exception as error:  # noqa: BLE001
            self.stats.error("sheet_sync", f"{self.label}: {error!r}")
            return None
        if not ack.get("ok"):
            self.stats.error(f"sheet_sync:{(ack.get('error') or {}).get('code')}", f"{self.label}: {ack}")
            return None
        return ack["update"]


class Watcher(Client):
    """A projector or facilitator screen: holds the last full view, applies view_patch."""

    def __init__(self, kind: str, url: str, session: dict, index: int, role: str, stats: Stats):
        token = session["projector"] if role == "projector" else session["facilitator"]
        super().__init__(url, {"session": session["code"], "role": role, "token": token},
                         fake_address(0x100000 + 2 * index + (role == "facilitator")),
                         f"{role}/{session['code']}", stats)
        self.kind, self.role, self.index = kind, role, index
        self.version = -1
        self.view: dict | None = None
        self.first_view = asyncio.Event()
        self.names_seen: dict[str, float] = {}
        self.patches_skipped = 0
        self.sio.on("view", self._view)
        self.sio.on("view_patch", self._patch)
        self.sio.on("joined", self._relay_joined)

    def _view(self, view: dict) -> None:
        t = self.stats.event()
        if view.get("version", 0) < self.version:
            return
        self.version = view.get("version", 0)
        self.view = view
        self.first_view.set()
        names = view.get("names") or []
        for name in names[len(self.names_seen):]:  # names come in join order: only new ones
            self.names_seen.setdefault(name, t)

    def _patch(self, patch: dict) -> None:
        self.stats.event()
        # Equal versions are applied too: they carry the same state, and a server that flushes
        # several groups at one version may send several patches.
        if self.view is None or patch.get("version", 0) < self.version:
            self.patches_skipped += 1
            return
        self.version = patch["version"]
        replaced = {g["number"]: g for g in patch.get("groups") or []}
        self.view = {**self.view, "version": self.version,
                     "groups": [replaced.pop(g["number"], g) for g in self.view.get("groups") or []]
                     + list(replaced.values())}

    def _relay_joined(self, message: dict) -> None:
        t = self.stats.event()
        self.names_seen.setdefault(message.get("name"), t)

    async def command(self, event: str, payload: dict | None = None) -> dict:
        ack = await self.call(event, payload or {})
        if not ack.get("ok"):
            raise RuntimeError(f"{event} refused: {ack}")
        return ack


# -- worker processes (the phones) ---------------------------------------------------------

def settle_gc() -> None:
    """Before measuring: collect, then move every object alive (the clients, their sessions)
    out of the collector's sight. Otherwise a full collection in a process holding hundreds
    of clients pauses it for 50-70 ms, and that pause shows up as server latency."""
    import gc

    gc.collect()
    gc.freeze()


def quiet_logs() -> None:
    """engineio's client logs an abnormal close as an error on stderr; the disconnect handler
    already counts it, with the screen's name."""
    import logging

    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)


def worker_main(conn, kind: str, url: str, specs: list[dict], worker: int, concurrency: int) -> None:
    quiet_logs()
    asyncio.run(_worker(conn, kind, url, specs, worker, concurrency))


async def _worker(conn, kind, url, specs, worker, concurrency) -> None:
    stats = Stats()
    phones = [Phone(kind, url, spec, stats) for spec in specs]
    try:
        while True:
            op, *args = await asyncio.to_thread(conn.recv)
            if op == "join":
                gate = asyncio.Semaphore(concurrency)

                async def one(phone):
                    async with gate:
                        return await phone.join()
                conn.send(("joined", await asyncio.gather(*(one(p) for p in phones))))
            elif op == "groups":
                joined = [p for p in phones if p.joined]
                if kind == "gamehub":  # a phone learns its group from its view; wait for planning's
                    waits = [asyncio.create_task(p.planning.wait()) for p in joined]
                    if waits:
                        for late in (await asyncio.wait(waits, timeout=args[0]))[1]:
                            late.cancel()
                    for p in joined:
                        if not p.planning.is_set():
                            stats.error("no_group", f"{p.label}: no planning view with its group")
                    joined = [p for p in joined if p.planning.is_set()]
                conn.send(("groups", [(p.spec["session"], p.group, p.spec["name"]) for p in joined]))
            elif op == "plan":
                start_at, duration, typing = args
                stats.window = (start_at, start_at + duration)
                settle_gc()
                await plan(phones, typing, start_at, duration, stats)
                conn.send(("planned", {"updates": stats.updates, "received": stats.received, "lags": stats.lags,
                                       "merged": stats.merged, "sheet_full": stats.sheet_full,
                                       "window_events": stats.window_events}))
            elif op == "sync":  # one member of each group reads the whole sheet back
                local = {p.spec["name"]: p for p in phones}
                readers = [local[name] for name in args[0] if name in local]
                found = await asyncio.gather(*(p.sync() for p in readers))
                conn.send(("synced", [((p.spec["session"], p.group), update)
                                      for p, update in zip(readers, found) if update is not None]))
            elif op == "close":
                await asyncio.gather(*(p.close() for p in phones))
                conn.send(("closed", {"errors": stats.errors, "events": stats.events}))
                return
    except Exception:  # noqa: BLE001 -- the coordinator reports it and stops the run
        conn.send(("failed", traceback.format_exc()))


async def plan(phones: list[Phone], typing: dict[str, int], start_at: float, duration: int, stats: Stats) -> None:
    """The typing members among this worker's phones (`typing`: name -> the answer each starts
    in) type for `duration` seconds from `start_at`, all workers on the same clock."""
    await asyncio.gather(*(typists.type_along(p, typing[p.spec["name"]], start_at, duration, stats)
                           for p in phones if p.spec["name"] in typing and p.joined and p.sheet))
    await stats.quiet(1.0, 15)


# -- the coordinator -----------------------------------------------------------------------

BUSY: set = set()  # worker pipes with a command whose reply was not read (after a timeout)


async def ask(workers: list, message: tuple, timeout: float) -> list:
    """Send one command to every worker and wait for all replies."""
    for _, conn in workers:
        conn.send(message)
        BUSY.add(conn)
    waiting = asyncio.gather(*(asyncio.to_thread(conn.recv) for _, conn in workers))
    try:
        replies = await asyncio.wait_for(waiting, timeout)
    except BaseException:
        waiting.add_done_callback(lambda f: f.cancelled() or f.exception())  # seen: asyncio need not warn
        raise
    BUSY.difference_update(conn for _, conn in workers)
    for op, payload in replies:
        if op == "failed":
            raise RuntimeError(f"a load worker failed:\n{payload}")
    return [payload for _, payload in replies]


async def run_target(kind: str, phones: int, sessions: int, duration: int, workers: int, concurrency: int,
                     deadline: float, relay_nodelay: bool = False, processes: int | None = None,
                     label: str | None = None, typing: int = 1, typists_per_group: int = 2) -> dict:
    """Play one whole game against `kind` ("gamehub" or "relay"); return the raw observations.
    With `processes`, gamehub runs as that many processes on PostgreSQL and Redis behind nginx
    (`start_cluster`); without, as one process on SQLite."""
    quiet_logs()
    stats = Stats()
    raw = {"kind": kind, "label": label or kind, "processes": processes, "phones": phones, "sessions": sessions,
           "duration": duration, "workers": workers, "typing_asked": typing,
           "typists_per_group": typists_per_group,
           "marks": {"start": time.time()}, "completed": False, "source": source()}
    server = sampler = None
    procs: list = []
    watchers: list[Watcher] = []
    try:
        if processes:
            server = start_cluster(processes, sessions, -(-phones // sessions))
            raw["cluster"] = {"schema": server.schema, "ports": server.ports, "nginx_port": server.nginx_port,
                              "redis_port": server.redis_port, "resumed": server.resumed,
                              "pids": {"gamehub": server.server_pids(), "nginx": cluster.nginx_pids(server.nginx),
                                       "redis": [server.redis.pid]}}
        else:
            server = start_server(kind, sessions, -(-phones // sessions), relay_nodelay)
        raw["server_pid"] = server.server_pids()[0]
        raw["server_pids"] = server.server_pids()
        sampler = Sampler(server.server_pids(), components=server.components())
        sampler.start()
        specs = [{"index": i, "session": i % sessions, "code": server.sessions[i % sessions]["code"],
                  "name": f"P{i:04d}"} for i in range(phones)]
        context = multiprocessing.get_context("spawn")  # no forked copies of loops or threads
        for w in range(workers):
            parent, child = context.Pipe()
            proc = context.Process(target=worker_main, daemon=True, args=(
                child, kind, server.url, specs[w::workers], w, max(1, concurrency // workers)))
            proc.start()
            child.close()  # so a dead worker is EOF on our end, not a hang
            CHILDREN.append(proc)
            procs.append((proc, parent))
            sampler.add_client(proc.pid)
        raw["worker_pids"] = [proc.pid for proc, _ in procs]
        await asyncio.wait_for(_play(kind, server, procs, watchers, stats, raw, duration, typing,
                                     typists_per_group),
                               max(1.0, deadline - time.time()))
        raw["completed"] = True
    except asyncio.TimeoutError:
        stats.error("timeout", f"--timeout reached during the {raw.get('phase', 'start')} phase")
    except Exception as error:  # noqa: BLE001 -- an aborted run is reported, not raised
        stats.error("run", f"{type(error).__name__}: {error}" if str(error) else traceback.format_exc())
    finally:
        raw["marks"]["end"] = time.time()
        try:
            raw["marks"]["close_start"] = time.time()
            for watcher in watchers:
                await watcher.close()
            if procs and not BUSY.intersection(conn for _, conn in procs):
                # The workers are idle (even if the run failed): ask for their errors as they close.
                try:
                    for closed in await ask(procs, ("close",), 60):
                        stats.errors += [tuple(e) for e in closed["errors"]]
                except Exception as error:  # noqa: BLE001
                    stats.error("close", repr(error))
        finally:
            # Whatever happened above (even a cancellation), stop every process by its PID;
            # this also ends any thread still waiting on a worker's pipe.
            for proc, _ in procs:
                stop_process(proc)
            raw["marks"]["server_stop"] = time.time()
            if server is not None:
                server.stop()
                raw["server_exit"] = server.exit_codes()
                raw["server_log"] = server.log_tail()
                raw["server_log_counts"] = [LOG_COUNTS.pop(pid, {}) for pid in server.server_pids()]
                if processes:
                    raw["cluster"].update(connections=server.connections, redis_info=server.redis_info,
                                          lost_races=server.lost_races)
            if sampler is not None:
                sampler.stop()
                raw["samples"] = sampler.samples
    try:
        if kind == "gamehub" and "updates" in raw:  # planning happened: check the stored answers
            try:
                raw["export"] = export_answers(server)
            except Exception as error:  # noqa: BLE001
                stats.error("export", repr(error))
    finally:
        if server is not None:
            try:
                server.discard()  # the data directory; the cluster's schema too
            except Exception as error:  # noqa: BLE001
                stats.error("cleanup", repr(error))
    projectors = [w for w in watchers if w.role == "projector"]
    raw.update(
        errors=stats.errors,
        names_seen={(w.index, name): t for w in projectors for name, t in w.names_seen.items()},
        patches_skipped=sum(w.patches_skipped for w in watchers),
        watcher_window_events=stats.window_events,
    )
    return raw


async def _play(kind: str, server: Server, procs: list, watchers: list[Watcher], stats: Stats, raw: dict,
                duration: int, typing: int, typists_per_group: int) -> None:
    marks = raw["marks"]
    raw["phase"] = "connect"
    for index, session in enumerate(server.sessions):
        for role in ("projector", "facilitator"):
            watchers.append(Watcher(kind, server.url, session, index, role, stats))
    await asyncio.gather(*(w.connect() for w in watchers))
    if kind == "gamehub":
        await asyncio.wait_for(asyncio.gather(*(w.first_view.wait() for w in watchers)), 30)
    facilitators = [w for w in watchers if w.role == "facilitator"]

    marks["join_start"] = time.time()
    raw["phase"] = "join"
    joins = [record for batch in await ask(procs, ("join",), 600) for record in batch]
    raw["joins"] = joins
    marks["join_end"] = time.time()
    # Give the projectors time to show the last names (join -> visible is measured on them).
    names = {(j["session"], j["name"]) for j in joins if j["ok"]}
    projectors = {w.index: w for w in watchers if w.role == "projector"}
    limit = time.time() + 30
    while time.time() < limit and any(name not in projectors[s].names_seen for s, name in names):
        await asyncio.sleep(0.1)

    raw["phase"] = "setup"
    if kind == "gamehub":
        marks["setup_start"] = time.time()
        for event, payload in (("form_groups", {"from_phase": "lobby"}), ("pick_stories", {"from_phase": "groups"}),
                               ("start_planning", {"from_phase": "stories", "minutes": 30})):
            await asyncio.gather(*(f.command(event, payload) for f in facilitators))
        marks["setup_end"] = time.time()
    membership: dict[tuple[int, int], list[str]] = {}
    for batch in await ask(procs, ("groups", 60), 90):
        for session, group, name in batch:
            membership.setdefault((session, group), []).append(name)
    raw["membership"] = membership
    typing = typists.typists_of(membership, typing, typists_per_group)
    raw["typing"] = typing

    raw["phase"] = "planning"
    settle_gc()
    # Every worker starts the same schedule at the same moment, after its gc; until then the
    # server is idle with every screen connected: its CPU then is the baseline of the typing's.
    marks["idle_start"] = time.time()
    start_at = marks["idle_start"] + 3.0
    stats.window = (start_at, start_at + duration)
    marks["plan_start"], marks["plan_end"] = start_at, start_at + duration
    planned = await ask(procs, ("plan", start_at, duration, typing),
                        duration + ACK_TIMEOUT * (typists.MAX_RESENDS + 2))
    await stats.quiet(1.0, 10)
    marks["drained"] = time.time()
    raw["updates"] = [u for p in planned for u in p["updates"]]
    raw["received"] = [r for p in planned for r in p["received"]]
    raw["lags"] = [x for p in planned for x in p["lags"]]
    raw["merged"] = sum(p["merged"] for p in planned)
    raw["sheet_full"] = sum(p["sheet_full"] for p in planned)
    raw["window_events"] = sum(p["window_events"] for p in planned) + stats.window_events
    if kind == "gamehub":
        # What the server holds now, read back by one member of each group (the first by name).
        raw["phase"] = "sync"
        readers = [sorted(members)[0] for members in membership.values()]
        raw["synced"] = dict(pair for batch in await ask(procs, ("sync", readers), 120) for pair in batch)
        marks["synced"] = time.time()

    raw["phase"] = "showcase"
    if kind == "gamehub":
        marks["showcase_start"] = time.time()
        try:
            await asyncio.gather(*(f.command("start_showcase", {"from_phase": "planning"}) for f in facilitators))
            steps = min(3, max(0, len(membership) // max(1, len(facilitators)) - 1))
            for index in range(steps):
                await asyncio.gather(*(f.command("showcase_step", {"delta": 1, "from_index": index})
                                       for f in facilitators))
        except Exception as error:  # noqa: BLE001 -- the planning results still count
            stats.error("showcase", f"{type(error).__name__}: {error}")
        marks["showcase_end"] = time.time()
