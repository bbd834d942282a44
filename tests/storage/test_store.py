"""The durable store, on SQLite and on PostgreSQL: the same tests against both."""

from __future__ import annotations

import dataclasses
import subprocess
import time

import pytest
import sqlalchemy

from sheets import Typist

from gamehub.storage import sql as sqlstore
from gamehub.engine import COMMANDS, Actor, Role, Settings, apply
from gamehub.content.formats import load_deck
from gamehub.server.sessions import open_session
from gamehub.storage.tokens import token_hash
from gamehub.storage.sql import SqlStore, commands_table, open_store, sessions_table
from gamehub.storage.shared import SharedSqlStore
from gamehub.storage.store import LogEntry, MemoryStore, VersionConflict

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_up() -> bool:
    try:
        with sqlalchemy.create_engine(sqlstore.normalise_url(POSTGRES_URL)).connect():
            return True
    except sqlalchemy.exc.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """PostgreSQL runs on the development and CI machines; if it is down, start it or fail loudly."""
    if not postgres_up():
        subprocess.run("pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
                       shell=True, timeout=60)
        deadline = time.monotonic() + 30
        while not postgres_up():
            if time.monotonic() > deadline:
                pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} and could not be started")
            time.sleep(0.5)
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def store_factory(request, tmp_path):
    """A function that opens the store (again, as a restarted server would)."""
    opened = []
    if request.param == "memory":
        memory = MemoryStore()

        def open_():
            return memory
    else:
        url = sqlstore.sqlite_url(str(tmp_path / "gamehub.sqlite3")) if request.param == "sqlite" \
            else request.getfixturevalue("postgres_url")

        def open_():
            opened.append(SqlStore(url))
            return opened[-1]

    yield open_
    for store in opened:
        for session_id in created_here:
            store.delete(session_id)
        store.close()
    created_here.clear()


created_here: list[str] = []


def new_session(store):
    record, token = open_session(store, load_deck(), Settings(), now=1000.0)
    created_here.append(record.state.id)
    return record, token


def play(store, record, events):
    """Apply (event, payload, actor) triples the way the hub does, logging each."""
    state = record.state
    for i, (event, payload, actor) in enumerate(events):
        command = COMMANDS[event].from_payload(payload)
        if event == "join":
            command = dataclasses.replace(command, token_hash=token_hash(f"token-{payload['name']}"))
        outcome = apply(state, command, actor, now=1000.0 + i)
        assert outcome.ok, outcome.error.to_dict()
        state = outcome.state
        store.append(state.id, state, LogEntry(version=state.version, event=event,
                                               payload=dataclasses.asdict(command),
                                               actor={"role": actor.role.value, "participant": actor.participant_id},
                                               at=1000.0 + i, cid=f"c{state.version}", result=outcome.result))
    return state


GUEST, FACILITATOR = Actor(Role.GUEST), Actor(Role.FACILITATOR)


def a_game():
    joins = [("join", {"name": f"P{i}", "title": f"T{i}", "pitch": "p"}, GUEST) for i in range(9)]
    return joins + [("form_groups", {"from_phase": "lobby"}, FACILITATOR),
                    ("pick_stories", {"from_phase": "groups"}, FACILITATOR),
                    ("start_planning", {"from_phase": "stories", "minutes": 20}, FACILITATOR)]


def test_a_session_comes_back_whole_from_a_reopened_store(store_factory):
    store = store_factory()
    record, _ = new_session(store)
    state = play(store, record, a_game())
    member, mate = state.groups[0].members[:2]
    sheet, phone, mates_phone = state.groups[0].sheet.id, Typist(), Typist()  # each member's own
    typed = phone.append(1, "Ünïcode ✓ and\nnewlines 😀")
    mates_phone.apply(typed)
    state = play(store, dataclasses.replace(record, state=state), [
        ("sheet_update", {"sheet": sheet, "update": typed}, Actor(Role.PARTICIPANT, member)),
        ("sheet_update", {"sheet": sheet, "update": mates_phone.insert(1, 8, "(mate) ")},
         Actor(Role.PARTICIPANT, mate))])
    assert state.groups[0].texts[1] == "Ünïcode (mate) ✓ and\nnewlines 😀"

    again = store_factory().get(record.state.id)
    assert again.state == state
    assert again.state.groups[0].texts[1].encode("utf-8") == state.groups[0].texts[1].encode("utf-8")
    assert again.state.groups[0].sheet.authors[1] == (member, mate)
    assert again.state.groups[0].sheet.updates == state.groups[0].sheet.updates
    assert again.state.timer.deadline == state.timer.deadline  # a deadline, not a countdown
    assert again.facilitator_hash == record.facilitator_hash and again.projector_key == record.projector_key
    assert [e.version for e in store_factory().log(record.state.id)] == list(range(1, state.version + 1))


def test_replay_from_a_snapshot_gives_the_same_state(store_factory, monkeypatch):
    monkeypatch.setattr(sqlstore, "SNAPSHOT_EVERY", 5)
    store = store_factory()
    record, _ = new_session(store)
    state = play(store, record, a_game())  # 12 commands: snapshots at 5 and 10, then a tail of 2
    assert store_factory().get(record.state.id).state == state


def test_a_command_id_finds_its_logged_command(store_factory):
    store = store_factory()
    record, _ = new_session(store)
    play(store, record, a_game()[:3])
    entry = store_factory().find_cid(record.state.id, "c2")
    assert entry.version == 2 and entry.result == {"participant_id": "p2"}
    assert store_factory().find_cid(record.state.id, "nope") is None
    # The same, on the store that wrote them, and on one that loaded the session (a restart).
    assert store.find_cid(record.state.id, "c3").version == 3 and store.find_cid(record.state.id, "c9") is None
    reopened = store_factory()
    assert reopened.get(record.state.id) is not None
    assert reopened.find_cid(record.state.id, "c1").version == 1
    assert reopened.find_cid(record.state.id, "c4") is None


