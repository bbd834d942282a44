"""The screens' words in the room's language: gettext catalogs read with Babel.

Catalogs live in gamehub/translations/<lang>/LC_MESSAGES/messages.po, beside the template
messages.pot that `pybabel extract` writes (docs/translating.md). They are compiled in memory
when first needed, so there is no .mo file to forget to rebuild. English is the source
language: its "catalog" is the msgids themselves. The pseudo-locales (gamehub/i18n/pseudo.py)
are made from the .pot on the fly, so they always hold every string.
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from . import pseudo

DIRECTORY = Path(__file__).resolve().parent.parent / "translations"
TEMPLATE = DIRECTORY / "messages.pot"
SOURCE = "en"
# A language tag as screens and the command line write it (de, pt-BR, en-XA); never a path.
TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")
_RTL_LANGUAGES = {"ar", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"}


def tag(language: str) -> str:
    """The web form of a language tag (pt_br -> pt-BR)."""
    base, _, region = language.replace("_", "-").partition("-")
    return f"{base.lower()}-{region.upper()}" if region else base.lower()


def _folder(language: str) -> str:
    return tag(language).replace("-", "_")


def translated() -> tuple[str, ...]:
    """Languages with a catalog on disk (web tags, sorted)."""
    if not DIRECTORY.is_dir():
        return ()
    return tuple(sorted(tag(p.parent.parent.name) for p in DIRECTORY.glob("*/LC_MESSAGES/messages.po")))


def available() -> tuple[str, ...]:
    """Every language gamehub can show: English, each catalog, and the pseudo-locales."""
    return (SOURCE, *translated(), *pseudo.LOCALES)


def shipped(language: str | None) -> str | None:
    """`language` as one of `available()` (exact, else its base language), or None."""
    if not language or not TAG.match(language):
        return None
    wanted, languages = tag(language), available()
    if wanted in languages:
        return wanted
    base = wanted.split("-")[0]
    return base if base in languages else None


def negotiate(accept: list[str]) -> str | None:
    """The first of the browser's languages (most wanted first) that gamehub has, or None.
    Pseudo-locales are only chosen when asked for by name: they are for testing."""
    for wanted in accept:
        found = shipped(wanted)
        if found and (found not in pseudo.LOCALES or tag(wanted) == found):
            return found
    return None


def language_error(flag: str, language: str) -> str | None:
    """None if gamehub has `language`; else a one-line complaint for the command line."""
    if TAG.match(language or "") and shipped(language) == tag(language):
        return None
    return f"{flag} {language}: gamehub has no catalog for it (it has {', '.join(available())})"


def babel_locale(language: str) -> Locale:
    """The Babel locale whose numbers, dates and plural rules `language` uses."""
    language = pseudo.LOCALES.get(tag(language), tag(language))
    try:
        return Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE)


def direction(language: str) -> str:
    """"rtl" or "ltr", for <html dir>."""
    return "rtl" if babel_locale(language).language in _RTL_LANGUAGES else "ltr"


@functools.cache
def catalog(language: str) -> Catalog | None:
    """The parsed catalog of `language` (None for English, the source)."""
    language = tag(language)
    if language in pseudo.LOCALES:
        with open(TEMPLATE, "rb") as template:
            return pseudo.catalog(read_po(template), language, babel_locale(language))
    path = DIRECTORY / _folder(language) / "LC_MESSAGES" / "messages.po"
    if language == SOURCE or not path.exists():
        return None
    with open(path, "rb") as po:
        return read_po(po, locale=babel_locale(language))


@functools.cache
def translations(language: str) -> NullTranslations:
    """Compiled gettext translations for `language` (English: the msgids as they are)."""
    source = catalog(language)
    if source is None:
        return NullTranslations()
    compiled = io.BytesIO()
    write_mo(compiled, source)
    compiled.seek(0)
    return Translations(compiled)


def gettext(language: str, message: str, **params) -> str:
    """`message` in `language`, with its `{name}` placeholders filled from `params`."""
    text = translations(language).gettext(message)
    return text.format(**params) if params else text


def plural_expression(language: str) -> tuple[int, str]:
    """(nplurals, C plural expression) of `language`'s catalog, for the screens' tn()."""
    source = catalog(language)
    if source is None:
        return 2, "(n != 1)"
    return source.num_plurals, source.plural_expr


def as_json(language: str) -> dict:
    """What the ES modules' i18n.js needs: messages (msgid -> str, or a list of plural forms
    keyed by the singular msgid) and the plural rule, from the same catalog."""
    language = shipped(language) or SOURCE
    nplurals, expression = plural_expression(language)
    messages: dict[str, str | list[str]] = {}
    source = catalog(language)
    for message in (source or ()):
        if not message.id or not message.string or message.fuzzy:
            continue
        if message.pluralizable:
            forms = list(message.string)
            if all(forms):
                messages[message.id[0]] = forms
        else:
            messages[message.id] = message.string
    return {"language": language, "dir": direction(language), "nplurals": nplurals,
            "plural": expression, "messages": messages,
            "languages": [[other, autonym(other)] for other in available()]}


def autonym(language: str) -> str:
    """A language's name in itself, as a picker lists it (Deutsch, français)."""
    if language in pseudo.LOCALES:
        return f"Pseudo {language}"
    name = babel_locale(language).get_display_name(babel_locale(language)) or language
    return name[:1].upper() + name[1:]

