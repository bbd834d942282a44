// The facilitator's control screen (docs/protocol.md, "Views: Facilitator" and the command
// table). Fully keyboard operable: native buttons, labelled inputs, and re-renders that keep
// focus where it was. Text from people goes in as text nodes only (dom.js).
import { $, clock, el, fragmentKey, pageCode, render } from "./dom.js";
import { connect, startTicker } from "./connection.js";

const code = pageCode();
const key = fragmentKey(code, "facilitator");

const PHASES = ["lobby", "groups", "stories", "planning", "showcase"];
const PHASE_NAMES = { lobby: "Lobby", groups: "Groups", stories: "Stories", planning: "Planning", showcase: "Showcase" };
const PHASE_HELP = {
  lobby: "People join by scanning the QR code on the projector. When everyone is in, form the groups.",
  groups: "Check the groups; move people if needed. Then pick one story per group.",
  stories: "Each group has a story. Re-roll a group’s story if needed, then start planning with a timer.",
  planning: "Groups choose a format and answer the four questions on their phones. Watch their progress below.",
  showcase: "The projector shows one group’s card at a time, or a gallery of all.",
};
// Going back from these phases loses something: ask first.
const BACK_CONFIRM = {
  groups: "Go back to the lobby? This dissolves the groups.",
  stories: "Go back to the groups? This undoes the story picks.",
};

let view = null; // the latest facilitator view
let renderQueued = false;
const busy = new Set(); // keys of commands in flight: their buttons stay disabled

// ---------------------------------------------------------------------------------------
// Status messages: one polite live region, errors stay until the next message.

const statusBox = $("#f-status");
let statusTimer = 0;

function say(text, { error = false } = {}) {
  clearTimeout(statusTimer);
  statusBox.classList.toggle("is-error", error);
  render(statusBox);
  // A fresh node, so the same message twice is announced twice.
  requestAnimationFrame(() => {
    render(statusBox, error ? el("strong", {}, "Error: ") : null, text,
      error ? el("button", { type: "button", class: "f-status-close", onclick: () => { render(statusBox); } }, "Dismiss") : null);
    if (!error && text) statusTimer = setTimeout(() => render(statusBox), 6000);
  });
}

/** Mark a button busy while its command is in flight. aria-disabled (not `disabled`) keeps the
 *  keyboard focus on it; clicks are ignored while busy (see run). */
function markBusy(button, isBusy) {
  if (!button) return;
  if (isBusy) { button.setAttribute("aria-disabled", "true"); button.setAttribute("aria-busy", "true"); }
  else { button.removeAttribute("aria-disabled"); button.removeAttribute("aria-busy"); }
}

/** Disable a button for a reason of state (not in flight); if it had the focus, hand the focus
 *  to the next usable button nearby, so a keyboard user is never dropped to the page top. */
function setDisabled(button, flag) {
  const hadFocus = flag && document.activeElement === button;
  button.disabled = flag;
  if (hadFocus) focusNear(button);
}

function focusNear(node) {
  const box = node.closest(".f-actions, .f-secondary, .f-panel");
  const target = box && [...box.querySelectorAll("button, select, input")].find(usable);
  if (target) target.focus();
}

const usable = (node) => !node.disabled && !node.closest("[hidden]") && node.getAttribute("aria-disabled") !== "true";

/** Send a command; its button is marked busy while it is in flight; every error is shown. */
async function run(event, payload = {}, { busyKey = event, button = null, done = "" } = {}) {
  if (busy.has(busyKey)) return null;
  busy.add(busyKey);
  markBusy(button, true);
  const ack = await conn.send(event, payload);
  busy.delete(busyKey);
  markBusy(button, false);
  renderAll();
  if (ack.ok) { if (done) say(done); } else say(errorText(ack.error), { error: true });
  return ack;
}

function errorText(error) {
  if (!error) return "The command failed";
  if (error.code === "rate_limited") {
    const wait = error.details && error.details.retry_after;
    return `Too many commands at once: wait ${wait ? `${Math.ceil(wait)} s` : "a moment"} and try again`;
  }
  return error.message || error.code || "The command failed";
}

