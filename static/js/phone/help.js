// "Ask for help" on the phone (docs/protocol.md, "Room tools"): raises the group's hand on the
// facilitator's screen until they clear it or a member cancels it. The box is built once and
// its parts shown or hidden, so a double tap never meets a rebuilt button: once the hand is up,
// the spot of "Ask for help" holds the "Help is on the way" status (nothing to press), and
// "Cancel the request" sits below it.
import { el, render } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { TIME, timed } from "../shared/timed.js";

/** Copies of `node`'s children, for the live region to say the same (a <time> stays one). */
const copy = (node) => [...node.childNodes].map((child) => child.cloneNode(true));

const QUIET = new Set(["already_asked", "already_cleared"]); // a second tap, or a groupmate first: done

/** `send(event, payload)` resolves with the ack (connection.js). `view(v)` follows the group's hand. */
export function createHelp({ send }) {
  let hand = null; // the group's hand as last shown
  let busy = false;
  let said = null; // what the live region last reported, so a new view does not repeat it

  const ask = el("button", { type: "button", class: "big full help-ask", onclick: () => act("ask_help", {}) },
    el("span", { class: "help-sign", "aria-hidden": "true" }, "!"), t("Ask for help"));
  const statusTitle = el("p", { class: "help-status-title" });
  const statusWhen = el("p", { class: "help-status-when" });
  const status = el("div", { class: "help-status", tabindex: "-1" },
    el("span", { class: "help-sign", "aria-hidden": "true" }, "!"), el("div", {}, statusTitle, statusWhen));
  const hint = el("p", { class: "help-hint" }, t("The facilitator's screen shows that your group needs help, until they come."));
  const cancel = el("button", { type: "button", class: "full help-cancel",
    onclick: () => hand && act("cancel_help", { ticket: hand.ticket }) }, t("Cancel the request"));
  const note = el("p", { class: "help-note" });
  const live = el("p", { class: "visually-hidden", role: "status" });
  const box = el("section", { class: "help-box", "aria-label": t("Help from the facilitator"), hidden: true },
    ask, status, hint, cancel, note, live);
  const app = document.querySelector("#app");
  if (app) app.after(box); else document.body.append(box);

  async function act(event, payload) {
    if (busy) return;
    busy = true;
    for (const button of [ask, cancel]) button.setAttribute("aria-busy", "true");
    const ack = await send(event, payload);
    busy = false;
    for (const button of [ask, cancel]) button.removeAttribute("aria-busy");
    if (ack.ok || (ack.error && QUIET.has(ack.error.code))) return; // the next view shows it
    const why = ack.error && ack.error.code === "offline" ? t("This phone is not connected: try again in a moment.")
      : (ack.error && ack.error.message) || t("Something went wrong: try again.");
    render(note, why);
    note.hidden = false;
  }

  function lowered(h) {
    const at = TIME;
    const text = h.lowered.by === "facilitator" ? t("The facilitator marked your group's request as answered at {time}.", { time: at })
      : h.lowered.mine ? t("You cancelled the request at {time}.", { time: at })
        : h.lowered.member ? t("{name} cancelled the request at {time}.", { name: h.lowered.member.name, time: at })
          : t("The request was cancelled at {time}.", { time: at });
    return timed(text, h.lowered.at);
  }

  function view(v) {
    const g = v && v.status === "joined" && v.phase !== "lobby" ? v.group : null;
    box.hidden = !g;
    if (!g) { hand = null; return; }
    const h = g.help || null;
    const up = !!h && !h.lowered;
    const hadFocus = document.activeElement;
    hand = up ? h : null;
    ask.hidden = up;
    hint.hidden = up;
    status.hidden = !up;
    cancel.hidden = !up;
    let news = null;
    if (up) {
      render(statusTitle, t("Help is on the way"));
      const time = TIME;
      render(statusWhen, timed(h.mine ? t("You asked at {time}", { time })
        : h.by ? t("{name} asked at {time}", { name: h.by.name, time }) : t("Your group asked at {time}", { time }), h.at));
      render(note);
      note.hidden = true;
      news = [statusTitle.textContent, ". ", copy(statusWhen), "."]; // the time stays in its <time>
    } else if (h) {
      render(note, lowered(h));
      note.hidden = false;
      news = copy(note);
    } else {
      render(note);
      note.hidden = true;
    }
    // The control pressed went away: keep the keyboard where the person is.
    if (hadFocus === ask && up) status.focus({ preventScroll: true });
    if (hadFocus === cancel && !up) ask.focus({ preventScroll: true });
    const key = h ? `${h.ticket}:${up}` : "none";
    if (said !== null && key !== said && news) render(live, news);
    said = key;
  }

  return { view };
}
