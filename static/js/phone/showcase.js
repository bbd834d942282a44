// The phone during the showcase: which group the big screen shows now (as far as the projector
// has revealed it), and reaction buttons for that group (docs/protocol.md, "The showcase on the
// phones"). The server sends `on_screen` in the view and, on every Next/Back, as one small
// event to all phones; a tap is `react`, counted by the server, never stored.
import { el, render } from "../shared/dom.js";
import { REACTIONS, emojiImage } from "../shared/emoji.js";
import { t } from "../shared/i18n.js";

const NOTE_SECONDS = 2.5;

/** The "on the big screen" block: `node` goes at the top of the showcase screen; call
 *  `update(view)` with each view. It listens for `on_screen` events on `conn.socket`. */
export function createFollow(conn) {
  let shown = null; // the on_screen shown
  let version = -1; // the version it came with
  let mine = null; // this phone's group number
  let noteTimer = 0;

  const title = el("h1", { tabindex: "-1", class: "follow-title" });
  const badge = el("span", { class: "group-badge badge-small follow-badge", "aria-hidden": "true" });
  const colour = el("p", { class: "follow-colour" });
  const yours = el("p", { class: "mine-flag follow-yours", hidden: true }, t("Your group"));
  const story = el("p", { class: "follow-story" });
  const format = el("p", { class: "follow-format" });
  const card = el("div", { class: "card follow-card", "aria-live": "polite" },
    el("p", { class: "card-label" }, t("On the big screen")),
    el("div", { class: "follow-head" }, badge, el("div", {}, title, colour)), yours, story, format);
  const note = el("p", { class: "react-note", role: "status" });
  const buttons = REACTIONS.map(({ emoji, name }) => el("button", {
    type: "button", class: "react-button", "aria-label": name(), title: name(), onclick: (e) => tap(emoji, e.currentTarget),
  }, emojiImage(emoji, "react-emoji")));
  const heading = el("h2", { id: "react-h", class: "react-heading" });
  const pad = el("div", { class: "react-pad" }, heading,
    el("div", { class: "react-buttons", role: "group", "aria-labelledby": "react-h" }, buttons), note);
  // The phone's own card follows this block (main.js).
  const node = el("div", { class: "follow" }, card, pad, el("h2", { class: "follow-own" }, t("Your group's card")));

  function take(next, at) {
    if (at < version) return;
    version = at;
    shown = next || null;
    paint();
  }

  function paint() {
    const g = shown && shown.group;
    pad.hidden = !g;
    if (!shown) { render(title, t("Look at the big screen")); return; }
    if (!g) {
      render(title, t("All groups' cards are on the big screen"));
      badge.hidden = true;
      yours.hidden = true;
      for (const line of [colour, story, format]) render(line);
      return;
    }
    const own = g.number === mine;
    badge.hidden = false;
    badge.textContent = String(g.number);
    badge.style.setProperty("background-color", g.colour.hex);
    render(title, own ? t("Your group is presenting") : t("Group {n} is presenting", { n: g.number }));
    const colourName = t(g.colour.name); // a msgid (server_messages.py COLOURS)
    render(colour, t("{colour} group", { colour: colourName }));
    yours.hidden = !own;
    render(story, shown.revealed < 1 ? "" : g.story_title ? `“${g.story_title}”`
      : g.story_title === "" ? t("Untitled story") : t("No story"));
    render(format, shown.revealed < 2 ? "" : g.format ? t("Format: {format}", { format: g.format }) : t("No format chosen"));
    render(heading, own ? t("Cheer your group on") : t("React to group {n}", { n: g.number }));
  }

  function say(text) {
    note.textContent = text;
    clearTimeout(noteTimer);
    noteTimer = setTimeout(() => { note.textContent = ""; }, NOTE_SECONDS * 1000);
  }

  async function tap(emoji, button) {
    const g = shown && shown.group;
    if (!g) return;
    // A short pop under the thumb (none with reduced motion: css/phone/showcase.css).
    button.classList.remove("is-sent");
    void button.offsetWidth; // restart the animation
    button.classList.add("is-sent");
    const ack = await conn.sendRaw("react", { emoji, group: g.number });
    if (ack.ok) return;
    const code = ack.error && ack.error.code;
    if (code === "rate_limited") say(t("Easy there: a few reactions a second at most."));
    else if (code === "offline") say(t("Not sent: you are offline."));
    else if (code === "not_on_screen") say(t("The big screen has moved on."));
  }

  conn.socket.on("on_screen", (message) => take(message.on_screen, message.version));

  return {
    node,
    update(view) {
      mine = view.group ? view.group.number : null;
      take(view.on_screen, view.version);
      paint();
    },
  };
}
