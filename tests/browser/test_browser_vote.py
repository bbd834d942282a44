"""People's choice (issue 13) in real browsers: the facilitator opens the vote with a double
click (one vote opens), phones vote with real taps (their own group's card cannot be chosen, a
double tap votes once), the facilitator and the projector count who voted without showing the
votes, and after the close the projector shows a tie as a tie, in words; with reduced motion
the same podium stands at once. axe-core stays clean in the vote and results states.

Debian's Chromium under Playwright, against a real `gamehub serve`; a python-socketio
facilitator ("truth") reads the server's state, and six python-socketio phones vote beside the
two phones in browsers. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser import LAPTOP, PHONE, PROJECTOR, axe_violations, double_click, screenshot
from browser_room import BrowserRoom, served
from helpers import steps_to_planning
from server_process import Client

WAIT = 10_000
SETTLE = 1.2  # s: long enough for a second click's command to have been applied, had it been sent
HD = {"viewport": {"width": 1280, "height": 720}}


class Room(BrowserRoom):
    def phone_client(self, i: int) -> tuple[Client, str]:
        client = self.client("phone")
        reply = self.command("join", {"name": f"Socket {i}", "title": f"Story {i}",
                                      "token": f"vote-test-phone-{i:04d}-abcdefghij"}, client)
        return client, reply["participant_id"]

@pytest.fixture
def room(chromium):
    with served(Room, chromium) as r:
        yield r


def joined_phone(room: Room, name: str):
    phone = room.page(PHONE, room.links.join)
    phone.get_by_label("Your name").fill(name)
    phone.get_by_label("Your research story: a title").fill(f"The story of {name}")
    phone.get_by_role("button", name="Join").click()
    expect(phone.locator("h1")).to_have_text(f"You're in, {name}.", timeout=WAIT)
    return phone


def no_axe(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name


def group_of(view: dict, pid: str) -> int:
    return next(g["number"] for g in view["groups"] if any(m["id"] == pid for m in g["members"]))


def test_a_vote_with_two_groups_counts_right_refuses_the_own_group_and_shows_a_tie_as_a_tie(room):
    phones = [joined_phone(room, "Ada"), joined_phone(room, "Lin")]
    sockets = [room.phone_client(i) for i in range(6)]
    for event, payload in (*steps_to_planning(10), ("start_showcase", {"from_phase": "planning"})):
        room.command(event, payload)
    view = room.truth.wait_for(lambda v: v["phase"] == "showcase")
    assert len(view["groups"]) == 2
    ids = {p["name"]: p["id"] for p in view["participants"]}
    own = {name: group_of(view, ids[name]) for name in ("Ada", "Lin")}

    projector = room.page(PROJECTOR, room.links.projector)
    calm = room.page({**HD, "reduced_motion": "reduce"}, room.links.projector)
    facilitator = room.page(LAPTOP, room.links.facilitator)
    expect(facilitator.locator("#f-vote-state")).to_contain_text("let the room vote", timeout=WAIT)

    # A double click on "Open the vote" opens one vote, and its second click does not close it
    # (the Close button appears in the same box, not armed for a moment).
    double_click(facilitator, facilitator.locator("#btn-open-vote"))
    room.truth.wait_for(lambda v: v["vote"] and v["vote"]["open"])
    facilitator.wait_for_timeout(SETTLE * 1000)
    assert room.view()["vote"]["number"] == 1 and room.view()["vote"]["open"]
    expect(facilitator.locator("#f-vote-state")).to_contain_text("0 of 8 people with a phone have voted")
    expect(facilitator.locator("#f-showing")).to_have_text("The projector shows: the people’s choice vote and how many have voted")
    expect(projector.locator("#pv-count")).to_have_text("0 of 8 people have voted", timeout=WAIT)
    expect(projector.locator(".pv-card")).to_have_count(2)

    ada = phones[0]
    expect(ada.locator("h1")).to_have_text("People’s choice", timeout=WAIT)
    expect(ada.locator("#vote-left")).to_have_text("1 vote left")  # two groups: one to vote for
    mine = ada.locator(f'.vote-card[data-group="{own["Ada"]}"]')
    expect(mine).to_contain_text("Your group: you cannot vote for it")
    assert ada.locator(f'button[data-group="{own["Ada"]}"]').count() == 0
    mine.click()  # a real tap on it: nothing happens
    ada.wait_for_timeout(SETTLE * 1000)
    assert room.view()["vote"]["voters"] == 0
    expect(ada.locator("#vote-left")).to_have_text("1 vote left")
    no_axe(ada, "phone-vote-1-open")
    no_axe(projector, "projector-vote-1-open")
    no_axe(facilitator, "facilitator-vote-1-open")

    # A double tap on the other group's card votes once.
    other = 3 - own["Ada"]
    card = ada.locator(f'button[data-group="{other}"]')
    double_click(ada, card)
    expect(card).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    expect(card).to_contain_text("✓ Your vote")
    expect(ada.locator("#vote-left")).to_have_text("No votes left · Saved", timeout=WAIT)
    ada.wait_for_timeout(SETTLE * 1000)
    expect(card).to_have_attribute("aria-pressed", "true")
    room.truth.wait_for(lambda v: v["vote"]["voters"] == 1)
    expect(facilitator.locator("#f-vote-state")).to_contain_text("1 of 8 people with a phone have voted", timeout=WAIT)
    expect(projector.locator("#pv-count")).to_have_text("1 of 8 people have voted", timeout=WAIT)
    no_axe(ada, "phone-vote-2-voted")
    # A tap later takes the vote back; another gives it again.
    card.click()
    expect(card).to_have_attribute("aria-pressed", "false", timeout=WAIT)
    expect(ada.locator("#vote-left")).to_have_text("1 vote left", timeout=WAIT)
    room.truth.wait_for(lambda v: v["vote"]["voters"] == 0)
    ada.wait_for_timeout(500)
    card.click()
    expect(ada.locator("#vote-left")).to_have_text("No votes left · Saved", timeout=WAIT)

    lin = phones[1]
    lin_card = lin.locator(f'button[data-group="{3 - own["Lin"]}"]')
    lin_card.click()
    expect(lin.locator("#vote-left")).to_have_text("No votes left · Saved", timeout=WAIT)

    # The socket phones make it a tie: three votes each.
    votes = {1: 0, 2: 0}
    votes[3 - own["Ada"]] += 1
    votes[3 - own["Lin"]] += 1
    for client, pid in sockets:
        target = 3 - group_of(view, pid)
        if votes[target] < 3:
            room.command("set_ballot", {"vote": 1, "groups": [target]}, client)
            votes[target] += 1
    assert votes == {1: 3, 2: 3}
    room.truth.wait_for(lambda v: v["vote"]["voters"] == 6)
    assert room.view()["vote"]["results"] is None  # nobody sees the count before the close
    expect(projector.locator("#pv-count")).to_have_text("6 of 8 people have voted", timeout=WAIT)
    expect(facilitator.locator("#f-vote-state")).to_contain_text("6 of 8 people with a phone have voted", timeout=WAIT)

    close = facilitator.locator("#btn-close-vote")
    expect(close).not_to_have_attribute("aria-disabled", "true", timeout=WAIT)
    close.click()
    room.truth.wait_for(lambda v: v["vote"] and not v["vote"]["open"])

    podium = projector.locator(".pv-podium")
    expect(podium).to_be_visible(timeout=WAIT)
    first = projector.locator(".pv-step-1")
    expect(first.locator(".pv-place")).to_have_text("Tied 1st")
    expect(first.locator(".pv-group")).to_have_count(2)
    expect(first.locator(".pv-votes")).to_have_text("3 votes")
    expect(projector.locator(".pv-step-2")).to_have_count(0)  # a tie for 1st: nobody is 2nd
    assert first.evaluate("n => getComputedStyle(n).animationName") == "pv-rise"
    projector.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')", timeout=WAIT)
    assert float(first.locator(".pv-place").evaluate("n => getComputedStyle(n).fontSize")[:-2]) >= 28
    no_axe(projector, "projector-vote-2-results-tie")

    # Reduced motion: the same podium, standing at once.
    calm_first = calm.locator(".pv-step-1")
    expect(calm_first.locator(".pv-place")).to_have_text("Tied 1st", timeout=WAIT)
    assert calm_first.evaluate("n => getComputedStyle(n).animationName") == "none"
    assert calm_first.evaluate("n => getComputedStyle(n).opacity") == "1"
    no_axe(calm, "projector-vote-3-results-720-reduced-motion")

    results = facilitator.locator(".f-vote-results li")
    expect(results).to_have_count(2, timeout=WAIT)
    expect(results.nth(0)).to_have_text("Tied 1st Group 1 · 3 votes")
    expect(results.nth(1)).to_have_text("Tied 1st Group 2 · 3 votes")
    expect(facilitator.locator("#f-showing")).to_have_text("The projector shows: the results of the people’s choice")
    no_axe(facilitator, "facilitator-vote-2-results")

    # The phones go back to the showcase, and a ballot sent now is refused.
    expect(ada.locator("h1")).to_have_text("Look at the big screen", timeout=WAIT)
    reply = sockets[0][0].call("set_ballot", {"vote": 1, "groups": []})
    assert not reply["ok"] and reply["error"]["code"] == "vote_closed"


def inside(page, selector: str) -> bool:
    """Every element matching `selector` is whole on the screen."""
    return page.evaluate("""(sel) => [...document.querySelectorAll(sel)].every(n => {
        const r = n.getBoundingClientRect();
        return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1; })""", selector)


@pytest.fixture
def threes(chromium):
    with served(Room, chromium, args=["--group-size", "3"]) as r:
        yield r


def test_six_groups_show_first_second_a_tied_third_and_the_rest_readable_at_1080p_and_720p(threes):
    room = threes
    sockets = [room.phone_client(i) for i in range(18)]
    for event, payload in (*steps_to_planning(10), ("start_showcase", {"from_phase": "planning"})):
        room.command(event, payload)
    view = room.truth.wait_for(lambda v: v["phase"] == "showcase")
    assert len(view["groups"]) == 6
    big = room.page(PROJECTOR, room.links.projector)
    small = room.page({**HD, "reduced_motion": "reduce"}, room.links.projector)
    room.command("open_vote", {"votes_each": 2, "vote": 1})
    for page in (big, small):
        expect(page.locator(".pv-card")).to_have_count(6, timeout=WAIT)
        assert inside(page, ".pv-card"), "every card to vote on is on the screen"
    no_axe(small, "projector-vote-4-open-six-720")

    need = {1: 5, 2: 4, 3: 2, 4: 2, 5: 1}  # group 6 gets none
    for client, pid in sockets:
        own = group_of(view, pid)
        ballot = sorted((n for n in need if need[n] and n != own), key=lambda n: -need[n])[:2]
        for n in ballot:
            need[n] -= 1
        if ballot:
            room.command("set_ballot", {"vote": 1, "groups": ballot}, client)
    assert not any(need.values())
    room.command("close_vote", {"vote": 1})

    for page, name in ((big, "projector-vote-5-results-six-1080"), (small, "projector-vote-6-results-six-720")):
        expect(page.locator(".pv-step-1 .pv-place")).to_have_text("1st", timeout=WAIT)
        expect(page.locator(".pv-step-1 .pv-group-name")).to_have_text(["Group 1"])
        expect(page.locator(".pv-step-1 .pv-votes")).to_have_text("5 votes")
        expect(page.locator(".pv-step-2 .pv-place")).to_have_text("2nd")
        expect(page.locator(".pv-step-3 .pv-place")).to_have_text("Tied 3rd")
        expect(page.locator(".pv-step-3 .pv-group")).to_have_count(2)
        expect(page.locator(".pv-rest-item")).to_have_text(["5th Group 5 · 1 vote"])
        assert page.locator('.pv-group[data-group="6"]').count() == 0  # no votes: not on the podium
        page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')", timeout=WAIT)
        assert inside(page, ".pv-podium, .pv-rest, .pv-head")
        for selector in (".pv-place", ".pv-votes", ".pv-group-name", ".pv-group-title", ".pv-rest-item"):
            assert float(page.locator(selector).first.evaluate("n => getComputedStyle(n).fontSize")[:-2]) >= 28 * (
                page.viewport_size["height"] / 1080) - 0.5, selector
        no_axe(page, name)
