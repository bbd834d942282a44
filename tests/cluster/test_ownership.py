"""One owner per session (docs/deployment.md): faults with two processes behind nginx.

Every screen connects through nginx with the session in its URL, so all of them land on the
process nginx hashes the session to, which takes the session's lease (a PostgreSQL advisory
lock). That process is killed with -9 in the middle of planning while every phone is typing;
the phones reconnect through nginx to the other process, which serves the session. Then the
killed process is started again on its port: nginx routes the session to it once more, and the
session is handed back to it while the phones keep typing on the process they moved to.

The phones type as the page does: each change with a client id, resent with the same id until
it is acknowledged. The stored log is then compared with what the phones were told.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cluster import GamehubProcess, Nginx, Peer, RedisServer, Schema, nginx, pg_schema, redis_server
from gamehub.server.cluster.lease import lease_key
from helpers import steps_to_planning
from server_process import SessionLinks
from test_scale_out import join_phones

PHONES = 8
FAILOVER_SECONDS = 10  # the bound: a killed owner's sessions are served again within this
ACK_SECONDS = 2.0  # a command not acknowledged within this counts as one the phone noticed
TYPE_EVERY = 0.2  # each phone types a chunk this often (under its 20 events a second)


@dataclass
class Owned:
    schema: Schema
    redis: RedisServer
    data: Path
    processes: dict[str, GamehubProcess]
    proxy: Nginx
    stack: contextlib.ExitStack
    peers: list[Peer] = field(default_factory=list)
    opened: list[SessionLinks] = field(default_factory=list)

    @property
    def links(self) -> SessionLinks:
        """The session process A opened at its first start (a restarted A resumes it instead)."""
        return self.opened[0]

    @property
    def code(self) -> str:
        return self.links.code

    def connect(self, url: str, role: str, token: str | None = None, name: str = "",
                reconnection: bool = False) -> Peer:
        peer = Peer(url, {"session": self.code, "role": role, **({"token": token} if token else {})},
                    name=name, reconnection=reconnection)
        self.peers.append(peer)
        return peer

    def facilitator(self, name: str) -> Peer:
        return self.connect(self.proxy.url, "facilitator", self.links.facilitator_token,
                            name=name, reconnection=True)

    def start(self, name: str, port: int | None = None) -> GamehubProcess:
        process = GamehubProcess(database_url=self.schema.url, message_queue=self.redis.url, data_dir=self.data,
                                 **({"port": port} if port else {}))
        self.processes[name] = self.stack.enter_context(process)
        return process

    def owner(self) -> int | None:
        """The PID of the process holding the session's lease, read from PostgreSQL's own locks."""
        key = lease_key(self.code) & 0xFFFFFFFFFFFFFFFF
        rows = self.schema.query(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s::bigint::oid "
            "AND l.objid = %s::bigint::oid AND l.objsubid = 1", key >> 32, key & 0xFFFFFFFF)
        assert len(rows) <= 1, rows
        # "gamehub-lease HOST:PID:TAG"; a backend that is ending may show no name for a moment.
        found = re.search(r":(\d+):", rows[0][0]) if rows else None
        return int(found[1]) if found else None

    def wait_owner(self, process: GamehubProcess, timeout: float) -> float:
        """Seconds until `process` holds the session's lease."""
        started = time.monotonic()
        while self.owner() != process.process.pid:
            assert time.monotonic() - started < timeout, f"{process.url} did not own {self.code} within {timeout} s"
            time.sleep(0.05)
        return time.monotonic() - started


@pytest.fixture
def owned(request) -> Iterator[Owned]:
    failed_before = request.session.testsfailed
    with contextlib.ExitStack() as stack:
        schema = stack.enter_context(pg_schema())
        redis = stack.enter_context(redis_server())
        data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gamehub-owned-")))
        running = Owned(schema, redis, data, {}, None, stack)  # type: ignore[arg-type]
        running.opened = running.start("A").sessions
        running.start("B")
        running.proxy = stack.enter_context(nginx([running.processes["A"].port, running.processes["B"].port]))
        stack.callback(lambda: [peer.close() for peer in running.peers])
        yield running
        if request.session.testsfailed > failed_before:
            for name, process in running.processes.items():
                print(f"\n----- gamehub {name} -----\n{process.output[-3000:]}")
            print(f"\n----- nginx -----\n{running.proxy.error_log()}")


class Typist:
    """A phone typing into its own answer as the page does: one chunk at a time, each with a
    client id, resent with the same id (and the same update) until it is acknowledged."""

    def __init__(self, phone: Peer, question: int):
        self.phone, self.question = phone, question
        self.acked: list[tuple[str, str, float, float]] = []  # (cid, chunk, sent at, acked at)
        self.retries: list[tuple[str, float, str]] = []  # (cid, when, why)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self.stop.is_set():
            cid, chunk = f"t{self.question}-{n}", f"{n};"  # short: an answer holds 2,000 characters
            payload = {"sheet": self.phone.sheet, "update": self.phone.typed(self.question, chunk), "cid": cid}
            sent = time.monotonic()
            while True:
                try:
                    reply = self.phone.call("sheet_update", payload, timeout=ACK_SECONDS)
                except Exception as error:  # no ack in time, or not connected just now
                    reply = {"ok": False, "error": {"code": type(error).__name__}}
                if reply.get("ok"):
                    break
                self.retries.append((cid, time.monotonic(), reply["error"]["code"]))
                time.sleep(0.1)
            self.acked.append((cid, chunk, sent, time.monotonic()))
            n += 1
            time.sleep(TYPE_EVERY)

    def since(self, moment: float) -> list[tuple[str, str, float, float]]:
        return [a for a in list(self.acked) if a[3] > moment]


