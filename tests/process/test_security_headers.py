"""Pages carry a strict Content-Security-Policy and friends; a Socket.IO handshake from another
site's page is refused (tested on a real server: the test client skips the origin check)."""

from __future__ import annotations

import requests
import websocket

from server_process import ServerProcess


def test_every_page_sends_a_csp_without_inline_script_and_the_other_security_headers(room):
    client = room.app.test_client()
    for path in ("/", f"/j/{room.code}", f"/s/{room.code}/projector", f"/s/{room.code}/facilitator",
                 f"/s/{room.code}/qr.svg", "/j/NOSUCHXX", "/static/js/shared/connection.js"):
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


def test_a_polling_handshake_without_an_origin_works_and_an_error_never_sends_a_traceback():
    # A same-origin polling GET may carry no Origin header; it must not break the origin check.
    with ServerProcess() as server:  # eventlet, whose server would send tracebacks to clients
        handshake = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=5)
        assert handshake.status_code == 200 and handshake.text.startswith("0{")
        assert "Traceback" not in handshake.text


def test_an_unexpected_error_outside_flask_is_a_bare_500():
    from gamehub.server.security import without_tracebacks

    def broken(environ, start_response):
        raise RuntimeError("secret detail")

    statuses = []
    body = without_tracebacks(broken)({"REQUEST_METHOD": "GET", "PATH_INFO": "/x"},
                                      lambda status, headers, exc_info=None: statuses.append(status))
    assert statuses == ["500 Internal Server Error"] and b"secret" not in b"".join(body)


def test_the_socketio_stack_is_at_the_fixed_releases_and_the_browser_client_speaks_the_same_protocol():
    import re
    from importlib.metadata import version
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    floors = {name: tuple(map(int, re.search(rf'"{name}>=([\d.]+)"', pyproject).group(1).split(".")))
              for name in ("python-socketio", "python-engineio")}
    # python-socketio 5.14 stopped unpickling queue messages; 5.16.2 and engineio 4.13.2 fixed DoS bugs.
    assert floors["python-socketio"] >= (5, 16, 2) and floors["python-engineio"] >= (4, 13, 2)
    for name, floor in floors.items():
        assert tuple(map(int, version(name).split(".")[:3])) >= floor, name
    client = (root / "static" / "vendor" / "socket.io.esm.min.js").read_text(encoding="utf-8")[:200]
    assert re.search(r"Socket\.IO v4\.\d+\.\d+", client)  # client 4.x <-> protocol 5 <-> python-socketio 5.x
    assert version("python-socketio").startswith("5.")