// ---------------------------------------------------------------------------------------
// Helpers

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
const groupLabel = (g) => `Group ${g.number} · ${g.colour.name}`;
const TYPING_S = 5; // a group shows "typing…" this long after its last sheet update
/** Whether the group typed in its sheet a moment ago (active_at is server time). */
const typing = (g) => !!g.active_at && conn.now() - g.active_at < TYPING_S;
const person = (id) => (view && view.participants.find((p) => p.id === id)) || null;

/** Re-render a list of keyed children, reusing the nodes whose signature did not change and
 *  moving as little as possible, so focus and an open <select> survive a new view. */
function keyed(container, cache, items) {
  const active = document.activeElement;
  const focusKey = active && container.contains(active) ? active.dataset.focus : null;
  const focusIndex = focusKey ? [...container.children].findIndex((child) => child.contains(active)) : -1;
  const next = new Map();
  const nodes = items.map(({ key: k, sig, build }) => {
    const old = cache.get(k);
    const node = old && old.sig === sig ? old.node : build();
    next.set(k, { sig, node });
    return node;
  });
  let ref = container.firstChild;
  for (const node of nodes) {
    if (node === ref) { ref = ref.nextSibling; continue; }
    container.insertBefore(node, ref);
  }
  while (ref) { const after = ref.nextSibling; ref.remove(); ref = after; }
  cache.clear();
  for (const [k, v] of next) cache.set(k, v);
  if (focusKey && document.activeElement !== active) {
    // The same control in its rebuilt row; else the same kind of control in the row that took
    // the place of the one that went away; else the first control of the panel.
    let target = container.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
    const kind = focusKey.split(":")[0];
    const rows = [...container.children];
    if (!target && rows.length) {
      const row = rows[Math.min(Math.max(focusIndex, 0), rows.length - 1)];
      target = row.querySelector(`[data-focus^="${CSS.escape(kind)}:"]`) || row.querySelector("button, select");
    }
    if (!target) {
      const panel = container.closest(".f-panel");
      target = panel && [...panel.querySelectorAll("button, select, input, summary")].find(usable);
    }
    if (target) target.focus();
  }
}

function minutesFrom(input) {
  const value = Number(input.value);
  const ok = Number.isInteger(value) && value >= 1 && value <= 180;
  input.setAttribute("aria-invalid", ok ? "false" : "true");
  if (!ok) {
    say("Minutes must be a whole number from 1 to 180", { error: true });
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
    render(note, i === at ? "now" : i < at ? "done" : "");
  }
}

function renderControls(v) {
  render($("#f-phase-name"), PHASE_NAMES[v.phase] || v.phase);
  const n = v.participants.length;
  if (v.phase === "lobby") {
    const size = v.settings.group_size;
    const groups = Math.max(1, Math.floor(n / size + 0.5));
    render($("#f-phase-help"), PHASE_HELP.lobby, " ",
      n ? `With ${plural(n, "person", "people")} that makes ${plural(groups, "group", "groups")} of about ${size}.` : "Nobody has joined yet.");
  } else {
    render($("#f-phase-help"), PHASE_HELP[v.phase] || "");
  }

  // One box of actions per phase. If the focus was in a box that goes away (the phase moved
  // on), it goes to the new phase's main button.
  let lostFocus = false;
  for (const box of document.querySelectorAll(".f-actions")) {
    const hide = box.dataset.for !== v.phase;
    if (hide && !box.hidden && box.contains(document.activeElement)) lostFocus = true;
    box.hidden = hide;
  }

  for (const [id, busyKey] of [["btn-form-groups", "form_groups"], ["btn-pick-stories", "pick_stories"],
    ["btn-reshuffle", "reshuffle"], ["btn-start-planning", "start_planning"], ["btn-extend", "extend_timer"],
    ["btn-start-showcase", "start_showcase"], ["btn-prev", "showcase_step"], ["btn-next", "showcase_step"],
    ["btn-gallery", "showcase_gallery"], ["btn-back", "back"], ["btn-lock", "set_locked"], ["btn-add", "add_participant"]]) {
    markBusy($(`#${id}`), busy.has(busyKey));
  }

  const sc = v.showcase || { index: 0, gallery: false };
  const count = v.groups.length;
  setDisabled($("#btn-prev"), sc.index <= 0);
  setDisabled($("#btn-next"), sc.index >= count - 1);
  $("#btn-gallery").setAttribute("aria-pressed", sc.gallery ? "true" : "false");
  render($("#btn-gallery-state"), sc.gallery ? "on" : "off");
  const shown = v.groups[sc.index];
  render($("#f-showing"), "The projector shows: ",
    el("strong", {}, sc.gallery ? `all ${plural(count, "group", "groups")} (gallery)`
      : shown ? `${groupLabel(shown)} (${sc.index + 1} of ${count})` : "nothing"));

  const back = $("#btn-back");
  const at = PHASES.indexOf(v.phase);
  if (at <= 0 && !back.hidden && document.activeElement === back) lostFocus = true;
  back.hidden = at <= 0;
  if (at > 0) render(back, `Back to ${PHASE_NAMES[PHASES[at - 1]]}`);

  const lock = $("#btn-lock");
  render(lock, v.locked ? "Unlock joining" : "Lock joining");
  const lockState = $("#f-lock-state");
  render(lockState, v.locked ? "Joining is locked: new phones cannot join" : "Joining is open");
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
  render($("#f-counts"), `${plural(n, "person", "people")} in the session · ${online} of ${plural(phones, "phone", "phones")} online · ${plural(count, "group", "groups")}`);

  if (lostFocus) {
    const box = document.querySelector(`.f-actions[data-for="${v.phase}"]`);
    const target = box && ([...box.querySelectorAll("button.primary")].find(usable) || [...box.querySelectorAll("button")].find(usable));
    (target || lock).focus();
  }
  tick();
}

