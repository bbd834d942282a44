"""Issue 22, item 4, in Debian's Chromium against a real `gamehub serve --join-budget`: a script
fills the lobby with fake phones from one address until the budget stops it; the facilitator
takes them out with one "Remove from here on" (a double click asks once, and a double click on
the confirmation sends one command), the question naming how many and since when; the list and
the projector's count drop. A real phone behind the same address, refused while the budget
refills, then joins by itself.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser import LAPTOP, PHONE, PROJECTOR, axe_violations, double_click, screenshot
from browser_room import BrowserRoom, served

WAIT = 10_000
REAL = ["Ada Lovelace", "Grace Hopper"]
BOTS = [f"Bot {i:02d}" for i in range(1, 13)]


@pytest.fixture(scope="module")
def room(chromium):
    # 14 at once (the two real people and twelve bots), then one every 10 s.
    with served(BrowserRoom, chromium, args=["--join-budget", "14,6"]) as room:
        yield room


def test_the_facilitator_removes_a_flood_of_fake_joins_in_one_step(room):
    for i, name in enumerate(REAL + BOTS):
        room.command("join", {"name": name, "token": f"flood-browser-token-{i:04d}"}, room.client("phone"))
    refused = room.client("phone").call("join", {"name": "Bot 13"})
    assert refused["error"]["code"] == "too_many_joins", refused

    facilitator = room.page(LAPTOP, room.links.facilitator)
    sent = []  # the bulk removals the page sends, as they leave it (on either transport)
    facilitator.on("websocket", lambda ws: ws.on("framesent", lambda frame: "remove_joined_since" in str(frame)
                                                 and sent.append(frame)))
    facilitator.on("request", lambda request: request.method == "POST" and "remove_joined_since" in (request.post_data or "")
                   and sent.append(request.post_data))
    facilitator.reload()
    projector = room.page(PROJECTOR, room.links.projector)
    expect(projector.locator("#p-count")).to_have_text("14 people have joined", timeout=WAIT)
    expect(facilitator.locator("#f-people tr")).to_have_count(14, timeout=WAIT)
    # The newest row has no "from here on": it would be the row's own Remove.
    expect(facilitator.get_by_role("button", name=f"Remove from here on ({BOTS[-1]})")).to_have_count(0)

    double_click(facilitator, facilitator.get_by_role("button", name=f"Remove from here on ({BOTS[0]})"))
    dialog = facilitator.locator("#f-confirm")
    expect(dialog).to_be_visible(timeout=WAIT)
    expect(dialog.locator("h2")).to_contain_text("Remove 12 people who joined from ")
    expect(dialog).to_contain_text(f"Everyone from {BOTS[0]} (joined at ")
    expect(dialog).to_contain_text(f"to {BOTS[-1]} (joined at ")
    expect(dialog).to_contain_text("lock joining")
    expect(facilitator.locator("#f-confirm-cancel")).to_be_focused()
    expect(facilitator.locator("#f-confirm-ok")).to_have_text("Remove 12 people")
    screenshot(facilitator, "facilitator-remove-flood")
    assert axe_violations(facilitator) == []

    double_click(facilitator, facilitator.locator("#f-confirm-ok"))
    expect(facilitator.locator("#f-status")).to_contain_text("Removed 12 people", timeout=WAIT)
    expect(facilitator.locator("#f-people tr")).to_have_count(2, timeout=WAIT)
    expect(projector.locator("#p-count")).to_have_text("2 people have joined", timeout=WAIT)
    facilitator.wait_for_timeout(1000)  # long enough for a second command to be sent and answered
    assert len(sent) == 1, sent
    expect(facilitator.locator("#f-status")).not_to_contain_text("Error")
    assert [p["name"] for p in room.truth.wait_for(lambda v: len(v["participants"]) == 2)["participants"]] == REAL

    # Removing the fakes gave no budget back: a real phone behind the same address is asked to
    # wait, and joins by itself once the budget has refilled.
    phone = room.page(PHONE, room.links.join)
    phone.get_by_label("Your name").fill("Katherine Johnson")
    for _ in range(10):  # spend what has refilled meanwhile (one every 10 s)
        if not room.client("phone").call("join", {"name": "Bot again"})["ok"]:
            break
    phone.get_by_role("button", name="Join").click()
    expect(phone.locator("#j-error")).to_have_text(
        "Many people are joining on this network right now. Your phone tries again by itself in a few seconds.",
        timeout=WAIT)
    expect(phone.locator("h1")).to_have_text("You're in, Katherine Johnson.", timeout=20_000)  # 10 s + up to 4
