"""The organiser's home in Debian's Chromium, against `gamehub serve`: a deck made by editing a
copy of the workshop's, a session opened with it (groups of 3) and played to planning by four
phones (one a real browser) that show the renamed format; the page without its key; an invalid
deck; Run again; deleting a session from the home page (docs/organiser.md)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from browser import LAPTOP, PHONE, axe_violations, screenshot
from server_process import Client, ServerProcess

WAIT = 10_000
RENAMED = "A kazoo opera"


@pytest.fixture(scope="module")
def server():
    with ServerProcess() as process:
        yield process


@pytest.fixture
def errors():
    return []


def open_page(chromium, url: str, errors: list, options=LAPTOP):
    page = chromium.new_context(**options).new_page()
    # Chromium logs every 4xx reply; a refusal the page shows (400 for a field, 403 for a key) is expected.
    expected = ("status of 400", "status of 403")
    page.on("console", lambda message: message.type == "error" and not any(e in message.text for e in expected)
            and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    return page


def api(server, path: str, key: str | None):
    request = urllib.request.Request(f"{server.url}/organiser/api{path}",
                                     headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def key_of(server) -> str:
    return server.organiser.split("#key=", 1)[1]


def home(chromium, server, errors):
    page = open_page(chromium, server.organiser, errors)
    expect(page.locator("#o-home")).to_be_visible(timeout=WAIT)
    return page


def copy_workshop_deck(page):
    page.locator('[data-deck="workshop"]').get_by_role("button", name="Make a copy").click()
    expect(page.locator("#o-deck")).to_be_visible()


def new_session(page, deck_label: str, group_size: int, minutes: int) -> str:
    page.locator("#new-deck").select_option(label=deck_label)
    page.get_by_label("Group size").fill(str(group_size))
    page.get_by_label("Planning minutes").fill(str(minutes))
    page.get_by_role("button", name="Open session").click()
    expect(page.locator("#o-made")).to_be_visible(timeout=WAIT)
    return page.locator("#o-made-title").inner_text().split()[1]  # "Session CODE is open"


def test_a_copied_deck_with_a_renamed_format_reaches_the_phones_of_a_session_opened_from_home(
        chromium, server, errors):
    page = home(chromium, server, errors)
    assert not axe_violations(page), axe_violations(page)
    copy_workshop_deck(page)
    page.get_by_label("Title", exact=True).fill("Workshop, kazoo edition")
    page.locator("#deck-formats-1-1").fill(RENAMED)
    page.get_by_role("button", name="Save deck").click()
    expect(page.locator("#o-status")).to_contain_text("Saved deck Workshop, kazoo edition", timeout=WAIT)
    screenshot(page, "organiser-1-home")
    assert not axe_violations(page), axe_violations(page)

    code = new_session(page, "Workshop, kazoo edition", group_size=3, minutes=7)
    made = page.locator("#o-made-links").inner_text()
    assert f"/j/{code}" in made and "/projector#key=" in made and "/facilitator#key=" in made
    expect(page.locator(f'tr[data-code="{code}"]')).to_contain_text("Workshop, kazoo edition")

    # The control screen opens from the home page with the session's own facilitator key (the
    # one its made links showed), never the organiser key, at the session's minutes.
    with page.context.expect_page() as opened:
        page.locator(f'tr[data-code="{code}"]').get_by_role("button", name="Open control screen").click()
    control = opened.value
    expect(control.locator("#plan-minutes")).to_have_value("7", timeout=WAIT)
    own = made.split(f"/s/{code}/facilitator#key=", 1)[1].split()[0]
    assert control.evaluate(f"sessionStorage.getItem('gamehub:{code}:facilitator-key')") == own != key_of(server)

    phone = open_page(chromium, f"{server.url}/j/{code}", errors, PHONE)
    phone.get_by_label("Your name").fill("Browser phone")
    phone.get_by_role("button", name="Join").click()
    others = []
    for name in ("Ada", "Lin", "Mo"):
        client = Client(server.url, {"session": code, "role": "phone"})
        assert client.call("join", {"name": name})["ok"]
        others.append(client)
    facilitator = Client(server.url, {"session": code, "role": "facilitator", "token": key_of(server)})
    try:
        facilitator.wait_for(lambda v: len(v["participants"]) == 4)
        for event, leaving in (("form_groups", "lobby"), ("pick_stories", "groups"), ("start_planning", "stories")):
            reply = facilitator.call(event, {"from_phase": leaving, **({"minutes": 7} if leaving == "stories" else {})})
            assert reply["ok"], reply
        for client in others:  # four people in groups of 3: one group, list 1, renamed
            view = client.wait_for(lambda v: v["phase"] == "planning" and v["group"]["formats"])
            assert view["group"]["formats"][0] == RENAMED
        expect(phone.get_by_role("button", name=RENAMED)).to_be_visible(timeout=WAIT)
        screenshot(phone, "organiser-2-phone-renamed-format")
    finally:
        for client in [*others, facilitator]:
            client.sio.disconnect()
    assert not errors, errors


def test_the_page_without_its_key_is_refused_and_shows_no_sessions(chromium, server, errors):
    for url in (f"{server.url}/organiser", f"{server.url}/organiser#key=wrong-key"):
        page = open_page(chromium, url, [])
        expect(page.locator("#o-refused")).to_be_visible(timeout=WAIT)
        expect(page.locator("#o-home")).to_be_hidden()
        assert page.locator("#o-sessions tbody tr").count() == 0
        assert not axe_violations(page)
    screenshot(page, "organiser-0-refused")
    status, body = api(server, "/home", "wrong-key")
    assert status == 403 and "sessions" not in body


def test_the_key_leaves_the_address_bar_at_once_and_a_reload_of_the_tab_still_works(chromium, server, errors):
    page = home(chromium, server, errors)
    assert page.url == f"{server.url}/organiser" and key_of(server) not in page.evaluate("history.state + location.href")
    page.reload()
    expect(page.locator("#o-home")).to_be_visible(timeout=WAIT)
    expect(page.locator("#o-sessions tbody tr").first).to_be_visible()
    other = page.context.new_page()  # a new tab has no key: the link is needed again
    other.goto(f"{server.url}/organiser")
    expect(other.locator("#o-refused")).to_be_visible(timeout=WAIT)
    assert not errors, errors


def test_an_invalid_deck_shows_the_fields_error_and_saves_nothing(chromium, server, errors):
    before = api(server, "/home", key_of(server))[1]["decks"]
    page = home(chromium, server, errors)
    copy_workshop_deck(page)
    page.locator("#deck-formats-3-2").fill("   ")
    page.get_by_role("button", name="Save deck").click()
    error = page.locator("#err-deck-formats-3-2")
    expect(error).to_have_text("list 3, format 2: empty", timeout=WAIT)
    expect(page.locator("#deck-formats-3-2")).to_be_focused()
    expect(page.locator("#deck-formats-3-2")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "organiser-3-deck-error")
    assert not axe_violations(page), axe_violations(page)
    assert api(server, "/home", key_of(server))[1]["decks"] == before
    assert not errors, errors


def test_run_again_opens_a_session_with_the_same_settings(chromium, server, errors):
    page = home(chromium, server, errors)
    code = new_session(page, "Unconventional sci-comm (built in)", group_size=5, minutes=12)
    page.locator(f'tr[data-code="{code}"]').get_by_role("button", name="Run again").click()
    expect(page.locator("#o-made-title")).to_contain_text(f"like {code}", timeout=WAIT)
    again = page.locator("#o-made-title").inner_text().split()[3].rstrip(",")
    sessions = {s["code"]: s for s in api(server, "/home", key_of(server))[1]["sessions"]}
    assert again != code and sessions[again]["settings"] == sessions[code]["settings"]
    assert sessions[again]["settings"]["group_size"] == 5 and sessions[again]["settings"]["planning_minutes"] == 12
    assert not errors, errors


def test_deleting_from_the_home_page_removes_the_session_everywhere(chromium, server, errors):
    page = home(chromium, server, errors)
    code = new_session(page, "Unconventional sci-comm (built in)", group_size=4, minutes=15)
    phone = Client(server.url, {"session": code, "role": "phone"})
    deleted = []
    phone.sio.on("session_deleted", deleted.append)
    open_phone = open_page(chromium, f"{server.url}/j/{code}", errors, PHONE)  # a phone on the join form
    try:
        row = page.locator(f'tr[data-code="{code}"]')
        row.get_by_role("button", name="Delete…").click()
        field = page.get_by_label(f"Type {code} to delete it and everything in it")
        expect(field).to_be_focused()
        field.fill("WRONG")
        field.press("Enter")
        expect(page.locator(f"#err-delete-{code}")).to_contain_text(f"Type the room code {code}", timeout=WAIT)
        field.fill(code)
        page.get_by_role("button", name="Delete for good").click()
        expect(page.locator("#o-status")).to_contain_text(f"Deleted session {code}", timeout=WAIT)
        expect(page.locator(f'tr[data-code="{code}"]')).to_have_count(0)
        page.wait_for_timeout(500)
        assert deleted == [{"session": code}]
        # The open phone says the session ended, without blaming a mistyped code.
        expect(open_phone.locator("h1")).to_have_text("This session has ended", timeout=WAIT)
        expect(open_phone.locator("body")).not_to_contain_text("code is wrong")
    finally:
        phone.sio.disconnect()
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(f"{server.url}/j/{code}", timeout=5)
    assert gone.value.code == 404
    assert code not in {s["code"] for s in api(server, "/home", key_of(server))[1]["sessions"]}
    assert not errors, errors


def test_deck_names_from_the_organiser_are_shown_as_text_and_the_key_never_reaches_the_log(chromium, server, errors):
    hostile = "<img src=x onerror=alert(1)>"
    body = json.dumps({"title": hostile, "questions": ["a", "b", "c", "d"], "formats": [["x", "y", "z"]]}).encode()
    request = urllib.request.Request(f"{server.url}/organiser/api/decks", data=body, method="POST", headers={
        "Authorization": f"Bearer {key_of(server)}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 201
    page = home(chromium, server, errors)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    expect(page.locator("#o-decks")).to_contain_text(hostile)
    expect(page.locator("#new-deck option", has_text=hostile)).to_have_count(1)
    assert page.locator("#o-decks img").count() == 0 and not dialogs
    # The key was printed once, as the link; no request, refusal or error logged it since.
    assert server.output.count(key_of(server)) == 1
    assert not errors, errors


def test_an_upload_that_is_not_a_deck_says_why_next_to_the_file_and_a_good_one_can_be_deleted(chromium, server, errors):
    page = home(chromium, server, errors)
    decks_before = page.locator("#o-decks li").count()
    page.locator("#upload-file").set_input_files(files=[{"name": "deck.yaml", "mimeType": "application/yaml",
                                                         "buffer": b"questions: [a, b, c, d]\nformats:\n  1: [one, two]\n"}])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#err-upload-file")).to_contain_text("list 1", timeout=WAIT)
    expect(page.locator("#upload-file")).to_be_focused()
    assert page.locator("#o-decks li").count() == decks_before
    page.locator("#upload-file").set_input_files(files=[{"name": "deck.yaml", "mimeType": "application/yaml",
                                                         "buffer": b"title: Uploaded deck\nquestions: [a, b, c, d]\n"
                                                                   b"formats:\n  1: [one, two, three]\n"}])
    page.get_by_role("button", name="Upload", exact=True).click()
    item = page.locator("#o-decks li", has_text="Uploaded deck")
    expect(item).to_have_count(1, timeout=WAIT)
    expect(page.locator("#err-upload-file")).to_be_hidden()
    item.get_by_role("button", name="Delete", exact=True).click()
    item.get_by_role("button", name="Really delete Uploaded deck?").press("Enter")  # the second press, by keyboard
    expect(page.locator("#o-status")).to_contain_text("Deleted deck Uploaded deck", timeout=WAIT)
    expect(page.locator("#o-decks li", has_text="Uploaded deck")).to_have_count(0)
    assert not errors, errors
