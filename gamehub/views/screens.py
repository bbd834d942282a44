"""What each audience may see of a session: one function per audience, applied on the server.

A phone sees its own group only: never another group's answers, nobody's token, the seed,
or anyone's story but the one its group picked. The projector sees what the whole room may
see. The facilitator sees everything but secrets. Shapes are documented in docs/protocol.md.
"""

from __future__ import annotations

from collections.abc import Container, Mapping

from ..engine import Group, Participant, Phase, Session
from ..engine.game.showcase import HEAD_STEPS, answer_hidden, reveal_parts
from ..engine.room import PAGE_SIZE, page_count, shown_page
from ..engine.state import PHASE_ORDER
from .common import HIDDEN_NAME, HIDDEN_TEXT, colour, in_room
from .room import (
    phone_hand,
    phone_message,
    projector_message,
    staff_hand,
    staff_message,
)
from .vote import phone_vote, room_vote


def reached(state: Session, phase: Phase) -> bool:
    return PHASE_ORDER.index(state.phase) >= PHASE_ORDER.index(phase)


def _header(state: Session, audience: str, now: float) -> dict:
    return {
        "audience": audience,
        "session": state.id,
        "version": state.version,
        "now": now,  # lets a client correct its clock before showing the timer
        "phase": state.phase.value,
        "title": state.deck.title,
        "language": state.settings.language,  # the room's; a screen showing another reloads
        "timer": {"started_at": state.timer.started_at, "deadline": state.timer.deadline} if state.timer else None,
        "ended_at": state.ended_at,  # the game has ended: every screen shows its closing state
    }


def _story(state: Session, group: Group) -> dict | None:
    if group.story is None or not reached(state, Phase.STORIES):
        return None
    owner = state.participants[group.story.owner]
    return {"owner_id": owner.id, "owner_name": owner.name, "title": owner.title, "pitch": owner.pitch}


def _hidden_story(story: dict | None, state: Session, *, name: bool) -> dict | None:
    """The story as the room may see it: a hidden owner's title and pitch (and, on the
    projector, their name) are replaced."""
    if story is None or not state.participants[story["owner_id"]].hidden:
        return story
    return {**story, "title": in_room(state, HIDDEN_TEXT), "pitch": "",
            **({"owner_name": in_room(state, HIDDEN_NAME)} if name else {})}


def _public_name(state: Session, person: Participant) -> str:
    return in_room(state, HIDDEN_NAME) if person.hidden else person.name


def _public_answer(state: Session, text: str, authors: tuple[str, ...]) -> str:
    """An answer as the room may see it: hidden whole if anyone hidden typed in it (a sheet
    merges several people's typing, and half an answer would still be theirs)."""
    return in_room(state, HIDDEN_TEXT) if text and answer_hidden(state, authors) else text


def _timer(timer) -> dict | None:
    return {"started_at": timer.started_at, "deadline": timer.deadline} if timer else None


def _showcase(state: Session, *, reveal: bool) -> dict:
    """Where the showcase is: the card, its step, the presenter countdown; for the projector also
    the card's answer steps (`reveal`), so every projector shows the same parts."""
    show = state.showcase
    view = {"index": show.index, "gallery": show.gallery, "step": show.step, "steps": HEAD_STEPS,
            "presenter": _timer(show.presenter), "presenter_seconds": show.presenter_seconds}
    parts = []
    if 0 <= show.index < len(state.groups):
        parts = [{"question": q, "part": i, "parts": n, "text": in_room(state, HIDDEN_TEXT) if text is None else text}
                 for q, i, n, text in reveal_parts(state, state.groups[show.index])]
        view["steps"] = HEAD_STEPS + len(parts)
        view["step"] = min(show.step, view["steps"] - 1)
    if reveal:
        view["reveal"] = parts
    return view


def _room(state: Session) -> dict:
    return {"sound": state.sound, "page": shown_page(state), "pages": page_count(state), "page_size": PAGE_SIZE}


