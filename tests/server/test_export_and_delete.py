"""The facilitator takes the results home (Markdown, CSV, JSON, printable cards) and can delete a
session with all its data, from the control screen and from the command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time

import pytest
import socketio

from conftest import PUBLIC_URL, Room
from gamehub.server import create_app
from gamehub.storage.sql import open_store
from server_process import Client, ServerProcess
from sheets import SheetPhone
from helpers import steps_to_planning

HOSTILE = "<img src=x onerror=alert(1)>"


def play(room: Room) -> dict:
    """Two groups through the showcase; returns what each group wrote, by group number."""
    facilitator = room.facilitator()
    phones = {}
    for i in range(8):
        phone, reply = room.join(f"Person {i}", title=f"Story {i}", pitch=f"Pitch {i}")
        phones[reply["participant_id"]] = phone
    for event, payload in steps_to_planning():
        assert facilitator.call(event, payload)["ok"]
    written = {}
    for group in room.state.groups:
        writer = phones[group.members[0]]
        assert writer.call("choose_format", {"format": group.number % 3})["ok"]
        texts = [f"Group {group.number} answer {q}" + (f" {HOSTILE}" if q == 3 else "") for q in range(4)]
        sheet = SheetPhone(writer, group.sheet.id)
        for question, text in enumerate(texts):
            assert sheet.type(question, text)["ok"]
        written[group.number] = texts
    assert facilitator.call("start_showcase", {"from_phase": "planning"})["ok"]
    return written


@pytest.fixture
def played(room):
    return room, play(room)


def download(room: Room, fmt: str, key: str | None = None):
    return room.app.test_client().post(f"/s/{room.code}/export",
                                       data={"key": room.facilitator_token if key is None else key, "format": fmt})


def test_the_json_export_has_every_group_with_members_story_owner_format_and_answers(played):
    room, written = played
    response = download(room, "json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert f"gamehub-{room.code}.json" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    state = room.state
    assert [g["number"] for g in data["groups"]] == [1, 2]
    for group, exported in zip(state.groups, data["groups"]):
        assert exported["members"] == [state.participants[pid].name for pid in group.members]
        owner = state.participants[group.story.owner]
        assert exported["story"] == {"owner": owner.name, "title": owner.title, "pitch": owner.pitch}
        assert exported["format"] == state.deck.formats_for(group.number)[group.number % 3]
        assert [a["question"] for a in exported["answers"]] == list(state.deck.questions)
        assert [a["answer"] for a in exported["answers"]] == written[group.number]


def test_the_csv_export_is_one_row_per_group_with_the_questions_as_columns(played):
    room, written = played
    response = download(room, "csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode())))
    header, body = rows[0], rows[1:]
    assert header[-4:] == list(room.state.deck.questions)
    assert [row[0] for row in body] == ["1", "2"]
    for row in body:
        assert row[-4:] == written[int(row[0])]


def test_the_markdown_export_and_the_printable_cards_show_every_answer_and_hostile_text_as_text(played):
    room, written = played
    markdown = download(room, "md").data.decode()
    cards = download(room, "print").data.decode()
    for texts in written.values():
        for text in texts[:3]:
            assert text in markdown and text in cards
    # Escaped for Markdown, so a Markdown viewer shows it as typed instead of running it.
    assert r"\<img src=x onerror=alert(1)\>" in markdown
    assert HOSTILE not in cards and "&lt;img src=x onerror=alert(1)&gt;" in cards


def test_an_export_needs_the_facilitator_token_and_a_known_format(played):
    room, _ = played
    assert download(room, "json", key="wrong").status_code == 403
    assert download(room, "json", key="").status_code == 403
    assert download(room, "xlsx").status_code == 400
    assert room.app.test_client().get(f"/s/{room.code}/export").status_code == 405


def test_the_facilitator_deletes_a_session_and_every_screen_is_dropped(room):
    facilitator, projector = room.facilitator(), room.projector()
    phone, reply = room.join("Ada")
    assert facilitator.call("delete_session", {"confirm": room.code}) == {"ok": True}
    assert not projector.client.is_connected() and not phone.client.is_connected()
    # The facilitator's own socket is told rather than dropped, so the ack above reached it.
    assert {"name": "session_deleted", "args": [{"session": room.code}], "namespace": "/"} in \
        facilitator.client.get_received()
    assert facilitator.call("set_locked", {"locked": True})["error"]["code"] == "unknown_session"
    assert room.hub.store.get(room.code) is None
    assert room.app.test_client().get(f"/j/{room.code}").status_code == 404
    assert not room.connect("phone", reply["token"]).client.is_connected()


def test_deleting_needs_the_facilitator_and_the_room_code_typed_back(room):
    facilitator = room.facilitator()
    phone, _ = room.join("Ada")
    assert phone.call("delete_session", {"confirm": room.code})["error"]["code"] == "forbidden"
    assert facilitator.call("delete_session", {})["error"]["code"] == "bad_payload"
    assert facilitator.call("delete_session", {"confirm": "WRONGCOD"})["error"]["code"] == "bad_payload"
    assert room.hub.store.get(room.code) is not None


def test_every_screen_of_a_deleted_session_is_told_and_a_phone_coming_back_hears_unknown_session():
    with ServerProcess(args=["--async-mode", "threading"]) as server:
        links = server.sessions[0]
        guest = Client(server.url, {"session": links.code, "role": "phone"})
        token = guest.call("join", {"name": "Ada"})["token"]
        told = []
        guest.sio.on("session_deleted", told.append)
        facilitator = Client(server.url, {"session": links.code, "role": "facilitator",
                                          "token": links.facilitator_token})
        assert facilitator.call("delete_session", {"confirm": links.code}) == {"ok": True}
        deadline = time.monotonic() + 5
        while guest.sio.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert told == [{"session": links.code}] and not guest.sio.connected
        returning, refusals = socketio.Client(reconnection=False), []
        returning.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            returning.connect(server.url, auth={"session": links.code, "role": "phone", "token": token},
                              transports=["websocket"], wait_timeout=5)
        assert refusals and refusals[0]["message"] == "unknown_session"
        facilitator.sio.disconnect()


def gamehub(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gamehub", *args], capture_output=True, text=True, timeout=60)


def test_the_command_line_lists_exports_and_deletes_stored_sessions(tmp_path):
    store = open_store(data_dir=tmp_path)
    room = Room(create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "STORE": store}))
    written = play(room)
    store.close()
    where = ["--data-dir", str(tmp_path)]

    listed = gamehub("sessions", "list", *where)
    assert listed.returncode == 0 and room.code in listed.stdout and "showcase" in listed.stdout

    for fmt in ("md", "csv", "json"):
        exported = gamehub("export", room.code.lower(), "--format", fmt, *where)
        assert exported.returncode == 0, exported.stderr
        assert written[2][1] in exported.stdout
    assert json.loads(gamehub("export", room.code, "--format", "json", *where).stdout)["session"] == room.code

    deleted = gamehub("sessions", "delete", room.code, *where)
    assert deleted.returncode == 0 and "Deleted" in deleted.stdout
    assert room.code not in gamehub("sessions", "list", *where).stdout
    missing = gamehub("export", room.code, *where)
    assert missing.returncode == 1 and room.code in missing.stderr
    reopened = open_store(data_dir=tmp_path)
    assert reopened.get(room.code) is None and reopened.log(room.code) == []
    reopened.close()


def test_serve_purges_sessions_idle_longer_than_the_retention_period(tmp_path):
    store = open_store(data_dir=tmp_path)
    idle = Room(create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "STORE": store}))
    store.close()
    time.sleep(1.2)
    # A retention of 0.00001 days is 0.864 s: the session above is older than that.
    with ServerProcess(data_dir=tmp_path, args=["--retention-days", "0.00001", "--async-mode", "threading"]) as server:
        assert f"Deleted session {idle.code}" in server.output
        assert idle.code not in [links.code for links in server.sessions]
    kept = open_store(data_dir=tmp_path)
    assert kept.get(idle.code) is None
    kept.close()
