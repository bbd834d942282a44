"""A group's sheet: its answers as one shared Yjs document, merged update by update.

The phones edit the document with Yjs; here pycrdt (the Rust port of Yjs) is the server's
peer, so the engine always knows the plain text. pycrdt does no I/O, so the rules stay pure.

A `Sheet` is an immutable value like the rest of the state: the plain texts, who typed in
each answer, which participant each Yjs client id belongs to, and the document as base64 Yjs
updates (a `base` holding the whole document as of the last compaction, plus the `tail` of
updates since). The live pycrdt document is kept beside the value and handed on to the sheet
that an update makes, the way `Session.with_group` hands on its index; any other holder of
the old value rebuilds it from the updates when it needs it, merged into one update first
(one apply, not one per update). Whoever uses a live document takes it first, so no two
threads ever use one at once (a store catching up from its log may replay beside the hub).

Every update is read by `ywire` before pycrdt applies it: the sheet takes only plain text in
the deck's roots, from client ids of the sender's own, building only on what the server
holds, within the caps below; so pycrdt's merge cost stays bounded and nothing that is not
an answer is stored or passed on (docs/security.md, "Shared sheets").
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import threading
from dataclasses import dataclass, field

import pycrdt

from . import ywire
from .errors import Rejected

MAX_UPDATE = 65_536  # base64 characters in one update: a paste of four full answers fits
# A state vector names every client id of the sheet (up to 8 bytes each): room for all of
# MAX_CLIENTS for each member of a large group.
MAX_STATE_VECTOR = 16_384
# What pycrdt may have to do for one update is about the structs it places times the structs
# already between their neighbours: these two caps bound it (docs/performance.md, "Hostile sheet
# updates, and loading a full room's sheets").
MAX_UPDATE_STRUCTS = 1_000  # structs (runs of typed or deleted text) in one update
MAX_UPDATE_PLACED = 32  # of those, placed by a search: not typed right after the one before
MAX_UPDATE_DELETES = 4_000  # deleted ranges in one update (a sync sends the document's every one)
MAX_SHEET_STRUCTS = 16_000  # structs in a sheet's document, counted as its stored updates hold them
MAX_SHEET_SIZE = 262_144  # base64 characters of a sheet's stored document
# Yjs client ids per participant and sheet: a new one per page load or rebuild, and phones
# reload often (a locked screen, a dropped wifi), so a long planning phase must never run out.
MAX_CLIENTS = 100
COMPACT_AFTER = 64  # updates in the tail before they are merged into the base
EMPTY_STATE_VECTOR = "AA=="
SHEET_GRACE = 30.0  # seconds after planning ends in which sheet updates are still merged
SERVER = ""  # owner of client ids a strict sheet held unclaimed (none: its first update claims all)


def text_name(question: int) -> str:
    """The root `Y.Text` of a question in the document (docs/protocol.md)."""
    return f"q{question}"


def sheet_id(grouping_draw: int | None, number: int) -> str:
    """A sheet's id: new for every grouping, so an old grouping's text never merges into a new one."""
    return f"{grouping_draw}.{number}"


_taking = threading.Lock()  # guards only the hand-over of live documents, never their use


class _Live:
    """A pycrdt document with its texts, and which of them the last update changed."""

    def __init__(self, questions: int, updates: tuple[bytes, ...]):
        # Multithreading allowed: in threading mode, commands of one session run one at a
        # time (the hub's lock) but not always on the same thread.
        self.doc = pycrdt.Doc(allow_multithreading=True)
        self.texts = [self.doc.get(text_name(q), type=pycrdt.Text) for q in range(questions)]
        self.changed: set[int] = set()
        self._subscriptions = [text.observe(functools.partial(self._note, q)) for q, text in enumerate(self.texts)]
        if updates:
            # Applied one by one, each update's structs would be integrated against all the
            # earlier ones in turn; merged, the document is built in one pass.
            self.doc.apply_update(updates[0] if len(updates) == 1 else pycrdt.merge_updates(*updates))
        self.changed.clear()

    def _note(self, question: int, _event) -> None:
        self.changed.add(question)


@dataclass(frozen=True)
class Sheet:
    """A group's answers: plain texts, authors, and the Yjs document they come from."""

    id: str
    texts: tuple[str, ...]
    authors: tuple[tuple[str, ...], ...]  # per answer, the participants who typed in it, first first
    # The document, as base64 updates. Two sheets with the same texts and authors are equal,
    # however their updates were merged.
    base: str = field(default="", compare=False)
    tail: tuple[str, ...] = field(default=(), compare=False)
    # Who may write under each Yjs client id: (client id, participant id), in claim order.
    clients: tuple[tuple[int, str], ...] = field(default=(), compare=False)
    structs: int = field(default=0, compare=False)  # structs and deleted ranges in `base` and `tail`
    # False for a sheet stored by a gamehub from before these checks (decoded without this
    # field): its logged updates must replay as they were taken, so it keeps taking updates
    # that build on what it lacks, placed apart without a cap, and its held client ids go to
    # whoever writes under them first. Every sheet made since (each new grouping) is strict.
    strict: bool = field(default=True, compare=False)

    @classmethod
    def blank(cls, sheet_id_: str, questions: int) -> Sheet:
        return cls(id=sheet_id_, texts=("",) * questions, authors=((),) * questions)

    @property
    def updates(self) -> tuple[str, ...]:
        return ((self.base,) if self.base else ()) + self.tail

    def _take(self) -> _Live:
        """This sheet's live document, for the caller alone until it is given back (if ever)."""
        with _taking:
            live = self.__dict__.pop("_live_doc", None)
        return live or _Live(len(self.texts), tuple(base64.b64decode(u) for u in self.updates))

    def _give(self, live: _Live) -> None:
        with _taking:
            self.__dict__.setdefault("_live_doc", live)

    def merged(self, update: str, author: str, limit: int) -> tuple[Sheet, tuple[int, ...]]:
        """This sheet with a base64 Yjs update merged in, and the answers whose text changed.

        Rejected, with this sheet and its live document unchanged, if the update is malformed,
        holds anything but the answers' plain text, writes under another participant's client
        id, builds on changes the server does not have, passes a cap, or an answer would pass
        `limit` characters."""
        if len(update) > MAX_UPDATE:
            raise Rejected("update_too_large", f"An update is at most {MAX_UPDATE} characters", TOO_LARGE)
        raw = decode_b64(update, "update")
        roots = frozenset(text_name(q) for q in range(len(self.texts)))
        try:
            shape = ywire.read(raw, roots, MAX_UPDATE_STRUCTS, MAX_UPDATE_PLACED if self.strict else None,
                               MAX_UPDATE_DELETES)
        except ywire.TooMany:
            raise Rejected("update_too_large", f"An update holds at most {MAX_UPDATE_STRUCTS} structs, "
                                               f"{MAX_UPDATE_PLACED} of them placed apart, and "
                                               f"{MAX_UPDATE_DELETES} deleted ranges", TOO_LARGE) from None
        live = self._take()
        try:
            claimed = self._claims(shape, author, ywire.state_vector(live.doc.get_state()))
            structs, compact = self.structs + shape.structs, len(self.tail) + 1 >= COMPACT_AFTER
            if structs > MAX_SHEET_STRUCTS and self.tail:  # what the tail comes to, merged
                structs, compact = _structs(live.doc.get_update(), self.structs) + shape.structs, True
            if structs > MAX_SHEET_STRUCTS:
                raise _full()
        except Rejected:
            self._give(live)
            raise
        live.changed.clear()
        try:
            with refused_as("bad_update", "pycrdt could not apply this update"):
                live.doc.apply_update(raw)
            changed = tuple(sorted(live.changed))
            texts, authors = list(self.texts), list(self.authors)
            for q in changed:
                text = str(live.texts[q])
                if len(text) > limit:
                    raise Rejected("too_long", f"Answer {q + 1} would be {len(text)} characters; "
                                               f"an answer is at most {limit}",
                                   {"question": q, "length": len(text), "limit": limit})
                texts[q] = text
                if author not in authors[q]:
                    authors[q] = (*authors[q], author)
            base, tail = self.base, (*self.tail, update)
            if compact or len(base) + sum(map(len, tail)) > MAX_SHEET_SIZE:
                # Every struct the document holds is integrated (none waits for a predecessor:
                # see `_claims`), so its own encoding is the whole of it, typed runs joined;
                # merge_updates keeps what a sheet from before may still hold waiting.
                whole = live.doc.get_update() if self.strict else \
                    pycrdt.merge_updates(*(base64.b64decode(u) for u in (*self.updates, update)))
                base, tail = _b64(whole), ()
                if structs > MAX_SHEET_STRUCTS // 2:  # a bound that is only a sum; reading costs
                    structs = _structs(whole, structs)
                if len(base) > MAX_SHEET_SIZE:
                    raise _full()
        except Rejected:
            # The document took (some of) the update: this sheet's own is made again, once,
            # from its stored updates, so the next update finds it as it was.
            self._give(_Live(len(self.texts), tuple(base64.b64decode(u) for u in self.updates)))
            raise
        sheet = Sheet(id=self.id, texts=tuple(texts), authors=tuple(authors), base=base, tail=tail,
                      clients=self.clients + tuple((client, author) for client in claimed), structs=structs,
                      strict=self.strict)
        sheet._give(live)
        return sheet, changed

    def _claims(self, shape: ywire.Shape, author: str, held: dict[int, int]) -> tuple[int, ...]:
        """The client ids this update claims for `author`; Rejected if it may not be applied."""
        if self.strict:
            self._placeable(shape, held)
        owners = dict(self.clients)
        new = []
        for client, run in shape.runs.items():
            if run[-1][1] <= held.get(client, 0):
                continue  # nothing the server lacks: whoever sends it changes nothing
            owner = owners.get(client, SERVER if client in held and self.strict else None)
            if owner is None:
                new.append(client)
            elif owner != author:
                raise Rejected("not_your_client", "This Yjs client id belongs to someone else: "
                                                  "start a new document", {"client": client})
        if new and sum(1 for owner in owners.values() if owner == author) + len(new) > MAX_CLIENTS:
            raise Rejected("too_many_clients", f"A member writes from at most {MAX_CLIENTS} Yjs client ids "
                                               "in a sheet", {"limit": MAX_CLIENTS})
        return tuple(new)

    @staticmethod
    def _placeable(shape: ywire.Shape, held: dict[int, int]) -> None:
        """Rejected unless everything in the update can be placed on what the server holds."""
        if any(run[0][0] > held.get(client, 0) for client, run in shape.runs.items()):
            raise _lacking()
        # Placed as Yjs places them: a client's structs in clock order, each once the ids it is
        # placed by are there. Whatever cannot be placed would wait in pycrdt, stored for ever.
        clocks, waiting = dict(held), {client: list(reversed(run)) for client, run in shape.runs.items()}
        while waiting:
            placed = False
            for client in list(waiting):
                run = waiting[client]
                while run and (run[-1][1] <= clocks.get(client, 0)  # held: Yjs skips it
                               or all(clock < clocks.get(other, 0) for other, clock in run[-1][2])):
                    clocks[client] = max(clocks.get(client, 0), run.pop()[1])
                    placed = True
                if not run:
                    del waiting[client]
            if not placed:
                raise _lacking()
        if any(end > clocks.get(client, 0) for client, end in shape.deletes.items()):
            raise Rejected("bad_update", "This update deletes what the server does not have: sync first")

    def missing_for(self, state_vector: str) -> str:
        """What a peer with this base64 state vector lacks, as a base64 update."""
        if len(state_vector) > MAX_STATE_VECTOR:
            raise Rejected("bad_update", f"A state vector is at most {MAX_STATE_VECTOR} characters")
        raw = decode_b64(state_vector, "state_vector")
        ywire.state_vector(raw)  # strictly one, before pycrdt reads it
        live = self._take()
        try:
            with refused_as("bad_update", "This is not a Yjs state vector"):
                return _b64(live.doc.get_update(raw))
        finally:
            self._give(live)

    def state_vector(self) -> str:
        """The document's state vector, base64."""
        live = self._take()
        try:
            return _b64(live.doc.get_state())
        finally:
            self._give(live)


