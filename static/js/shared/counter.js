// A live counter under a text field (issue 11: texts are never changed behind anyone's back).
// No `maxlength`, which would silently cut a paste: the field takes anything, the counter says
// how much is allowed and turns into an error past it, and the server refuses what is too long.
// Lengths are Unicode code points, as the server counts them (docs/protocol.md, "Lengths").

/** Code points of the text as it will be sent (trimmed, as the pages send it). */
export const lengthOf = (text) => [...String(text).trim()].length;

import { tn, formatNumber } from "./i18n.js";

const number = formatNumber;

/**
 * Wire `counter` (an element) to `field`. `limit()` returns the current limit (views bring it).
 * The counter's text is "12 / 40 characters"; past the limit, "44 / 40 characters: 4 too many",
 * the field is aria-invalid, and a polite live region inside the counter says how many too many
 * (only then: a count read out on every key would drown the screen reader).
 * Returns {update(), over()}: call update() after changing the field's value or the limit.
 */
export function attachCounter(field, counter, limit) {
  const count = counter.appendChild(document.createElement("span"));
  const live = counter.appendChild(document.createElement("span"));
  live.setAttribute("aria-live", "polite");
  live.className = "counter-over";
  let invalidByUs = false;
  const over = () => Math.max(0, lengthOf(field.value) - limit());
  function update() {
    const n = lengthOf(field.value);
    const max = limit();
    const extra = over();
    count.textContent = tn("{count} / {n} character", "{count} / {n} characters", max, { count: number(n) });
    const text = extra ? tn(": {n} too many", ": {n} too many", extra) : "";
    if (live.textContent !== text) live.textContent = text;
    counter.dataset.state = extra ? "over" : n > max - Math.min(10, Math.ceil(max / 8)) ? "near" : "";
    if (extra) { field.setAttribute("aria-invalid", "true"); invalidByUs = true; }
    else if (invalidByUs) { field.removeAttribute("aria-invalid"); invalidByUs = false; }
  }
  field.addEventListener("input", update);
  update();
  return { update, over };
}
