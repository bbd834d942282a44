// The facilitator's message on this phone (docs/protocol.md, "Room tools"): a banner at the top
// of the page, read out politely, until the person hides it. Which message was hidden is kept
// per session, so a reload brings back a message not yet hidden, never one already hidden.
import { el, render, storage } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { TIME, timed } from "../shared/timed.js";

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
