// The organiser's home (docs/organiser.md): sessions and decks, through the JSON API.
// The key comes from the URL fragment and goes only into an Authorization header (and the
// export form's body), never into a URL the server sees. It leaves the address bar at once
// (kept for this tab, so a reload still works), and no link this page makes carries it: a
// control screen opens with that session's own facilitator link. Every name is set as text.

import { $, el, fragmentKey, render } from "../shared/dom.js";
import { createDecks } from "./decks.js";
import { language, t, tn } from "../shared/i18n.js";

const KEY = fragmentKey("home", "organiser") || "";
const PHASES = { lobby: t("Lobby"), groups: t("Groups"), stories: t("Stories"), planning: t("Planning"), showcase: t("Showcase") };
let home = null; // the last /home reply

function say(text, { error = false } = {}) {
  const status = $("#o-status");
  status.textContent = text;
  status.classList.toggle("is-error", error);
}

/** Calls the API; resolves to {ok, status, data}. A network failure is a status of 0. */
export async function api(method, path, body, { raw = null } = {}) {
  const headers = { Authorization: `Bearer ${KEY}` };
  let payload;
  if (raw !== null) { headers["Content-Type"] = "application/yaml"; payload = raw; }
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  try {
    const response = await fetch(`/organiser/api${path}`, { method, headers, body: payload, cache: "no-store" });
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (response.status === 403 || response.status === 429) refused(data);
    return { ok: response.ok, status: response.status, data };
  } catch {
    return { ok: false, status: 0, data: { error: { message: t("The server cannot be reached: is gamehub serve running?") } } };
  }
}

/** Show `message` next to the field `prefix`-`field` (or the form's own line), marking the input. */
export function fieldError(prefix, field, message) {
  const id = field ? `${prefix}-${String(field).replaceAll(".", "-")}` : null;
  let target = id && document.getElementById(`err-${id}`);
  const input = id && document.getElementById(id);
  if (!target) target = document.getElementById(`err-${prefix}-form`);
  target.textContent = message;
  target.hidden = false;
  if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
  else target.setAttribute("tabindex", "-1"), target.focus();
}

export function clearErrors(root) {
  for (const node of root.querySelectorAll(".o-error")) { node.hidden = true; node.textContent = ""; }
  for (const node of root.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

function refused(data) {
  $("#o-home").hidden = true;
  $("#o-refused").hidden = false;
  if (data && data.error && data.error.code === "rate_limited") {
    $("#o-refused-text").textContent = data.error.message;
  }
  say(t("Refused"), { error: true });
}

// Written by the browser for the page's language (Intl), inside <time>: not catalog words.
const when = (seconds) => {
  const date = new Date(seconds * 1000);
  return el("time", { datetime: date.toISOString() }, date.toLocaleString(language, { dateStyle: "short", timeStyle: "short" }));
};

function linkList(links) {
  const rows = [[t("Join (phones)"), links.join], [t("Projector"), links.projector], [t("Facilitator"), links.facilitator]];
  return rows.filter(([, url]) => url).map(([label, url]) =>
    [el("dt", {}, label), el("dd", {}, el("a", { href: url, target: "_blank", rel: "noopener" }, url))]);
}

async function reload(message) {
  const reply = await api("GET", "/home");
  if (!reply.ok) { if (reply.status !== 403 && reply.status !== 429) say(reply.data.error.message, { error: true }); return; }
  home = reply.data;
  $("#o-refused").hidden = true;
  $("#o-home").hidden = false;
  renderSessions();
  decks.render(home.decks);
  fillDeckChoice();
  say(message || `${tn("{n} session", "{n} sessions", home.sessions.length)}, ${tn("{n} deck", "{n} decks", home.decks.length)}`);
}

function fillDeckChoice() {
  const select = $("#new-deck");
  const chosen = select.value;
  render(select, home.decks.map((d) => el("option", { value: d.id }, d.id === "workshop" ? t("{name} (built in)", { name: d.name }) : d.name)));
  if (home.decks.some((d) => d.id === chosen)) select.value = chosen;
}

// -- sessions ----------------------------------------------------------------------------

function exportForm(code) {
  // POSTed with the key in the body, as the facilitator screen does: never in a URL.
  const select = el("select", { id: `export-${code}`, name: "format", "aria-label": t("Export format for {code}", { code }) },
    ["md", "csv", "json", "print"].map((f) => el("option", { value: f }, f === "print" ? t("print cards") : f)));
  const form = el("form", { method: "post", action: `/s/${code}/export`, class: "o-export" },
    el("input", { type: "hidden", name: "key", value: KEY }), select,
    el("button", { type: "submit", "aria-label": t("Export {code}", { code }) }, t("Export")));
  form.addEventListener("submit", () => { form.target = select.value === "print" ? "_blank" : ""; });
  return form;
}

function deleteBox(code, row) {
  const box = el("div", { class: "o-confirm", role: "group", "aria-label": t("Delete session {code}", { code }) });
  const input = el("input", { type: "text", id: `delete-${code}`, autocomplete: "off", spellcheck: "false",
    "aria-describedby": `err-delete-${code}` });
  const error = el("p", { class: "o-error", id: `err-delete-${code}`, hidden: true });
  const cancel = el("button", { type: "button", onclick: () => { box.remove(); row.querySelector(".o-delete").focus(); } }, t("Cancel"));
  const confirm = el("button", { type: "button", class: "danger", onclick: async () => {
    confirm.disabled = true; say(t("Deleting {code}…", { code }));
    const reply = await api("DELETE", `/sessions/${code}`, { confirm: input.value });
    confirm.disabled = false;
    if (reply.ok) { await reload(t("Deleted session {code} and all its data.", { code })); $("#o-sessions-title").focus(); return; }
    error.textContent = reply.data.error.message; error.hidden = false; input.setAttribute("aria-invalid", "true"); input.focus();
    say(reply.data.error.message, { error: true });
  } }, t("Delete for good"));
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); confirm.click(); } if (e.key === "Escape") cancel.click(); });
  render(box, el("label", { for: `delete-${code}` }, `Type ${code} to delete it and everything in it`), input, error,
    el("div", { class: "o-buttons" }, confirm, cancel));
  return { box, input };
}

