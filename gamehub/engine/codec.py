"""A session to and from plain JSON data, for stores. `decode(encode(s)) == s` for any session."""

from __future__ import annotations

from dataclasses import asdict

from .deck import Deck
from .sheet import Sheet
from .state import (
    Group,
    Help,
    Message,
    Participant,
    Phase,
    Session,
    Settings,
    Showcase,
    Story,
    Timer,
    Vote,
)

FORMAT = 2  # bump when the shape changes, and teach `decode` the old one
# Format 2 keeps a group's answers as a shared document (`Group.sheet`). Format 1 (plain texts
# with revisions) was only ever written by development versions that never shipped: it is not
# read (UnsupportedSession). Fields added since have defaults, so older snapshots still
# decode: Participant.hidden (False), Settings.blocked_words (()), Settings.planning_minutes (15), Settings.language ("en"), Session.sheets_closed_at and
# Session.hidden_removed; Showcase.step, presenter and presenter_seconds; Session.sound and page;
# Session.message, Group.message and Group.help (engine/room_tools.py); Session.ended_at (None);
# Session.vote (None).


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
        "participants": [_encoded(p) for p in state.participants.values()],
        "next_participant": state.next_participant,
        "removed_tokens": sorted(state.removed_tokens),
        "hidden_removed": sorted(state.hidden_removed),
        "groups": [_encoded(g) for g in state.groups],
        "grouping_draw": state.grouping_draw,
        "draws": state.draws,
        "timer": asdict(state.timer) if state.timer else None,
        "showcase": asdict(state.showcase),
        "sound": state.sound,
        "page": state.page,
        "sheets_closed_at": state.sheets_closed_at,
        "message": asdict(state.message) if state.message else None,
        "ended_at": state.ended_at,
        "vote": _vote_data(state.vote),
    }


def _encoded(value) -> dict:
    """A participant or group as data, made once per value. They are immutable, and most of them
    are the same from one snapshot to the next: re-encoding them all was most of a snapshot's
    cost, taken while the session waits (docs/performance.md, "The shared sheet: keystrokes
    through Yjs"). The copy is shallow: a caller may change its keys, never what they hold."""
    done = value.__dict__.get("_encoded")
    if done is None:
        done = asdict(value)
        value.__dict__["_encoded"] = done
    return dict(done)


class UnsupportedSession(ValueError):
    """A stored session this gamehub cannot read. Its message is one line naming the session
    and the command that deletes it, so that one such session can be reported and stepped
    over while the others load."""

    def __init__(self, session_id: str, why: str):
        super().__init__(f"session {session_id} cannot be opened: {why}. "
                         f"Delete it with: gamehub sessions delete {session_id}")
        self.session_id = session_id


def decode(data: dict) -> Session:
    """The session from data made by `encode`."""
    stored = data.get("format")
    if stored != FORMAT:
        raise UnsupportedSession(str(data.get("id")), "it was stored by a development version of gamehub that "
                                 "never shipped (format 1)" if stored == 1 else
                                 f"it is stored in format {stored!r}, which this gamehub does not read")
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
        hidden_removed=frozenset(data.get("hidden_removed", ())),
        groups=tuple(_group(g) for g in data["groups"]),
        grouping_draw=data["grouping_draw"],
        draws=data["draws"],
        timer=Timer(**data["timer"]) if data["timer"] else None,
        showcase=_showcase(data["showcase"]),
        sound=data.get("sound", True),
        page=data.get("page", 0),
        sheets_closed_at=data.get("sheets_closed_at"),
        message=_optional(Message, data.get("message")),
        ended_at=data.get("ended_at"),
        vote=_vote(data.get("vote")),
    )


def _optional(kind: type, data: dict | None):
    return kind(**data) if data else None


def _vote_data(vote: Vote | None) -> dict | None:
    if vote is None:
        return None
    return {**asdict(vote), "ballots": {pid: list(groups) for pid, groups in vote.ballots.items()}}


def _vote(data: dict | None) -> Vote | None:
    if data is None:
        return None
    return Vote(**{**data, "ballots": {pid: tuple(groups) for pid, groups in data["ballots"].items()}})


def _showcase(data: dict) -> Showcase:
    data = dict(data)
    if data.get("presenter"):
        data["presenter"] = Timer(**data["presenter"])
    return Showcase(**data)


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
        format_by=data.get("format_by"),
        sheet=_sheet(data.get("sheet")),
        message=_optional(Message, data.get("message")),
        help=_optional(Help, data.get("help")),
    )


def _sheet(data: dict | None) -> Sheet | None:
    if data is None:
        return None
    return Sheet(id=data["id"], texts=tuple(data["texts"]), authors=tuple(map(tuple, data["authors"])),
                 base=data["base"], tail=tuple(data["tail"]),
                 # Sheets stored before the checks: not strict (engine/sheet.py), their
                 # client ids unclaimed, and their size counted from here on.
                 clients=tuple((int(client), owner) for client, owner in data.get("clients", ())),
                 structs=data.get("structs", 0), strict=data.get("strict", False))
