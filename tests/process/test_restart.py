"""kill -9 the server mid-planning, start it again on the same data: nothing is lost."""

from __future__ import annotations

import signal
import threading
import time

import socketio

from server_process import Client, ServerProcess
from sheets import SheetPhone

from gamehub.engine import new_session
from gamehub.storage.replay import replay
from gamehub.storage.sql import SqlStore, sqlite_url
from helpers import steps_to_planning


def test_a_killed_server_comes_back_with_every_answer_the_phase_and_the_timer(tmp_path):
    data = tmp_path / "data"
    first = ServerProcess(data_dir=data).__enter__()
    try:
        links = first.sessions[0]
        facilitator = Client(first.url, {"session": links.code, "role": "facilitator",
                                         "token": links.facilitator_token})
        tokens, phones = [], []
        for i in range(6):
            phone = Client(first.url, {"session": links.code, "role": "phone"})
            reply = phone.call("join", {"name": f"Phone {i}", "title": f"Story {i}"})
            tokens.append(reply["token"])
            phones.append(phone)
        for event, payload in steps_to_planning(30):
            assert facilitator.call(event, payload)["ok"]
        written = []
        for i, phone in enumerate(phones):
            view = phone.wait_for(lambda v: v["phase"] == "planning")
            sheet = SheetPhone(phone, view["group"]["sheet"])
            sheet.sync()
            text = f"answer from phone {i}"
            assert sheet.type(i % 2, text)["ok"]  # some phones share an answer: both texts stay
            written.append((view["group"]["number"], i % 2, text))
        assert phones[0].call("choose_format", {"format": 2})["ok"]
        before = facilitator.wait_for(lambda v: (v["groups"][0]["format"] == 2 or v["groups"][1]["format"] == 2)
                                      and all(text in v["groups"][number - 1]["answers"][q]["text"]
                                              for number, q, text in written))
        for client in (facilitator, *phones):
            client.sio.disconnect()
    finally:
        first.stop(signal.SIGKILL)
    assert first.process.returncode == -signal.SIGKILL

    with ServerProcess(data_dir=data, port=first.port) as second:
        assert second.resumed == [links.code] and second.sessions == []  # same session, none new
        facilitator = Client(second.url, {"session": links.code, "role": "facilitator",
                                          "token": links.facilitator_token})
        after = facilitator.views[-1]
        assert after["phase"] == "planning"
        assert after["timer"] == before["timer"]
        assert [g["members"] for g in after["groups"]] == [g["members"] for g in before["groups"]]
        assert [g["story"] for g in after["groups"]] == [g["story"] for g in before["groups"]]
        assert [g["format"] for g in after["groups"]] == [g["format"] for g in before["groups"]]
        assert [g["answers"] for g in after["groups"]] == [g["answers"] for g in before["groups"]]
        for number, question, text in written:
            assert text in after["groups"][number - 1]["answers"][question]["text"]

        # The same phones carry on with their tokens: same participant, and they can still edit.
        again = Client(second.url, {"session": links.code, "role": "phone", "token": tokens[0]})
        view = again.views[-1]
        assert view["me"]["name"] == "Phone 0" and view["phase"] == "planning"
        sheet = SheetPhone(again, view["group"]["sheet"])
        sheet.sync()
        assert sheet.text(0) == view["group"]["answers"][0]["text"]
        assert sheet.type(3, "after the restart")["ok"]
        facilitator.wait_for(lambda v: any(g["answers"][3]["text"] == "after the restart" for g in v["groups"]))
        assert len(facilitator.views[-1]["participants"]) == 6  # no duplicate participant
        for client in (facilitator, again):
            client.sio.disconnect()


def test_a_phone_reconnects_by_itself_after_a_restart(tmp_path):
    """python-socketio's client reconnects as the browser's does; the phone's auth carries its token."""
    data = tmp_path / "data"
    first = ServerProcess(data_dir=data).__enter__()
    try:
        links = first.sessions[0]
        guest = Client(first.url, {"session": links.code, "role": "phone"})
        reply = guest.call("join", {"name": "Wanderer"})
        guest.sio.disconnect()
        phone = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        views = []
        phone.on("view", views.append)
        phone.connect(first.url, auth={"session": links.code, "role": "phone", "token": reply["token"]},
                      transports=["websocket"])
    finally:
        first.stop(signal.SIGKILL)
    try:
        with ServerProcess(data_dir=data, port=first.port):
            seen = len(views)
            deadline = time.monotonic() + 10
            while len(views) == seen and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(views) > seen, "the phone did not come back within 10 s of the restart"
            assert views[-1]["me"]["name"] == "Wanderer"
    finally:
        phone.shutdown()  # disconnect(), and stop any reconnection still going on


