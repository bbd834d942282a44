// The facilitator's control screen (docs/protocol.md, "Views: Facilitator" and the command
// table). Fully keyboard operable: native buttons, labelled inputs, and re-renders that keep
// focus where it was. Text from people goes in as text nodes only (dom.js).
//
// It cannot break the game by accident (issue 11): every command that moves the game on names
// the phase this screen showed when the button was pressed (`from_phase`; `from_index` for the
// showcase), so a double click, a double Enter or a second tab is refused as `already_moved`,
// which is harmless and said quietly. Steps that lose something ask first (confirm.js,
// losses.js). The buttons of a phase that just appeared are not armed for a moment (a double
// click's second click lands on nothing), and after a phase change the focus goes to the
// "Now: ..." heading, never to the next phase's button.
import { $, clock, el, fragmentKey, pageCode, render } from "../shared/dom.js";
import { connect, startTicker } from "../shared/connection.js";
import { arm, armed, ask, asking, stale, wireConfirm } from "./confirm.js";
import { backLoss, reshuffleLoss, showcaseLoss } from "./losses.js";
import { createGroups } from "./groups.js";
import { createPeople } from "./people.js";
import { copyLink, wireSession } from "./session.js";
import { createShow } from "./showcase.js";
import { createHands } from "./hands.js";
import { createMessageForm } from "./message.js";
import { createEnding } from "./ending.js";
import { createVote } from "./vote.js";
import { createReactionLine } from "./reactions.js";
import { t, tn, followRoom, formatNumber } from "../shared/i18n.js";
import { languagePicker } from "./language.js";
import { errorText, say } from "./status.js";
import { createGone } from "./gone.js";

const code = pageCode();
const key = fragmentKey(code, "facilitator");

const PHASES = ["lobby", "groups", "stories", "planning", "showcase"];
const PHASE_NAMES = { lobby: t("Lobby"), groups: t("Groups"), stories: t("Stories"), planning: t("Planning"), showcase: t("Showcase") };
const PHASE_HELP = {
  lobby: t("People join by scanning the QR code on the projector. When everyone is in, form the groups."),
  groups: t("Check the groups; move people if needed. Then pick one story per group."),
  stories: t("Each group has a story. Re-roll a group’s story if needed, then start planning with a timer."),
  planning: t("Groups choose a format and answer the four questions on their phones. Watch their progress below."),
  showcase: t("The projector reveals one group’s card step by step: Next shows the story, the format, then each answer, then the next group. Each group has a presenter countdown."),
};

let view = null; // the latest facilitator view
let shown = null; // the view on screen now: what a pressed button meant
let renderQueued = false;
const busy = new Set(); // keys of commands in flight: their buttons stay disabled
// The controls are gone: the clock must not tick into them (it did, once deleted in the showcase).
const gone = createGone({ code, key, onGone: () => { view = null; } });

/** Mark a button busy while its command is in flight. aria-disabled (not `disabled`) keeps the
 *  keyboard focus on it; clicks are ignored while busy (see run) or arming (confirm.js). */
function markBusy(button, isBusy) {
  if (!button) return;
  if (isBusy) { button.setAttribute("aria-disabled", "true"); button.setAttribute("aria-busy", "true"); return; }
  button.removeAttribute("aria-busy");
  if (button.dataset.arming !== "1") button.removeAttribute("aria-disabled");
}

/** Disable a button for a reason of state (not in flight); if it had the focus, the focus goes
 *  to the phase heading: harmless, where a neighbour button would take a second Enter. */
function setDisabled(button, flag) {
  const hadFocus = flag && document.activeElement === button;
  button.disabled = flag;
  if (hadFocus) focusHeading();
}

function focusHeading() {
  $("#f-controls-h").focus({ preventScroll: true });
}

/** Send a command; its button is marked busy while it is in flight; every error is shown,
 *  except `already_moved` (a second click, or another tab, did it first): said quietly. */
async function run(event, payload = {}, { busyKey = event, button = null, done = "" } = {}) {
  if (busy.has(busyKey)) return null;
  busy.add(busyKey);
  markBusy(button, true);
  const ack = await conn.send(event, payload);
  busy.delete(busyKey);
  markBusy(button, false);
  renderAll();
  if (ack.ok) { if (done) say(done); } else if (ack.error && /^already_(moved|cleared)$/.test(ack.error.code)) say(alreadyText(ack.error));
  else say(errorText(ack.error), { error: true });
  return ack;
}

function alreadyText(error) {
  const d = error.details || {};
  if (d.phase) return t("Already done: the game is at {phase}", { phase: PHASE_NAMES[d.phase] || d.phase });
  return t("Already done");
}

