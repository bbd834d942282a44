"""The organiser's home, through Flask's test client: the key guards every call and wrong keys
are counted; every field is checked and named; decks are validated before anything is saved;
sessions are made, rerun and deleted from it (docs/organiser.md)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml

from conftest import PUBLIC_URL, Room
from gamehub.content import decks
from gamehub.storage import organiser_key
from gamehub.server import create_app, hub_of

GOOD_DECK = {"title": "Chemistry outreach", "instructions": "Pick one.",
             "questions": ["Who?", "What?", "Why?", "How?"],
             "formats": [["A poem", "A mime", "A puppet show"], ["A zine", "A podcast", "A mural"]]}


@pytest.fixture
def app():
    return create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "TESTING": True,
                       "KEY_CHECK_SECONDS": 0, "STAFF_VIEW_SECONDS": 0, "MAX_SESSIONS": 5})


@pytest.fixture
def key(app, tmp_path):
    return organiser_key.rotate(hub_of(app).store, tmp_path)


@pytest.fixture
def api(app, key):
    client = app.test_client()

    def call(method: str, path: str, body=None, *, raw: bytes | None = None, auth: str | None = key):
        headers = {"Authorization": f"Bearer {auth}"} if auth is not None else {}
        if raw is not None:
            return client.open(f"/organiser/api{path}", method=method, data=raw, headers=headers,
                               content_type="application/yaml")
        return client.open(f"/organiser/api{path}", method=method, json=body, headers=headers)

    return call


def test_the_api_needs_the_organiser_key_and_a_wrong_one_is_refused_and_counted(app, api, key):
    assert api("GET", "/home", auth=None).status_code == 403
    refused = api("GET", "/home", auth="not-the-key")
    assert refused.status_code == 403 and "sessions" not in refused.get_json()
    assert api("GET", "/home").status_code == 200
    for _ in range(30):
        api("GET", "/home", auth="guess")
    over = api("GET", "/home")  # even the right key waits: the refusal tells nothing
    assert over.status_code == 429 and over.headers["Retry-After"]


def test_the_organiser_page_itself_holds_no_data(app):
    page = app.test_client().get("/organiser")
    assert page.status_code == 200 and b"js/organiser/main.js" in page.data
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_rotating_the_key_stops_the_old_one_at_once(app, api, key, tmp_path):
    new = organiser_key.rotate(hub_of(app).store, tmp_path)
    assert api("GET", "/home").status_code == 403
    assert api("GET", "/home", auth=new).status_code == 200
    assert organiser_key.recall(tmp_path) == new
    assert (tmp_path / organiser_key.FILENAME).stat().st_mode & 0o777 == 0o600


def test_a_new_session_has_the_chosen_settings_and_its_links(app, api):
    reply = api("POST", "/sessions", {"deck": "workshop", "group_size": 3, "planning_minutes": 20,
                                      "max_participants": 30, "blocked_words": ["  Rude  word ", ""]})
    assert reply.status_code == 201, reply.get_json()
    session = reply.get_json()["session"]
    state = hub_of(app).store.get(session["code"]).state
    assert (state.settings.group_size, state.settings.planning_minutes, state.settings.max_participants,
            state.settings.blocked_words) == (3, 20, 30, ("Rude word",))
    links = session["links"]
    assert links["join"] == f"{PUBLIC_URL}/j/{session['code']}"
    assert links["projector"].startswith(f"{PUBLIC_URL}/s/{session['code']}/projector#key=")
    assert links["facilitator"].startswith(f"{PUBLIC_URL}/s/{session['code']}/facilitator#key=")
    listed = api("GET", "/home").get_json()["sessions"]
    assert [s["code"] for s in listed] == [session["code"]] and listed[0]["phase"] == "lobby"
    assert "facilitator" not in listed[0]["links"]  # tokens are not kept: the page opens with the organiser key


@pytest.mark.parametrize("body, field", [
    ({"group_size": 1}, "group_size"), ({"group_size": 13}, "group_size"), ({"group_size": "4"}, "group_size"),
    ({"group_size": True}, "group_size"), ({"planning_minutes": 0}, "planning_minutes"),
    ({"planning_minutes": 181}, "planning_minutes"), ({"planning_minutes": 2.5}, "planning_minutes"),
    ({"max_participants": 0}, "max_participants"), ({"max_participants": 2001}, "max_participants"),
    ({"blocked_words": "word"}, "blocked_words"), ({"blocked_words": [1]}, "blocked_words"),
    ({"blocked_words": ["x" * 61]}, "blocked_words"), ({"deck": "nope"}, "deck"), ({"deck": 3}, "deck"),
    ({"colour": "red"}, "colour"),
])
def test_every_session_field_is_checked_and_named(app, api, body, field):
    reply = api("POST", "/sessions", body)
    assert reply.status_code == 400 and reply.get_json()["error"]["field"] == field
    assert hub_of(app).store.session_ids() == []


def test_not_json_is_refused(api):
    assert api("POST", "/sessions", raw=b"group_size: 3").status_code == 400


def test_the_most_sessions_are_refused_with_a_clear_error(app, api):
    for _ in range(5):
        assert api("POST", "/sessions", {}).status_code == 201
    reply = api("POST", "/sessions", {})
    assert reply.status_code == 409 and reply.get_json()["error"]["code"] == "too_many_sessions"
    assert "at most 5" in reply.get_json()["error"]["message"]


def test_run_again_opens_a_fresh_session_with_the_same_settings_and_deck(app, api):
    deck = api("POST", "/decks", GOOD_DECK).get_json()["deck"]
    first = api("POST", "/sessions", {"deck": deck["id"], "group_size": 3, "planning_minutes": 9}).get_json()["session"]
    api("PUT", f"/decks/{deck['id']}", {**GOOD_DECK, "title": "Edited later"})
    again = api("POST", f"/sessions/{first['code']}/again").get_json()["session"]
    store = hub_of(app).store
    old, new = store.get(first["code"]).state, store.get(again["code"]).state
    assert new.id != old.id and new.settings == old.settings and new.deck == old.deck
    assert new.deck.title == "Chemistry outreach"  # the frozen copy, not the edited deck


def test_deleting_needs_the_room_code_typed_back_and_tells_every_screen(app, api):
    room = Room(app)
    projector = room.projector()
    wrong = api("DELETE", f"/sessions/{room.code}", {"confirm": "WRONG"})
    assert wrong.status_code == 400 and wrong.get_json()["error"]["field"] == "confirm"
    assert api("DELETE", f"/sessions/{room.code}", {"confirm": room.code.lower()}).status_code == 200
    assert hub_of(app).store.get(room.code) is None
    assert projector.received("session_deleted") == [[{"session": room.code}]]
    assert api("DELETE", f"/sessions/{room.code}", {"confirm": room.code}).status_code == 404


def test_the_organiser_key_exports_and_opens_the_control_screen(app, key):
    room = Room(app)
    client = app.test_client()
    for fmt in ("md", "csv", "json", "print"):
        assert client.post(f"/s/{room.code}/export", data={"key": key, "format": fmt}).status_code == 200
    assert client.post(f"/s/{room.code}/export", data={"key": "nope", "format": "md"}).status_code == 403
    screen = room.connect("facilitator", key)
    assert screen.connected and screen.views()[-1]["audience"] == "facilitator"
    assert screen.call("set_locked", {"locked": True})["ok"]


def test_the_control_screen_link_carries_the_sessions_own_key_and_a_new_one_only_when_asked(tmp_path):
    from gamehub.storage import links as facilitator_links

    app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "TESTING": True, "KEY_CHECK_SECONDS": 0,
                      "STAFF_VIEW_SECONDS": 0, "DATA_DIR": str(tmp_path)})
    key = organiser_key.rotate(hub_of(app).store, tmp_path)
    client = app.test_client()

    def link(code: str, body=None):
        return client.post(f"/organiser/api/sessions/{code}/facilitator", json=body,
                           headers={"Authorization": f"Bearer {key}"})

    made = client.post("/organiser/api/sessions", json={}, headers={"Authorization": f"Bearer {key}"}).get_json()
    code, own = made["session"]["code"], made["session"]["links"]["facilitator"]
    reply = link(code)
    assert reply.status_code == 200 and reply.get_json() == {"link": own, "made": False}
    assert key not in reply.get_data(as_text=True) and own.endswith(f"#key={facilitator_links.recall(tmp_path, code)}")
    assert link("NOSUCH").status_code == 404 and link(code, {"other": 1}).status_code == 400

    room = Room(app)  # opened elsewhere: this server keeps no link for it
    screen = room.facilitator()
    refused = link(room.code)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "no_kept_link"
    assert screen.connected and hub_of(app).store.facilitator_hash(room.code) == room.record.facilitator_hash
    fresh = link(room.code, {"replace": True}).get_json()
    token = fresh["link"].split("#key=", 1)[1]
    assert fresh["made"] and token not in (key, room.facilitator_token)
    assert not screen.connected and room.connect("facilitator", token).connected
    assert link(room.code).get_json() == {"link": fresh["link"], "made": False}  # kept from now on


def test_rotating_the_organiser_key_closes_control_screens_opened_with_it(app, key, tmp_path):
    room = Room(app)
    opened_with_organiser, own = room.connect("facilitator", key), room.facilitator()
    organiser_key.rotate(hub_of(app).store, tmp_path)
    assert hub_of(app).revoke_stale_keys() == 1
    assert not opened_with_organiser.connected and own.connected
    assert room.connect("facilitator", key).refused == "bad_key"


def test_a_deck_is_saved_only_whole_and_valid_and_its_errors_name_the_field(app, api):
    broken = {**GOOD_DECK, "formats": [GOOD_DECK["formats"][0], ["A zine", " ", "A mural"]]}
    reply = api("POST", "/decks", broken)
    assert reply.status_code == 400
    assert reply.get_json()["error"] == {"code": "bad_deck", "field": "formats.2.2",
                                         "message": "list 2, format 2: empty"}
    for body, field in (({**GOOD_DECK, "questions": ["a", "b"]}, "questions"),
                        ({**GOOD_DECK, "questions": ["a", "", "c", "d"]}, "questions.2"),
                        ({**GOOD_DECK, "title": ""}, "title"), ({**GOOD_DECK, "title": "x" * 121}, "title"),
                        ({**GOOD_DECK, "formats": [["a", "b"]]}, "formats.1"),
                        ({**GOOD_DECK, "formats": []}, "formats"), ({**GOOD_DECK, "extra": 1}, "extra")):
        assert api("POST", "/decks", body).get_json()["error"]["field"] == field, body
    assert hub_of(app).store.decks() == []
    made = api("POST", "/decks", GOOD_DECK)
    assert made.status_code == 201
    deck = made.get_json()["deck"]
    assert deck["name"] == "Chemistry outreach" and deck["data"]["formats"][1] == ["A zine", "A podcast", "A mural"]
    assert api("PUT", f"/decks/{deck['id']}", broken).status_code == 400
    assert hub_of(app).store.get_deck(deck["id"]).name == "Chemistry outreach"


def test_the_workshop_deck_is_built_in_and_cannot_be_changed_or_deleted(api):
    listed = api("GET", "/home").get_json()["decks"]
    assert listed[0]["id"] == "workshop" and listed[0]["builtin"] and len(listed[0]["data"]["formats"]) == 5
    assert api("PUT", "/decks/workshop", GOOD_DECK).status_code == 403
    assert api("DELETE", "/decks/workshop").status_code == 403


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_the_workshop_deck_in_each_shipped_language_is_built_in_and_plays(app, api, language):
    listed = {d["id"]: d for d in api("GET", "/home").get_json()["decks"]}
    translated, english = listed[f"workshop-{language}"], listed["workshop"]
    assert translated["builtin"] and translated["name"].endswith(f"({language})")
    assert api("DELETE", f"/decks/workshop-{language}").status_code == 403
    code = api("POST", "/sessions", {"deck": f"workshop-{language}"}).get_json()["session"]["code"]
    deck = hub_of(app).store.get(code).state.deck
    assert deck.title == translated["data"]["title"] != english["data"]["title"]
    assert deck.lists[0][1] != english["data"]["formats"][0][1]  # "A short film", translated


def test_a_deck_downloads_as_yaml_that_uploads_back_the_same(app, api):
    deck = api("POST", "/decks", GOOD_DECK).get_json()["deck"]
    download = api("GET", f"/decks/{deck['id']}/yaml")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert yaml.safe_load(download.data)["formats"] == {1: GOOD_DECK["formats"][0], 2: GOOD_DECK["formats"][1]}
    uploaded = api("POST", "/decks/upload", raw=download.data)
    assert uploaded.status_code == 201 and uploaded.get_json()["deck"]["data"] == deck["data"]
    assert api("GET", "/decks/workshop/yaml").status_code == 200


@pytest.mark.parametrize("raw, words", [
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b"title: [unclosed", "not valid YAML"),
    (b"[" * 50 + b"]" * 50, "nested too deep"),
    (b"a: &x [1, 2]\nb: *x\n", "anchors"),
    (b"just a string", "(top level)"),
    (b"questions: [a, b, c, d]\nformats:\n  1: [one, two]\n", "list 1"),
    (b"title: x\n" + b"#" * (64 * 1024), "at most 64 KB"),
    (b"!!python/object/apply:os.system ['true']", "not valid YAML"),
])
def test_a_bad_upload_gets_a_clear_message_and_saves_nothing(app, api, raw, words):
    reply = api("POST", "/decks/upload", raw=raw)
    assert reply.status_code == 400 and words in reply.get_json()["error"]["message"], reply.get_json()
    assert hub_of(app).store.decks() == []


def test_deleting_a_deck_leaves_sessions_made_with_it_untouched(app, api):
    deck = api("POST", "/decks", GOOD_DECK).get_json()["deck"]
    session = api("POST", "/sessions", {"deck": deck["id"]}).get_json()["session"]
    assert api("DELETE", f"/decks/{deck['id']}").status_code == 200
    assert hub_of(app).store.get(session["code"]).state.deck.title == "Chemistry outreach"
    assert api("DELETE", f"/decks/{deck['id']}").status_code == 404


def test_deck_field_names_map_formats_errors_for_the_form():
    with pytest.raises(decks.DeckError) as error:
        decks.validate({**GOOD_DECK, "formats": {1: ["a", "b", "c"], 3: ["a", "b", "c"]}})
    assert error.value.field == "formats"


def test_every_organiser_api_route_and_error_code_is_documented(app):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "organiser.md").read_text(encoding="utf-8")
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/organiser/api"):
            path = rule.rule.replace("<code>", "<CODE>").replace("<deck_id>", "<id>")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert f"`{method} {path}`" in doc, f"{method} {path} is not in docs/organiser.md"
    source = (Path(__file__).resolve().parents[2] / "gamehub" / "server" / "organiser.py").read_text()
    for code in set(re.findall(r'_error\(\d+, "(\w+)"', source)) | {"bad_field", "bad_payload", "bad_deck"}:
        assert f"`{code}`" in doc or f" {code}`" in doc, f"error code {code} is not in docs/organiser.md"


def test_a_body_over_the_cap_is_refused_even_without_a_length_and_never_read_whole(app, key):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/yaml"}
    big = b"#" * (200 * 1024)
    assert client.post("/organiser/api/decks/upload", data=big, headers=headers).status_code == 413

    # Chunked, as a server passes it on: no Content-Length, the stream ends by itself.
    reply = client.post("/organiser/api/decks/upload", input_stream=io.BytesIO(big),
                        headers={**headers, "Transfer-Encoding": "chunked"},
                        environ_overrides={"wsgi.input_terminated": True})
    # Reading stops at the cap (werkzeug's limited stream): refused as too big, whichever check saw it.
    assert reply.status_code in (400, 413) and "KB" in reply.get_json()["error"]["message"]
    assert hub_of(app).store.decks() == []


def test_a_deck_given_to_serve_with_formats_is_offered_first_and_cannot_be_changed(tmp_path):
    served = decks.validate(GOOD_DECK).deck
    app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "TESTING": True, "KEY_CHECK_SECONDS": 0,
                      "DECK": served})
    key = organiser_key.rotate(hub_of(app).store, tmp_path)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    listed = client.get("/organiser/api/home", headers=headers).get_json()["decks"]
    assert [d["id"] for d in listed] == ["serve", "workshop", "workshop-de", "workshop-fr", "workshop-es"]
    assert listed[0]["builtin"]
    assert listed[0]["name"] == "Chemistry outreach (gamehub serve --formats)"
    code = client.post("/organiser/api/sessions", json={}, headers=headers).get_json()["session"]["code"]
    assert hub_of(app).store.get(code).state.deck == served  # the default, as `gamehub serve` plays
    assert client.put("/organiser/api/decks/serve", json=GOOD_DECK, headers=headers).status_code == 403
    assert client.delete("/organiser/api/decks/serve", headers=headers).status_code == 403


def test_a_new_session_in_german_with_no_deck_chosen_plays_the_german_workshop_deck(app, api):
    code = api("POST", "/sessions", {"language": "de"}).get_json()["session"]["code"]
    state = hub_of(app).store.get(code).state
    assert state.settings.language == "de" and state.deck.title == decks.builtin_deck("de").title
    chosen = api("POST", "/sessions", {"language": "de", "deck": "workshop"}).get_json()["session"]["code"]
    assert hub_of(app).store.get(chosen).state.deck.title == decks.builtin_deck("en").title  # a choice wins
