"""People's choice: at the end of the showcase the facilitator opens a vote; each participant
gives a few votes (one per group at most, never to their own group); the facilitator closes it
and the room sees the results, ties as ties.

A ballot is sent whole (`set_ballot {groups: [3, 7]}`), not as "+1 for group 3", so a double
tap, a resend or two tabs of one phone land on the same ballot. Votes are counted from the
ballots of the people still in the session, so a removed person's votes do not count, and a
vote for the voter's own group never counts (see `ballot_of`). Only the
latest vote is kept: opening a new one replaces the last one's ballots and results.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace
from typing import ClassVar

from ..command import MEMBERS, STAFF, Change, Command, existing_group, require
from ..errors import Rejected
from ..state import DEFAULT_VOTES, Actor, Phase, Session, Vote

SHOWCASE = frozenset({Phase.SHOWCASE})
VOTES_EACH = range(1, 6)  # what the facilitator may give each participant
MAX_BALLOT = 100  # a longer list is a broken client, refused before the rules look at it


def current_vote(state: Session) -> Vote | None:
    """The session's vote, unless the groups were dealt again since it was opened (back to the
    lobby and on): its ballots name groups that are gone, so it no longer counts anywhere."""
    vote = state.vote
    return vote if vote is not None and vote.grouping_draw == state.grouping_draw else None


def ballot_of(state: Session, participant_id: str) -> tuple[int, ...]:
    """One person's ballot as it counts: empty once they are removed, and never a vote for
    the group they are in now (the facilitator can go back to planning during a vote and move
    someone into a group they voted for)."""
    vote = current_vote(state)
    if vote is None or participant_id not in state.participants:
        return ()
    own = state.group_of(participant_id)
    groups = vote.ballots.get(participant_id, ())
    return groups if own is None or own.number not in groups else tuple(n for n in groups if n != own.number)


def counted_ballots(state: Session) -> dict[str, tuple[int, ...]]:
    """The ballots that count, by participant id (see `ballot_of`); empty ones left out."""
    vote = current_vote(state)
    if vote is None:
        return {}
    counted = {pid: ballot_of(state, pid) for pid in vote.ballots}
    return {pid: groups for pid, groups in counted.items() if groups}


def voters(state: Session) -> int:
    """How many people have voted (at least one vote on their ballot)."""
    return len(counted_ballots(state))


def electorate(state: Session) -> int:
    """How many people could vote: everyone with a phone."""
    return sum(1 for p in state.participants.values() if p.has_phone)


def tally(state: Session) -> dict[int, int]:
    """Votes per group number, every group included (0 when nobody voted for it)."""
    counts = {g.number: 0 for g in state.groups}
    for groups in counted_ballots(state).values():
        for number in groups:
            if number in counts:
                counts[number] += 1
    return counts


def standings(state: Session) -> list[dict]:
    """The groups by votes, most first (equal votes by group number). `place` is the rank as
    sports count it (two groups tied for 1st, the next one is 3rd); a group with no votes has
    no place. `tied` says another group has the same place."""
    counts = tally(state)
    order = sorted(counts, key=lambda n: (-counts[n], n))
    rows, place = [], 0
    for i, number in enumerate(order):
        if i == 0 or counts[number] != counts[order[i - 1]]:
            place = i + 1
        votes = counts[number]
        rows.append({"group": number, "votes": votes, "place": place if votes else None})
    for row in rows:
        row["tied"] = row["place"] is not None and sum(1 for r in rows if r["place"] == row["place"]) > 1
    return rows


def allowance(state: Session, participant_id: str) -> int:
    """How many votes this participant can give: their share, or fewer when there are fewer
    groups they may vote for (in two groups, each member has one group to vote for)."""
    vote = current_vote(state)
    if vote is None:
        return 0
    own = state.group_of(participant_id)
    choices = len(state.groups) - (1 if own is not None else 0)
    return max(0, min(vote.votes_each, choices))


def _where(vote: Vote | None) -> dict:
    return {"vote": vote.number if vote else None, "open": bool(vote and vote.open)}


@dataclass(frozen=True)
class OpenVote(Command):
    """The facilitator opens a vote with `votes_each` votes per participant (1 to 5, default 2).
    `vote` is the number of the vote it opens (1, then 2...): the one the screen offered, so a
    double click or a second tab opens it once (`already_moved`). A new vote after a closed one
    replaces its ballots and results."""

    event: ClassVar[str] = "open_vote"
    roles: ClassVar = STAFF
    phases: ClassVar = SHOWCASE

    votes_each: int = DEFAULT_VOTES
    vote: int | None = field(default=None, kw_only=True)
    required: ClassVar[tuple[str, ...]] = ("vote",)

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        last = state.vote  # numbers go on past a vote of older groups, so stale screens stay refused
        number = (last.number if last else 0) + 1
        current = current_vote(state)
        if self.vote is not None and last is not None and self.vote <= last.number:
            raise Rejected("already_moved", f"Already done: vote {last.number} was opened", _where(current or last))
        require(current is None or not current.open, "vote_open", "A vote is open already: close it first",
                _where(current))
        require(self.vote is None or self.vote == number, "bad_payload",
                f"open_vote: 'vote' must be the number of the next vote ({number})")
        require(self.votes_each in VOTES_EACH, "bad_votes",
                f"Votes each must be {VOTES_EACH[0]} to {VOTES_EACH[-1]}")
        require(len(state.groups) >= 2, "too_few_groups", "A vote needs at least two groups")
        vote = Vote(number=number, votes_each=self.votes_each, opened_at=now, grouping_draw=state.grouping_draw)
        return Change(replace(state, vote=vote))


@dataclass(frozen=True)
class CloseVote(Command):
    """The facilitator closes the open vote (`vote`: its number); the projector shows the results."""

    event: ClassVar[str] = "close_vote"
    roles: ClassVar = STAFF
    phases: ClassVar = SHOWCASE

    vote: int | None = field(default=None, kw_only=True)
    required: ClassVar[tuple[str, ...]] = ("vote",)

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        current = current_vote(state)
        require(current is not None, "no_vote", "No vote is open")
        if self.vote is not None and (self.vote != current.number or not current.open):
            raise Rejected("already_moved", f"Already done: vote {self.vote} was closed", _where(current))
        require(current.open, "no_vote", "No vote is open")
        return Change(replace(state, vote=replace(current, open=False, closed_at=now)))


@dataclass(frozen=True)
class SetBallot(Command):
    """A participant's whole ballot in the open vote `vote`: the groups they vote for, each at
    most once, never their own, at most their number of votes (an empty list takes every vote
    back). Sending the same ballot again changes nothing."""

    event: ClassVar[str] = "set_ballot"
    roles: ClassVar = MEMBERS
    phases: ClassVar = SHOWCASE

    groups: tuple[int, ...] = ()
    vote: int | None = field(default=None, kw_only=True)
    required: ClassVar[tuple[str, ...]] = ("vote",)

    @classmethod
    def payload_schema(cls) -> dict[str, type]:
        return {"groups": list, "vote": int}

    @classmethod
    def from_payload(cls, payload: object) -> Command:
        """`groups` is a list of group numbers; the rest is checked as for every command."""
        if not isinstance(payload, dict):
            return super().from_payload(payload)  # refused there, with the usual message
        groups = payload.get("groups")
        if "groups" not in payload:
            raise Rejected("bad_payload", "set_ballot: 'groups' is required")
        if (not isinstance(groups, list) or len(groups) > MAX_BALLOT
                or not all(isinstance(n, int) and not isinstance(n, bool) for n in groups)):
            raise Rejected("bad_payload", "set_ballot: 'groups' must be a list of group numbers")
        rest = super().from_payload({k: v for k, v in payload.items() if k != "groups"})
        return dataclasses.replace(rest, groups=tuple(groups))

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        current = current_vote(state)
        open_ = current is not None and current.open and (self.vote is None or self.vote == current.number)
        require(open_, "vote_closed", "The vote is closed", _where(current))
        groups = list(self.groups)  # a list when replayed from the log
        require(len(set(groups)) == len(groups), "duplicate_group", "One vote per group at most")
        for number in groups:
            existing_group(state, number)
        pid = actor.participant_id or ""
        require(pid in state.participants, "unknown_participant", "You are not in this session")
        own = state.group_of(pid)
        require(own is None or own.number not in groups, "own_group", "You cannot vote for your own group")
        votes = allowance(state, pid)
        require(len(groups) <= votes, "too_many_votes", f"You have {votes} vote{'' if votes == 1 else 's'}",
                {"votes": votes})
        ballot = tuple(sorted(groups))
        ballots = {k: v for k, v in current.ballots.items() if k != pid}
        if ballot:
            ballots[pid] = ballot
        state = replace(state, vote=replace(current, ballots=ballots))
        return Change(state, phones=frozenset({pid}), result={"ballot": list(ballot), "votes_left": votes - len(ballot)})
