"""A whole game in real browsers: Debian's Chromium under Playwright, against `gamehub serve`.

Nine phones (uneven groups: 5 and 4), a projector and a facilitator, all at once. Phones
reach the join page from the URL read out of the projector's QR code. Screenshots of every
screen in every phase go to artifacts/screenshots/; axe-core checks every screen in every phase.
"""

from __future__ import annotations

import signal
import time

import pytest
from playwright.sync_api import expect

from browser import LAPTOP, NARROW_PHONE, PHONE, PROJECTOR, axe_violations, read_qr, screenshot
from server_process import Client, ServerProcess

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_TITLE = "</script><script>alert(2)</script>"
PEOPLE = [(HOSTILE_NAME, "Folding proteins", "Shapes that matter"),
          ("Grace", HOSTILE_TITLE, "Compilers for everyone"),
          ("Ada", "Engines of thought", "<b>bold</b> claims about looms"),
          ("Lin", "Coral reefs", "Reefs at night"), ("Mo", "Dark matter", "Invisible mass"),
          ("Noor", "Soil microbes", "Life under our feet"), ("Ike", "Bird song", "Dialects of finches"),
          ("Sol", "Solar wind", "Weather in space"), ("Tam", "Glaciers", "Ice that remembers")]
NARROW = 8  # the last phone is 320 px wide
WAIT = 10_000  # ms: every live update must arrive well within this


