// "Message the room" on the facilitator's screen (docs/protocol.md, "Room tools"): a one-line
// message to every phone and, for a few seconds, the projector; or to one group's phones. It
// says what was sent last. Send is disabled while the field is empty, and the field empties
// once the message is sent, so the second click of a double click sends nothing.
import { el, render } from "../shared/dom.js";
import { attachCounter } from "../shared/counter.js";
import { t } from "../shared/i18n.js";
import { TIME, timed } from "../shared/timed.js";

const LIMIT = 200; // the server's limit (engine/room_tools.py MESSAGE_CHARS): it refuses more

/** ctx: {run, groupLabel, view} from facilitator/main.js. `render(v)` on every view. */
export function createMessageForm(ctx) {
  const text = el("input", { type: "text", id: "f-msg-text", autocomplete: "off", "aria-describedby": "f-msg-count",
    placeholder: t("5 minutes left: pick your best idea") });
  const counter = el("p", { class: "f-counter", id: "f-msg-count" });
  const to = el("select", { id: "f-msg-to" });
  const send = el("button", { type: "submit", class: "primary", id: "btn-send-message", disabled: true }, t("Send message"));
  const last = el("p", { class: "f-msg-last", id: "f-msg-last" });
  const form = el("form", { class: "f-msg-form", novalidate: true },
    el("div", { class: "f-field f-msg-field" }, el("label", { for: "f-msg-text" }, t("Message")), text, counter),
    el("div", { class: "f-field" }, el("label", { for: "f-msg-to" }, t("Send to")), to),
    send);
  const panel = el("section", { class: "f-panel f-msg", "aria-labelledby": "f-msg-h" },
    el("h2", { id: "f-msg-h" }, t("Message the room")), form, last);
  const top = document.querySelector(".f-top");
  if (top) top.after(panel);
  const count = attachCounter(text, counter, () => LIMIT);
  const empty = () => !text.value.trim();
  text.addEventListener("input", () => { send.disabled = empty(); });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (empty() || send.getAttribute("aria-disabled") === "true") return;
    const group = Number(to.value);
    const label = group ? t("group {n}", { n: group }) : t("everyone");
    const ack = await ctx.run("send_message", { text: text.value, group }, { button: send,
      done: t("Message sent to {who}", { who: label }) });
    if (ack && ack.ok) {
      const hadFocus = document.activeElement === send;
      text.value = "";
      count.update();
      send.disabled = true;
      if (hadFocus) text.focus();
    } else if (ack) text.focus();
  });

  function options(v) {
    const want = [["0", t("Everyone (phones and projector)")],
      ...v.groups.map((g) => [String(g.number), t("{group} (its phones only)", { group: ctx.groupLabel(g) })])];
    const have = [...to.options].map((o) => `${o.value}|${o.textContent}`).join();
    if (have === want.map(([value, label]) => `${value}|${label}`).join()) return;
    const chosen = to.value;
    render(to, want.map(([value, label]) => el("option", { value }, label)));
    to.value = want.some(([value]) => value === chosen) ? chosen : "0";
  }

  function lastSent(v) {
    const sent = [v.message && { ...v.message, who: t("everyone") },
      ...v.groups.filter((g) => g.message).map((g) => ({ ...g.message, who: ctx.groupLabel(g) }))].filter(Boolean);
    if (!sent.length) { render(last, el("em", {}, t("No message sent yet."))); return; }
    const m = sent.reduce((a, b) => (b.id > a.id ? b : a));
    render(last, el("span", { class: "f-k" }, timed(t("Last sent at {time} to {who}:", { time: TIME, who: m.who }), m.at)), " ",
      el("q", { class: "f-msg-last-text" }, m.text));
  }

  return { render(v) { options(v); lastSent(v); } };
}
