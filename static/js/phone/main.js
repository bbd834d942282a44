// The phone screen: join, then follow the game with the group (docs/protocol.md, "Phone").
// Screens are built once and patched on each view, so nothing the member is typing in is
// ever rebuilt under their fingers; the shared sheet lives in sheet.js (a Yjs document).
import { el, render, clock, pageCode, $, storage } from "../shared/dom.js";
import { connect, startTicker } from "../shared/connection.js";
import { createSheet } from "./sheet.js";
import { joinScreen } from "./join.js";
import { createNotices } from "./notices.js";
import { createMessage } from "./message.js";
import { createHelp } from "./help.js";
import { endedKey, endedMark, removedThanks, thanksScreen } from "./ending.js";
import { voteScreen, voteTitle } from "./vote.js";
import { createFollow } from "./showcase.js";
import { heading, message, badge, groupHeader, storyCard, lobbyScreen, groupsScreen, storiesScreen } from "./screens.js";
import { t, tn, followRoom, listOf } from "../shared/i18n.js";
import "./language.js";

const CODE = pageCode();
const KEYS = {
  token: `gamehub:${CODE}:token`,
  pending: `gamehub:${CODE}:token-pending`, // made and sent with a join that has no ack yet
  form: `gamehub:${CODE}:join-form`,
};
const app = $("#app");
const statusLine = $("#conn-status");
const deckTitle = ($(".deck-title") || {}).textContent || "gamehub";

let view = null;     // the latest view
let screen = null;   // {key, node, update(view)}
let final = null;    // a screen nothing comes after: removed / ended / broken
let joinNotice = ""; // a sentence shown above the join form
let timerNode = null;
let lastFormat = null; // {sheet, format} last shown, to tell the member when a groupmate changes it
let removedAfterEnd = false; // removed, and the game has ended since: thank them all the same

const token = () => storage.get(KEYS.token);

function showStatus(status) {
  const text = { online: t("Connected"), connecting: t("Connecting…"), off: t("Not connected"),
    reconnecting: t("Reconnecting… what you type is kept on this phone") }[status] || status;
  statusLine.dataset.state = status;
  render($(".conn-text", statusLine), text);
}
function forgetIdentity() {
  storage.del(KEYS.token);
  storage.del(KEYS.pending);
}

// What happened to this phone (a new story, moved, more time...): told once (notices.js).
const notices = createNotices(CODE);

// The sheet is made first (the connection reports its status at once); it reaches the
// connection through this small handle.
let conn = null;
const sheet = createSheet({
  conn: { get connected() { return !!conn && conn.connected; }, send: (...args) => conn.send(...args) },
  code: CODE,
  onGone: () => end("ended"),
  // Whether this phone's last changes reached the server: the showcase card says so.
  onChange: () => { if (screen && screen.key.startsWith("showcase")) draw(); },
});

// The facilitator's message and the group's "Ask for help" (docs/protocol.md, "Room tools").
const roomTools = [createMessage(CODE), createHelp({ send: (...args) => conn.send(...args) })];

conn = connect({
  auth: () => {
    const mine = token();
    return mine ? { session: CODE, role: "phone", token: mine } : { session: CODE, role: "phone" };
  },
  onView(next) {
    view = next;
    followRoom(view.language);
    if (view.status === "removed") { end("removed"); return; } // final: nothing will follow
    if (view.status === "joined") storage.del(KEYS.pending);
    if (view.status === "joined" && view.group) sheet.view(view);
    noticeFormat(view);
    draw();
    // After the screen shows the view: what happened to this phone since the last one.
    if (!final) notices.check(view, conn.now());
  },
  onStatus(status) {
    if (final) return;
    showStatus(status);
    if (status === "online") sheet.online(); else sheet.offline();
    if (screen && screen.key.startsWith("showcase")) draw();
  },
  onRefused(code, text, data = {}) {
    if (code === "unknown_participant") {
      const neverJoined = storage.get(KEYS.pending) === "1";
      forgetIdentity();
      joinNotice = neverJoined
        ? t("Your join did not reach the session. Check your details and press Join again.")
        : t("This session doesn't know this phone any more. Join again.");
      return true; // reconnect as a guest: the join form comes with the next view
    }
    if (code === "removed") { removedAfterEnd = !!data.ended; return end("removed"); }
    if (code === "unknown_session") return end("ended");
    return end("broken");
  },
  onDeleted() { end("ended"); },
});
sheet.listen(conn.socket);
const follow = createFollow(conn); // the showcase: the group on the big screen, and reactions

