"""The organiser's decks past the happy path: every value of an upload that cannot be read is a
400 naming its field (never a 500), and the store keeps a bounded number of decks
(docs/organiser.md, docs/security.md)."""

from __future__ import annotations

import pytest

from conftest import PUBLIC_URL
from gamehub.content import decks
from gamehub.storage import organiser_key
from gamehub.server import create_app, hub_of

GOOD = {"title": "Chemistry outreach", "questions": ["Who?", "What?", "Why?", "How?"],
        "formats": [["A poem", "A mime", "A puppet show"]]}
HUGE = "9" * 4301  # one past Python's limit for turning digits into an int


def upload_text(title: str = "Deck", question: str = '"What?"', fmt: str = '"A mime"', key: str = "1") -> bytes:
    return (f"title: {title}\nquestions: [\"Who?\", {question}, \"Why?\", \"How?\"]\n"
            f"formats:\n  ? {key}\n  : [\"A poem\", \"A mime\", {fmt}]\n").encode()


def make_app(**config):
    return create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "TESTING": True,
                       "KEY_CHECK_SECONDS": 0, "STAFF_VIEW_SECONDS": 0, **config})


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def api(app, tmp_path):
    client, key = app.test_client(), organiser_key.rotate(hub_of(app).store, tmp_path)

    def call(method: str, path: str, body=None, *, raw: bytes | None = None):
        headers = {"Authorization": f"Bearer {key}"}
        if raw is not None:
            return client.open(f"/organiser/api{path}", method=method, data=raw, headers=headers,
                               content_type="application/yaml")
        return client.open(f"/organiser/api{path}", method=method, json=body, headers=headers)

    return call


@pytest.mark.parametrize("raw, field, words", [
    (upload_text(title=HUGE), "title", "title: cannot be read"),
    (upload_text(question=HUGE), "questions.2", "question 2: cannot be read"),
    (upload_text(fmt="-" + HUGE), "formats.1.3", "list 1, format 3: cannot be read"),
    (upload_text(key=HUGE), "formats", "formats: cannot be read"),
    (upload_text(fmt="1" + "0" * 4400 + ":30"), "formats.1.3", "cannot be read"),  # YAML 1.1's base 60
    (upload_text(title="2026-02-30"), "title", "title: cannot be read"),
    (upload_text(question="!!int many"), "questions.2", "put it in quotes"),
    (upload_text(fmt="!!float lots"), "formats.1.3", "put it in quotes"),
    (HUGE.encode() + b"\n", "file", "cannot be read"),
])
def test_an_upload_holding_a_value_that_cannot_be_read_is_a_400_naming_its_field(app, api, raw, field, words):
    reply = api("POST", "/decks/upload", raw=raw)
    assert reply.status_code == 400, reply.data[:300]
    error = reply.get_json()["error"]
    assert error["code"] == "bad_deck" and error["field"] == field and words in error["message"], error
    assert hub_of(app).store.decks() == []


def test_in_quotes_the_same_values_are_texts_and_a_form_that_is_not_json_is_a_400(app, api):
    assert api("POST", "/decks/upload", raw=upload_text(title="2026-02-30")).status_code == 400
    reply = api("POST", "/decks/upload", raw=upload_text(title='"2026-02-30"', question='"!!int many"'))
    assert reply.status_code == 201
    data = reply.get_json()["deck"]["data"]
    assert data["title"] == "2026-02-30" and data["questions"][1] == "!!int many"
    # The form's JSON holds no field to name when it cannot be read at all.
    reply = api("POST", "/decks", raw=b'{"title": ' + HUGE.encode() + b"}")
    assert reply.status_code == 400 and reply.get_json()["error"]["code"] == "bad_payload"


def test_at_most_a_hundred_decks_are_kept_and_the_next_is_refused_with_a_clear_error(app, api):
    assert decks.MAX_DECKS == 100
    for i in range(decks.MAX_DECKS):
        assert api("POST", "/decks", {**GOOD, "title": f"Deck {i}"}).status_code == 201
    for refused in (api("POST", "/decks", GOOD), api("POST", "/decks/upload", raw=upload_text())):
        assert refused.status_code == 409
        assert refused.get_json()["error"]["code"] == "too_many_decks"
        assert "At most 100 decks" in refused.get_json()["error"]["message"]
    kept = hub_of(app).store.decks()
    assert len(kept) == 100
    # A full store still edits what it has, and makes room when a deck is deleted.
    assert api("PUT", f"/decks/{kept[0].id}", {**GOOD, "title": "Edited"}).status_code == 200
    assert api("DELETE", f"/decks/{kept[1].id}").status_code == 200
    assert api("POST", "/decks", GOOD).status_code == 201


def test_the_server_may_set_a_lower_cap(tmp_path):
    app = make_app(MAX_DECKS=2)
    client, key = app.test_client(), organiser_key.rotate(hub_of(app).store, tmp_path)
    post = lambda: client.post("/organiser/api/decks", json=GOOD, headers={"Authorization": f"Bearer {key}"})  # noqa: E731
    assert [post().status_code for _ in range(3)] == [201, 201, 409]
