"""A session's state: plain, immutable, JSON-friendly values.

Commands never mutate a state; they build a new one with `dataclasses.replace`, sharing
every part they did not touch. That keeps an edit cheap in a room of hundreds and makes
"rejected, nothing changed" true by construction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from enum import Enum

from .deck import Deck
from .sheet import Sheet


class Phase(str, Enum):
    LOBBY = "lobby"
    GROUPS = "groups"
    STORIES = "stories"
    PLANNING = "planning"
    SHOWCASE = "showcase"


PHASE_ORDER = (Phase.LOBBY, Phase.GROUPS, Phase.STORIES, Phase.PLANNING, Phase.SHOWCASE)


class Role(str, Enum):
    GUEST = "guest"  # a phone that has not joined (yet)
    PARTICIPANT = "participant"
    PROJECTOR = "projector"
    FACILITATOR = "facilitator"


@dataclass(frozen=True)
class Actor:
    """Who sends a command: a role, and for a participant, which one."""

    role: Role
    participant_id: str | None = None


GROUP_SIZES = range(2, 13)  # 2..12 people per group: below 2 is no group, above 12 no conversation
PARTICIPANT_LIMITS = range(1, 2001)  # what `max_participants` may be set to; the design's rooms are <= 500


@dataclass(frozen=True)
class Settings:
    """The limits and defaults a session was created with (kept with it, so a replay is exact)."""

    group_size: int = 4
    max_participants: int = 500
    max_name: int = 40
    max_title: int = 120
    max_pitch: int = 280
    max_answer: int = 2000
    max_timer_minutes: int = 180
    planning_minutes: int = 15  # what the facilitator's Start planning field starts at
    blocked_words: tuple[str, ...] = ()  # the name filter; empty means off
    language: str = "en"  # the room's language: the projector's, and the phones' fallback


@dataclass(frozen=True)
class Participant:
    id: str
    name: str
    title: str
    pitch: str
    opt_out: bool  # "don't pick my story"
    has_phone: bool
    joined_at: float
    token_hash: str | None = None  # the phone's identity, hashed; None for people without a phone
    late_group: int | None = None  # set when they joined after grouping, so the phone can say so
    hidden: bool = False  # the facilitator hid their name and texts from the projector


@dataclass(frozen=True)
class Story:
    """Whose story a group tells, and how it was drawn, so the pick can be explained."""

    owner: str
    candidates: tuple[str, ...]  # in join order; the draw chose among these
    draw: int  # the session's draw counter used for this pick


@dataclass(frozen=True)
class Message:
    """A message from the facilitator to the room or to one group (engine/room_tools.py)."""

    id: int  # the session version that sent it: a phone remembers which one it dismissed
    text: str
    at: float


@dataclass(frozen=True)
class Help:
    """A group's raised hand: someone asked the facilitator for help (engine/room_tools.py)."""

    ticket: int  # the session version that raised it: lowering names it, so a double click lowers once
    by: str  # participant id
    at: float
    # When and by whom it was lowered (None: the facilitator), kept so the phones can say which.
    lowered_at: float | None = None
    lowered_by: str | None = None

    @property
    def up(self) -> bool:
        return self.lowered_at is None


@dataclass(frozen=True)
class Group:
    number: int
    members: tuple[str, ...]
    story: Story | None = None
    format: int | None = None  # index into the deck's list for this group
    format_by: str | None = None  # who chose it (participant id), so every phone can say so
    sheet: Sheet | None = None  # the four answers, a shared document (engine/sheet.py)
    message: Message | None = None  # the facilitator's last message to this group alone
    help: Help | None = None  # the group's hand: raised, or the last one lowered

    @property
    def texts(self) -> tuple[str, ...]:
        """The answers' plain text."""
        return self.sheet.texts if self.sheet else ()


@dataclass(frozen=True)
class Timer:
    """Stored as a deadline, not a countdown, so it survives restarts and clock-less clients."""

    started_at: float
    deadline: float


@dataclass(frozen=True)
class Showcase:
    index: int = 0  # position in the session's groups, not the group number
    gallery: bool = False
    step: int = 0  # how much of the card is revealed (engine/showcase.py)
    presenter: Timer | None = None  # the countdown of the group presenting now
    presenter_seconds: int = 120  # how long each group presents; 0: no countdown


DEFAULT_VOTES = 2  # votes each participant gives in a people's choice vote, unless the facilitator sets another number


@dataclass(frozen=True)
class Vote:
    """The session's latest vote. `ballots` maps a participant id to the group numbers they
    voted for, sorted; nobody who has not voted (or took every vote back) is in it."""

    number: int  # 1 for the session's first vote, 2 for the next one...
    votes_each: int = DEFAULT_VOTES
    open: bool = True
    ballots: dict[str, tuple[int, ...]] = field(default_factory=dict)
    opened_at: float = 0.0
    closed_at: float | None = None
    grouping_draw: int | None = None  # the grouping it was opened for (see `current_vote`)


@dataclass(frozen=True)
class Session:
    id: str
    seed: str
    deck: Deck
    settings: Settings
    created_at: float
    phase: Phase = Phase.LOBBY
    version: int = 0
    locked: bool = False
    participants: dict[str, Participant] = field(default_factory=dict)  # join order; never mutated
    next_participant: int = 1
    removed_tokens: frozenset[str] = frozenset()
    hidden_removed: frozenset[str] = frozenset()  # removed while hidden: their answers stay hidden
    groups: tuple[Group, ...] = ()
    grouping_draw: int | None = None
    draws: int = 0  # every random choice takes the next draw number: seed + number replays it
    timer: Timer | None = None
    showcase: Showcase = Showcase()
    sound: bool = True  # the projector plays its sounds (the facilitator can mute them)
    page: int = 0  # which page of group cards the projector shows, when they do not fit on one
    # When planning last ended: sheet updates are still merged for a short grace after it, so
    # what a phone typed up to the moment the facilitator moved on is not lost.
    sheets_closed_at: float | None = None
    message: Message | None = None  # the facilitator's last message to everyone
    ended_at: float | None = None  # when the facilitator ended the game (engine/ending.py)
    vote: Vote | None = None  # the people's choice vote of the showcase (engine/vote.py)

    @functools.cached_property
    def _group_number_of(self) -> dict[str, int]:
        # Made once per state (states are immutable) and handed on by `with_group` while the
        # members stay put: every edit asks it several times, and a room has 250 groups.
        return {pid: group.number for group in self.groups for pid in group.members}

    def group_of(self, participant_id: str) -> Group | None:
        number = self._group_number_of.get(participant_id)
        return None if number is None else self.groups[number - 1]

    def group(self, number: int) -> Group | None:
        if 1 <= number <= len(self.groups):
            return self.groups[number - 1]
        return None

    def participant_by_token(self, token_hash: str) -> Participant | None:
        for participant in self.participants.values():
            if participant.token_hash == token_hash:
                return participant
        return None

    def bumped(self) -> Session:
        """The next version of this state, keeping its index of who is in which group."""
        changed = replace(self, version=self.version + 1)
        if "_group_number_of" in self.__dict__:
            changed.__dict__["_group_number_of"] = self._group_number_of
        return changed

    def with_group(self, group: Group) -> Session:
        groups = list(self.groups)
        same_members = groups[group.number - 1].members == group.members
        groups[group.number - 1] = group
        changed = replace(self, groups=tuple(groups))
        if same_members and "_group_number_of" in self.__dict__:
            changed.__dict__["_group_number_of"] = self._group_number_of
        return changed
