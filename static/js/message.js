// The facilitator's message on this phone (docs/protocol.md, "Room tools"): a banner at the top
// of the page, read out politely, until the person hides it. Which message was hidden is kept
// per session, so a reload brings back a message not yet hidden, never one already hidden.
import { el, render, storage } from "./dom.js";
import { t } from "./i18n.js";

/** A server time (Unix seconds) as this phone's time of day, e.g. "14:02". */
export const timeOfDay = (at) => new Date(at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** Where the time goes in a sentence: t("You asked at {time}", { time: TIME }), then timed(). */
export const TIME = "\uE000";

/** A translated sentence holding TIME, as nodes with the time of `at` in a <time>: the browser
 *  writes it (Intl, "1:46 PM" or "13:46"), so it is the browser's words, not the catalog's. */
export function timed(text, at) {
  const when = () => el("time", { datetime: new Date(at * 1000).toISOString() }, timeOfDay(at));
  return text.split(TIME).flatMap((part, i) => (i ? [when(), part] : [part]));
}

/** The banner, placed under the page's header; `view(v)` shows v.message unless hidden. */
export function createMessage(code) {
  const key = `gamehub:${code}:message-dismissed`;
  // A live region that exists before anything is put in it, so screen readers hear the message.
  const slot = el("div", { class: "room-message-slot", role: "status" });
  const head = document.querySelector(".phone-head");
  if (head) head.after(slot); else document.body.prepend(slot);
  let shown = null; // the id of the message on screen

  function hide() {
    if (shown !== null) storage.set(key, String(shown));
    shown = null;
    render(slot);
  }

  function view(v) {
    const message = v && v.status === "joined" ? v.message : null;
    if (!message || message.id <= Number(storage.get(key) || 0)) {
      if (shown !== null) { shown = null; render(slot); }
      return;
    }
    if (message.id === shown) return;
    shown = message.id;
    const title = message.to === "group" ? t("Message to your group") : t("Message from the facilitator");
    render(slot, el("section", { class: "room-message", "aria-labelledby": "room-message-h" },
      el("h2", { class: "room-message-head", id: "room-message-h" },
        title,
        el("span", { class: "room-message-time" }, " · ", timed(t("sent at {time}", { time: TIME }), message.at))),
      el("p", { class: "room-message-text" }, message.text),
      el("button", { type: "button", class: "room-message-ok", onclick: hide }, t("Hide message"))));
  }

  return { view };
}
