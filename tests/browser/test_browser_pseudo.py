"""A whole game in the pseudo-locales, on the phones, the projector and the facilitator's
screen, in Debian's Chromium with real clicks: nothing visible may be left in English, and the
layouts hold with the pseudo-locale's longer words (docs/translating.md). The game passes
through every state of the screens: the lobby, groups, stories, planning with a message to the
room and a raised hand (then cleared), the showcase with the phones following and a reaction
counted, people's choice open and its podium, and the end (the phone's card, the projector's
closing, the facilitator's ended state). The card the phone saves is checked too: its .txt, and
every text painted on its PNG (recorded from the canvas's fillText).

The rule for "visible text is pseudo-localised": every text node that is rendered (not inside
a hidden element), and every aria-label, title, placeholder and alt, once the participants'
and the deck's own words are taken out, holds no ASCII letter. Pseudo-translated text never
has one (every letter is accented, placeholders filled), so an ASCII letter left over is a word
that did not come from a catalog. Taken out first, because they are data, not the screens'
words: what people typed (names, story titles, pitches, answers), the deck (title,
instructions, questions, formats), the room code and the join address. Left out entirely: the
language pickers (each language is listed by its own name, on purpose), <code>/<pre>
(commands such as `gamehub sessions key`), and <time> (dates the browser writes for the
language with Intl, e.g. "12:56 PM": the catalogs have no say in them).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser import LAPTOP, NARROW_PHONE, PHONE, screenshot
from gamehub.content.decks import BUILTIN_LANGUAGES, builtin_path
from gamehub.content.formats import load_deck
from gamehub.i18n.pseudo import OPEN
from server_process import Client, ServerProcess
from test_browser_game import Screens

PEOPLE = [("Amara", "Folding proteins", "Shapes that matter"), ("Kwame", "Bird song", "Dialects of finches"),
          ("Lin", "Coral reefs", "Reefs at night"), ("Noor", "Soil microbes", "Life under our feet")]
ANSWER = "Night-shift nurses who love puzzles"
MESSAGE = "Five minutes left: pick your best idea"  # the facilitator's words: data, like the answers
SMALL_PROJECTOR = {"viewport": {"width": 1280, "height": 720}}
WAIT = 10_000

UNTRANSLATED = """(data) => {
  const out = [];
  const skip = "script, style, noscript, code, pre, time, #phone-language, #f-language, [hidden]";
  const strip = (text) => { for (const d of data) text = text.split(d).join(" "); return text; };
  const shown = (el) => !!el && !el.closest(skip) && el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== "hidden";
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (shown(n.parentElement) && /[A-Za-z]/.test(strip(n.textContent))) out.push(n.textContent.trim());
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], [alt]")) {
    if (el.closest(skip)) continue;
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = el.getAttribute(name);
      if (value && /[A-Za-z]/.test(strip(value))) out.push(`${name}=${value}`);
    }
  }
  if (/[A-Za-z]/.test(strip(document.title))) out.push(`<title>${document.title}`);
  return out;
}"""


def data_strings(code: str, join_url: str) -> list[str]:
    deck = load_deck()
    # The facilitator's "how picks were drawn" names its seed's notation, a formula, not words.
    words = [code, join_url, join_url.split("://", 1)[1], deck.title, deck.instructions, ANSWER, MESSAGE,
             "<seed>:<purpose>:<draw>",
             *deck.questions, *(name for formats in deck.lists for name in formats)]
    # The organiser lists every built-in deck by its title and language tag: decks are data.
    words.extend(f"{load_deck(builtin_path(tag)).title} ({tag})" for tag in BUILTIN_LANGUAGES[1:])
    for person in PEOPLE:
        words.extend(person)
    return sorted({w for w in words if w}, key=len, reverse=True)  # longest first: no half-stripped word


def english_left(page, data: list[str]) -> list[str]:
    return page.evaluate(UNTRANSLATED, data)


def english_in(text: str, data: list[str]) -> list[str]:
    """The lines of `text` (a saved card) that keep an ASCII letter once the data is taken out."""
    for d in data:
        text = text.replace(d, " ")
    return [line for line in text.splitlines() if any(c.isascii() and c.isalpha() for c in line)]


# Every text the page draws on a canvas, kept as it is drawn (the card's PNG is painted with fillText).
RECORD_DRAWN = """() => {
  window.drawn = [];
  const fill = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
    window.drawn.push(String(text));
    return fill.call(this, text, ...rest);
  };
}"""


def saved(page, button) -> bytes:
    with page.expect_download(timeout=WAIT) as info:
        button.click()
    return open(info.value.path(), "rb").read()


def overflows(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")


@pytest.mark.parametrize("language,direction", [("en-XA", "ltr"), ("ar-XB", "rtl")])
def test_a_whole_game_in_a_pseudo_locale_leaves_no_english_and_no_overflow(chromium, language, direction):
    with ServerProcess(args=["--group-size", "2", "--language", language]) as server:
        links = server.sessions[0]
        data = data_strings(links.code, links.join)
        screens = Screens(chromium)
        problems: list[str] = []
        truth = Client(server.url, {"session": links.code, "role": "facilitator", "token": links.facilitator_token})

        def check(page, name: str) -> None:
            page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')", timeout=WAIT)
            screenshot(page, f"pseudo-{language}-{name}")
            assert page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == [language, direction]
            problems.extend(f"{name}: {text}" for text in english_left(page, data))
            if overflows(page):
                problems.append(f"{name}: the page scrolls sideways")

        projector = screens.open(SMALL_PROJECTOR, links.projector)  # the room's language
        facilitator = screens.open(LAPTOP, links.facilitator)
        expect(facilitator.locator("#f-conn")).to_have_attribute("data-state", "online", timeout=WAIT)
        phones = []
        for i, (name, title, pitch) in enumerate(PEOPLE):
            if i == 0:
                # An English browser: the phone shows English until its person picks the language.
                phone = screens.open(NARROW_PHONE, links.join)
                expect(phone.locator("html")).to_have_attribute("lang", "en")
                phone.locator("#phone-language").select_option(language)
                expect(phone.locator("html")).to_have_attribute("lang", language, timeout=WAIT)
            else:
                # A browser set to the language: the phone follows it, no picking needed.
                phone = screens.open({**(NARROW_PHONE if i == 1 else PHONE), "locale": language}, links.join)
            expect(phone.locator("#j-name")).to_be_visible(timeout=WAIT)
            if i == 1:
                check(phone, "phone-320-join")
            phone.locator("#j-name").fill(name)
            phone.locator("#j-title").fill(title)
            phone.locator("#j-pitch").fill(pitch)
            phone.locator("form.join-form button[type=submit]").click()
            expect(phone.locator(".screen-lobby")).to_be_visible(timeout=WAIT)
            phones.append(phone)
        truth.wait_for(lambda v: len(v["participants"]) == len(PEOPLE))
        expect(projector.locator(".p-name")).to_have_count(len(PEOPLE), timeout=WAIT)
        for page, name in ((projector, "projector-lobby"), (facilitator, "facilitator-lobby"), (phones[1], "phone-320-lobby")):
            check(page, name)

        facilitator.locator("#btn-form-groups").click()
        truth.wait_for(lambda v: v["phase"] == "groups")
        expect(phones[1].locator(".screen-groups")).to_be_visible(timeout=WAIT)
        expect(projector.locator(".p-band-group")).to_have_count(2, timeout=WAIT)
        for page, name in ((projector, "projector-groups"), (facilitator, "facilitator-groups"), (phones[1], "phone-320-groups")):
            check(page, name)

        facilitator.locator("#btn-pick-stories").click()
        truth.wait_for(lambda v: v["phase"] == "stories")
        expect(phones[1].locator(".screen-stories .story-title")).to_be_visible(timeout=WAIT)
        for page, name in ((projector, "projector-stories"), (facilitator, "facilitator-stories"), (phones[1], "phone-320-stories")):
            check(page, name)

        facilitator.locator("#btn-start-planning").click()
        view = truth.wait_for(lambda v: v["phase"] == "planning")
        group_of = {m["name"]: g["number"] for g in view["groups"] for m in g["members"]}
        writer = phones[1]
        mate = next(p for (n, _, _), p in zip(PEOPLE, phones) if p is not writer and group_of[n] == group_of["Kwame"])
        writer.locator("button.format").nth(0).click()
        expect(mate.locator("button.format").nth(0)).to_have_attribute("aria-pressed", "true", timeout=WAIT)
        writer.locator("#answer-0").press_sequentially(ANSWER, delay=5)
        expect(writer.locator("#answer-0-status")).to_have_attribute("data-state", "saved", timeout=WAIT)
        truth.wait_for(lambda v: any(g["answered"] for g in v["groups"]))
        expect(facilitator.get_by_text(ANSWER)).to_be_visible(timeout=WAIT)  # whole, not half-typed
        expect(projector.locator(".p-progress-text").first).to_be_visible()
        for page, name in ((projector, "projector-planning"), (facilitator, "facilitator-planning"),
                           (writer, "phone-320-planning"), (mate, "phone-planning")):
            check(page, name)

        # Room tools: a message to everyone (phones' banner, the projector for ten seconds), and
        # a raised hand (the phone, the facilitator's list and card), then cleared.
        facilitator.locator("#f-msg-text").fill(MESSAGE)
        facilitator.locator("#btn-send-message").click()
        expect(projector.locator(".p-message")).to_be_visible(timeout=WAIT)
        check(projector, "projector-message")
        expect(writer.locator(".room-message")).to_be_visible(timeout=WAIT)
        writer.locator(".help-ask").click()
        expect(writer.locator(".help-status")).to_be_visible(timeout=WAIT)
        expect(facilitator.locator(".f-hand-row")).to_have_count(1, timeout=WAIT)
        expect(facilitator.locator("article.f-group .f-hand")).to_have_count(1)
        expect(mate.locator(".help-status")).to_be_visible(timeout=WAIT)
        # Every phone: the one with an English browser writes times its own way (in <time>).
        for i, phone in enumerate(phones):
            expect(phone.locator(".room-message")).to_be_visible(timeout=WAIT)
            check(phone, f"phone-{i}-message-help")
        check(facilitator, "facilitator-message-help")
        clear = facilitator.locator(".f-hand-row .f-hand-clear")
        facilitator.wait_for_timeout(800)  # a button that just appeared is not armed for a moment
        clear.click()
        expect(writer.locator(".help-note")).to_be_visible(timeout=WAIT)
        expect(facilitator.locator(".f-hand-row.is-lowered")).to_have_count(1, timeout=WAIT)
        expect(mate.locator(".help-note")).to_be_visible(timeout=WAIT)
        for page, name in ((writer, "phone-320-helped"), (mate, "phone-helped"), (facilitator, "facilitator-helped")):
            check(page, name)

        facilitator.locator("#btn-start-showcase").click()
        confirmation = facilitator.locator("#f-confirm")
        expect(confirmation).to_be_visible(timeout=WAIT)  # time is left: it asks first
        check(facilitator, "facilitator-confirm")
        facilitator.locator("#f-confirm-ok").click()
        truth.wait_for(lambda v: v["phase"] == "showcase")
        for step in (1, 2):
            button = facilitator.locator("#btn-next")
            expect(button).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
            button.click()
            truth.wait_for(lambda v, step=step: v["showcase"]["step"] >= step)
            expect(projector.locator(f'.p-reveal[data-step="{step}"]')).to_be_visible(timeout=WAIT)
            check(projector, f"projector-showcase-{step}")
        # The phones follow the projector, and a tap on a reaction shows as a count there and on
        # the facilitator's line.
        expect(writer.locator(".follow-format")).to_be_visible(timeout=WAIT)
        writer.locator(".react-button").first.click()
        expect(projector.locator(".p-react")).to_have_count(1, timeout=WAIT)
        expect(facilitator.locator("#f-reactions .f-reaction")).to_have_count(1, timeout=WAIT)
        for page, name in ((projector, "projector-reactions"), (facilitator, "facilitator-showcase"),
                           (writer, "phone-320-showcase"), (mate, "phone-showcase")):
            check(page, name)
        facilitator.locator("#btn-gallery").click()
        expect(projector.locator(".p-gallery")).to_be_visible(timeout=WAIT)
        check(projector, "projector-gallery")

        # People's choice: the vote open on every screen, a vote given, then the podium.
        opening = facilitator.locator("#btn-open-vote")
        expect(opening).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
        opening.click()
        truth.wait_for(lambda v: v["vote"] and v["vote"]["open"])
        expect(writer.locator(".screen-vote")).to_be_visible(timeout=WAIT)
        expect(projector.locator(".pv-open")).to_be_visible(timeout=WAIT)
        writer.locator("button.vote-card").first.click()
        expect(writer.locator("button.vote-card").first).to_have_attribute("aria-pressed", "true", timeout=WAIT)
        truth.wait_for(lambda v: v["vote"]["voters"] == 1)
        expect(projector.locator("#pv-count")).to_contain_text("1", timeout=WAIT)
        for page, name in ((writer, "phone-320-vote"), (mate, "phone-vote"), (projector, "projector-vote"),
                           (facilitator, "facilitator-vote")):
            check(page, name)
        closing = facilitator.locator("#btn-close-vote")
        expect(closing).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
        closing.click()
        truth.wait_for(lambda v: v["vote"] and not v["vote"]["open"])
        expect(projector.locator(".pv-podium")).to_be_visible(timeout=WAIT)
        expect(facilitator.locator(".f-vote-results li")).to_have_count(2, timeout=WAIT)  # one with no votes
        expect(writer.locator(".screen-vote")).to_have_count(0, timeout=WAIT)
        for page, name in ((projector, "projector-podium"), (facilitator, "facilitator-podium"),
                           (writer, "phone-320-after-vote")):
            check(page, name)

        # The room's language changes from the control screen: the projector follows at once.
        facilitator.locator("#f-language").select_option("en")
        expect(projector.locator("html")).to_have_attribute("lang", "en", timeout=WAIT)
        expect(facilitator.locator("html")).to_have_attribute("lang", "en", timeout=WAIT)
        assert OPEN not in projector.evaluate("() => document.body.innerText")
        expect(phones[1].locator("html")).to_have_attribute("lang", language)  # its browser's, not the room's
        expect(facilitator.locator("#f-conn")).to_have_attribute("data-state", "online", timeout=WAIT)
        facilitator.locator("#f-language").select_option(language)  # and back, for the end of the game
        expect(projector.locator("html")).to_have_attribute("lang", language, timeout=WAIT)
        expect(facilitator.locator("html")).to_have_attribute("lang", language, timeout=WAIT)
        expect(facilitator.locator("#f-conn")).to_have_attribute("data-state", "online", timeout=WAIT)

        # The end: the phone's thank-you with its card and the buttons that save it, the
        # projector's closing screen, the facilitator's ended state.
        ending = facilitator.locator("#btn-end")
        expect(ending).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
        ending.click()
        expect(confirmation).to_be_visible(timeout=WAIT)
        check(facilitator, "facilitator-end-question")
        facilitator.locator("#f-confirm-ok").click()
        truth.wait_for(lambda v: v["ended_at"] is not None)
        expect(facilitator.locator("#f-ended")).to_be_visible(timeout=WAIT)
        expect(projector.locator(".p-closing")).to_be_visible(timeout=WAIT)
        expect(writer.locator(".keep-card")).to_be_visible(timeout=WAIT)
        for page, name in ((facilitator, "facilitator-ended"), (projector, "projector-closing"),
                           (writer, "phone-320-thanks"), (mate, "phone-thanks")):
            check(page, name)
        # What the phone saves: the text file, and the words painted on the PNG.
        text = saved(writer, writer.locator(".keep-buttons button").nth(1)).decode("utf-8")
        assert ANSWER in text
        problems.extend(f"card .txt: {line}" for line in english_in(text, data))
        writer.evaluate(RECORD_DRAWN)
        png = saved(writer, writer.locator(".keep-buttons button").nth(0))
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        drawn = writer.evaluate("() => window.drawn")
        assert any(ANSWER.split()[0] in line for line in drawn), drawn
        # Wrapped lines joined again with the space the wrap took, so data split over lines is whole.
        problems.extend(f"card .png: {line}" for line in english_in(" ".join(drawn), data))
        check(writer, "phone-320-saved")

        # The organiser's home, in the language by link (?lang=), with this session listed.
        page, key = server.organiser.split("#", 1)
        organiser = screens.open(LAPTOP, f"{page}?lang={language}#{key}")
        expect(organiser.locator(f'tr[data-code="{links.code}"]')).to_be_visible(timeout=WAIT)
        check(organiser, "organiser")

        assert problems == [], "\n".join(problems)
        assert screens.dialogs == []
        assert [e for e in screens.errors if "favicon" not in e] == []
        truth.sio.disconnect()