let typingShown = "";

function tick() {
  if (!view) return;
  // "typing…" goes away by itself a few seconds after a group's last update.
  const typingNow = view.groups.map(typing).join();
  if (typingNow !== typingShown) { typingShown = typingNow; queueRender(); }
  if (view.phase !== "planning") return;
  const timer = $("#f-timer");
  const text = view.timer ? (() => {
    const left = view.timer.deadline - conn.now();
    return left > 0 ? clock(left) : "time’s up";
  })() : "no timer";
  if (timer.textContent !== text) timer.textContent = text;
}

// ---------------------------------------------------------------------------------------
// Groups panel

const groupCache = new Map();

function groupCard(v, g) {
  const planning = PHASES.indexOf(v.phase) >= PHASES.indexOf("planning");
  const canReroll = v.phase === "stories" || v.phase === "planning";
  const story = g.story;
  const rerollKey = `reroll:${g.number}`;
  const onScreen = v.phase === "showcase" && v.showcase && !v.showcase.gallery && v.groups[v.showcase.index] === g;
  return el("article", { class: onScreen ? "f-group is-shown" : "f-group", style: { "--group": g.colour.hex }, "aria-labelledby": `f-group-${g.number}` },
    el("h3", { class: "f-group-head", id: `f-group-${g.number}` },
      el("span", { class: "f-swatch", "aria-hidden": "true" }),
      groupLabel(g),
      planning && typing(g) ? el("span", { class: "f-typing" }, "typing…") : null,
      el("span", { class: "f-group-size" }, plural(g.members.length, "person", "people"))),
    onScreen ? el("p", { class: "f-on-screen" }, "On the projector now") : null,
    el("p", { class: "f-group-members" },
      el("span", { class: "f-k" }, "Members: "),
      g.members.length ? g.members.map((m) => m.name).join(", ") : el("em", {}, "nobody")),
    PHASES.indexOf(v.phase) >= PHASES.indexOf("stories")
      ? el("div", { class: "f-group-story" },
        el("span", { class: "f-k" }, "Story: "),
        story ? [
          story.title ? el("strong", {}, `“${story.title}”`) : el("em", {}, "untitled"),
          ` by ${story.owner_name}`,
          story.pitch ? el("p", { class: "f-pitch" }, story.pitch) : null,
          el("p", { class: "f-small" }, `drawn from ${plural(story.candidates.length, "candidate", "candidates")}, draw #${story.draw}`),
        ] : el("em", {}, "none yet (one is picked when planning starts)"),
        canReroll ? el("button", {
          type: "button", class: "f-small-button", "data-focus": rerollKey,
          disabled: !g.members.length, "aria-disabled": busy.has(rerollKey) ? "true" : null,
          onclick: (e) => run("reroll_story", { group: g.number }, { busyKey: rerollKey, button: e.currentTarget,
            done: `Group ${g.number}: story re-rolled` }),
        }, "Re-roll story", el("span", { class: "visually-hidden" }, ` of group ${g.number}`)) : null)
      : null,
    planning ? [
      el("p", { class: "f-group-format" },
        el("span", { class: "f-k" }, "Format: "),
        g.format_name ? el("strong", {}, g.format_name) : el("em", {}, "not chosen yet"),
        el("span", { class: "f-small f-options" }, ` (options: ${g.formats.join(" · ")})`)),
      el("p", { class: "f-progress" },
        el("span", { class: "f-k" }, "Answered: "),
        el("progress", { max: "4", value: String(g.answered), "aria-label": `Group ${g.number} answered` }),
        ` ${g.answered}/4`),
      el("dl", { class: "f-answers" },
        v.questions.map((q, i) => {
          const a = g.answers[i] || { text: "", authors: [] };
          const authors = a.authors || [];
          return [
            el("dt", {}, `${i + 1}. ${q}`),
            el("dd", {}, a.text.trim()
              ? [el("span", { class: "f-answer-text" }, a.text),
                authors.length ? el("span", { class: "f-by" }, ` (by ${authors.join(", ")})`) : null]
              : el("em", { class: "f-empty" }, "no answer yet")),
          ];
        })),
    ] : null);
}

