"""The outermost WSGI layer: what a request must be before Flask or Socket.IO sees it.

Three checks, in this order, each answered at once and the connection closed:
- open requests per client address (a websocket is one request for as long as it lives, a
  long-poll GET for as long as it waits): past the cap, 429 `too_many_connections`;
- a declared body over the cap (Engine.IO's message cap for /socket.io/, the organiser's
  upload cap elsewhere): 413 `too_large`, without reading a byte of it (Engine.IO would refuse
  it too, but eventlet's server then waits for the whole body before the next request);
- the body itself is read here, within the server's request deadline (gamehub/runtime/deadline.py),
  so a client that drips it is cut off there, not inside a handler.
The deadline is lifted once the request is in, for the websocket or long poll that follows.
Addresses are counted as the rate limits count them (`--trusted-proxies`). The numbers and
what a venue should expect: docs/security.md; the answers: docs/protocol.md.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from ..i18n import SOURCE, gettext, negotiate
from ..runtime.deadline import CLOSE, RECEIVED, UPGRADED

log = logging.getLogger(__name__)

CONFIG_DEFAULTS = {
    # Open requests (websockets included) per client address. A hall of 2,000 behind one NAT
    # holds a websocket per phone, and up to two requests per phone while it moves from
    # polling to its websocket, as all do at once after a restart.
    "CONNECTIONS_PER_ADDRESS": 5000,
}


def _nothing() -> None:
    pass


def _read(stream, most: int) -> bytes:
    """Up to `most` bytes, however many reads that takes (a read may return fewer)."""
    chunks, total = [], 0
    while total < most:
        chunk = stream.read(most - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


class Gate:
    """WSGI middleware around the whole app (the Socket.IO middleware included)."""

    def __init__(self, app: Callable, address: Callable[[dict], str], per_address: int,
                 socketio_body: int, other_body: int, socketio_path: str = "/socket.io"):
        self.app = app
        self._address = address
        self.per_address = per_address
        self._socketio_body, self._other_body = socketio_body, other_body
        self._socketio_path = socketio_path
        self.open: defaultdict[str, int] = defaultdict(int)  # address -> requests in progress
        self._refusing: set[str] = set()  # addresses told so in the log, until their requests end
        self._lock = threading.Lock()  # the threading mode's requests run in parallel threads

    def __call__(self, environ: dict, start_response):
        address = self._address(environ)
        with self._lock:
            admitted = self.open[address] < self.per_address
            if admitted:
                self.open[address] += 1
            # One line per address at the cap, not one per refusal.
            first_refusal = not admitted and address not in self._refusing
            if first_refusal:
                self._refusing.add(address)
        if first_refusal:
            log.warning("refusing connections from %s: %d open, the most one address may have",
                        address, self.per_address)
        if not admitted:
            accept = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
            message = gettext(negotiate([value for value, _quality in accept]) or SOURCE,
                              "Too many connections from your network: wait a moment and try again")
            return self._refuse(environ, start_response, "429 Too Many Requests", "too_many_connections",
                                message, [("Retry-After", "5")])
        try:
            refusal = self._take_body(environ)
            if refusal:
                return self._refuse(environ, start_response, *refusal)
            environ.get(RECEIVED, _nothing)()
            if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                environ.get(UPGRADED, _nothing)()
            return self.app(environ, start_response)
        finally:
            with self._lock:
                self.open[address] -= 1
                if not self.open[address]:
                    del self.open[address]
                    self._refusing.discard(address)

    def _take_body(self, environ: dict) -> tuple | None:
        """Read the body into memory (within the request deadline), or say why not."""
        cap = self._socketio_body if environ.get("PATH_INFO", "").startswith(self._socketio_path) else self._other_body
        too_large = ("413 Content Too Large", "too_large", f"At most {cap // 1024} KB")  # as the organiser API says
        chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return "400 Bad Request", "bad_request", "Content-Length is not a length"
        if length > cap:
            return too_large
        if not length and not chunked:
            return None
        try:
            body = _read(environ["wsgi.input"], cap + 1 if chunked else length)
        except (OSError, ValueError):  # the deadline shut the socket, or a broken chunked body
            return "400 Bad Request", "bad_request", "The body ended early"
        if chunked and len(body) > cap:
            return too_large
        if not chunked and len(body) < length:
            return "400 Bad Request", "bad_request", "The body ended early"
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = True
        return None

    @staticmethod
    def _refuse(environ: dict, start_response, status: str, code: str, message: str, headers=()):
        environ.get(CLOSE, _nothing)()
        # The organiser API's error shape (organiser_forms.FieldError), so its 413 reads the same.
        body = json.dumps({"error": {"code": code, "field": None, "message": message}}).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                ("Connection", "close"), ("Cache-Control", "no-store"), *headers])
        return [body]
