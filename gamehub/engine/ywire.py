"""A strict reader of Yjs version-1 updates, so a sheet update is judged before pycrdt sees it.

pycrdt applies whatever an update says: other root types, embeds and formatting, structs
that wait for predecessors that never come, thousands of concurrent inserts whose merge
costs the square of their number. This module reads the update's bytes itself (lib0
var-uints and strings, as Yjs's `UpdateEncoderV1` writes them) and says what the update
holds, refusing anything the group sheet never contains. It allocates nothing in proportion
to a number it read: every count is checked against the bytes left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Rejected

MAX_CLIENT = 2 ** 53 - 1  # Yjs client ids are JavaScript numbers
MAX_LENGTH = 1 << 20  # clock units in one GC or deleted struct (a sheet holds far fewer)

GC, DELETED, STRING, SKIP = 0, 1, 4, 10
ORIGIN, RIGHT_ORIGIN, PARENT_SUB = 0x80, 0x40, 0x20


class _Malformed(Exception):
    pass


class TooMany(Exception):
    """More structs and deleted ranges than the caller allows."""


class _Reader:
    def __init__(self, raw: bytes):
        self.raw, self.at = raw, 0

    def left(self) -> int:
        return len(self.raw) - self.at

    def byte(self) -> int:
        if self.at >= len(self.raw):
            raise _Malformed("ends early")
        self.at += 1
        return self.raw[self.at - 1]

    def varuint(self, most: int = MAX_CLIENT) -> int:
        raw, at = self.raw, self.at  # locals: a sync's delete set is thousands of these
        value = shift = 0
        while True:
            if at >= len(raw):
                raise _Malformed("ends early")
            byte = raw[at]
            at += 1
            value |= (byte & 0x7F) << shift
            if value > most:
                raise _Malformed("number out of range")
            if byte < 0x80:
                self.at = at
                return value
            shift += 7

    def count(self) -> int:
        """A count of things that each take at least one byte."""
        return self.varuint(self.left())

    def string(self) -> str:
        size = self.count()
        start, self.at = self.at, self.at + size
        return self.raw[start:self.at].decode("utf-8")  # strict: a bad sequence is malformed


@dataclass
class Shape:
    """What an update holds: per client, its structs' clocks and the ids each is placed by;
    how far its deletions reach; how many structs, and their text roots."""

    # per client, its structs in clock order: (first clock, end clock, the ids it is placed by)
    runs: dict[int, list[tuple[int, int, tuple[tuple[int, int], ...]]]] = field(default_factory=dict)
    deletes: dict[int, int] = field(default_factory=dict)  # per client, the end of its last deleted range
    deleted_ranges: int = 0
    structs: int = 0  # items and GC structs
    # Items pycrdt must place by a search: all but those typed right after the item before
    # them in the same run (pycrdt finds the place of such an item next to that one, which is
    # new, so only items of this same update can be in the way).
    placed: int = 0
    roots: set[str] = field(default_factory=set)


def read(raw: bytes, roots: frozenset[str] | None, max_structs: int, max_placed: int | None = None,
         max_deletes: int | None = None) -> Shape:
    """The shape of a Yjs v1 update whose items are plain text (or deleted text) in `roots`
    (any root if None).
    Rejected `bad_update` otherwise; TooMany past `max_structs` structs, `max_placed` placed
    by a search, or `max_deletes` deleted ranges (no limit when None)."""
    try:
        return _read(_Reader(raw), roots, max_structs, max_structs if max_placed is None else max_placed,
                     1 << 62 if max_deletes is None else max_deletes)
    except (_Malformed, UnicodeDecodeError) as error:
        raise Rejected("bad_update", f"This is not a Yjs update of the sheet's texts ({error})") from None


def _read(reader: _Reader, roots: frozenset[str] | None, max_structs: int, max_placed: int,
          max_deletes: int) -> Shape:
    shape = Shape()

    for _ in range(reader.count()):
        structs, client, clock = reader.count(), reader.varuint(), reader.varuint()
        if structs == 0 or client in shape.runs:
            raise _Malformed("a client's structs come once, and not empty")
        shape.structs += structs
        run = shape.runs[client] = []
        after_item = False
        for _ in range(structs):
            length, origin, refs = _struct(reader, roots, shape)
            if origin is not None and not (after_item and origin == (client, clock - 1)):
                shape.placed += 1
            after_item = origin is not None
            run.append((clock, clock + length, refs))
            clock += length
            if clock > MAX_CLIENT:
                raise _Malformed("clock out of range")
    for _ in range(reader.count()):
        client, ranges = reader.varuint(), reader.count()
        shape.deletes[client] = max(shape.deletes.get(client, 0), _deleted(reader, ranges))
        shape.deleted_ranges += ranges
    if reader.left():
        raise _Malformed("bytes after the delete set")
    # Counted once the whole update has read well, so garbage is always malformed; reading
    # is bounded by the update's length anyway.
    if shape.structs > max_structs or shape.placed > max_placed or shape.deleted_ranges > max_deletes:
        raise TooMany
    return shape


Id = tuple[int, int]


def _struct(reader: _Reader, roots: frozenset[str] | None, shape: Shape) -> tuple[int, Id | None, tuple[Id, ...]]:
    """Reads one struct; returns its length in clock units, whether it is an item and what
    its origin is (an item without one: (-1, -1)), and the ids it is placed by."""
    info = reader.byte()
    ref = info & 0x1F
    if ref == GC:
        return _length(reader), None, ()
    if ref == SKIP:
        raise _Malformed("a gap (its structs wait for others)")
    if ref not in (DELETED, STRING):
        raise _Malformed(f"content type {ref}: only text")
    if info & PARENT_SUB:
        raise _Malformed("a map key")
    refs = tuple((reader.varuint(), reader.varuint()) for flag in (ORIGIN, RIGHT_ORIGIN) if info & flag)
    origin = refs[0] if info & ORIGIN else (-1, -1)
    if not info & (ORIGIN | RIGHT_ORIGIN):
        if reader.varuint(1) != 1:
            raise _Malformed("a nested type")
        root = reader.string()
        if roots is not None and root not in roots:
            raise _Malformed(f"root {root[:20]!r} is not one of the sheet's texts")
        shape.roots.add(root)
    if ref == DELETED:
        return _length(reader), origin, refs
    text = reader.string()
    if not text:
        raise _Malformed("an empty string")
    return len(text.encode("utf-16-le")) // 2, origin, refs  # Yjs counts UTF-16 units


def _deleted(reader: _Reader, ranges: int) -> int:
    """Reads a client's deleted ranges (clock, length); returns the end of the last. Inlined
    var-uints: a sync carries the document's every deleted range, often hundreds."""
    raw, at, end = reader.raw, reader.at, 0
    size = len(raw)
    for _ in range(ranges):
        numbers = []
        for _ in range(2):
            value = shift = 0
            while True:
                if at >= size or shift > 49:
                    raise _Malformed("a deleted range cut short or out of range")
                byte = raw[at]
                at += 1
                value |= (byte & 0x7F) << shift
                if byte < 0x80:
                    break
                shift += 7
            numbers.append(value)
        clock, length = numbers
        if not 0 < length <= MAX_LENGTH:
            raise _Malformed("a deleted range empty or too long")
        if clock + length > end:
            end = clock + length
    reader.at = at
    return end


def _length(reader: _Reader) -> int:
    length = reader.varuint(MAX_LENGTH)
    if length == 0:
        raise _Malformed("an empty struct")
    return length


def state_vector(raw: bytes) -> dict[int, int]:
    """A Yjs state vector as {client: clock}."""
    reader = _Reader(raw)
    try:
        clocks = {reader.varuint(): reader.varuint() for _ in range(reader.count())}
        if reader.left():
            raise _Malformed("bytes after the state vector")
        return clocks
    except _Malformed:
        raise Rejected("bad_update", "This is not a Yjs state vector") from None