// ---------------------------------------------------------------------------------------
// Helpers

const groupLabel = (g) => t("Group {n} · {colour}", { n: g.number, colour: t(g.colour.name) });
const TYPING_S = 5; // a group shows "typing…" this long after its last sheet update
/** Whether the group typed in its sheet a moment ago (active_at is server time). */
const typing = (g) => !!g.active_at && conn.now() - g.active_at < TYPING_S;
const person = (id) => (view && view.participants.find((p) => p.id === id)) || null;

const ctx = { busy, run, say, typing, groupLabel, view: () => shown };
const renderGroups = createGroups(ctx);
const show = createShow({ run, say, groupLabel, view: () => shown, now: () => conn.now() });
const language = languagePicker(run);
const people = createPeople(ctx);
const roomTools = [createMessageForm(ctx), createHands(ctx)]; // docs/protocol.md, "Room tools"
const ending = createEnding({ run, say, view: () => shown });
const vote = createVote({ run, say, view: () => shown });

function minutesFrom(input) {
  const value = Number(input.value);
  const ok = Number.isInteger(value) && value >= 1 && value <= 180;
  input.setAttribute("aria-invalid", ok ? "false" : "true");
  if (!ok) {
    say(t("Minutes must be a whole number from 1 to 180"), { error: true });
    input.focus();
    return null;
  }
  return value;
}

// ---------------------------------------------------------------------------------------
// Header, controls, links

function renderHeader(v) {
  render($("#f-title"), v.title);
  const at = PHASES.indexOf(v.phase);
  for (const li of $("#f-stepper").children) {
    const i = PHASES.indexOf(li.dataset.phase);
    const mark = li.querySelector(".f-step-mark");
    li.classList.toggle("is-done", i < at);
    li.classList.toggle("is-current", i === at);
    if (i === at) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    render(mark, i < at ? "✓" : String(i + 1));
    let note = li.querySelector(".f-step-note");
    if (!note) { note = el("span", { class: "f-step-note" }); li.querySelector(".f-step").append(note); }
    render(note, i === at ? t("now") : i < at ? t("done") : "");
  }
}

const BUTTONS = [["btn-form-groups", "form_groups"], ["btn-pick-stories", "pick_stories"],
  ["btn-reshuffle", "reshuffle"], ["btn-start-planning", "start_planning"], ["btn-extend", "extend_timer"],
  ["btn-start-showcase", "start_showcase"], ["btn-prev", "showcase_step"], ["btn-next", "showcase_step"],
  ["btn-gallery", "showcase_gallery"], ["btn-prev-group", "showcase_step"], ["btn-next-group", "showcase_step"],
  ["btn-presenter", "set_presenter_timer"], ["btn-sound", "set_sound"], ["btn-page-prev", "turn_page"], ["btn-page-next", "turn_page"], ["btn-back", "back"], ["btn-lock", "set_locked"], ["btn-add", "add_participant"]];

