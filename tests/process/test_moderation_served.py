"""`gamehub serve --blocked-words`: the words refused in new sessions, a missing file refused."""

from __future__ import annotations

import socketio

from server_process import ServerProcess


def test_serve_with_blocked_words_refuses_those_names_in_new_sessions(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("# words nobody should see on the wall\nbadword\n\n  very   rude \n", encoding="utf-8")
    with ServerProcess(args=["--blocked-words", str(words)]) as server:
        assert "Name filter: 2 blocked words" in server.output
        client = socketio.Client(reconnection=False)
        client.connect(server.url, auth={"session": server.sessions[0].code, "role": "phone"},
                       transports=["websocket"], wait_timeout=10)
        try:
            assert client.call("join", {"name": "Very Rude Person"}, timeout=10)["error"]["code"] == "name_not_allowed"
            assert client.call("join", {"name": "Polite Person"}, timeout=10)["ok"]
        finally:
            client.disconnect()


def test_serve_refuses_a_missing_blocked_words_file(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "gamehub", "serve", "--no-qr", "--data-dir", str(tmp_path),
                             "--blocked-words", str(tmp_path / "nope.txt")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--blocked-words" in result.stderr and "nope.txt" in result.stderr
