"""Properties of the rules over many rooms, with hypothesis (bounded to run in seconds)."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import replace
from fractions import Fraction
from math import floor
from pathlib import Path

import hypothesis
from helpers import FACILITATOR, GUEST, PROJECTOR, blank, participant, run, run_outcome
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sheets import Typist, b64, typist_for

from gamehub.engine import COMMANDS, Actor, Phase, Role, Settings, apply
from gamehub.engine.codec import decode, encode
from gamehub.engine.draws import rng_for
from gamehub.engine.game.ending import AFTER_END, EndSession
from gamehub.engine.game.groups import FormGroups, MoveParticipant, Reshuffle
from gamehub.engine.lobby import AddParticipant, Join, RemoveParticipant, SetLocked
from gamehub.engine.game.navigation import Back
from gamehub.engine.game.planning import ChooseFormat, EditSheet, ExtendTimer, StartPlanning
from gamehub.engine.sheet import SHEET_GRACE
from gamehub.engine.game.showcase import ShowcaseGallery, ShowcaseStep, StartShowcase
from gamehub.engine.game.stories import PickStories, RerollStory
from gamehub.engine.game.vote import CloseVote, OpenVote, SetBallot, counted_ballots
from gamehub.views.screens import facilitator_view, guest_view, phone_view, projector_view

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PROTOCOL = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
DOCUMENTED_CODES = set(re.findall(r"`([a-z_]+)`", PROTOCOL[PROTOCOL.index("## Error codes"):]))


def lobby(n: int, size: int, seed: str, opt_out: frozenset[int] = frozenset(), max_participants: int = 500):
    """n people p1..pn (added by the facilitator: fast, and the same rules as joining)."""
    state = blank(seed=seed, settings=Settings(group_size=size, max_participants=max_participants))
    for i in range(1, n + 1):
        state = run(state, AddParticipant(name=f"P{i}", opt_out=i in opt_out))
    return state


def expected_group_count(n: int, size: int) -> int:
    """max(1, round(n / size)) with halves rounding up, in exact arithmetic."""
    return max(1, floor(Fraction(n, size) + Fraction(1, 2)))


def sizes(state) -> list[int]:
    return [len(g.members) for g in state.groups]


def check_grouping(state) -> None:
    """The form_groups rule: everyone once, G groups numbered 1..G, sizes within one, larger first."""
    n, size = len(state.participants), state.settings.group_size
    count = expected_group_count(n, size)
    assert [g.number for g in state.groups] == list(range(1, count + 1))
    placed = Counter(pid for g in state.groups for pid in g.members)
    assert set(placed) == set(state.participants) and set(placed.values()) == {1}
    assert max(sizes(state)) - min(sizes(state)) <= 1
    assert sizes(state) == sorted(sizes(state), reverse=True)


# ---------------------------------------------------------------------------------------------

@BOUNDED
@given(n=st.integers(1, 500), size=st.integers(2, 12), seed=st.text(max_size=6))
@example(n=500, size=2, seed="").via("the largest room in the smallest groups")
@example(n=500, size=12, seed="").via("the largest room in the largest groups")
@example(n=10, size=4, seed="").via("2.5 groups round up to 3")
def test_form_groups_puts_everyone_in_exactly_one_of_round_half_up_n_over_size_groups(n, size, seed):
    state = run(lobby(n, size, seed), FormGroups())
    assert len(state.groups) == expected_group_count(n, size)
    check_grouping(state)
    again = run(state, Reshuffle())
    check_grouping(again)
    assert again.grouping_draw == state.grouping_draw + 1


@BOUNDED
@given(n=st.integers(1, 40), size=st.integers(2, 12), seed=st.text(max_size=6), data=st.data())
def test_late_joiners_always_go_to_the_smallest_group_lowest_number_on_a_tie(n, size, seed, data):
    state = run(lobby(n, size, seed), FormGroups())
    steps = data.draw(st.lists(st.sampled_from(["join", "add", "remove", "move"]), max_size=25))
    for k, step in enumerate(steps):
        if step in ("join", "add"):
            smallest = min(state.groups, key=lambda g: (len(g.members), g.number)).number
            command = Join(name="Late", token_hash=f"late-{k}") if step == "join" else AddParticipant(name="Late")
            result = run_outcome(state, command, GUEST if step == "join" else FACILITATOR)
            state, pid = result.state, result.result["participant_id"]
            assert result.result["group"] == smallest
            assert state.group(smallest).members[-1] == pid
            assert state.participants[pid].late_group == smallest
        elif step == "remove" and state.participants:
            who = data.draw(st.sampled_from(sorted(state.participants)))
            state = run(state, RemoveParticipant(participant=who))
        elif step == "move" and state.participants and len(state.groups) > 1:
            who = data.draw(st.sampled_from(sorted(state.participants)))
            target = data.draw(st.sampled_from([g.number for g in state.groups
                                                if who not in g.members]))
            state = run(state, MoveParticipant(participant=who, group=target))


@BOUNDED
@given(n=st.integers(1, 80), size=st.integers(2, 12), seed=st.text(max_size=6), data=st.data())
def test_pick_stories_picks_a_member_who_did_not_opt_out_unless_all_did(n, size, seed, data):
    opted = frozenset(data.draw(st.sets(st.integers(1, n))))
    state = run(run(lobby(n, size, seed, opted), FormGroups()), PickStories())
    for group in state.groups:
        story = group.story
        assert story.owner in group.members
        willing = [pid for pid in group.members if not state.participants[pid].opt_out]
        if willing:
            assert not state.participants[story.owner].opt_out
            assert set(story.candidates) == set(willing)
        else:
            assert set(story.candidates) == set(group.members)
        assert rng_for(seed, f"story:{group.number}", story.draw).choice(story.candidates) == story.owner
    number = data.draw(st.integers(1, len(state.groups)))
    before = state.group(number).story
    after = run(state, RerollStory(group=number)).group(number).story
    pool = [pid for pid in state.group(number).members if not state.participants[pid].opt_out] \
        or list(state.group(number).members)
    assert after.owner in pool
    if len(pool) > 1:
        assert after.owner != before.owner


# ---------------------------------------------------------------------------------------------
# Random games: any command from any actor, valid or not. The generators take a `choose`
# function (one of a list): hypothesis's draws for the shrinkable test, a seeded `random` for
# the long games.

EVENTS = [  # phase-advancing and group commands appear more often
    "join", "join", "add_participant", "remove_participant", "set_locked",
    "form_groups", "form_groups", "reshuffle", "move_participant", "move_participant",
    "pick_stories", "pick_stories", "reroll_story", "start_planning", "start_planning", "extend_timer",
    "choose_format", "choose_format", "sheet_update", "sheet_update", "sheet_update", "sheet_update",
    "sheet_update", "sheet_update",
    "start_showcase", "showcase_step", "showcase_step", "showcase_gallery", "back",
    "set_presenter_timer", "set_sound", "turn_page",  # the room's big screen (issue 13)
    "open_vote", "set_ballot", "set_ballot", "set_ballot", "close_vote",  # people's choice (issue 13)
] + [e for e in ("hide_text", "rename_participant") if e in COMMANDS] + ["end_session"]  # moderation; the end
PARTICIPANT_EVENTS = {"choose_format", "sheet_update", "set_ballot"}
NAMES = ["Ada", "  Bo  ", "", "   ", "x" * 41, "Cy\nDee"]
TEXTS = ["plan", "", "  spaced  ", "ü ✓ 日本 😀", "x" * 2001]
# Sheet updates sent blind (a stale phone, another group's sheet id, junk); play_random_game
# also makes real ones from a phone that synced its group's sheet.
SHEET_IDS = ["0.1", "0.2", "1.1", "2.3", "", "x"]
UPDATES = ["", "AAA=", "not base64", b64(b"\x01\x02\x03garbage"), Typist(client_id=7).append(0, "blind"),
           Typist(client_id=8).append(3, "x" * 2001)]
BOOLS = [False, True]


def random_command(choose, state):
    """One command with arguments that are sometimes right and sometimes wrong for `state`."""
    fitting = [e for e in EVENTS if state.phase in COMMANDS[e].phases]
    event = choose(fitting if choose([1, 1, 1, 0]) else EVENTS)  # mostly one the phase allows: games get far
    ids = [f"p{k}" for k in range(1, state.next_participant + 1)]  # current, removed, and unknown
    numbers = list(range(-1, len(state.groups) + 2))
    if event == "join":
        return event, Join(name=choose(NAMES), opt_out=choose(BOOLS),
                           token_hash=choose(["t1", "t2", "t3", "t4", "t5", "t6", ""]))
    if event == "add_participant":
        return event, AddParticipant(name=choose(NAMES), title=choose(TEXTS), opt_out=choose(BOOLS))
    if event == "remove_participant":
        return event, RemoveParticipant(participant=choose(ids))
    if event == "set_locked":
        return event, SetLocked(locked=choose(BOOLS))
    if event == "hide_text":
        return event, COMMANDS[event].from_payload({"participant": choose(ids), "hidden": choose(BOOLS)})
    if event == "rename_participant":
        return event, COMMANDS[event].from_payload({"participant": choose(ids), "name": choose(NAMES)})
    if event == "move_participant":
        return event, MoveParticipant(participant=choose(ids), group=choose(numbers))
    if event == "reroll_story":
        return event, RerollStory(group=choose(numbers))
    if event in ("start_planning", "extend_timer"):
        cls = StartPlanning if event == "start_planning" else ExtendTimer
        return event, cls(minutes=choose([15, 1, 180, 0, -1, 181]))
    if event == "choose_format":
        return event, ChooseFormat(format=choose([0, 1, 2, -1, 3]))
    if event == "sheet_update":
        return event, EditSheet(sheet=choose(SHEET_IDS), update=choose(UPDATES))
    if event == "showcase_step":
        return event, ShowcaseStep(delta=choose([1, -1, 1, 0, 2, -2]), from_step=choose([None, 0, 1, 2, 3]),
                                   card=choose(BOOLS))
    if event in ("set_presenter_timer", "set_sound", "turn_page"):
        payload = {"set_presenter_timer": {"seconds": choose([0, 2, 120, 1801, -1])},
                   "set_sound": {"on": choose(BOOLS)},
                   "turn_page": {"delta": choose([1, -1, 2]), "from_page": choose([0, 1])}}[event]
        return event, COMMANDS[event].from_payload(payload)
    if event == "showcase_gallery":
        return event, ShowcaseGallery(on=choose(BOOLS))
    if event == "open_vote":
        return event, OpenVote(votes_each=choose([2, 1, 5, 0, 6]), vote=choose([None, 1, 2, 3]))
    if event == "close_vote":
        return event, CloseVote(vote=choose([None, 1, 2]))
    if event == "set_ballot":
        return event, SetBallot(groups=tuple(choose([(), (1,), (2,), (3,), (1, 2), (2, 3), (1, 1), (1, 2, 3), (0,), (9,)])),
                                vote=choose([None, 1, 2]))
    simple = {"form_groups": FormGroups, "reshuffle": Reshuffle, "pick_stories": PickStories,
              "start_showcase": StartShowcase, "back": Back, "end_session": EndSession}
    return event, simple[event]()


def random_actor(choose, state, event) -> Actor:
    """Usually the role that may send `event`; sometimes anyone, including unknown participants."""
    members = [participant(f"p{k}") for k in range(1, state.next_participant + 1)]
    if choose([0, 1, 1, 1, 1, 1]) == 0:
        return choose([GUEST, PROJECTOR, FACILITATOR, Actor(Role.PARTICIPANT)] + members)
    if event == "join":
        return GUEST
    if event in PARTICIPANT_EVENTS:
        return choose(members)
    return FACILITATOR


def check_invariants(state) -> None:
    people = set(state.participants)
    seen = Counter(pid for g in state.groups for pid in g.members)
    assert set(seen) <= people, "a group holds someone who is not in the session"
    assert all(count == 1 for count in seen.values()), "someone is in two groups"
    assert [g.number for g in state.groups] == list(range(1, len(state.groups) + 1))
    assert (state.phase is Phase.LOBBY) == (state.groups == ())
    if state.groups:
        assert set(seen) == people, "after grouping, everyone is in a group"
    for group in state.groups:
        questions = len(state.deck.questions)
        assert group.sheet.id == f"{state.grouping_draw}.{group.number}"
        assert len(group.texts) == len(group.sheet.authors) == questions
        assert all(len(text) <= state.settings.max_answer for text in group.texts)
        assert all(len(set(who)) == len(who) for who in group.sheet.authors)
        assert all(re.fullmatch(r"p\d+", pid) for who in group.sheet.authors for pid in who)
        assert group.format is None or 0 <= group.format < 3
        if group.story is not None:
            assert state.phase not in (Phase.LOBBY, Phase.GROUPS)
            assert group.story.owner in group.members and group.story.owner in group.story.candidates
    assert (state.timer is not None) == (state.phase in (Phase.PLANNING, Phase.SHOWCASE))
    if state.phase is Phase.SHOWCASE:
        assert 0 <= state.showcase.index < len(state.groups)
        assert 0 <= state.showcase.step  # views clamp it to the card's last step
    assert state.page >= 0
    assert len(people) <= state.settings.max_participants
    assert not any(p.token_hash in state.removed_tokens for p in state.participants.values())
    assert all(re.fullmatch(r"p\d+", pid) and int(pid[1:]) < state.next_participant for pid in people)
    if state.vote is not None and state.groups:
        for pid, groups in counted_ballots(state).items():  # people's choice: what counts keeps the rules
            own = state.group_of(pid)
            assert len(set(groups)) == len(groups) <= state.vote.votes_each
            assert all(state.group(n) is not None and (own is None or n != own.number) for n in groups)


def check_views(state, now: float) -> None:
    """Every audience's view builds and is plain JSON; removed people see nothing of the game."""
    json.dumps(guest_view(state, now))
    json.dumps(projector_view(state, now, "http://join"))
    json.dumps(facilitator_view(state, now, {"join": "j", "projector": "p"}, set(state.participants)))
    for k in range(1, state.next_participant):
        view = phone_view(state, f"p{k}", now)
        json.dumps(view)
        assert view["status"] == ("joined" if f"p{k}" in state.participants else "removed")


