// The facilitator's message to everyone, on the projector (docs/protocol.md, "Room tools"):
// large, across the screen, for the few seconds the server gives it (`until`, on the server's
// clock), then gone by itself. A view that still carries a message already shown and gone does
// not bring it back.
import { el, render } from "./dom.js";
import { t } from "./i18n.js";

/** `root`: the projector's element; `now()`: the server's time. `show(v)` on every view. */
export function createProjectorMessage(root, now) {
  const text = el("p", { class: "p-message-text" });
  const box = el("section", { class: "p-message", "aria-labelledby": "p-message-h", hidden: true },
    el("h2", { class: "p-message-head", id: "p-message-h" }, t("Message from the facilitator")), text);
  const slot = el("div", { class: "p-message-slot", role: "status" }, box);
  root.append(slot);
  let shown = null; // {id, until} of the message on screen, or the last one shown
  let timer = 0;

  function hide() {
    clearTimeout(timer);
    box.hidden = true;
    root.dataset.message = "none";
  }

  function check() {
    if (!shown || box.hidden) return;
    const left = shown.until - now();
    if (left <= 0) hide(); else timer = setTimeout(check, Math.min(1000, left * 1000 + 20));
  }

  function show(v) {
    const message = v && v.message;
    if (!message) { if (!box.hidden) hide(); return; }
    if (shown && shown.id === message.id) return; // on screen, or already shown and gone
    shown = { id: message.id, until: message.until };
    if (message.until <= now()) return;
    render(text, message.text);
    box.hidden = false;
    root.dataset.message = String(message.id);
    clearTimeout(timer);
    check();
  }

  return { show };
}
