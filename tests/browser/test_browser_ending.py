"""Issue 13, item 6, in Debian's Chromium against a real `gamehub serve`: the facilitator ends
the game after the showcase (a double click on the confirmation ends it once); phones show a
thank-you and their own group's card, which they save as a PNG (a real picture, not a blank
one) and as text; a reload, a guest, a removed person and a server restart on the same data
all tell the truth; a deleted session's phone says it ended, without blaming a typo.

Python-socketio clients (`Client`) stand in for the phones nobody looks at and type the
answers; the phones under test, the projector and the facilitator are real pages.
"""

from __future__ import annotations

import io
import signal

import pytest
from PIL import Image
from playwright.sync_api import expect

from browser import (LAPTOP, NARROW_PHONE, PHONE, PROJECTOR, SCREENSHOTS, axe_violations, double_click, screenshot,
                     stale_engineio_session)
from server_process import Client, ServerProcess
from sheets import SheetPhone

from gamehub.storage.sql import SqlStore, sqlite_url
from helpers import steps_to_planning

WAIT = 10_000
ANSWERS = {  # group number -> what its members typed, question by question
    1: ["Night-shift nurses who like puzzles", "The moment a protein folds wrong",
        "Everyone can taste it", "Keeping it warm"],
    2: ["Teenagers at a science fair", "The long wait for results", "", "Fitting a year into a song"],
}


def token(i: int) -> str:
    return f"ending-test-phone-{i:02d}-abcdefghijkl"


class Room:
    def __init__(self, server: ServerProcess, browser):
        self.server, self.browser = server, browser
        self.links = server.sessions[0]
        self.errors: list[str] = []
        self.truth = self.client("facilitator", self.links.facilitator_token)
        self.phones: dict[str, Client] = {}  # participant id -> client
        self.tokens: dict[str, str] = {}

    def client(self, role: str, tok: str | None = None) -> Client:
        auth = {"session": self.links.code, "role": role, **({"token": tok} if tok else {})}
        return Client(self.server.url, auth)

    def join(self, count: int) -> None:
        for i in range(count):
            phone = self.client("phone")
            reply = phone.call("join", {"name": f"Person {i + 1}", "title": f"Story {i + 1}",
                                        "pitch": f"Pitch of story {i + 1}", "token": token(i)})
            assert reply["ok"], reply
            self.phones[reply["participant_id"]] = phone
            self.tokens[reply["participant_id"]] = token(i)

    def command(self, event: str, payload: dict | None = None) -> dict:
        reply = self.truth.call(event, payload)
        assert reply["ok"], (event, reply)
        return reply

    def page(self, options: dict, url: str, known: tuple[str, ...] = ()):
        context = self.browser.new_context(**options)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{error}\n{error.stack}"))
        # A page for a gone code is a 404 on purpose, and the pages try to reconnect while the
        # server restarts (refused, then a poll on a session the new server never had: a 400);
        # anything else logged as an error is not expected.
        page.on("console", lambda m: m.type == "error"
                and not any(k in m.text for k in ("favicon", "ERR_CONNECTION_REFUSED", *known))
                and not stale_engineio_session(m) and self.errors.append(m.text))
        page.goto(url)
        return page

    def phone_page(self, pid: str):
        """A phone page of participant `pid`, as their own phone would be: their token kept."""
        page = self.page(PHONE, self.links.join, known=("404",))
        page.evaluate("([k, v]) => localStorage.setItem(k, v)", [f"gamehub:{self.links.code}:token", self.tokens[pid]])
        page.reload()
        return page

    def close(self) -> None:
        for client in [self.truth, *self.phones.values()]:
            if client.sio.connected:
                client.sio.disconnect()


def no_axe(page, name: str) -> None:
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')", timeout=WAIT)
    screenshot(page, name)
    assert axe_violations(page) == [], name


