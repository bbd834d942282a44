"""The limits on a real `gamehub serve`: its options refused out of bounds, the sessions and
participants it holds to, a flooding socket dropped."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
import socketio

from server_process import ServerProcess


def serve(*args: str, data_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gamehub", "serve", "--no-qr", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("flag,value", [("--group-size", "1"), ("--group-size", "13"), ("--max-participants", "0"),
                                        ("--max-participants", "2001"), ("--max-sessions", "0"),
                                        ("--trusted-proxies", "-1")])
def test_serve_refuses_limits_out_of_bounds(tmp_path, flag, value):
    result = serve(flag, value, data_dir=tmp_path)
    assert result.returncode == 2 and flag in result.stderr and "between" in result.stderr


def test_serve_refuses_to_open_more_sessions_than_max_sessions(tmp_path):
    result = serve("--sessions", "3", "--max-sessions", "2", data_dir=tmp_path)
    assert result.returncode == 2
    assert "--max-sessions 2" in result.stderr and "gamehub sessions delete" in result.stderr

    with ServerProcess(args=["--async-mode", "threading", "--sessions", "2"], data_dir=tmp_path) as server:
        assert len(server.sessions) == 2
    result = serve("--new-session", "--max-sessions", "2", data_dir=tmp_path)
    assert result.returncode == 2 and "2 sessions are stored" in result.stderr
    # Resuming opens nothing, so it is never refused.
    with ServerProcess(args=["--async-mode", "threading", "--max-sessions", "2"], data_dir=tmp_path) as server:
        assert len(server.resumed) == 2 and not server.sessions


def test_max_participants_from_the_command_line_holds_in_the_served_session():
    with ServerProcess(args=["--max-participants", "2"]) as server:
        code = server.sessions[0].code
        clients = []
        try:
            facilitator = socketio.Client(reconnection=False)
            views = []
            facilitator.on("view", views.append)
            facilitator.connect(server.url, auth={"session": code, "role": "facilitator",
                                                  "token": server.sessions[0].facilitator_token},
                                transports=["websocket"], wait_timeout=10)
            clients.append(facilitator)
            replies = []
            for i in range(3):
                phone = socketio.Client(reconnection=False)
                phone.connect(server.url, auth={"session": code, "role": "phone"}, transports=["websocket"],
                              wait_timeout=10)
                clients.append(phone)
                replies.append(phone.call("join", {"name": f"Person {i}"}, timeout=10))
            assert [r["ok"] for r in replies] == [True, True, False]
            assert replies[2]["error"]["code"] == "session_full"
            assert views[-1]["settings"]["max_participants"] == 2
        finally:
            for client in clients:
                client.disconnect()


def test_on_a_real_server_a_flooding_socket_is_dropped_and_another_phone_is_not_slowed():
    with ServerProcess() as server:  # eventlet, as `gamehub serve` runs by default
        code = server.sessions[0].code
        flooder, calm = socketio.Client(reconnection=False), socketio.Client(reconnection=False)
        dropped = threading.Event()
        flooder.on("disconnect", lambda *args: dropped.set())
        for client in (flooder, calm):
            client.connect(server.url, auth={"session": code, "role": "phone"}, transports=["websocket"],
                           wait_timeout=10)
        try:
            assert calm.call("join", {"name": "Calm"}, timeout=10)["ok"]
            acks = []
            started = time.monotonic()
            for i in range(1000):
                if dropped.is_set():
                    break
                try:
                    flooder.emit("no_such_event", {"i": i}, callback=acks.append)
                except socketio.exceptions.BadNamespaceError:
                    break
                if i % 100 == 0:
                    t = time.monotonic()
                    assert calm.call("no_such_event", {}, timeout=5)["error"]["code"] == "unknown_event"
                    assert time.monotonic() - t < 1.0
            assert dropped.wait(5), "the flooding socket was not disconnected"
            assert time.monotonic() - started < 10
            assert sum(1 for a in acks if a["error"]["code"] == "rate_limited") >= 90
            t = time.monotonic()
            assert calm.call("no_such_event", {}, timeout=5)["error"]["code"] == "unknown_event"
            assert time.monotonic() - t < 1.0
            with __import__("urllib.request").request.urlopen(f"{server.url}/healthz", timeout=5) as health:
                assert health.status == 200
        finally:
            for client in (flooder, calm):
                client.disconnect()
