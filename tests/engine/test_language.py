"""The room's language (set_language): who may set it, what it accepts, and that it survives
the codec like every other setting, old snapshots included."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from gamehub.engine import codec
from gamehub.engine.language import SetLanguage
from gamehub.views.screens import projector_view

from helpers import GUEST, NOW, PROJECTOR, join, participant, played_to, rejects, run, session


def test_the_facilitator_sets_the_room_language_in_any_phase():
    for phase in ("lobby", "planning", "showcase"):
        state = played_to(phase)
        changed = run(state, SetLanguage(language="de"))
        assert changed.settings.language == "de"
        assert projector_view(changed, NOW, "http://x/j/CODE")["language"] == "de"
        assert changed.settings == type(state.settings)(**{**asdict(state.settings), "language": "de"})


@pytest.mark.parametrize("language", ["pt-BR", "en-XA", "ar-XB", "fil", "zh-Hant"])
def test_a_language_tag_is_accepted(language):
    assert run(session(), SetLanguage(language=language)).settings.language == language


@pytest.mark.parametrize("language", ["", "D", "deutsch", "de_DE", "../../etc", "de-", "en-XA-extra", "DE"])
def test_what_is_not_a_language_tag_is_refused(language):
    rejects(session(), SetLanguage(language=language), code="bad_language")


def test_only_the_facilitator_sets_it():
    state = join(session(), 1)
    for actor in (GUEST, PROJECTOR, participant("p1")):
        rejects(state, SetLanguage(language="de"), actor, code="forbidden")


def test_the_language_survives_the_codec_and_old_snapshots_read_as_english():
    state = run(session(3), SetLanguage(language="fr"))
    assert codec.decode(codec.encode(state)).settings.language == "fr"
    old = codec.encode(session(3))
    del old["settings"]["language"]  # a snapshot from before the setting existed
    assert codec.decode(old).settings.language == "en"


def test_what_the_facilitator_hid_is_said_in_the_room_language():
    from gamehub import i18n
    from gamehub.engine.moderation import HideText
    from gamehub.views.screens import HIDDEN_NAME

    state = run(join(session(), 1, name="Ada"), HideText(participant="p1", hidden=True))
    assert projector_view(state, NOW, "")["names"] == [HIDDEN_NAME]
    state = run(state, SetLanguage(language="en-XA"))
    assert projector_view(state, NOW, "")["names"] == [i18n.gettext("en-XA", HIDDEN_NAME)] != [HIDDEN_NAME]
