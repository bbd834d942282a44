"""Pseudo-locales, made from the .pot: every string accented, about 35% longer and bracketed,
so a screen that shows a word not taken from a catalog, or a layout that breaks on longer
words, is caught by looking (docs/translating.md).

en-XA reads left to right with English plural rules; ar-XB is the same text for a
right-to-left page (dir=rtl) with Arabic's six plural forms, so a future Arabic or Hebrew
catalog needs no code change.
"""

from __future__ import annotations

import math
import re

from babel import Locale
from babel.messages.catalog import Catalog

# pseudo-locale -> the real locale whose direction, numbers and plural rules it borrows
LOCALES = {"en-XA": "en", "ar-XB": "ar"}
OPEN, CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧: what the browser test looks for
_ACCENTS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "åƀçđéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
# Left alone: {name} (screens), %(name)s and %s (templates), so values still fill in.
_KEEP = re.compile(r"(\{\w*\}|%\(\w+\)[sd]|%[sd])")
_VOWELS = re.compile(r"([aeiouyAEIOUY])")


def pseudo(text: str) -> str:
    """⟦Åççéééñţéđ⟧ text about 35% longer, placeholders kept as they are."""
    if not text:
        return text
    pieces = _KEEP.split(text)
    for i in range(0, len(pieces), 2):  # even pieces are words, odd ones placeholders
        pieces[i] = _VOWELS.sub(r"\1\1", pieces[i]).translate(_ACCENTS)
    body = "".join(pieces)
    short = math.ceil(len(text) * 1.35) - len(body) - 2
    return f"{OPEN}{body}{'·' * max(short, 0)}{CLOSE}"


def catalog(template: Catalog, language: str, locale: Locale) -> Catalog:
    """The pseudo-locale `language` of every message in `template`."""
    result = Catalog(locale=locale, project="gamehub", fuzzy=False)
    rtl = LOCALES[language] == "ar"
    mark = "\u200f" if rtl else ""  # a right-to-left mark, as real Arabic text starts
    for message in template:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            forms = [mark + pseudo(singular)] + [mark + pseudo(plural)] * (result.num_plurals - 1)
            result.add(message.id, tuple(forms), locations=message.locations, flags=message.flags - {"fuzzy"})
        else:
            result.add(message.id, mark + pseudo(message.id), locations=message.locations,
                       flags=message.flags - {"fuzzy"})
    return result