function renderGroups(v) {
  const note = $("#f-groups-note");
  if (!v.groups.length) {
    render(note, v.phase === "lobby" ? "Groups appear here once you form them." : "There are no groups.");
  } else {
    render(note, `${plural(v.groups.length, "group", "groups")}.`);
  }
  const phaseKey = `${v.phase}|${JSON.stringify(v.showcase)}|${v.questions.join("|")}`;
  keyed($("#f-groups"), groupCache, v.groups.map((g) => {
    const rerollBusy = busy.has(`reroll:${g.number}`);
    return { key: String(g.number), sig: `${phaseKey}|${rerollBusy}|${typing(g)}|${JSON.stringify(g)}`, build: () => groupCard(v, g) };
  }));
}

// ---------------------------------------------------------------------------------------
// Participants table

const rowCache = new Map();
const moveChoice = new Map(); // participant id -> the group chosen in its select (kept across renders)

function participantRow(v, p) {
  const canMove = ["groups", "stories", "planning"].includes(v.phase) && v.groups.length > 1;
  const removeKey = `remove:${p.id}`;
  const moveKey = `move:${p.id}`;
  const hideKey = `hide:${p.id}`;
  const renameKey = `rename:${p.id}`;
  const group = v.groups.find((g) => g.number === p.group);
  const connection = !p.has_phone ? el("span", { class: "f-na" }, el("span", { class: "f-dot", "aria-hidden": "true" }, "–"), " no phone")
    : p.connected ? el("span", { class: "f-online" }, el("span", { class: "f-dot", "aria-hidden": "true" }, "●"), " online")
      : el("span", { class: "f-offline" }, el("span", { class: "f-dot", "aria-hidden": "true" }, "○"), " offline");
  let move = null;
  if (canMove) {
    const targets = v.groups.filter((g) => g.number !== p.group);
    let chosen = moveChoice.get(p.id);
    if (!targets.some((g) => String(g.number) === chosen)) chosen = targets.length ? String(targets[0].number) : "";
    const select = el("select", {
      class: "f-move-select", "aria-label": `Move ${p.name} to group`, "data-focus": `select:${p.id}`,
      onchange: (e) => moveChoice.set(p.id, e.currentTarget.value),
    }, targets.map((g) => el("option", { value: String(g.number), selected: String(g.number) === chosen }, groupLabel(g))));
    move = el("span", { class: "f-move" }, select,
      el("button", {
        type: "button", class: "f-small-button", "data-focus": moveKey, "aria-disabled": busy.has(moveKey) ? "true" : null,
        onclick: (e) => {
          const target = Number(select.value);
          if (!target) return;
          moveChoice.delete(p.id);
          run("move_participant", { participant: p.id, group: target }, {
            busyKey: moveKey, button: e.currentTarget, done: `Moved ${p.name} to group ${target}`,
          });
        },
      }, "Move", el("span", { class: "visually-hidden" }, ` ${p.name}`)));
  }
  return el("tr", { class: p.has_phone && !p.connected ? "is-offline" : null },
    el("th", { scope: "row", class: "f-name" }, p.name,
      p.hidden ? el("span", { class: "f-badge" }, "hidden from the room") : null),
    el("td", { class: "f-story" }, p.title || el("span", { class: "f-empty" }, "—")),
    el("td", {}, p.opt_out ? "Opted out" : el("span", { class: "f-empty" }, "—")),
    el("td", { class: "f-group-cell" }, group
      ? [el("span", { class: "f-swatch", style: { "--group": group.colour.hex }, "aria-hidden": "true" }), `${group.number} · ${group.colour.name}`]
      : el("span", { class: "f-empty" }, "—")),
    el("td", {}, connection),
    el("td", {}, p.late ? "Late" : el("span", { class: "f-empty" }, "—")),
    el("td", { class: "f-row-actions" }, move,
      el("button", {
        type: "button", class: "f-small-button", "data-focus": hideKey, "aria-pressed": p.hidden ? "true" : "false",
        "aria-disabled": busy.has(hideKey) ? "true" : null,
        title: p.hidden ? "Their name, story and answers are hidden on the projector" : "Hide their name, story and answers on the projector",
        onclick: (e) => run("hide_text", { participant: p.id, hidden: !p.hidden }, {
          busyKey: hideKey, button: e.currentTarget,
          done: p.hidden ? `${p.name} is shown in the room again` : `${p.name} is hidden from the room`,
        }),
      }, p.hidden ? "Show" : "Hide", el("span", { class: "visually-hidden" }, ` ${p.name} ${p.hidden ? "in" : "from"} the room`)),
      el("button", {
        type: "button", class: "f-small-button", "data-focus": renameKey, "aria-disabled": busy.has(renameKey) ? "true" : null,
        onclick: (e) => {
          const name = prompt(`New name for ${p.name}:`, p.name);
          if (name === null || name.trim() === p.name) return;
          run("rename_participant", { participant: p.id, name }, {
            busyKey: renameKey, button: e.currentTarget, done: `Renamed ${p.name} to ${name.trim()}`,
          });
        },
      }, "Rename", el("span", { class: "visually-hidden" }, ` ${p.name}`)),
      el("button", {
        type: "button", class: "f-small-button f-remove", "data-focus": removeKey, "aria-disabled": busy.has(removeKey) ? "true" : null,
        onclick: (e) => {
          if (!confirm(`Remove ${p.name} from the session?${p.has_phone ? " Their phone cannot rejoin." : ""}`)) return;
          run("remove_participant", { participant: p.id }, { busyKey: removeKey, button: e.currentTarget, done: `Removed ${p.name}` });
        },
      }, "Remove", el("span", { class: "visually-hidden" }, ` ${p.name}`))));
}

