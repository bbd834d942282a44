"""Fixtures for tests through the real Socket.IO handlers (`socketio.test_client`)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from flask_socketio.test_client import SocketIOTestClient
from socketio import packet

from gamehub.engine.codec import encode
from gamehub.server import create_app, hub_of, socketio_of
from gamehub.server.sessions import open_session

PUBLIC_URL = "http://gamehub.test"


class RecordingClient(SocketIOTestClient):
    """The Flask-SocketIO test client, also keeping why a connection was refused."""

    refusal: dict | None = None  # the connect_error's data: {"message": code, "data": {...}}

    def connect(self, namespace=None, query_string=None, headers=None, auth=None):
        server = self.socketio.server
        send = server._send_packet  # the test client's own stand-in, set by its __init__

        def spy(eio_sid, pkt):
            if eio_sid == self.eio_sid and pkt.packet_type == packet.CONNECT_ERROR:
                self.refusal = pkt.data
            send(eio_sid, pkt)

        server._send_packet = spy
        try:
            super().connect(namespace=namespace, query_string=query_string, headers=headers, auth=auth)
        finally:
            server._send_packet = send


def socket_client(app, auth: dict, address: str | None = None) -> RecordingClient:
    """A Socket.IO test client; `address` arrives as X-Forwarded-For (for apps that trust a proxy)."""
    headers = {"X-Forwarded-For": address} if address else None
    return RecordingClient(app, socketio_of(app), auth=auth, headers=headers)


def merge_patch(view: dict, patch: dict) -> dict:
    """A staff view with a `view_patch` applied: its groups replace those with the same number."""
    assert patch["audience"] == view["audience"] and patch["version"] > view["version"]
    changed = {g["number"]: g for g in patch["groups"]}
    return {**view, "version": patch["version"], "now": patch["now"],
            "groups": [changed.get(g["number"], g) for g in view["groups"]]}


def dump(state) -> str:
    """A session as canonical JSON, to compare before and after."""
    return json.dumps(encode(state), sort_keys=True)


class Screen:
    """One connected client (a phone, the projector or the facilitator) and what it received."""

    def __init__(self, client):
        self.client = client
        self.latest: dict | None = None  # the view as the page would show it now

    @property
    def connected(self) -> bool:
        return self.client.is_connected()

    @property
    def refused(self) -> str | None:
        """The code the server refused this connection with, if it did."""
        return self.client.refusal["message"] if self.client.refusal else None

    def received(self, event: str) -> list:
        return [m["args"] for m in self.client.queue if m["name"] == event]

    def events(self, event: str) -> list[dict]:
        """The payloads of every `event` received since the last call, in order; other
        messages (views) stay for `views()`."""
        queue = self.client.queue
        self.client.queue = [m for m in queue if m["name"] != event]
        return [m["args"][0] for m in queue if m["name"] == event]

    def views(self) -> list[dict]:
        """Every view received since the last call, with `view_patch`es merged into the view
        before them as the pages do (docs/protocol.md)."""
        shown = []
        for message in self.client.get_received():
            if message["name"] == "view":
                self.latest = message["args"][0]
            elif message["name"] == "view_patch" and self.latest is not None:
                self.latest = merge_patch(self.latest, message["args"][0])
            else:
                continue
            shown.append(self.latest)
        return shown

    def call(self, event: str, payload: dict | None = None) -> dict:
        return self.client.emit(event, payload if payload is not None else {}, callback=True)


class Room:
    """A session on a test app, with helpers to connect its screens the way the pages do."""

    def __init__(self, app):
        self.app = app
        self.socketio = socketio_of(app)
        self.hub = hub_of(app)
        self.record, self.facilitator_token = open_session(
            self.hub.store, app.config["DECK"], app.config["SETTINGS"], time.time())
        self.code = self.record.state.id

    def connect(self, role: str, token: str | None = None, address: str | None = None) -> Screen:
        auth = {"session": self.code, "role": role}
        if token is not None:
            auth["token"] = token
        return Screen(socket_client(self.app, auth, address))

    def facilitator(self) -> Screen:
        return self.connect("facilitator", self.facilitator_token)

    def projector(self) -> Screen:
        return self.connect("projector", self.record.projector_key)

    def join(self, name: str, address: str | None = None, **fields) -> tuple[Screen, dict]:
        phone = self.connect("phone", address=address)
        reply = phone.call("join", {"name": name, **fields})
        assert reply["ok"], reply
        return phone, reply

    @property
    def state(self):
        return self.hub.store.get(self.code).state


@pytest.fixture(params=["threading", "eventlet", "gevent"])
def async_mode(request):
    return request.param


@pytest.fixture
def app(async_mode):
    # No background key watch: it would outlive the test (the per-event key check still runs;
    # tests/server/test_secrets.py runs the watch on purpose).
    return create_app({"ASYNC_MODE": async_mode, "PUBLIC_URL": PUBLIC_URL, "TESTING": True, "KEY_CHECK_SECONDS": 0,
                       "STAFF_VIEW_SECONDS": 0})


@pytest.fixture
def room(app):
    return Room(app)


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium per browser test module (a module may override it: see test_browser_show)."""
    from browser import launched

    with launched() as browser:
        yield browser


# -- layers: only the slow ones start processes ---------------------------------------------

TESTS = Path(__file__).resolve().parent
# Real `gamehub serve` processes and command lines, a browser, several processes with Redis and
# nginx: README's "Run the tests" runs everything else alone with `-m "not slow"`.
SLOW_LAYERS = ("process", "browser", "cluster")
RULE = ("a test that starts a process belongs in tests/process, tests/browser or tests/cluster, "
        "which are marked slow, so that `-m \"not slow\"` stays fast")


def layer_of(item) -> str:
    return item.path.relative_to(TESTS).parts[0] if item.path.is_relative_to(TESTS) else ""


def pytest_collection_modifyitems(config, items):
    for item in items:
        if layer_of(item) in SLOW_LAYERS:
            item.add_marker(pytest.mark.slow)


def pytest_runtestloop(session):
    # The stores' tests run on the machine's PostgreSQL; if it is down, start it here, before any
    # test, since a fast test may not start a process (returning None lets the run go on).
    if not session.config.option.collectonly and any(layer_of(i) == "storage" for i in session.items):
        from bench.cluster import ensure_postgres

        ensure_postgres()


class FastTestStartedAProcess(RuntimeError):
    """Raised in a test not marked slow where it starts a process."""


_fast_test: str | None = None  # the node id of the test running now, unless it is marked slow
_broken: dict[str, list[str]] = {}  # what each fast test started, should it catch the error
_execute_child = subprocess.Popen._execute_child


def _guarded_execute_child(self, args, *rest, **kwargs):
    # Every process goes through here: subprocess.run, asyncio's subprocesses, Playwright's driver.
    if _fast_test is not None:
        message = f"{_fast_test} is not marked slow and started a process ({args!r}): {RULE}"
        _broken.setdefault(_fast_test, []).append(message)
        raise FastTestStartedAProcess(message)
    return _execute_child(self, args, *rest, **kwargs)


subprocess.Popen._execute_child = _guarded_execute_child


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    global _fast_test
    _fast_test = None if item.get_closest_marker("slow") else item.nodeid
    try:
        yield
    finally:
        _fast_test = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    broken = _broken.pop(item.nodeid, None)
    if broken and report.outcome != "failed":  # the test caught FastTestStartedAProcess itself
        report.outcome = "failed"
        report.longrepr = "\n".join(broken)
