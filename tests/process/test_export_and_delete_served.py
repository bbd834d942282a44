"""Export and delete on a real `gamehub serve` and from the command line: the screens of a deleted
session are told, `gamehub sessions` lists, exports and deletes, and retention purges."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import socketio

from conftest import PUBLIC_URL, Room
from gamehub.server import create_app
from gamehub.storage.sql import open_store
from server_process import Client, ServerProcess
from sheets import play_to_showcase


def test_every_screen_of_a_deleted_session_is_told_and_a_phone_coming_back_hears_unknown_session():
    with ServerProcess(args=["--async-mode", "threading"]) as server:
        links = server.sessions[0]
        guest = Client(server.url, {"session": links.code, "role": "phone"})
        token = guest.call("join", {"name": "Ada"})["token"]
        told = []
        guest.sio.on("session_deleted", told.append)
        facilitator = Client(server.url, {"session": links.code, "role": "facilitator",
                                          "token": links.facilitator_token})
        assert facilitator.call("delete_session", {"confirm": links.code}) == {"ok": True}
        deadline = time.monotonic() + 5
        while guest.sio.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert told == [{"session": links.code}] and not guest.sio.connected
        returning, refusals = socketio.Client(reconnection=False), []
        returning.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            returning.connect(server.url, auth={"session": links.code, "role": "phone", "token": token},
                              transports=["websocket"], wait_timeout=5)
        assert refusals and refusals[0]["message"] == "unknown_session"
        facilitator.sio.disconnect()


def gamehub(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gamehub", *args], capture_output=True, text=True, timeout=60)


def test_the_command_line_lists_exports_and_deletes_stored_sessions(tmp_path):
    store = open_store(data_dir=tmp_path)
    room = Room(create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "STORE": store}))
    written = play_to_showcase(room)
    store.close()
    where = ["--data-dir", str(tmp_path)]

    listed = gamehub("sessions", "list", *where)
    assert listed.returncode == 0 and room.code in listed.stdout and "showcase" in listed.stdout

    for fmt in ("md", "csv", "json"):
        exported = gamehub("export", room.code.lower(), "--format", fmt, *where)
        assert exported.returncode == 0, exported.stderr
        assert written[2][1] in exported.stdout
    assert json.loads(gamehub("export", room.code, "--format", "json", *where).stdout)["session"] == room.code

    deleted = gamehub("sessions", "delete", room.code, *where)
    assert deleted.returncode == 0 and "Deleted" in deleted.stdout
    assert room.code not in gamehub("sessions", "list", *where).stdout
    missing = gamehub("export", room.code, *where)
    assert missing.returncode == 1 and room.code in missing.stderr
    reopened = open_store(data_dir=tmp_path)
    assert reopened.get(room.code) is None and reopened.log(room.code) == []
    reopened.close()


def test_serve_purges_sessions_idle_longer_than_the_retention_period(tmp_path):
    store = open_store(data_dir=tmp_path)
    idle = Room(create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "STORE": store}))
    store.close()
    time.sleep(1.2)
    # A retention of 0.00001 days is 0.864 s: the session above is older than that.
    with ServerProcess(data_dir=tmp_path, args=["--retention-days", "0.00001", "--async-mode", "threading"]) as server:
        assert f"Deleted session {idle.code}" in server.output
        assert idle.code not in [links.code for links in server.sessions]
    kept = open_store(data_dir=tmp_path)
    assert kept.get(idle.code) is None
    kept.close()