function renderPeople(v) {
  const filter = $("#f-filter").value.trim().toLowerCase();
  const people = filter
    ? v.participants.filter((p) => p.name.toLowerCase().includes(filter) || p.title.toLowerCase().includes(filter))
    : v.participants;
  const online = v.participants.filter((p) => p.has_phone && p.connected).length;
  render($("#f-people-count"), `(${v.participants.length}; ${online} online)`);
  const empty = $("#f-people-empty");
  empty.hidden = people.length > 0;
  render(empty, v.participants.length ? "Nobody matches this search." : "Nobody has joined yet.");
  const groupsKey = `${v.phase}|${v.groups.map((g) => `${g.number}:${g.colour.name}`).join(",")}`;
  keyed($("#f-people"), rowCache, people.map((p) => ({
    key: p.id,
    sig: `${groupsKey}|${["remove", "move", "hide", "rename"].map((k) => busy.has(`${k}:${p.id}`)).join()}|${JSON.stringify(p)}`,
    build: () => participantRow(v, p),
  })));
}

// ---------------------------------------------------------------------------------------
// How picks were drawn

function renderDraws(v) {
  const names = (ids) => ids.map((id) => (person(id) || { name: id }).name).join(", ");
  render($("#f-draws-body"),
    el("p", {}, "Every random pick uses a generator seeded with ", el("code", {}, "<seed>:<purpose>:<draw>"),
      ", so each pick can be replayed and explained."),
    el("dl", { class: "f-draws-list" },
      el("dt", {}, "Seed"), el("dd", {}, el("code", {}, String(v.seed))),
      el("dt", {}, "Grouping draw"), el("dd", {}, v.grouping_draw === null || v.grouping_draw === undefined
        ? "groups not formed yet" : `#${v.grouping_draw}`),
      v.groups.filter((g) => g.story).map((g) => [
        el("dt", {}, `Group ${g.number} story`),
        el("dd", {}, `draw #${g.story.draw}: ${g.story.owner_name}, from ${names(g.story.candidates)}`),
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
  renderGroups(v);
  renderPeople(v);
  renderDraws(v);
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(renderAll);
}

/** A command that moves to another phase (renderControls moves the focus along). */
function phaseCommand(event, payload, button, _target, done) {
  return run(event, payload, { button, done });
}

function wire() {
  $("#btn-form-groups").addEventListener("click", (e) =>
    phaseCommand("form_groups", {}, e.currentTarget, "groups", "Groups formed"));
  $("#btn-pick-stories").addEventListener("click", (e) =>
    phaseCommand("pick_stories", {}, e.currentTarget, "stories", "Stories picked"));
  $("#btn-reshuffle").addEventListener("click", (e) =>
    run("reshuffle", {}, { button: e.currentTarget, done: "Groups reshuffled" }));
  $("#btn-start-planning").addEventListener("click", (e) => {
    const minutes = minutesFrom($("#plan-minutes"));
    if (minutes !== null) phaseCommand("start_planning", { minutes }, e.currentTarget, "planning", `Planning started: ${minutes} minutes`);
  });
  $("#btn-extend").addEventListener("click", (e) => {
    const minutes = minutesFrom($("#extend-minutes"));
    if (minutes !== null) run("extend_timer", { minutes }, { button: e.currentTarget, done: `Timer extended by ${minutes} minutes` });
  });
  $("#btn-start-showcase").addEventListener("click", (e) =>
    phaseCommand("start_showcase", {}, e.currentTarget, "showcase", "Showcase started"));
  $("#btn-prev").addEventListener("click", (e) =>
    run("showcase_step", { delta: -1 }, { button: e.currentTarget }));
  $("#btn-next").addEventListener("click", (e) =>
    run("showcase_step", { delta: 1 }, { button: e.currentTarget }));
  $("#btn-gallery").addEventListener("click", (e) =>
    run("showcase_gallery", { on: !(view && view.showcase && view.showcase.gallery) }, { button: e.currentTarget }));
  $("#btn-back").addEventListener("click", (e) => {
    if (!view) return;
    const at = PHASES.indexOf(view.phase);
    if (at <= 0) return;
    if (BACK_CONFIRM[view.phase] && !confirm(BACK_CONFIRM[view.phase])) return;
    phaseCommand("back", {}, e.currentTarget, PHASES[at - 1], `Back to ${PHASE_NAMES[PHASES[at - 1]]}`);
  });
  $("#btn-lock").addEventListener("click", (e) => {
    const locked = !(view && view.locked);
    run("set_locked", { locked }, { button: e.currentTarget, done: locked ? "Joining locked" : "Joining unlocked" });
  });

  $("#btn-copy-join").addEventListener("click", () => view && copy(view.links.join, "Join link copied"));
  $("#btn-copy-projector").addEventListener("click", () => view && copy(view.links.projector, "Projector link copied"));

  $("#f-filter").addEventListener("input", () => { if (view) renderPeople(view); });

  const form = $("#f-add-form");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("#add-name");
    if (!name.value.trim()) {
      name.setAttribute("aria-invalid", "true");
      say("Give the person’s name", { error: true });
      name.focus();
      return;
    }
    name.setAttribute("aria-invalid", "false");
    const payload = {
      name: name.value, title: $("#add-title").value, pitch: $("#add-pitch").value, opt_out: $("#add-optout").checked,
    };
    const ack = await run("add_participant", payload, { button: $("#btn-add") });
    if (ack && ack.ok) {
      say(`Added ${payload.name.trim()}${ack.group ? ` to group ${ack.group}` : ""}`);
      form.reset();
      name.focus();
    }
  });

  for (const input of document.querySelectorAll('.f-export input[name="key"]')) input.value = key || "";

  const dialog = $("#f-delete-dialog");
  const codeInput = $("#f-delete-code");
  const dialogError = $("#f-delete-error");
  $("#btn-delete").addEventListener("click", () => {
    codeInput.value = "";
    render(dialogError);
    if (typeof dialog.showModal === "function") dialog.showModal();
    else { deleteByPrompt(); return; }
    codeInput.focus();
  });
  $("#btn-delete-cancel").addEventListener("click", () => dialog.close());
  $("#f-delete-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (codeInput.value.trim().toUpperCase() !== code) {
      render(dialogError, `That is not the room code. Type ${code} to delete the session.`);
      codeInput.setAttribute("aria-invalid", "true");
      codeInput.focus();
      return;
    }
    codeInput.setAttribute("aria-invalid", "false");
    const button = $("#btn-delete-confirm");
    button.disabled = true;
    const ack = await conn.sendRaw("delete_session", { confirm: code });
    button.disabled = false;
    if (!ack.ok) render(dialogError, errorText(ack.error));
    else { dialog.close(); deleted(); }
  });
}

