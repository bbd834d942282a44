"""`gamehub serve` cannot strand the facilitator: a busy port, a second server on the same data,
and a restart that must print a facilitator link that works without closing an open screen."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

from server_process import Client, ServerProcess, free_port


def serve(data_dir, port: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gamehub", "serve", "--no-qr", "--host", "127.0.0.1",
                           "--port", str(port), "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=60)


def stored_sessions(data_dir) -> str:
    return subprocess.run([sys.executable, "-m", "gamehub", "sessions", "list", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60).stdout


def test_a_busy_port_stops_start_up_with_one_line_and_creates_no_session(tmp_path):
    for mode in ("eventlet", "threading"):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = serve(tmp_path / mode, port, "--async-mode", mode)
        assert result.returncode == 1, result
        assert result.stderr.strip() == f"gamehub: port {port} is in use (by another program, or another " \
                                        f"gamehub): try --port {port + 1}"
        assert "Traceback" not in result.stderr and "Facilitator" not in result.stdout
        assert "No sessions" in stored_sessions(tmp_path / mode)


def test_a_second_server_on_the_same_port_fails_instead_of_sharing_it(tmp_path):
    with ServerProcess(data_dir=tmp_path / "first") as first:
        result = serve(tmp_path / "second", first.port)
        assert result.returncode == 1 and f"port {first.port} is in use" in result.stderr
        assert "No sessions" in stored_sessions(tmp_path / "second")


def test_a_second_server_on_the_same_data_directory_says_so(tmp_path):
    with ServerProcess(data_dir=tmp_path / "data") as first:
        result = serve(tmp_path / "data", free_port())
        assert result.returncode == 1
        assert "another gamehub serve" in result.stderr and str(tmp_path / "data") in result.stderr
        assert first.process.poll() is None  # the first one runs on, with its one session
        assert stored_sessions(tmp_path / "data").count("people") == 1


def test_a_restarted_server_prints_a_facilitator_link_that_works_and_keeps_open_screens(tmp_path):
    data = tmp_path / "data"
    first = ServerProcess(data_dir=data).__enter__()
    try:
        links = first.sessions[0]
        phone = Client(first.url, {"session": links.code, "role": "phone"})
        assert phone.call("join", {"name": "Amara"})["ok"]
    finally:
        first.stop()
    with ServerProcess(data_dir=data, port=first.port) as second:
        assert second.resumed == [links.code] and second.sessions == []
        header = re.search(rf"Session {links.code} \(resumed: (.*)\)", second.output).group(1)
        assert header.startswith("lobby, 1 person, opened ") and "last active" in header
        printed = re.search(r"Facilitator:\s+(\S+)", second.output).group(1)
        assert printed == links.facilitator.replace(first.url, second.url)
        # A control screen opened with the first link, and one opened with the printed link:
        # both are in, and the second did not close the first.
        kept = Client(second.url, {"session": links.code, "role": "facilitator", "token": links.facilitator_token})
        new = Client(second.url, {"session": links.code, "role": "facilitator",
                                  "token": printed.split("#key=", 1)[1]})
        assert new.views[-1]["audience"] == "facilitator" == kept.views[-1]["audience"]
        assert kept.call("set_locked", {"locked": True})["ok"]
        assert new.wait_for(lambda v: v["locked"])["participants"][0]["name"] == "Amara"
        assert kept.sio.connected and new.sio.connected


def test_a_key_replaced_by_the_cli_is_the_link_a_restart_prints(tmp_path):
    data = tmp_path / "data"
    with ServerProcess(data_dir=data) as first:
        code = first.sessions[0].code
    rekeyed = subprocess.run([sys.executable, "-m", "gamehub", "sessions", "key", code, "--data-dir", str(data)],
                             capture_output=True, text=True, timeout=60)
    token = re.search(r"#key=(\S+)", rekeyed.stdout).group(1)
    with ServerProcess(data_dir=data) as second:
        assert f"/s/{code}/facilitator#key={token}" in second.output
        screen = Client(second.url, {"session": code, "role": "facilitator", "token": token})
        assert screen.views[-1]["session"] == code
