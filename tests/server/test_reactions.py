"""Phones during the showcase (issue 13): they follow the card on the projector through one small
`on_screen` event (not a view per phone), and react to it with five emoji, which the server
counts in memory, limits per phone, and sends to the projector and facilitator as a few
aggregated messages, never one per tap (gamehub/server/onscreen.py, reactions.py)."""

from __future__ import annotations

import time

import pytest
from conftest import PUBLIC_URL, Room
from helpers import NOW, played_to, run
from sheets import edit_command

from gamehub.engine.moderation import HideText
from gamehub.engine.game.showcase import ShowcaseStep
from gamehub.server import create_app
from gamehub.server.reactions import EMOJI, Bucket
from gamehub.views.screens import on_screen, phone_view

TO_SHOWCASE = (("form_groups", {"from_phase": "lobby"}), ("pick_stories", {"from_phase": "groups"}),
               ("start_planning", {"from_phase": "stories"}), ("start_showcase", {"from_phase": "planning"}))


def make_app(async_mode="threading", **config):
    return create_app({"ASYNC_MODE": async_mode, "PUBLIC_URL": PUBLIC_URL, "TESTING": True, "KEY_CHECK_SECONDS": 0,
                       "STAFF_VIEW_SECONDS": 0, "REACTIONS_FLUSH_SECONDS": None, **config})


def showcase_room(app, people=8, upto=len(TO_SHOWCASE)):
    """A room with `people` phones, played by the facilitator through the first `upto` steps."""
    room = Room(app)
    staff, projector = room.facilitator(), room.projector()
    phones = [room.join(f"Person {i}", title=f"Story {i}", pitch=f"Pitch {i}")[0] for i in range(people)]
    for event, payload in TO_SHOWCASE[:upto]:
        assert staff.call(event, payload)["ok"]
    for screen in (staff, projector, *phones):
        screen.views()
    return room, staff, projector, phones


def edit_payload(state, writer) -> dict:
    command = edit_command(state, writer, 0, "Nurses and doctors")
    return {"sheet": command.sheet, "update": command.update}


def next_step(staff, room, **extra):
    show = room.state.showcase
    return staff.call("showcase_step", {"delta": 1, "from_index": show.index, "from_step": show.step, **extra})


def taps(phone, group, emoji="👏", n=1):
    return [phone.call("react", {"emoji": emoji, "group": group}) for _ in range(n)]


# -- following the projector ---------------------------------------------------------------

def test_a_phone_view_says_which_card_the_projector_shows_only_as_far_as_it_is_revealed():
    state = played_to("showcase", 8)
    first = state.groups[0]
    owner = state.participants[first.story.owner]
    shown = on_screen(state)
    assert shown == {"index": 0, "gallery": False, "revealed": 0,
                     "group": {"number": 1, "colour": {"name": "Red", "hex": "#B91C1C"}, "story_title": None,
                               "format": None}}
    state = run(state, ShowcaseStep(delta=1, from_index=0, from_step=0))
    assert on_screen(state)["group"]["story_title"] == owner.title and on_screen(state)["group"]["format"] is None
    state = run(state, ShowcaseStep(delta=1, from_index=0, from_step=1))
    assert on_screen(state)["revealed"] == 2
    # Every phone, in either group, gets the same: the room sees this card.
    for pid in state.participants:
        assert phone_view(state, pid, NOW)["on_screen"] == on_screen(state)
    # Only the title on screen: a phone of group 1 never sees group 2's story, one of group 2
    # never sees group 1's pitch.
    other = state.participants[state.groups[1].story.owner]
    assert other.title not in str(phone_view(state, state.groups[0].members[0], NOW))
    in_group_2 = str(phone_view(state, next(p for p in state.groups[1].members if p != other.id), NOW))
    assert owner.title in in_group_2 and owner.pitch not in in_group_2


def test_a_hidden_story_on_the_projector_stays_hidden_on_the_phones_and_no_on_screen_outside_the_showcase():
    state = played_to("showcase", 8)
    owner = state.groups[0].story.owner
    state = run(run(state, ShowcaseStep(delta=1, from_index=0, from_step=0)), HideText(participant=owner, hidden=True))
    assert on_screen(state)["group"]["story_title"] == "(hidden by the facilitator)"
    assert phone_view(played_to("planning", 8), "p1", NOW)["on_screen"] is None