def type_until_the_server_dies(phone: SheetPhone, name: str, acked: list[str], started: threading.Event) -> None:
    """Type as a page does (an update every 120 ms, the next after the ack) until the server is gone.
    Each chunk goes into the answers in turn; `acked` gets every chunk whose update was acknowledged."""
    k = 0
    while True:
        chunk = f"<{name}{k}>"
        update = phone.typist.append(k % 4, chunk)
        try:
            reply = phone.screen.sio.call("sheet_update", {"sheet": phone.sheet, "update": update}, timeout=3)
        except Exception:  # the connection died with the server (or the ack never came)
            return
        if reply.get("ok"):
            acked.append(chunk)
            if len(acked) >= 25:
                started.set()
        else:
            assert reply["error"]["code"] == "rate_limited", reply
        k += 1
        time.sleep(0.12)


def test_kill_9_while_two_phones_type_loses_no_acknowledged_character(tmp_path):
    data = tmp_path / "data"
    first = ServerProcess(data_dir=data).__enter__()
    try:
        links = first.sessions[0]
        facilitator = Client(first.url, {"session": links.code, "role": "facilitator",
                                         "token": links.facilitator_token})
        tokens, clients = [], []
        for i in range(4):
            client = Client(first.url, {"session": links.code, "role": "phone"})
            tokens.append(client.call("join", {"name": f"Typist {i}"})["token"])
            clients.append(client)
        for event, payload in steps_to_planning(30):
            assert facilitator.call(event, payload)["ok"]
        sheet = clients[0].wait_for(lambda v: v["phase"] == "planning")["group"]["sheet"]
        assert all(c.wait_for(lambda v: v["phase"] == "planning")["group"]["sheet"] == sheet for c in clients)
        typing = [SheetPhone(clients[i], sheet) for i in (0, 1)]
        acked: list[list[str]] = [[], []]
        started = [threading.Event(), threading.Event()]
        threads = [threading.Thread(target=type_until_the_server_dies, args=(typing[i], "ab"[i], acked[i], started[i]),
                                    daemon=True) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for event in started:
            assert event.wait(30), "the phones could not type"
    finally:
        first.stop(signal.SIGKILL)  # mid-typing: updates are in flight
    assert first.process.returncode == -signal.SIGKILL
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()

    with ServerProcess(data_dir=data, port=first.port) as second:
        assert second.resumed == [links.code]
        # A phone that knows nothing syncs from an empty state vector: every acknowledged chunk is there.
        fresh = SheetPhone(Client(second.url, {"session": links.code, "role": "phone", "token": tokens[2]}), sheet)
        reply = fresh.sync()
        assert reply["sheet"] == sheet
        texts = "".join(fresh.texts)
        for name, chunks in zip("ab", acked):
            missing = [chunk for chunk in chunks if chunk not in texts]
            assert not missing, f"acknowledged and lost: {missing}"
            # Each phone's chunks stay in the order it typed them, in each answer.
            for q in range(4):
                mine = [chunk for k, chunk in enumerate(chunks) if k % 4 == q and chunk in fresh.text(q)]
                assert sorted(mine, key=fresh.text(q).index) == mine

        # The typing phones come back with what they kept on the device (acknowledged or not):
        # their sync sends the rest, and then the server has every character they typed.
        for i, phone in enumerate(typing):
            phone.screen = Client(second.url, {"session": links.code, "role": "phone", "token": tokens[i]})
            phone.sync()
        for phone in (*typing, fresh):
            phone.sync()
        assert typing[0].texts == typing[1].texts == fresh.texts
        facilitator = Client(second.url, {"session": links.code, "role": "facilitator",
                                          "token": links.facilitator_token})
        live = facilitator.wait_for(lambda v: [a["text"] for a in v["groups"][0]["answers"]] == list(fresh.texts))

        # Replaying the stored log from the session's start gives the live text, byte for byte.
        store = SqlStore(sqlite_url(str(data / "gamehub.sqlite3")))
        try:
            loaded = store.get(links.code).state
            start = new_session(loaded.id, seed=loaded.seed, deck=loaded.deck, settings=loaded.settings,
                                now=loaded.created_at)
            replayed = replay(start, store.log(links.code))
        finally:
            store.close()
        assert replayed == loaded
        assert [t.encode("utf-8") for t in replayed.groups[0].texts] == \
            [a["text"].encode("utf-8") for a in live["groups"][0]["answers"]]
        for client in (facilitator, fresh.screen, *(p.screen for p in typing)):
            client.sio.disconnect()
