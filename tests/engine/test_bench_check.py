"""The benchmark's check sorts every update sent by what became of it: a change applied whose
ack timed out is not lost, an acknowledged change stranded behind one the bench dropped is
counted apart, and only an acknowledged change the server does not have is lost."""

from __future__ import annotations

import base64

import pycrdt

from bench.check import check_sheets
from bench.typists import Typist

KEY = (0, 1)  # session 0, group 1


def sends(typist: Typist, words: list[str], outcomes: list[str]) -> list[dict]:
    """One update per word, typed and taken as bench.typists.send does, with its outcome."""
    out = []
    for word, outcome in zip(words, outcomes):
        typist.type(0, word, 0.0)
        update, _, _, clock_from, clock = typist.take()
        out.append({"key": update, "sender": "P0001", "session": KEY[0], "group": KEY[1], "client": typist.client,
                    "clock_from": clock_from, "clock": clock, "t_send": float(len(out)), "outcome": outcome,
                    "late": {"t": 99.0, "ok": True, "code": None} if outcome == "timeout" else None})
    return out


def server_holding(updates: list[dict]) -> str:
    """The server's document after applying these updates (in this order), as `sheet_sync`
    from an empty state vector returns it."""
    doc = pycrdt.Doc()
    for q in range(4):
        doc.get(f"q{q}", type=pycrdt.Text)
    for u in updates:
        doc.apply_update(base64.b64decode(u["key"]))
    return base64.b64encode(doc.get_update()).decode()


def acked(sent: list[dict]) -> list[dict]:
    return [u for u in sent if u["outcome"] == "acked"]


def test_an_update_applied_whose_ack_timed_out_is_not_lost():
    sent = sends(Typist(1), ["one ", "two ", "three "], ["acked", "timeout", "acked"])
    result = check_sheets(acked(sent), {KEY: server_holding(sent)}, {KEY: ["one two three ", "", "", ""]}, sent)
    assert (result["acked"], result["applied_unacked"], result["lost"], result["stranded"]) == (2, 1, 0, 0)
    assert result["late_acks"] == {"timeout, then ok": 1}
    assert result["nothing_lost"] is True


def test_acknowledged_updates_behind_one_that_never_arrived_are_stranded_not_lost():
    sent = sends(Typist(2), ["one ", "two ", "three ", "four "], ["acked", "timeout", "acked", "acked"])
    # The second never reached the server: the third and fourth wait behind it (Yjs pending).
    server = server_holding([sent[0], sent[2], sent[3]])
    result = check_sheets(acked(sent), {KEY: server}, {KEY: ["one ", "", "", ""]}, sent)
    assert (result["acked"], result["unapplied_unacked"], result["stranded"], result["lost"]) == (1, 1, 2, 0)
    assert result["nothing_lost"] is True  # the bench's doing, not the server's
    # Without the record of every send, the old figure: two acknowledged updates missing.
    old = check_sheets(acked(sent), {KEY: server}, {KEY: ["one ", "", "", ""]})
    assert old["lost"] == 2 and old["nothing_lost"] is False


def test_an_acknowledged_update_the_server_does_not_have_is_lost():
    sent = sends(Typist(3), ["one ", "two "], ["acked", "acked"])
    result = check_sheets(acked(sent), {KEY: server_holding(sent[:1])}, {KEY: ["one ", "", "", ""]}, sent)
    assert result["lost"] == 1 and result["nothing_lost"] is False
    assert "1 acked updates not on the server" in result["detail"][0]


def test_an_export_that_differs_from_what_the_server_integrated_is_caught():
    sent = sends(Typist(4), ["one ", "two "], ["acked", "acked"])
    result = check_sheets(acked(sent), {KEY: server_holding(sent)}, {KEY: ["one ", "", "", ""]}, sent)
    assert result["lost"] == 0 and result["fields_differ_export"] == 1 and result["nothing_lost"] is False
