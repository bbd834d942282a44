// The projector: what the whole room sees, read from the back row. It follows the session's
// phase (docs/protocol.md, "Views: Projector"); the only thing to click is the one click
// browsers need before a page may play sound. Text from people goes in as text nodes only
// (dom.js), so a name like "<img onerror=...>" shows as typed.
import { $, clock, el, fragmentKey, pageCode, render, showMessage } from "../shared/dom.js";
import { connect, startTicker } from "../shared/connection.js";
import { grid, groupCard, pageNote, pageOf, storyTitle } from "./cards.js";
import { showcaseKey, showShowcase } from "./showcase.js";
import { createSound } from "./sound.js";
import { createProjectorMessage } from "./message.js";
import { showClosing } from "./closing.js";
import { showVote, voteKey } from "./podium.js";
import { createReactions } from "./reactions.js";
import { t, tn, followRoom, formatNumber } from "../shared/i18n.js";

const code = pageCode();
const key = fragmentKey(code, "projector");

const root = $("#projector");
const lobby = $("#p-lobby");
const view$ = $("#p-view");
const corner = $("#p-corner");
const phaseLabel = $("#p-phase");
const feed = $("#p-feed");
const sound = createSound(root, $("#p-sound-gate"));
const roomMessage = createProjectorMessage(root, () => conn.now()); // docs/protocol.md, "Room tools"

const PHASE_NAMES = { lobby: t("Lobby"), groups: t("Groups"), stories: t("Stories"), planning: t("Planning"), showcase: t("Showcase") };
const FEED_SECONDS = 7; // an event stays this long on the screen
const FEED_MAX = 4;

let current = null; // the last view shown
let lobbyCap = Infinity; // names shown in the lobby; lowered by layout() when they do not fit
let knownNames = -1; // how many names the lobby showed last time (-1: not yet)
let freshNames = 0; // how many of the newest names just arrived (they pop in)

// ---------------------------------------------------------------------------------------
// Small pieces

const overflows = (box) => box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1;

/** Shrink a box's type (its --fit scale) until its content fits, never below `min`. */
function fit(box, { start = 1, min = 0.6, step = 0.05 } = {}) {
  if (!box) return;
  let scale = start;
  box.style.setProperty("--fit", String(scale));
  while (scale > min && overflows(box)) {
    scale = Math.max(min, +(scale - step).toFixed(3));
    box.style.setProperty("--fit", String(scale));
  }
}

