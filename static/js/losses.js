// What each lossy step of the facilitator loses, in words (issue 11): the options for
// confirm.js's ask(), or null when the step loses nothing and needs no question. Pure
// functions of the facilitator view and the server time, so the words always match the
// screen. Never "X's story" from a name (a 40-character name, or one ending in s, reads
// badly): "the story by X".
import { clock } from "./dom.js";

export const TYPING_RECENT_S = 10; // a group whose last sheet update is younger than this is "still typing"

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
const quoted = (story) => (story.title ? `“${story.title}”` : "the untitled story");

/** "“Bird song” by Ike", or "the untitled story by Ike". */
export const storyLine = (story) => `${quoted(story)} by ${story.owner_name}`;

function timeLeft(v, now) {
  return v.timer ? v.timer.deadline - now : null;
}

/** Start showcase while planning time is left: how much, and who is still at work. */
export function showcaseLoss(v, now) {
  const left = timeLeft(v, now);
  if (left === null || left <= 0) return null;
  const typing = v.groups.filter((g) => g.active_at && now - g.active_at < TYPING_RECENT_S).length;
  const blank = v.groups.filter((g) => !g.answered).length;
  const facts = [`${clock(left)} left`,
    typing ? `${plural(typing, "group", "groups")} still typing` : "no group is typing right now"];
  if (blank) facts.push(`${plural(blank, "group has", "groups have")} answered nothing yet`);
  return {
    title: `Start the showcase with ${clock(left)} left?`,
    lines: [`${facts.join("; ")}.`,
      "Planning ends for everyone: the phones leave their sheets, and only what is typed in the next 30 seconds still reaches the showcase."],
    confirm: "Start showcase now",
    cancel: "Keep planning",
  };
}

/** Re-roll a group's story once planning started: the group may have written for the old one. */
export function rerollLoss(v, g) {
  if (v.phase !== "planning" || !g.story) return null;
  const n = g.answered || 0;
  const wrote = n
    ? `Group ${g.number} has already written ${plural(n, "answer", "answers")} for ${storyLine(g.story)}`
    : `Group ${g.number} is planning ${storyLine(g.story)} (no answers written yet)`;
  const format = g.format_name ? `, and chose ${g.format_name} for it` : "";
  return {
    title: `Re-roll the story of group ${g.number}?`,
    lines: [`${wrote}${format}.`,
      "Their phones will show the new story; what they wrote stays on their sheet."],
    confirm: "Re-roll the story",
    cancel: "Keep this story",
  };
}

/** Reshuffle: everyone is dealt again, so hand-made moves are lost and the room regroups. */
export function reshuffleLoss(v) {
  return {
    title: "Deal everyone into new groups?",
    lines: [`The ${plural(v.groups.length, "group", "groups")} on the projector and the phones change: everyone gets a new group, and any moves you made by hand are lost.`],
    confirm: "Reshuffle the groups",
    cancel: "Keep these groups",
  };
}

/** Back to the previous phase, when that dissolves or undoes something. */
export function backLoss(v, now) {
  const groups = plural(v.groups.length, "group", "groups");
  if (v.phase === "groups") {
    return {
      title: "Back to the lobby?",
      lines: [`This dissolves the ${groups}: everyone is back in the lobby, and any moves you made by hand are lost.`,
        "Forming groups again deals everyone anew."],
      confirm: "Dissolve the groups",
      cancel: "Keep the groups",
    };
  }
  if (v.phase === "stories") {
    const picked = v.groups.filter((g) => g.story).length;
    return {
      title: "Back to the groups?",
      lines: [`This undoes the story picks of ${plural(picked, "group", "groups")}: the phones stop showing them.`,
        "Picking stories again draws them anew."],
      confirm: "Undo the picks",
      cancel: "Keep the stories",
    };
  }
  if (v.phase === "planning") {
    const left = timeLeft(v, now);
    return {
      title: "Back to the stories?",
      lines: [left !== null && left > 0 ? `This stops the timer with ${clock(left)} left, and the phones leave their sheets.`
        : "This ends planning: the phones leave their sheets.",
      "Formats and answers are kept; starting planning again starts a new timer."],
      confirm: "Stop the timer",
      cancel: "Keep planning",
    };
  }
  return null; // showcase -> planning keeps everything
}

/** Remove a participant: their phone is shut out, and their group may lose its story. */
export function removeLoss(v, p) {
  const lines = [p.has_phone ? `${p.name} leaves the session, and their phone cannot join again.`
    : `${p.name} leaves the session.`];
  const group = v.groups.find((g) => g.members.some((m) => m.id === p.id));
  if (group && group.story && group.story.owner_id === p.id) {
    const consequence = {
      stories: "their pick is undone: re-roll it, or a new story is drawn when planning starts",
      planning: "the group will have no story until you re-roll it",
      showcase: "the group’s card will show no story",
    }[v.phase] || "their pick is undone";
    lines.push(`Group ${group.number} tells ${storyLine(group.story)}: ${consequence}.`);
  } else if (group) {
    lines.push(`Group ${group.number} goes on without them.`);
  }
  if (v.phase === "planning" || v.phase === "showcase") lines.push("Answers they typed stay on their group’s sheet.");
  return {
    title: `Remove ${p.name}?`,
    lines,
    confirm: `Remove ${p.name}`,
    cancel: "Keep them",
    danger: true,
  };
}
