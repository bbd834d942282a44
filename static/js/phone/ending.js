// The phone after the end of the game (docs/protocol.md, "The end of the game"): a thank-you,
// and for a member of a group its group's card to keep: a picture (PNG), the plain text (a
// .txt file, or copied) or a print (which a phone can save as a PDF). Someone with no group,
// a guest who arrives after the end and someone removed get an honest thank-you, no card.
// Participant text goes in as text nodes only (dom.js).
import { el, render } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { cardOf, cardPicture, cardText, download } from "./cardimage.js";

/** The screen key for an ended session's view (main.js draws SCREENS[key before ":"]). */
export const endedKey = (v) => (v.group ? `thanks:${v.group.number}` : "thanks");

const heading = (text) => el("h1", { tabindex: "-1" }, text);

/** ctx: {unsent() (a node saying what this phone typed that never reached the server, or null)}. */
export function thanksScreen(ctx) {
  const title = heading(t("Thank you for playing!"));
  const lead = el("p", { class: "lead" });
  const unsent = el("div");
  const card = el("article", { class: "card keep-card", "aria-labelledby": "keep-card-h" });
  const status = el("p", { class: "keep-status", role: "status" });
  const copyBox = el("div", { class: "keep-copy", hidden: true });
  const actions = el("section", { class: "keep-actions", "aria-labelledby": "keep-h", hidden: true });
  let current = null; // the card on screen

  async function save(kind, button) {
    if (!current || button.getAttribute("aria-busy") === "true") return;
    const name = t("group-{n}", { n: current.number });
    button.setAttribute("aria-busy", "true");
    try {
      if (kind === "png") download(await cardPicture(current), `${name}.png`);
      else download(new Blob([cardText(current)], { type: "text/plain;charset=utf-8" }), `${name}.txt`);
      render(status, kind === "png" ? t("The picture of your card is saved in your downloads.")
        : t("The text of your card is saved in your downloads."));
    } catch (error) {
      render(status, t("Could not save it: {reason}", { reason: error.message || String(error) }));
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  async function copy() {
    if (!current) return;
    const text = cardText(current);
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
      await navigator.clipboard.writeText(text);
      copyBox.hidden = true;
      render(status, t("The text of your card is copied."));
    } catch {
      // Plain HTTP on the venue's wifi has no clipboard API: select it for the phone's own copy.
      const area = el("textarea", { id: "keep-text", readonly: true, rows: "8" });
      area.value = text;
      render(copyBox, el("label", { for: "keep-text" }, t("Your card as text: select it and copy")), area);
      copyBox.hidden = false;
      area.focus();
      area.select();
      render(status, t("Copying is not available here: the text is selected below."));
    }
  }

  const button = (label, onclick, primary = false) =>
    el("button", { type: "button", class: primary ? "primary full" : "full", onclick: (e) => onclick(e.currentTarget) }, label);
  render(actions,
    el("h2", { id: "keep-h" }, t("Keep your card")),
    el("p", { class: "hint" }, t("It is made on this phone: nothing is sent anywhere.")),
    el("div", { class: "keep-buttons" },
      button(t("Save as a picture (PNG)"), (b) => save("png", b), true),
      button(t("Save as text (.txt)"), (b) => save("txt", b)),
      button(t("Copy the text"), copy),
      button(t("Print or save as PDF"), () => window.print())),
    status, copyBox);

  return {
    // The buttons come first: with four long answers the card is several screens tall.
    node: el("section", { class: "screen screen-thanks" }, title, lead, unsent, actions, card),
    update(v) {
      render(unsent, ctx.unsent());
      const joined = v.status === "joined";
      if (!joined) render(title, t("This game has ended"));
      render(lead, !joined ? t("Thank you to everyone who took part. Joining is closed.")
        : v.group ? t("The game has ended. Here is your group's card to keep.")
          : t("The game has ended. You were not in a group, so there is no group card to keep."));
      current = joined && v.group ? cardOf(v) : null;
      card.hidden = actions.hidden = !current;
      if (current) render(card, ...cardNodes(current, v));
    },
  };
}

/** The card as the phone shows it: the same parts, in the same order, as the picture. */
function cardNodes(card, v) {
  const badge = el("span", { class: "group-badge badge-small" }, String(card.number));
  badge.style.setProperty("background-color", card.colour.hex);
  const story = v.group.story;
  const colour = t(card.colour.name); // a msgid (server_messages.py COLOURS)
  return [
    el("div", { class: "card-head" }, badge,
      el("h2", { id: "keep-card-h" }, t("Group {n}", { n: card.number }),
        el("span", { class: "keep-colour" }, ` · ${t("{colour} group", { colour })}`))),
    el("p", { class: "card-label" }, t("Members")),
    el("p", { class: "keep-members" }, card.members.join(", ")),
    el("p", { class: "card-label" }, t("Story")),
    card.story ? [
      el("p", { class: "story-title" }, card.story.title || t("(no title)")),
      card.story.pitch ? el("p", { class: "story-pitch" }, card.story.pitch) : null,
      el("p", { class: "story-owner" }, t("By {name}", { name: card.story.owner }), story.mine ? ` (${t("you")})` : ""),
    ] : el("p", { class: "muted" }, t("No story")),
    el("p", { class: "card-label" }, t("Format")),
    el("p", { class: "format-chosen" }, card.format || t("No format chosen")),
    el("dl", { class: "answers" }, card.answers.map((a, i) => [
      el("dt", {}, `${i + 1}. ${a.question}`),
      el("dd", {}, a.text || el("span", { class: "muted" }, t("(no answer)"))),
    ])),
  ];
}

/** The removed screen, after the end: honest about both, thankful, no card. */
export function removedThanks() {
  return { node: el("section", { class: "screen screen-message screen-removed" },
    heading(t("The game has ended")),
    el("p", {}, t("The facilitator removed you from this session, so there is no group card for this phone.")),
    el("p", {}, t("Thank you for coming.")),
    el("a", { class: "button primary full", href: "/" }, t("Enter a room code"))) };
}

/** A phone remembers that its session ended when it was deleted (the 404 page reads it). */
export const endedMark = (code) => `gamehub:${code}:ended`;
