// Pieces the projector's screens share: a group's coloured band (number and colour name as
// text, so colour is never the only signal), a card, a story title, and pages of cards.
import { el } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

export function band(group, { tag = "div", extra = null } = {}) {
  return el(tag, { class: "p-band" },
    el("span", { class: "p-band-num", "aria-hidden": "true" }, String(group.number)),
    el("span", { class: "p-band-text" },
      el("span", { class: "p-band-group" }, t("Group {n}", { n: group.number })),
      el("span", { class: "p-band-colour" }, t(group.colour.name))),
    extra);
}

export function groupCard(group, cls, ...children) {
  return el("article", { class: `p-card ${cls}`, style: { "--group": group.colour.hex }, "data-group": String(group.number) },
    band(group), ...children);
}

export function storyTitle(story, cls = "p-story-title") {
  if (!story) return el("p", { class: `${cls} p-none` }, t("No story picked yet"));
  return story.title
    ? el("p", { class: cls }, t("“{title}”", { title: story.title }))
    : el("p", { class: `${cls} p-none` }, t("Untitled story"));
}

/** Columns for a grid of n cards, so that they fill a 16:9 screen. */
export function columnsFor(n) {
  if (n <= 3) return Math.max(1, n);
  if (n === 4) return 2;
  if (n <= 6) return 3;
  if (n <= 8) return 4;
  return n <= 10 ? 5 : 4;
}

/** The groups on the page the facilitator turned to (view.page of view.pages, balanced:
 *  13 groups are 7 and 6). Pages never turn by themselves. */
export function pageOf(v) {
  const pages = Math.max(1, v.pages || 1);
  const size = Math.ceil(v.groups.length / pages);
  const page = Math.min(v.page || 0, pages - 1);
  return { groups: v.groups.slice(page * size, (page + 1) * size), page, pages, size };
}

export function pageNote({ page, pages }) {
  return pages > 1 ? el("p", { class: "p-page" }, t("Page {page} of {pages}", { page: page + 1, pages }),
    el("span", { class: "p-page-hint" }, " · ", t("the facilitator turns the pages"))) : null;
}

export function grid(shown, cards, cls) {
  const cols = columnsFor(Math.max(shown.groups.length, shown.size));
  return el("div", { class: `p-grid ${cls}`, style: { "--cols": String(cols) } }, cards);
}
