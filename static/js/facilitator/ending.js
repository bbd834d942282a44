// The facilitator ends the game after the showcase (docs/protocol.md, "The end of the game"):
// an "End the game…" button in the showcase's controls that asks first (confirm.js), sends
// `end_session` naming the phase it was pressed in (a double click or a second tab ends it
// once), and afterwards a screen that says the game has ended, hides the controls an ended
// session refuses, and keeps the exports and Delete.
import { $, el, render } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { armed, ask, stale } from "./confirm.js";

/** ctx: {run, say, view() (the view on screen)} from facilitator/main.js. */
export function createEnding(ctx) {
  const button = el("button", { type: "button", class: "f-end-game", id: "btn-end" }, t("End the game…"));
  const box = el("div", { class: "f-actions f-ending", "data-for": "showcase", hidden: true }, button);
  const ended = el("div", { class: "f-ended", id: "f-ended", hidden: true });
  let wasEnded = null;

  async function end() {
    const v = ctx.view();
    if (!armed(button) || !v || v.ended_at) return;
    const yes = await ask({
      title: t("End the game now?"),
      lines: [t("Phones will show a thank-you and their group's card to keep; the projector shows a closing screen."),
        t("Nothing more can be typed, and the game cannot be started again. Everything stays in the exports until you delete the session.")],
      confirm: t("End the game"), cancel: t("Not yet"), phase: "showcase",
    });
    if (!yes) return;
    const ack = await ctx.run("end_session", { from_phase: "showcase" }, { button, done: t("The game has ended") });
    if (ack && !ack.ok && ack.error && ack.error.code === "already_moved" && ack.error.details && ack.error.details.ended_at) {
      ctx.say(t("Already done: the game has ended"));
    }
  }

  function wire() {
    const last = [...document.querySelectorAll('.f-actions[data-for="showcase"]')].pop();
    last.after(box);
    $("#f-phase-help").after(ended);
    button.addEventListener("click", end);
  }

  /** After main.js drew the view: the ended state over the phase's controls. */
  function render$(v) {
    const isEnded = !!v.ended_at;
    document.body.dataset.ended = isEnded ? "true" : "false";
    if (!isEnded) { ended.hidden = true; wasEnded = false; return; }
    for (const node of document.querySelectorAll(".f-actions")) node.hidden = true;
    for (const id of ["#btn-back", "#btn-lock", "#f-lock-state", "#f-pages"]) $(id).hidden = true;
    render($("#f-phase-name"), t("The end"));
    const last = $('#f-stepper li[data-phase="showcase"]'); // every phase is done now
    last.classList.replace("is-current", "is-done");
    last.removeAttribute("aria-current");
    render(last.querySelector(".f-step-mark"), "✓");
    render(last.querySelector(".f-step-note"), t("done"));
    $("#f-phase-help").hidden = true;
    ended.hidden = false;
    if (wasEnded) return;
    stale("ended"); // a question about the showcase (another tab ended it) no longer applies
    const focused = document.activeElement;
    render(ended,
      el("p", { class: "f-ended-title" }, el("strong", {}, t("The game has ended."))),
      el("p", {}, t("Phones show a thank-you and their group's card, which people can save; the projector shows a closing screen. Nobody can join or type any more.")),
      el("p", {}, t("The results stay until you delete the session: "),
        el("a", { href: "#f-end-h" }, t("export them below")), "."));
    if (wasEnded === false && (!focused || focused === document.body || focused === button)) {
      $("#f-controls-h").focus({ preventScroll: true });
    }
    wasEnded = true;
  }

  return { wire, render: render$ };
}