function renderControls(v) {
  const before = shown;
  const phaseChanged = !!before && before.phase !== v.phase;
  if (phaseChanged) stale(v.phase); // a question about leaving the old phase no longer applies
  const active = document.activeElement;
  // Focus that was on the controls (the button just pressed) or nowhere goes to the heading
  // after a phase change; focus elsewhere (a form, the table, a dialog) stays where it is.
  const focusOnControls = !active || active === document.body || $(".f-controls").contains(active);

  render($("#f-phase-name"), PHASE_NAMES[v.phase] || v.phase);
  const n = v.participants.length;
  // The session's default minutes, until the facilitator types their own.
  const planMinutes = $("#plan-minutes");
  if (!planMinutes.dataset.touched && v.settings.planning_minutes) planMinutes.value = String(v.settings.planning_minutes);
  if (v.phase === "lobby") {
    const size = v.settings.group_size;
    // As the server deals them: round(n / size) groups (halves up), sizes differing by one at most.
    const groups = Math.max(1, Math.floor(n / size + 0.5));
    const small = Math.floor(n / groups);
    const sizes = n % groups ? t("{a} or {b}", { a: formatNumber(small), b: formatNumber(small + 1) }) : formatNumber(small);
    render($("#f-phase-help"), PHASE_HELP.lobby, " ",
      n ? `${tn("With {n} person", "With {n} people", n)} ${tn("that makes {n} group of {sizes}.", "that makes {n} groups of {sizes}.", groups, { sizes })}`
        : t("Nobody has joined yet."));
  } else {
    render($("#f-phase-help"), PHASE_HELP[v.phase] || "");
  }

  // One box of actions per phase. The new phase's buttons are not armed for a moment.
  for (const box of document.querySelectorAll(".f-actions")) {
    const hide = box.dataset.for !== v.phase;
    if (phaseChanged && !hide && box.hidden) for (const button of box.querySelectorAll("button")) arm(button);
    box.hidden = hide;
  }
  for (const [id, busyKey] of BUTTONS) markBusy($(`#${id}`), busy.has(busyKey));

  const count = v.groups.length;
  show.render(v, before);
  vote.render(v);

  const back = $("#btn-back");
  const at = PHASES.indexOf(v.phase);
  back.hidden = at <= 0;
  if (at > 0) render(back, t("Back to {phase}", { phase: PHASE_NAMES[PHASES[at - 1]] }));
  if (phaseChanged && at > 0) arm(back);

  const lock = $("#btn-lock");
  render(lock, v.locked ? t("Unlock joining") : t("Lock joining"));
  const lockState = $("#f-lock-state");
  render(lockState, v.locked ? t("Joining is locked: new phones cannot join") : t("Joining is open"));
  lockState.classList.toggle("is-locked", !!v.locked);

  const joinLink = $("#f-join-link");
  if (joinLink.getAttribute("href") !== v.links.join) {
    joinLink.setAttribute("href", v.links.join);
    render(joinLink, v.links.join);
  }
  const projector = $("#f-projector-link");
  if (projector.getAttribute("href") !== v.links.projector) projector.setAttribute("href", v.links.projector);

  const online = v.participants.filter((p) => p.has_phone && p.connected).length;
  const phones = v.participants.filter((p) => p.has_phone).length;
  render($("#f-counts"), [tn("{n} person in the session", "{n} people in the session", n),
    tn("{online} of {n} phone online", "{online} of {n} phones online", phones, { online: formatNumber(online) }),
    tn("{n} group", "{n} groups", count)].join(" · "));

  // The control that had the focus went away (its phase's box, or Back in the lobby).
  const lost = !!active && active !== document.body && $(".f-controls").contains(active)
    && (!!active.closest("[hidden]") || active.hidden || active.disabled);
  if (!asking() && ((phaseChanged && focusOnControls) || lost)) focusHeading();
}

let typingShown = "";

function tick() {
  if (!view) return;
  // "typing…" goes away by itself a few seconds after a group's last update.
  const typingNow = view.groups.map(typing).join();
  if (typingNow !== typingShown) { typingShown = typingNow; queueRender(); }
  show.tick(view);
  if (view.phase !== "planning") return;
  const left = view.timer ? view.timer.deadline - conn.now() : null;
  // "Time’s up" is one phrase: never "Time left: time’s up".
  const label = left === null ? "" : left > 0 ? `${t("Time left:")} ` : "";
  const text = left === null ? t("No timer") : left > 0 ? clock(left) : t("Time’s up");
  const labelNode = $("#f-timer-label");
  if (labelNode.textContent !== label) labelNode.textContent = label;
  const timer = $("#f-timer");
  if (timer.textContent !== text) timer.textContent = text;
  $("#f-timer-box").classList.toggle("is-up", left !== null && left <= 0);
}

// ---------------------------------------------------------------------------------------
// How picks were drawn

function renderDraws(v) {
  const names = (ids) => ids.map((id) => (person(id) || { name: id }).name).join(", ");
  render($("#f-draws-body"),
    el("p", {}, t("Every random pick uses a generator seeded with {formula}, so each pick can be replayed and explained.", { formula: "<seed>:<purpose>:<draw>" })),
    el("dl", { class: "f-draws-list" },
      el("dt", {}, t("Seed")), el("dd", {}, el("code", {}, String(v.seed))),
      el("dt", {}, t("Grouping draw")), el("dd", {}, v.grouping_draw === null || v.grouping_draw === undefined
        ? t("groups not formed yet") : `#${v.grouping_draw}`),
      v.groups.filter((g) => g.story).map((g) => [
        el("dt", {}, t("Group {n} story", { n: g.number })),
        el("dd", {}, t("draw #{draw}: {name}, from {names}", { draw: g.story.draw, name: g.story.owner_name, names: names(g.story.candidates) })),
      ])));
}

// ---------------------------------------------------------------------------------------

function renderAll() {
  renderQueued = false;
  const v = view;
  if (!v) return;
  document.body.dataset.phase = v.phase;
  renderHeader(v);
  renderControls(v);
  shown = v;
  ending.render(v);
  renderGroups(v);
  for (const tool of roomTools) tool.render(v);
  people.renderPeople(v);
  renderDraws(v);
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(renderAll);
}

