// The facilitator's people's choice controls (docs/protocol.md, "People's choice"): open a vote
// with a number of votes each, watch how many people have voted (not the count of votes: the
// reveal is a surprise here too), close it, and see the results the projector shows. Each
// command names the vote it is about (`vote`), so a double click or a second tab acts once;
// a button that appears where another was is not armed for a moment (confirm.js).
import { $, el, render } from "../shared/dom.js";
import { arm, armed, ask } from "./confirm.js";
import { t, tn } from "../shared/i18n.js";

function ordinal(n) {
  const words = { 1: t("1st"), 2: t("2nd"), 3: t("3rd") };
  return words[n] || t("{n}th", { n });
}

/** ctx: {run(event, payload, {button, done}), say(text, {error}), view() (the view on screen)}. */
export function createVote(ctx) {
  const box = $("#f-vote");
  const each = el("input", { type: "number", id: "vote-each", min: "1", max: "5", step: "1", value: "2", inputmode: "numeric" });
  const open = el("button", { type: "button", class: "primary", id: "btn-open-vote" }, t("Open the vote"));
  const close = el("button", { type: "button", class: "primary f-big", id: "btn-close-vote", hidden: true },
    t("Close the vote and show the results"));
  const state = el("p", { class: "f-vote-state", id: "f-vote-state", role: "status" });
  const results = el("ol", { class: "f-vote-results", hidden: true, "aria-label": t("Results of the vote") });
  const setup = el("div", { class: "f-minutes" }, el("label", { for: "vote-each" }, t("Votes each")), each);
  render(box,
    el("h3", { class: "f-vote-h" }, t("People’s choice")),
    state, results, setup, open, close);

  let shownState = "";

  open.addEventListener("click", async () => {
    const v = ctx.view();
    if (!armed(open) || !v) return;
    const votes = Number(each.value);
    const ok = Number.isInteger(votes) && votes >= 1 && votes <= 5;
    each.setAttribute("aria-invalid", ok ? "false" : "true");
    if (!ok) { ctx.say(t("Votes each must be a whole number from 1 to 5"), { error: true }); each.focus(); return; }
    const last = v.vote;
    if (last && !last.open && !(await ask({
      title: t("Open a new vote?"),
      lines: [t("The results on the projector go away: the new vote starts with nobody having voted."),
        t("The exports keep only the latest vote.")],
      confirm: t("Open a new vote"), cancel: t("Keep the results"), phase: "showcase",
    }))) return;
    ctx.run("open_vote", { votes_each: votes, vote: (last ? last.number : 0) + 1 },
      { button: open, done: tn("Vote open: {n} vote each", "Vote open: {n} votes each", votes) });
  });

  close.addEventListener("click", () => {
    const v = ctx.view();
    if (!armed(close) || !v || !v.vote) return;
    ctx.run("close_vote", { vote: v.vote.number }, { button: close, done: t("Vote closed: the projector shows the results") });
  });

  /** Draw the controls for view `v` (called on every render of the control screen). */
  function renderVote(v) {
    const vote = v.vote;
    const now = !vote ? "none" : vote.open ? `open${vote.number}` : `closed${vote.number}`;
    const changed = now !== shownState && shownState !== ""; // (the first draw replaces no button)
    shownState = now;
    open.hidden = !!vote && vote.open;
    close.hidden = !vote || !vote.open;
    setup.hidden = open.hidden;
    // The button that takes the place of the one just clicked ignores the double click's second click.
    if (changed) arm(vote && vote.open ? close : open);
    render(open, vote && !vote.open ? t("Open a new vote") : t("Open the vote"));
    if (!vote) {
      render(state, t("At the end of the showcase, let the room vote for the plans they liked best."));
    } else if (vote.open) {
      render(state, el("strong", {}, t("Vote open.")), " ",
        tn("{voters} of {n} person with a phone has voted.", "{voters} of {n} people with a phone have voted.",
          vote.electorate, { voters: vote.voters }),
        " ", t("The count of votes stays hidden until you close the vote."));
    } else {
      render(state, el("strong", {}, t("Vote closed.")), " ",
        tn("{n} person voted; the projector shows the results.", "{n} people voted; the projector shows the results.", vote.voters));
    }
    // While there is a vote, the projector shows it, not the card showcase.js described.
    if (vote) {
      render($("#f-showing"), t("The projector shows: "), el("strong", {}, vote.open
        ? t("the people’s choice vote and how many have voted") : t("the results of the people’s choice")));
    }
    const rows = vote && !vote.open ? (vote.results || []) : [];
    results.hidden = !rows.length;
    render(results, rows.map((row) => el("li", {},
      el("strong", {}, row.place === null ? t("No votes") : row.tied ? t("Tied {place}", { place: ordinal(row.place) }) : ordinal(row.place)),
      " ", t("Group {n}", { n: row.group }), " · ", tn("{n} vote", "{n} votes", row.votes))));
  }

  return { render: renderVote };
}
