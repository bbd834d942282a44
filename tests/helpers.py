"""Small builders for the engine's unit tests: sessions, actors, and asserting helpers.

Every state here is made with the real commands through `apply`, so a builder can never
produce a session the rules would not.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from gamehub.engine import Actor, Deck, Outcome, Phase, Role, Session, Settings, apply, new_session
from gamehub.engine.game.groups import FormGroups
from gamehub.engine.lobby import AddParticipant, Join
from gamehub.engine.game.planning import StartPlanning
from gamehub.engine.game.showcase import StartShowcase
from gamehub.engine.game.stories import PickStories
from gamehub.content.formats import load_deck

NOW = 1_000_000.0  # a fixed clock: the engine never reads the real one

FACILITATOR = Actor(Role.FACILITATOR)
PROJECTOR = Actor(Role.PROJECTOR)
GUEST = Actor(Role.GUEST)


def participant(pid: str) -> Actor:
    """The actor for the phone of participant `pid` (e.g. "p1")."""
    return Actor(Role.PARTICIPANT, pid)


@lru_cache(maxsize=1)
def shipped_deck() -> Deck:
    """The deck in the repository's formats.yaml (five lists, four questions)."""
    return load_deck()


def token_of(i: int) -> str:
    """The (already hashed) identity token of the i-th test phone."""
    return f"token-hash-{i:04d}"


def blank(group_size: int = 4, seed: str = "s", deck: Deck | None = None,
          settings: Settings | None = None, now: float = NOW) -> Session:
    """A fresh session in the lobby, with nobody in it."""
    settings = settings or Settings(group_size=group_size)
    return new_session("TESTROOM", seed=seed, deck=deck or shipped_deck(), settings=settings, now=now)


def session(n_people: int = 0, group_size: int = 4, seed: str = "s", opt_out: Iterable[int] = (),
            deck: Deck | None = None, settings: Settings | None = None, now: float = NOW) -> Session:
    """A lobby with `n_people` joined phones p1..pn. `opt_out` lists the 1-based numbers of the
    people who asked not to be picked. Person i is named "Person i", with title "Title i" and
    pitch "Pitch i", and joins with the token `token_of(i)`."""
    state = blank(group_size=group_size, seed=seed, deck=deck, settings=settings, now=now)
    opted = set(opt_out)
    for i in range(1, n_people + 1):
        state = run(state, Join(name=f"Person {i}", title=f"Title {i}", pitch=f"Pitch {i}",
                                opt_out=i in opted, token_hash=token_of(i)),
                    actor=GUEST, now=now + i)
    return state


def outcome(state: Session, command, actor: Actor = FACILITATOR, now: float = NOW) -> Outcome:
    """`apply`, for tests that want the whole outcome; checks the version rule either way."""
    result = apply(state, command, actor, now)
    if result.ok:
        assert result.state.version == state.version + 1, "an accepted command must bump the version by one"
    else:
        assert result.state is state, "a rejected command must hand back the very same state"
        assert result.state.version == state.version
    return result


def run(state: Session, command, actor: Actor = FACILITATOR, now: float = NOW) -> Session:
    """Apply a command that must be accepted; return the new state."""
    result = outcome(state, command, actor, now)
    assert result.ok, f"{command!r} by {actor} was rejected: {result.error.code}: {result.error.message}"
    return result.state


def run_outcome(state: Session, command, actor: Actor = FACILITATOR, now: float = NOW) -> Outcome:
    """Like `run`, but return the whole outcome (phones, result)."""
    result = outcome(state, command, actor, now)
    assert result.ok, f"{command!r} by {actor} was rejected: {result.error.code}: {result.error.message}"
    return result


def rejects(state: Session, command, actor: Actor = FACILITATOR, code: str = "", now: float = NOW):
    """Apply a command that must be rejected with `code`; the state must come back unchanged.
    Returns the `Rejected` error, for tests that look at its details."""
    before = state
    result = apply(state, command, actor, now)
    assert not result.ok, f"{command!r} by {actor} was accepted, expected {code!r}"
    assert result.error.code == code, f"expected {code!r}, got {result.error.code!r}: {result.error.message}"
    assert result.state is before, "a rejected command must hand back the very same state"
    assert result.state == before and result.state.version == before.version
    assert result.phones is None and result.result == {}
    return result.error


def add(state: Session, name: str, opt_out: bool = False, now: float = NOW, **fields) -> Session:
    """The facilitator adds a person without a phone."""
    return run(state, AddParticipant(name=name, opt_out=opt_out, **fields), now=now)


def join(state: Session, i: int, name: str | None = None, opt_out: bool = False, now: float = NOW,
         **fields) -> Session:
    """Phone number `i` joins (token `token_of(i)`)."""
    return run(state, Join(name=name or f"Person {i}", opt_out=opt_out, token_hash=token_of(i), **fields),
               actor=GUEST, now=now)


def played_to(phase: Phase | str, n_people: int = 8, group_size: int = 4, seed: str = "s",
              opt_out: Iterable[int] = (), minutes: int = 15, deck: Deck | None = None,
              settings: Settings | None = None, now: float = NOW) -> Session:
    """A session played from the lobby into `phase` with the facilitator's usual commands."""
    phase = Phase(phase)
    state = session(n_people, group_size=group_size, seed=seed, opt_out=opt_out, deck=deck,
                    settings=settings, now=now)
    steps = [
        (Phase.GROUPS, FormGroups()),
        (Phase.STORIES, PickStories()),
        (Phase.PLANNING, StartPlanning(minutes=minutes)),
        (Phase.SHOWCASE, StartShowcase()),
    ]
    for reached, command in steps:
        if state.phase is phase:
            break
        state = run(state, command, now=now)
        assert state.phase is reached
    assert state.phase is phase
    return state


def steps_to_planning(minutes: int = 15) -> list[tuple[str, dict]]:
    """The facilitator's commands from the lobby into planning, as a screen sends them (each
    names the phase it leaves: docs/protocol.md, "Intent, not clicks")."""
    return [("form_groups", {"from_phase": "lobby"}), ("pick_stories", {"from_phase": "groups"}),
            ("start_planning", {"from_phase": "stories", "minutes": minutes})]


def group_of(state: Session, pid: str) -> int:
    group = state.group_of(pid)
    assert group is not None, f"{pid} is in no group"
    return group.number


def sizes(state: Session) -> list[int]:
    return [len(g.members) for g in state.groups]