/** Opens the control screen of `code` in a new tab with the session's own facilitator link.
 *  The tab is opened at the click (a tab opened after an await may be blocked) and sent to the
 *  link once the server gave it; `replace` makes a new link when the server keeps none. */
async function openControl(code, row, replace = false) {
  const tab = window.open("about:blank", "_blank");
  if (tab) tab.opener = null;
  const reply = await api("POST", `/sessions/${code}/facilitator`, replace ? { replace: true } : {});
  if (reply.ok) {
    if (tab) tab.location.href = reply.data.link; else location.href = reply.data.link;
    if (reply.data.made) say(t("A new facilitator link for {code}: control screens open with the old one were closed.", { code }));
    return;
  }
  if (tab) tab.close();
  if (reply.status !== 409) { if (reply.status !== 403 && reply.status !== 429) say(reply.data.error.message, { error: true }); return; }
  if (row.querySelector(".o-newlink")) return;
  const box = el("div", { class: "o-confirm o-newlink", role: "group", "aria-label": t("New facilitator link for {code}", { code }) });
  const cancel = el("button", { type: "button", onclick: () => box.remove() }, t("Cancel"));
  const make = el("button", { type: "button", class: "danger", onclick: () => { box.remove(); openControl(code, row, true); } },
    t("Make a new link"));
  render(box, el("p", {}, t("This server does not keep the facilitator link of {code} (made on another machine, or lost). A new link closes the control screens open with the old one.", { code })),
    el("div", { class: "o-buttons" }, make, cancel));
  row.querySelector(".o-actions").append(box);
  cancel.focus();
}

function sessionRow(s) {
  const row = el("tr", { "data-code": s.code });
  const again = el("button", { type: "button", onclick: async () => {
    again.disabled = true; say(t("Opening a session like {code}…", { code: s.code }));
    const reply = await api("POST", `/sessions/${s.code}/again`);
    again.disabled = false;
    if (reply.ok) showMade(reply.data.session, t("Run again: session {code}, like {like}", { code: reply.data.session.code, like: s.code }));
    else say(reply.data.error.message, { error: true });
  } }, t("Run again"));
  const remove = el("button", { type: "button", class: "o-delete", onclick: () => {
    const open = row.querySelector(".o-confirm");
    if (open) { open.querySelector("input").focus(); return; }
    const { box, input } = deleteBox(s.code, row);
    row.querySelector(".o-actions").append(box); input.focus();
  } }, t("Delete…"));
  return render(row,
    el("th", { scope: "row" }, el("span", { class: "o-code" }, s.code)),
    el("td", {}, s.deck), el("td", {}, PHASES[s.phase] || s.phase), el("td", { class: "o-num" }, String(s.people)),
    el("td", {}, when(s.created)), el("td", {}, when(s.last_activity)),
    el("td", {}, el("div", { class: "o-actions" },
      el("button", { type: "button", onclick: () => openControl(s.code, row) }, t("Open control screen")),
      el("a", { class: "button", href: s.links.projector, target: "_blank", rel: "noopener" }, t("Open projector")),
      exportForm(s.code), again, remove)));
}

function renderSessions() {
  const body = $("#o-sessions tbody");
  render(body, home.sessions.map(sessionRow));
  $("#o-sessions-empty").hidden = home.sessions.length > 0;
  $("#o-sessions").hidden = home.sessions.length === 0;
}

async function showMade(session, title) {
  await reload(t("{title}. Its links are below.", { title }));
  render($("#o-made-title"), title);
  render($("#o-made-links"), linkList(session.links));
  $("#o-made").hidden = false;
  $("#o-made").focus();
}

function wireNew() {
  const form = $("#o-new");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const number = (name) => { const v = form.elements[name].value.trim(); return v === "" || isNaN(Number(v)) ? v : Number(v); };
    const body = {
      deck: form.elements.deck.value, group_size: number("group_size"), planning_minutes: number("planning_minutes"),
      max_participants: number("max_participants"), language: form.elements.language.value,
      blocked_words: form.elements.blocked_words.value.split("\n").map((w) => w.trim()).filter(Boolean),
    };
    const button = $("#o-new-submit");
    button.disabled = true; say(t("Opening a session…"));
    const reply = await api("POST", "/sessions", body);
    button.disabled = false;
    if (reply.ok) { showMade(reply.data.session, t("Session {code} is open", { code: reply.data.session.code })); return; }
    if (reply.status === 403 || reply.status === 429) return;
    fieldError("new", reply.data.error.field, reply.data.error.message);
    say(t("Not opened: {reason}", { reason: reply.data.error.message }), { error: true });
  });
}

function fillDefaults() {
  const form = $("#o-new");
  for (const name of ["group_size", "planning_minutes", "max_participants"]) form.elements[name].value = home.defaults[name];
  form.elements.blocked_words.value = home.defaults.blocked_words.join("\n");
  if (home.defaults.language) form.elements.language.value = home.defaults.language;
}

const decks = createDecks({ api, say, fieldError, clearErrors, reload });

async function start() {
  if (!KEY) { refused(null); return; }
  wireNew();
  decks.wire();
  await reload();
  if (home) fillDefaults();
}

start();