class Screens:
    """Every page of one game, and what went wrong on any of them (dialogs, console errors)."""

    def __init__(self, browser):
        self.browser = browser
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def open(self, options: dict, url: str):
        page = self.browser.new_context(**options).new_page()
        page.on("dialog", self._dialog)
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.goto(url)
        return page

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def check(page, name: str, screens_to_check: list) -> None:
    """Screenshot, then collect the page's serious accessibility violations, once the screen has
    settled (a card fading in has, for a moment, too little contrast)."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')", timeout=WAIT)
    screenshot(page, name)
    if page.viewport_size["width"] <= 400:
        assert no_horizontal_scroll(page), f"{name}: the page scrolls sideways"
    for violation in axe_violations(page):
        screens_to_check.append((name, violation))


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def text_of(page) -> str:
    return page.evaluate("() => document.body.innerText")


def test_a_whole_game_with_nine_phones_a_projector_and_a_facilitator(chromium):
    with ServerProcess() as server:
        links = server.sessions[0]
        screens = Screens(chromium)
        violations: list = []
        truth = Client(server.url, {"session": links.code, "role": "facilitator", "token": links.facilitator_token})

        # -- the projector shows the QR code; the phones follow it ------------------------------
        projector = screens.open(PROJECTOR, links.projector)
        qr = projector.locator("#p-qr")
        expect(qr).to_be_visible()
        box = qr.bounding_box()
        assert box["width"] >= 400 and box["height"] >= 400, box
        join_url = read_qr(qr.screenshot())
        assert join_url == links.join
        assert float(projector.evaluate("() => getComputedStyle(document.body).fontSize")[:-2]) >= 28
        facilitator = screens.open(LAPTOP, links.facilitator)
        expect(facilitator.locator("#f-conn-text")).to_have_text("Connected", timeout=WAIT)

        phones = []
        for i, (name, title, pitch) in enumerate(PEOPLE):
            phone = screens.open(NARROW_PHONE if i == NARROW else PHONE, join_url)
            phone.get_by_label("Your name").fill(name)
            phone.get_by_label("Your research story: a title").fill(title)
            phone.get_by_label("Your pitch").fill(pitch)
            phone.get_by_role("button", name="Join").click()
            expect(phone.locator("h1")).to_have_text(f"You're in, {name}.", timeout=WAIT)
            phones.append(phone)
        expect(projector.locator("#p-count")).to_contain_text("9", timeout=WAIT)
        for page in (projector, facilitator):
            expect(page.get_by_text(HOSTILE_NAME).first).to_be_visible()
        expect(phones[1].get_by_text(HOSTILE_TITLE)).to_be_visible()  # Grace's own story
        for page, name in ((projector, "projector-1-lobby"), (facilitator, "facilitator-1-lobby"),
                           (phones[0], "phone-1-lobby"), (phones[NARROW], "phone-320-1-lobby")):
            check(page, name, violations)

        # -- groups: the facilitator uses the keyboard alone ------------------------------------
        facilitator.locator("body").focus()
        for _ in range(80):
            facilitator.keyboard.press("Tab")
            if facilitator.evaluate("() => document.activeElement && document.activeElement.id") == "btn-form-groups":
                break
        else:
            pytest.fail("Tab never reached the Form groups button")
        facilitator.keyboard.press("Enter")
        view = truth.wait_for(lambda v: v["phase"] == "groups")
        assert [len(g["members"]) for g in view["groups"]] == [5, 4]
        group_of = {m["name"]: g["number"] for g in view["groups"] for m in g["members"]}
        members = {g["number"]: [m["name"] for m in g["members"]] for g in view["groups"]}
        for (name, _, _), phone in zip(PEOPLE, phones):
            number = group_of[name]
            expect(phone.locator("h1")).to_have_text(f"You are in group {number}", timeout=WAIT)
            for mate in members[number]:
                expect(phone.locator(".members")).to_contain_text(mate)
        expect(projector.locator(".p-band-group")).to_have_count(2, timeout=WAIT)
        for page, name in ((projector, "projector-2-groups"), (facilitator, "facilitator-2-groups"),
                           (phones[0], "phone-2-groups"), (phones[NARROW], "phone-320-2-groups")):
            check(page, name, violations)

        # -- stories ----------------------------------------------------------------------------
        facilitator.locator("#btn-pick-stories").click()
        view = truth.wait_for(lambda v: v["phase"] == "stories")
        story_of = {g["number"]: g["story"] for g in view["groups"]}
        for (name, _, _), phone in zip(PEOPLE, phones):
            expect(phone.locator(".story-title")).to_have_text(story_of[group_of[name]]["title"], timeout=WAIT)
        for story in story_of.values():
            expect(projector.locator("#p-view")).to_contain_text(story["title"], timeout=WAIT)
        for page, name in ((projector, "projector-3-stories"), (facilitator, "facilitator-3-stories"),
                           (phones[0], "phone-3-stories"), (phones[NARROW], "phone-320-3-stories")):
            check(page, name, violations)

        # -- planning: one group chooses a format and writes; the other group never sees it ------
        facilitator.get_by_label("Minutes").first.fill("20")
        facilitator.locator("#btn-start-planning").click()
        truth.wait_for(lambda v: v["phase"] == "planning")
        group_one = [phone for (name, _, _), phone in zip(PEOPLE, phones) if group_of[name] == 1]
        group_two = [phone for (name, _, _), phone in zip(PEOPLE, phones) if group_of[name] == 2]
        first, second, third = group_one[:3]
        first_name = next(name for (name, _, _), phone in zip(PEOPLE, phones) if phone is first)
        format_name = first.locator("button.format").nth(1).locator(".format-name")
        format_name = format_name.text_content()
        first.locator("button.format").nth(1).click()
        expect(second.locator("button.format").nth(1)).to_have_attribute("aria-pressed", "true", timeout=WAIT)
        expect(second.locator("button.format").nth(1)).to_contain_text("Chosen")
        # Who chose it, on every phone of the group; the others are told politely, once.
        expect(first.locator(".format-by")).to_have_text(f"You chose {format_name}.")
        expect(second.locator(".format-by")).to_have_text(f"{first_name} chose {format_name}.")
        expect(second.locator(".toast")).to_have_text(f"{first_name} chose {format_name} for your group.")
        expect(first.locator(".toast")).to_be_hidden()
        # The answers are typed key by key, on two phones at once (they merge; see test_browser_sheet.py).
        audience = "Night-shift nurses who love puzzles"
        challenge = "Keeping the science right while it stays funny <img src=x onerror=alert(3)>"
        first.locator("#answer-0").press_sequentially(audience, delay=5)
        second.locator("#answer-3").press_sequentially(challenge, delay=5)
        expect(first.locator("#answer-0-status")).to_have_text("Saved", timeout=WAIT)
        expect(second.locator("#answer-3-status")).to_have_text("Saved", timeout=WAIT)
        expect(third.locator("#answer-0")).to_have_value(audience, timeout=WAIT)
        expect(third.locator("#answer-3")).to_have_value(challenge, timeout=WAIT)
        expect(facilitator.get_by_text(audience)).to_be_visible(timeout=WAIT)
        expect(facilitator.get_by_text(challenge)).to_be_visible(timeout=WAIT)  # hostile answer, as text
        expect(projector.locator(".p-progress-text").first).to_contain_text("2/4", timeout=WAIT)
        for phone in group_two:
            assert audience not in text_of(phone) and challenge not in text_of(phone)
            assert phone.locator("#answer-0").input_value() == ""

        # A phone reloads mid-planning: it comes back to its sheet, with its text.
        first.reload()
        expect(first.locator("#answer-0")).to_have_value(audience, timeout=WAIT)
        expect(first.locator("button.format").nth(1)).to_have_attribute("aria-pressed", "true")
        truth.wait_for(lambda v: v["groups"][0]["format"] == 1)
        for page, name in ((projector, "projector-4-planning"), (facilitator, "facilitator-4-planning"),
                           (first, "phone-4-planning"), (phones[NARROW], "phone-320-4-planning")):
            check(page, name, violations)

        # -- showcase: every group in turn ----------------------------------------------------------
        facilitator.locator("#btn-start-showcase").click()
        # Time is left: the page asks first, saying how much and who has written nothing.
        confirmation = facilitator.locator("#f-confirm")
        expect(confirmation).to_contain_text("left; ", timeout=WAIT)
        expect(confirmation).to_contain_text("1 group has answered nothing yet")
        confirmation.get_by_role("button", name="Start showcase now").click()
        truth.wait_for(lambda v: v["phase"] == "showcase")
        expect(projector.locator(".p-band-pos")).to_have_text("1 of 2", timeout=WAIT)
        # The card is revealed step by step on Next: the group, its story, its format, then
        # each answer that has text (the two empty ones are left out, never "No answer").
        expect(projector.locator(".p-reveal-group")).to_contain_text("Group 1", timeout=WAIT)
        for step, shown in ((1, story_of[1]["title"]), (2, format_name), (3, audience), (4, challenge)):
            armed = facilitator.locator("#btn-next")
            expect(armed).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
            armed.click()
            truth.wait_for(lambda v, step=step: v["showcase"]["step"] == step)
            expect(projector.locator(".p-reveal")).to_contain_text(shown, timeout=WAIT)
            if step == 3:
                check(projector, "projector-5-showcase", violations)
        assert "No answer" not in text_of(projector)
        expect(facilitator.locator("#btn-next")).to_have_text("Next: Group 2")
        expect(facilitator.locator("#btn-next")).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
        facilitator.locator("#btn-next").click()
        expect(projector.locator(".p-band-pos")).to_have_text("2 of 2", timeout=WAIT)
        assert audience not in text_of(projector)
        for page, name in ((projector, "projector-5-showcase-2"), (facilitator, "facilitator-5-showcase"),
                           (first, "phone-5-showcase"), (phones[NARROW], "phone-320-5-showcase")):
            check(page, name, violations)

        # Hostile text stayed text on every screen, and nothing ran.
        # (The phones of that group listed the name as text in the groups phase, above.)
        facilitator.locator("#btn-gallery").click()
        expect(projector.locator("#p-view")).to_contain_text(HOSTILE_NAME, timeout=WAIT)
        screenshot(projector, "projector-6-gallery")
        assert HOSTILE_NAME in text_of(facilitator)
        assert HOSTILE_TITLE in text_of(facilitator)
        assert screens.dialogs == []
        assert no_horizontal_scroll(phones[NARROW])
        assert violations == [], "\n".join(map(str, violations))
        assert [e for e in screens.errors if "favicon" not in e] == []
        truth.sio.disconnect()


def test_a_phone_shows_reconnecting_within_two_seconds_and_recovers_by_itself(chromium, tmp_path):
    data = tmp_path / "data"
    first = ServerProcess(data_dir=data).__enter__()
    screens = Screens(chromium)
    try:
        links = first.sessions[0]
        phone = screens.open(PHONE, links.join)
        phone.get_by_label("Your name").fill("Wanda")
        phone.get_by_role("button", name="Join").click()
        expect(phone.locator("h1")).to_have_text("You're in, Wanda.", timeout=WAIT)
        facilitator = screens.open(LAPTOP, links.facilitator)
        expect(facilitator.locator("#f-conn-text")).to_have_text("Connected", timeout=WAIT)
        banner = phone.locator(".connection-banner")
        expect(banner).to_be_hidden()
    finally:
        first.stop(signal.SIGKILL)
    lost = time.monotonic()
    expect(banner).to_be_visible(timeout=2000)
    expect(banner).to_contain_text("Reconnecting")
    assert time.monotonic() - lost < 2.5
    screenshot(phone, "phone-reconnecting")

    with ServerProcess(data_dir=data, port=first.port):
        back = time.monotonic()
        expect(banner).to_be_hidden(timeout=5000)
        assert time.monotonic() - back < 5
        expect(phone.locator("h1")).to_have_text("You're in, Wanda.")
        # The facilitator's screen came back too, and shows who is online.
        expect(facilitator.locator("#f-conn-text")).to_have_text("Connected", timeout=5000)
        people = facilitator.locator("#f-people")
        expect(people).to_contain_text("Wanda")
        expect(people.locator("tr", has_text="Wanda")).to_contain_text("online", timeout=WAIT)
        phone.context.close()
        expect(people.locator("tr", has_text="Wanda")).to_contain_text("offline", timeout=WAIT)
    assert screens.dialogs == []


def test_reduced_motion_turns_animations_off(chromium):
    with ServerProcess(args=["--async-mode", "threading"]) as server:
        links = server.sessions[0]
        screens = Screens(chromium)
        for options, url in ((PROJECTOR, links.projector), (PHONE, links.join), (LAPTOP, links.facilitator)):
            page = screens.open({**options, "reduced_motion": "reduce"}, url)
            page.wait_for_function("() => document.body.dataset.connection === 'online'", timeout=WAIT)
            longest = page.evaluate("""() => Math.max(0, ...[...document.querySelectorAll('*')].flatMap(node => {
                const style = getComputedStyle(node);
                return [style.animationDuration, style.transitionDuration].flatMap(v => v.split(','))
                    .map(v => v.trim().endsWith('ms') ? parseFloat(v) / 1000 : parseFloat(v));
            }))""")
            assert longest <= 0.001, f"{url}: an animation or transition of {longest}s with reduced motion"
