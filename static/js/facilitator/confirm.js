// The facilitator's confirmation for a step that loses something (issue 11): a modal <dialog>
// with a title that asks the question, what the step loses in plain words, and two buttons.
// The safe button has the focus when it opens, so a second Enter or Escape changes nothing;
// the other one is not armed for a moment, so the second click of a double click that opened
// the dialog cannot confirm it. Text from people goes in as text nodes only (dom.js).
import { $, el, render } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

export const ARM_MS = 700; // how long a button that just appeared ignores clicks

let pending = null; // the resolve function of the open dialog
let askedIn = null; // the phase the open question is about (null: any)

/**
 * Ask before a lossy step. Resolves true if the facilitator confirmed, false otherwise
 * (Cancel, Escape, or the page went away).
 *   title    the question, e.g. "Start the showcase with 9:40 left?"
 *   lines    sentences (strings or nodes): what is lost, and what is kept
 *   confirm  the label of the button that does it ("Start showcase now")
 *   cancel   the label of the safe button ("Keep planning")
 *   danger   the confirming button in red (for removals)
 *   phase    the phase the step leaves: if the game moves on meanwhile (another tab), the
 *            question no longer applies and closes by itself (see stale)
 */
export function ask({ title, lines = [], confirm, cancel = t("Cancel"), danger = false, phase = null }) {
  const dialog = $("#f-confirm");
  if (!dialog || typeof dialog.showModal !== "function") {
    // No <dialog> support: the browser's own box still asks (and never runs the step silently).
    return Promise.resolve(window.confirm([title, ...lines.map((l) => (l instanceof Node ? l.textContent : l))].join("\n\n")));
  }
  if (pending) finish(false);
  const ok = $("#f-confirm-ok");
  const no = $("#f-confirm-cancel");
  render($("#f-confirm-h"), title);
  render($("#f-confirm-body"), lines.map((line) => (line instanceof Node ? line : el("p", {}, line))));
  render(ok, confirm);
  render(no, cancel);
  ok.className = danger ? "danger" : "primary";
  dialog.classList.toggle("is-danger", danger);
  arm(ok);
  askedIn = phase;
  dialog.showModal();
  no.focus();
  return new Promise((resolve) => { pending = resolve; });
}

function finish(answer) {
  const dialog = $("#f-confirm");
  const resolve = pending;
  pending = null;
  if (dialog.open) dialog.close();
  if (resolve) resolve(answer);
}

/** The game is now in `phase`: a question about leaving another phase closes, unanswered. */
export function stale(phase) {
  if (pending && askedIn && askedIn !== phase) finish(false);
}

/** Whether a dialog is open (the page keeps the focus where it is meanwhile). */
export const asking = () => pending !== null;

/** A button that just appeared ignores clicks for ARM_MS, and shows it (a bar fills up). */
export function arm(button, ms = ARM_MS) {
  if (!button) return;
  clearTimeout(Number(button.dataset.armTimer || 0));
  button.classList.remove("is-arming");
  void button.offsetWidth; // restart the bar's animation
  button.classList.add("is-arming");
  button.dataset.arming = "1";
  button.setAttribute("aria-disabled", "true");
  button.dataset.armTimer = String(setTimeout(() => {
    delete button.dataset.arming;
    delete button.dataset.armTimer;
    button.classList.remove("is-arming");
    if (button.getAttribute("aria-busy") !== "true") button.removeAttribute("aria-disabled");
  }, ms));
}

/** Whether a button may act on a click now: not arming, not busy. */
export const armed = (button) => !button || (button.dataset.arming !== "1" && button.getAttribute("aria-disabled") !== "true");

export function wireConfirm() {
  const dialog = $("#f-confirm");
  if (!dialog) return;
  $("#f-confirm-ok").addEventListener("click", (e) => { if (armed(e.currentTarget)) finish(true); });
  $("#f-confirm-cancel").addEventListener("click", () => finish(false));
  // A click on its text or beside it (the second click of the double click that opened it,
  // say) does nothing, and leaves the focus on the safe button.
  dialog.addEventListener("mousedown", (e) => { if (!e.target.closest("button")) e.preventDefault(); });
  // Escape, or the dialog closed any other way: nothing happens.
  dialog.addEventListener("close", () => { if (pending) finish(false); });
}
