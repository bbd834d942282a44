"""What a process hears of other processes' screens holds for FOREIGN_SECONDS, then lapses and
is forgotten; an owner answers a process that asks (server/screens.py, with a fake clock)."""

from __future__ import annotations

from gamehub.server.cluster.screens import FOREIGN_SECONDS, ForeignScreens


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def screens(clock, published):
    return ForeignScreens("me", lambda message: published.append(message) or 2, clock)


def test_screens_heard_of_count_for_foreign_seconds_then_lapse_and_are_forgotten():
    clock, published = Clock(), []
    foreign = screens(clock, published)
    foreign.heard({"op": "screens", "from": "other", "sessions": ["A", "B"]}, holds=lambda s: False)
    assert foreign.elsewhere("A", clock.now) and foreign.elsewhere("B", clock.now)
    assert not foreign.elsewhere("C", clock.now)

    clock.now += FOREIGN_SECONDS / 2
    foreign.heard({"op": "screens", "from": "other", "sessions": ["B"]}, holds=lambda s: False)  # B is still there
    clock.now += FOREIGN_SECONDS / 2 + 0.1
    assert not foreign.elsewhere("A", clock.now)
    assert foreign.elsewhere("B", clock.now)

    # A lapsed: the next message forgets it, so a process running for days holds only what is current.
    foreign.heard({"op": "screens", "from": "other", "sessions": ["C"]}, holds=lambda s: False)
    assert sorted(foreign._until) == ["B", "C"]
    assert published == []  # nobody asked: nothing to answer


def test_the_owner_answers_a_process_that_asks_naming_only_the_sessions_it_holds():
    clock, published = Clock(), []
    foreign = screens(clock, published)
    foreign.heard({"op": "screens", "from": "other", "sessions": ["A", "B", 7], "ask": True},
                  holds=lambda s: s == "A")
    assert published == [{"op": "noted", "from": "me", "to": "other", "sessions": ["A"]}]
    assert foreign.elsewhere("B", clock.now) and not foreign.elsewhere("7", clock.now)
