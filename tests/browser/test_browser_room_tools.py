"""Issue 13, the facilitator's tools for the room, in real browsers: a message to everyone
reaches the phones and, for a few seconds, the projector; a message to one group reaches that
group alone; a phone asks for help, the facilitator sees the hand and clears it, and the phone
says so. Real clicks (a double click is two clicks 150 ms apart on the same spot), reloads,
and axe-core on every new state.

Debian's Chromium under Playwright, against a real `gamehub serve`; a python-socketio
facilitator ("truth") drives what no page needs to and reads what the server holds.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser import LAPTOP, PHONE, PROJECTOR, axe_violations, double_click, screenshot
from browser_room import BrowserRoom, served

WAIT = 10_000
ROOM_MESSAGE = "5 minutes left: pick your best idea"
HOSTILE = "<b>Group 2</b>: please come to the front"


class Room(BrowserRoom):
    def phone(self, name: str):
        """A phone that joins through the form, as a person does."""
        page = self.page(PHONE, self.links.join)
        page.get_by_label("Your name").fill(name)
        page.get_by_role("button", name="Join").click()
        expect(page.locator("h1")).to_have_text(f"You're in, {name}.", timeout=WAIT)
        return page

    def facilitator(self):
        page = self.page(LAPTOP, self.links.facilitator)
        expect(page.locator("#f-conn-text")).to_have_text("Connected", timeout=WAIT)
        return page

    def pid(self, name: str) -> str:
        view = self.truth.wait_for(lambda v: any(p["name"] == name for p in v["participants"]))
        return next(p["id"] for p in view["participants"] if p["name"] == name)


@pytest.fixture
def room(chromium):
    with served(Room, chromium) as r:
        yield r


def clean(page, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], (what, violations)


def into_groups(room: Room, split: dict[str, int]) -> dict:
    """Groups formed, and each named person moved into the group given."""
    room.command("form_groups", {"from_phase": "lobby"})
    for name, number in split.items():
        view = room.truth.wait_for(lambda v: v["phase"] == "groups" and all(p["group"] for p in v["participants"]))
        if next(g["number"] for g in view["groups"] if any(m["name"] == name for m in g["members"])) != number:
            room.command("move_participant", {"participant": room.pid(name), "group": number})
    return room.truth.wait_for(lambda v: all(
        any(m["name"] == name for m in v["groups"][number - 1]["members"]) for name, number in split.items()))


def test_a_message_to_everyone_shows_on_two_phones_and_briefly_on_the_projector(room):
    projector = room.page(PROJECTOR, room.links.projector, clock=True)
    still = room.page({**PROJECTOR, "reduced_motion": "reduce"}, room.links.projector)
    ada, bo = room.phone("Ada"), room.phone("Bo")
    facilitator = room.facilitator()
    expect(facilitator.locator("#f-msg-last")).to_have_text("No message sent yet.")
    send = facilitator.get_by_role("button", name="Send message")
    expect(send).to_be_disabled()  # nothing to send yet

    facilitator.get_by_label("Message", exact=True).fill(ROOM_MESSAGE)
    expect(facilitator.get_by_label("Send to")).to_have_value("0")  # everyone, by default
    double_click(facilitator, send)

    for phone in (ada, bo):
        banner = phone.locator(".room-message")
        expect(banner).to_be_visible(timeout=WAIT)
        expect(banner.locator(".room-message-head")).to_contain_text("Message from the facilitator")
        expect(banner.locator(".room-message-text")).to_have_text(ROOM_MESSAGE)
    shown = projector.locator(".p-message")
    expect(shown).to_be_visible(timeout=WAIT)
    expect(shown).to_contain_text(ROOM_MESSAGE)
    assert float(shown.locator(".p-message-text").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")) >= 28
    expect(still.locator(".p-message")).to_be_visible(timeout=WAIT)  # no motion asked for: none made
    assert still.locator(".p-message").evaluate("n => getComputedStyle(n).animationName") == "none"
    assert shown.evaluate("n => getComputedStyle(n).animationName") != "none"
    expect(facilitator.locator("#f-msg-last")).to_contain_text(f"to everyone: {ROOM_MESSAGE}")
    expect(facilitator.get_by_label("Message", exact=True)).to_have_value("")
    # The double click sent one message: the second click met a disabled button.
    sent = {v["message"]["id"] for v in room.truth.views if v.get("message")}
    assert len(sent) == 1, sent
    for page, what in ((ada, "phone with a message"), (projector, "projector with a message"),
                       (facilitator, "facilitator after sending")):
        clean(page, what)
    screenshot(projector, "projector-message")
    screenshot(ada, "phone-message")

    # Ada hides it; a reload does not bring it back. Bo reloads without hiding it: still there.
    ada.get_by_role("button", name="Hide message").click()
    expect(ada.locator(".room-message")).to_have_count(0)
    ada.reload()
    expect(ada.locator("h1")).to_have_text("You're in, Ada.", timeout=WAIT)
    bo.reload()
    expect(bo.locator(".room-message-text")).to_have_text(ROOM_MESSAGE, timeout=WAIT)
    expect(ada.locator(".room-message")).to_have_count(0)

    # The projector lets it go by itself after its ten seconds, and a later view keeps it gone.
    projector.clock.fast_forward(11_000)
    expect(shown).to_be_hidden(timeout=WAIT)
    room.command("set_locked", {"locked": True})
    expect(projector.locator("#p-locked")).to_be_visible(timeout=WAIT)
    expect(shown).to_be_hidden()
    expect(bo.locator(".room-message")).to_be_visible()  # the phones keep it until hidden


def test_a_message_to_one_group_reaches_only_that_groups_phones(room):
    projector = room.page(PROJECTOR, room.links.projector)
    ada, bo = room.phone("Ada"), room.phone("Bo")
    for i in range(6):
        room.command("add_participant", {"name": f"Nophone {i + 1}"})
    into_groups(room, {"Ada": 1, "Bo": 2})
    facilitator = room.facilitator()
    expect(facilitator.get_by_label("Send to").locator("option")).to_have_count(3)
    facilitator.get_by_label("Message", exact=True).fill(HOSTILE)
    facilitator.get_by_label("Send to").select_option(label="Group 2 · Blue (its phones only)")
    facilitator.get_by_role("button", name="Send message").click()

    expect(bo.locator(".room-message-head")).to_contain_text("Message to your group", timeout=WAIT)
    expect(bo.locator(".room-message-text")).to_have_text(HOSTILE)  # as text, never as HTML
    assert bo.locator(".room-message b").count() == 0
    expect(facilitator.locator("#f-msg-last")).to_contain_text(f"to Group 2 · Blue: {HOSTILE}")
    assert facilitator.locator("#f-msg-last b").count() == 0
    room.truth.wait_for(lambda v: v["groups"][1]["message"] is not None)
    ada.reload()  # a fresh view: still nothing for group 1
    expect(ada.locator(".help-box")).to_be_visible(timeout=WAIT)
    expect(ada.locator(".room-message")).to_have_count(0)
    expect(projector.locator(".p-message")).to_be_hidden()
    clean(bo, "phone with a group message")


def test_a_phone_asks_for_help_the_facilitator_sees_the_hand_and_clears_it(room):
    ada, bo = room.phone("Ada"), room.phone("Bo")
    for i in range(6):
        room.command("add_participant", {"name": f"Nophone {i + 1}"})
    into_groups(room, {"Ada": 1, "Bo": 1})
    facilitator = room.facilitator()
    expect(facilitator.locator(".f-hands")).to_contain_text("No group is asking for help.")
    expect(ada.locator(".help-box")).to_be_visible(timeout=WAIT)
    clean(ada, "phone with Ask for help")

    double_click(ada, ada.get_by_role("button", name="Ask for help"))
    expect(ada.locator(".help-status")).to_contain_text("Help is on the way", timeout=WAIT)
    expect(ada.locator(".help-status")).to_contain_text("You asked at")
    expect(bo.locator(".help-status")).to_contain_text("Ada asked at", timeout=WAIT)
    hands = facilitator.locator(".f-hand-row")
    expect(hands).to_have_count(1, timeout=WAIT)
    expect(hands.first).to_contain_text("Group 1")
    expect(hands.first).to_contain_text("asked at")
    expect(hands.first).to_contain_text("(Ada)")
    expect(facilitator.locator("#f-hands-h")).to_contain_text("(1 group)")
    card = facilitator.locator("article.f-group").first
    expect(card.locator(".f-hand")).to_contain_text("Asked for help")
    expect(facilitator.locator("article.f-group").nth(1).locator(".f-hand")).to_have_count(0)
    raised = [v["groups"][0]["help"]["ticket"] for v in room.truth.views if v["groups"] and v["groups"][0]["help"]]
    assert len(set(raised)) == 1, raised  # the double tap raised it once
    expect(ada.locator(".help-note")).to_be_hidden()  # no error said (the second tap was taken quietly)
    for page, what in ((ada, "phone that asked for help"), (facilitator, "facilitator with a raised hand")):
        clean(page, what)
    # The note that the facilitator moved Ada, when her phone saw the move happen (a phone whose
    # first grouped view already has her in group 1 has nothing to be told): out of the picture.
    moved_note = ada.get_by_role("button", name="OK")
    if moved_note.count():
        moved_note.click()
    ada.locator(".help-box").scroll_into_view_if_needed()
    screenshot(ada, "phone-help-asked")
    screenshot(facilitator, "facilitator-help-hand")

    # A reload keeps it: the hand is the server's.
    ada.reload()
    expect(ada.locator(".help-status")).to_contain_text("You asked at", timeout=WAIT)

    # The facilitator clears it with a double click: cleared once, no error, the phones say so.
    facilitator.wait_for_timeout(800)  # a button that just appeared is not armed for a moment
    double_click(facilitator, hands.first.get_by_role("button", name="Mark as helped"))
    expect(ada.locator(".help-note")).to_contain_text("The facilitator marked your group's request as answered",
                                                      timeout=WAIT)
    expect(bo.locator(".help-note")).to_contain_text("The facilitator marked your group's request as answered",
                                                     timeout=WAIT)
    expect(ada.get_by_role("button", name="Ask for help")).to_be_visible()
    expect(card.locator(".f-hand")).to_have_count(0)
    expect(facilitator.locator("#f-status")).not_to_have_class("is-error")
    room.truth.wait_for(lambda v: v["groups"][0]["help"] is None)
    clean(ada, "phone after the facilitator cleared the hand")

    # Bo asks again, then cancels with a double click: lowered once, and it can be asked again.
    bo.get_by_role("button", name="Ask for help").click()
    expect(bo.locator(".help-status")).to_contain_text("You asked at", timeout=WAIT)
    expect(hands).to_have_count(1, timeout=WAIT)
    double_click(bo, bo.get_by_role("button", name="Cancel the request"))
    expect(bo.locator(".help-note")).to_contain_text("You cancelled the request at", timeout=WAIT)
    expect(ada.locator(".help-note")).to_contain_text("Bo cancelled the request at", timeout=WAIT)
    expect(bo.locator(".help-status")).to_be_hidden()
    room.truth.wait_for(lambda v: v["groups"][0]["help"] is None)
    expect(facilitator.locator(".f-hand-row:not(.is-lowered)")).to_have_count(0, timeout=WAIT)
    bo.reload()
    expect(bo.locator(".help-note")).to_contain_text("You cancelled the request at", timeout=WAIT)
    clean(bo, "phone after cancelling")