def play_to_the_showcase(room: Room) -> dict:
    """Eight people, two groups, each group's answers typed and a format chosen; returns the
    facilitator's view in the showcase."""
    room.join(8)
    for event, payload in steps_to_planning(15):
        room.command(event, payload)
    view = room.truth.wait_for(lambda v: v["phase"] == "planning" and all(g["story"] for g in v["groups"]))
    for group in view["groups"]:
        writer = room.phones[group["members"][0]["id"]]
        phone_view = writer.wait_for(lambda v: v["phase"] == "planning" and v["group"])
        sheet = SheetPhone(writer, phone_view["group"]["sheet"])
        sheet.sync()
        for q, text in enumerate(ANSWERS[group["number"]]):
            if text:
                assert sheet.type(q, text)["ok"]
        assert writer.call("choose_format", {"format": group["number"] - 1})["ok"]
    room.truth.wait_for(lambda v: all(g["answers"][0]["text"] == ANSWERS[g["number"]][0] for g in v["groups"]))
    room.command("start_showcase", {"from_phase": "planning"})
    return room.truth.wait_for(lambda v: v["phase"] == "showcase")


def saved(page, button_name: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=WAIT) as info:
        page.get_by_role("button", name=button_name).click()
    download = info.value
    return download.suggested_filename, open(download.path(), "rb").read()


