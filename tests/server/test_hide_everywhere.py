"""A hidden text leaves every screen that showed it at once, in every phase that shows it, through
the real Socket.IO handlers: the projector, the other phones (the group's story, the card on
screen, the ballots of an open vote, the cards after the end) and the facilitator's flag."""

from __future__ import annotations

import json

import pytest

from conftest import PUBLIC_URL, Room
from gamehub.server import create_app
from helpers import steps_to_planning
from sheets import SheetPhone

PEOPLE = 12  # three groups: a vote has other groups' phones to look at
ANSWER = "Answer-typed-by-the-owner"


class Watched:
    """A screen and what it shows now: its latest view, with a newer `on_screen` event in it
    (a phone takes whichever is newer: docs/protocol.md)."""

    def __init__(self, screen, kind: str):
        self.screen, self.kind = screen, kind
        self.view: dict | None = None
        self.on_screen: dict | None = None

    def take(self) -> int:
        """Read what arrived; returns how many views and `on_screen` events that was."""
        events = self.screen.events("on_screen")
        views = self.screen.views()
        if views:
            self.view = views[-1]
        if events:
            self.on_screen = events[-1]
        return len(events) + len(views)

    def shown(self) -> str:
        view = dict(self.view)
        if self.on_screen is not None and self.on_screen["version"] >= view["version"]:
            view["on_screen"] = self.on_screen["on_screen"]
        return json.dumps(view, ensure_ascii=False)


def secrets(i: int) -> dict[str, str]:
    return {"name": f"Name-{i:02d}", "title": f"Title-{i:02d}", "pitch": f"Pitch-{i:02d}", "answer": ANSWER}


def played_to(phase: str):
    """A threaded app (views go out before the ack returns) played into `phase`; returns the
    room, the watched screens by participant id (plus "projector" and "facilitator") and the
    participant whose texts the facilitator will hide (group 1's story owner once there is one)."""
    room = Room(create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": PUBLIC_URL, "KEY_CHECK_SECONDS": 0,
                            "STAFF_VIEW_SECONDS": 0}))
    control, projector = room.facilitator(), room.projector()
    phones = {}
    for i in range(1, PEOPLE + 1):
        fields = secrets(i)
        phone, reply = room.join(fields["name"], title=fields["title"], pitch=fields["pitch"])
        phones[reply["participant_id"]] = phone
    steps = {"lobby": 0, "groups": 1, "stories": 2}.get(phase, 3)
    for event, payload in steps_to_planning(10)[:steps]:
        assert control.call(event, payload)["ok"]
    target = room.state.groups[0].story.owner if steps >= 2 else "p1"
    if steps == 3:
        assert SheetPhone(phones[target], room.state.groups[0].sheet.id).type(0, ANSWER)["ok"]
    if phase in ("showcase", "vote", "ended"):
        for event, payload in (("start_showcase", {"from_phase": "planning"}),
                               ("showcase_step", {"delta": 1, "from_index": 0, "from_step": 0})):  # its story
            assert control.call(event, payload)["ok"]
    if phase == "vote":
        assert control.call("open_vote", {"votes_each": 2, "vote": 1})["ok"]
    if phase == "ended":
        assert control.call("end_session", {"from_phase": "showcase"})["ok"]
    screens = {pid: Watched(phone, "phone") for pid, phone in phones.items()}
    screens["projector"], screens["facilitator"] = Watched(projector, "projector"), Watched(control, "facilitator")
    for screen in screens.values():
        screen.take()
    return room, screens, target


def must_leave(room, key: str, target: str) -> set[str]:
    """The target's texts this screen may no longer show once they are hidden: everything on the
    projector and other groups' phones; the story's title and pitch on the groupmates' phones
    (they keep the name and their own answers); nothing on the target's phone nor the control screen."""
    texts = secrets(int(target[1:]))
    if key in ("facilitator", target):
        return set()
    group = room.state.group_of(target)
    if key != "projector" and group is not None and key in group.members:
        return {texts["title"], texts["pitch"]}
    return set(texts.values())


# Who shows something of the target's that hiding takes away, phase by phase (beside the
# projector): their groupmates from the story reveal on, every phone once the card on screen,
# the ballots or the closing cards carry the story.
EXPECTED = {"lobby": set(), "groups": set(), "stories": {"group"}, "planning": {"group"},
            "showcase": {"group", "others"}, "vote": {"group", "others"}, "ended": {"group", "others"}}


@pytest.mark.parametrize("phase", list(EXPECTED))
def test_hide_text_takes_a_text_off_every_screen_that_showed_it_at_once_and_showing_brings_it_back(phase):
    room, screens, target = played_to(phase)
    group = room.state.group_of(target)
    showed = {key: {s for s in must_leave(room, key, target) if s in screen.shown()} for key, screen in screens.items()}
    showed = {key: found for key, found in showed.items() if found}
    kinds = {"group" if group and key in group.members else "others" for key in showed if key != "projector"}
    assert "projector" in showed and kinds == EXPECTED[phase], (phase, sorted(showed))

    assert screens["facilitator"].screen.call("hide_text", {"participant": target, "hidden": True})["ok"]
    for key, found in showed.items():
        screen = screens[key]
        assert screen.take(), f"{phase}: {key} got no new view"
        assert not {s for s in found if s in screen.shown()}, f"{phase}: {key} still shows {found}"
    control = screens["facilitator"]
    assert control.take() and next(p for p in control.view["participants"] if p["id"] == target)["hidden"] is True
    assert secrets(int(target[1:]))["title"] in control.shown()  # the facilitator still sees everything

    assert control.screen.call("hide_text", {"participant": target, "hidden": False})["ok"]
    for key, found in showed.items():
        screens[key].take()
        assert found <= {s for s in found if s in screens[key].shown()}, f"{phase}: {key} did not get {found} back"
