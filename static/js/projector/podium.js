// The projector's people's choice (docs/protocol.md, "People's choice"): while the vote is open,
// the cards to vote on and how many people have voted (never the count of votes); once it is
// closed, the results on a podium that rises third, second, first (no motion under
// prefers-reduced-motion: the same podium, at once). Tied groups share a step and say "Tied" in
// words. Text from people goes in as text nodes only (dom.js).
import { el } from "../shared/dom.js";
import { t, tn } from "../shared/i18n.js";
import { grid, groupCard, pageNote, pageOf, storyTitle } from "./cards.js";

const played = new Set(); // results already shown: a later view redraws them without the rise

/** "1st", "2nd"... (English ordinals; a catalog may word them its own way). */
function ordinal(n) {
  const words = { 1: t("1st"), 2: t("2nd"), 3: t("3rd") };
  return words[n] || t("{n}th", { n });
}

const placeText = (row) => (row.tied ? t("Tied {place}", { place: ordinal(row.place) }) : ordinal(row.place));

/** The screen for the vote, or null when there is none to show (the showcase goes on). */
export function showVote(v) {
  if (!v.vote) return null;
  return v.vote.open ? openVote(v) : results(v);
}

/** Part of the projector's screen key: a new screen (with its entrance) when the vote opens or closes. */
export const voteKey = (v) => (v.vote ? `vote${v.vote.number}${v.vote.open ? "open" : "closed"}` : "");

function openVote(v) {
  const vote = v.vote;
  const shown = pageOf(v);
  return el("section", { class: "pv-screen pv-open", "aria-labelledby": "pv-head" },
    el("div", { class: "pv-top" },
      el("div", {},
        el("p", { class: "pv-label" }, t("People’s choice")),
        el("h2", { class: "pv-head", id: "pv-head" }, t("Vote on your phone")),
        el("p", { class: "pv-rule" }, tn("{n} vote each, not for your own group", "{n} votes each, not for your own group",
          vote.votes_each))),
      el("p", { class: "pv-count", id: "pv-count" },
        tn("{voters} of {n} person has voted", "{voters} of {n} people have voted", vote.electorate,
          { voters: vote.voters }))),
    grid(shown, shown.groups.map((g) => groupCard(g, "pv-card",
      el("div", { class: "p-card-body" },
        storyTitle(g.story),
        el("p", { class: "p-format" }, g.format || el("span", { class: "p-none" }, t("no format chosen")))))), "pv-grid"),
    pageNote(shown));
}

function results(v) {
  const vote = v.vote;
  const rows = vote.results || [];
  const byNumber = new Map(v.groups.map((g) => [g.number, g]));
  const key = `${vote.number}|${JSON.stringify(rows)}`;
  const rise = !played.has(key);
  played.add(key);
  const placed = rows.filter((row) => row.place !== null);
  const places = [...new Set(placed.map((row) => row.place))];
  const podium = places.slice(0, 3);
  const rest = placed.filter((row) => !podium.includes(row.place));
  return el("section", { class: `pv-screen pv-results${rise ? " is-rising" : ""}`, "aria-labelledby": "pv-head" },
    el("p", { class: "pv-label" }, t("People’s choice")),
    el("h2", { class: "pv-head", id: "pv-head" }, t("The results")),
    el("p", { class: "pv-count" }, tn("{n} person voted", "{n} people voted", vote.voters)),
    placed.length
      ? el("ol", { class: "pv-podium", "aria-label": t("Podium") },
        podium.map((place, i) => step(place, i, placed.filter((row) => row.place === place), byNumber)))
      : el("p", { class: "pv-none" }, t("Nobody voted.")),
    rest.length ? el("ol", { class: "pv-rest", "aria-label": t("The other places") },
      rest.map((row) => el("li", { class: "pv-rest-item" },
        el("strong", {}, placeText(row)), " ", t("Group {n}", { n: row.group }), " · ",
        tn("{n} vote", "{n} votes", row.votes)))) : null);
}

function step(place, i, rows, byNumber) {
  const first = rows[0];
  return el("li", { class: `pv-step pv-step-${i + 1}`, "data-place": String(place) },
    el("p", { class: "pv-place" }, placeText(first)),
    el("ul", { class: "pv-groups" }, rows.map((row) => {
      const g = byNumber.get(row.group);
      const chip = el("li", { class: "pv-group", "data-group": String(row.group) },
        el("span", { class: "pv-group-num", "aria-hidden": "true" }, String(row.group)),
        el("span", { class: "pv-group-text" },
          el("span", { class: "pv-group-name" }, t("Group {n}", { n: row.group })),
          g && g.story && g.story.title ? el("span", { class: "pv-group-title" }, `“${g.story.title}”`) : null));
      if (g) chip.style.setProperty("--group", g.colour.hex);
      return chip;
    })),
    el("p", { class: "pv-votes" }, tn("{n} vote", "{n} votes", first.votes)),
    el("div", { class: "pv-block", "aria-hidden": "true" }, String(place)));
}
