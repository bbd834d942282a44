"""A real server refuses what is over the size cap and keeps serving."""

from __future__ import annotations

import threading
import time
import urllib.request

import socketio

from server_process import ServerProcess


def test_a_message_over_the_size_cap_is_refused_by_a_real_server_which_keeps_serving():
    with ServerProcess() as server:
        code = server.sessions[0].code
        for transport in ("websocket", "polling"):
            big, gone = socketio.Client(reconnection=False), threading.Event()
            big.on("disconnect", lambda *args: gone.set())
            big.connect(server.url, auth={"session": code, "role": "phone"}, transports=[transport], wait_timeout=10)
            replies = []
            big.emit("join", {"name": "x" * 100_000}, callback=replies.append)  # the cap is 96 KiB
            assert gone.wait(10), f"{transport}: an oversized message did not close the connection"
            time.sleep(0.2)
            assert replies == [], "the oversized message reached a handler"

            with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as health:
                assert health.status == 200
            phone = socketio.Client(reconnection=False)
            phone.connect(server.url, auth={"session": code, "role": "phone"}, transports=[transport],
                          wait_timeout=10)
            try:
                assert phone.call("join", {"name": f"Still here {transport}"}, timeout=10)["ok"]
            finally:
                phone.disconnect()
        assert server.process.poll() is None and "Traceback" not in server.output
