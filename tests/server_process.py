"""Run `gamehub serve` as a real subprocess on a free loopback port, as a facilitator would."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import socketio

from bench.cluster import free_port
from conftest import merge_patch


@dataclass
class SessionLinks:
    code: str
    join: str
    projector: str
    facilitator: str

    @property
    def projector_key(self) -> str:
        return self.projector.split("#key=", 1)[1]

    @property
    def facilitator_token(self) -> str:
        return self.facilitator.split("#key=", 1)[1]


@dataclass
class ServerProcess:
    """`with ServerProcess() as server:` starts gamehub, waits until it answers, and stops it."""

    args: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=lambda: [sys.executable, "-m", "gamehub"])
    cwd: Path | None = None
    data_dir: Path | None = None  # a fresh temporary one unless given (a restart passes the same)
    port: int = field(default_factory=free_port)
    print_keys: bool = True  # the output is a pipe, where serve leaves keys out unless asked
    _own_dir: Path | None = None
    process: subprocess.Popen | None = None
    output: str = ""
    sessions: list[SessionLinks] = field(default_factory=list)  # opened by this start
    resumed: list[str] = field(default_factory=list)  # codes of sessions found in the store

    @property
    def organiser(self) -> str | None:
        """The organiser link `gamehub serve` printed (docs/organiser.md)."""
        found = re.search(r"Organiser:\s+(http\S+)", self.output)
        return found[1] if found else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerProcess:
        if self.data_dir is None:
            self.data_dir = self._own_dir = Path(tempfile.mkdtemp(prefix="gamehub-test-"))
        self.process = subprocess.Popen(
            [*self.command, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--no-qr",
             "--data-dir", str(self.data_dir), *(["--print-keys"] if self.print_keys else []), *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"gamehub serve exited early:\n{''.join(lines)}")
            lines.append(line)
            if line.startswith("Listening on"):
                break
        self.output = "".join(lines)
        # Keep reading, so a chatty server never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()
        self.sessions = [SessionLinks(*m) for m in re.findall(
            r"Session (\w+)\n  Join \(phones\):\s+(\S+)\n  Projector:\s+(\S+)\n  Facilitator:\s+(\S+)", self.output)]
        self.resumed = re.findall(r"Session (\w+) \(resumed", self.output)
        self._wait_until_up(deadline)
        return self

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.output += line

    def _wait_until_up(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gamehub did not answer on {self.url}:\n{self.output}")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)


# -- a client as the phones and screens connect: over a websocket, to a real process ------------


def matches(predicate, view: dict) -> bool:
    """A predicate over a view that may not have the parts it looks at yet (a view that is
    still on its way, coalesced) is simply not matched yet."""
    try:
        return bool(predicate(view))
    except (IndexError, KeyError, TypeError):
        return False


class Client:
    """A python-socketio client that keeps the latest view it was sent, and the sheet updates."""

    def __init__(self, url: str, auth: dict):
        self.sio = socketio.Client(reconnection=False)
        self.views: list[dict] = []
        self._sheet_updates: list[dict] = []
        self._changed = threading.Condition()
        self.sio.on("view", self._on_view)
        self.sio.on("view_patch", self._on_patch)
        self.sio.on("sheet_update", self._on_sheet_update)
        self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)

    def _on_sheet_update(self, message: dict) -> None:
        with self._changed:
            self._sheet_updates.append(message)
            self._changed.notify_all()

    def events(self, event: str) -> list[dict]:
        """The `sheet_update` events received since the last call (as a conftest Screen's)."""
        assert event == "sheet_update"
        with self._changed:
            taken, self._sheet_updates = self._sheet_updates, []
        return taken

    def wait_for_sheet_update(self, timeout: float = 10) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self._sheet_updates, timeout=timeout), "no sheet_update came"

    def _on_view(self, view: dict) -> None:
        with self._changed:
            self.views.append(view)
            self._changed.notify_all()

    def _on_patch(self, patch: dict) -> None:
        with self._changed:
            if self.views and patch["version"] > self.views[-1]["version"]:
                self.views.append(merge_patch(self.views[-1], patch))
                self._changed.notify_all()

    def call(self, event: str, payload: dict | None = None) -> dict:
        return self.sio.call(event, payload or {}, timeout=10)

    def wait_for(self, predicate, timeout: float = 10) -> dict:
        with self._changed:
            ok = self._changed.wait_for(lambda: self.views and matches(predicate, self.views[-1]), timeout=timeout)
        assert ok, f"no matching view; last: {self.views[-1] if self.views else None}"
        return self.views[-1]


# -- many clients at once, as guessers send them --------------------------------------------------

BUDGET = 30  # RATE_LIMIT_FAILURES_PER_TARGET's default, "30/minute"
ADDRESS_BUDGET = 120  # RATE_LIMIT_FAILURES_PER_ADDRESS's default, "120/minute"


async def _connect_once(url: str, code: str | dict, headers: dict) -> str:
    """Connect as a phone with `code` (or with this `auth`): "connected", or the code the
    server refused it with."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list = []
    client.on("connect_error", refusals.append)
    auth = code if isinstance(code, dict) else {"session": code, "role": "phone"}
    try:
        await client.connect(url, auth=auth, headers=headers,
                             transports=["websocket"], wait_timeout=30)
        return "connected"
    except socketio.exceptions.ConnectionError as error:
        return refusals[0]["message"] if refusals else f"no answer: {error}"
    finally:
        await client.disconnect()


def connect_all_at_once(attempts: list[tuple[str, str | dict]], headers: dict | None = None) -> list[str]:
    """Every (url, code or auth) connection attempt at once; their outcomes in the same order."""
    async def run():
        return await asyncio.gather(*(_connect_once(url, code, headers or {}) for url, code in attempts))
    return asyncio.run(run())


def get_all_at_once(urls: list[str]) -> list[int]:
    """Every page requested at once; their HTTP statuses."""
    def status(url: str) -> int:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(status, urls))


def wrong_codes(count: int, prefix: str = "ZZZ") -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(count)]
