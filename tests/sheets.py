"""A phone's side of the shared group sheet, for tests: a pycrdt peer that types as Yjs does.

The pages edit the sheet with Yjs; pycrdt speaks the same updates, so a `Typist` is what a
phone sends, byte for byte the protocol's (docs/protocol.md, "The group sheet").
"""

from __future__ import annotations

import base64
import itertools

import pycrdt

from gamehub.engine import Actor, Role, Session
from gamehub.engine.game.planning import EditSheet
from gamehub.engine.sheet import EMPTY_STATE_VECTOR, text_name
from helpers import steps_to_planning

_client_ids = itertools.count(1_000)
NOTHING = "AAA="  # Yjs's encoding of an empty update


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class Typist:
    """One phone's copy of one sheet. Each edit returns the update to send, base64."""

    def __init__(self, questions: int = 4, client_id: int | None = None):
        self.doc = pycrdt.Doc(client_id=client_id if client_id is not None else next(_client_ids))
        self.texts = [self.doc.get(text_name(q), type=pycrdt.Text) for q in range(questions)]

    def text(self, question: int) -> str:
        return str(self.texts[question])

    def state_vector(self) -> str:
        return b64(self.doc.get_state())

    def apply(self, update: str) -> None:
        self.doc.apply_update(base64.b64decode(update))

    def missing_for(self, state_vector: str) -> str:
        """What a peer with this state vector lacks (`Y.encodeStateAsUpdate(doc, sv)`)."""
        return b64(self.doc.get_update(base64.b64decode(state_vector)))

    def _offset(self, question: int, index: int) -> int:
        """pycrdt's position for the `index`-th character: it counts UTF-8 bytes, where the
        protocol (and a textarea) counts characters (Yjs itself counts UTF-16 units)."""
        return len(self.text(question)[:index].encode("utf-8"))

    def _change(self, edit) -> str:
        before = self.doc.get_state()
        edit()
        return b64(self.doc.get_update(before))

    def insert(self, question: int, index: int, text: str) -> str:
        return self._change(lambda: self.texts[question].insert(self._offset(question, index), text))

    def append(self, question: int, text: str) -> str:
        return self.insert(question, len(self.text(question)), text)

    def delete(self, question: int, start: int, end: int) -> str:
        """Delete characters start..end (end excluded)."""
        start, end = self._offset(question, start), self._offset(question, end)

        def edit():
            del self.texts[question][start:end]
        return self._change(edit)

    def set_text(self, question: int, new: str) -> str:
        """Replace the text as a textarea binding does: keep the common prefix and suffix."""
        old = self.text(question)
        prefix = 0
        while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
            prefix += 1
        suffix = 0
        while (suffix < min(len(old), len(new)) - prefix
               and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]):
            suffix += 1

        start, end = self._offset(question, prefix), self._offset(question, len(old) - suffix)

        def edit():
            text = self.texts[question]
            if end > start:
                del text[start:end]
            if len(new) - suffix > prefix:
                text.insert(start, new[prefix:len(new) - suffix])
        return self._change(edit)


def typist_for(state: Session, group_number: int) -> Typist:
    """A phone that has synced the group's sheet as the server holds it now."""
    sheet = state.group(group_number).sheet
    typist = Typist(len(sheet.texts))
    typist.apply(sheet.missing_for(EMPTY_STATE_VECTOR))
    return typist


def edit_command(state: Session, pid: str, question: int, text: str) -> EditSheet:
    """The `sheet_update` a member's phone sends to make answer `question` read `text`."""
    group = state.group_of(pid)
    typist = typist_for(state, group.number)
    return EditSheet(sheet=group.sheet.id, update=typist.set_text(question, text))


def member(pid: str) -> Actor:
    return Actor(Role.PARTICIPANT, pid)


class SheetPhone:
    """A phone's copy of its group sheet over a connection (a Screen of tests/conftest.py, or
    anything with `call(event, payload)` and `events(event)`), doing what the pages do."""

    def __init__(self, screen, sheet: str, questions: int = 4):
        self.screen, self.sheet, self.typist = screen, sheet, Typist(questions)

    def text(self, question: int) -> str:
        return self.typist.text(question)

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(self.typist.text(q) for q in range(len(self.typist.texts)))

    def send(self, update: str, cid: str | None = None) -> dict:
        payload = {"sheet": self.sheet, "update": update}
        if cid is not None:
            payload["cid"] = cid
        return self.screen.call("sheet_update", payload)

    def type(self, question: int, text: str, cid: str | None = None) -> dict:
        """Append `text` to an answer and send it; returns the ack."""
        return self.send(self.typist.append(question, text), cid)

    def sync(self) -> dict:
        """`sheet_sync`: take what the server has and this phone lacks, send what it lacks."""
        reply = self.screen.call("sheet_sync", {"sheet": self.sheet, "state_vector": self.typist.state_vector()})
        assert reply["ok"], reply
        self.typist.apply(reply["update"])
        back = self.typist.missing_for(reply["state_vector"])
        if back != NOTHING:
            ack = self.send(back)
            assert ack["ok"], ack
        return reply

    def hear(self) -> list[dict]:
        """Apply every `sheet_update` event received since the last call; returns them."""
        messages = self.screen.events("sheet_update")
        for message in messages:
            assert message["sheet"] == self.sheet, message
            self.typist.apply(message["update"])
        return messages


HOSTILE = "<img src=x onerror=alert(1)>"


def play_to_showcase(room) -> dict:
    """Two groups through the showcase on a conftest `Room`, the last answer of each a piece of
    HTML; returns what each group wrote, by group number."""
    facilitator = room.facilitator()
    phones = {}
    for i in range(8):
        phone, reply = room.join(f"Person {i}", title=f"Story {i}", pitch=f"Pitch {i}")
        phones[reply["participant_id"]] = phone
    for event, payload in steps_to_planning():
        assert facilitator.call(event, payload)["ok"]
    written = {}
    for group in room.state.groups:
        writer = phones[group.members[0]]
        assert writer.call("choose_format", {"format": group.number % 3})["ok"]
        texts = [f"Group {group.number} answer {q}" + (f" {HOSTILE}" if q == 3 else "") for q in range(4)]
        sheet = SheetPhone(writer, group.sheet.id)
        for question, text in enumerate(texts):
            assert sheet.type(question, text)["ok"]
        written[group.number] = texts
    assert facilitator.call("start_showcase", {"from_phase": "planning"})["ok"]
    return written