async function deleteByPrompt() {
  const typed = prompt(`Type the room code ${code} to delete this session and all its data:`);
  if (typed === null) return;
  if (typed.trim().toUpperCase() !== code) { say("Not deleted: that was not the room code", { error: true }); return; }
  const ack = await conn.sendRaw("delete_session", { confirm: code });
  if (!ack.ok) say(errorText(ack.error), { error: true });
  else deleted();
}

async function copy(text, done) {
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
    await navigator.clipboard.writeText(text);
    $("#f-copy-fallback").hidden = true;
    say(done);
  } catch {
    // Plain HTTP on a LAN address has no clipboard API: let the facilitator copy by hand.
    const box = $("#f-copy-fallback");
    const input = $("#f-copy-text");
    box.hidden = false;
    input.value = text;
    input.focus();
    input.select();
    say("Copying is not available here: the link is selected below, press Ctrl+C (or ⌘C) to copy it");
  }
}

// ---------------------------------------------------------------------------------------
// Connection

function setConnection(state) {
  const labels = { connecting: "Connecting…", online: "Connected", reconnecting: "Reconnecting…" };
  const box = $("#f-conn");
  if (!box) return;
  box.dataset.state = state;
  render($("#f-conn-text"), labels[state] || state);
}

function message(title, ...lines) {
  document.body.classList.add("no-banner");
  const dialog = $("#f-delete-dialog");
  if (dialog && dialog.open) dialog.close();
  render($("#facilitator"), el("main", { class: "f-message narrow" },
    el("h1", {}, title),
    lines.map((line) => (line instanceof Node ? line : el("p", {}, line)))));
}

