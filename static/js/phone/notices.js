// Telling a phone what happened to it (issue 11): a new story for its group, joined late,
// moved to another group, more time. Short notes at the bottom of the screen that never take
// the focus, stay until dismissed, and are read out by screen readers (politely).
//
// They are found by comparing the view with what this phone showed last, which is kept in
// localStorage per session: a phone that was offline or reloaded still gets each note once,
// and never twice.
import { clock, el, render, storage } from "../shared/dom.js";
import { t, tn } from "../shared/i18n.js";

const storyText = (story, me) => story.owner_id === me
  ? (story.title ? t("“{title}” by you", { title: story.title }) : t("an untitled story by you"))
  : story.title ? t("“{title}” by {name}", { title: story.title, name: story.owner_name })
    : t("an untitled story by {name}", { name: story.owner_name });
/** The grouping a sheet id belongs to ("3.2" -> "3"): forming or reshuffling makes a new one. */
const grouping = (sheet) => (sheet ? String(sheet).slice(0, String(sheet).lastIndexOf(".")) : null);

/**
 * What changed for this phone between `before` (what it showed last, or null) and the view
 * `v`, at server time `now`. Pure: returns {notes: [sentences], memory: the new `before`}.
 */
export function whatHappened(before, v, now) {
  if (v.status !== "joined" || !v.me) return { notes: [], memory: before };
  const me = v.me.id;
  const b = before && before.pid === me ? before : null; // another identity: start afresh
  const g = v.group;
  const story = g && g.story ? { owner_id: g.story.owner_id, owner_name: g.story.owner_name, title: g.story.title } : null;
  const memory = {
    pid: me,
    group: g ? g.number : null,
    sheet: g ? g.sheet : null,
    // The last story this sheet had: a pick undone and drawn again is still news.
    story: story || (b && g && b.sheet === g.sheet ? b.story : null),
    timer: v.phase === "planning" && v.timer ? { started_at: v.timer.started_at, deadline: v.timer.deadline } : null,
    late: v.late_group || null,
  };
  const notes = [];
  if (memory.late && (!b || b.late !== memory.late)) {
    notes.push(t("You joined late, so you were added to group {n}.", { n: memory.late }));
  } else if (b && g && b.group !== null && (b.group !== g.number || grouping(b.sheet) !== grouping(g.sheet))) {
    notes.push(grouping(b.sheet) === grouping(g.sheet)
      ? t("The facilitator moved you to group {n} ({colour}).", { n: g.number, colour: t(g.colour.name) })
      : t("The groups were made again: you are now in group {n} ({colour}).", { n: g.number, colour: t(g.colour.name) }));
  }
  if (b && g && b.sheet === g.sheet && b.story && story && b.story.owner_id !== story.owner_id) {
    notes.push(t("New story for your group: {story} (instead of {before}).", { story: storyText(story, me), before: storyText(b.story, me) }));
  }
  if (b && b.timer && memory.timer && b.timer.started_at === memory.timer.started_at
      && memory.timer.deadline > b.timer.deadline + 1) {
    const added = Math.round((memory.timer.deadline - b.timer.deadline) / 60);
    const left = memory.timer.deadline - now;
    notes.push(left > 0 ? tn("{n} more minute: {time} left.", "{n} more minutes: {time} left.", added, { time: clock(left) })
      : tn("{n} more minute was added, but time is up.", "{n} more minutes were added, but time is up.", added));
  }
  return { notes, memory };
}

/**
 * The notes on screen, and a hidden live region that reads them out. `say(text)` shows a
 * passing note (gone after a few seconds); `tell(text)` one that stays until dismissed.
 * `check(view, now)` finds what happened since the last view and tells it.
 */
export function createNotices(code) {
  const key = `gamehub:${code}:seen`;
  const live = el("div", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const stack = el("div", { class: "toast-region" });
  document.body.append(live, stack);
  let toast = null;
  let toastTimer = 0;

  function announce(text) {
    render(live);
    // A fresh node a moment later, so the same words twice are read twice.
    setTimeout(() => render(live, el("p", {}, text)), 60);
  }

  function say(text) {
    clearTimeout(toastTimer);
    if (toast) toast.remove();
    toast = el("p", { class: "toast" }, text);
    stack.append(toast);
    announce(text);
    toastTimer = setTimeout(() => { if (toast) toast.remove(); toast = null; }, 6000);
  }

  function tell(texts) {
    if (!texts.length) return;
    for (const text of texts) {
      const note = el("div", { class: "phone-notice" },
        el("p", { class: "phone-notice-text" }, text),
        el("button", { type: "button", class: "phone-notice-ok", onclick: () => note.remove() },
          t("OK"), el("span", { class: "visually-hidden" }, t(", hide this note"))));
      stack.insertBefore(note, toast);
    }
    const notes = stack.querySelectorAll(".phone-notice");
    for (let i = 0; i < notes.length - 3; i += 1) notes[i].remove(); // at most three at once
    announce(texts.join(" "));
  }

  function check(v, now) {
    let before = null;
    try { before = JSON.parse(storage.get(key) || "null"); } catch { before = null; }
    const { notes, memory } = whatHappened(before, v, now);
    if (memory !== before) storage.set(key, JSON.stringify(memory));
    tell(notes);
  }

  function clear() {
    for (const note of stack.querySelectorAll(".phone-notice")) note.remove();
  }

  return { say, tell, check, clear, forget: () => storage.del(key) };
}
