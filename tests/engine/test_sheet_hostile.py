"""What a hostile groupmate may send as a sheet update, and what the sheet takes of it
(gamehub/engine/ywire.py, engine/sheet.py; docs/protocol.md, "The group sheet")."""

from __future__ import annotations

import base64
import json
import time

import pycrdt
import pytest
import yjs_craft as y
from helpers import NOW, participant, played_to, rejects, run
from sheets import Typist, typist_for

import gamehub.engine.sheet as sheet_module
from gamehub.engine.codec import decode, encode
from gamehub.engine.game.planning import EditSheet
from gamehub.engine.sheet import MAX_CLIENTS, MAX_UPDATE_PLACED, MAX_UPDATE_STRUCTS, TOO_LARGE, Sheet


def planning():
    return played_to("planning", n_people=8)


def send(state, pid: str, update: str):
    return EditSheet(sheet=state.group_of(pid).sheet.id, update=update), participant(pid), NOW


def accept(state, pid: str, update: str):
    return run(state, *send(state, pid, update))


def bomb(root: str = "x", inserts: int = 3_700, first_client: int = 50_000) -> str:
    """The review's update: one-character inserts at the start of `root`, each from a new client."""
    return y.update({first_client + i: (0, [y.item("a", root=root)]) for i in range(inserts)})


SHAPES = {
    "another root": y.update({7: (0, [y.item("hi", root="x")])}),
    "a fifth answer": y.update({7: (0, [y.item("hi", root="q4")])}),
    "an embed": y.update({7: (0, [y.item("hi", content=y.EMBED)])}),
    "formatting": y.update({7: (0, [y.item("bold", content=y.FORMAT)])}),
    "any content": y.update({7: (0, [y.item("1", content=y.ANY)])}),
    "a map key": y.update({7: (0, [y.item("hi", parent_sub="k")])}),
    "a nested parent": y.update({7: (0, [bytes([y.STRING]) + y.varuint(0) + y.varuint(3) + y.varuint(0)
                                         + y.varstring("hi")])}),
    "a gap (skip)": y.update({7: (0, [bytes([10]) + y.varuint(2), y.item("hi")])}),
    "a struct past what the server holds": y.update({7: (5, [y.item("hi")])}),
    "an origin the server lacks": y.update({7: (0, [y.item("hi", origin=(99, 0))])}),
    "an origin that is the item itself": y.update({7: (0, [y.item("hi", origin=(7, 0))])}),
    "two items placed by each other": y.update({7: (0, [y.item("a", origin=(8, 0))]),
                                                8: (0, [y.item("b", origin=(7, 0))])}),
    "a deletion of what the server lacks": y.update({}, {99: [(0, 3)]}),
    "bytes after the delete set": y.update({7: (0, [y.item("hi")])}) + "AA==",
    "invalid UTF-8": base64.b64encode(base64.b64decode(y.update({7: (0, [y.item("hi")])})).replace(b"hi", b"\xff\xfe"))
    .decode(),
    "the review's bomb": bomb(),
}


@pytest.mark.parametrize("update", list(SHAPES.values()), ids=list(SHAPES))
def test_anything_but_plain_text_in_the_decks_answers_is_a_bad_update_and_changes_nothing(update):
    state = planning()
    pid = state.group(1).members[0]
    state = accept(state, pid, Typist().append(0, "kept"))
    before = state.group(1).sheet
    started = time.perf_counter()
    rejects(state, *send(state, pid, update)[:2], code="bad_update")
    assert time.perf_counter() - started < 0.5
    assert state.group(1).sheet.updates == before.updates
    assert accept(state, pid, typist_for(state, 1).append(0, "!")).group(1).texts == ("kept!", "", "", "")


def test_an_update_under_a_groupmates_client_id_is_refused_and_her_real_edit_is_kept():
    state = planning()
    ada, bo = state.group(1).members[:2]
    phone = Typist()
    state = accept(state, ada, phone.append(0, "Ada's"))
    # Bo writes under Ada's client id at its next clocks, as if he were her phone.
    forged = y.update({phone.doc.client_id: (5, [y.item(" forged", origin=(phone.doc.client_id, 4))])})
    error = rejects(state, *send(state, bo, forged)[:2], code="not_your_client")
    assert error.details == {"client": phone.doc.client_id}
    state = accept(state, ada, phone.append(0, " answer"))  # her next edit, at those clocks
    assert state.group(1).texts[0] == "Ada's answer"
    # Claims survive the stored form (a restart). What the server holds already changes
    # nothing, whoever sends it; Ada's next clocks are still hers.
    stored = decode(encode(state))
    assert accept(stored, bo, forged).group(1).texts[0] == "Ada's answer"
    clock = len("Ada's answer")
    forged = y.update({phone.doc.client_id: (clock, [y.item("!", origin=(phone.doc.client_id, clock - 1))])})
    rejects(stored, *send(stored, bo, forged)[:2], code="not_your_client")
    assert accept(stored, ada, phone.append(0, ".")).group(1).texts[0] == "Ada's answer."


def test_a_member_writes_from_a_bounded_number_of_client_ids():
    state = planning()
    pid = state.group(1).members[0]
    for k in range(MAX_CLIENTS):
        state = accept(state, pid, typist_for(state, 1).append(1, "."))  # a new page load each time
    error = rejects(state, *send(state, pid, typist_for(state, 1).append(1, "."))[:2], code="too_many_clients")
    assert error.details == {"limit": MAX_CLIENTS}
    other = state.group(1).members[1]
    assert accept(state, other, typist_for(state, 1).append(1, "!")).group(1).texts[1] == "." * MAX_CLIENTS + "!"


