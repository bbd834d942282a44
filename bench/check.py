"""Nothing lost: what the server holds for each group's sheet, against every update sent.

The server's document for a group is read back twice: live (`sheet_sync` from an empty state
vector, by one member) and as stored (`gamehub export` after the servers stopped). Its state
vector says, for each phone's Yjs client, up to which clock the server has integrated that
phone's changes, so each update sent (its items are `[clock_from, clock)` of its client) is
either in the server's document or not. With the ack each one got, that sorts them:

- acknowledged and there: as it should be;
- acknowledged and not there, with an earlier update of the same phone that is not there
  either and was never acknowledged: **stranded**. The bench dropped that earlier update when
  its ack timed out (`bench.typists.send`; a page would resynchronise), so the later ones sit
  pending in the server's document, stored in its log but not integrated: not the server's
  loss, and counted apart;
- acknowledged and not there otherwise: **lost**, the server's fault;
- not acknowledged (the ack timed out, or the send was refused) but there: **applied, ack not
  received** (with when the late ack came, if it came before the phones closed);
- not acknowledged and not there: not applied, and never said to be.

Then the answers themselves, live and as stored, must be exactly the document that the
updates the server integrated make together.
"""

from __future__ import annotations

import base64
from collections import Counter, defaultdict

import pycrdt

from .typists import QUESTIONS, read_state_vector, text_name


def texts_of(updates: list[str]) -> tuple[list[str], dict[int, int]]:
    """The answers and state vector of the document these base64 updates make together."""
    doc = pycrdt.Doc()
    texts = [doc.get(text_name(q), type=pycrdt.Text) for q in range(QUESTIONS)]
    for update in updates:
        doc.apply_update(base64.b64decode(update))
    return [str(t) for t in texts], read_state_vector(doc.get_state())


def _sent_from_acked(updates: list[dict]) -> list[dict]:
    """Without the record of every send (a run cut short): the acknowledged ones alone."""
    return [{**u, "clock_from": None, "outcome": "acked", "late": None} for u in updates]


def sort_sent(sent: list[dict], vector: dict[int, int]) -> dict[str, list[dict]]:
    """One group's updates, sorted by what became of them (see the module's docstring)."""
    out = defaultdict(list)
    by_client = defaultdict(list)
    for u in sent:
        by_client[u["client"]].append(u)
    for updates in by_client.values():
        gap = None  # the first update of this phone that is not in the server's document
        for u in sorted(updates, key=lambda u: u["clock"]):
            there = vector.get(u["client"], 0) >= u["clock"]
            acked = u["outcome"] == "acked"
            if acked and there:
                out["acked"].append(u)
            elif acked:
                # Behind an update the bench dropped unacknowledged: stranded; behind nothing,
                # or behind an acknowledged one that is missing: lost.
                out["stranded" if gap is not None and gap["outcome"] != "acked" else "lost"].append(u)
            elif there:
                out["applied_unacked"].append(u)
            else:
                out["unapplied_unacked"].append(u)
            if not there and gap is None:
                gap = u
    return out


def check_sheets(updates: list[dict], synced: dict, exported: dict | None, sent: list[dict] | None = None) -> dict:
    """`updates`: the acknowledged sheet updates; `sent`: every update sent, with its outcome
    (None: only the acknowledged ones are known); `synced`: {(session, group): sheet_sync's
    update}; `exported`: {(session, group): [answers]} from `gamehub export`."""
    known = sent is not None
    sent = sent if known else _sent_from_acked(updates)
    by_group = defaultdict(list)
    for u in sent:
        by_group[(u["session"], u["group"])].append(u)
    out = {"groups": len(by_group), "checked": 0, "sent": len(sent), "sent_known": known,
           "acked": 0, "lost": 0, "stranded": 0, "applied_unacked": 0, "unapplied_unacked": 0,
           "late_acks": Counter(), "fields_differ_sync": 0, "fields_differ_export": 0, "not_synced": 0,
           "typed_characters": 0, "detail": []}
    for key, group in sorted(by_group.items()):
        if key not in synced:
            out["not_synced"] += 1
            out["detail"].append(f"session {key[0]} group {key[1]}: no sheet_sync answer")
            continue
        out["checked"] += 1
        server, vector = texts_of([synced[key]])
        sorted_ = sort_sent(group, vector)
        for name in ("acked", "lost", "stranded", "applied_unacked", "unapplied_unacked"):
            out[name] += len(sorted_[name])
        for u in sorted_["applied_unacked"] + sorted_["unapplied_unacked"]:
            late = u.get("late")
            out["late_acks"][f"{u['outcome']}, then {'ok' if late['ok'] else late['code']}"
                             if late else f"{u['outcome']}, no ack before the phones closed"] += 1
        if sorted_["lost"]:
            first = sorted_["lost"][0]
            out["detail"].append(f"session {key[0]} group {key[1]}: {len(sorted_['lost'])} acked updates not on "
                                 f"the server, first from {first['sender']} at clock {first['clock']}")
        # The answers must be what the updates the server integrated make, no more, no less.
        there = sorted_["acked"] + sorted_["applied_unacked"]
        expected, _ = texts_of([u["key"] for u in sorted(there, key=lambda u: u["t_send"] or 0)])
        out["typed_characters"] += sum(len(t) for t in expected)
        for q in range(QUESTIONS):
            if server[q] != expected[q]:
                out["fields_differ_sync"] += 1
                out["detail"].append(f"session {key[0]} group {key[1]} answer {q + 1}: server has "
                                     f"{len(server[q])} characters, the updates it integrated make {len(expected[q])}")
            if exported is None:
                continue
            stored = exported.get(key, [None] * QUESTIONS)[q]
            if stored != expected[q]:
                out["fields_differ_export"] += 1
                out["detail"].append(f"session {key[0]} group {key[1]} answer {q + 1}: the export has "
                                     f"{len(stored or '')} characters, the updates the server integrated make "
                                     f"{len(expected[q])}")
    out["export_checked"] = exported is not None
    if exported is None:
        out["detail"].append("no export: the stored answers were not checked")
    out["late_acks"] = dict(out["late_acks"])
    # The former single figure: acknowledged updates not in the server's document, whatever the cause.
    out["missing_updates"] = out["lost"] + out["stranded"]
    # Nothing lost: no acknowledged update missing but for the bench's own dropped ones, and
    # the answers (live and as stored) exactly what the server integrated, for every group.
    out["nothing_lost"] = (out["lost"] == 0 and out["fields_differ_sync"] == 0
                           and out["fields_differ_export"] == 0 and out["not_synced"] == 0
                           and exported is not None and out["checked"] == out["groups"])
    out["detail"] = out["detail"][:8]
    return out
