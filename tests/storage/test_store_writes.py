"""What one command costs PostgreSQL, read off the wire (libpq's protocol trace of every pooled
connection): on a session this process holds alone, one INSERT committed as it runs, nothing
else; and a connection the server ended is met by one retry, the command applied once.

"Holds alone" is a store that is not `shared`: one process on the database, so its copy of
each session is the truth and no catch-up read precedes a command (what the owner of a session
does when several processes share the database).
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from cluster import Schema, pg_schema
from sheets import Typist
from test_store import play

from gamehub.engine import COMMANDS, Actor, Role, Settings, apply
from gamehub.content.formats import load_deck
from gamehub.server.hub import Hub
from gamehub.server.presence import Connection
from gamehub.server.sessions import open_session
from gamehub.storage.sql import SNAPSHOT_EVERY, SqlStore
from gamehub.storage.shared import SharedSqlStore
from gamehub.storage.store import LogEntry


class Quiet:
    def emit(self, event: str, data: dict, *, to: str, skip_sid: str | None = None) -> None:
        pass


@contextlib.contextmanager
def wire(store: SqlStore) -> Iterator[tempfile._TemporaryFileWrapper]:
    """Trace every connection the store opens from now on, from its first message (so a
    statement psycopg prepared earlier is still known by its name)."""
    trace = tempfile.NamedTemporaryFile(prefix="gamehub-pgtrace-")

    def traced(dbapi_connection, _record) -> None:
        dbapi_connection.pgconn.trace(trace.fileno())

    store.engine.dispose()  # pooled connections opened before would be untraced
    event.listen(store.engine, "connect", traced)
    try:
        yield trace
    finally:
        event.remove(store.engine, "connect", traced)
        store.engine.dispose()
        trace.close()


# One message of libpq's trace: "<date> <time>\t<F|B>\t<length>\t<type>\t<fields>"; the SQL in a
# field may span lines, so messages are told apart by where the next one starts.
MESSAGE = re.compile(r'^\S+ \S+\t([FB])\t\d+\t(\w+)\t ?(.*?)(?=^\S+ \S+\t[FB]\t|\Z)', re.M | re.S)
QUOTED = re.compile(r'"((?:[^"]|"")*)"', re.S)


def sent(trace, since: int = 0) -> tuple[list[str], int]:
    """The statements sent since byte `since` of the trace, one per round trip as the server
    ran them (a simple Query's text, or the SQL of an extended-protocol Execute), and where
    the trace ends now."""
    trace.flush()
    with open(trace.name, encoding="utf-8", errors="replace") as log:
        text = log.read()
    named, unnamed, out = {}, None, []
    for message in MESSAGE.finditer(text):
        side, kind, rest = message.groups()
        if side != "F":
            continue
        fields = QUOTED.findall(rest)
        if kind == "Parse":
            named[fields[0]] = fields[1]
            unnamed = fields[1] if fields[0] == "" else unnamed
        elif kind == "Bind":
            unnamed = named.get(fields[1], unnamed)
        elif message.start() >= since and kind == "Query":
            out.append(fields[0])
        elif message.start() >= since and kind == "Execute":
            out.append(unnamed)
    return out, len(text)


def planning(store: SqlStore):
    """A session in planning with four phones, through the store as the hub would write it."""
    record, _ = open_session(store, load_deck(), Settings(), now=1000.0)
    steps = [("join", {"name": f"P{i}", "title": f"T{i}", "pitch": "p"}, Actor(Role.GUEST)) for i in range(4)]
    steps += [("form_groups", {"from_phase": "lobby"}, Actor(Role.FACILITATOR)),
              ("pick_stories", {"from_phase": "groups"}, Actor(Role.FACILITATOR)),
              ("start_planning", {"from_phase": "stories", "minutes": 20}, Actor(Role.FACILITATOR))]
    return play(store, record, steps)


@pytest.fixture
def schema() -> Iterator[Schema]:
    with pg_schema() as fresh:
        yield fresh


def typing_member(store: SqlStore, hub: Hub, session_id: str):
    """A member of group 1 and a function that types one more word and sends it as a command."""
    group = store.get(session_id).state.groups[0]
    member, phone = group.members[0], Typist()
    connection = Connection(session_id, Role.PARTICIPANT, member)
    count = iter(range(10_000))

    def type_word():
        n = next(count)
        command = COMMANDS["sheet_update"].from_payload({"sheet": group.sheet.id, "update": phone.append(0, f"w{n} ")})
        return hub.execute(session_id, command, connection, cid=f"c{n}")
    return type_word


def test_a_command_on_a_session_held_alone_is_one_insert_committed_as_it_runs(schema):
    store = SqlStore(schema.url)
    try:
        session_id = planning(store).id
        hub = Hub(store, Quiet(), "http://gamehub.test")
        type_word = typing_member(store, hub, session_id)
        with wire(store) as trace:
            for _ in range(7):  # warm: a connection in the pool, the INSERT prepared on the server
                assert type_word().ok
            _, mark = sent(trace)
            version = store.get(session_id).state.version
            assert version % SNAPSHOT_EVERY not in (0, SNAPSHOT_EVERY - 1)  # not a snapshot's turn
            outcome = type_word()
            statements, _ = sent(trace, mark)
        assert outcome.ok and outcome.state.version == version + 1
        # One round trip: the INSERT alone (autocommit), no BEGIN, no COMMIT, no ping, no read.
        assert len(statements) == 1, statements
        assert statements[0].startswith("INSERT INTO gamehub_commands"), statements
        # Committed before execute returned (and so before any ack): another connection sees it.
        rows = schema.query("SELECT cid FROM gamehub_commands WHERE session_id = %s AND version = %s",
                            session_id, version + 1)
        assert rows == [(f"{outcome.state.groups[0].members[0]}:c7",)]
    finally:
        store.close()


def test_the_snapshot_costs_one_more_statement_every_snapshot_every_commands(schema, monkeypatch):
    from gamehub.storage import sql as sqlstore

    monkeypatch.setattr(sqlstore, "SNAPSHOT_EVERY", 20)
    store = SqlStore(schema.url)
    try:
        session_id = planning(store).id
        hub = Hub(store, Quiet(), "http://gamehub.test")
        type_word = typing_member(store, hub, session_id)
        with wire(store) as trace:
            _, mark = sent(trace)
            for _ in range(40 - store.get(session_id).state.version):
                assert type_word().ok
            statements, _ = sent(trace, mark)
        updates = [s for s in statements if s.startswith("UPDATE gamehub_sessions")]
        inserts = [s for s in statements if s.startswith("INSERT INTO gamehub_commands")]
        assert len(updates) == 2 and len(inserts) == len(statements) - 2, statements  # at versions 20 and 40
        assert schema.query("SELECT snapshot_version FROM gamehub_sessions WHERE id = %s", session_id) == [(40,)]
        assert SqlStore(schema.url).get(session_id).state == store.get(session_id).state
    finally:
        store.close()


def test_a_write_on_a_connection_the_server_ended_is_retried_once_and_applied_once(schema):
    store = SqlStore(schema.url)
    opened = []  # the backend of every connection the store opens, the log's own included
    event.listen(store.engine, "connect", lambda dbapi_connection, _record: opened.append(
        dbapi_connection.info.backend_pid))
    store.engine.dispose()  # so that every connection from now on is seen opening
    try:
        session_id = planning(store).id
        hub = Hub(store, Quiet(), "http://gamehub.test")
        type_word = typing_member(store, hub, session_id)
        assert type_word().ok
        ended = [pid for pid in opened if schema.query("SELECT pg_terminate_backend(%s)", pid) == [(True,)]]
        assert ended, "no connection of the store to end"
        before, count = store.get(session_id).state.version, len(opened)

        outcome = type_word()

        # The write met its dead connection and went through on one fresh connection...
        assert len(opened) == count + 1 and opened[-1] not in ended
        assert outcome.ok and outcome.state.version == before + 1
        cids = [cid for (cid,) in schema.query("SELECT cid FROM gamehub_commands WHERE session_id = %s "
                                                "AND cid LIKE %s", session_id, "%:c1")]
        assert len(cids) == 1  # ...once
        assert SqlStore(schema.url).get(session_id).state == outcome.state
    finally:
        store.close()


def test_a_shared_store_tells_a_new_client_id_without_asking_the_database(schema):
    """Shared (several processes, before ownership): a command still reads the log's tail, but
    no longer looks its client id up: the tail brings the ids others stored."""
    first, second = SharedSqlStore(schema.url), SharedSqlStore(schema.url)
    try:
        session_id = planning(first).id
        other = Hub(second, Quiet(), "http://gamehub.test")
        member = second.get(session_id).state.groups[0].members[0]  # loaded here before c0 and c1
        hub = Hub(first, Quiet(), "http://gamehub.test")
        type_word = typing_member(first, hub, session_id)
        assert type_word().ok
        with wire(first) as trace:
            assert type_word().ok
            statements, _ = sent(trace)
        assert any(s.startswith("INSERT") for s in statements), statements
        assert not [s for s in statements if s.startswith("SELECT") and "cid" in s.split("WHERE", 1)[-1]], statements
        # A resend that reached the other process is known there from the tail, not applied again.
        sheet = second.get(session_id).state.groups[0].sheet.id
        assert not second.cid_is_new(session_id, f"{member}:c1")
        again = other.execute(session_id, COMMANDS["sheet_update"].from_payload(
            {"sheet": sheet, "update": Typist().append(1, "x")}), Connection(session_id, Role.PARTICIPANT, member),
            cid="c1")
        assert again.result.get("duplicate") is True
    finally:
        first.close(), second.close()


def write_for(store: SqlStore, state, at: float, cid: str):
    """The next command of a session in planning (a sheet edit by the first member of group 1),
    applied and logged as the hub does, not yet stored."""
    group = state.groups[0]
    command = COMMANDS["sheet_update"].from_payload({"sheet": group.sheet.id, "update": Typist().append(2, cid)})
    actor = Actor(Role.PARTICIPANT, group.members[0])
    outcome = apply(state, command, actor, now=at)
    assert outcome.ok, outcome.error.to_dict()
    return (state.id, outcome.state, LogEntry(version=outcome.state.version, event="sheet_update",
                                              payload=command.as_record(),
                                              actor={"role": "participant", "participant": group.members[0]},
                                              at=at, cid=cid))


def test_several_sessions_writes_share_one_statement_and_one_commit(schema):
    store = SqlStore(schema.url)
    try:
        states = [planning(store) for _ in range(3)]
        writes = [write_for(store, state, 2000.0, f"g{i}") for i, state in enumerate(states)]
        with wire(store) as trace:
            assert store.append_many(writes) == [None, None, None]
            statements, _ = sent(trace)
        assert len(statements) == 1 and statements[0].startswith("INSERT INTO gamehub_commands"), statements
        for session_id, state, _ in writes:
            assert SqlStore(schema.url).get(session_id).state == state == store.get(session_id).state
    finally:
        store.close()


def test_a_batch_with_a_lost_race_tells_only_its_writer(schema):
    from gamehub.storage.store import VersionConflict

    store, other = SqlStore(schema.url), SqlStore(schema.url)
    try:
        states = [planning(store) for _ in range(3)]
        # Another process stores the second session's next version first.
        other.append(*write_for(other, other.get(states[1].id).state, 1999.0, "theirs"))
        writes = [write_for(store, state, 2000.0, f"g{i}") for i, state in enumerate(states)]
        results = store.append_many(writes)
        assert results[0] is None and results[2] is None and isinstance(results[1], VersionConflict)
        versions = schema.query("SELECT session_id, version, cid FROM gamehub_commands WHERE cid IN "
                                "('g0', 'g1', 'g2', 'theirs') ORDER BY cid")
        assert [cid for *_, cid in versions] == ["g0", "g2", "theirs"]  # each once, g1 not over theirs
        assert store.get(states[1].id).state.version == states[1].version + 1  # reloaded: theirs
    finally:
        store.close(), other.close()
