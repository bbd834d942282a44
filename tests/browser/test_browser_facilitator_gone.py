"""What the facilitator's screen shows when its controls can no longer be used, in a real
browser: a link with a wrong key, a key replaced by `gamehub sessions key` while the screen is
open, and the session deleted from the screen itself (typed room code in its dialog). And the
projector's own two (a wrong key, the session deleted), drawn by the same helper (dom.js).

Debian's Chromium under Playwright, against a real `gamehub serve`."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from browser import LAPTOP, PROJECTOR
from browser_room import BrowserRoom, served

WAIT = 10_000


class Room(BrowserRoom):
    def facilitator(self, url: str | None = None):
        # A wrong key's connection is refused: the client's poll on that session may get a 400.
        page = self.page(LAPTOP, url or self.links.facilitator, refused=url is not None)
        if url is None:
            expect(page.locator("#f-conn-text")).to_have_text("Connected", timeout=WAIT)
        return page


@pytest.fixture
def room(chromium):
    with served(Room, chromium) as r:
        yield r


def test_a_wrong_key_says_the_link_is_not_right_and_how_to_get_a_new_one(room):
    wrong = re.sub(r"#key=.*", "#key=not-the-key", room.links.facilitator)
    page = room.facilitator(wrong)
    expect(page.locator("h1")).to_have_text("This facilitator link is not right", timeout=WAIT)
    expect(page.locator("main")).to_contain_text("Its key does not match this session.")
    expect(page.locator("main code")).to_have_text(f"gamehub sessions key {room.links.code}")
    expect(page.locator("#btn-form-groups")).to_have_count(0)  # no controls left to press


def test_a_key_replaced_while_the_screen_is_open_says_so_and_the_screen_stays_put(room):
    page = room.facilitator()
    changed = subprocess.run([sys.executable, "-m", "gamehub", "sessions", "key", room.links.code,
                              "--data-dir", str(room.server.data_dir)], capture_output=True, text=True, timeout=60)
    assert changed.returncode == 0, changed.stderr
    expect(page.locator("h1")).to_have_text("This facilitator link was replaced", timeout=WAIT)
    expect(page.locator("main")).to_contain_text("Open the new link to go on.")
    page.wait_for_timeout(2_000)  # it does not reconnect (with the old key it would be refused)
    expect(page.locator("h1")).to_have_text("This facilitator link was replaced")
    room.truth = room.client("facilitator", re.search(r"#key=(\S+)", changed.stdout).group(1))


def test_deleting_the_session_from_its_own_screen_leaves_a_page_that_says_so(room):
    page = room.facilitator()
    page.locator("#btn-delete").click()
    code = page.locator("#f-delete-code")
    code.fill("WRONG")
    page.locator("#btn-delete-confirm").click()
    expect(page.locator("#f-delete-error")).to_contain_text(f"Type {room.links.code} to delete the session")
    assert room.view()["phase"] == "lobby"  # nothing deleted
    code.fill(room.links.code.lower())
    page.locator("#btn-delete-confirm").click()
    expect(page.locator("h1")).to_have_text("This session was deleted", timeout=WAIT)
    expect(page.locator("main")).to_contain_text(f"Session {room.links.code} and all its data are gone.")
    expect(page.get_by_role("link", name="Go to the home page")).to_have_attribute("href", "/")
    expect(page.locator("#f-delete-dialog")).to_have_count(0)


def test_the_projector_says_when_its_link_is_wrong_and_when_the_session_is_deleted(room):
    wrong = room.page(PROJECTOR, re.sub(r"#key=.*", "#key=not-the-key", room.links.projector), refused=True)
    expect(wrong.locator("h1")).to_have_text("This projector link is not right", timeout=WAIT)
    expect(wrong.locator("main")).to_contain_text("Its key does not match this session.")
    expect(wrong.locator("body")).to_have_class(re.compile(r"\bno-banner\b"))  # no "Connecting…" over it
    expect(wrong.locator(".connection-banner")).to_be_hidden()

    projector = room.page(PROJECTOR, room.links.projector)
    expect(projector.locator("#p-join-url")).to_be_visible(timeout=WAIT)
    assert room.command("delete_session", {"confirm": room.links.code})["ok"]
    expect(projector.locator("h1")).to_have_text("This session was deleted", timeout=WAIT)
    expect(projector.locator("main.p-message")).to_contain_text("The facilitator deleted this session and all its data.")
