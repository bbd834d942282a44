"""The group sheet in real browsers: phones of one group typing into the same answers at once.

Debian's Chromium under Playwright's async API (so several phones can type at the same
moment, key by key), against a real `gamehub serve`. What each test checks is what the room
would see: the text on every phone, on the facilitator's screen and in the export.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
import urllib.request

from playwright.async_api import async_playwright, expect

from browser import CHROMIUM, CHROMIUM_ARGS, LAPTOP, PHONE, SCREENSHOTS, require_tools
from server_process import Client, ServerProcess

WAIT = 10_000  # ms: every live update must arrive well within this
SAVED = "Saved"
OFFLINE = "Not sent yet, will send when you are back online"

# The browser's own messages when a test takes a phone offline, or asks for no favicon.
EXPECTED_ERRORS = re.compile(r"favicon|ERR_INTERNET_DISCONNECTED")

# Every input event's value, kept in sessionStorage, which survives a reload: what a textarea
# held the moment before the page went away. (An init script is not subject to the page's CSP.)
RECORD_TYPING = """
document.addEventListener("input", (event) => {
  if (event.target.id) sessionStorage.setItem("typed:" + event.target.id, event.target.value);
}, true);
"""


def export(server: ServerProcess) -> dict:
    """The results as the facilitator downloads them (POST /s/<CODE>/export, JSON)."""
    links = server.sessions[0]
    form = urllib.parse.urlencode({"key": links.facilitator_token, "format": "json"}).encode()
    with urllib.request.urlopen(f"{server.url}/s/{links.code}/export", data=form, timeout=10) as response:
        return json.loads(response.read())


def answers_in_export(server: ServerProcess, group: int = 1) -> list[str]:
    found = [g for g in export(server)["groups"] if g["number"] == group]
    return [a["answer"] for a in found[0]["answers"]] if found else []


async def eventually(check, timeout: float = WAIT / 1000, message: str = "") -> None:
    """Wait until `check()` (a plain function, run off the event loop) is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await asyncio.to_thread(check):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(message or f"never true: {check}")
        await asyncio.sleep(0.2)


class Room:
    """A session with a facilitator (a Socket.IO client standing in for the control screen,
    plus its page when a test needs the buttons) and phones that joined through the join page."""

    def __init__(self, server: ServerProcess, browser):
        self.server = server
        self.browser = browser
        self.links = server.sessions[0]
        self.errors: list[str] = []
        self.facilitator = Client(server.url, {"session": self.links.code, "role": "facilitator",
                                               "token": self.links.facilitator_token})

    async def page(self, options: dict, url: str):
        context = await self.browser.new_context(**options)
        await context.add_init_script(RECORD_TYPING)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda m: m.type == "error" and not EXPECTED_ERRORS.search(m.text) and self.errors.append(m.text))
        await page.goto(url)
        return page

    async def join(self, name: str):
        phone = await self.page(PHONE, self.links.join)
        await phone.get_by_label("Your name").fill(name)
        await phone.get_by_label("Your research story: a title").fill(f"{name}'s research")
        await phone.get_by_role("button", name="Join").click()
        await expect(phone.locator("h1")).to_have_text(f"You're in, {name}.", timeout=WAIT)
        return phone

    def command(self, event: str, payload: dict | None = None) -> None:
        reply = self.facilitator.call(event, payload)
        assert reply["ok"], reply

    async def into_planning(self, phones) -> None:
        """Form groups, pick stories and start planning; every phone shows an editable sheet."""
        for event, payload, phase in (("form_groups", {"from_phase": "lobby"}, "groups"),
                                      ("pick_stories", {"from_phase": "groups"}, "stories"),
                                      ("start_planning", {"from_phase": "stories", "minutes": 20}, "planning")):
            await asyncio.to_thread(self.command, event, payload)
            await asyncio.to_thread(self.facilitator.wait_for, lambda v, p=phase: v["phase"] == p)
        for phone in phones:
            await expect(phone.locator("#answer-0")).to_be_editable(timeout=WAIT)

    def answer_on_server(self, question: int, group: int = 1) -> str:
        return answers_in_export(self.server, group)[question]


