"""Sockets and requests time out, bodies are capped before they are read, addresses hold a
bounded number of connections, and malformed Socket.IO packets cost their sender, not the
server (docs/security.md, "Connections"). Real sockets against a real `gamehub serve`
(eventlet, the default), and the gate itself in-process."""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import threading
import time
import urllib.request

import pytest
import socketio
import websocket

from gamehub.runtime.deadline import REQUEST_SECONDS
from gamehub.server.gate import Gate
from gamehub.server.packets import StrictPacket
from server_process import ServerProcess

PER_ADDRESS = 6


@pytest.fixture(scope="module")
def server():
    with ServerProcess(args=["--connections-per-address", str(PER_ADDRESS), "--print-keys"]) as running:
        yield running


def closed_within(sock: socket.socket, seconds: float, first: bytes = b"", drip: bytes = b"") -> float | None:
    """Seconds until the server closes `sock` (sending `first`, then `drip` a byte each half
    second), or None."""
    start = time.monotonic()
    sock.sendall(first)
    sock.settimeout(0.5)
    sent = 0
    while time.monotonic() - start < seconds:
        try:
            if sent < len(drip):
                sock.send(drip[sent:sent + 1])
                sent += 1
            if sock.recv(4096) == b"":
                return time.monotonic() - start
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - start
    return None