TOO_LARGE = {"limit": MAX_UPDATE, "structs": MAX_UPDATE_STRUCTS, "placed": MAX_UPDATE_PLACED,
             "deletes": MAX_UPDATE_DELETES}


def _lacking() -> Rejected:
    return Rejected("bad_update", "This update builds on changes the server does not have: sync first")


def _full() -> Rejected:
    return Rejected("sheet_full", "This sheet is full: it takes no more changes",
                    {"structs": MAX_SHEET_STRUCTS, "size": MAX_SHEET_SIZE})


def _structs(whole: bytes, otherwise: int) -> int:
    """The structs of a document's encoding; `otherwise` if it does not read (a sheet from
    before the checks may hold anything)."""
    try:
        return ywire.read(whole, None, MAX_SHEET_STRUCTS).structs
    except ywire.TooMany:
        return MAX_SHEET_STRUCTS + 1
    except Rejected:
        return otherwise


@contextlib.contextmanager
def refused_as(code: str, message: str):
    """Malformed input that pycrdt cannot read becomes a rejection."""
    try:
        yield
    except Exception:  # ValueError, RuntimeError, whatever pycrdt raises
        raise Rejected(code, message) from None
    except BaseException as error:
        # A panic inside yrs reaches Python as pyo3's PanicException, a BaseException.
        if type(error).__name__ != "PanicException":
            raise
        raise Rejected(code, message) from None


def decode_b64(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("bad_update", f"'{name}' must be base64") from None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
