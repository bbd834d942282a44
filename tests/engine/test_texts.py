"""Texts are never changed behind anyone's back: limits refuse instead of cutting, and a pitch
keeps its line breaks from the join form to the projector and the export."""

from __future__ import annotations

from gamehub.engine.game.groups import FormGroups
from gamehub.engine.lobby import Join
from gamehub.engine.game.stories import PickStories
from gamehub.views.export import to_json, to_markdown
from gamehub.views.screens import phone_view, projector_view

from helpers import GUEST, join, rejects, run, session, token_of


def test_a_pitch_keeps_its_line_breaks_tidied_and_a_title_stays_one_line():
    state = join(session(0), 1, title="  Bird \n song ", pitch="  Finches  sing \r\n\r\n\r\n\r\n dialects. \nReally  ")
    person = state.participants["p1"]
    assert person.title == "Bird song"
    assert person.pitch == "Finches sing\n\ndialects.\nReally"


def test_a_name_over_its_limit_is_refused_not_cut():
    long_name = "Maximiliano Fernández-Castellanos de la Vega"  # 44 characters
    error = rejects(session(0), Join(name=long_name, token_hash=token_of(1)), actor=GUEST, code="too_long")
    assert "40" in error.message and "44" in error.message


def test_line_breaks_reach_every_screen_and_the_markdown_export_keeps_them():
    state = session(0)
    state = join(state, 1, title="Bird *song*", pitch="Finches sing\ndialects.\n\nReally.", opt_out=False)
    for i in (2, 3, 4):
        state = join(state, i, opt_out=True)
    state = run(run(state, FormGroups()), PickStories())  # only person 1 may be picked
    assert phone_view(state, "p2", 0)["group"]["story"]["pitch"] == "Finches sing\ndialects.\n\nReally."
    assert projector_view(state, 0, "")["groups"][0]["story"]["pitch"] == "Finches sing\ndialects.\n\nReally."
    assert '"pitch": "Finches sing\\ndialects.\\n\\nReally."' in to_json(state)
    markdown = to_markdown(state)
    assert "**Story:** Bird \\*song\\*, by Person 1" in markdown
    assert "> Finches sing\\\n> dialects.\n> \n> Really." in markdown
