// The phone's people's choice screen (docs/protocol.md, "People's choice"): every group's card
// as a thumb-sized toggle, the phone's own group shown but not votable, and how many votes are
// left. The phone sends its whole ballot, one `set_ballot` at a time: taps made while one is in
// flight change what is shown at once and go out together after its ack, so a double tap ends
// where the screen says, on the server too. A second tap on the same card within DOUBLE_TAP_MS
// is the same tap (a hurried double tap votes once, as a double click on a button acts once).
// Text from people goes in as text nodes only.
import { el, render } from "../shared/dom.js";
import { t, tn } from "../shared/i18n.js";

export const voteTitle = () => t("Vote");

const DOUBLE_TAP_MS = 400;
const same = (a, b) => a.length === b.length && a.every((n, i) => n === b[i]);
const sorted = (set) => [...set].sort((a, b) => a - b);

/** ctx: {send(event, payload) -> ack, heading(text) -> h1}. */
export function voteScreen(ctx) {
  const lead = el("p", { class: "lead" });
  const left = el("p", { class: "vote-left", id: "vote-left", role: "status" });
  const note = el("p", { class: "error-text vote-note", role: "alert" });
  const list = el("ul", { class: "vote-cards", "aria-describedby": "vote-left" });
  let view = null;
  let wanted = null; // the ballot shown: what the phone chose, sent or about to be
  let sending = false;
  let saved = false; // the server has exactly `wanted`
  let lastTap = { number: null, at: 0 };

  const vote = () => view.vote;
  const ballot = () => wanted || new Set(vote().ballot);

  function tap(number) {
    const at = performance.now();
    if (lastTap.number === number && at - lastTap.at < DOUBLE_TAP_MS) return;
    lastTap = { number, at };
    note.textContent = "";
    const chosen = new Set(ballot());
    if (chosen.has(number)) chosen.delete(number);
    else if (chosen.size >= vote().votes) {
      note.textContent = t("No votes left: tap one of your chosen groups to take its vote back first.");
      return;
    } else chosen.add(number);
    wanted = chosen;
    saved = false;
    paint();
    flush();
  }

  async function flush() {
    if (sending) return;
    sending = true;
    let sent = null;
    while (wanted && (sent === null || !same(sent, sorted(wanted)))) {
      const groups = sorted(wanted);
      const ack = await ctx.send("set_ballot", { vote: vote().number, groups });
      if (!ack.ok) {
        note.textContent = refusal(ack.error);
        wanted = null; // show the server's ballot again: the next view has it
        break;
      }
      sent = ack.ballot;
    }
    sending = false;
    saved = wanted !== null;
    paint();
  }

  function refusal(error) {
    const code = error && error.code;
    if (code === "offline") return t("Not sent: you are offline. Tap again when you are back.");
    if (code === "rate_limited") return t("Too many taps at once: wait a moment, then tap again.");
    if (code === "vote_closed") return t("The vote has just closed: look at the big screen.");
    return t("Not saved: {reason}", { reason: (error && (error.message || error.code)) || "?" });
  }

  // Cards are made once per vote and patched in place: a button re-made under the thumb
  // between press and release would lose the tap (and the focus).
  let made = { key: "", items: new Map() };

  function makeCard(c) {
    const badge = el("span", { class: "group-badge badge-small", "aria-hidden": "true" }, String(c.number));
    const parts = { badge, colour: el("span", { class: "vote-colour" }), title: el("span", { class: "vote-title" }),
      format: el("span", { class: "vote-format" }), mark: el("span", { class: "vote-mark" }) };
    const text = el("span", { class: "vote-text" },
      el("strong", { class: "vote-group" }, t("Group {n}", { n: c.number }), parts.colour), parts.title, parts.format);
    parts.box = c.mine
      ? el("div", { class: "vote-card is-mine", "data-group": String(c.number) }, badge, text, parts.mark)
      : el("button", { type: "button", class: "vote-card", "data-group": String(c.number), onclick: () => tap(c.number) },
        badge, text, parts.mark);
    parts.item = el("li", {}, parts.box);
    return parts;
  }

  function patchCard(parts, c, chosen, full) {
    parts.badge.style.setProperty("background-color", c.colour.hex);
    setText(parts.colour, ` · ${t(c.colour.name)}`); // a msgid (server_messages.py COLOURS)
    setText(parts.title, c.title || t("No story title"));
    setText(parts.format, c.format || t("No format chosen"));
    if (c.mine) { setText(parts.mark, t("Your group: you cannot vote for it")); return; }
    const on = chosen.has(c.number);
    parts.box.setAttribute("aria-pressed", String(on));
    if (!on && full) parts.box.setAttribute("aria-disabled", "true"); else parts.box.removeAttribute("aria-disabled");
    setText(parts.mark, on ? t("✓ Your vote") : t("Vote"));
  }

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function paint() {
    if (!view || !view.vote) return;
    const v = vote();
    const chosen = ballot();
    const remaining = Math.max(0, v.votes - chosen.size);
    render(lead, tn("You have {n} vote: tap the group whose plan you liked best.",
      "You have {n} votes: tap the groups whose plans you liked best, one vote per group.", v.votes));
    setText(left, (remaining ? tn("{n} vote left", "{n} votes left", remaining) : t("No votes left"))
      + (sending ? ` · ${t("Sending…")}` : saved && chosen.size ? ` · ${t("Saved")}` : ""));
    const key = `${v.number}|${v.cards.map((c) => `${c.number}${c.mine ? "*" : ""}`).join(",")}`;
    if (made.key !== key) {
      made = { key, items: new Map(v.cards.map((c) => [c.number, makeCard(c)])) };
      render(list, [...made.items.values()].map((parts) => parts.item));
    }
    for (const c of v.cards) patchCard(made.items.get(c.number), c, chosen, remaining === 0);
  }

  return {
    node: el("section", { class: "screen screen-vote" },
      ctx.heading(t("People’s choice")), lead, left, note, list,
      el("p", { class: "muted" }, t("You can change your votes until the facilitator closes the vote."))),
    update(next) {
      const number = view && view.vote ? view.vote.number : null;
      view = next;
      if (!view.vote) return;
      if (number !== view.vote.number) { wanted = null; saved = false; note.textContent = ""; } // a new vote
      if (!sending) {
        const server = view.vote.ballot;
        if (wanted && !same(sorted(wanted), server)) { wanted = null; saved = false; } // another tab changed it
      }
      paint();
    },
  };
}
