"""A session's results as Markdown, CSV and JSON: per group its number, members, story,
format, four answers and its people's choice votes. Pure functions of the state, for the
control screen and the CLI."""

from __future__ import annotations

import csv
import io
import json

from .engine import Session
from .engine.vote import current_vote, standings, voters

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
    writer.writerow(["group", "members", "story owner", "story title", "story pitch", "format",
                     "votes", "place", *state.deck.questions])
    for group in results(state)["groups"]:
        story = group["story"] or {"owner": "", "title": "", "pitch": ""}
        writer.writerow([group["number"], "; ".join(group["members"]), story["owner"], story["title"],
                         story["pitch"], group["format"] or "", "" if group["votes"] is None else group["votes"],
                         _place(group), *(a["answer"] for a in group["answers"])])
    return out.getvalue()


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
    becomes a hard break (a backslash at the end of the line); empty lines stay paragraphs."""
    paragraphs = [p.strip("\n") for p in _md(text).replace("\r\n", "\n").split("\n\n")]
    return "\n\n".join(p.replace("\n", "\\\n") for p in paragraphs if p)


def _md(text: str) -> str:
    # Participants' text is data, not markup: escape what Markdown (and HTML in it) would act on.
    for char in "\\`*_{}[]<>#|!":
        text = text.replace(char, "\\" + char)
    return text
