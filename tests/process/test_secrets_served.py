"""The keys of a real `gamehub serve`: `gamehub sessions key` replaces a running server's key at
once, and the secret key stays in the data dir across restarts."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading

import pytest
import requests
import socketio

from server_process import ServerProcess


def test_gamehub_sessions_key_replaces_the_key_of_a_running_server_at_once(tmp_path):
    with ServerProcess(data_dir=tmp_path) as server:  # eventlet, as `gamehub serve` runs by default
        links = server.sessions[0]
        auth = {"session": links.code, "role": "facilitator", "token": links.facilitator_token}
        active, idle = socketio.Client(reconnection=False), socketio.Client(reconnection=False)
        rotated = {client: threading.Event() for client in (active, idle)}
        dropped = {client: threading.Event() for client in (active, idle)}
        for client in (active, idle):
            client.on("key_rotated", lambda data, c=client: rotated[c].set())
            client.on("disconnect", lambda *args, c=client: dropped[c].set())
            client.connect(server.url, auth=auth, transports=["websocket"], wait_timeout=10)
        try:
            assert active.call("set_locked", {"locked": True}, timeout=10)["ok"]
            changed = subprocess.run([sys.executable, "-m", "gamehub", "sessions", "key", links.code,
                                      "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
            assert changed.returncode == 0, changed.stderr
            assert "stops working now" in changed.stdout
            new_token_ = re.search(r"#key=(\S+)", changed.stdout).group(1)

            # Both screens with the old key hear of it and are closed within the watch's interval.
            for client in (active, idle):
                assert rotated[client].wait(6) and dropped[client].wait(6)

            old, refusals = socketio.Client(reconnection=False), []
            old.on("connect_error", refusals.append)
            with pytest.raises(socketio.exceptions.ConnectionError):
                old.connect(server.url, auth=auth, transports=["websocket"], wait_timeout=10)
            assert refusals and refusals[0]["message"] == "bad_key"

            fresh = socketio.Client(reconnection=False)
            fresh.connect(server.url, auth={**auth, "token": new_token_}, transports=["websocket"], wait_timeout=10)
            try:
                assert fresh.call("set_locked", {"locked": False}, timeout=10)["ok"]
            finally:
                fresh.disconnect()

            export = f"{server.url}/s/{links.code}/export"
            assert requests.post(export, data={"key": links.facilitator_token, "format": "md"}, timeout=5).status_code == 403
            assert requests.post(export, data={"key": new_token_, "format": "md"}, timeout=5).status_code == 200
        finally:
            for client in (active, idle):
                client.disconnect()


def test_serve_keeps_its_secret_key_in_the_data_dir_across_restarts(tmp_path):
    with ServerProcess(args=["--async-mode", "threading"], data_dir=tmp_path):
        key = (tmp_path / "secret_key").read_bytes()
    assert len(key) == 32
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    with ServerProcess(args=["--async-mode", "threading"], data_dir=tmp_path):
        assert (tmp_path / "secret_key").read_bytes() == key
