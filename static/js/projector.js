// The projector: what the whole room sees, read from the back row. No interaction; it follows
// the session's phase (docs/protocol.md, "Views: Projector"). Text from people goes in as text
// nodes only (dom.js), so a name like "<img onerror=...>" shows as typed.
import { $, clock, el, fragmentKey, pageCode, render } from "./dom.js";
import { connect, startTicker } from "./connection.js";

const code = pageCode();
const key = fragmentKey(code, "projector");

const root = $("#projector");
const lobby = $("#p-lobby");
const view$ = $("#p-view");
const corner = $("#p-corner");
const phaseLabel = $("#p-phase");

const PHASE_NAMES = { lobby: "Lobby", groups: "Groups", stories: "Stories", planning: "Planning", showcase: "Showcase" };
const LOBBY_NAME_CAP = 40; // names shown in the lobby; the rest are "+N more"
const PAGE_SECONDS = 12; // with many groups, pages of cards take turns

let current = null; // the last view shown
let lobbyCap = LOBBY_NAME_CAP; // lowered by layout() when the names do not fit
let lastPhase = null;
let knownNames = -1; // how many names the lobby showed last time (-1: not yet)
let page = 0;
let pageCount = 1;
let pageFlippedAt = Date.now();

// ---------------------------------------------------------------------------------------
// Small pieces

