"""Two `gamehub serve` processes sharing sessions: PostgreSQL holds the state, Redis carries
every emit to every process, nginx spreads the phones (docs/deployment.md).

Each test starts its own schema, its own redis-server, its own processes (and nginx), all on
loopback, and stops them by PID at the end (tests/cluster.py). The phones are python-socketio
clients that behave as the page does: whole views, patches merged, older views ignored.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cluster import GamehubProcess, Nginx, Peer, RedisServer, Schema, nginx, pg_schema, redis_server
from sheets import Typist

PHONES = 8  # two groups of four
LIVE_SECONDS = 5  # "live": another process's phone sees an edit within this
CONTESTED_ROUNDS = 20
CONCURRENT_COMMANDS = 50


# -- the cluster ---------------------------------------------------------------------------


@dataclass
class Cluster:
    schema: Schema
    redis: RedisServer
    a: GamehubProcess
    b: GamehubProcess
    stack: contextlib.ExitStack
    peers: list[Peer] = field(default_factory=list)
    proxy: Nginx | None = None

    @property
    def code(self) -> str:
        return self.a.sessions[0].code

    def connect(self, url: str, role: str, token: str | None = None, name: str = "",
                reconnection: bool = False) -> Peer:
        auth = {"session": self.code, "role": role, **({"token": token} if token else {})}
        peer = Peer(url, auth, name=name, reconnection=reconnection)
        self.peers.append(peer)
        return peer

    def facilitator(self, url: str, name: str) -> Peer:
        return self.connect(url, "facilitator", self.a.sessions[0].facilitator_token, name=name)

    def projector(self, url: str, name: str) -> Peer:
        return self.connect(url, "projector", self.a.sessions[0].projector_key, name=name)

    def add_nginx(self) -> Nginx:
        self.proxy = self.stack.enter_context(nginx([self.a.port, self.b.port]))
        return self.proxy

    def stored(self) -> tuple[int, int]:
        """(rows in the command log, highest version) for the session, read from PostgreSQL."""
        [(count, top)] = self.schema.query(
            "SELECT count(*), coalesce(max(version), 0) FROM gamehub_commands WHERE session_id = %s", self.code)
        return count, top

    def close_peers(self) -> None:
        for peer in self.peers:
            peer.close()


@pytest.fixture
def cluster(request) -> Iterator[Cluster]:
    failed_before = request.session.testsfailed
    mode = ["--async-mode", getattr(request, "param", "eventlet")]  # a test may ask for gevent (indirect)
    with contextlib.ExitStack() as stack:
        schema = stack.enter_context(pg_schema())
        redis = stack.enter_context(redis_server())
        # One data dir for both: the processes of one deployment share the secret key.
        data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gamehub-cluster-")))
        a = stack.enter_context(GamehubProcess(database_url=schema.url, message_queue=redis.url, data_dir=data,
                                               extra_args=mode))
        b = stack.enter_context(GamehubProcess(database_url=schema.url, message_queue=redis.url, data_dir=data,
                                               extra_args=mode))
        assert len(a.sessions) == 1, a.output
        # The second process serves the same session; it does not open one of its own.
        assert b.resumed == [a.sessions[0].code] and b.sessions == [], b.output
        running = Cluster(schema, redis, a, b, stack)
        stack.callback(running.close_peers)  # first out: clients before the servers they talk to
        yield running
        if request.session.testsfailed > failed_before:  # shown with the failure's report
            for name, text in (("gamehub A", a.output), ("gamehub B", b.output), ("redis", redis.log()),
                               ("nginx", running.proxy.error_log() if running.proxy else "")):
                print(f"\n----- {name} -----\n{text[-3000:]}")


# -- playing -------------------------------------------------------------------------------


def group_in(view: dict, number: int) -> dict:
    return next(g for g in view["groups"] if g["number"] == number)


def join_phones(cluster: Cluster, urls: list[tuple[str, str]], reconnection: bool = False) -> list[Peer]:
    """Phone i connects to urls[i] = (where, url) and joins with a token it made itself (as the
    page does), which its later connections carry in `auth`."""
    phones = []
    for i, (where, url) in enumerate(urls):
        phone = cluster.connect(url, "phone", name=f"phone {i} on {where}", reconnection=reconnection)
        token = secrets.token_urlsafe(24)
        reply = phone.call("join", {"name": f"Phone {i}", "title": f"Story {i}", "token": token})
        assert reply["ok"], reply
        phone.auth["token"] = token
        phone.where, phone.pid = where, reply["participant_id"]
        phones.append(phone)
    return phones


def start_planning(facilitator: Peer, phones: list[Peer]) -> dict[int, list[Peer]]:
    """Groups, stories, planning. Reshuffles until every group has phones on both processes,
    so each group's edits must cross from one process to the other. Returns phones by group,
    in the order of the group's members (a phone's index there is "its" question)."""
    where = {p.pid: p.where for p in phones}
    reply = facilitator.call("form_groups", {"from_phase": "lobby"})
    for _ in range(20):
        assert reply["ok"], reply
        view = facilitator.wait_for(lambda v: v["version"] >= reply["version"] and v["phase"] == "groups")
        if all(len({where[m["id"]] for m in g["members"]}) == 2 for g in view["groups"]):
            break
        reply = facilitator.call("reshuffle")
    else:
        pytest.fail("20 reshuffles and still a group on one process only")
    for event, payload in (("pick_stories", {"from_phase": "groups"}), ("start_planning", {"from_phase": "stories", "minutes": 30})):
        assert facilitator.call(event, payload)["ok"]
    by_pid = {p.pid: p for p in phones}
    for phone in phones:
        phone.wait_for(lambda v: v["phase"] == "planning" and v["group"]["answers"] is not None)
        phone.sync_sheet()  # as the page does when its sheet appears
    return {g["number"]: [by_pid[m["id"]] for m in g["members"]] for g in view["groups"]}


def chunks_in_order(text: str, chunks: list[str]) -> bool:
    """Every chunk is in the text, in the order given (one phone's typing stays in its order)."""
    at = [text.find(chunk) for chunk in chunks]
    return -1 not in at and at == sorted(at)


# -- two processes, one game ----------------------------------------------------------------


@pytest.mark.parametrize("cluster", ["eventlet", "gevent"], indirect=True)
def test_phones_on_two_processes_play_one_game_live_and_no_update_is_lost(cluster):
    c = cluster
    timings = {}
    facilitator = c.facilitator(c.a.url, "facilitator on A")
    projector = c.projector(c.b.url, "projector on B")
    # Interleaved: even phones on A, odd on B.
    phones = join_phones(c, [("A", c.a.url) if i % 2 == 0 else ("B", c.b.url) for i in range(PHONES)])
    # Joins on either process reach the staff on either process.
    facilitator.wait_for(lambda v: len(v["participants"]) == PHONES, timeout=LIVE_SECONDS)
    projector.wait_for(lambda v: v["participant_count"] == PHONES, timeout=LIVE_SECONDS)
    # The facilitator on A sees the phones on B online too (who is online is shared in Redis).
    facilitator.wait_for(lambda v: all(p["connected"] for p in v["participants"]), timeout=LIVE_SECONDS)
    groups = start_planning(facilitator, phones)
    assert sorted(len(members) for members in groups.values()) == [4, 4]

    # 1. A phone on A and a groupmate on B see each other's typing live; the staff see it too.
    for number, members in groups.items():
        on_a = next(p for p in members if p.where == "A")
        on_b = next(p for p in members if p.where == "B")
        for writer, reader, question in ((on_a, on_b, 0), (on_b, on_a, 1)):
            text = f"group {number}: {writer.name} writes"
            started = time.monotonic()
            assert writer.type(question, text)["ok"]
            reader.wait_for_texts(lambda t: t[question] == text, timeout=LIVE_SECONDS)
            key = f"slowest edit {writer.where}->{reader.where}"
            timings[key] = max(timings.get(key, 0), round(time.monotonic() - started, 3))
        facilitator.wait_for(lambda v: [a["text"] for a in group_in(v, number)["answers"][:2]]
                             == [f"group {number}: {on_a.name} writes", f"group {number}: {on_b.name} writes"],
                             timeout=LIVE_SECONDS)
        projector.wait_for(lambda v: group_in(v, number)["answered"] == 2, timeout=LIVE_SECONDS)

    # 2. One answer typed into from A and from B at the same instant, again and again: both
    # are acknowledged every round (nothing is refused for coming second), every chunk is in
    # the text in each phone's order, and every phone of the group ends with the same text.
    members = groups[1]
    on_a = next(p for p in members if p.where == "A")
    on_b = next(p for p in members if p.where == "B")
    question, rows_before = 2, c.stored()[0]
    for round_ in range(CONTESTED_ROUNDS):
        start = threading.Barrier(2)

        def fire(phone: Peer) -> dict:
            update = phone.typed(question, f"[{phone.where}{round_}]")
            start.wait(timeout=5)
            return phone.call("sheet_update", {"sheet": phone.sheet, "update": update})

        with ThreadPoolExecutor(2) as pool:
            replies = list(pool.map(fire, (on_a, on_b)))
        assert all(r["ok"] for r in replies), f"round {round_}: {replies}"
        time.sleep(0.06)  # each phone stays under its 20 events a second
    assert c.stored()[0] == rows_before + 2 * CONTESTED_ROUNDS  # every update stored, once
    typed = {where: [f"[{where}{r}]" for r in range(CONTESTED_ROUNDS)] for where in "AB"}
    merged = group_in(facilitator.wait_for(
        lambda v: all(chunks_in_order(group_in(v, 1)["answers"][question]["text"], chunks) for chunks in typed.values()),
        timeout=LIVE_SECONDS), 1)["answers"][question]["text"]
    assert len(merged) == sum(len(chunk) for chunks in typed.values() for chunk in chunks)
    for phone in members:
        phone.wait_for_texts(lambda t: t[question] == merged, timeout=LIVE_SECONDS)
    projector.wait_for(lambda v: group_in(v, 1)["answered"] == 3, timeout=LIVE_SECONDS)

    # 3. Fifty commands at once, split across A and B: every one acknowledged, every accepted one
    # stored under its own version, none lost. A phone's sheet updates are sent at once, so they
    # may arrive in any order: each is made on what the server has (as from a tab of its own),
    # since the server refuses an update that builds on one it lacks.
    time.sleep(1.1)  # a fresh rate-limit second for every connection
    _, before = c.stored()
    slot = {p: i for members in groups.values() for i, p in enumerate(members)}  # each phone types in its own answer
    held = {phone: phone.doc.missing_for("AA==") for phone in phones}
    plan, made = [], []
    for k in range(CONCURRENT_COMMANDS):
        phone = phones[k % PHONES]
        if k % 2:
            tab = Typist()
            tab.apply(held[phone])
            update = tab.append(slot[phone], f"<{k}>")
            made.append((phone, update))
            plan.append((phone, "sheet_update", {"sheet": phone.sheet, "update": update}, f"<{k}>"))
        else:
            plan.append((phone, "choose_format", {"format": (k // 2) % 3}, None))
    for phone, update in made:  # the phone has what its tabs typed
        with phone._changed:
            phone.doc.apply(update)
    go = threading.Barrier(CONCURRENT_COMMANDS)

    def send(step):
        phone, event, payload, _ = step
        go.wait(timeout=10)
        return phone.call(event, payload, timeout=30)

    started = time.monotonic()
    with ThreadPoolExecutor(CONCURRENT_COMMANDS) as pool:
        replies = list(pool.map(send, plan))
    timings[f"{CONCURRENT_COMMANDS} concurrent commands"] = round(time.monotonic() - started, 3)
    assert len(replies) == CONCURRENT_COMMANDS  # every call got its ack (a missing one raises)
    refused = [r for r in replies if not r["ok"]]
    # Races between the processes are retried on the server: none of these may be refused.
    assert refused == [], refused
    accepted = [(step, r) for step, r in zip(plan, replies) if r["ok"]]
    versions = sorted(r["version"] for _, r in accepted)
    # Each accepted command has a version of its own, and they follow on without a gap.
    assert versions == list(range(before + 1, before + len(accepted) + 1)), versions
    assert c.stored() == (before + len(accepted), before + len(accepted))
    timings["busy"] = len(refused)

    # The last format chosen in each group is what everyone sees, and every chunk typed is there.
    last_format, chunks = {}, {}
    for (phone, event, payload, chunk), reply in sorted(accepted, key=lambda a: a[1]["version"]):
        number = next(n for n, members in groups.items() if phone in members)
        if event == "choose_format":
            last_format[number] = payload["format"]
        else:
            chunks.setdefault((number, slot[phone]), []).append(chunk)
    final = before + len(accepted)
    fresh = c.facilitator(c.b.url, "fresh facilitator on B").wait_for(lambda v: v["version"] == final)
    for view in (fresh, facilitator.wait_for(lambda v: v["version"] == final, timeout=LIVE_SECONDS)):
        for number, fmt in last_format.items():
            assert group_in(view, number)["format"] == fmt
        for (number, question), typed_here in chunks.items():
            text = group_in(view, number)["answers"][question]["text"]
            assert all(chunk in text for chunk in typed_here), (text, typed_here)
    for number, members in groups.items():
        texts = [a["text"] for a in group_in(fresh, number)["answers"]]
        for phone in members:
            phone.wait_for(lambda v: v["group"]["format"] == last_format.get(number, v["group"]["format"]),
                           timeout=LIVE_SECONDS)
            phone.wait_for_texts(lambda t: list(t) == texts, timeout=LIVE_SECONDS)
        projector.wait_for(lambda v: group_in(v, number)["format"] == group_in(fresh, number)["format_name"],
                           timeout=LIVE_SECONDS)
    print(f"\nscale-out game timings (s): {timings}")


# -- a process dies ----------------------------------------------------------------------------


def test_a_killed_process_hands_its_phones_to_the_other_through_nginx_and_nothing_is_lost(cluster):
    c = cluster
    proxy = c.add_nginx()
    # nginx sends every screen of the session to the same process: that one is killed.
    port = proxy.upstream_for_loopback(c.code)
    doomed, survivor = (c.a, c.b) if port == c.a.port else (c.b, c.a)
    facilitator = c.facilitator(survivor.url, "facilitator on the survivor")
    places = [("nginx", proxy.url) if i % 2 == 0 else ("survivor", survivor.url) for i in range(PHONES)]
    phones = join_phones(c, places, reconnection=True)
    facilitator.wait_for(lambda v: len(v["participants"]) == PHONES, timeout=LIVE_SECONDS)
    groups = start_planning(facilitator, phones)

    # Everyone types something in an answer of their own, acknowledged before the kill.
    typed = {}
    for number, members in groups.items():
        for question, phone in enumerate(members):
            text = f"typed before the kill by {phone.name}"
            assert phone.type(question, text)["ok"]
            typed[(number, question)] = text
    first_group = groups[min(groups)]
    chooser = next(p for p in first_group if p.where == "nginx")
    assert chooser.call("choose_format", {"format": 2})["ok"]
    facilitator.wait_for(lambda v: all(group_in(v, n)["answers"][q]["text"] == t for (n, q), t in typed.items())
                         and group_in(v, min(groups))["format"] == 2, timeout=LIVE_SECONDS)

    # One update is on its way when the process dies: the phone does not know if it arrived.
    moving = [p for p in phones if p.where == "nginx"]
    in_flight = moving[0]
    number = next(n for n, members in groups.items() if in_flight in members)
    question = groups[number].index(in_flight)
    chunk = f", in flight at the kill from {in_flight.name}"
    resend = {"sheet": in_flight.sheet, "update": in_flight.typed(question, chunk), "cid": "in-flight-1"}
    views_before = {p: len(p.views) for p in moving}
    in_flight.send("sheet_update", resend)
    killed_at = time.monotonic()
    doomed.kill()

    # Its phones reconnect through nginx, which now only has the survivor, within 10 s.
    back_in = {}
    for phone in moving:
        left = 10 - (time.monotonic() - killed_at)
        assert phone.wait_connects(2, timeout=max(left, 0)), f"{phone.name} did not reconnect within 10 s"
        phone.wait_for(lambda v: len(phone.views) > views_before[phone], timeout=max(10 - (time.monotonic() - killed_at), 0.1),
                       what="after reconnecting")
        back_in[phone.name] = round(time.monotonic() - killed_at, 3)
    assert all(p.connects == 1 for p in phones if p.where == "survivor")  # those were elsewhere all along

    # The in-flight update, resent with its cid, is stored exactly once; then the phones sync,
    # as the page does on reconnecting, and have what they missed.
    reply = in_flight.call("sheet_update", resend)
    assert reply["ok"], reply
    typed[(number, question)] += chunk
    [(copies,)] = c.schema.query("SELECT count(*) FROM gamehub_commands WHERE session_id = %s AND cid LIKE %s",
                                 c.code, "%:in-flight-1")
    assert copies == 1
    for phone in moving:
        phone.sync_sheet()

    # They carry on: typing after reconnecting is acknowledged and every groupmate sees it.
    writer = next(p for p in moving if p is not in_flight)
    number = next(n for n, members in groups.items() if writer in members)
    question = groups[number].index(writer)
    text = f", after the failover from {writer.name}"
    assert writer.type(question, text)["ok"]
    typed[(number, question)] += text
    for mate in groups[number]:
        mate.wait_for_texts(lambda t: t[question] == typed[(number, question)], timeout=LIVE_SECONDS)

    # Nothing typed before the kill is lost: the facilitator who stayed, and a fresh one through nginx.
    fresh = c.facilitator(proxy.url, "fresh facilitator through nginx").wait_for(lambda v: v["phase"] == "planning")
    for view in (facilitator.wait_for(lambda v: all(group_in(v, n)["answers"][q]["text"] == t
                                                    for (n, q), t in typed.items()), timeout=LIVE_SECONDS), fresh):
        assert view["phase"] == "planning" and len(view["participants"]) == PHONES  # nobody twice
        assert group_in(view, min(groups))["format"] == 2
        for (n, q), t in typed.items():
            assert group_in(view, n)["answers"][q]["text"] == t
    print(f"\nback in after the kill (s): {back_in}")


# -- Redis goes away and comes back ----------------------------------------------------------


def test_after_a_redis_restart_live_updates_resume_and_every_screen_catches_up(cluster):
    c = cluster
    facilitator = c.facilitator(c.a.url, "facilitator on A")
    projector = c.projector(c.b.url, "projector on B")
    phones = join_phones(c, [("A", c.a.url) if i % 2 == 0 else ("B", c.b.url) for i in range(PHONES)])
    facilitator.wait_for(lambda v: len(v["participants"]) == PHONES, timeout=LIVE_SECONDS)
    groups = start_planning(facilitator, phones)
    probe_group, quiet_group = sorted(groups)
    for number, members in groups.items():
        on_a = next(p for p in members if p.where == "A")
        assert on_a.type(0, f"before the outage, group {number}")["ok"]
        for phone in members:
            phone.wait_for_texts(lambda t: t[0] == f"before the outage, group {number}", timeout=LIVE_SECONDS)

    # Redis dies. Commands still work (the database has them, the sender gets its ack, and
    # screens on the process that made the change still hear of it), but screens on the other
    # process miss them.
    c.redis.kill()
    time.sleep(2)  # long enough for each process to notice (they ping Redis every second)
    outage = {}
    quiet_a = next(p for p in groups[quiet_group] if p.where == "A")
    quiet_b = next(p for p in groups[quiet_group] if p.where == "B")
    reply = quiet_b.call("choose_format", {"format": 1})
    assert reply["ok"], reply
    # A's update last: a later change made on B would bring it to B's screens along with its own.
    for phone, question in ((quiet_b, 2), (quiet_a, 1)):
        started = time.monotonic()
        reply = phone.type(question, f"during the outage, from {phone.name}")
        outage[f"ack during the outage ({phone.where})"] = round(time.monotonic() - started, 3)
        assert reply["ok"], reply
    during = reply["version"]
    # The outage is real (else the catching up below would prove nothing): the groupmate on B
    # has not heard of the update made on A.
    time.sleep(0.5)
    assert quiet_b.texts[1] != f"during the outage, from {quiet_a.name}"

    c.redis.start()  # same port, empty: a Redis that crashed and was restarted
    restarted = time.monotonic()
    deadline = restarted + 30

    # Live updates resume: an edit on A reaches a phone on B. Probe about once a second (the
    # group that saw no outage change, so its views are not what repairs the quiet group).
    probe_a = next(p for p in groups[probe_group] if p.where == "A")
    probe_b = next(p for p in groups[probe_group] if p.where == "B")
    resumed = None
    for i in range(60):
        text = f" probe {i}"
        assert probe_a.type(1, text, cid=f"probe-{i}")["ok"]
        try:
            probe_b.wait_for_texts(lambda t: t[1].endswith(text), timeout=1)
        except AssertionError:
            assert time.monotonic() < deadline, "no live update from A to B within 30 s of Redis coming back"
            continue
        resumed = round(time.monotonic() - restarted, 3)
        break
    assert resumed is not None

    # Every screen converges on the session as it now is, including what it missed.
    truth = c.facilitator(c.b.url, "fresh facilitator on B").wait_for(lambda v: v["phase"] == "planning")
    _, stored_version = c.stored()
    assert truth["version"] == stored_version

    def left() -> float:
        return max(deadline - time.monotonic(), 0.1)

    facilitator.wait_for(lambda v: v["version"] == truth["version"]
                         and [g["answers"] for g in v["groups"]] == [g["answers"] for g in truth["groups"]]
                         and [g["format"] for g in v["groups"]] == [g["format"] for g in truth["groups"]],
                         timeout=left(), what="equal to the session")
    # The projector only hears of changes it shows, so its version may trail; what it shows may not.
    projector.wait_for(lambda v: v["version"] >= during
                       and [(g["answered"], g["format"]) for g in v["groups"]]
                       == [(sum(bool(a["text"]) for a in g["answers"]), g["format_name"]) for g in truth["groups"]],
                       timeout=left(), what="equal to the session")
    # A phone hears only of its own group: its version is that of its group's last change or
    # later; its view and its copy of the sheet hold what it missed.
    for number, members in groups.items():
        texts = [a["text"] for a in group_in(truth, number)["answers"]]
        for phone in members:
            phone.wait_for(lambda v: v["version"] >= (during if number == quiet_group else 0)
                           and [a["text"] for a in v["group"]["answers"]] == texts
                           and v["group"]["format"] == group_in(truth, number)["format"],
                           timeout=left(), what="equal to the session")
            phone.wait_for_texts(lambda t: list(t) == texts, timeout=left(), what="equal to the session")
    caught_up = round(time.monotonic() - restarted, 3)
    print(f"\nredis restart: {outage}, live again after {resumed} s, all caught up after {caught_up} s")
