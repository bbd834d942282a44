"""A store holding sessions this gamehub cannot open: a format-1 snapshot and a log with a
command it does not know, as development versions that never shipped wrote them, beside one
good session (tests/storage/test_unsupported_sessions.py, tests/process/...served.py)."""

from __future__ import annotations

from dataclasses import replace

from helpers import played_to, session
from sqlalchemy import insert

from gamehub.engine.codec import encode
from gamehub.storage.sql import SqlStore, open_store
from gamehub.storage.store import SessionRecord
from gamehub.storage.tables import commands_table, sessions_table

GOOD, FORMAT_1, OLD_COMMAND = "GOODROOM", "OLDSNAPS", "OLDLOGGD"


def format_1(state) -> dict:
    """`state` as development versions stored it: answers as plain texts with revisions."""
    data = {**encode(state), "format": 1, "groups": []}
    for group in encode(state)["groups"]:
        sheet = group.pop("sheet")
        group["answers"] = [{"text": text, "rev": 0, "by": None} for text in sheet["texts"]]
        data["groups"].append(group)
    return data


def stored(data_dir, now: float) -> SqlStore:
    """A data directory's store with one good session and one of each kind it cannot open."""
    store = open_store(data_dir=data_dir)
    store.create(SessionRecord(replace(session(3, now=now), id=GOOD), "h", "k"))
    planning = played_to("planning", now=now)
    lobby = replace(session(2, now=now), id=OLD_COMMAND)
    with store.engine.begin() as db:
        db.execute(insert(sessions_table).values(id=FORMAT_1, created_at=now, facilitator_hash="h", projector_key="k",
                                                 snapshot=format_1(replace(planning, id=FORMAT_1)),
                                                 snapshot_version=planning.version))
        db.execute(insert(sessions_table).values(id=OLD_COMMAND, created_at=now, facilitator_hash="h",
                                                 projector_key="k", snapshot=encode(lobby),
                                                 snapshot_version=lobby.version))
        db.execute(insert(commands_table).values(
            session_id=OLD_COMMAND, version=lobby.version + 1, event="edit_answer",
            payload={"question": 0, "text": "old", "base_rev": 0}, actor={"role": "participant", "participant": "p1"},
            at=now + 1, cid=None, result={}))
    return store


def one_line_each(lines: list[str]) -> None:
    """One line per session that cannot be opened, naming it and how to delete it."""
    assert len(lines) == 2, lines
    for code, line in zip((FORMAT_1, OLD_COMMAND), sorted(lines, key=lambda line: OLD_COMMAND in line)):
        assert "\n" not in line and f"session {code} cannot be opened" in line
        assert line.endswith(f"gamehub sessions delete {code}")
