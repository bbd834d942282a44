// Raised hands on the facilitator's screen (docs/protocol.md, "Room tools"): a list at the top
// of the page, oldest first, with the time each group asked, and a marker on each group's card;
// "Mark as helped" lowers the hand it was shown for (its ticket), so a double click lowers once.
// A lowered hand leaves a short note in its row for a few seconds, so the rows below do not
// slide under the second click of a double click; a button that just appeared is not armed for
// a moment (confirm.js). Words say it, with a "!" sign: never colour alone.
import { el, render } from "../shared/dom.js";
import { arm, armed } from "./confirm.js";
import { t, tn } from "../shared/i18n.js";
import { TIME, timed } from "../shared/timed.js";

const NOTE_MS = 6000; // how long a lowered hand's row stays as a note

/** ctx: {busy, run, groupLabel, view} from facilitator/main.js. `render(v)` after the group cards. */
export function createHands(ctx) {
  const count = el("span", { class: "f-hands-count" });
  const list = el("ul", { class: "f-hands-list" });
  const none = el("p", { class: "f-help f-hands-none" }, t("No group is asking for help."));
  const live = el("p", { class: "visually-hidden", role: "status" });
  const panel = el("section", { class: "f-panel f-hands", "aria-labelledby": "f-hands-h", "data-count": "0" },
    el("h2", { id: "f-hands-h", tabindex: "-1" }, el("span", { class: "help-sign", "aria-hidden": "true" }, "!"), " ", t("Help requests"), " ", count),
    none, list, live);
  const main = document.querySelector(".f-main");
  if (main) main.prepend(panel);

  let seen = null; // ticket -> group number, as last rendered (null: nothing rendered yet)
  const notes = new Map(); // group number -> {text, until}: hands lowered a moment ago
  let noteTimer = 0;

  function clear(button, group, ticket) {
    if (!armed(button)) return;
    ctx.run("clear_help", { group, ticket }, { busyKey: `help:${group}`, button,
      done: t("Group {n}: marked as helped", { n: group }) });
  }

  function clearButton(g, text, fresh) {
    const button = el("button", { type: "button", class: "f-small-button f-hand-clear", "data-focus": `help:${g.number}`,
      "aria-disabled": ctx.busy.has(`help:${g.number}`) ? "true" : null,
      onclick: (e) => clear(e.currentTarget, g.number, g.help.ticket) }, text);
    if (fresh) arm(button);
    return button;
  }

  const asked = (g) => timed(g.help.by
    ? t("asked at {time} ({name})", { time: TIME, name: g.help.by.name })
    : t("asked at {time}", { time: TIME }), g.help.at);

  function render_(v) {
    const hands = v.groups.filter((g) => g.help).sort((a, b) => a.help.at - b.help.at);
    const now = Date.now();
    const tickets = new Map(hands.map((g) => [g.help.ticket, g.number]));
    const fresh = (g) => seen !== null && !seen.has(g.help.ticket);
    if (seen !== null) {
      for (const [ticket, number] of seen) {
        if (!tickets.has(ticket) && !hands.some((g) => g.number === number)) {
          notes.set(number, { text: t("Group {n}: hand lowered", { n: number }), until: now + NOTE_MS });
          clearTimeout(noteTimer);
          noteTimer = setTimeout(() => { const v2 = ctx.view(); if (v2) render_(v2); }, NOTE_MS + 50);
        }
      }
      const news = hands.filter(fresh).map((g) => t("{group} asked for help", { group: ctx.groupLabel(g) }));
      if (news.length) render(live, news.join(". "));
    }
    for (const [number, note] of notes) if (note.until <= now || hands.some((g) => g.number === number)) notes.delete(number);

    panel.dataset.count = String(hands.length);
    render(count, hands.length ? tn("({n} group)", "({n} groups)", hands.length) : "");
    none.hidden = hands.length > 0 || notes.size > 0;
    const rows = [
      ...hands.map((g) => el("li", { class: "f-hand-row" },
        el("span", { class: "help-sign", "aria-hidden": "true" }, "!"), " ", el("strong", {}, ctx.groupLabel(g)), " ", asked(g), " ",
        clearButton(g, [t("Mark as helped"), el("span", { class: "visually-hidden" }, ` (${t("group {n}", { n: g.number })})`)], fresh(g)))),
      ...[...notes.values()].map((note) => el("li", { class: "f-hand-row is-lowered" }, el("span", { "aria-hidden": "true" }, "✓ "), note.text)),
    ];
    const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
    render(list, rows);
    if (focused) {
      const again = list.querySelector(`[data-focus="${CSS.escape(focused)}"]`);
      (again || panel.querySelector("h2")).focus({ preventScroll: true }); // its row went: stay in the panel
    }

    // A marker on each group's card (groups.js rebuilds a card when its group changes).
    for (const g of v.groups) {
      const head = document.getElementById(`f-group-${g.number}`);
      const card = head && head.closest("article");
      if (!card) continue;
      let marker = card.querySelector(".f-hand");
      const sig = g.help ? `${g.help.ticket}|${ctx.busy.has(`help:${g.number}`)}` : "";
      if (!g.help) { if (marker) marker.remove(); card.classList.remove("has-hand"); continue; }
      card.classList.add("has-hand");
      if (marker && marker.dataset.sig === sig) continue;
      const had = marker && marker.contains(document.activeElement);
      const next = el("p", { class: "f-hand", "data-sig": sig },
        el("span", { class: "help-sign", "aria-hidden": "true" }, "!"), " ",
        el("strong", {}, t("Asked for help")), " ", asked(g), " ",
        clearButton(g, [t("Mark as helped"), el("span", { class: "visually-hidden" }, ` (${t("group {n}", { n: g.number })})`)], fresh(g)));
      if (marker) marker.replaceWith(next); else head.after(next);
      if (had) next.querySelector("button").focus();
    }
    seen = tickets;
  }

  return { render: render_ };
}
