"""Commands about who is in the room: join, add, remove, lock."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import ClassVar

from . import draws
from .command import STAFF, Change, Command, require
from .errors import Rejected
from .state import Actor, Group, Participant, Role, Session, Settings, Story


def clean_text(value: str, label: str, limit: int, *, required: bool, multiline: bool = False,
               field: str = "") -> str:
    """Trim surrounding whitespace and enforce the limit (refuse, never cut). One-line fields
    fold every run of whitespace into one space; a multi-line field keeps its line breaks
    (at most one empty line in a row) and folds the spaces within each line."""
    if multiline:
        lines = [" ".join(line.split()) for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
        text = "\n".join(lines).strip("\n")
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
    else:
        text = " ".join(value.split())
    if required:
        require(bool(text), "missing_text", f"{label} is required", {"field": field})
    require(len(text) <= limit, "too_long", f"{label} is at most {limit} characters (got {len(text)})",
            {"field": field, "length": len(text), "limit": limit})
    return text


def clean_name(settings: Settings, value: str, label: str = "Your name") -> str:
    """A display name as `clean_text` makes it, refused if it holds a word of the name filter."""
    name = clean_text(value, label, settings.max_name, required=True, field="name")
    if any(_word_pattern(word).search(name.casefold()) for word in settings.blocked_words if word.strip()):
        # The message does not repeat the word: the list is the facilitator's, not the room's.
        raise Rejected("name_not_allowed", "That name is not allowed in this session: please choose another")
    return name


@lru_cache(maxsize=1024)
def _word_pattern(word: str) -> re.Pattern:
    """Whole words only ("ass" must not block "Cassandra"), case-insensitive via casefold."""
    word = " ".join(word.split()).casefold()
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")


@dataclass(frozen=True)
class _Entry(Command):
    """The fields a person gives on joining, shared by `join` and `add_participant`."""

    name: str
    title: str = ""
    pitch: str = ""
    opt_out: bool = False

    def _admit(self, state: Session, now: float, token_hash: str | None) -> Change:
        s = state.settings
        require(len(state.participants) < s.max_participants, "session_full",
                f"This session is full ({s.max_participants} people)")
        pid = f"p{state.next_participant}"
        person = Participant(
            id=pid,
            name=clean_name(s, self.name),
            title=clean_text(self.title, "The story title", s.max_title, required=False, field="title"),
            pitch=clean_text(self.pitch, "The pitch", s.max_pitch, required=False, multiline=True, field="pitch"),
            opt_out=self.opt_out,
            has_phone=token_hash is not None,
            joined_at=now,
            token_hash=token_hash,
        )
        state = replace(state, participants={**state.participants, pid: person},
                        next_participant=state.next_participant + 1)
        if not state.groups:
            return Change(state, phones=frozenset({pid}), result={"participant_id": pid})
        # After grouping, a late joiner goes to the smallest group (lowest number on a tie).
        number = draws.smallest_group([len(g.members) for g in state.groups])
        group = state.groups[number - 1]
        state = state.with_group(replace(group, members=group.members + (pid,)))
        state = replace(state, participants={**state.participants, pid: replace(person, late_group=number)})
        return Change(state, phones=frozenset(group.members + (pid,)),
                      result={"participant_id": pid, "group": number})


@dataclass(frozen=True)
class Join(_Entry):
    """A phone joins the session with a name and a research story."""

    event: ClassVar[str] = "join"
    roles: ClassVar = frozenset({Role.GUEST})
    server_fields: ClassVar = ("token_hash",)

    token_hash: str = ""

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        require(not state.locked, "locked", "Joining is locked: ask the facilitator to let you in")
        require(bool(self.token_hash), "no_token", "A phone needs an identity token to join")
        if self.token_hash in state.removed_tokens:
            raise Rejected("removed", "The facilitator removed you from this session")
        require(state.participant_by_token(self.token_hash) is None, "already_joined",
                "This phone has already joined")
        return self._admit(state, now, self.token_hash)


@dataclass(frozen=True)
class AddParticipant(_Entry):
    """The facilitator adds someone who has no phone; allowed even when joining is locked."""

    event: ClassVar[str] = "add_participant"
    roles: ClassVar = STAFF

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        return self._admit(state, now, None)


@dataclass(frozen=True)
class RemoveParticipant(Command):
    """The facilitator removes someone; their phone cannot join this session again."""

    event: ClassVar[str] = "remove_participant"
    roles: ClassVar = STAFF

    participant: str

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        person = known_participant(state, self.participant)
        participants = {pid: p for pid, p in state.participants.items() if pid != person.id}
        removed = state.removed_tokens | ({person.token_hash} if person.token_hash else set())
        # Their answers stay in the sheets; if the room was not to see their text, it still is not.
        hidden = state.hidden_removed | ({person.id} if person.hidden else set())
        state = replace(state, participants=participants, removed_tokens=frozenset(removed),
                        hidden_removed=frozenset(hidden))
        group = state.group_of(person.id)
        if group is None:
            return Change(state, phones=frozenset({person.id}))
        state = state.with_group(without_member(group, person.id))
        return Change(state, phones=frozenset(group.members))


@dataclass(frozen=True)
class SetLocked(Command):
    """The facilitator locks or unlocks joining. People already in can always reconnect."""

    event: ClassVar[str] = "set_locked"
    roles: ClassVar = STAFF

    locked: bool

    def run(self, state: Session, actor: Actor, now: float) -> Change:
        return Change(replace(state, locked=self.locked), phones=frozenset())


def known_participant(state: Session, participant_id: str) -> Participant:
    person = state.participants.get(participant_id)
    if person is None:
        raise Rejected("unknown_participant", f"No participant '{participant_id}' in this session")
    return person


def without_member(group: Group, participant_id: str) -> Group:
    """The group minus one member; if they were the story's owner, the pick is undone."""
    story: Story | None = group.story
    if story is not None and story.owner == participant_id:
        story = None
    return replace(group, members=tuple(m for m in group.members if m != participant_id), story=story)