def test_a_showcase_step_reaches_every_phone_as_one_on_screen_event_and_no_view():
    app = make_app()
    room, staff, projector, phones = showcase_room(app, upto=3)
    writer = room.state.groups[0].members[0]
    phone = next(p for p, pid in zip(phones, room.state.participants) if pid == writer)
    assert phone.call("sheet_update", edit_payload(room.state, writer))["ok"]
    assert staff.call(*TO_SHOWCASE[3])["ok"]
    for screen in phones:
        assert screen.events("on_screen") == []  # the phase change brought whole views, which carry it
        assert screen.views()[-1]["on_screen"]["group"]["number"] == 1
    assert next_step(staff, room)["ok"]  # the story
    for phone in phones:
        [event] = phone.events("on_screen")
        assert phone.views() == [], "a step is not a new view per phone"
        assert event["version"] == room.state.version and event["on_screen"] == on_screen(room.state)
        assert event["on_screen"]["revealed"] == 1
    assert next_step(staff, room)["ok"]  # the format
    assert all(len(p.events("on_screen")) == 1 for p in phones)
    # An answer step changes nothing a phone shows: nothing is sent to the phones.
    assert next_step(staff, room)["ok"] and room.state.showcase.step == 3
    assert all(p.events("on_screen") == [] and p.views() == [] for p in phones)
    # The next card, and the gallery, reach every phone.
    assert staff.call("showcase_step", {"delta": 1, "from_index": room.state.showcase.index, "card": True,
                                        "from_step": room.state.showcase.step})["ok"]
    assert all(p.events("on_screen")[-1]["on_screen"]["group"]["number"] == 2 for p in phones)
    assert staff.call("showcase_gallery", {"on": True})["ok"]
    for phone in phones:
        [event] = phone.events("on_screen")
        assert event["on_screen"]["gallery"] is True and event["on_screen"]["group"] is None


# -- reactions -------------------------------------------------------------------------------

def test_taps_of_many_phones_reach_the_projector_and_facilitator_as_one_message_per_flush(async_mode):
    app = make_app(async_mode)
    room, staff, projector, phones = showcase_room(app, people=10)
    reactions = app.extensions["gamehub.reactions"]
    for i, phone in enumerate(phones):
        assert all(ack == {"ok": True} for ack in taps(phone, 1, EMOJI[i % len(EMOJI)], 3))
    assert projector.events("reactions") == []  # nothing goes out per tap
    assert reactions.flush() == 1
    for screen in (projector, staff):
        [message] = screen.events("reactions")
        assert message["session"] == room.code and message["source"] == reactions.source
        [group] = message["groups"]
        assert group["number"] == 1
        assert group["added"] == group["counts"] == {emoji: 6 for emoji in EMOJI}
    assert reactions.flush() == 0 and projector.events("reactions") == []  # only when something changed
    taps(phones[0], 1, "💡")
    reactions.flush()
    [message] = projector.events("reactions")
    assert message["groups"][0]["added"] == {"💡": 1} and message["groups"][0]["counts"]["💡"] == 7
    # Not game state: nothing stored, no version.
    assert room.state.version == room.hub.store.get(room.code).state.version
    assert all(entry.event != "react" for entry in room.hub.store.log(room.code))


def test_a_phone_over_its_budget_is_refused_rate_limited_and_its_extra_taps_are_not_counted():
    app = make_app(REACTIONS_PER_SECOND=0.001, REACTIONS_BURST=6)  # no refill within the test
    room, staff, projector, phones = showcase_room(app)
    acks = taps(phones[0], 1, n=10)
    assert [a["ok"] for a in acks] == [True] * 6 + [False] * 4
    assert {a["error"]["code"] for a in acks[6:]} == {"rate_limited"}
    assert all(a["error"]["details"]["retry_after"] > 0 for a in acks[6:])
    assert taps(phones[1], 1)[0]["ok"], "the budget is per phone"
    app.extensions["gamehub.reactions"].flush()
    [message] = projector.events("reactions")
    assert message["groups"][0]["counts"] == {"👏": 7}


def test_the_budget_refills_a_few_taps_a_second():
    bucket, now = Bucket(6, 0.0), 0.0
    assert [bucket.take(6, 3, now) == 0 for _ in range(7)] == [True] * 6 + [False]
    assert bucket.take(6, 3, now + 0.2) > 0  # 0.6 of a tap back
    assert bucket.take(6, 3, now + 0.34) == 0  # a whole one
    assert [bucket.take(6, 3, now + 100) == 0 for _ in range(7)] == [True] * 6 + [False]  # never more than the burst


