"""Issue 13, phones during the showcase, in real browsers: two phones follow the facilitator's
Next on the projector (which group presents, its story and format as they are revealed, "your
group"), their taps on the reaction buttons show as counts on the projector and the
facilitator, a burst of taps beyond the limit is limited, and the new phone state is
axe-clean. Debian's Chromium under Playwright against a real `gamehub serve`; six more phones
are python-socketio clients so the room has two groups."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser import LAPTOP, NARROW_PHONE, PHONE, PROJECTOR, axe_violations, screenshot
from browser_room import BrowserRoom, served

WAIT = 10_000


class Show(BrowserRoom):
    def __init__(self, server, browser):
        super().__init__(server, browser)
        self.phones: list = []  # the socket phones of more_phones

    def phone(self, name: str, title: str, options: dict = PHONE):
        page = self.page(options, self.links.join)
        page.get_by_label("Your name").fill(name)
        page.get_by_label("Your research story: a title").fill(title)
        page.get_by_role("button", name="Join").click()
        expect(page.locator("h1")).to_have_text(f"You're in, {name}.", timeout=WAIT)
        return page

    def more_phones(self, count: int) -> None:
        for i in range(count):
            phone = self.client("phone")
            self.command("join", {"name": f"Phone {i + 1}", "title": f"Story of phone {i + 1}",
                                  "token": f"test-phone-token-{i:04d}-abcdefghij"}, phone)
            self.phones.append(phone)


@pytest.fixture
def show(chromium):
    with served(Show, chromium) as s:
        yield s


def click(page, locator, times: int = 1, pause_ms: int = 0) -> None:
    """Real clicks in the middle of the element, `pause_ms` apart."""
    box = locator.bounding_box()
    for _ in range(times):
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        if pause_ms:
            page.wait_for_timeout(pause_ms)


def press(facilitator, button_id: str) -> None:
    """A real click on a facilitator button once it takes clicks (after a step, the step buttons
    ignore clicks for a moment, so a double click moves the projector once)."""
    button = facilitator.locator(button_id)
    expect(button).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
    click(facilitator, button)


def count_on(page, emoji: str):
    return page.locator(f'.p-react[data-emoji="{emoji}"] .p-react-n')


def test_phones_follow_next_on_the_projector_and_their_reactions_show_there_as_counts_limited_per_phone(show):
    amara = show.phone("Amara", "Glaciers keep a diary")
    kwame = show.phone("Kwame", "Bees vote", NARROW_PHONE)  # 320 px wide
    show.more_phones(6)
    projector = show.page(PROJECTOR, show.links.projector)
    calm = show.page({**PROJECTOR, "reduced_motion": "reduce"}, show.links.projector)
    facilitator = show.page(LAPTOP, show.links.facilitator)
    show.to("form_groups", {"from_phase": "lobby"}, "groups")
    show.to("pick_stories", {"from_phase": "groups"}, "stories")
    view = show.to("start_planning", {"from_phase": "stories", "minutes": 15}, "planning")
    group_of = {m["name"]: g["number"] for g in view["groups"] for m in g["members"]}
    groups = {g["number"]: g for g in view["groups"]}
    member = next(p for p in show.phones if p.wait_for(lambda v: v["phase"] == "planning")["group"]["number"] == 1)
    assert member.call("choose_format", {"format": 1})["ok"]
    chosen = groups[1]["formats"][1]
    view = show.to("start_showcase", {"from_phase": "planning"}, "showcase")

    # Step 0 of group 1: both phones say who presents; only its members see "your group".
    for page, name in ((amara, "Amara"), (kwame, "Kwame")):
        mine = group_of[name] == 1
        expect(page.locator(".follow-title")).to_have_text(
            "Your group is presenting" if mine else "Group 1 is presenting", timeout=WAIT)
        expect(page.locator(".follow-colour")).to_have_text("Red group")
        expect(page.locator(".follow-yours")).to_be_visible() if mine else expect(page.locator(".follow-yours")).to_be_hidden()
        expect(page.locator(".follow-story")).to_be_hidden()  # not revealed on the projector yet
    screenshot(amara, "phone-5-showcase-follow")
    assert axe_violations(amara) == []

    # The facilitator clicks Next: the story appears on the projector and on both phones.
    story = groups[1]["story"]["title"]
    press(facilitator, "#btn-next")
    expect(projector.locator(".p-reveal-story")).to_contain_text(story, timeout=WAIT)
    for page in (amara, kwame):
        expect(page.locator(".follow-story")).to_have_text(f"“{story}”", timeout=WAIT)
        expect(page.locator(".follow-format")).to_be_hidden()
    press(facilitator, "#btn-next")
    for page in (amara, kwame):
        expect(page.locator(".follow-format")).to_have_text(f"Format: {chosen}", timeout=WAIT)

    # Reactions: real taps on the phones, counted on the projector (and the facilitator's line).
    applause = amara.get_by_role("button", name="Applause")
    for page in (amara, kwame):  # thumb-sized, all five on one row, even 320 px wide
        boxes = [b.bounding_box() for b in page.locator(".react-button").all()]
        assert len(boxes) == 5 and all(b["width"] >= 44 and b["height"] >= 44 for b in boxes), boxes
        assert len({round(b["y"]) for b in boxes}) == 1, boxes
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    click(amara, applause, 3, pause_ms=200)
    click(kwame, kwame.get_by_role("button", name="Laughter"), 2, pause_ms=200)
    for page in (projector, calm):
        expect(count_on(page, "👏")).to_have_text("3", timeout=WAIT)
        expect(count_on(page, "😂")).to_have_text("2", timeout=WAIT)
    expect(facilitator.locator('#f-reactions [data-emoji="👏"]')).to_have_text(" Applause 3", timeout=WAIT)
    expect(facilitator.locator('#f-reactions [data-emoji="😂"]')).to_have_text(" Laughter 2")
    # The projector floats some emoji up as they come, unless it asks for reduced motion.
    assert projector.evaluate("() => document.querySelectorAll('.p-float').length") > 0
    assert calm.evaluate("() => [...document.querySelectorAll('.p-float')]"
                         ".filter(n => getComputedStyle(n).display !== 'none').length") == 0
    assert float(projector.locator(".p-react-n").first.evaluate("n => getComputedStyle(n).fontSize")[:-2]) >= 28
    screenshot(projector, "projector-5-showcase-reactions")
    assert axe_violations(projector) == []

    # A burst of taps beyond the limit: the phone says so, and only what the server accepted counts.
    love = kwame.get_by_role("button", name="Love")
    click(kwame, love, 14)
    expect(kwame.locator(".react-note")).to_have_text(re.compile("a few reactions a second"), timeout=WAIT)
    screenshot(kwame, "phone-5-showcase-limited")
    assert axe_violations(kwame) == []
    kwame.wait_for_timeout(1500)  # the last counts reach the projector (a few times a second)
    counted = int(count_on(projector, "❤️").text_content())
    assert 1 <= counted < 14, counted
    assert int(count_on(calm, "❤️").text_content()) == counted
    kwame.wait_for_timeout(2000)  # the budget refills: a tap counts again
    click(kwame, love)
    expect(count_on(projector, "❤️")).to_have_text(str(counted + 1), timeout=WAIT)

    # Next group: both phones follow, the projector's counts are the new group's (none yet).
    press(facilitator, "#btn-next-group")
    for page, name in ((amara, "Amara"), (kwame, "Kwame")):
        expect(page.locator(".follow-title")).to_have_text(
            "Your group is presenting" if group_of[name] == 2 else "Group 2 is presenting", timeout=WAIT)
        expect(page.locator(".follow-colour")).to_have_text("Blue group")
    expect(projector.locator(".p-reveal-group")).to_contain_text("Group 2", timeout=WAIT)
    expect(projector.locator(".p-react")).to_have_count(0)
    click(amara, amara.get_by_role("button", name="Good idea"))
    expect(count_on(projector, "💡")).to_have_text("1", timeout=WAIT)

    # The gallery: no single group on screen, no reaction buttons.
    press(facilitator, "#btn-gallery")
    for page in (amara, kwame):
        expect(page.locator(".follow-title")).to_have_text("All groups' cards are on the big screen", timeout=WAIT)
        expect(page.get_by_role("button", name="Applause")).to_be_hidden()
    expect(projector.locator(".p-react-layer")).to_be_hidden()
    assert axe_violations(amara) == []

    # A reload of a phone comes back to what the projector shows.
    kwame.reload()
    expect(kwame.locator(".follow-title")).to_have_text("All groups' cards are on the big screen", timeout=WAIT)
