"""Pages carry a strict Content-Security-Policy and friends; a Socket.IO handshake from another
site's page is refused (tested on a real server: the test client skips the origin check)."""

from __future__ import annotations

import requests
import websocket

from server_process import ServerProcess


def test_every_page_sends_a_csp_without_inline_script_and_the_other_security_headers(room):
    client = room.app.test_client()
    for path in ("/", f"/j/{room.code}", f"/s/{room.code}/projector", f"/s/{room.code}/facilitator",
                 f"/s/{room.code}/qr.svg", "/j/NOSUCHXX", "/static/js/connection.js"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'self'" in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path


def test_a_handshake_from_a_foreign_origin_is_refused_and_the_servers_own_origin_is_accepted():
    with ServerProcess(args=["--async-mode", "threading", "--public-url", "https://game.example.org"]) as server:
        handshake = f"{server.url}/socket.io/?EIO=4&transport=polling"
        assert requests.get(handshake, headers={"Origin": "http://evil.example"}, timeout=5).status_code == 400
        assert requests.get(handshake, headers={"Origin": server.url}, timeout=5).status_code == 200
        assert requests.get(handshake, headers={"Origin": "https://game.example.org"}, timeout=5).status_code == 200

        ws_url = server.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        try:
            websocket.create_connection(ws_url, origin="http://evil.example", timeout=5)
            refused = False
        except websocket.WebSocketBadStatusException as error:
            refused = error.status_code == 400
        assert refused
        websocket.create_connection(ws_url, origin=server.url, timeout=5).close()