def _format_name(state: Session, group: Group) -> str | None:
    return None if group.format is None else state.deck.formats_for(group.number)[group.format]


def answered(group: Group) -> int:
    return sum(1 for text in group.texts if text.strip())


def _person(state: Session, pid: str | None) -> dict | None:
    person = state.participants.get(pid or "")
    return {"id": person.id, "name": person.name} if person else None


def _answers(state: Session, group: Group) -> list[dict]:
    """Each answer's text and the names of everyone who typed in it (still in the session)."""
    people = state.participants
    return [{"text": text, "authors": [people[pid].name for pid in authors if pid in people]}
            for text, authors in zip(group.sheet.texts, group.sheet.authors)] if group.sheet else []


def _names(state: Session, group: Group) -> list[str]:
    return [_public_name(state, state.participants[pid]) for pid in group.members]


def guest_view(state: Session, now: float) -> dict:
    """A phone that has not joined: enough to show the join form, or that joining is locked."""
    return {**_header(state, "phone", now), "status": "guest", "locked": state.locked, "me": None,
            "group": None, "limits": {
                "name": state.settings.max_name, "title": state.settings.max_title,
                "pitch": state.settings.max_pitch, "answer": state.settings.max_answer}}


def phone_view(state: Session, participant_id: str, now: float) -> dict:
    """The phone of one participant. A removed participant learns only that they were removed."""
    view = _header(state, "phone", now)
    person: Participant | None = state.participants.get(participant_id)
    if person is None:
        return {**view, "status": "removed", "me": None, "group": None}
    view.update(status="joined", late_group=person.late_group, limits={"answer": state.settings.max_answer}, me={
        "id": person.id, "name": person.name, "title": person.title, "pitch": person.pitch,
        "opt_out": person.opt_out,
    }, on_screen=on_screen(state))
    view["vote"] = phone_vote(state, participant_id)
    group = state.group_of(participant_id)
    view["message"] = phone_message(state, group, now)
    if group is None or not reached(state, Phase.GROUPS):
        return {**view, "group": None}
    story = _story(state, group)
    if story is not None and story["owner_id"] != participant_id:
        story = _hidden_story(story, state, name=False)  # members keep names: they sit together
    view["group"] = {
        "number": group.number,
        "colour": colour(group.number),
        "members": [{"id": pid, "name": state.participants[pid].name, "me": pid == participant_id}
                    for pid in group.members],
        "story": story and {**story, "mine": story["owner_id"] == participant_id},
        "formats": list(state.deck.formats_for(group.number)),
        "format": group.format,
        "format_by": _person(state, group.format_by) if group.format is not None else None,
        "questions": list(state.deck.questions),
        "instructions": state.deck.instructions,
        "sheet": group.sheet.id if group.sheet else None,
        "answers": _answers(state, group) if reached(state, Phase.PLANNING) else None,
        "help": phone_hand(state, group.help, participant_id, now),
    }
    return view


def on_screen(state: Session) -> dict | None:
    """For every phone during the showcase: which group's card the projector shows, and only as
    much of it as the projector has revealed (the story from step 1, the format from step 2), so
    a phone never spoils the show. The same for every phone (sent to all at once); None outside
    the showcase, and once there is a people's choice vote: the projector shows the vote or its
    podium in the card's place, so no phone may say a group is presenting (nor react to one).
    The room sees this card, so a phone may too (hidden texts stay hidden)."""
    if state.phase is not Phase.SHOWCASE or state.vote is not None:
        return None
    show = state.showcase
    if show.gallery or not 0 <= show.index < len(state.groups):
        return {"index": show.index, "gallery": show.gallery, "revealed": 0, "group": None}
    group = state.groups[show.index]
    revealed = min(show.step, HEAD_STEPS - 1)
    story = _hidden_story(_story(state, group), state, name=True)
    return {"index": show.index, "gallery": False, "revealed": revealed, "group": {
        "number": group.number, "colour": colour(group.number),
        "story_title": story["title"] if story and revealed >= 1 else None,
        "format": _format_name(state, group) if revealed >= 2 else None}}


