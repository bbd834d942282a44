// The facilitator's message to everyone, on the projector (docs/protocol.md, "Room tools"):
// large, across the screen, for the few seconds the server gives it (`until`, on the server's
// clock), then gone by itself. A view that still carries a message already shown and gone does
// not bring it back.
//
// Drawn with lit-html, the one way a screen is drawn (docs/frontend.md): draw() describes the
// whole box, and lit-html updates only what changed.
import { html, render } from "../../vendor/lit-html.esm.min.js";
import { el } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

/** `root`: the projector's element; `now()`: the server's time. `show(v)` on every view. */
export function createProjectorMessage(root, now) {
  // The live region is on the page before anything is put in it, so the message is heard.
  const slot = el("div", { class: "p-message-slot", role: "status" });
  root.append(slot);
  let shown = null; // {id, until, text} of the message on screen, or the last one shown
  let visible = false;
  let timer = 0;

  // The facilitator's text goes in as a value: lit-html sets it as text, never as HTML.
  const draw = () => render(html`
    <section class="p-message" aria-labelledby="p-message-h" ?hidden=${!visible}>
      <h2 class="p-message-head" id="p-message-h">${t("Message from the facilitator")}</h2>
      <p class="p-message-text">${shown ? shown.text : ""}</p>
    </section>`, slot);
  draw();

  function hide() {
    clearTimeout(timer);
    visible = false;
    draw();
    root.dataset.message = "none";
  }

  function check() {
    if (!shown || !visible) return;
    const left = shown.until - now();
    if (left <= 0) hide(); else timer = setTimeout(check, Math.min(1000, left * 1000 + 20));
  }

  function show(v) {
    const message = v && v.message;
    if (!message) { if (visible) hide(); return; }
    if (shown && shown.id === message.id) return; // on screen, or already shown and gone
    shown = { id: message.id, until: message.until, text: message.text };
    if (message.until <= now()) return;
    visible = true;
    draw();
    root.dataset.message = String(message.id);
    clearTimeout(timer);
    check();
  }

  return { show };
}
