"""The catalogs are the one source of every word (docs/translating.md): the .pot matches the
sources, every shipped catalog holds every msgid translated (none fuzzy), the pseudo-locales
cover everything, and the server words its refusals in the connection's language (the
screens' plural rule, run in Node: tests/process/test_i18n_plural_node.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from gamehub import i18n
from gamehub.i18n import pseudo, server_messages, tool
from gamehub.views.common import PALETTE

from conftest import RecordingClient, Screen, socket_client

TOP = Path(__file__).resolve().parents[2]


def keys(catalog: Catalog) -> set:
    """What a catalog asks translators for: msgids, with each plural's both English forms."""
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def read(path: Path) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f)


def test_the_pot_is_what_the_sources_say_today(tmp_path):
    fresh = tmp_path / "messages.pot"
    tool.extract(fresh)
    missing = keys(read(fresh)) - keys(read(i18n.TEMPLATE))
    stale = keys(read(i18n.TEMPLATE)) - keys(read(fresh))
    assert not missing and not stale, (
        f"gamehub/translations/messages.pot is out of date: run `python -m gamehub.i18n.tool extract` "
        f"and `update` (docs/translating.md). New: {sorted(map(str, missing))[:10]}; gone: {sorted(map(str, stale))[:10]}")
    # Something real was extracted from each kind of source.
    where = {location for message in read(fresh) for location, _ in message.locations}
    assert any(w.startswith("templates/") for w in where) and any(w.startswith("static/js/") for w in where)
    assert any(w.startswith("gamehub/") for w in where)


def test_every_shipped_catalog_is_complete():
    # Every language on disk (German, French... as they arrive); the pseudo-locales are made
    # from the .pot, and checked below.
    found = {po.parts[-3]: tool.problems(po) for po in i18n.DIRECTORY.glob("*/LC_MESSAGES/messages.po")}
    assert {language: problems for language, problems in found.items() if problems} == {}
    assert sorted(i18n.tag(language) for language in found) == list(i18n.translated())


def test_the_check_finds_a_missing_a_fuzzy_and_an_untranslated_string(tmp_path):
    template = read(i18n.TEMPLATE)
    singles = [m for m in template if m.id and isinstance(m.id, str)]
    plurals = [m for m in template if m.id and not isinstance(m.id, str)]
    catalog = Catalog(locale="de")
    for m in singles[1:]:
        catalog.add(m.id, f"Übersetzt: {m.id}")
    for m in plurals:
        catalog.add(m.id, ("eins", "viele"))
    catalog[singles[1].id].flags.add("fuzzy")
    catalog[singles[2].id].string = ""
    catalog[plurals[0].id].string = ("eins", "")
    po = tmp_path / "messages.po"
    with open(po, "wb") as f:
        write_po(f, catalog)
    found = tool.problems(po)
    assert f"missing: {singles[0].id!r}" in found
    assert f"fuzzy: {singles[1].id!r}" in found
    assert f"untranslated: {singles[2].id!r}" in found
    assert f"untranslated: {plurals[0].id[0]!r}" in found
    assert len(found) == 4


@pytest.mark.parametrize("language", list(pseudo.LOCALES))
def test_a_pseudo_locale_translates_every_string_bracketed_and_longer(language):
    served = i18n.as_json(language)
    template = read(i18n.TEMPLATE)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, str):
            pairs = [(message.id, served["messages"][message.id])]
        else:
            forms = served["messages"][message.id[0]]
            assert len(forms) == served["nplurals"]
            pairs = [(message.id[0], forms[0])] + [(message.id[1], form) for form in forms[1:]]
        for source, form in pairs:
            assert form.lstrip("\u200f").startswith(pseudo.OPEN) and form.endswith(pseudo.CLOSE), form
            assert not re.search(r"[A-Za-z]", re.sub(r"\{\w+\}|%\(\w+\)[sd]", "", form)), form
            for placeholder in re.findall(r"\{\w+\}|%\(\w+\)[sd]", source):
                assert placeholder in form, (source, form)  # values still fill in
    lengths = [(len(m.id), len(served["messages"][m.id])) for m in template if m.id and isinstance(m.id, str)]
    source, translated = sum(a for a, _ in lengths), sum(b for _, b in lengths)
    assert 1.3 < translated / source < 1.5  # about 35% longer, as in real German or French


def test_the_pseudo_rtl_locale_is_right_to_left_with_arabic_plurals():
    assert i18n.direction("ar-XB") == "rtl" and i18n.direction("en-XA") == "ltr"
    assert i18n.direction("he") == "rtl" and i18n.direction("de") == "ltr"
    served = i18n.as_json("ar-XB")
    assert served["dir"] == "rtl" and served["nplurals"] == 6