/** The join address without its scheme: shorter to read out and to type. */
const shortUrl = (url) => String(url).replace(/^https?:\/\//, "");

// ---------------------------------------------------------------------------------------
// Events of the room, surfacing briefly: who chose what, who finished.

function announce(text, cls = "") {
  const item = el("li", { class: `p-event ${cls}` }, text);
  feed.append(item);
  while (feed.children.length > FEED_MAX) feed.firstChild.remove();
  setTimeout(() => item.remove(), FEED_SECONDS * 1000);
}

function events(before, after) {
  if (before && before.phase !== after.phase) render(feed); // last phase's news is old news
  if (!before || before.phase !== after.phase || after.phase !== "planning") return;
  const old = new Map(before.groups.map((g) => [g.number, g]));
  for (const g of after.groups) {
    const was = old.get(g.number);
    if (!was) continue;
    if (g.format && g.format !== was.format) announce(t("Group {n} chose {format}", { n: g.number, format: g.format }));
    if (g.answered === 4 && was.answered < 4) announce(t("Group {n} answered all four", { n: g.number }), "is-done");
  }
}

// ---------------------------------------------------------------------------------------
// One function per phase

function showLobby(v) {
  render($("#p-count"), v.participant_count === 0 ? t("Nobody has joined yet")
    : tn("{n} person has joined", "{n} people have joined", v.participant_count));
  $("#p-locked").hidden = !v.locked;
  lobby.classList.toggle("is-locked", !!v.locked);
  const names = v.names || [];
  const box = $("#p-names-box");
  box.dataset.size = names.length > 80 ? "many" : names.length > 30 ? "some" : "few";
  const newestFirst = names.slice().reverse();
  const cap = Math.min(lobbyCap, names.length);
  const shown = newestFirst.slice(0, names.length > cap ? cap - 1 : cap);
  const more = names.length - shown.length;
  render(box, names.length
    ? el("ul", { class: "p-names", "aria-label": t("People who joined, newest first") },
      shown.map((name, i) => el("li", { class: i < freshNames ? "p-name is-new" : "p-name" }, name)),
      more > 0 ? el("li", { class: "p-name p-more", id: "p-more" }, tn("and {n} more", "and {n} more", more)) : null)
    : el("p", { class: "p-waiting" }, t("Scan the QR code with your phone’s camera to join.")));
  return null;
}

function showGroups(v) {
  const shown = pageOf(v);
  return [
    grid(shown, shown.groups.map((g) => groupCard(g, "p-group",
      g.members.length
        ? el("ul", { class: "p-members" }, g.members.map((m) => el("li", {}, m)))
        : el("p", { class: "p-none" }, t("Nobody yet")))), "p-groups"),
    pageNote(shown),
  ];
}

function showStories(v) {
  const shown = pageOf(v);
  return [
    grid(shown, shown.groups.map((g) => groupCard(g, "p-story",
      el("div", { class: "p-card-body" },
        storyTitle(g.story),
        g.story ? el("p", { class: "p-owner" }, t("by {name}", { name: g.story.owner_name })) : null))), "p-stories"),
    pageNote(shown),
  ];
}

function progress(answered) {
  const pct = Math.round((answered / 4) * 100);
  return el("div", { class: "p-progress" },
    el("div", { class: "p-bar", "aria-hidden": "true" },
      el("div", { class: "p-bar-fill", style: { width: `${pct}%` } })),
    el("span", { class: "p-progress-text" }, t("{answered}/{total}", { answered: formatNumber(answered), total: formatNumber(4) }),
      el("span", { class: "p-progress-word" }, " ", t("answered"))));
}

function roomProgress(v) {
  const n = v.groups.length;
  const chosen = v.groups.filter((g) => g.format).length;
  const written = v.groups.reduce((sum, g) => sum + g.answered, 0);
  const pct = n ? Math.round((written / (4 * n)) * 100) : 0;
  return el("div", { class: "p-room-progress", id: "p-room-progress" },
    el("p", { class: "p-room-text" },
      el("strong", {}, t("{count} of {total}", { count: formatNumber(written), total: formatNumber(4 * n) })), " ",
      tn("answer written", "answers written", 4 * n), " · ",
      el("strong", {}, t("{count} of {total}", { count: formatNumber(chosen), total: formatNumber(n) })), " ",
      tn("group chose a format", "groups chose a format", n)),
    el("div", { class: "p-room-bar", role: "progressbar", "aria-label": t("Answers written in the room"),
      "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(pct) },
    el("div", { class: "p-room-fill", style: { width: `${pct}%` } })));
}

function showPlanning(v) {
  const shown = pageOf(v);
  return [
    el("div", { class: "p-plan-top" },
      v.timer ? el("div", { class: "p-timer-box", id: "p-timer-box" },
        el("p", { class: "p-timer-label", id: "p-timer-label" }, t("Time left")),
        el("p", { class: "p-timer", id: "p-timer", role: "timer" }, "")) : null,
      roomProgress(v)),
    grid(shown, shown.groups.map((g) => groupCard(g, "p-plan",
      el("div", { class: "p-card-body" },
        g.story && g.story.title ? el("p", { class: "p-plan-story" }, `“${g.story.title}”`) : null,
        g.format ? el("p", { class: "p-format" }, g.format) : el("p", { class: "p-format p-none" }, t("choosing a format…")),
        progress(g.answered)))), "p-planning"),
    pageNote(shown),
  ];
}

const PHASES = { lobby: showLobby, groups: showGroups, stories: showStories, planning: showPlanning,
  showcase: (v) => showVote(v) || showShowcase(v) }; // people's choice takes the showcase's place while there is one

// ---------------------------------------------------------------------------------------

function phaseText(v) {
  if (v.ended_at) return "";
  if (v.phase === "showcase" && v.showcase) return v.showcase.gallery ? t("Showcase: all groups") : t("Showcase");
  if (v.phase === "lobby") return "";
  return `${PHASE_NAMES[v.phase] || v.phase} · ${tn("{n} group", "{n} groups", v.groups.length)}`;
}

function mode(v) {
  if (v.ended_at) return "ended";
  if (v.phase === "showcase" && v.showcase) return v.showcase.gallery ? "gallery" : "single";
  return v.phase;
}

/** What makes a new screen (it enters with a short animation): the mode, page, card and step. */
const screenKey = (v) => `${mode(v)}|${v.page}|${showcaseKey(v)}|${voteKey(v)}`;

function show(v) {
  followRoom(v.language);
  const entering = !current || screenKey(current) !== screenKey(v);
  events(current, v);
  if (v.phase === "lobby") {
    const count = (v.names || []).length;
    freshNames = knownNames < 0 ? 0 : Math.max(0, count - knownNames);
    knownNames = count;
    lobbyCap = Infinity;
  } else {
    knownNames = -1;
  }
  sound.setAllowed(v.sound !== false);
  current = v;
  reactions.show(v); // (declared below; views only come once the module has run)
  draw(v, entering);
  roomMessage.show(v);
}

function draw(v, entering) {
  root.dataset.phase = v.phase;
  root.dataset.mode = mode(v);
  render($("#p-title"), v.title);
  render(phaseLabel, phaseText(v));
  lobby.hidden = v.phase !== "lobby";
  view$.hidden = v.phase === "lobby";
  corner.hidden = v.phase === "lobby" || v.phase === "showcase" || !!v.locked;
  const content = v.ended_at ? showClosing(v) : (PHASES[v.phase] || (() => el("p", {}, t("Unknown phase {phase}", { phase: v.phase }))))(v);
  if (v.phase !== "lobby") render(view$, content);
  view$.classList.toggle("is-entering", entering);
  tick(); // the timer's text first: layout measures it
  layout();
}

/** Fit the type to the screen after a render or a resize. */
function layout() {
  if (!current) return;
  if (current.phase === "lobby") {
    // Every name at a readable size if they fit; else the newest, and an honest "and N more".
    const box = $("#p-names-box");
    let guard = 0;
    while (overflows(box) && guard < 60) {
      guard += 1;
      const count = box.querySelectorAll(".p-name").length;
      lobbyCap = Math.max(2, Math.floor(count * Math.min(0.95, box.clientHeight / box.scrollHeight)));
      showLobby(current);
      if (lobbyCap <= 2) break;
    }
  } else if (mode(current) === "single") {
    // The answer as large as it fits, never below 28 px at 1080p (the server splits long ones).
    view$.style.setProperty("--fit", "1");
    const box = $("#p-answer-box");
    fit(box, { start: 1.9, min: 0.94, step: 0.06 });
    if (box) box.classList.toggle("is-clipped", overflows(box));
    fit($(".p-reveal-members"), { start: 1, min: 0.7 });
  } else {
    const n = pageOf(current).groups.length;
    fit(view$, { start: n <= 2 ? 1.6 : n <= 4 ? 1.35 : n <= 6 ? 1.15 : 1, min: 0.75 });
  }
}

// ---------------------------------------------------------------------------------------
// Clocks: the planning timer (one-minute warning, the last ten seconds, time's up) and the
// presenter's countdown, each with its sound, once per deadline.

const fired = new Set();
function once(name, deadline, window, left) {
  // Only as the moment passes (within `window` seconds of it), so a reload later stays quiet.
  const mark = `${name}:${deadline}`;
  if (fired.has(mark) || left < -window) return false;
  fired.add(mark);
  return true;
}

function planningClock(v) {
  const timer = $("#p-timer");
  if (!timer || !v.timer) return;
  const deadline = v.timer.deadline;
  const left = deadline - conn.now();
  const text = left > 0 ? clock(left) : t("Time’s up");
  if (timer.textContent !== text) timer.textContent = text;
  const final = left > 0 && left <= 10;
  const label = $("#p-timer-label");
  const labelText = left <= 0 ? "" : final ? t("Last seconds") : left <= 60 ? t("Last minute") : t("Time left");
  if (label.textContent !== labelText) label.textContent = labelText;
  label.hidden = left <= 0;
  const box = $("#p-timer-box");
  box.classList.toggle("is-low", left > 10 && left <= 60);
  box.classList.toggle("is-final", final);
  box.classList.toggle("is-over", left <= 0);
  if (left <= 60 && left > 50 && once("warning", deadline, 0, left - 50)) {
    announce(t("One minute left"), "is-warning");
    sound.play("warning");
  }
  if (final) {
    const second = Math.ceil(left);
    if (once(`tick${second}`, deadline, 0, 0)) sound.play("tick");
  }
  if (left <= 0 && once("end", deadline, 3, left)) sound.play("end");
}

function presenterClock(v) {
  const node = $("#p-presenter");
  const presenter = v.showcase && v.showcase.presenter;
  if (!node || !presenter) return;
  const left = presenter.deadline - conn.now();
  const text = clock(left); // 0:00 at the end, beside "Presenter’s time is up"
  if (node.textContent !== text) node.textContent = text;
  const label = $("#p-presenter-label");
  const labelText = left > 0 ? t("Presenting") : t("Presenter’s time is up");
  if (label.textContent !== labelText) label.textContent = labelText;
  node.parentNode.classList.toggle("is-over", left <= 0);
  if (left <= 0 && once("chime", presenter.deadline, 3, left)) sound.play("chime");
}

function tick() {
  if (!current) return;
  if (current.phase === "planning") planningClock(current);
  if (current.phase === "showcase") presenterClock(current);
}

// ---------------------------------------------------------------------------------------

const message = (title, ...lines) => showMessage(root, "p-message", title, lines);

function refused(codeName, text) {
  if (codeName === "bad_key") {
    message(t("This projector link is not right"),
      key ? t("Its key does not match this session.") : t("The link has no key."),
      t("Open the projector link that gamehub printed when it started (it ends with #key=…), or copy it from the facilitator screen."));
  } else if (codeName === "unknown_session") {
    message(t("No session {code}", { code }), t("This session does not exist (any more)."),
      el("p", {}, el("a", { href: "/" }, t("Go to the home page"))));
  } else {
    message(t("Cannot show this session"), text);
  }
  return false;
}

render($("#p-join-url"), shortUrl(root.dataset.joinUrl));
render($(".p-corner-url"), shortUrl(root.dataset.joinUrl));

const conn = connect({
  auth: () => ({ session: code, role: "projector", token: key }),
  onView: show,
  onRefused: refused,
  onDeleted: () => message(t("This session was deleted"), t("The facilitator deleted this session and all its data.")),
});

const reactions = createReactions($("#p-stage"), conn.socket);

// A tick four times a second: the last ten seconds count down visibly, each with its sound.
startTicker(tick);
setInterval(tick, 250);
let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (current) { lobbyCap = Infinity; draw(current, false); } }, 100);
});
