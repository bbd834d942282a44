"""How long a big session takes to load: 500 people in 125 groups who typed 20,000 sheet updates.

Builds the session in a SQLite store through the path the server uses (the engine's `apply`,
then `SqlStore.append` with the log entry the hub writes), then loads it in a fresh SqlStore,
as a restarted server does (`get`: the last snapshot, decoded, and the log since replayed), and
checks that the loaded texts are the ones typed. Also times a replay of the whole log from the
session's start (what `gamehub.storage.replay` does to audit a session).

    .venv/bin/python scripts/load_figure.py [--people 500] [--updates 20000] [--seed 1] [--keep DIR]

tests/storage/test_sheet_load.py runs `build` and `load` on a small session (no timing there).
"""

from __future__ import annotations

import argparse
import base64
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pycrdt

from gamehub.engine import COMMANDS, Actor, Role, Session, Settings, apply, new_session
from gamehub.engine.sheet import text_name
from gamehub.content.formats import load_deck
from gamehub.storage.replay import replay
from gamehub.storage.sql import SNAPSHOT_EVERY, SqlStore, sqlite_url
from gamehub.storage.store import LogEntry, SessionRecord

FACILITATOR = Actor(Role.FACILITATOR)
PIECES = ["a", "the ", "idea", "s", "ü", " ", "and ", ".", "—", "😀", "AI ", "kids"]


class Phone:
    """One member's Yjs document, typing as the page does: a few characters per update."""

    def __init__(self, client_id: int):
        self.doc = pycrdt.Doc(client_id=client_id)
        self.texts = [self.doc.get(text_name(q), type=pycrdt.Text) for q in range(4)]

    def type(self, question: int, text: str) -> bytes:
        before = self.doc.get_state()
        target = self.texts[question]
        target.insert(len(target), text)  # at the end: pycrdt counts UTF-8 bytes, as len() does here
        return self.doc.get_update(before)


@dataclass
class Built:
    url: str
    code: str
    state: Session  # as the builder's store holds it after the last command
    updates: int
    seconds: float


def build(path: Path, people: int = 500, updates: int = 20_000, seed: int = 1) -> Built:
    """The session, typed into and stored; returns where it is and its final state."""
    url = sqlite_url(str(path))
    store = SqlStore(url)
    rng = random.Random(seed)
    now = 1_000_000.0
    state = new_session("LOADTEST", seed=f"load-{seed}", deck=load_deck(), settings=Settings(max_participants=people),
                        now=now)
    store.create(SessionRecord(state=state, facilitator_hash="not-a-real-hash", projector_key="not-a-real-key"))
    started = time.perf_counter()

    def do(command, actor: Actor) -> None:
        nonlocal state, now
        now += 0.01
        outcome = apply(state, command, actor, now)
        assert outcome.ok, (command.event, outcome.error.to_dict())
        store.append(state.id, outcome.state, LogEntry(
            version=outcome.state.version, event=command.event, payload=command.as_record(),
            actor={"role": actor.role.value, "participant": actor.participant_id}, at=now, result=outcome.result))
        state = outcome.state

    for i in range(people):
        do(COMMANDS["add_participant"](name=f"Person {i}", title=f"Story {i}"), FACILITATOR)
    for event in ("form_groups", "pick_stories", "start_planning"):
        do(COMMANDS[event](), FACILITATOR)
    phones = {pid: Phone(10_000 + k) for k, pid in enumerate(state.participants)}
    sent = 0
    while sent < updates:
        group = state.groups[rng.randrange(len(state.groups))]
        pid = rng.choice(group.members)
        question = rng.randrange(4)
        if len(group.texts[question]) > 1_900:
            continue
        update = base64.b64encode(phones[pid].type(question, rng.choice(PIECES))).decode("ascii")
        do(COMMANDS["sheet_update"](sheet=group.sheet.id, update=update), Actor(Role.PARTICIPANT, pid))
        # The echo: the groupmates' phones merge what was typed, as the pages do.
        for mate in group.members:
            if mate != pid:
                phones[mate].doc.apply_update(base64.b64decode(update))
        sent += 1
    seconds = time.perf_counter() - started
    store.close()
    return Built(url=url, code=state.id, state=state, updates=sent, seconds=seconds)


def load(url: str, code: str) -> tuple[Session, float, float]:
    """The session from a fresh store, as a restarted server loads it; the seconds `get` took,
    and then the seconds to make every group's sheet ready to merge (its live document is
    rebuilt from its stored updates on first use: the first update or sync after a restart)."""
    store = SqlStore(url)
    try:
        started = time.perf_counter()
        record = store.get(code)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        for group in record.state.groups:
            group.sheet.state_vector()
        ready = time.perf_counter() - started
    finally:
        store.close()
    return record.state, seconds, ready


def replay_all(url: str, code: str, start: Session) -> tuple[Session, float]:
    """The session replayed from its first command, and the seconds it took."""
    store = SqlStore(url)
    try:
        started = time.perf_counter()
        state = replay(start, store.log(code))
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return state, seconds


def same_texts(a: Session, b: Session) -> bool:
    return [[t.encode("utf-8") for t in g.texts] for g in a.groups] == \
        [[t.encode("utf-8") for t in g.texts] for g in b.groups]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build the database in this folder and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gamehub-load-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "load.sqlite3"
        path.unlink(missing_ok=True)
        built = build(path, args.people, args.updates, args.seed)
        size = path.stat().st_size + sum(p.stat().st_size for p in folder.glob("load.sqlite3-*"))
        print(f"built: {args.people} people, {len(built.state.groups)} groups, {built.updates} sheet updates, "
              f"{built.state.version} commands in {built.seconds:.1f} s ({size / 1e6:.1f} MB)")
        runs = [load(built.url, built.code) for _ in range(5)]
        loaded = runs[0][0]
        seconds = sorted(r[1] for r in runs)[2]
        ready = sorted(r[2] for r in runs)[2]
        ok = all(r[0] == built.state and same_texts(r[0], built.state) for r in runs)
        since = built.state.version - built.state.version // SNAPSHOT_EVERY * SNAPSHOT_EVERY
        print(f"load in a fresh SqlStore (snapshot + {since} commands since), median of 5: {seconds:.3f} s; "
              f"texts identical: {ok}")
        print(f"then every group's sheet ready to merge (live documents rebuilt), median of 5: {ready:.3f} s")
        start = new_session(loaded.id, seed=loaded.seed, deck=loaded.deck, settings=loaded.settings,
                            now=loaded.created_at)
        replayed, seconds_all = replay_all(built.url, built.code, start)
        ok_all = replayed == built.state and same_texts(replayed, built.state)
        print(f"replay of the whole log from the start: {seconds_all:.3f} s; texts identical: {ok_all}")
        characters = sum(len(t) for g in loaded.groups for t in g.texts)
        print(f"{characters} characters in {len(loaded.groups) * 4} answers")
    return 0 if ok and ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
