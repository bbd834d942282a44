// The facilitator's status line: one polite live region. A message goes after 6 s; an error
// stays, with a Dismiss button, until the next message.
import { $, el, render } from "../shared/dom.js";
import { t, formatNumber } from "../shared/i18n.js";

const box = $("#f-status");
let timer = 0;

/** Show `text` in the status line (as text), as an error if `error`. */
export function say(text, { error = false } = {}) {
  clearTimeout(timer);
  box.classList.toggle("is-error", error);
  render(box);
  // A fresh node, so the same message twice is announced twice.
  requestAnimationFrame(() => {
    render(box, error ? el("strong", {}, t("Error:"), " ") : null, text,
      error ? el("button", { type: "button", class: "f-status-close", onclick: () => { render(box); } }, t("Dismiss")) : null);
    if (!error && text) timer = setTimeout(() => render(box), 6000);
  });
}

/** What a refused command's error says to the facilitator. */
export function errorText(error) {
  if (!error) return t("The command failed");
  if (error.code === "rate_limited") {
    const wait = error.details && error.details.retry_after;
    return wait ? t("Too many commands at once: wait {n} s and try again", { n: formatNumber(Math.ceil(wait)) })
      : t("Too many commands at once: wait a moment and try again");
  }
  return error.message || error.code || t("The command failed");
}