def check_picture(png: bytes, colour_hex: str) -> None:
    """A real PNG of the card: phone-sized, tall enough for its text, the group's colour at the
    top, and text (dark pixels) on white below: not a blank canvas."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = picture.size
    assert width == 1080 and 1200 < height < 16000, picture.size
    head = tuple(int(colour_hex[i:i + 2], 16) for i in (1, 3, 5))
    assert picture.getpixel((10, 10)) == head
    body = picture.crop((0, height // 3, width, height - 200))
    assert body.getpixel((5, 5)) == (255, 255, 255)
    dark = body.convert("L").point(lambda v: 255 if v < 70 else 0).histogram()[255]
    assert dark > 20_000, f"only {dark} dark pixels: the card's text is missing"
    colours = picture.getcolors(maxcolors=width * height)
    assert len(colours) > 50  # anti-aliased text and the colour band, not a flat image


@pytest.fixture
def room(chromium, tmp_path):
    server = ServerProcess(data_dir=tmp_path / "data").__enter__()
    r = Room(server, chromium)
    try:
        yield r
    finally:
        r.close()
        r.server.stop()
    assert r.errors == [], r.errors


def test_the_game_ends_once_and_every_screen_keeps_its_ending_through_a_reload_and_a_restart(room, tmp_path):
    view = play_to_the_showcase(room)
    first, second = view["groups"]
    mine, theirs, leaving = first["members"][0]["id"], second["members"][0]["id"], second["members"][1]["id"]
    phone = room.phone_page(mine)
    other = room.phone_page(theirs)
    gone = room.phone_page(leaving)
    projector = room.page(PROJECTOR, room.links.projector)
    facilitator = room.page(LAPTOP, room.links.facilitator)
    for page in (phone, other, gone):
        expect(page.locator(".screen-showcase")).to_be_visible(timeout=WAIT)
    room.command("remove_participant", {"participant": leaving})  # removed before the end
    expect(gone.locator("h1")).to_have_text("The facilitator removed you from this session", timeout=WAIT)

    # The facilitator ends the game: a double click opens one question, and a double click on
    # its confirmation ends the game once.
    end = facilitator.get_by_role("button", name="End the game…")
    double_click(facilitator, end)
    dialog = facilitator.locator("#f-confirm")
    expect(dialog).to_be_visible(timeout=WAIT)
    expect(dialog.locator("h2")).to_have_text("End the game now?")
    expect(facilitator.locator("#f-confirm-cancel")).to_be_focused()
    no_axe(facilitator, "facilitator-6-end-question")
    double_click(facilitator, facilitator.locator("#f-confirm-ok"))
    expect(facilitator.locator("#f-ended")).to_contain_text("The game has ended.", timeout=WAIT)
    expect(facilitator.locator("#f-phase-name")).to_have_text("The end")
    expect(end).to_be_hidden()
    expect(facilitator.get_by_role("button", name="Back to Planning")).to_be_hidden()
    for label in ("Download Markdown", "Download CSV", "Download JSON", "Delete session…"):
        expect(facilitator.get_by_role("button", name=label)).to_be_visible()
    no_axe(facilitator, "facilitator-6-ended")
    ended = room.truth.wait_for(lambda v: v["ended_at"] is not None)
    again = room.truth.call("end_session", {"from_phase": "showcase"})
    assert not again["ok"] and again["error"]["code"] == "already_moved"

    # Each phone: a thank-you and its own group's card, with its answers, never the other's.
    expect(phone.locator("h1")).to_have_text("Thank you for playing!", timeout=WAIT)
    card = phone.locator(".keep-card")
    expect(card.locator("h2")).to_contain_text(f"Group {first['number']}")
    for text in ANSWERS[first["number"]]:
        expect(card).to_contain_text(text)
    expect(card).to_contain_text(first["formats"][first["format"]])
    expect(card).to_contain_text(first["story"]["title"])
    for name in (m["name"] for m in first["members"]):
        expect(card).to_contain_text(name)
    expect(card).not_to_contain_text(ANSWERS[second["number"]][0])
    expect(other.locator(".keep-card")).to_contain_text(ANSWERS[second["number"]][0], timeout=WAIT)
    expect(other.locator(".keep-card")).to_contain_text("(no answer)")  # its empty third answer
    no_axe(phone, "phone-6-thanks")

    # Saved on the phone: a PNG picture of the card, and its text.
    name, png = saved(phone, "Save as a picture (PNG)")
    assert name == f"group-{first['number']}.png"
    check_picture(png, first["colour"]["hex"])
    (SCREENSHOTS / "phone-6-card.png").write_bytes(png)  # the picture itself, to look at
    expect(phone.locator(".keep-status")).to_have_text("The picture of your card is saved in your downloads.")
    name, raw = saved(phone, "Save as text (.txt)")
    text = raw.decode("utf-8")
    assert name == f"group-{first['number']}.txt"
    assert f"Group {first['number']}" in text and first["story"]["title"] in text
    for q, (question, answer) in enumerate(zip(view["questions"], ANSWERS[first["number"]])):
        assert f"{q + 1}. {question}\n{answer}\n" in text
    assert ANSWERS[second["number"]][0] not in text

    # The projector closes; someone who arrives now, and someone removed, are thanked honestly.
    expect(projector.locator(".p-closing-h")).to_have_text("Thank you!", timeout=WAIT)
    expect(projector.locator(".p-closing")).to_contain_text(ended["title"])
    expect(projector.locator(".p-closing")).to_contain_text("7 people played")  # eight joined, one removed
    no_axe(projector, "projector-6-closing")
    late = room.page(PHONE, room.links.join)
    expect(late.locator("h1")).to_have_text("This game has ended", timeout=WAIT)
    expect(late.locator("form")).to_have_count(0)
    expect(late.locator(".keep-card")).to_be_hidden()
    no_axe(late, "phone-6-ended-guest")
    gone.reload()
    expect(gone.locator("h1")).to_have_text("The game has ended", timeout=WAIT)
    expect(gone.locator("body")).to_contain_text("removed you")
    expect(gone.locator(".keep-card")).to_have_count(0)
    no_axe(gone, "phone-6-ended-removed")

    # A reload, and the server stopped and started again on the same data: the same ending.
    phone.reload()
    expect(phone.locator(".keep-card")).to_contain_text(ANSWERS[first["number"]][1], timeout=WAIT)
    room.close()
    room.server.stop(signal.SIGTERM)
    # The command log holds exactly one end, however many clicks, and the stored state ended.
    store = SqlStore(sqlite_url(str(tmp_path / "data" / "gamehub.sqlite3")))
    try:
        assert [e.event for e in store.log(room.links.code)].count("end_session") == 1
        assert store.get(room.links.code).state.ended_at == ended["ended_at"]
    finally:
        store.close()
    with ServerProcess(data_dir=tmp_path / "data", port=room.server.port) as second_run:
        assert second_run.resumed == [room.links.code]
        phone.reload()
        expect(phone.locator("h1")).to_have_text("Thank you for playing!", timeout=WAIT)
        expect(phone.locator(".keep-card")).to_contain_text(ANSWERS[first["number"]][3])
        expect(projector.locator(".p-closing-h")).to_have_text("Thank you!", timeout=WAIT)  # it reconnected
        expect(facilitator.locator("#f-ended")).to_be_visible(timeout=WAIT)

        # Deleted: the open phone says the session ended, and so does its reload (a 404 page),
        # while a stranger with the same code is told it may be a typo.
        truth = Client(second_run.url, {"session": room.links.code, "role": "facilitator",
                                        "token": room.links.facilitator_token})
        assert truth.call("delete_session", {"confirm": room.links.code})["ok"]
        truth.sio.disconnect()
        expect(phone.locator("h1")).to_have_text("This session has ended", timeout=WAIT)
        phone.reload()
        expect(phone.locator("h1")).to_have_text("This session has ended", timeout=WAIT)
        expect(phone.locator("body")).not_to_contain_text("typo")
        no_axe(phone, "phone-6-deleted")
        stranger = room.page(PHONE, room.links.join, known=("404",))
        expect(stranger.locator("h1")).to_have_text(f"No session {room.links.code}")
        expect(stranger.locator("body")).to_contain_text("typo")



LONG = ("We open with a misfolded protein as a detective story: the body is the city, the chaperones "
        "are the police, and the audience follows one protein from the ribosome to its shape. ") * 12


def test_a_long_card_wraps_on_a_narrow_phone_a_hidden_story_stays_hidden_and_a_second_tab_sees_the_end(room):
    room.join(4)
    for event, payload in steps_to_planning(15):
        room.command(event, payload)
    view = room.truth.wait_for(lambda v: v["phase"] == "planning" and v["groups"][0]["story"])
    group = view["groups"][0]
    owner = group["story"]["owner_id"]
    reader = next(m["id"] for m in group["members"] if m["id"] != owner)
    answers = [(LONG[q * 7:] + LONG)[:1990].rsplit(" ", 1)[0].strip() + f" (answer {q + 1})" for q in range(4)]
    writer = room.phones[reader]
    sheet = SheetPhone(writer, writer.wait_for(lambda v: v["group"] and v["phase"] == "planning")["group"]["sheet"])
    sheet.sync()
    for q, text in enumerate(answers):
        assert sheet.type(q, text)["ok"]
    room.truth.wait_for(lambda v: [a["text"] for a in v["groups"][0]["answers"]] == answers)
    room.command("hide_text", {"participant": owner, "hidden": True})
    room.command("start_showcase", {"from_phase": "planning"})

    phone = room.page(NARROW_PHONE, room.links.join)
    phone.evaluate("([k, v]) => localStorage.setItem(k, v)", [f"gamehub:{room.links.code}:token", room.tokens[reader]])
    phone.reload()
    projector = room.browser.new_context(**PROJECTOR, reduced_motion="reduce").new_page()
    projector.on("pageerror", lambda error: room.errors.append(str(error)))
    projector.goto(room.links.projector)
    # A second facilitator tab has the question open when the first one ends the game.
    facilitator = room.page(LAPTOP, room.links.facilitator)
    end = facilitator.get_by_role("button", name="End the game…")
    expect(end).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
    end.click()
    expect(facilitator.locator("#f-confirm")).to_be_visible(timeout=WAIT)
    room.command("end_session", {"from_phase": "showcase"})
    expect(facilitator.locator("#f-confirm")).to_be_hidden(timeout=WAIT)  # it no longer applies
    expect(facilitator.locator("#f-ended")).to_be_visible()
    expect(facilitator.locator(".f-on-screen")).to_have_count(0)  # the projector shows no card now

    card = phone.locator(".keep-card")
    expect(card).to_contain_text("(hidden by the facilitator)", timeout=WAIT)
    expect(card).not_to_contain_text(f"Pitch of story {owner[1:]}")
    for text in answers:
        expect(card).to_contain_text(text)
    assert phone.evaluate("() => document.documentElement.scrollWidth <= innerWidth")  # nothing sticks out
    heights = phone.locator(".keep-actions button").evaluate_all("bs => bs.map(b => b.getBoundingClientRect().height)")
    assert len(heights) == 4 and min(heights) >= 44
    no_axe(phone, "phone-6-thanks-narrow")
    name, raw = saved(phone, "Save as text (.txt)")
    text = raw.decode("utf-8")
    assert all(answer in text for answer in answers) and f"Pitch of story {owner[1:]}" not in text
    _, png = saved(phone, "Save as a picture (PNG)")
    picture = Image.open(io.BytesIO(png))
    assert picture.width * picture.height <= 16e6 and picture.height > 5000  # four long answers, wrapped
    check_picture(png, group["colour"]["hex"])

    expect(projector.locator(".p-closing-h")).to_have_text("Thank you!", timeout=WAIT)
    moving = projector.evaluate("() => document.getAnimations().filter(a => a.playState === 'running').length")
    assert moving == 0  # reduced motion: the closing screen does not animate
