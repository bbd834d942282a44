"""Our own nginx in front of gamehub processes (Debian's binary, a private prefix, nothing under
/var), for the benchmark and the scale-out tests alike: one configuration, whose differences
are arguments (how many connections, how the upstream picks a process, what X-Forwarded-For
says). Stopped by PID.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from .cluster import NGINX, START_SECONDS, ClusterError, free_port, stop, tail

# How the upstream picks a gamehub process for a connection (`upstream`), as
# docs/deployment.md: by the session in the URL (`?session=CODE`, which every screen sends), so
# all of a session's screens reach the process that owns it, and every request of one polling
# connection the same process (browsers start by polling). Consistent: adding or losing a
# process moves only its share of the sessions.
BY_SESSION = "hash $arg_session consistent"

CONF = """\
# Foreground, private prefix, nothing under /var.
daemon off;
master_process on;
# One worker: one more process on the same cores, whose CPU the benchmark reports.
worker_processes 1;
worker_rlimit_nofile {nofile};
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
# Each screen is two connections here: the client's and the one to its gamehub process.
events {{ worker_connections {connections}; }}
http {{
    # One line per request or websocket, written when it ends: which process each screen got.
    log_format gamehub '$http_x_forwarded_for $upstream_addr';
    access_log {prefix}/access.log gamehub;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
{upstream}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            proxy_pass http://gamehub;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # The origin check compares the page's Origin with the host the browser used.
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For {forwarded_for};
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_connect_timeout 2s;
            # A dead process refuses the connection: try the next one (a reconnecting phone
            # lands on a survivor instead of getting a 502).
            proxy_next_upstream error timeout;
            # Which process answered, so a test can tell where nginx sends a client.
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""

# X-Forwarded-For as gamehub (--trusted-proxies 1) gets it:
ADD_CLIENT = "$proxy_add_x_forwarded_for"  # nginx adds the address it saw, as in docs/deployment.md
# The benchmark's screens all come from 127.0.0.1 and each says who it is (10.x.y.z): passed
# on unchanged, as if nginx had seen the screen's own address, so the per-address limits count
# per screen.
PASS_THROUGH = "$http_x_forwarded_for"


def upstream(ports: list[int], balance: str) -> str:
    """The upstream block: the gamehub processes on 127.0.0.1 (`ports`), and how nginx picks
    one for a connection (`balance`, an nginx directive: BY_SESSION)."""
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in ports)
    return f"    upstream gamehub {{\n        {balance};\n{servers}\n    }}"


def start_nginx(prefix: Path, upstreams: list[int], connections: int = 8192, balance: str = BY_SESSION,
                forwarded_for: str = PASS_THROUGH, port: int | None = None) -> tuple[subprocess.Popen, int]:
    """Our own nginx in front of gamehub processes on 127.0.0.1 (`upstreams`: their ports),
    up once `/healthz` answers through it. The caller stops it with `stop_nginx`."""
    if not NGINX.exists():
        raise ClusterError(f"{NGINX} is missing: install Debian's nginx (scripts/test.sh does)")
    prefix.mkdir(parents=True, exist_ok=True)
    # As root, nginx's workers drop to an unprivileged user; they must reach the prefix.
    prefix.chmod(0o755)
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    port = port or free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(CONF.format(user=user, prefix=prefix, upstream=upstream(upstreams, balance), port=port,
                                forwarded_for=forwarded_for, connections=connections, nofile=2 * connections + 1024))
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
            raise ClusterError(f"nginx did not come up on port {port}:\n{tail(prefix / 'error.log')}")
        time.sleep(0.1)


def upstream_counts(prefix: Path, screen: Callable[[str], str]) -> dict[str, dict[str, int]]:
    """From nginx's access log: {gamehub address: {kind of screen: connections}}, where
    `screen` tells a screen's kind from the address it sent in X-Forwarded-For."""
    counts: dict[str, dict[str, int]] = {}
    path = prefix / "access.log"
    if not path.exists():
        return counts
    for line in path.read_text(errors="replace").splitlines():
        forwarded, _, upstream_addr = line.partition(" ")
        if forwarded == "-" or not upstream_addr or upstream_addr == "-":
            continue  # nginx's own health check, or a request no process answered
        per = counts.setdefault(upstream_addr.split(",")[-1].strip(), {})
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


@dataclass
class Nginx:
    """The tests' nginx: by session, X-Forwarded-For as in production."""

    upstreams: list[int]  # ports of gamehub processes on 127.0.0.1
    port: int = field(default_factory=free_port)
    prefix: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gamehub-nginx-")))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process, _ = start_nginx(self.prefix, self.upstreams, connections=1024, balance=BY_SESSION,
                                      forwarded_for=ADD_CLIENT, port=self.port)

    def upstream_for_loopback(self, session: str = "") -> int:
        """The gamehub port nginx sends a session's screens to (it hashes `?session=`)."""
        with urllib.request.urlopen(f"{self.url}/healthz?session={session}", timeout=5) as response:
            return int(response.headers["X-Upstream"].rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.process is not None:
            stop_nginx(self.process)

    def error_log(self) -> str:
        return tail(self.prefix / "error.log")


@contextlib.contextmanager
def nginx(upstreams: list[int]) -> Iterator[Nginx]:
    proxy = Nginx(list(upstreams))
    try:
        proxy.start()
        yield proxy
    finally:
        proxy.stop()
        shutil.rmtree(proxy.prefix, ignore_errors=True)
