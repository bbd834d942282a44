"""Time limits on the sockets of `gamehub serve`, under eventlet and gevent.

Neither server bounds a request on its own: eventlet's `socket_timeout` counts each read
separately (a client dripping a byte every few seconds never trips it) and gevent's pywsgi has
none. So each connection gets a deadline for the request it is about to send, from the moment
the server waits for it (accepted, or the previous response sent) until its headers and body
are in: past it, the socket is shut down and the connection ends. The WSGI gate
(gamehub/server/gate.py) lifts the deadline once it holds the whole request, through
`environ[RECEIVED]`; a websocket or a long-poll GET then lives as long as Engine.IO's pings
say. After that, each read or write of a plain HTTP exchange is bounded by `SOCKET_SECONDS`
(a client that stops reading a response); an upgraded websocket drops that bound through
`environ[UPGRADED]`: Engine.IO's pings decide when a websocket is dead. The figures and
what a phone sees: docs/security.md.

`environ[CLOSE]` asks the server to close the connection after the response (a refusal sent
before the body was read: the rest of the body is never waited for).

A server that faces its clients directly (no `--trusted-proxies`) also counts open sockets per
peer address (`Peers`), so sockets that have not sent a request yet count too; past the cap a
new socket gets a bare `429` and is closed before anything is read from it. Behind a proxy
every socket comes from the proxy: then only the gate counts, per forwarded address.
"""

from __future__ import annotations

from collections import defaultdict

from .addresses import client_address

REQUEST_SECONDS = 10.0  # to send a whole request, headers and body, on a new connection
# The same for each later request on a kept-alive connection. Longer than Engine.IO's ping
# interval and timeout together: a polling phone's POST connection is idle from one pong to
# the next, and closing it just as the next pong leaves would fail that pong.
NEXT_REQUEST_SECONDS = 30.0
SOCKET_SECONDS = 30.0  # each read or write of an HTTP exchange once it is under way

RECEIVED = "gamehub.received"
UPGRADED = "gamehub.upgraded"
CLOSE = "gamehub.close"


REFUSED = (b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nRetry-After: 5\r\n"
           b"Connection: close\r\n\r\n")


class Peers:
    """Open sockets per peer address (counted as the rate limits count: IPv6 per /64)."""

    def __init__(self, most: int):
        self.most = most
        self.open: defaultdict[str, int] = defaultdict(int)

    def take(self, peer) -> str | None:
        """The key `peer` is counted under (give it back when the socket ends), or None: too many."""
        key = client_address({"REMOTE_ADDR": peer[0] if isinstance(peer, tuple) else peer})
        if self.open[key] >= self.most:
            return None
        self.open[key] += 1
        return key

    def give(self, key: str) -> None:
        self.open[key] -= 1
        if not self.open[key]:
            del self.open[key]


def peers_for(config) -> Peers | None:
    """Per-peer counting for an app's config: only when no proxy stands between."""
    return None if int(config["TRUSTED_PROXIES"]) else Peers(int(config["CONNECTIONS_PER_ADDRESS"]))


def eventlet_protocol(request_seconds: float = REQUEST_SECONDS, next_seconds: float = NEXT_REQUEST_SECONDS,
                      peers: Peers | None = None):
    """An `eventlet.wsgi.HttpProtocol` with the request deadline (`protocol=` of eventlet's server)."""
    from eventlet import greenio
    from eventlet.hubs import get_hub
    from eventlet.wsgi import HttpProtocol

    class Protocol(HttpProtocol):
        def __init__(self, conn_state, server):
            key = peers.take(conn_state[0]) if peers else ""
            if key is None:
                try:
                    conn_state[1].sendall(REFUSED)
                except OSError:
                    pass
                return  # eventlet's server closes the socket when this returns
            try:
                super().__init__(conn_state, server)  # handles every request of the connection
            finally:
                if peers:
                    peers.give(key)

        def handle_one_request(self):
            seconds = next_seconds if hasattr(self, "_deadline") else request_seconds
            self._deadline = get_hub().schedule_call_global(seconds, greenio.shutdown_safe, self.connection)
            try:
                super().handle_one_request()
            finally:
                self._deadline.cancel()

        def get_environ(self):
            environ = super().get_environ()
            environ[RECEIVED] = self._deadline.cancel
            environ[UPGRADED] = lambda: self.connection.settimeout(None)
            environ[CLOSE] = self._close_after_response
            return environ

        def log_message(self, format, *args):
            pass  # a client's malformed or cut-off request is its own business, not the log's

        def _close_after_response(self):
            # Set before the response starts, this keeps eventlet from reading the rest of the
            # body for the next request on the connection (it would wait for all of it).
            self.close_connection = 1

    return Protocol


def gevent_handler(request_seconds: float = REQUEST_SECONDS, next_seconds: float = NEXT_REQUEST_SECONDS,
                   socket_seconds: float = SOCKET_SECONDS, peers: Peers | None = None):
    """A `gevent.pywsgi.WSGIHandler` with the request deadline and the per-operation bound."""
    import socket

    from gevent import get_hub
    from gevent.pywsgi import WSGIHandler

    def shut(sock) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # already closed
            pass

    class Handler(WSGIHandler):
        def handle(self):
            key = peers.take(self.client_address) if peers else ""
            if key is None:
                try:
                    self.socket.sendall(REFUSED)
                except OSError:
                    pass
                return  # gevent's server closes the socket when this returns
            self.socket.settimeout(socket_seconds)
            try:
                super().handle()
            finally:
                if peers:
                    peers.give(key)

        def handle_one_request(self):
            self._deadline = get_hub().loop.timer(next_seconds if hasattr(self, "_deadline") else request_seconds)
            self._deadline.start(shut, self.socket)
            try:
                return super().handle_one_request()
            finally:
                self._deadline.close()

        def get_environ(self):
            environ = super().get_environ()
            environ[RECEIVED] = self._deadline.close
            sock = self.socket
            environ[UPGRADED] = lambda: sock.settimeout(None)
            environ[CLOSE] = self._close_after_response
            return environ

        def _close_after_response(self):
            # gevent reads what is left of a body even on a connection it closes: there is none.
            self.close_connection = True
            self.wsgi_input.content_length, self.wsgi_input.chunked_input = self.wsgi_input.position, False

    return Handler