def test_an_update_with_too_many_structs_is_too_large():
    state = planning()
    pid = state.group(1).members[0]
    # Typed one after the other: each is placed next to the one before, without a search.
    update = y.update({7: (0, [y.item("a", origin=(7, k - 1) if k else None) for k in range(MAX_UPDATE_STRUCTS + 1)])})
    rejects(state, *send(state, pid, update)[:2], code="update_too_large")
    within = y.update({7: (0, [y.item("a", origin=(7, k - 1) if k else None) for k in range(MAX_UPDATE_STRUCTS)])})
    assert accept(state, pid, within).group(1).texts[0] == "a" * MAX_UPDATE_STRUCTS


def test_an_update_with_too_many_structs_placed_apart_is_too_large():
    state = planning()
    pid = state.group(1).members[0]
    state = accept(state, pid, y.update({7: (0, [y.item("x" * 40)])}))
    # Each after another character of what the server holds: each placed by a search.
    update = y.update({8: (0, [y.item("b", origin=(7, k)) for k in range(MAX_UPDATE_PLACED + 1)])})
    error = rejects(state, *send(state, pid, update)[:2], code="update_too_large")
    assert error.details == TOO_LARGE
    within = y.update({8: (0, [y.item("b", origin=(7, k)) for k in range(MAX_UPDATE_PLACED)])})
    assert accept(state, pid, within).group(1).texts[0] == "x" * 40 + "b" * MAX_UPDATE_PLACED  # none knew the end


def test_a_full_sheet_takes_no_more_and_says_so(monkeypatch):
    monkeypatch.setattr(sheet_module, "MAX_SHEET_STRUCTS", 30)
    state = planning()
    pid = state.group(1).members[0]
    client, clock = 7, 0
    for k in range(3):  # ten runs each, placed apart: they stay ten structs
        state = accept(state, pid, y.update({client: (clock, [y.item("ab") for _ in range(10)])}))
        clock += 20
    error = rejects(state, *send(state, pid, y.update({client: (clock, [y.item("z")])}))[:2], code="sheet_full")
    assert error.details == {"structs": 30, "size": sheet_module.MAX_SHEET_SIZE}


def test_the_limit_holds_for_the_merged_text_and_a_refusal_leaves_the_live_document_in_place(monkeypatch):
    state = planning()
    ada, bo = state.group(1).members[:2]
    state = accept(state, ada, Typist().append(0, "x" * 1500))
    sheet = state.group(1).sheet
    live = sheet._take()
    sheet._give(live)
    for bad in (bomb(), "AAAA", SHAPES["an embed"]):
        rejects(state, *send(state, bo, bad)[:2], code="bad_update")
        assert sheet.__dict__.get("_live_doc") is live  # refused before pycrdt saw it: kept as it was
    built = []
    monkeypatch.setattr(sheet_module._Live, "__init__", _counting(sheet_module._Live.__init__, built))
    rejects(state, *send(state, bo, Typist().append(0, "y" * 600))[:2], code="too_long")
    assert len(built) == 1  # applied, then made again once from the stored updates
    assert str(sheet._take().texts[0]) == "x" * 1500


def _counting(init, built):
    def counted(self, questions, updates):
        built.append(len(updates))
        init(self, questions, updates)
    return counted


def test_a_document_is_rebuilt_with_one_apply_of_the_merged_stored_updates(monkeypatch):
    phone = Typist()
    sheet = Sheet.blank("0.1", 4)
    for k in range(40):
        sheet, _ = sheet.merged(phone.append(k % 4, "ab"), "p1", 2000)
    applied = []
    apply = pycrdt.Doc.apply_update
    monkeypatch.setattr(pycrdt.Doc, "apply_update", lambda doc, update: (applied.append(update), apply(doc, update)))
    copy = Sheet(id=sheet.id, texts=sheet.texts, authors=sheet.authors, base=sheet.base, tail=sheet.tail)
    assert len(copy.updates) == 40
    assert copy.state_vector() == sheet.state_vector()
    assert len(applied) == 1


def test_whatever_pycrdt_raises_is_a_bad_update(monkeypatch):
    state = planning()
    pid = state.group(1).members[0]

    def broken(doc, update):
        raise RuntimeError("yrs could not integrate")
    monkeypatch.setattr(pycrdt.Doc, "apply_update", broken)
    rejects(state, *send(state, pid, Typist().append(0, "x"))[:2], code="bad_update")


def test_a_sheet_stored_before_the_checks_replays_what_it_took_and_its_ids_go_to_their_first_writer():
    state = planning()
    ada, bo = state.group(1).members[:2]
    phone = Typist()
    state = accept(state, ada, phone.append(0, "old"))
    data = json.loads(json.dumps(encode(state)))  # a copy: encode's dicts are shared
    for group in data["groups"]:
        for key in ("clients", "structs", "strict"):
            del group["sheet"][key]
    old = decode(data)  # as a gamehub from before stored it
    assert old.group(1).sheet.strict is False and decode(encode(state)).group(1).sheet.strict is True
    # What such a gamehub took, and logged: an update ahead of the one it builds on.
    missing, waiting = phone.append(0, " A"), phone.append(0, "B")
    later = accept(accept(old, ada, waiting), ada, missing)
    assert later.group(1).texts[0] == "old AB"
    # Ada's client id was held unclaimed: her update claimed it, so Bo cannot write under it.
    client, clock = phone.doc.client_id, len("old AB")
    forged = y.update({client: (clock, [y.item("!", origin=(client, clock - 1))])})
    rejects(later, *send(later, bo, forged)[:2], code="not_your_client")
    assert decode(encode(later)).group(1).sheet.strict is False