def test_deleting_a_session_removes_all_its_data(store_factory):
    store = store_factory()
    record, _ = new_session(store)
    play(store, record, a_game()[:3])
    assert store.delete(record.state.id) is True
    reopened = store_factory()
    assert reopened.get(record.state.id) is None and reopened.log(record.state.id) == []
    assert record.state.id not in reopened.session_ids()
    assert store.delete(record.state.id) is False
    if isinstance(store, SqlStore):
        with store.engine.connect() as db:
            for table in (sessions_table, commands_table):
                column = table.c.id if table is sessions_table else table.c.session_id
                assert db.execute(sqlalchemy.select(column).where(column == record.state.id)).first() is None


def test_purge_deletes_only_sessions_idle_since_the_cutoff(store_factory):
    store = store_factory()
    old, _ = new_session(store)  # created at t=1000, no activity since
    busy, _ = new_session(store)
    store.append(busy.state.id, *_one_more_join(busy.state, at=5000.0))
    purged = store.purge(before=2000.0)
    assert old.state.id in purged and busy.state.id not in purged
    assert store_factory().get(old.state.id) is None and store_factory().get(busy.state.id) is not None


def _one_more_join(state, at):
    command = dataclasses.replace(COMMANDS["join"].from_payload({"name": "Later"}), token_hash="h-later")
    outcome = apply(state, command, GUEST, now=at)
    return outcome.state, LogEntry(version=outcome.state.version, event="join", payload=dataclasses.asdict(command),
                                   actor={"role": "guest", "participant": None}, at=at)


def test_rekey_replaces_the_facilitator_hash(store_factory):
    store = store_factory()
    record, _ = new_session(store)
    assert store.rekey(record.state.id, "new-hash") is True
    assert store_factory().get(record.state.id).facilitator_hash == "new-hash"
    assert store.rekey("NOSUCHID", "x") is False


@pytest.mark.parametrize("store_factory", ["sqlite", "postgresql"], indirect=True)
def test_two_writers_cannot_both_write_the_same_version(store_factory):
    # Only the SQL stores are shared by several processes; the memory store lives in one.
    store = store_factory()
    record, _ = new_session(store)
    state = play(store, record, a_game()[:1])
    with pytest.raises(VersionConflict):
        store.append(record.state.id, state, LogEntry(version=state.version, event="join", payload={},
                                                      actor={}, at=0.0))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_shared_store_sees_what_another_process_stored_and_loses_no_update(kind, request, tmp_path):
    """Two stores on one database stand for two server processes."""
    url = sqlstore.sqlite_url(str(tmp_path / "shared.sqlite3")) if kind == "sqlite" \
        else request.getfixturevalue("postgres_url")
    first, second = SharedSqlStore(url), SharedSqlStore(url)
    try:
        record, _ = new_session(first)
        assert second.get(record.state.id).state.version == record.state.version
        state = play(first, record, a_game()[:3])
        assert second.get(record.state.id).state == state  # caught up from the log
        # A write made on the state of before cannot land over the first process's writes.
        with pytest.raises(VersionConflict):
            second.append(record.state.id, state, LogEntry(version=state.version, event="join", payload={},
                                                           actor={}, at=0.0))
        assert first.delete(record.state.id)
        assert second.get(record.state.id) is None
    finally:
        first.delete(record.state.id)
        first.close(), second.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_processes_taking_turns_on_one_sheet_both_end_with_every_keystroke(kind, request, tmp_path):
    """Each store catches up from the log (replaying the other's sheet updates) before it applies its own."""
    url = sqlstore.sqlite_url(str(tmp_path / "shared.sqlite3")) if kind == "sqlite" \
        else request.getfixturevalue("postgres_url")
    stores = SharedSqlStore(url), SharedSqlStore(url), SqlStore(url)  # the last loads at the end
    record, _ = new_session(stores[0])
    try:
        state = play(stores[0], record, a_game())
        group = state.groups[0]
        phones = {pid: Typist() for pid in group.members[:2]}
        for k in range(40):
            store, pid = stores[k % 2], group.members[k % 2]
            current = store.get(record.state.id).state
            command = COMMANDS["sheet_update"].from_payload({"sheet": group.sheet.id,
                                                             "update": phones[pid].append(k % 2, f"{k}ü,")})
            actor = Actor(Role.PARTICIPANT, pid)
            outcome = apply(current, command, actor, now=2000.0 + k)
            assert outcome.ok, outcome.error.to_dict()
            store.append(record.state.id, outcome.state, LogEntry(
                version=outcome.state.version, event="sheet_update", payload=command.as_record(),
                actor={"role": "participant", "participant": pid}, at=2000.0 + k))
        expected = ("".join(f"{k}ü," for k in range(0, 40, 2)), "".join(f"{k}ü," for k in range(1, 40, 2)), "", "")
        for store in stores:
            assert store.get(record.state.id).state.groups[0].texts == expected
    finally:
        stores[0].delete(record.state.id)
        for store in stores:
            store.close()


def test_sqlite_runs_in_wal_mode_in_a_private_data_dir(tmp_path):
    store = open_store(data_dir=tmp_path / "data")
    try:
        with store.engine.connect() as db:
            assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert (tmp_path / "data" / "gamehub.sqlite3").exists()
        assert (tmp_path / "data").stat().st_mode & 0o077 == 0
    finally:
        store.close()


def test_a_database_url_selects_postgresql(postgres_url):
    store = open_store(database_url=postgres_url)
    try:
        assert store.engine.dialect.name == "postgresql"
    finally:
        store.close()