def phone_edit(choose, state, group):
    """The sheet update of a phone that synced its group's sheet: one change at a random place
    of a random answer. Returns it with the phone, which now holds what the server should."""
    phone = typist_for(state, group.number)
    question = choose([0, 1, 2, 3])
    text = phone.text(question)
    kind = choose(["insert", "insert", "delete", "replace"])
    if kind == "delete" and text:
        start = choose(range(len(text)))
        update = phone.delete(question, start, choose(range(start + 1, len(text) + 1)))
    elif kind == "replace":
        update = phone.set_text(question, choose(TEXTS))
    else:
        update = phone.insert(question, choose(range(len(text) + 1)), choose(TEXTS))
    return EditSheet(sheet=group.sheet.id, update=update), phone


def sheet_open(state, now: float) -> bool:
    """docs/protocol.md: planning, or at most SHEET_GRACE seconds after it ended."""
    return state.phase is Phase.PLANNING or (state.sheets_closed_at is not None
                                             and now - state.sheets_closed_at <= SHEET_GRACE)


def play_random_game(choose, state, steps: int, note=lambda text: None):
    """Send `steps` random commands; check the rules after each. Returns how many were accepted."""
    now, accepted = 1000.0, 0
    for _ in range(steps):
        name, command = random_command(choose, state)
        actor = random_actor(choose, state, name)
        group = state.group_of(actor.participant_id or "")
        phone = None
        if name == "sheet_update" and group and choose(BOOLS):
            command, phone = phone_edit(choose, state, group)  # an up-to-date phone
        now += choose([1.5, 0.0, 600.0])
        before = state
        result = apply(state, command, actor, now)  # never raises
        if not result.ok:
            note(f"rejected {name}: {result.error.code}")
            assert result.state is before and result.state.version == before.version
            assert result.error.code in DOCUMENTED_CODES, result.error.code
            if phone is not None:  # its own group's sheet, well made: only time or length refuse it
                expected = ("session_ended" if before.ended_at is not None
                            else "too_long" if sheet_open(before, now) else "wrong_phase")
                assert result.error.code == expected, result.error.to_dict()
            continue
        state = result.state
        accepted += 1
        note(f"accepted {name}")
        note(f"reached {state.phase.value}")
        assert state.version == before.version + 1
        if before.ended_at is not None:  # an ended session takes only what AFTER_END lists, and stays ended
            assert name in AFTER_END and name != "end_session" and state.ended_at == before.ended_at
        assert (state.ended_at is not None) == (before.ended_at is not None or name == "end_session")
        check_invariants(state)
        if name == "sheet_update":
            assert sheet_open(before, now)
            assert (result.echo.by, result.echo.update, result.echo.sheet) == (
                actor.participant_id, command.update, group.sheet.id)
        if name in ("form_groups", "reshuffle"):
            check_grouping(state)
        elif name != "back" and len(before.groups) == len(state.groups):
            for old, new in zip(before.groups, state.groups, strict=True):
                sender = actor.participant_id in old.members
                if name == "sheet_update" and sender:
                    changed = {q for q in range(len(old.texts)) if old.texts[q] != new.texts[q]}
                    assert changed <= set(result.echo.fields)
                    assert all(actor.participant_id in new.sheet.authors[q] for q in result.echo.fields)
                    assert new.sheet.id == old.sheet.id and replace(new, sheet=old.sheet) == old
                    if phone is not None:
                        assert new.texts == tuple(phone.text(q) for q in range(len(new.texts)))
                elif name == "choose_format" and sender:
                    assert new.format == command.format and new.format_by == actor.participant_id
                    assert new.sheet == old.sheet
                else:  # answers only ever change in the sender's own group
                    assert new.sheet == old.sheet
                    if name in ("sheet_update", "choose_format"):
                        assert new == old
        if name == "back" and before.phase is not Phase.GROUPS:
            assert [g.sheet for g in state.groups] == [g.sheet for g in before.groups]
        check_views(state, now)
        assert decode(json.loads(json.dumps(encode(state)))) == state
    return accepted


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(0, 10), size=st.integers(2, 5), cap=st.sampled_from([4, 8, 500]))
def test_random_commands_from_random_actors_never_raise_and_keep_the_invariants(data, n, size, cap):
    state = lobby(min(n, cap), size, "random", max_participants=cap)
    steps = data.draw(st.integers(1, 60), label="steps")
    play_random_game(lambda options: data.draw(st.sampled_from(options)), state, steps, hypothesis.event)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 12), size=st.integers(2, 5))
def test_long_random_games_with_evenly_drawn_commands_keep_the_invariants(seed, n, size):
    """The same checks over 150 commands drawn evenly by a seeded generator: a failure names the seed."""
    accepted = play_random_game(random.Random(seed).choice, lobby(n, size, "long"), 150)
    assert accepted > 0
