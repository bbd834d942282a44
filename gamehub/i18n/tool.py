"""Keeping the catalogs in step with the sources (docs/translating.md):

    python -m gamehub.i18n.tool extract   # sources -> gamehub/translations/messages.pot
    python -m gamehub.i18n.tool update    # .pot -> every language's messages.po (new strings empty)
    python -m gamehub.i18n.tool init de   # a new language
    python -m gamehub.i18n.tool check     # what tests/server/test_i18n_catalogs.py checks, in words

Run from a checkout (babel.cfg and the sources are at its top level). Catalogs are compiled in
memory when gamehub starts (gamehub/i18n/__init__.py), so there is no compile step to forget;
`pybabel compile -d gamehub/translations` still works for other tools.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from . import DIRECTORY, TEMPLATE, pseudo, tag

TOP = DIRECTORY.parent.parent
# Location comments name the file only, so the .pot does not change whenever a line moves.
EXTRACT_OPTIONS = ["-F", "babel.cfg", "-k", "N_", "-k", "t", "-k", "tn:1,2", "-c", "TRANSLATORS:",
                   "--add-location=file", "--sort-output", "--project=gamehub", "--no-wrap"]


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(output: Path = TEMPLATE) -> None:
    """Every msgid of the templates, the server and the ES modules into `output`."""
    import os

    here = os.getcwd()
    os.chdir(TOP)  # babel.cfg's patterns are relative to the checkout's top
    try:
        pybabel("extract", *EXTRACT_OPTIONS, "-o", str(output), ".")
    finally:
        os.chdir(here)


def problems(po: Path, template: Path = TEMPLATE) -> list[str]:
    """What is wrong with one language's catalog against the .pot: missing msgids, fuzzy
    entries, untranslated entries (every plural form counts). Empty when it is complete."""
    with open(template, "rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(f) if m.id}
    with open(po, "rb") as f:
        have = {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(f) if m.id}
    found = [f"missing: {key!r}" for key in wanted if key not in have]
    for key, message in have.items():
        if key not in wanted:
            continue
        forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy:
            found.append(f"fuzzy: {key!r}")
        elif not all(forms):
            found.append(f"untranslated: {key!r}")
    return found


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "check"
    if action == "extract":
        extract()
    elif action == "update":
        if not any(DIRECTORY.glob("*/LC_MESSAGES/messages.po")):
            print("no catalogs yet: `init LANG` makes one")
            return 0
        pybabel("update", "-i", str(TEMPLATE), "-d", str(DIRECTORY), "--no-wrap", "--ignore-obsolete")
    elif action == "init" and len(argv) == 2:
        pybabel("init", "-i", str(TEMPLATE), "-d", str(DIRECTORY), "-l", tag(argv[1]).replace("-", "_"))
    elif action == "check":
        bad = 0
        for po in sorted(DIRECTORY.glob("*/LC_MESSAGES/messages.po")):
            for problem in problems(po):
                bad += 1
                print(f"{po.relative_to(TOP)}: {problem}")
        print(f"{bad} problems; pseudo-locales {', '.join(pseudo.LOCALES)} are made from the .pot")
        return 1 if bad else 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
