"""A session's results as Markdown, CSV and JSON: per group its number, members, story,
format and four answers. Pure functions of the state, for the control screen and the CLI."""

from __future__ import annotations

import csv
import io
import json

from .engine import Session

FORMATS = {"md": "text/markdown", "csv": "text/csv", "json": "application/json"}


def results(state: Session) -> dict:
    """The results as plain data (the JSON export)."""
    people = state.participants
    groups = []
    for group in state.groups:
        owner = people.get(group.story.owner) if group.story else None
        groups.append({
            "number": group.number,
            "members": [people[pid].name for pid in group.members],
            "story": {"owner": owner.name, "title": owner.title, "pitch": owner.pitch} if owner else None,
            "format": state.deck.formats_for(group.number)[group.format] if group.format is not None else None,
            "answers": [{"question": q, "answer": text} for q, text in zip(state.deck.questions, group.texts)],
        })
    return {"session": state.id, "title": state.deck.title, "phase": state.phase.value,
            "participants": len(people), "groups": groups}


def to_json(state: Session) -> str:
    return json.dumps(results(state), ensure_ascii=False, indent=2) + "\n"


def to_csv(state: Session) -> str:
    """One row per group; the questions are the last four columns' headers."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "members", "story owner", "story title", "story pitch", "format",
                     *state.deck.questions])
    for group in results(state)["groups"]:
        story = group["story"] or {"owner": "", "title": "", "pitch": ""}
        writer.writerow([group["number"], "; ".join(group["members"]), story["owner"], story["title"],
                         story["pitch"], group["format"] or "", *(a["answer"] for a in group["answers"])])
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
    return "\n".join(lines)


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