def upgrade(port: int, source: str, extra: str = "") -> tuple[socket.socket, bytes]:
    """A websocket to Engine.IO from `source` (another loopback address is another client):
    the socket and the first line of the server's answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return sock, answer.split(b"\r\n", 1)[0]


def healthz_seconds(url: str) -> float:
    start = time.monotonic()
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        assert response.status == 200
    return time.monotonic() - start


def test_idle_and_dripping_connections_close_at_the_deadline_and_live_ones_stay(server):
    phone = socketio.Client(reconnection=False)
    phone.connect(server.url, auth={"session": server.sessions[0].code, "role": "phone"},
                  transports=["websocket"], wait_timeout=10)
    polling = socketio.Client(reconnection=False)  # its GET waits in the server between packets
    polling.connect(server.url, auth={"session": server.sessions[0].code, "role": "phone"},
                    transports=["polling"], wait_timeout=10)
    try:
        idle = socket.create_connection(("127.0.0.1", server.port))
        dripping = socket.create_connection(("127.0.0.1", server.port))
        body = socket.create_connection(("127.0.0.1", server.port))
        closed: dict[str, float | None] = {}
        headers = b"POST /organiser/api/decks HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        threads = [threading.Thread(target=lambda name=name, sock=sock, first=first, drip=drip: closed.__setitem__(
            name, closed_within(sock, REQUEST_SECONDS + 5, first, drip)))
            for name, sock, first, drip in (
                ("idle", idle, b"", b""),
                ("dripping", dripping, b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100),
                ("body", body, headers, b"b" * 100))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for name in ("idle", "dripping", "body"):
            assert closed[name] is not None and REQUEST_SECONDS - 1 < closed[name] < REQUEST_SECONDS + 2, closed
        # Both phones have been connected for longer than the deadline: still there, still answered.
        assert phone.connected and polling.connected
        assert "ok" in phone.call("react", {"emoji": "nope"}, timeout=5)
        assert "ok" in polling.call("react", {"emoji": "nope"}, timeout=5)
    finally:
        phone.disconnect()
        polling.disconnect()


def refused_at_once(port: int) -> None:
    for path, declared in (("/socket.io/?EIO=4&transport=polling&sid=x", 97 * 1024), ("/organiser/api/decks", 10**8)):
        sock = socket.create_connection(("127.0.0.1", port), timeout=3)
        start = time.monotonic()
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(4096):  # ends when the server closes: it does not wait for the body
            answer += chunk
        assert time.monotonic() - start < 1
        head, _, content = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), answer
        assert json.loads(content)["error"]["code"] == "too_large"
        sock.close()


def test_a_body_over_the_cap_is_refused_at_once(server):
    refused_at_once(server.port)


def test_gevent_has_the_same_deadline_and_cap():
    with ServerProcess(args=["--async-mode", "gevent", "--print-keys"]) as gevent_server:
        phone = socketio.Client(reconnection=False)
        phone.connect(gevent_server.url, auth={"session": gevent_server.sessions[0].code, "role": "phone"},
                      transports=["websocket"], wait_timeout=10)
        refused_at_once(gevent_server.port)
        idle = socket.create_connection(("127.0.0.1", gevent_server.port))
        dripping = socket.create_connection(("127.0.0.1", gevent_server.port))
        closed = {}
        dripper = threading.Thread(target=lambda: closed.__setitem__("dripping", closed_within(
            dripping, REQUEST_SECONDS + 5, b"", b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 100)))
        dripper.start()
        closed["idle"] = closed_within(idle, REQUEST_SECONDS + 5)
        dripper.join()
        for seconds in closed.values():
            assert seconds is not None and REQUEST_SECONDS - 1 < seconds < REQUEST_SECONDS + 2, closed
        assert phone.connected and "ok" in phone.call("react", {"emoji": "nope"}, timeout=5)
        phone.disconnect()


def test_an_address_holds_at_most_its_connections_while_others_still_connect(server):
    held = []
    try:
        for _ in range(PER_ADDRESS):
            sock, status = upgrade(server.port, "127.0.0.2")
            held.append(sock)
            assert status == b"HTTP/1.1 101 Switching Protocols"
        refused, status = upgrade(server.port, "127.0.0.2")
        assert status == b"HTTP/1.1 429 Too Many Requests"
        refused.close()
        other, status = upgrade(server.port, "127.0.0.3")
        held.append(other)
        assert status == b"HTTP/1.1 101 Switching Protocols"
        assert healthz_seconds(server.url) < 1
        held.pop(0).close()  # one closes: the address may open one again
        deadline = time.monotonic() + 5
        while True:
            sock, status = upgrade(server.port, "127.0.0.2")
            held.append(sock)
            if status == b"HTTP/1.1 101 Switching Protocols" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == b"HTTP/1.1 101 Switching Protocols"
        # Sockets that have sent nothing yet count too (the server faces its clients directly).
        held += [socket.create_connection(("127.0.0.1", server.port), source_address=("127.0.0.4", 0))
                 for _ in range(PER_ADDRESS)]
        time.sleep(0.3)
        sock, status = upgrade(server.port, "127.0.0.4")
        held.append(sock)
        assert status == b"HTTP/1.1 429 Too Many Requests"
    finally:
        for sock in held:
            sock.close()


def test_malformed_packets_are_dropped_quietly_counted_and_close_their_connection(server):
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=10)
    assert ws.recv().startswith("0")
    ws.send("40" + json.dumps({"session": server.sessions[0].code, "role": "phone"}))
    assert any(ws.recv().startswith("40") for _ in range(2))  # the view may come before the connect's answer
    malformed = ["42[1,2]", "42" + "[" * 5000 + "]" * 5000, '42[{"a":1}]', "43[]", '42{"x":1}', "42[]",
                 "49", "4x", '42["join",' + "[" * 200 + "]" * 200 + "]"]
    before = len(server.output)
    try:
        for i in range(2000):
            ws.send(malformed[i % len(malformed)])
    except (OSError, websocket.WebSocketException):
        pass  # closed by the server while these were on their way
    with pytest.raises((OSError, websocket.WebSocketException)):
        for _ in range(100):  # what was sent before the close (a view, the disconnect), then the end
            if not ws.recv():
                raise websocket.WebSocketConnectionClosedException("closed")
    assert healthz_seconds(server.url) < 1
    phone = socketio.Client(reconnection=False)
    phone.connect(server.url, auth={"session": server.sessions[0].code, "role": "phone"},
                  transports=["websocket"], wait_timeout=10)
    assert "ok" in phone.call("react", {"emoji": "nope"}, timeout=5)
    phone.disconnect()
    time.sleep(0.2)
    log = server.output[before:]
    assert "Traceback" not in log
    assert log.count("malformed") == 2, log  # the first one, and the close


def test_the_packet_class_takes_what_clients_send_and_nothing_else():
    for sent in ('0{"session":"ABCD2345","role":"phone"}', "0", "1", '2["join",{"name":"Ada"}]',
                 '27["react",{"emoji":"x"}]', '2["x",' + "[" * 120 + "]" * 120 + "]"):
        StrictPacket(encoded_packet=sent)
    for sent in ("2[1]", "2[]", '2{"a":1}', "2", "3[]", "4", "51-[\"x\",{}]", "7", "x", b"2[\"x\"]",
                 '2["x",' + "[" * 129 + "]" * 129 + "]", '2["x",' + "[" * 5000 + "]" * 5000 + "]"):
        with pytest.raises((ValueError, RecursionError)):
            StrictPacket(encoded_packet=sent)


class _Unread(io.RawIOBase):
    def read(self, size=-1):
        raise AssertionError("the body was read")


def test_the_gate_counts_the_address_the_rate_limits_count_and_never_reads_a_refused_body():
    from gamehub.server.ratelimit import client_address

    waiting = threading.Event()
    release = threading.Event()

    def app(environ, start_response):
        waiting.set()
        release.wait(5)
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    gate = Gate(app, lambda environ: client_address(environ, trusted_proxies=1), per_address=1,
                socketio_body=10, other_body=20)
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    proxied = {"REMOTE_ADDR": "10.0.0.1", "PATH_INFO": "/", "wsgi.input": io.BytesIO()}
    held = threading.Thread(target=gate, args=({**proxied, "HTTP_X_FORWARDED_FOR": "192.0.2.1"}, start_response))
    held.start()
    assert waiting.wait(5)
    gate({**proxied, "HTTP_X_FORWARDED_FOR": "192.0.2.1"}, start_response)  # the same client behind the proxy
    assert statuses == ["429 Too Many Requests"]
    release.set()
    assert gate({**proxied, "HTTP_X_FORWARDED_FOR": "192.0.2.2"}, start_response) == [b""]  # another one
    held.join()
    for environ in ({"PATH_INFO": "/socket.io/", "CONTENT_LENGTH": "11"}, {"PATH_INFO": "/x", "CONTENT_LENGTH": "21"}):
        statuses.clear()
        gate({"REMOTE_ADDR": "10.0.0.2", "wsgi.input": _Unread(), **environ}, start_response)
        assert statuses == ["413 Content Too Large"]
    statuses.clear()
    chunked = {"REMOTE_ADDR": "10.0.0.2", "PATH_INFO": "/x", "HTTP_TRANSFER_ENCODING": "chunked"}
    gate({**chunked, "wsgi.input": io.BytesIO(b"x" * 21)}, start_response)
    assert statuses == ["413 Content Too Large"]
    assert gate({**chunked, "wsgi.input": io.BytesIO(b"x" * 20)}, start_response) == [b"x" * 20]
    assert gate.open == {}
