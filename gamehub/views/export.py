"""A session's results as Markdown, CSV and JSON: per group its number, members, story,
format, four answers and its people's choice votes. Pure functions of the state, for the
control screen and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re

from ..engine import Session
from ..engine.game.vote import current_vote, standings, voters

FORMATS = {"md": "text/markdown", "csv": "text/csv", "json": "application/json"}


def results(state: Session) -> dict:
    """The results as plain data (the JSON export)."""
    people = state.participants
    groups = []
    vote = current_vote(state)
    ranked = {row["group"]: row for row in standings(state)} if vote else {}
    for group in state.groups:
        owner = people.get(group.story.owner) if group.story else None
        groups.append({
            "number": group.number,
            "members": [people[pid].name for pid in group.members],
            "story": {"owner": owner.name, "title": owner.title, "pitch": owner.pitch} if owner else None,
            "format": state.deck.formats_for(group.number)[group.format] if group.format is not None else None,
            "answers": [{"question": q, "answer": text} for q, text in zip(state.deck.questions, group.texts)],
            **_votes(ranked.get(group.number)),
        })
    return {"session": state.id, "title": state.deck.title, "phase": state.phase.value,
            "participants": len(people), "groups": groups,
            "vote": {"votes_each": vote.votes_each, "open": vote.open, "voters": voters(state)} if vote else None}


def _votes(row: dict | None) -> dict:
    """A group's people's choice result: its votes, its place (None with no votes), and
    whether it shares that place; all None when no vote was held."""
    if row is None:
        return {"votes": None, "place": None, "tied": None}
    return {"votes": row["votes"], "place": row["place"], "tied": row["tied"]}


def to_json(state: Session) -> str:
    return json.dumps(results(state), ensure_ascii=False, indent=2) + "\n"


def to_csv(state: Session) -> str:
    """One row per group; the questions are the last four columns' headers. Before them, the
    group's votes and place in the people's choice (empty when no vote was held; a shared
    place reads "2 (tied)")."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_cells(["group", "members", "story owner", "story title", "story pitch", "format",
                            "votes", "place", *state.deck.questions]))
    for group in results(state)["groups"]:
        story = group["story"] or {"owner": "", "title": "", "pitch": ""}
        writer.writerow(_cells([group["number"], "; ".join(group["members"]), story["owner"], story["title"],
                                story["pitch"], group["format"] or "", "" if group["votes"] is None else group["votes"],
                                _place(group), *(a["answer"] for a in group["answers"])]))
    return out.getvalue()


# A spreadsheet opening the CSV runs a cell that starts with one of these as a formula (OWASP's
# "CSV injection"): a leading apostrophe makes it text, and spreadsheets hide the apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cells(row: list) -> list:
    return ["'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell for cell in row]


def to_markdown(state: Session) -> str:
    data = results(state)
    lines = [f"# {_md(data['title'])}: results of session {data['session']}", ""]
    for group in data["groups"]:
        lines += [f"## Group {group['number']}", "", f"**Members:** {_md(', '.join(group['members']))}", ""]
        if group["story"]:
            story = group["story"]
            lines += [f"**Story:** {_md(story['title'] or '(untitled)')}, by {_md(story['owner'])}", ""]
            if story["pitch"]:
                lines += ["> " + line for line in _md_block(story["pitch"]).split("\n")] + [""]
        lines += [f"**Format:** {_md(group['format'] or '(not chosen)')}", ""]
        for answer in group["answers"]:
            lines += [f"### {_md(answer['question'])}", "", _md_block(answer["answer"]) or "_(no answer)_", ""]
        if group["votes"] is not None:
            place = _place(group)
            lines += [f"**People's choice:** {group['votes']} vote{'' if group['votes'] == 1 else 's'}"
                      + (f", place {place}" if place else ""), ""]
    return "\n".join(lines)


def _place(group: dict) -> str:
    if group["place"] is None:
        return ""
    return f"{group['place']} (tied)" if group["tied"] else str(group["place"])


def render(state: Session, fmt: str) -> str:
    """The export in one of FORMATS."""
    return {"md": to_markdown, "csv": to_csv, "json": to_json}[fmt](state)


def _md_block(text: str) -> str:
    """Text with line breaks, as Markdown that keeps them: a line break inside a paragraph
    becomes a hard break (a backslash at the end of the line); blank lines stay paragraphs."""
    paragraphs, current = [], []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        # Leading spaces would make an indented code block; Markdown drops them in a paragraph anyway.
        line = _md(line.strip())
        if line:
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return "\n\n".join("\\\n".join(lines) for lines in paragraphs)


# Participants' text is data, not markup. Backslash-escaped punctuation renders as itself in
# CommonMark and GFM, so a reader sees the text as typed, and none of it acts:
# - anywhere: emphasis, code, links and images, HTML and entities, headings, quotes, tables,
#   strikethrough and fences (~);
# - GFM's autolinks that start at "://" or "www.": their ":" and "." are escaped;
# - at the start of a line: list items (-, +, 1. or 1)), setext underlines (=, -) and rules.
# GFM finds email, mailto: and xmpp: autolinks after escapes and entities are resolved, so an
# invisible zero-width space after each "@" is what keeps "a@b.example" from becoming one.
_MD_ANYWHERE = "\\`*_{}[]<>#|!~&"
_MD_AUTOLINK = re.compile(r"(?i)(?<=www)\.|:(?=//)")
_MD_LINE_START = re.compile(r"^(\d*)((?<=\d)[.)]|(?<!\d)[-+=])")


def _md(text: str) -> str:
    """One line of participant text as inline Markdown; line breaks become spaces."""
    text = " ".join(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    for char in _MD_ANYWHERE:
        text = text.replace(char, "\\" + char)
    text = _MD_AUTOLINK.sub(lambda m: "\\" + m.group(0), text).replace("@", "@\u200b")
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
