"""Issue 13, the big screen, in real browsers: the lobby with 200 names, all groups on one
screen, pages the facilitator turns, a planning screen that is alive, sounds behind the one
click browsers need (and the facilitator's mute), and the showcase revealed step by step with a
presenter countdown on both screens, answers never below 28 px and empty ones left out.

Debian's Chromium under Playwright, against a real `gamehub serve`; a python-socketio
facilitator ("truth") and phones (`SheetPhone`) drive what no page needs to. Screenshots of
each projector state go to artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from browser import LAPTOP, PROJECTOR, axe_violations, launched, read_qr, screenshot
from browser_room import BrowserRoom, served
from sheets import SheetPhone
from server_process import Client

WAIT = 10_000
SETTLE = 1.2
HD = {"viewport": {"width": 1280, "height": 720}}
SENTENCES = [
    "Night-shift nurses and paramedics who meet protein folding only as a line in a drug leaflet.",
    "They are curious, tired and sharp, and they like puzzles they can solve in a coffee break.",
    "We open with a misfolded protein as a detective story: the body is the city, the chaperones are the police.",
    "The audience follows one protein from the ribosome to the moment it finds its shape, or fails to.",
    "Each scene ends on a question they can answer with what they already know from the ward.",
    "We show why a tiny change in sequence can ruin a whole shape, with an origami model folded live.",
    "The laugh comes from the chaperones arguing like an old married couple over who lost the protein.",
    "At the end the audience votes on which fold is right, and we reveal what the experiment found.",
]
LONG = " ".join(SENTENCES[i % len(SENTENCES)] for i in range(30))[:2000].rsplit(" ", 1)[0] + "."
FIRST = ["Amara", "Kwame", "Lin", "Noor", "Yusuf", "Grace", "Ada", "Tomasz", "Ingrid", "Mateo",
         "Priya", "Sofía", "Hiroshi", "Fatima", "Oluwaseun", "Chloé", "Dmitri", "Aroha", "Wanda", "Ike"]
LAST = ["Okafor", "Mensah", "Zhang", "Haddad", "Demir", "Hopper", "Lovelace", "Kowalski", "Berg", "García"]
ROOM = [f"{FIRST[i % 20]} {LAST[(i // 20 + i) % 10]}" for i in range(200)]


@pytest.fixture(scope="module")
def chromium():
    # As a real browser: no sound before the page had a click or a key.
    with launched("--autoplay-policy=document-user-activation-required") as browser:
        yield browser


class Room(BrowserRoom):
    def __init__(self, server, browser):
        super().__init__(server, browser)
        self.added: list = []

    def add(self, count: int, prefix: str | None = None) -> None:
        """People without phones, from several facilitator connections (each has its own rate budget)."""
        helpers = [self.client("facilitator", self.links.facilitator_token) for _ in range(max(1, count // 15))]
        for i in range(count):
            name = f"{prefix} {i + 1:03d}" if prefix else ROOM[(len(self.added) + i) % len(ROOM)]
            self.command("add_participant", {"name": name, "title": f"Research story {i + 1}"}, helpers[i % len(helpers)])
        self.added += [None] * count

    def phones(self, count: int) -> list[Client]:
        phones = []
        for i in range(count):
            phone = self.client("phone")
            self.command("join", {"name": f"Phone {i + 1}", "title": f"Story of phone {i + 1}",
                                  "token": f"test-phone-token-{i:04d}-abcdefghij"}, phone)
            phones.append(phone)
        return phones


@pytest.fixture
def room(chromium):
    with served(Room, chromium) as r:
        yield r


def settled(page):
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')", timeout=WAIT)


def px(page, selector: str) -> float:
    return float(page.locator(selector).first.evaluate("n => getComputedStyle(n).fontSize")[:-2])


def inside(page, selector: str) -> bool:
    """Every element matching `selector` is whole on the screen."""
    return page.evaluate("""(sel) => [...document.querySelectorAll(sel)].every(n => {
        const r = n.getBoundingClientRect();
        return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1; })""", selector)


def longest_motion(page) -> float:
    """The longest animation or transition on the page, in seconds."""
    return page.evaluate("""() => Math.max(0, ...[...document.querySelectorAll('*')].flatMap(node => {
        const style = getComputedStyle(node);
        return [style.animationDuration, style.transitionDuration].flatMap(v => v.split(','))
            .map(v => v.trim().endsWith('ms') ? parseFloat(v) / 1000 : parseFloat(v));
    }))""")


def no_axe(page, name: str, *, settle: bool = True) -> None:
    if settle:  # (the last ten seconds pulse until time is up: those are taken as they are)
        settled(page)
    screenshot(page, name)
    assert axe_violations(page) == [], name


def test_the_lobby_with_200_names_is_readable_at_1080p_and_720p_and_says_how_many_more(room):
    room.add(200)
    for options, size in ((PROJECTOR, "1080"), (HD, "720")):
        page = room.page(options, room.links.projector)
        expect(page.locator("#p-count")).to_have_text("200 people have joined", timeout=WAIT)
        height = options["viewport"]["height"]
        qr = page.locator("#p-qr").bounding_box()
        assert qr["height"] >= height / 2 and qr["width"] >= height / 2, qr
        assert read_qr(page.locator("#p-qr").screenshot()) == room.links.join
        shown = page.locator(".p-name:not(.p-more)").count()
        more = page.locator("#p-more")
        expect(more).to_have_text(f"and {200 - shown} more")
        assert shown >= 20, shown
        assert inside(page, ".p-name") and inside(page, "#p-join-url") and inside(page, ".p-room-code")
        assert px(page, ".p-name") >= (20 if size == "1080" else 13), px(page, ".p-name")
        assert px(page, "#p-join-url") >= (48 if size == "1080" else 32)
        # the newest first
        expect(page.locator(".p-name").first).to_have_text(ROOM[199])
        no_axe(page, f"projector-1-lobby-200-{size}")
        page.context.close()


def test_ten_groups_fit_on_one_screen_and_thirteen_are_pages_the_facilitator_turns(room):
    room.add(40)
    projector = room.page(PROJECTOR, room.links.projector)
    room.to("form_groups", {"from_phase": "lobby"}, "groups")
    expect(projector.locator(".p-band-group")).to_have_count(10, timeout=WAIT)
    settled(projector)
    assert inside(projector, ".p-card") and projector.locator(".p-page").count() == 0
    assert px(projector, ".p-members li") >= 24 and inside(projector, ".p-members li")
    no_axe(projector, "projector-2-groups-10")
    room.to("pick_stories", {"from_phase": "groups"}, "stories")
    expect(projector.locator(".p-story-title")).to_have_count(10, timeout=WAIT)
    assert inside(projector, ".p-card")
    no_axe(projector, "projector-3-stories-10")
    first = projector.locator(".p-band-group").first.text_content()
    time.sleep(13)  # the old screen flipped pages every 12 s by itself: nothing moves now
    assert projector.locator(".p-band-group").first.text_content() == first
    assert projector.locator(".p-band-group").count() == 10

    # Thirteen groups: two pages (7 and 6), turned by the facilitator only.
    room.to("back", {"from_phase": "stories"}, "groups")
    room.to("back", {"from_phase": "groups"}, "lobby")
    room.add(12, prefix="Late")
    room.to("form_groups", {"from_phase": "lobby"}, "groups")
    expect(projector.locator(".p-band-group")).to_have_count(7, timeout=WAIT)
    expect(projector.locator(".p-page")).to_contain_text("Page 1 of 2")
    facilitator = room.page(LAPTOP, room.links.facilitator)
    expect(facilitator.locator("#f-pages-text")).to_contain_text("page 1 of 2", timeout=WAIT)
    next_page = facilitator.locator("#btn-page-next")
    expect(next_page).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
    box = next_page.bounding_box()
    before = room.view()["version"]
    facilitator.mouse.click(box["x"] + 5, box["y"] + 5)
    facilitator.wait_for_timeout(150)
    facilitator.mouse.click(box["x"] + 5, box["y"] + 5)
    room.truth.wait_for(lambda v: v["page"] == 1)
    time.sleep(SETTLE)
    assert room.view()["version"] == before + 1  # a double click turned one page
    expect(projector.locator(".p-band-group")).to_have_count(6, timeout=WAIT)
    expect(projector.locator(".p-band-group").first).to_have_text("Group 8")
    expect(projector.locator(".p-page")).to_contain_text("Page 2 of 2")


def test_planning_is_alive_with_stories_formats_events_progress_and_a_one_minute_warning_with_sound(room):
    phones = room.phones(8)
    projector = room.page(PROJECTOR, room.links.projector)
    gate = projector.locator("#p-sound-gate")
    expect(gate).to_be_visible(timeout=WAIT)  # the browser wants one click before any sound
    expect(gate).to_contain_text("browsers need one click")
    assert projector.locator("#projector").get_attribute("data-sound-state") == "suspended"
    gate.click()
    expect(projector.locator("#projector")).to_have_attribute("data-sound-state", "running", timeout=WAIT)
    expect(gate).to_be_hidden()

    room.to("form_groups", {"from_phase": "lobby"}, "groups")
    view = room.to("pick_stories", {"from_phase": "groups"}, "stories")
    titles = [g["story"]["title"] for g in view["groups"]]
    room.to("start_planning", {"from_phase": "stories", "minutes": 1}, "planning")
    # Started with one minute: the warning surfaces, in words and with a sound.
    expect(projector.locator(".p-event.is-warning")).to_have_text("One minute left", timeout=WAIT)
    expect(projector.locator("#p-timer-label")).to_have_text("Last minute")
    assert projector.locator("#projector").get_attribute("data-last-sound") == "warning"
    for title in titles:
        expect(projector.locator("#p-view")).to_contain_text(title)

    # A group chooses a format and writes all four answers: the room sees it happen.
    member = next(p for p in phones if p.views[-1]["group"]["number"] == 1)
    room.command("choose_format", {"format": 2}, member)
    name = member.views[-1]["group"]["formats"][2]
    expect(projector.locator(".p-feed")).to_contain_text(f"Group 1 chose {name}", timeout=WAIT)
    expect(projector.locator(".p-card[data-group='1']")).to_contain_text(name)
    sheet = SheetPhone(member, member.views[-1]["group"]["sheet"])
    for q in range(4):
        assert sheet.type(q, f"Answer {q + 1} of group one")["ok"]
    expect(projector.locator(".p-feed")).to_contain_text("Group 1 answered all four", timeout=WAIT)
    expect(projector.locator("#p-room-progress")).to_contain_text("4 of 8 answers written")
    expect(projector.locator("#p-room-progress")).to_contain_text("1 of 2 groups chose a format")
    no_axe(projector, "projector-4-planning-alive")

    # Muted from the facilitator screen: the projector says so and plays nothing.
    facilitator = room.page(LAPTOP, room.links.facilitator)
    mute = facilitator.locator("#btn-sound")
    expect(mute).to_have_text("Mute projector sound", timeout=WAIT)
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    expect(projector.locator("#projector")).to_have_attribute("data-sound", "muted", timeout=WAIT)
    played = int(projector.locator("#projector").get_attribute("data-sounds"))
    # The last ten seconds, then time's up: marked in words, and silent while muted. (The page
    # corrects its clock by the server's in every view, so the test waits for the real time.)
    view = room.view()
    time.sleep(max(0.0, view["timer"]["deadline"] - view["now"] - 8))
    expect(projector.locator("#p-timer-label")).to_have_text("Last seconds", timeout=WAIT)
    expect(projector.locator("#p-timer-box")).to_have_class(re.compile("is-final"))
    no_axe(projector, "projector-4-planning-last-seconds", settle=False)
    expect(projector.locator("#p-timer-label")).to_have_text("Last seconds")  # the picture shows them
    expect(projector.locator("#p-timer")).to_have_text("Time’s up", timeout=15_000)
    assert int(projector.locator("#projector").get_attribute("data-sounds")) == played


def test_the_showcase_is_revealed_step_by_step_with_a_presenter_countdown_and_answers_never_below_28px(room):
    phones = room.phones(8)
    projector = room.page(PROJECTOR, room.links.projector)
    projector.locator("#p-sound-gate").click()
    expect(projector.locator("#projector")).to_have_attribute("data-sound-state", "running", timeout=WAIT)
    room.to("form_groups", {"from_phase": "lobby"}, "groups")
    room.to("pick_stories", {"from_phase": "groups"}, "stories")
    room.to("start_planning", {"from_phase": "stories", "minutes": 20}, "planning")
    member = next(p for p in phones if p.views[-1]["group"]["number"] == 1)
    room.command("choose_format", {"format": 0}, member)
    sheet = SheetPhone(member, member.views[-1]["group"]["sheet"])
    assert sheet.type(0, LONG)["ok"]  # 2,000 characters
    assert sheet.type(2, "Short and sweet")["ok"]  # questions 2 and 4 stay empty
    facilitator = room.page(LAPTOP, room.links.facilitator)
    view = room.to("start_showcase", {"from_phase": "planning"}, "showcase")
    show = view["showcase"]
    parts = show["steps"] - 4
    assert parts >= 3 and show["presenter"] is not None

    # Step 0: the group and its members; the presenter countdown on both screens.
    expect(projector.locator(".p-reveal-group")).to_contain_text("Group 1", timeout=WAIT)
    expect(projector.locator("#p-presenter")).to_have_text(re.compile(r"^[12]:\d\d$"))
    expect(facilitator.locator("#f-presenter")).to_have_text(re.compile(r"^[12]:\d\d$"), timeout=WAIT)
    no_axe(projector, "projector-5-showcase-0-group")

    # A double click on Next reveals one step.
    nxt = facilitator.locator("#btn-next")
    expect(nxt).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
    box = nxt.bounding_box()
    before = room.view()["version"]
    facilitator.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    facilitator.wait_for_timeout(150)
    facilitator.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    room.truth.wait_for(lambda v: v["showcase"]["step"] == 1)
    time.sleep(SETTLE)
    assert room.view()["version"] == before + 1 and room.view()["showcase"]["step"] == 1
    expect(projector.locator(".p-reveal-story")).to_contain_text("Story of phone", timeout=WAIT)
    no_axe(projector, "projector-5-showcase-1-story")

    def next_step(step):
        expect(nxt).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
        nxt.click()
        room.truth.wait_for(lambda v: v["showcase"]["step"] == step or v["showcase"]["index"] == 1)

    next_step(2)
    expect(projector.locator(".p-reveal-format")).to_contain_text(view["groups"][0]["format"] or "", timeout=WAIT)
    no_axe(projector, "projector-5-showcase-2-format")
    seen = ""
    for part in range(parts):
        next_step(3 + part)
        text = projector.locator(".p-answer-text")
        expect(text).to_be_visible(timeout=WAIT)
        expect(projector.locator(".p-part")).to_contain_text(f"Part {part + 1} of {parts}", timeout=WAIT)
        settled(projector)
        assert px(projector, ".p-answer-text") >= 28, px(projector, ".p-answer-text")
        assert px(projector, ".p-reveal-question") >= 28
        assert projector.locator("#p-answer-box.is-clipped").count() == 0
        assert inside(projector, ".p-answer-text")
        seen += " " + text.text_content()
        if part == 0:
            no_axe(projector, "projector-5-showcase-3-answer")
    assert seen.split() == LONG.split()  # every word, across the parts
    next_step(3 + parts)
    expect(projector.locator(".p-answer-text")).to_have_text("Short and sweet", timeout=WAIT)
    expect(projector.locator(".p-reveal-question")).to_contain_text("Question 3 of 4")
    assert "No answer" not in projector.locator("body").inner_text()
    assert px(projector, ".p-answer-text") >= 40  # a short answer is large
    no_axe(projector, "projector-5-showcase-4-short")
    expect(nxt).to_have_text("Next: Group 2")

    # The presenter's time: a gentle chime at its end, on the projector that had its click.
    played = int(projector.locator("#projector").get_attribute("data-sounds"))
    room.command("set_presenter_timer", {"seconds": 2})
    expect(projector.locator("#p-presenter-label")).to_have_text("Presenter’s time is up", timeout=WAIT)
    expect(projector.locator("#projector")).to_have_attribute("data-last-sound", "chime", timeout=WAIT)
    assert int(projector.locator("#projector").get_attribute("data-sounds")) == played + 1
    expect(facilitator.locator("#f-presenter")).to_have_text("time is up", timeout=WAIT)

    # A second projector (or a reload) shows the same step; this one asks for reduced motion,
    # and nothing on it moves.
    again = room.page({**HD, "reduced_motion": "reduce"}, room.links.projector)
    expect(again.locator(".p-answer-text")).to_have_text("Short and sweet", timeout=WAIT)
    assert longest_motion(again) <= 0.001
    assert px(again, ".p-answer-text") >= 28 * 720 / 1080
    no_axe(again, "projector-5-showcase-720")
    again.context.close()

    # Next after the last step: group 2, its first step, a fresh countdown of the set length.
    next_step(0)
    room.truth.wait_for(lambda v: v["showcase"]["index"] == 1)
    expect(projector.locator(".p-reveal-group")).to_contain_text("Group 2", timeout=WAIT)
    expect(projector.locator("#p-presenter")).to_have_text(re.compile(r"^0:0[0-2]$"), timeout=WAIT)
    # Group 2 wrote nothing: its card ends at its format, with no "No answer" anywhere.
    assert room.view()["showcase"]["steps"] == 3
    # Previous goes back to group 1, fully revealed.
    facilitator.locator("#btn-prev").click()
    room.truth.wait_for(lambda v: v["showcase"]["index"] == 0)
    assert room.view()["showcase"]["step"] == room.view()["showcase"]["steps"] - 1
    facilitator.locator("#btn-gallery").click()
    expect(projector.locator(".p-gallery-card")).to_have_count(2, timeout=WAIT)
    no_axe(projector, "projector-6-gallery")
    settled(facilitator)
    screenshot(facilitator, "facilitator-5-showcase-steps")
    assert axe_violations(facilitator) == []