/** A button that moves the game on: from the phase of the box it sits in, after asking if
 *  the step loses something. A click while it is arming or busy does nothing. */
async function phaseStep(button, event, { extra = () => ({}), loss = () => null, done }) {
  if (!armed(button) || !shown) return;
  const from = button.closest(".f-actions").dataset.for;
  const more = extra();
  if (more === null) return;
  const question = loss();
  if (question && !(await ask({ ...question, phase: from }))) return;
  run(event, { from_phase: from, ...more }, { button, done });
}

function wire() {
  wireConfirm();
  $("#plan-minutes").addEventListener("input", (e) => { e.currentTarget.dataset.touched = "1"; });
  $("#btn-form-groups").addEventListener("click", (e) =>
    phaseStep(e.currentTarget, "form_groups", { done: t("Groups formed") }));
  $("#btn-pick-stories").addEventListener("click", (e) =>
    phaseStep(e.currentTarget, "pick_stories", { done: t("Stories picked") }));
  $("#btn-reshuffle").addEventListener("click", async (e) => {
    const button = e.currentTarget;
    if (!armed(button) || !shown) return;
    // It loses any moves made by hand, and a second click would deal the room twice: ask.
    if (!(await ask({ ...reshuffleLoss(shown), phase: shown.phase }))) return;
    run("reshuffle", {}, { button, done: t("Groups reshuffled") });
  });
  $("#btn-start-planning").addEventListener("click", (e) => {
    let minutes = null;
    phaseStep(e.currentTarget, "start_planning", {
      extra: () => { minutes = minutesFrom($("#plan-minutes")); return minutes === null ? null : { minutes }; },
      done: t("Planning started"),
    });
  });
  $("#btn-extend").addEventListener("click", (e) => {
    if (!armed(e.currentTarget)) return;
    const minutes = minutesFrom($("#extend-minutes"));
    if (minutes !== null) run("extend_timer", { minutes }, { button: e.currentTarget, done: tn("Timer extended by {n} minute", "Timer extended by {n} minutes", minutes) });
  });
  $("#btn-start-showcase").addEventListener("click", (e) =>
    phaseStep(e.currentTarget, "start_showcase", { loss: () => showcaseLoss(shown, conn.now()), done: t("Showcase started") }));
  show.wire();
  ending.wire();
  $("#btn-gallery").addEventListener("click", (e) => {
    if (armed(e.currentTarget)) run("showcase_gallery", { on: !(shown && shown.showcase && shown.showcase.gallery) }, { button: e.currentTarget });
  });
  $("#btn-back").addEventListener("click", async (e) => {
    const button = e.currentTarget;
    if (!armed(button) || !shown) return;
    const from = shown.phase;
    const at = PHASES.indexOf(from);
    if (at <= 0) return;
    const question = backLoss(shown, conn.now());
    if (question && !(await ask({ ...question, phase: from }))) return;
    run("back", { from_phase: from }, { button, done: t("Back to {phase}", { phase: PHASE_NAMES[PHASES[at - 1]] }) });
  });
  $("#btn-lock").addEventListener("click", (e) => {
    const locked = !(view && view.locked);
    run("set_locked", { locked }, { button: e.currentTarget, done: locked ? t("Joining locked") : t("Joining unlocked") });
  });

  $("#btn-copy-join").addEventListener("click", () => view && copyLink(view.links.join, t("Join link copied"), say));
  $("#btn-copy-projector").addEventListener("click", () => view && copyLink(view.links.projector, t("Projector link copied"), say));

  $("#f-filter").addEventListener("input", () => { if (view) people.renderPeople(view); });
  people.wireAddForm();

  wireSession({ code, key, say, errorText, send: (...args) => conn.sendRaw(...args), deleted: gone.deleted });
}

// ---------------------------------------------------------------------------------------
// Connection

function setConnection(state) {
  const labels = { connecting: t("Connecting…"), online: t("Connected"), reconnecting: t("Reconnecting…") };
  const box = $("#f-conn");
  if (!box) return;
  box.dataset.state = state;
  render($("#f-conn-text"), labels[state] || state);
}

wire();
const conn = connect({
  auth: () => ({ session: code, role: "facilitator", token: key }),
  onView: (v) => { view = v; followRoom(v.language); language.show(v); queueRender(); },
  onStatus: setConnection,
  onRefused: gone.refused,
  onDeleted: gone.deleted,
});
// `gamehub sessions key CODE` replaced this link's key: say so, and do not reconnect.
conn.socket.on("key_rotated", () => { conn.socket.disconnect(); gone.replaced(); });
createReactionLine($("#f-presenter-box"), conn.socket); // the room's reactions, in the showcase
startTicker(tick);
