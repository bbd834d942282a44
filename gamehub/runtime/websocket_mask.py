"""Unmasking websocket frames at C speed under eventlet.

Every frame a phone sends is masked (RFC 6455: XORed with four key bytes), and eventlet's
websocket server unmasks it in a Python generator, one bytes object per byte: a visible share
of the server's CPU under a room's typing (docs/performance.md, "Frames unmasked in C, binary
arrays"). wsproto (already here: simple-websocket, the gevent mode's websockets, is built on
it) does the same XOR a whole buffer at a time with `bytes.translate`; `gamehub serve` puts it
in eventlet's place.
"""

from __future__ import annotations

from wsproto.frame_protocol import XorMaskerSimple


def unmask(data: bytes, mask: tuple[int, int, int, int], length: int | None = None, offset: int = 0) -> bytes:
    """The first `length` bytes of `data` XORed with `mask`, starting at key byte `offset`:
    eventlet's `RFC6455WebSocket._apply_mask`, same arguments, same result."""
    if length is None:
        length = len(data)
    turn = offset % 4
    key = bytes(mask[turn:]) + bytes(mask[:turn])
    return bytes(XorMaskerSimple(key).process(data[:length]))


def install() -> None:
    """Make eventlet's websocket server unmask with `unmask`."""
    from eventlet.websocket import RFC6455WebSocket

    RFC6455WebSocket._apply_mask = staticmethod(unmask)