def planning(owned: Owned) -> tuple[Peer, list[Peer]]:
    facilitator = owned.facilitator("facilitator through nginx")
    phones = join_phones(owned, [("nginx", owned.proxy.url)] * PHONES, reconnection=True)  # type: ignore[arg-type]
    facilitator.wait_for(lambda v: len(v["participants"]) == PHONES)
    for event, payload in steps_to_planning(30):
        assert facilitator.call(event, payload)["ok"]
    for phone in phones:
        phone.wait_for(lambda v: v["phase"] == "planning" and v["group"]["answers"] is not None)
        phone.sync_sheet()
    return facilitator, phones


def test_a_killed_owner_s_session_is_served_by_the_other_and_taken_back_after_a_restart(owned):
    target = owned.proxy.upstream_for_loopback(owned.code)
    doomed_name = next(n for n, p in owned.processes.items() if p.port == target)
    survivor = next(p for n, p in owned.processes.items() if n != doomed_name)
    doomed = owned.processes[doomed_name]
    facilitator, phones = planning(owned)
    # Every screen came through nginx to one process, and it owns the session.
    owned.wait_owner(doomed, timeout=5)
    slots = {}
    for phone in phones:
        group = phone.view["group"]
        slots[phone] = [m["id"] for m in group["members"]].index(phone.pid)
    typists = [Typist(phone, slots[phone]) for phone in phones]
    for typist in typists:
        typist.thread.start()
    time.sleep(2)
    assert all(typist.acked for typist in typists)

    # kill -9 mid-planning, with every phone typing.
    killed_at = time.monotonic()
    doomed.kill()
    lease_after = owned.wait_owner(survivor, timeout=FAILOVER_SECONDS)
    served_after = {}
    for typist in typists:
        while not typist.since(killed_at):
            assert time.monotonic() - killed_at < FAILOVER_SECONDS, \
                f"{typist.phone.name}: nothing acknowledged within {FAILOVER_SECONDS} s of the kill"
            time.sleep(0.05)
        served_after[typist.phone.name] = typist.since(killed_at)[0][3] - killed_at
    assert max(served_after.values()) < FAILOVER_SECONDS
    time.sleep(1)

    # The killed process comes back on its port: nginx routes the session to it again (once its
    # 10 s of `fail_timeout` are over), and the session moves back while the phones, still
    # connected to the survivor, keep typing. Any command that waits over ACK_SECONDS or fails
    # is a pause a phone would notice.
    restarted = owned.start(doomed_name, port=doomed.port)
    restarted_at = time.monotonic()
    deadline = restarted_at + 40
    while owned.owner() != restarted.process.pid:
        assert time.monotonic() < deadline, "the restarted process never took its session back"
        # A screen opening the session (a projector) arrives through nginx, as in a room.
        projector = owned.connect(owned.proxy.url, "projector", owned.links.projector_key,
                                  name="projector")
        projector.wait_for(lambda v: v["phase"] == "planning")
        time.sleep(1)
        projector.close()
    handed_at = time.monotonic()
    time.sleep(3)  # typing on after the hand-over
    for typist in typists:
        typist.stop.set()
    for typist in typists:
        typist.thread.join(timeout=10)
        assert not typist.thread.is_alive()

    after_restart = [r for t in typists for r in t.retries if r[1] > restarted_at]
    assert after_restart == [], f"commands that failed or waited over {ACK_SECONDS} s after the restart: {after_restart}"
    waits_after_restart = [a[3] - a[2] for t in typists for a in t.since(restarted_at)]
    assert max(waits_after_restart) < ACK_SECONDS
    near_hand_over = [a[3] - a[2] for t in typists for a in t.acked if abs(a[3] - handed_at) < 2]

    # Nothing acknowledged is lost and nothing is applied twice: the stored log holds each
    # acknowledged change exactly once, with no gap in the versions and nothing else typed.
    rows = owned.schema.query("SELECT version, cid FROM gamehub_commands WHERE session_id = %s AND "
                              "event = 'sheet_update' AND cid LIKE %s", owned.code, "%:t%")
    stored = sorted(cid for _, cid in rows)
    acked = sorted(f"{t.phone.pid}:{cid}" for t in typists for cid, *_ in t.acked)
    assert stored == acked
    [(count, top)] = owned.schema.query("SELECT count(*), max(version) FROM gamehub_commands WHERE session_id = %s",
                                        owned.code)
    assert count == top
    # What everyone sees: each phone's answer is its acknowledged chunks, each once, in order.
    fresh = owned.facilitator("fresh facilitator").wait_for(lambda v: v["version"] == top, timeout=10)
    answers = {m["id"]: g["answers"][i]["text"] for g in fresh["groups"] for i, m in enumerate(g["members"])}
    for typist in typists:
        assert answers[typist.phone.pid] == "".join(chunk for _, chunk, *_ in typist.acked)
    print(f"\nownership: lease taken {lease_after:.2f} s after the kill; phones served again after "
          f"{min(served_after.values()):.2f}-{max(served_after.values()):.2f} s; hand-back "
          f"{handed_at - restarted_at:.1f} s after the restart; slowest ack after the restart "
          f"{max(waits_after_restart):.3f} s, around the hand-over {max(near_hand_over, default=0):.3f} s; "
          f"{len(acked)} changes acknowledged, retries before the restart "
          f"{sum(len(t.retries) for t in typists)}")
