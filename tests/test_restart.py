"""kill -9 the server mid-planning, start it again on the same data: nothing is lost."""

from __future__ import annotations

import signal
import time

import socketio

from server_process import ServerProcess
from test_real_server import Client


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
        for event, payload in (("form_groups", {}), ("pick_stories", {}), ("start_planning", {"minutes": 30})):
            assert facilitator.call(event, payload)["ok"]
        written = {}
        for i, phone in enumerate(phones):
            view = phone.wait_for(lambda v: v["phase"] == "planning")
            question = i % 4
            base = view["group"]["answers"][question]["rev"]
            text = f"answer from phone {i}"
            reply = phone.call("edit_answer", {"question": question, "text": text, "base_rev": base})
            if reply["ok"]:
                written[(view["group"]["number"], question)] = text
            else:  # a groupmate wrote this field first: take their rev and write over it
                current = reply["error"]["details"]["rev"]
                assert phone.call("edit_answer", {"question": question, "text": text, "base_rev": current})["ok"]
                written[(view["group"]["number"], question)] = text
        assert phones[0].call("choose_format", {"format": 2})["ok"]
        before = facilitator.wait_for(lambda v: v["groups"][0]["format"] == 2 or v["groups"][1]["format"] == 2)
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
        for (number, question), text in written.items():
            assert after["groups"][number - 1]["answers"][question]["text"] == text

        # The same phones carry on with their tokens: same participant, and they can still edit.
        again = Client(second.url, {"session": links.code, "role": "phone", "token": tokens[0]})
        view = again.views[-1]
        assert view["me"]["name"] == "Phone 0" and view["phase"] == "planning"
        answer = view["group"]["answers"][3]
        assert again.call("edit_answer", {"question": 3, "text": "after the restart", "base_rev": answer["rev"]})["ok"]
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
        phone.disconnect()
