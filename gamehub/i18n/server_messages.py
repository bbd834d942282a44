"""The server's sentences for people (ack and connect_error messages), listed for `pybabel
extract`: the engine, the hub and the socket handlers keep writing them as plain English
beside a stable error code, and the socket layer looks each one up in the connection's
catalog when it answers (gamehub/i18n/web.py: translate_reply). Listing them here, not marking
them where they are raised, keeps the pure engine free of translation and those shared files
untouched; tests/server/test_i18n_catalogs.py checks that every sentence listed is still raised
somewhere, word for word. A sentence with values in it (limits, names, phases) stays English:
the screens word those cases themselves from the error code and its details.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks `message` for extraction; translated later, where the language is known."""
    return message


MESSAGES = (
    # gamehub/server/socket_events.py
    N_("Too many messages: wait a moment, then send again"),
    N_("Not connected to a session"),
    N_("This facilitator link was replaced: use the new one"),
    N_("Join the session first"),
    N_("Only the facilitator can delete the session"),
    N_("Too many wrong room codes or keys from your network: wait a minute"),
    N_("Too many connections from your network: wait a moment and try again"),
    N_("Many people are joining from your network at once: your phone tries again in a moment"),
    # gamehub/server/hub.py
    N_("This session no longer exists"),
    N_("The session is very busy right now: try again"),
    # gamehub/server/auth.py (connect_error)
    N_("This session does not exist (any more)"),
    N_("The facilitator removed you from this session"),
    N_("This session does not know this phone: join again"),
    N_("This link's key is not right for this session"),
    # gamehub/engine/
    N_("That name is not allowed in this session: please choose another"),
    N_("You are not in a group yet"),
    N_("The planning time is over: the sheet no longer takes changes"),
    N_("This is not your group's sheet"),
    N_("This sheet is full: it takes no more changes"),
    N_("Joining is locked: ask the facilitator to let you in"),
    N_("This phone has already joined"),
    N_("Nobody has joined yet"),
    N_("Nobody is left to group"),
    N_("That was the last group"),
    N_("This is the first group"),
    N_("That was the last page"),
    N_("This is the first page"),
    N_("Choose a language tag such as de or pt-BR"),
    # gamehub/engine/moderation.py: the facilitator's bulk removal, when the list changed meanwhile
    N_("The list changed since you asked: check the count, then confirm again"),
    # gamehub/engine/game/vote.py: the facilitator's status line and the phone's vote screen say these
    N_("A vote is open already: close it first"),
    N_("A vote needs at least two groups"),
    N_("No vote is open"),
    N_("The vote is closed"),
    N_("One vote per group at most"),
    N_("You are not in this session"),
    N_("You cannot vote for your own group"),
    # gamehub/engine/game/ending.py: any command after the end, on any screen still open
    N_("The game has ended: the session only shows its results now"),
    N_("Already done: the game has ended"),
    # gamehub/server/socket_events.py, forward.py: any command, on any screen
    N_("Something went wrong on the server; nothing was changed"),
)

# The groups' colour names (gamehub/views/screens.py PALETTE): views carry them in English, and every
# screen shows them with t(colour.name), so each must be a msgid.
COLOURS = (
    N_("Red"), N_("Blue"), N_("Green"), N_("Purple"), N_("Orange"), N_("Teal"),
    N_("Pink"), N_("Brown"), N_("Indigo"), N_("Olive"), N_("Navy"), N_("Grey"),
)
