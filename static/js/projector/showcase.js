// The projector's showcase: one group's card revealed step by step (the server's
// showcase.step: 0 the group and its members, 1 its story, 2 its format, then each part of each
// non-empty answer from showcase.reveal), with the presenter's countdown; or the gallery.
// Answers are never set smaller than 28 px at 1080p: the server splits long ones into parts.
import { el } from "../shared/dom.js";
import { band, grid, groupCard, pageNote, pageOf, storyTitle } from "./cards.js";
import { t } from "../shared/i18n.js";

const STEP_NAMES = [t("The group"), t("The story"), t("The format")];

function stepDots(show) {
  const dots = [];
  for (let i = 0; i < show.steps; i += 1) {
    dots.push(el("span", { class: i <= show.step ? "p-dot is-on" : "p-dot", "aria-hidden": "true" }));
  }
  return el("div", { class: "p-steps" }, dots,
    el("span", { class: "p-steps-text" }, t("Step {step} of {steps}", { step: show.step + 1, steps: show.steps })));
}

function context(g, step) {
  // What was revealed before stays as a line above the stage.
  const parts = [];
  if (step >= 1 && g.story) parts.push(el("span", { class: "p-ctx-story" }, g.story.title ? t("“{title}”", { title: g.story.title }) : t("Untitled story")));
  // Format names are the deck's, capitalised as lists ("A short film"): never spliced into a
  // sentence ("as A short film"), always after a separator.
  if (step >= 2) parts.push(el("span", { class: "p-ctx-format" }, g.format ? t("Format: {format}", { format: g.format }) : t("No format chosen")));
  return parts.length ? el("p", { class: "p-context" }, parts.flatMap((part, i) => (i ? [" · ", part] : [part]))) : null;
}

function stage(v, g, show) {
  const step = show.step;
  if (step === 0) {
    return el("div", { class: "p-reveal p-reveal-group", "data-step": "0" },
      el("p", { class: "p-reveal-label" }, t("Presenting now")),
      el("p", { class: "p-reveal-big" }, t("Group {n}", { n: g.number })),
      el("ul", { class: "p-reveal-members", "aria-label": t("Members") }, g.members.map((m) => el("li", {}, m))));
  }
  if (step === 1) {
    return el("div", { class: "p-reveal p-reveal-story", "data-step": "1" },
      el("p", { class: "p-reveal-label" }, t("The story")),
      storyTitle(g.story, "p-reveal-title"),
      g.story ? el("p", { class: "p-reveal-owner" }, t("by {name}", { name: g.story.owner_name })) : null,
      g.story && g.story.pitch ? el("p", { class: "p-reveal-pitch" }, g.story.pitch) : null);
  }
  if (step === 2) {
    return el("div", { class: "p-reveal p-reveal-format", "data-step": "2" },
      context(g, 1),
      el("p", { class: "p-reveal-label" }, t("Told as")),
      g.format ? el("p", { class: "p-reveal-big" }, g.format) : el("p", { class: "p-reveal-big p-none" }, t("No format chosen")));
  }
  const part = (show.reveal || [])[step - 3];
  if (!part) return el("div", { class: "p-reveal" }, context(g, 2));
  const question = v.questions[part.question] || "";
  return el("div", { class: "p-reveal p-reveal-answer", "data-step": String(step) },
    context(g, 2),
    el("h2", { class: "p-reveal-question" },
      el("span", { class: "p-reveal-qnum" }, t("Question {n} of {count}", { n: part.question + 1, count: v.questions.length })), " ", question),
    el("div", { class: "p-answer-box", id: "p-answer-box" },
      el("p", { class: "p-answer-text" }, part.text)),
    part.parts > 1 ? el("p", { class: "p-part" }, t("Part {n} of {count}", { n: part.part + 1, count: part.parts }),
      part.part + 1 < part.parts ? ` · ${t("continued on Next")}` : "") : null);
}

function showcaseCard(v, g) {
  const show = v.showcase;
  const label = show.step < 3 ? STEP_NAMES[show.step] : t("The plan");
  return el("article", { class: "p-show", style: { "--group": g.colour.hex }, "aria-label": t("Group {n}: {step}", { n: g.number, step: label }) },
    band(g, { tag: "header", extra: el("span", { class: "p-band-right" },
      el("span", { class: "p-band-pos" }, t("{count} of {total}", { count: show.index + 1, total: v.groups.length })),
      show.presenter ? el("span", { class: "p-presenter" },
        el("span", { class: "p-presenter-label", id: "p-presenter-label" }, t("Presenting")),
        el("span", { class: "p-presenter-time", id: "p-presenter", role: "timer" }, "")) : null) }),
    stage(v, g, show),
    stepDots(show));
}

function showGallery(v) {
  const shown = pageOf(v);
  return [
    grid(shown, shown.groups.map((g) => groupCard(g, "p-gallery-card",
      el("div", { class: "p-card-body" },
        storyTitle(g.story),
        el("p", { class: "p-format" }, g.format || el("span", { class: "p-none" }, t("no format chosen"))),
        el("p", { class: "p-members-line" }, g.members.join(", "))))), "p-gallery"),
    pageNote(shown),
  ];
}

export function showShowcase(v) {
  if (!v.groups.length) return el("p", { class: "p-waiting" }, t("No groups to show."));
  if (v.showcase.gallery) return showGallery(v);
  const g = v.groups[Math.min(Math.max(0, v.showcase.index), v.groups.length - 1)];
  return showcaseCard(v, g);
}

export const showcaseKey = (v) => (v.showcase ? `${v.showcase.gallery}|${v.showcase.index}|${v.showcase.step}` : "");

