"""A group's sheet: its answers as one shared Yjs document, merged update by update.

The phones edit the document with Yjs; here pycrdt (the Rust port of Yjs) is the server's
peer, so the engine always knows the plain text. pycrdt does no I/O, so the rules stay pure.

A `Sheet` is an immutable value like the rest of the state: the plain texts, who typed in
each answer, and the document as base64 Yjs updates (a merged `base` plus the `tail` of
updates since). Rebuilding a document from its updates costs milliseconds, so the live
pycrdt document is kept beside the value and handed on to the sheet that an update makes,
the way `Session.with_group` hands on its index; any other holder of the old value rebuilds
it from the updates when it needs it. Whoever uses a live document takes it first, so no two
threads ever use one at once (a store catching up from its log may replay beside the hub).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import threading
from dataclasses import dataclass, field

import pycrdt

from .errors import Rejected

MAX_UPDATE = 65_536  # base64 characters in one update: a paste of four full answers fits
MAX_STATE_VECTOR = 4_096
COMPACT_AFTER = 64  # updates in the tail before they are merged into the base
EMPTY_STATE_VECTOR = "AA=="
SHEET_GRACE = 30.0  # seconds after planning ends in which sheet updates are still merged


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
        for update in updates:
            self.doc.apply_update(update)
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

    @classmethod
    def blank(cls, sheet_id_: str, questions: int) -> Sheet:
        return cls(id=sheet_id_, texts=("",) * questions, authors=((),) * questions)

    @classmethod
    def with_texts(cls, sheet_id_: str, texts: tuple[str, ...]) -> Sheet:
        """A sheet holding these texts, written by the server's own peer (client id 0, so the
        same texts always make the same document). Only for answers stored by a gamehub from
        before sheets were shared documents: the server never types otherwise."""
        doc = pycrdt.Doc(client_id=0)
        for q, text in enumerate(texts):
            doc[text_name(q)] = pycrdt.Text(text)
        return cls(id=sheet_id_, texts=tuple(texts), authors=((),) * len(texts), base=_b64(doc.get_update()))

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

        Rejected, with this sheet unchanged, if the update is malformed or an answer would
        pass `limit` characters."""
        if len(update) > MAX_UPDATE:
            raise Rejected("update_too_large", f"An update is at most {MAX_UPDATE} characters", {"limit": MAX_UPDATE})
        raw = decode_b64(update, "update")
        # The document moves to the new sheet. If the update is refused after it was applied,
        # it is dropped, and this sheet rebuilds its own from the updates when next asked.
        live = self._take()
        live.changed.clear()
        with refused_as("bad_update", "This is not a Yjs update"):
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
        if len(self.tail) + 1 >= COMPACT_AFTER:
            # merge_updates keeps every struct, even one still waiting for an update it depends
            # on, so the stored document stays exactly the live one.
            base, tail = _b64(pycrdt.merge_updates(*(base64.b64decode(u) for u in (*self.updates, update)))), ()
        else:
            base, tail = self.base, (*self.tail, update)
        sheet = Sheet(id=self.id, texts=tuple(texts), authors=tuple(authors), base=base, tail=tail)
        sheet._give(live)
        return sheet, changed

    def missing_for(self, state_vector: str) -> str:
        """What a peer with this base64 state vector lacks, as a base64 update."""
        if len(state_vector) > MAX_STATE_VECTOR:
            raise Rejected("bad_update", f"A state vector is at most {MAX_STATE_VECTOR} characters")
        raw = decode_b64(state_vector, "state_vector")
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


@contextlib.contextmanager
def refused_as(code: str, message: str):
    """Malformed input that pycrdt cannot read becomes a rejection."""
    try:
        yield
    except ValueError:
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