let wasDeleted = false;
function deleted() {
  if (wasDeleted) return;
  wasDeleted = true;
  message("This session was deleted", `Session ${code} and all its data are gone.`,
    el("p", {}, el("a", { href: "/" }, "Go to the home page")));
}

function refused(codeName, text) {
  if (codeName === "bad_key") {
    message("This facilitator link is not right",
      key ? "Its key does not match this session." : "The link has no key (it should end with #key=…).",
      "Use the facilitator link gamehub printed when the session was made. To make a new one, run:",
      el("pre", {}, el("code", {}, `gamehub sessions key ${code}`)));
  } else if (codeName === "unknown_session") {
    message(`No session ${code}`, "This session does not exist (any more).",
      el("p", {}, el("a", { href: "/" }, "Go to the home page")));
  } else {
    message("Cannot open this session", text);
  }
  return false;
}

wire();
const conn = connect({
  auth: () => ({ session: code, role: "facilitator", token: key }),
  onView: (v) => { view = v; queueRender(); },
  onStatus: setConnection,
  onRefused: refused,
  onDeleted: deleted,
});
// `gamehub sessions key CODE` replaced this link's key: say so, and do not reconnect.
conn.socket.on("key_rotated", () => {
  conn.socket.disconnect();
  message("This facilitator link was replaced",
    "Someone made a new facilitator link for this session (gamehub sessions key), so this one no longer works.",
    "Open the new link to go on.");
});
startTicker(tick);