def test_an_unknown_emoji_or_a_malformed_tap_is_refused_and_not_counted():
    app = make_app()
    room, staff, projector, phones = showcase_room(app)
    for payload, code in (({"emoji": "💩", "group": 1}, "unknown_emoji"), ({"emoji": "❤", "group": 1}, "unknown_emoji"),
                          ({"emoji": "<b>hi</b>", "group": 1}, "unknown_emoji"), ({"emoji": "👏"}, "bad_payload"),
                          ({"emoji": "👏", "group": "1"}, "bad_payload"), ({"emoji": "👏", "group": True}, "bad_payload"),
                          ({"emoji": "👏", "group": 1, "text": "hi"}, "bad_payload"), ("👏", "bad_payload")):
        ack = phones[0].call("react", payload)
        assert ack["error"]["code"] == code, payload
    assert phones[0].call("react", {"emoji": "💩", "group": 1})["error"]["details"]["emoji"] == list(EMOJI)
    assert app.extensions["gamehub.reactions"].flush() == 0


@pytest.mark.parametrize("upto", [0, 3])
def test_only_during_the_showcase(upto):
    app = make_app()
    room, staff, projector, phones = showcase_room(app, upto=upto)
    assert taps(phones[0], 1)[0]["error"]["code"] == "wrong_phase"


def test_only_participants_react_and_only_to_the_group_on_the_projector():
    app = make_app()
    room, staff, projector, phones = showcase_room(app)
    guest = room.connect("phone")
    assert guest.call("react", {"emoji": "👏", "group": 1})["error"]["code"] == "not_joined"
    for screen in (staff, projector):
        assert screen.call("react", {"emoji": "👏", "group": 1})["error"]["code"] == "forbidden"
    ack = taps(phones[0], 2)[0]
    assert ack["error"]["code"] == "not_on_screen" and ack["error"]["details"] == {"group": 1}
    assert staff.call("showcase_gallery", {"on": True})["ok"]
    ack = taps(phones[0], 1)[0]
    assert ack["error"]["code"] == "not_on_screen" and ack["error"]["details"] == {"group": None}
    assert staff.call("showcase_gallery", {"on": False})["ok"]
    removed = room.state.groups[0].members[0]
    assert staff.call("remove_participant", {"participant": removed})["ok"]
    refused = [taps(p, 1)[0] for p in phones]
    assert sum(1 for a in refused if not a["ok"] and a["error"]["code"] == "removed") == 1
    assert app.extensions["gamehub.reactions"].flush() == 1  # the others still count


def test_while_a_vote_or_its_podium_is_on_the_projector_no_phone_is_told_a_group_presents_nor_reacts():
    app = make_app()
    room, staff, projector, phones = showcase_room(app)
    assert taps(phones[0], 1)[0]["ok"]  # group 1's card is on the projector
    assert staff.call("open_vote", {"votes_each": 1, "vote": 1})["ok"]
    assert all(p.views()[-1]["on_screen"] is None for p in phones)  # the projector shows the vote
    ack = taps(phones[0], 1)[0]
    assert ack["error"]["code"] == "not_on_screen" and ack["error"]["details"] == {"group": None}
    assert staff.call("close_vote", {"vote": 1})["ok"]
    assert all(p.views()[-1]["on_screen"] is None for p in phones)  # and then its podium
    assert taps(phones[0], 1)[0]["error"]["code"] == "not_on_screen"


def test_the_server_sends_the_counts_by_itself_a_few_times_a_second_not_per_tap():
    app = make_app(REACTIONS_FLUSH_SECONDS=0.25)
    room, staff, projector, phones = showcase_room(app, people=10)
    sent = 0
    for phone in phones:
        sent += sum(a["ok"] for a in taps(phone, 1, "😂", 3))
    messages, total = [], 0
    for _ in range(200):  # until the last count arrives (at most 10 s)
        messages += projector.events("reactions")
        total = sum(g["counts"].get("😂", 0) for m in messages[-1:] for g in m["groups"])
        if total == sent:
            break
        time.sleep(0.05)
    assert sent == 30 and total == 30
    assert sum(g["added"]["😂"] for m in messages for g in m["groups"]) == 30
    assert len(messages) < 10, "a few aggregated messages, not one per tap"