async def typed(page, field: str) -> str:
    """What the field held at its last input event, even across a reload (RECORD_TYPING)."""
    return await page.evaluate("id => sessionStorage.getItem('typed:' + id) || ''", field)


def status(page, question: int):
    return page.locator(f"#answer-{question}-status")


def run(scenario) -> None:
    """Run an async scenario with Chromium and a fresh server."""
    require_tools()

    async def main():
        with ServerProcess() as server:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                room = Room(server, browser)
                try:
                    await scenario(room)
                finally:
                    room.facilitator.sio.disconnect()
                    await browser.close()
                assert room.errors == [], room.errors

    asyncio.run(main())


def test_the_vendored_yjs_is_the_pinned_one_and_loads_from_this_server_alone():
    """static/vendor/yjs.esm.min.js is what scripts/vendor.sh builds: the pinned versions, one
    module with no imports (nothing fetched from elsewhere), no source-map comment."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = (root / "scripts" / "vendor.sh").read_text(encoding="utf-8")
    pins = dict(re.findall(r"^(YJS_VERSION|LIB0_VERSION)=([\d.]+)", script, re.M))
    bundle = (root / "static" / "vendor" / "yjs.esm.min.js").read_text(encoding="utf-8")
    assert bundle.startswith(f"/* Yjs {pins['YJS_VERSION']} and lib0 {pins['LIB0_VERSION']} ")
    assert "sourceMappingURL" not in bundle
    assert not re.search(r"\bimport\s*[\w{*\s,]*from\s*[\"']|\bimport\(", bundle)
    exported = re.search(r"export\{([^}]*)\};?\s*$", bundle).group(1)
    names = {part.split(" as ")[-1].strip() for part in exported.split(",")}
    assert {"Doc", "applyUpdate", "encodeStateAsUpdate", "encodeStateVector", "mergeUpdates"} <= names
    readme = (root / "static" / "vendor" / "README.md").read_text(encoding="utf-8")
    assert f"yjs {pins['YJS_VERSION']}" in readme and f"lib0 {pins['LIB0_VERSION']}" in readme


def test_two_phones_typing_in_one_answer_at_once_both_keep_their_words_and_a_reload_loses_nothing():
    async def scenario(room: Room):
        amara, kwame, lin = [await room.join(name) for name in ("Amara", "Kwame", "Lin")]
        await room.into_planning([amara, kwame, lin])
        facilitator = await room.page(LAPTOP, room.links.facilitator)

        # Amara and Kwame type into the same answer at the same moment, key by key.
        first, second = "night-shift nurses", "teenage gamers"
        await amara.locator("#answer-0").click()
        await kwame.locator("#answer-0").click()
        both = asyncio.gather(amara.keyboard.type(first, delay=45), kwame.keyboard.type(second, delay=50))
        # While they type, Lin's phone says who is typing where; the facilitator sees the group typing.
        await expect(lin.locator(".q").nth(0).locator(".q-typing")).to_contain_text("typing…", timeout=WAIT)
        await expect(facilitator.locator(".f-typing")).to_have_text("typing…", timeout=WAIT)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await lin.locator("#answer-0").scroll_into_view_if_needed()
        await lin.screenshot(path=str(SCREENSHOTS / "phone-sheet-two-typing.png"))
        await both

        for phone in (amara, kwame, lin):
            for word in (first, second):
                await expect(phone.locator("#answer-0")).to_have_value(re.compile(re.escape(word)), timeout=WAIT)
        merged = await amara.locator("#answer-0").input_value()
        assert len(merged) == len(first) + len(second), merged  # every key, once
        for phone in (kwame, lin):
            await expect(phone.locator("#answer-0")).to_have_value(merged, timeout=WAIT)
        await expect(amara.locator("#answer-0-status")).to_have_text(SAVED, timeout=WAIT)
        await kwame.screenshot(path=str(SCREENSHOTS / "phone-sheet-merged.png"))
        for word in (first, second):
            await expect(facilitator.locator(".f-answers").first).to_contain_text(word, timeout=WAIT)
        await expect(facilitator.locator(".f-answers dd").first).to_contain_text(
            re.compile(r"by (Amara, Kwame|Kwame, Amara)\)"))
        await eventually(lambda: room.answer_on_server(0) == merged, message="the export has the merged answer")

        # Lin reloads in the middle of typing: the text typed up to the reload survives it,
        # reaches the server and the others' screens.
        await lin.locator("#answer-1").click()
        typing = asyncio.ensure_future(lin.keyboard.type("posters in the hospital canteen, with QR codes", delay=35))
        await asyncio.sleep(0.9)
        typing.cancel()
        await lin.reload()
        before = await typed(lin, "answer-1")
        assert len(before) >= 10, before
        await expect(lin.locator("#answer-1")).to_have_value(before, timeout=WAIT)
        for phone in (amara, kwame):
            await expect(phone.locator("#answer-1")).to_have_value(before, timeout=WAIT)
        await expect(lin.locator("#answer-1-status")).to_have_text(SAVED, timeout=WAIT)
        await eventually(lambda: room.answer_on_server(1) == before, message="the reloaded phone's text is on the server")
        await expect(lin.locator("#answer-0")).to_have_value(merged)

        # No conflict box or "use theirs" choice anywhere: merging is the only behaviour.
        for page in (amara, kwame, lin, facilitator):
            text = await page.evaluate("() => document.body.innerText")
            assert "Use theirs" not in text and "Keep mine" not in text
            assert await page.locator(".conflict").count() == 0

    run(scenario)


def test_what_a_phone_typed_until_the_facilitator_starts_the_showcase_is_in_the_export():
    async def scenario(room: Room):
        amara, kwame = [await room.join(name) for name in ("Amara", "Kwame")]
        await room.into_planning([amara, kwame])
        facilitator = await room.page(LAPTOP, room.links.facilitator)
        await expect(facilitator.locator("#btn-start-showcase")).to_be_visible(timeout=WAIT)

        await amara.locator("#answer-3").click()
        long_text = "Keeping the science right while the jokes land, " * 4
        typing = asyncio.ensure_future(amara.keyboard.type(long_text, delay=30))
        await asyncio.sleep(1.5)
        await facilitator.locator("#btn-start-showcase").click()  # while Amara is still typing
        # Time is left, so the page asks first (and says a group is still typing).
        await expect(facilitator.locator("#f-confirm")).to_contain_text("1 group still typing", timeout=WAIT)
        await facilitator.get_by_role("button", name="Start showcase now").click()
        await expect(amara.locator("h1")).to_have_text(re.compile("is presenting$"), timeout=WAIT)  # the showcase
        typing.cancel()
        held = await typed(amara, "answer-3")  # everything the textarea held, up to the very end
        assert len(held) > 20, held
        await eventually(lambda: room.answer_on_server(3) == held,
                         message=f"the export lacks what was typed before the showcase: {held!r}")
        # The phone's own card shows it too, and says nothing is left unsent.
        await expect(amara.locator(".showcase-card")).to_contain_text(held.strip(), timeout=WAIT)
        await expect(amara.locator(".unsent")).to_have_count(0, timeout=WAIT)
        await expect(kwame.locator(".showcase-card")).to_contain_text(held.strip(), timeout=WAIT)

    run(scenario)


def test_saved_only_once_the_server_has_it_and_not_sent_yet_while_offline():
    async def scenario(room: Room):
        amara, kwame = [await room.join(name) for name in ("Amara", "Kwame")]
        await room.into_planning([amara, kwame])

        # Online: "Saved" appears only when the server already has the text.
        await amara.locator("#answer-2").click()
        await amara.keyboard.type("a comic strip in the lab newsletter", delay=20)
        await expect(status(amara, 2)).to_have_text(SAVED, timeout=WAIT)
        assert room.answer_on_server(2) == "a comic strip in the lab newsletter"

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # Offline: the phone says so, and keeps what is typed.
        await amara.context.set_offline(True)
        await amara.keyboard.type(", and stickers", delay=20)
        await expect(status(amara, 2)).to_have_text(OFFLINE, timeout=WAIT)
        await amara.locator("#answer-2").scroll_into_view_if_needed()
        await amara.screenshot(path=str(SCREENSHOTS / "phone-sheet-offline.png"))
        await expect(status(amara, 0)).not_to_have_text(OFFLINE)  # only the answer with changes
        assert room.answer_on_server(2) == "a comic strip in the lab newsletter"
        await kwame.locator("#answer-0").click()
        await kwame.keyboard.type("postdocs", delay=20)  # the others go on meanwhile
        await expect(status(kwame, 0)).to_have_text(SAVED, timeout=WAIT)

        # Back online: sent by itself, then (and only then) "Saved"; nothing lost either side.
        await amara.context.set_offline(False)
        await expect(status(amara, 2)).to_have_text(SAVED, timeout=WAIT)
        assert room.answer_on_server(2) == "a comic strip in the lab newsletter, and stickers"
        await expect(amara.locator("#answer-0")).to_have_value("postdocs", timeout=WAIT)
        await expect(kwame.locator("#answer-2")).to_have_value("a comic strip in the lab newsletter, and stickers",
                                                               timeout=WAIT)

    run(scenario)


def test_an_answer_too_long_once_merged_stays_on_the_phone_until_it_is_short_enough():
    async def scenario(room: Room):
        amara, kwame = [await room.join(name) for name in ("Amara", "Kwame")]
        await room.into_planning([amara, kwame])
        mine, theirs = "amara " * 184, "kwame " * 167  # 1,104 + 1,002 characters: over 2,000 together

        # Amara writes offline while Kwame fills the same answer online.
        await amara.context.set_offline(True)
        await amara.locator("#answer-0").click()
        await amara.keyboard.insert_text(mine)
        await expect(status(amara, 0)).to_have_text(OFFLINE, timeout=WAIT)
        await kwame.locator("#answer-0").click()
        await kwame.keyboard.insert_text(theirs)
        await expect(status(kwame, 0)).to_have_text(SAVED, timeout=WAIT)

        # Back online, the server refuses the merge (too_long): Amara's text stays on her phone,
        # the status and the counter say by how much it is over, and nothing else is lost.
        await amara.context.set_offline(False)
        await expect(status(amara, 0)).to_have_text("Too long: remove 106 characters to save it", timeout=WAIT)
        await expect(amara.locator("#answer-0-count")).to_have_text("2,106 / 2,000 characters")
        await expect(amara.locator("#answer-0")).to_have_value(mine)
        assert room.answer_on_server(0) == theirs
        await amara.locator("#answer-0").scroll_into_view_if_needed()
        await amara.screenshot(path=str(SCREENSHOTS / "phone-sheet-too-long.png"))

        # She shortens it: it goes in as a fresh change, merged with Kwame's, and is saved.
        await amara.locator("#answer-0").press("End")
        for _ in range(110):
            await amara.keyboard.press("Backspace")
        await expect(status(amara, 0)).to_have_text(SAVED, timeout=WAIT)
        kept = mine[:-110]
        await eventually(lambda: room.answer_on_server(0) in (kept + theirs, theirs + kept),
                         message="the server has both texts once they fit")
        merged = room.answer_on_server(0)
        for phone in (amara, kwame):
            await expect(phone.locator("#answer-0")).to_have_value(merged, timeout=WAIT)

    run(scenario)


def test_changes_that_arrive_after_the_sheet_closed_are_said_to_be_kept_on_the_phone():
    async def scenario(room: Room):
        amara, kwame = [await room.join(name) for name in ("Amara", "Kwame")]
        await room.into_planning([amara, kwame])
        await amara.locator("#answer-1").click()
        await amara.keyboard.type("saved in time", delay=10)
        await expect(status(amara, 1)).to_have_text(SAVED, timeout=WAIT)

        # Amara goes on typing offline; the showcase starts and its 30 s grace runs out.
        await amara.context.set_offline(True)
        await amara.keyboard.type(", and then some", delay=10)
        await expect(status(amara, 1)).to_have_text(OFFLINE, timeout=WAIT)
        await asyncio.to_thread(room.command, "start_showcase", {"from_phase": "planning"})
        await asyncio.sleep(31)

        # Back online, the server refuses the late update; the phone says so plainly and shows
        # what it kept. The big screen and the export have what arrived in time.
        await amara.context.set_offline(False)
        await expect(amara.locator("h1")).to_have_text(re.compile("is presenting$"), timeout=WAIT)  # the showcase
        note = amara.locator(".unsent.is-late")
        await expect(note).to_contain_text("did not reach the server", timeout=WAIT)
        await expect(note).to_contain_text("saved in time, and then some")
        await expect(amara.locator(".showcase-card")).to_contain_text("saved in time")
        assert room.answer_on_server(1) == "saved in time"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await amara.screenshot(path=str(SCREENSHOTS / "phone-sheet-late.png"))

        # The facilitator goes back to planning: the kept text is sent after all.
        await asyncio.to_thread(room.command, "back", {"from_phase": "showcase"})
        await expect(status(amara, 1)).to_have_text(SAVED, timeout=WAIT)
        assert room.answer_on_server(1) == "saved in time, and then some"
        await expect(kwame.locator("#answer-1")).to_have_value("saved in time, and then some", timeout=WAIT)

    run(scenario)


def test_a_word_being_composed_by_the_keyboard_is_not_broken_by_a_groupmates_typing():
    """Android keyboards compose each word (IME composition): a remote change shown in the
    middle of it would break the word, so it waits for the word to end, and both are kept."""
    async def scenario(room: Room):
        amara, kwame = [await room.join(name) for name in ("Amara", "Kwame")]
        await room.into_planning([amara, kwame])
        await amara.locator("#answer-0").click()
        await amara.keyboard.type("Hello ", delay=10)
        await expect(kwame.locator("#answer-0")).to_have_value("Hello ", timeout=WAIT)

        ime = await amara.context.new_cdp_session(amara)
        for partial in ("w", "wo", "wor"):
            await ime.send("Input.imeSetComposition", {"text": partial, "selectionStart": len(partial),
                                                        "selectionEnd": len(partial)})
        await kwame.locator("#answer-0").press("Home")
        await kwame.keyboard.type("Dear ", delay=10)
        await expect(kwame.locator("#answer-0")).to_have_value("Dear Hello wor", timeout=WAIT)
        await asyncio.sleep(0.5)  # Kwame's change has reached Amara's phone, mid-word
        await expect(amara.locator("#answer-0")).to_have_value("Hello wor")
        for partial in ("worl", "world"):
            await ime.send("Input.imeSetComposition", {"text": partial, "selectionStart": len(partial),
                                                        "selectionEnd": len(partial)})
        await ime.send("Input.insertText", {"text": "world"})  # the word ends: composition over

        for phone in (amara, kwame):
            await expect(phone.locator("#answer-0")).to_have_value("Dear Hello world", timeout=WAIT)
        caret = await amara.locator("#answer-0").evaluate("t => [t.selectionStart, t.selectionEnd]")
        assert caret == [len("Dear Hello world")] * 2, caret  # still right after her word
        await expect(status(amara, 0)).to_have_text(SAVED, timeout=WAIT)
        await eventually(lambda: room.answer_on_server(0) == "Dear Hello world")

    run(scenario)