function end(kind) {
  if (kind === "ended") { forgetIdentity(); sheet.forget(); storage.del(KEYS.form); notices.forget(); storage.set(endedMark(CODE), "1"); }
  notices.clear(); // nothing before this screen matters any more
  final = kind;
  if (conn) conn.socket.disconnect();
  document.body.dataset.connection = "none"; // no "Reconnecting…" banner: nothing will reconnect
  showStatus("off");
  draw();
  return false;
}

// -- a groupmate chose the format: say so politely, without taking the focus ------------

const say = (text) => notices.say(text);

const formatName = (g) => (g.format === null || g.format === undefined ? null : g.formats[g.format]);

function noticeFormat(v) {
  const g = v.status === "joined" ? v.group : null;
  if (!g || v.phase !== "planning") { lastFormat = null; return; }
  const before = lastFormat;
  lastFormat = { sheet: g.sheet, format: g.format };
  // Only a change seen on this screen: not the format found on arrival, nor our own choice.
  if (!before || before.sheet !== g.sheet || before.format === g.format || g.format === null) return;
  const by = g.format_by;
  if (!by || (v.me && by.id === v.me.id)) return;
  say(before.format === null ? t("{name} chose {format} for your group.", { name: by.name, format: formatName(g) })
    : t("{name} changed your group's format to {format}.", { name: by.name, format: formatName(g) }));
}

// -- choosing and drawing the screen ----------------------------------------------------

function keyOf(v) {
  if (final) return final;
  if (!v) return "loading";
  if (v.status === "removed") return "removed";
  if (v.ended_at) return endedKey(v);
  if (v.status === "guest") return "join";
  if (v.vote) return "vote"; // people's choice: while a vote is open it is the phone's screen
  if (!v.group) return "lobby";
  return `${v.phase === "lobby" ? "groups" : v.phase}:${v.group.number}`;
}

const joinContext = {
  get conn() { return conn; },
  keys: KEYS, token, end, forgetIdentity, heading: (text) => heading(text),
  notice: () => joinNotice,
  noticed: () => { joinNotice = ""; },
};

const SCREENS = {
  join: () => joinScreen(joinContext), lobby: lobbyScreen, groups: groupsScreen, stories: storiesScreen,
  planning: planningScreen, showcase: showcaseScreen, thanks: () => thanksScreen({ unsent: unsentNote }),
  vote: () => voteScreen({ send: (...args) => conn.send(...args), heading }),
  removed: () => removedAfterEnd ? removedThanks() : message("removed", t("The facilitator removed you from this session"),
    t("This phone is no longer in the game, and cannot join it again."),
    el("p", {}, t("If that was a mistake, talk to the facilitator: they can add you back by hand."))),
  // This page only opens for a session that exists: if it is gone now, it was closed, not mistyped.
  ended: () => message("ended", t("This session has ended"),
    t("The facilitator closed it and its data was deleted. Thank you for playing."), el("a", { class: "button primary full", href: "/" }, t("Enter a room code"))),
  broken: () => message("broken", t("This link does not work"),
    t("The page could not connect to the session. Scan the QR code again."), el("a", { class: "button full", href: "/" }, t("Enter a room code"))),
};

