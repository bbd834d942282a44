"""What every view shares: the groups' colours, and what the room sees in place of hidden text."""

from __future__ import annotations

from ..engine import Session
from ..i18n import gettext
from ..i18n.server_messages import N_

# Dark enough for white text at 4.5:1; every colour has a name, and a group is always also
# shown by its number, so colour is never the only signal.
PALETTE = (
    ("Red", "#B91C1C"), ("Blue", "#1D4ED8"), ("Green", "#15803D"), ("Purple", "#7E22CE"),
    ("Orange", "#C2410C"), ("Teal", "#0F766E"), ("Pink", "#BE185D"), ("Brown", "#92400E"),
    ("Indigo", "#4338CA"), ("Olive", "#4D7C0F"), ("Navy", "#1E3A8A"), ("Grey", "#4B5563"),
)


# What the room sees in place of what the facilitator hid (see the `hide_text` command), in
# the room's language: views are shared by every screen of an audience.
HIDDEN_NAME = N_("(hidden)")
HIDDEN_TEXT = N_("(hidden by the facilitator)")


def in_room(state: Session, text: str) -> str:
    return gettext(state.settings.language, text)


def colour(number: int) -> dict:
    name, hex_ = PALETTE[(number - 1) % len(PALETTE)]
    return {"name": name, "hex": hex_}
