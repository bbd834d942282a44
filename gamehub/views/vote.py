"""What each audience sees of the people's choice vote (engine/vote.py); part of `views`.

A phone sees the cards it may vote on and its own ballot while the vote is open, nothing
else: not how many votes anyone has. The facilitator and the projector see how many people
have voted while it is open, and the results only once it is closed, so the reveal is a
surprise for the facilitator too. Shapes are documented in docs/protocol.md ("People's choice").
"""

from __future__ import annotations

from ..engine import Phase, Session
from ..engine.game.vote import (
    allowance,
    ballot_of,
    current_vote,
    electorate,
    standings,
    voters,
)
from .common import HIDDEN_TEXT, colour


def _shown(state: Session) -> bool:
    return current_vote(state) is not None and state.phase is Phase.SHOWCASE


def _title(state: Session, number: int, viewer: str | None) -> str | None:
    """The group's story title as this viewer may see it (a hidden owner's title is replaced,
    except on the owner's own phone)."""
    story = state.groups[number - 1].story
    if story is None:
        return None
    owner = state.participants.get(story.owner)
    if owner is None:
        return None
    return HIDDEN_TEXT if owner.hidden and owner.id != viewer else owner.title


def _format(state: Session, number: int) -> str | None:
    group = state.groups[number - 1]
    return None if group.format is None else state.deck.formats_for(number)[group.format]


def _cards(state: Session) -> list[dict]:
    """Every group's card as the room sees it, made once per state and shared by every phone's
    view (states are immutable; opening a vote sends 1,000 phones the same 250 cards)."""
    cards = state.__dict__.get("_vote_cards")
    if cards is None:
        cards = [{"number": g.number, "colour": colour(g.number), "title": _title(state, g.number, None),
                  "format": _format(state, g.number), "mine": False} for g in state.groups]
        state.__dict__["_vote_cards"] = cards
    return cards


def phone_vote(state: Session, participant_id: str) -> dict | None:
    """The open vote as one phone sees it: every group's card (its own marked `mine`, which it
    cannot vote for), how many votes it has and its ballot. None when no vote is open."""
    if not _shown(state) or not state.vote.open:
        return None
    vote = state.vote  # current (`_shown`)
    own = state.group_of(participant_id)
    cards = _cards(state)
    if own is not None:
        cards = list(cards)
        cards[own.number - 1] = {**cards[own.number - 1], "mine": True,
                                 "title": _title(state, own.number, participant_id)}
    return {
        "number": vote.number,
        "votes_each": vote.votes_each,
        "votes": allowance(state, participant_id),
        "ballot": list(ballot_of(state, participant_id)),
        "own_group": own.number if own else None,
        "cards": cards,
    }


def room_vote(state: Session) -> dict | None:
    """The vote as the projector and the facilitator see it: whether it is open, how many
    people have voted (of how many could), and once it is closed the results."""
    if not _shown(state):
        return None
    vote = state.vote
    return {
        "number": vote.number,
        "votes_each": vote.votes_each,
        "open": vote.open,
        "voters": voters(state),
        "electorate": electorate(state),
        "results": None if vote.open else standings(state),
    }