function draw() {
  const key = keyOf(view);
  if (key === "loading") return;
  if (!screen || screen.key !== key) {
    if (screen && screen.key.startsWith("planning")) sheet.leave();
    const hadFocus = app.contains(document.activeElement);
    const first = !screen;
    const made = SCREENS[key.split(":")[0]]();
    screen = { key, ...made };
    timerNode = made.timer || null;
    render(app, made.node);
    if (made.update) made.update(view);
    // Tell screen readers (and eyes) that the screen changed, but never grab a focused field.
    // A final screen (removed, ended) always takes the focus: nothing else is left to do.
    if (!first && (hadFocus || document.activeElement === document.body || final)) {
      const heading = $("h1", app);
      if (heading) heading.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  } else if (screen.update) {
    screen.update(view);
  }
  document.title = titleFor(key);
  for (const tool of roomTools) tool.view(final ? null : view);
  tick();
}

function titleFor(key) {
  const [kind, number] = key.split(":");
  const prefix = { join: t("Join"), lobby: t("You're in"), removed: t("Removed"), ended: t("Ended"), thanks: t("Thank you"),
    broken: t("Link problem"), vote: voteTitle() }[kind]
    || (number ? t("Group {n}", { n: number }) : "");
  return prefix ? `${prefix} · ${view ? view.title : deckTitle}` : deckTitle;
}

function tick() {
  if (!timerNode) return;
  const timer = view && view.timer;
  if (!timer) { timerNode.hidden = true; return; }
  timerNode.hidden = false;
  const left = timer.deadline - conn.now();
  const up = left <= 0;
  timerNode.dataset.state = up ? "up" : left < 60 ? "low" : "running";
  const text = up ? t("Time's up") : t("{time} left", { time: clock(left) });
  if (timerNode.textContent !== text) timerNode.textContent = text;
}
startTicker(tick);

function planningScreen() {
  const timer = el("p", { class: "timer", role: "timer", hidden: true });
  const bar = el("div", { class: "sticky-bar" });
  const storySummary = el("summary");
  const storyBody = el("div", { class: "story" });
  const formats = el("div", { class: "formats", role: "group", "aria-labelledby": "formats-h" });
  const formatNote = el("p", { class: "error-text", role: "alert" });
  const formatBy = el("p", { class: "format-by" });
  const instructions = el("p", { class: "instructions" });
  const sheetSlot = el("div");
  let built = false;
  let choosing = null; // index chosen here, until the view shows it

  async function choose(index) {
    choosing = index;
    formatNote.textContent = "";
    paintFormats(view.group);
    const ack = await conn.send("choose_format", { format: index });
    choosing = null;
    if (!ack.ok) {
      formatNote.textContent = {
        offline: t("Not sent: you are offline. Tap again when you are back."),
        rate_limited: t("Too many taps at once: wait a moment, then tap again."),
      }[ack.error.code] || t("Not chosen: {reason}", { reason: ack.error.message || ack.error.code });
    }
    paintFormats(view.group);
  }

  function paintFormats(g) {
    const chosen = choosing !== null ? choosing : g.format;
    const buttons = [...formats.children];
    // Patched in place: a button that is re-made under the thumb loses the tap and the focus.
    g.formats.forEach((name, i) => {
      const button = buttons[i] || formats.appendChild(el("button", { type: "button", class: "format", onclick: () => choose(i) },
        el("span", { class: "format-name" }), el("span", { class: "format-mark" })));
      button.setAttribute("aria-pressed", String(chosen === i));
      button.children[0].textContent = name;
      button.children[1].textContent = chosen === i ? (choosing === i ? t("✓ Choosing…") : t("✓ Chosen")) : t("Choose");
    });
    const by = g.format_by;
    const mine = by && view.me && by.id === view.me.id;
    formatBy.textContent = choosing !== null ? "" : g.format === null || g.format === undefined ? t("Nobody has chosen yet.")
      : !by ? t("Chosen: {format}", { format: formatName(g) })
        : mine ? t("You chose {format}.", { format: formatName(g) }) : t("{name} chose {format}.", { name: by.name, format: formatName(g) });
  }

  return {
    timer,
    node: el("section", { class: "screen screen-planning" }, bar,
      heading(t("Plan together")),
      instructions,
      el("details", { class: "card story-box", open: true }, storySummary, storyBody),
      el("h2", { id: "formats-h" }, t("1. Choose a format")),
      el("p", { class: "hint" }, t("Anyone in the group can choose; everyone sees it at once.")),
      formats, formatBy, formatNote,
      el("h2", {}, t("2. Answer together")),
      el("p", { class: "hint" }, t("Everyone in your group edits these same answers, at the same time. They save by themselves.")),
      sheetSlot),
    update(v) {
      const g = v.group;
      if (!built) {
        render(bar, groupHeader(g, { timer }));
        render(sheetSlot, sheet.build(v));
        built = true;
      }
      render(storySummary, !g.story ? t("The story: not picked yet")
        : g.story.title ? t("The story: {title}", { title: g.story.title })
          : g.story.mine ? t("Your story") : t("The story of {name}", { name: g.story.owner_name }));
      render(storyBody, g.story ? storyCard(g.story, { title: false }) : el("p", { class: "muted" }, t("The facilitator is picking a story.")));
      paintFormats(g);
      render(instructions, g.instructions || "");
    },
  };
}

/** This phone's changes that are not on the server (yet): said plainly, and shown. */
function unsentNote() {
  const report = sheet.report();
  if (!report) return null;
  const which = listOf(report.questions.map((q) => q + 1));
  const answers = tn("answer {list}", "answers {list}", report.questions.length, { list: which });
  const late = report.state === "late";
  return el("div", { class: late ? "unsent is-late" : "unsent", role: "status" },
    el("p", { class: "unsent-title" }, late
      ? t("Your last changes to {answers} did not reach the server before the sheet closed.", { answers })
      : conn.connected ? t("Sending your last changes to {answers}…", { answers })
        : t("Your last changes to {answers} are not sent yet: they will be when you are back online.", { answers })),
    late ? el("p", {}, t("They are not on the big screen or in the results, but they are kept on this phone:")) : null,
    late ? report.questions.map((q, i) => el("p", { class: "unsent-text" },
      el("strong", {}, `${q + 1}. `), report.texts[i] || t("(empty)"))) : null);
}

function showcaseScreen() {
  const card = el("article", { class: "card showcase-card" });
  const unsent = el("div");
  return {
    node: el("section", { class: "screen screen-showcase" }, follow.node, unsent, card),
    update(v) {
      follow.update(v);
      render(unsent, unsentNote());
      const g = v.group;
      const format = g.format === null || g.format === undefined ? t("No format chosen") : g.formats[g.format];
      render(card,
        el("div", { class: "card-head" }, badge(g, "small"),
          el("p", {}, el("strong", {}, t("Group {n}", { n: g.number })), ` · ${t(g.colour.name)}`)),
        el("p", { class: "card-label" }, t("Story")),
        g.story ? storyCard(g.story) : el("p", { class: "muted" }, t("No story")),
        el("p", { class: "card-label" }, t("Format")),
        el("p", { class: "format-chosen" }, format),
        g.format_by ? el("p", { class: "muted format-by" }, (view.me && g.format_by.id === view.me.id ? t("Chosen by you") : t("Chosen by {name}", { name: g.format_by.name }))) : null,
        el("dl", { class: "answers" }, g.questions.map((q, i) => [
          el("dt", {}, `${i + 1}. ${q}`),
          el("dd", {}, (g.answers && g.answers[i] && g.answers[i].text) || el("span", { class: "muted" }, t("(no answer)"))),
        ])));
    },
  };
}

// Send (and keep) unsent text when the phone locks, the tab goes to the background or the page
// is left.
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") sheet.flushAll(); });
window.addEventListener("pagehide", () => sheet.flushAll());
