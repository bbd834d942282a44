"""The facilitator takes the results home (Markdown, CSV, JSON, printable cards) and can delete a
session with all its data from the control screen (the command line and a real server:
tests/process/test_export_and_delete_served.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import Room
from sheets import HOSTILE, play_to_showcase

@pytest.fixture
def played(room):
    return room, play_to_showcase(room)


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
