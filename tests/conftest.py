"""Fixtures for tests through the real Socket.IO handlers (`socketio.test_client`)."""

from __future__ import annotations

import time

import pytest

from gamehub.server import create_app, hub_of, socketio_of
from gamehub.server.sessions import open_session

PUBLIC_URL = "http://gamehub.test"


class Screen:
    """One connected client (a phone, the projector or the facilitator) and what it received."""

    def __init__(self, client):
        self.client = client

    def views(self) -> list[dict]:
        return [m["args"][0] for m in self.client.get_received() if m["name"] == "view"]

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

    def connect(self, role: str, token: str | None = None) -> Screen:
        auth = {"session": self.code, "role": role}
        if token is not None:
            auth["token"] = token
        return Screen(self.socketio.test_client(self.app, auth=auth))

    def facilitator(self) -> Screen:
        return self.connect("facilitator", self.facilitator_token)

    def projector(self) -> Screen:
        return self.connect("projector", self.record.projector_key)

    def join(self, name: str, **fields) -> tuple[Screen, dict]:
        phone = self.connect("phone")
        reply = phone.call("join", {"name": name, **fields})
        assert reply["ok"], reply
        return phone, reply

    @property
    def state(self):
        return self.hub.store.get(self.code).state


@pytest.fixture(params=["threading", "eventlet"])
def async_mode(request):
    return request.param


@pytest.fixture
def app(async_mode):
    return create_app({"ASYNC_MODE": async_mode, "PUBLIC_URL": PUBLIC_URL, "TESTING": True})


@pytest.fixture
def room(app):
    return Room(app)
