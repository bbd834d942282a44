// The facilitator's groups panel: one card per group, with its story, format, progress and
// answers, and the Re-roll button (which asks first once planning started: losses.js).
import { $, el, render } from "../shared/dom.js";
import { keyed } from "./keyed.js";
import { armed, ask } from "./confirm.js";
import { rerollLoss } from "./losses.js";
import { t, tn, formatNumber } from "../shared/i18n.js";

const PHASES = ["lobby", "groups", "stories", "planning", "showcase"];
const reached = (v, phase) => PHASES.indexOf(v.phase) >= PHASES.indexOf(phase);

/** ctx: {busy, run, view(), typing(g), groupLabel(g)} from facilitator/main.js. */
export function createGroups(ctx) {
  const cache = new Map();

  async function reroll(button, number) {
    if (!armed(button)) return;
    const v = ctx.view();
    const g = v && v.groups.find((x) => x.number === number);
    if (!g) return;
    // The story this screen showed when the button was pressed: a second click, or another tab
    // that re-rolled first, is then refused as already done instead of re-rolling again.
    const fromOwner = g.story ? g.story.owner_id : "";
    const loss = rerollLoss(v, g);
    if (loss && !(await ask({ ...loss, phase: v.phase }))) return;
    ctx.run("reroll_story", { group: number, from_owner: fromOwner }, { busyKey: `reroll:${number}`, button,
      done: t("Group {n}: story re-rolled", { n: number }) });
  }

  function answers(v, g) {
    return el("dl", { class: "f-answers" },
      v.questions.map((q, i) => {
        const a = g.answers[i] || { text: "", authors: [] };
        const authors = a.authors || [];
        return [
          el("dt", {}, `${i + 1}. ${q}`),
          el("dd", {}, a.text.trim()
            ? [el("span", { class: "f-answer-text" }, a.text),
              authors.length ? el("span", { class: "f-by" }, " ", t("(by {names})", { names: authors.join(", ") })) : null]
            : el("em", { class: "f-empty" }, t("no answer yet"))),
        ];
      }));
  }

  function card(v, g) {
    const planning = reached(v, "planning");
    const canReroll = v.phase === "stories" || v.phase === "planning";
    const story = g.story;
    const rerollKey = `reroll:${g.number}`;
    const onScreen = v.phase === "showcase" && !v.ended_at && v.showcase && !v.showcase.gallery && v.groups[v.showcase.index] === g;
    return el("article", { class: onScreen ? "f-group is-shown" : "f-group", style: { "--group": g.colour.hex }, "aria-labelledby": `f-group-${g.number}` },
      el("h3", { class: "f-group-head", id: `f-group-${g.number}` },
        el("span", { class: "f-swatch", "aria-hidden": "true" }),
        ctx.groupLabel(g),
        planning && ctx.typing(g) ? el("span", { class: "f-typing" }, t("typing…")) : null,
        el("span", { class: "f-group-size" }, tn("{n} person", "{n} people", g.members.length))),
      onScreen ? el("p", { class: "f-on-screen" }, t("On the projector now")) : null,
      el("p", { class: "f-group-members" },
        el("span", { class: "f-k" }, t("Members:"), " "),
        g.members.length ? g.members.map((m) => m.name).join(", ") : el("em", {}, t("nobody"))),
      reached(v, "stories")
        ? el("div", { class: "f-group-story" },
          el("span", { class: "f-k" }, t("Story:"), " "),
          story ? [
            story.title ? el("strong", {}, t("“{title}”", { title: story.title })) : el("em", {}, t("untitled")),
            " ", t("by {name}", { name: story.owner_name }),
            story.pitch ? el("p", { class: "f-pitch" }, story.pitch) : null,
            el("p", { class: "f-small" }, tn("drawn from {n} candidate, draw #{draw}", "drawn from {n} candidates, draw #{draw}", story.candidates.length, { draw: story.draw })),
          ] : el("em", {}, t("none yet (one is picked when planning starts)")),
          canReroll ? el("button", {
            type: "button", class: "f-small-button", "data-focus": rerollKey,
            disabled: !g.members.length, "aria-disabled": ctx.busy.has(rerollKey) ? "true" : null,
            onclick: (e) => reroll(e.currentTarget, g.number),
          }, t("Re-roll story"), el("span", { class: "visually-hidden" }, " ", t("of group {n}", { n: g.number }))) : null)
        : null,
      planning ? [
        el("p", { class: "f-group-format" },
          el("span", { class: "f-k" }, t("Format:"), " "),
          g.format_name ? el("strong", {}, g.format_name) : el("em", {}, t("not chosen yet")),
          el("span", { class: "f-small f-options" }, " ", t("(options: {formats})", { formats: g.formats.join(" · ") }))),
        el("p", { class: "f-progress" },
          el("span", { class: "f-k" }, t("Answered:"), " "),
          el("progress", { max: "4", value: String(g.answered), "aria-label": t("Group {n} answered", { n: g.number }) }),
          " ", t("{answered}/{total}", { answered: formatNumber(g.answered), total: formatNumber(4) })),
        answers(v, g),
      ] : null);
  }

  return function renderGroups(v) {
    const note = $("#f-groups-note");
    if (!v.groups.length) {
      render(note, v.phase === "lobby" ? t("Groups appear here once you form them.") : t("There are no groups."));
    } else {
      render(note, tn("{n} group.", "{n} groups.", v.groups.length));
    }
    const phaseKey = `${v.phase}|${JSON.stringify(v.showcase)}|${v.questions.join("|")}`;
    keyed($("#f-groups"), cache, v.groups.map((g) => {
      const rerollBusy = ctx.busy.has(`reroll:${g.number}`);
      return { key: String(g.number), sig: `${phaseKey}|${rerollBusy}|${ctx.typing(g)}|${JSON.stringify(g)}`, build: () => card(v, g) };
    }));
  };
}