def projector_view(state: Session, now: float, join_url: str) -> dict:
    """The big screen: what the whole room may see. Answers appear only in the showcase;
    a hidden participant's name, story and answers never appear."""
    view = _header(state, "projector", now)
    showcase = reached(state, Phase.SHOWCASE)
    view.update(
        join_url=join_url,
        locked=state.locked,
        participant_count=len(state.participants),
        names=[_public_name(state, p) for p in state.participants.values()],
        questions=list(state.deck.questions),
        showcase=_showcase(state, reveal=True) if showcase else None,
        groups=[projector_group(state, g) for g in state.groups],
        message=projector_message(state, now),
        vote=room_vote(state),
        **_room(state),
    )
    return view


def projector_group(state: Session, g: Group) -> dict:
    """One group as the projector shows it (also sent alone, as a patch, when only it changed)."""
    planning = reached(state, Phase.PLANNING)
    return {
        "number": g.number,
        "colour": colour(g.number),
        "members": _names(state, g),
        "story": _hidden_story(_story(state, g), state, name=True),
        "format": _format_name(state, g) if planning else None,
        "answered": answered(g) if planning else 0,
        "answers": [_public_answer(state, text, authors) for text, authors in zip(g.sheet.texts, g.sheet.authors)]
        if reached(state, Phase.SHOWCASE) and g.sheet else None,
    }


def facilitator_view(state: Session, now: float, links: dict, online: Container[str],
                     active_at: Mapping[int, float] | None = None) -> dict:
    """The control screen: everything but secrets, with who is connected, how picks were drawn,
    and when each group last typed (`active_at`: group number -> server time; never stored)."""
    view = _header(state, "facilitator", now)
    group_of = {pid: g.number for g in state.groups for pid in g.members}
    view.update(
        links=links,
        locked=state.locked,
        seed=state.seed,
        grouping_draw=state.grouping_draw,
        settings={"group_size": state.settings.group_size, "max_participants": state.settings.max_participants,
                  "planning_minutes": state.settings.planning_minutes},
        limits={"name": state.settings.max_name, "title": state.settings.max_title,
                "pitch": state.settings.max_pitch, "answer": state.settings.max_answer},
        questions=list(state.deck.questions),
        showcase=_showcase(state, reveal=False),
        message=staff_message(state.message),
        vote=room_vote(state),
        **_room(state),
        participants=[{
            "id": p.id, "name": p.name, "title": p.title, "pitch": p.pitch, "opt_out": p.opt_out,
            "has_phone": p.has_phone, "connected": p.id in online, "group": group_of.get(p.id),
            "late": p.late_group is not None, "hidden": p.hidden, "joined_at": p.joined_at,
        } for p in state.participants.values()],
        groups=[facilitator_group(state, g, (active_at or {}).get(g.number)) for g in state.groups],
    )
    return view


def facilitator_group(state: Session, g: Group, active_at: float | None = None) -> dict:
    """One group as the control screen shows it (also sent alone, as a patch)."""
    story = _story(state, g)
    return {
        "number": g.number,
        "colour": colour(g.number),
        "members": [{"id": pid, "name": state.participants[pid].name} for pid in g.members],
        "story": story and {**story, "candidates": list(g.story.candidates), "draw": g.story.draw},
        "formats": list(state.deck.formats_for(g.number)),
        "format": g.format,
        "format_name": _format_name(state, g),
        "answered": answered(g),
        "answers": _answers(state, g),
        "active_at": active_at,
        "message": staff_message(g.message),
        "help": staff_hand(state, g.help),
    }


def group_patch(audience: str, state: Session, groups: list[dict], now: float) -> dict:
    """A `view_patch`: these groups replace the ones with the same numbers in the last view."""
    return {"audience": audience, "session": state.id, "version": state.version, "now": now, "groups": groups}
