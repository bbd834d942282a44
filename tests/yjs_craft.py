"""Yjs version-1 updates written byte by byte, for tests that send what no Yjs client would.

The layout is Yjs's `UpdateEncoderV1` (what gamehub/engine/ywire.py reads): per client a
struct count, the client id and the first clock, then each struct (an info byte, its origins,
its parent when it has no origin, its content), then the delete set.
"""

from __future__ import annotations

import base64

STRING, DELETED, EMBED, FORMAT, ANY = 4, 1, 5, 6, 8


def varuint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def varstring(text: str) -> bytes:
    raw = text.encode("utf-8")
    return varuint(len(raw)) + raw


def item(text: str = "", *, root: str | None = "q0", origin: tuple[int, int] | None = None,
         right: tuple[int, int] | None = None, content: int = STRING, deleted: int = 1,
         parent_sub: str | None = None, raw_content: bytes | None = None) -> bytes:
    """One item struct: a string (or `deleted` deleted units) in `root`, after `origin`."""
    info = content | (0x80 if origin else 0) | (0x40 if right else 0) | (0x20 if parent_sub is not None else 0)
    out = bytes([info])
    for at in (origin, right):
        if at:
            out += varuint(at[0]) + varuint(at[1])
    if not origin and not right:
        out += varuint(1) + varstring(root)
        if parent_sub is not None:
            out += varstring(parent_sub)
    if raw_content is not None:
        return out + raw_content
    if content == STRING:
        return out + varstring(text)
    if content == DELETED:
        return out + varuint(deleted)
    return out + varstring(text)  # embed/format/any: some bytes, refused before they are read


def update(clients: dict[int, tuple[int, list[bytes]]], deletes: dict[int, list[tuple[int, int]]] | None = None) -> str:
    """{client: (first clock, [structs])} and {client: [(clock, length)]}, as base64."""
    out = varuint(len(clients))
    for client, (clock, structs) in clients.items():
        out += varuint(len(structs)) + varuint(client) + varuint(clock) + b"".join(structs)
    deletes = deletes or {}
    out += varuint(len(deletes))
    for client, ranges in deletes.items():
        out += varuint(client) + varuint(len(ranges)) + b"".join(varuint(c) + varuint(n) for c, n in ranges)
    return base64.b64encode(out).decode("ascii")