def test_every_listed_server_sentence_is_still_raised_word_for_word():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (TOP / "gamehub").rglob("*.py")
                        if p.name != "server_messages.py")
    gone = [m for m in server_messages.MESSAGES if f'"{m}"' not in sources]
    assert not gone, f"listed in gamehub/i18n/server_messages.py but raised nowhere: {gone}"
    assert list(server_messages.COLOURS) == [name for name, _hex in PALETTE]


def test_every_marked_string_in_the_sources_is_in_the_pot():
    """A second reading of the sources, by regular expression, so a string Babel's JavaScript
    reader skips (it once missed t() inside a template literal's ${...}) is caught."""
    want = keys(read(i18n.TEMPLATE))
    singles = {k if isinstance(k, str) else k[0] for k in want}
    literal = r'"((?:[^"\\]|\\.)*)"'
    found = []
    for path in (TOP / "static" / "js").rglob("*.js"):
        text = path.read_text(encoding="utf-8")
        found += [(path.name, m) for m in re.findall(r"\btn?\(\s*" + literal, text)]
    for path in (TOP / "templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        found += [(path.name, m) for m in re.findall(r"\b(?:_|ngettext)\(\s*" + literal, text)]
    assert len(found) > 400
    missing = [(name, m) for name, m in found if json.loads(f'"{m}"') not in singles]
    assert not missing, f"marked but not in the .pot (extract, or a reader skipped them): {missing}"


def test_the_catalog_route_serves_languages_it_has_and_no_others(app):
    client = app.test_client()
    english = client.get("/i18n/en.json").get_json()
    assert english["plural"] == "(n != 1)" and english["messages"] == {}
    assert ["ar-XB", i18n.autonym("ar-XB")] in english["languages"]
    assert client.get("/i18n/xx.json").status_code == 404
    first = client.get("/i18n/en-XA.json")
    assert first.get_json()["messages"] and first.headers["ETag"]
    assert client.get("/i18n/en-XA.json", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    script = client.get("/i18n/ar-XB.js")
    assert script.mimetype == "text/javascript"
    prefix, body = script.get_data(as_text=True).split(" = ", 1)
    assert prefix == "globalThis.GAMEHUB_CATALOG" and json.loads(body.rstrip().rstrip(";"))["nplurals"] == 6
    assert client.get("/i18n/..%2Fetc.json").status_code == 404


def test_pages_say_their_language_and_direction(room):
    client = room.app.test_client()
    page = client.get(f"/j/{room.code}", headers={"Accept-Language": "ar-XB, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ar-XB" dir="rtl"' in page and 'data-language-source="browser"' in page
    assert '<script type="module" src="/i18n/ar-XB.js">' in page
    # A browser asking for a language gamehub lacks gets the room's language.
    page = client.get(f"/j/{room.code}", headers={"Accept-Language": "sw"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr"' in page and 'data-language-source="room"' in page
    facilitator = room.facilitator()
    assert facilitator.call("set_language", {"language": "en-XA"})["ok"]
    assert room.state.settings.language == "en-XA"
    page = client.get(f"/j/{room.code}", headers={"Accept-Language": "sw"}).get_data(as_text=True)
    assert '<html lang="en-XA" dir="ltr"' in page and pseudo.OPEN in page
    projector = client.get(f"/s/{room.code}/projector", headers={"Accept-Language": "ar-XB"}).get_data(as_text=True)
    assert '<html lang="en-XA"' in projector  # the room's language, whatever the browser says
    # The phone's own pick (its cookie) wins over the browser and the room.
    client.set_cookie("gamehub-language", "ar-XB")
    page = client.get(f"/j/{room.code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ar-XB" dir="rtl"' in page and 'data-language-source="device"' in page
    assert facilitator.call("set_language", {"language": "not a tag"})["error"]["code"] == "bad_language"


def test_error_acks_and_refusals_come_in_the_connections_language(room):
    english = room.connect("phone")
    pseudo_phone = Screen(socket_client(room.app, {"session": room.code, "role": "phone", "language": "en-XA"}))
    said = english.call("choose_format", {"format": 0})["error"]
    pseudo_said = pseudo_phone.call("choose_format", {"format": 0})["error"]
    assert said == {"code": "not_joined", "message": "Join the session first"}
    assert pseudo_said["code"] == "not_joined"
    assert pseudo_said["message"] == i18n.gettext("en-XA", "Join the session first") != said["message"]
    assert pseudo_said["message"].startswith(pseudo.OPEN)
    # Without `language` in auth, the handshake's Accept-Language decides.
    browser = Screen(RecordingClient(room.app, room.socketio, auth={"session": room.code, "role": "phone"},
                                     headers={"Accept-Language": "ar-XB"}))
    assert browser.call("choose_format", {"format": 0})["error"]["message"] == i18n.gettext("ar-XB", "Join the session first")
    refused = socket_client(room.app, {"session": "NOSUCH22", "role": "phone", "language": "ar-XB"})
    assert refused.refusal["message"] == "unknown_session"
    assert refused.refusal["data"]["message"] == i18n.gettext("ar-XB", "This session does not exist (any more)")
