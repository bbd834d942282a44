// The facilitator's controls for the room's big screen: the showcase's step-by-step reveal
// (Next / Previous reveal or hide one step; Next group / Previous group move a whole card),
// the presenter's countdown and its length, the projector's sound, and its pages of cards.
// Every step names what this screen showed (from_index and from_step, from_page), so a double
// click or a second tab moves the projector once.
import { $, clock, el, render } from "../shared/dom.js";
import { arm, armed } from "./confirm.js";
import { t, tn } from "../shared/i18n.js";

const STEP_TEXT = [t("the group and its members"), t("the story"), t("the format")];

/** ctx: {run, view() (the view on screen), now(), groupLabel(g)} from facilitator/main.js. */
export function createShow(ctx) {
  function stepText(v, show) {
    if (show.step < 3) return STEP_TEXT[show.step];
    return t("answer {n} of {count}", { n: show.step - 2, count: show.steps - 3 });
  }

  function render$(v, before) {
    const show = v.showcase || { index: 0, gallery: false, step: 0, steps: 1 };
    const count = v.groups.length;
    const last = count - 1;
    const stepped = !!before && before.phase === "showcase" && v.phase === "showcase" && before.showcase
      && (before.showcase.index !== show.index || before.showcase.step !== show.step);
    setDisabled($("#btn-prev"), show.index <= 0 && show.step <= 0);
    setDisabled($("#btn-next"), show.index >= last && show.step >= show.steps - 1);
    setDisabled($("#btn-prev-group"), show.index <= 0);
    setDisabled($("#btn-next-group"), show.index >= last);
    if (stepped) for (const id of ["#btn-prev", "#btn-next", "#btn-prev-group", "#btn-next-group"]) arm($(id));
    const atEnd = show.step >= show.steps - 1;
    const following = v.groups[show.index + 1];
    render($("#btn-next"), atEnd && following ? t("Next: Group {n}", { n: following.number }) : t("Next step"));
    const preceding = show.step <= 0 ? v.groups[show.index - 1] : null; // none outside the showcase
    render($("#btn-prev"), preceding ? t("Back to Group {n}", { n: preceding.number }) : t("Previous step"));
    $("#btn-gallery").setAttribute("aria-pressed", show.gallery ? "true" : "false");
    render($("#btn-gallery-state"), show.gallery ? t("on") : t("off"));
    const onScreen = v.groups[show.index];
    render($("#f-showing"), t("The projector shows:"), " ",
      el("strong", {}, show.gallery ? tn("all {n} group (gallery)", "all {n} groups (gallery)", count)
        : onScreen ? t("{group} ({index} of {count}), step {step} of {steps}: {what}", {
          group: ctx.groupLabel(onScreen), index: show.index + 1, count, step: show.step + 1, steps: show.steps, what: stepText(v, show) })
          : t("nothing")));
    const minutes = $("#presenter-minutes");
    if (!minutes.dataset.touched && document.activeElement !== minutes) minutes.value = String(+(show.presenter_seconds / 60).toFixed(2));

    const sound = $("#btn-sound");
    sound.setAttribute("aria-pressed", v.sound === false ? "true" : "false");
    render(sound, v.sound === false ? t("Projector sound: muted (unmute)") : t("Mute projector sound"));

    const paged = (v.pages || 1) > 1 && v.phase !== "lobby" && !(v.phase === "showcase" && !show.gallery);
    $("#f-pages").hidden = !paged;
    render($("#f-pages-text"), t("The projector shows page {page} of {pages} of the group cards", { page: (v.page || 0) + 1, pages: v.pages || 1 }));
    setDisabled($("#btn-page-prev"), (v.page || 0) <= 0);
    setDisabled($("#btn-page-next"), (v.page || 0) >= (v.pages || 1) - 1);
    if (before && before.page !== v.page) { arm($("#btn-page-prev")); arm($("#btn-page-next")); }
  }

  function setDisabled(button, flag) {
    const hadFocus = flag && document.activeElement === button;
    button.disabled = flag;
    if (hadFocus) $("#f-controls-h").focus({ preventScroll: true });
  }

  function tick(v) {
    if (!v || v.phase !== "showcase") return;
    const presenter = v.showcase && v.showcase.presenter;
    const left = presenter ? presenter.deadline - ctx.now() : null;
    const text = left === null ? t("off") : left > 0 ? clock(left) : t("time is up");
    const node = $("#f-presenter");
    if (node.textContent !== text) node.textContent = text;
    $("#f-presenter-box").classList.toggle("is-up", left !== null && left <= 0);
  }

  function step(button, delta, card) {
    const v = ctx.view();
    if (!armed(button) || !v || !v.showcase) return;
    ctx.run("showcase_step", { delta, from_index: v.showcase.index, from_step: v.showcase.step, ...(card ? { card: true } : {}) },
      { button });
  }

  function wire() {
    $("#btn-prev").addEventListener("click", (e) => step(e.currentTarget, -1, false));
    $("#btn-next").addEventListener("click", (e) => step(e.currentTarget, 1, false));
    $("#btn-prev-group").addEventListener("click", (e) => step(e.currentTarget, -1, true));
    $("#btn-next-group").addEventListener("click", (e) => step(e.currentTarget, 1, true));
    const minutes = $("#presenter-minutes");
    minutes.addEventListener("input", () => { minutes.dataset.touched = "1"; });
    $("#btn-presenter").addEventListener("click", (e) => {
      const value = Number(minutes.value);
      const ok = Number.isFinite(value) && value >= 0 && value <= 30;
      minutes.setAttribute("aria-invalid", ok ? "false" : "true");
      if (!ok) { ctx.say(t("Minutes per group must be a number from 0 to 30"), { error: true }); minutes.focus(); return; }
      const seconds = Math.round(value * 60);
      delete minutes.dataset.touched;
      ctx.run("set_presenter_timer", { seconds }, { button: e.currentTarget,
        done: seconds ? t("Each group presents for {time}; the countdown started again", { time: clock(seconds) }) : t("No presenter countdown") });
    });
    $("#btn-sound").addEventListener("click", (e) => {
      const v = ctx.view();
      const on = !!v && v.sound === false;
      ctx.run("set_sound", { on }, { button: e.currentTarget, done: on ? t("Projector sound on") : t("Projector sound muted") });
    });
    for (const [id, delta] of [["#btn-page-prev", -1], ["#btn-page-next", 1]]) {
      $(id).addEventListener("click", (e) => {
        const v = ctx.view();
        if (!armed(e.currentTarget) || !v) return;
        ctx.run("turn_page", { delta, from_page: v.page || 0 }, { button: e.currentTarget });
      });
    }
  }

  return { render: render$, tick, wire };
}