/** A URL as text that may break after "/", "." and ":" (long URLs wrap at sensible places). */
function breakableUrl(url) {
  const parts = String(url).split(/(?<=[/.:])/);
  return parts.flatMap((part, i) => (i ? [el("wbr"), part] : [part]));
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** The group's number and colour: a coloured band with the number and the colour's name as text. */
function band(group, { tag = "div", extra = null } = {}) {
  return el(tag, { class: "p-band" },
    el("span", { class: "p-band-num", "aria-hidden": "true" }, String(group.number)),
    el("span", { class: "p-band-text" },
      el("span", { class: "p-band-group" }, `Group ${group.number}`),
      el("span", { class: "p-band-colour" }, group.colour.name)),
    extra);
}

function groupCard(group, cls, ...children) {
  return el("article", { class: `p-card ${cls}`, style: { "--group": group.colour.hex } }, band(group), ...children);
}

function storyTitle(story, cls = "p-story-title") {
  if (!story) return el("p", { class: `${cls} p-none` }, "No story picked yet");
  return story.title
    ? el("p", { class: cls }, `“${story.title}”`)
    : el("p", { class: `${cls} p-none` }, "Untitled story");
}

/** Columns for a grid of n cards, so that they fill a 16:9 screen. */
function columnsFor(n) {
  if (n <= 3) return Math.max(1, n);
  if (n === 4) return 2;
  if (n <= 6) return 3;
  if (n <= 12) return 4;
  return 5;
}

/** With more groups than fit, show one page at a time; pages turn in the ticker. */
let perPage = 1; // cards on a full page: every page is laid out for this many
function paged(groups, most) {
  pageCount = Math.max(1, Math.ceil(groups.length / most));
  perPage = Math.max(1, Math.ceil(groups.length / pageCount)); // balanced: 16 -> 8 + 8, not 15 + 1
  if (page >= pageCount) page = 0;
  return groups.slice(page * perPage, (page + 1) * perPage);
}

function pageNote() {
  return pageCount > 1 ? el("p", { class: "p-page" }, `Page ${page + 1} of ${pageCount}`) : null;
}

function grid(groups, cards, cls) {
  const cols = columnsFor(Math.max(groups.length, perPage));
  return el("div", { class: `p-grid ${cls}`, style: { "--cols": String(cols) } }, cards);
}

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

// ---------------------------------------------------------------------------------------
// One function per phase

let freshNames = 0; // how many of the newest names just arrived (they pop in)

function showLobby(v, again = false) {
  const count = $("#p-count");
  render(count, v.participant_count === 0 ? "Nobody has joined yet" : `${plural(v.participant_count, "person has", "people have")} joined`);
  $("#p-locked").hidden = !v.locked;
  lobby.classList.toggle("is-locked", !!v.locked);

  const names = v.names || [];
  if (!again) {
    freshNames = knownNames < 0 ? 0 : Math.max(0, names.length - knownNames);
    knownNames = names.length;
    lobbyCap = LOBBY_NAME_CAP;
  }
  const fresh = freshNames;
  const newestFirst = names.slice().reverse();
  const shown = newestFirst.slice(0, names.length > lobbyCap ? lobbyCap - 1 : lobbyCap);
  const more = names.length - shown.length;
  return el("div", { class: "p-names-box" },
    names.length ? el("ul", { class: "p-names", "aria-label": "People who joined, newest first" },
      shown.map((name, i) => el("li", { class: i < fresh ? "p-name is-new" : "p-name" }, name)),
      more > 0 ? el("li", { class: "p-name p-more" }, `+${more} more`) : null)
      : el("p", { class: "p-waiting" }, "Scan the QR code with your phone’s camera to join."));
}

function showGroups(v) {
  const groups = paged(v.groups, 8);
  return [
    grid(groups, groups.map((g) => groupCard(g, "p-group",
      g.members.length
        ? el("ul", { class: "p-members" }, g.members.map((m) => el("li", {}, m)))
        : el("p", { class: "p-none" }, "Nobody yet"))), "p-groups"),
    pageNote(),
  ];
}

function showStories(v) {
  const groups = paged(v.groups, 12);
  return [
    grid(groups, groups.map((g) => groupCard(g, "p-story",
      el("div", { class: "p-card-body" },
        storyTitle(g.story),
        g.story ? el("p", { class: "p-owner" }, `by ${g.story.owner_name}`) : null))), "p-stories"),
    pageNote(),
  ];
}

function progress(answered) {
  const pct = Math.round((answered / 4) * 100);
  return el("div", { class: "p-progress" },
    el("div", { class: "p-bar", "aria-hidden": "true" },
      el("div", { class: "p-bar-fill", style: { width: `${pct}%` } })),
    el("span", { class: "p-progress-text" }, `${answered}/4`, el("span", { class: "p-progress-word" }, " answered")));
}

function showPlanning(v) {
  const groups = paged(v.groups, 15);
  return [
    v.timer ? el("div", { class: "p-timer-box" },
      el("p", { class: "p-timer-label", id: "p-timer-label" }, "Time left"),
      el("p", { class: "p-timer", id: "p-timer", role: "timer" }, "")) : null,
    grid(groups, groups.map((g) => groupCard(g, "p-plan",
      el("div", { class: "p-card-body" },
        g.format ? el("p", { class: "p-format" }, g.format) : el("p", { class: "p-format p-none" }, "choosing…"),
        progress(g.answered)))), "p-planning"),
    pageNote(),
  ];
}

function showcaseCard(v, g) {
  const index = v.showcase.index;
  return el("article", { class: "p-show", style: { "--group": g.colour.hex } },
    band(g, { tag: "header", extra: el("span", { class: "p-band-pos" }, `${index + 1} of ${v.groups.length}`) }),
    el("div", { class: "p-show-head" },
      el("div", { class: "p-show-story" },
        el("p", { class: "p-label" }, "Story"),
        storyTitle(g.story, "p-show-title"),
        g.story ? el("p", { class: "p-owner" }, `by ${g.story.owner_name}`) : null),
      el("div", { class: "p-show-format" },
        el("p", { class: "p-label" }, "Format"),
        g.format ? el("p", { class: "p-format" }, g.format) : el("p", { class: "p-format p-none" }, "No format chosen")),
      el("div", { class: "p-show-members" },
        el("p", { class: "p-label" }, "Members"),
        el("p", { class: "p-members-line" }, g.members.join(", ") || "Nobody"))),
    el("div", { class: "p-qa", id: "p-qa" },
      v.questions.map((q, i) => {
        const answer = (g.answers && g.answers[i]) || "";
        return el("section", { class: "p-qa-item" },
          el("h2", { class: "p-question" }, q),
          answer.trim() ? el("p", { class: "p-answer" }, answer) : el("p", { class: "p-answer p-none" }, "No answer"));
      })));
}

function showGallery(v) {
  const groups = paged(v.groups, 8);
  return [
    grid(groups, groups.map((g) => groupCard(g, "p-gallery-card",
      el("div", { class: "p-card-body" },
        storyTitle(g.story),
        g.story ? el("p", { class: "p-owner" }, `by ${g.story.owner_name}`) : null,
        el("p", { class: "p-format" }, el("span", { class: "p-inline-label" }, "Format: "),
          g.format || el("span", { class: "p-none" }, "none chosen")),
        el("p", { class: "p-members-line" }, el("span", { class: "p-inline-label" }, "Members: "), g.members.join(", "))))), "p-gallery"),
    pageNote(),
  ];
}

function showShowcase(v) {
  if (!v.groups.length) return el("p", { class: "p-waiting" }, "No groups to show.");
  if (v.showcase.gallery) return showGallery(v);
  const g = v.groups[Math.min(Math.max(0, v.showcase.index), v.groups.length - 1)];
  return showcaseCard(v, g);
}

const PHASES = { lobby: showLobby, groups: showGroups, stories: showStories, planning: showPlanning, showcase: showShowcase };

// ---------------------------------------------------------------------------------------

function phaseText(v) {
  if (v.phase === "showcase" && v.showcase) {
    return v.showcase.gallery ? "Showcase: all groups" : "Showcase";
  }
  if (v.phase === "lobby") return "";
  return `${PHASE_NAMES[v.phase] || v.phase} · ${plural(v.groups.length, "group", "groups")}`;
}

function mode(v) {
  return v.phase === "showcase" && v.showcase ? (v.showcase.gallery ? "gallery" : "single") : v.phase;
}

function show(v) {
  const changed = !current || mode(current) !== mode(v);
  if (changed) { page = 0; pageFlippedAt = Date.now(); }
  current = v;
  draw(v, changed);
}

function draw(v, entering) {
  root.dataset.phase = v.phase;
  root.dataset.mode = mode(v);
  render($("#p-title"), v.title);
  render(phaseLabel, phaseText(v));
  lobby.hidden = v.phase !== "lobby";
  corner.hidden = v.phase === "lobby" || v.phase === "showcase" || !!v.locked;
  if (v.phase !== "lobby") knownNames = -1;

  const content = (PHASES[v.phase] || (() => el("p", {}, `Unknown phase ${v.phase}`)))(v);
  render(view$, content);
  view$.classList.toggle("is-entering", entering);
  tick(); // the timer's text first: layout measures it
  layout();
}

/** Fit the type to the screen after a render or a resize. */
function layout() {
  if (!current) return;
  if (mode(current) === "single") {
    view$.style.setProperty("--fit", "1");
    const qa = $("#p-qa");
    fit(qa, { start: 1.15, min: 0.45, step: 0.04 });
    if (qa) qa.classList.toggle("is-clipped", overflows(qa));
  } else if (current.phase === "lobby") {
    // The newest names at a readable size; fewer of them (more in "+N more") if they do not fit.
    fit(view$, { start: 1, min: 0.85 });
    while (lobbyCap > 4 && overflows(view$)) {
      lobbyCap -= 2;
      render(view$, showLobby(current, true));
    }
  } else {
    const n = Math.min(current.groups.length, perPage);
    fit(view$, { start: n <= 2 ? 1.6 : n <= 4 ? 1.35 : n <= 6 ? 1.15 : 1, min: 0.6 });
  }
}

function tick() {
  if (!current) return;
  const timer = $("#p-timer");
  if (timer && current.timer) {
    const left = current.timer.deadline - conn.now();
    // "Time’s up" is one phrase on its own: never under a "Time left" label.
    const text = left > 0 ? clock(left) : "Time’s up";
    if (timer.textContent !== text) timer.textContent = text;
    const label = $("#p-timer-label");
    if (label) label.hidden = left <= 0;
    timer.classList.toggle("is-low", left > 0 && left <= 60);
    timer.classList.toggle("is-over", left <= 0);
  }
  if (pageCount > 1 && Date.now() - pageFlippedAt >= PAGE_SECONDS * 1000) {
    page = (page + 1) % pageCount;
    pageFlippedAt = Date.now();
    draw(current, false);
  }
}

function message(title, ...lines) {
  document.body.classList.add("no-banner");
  render(root, el("main", { class: "p-message" },
    el("h1", {}, title),
    lines.map((line) => (line instanceof Node ? line : el("p", {}, line)))));
}

function refused(codeName, text) {
  if (codeName === "bad_key") {
    message("This projector link is not right",
      key ? "Its key does not match this session." : "The link has no key.",
      "Open the projector link that gamehub printed when it started (it ends with #key=…), or copy it from the facilitator screen.");
  } else if (codeName === "unknown_session") {
    message(`No session ${code}`, "This session does not exist (any more).",
      el("p", {}, el("a", { href: "/" }, "Go to the home page")));
  } else {
    message("Cannot show this session", text);
  }
  return false;
}

// Show the join URL with sensible line breaks even before the socket connects.
render($("#p-join-url"), breakableUrl(root.dataset.joinUrl));

const conn = connect({
  auth: () => ({ session: code, role: "projector", token: key }),
  onView: show,
  onRefused: refused,
  onDeleted: () => message("This session was deleted", "The facilitator deleted this session and all its data."),
});

startTicker(tick);
let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(layout, 100);
});
