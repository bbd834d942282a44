"""What `gamehub serve` and `gamehub sessions new` share to open a session: the options
(`session_options`, an argparse parent) and their checks (`session_setup`), so a limit or a
message cannot differ between the two."""

from __future__ import annotations

import argparse


class Unusable(Exception):
    """An option that cannot be used; the message is what `gamehub: ...` says on stderr."""


def session_options() -> argparse.ArgumentParser:
    """The new session's deck, group size, size limit, name filter and language."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--formats", metavar="FILE",
                         help="another deck's formats.yaml (default: the workshop's, in the room's language)")
    options.add_argument("--group-size", type=int, default=4, help="target people per group, 2 to 12 (default: 4)")
    options.add_argument("--max-participants", type=int, default=500, metavar="N",
                         help="most people in a new session (default: 500)")
    options.add_argument("--blocked-words", metavar="FILE",
                         help="a name filter for new sessions: one word or phrase per line; names containing "
                              "one (whole word, any case) are refused (default: no filter)")
    options.add_argument("--language", default="en", metavar="LANG",
                         help="the room's language for new sessions: the projector's, and the phones' when their "
                              "browser asks for none gamehub has (default: en; docs/translating.md)")
    return options


def session_setup(args: argparse.Namespace, more_ranges=()) -> tuple:
    """The deck and the Settings fields a new session opens with, from `session_options` (and
    the command's own numbers in `more_ranges`, checked the same way); `Unusable` if one is wrong."""
    from ..content.decks import deck_for
    from ..content.formats import FormatsError
    from ..engine.state import GROUP_SIZES, PARTICIPANT_LIMITS
    from ..i18n import language_error, tag

    problem = range_error((("--group-size", args.group_size, GROUP_SIZES),
                           ("--max-participants", args.max_participants, PARTICIPANT_LIMITS), *more_ranges))
    problem = problem or language_error("--language", args.language)
    if problem:
        raise Unusable(problem)
    try:
        deck = deck_for(args.formats, args.language)
    except FormatsError as error:
        raise Unusable(f"cannot use the formats file: {error}") from None
    try:
        words = read_word_list(args.blocked_words) if args.blocked_words else ()
    except OSError as error:
        raise Unusable(f"cannot read the --blocked-words file: {error}") from None
    return deck, {"group_size": args.group_size, "max_participants": args.max_participants,
                  "blocked_words": words, "language": tag(args.language)}


def range_error(checks) -> str | None:
    """The first "--flag must be between A and B" among (flag, value, allowed range) triples."""
    for flag, value, allowed in checks:
        if value not in allowed:
            return f"{flag} must be between {allowed.start} and {allowed.stop - 1}"
    return None


def read_word_list(path: str) -> tuple[str, ...]:
    """One word or phrase per line; blank lines and lines starting with # are skipped."""
    with open(path, encoding="utf-8") as lines:
        words = (" ".join(line.split()) for line in lines)
        return tuple(dict.fromkeys(w for w in words if w and not w.startswith("#")))
