"""Socket.IO packets a client may send, and what happens to the ones it may not.

python-socketio decodes a packet and looks its event up before any handler of ours runs, so
a packet it cannot take (JSON nested past Python's recursion limit, an event name that is a
number or an object, binary attachments, an ACK when the server asked for none) used to fail
inside the library: a traceback in the log for each, no rate limit, the connection kept.
`StrictPacket` refuses such packets while decoding, before dispatch; `guard` catches every
failure of the Engine.IO `message` handler and charges it to the connection's event budget
(ratelimit.py), logs one line per connection, and closes a connection that keeps sending
them. No answer is sent: a client that speaks the protocol never gets here (docs/protocol.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from socketio import packet

from .buckets import Buckets, bucket_shape
from .ratelimit import RateLimiter, Verdict

log = logging.getLogger(__name__)

# Nesting of lists and objects in one event. The protocol's payloads use three; every handler
# answers payloads a hundred deep cleanly (tests/server/test_fuzz.py), and JSON's own decoder stops
# near a thousand with a RecursionError, which is malformed too.
MAX_DEPTH = 128
# Malformed packets a connection may send before it is closed: a bug in a real client sends
# one now and then; a connection that sends more than this in an hour is not a real client.
MALFORMED_PER_CONNECTION = "10/hour"


class Malformed(ValueError):
    pass


class StrictPacket(packet.Packet):
    """Packets decode only as what a client of this server sends: CONNECT, DISCONNECT, and
    EVENT with a string name and payloads at most `MAX_DEPTH` deep; no binary."""

    def decode(self, encoded_packet):
        if not isinstance(encoded_packet, str):
            raise Malformed("binary message")
        if super().decode(encoded_packet):
            raise Malformed("binary attachments")
        if self.packet_type == packet.EVENT:
            data = self.data
            if not isinstance(data, list) or not data or not isinstance(data[0], str):
                raise Malformed("event without a string name")
            # Counting brackets is C-speed; only a payload with many walks its structure.
            if encoded_packet.count("[") + encoded_packet.count("{") > MAX_DEPTH and too_deep(data):
                raise Malformed(f"nested deeper than {MAX_DEPTH}")
        elif self.packet_type not in (packet.CONNECT, packet.DISCONNECT):
            raise Malformed(f"packet type {self.packet_type!r}")
        return 0


def too_deep(data: object, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and dicts nest more than `limit` levels (iteratively: no recursion)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in node if isinstance(child, (list, dict)))
    return False


class _Strikes(Buckets):
    def seen(self, key: str) -> bool:
        return key in self._buckets


def guard(server, limiter: RateLimiter, drop: Callable[[str], None]) -> None:
    """Wrap `server`'s (a python-socketio Server) Engine.IO message handler: a packet that
    fails there is charged to its connection, logged in one line, dropped, and the connection
    is closed once it has sent too many (or when its rate limit says so). `drop(sid)` closes
    a connection of the Socket.IO namespace as the rate limit does (hub.drop)."""
    eio = server.eio
    handle = eio.handlers["message"]
    strikes = _Strikes(*bucket_shape(MALFORMED_PER_CONNECTION))

    def message(eio_sid, data):
        if eio_sid not in eio.sockets:
            # Closed here, but Engine.IO still reads what the client had already sent.
            return None
        try:
            return handle(eio_sid, data)
        except Exception as error:  # noqa: BLE001 (whatever failed, it was this client's packet)
            malformed(eio_sid, error)
        return None

    def malformed(eio_sid: str, error: Exception) -> None:
        server._binary_packet.pop(eio_sid, None)
        sid = server.manager.sid_from_eio_sid(eio_sid, "/")
        address = limiter.address(server.environ.get(eio_sid) or {})
        now = time.monotonic()
        first = not strikes.seen(eio_sid)
        verdict = limiter.event(sid or eio_sid, address)  # the same budget as its events
        # Only what is wrong, never what was sent (a library's message may quote the packet).
        reason = str(error) if isinstance(error, Malformed) else type(error).__name__
        if not strikes.take(eio_sid, now) or verdict is Verdict.DROP:
            log.warning("closing connection %s from %s: it kept sending malformed messages (last: %s)",
                        sid or eio_sid, address, reason)
            strikes.forget(eio_sid)
            if sid:
                drop(sid)
            eio.disconnect(eio_sid)
        elif first:
            log.warning("dropped a malformed message from %s (%s): %s", sid or eio_sid, address, reason)

    eio.handlers["message"] = message
