"""Secrets: token sizes, replacing the facilitator key with immediate effect, and the server's
secret key in the data dir (against a real `gamehub serve`: tests/process/test_secrets_served.py)."""

from __future__ import annotations

import ast
import base64
import os
import re
import stat
import time
from pathlib import Path

import pytest

from conftest import PUBLIC_URL, Room, dump
from gamehub.storage.secret_key import SecretKeyError, load_or_create
from gamehub.server import create_app, hub_of
from gamehub.storage.tokens import CODE_ALPHABET, CODE_LENGTH, new_token, token_hash

PACKAGE = Path(__file__).resolve().parents[2] / "gamehub"


def bits(token: str) -> int:
    return len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8


def test_secrets_are_long_enough_that_guessing_is_hopeless(room):
    assert bits(new_token()) >= 256 and bits(room.facilitator_token) >= 128
    assert bits(room.record.projector_key) >= 128
    assert len(CODE_ALPHABET) ** CODE_LENGTH > 8e11
    # The facilitator token is stored only as its hash.
    assert room.facilitator_token not in dump(room.state) and room.hub.store.get(room.code).facilitator_hash == \
        token_hash(room.facilitator_token)


# -- replacing the facilitator key -----------------------------------------------------------------


def test_after_a_key_change_the_old_keys_next_command_is_refused_and_its_screens_closed(room):
    active, idle = room.facilitator(), room.facilitator()
    assert active.call("set_locked", {"locked": True})["ok"]
    before = dump(room.state)
    new = new_token()
    assert room.hub.store.rekey(room.code, token_hash(new))  # what `gamehub sessions key` does

    reply = active.call("set_locked", {"locked": False})
    assert reply["error"]["code"] == "bad_key" and dump(room.state) == before
    for screen in (active, idle):
        assert screen.received("key_rotated") == [[{"session": room.code}]]
        assert not screen.connected
    old = room.connect("facilitator", room.facilitator_token)
    assert not old.connected and old.refused == "bad_key"
    fresh = room.connect("facilitator", new)
    assert fresh.connected and fresh.call("set_locked", {"locked": False})["ok"]


def test_the_background_watch_closes_an_idle_old_key_screen_and_stops_when_no_facilitator_is_left():
    app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0.05})
    room = Room(app)
    idle = room.facilitator()
    watch = app.extensions["gamehub.keywatch"]
    assert watch.running
    new = new_token()
    assert room.hub.store.rekey(room.code, token_hash(new))
    deadline = time.monotonic() + 5
    while idle.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not idle.connected and idle.received("key_rotated") == [[{"session": room.code}]]
    deadline = time.monotonic() + 5
    while watch.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not watch.running and not hub_of(app).presence.facilitators()
    again = room.connect("facilitator", new)  # a new facilitator starts it again
    assert again.connected and watch.running
    again.client.disconnect()


# -- the server's secret key ------------------------------------------------------------------------


def test_the_secret_key_is_made_once_private_and_kept(tmp_path):
    key = load_or_create(tmp_path / "data")
    path = tmp_path / "data" / "secret_key"
    assert len(key) == 32 and path.read_bytes() == key
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        os.chmod(path, 0o644)
    assert load_or_create(tmp_path / "data") == key
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_bytes(b"short")
    with pytest.raises(SecretKeyError, match="delete it"):
        load_or_create(tmp_path / "data")


def test_an_app_without_a_configured_key_gets_a_random_one():
    keys = [create_app({"ASYNC_MODE": "threading", "KEY_CHECK_SECONDS": 0}).config["SECRET_KEY"] for _ in range(2)]
    assert all(isinstance(k, bytes) and len(k) == 32 for k in keys) and keys[0] != keys[1]
    given = os.urandom(32)
    assert create_app({"ASYNC_MODE": "threading", "SECRET_KEY": given}).config["SECRET_KEY"] == given


def literal_secrets(source: str) -> list[str]:
    """Names like SECRET_KEY, *secret*, *password* given a literal string or bytes in `source`."""
    suspicious = re.compile(r"secret|password", re.IGNORECASE)
    found = []
    for node in ast.walk(ast.parse(source)):
        pairs = []
        if isinstance(node, ast.Assign):
            pairs = [(t, node.value) for t in node.targets]
        elif isinstance(node, ast.Dict):
            pairs = list(zip(node.keys, node.values))
        elif isinstance(node, ast.Call):
            pairs = [(ast.Constant(k.arg), k.value) for k in node.keywords if k.arg]
        for target, value in pairs:
            name = getattr(target, "id", getattr(target, "value", getattr(target, "attr", None)))
            if isinstance(target, ast.Subscript):
                name = getattr(target.slice, "value", None)
            literal = isinstance(value, ast.Constant) and isinstance(value.value, (str, bytes)) and value.value
            if isinstance(name, str) and suspicious.search(name) and literal and "FILENAME" not in name:
                found.append(f"{node.lineno} {name}")
    return found


def test_no_secret_key_is_written_in_the_code():
    planted = 'app.config["SECRET_KEY"] = "dev"\nSECRET_KEY = b"x"\nc = {"SECRET_KEY": "y"}\nf(secret_key="z")\n'
    assert len(literal_secrets(planted)) == 4  # the scan works
    found = {path.name: hits for path in PACKAGE.rglob("*.py")
             if (hits := literal_secrets(path.read_text(encoding="utf-8")))}
    assert not found, found
