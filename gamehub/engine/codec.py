"""A session to and from plain JSON data, for stores. `decode(encode(s)) == s` for any session."""

from __future__ import annotations

from dataclasses import asdict

from .deck import Deck
from .state import Answer, Group, Participant, Phase, Session, Settings, Showcase, Story, Timer

FORMAT = 1  # bump when the shape changes, and teach `decode` the old one
# Fields added since format 1 have defaults, so older snapshots still decode:
# Participant.hidden (False), Settings.blocked_words (()).


def encode(state: Session) -> dict:
    """The session as JSON-ready data."""
    return {
        "format": FORMAT,
        "id": state.id,
        "seed": state.seed,
        "deck": state.deck.to_dict(),
        "settings": asdict(state.settings),
        "created_at": state.created_at,
        "phase": state.phase.value,
        "version": state.version,
        "locked": state.locked,
        "participants": [asdict(p) for p in state.participants.values()],
        "next_participant": state.next_participant,
        "removed_tokens": sorted(state.removed_tokens),
        "groups": [asdict(g) for g in state.groups],
        "grouping_draw": state.grouping_draw,
        "draws": state.draws,
        "timer": asdict(state.timer) if state.timer else None,
        "showcase": asdict(state.showcase),
    }


def decode(data: dict) -> Session:
    """The session from data made by `encode`."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown session format {data.get('format')!r}")
    return Session(
        id=data["id"],
        seed=data["seed"],
        deck=Deck.from_dict(data["deck"]),
        settings=_settings(data["settings"]),
        created_at=data["created_at"],
        phase=Phase(data["phase"]),
        version=data["version"],
        locked=data["locked"],
        participants={p["id"]: Participant(**p) for p in data["participants"]},
        next_participant=data["next_participant"],
        removed_tokens=frozenset(data["removed_tokens"]),
        groups=tuple(_group(g) for g in data["groups"]),
        grouping_draw=data["grouping_draw"],
        draws=data["draws"],
        timer=Timer(**data["timer"]) if data["timer"] else None,
        showcase=Showcase(**data["showcase"]),
    )


def _settings(data: dict) -> Settings:
    data = dict(data)
    data["blocked_words"] = tuple(data.get("blocked_words", ()))  # JSON has lists, the state tuples
    return Settings(**data)


def _group(data: dict) -> Group:
    story = data["story"]
    return Group(
        number=data["number"],
        members=tuple(data["members"]),
        story=Story(owner=story["owner"], candidates=tuple(story["candidates"]), draw=story["draw"]) if story else None,
        format=data["format"],
        answers=tuple(Answer(**a) for a in data["answers"]),
    )
