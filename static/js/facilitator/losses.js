// What each lossy step of the facilitator loses, in words (issue 11): the options for
// confirm.js's ask(), or null when the step loses nothing and needs no question. Pure
// functions of the facilitator view and the server time, so the words always match the
// screen. Never "X's story" from a name (a 40-character name, or one ending in s, reads
// badly): "the story by X".
import { clock } from "../shared/dom.js";
import { t, tn } from "../shared/i18n.js";

export const TYPING_RECENT_S = 10; // a group whose last sheet update is younger than this is "still typing"

/** "“Bird song” by Ike", or "the untitled story by Ike". */
export const storyLine = (story) => (story.title
  ? t("“{title}” by {name}", { title: story.title, name: story.owner_name })
  : t("the untitled story by {name}", { name: story.owner_name }));

function timeLeft(v, now) {
  return v.timer ? v.timer.deadline - now : null;
}

/** Start showcase while planning time is left: how much, and who is still at work. */
export function showcaseLoss(v, now) {
  const left = timeLeft(v, now);
  if (left === null || left <= 0) return null;
  const typing = v.groups.filter((g) => g.active_at && now - g.active_at < TYPING_RECENT_S).length;
  const blank = v.groups.filter((g) => !g.answered).length;
  const facts = [t("{time} left", { time: clock(left) }),
    typing ? tn("{n} group still typing", "{n} groups still typing", typing) : t("no group is typing right now")];
  if (blank) facts.push(tn("{n} group has answered nothing yet", "{n} groups have answered nothing yet", blank));
  const joined = facts.reduce((a, b) => t("{a}; {b}", { a, b })); // apart: Babel reads no t() inside t()
  return {
    title: t("Start the showcase with {time} left?", { time: clock(left) }),
    lines: [t("{facts}.", { facts: joined }),
      t("Planning ends for everyone: the phones leave their sheets, and only what is typed in the next 30 seconds still reaches the showcase.")],
    confirm: t("Start showcase now"),
    cancel: t("Keep planning"),
  };
}

/** Re-roll a group's story once planning started: the group may have written for the old one. */
export function rerollLoss(v, g) {
  if (v.phase !== "planning" || !g.story) return null;
  const n = g.answered || 0;
  const wrote = n
    ? tn("Group {group} has already written {n} answer for {story}", "Group {group} has already written {n} answers for {story}", n,
      { group: g.number, story: storyLine(g.story) })
    : t("Group {group} is planning {story} (no answers written yet)", { group: g.number, story: storyLine(g.story) });
  const format = g.format_name ? t(", and chose {format} for it", { format: g.format_name }) : "";
  return {
    title: t("Re-roll the story of group {n}?", { n: g.number }),
    lines: [t("{facts}.", { facts: `${wrote}${format}` }),
      t("Their phones will show the new story; what they wrote stays on their sheet.")],
    confirm: t("Re-roll the story"),
    cancel: t("Keep this story"),
  };
}

/** Reshuffle: everyone is dealt again, so hand-made moves are lost and the room regroups. */
export function reshuffleLoss(v) {
  return {
    title: t("Deal everyone into new groups?"),
    lines: [tn("The {n} group on the projector and the phones changes: everyone gets a new group, and any moves you made by hand are lost.",
      "The {n} groups on the projector and the phones change: everyone gets a new group, and any moves you made by hand are lost.", v.groups.length)],
    confirm: t("Reshuffle the groups"),
    cancel: t("Keep these groups"),
  };
}

/** Back to the previous phase, when that dissolves or undoes something. */
export function backLoss(v, now) {
  if (v.phase === "groups") {
    return {
      title: t("Back to the lobby?"),
      lines: [tn("This dissolves the {n} group: everyone is back in the lobby, and any moves you made by hand are lost.",
        "This dissolves the {n} groups: everyone is back in the lobby, and any moves you made by hand are lost.", v.groups.length),
      t("Forming groups again deals everyone anew.")],
      confirm: t("Dissolve the groups"),
      cancel: t("Keep the groups"),
    };
  }
  if (v.phase === "stories") {
    const picked = v.groups.filter((g) => g.story).length;
    return {
      title: t("Back to the groups?"),
      lines: [tn("This undoes the story picks of {n} group: the phones stop showing them.",
        "This undoes the story picks of {n} groups: the phones stop showing them.", picked),
      t("Picking stories again draws them anew.")],
      confirm: t("Undo the picks"),
      cancel: t("Keep the stories"),
    };
  }
  if (v.phase === "planning") {
    const left = timeLeft(v, now);
    return {
      title: t("Back to the stories?"),
      lines: [left !== null && left > 0 ? t("This stops the timer with {time} left, and the phones leave their sheets.", { time: clock(left) })
        : t("This ends planning: the phones leave their sheets."),
      t("Formats and answers are kept; starting planning again starts a new timer.")],
      confirm: t("Stop the timer"),
      cancel: t("Keep planning"),
    };
  }
  return null; // showcase -> planning keeps everything
}

/** Remove a participant: their phone is shut out, and their group may lose its story. */
export function removeLoss(v, p) {
  const lines = [p.has_phone ? t("{name} leaves the session, and their phone cannot join again.", { name: p.name })
    : t("{name} leaves the session.", { name: p.name })];
  const group = v.groups.find((g) => g.members.some((m) => m.id === p.id));
  if (group && group.story && group.story.owner_id === p.id) {
    const consequence = {
      stories: t("their pick is undone: re-roll it, or a new story is drawn when planning starts"),
      planning: t("the group will have no story until you re-roll it"),
      showcase: t("the group’s card will show no story"),
    }[v.phase] || t("their pick is undone");
    lines.push(t("Group {n} tells {story}: {consequence}.", { n: group.number, story: storyLine(group.story), consequence }));
  } else if (group) {
    lines.push(t("Group {n} goes on without them.", { n: group.number }));
  }
  if (v.phase === "planning" || v.phase === "showcase") lines.push(t("Answers they typed stay on their group’s sheet."));
  return {
    title: t("Remove {name}?", { name: p.name }),
    lines,
    confirm: t("Remove {name}", { name: p.name }),
    cancel: t("Keep them"),
    danger: true,
  };
}
