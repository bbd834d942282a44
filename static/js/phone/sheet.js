// The group sheet on a phone: the four answers as one shared Yjs document per sheet id,
// kept in localStorage and synced with the server as docs/protocol.md says ("The group sheet:
// a shared Yjs document"). The answers on screen, with a status each that only says what is
// true, are sheetfields.js's; each textarea is bound to its Y.Text in textbinding.js.
import { Doc, applyUpdate, encodeStateAsUpdate, encodeStateVector, mergeUpdates } from "../../vendor/yjs.esm.min.js";
import { el, storage } from "../shared/dom.js";
import { t, tn } from "../shared/i18n.js";
import { carry, carried, applyCarried, diff, deltaOf } from "./textbinding.js";
import { codePoints, fieldNode, paintFields } from "./sheetfields.js";

const SEND_EVERY_MS = 150; // while typing, one merged update this often (not after a pause)
const TYPING_MS = 3000;    // "Amara is typing…" lasts this long after her last update
const RETRY_MS = 1500;     // no ack while still connected: sync again after this
const QUESTIONS = 4;
const LOCAL = "this-phone"; // origin of this page's own changes; anything else came from others
const REMOTE = "server";

// Chunked: String.fromCharCode(...bytes) overflows the stack on a large update.
export function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
export const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/**
 * The sheet of one phone. `conn` has `connected` and `send` (connection.js); `onGone()` runs
 * when the session no longer exists; `onChange()` when what `report()` says may have changed.
 *   view(v)        every view: follows the group's sheet id and the phase
 *   build(v)       the planning screen's list of answers, bound to the document
 *   leave()        that list left the screen (its document goes on syncing)
 *   listen(socket) take the groupmates' `sheet_update` events
 *   online(), offline(), flushAll(), forget(), report()
 */
export function createSheet({ conn, code, onGone = () => {}, onChange = () => {} }) {
  const sheets = new Map(); // sheet id -> its state, kept while the page lives
  let current = null;
  let planning = false;
  let limit = 2000;
  let me = { id: null, name: null };
  let ui = null;           // {sheet, fields: [...]} while the planning screen shows the sheet
  const key = (id) => `gamehub:${code}:sheet:${id}`;

  // -- the document and what is kept on the phone -----------------------------------------

  function open(id) {
    if (sheets.has(id)) return sheets.get(id);
    // `doc` is this phone's copy; `known` holds only what the server is known to have (others'
    // updates, and this phone's once acknowledged): what the member's text is carried from if
    // `doc` must be rebuilt.
    const s = { id, doc: null, texts: null, known: new Doc(), queue: [], queueFields: new Set(), unacked: new Set(),
      held: Array(QUESTIONS).fill(null), over: Array(QUESTIONS).fill(0),
      errors: Array(QUESTIONS).fill(null), typing: [...Array(QUESTIONS)].map(() => new Map()),
      authors: [...Array(QUESTIONS)].map(() => new Set()), ready: false, needSync: true, busy: false,
      timer: null, lastSent: 0, urgent: false, late: false, stopped: null, rebuilds: 0, saveTimer: null };
    let saved = null;
    try { saved = JSON.parse(storage.get(key(id)) || "null"); } catch { /* unreadable: start afresh */ }
    fresh(s, saved && saved.state ? fromBase64(saved.state) : null);
    if (saved && saved.known) applyUpdate(s.known, fromBase64(saved.known), REMOTE);
    if (saved) {
      for (const q of saved.unacked || []) s.unacked.add(q);
      (saved.held || []).forEach((held, q) => { s.held[q] = held; });
    }
    sheets.set(id, s);
    return s;
  }

  /** A new document for `s`, from a saved state if there is one. */
  function fresh(s, state) {
    if (s.doc) s.doc.destroy();
    const doc = new Doc();
    s.doc = doc;
    s.texts = [...Array(QUESTIONS)].map((_, q) => doc.getText(`q${q}`));
    if (state) applyUpdate(doc, state, REMOTE);
    s.ready = !!state;
    doc.on("update", (update, origin) => { if (origin === LOCAL && s.doc === doc) s.queue.push(update); });
  }

  function save(s) {
    clearTimeout(s.saveTimer);
    s.saveTimer = null;
    storage.set(key(s.id), JSON.stringify({
      state: s.ready ? toBase64(encodeStateAsUpdate(s.doc)) : null,
      known: toBase64(encodeStateAsUpdate(s.known)), unacked: [...s.unacked], held: s.held,
    }));
  }
  // Others' changes are on the server already: saving them can wait a little.
  const saveSoon = (s) => { if (!s.saveTimer) s.saveTimer = setTimeout(() => save(s), 1000); };

  const knownText = (s, q) => s.known.getText(`q${q}`).toString();
  /** An update from the server: in this phone's copy and in what the server is known to have. */
  function fromServer(s, update) {
    applyUpdate(s.doc, update, REMOTE);
    applyUpdate(s.known, update, REMOTE);
  }
  /** What a change held back from `base` makes of the document's text now. */
  function mergedText(held, text) {
    const change = carry(held.base, held.text, text === held.base ? [] : [deltaOf(diff(held.base, text))]);
    return change ? carried(text, change) : text;
  }

  function markLocal(s, q) {
    s.unacked.add(q);
    s.queueFields.add(q);
    s.held[q] = null;
    s.errors[q] = null;
    s.authors[q].add(me.name);
    save(s);
    pump(s);
  }

  const pending = (s) => s.unacked.size > 0 || s.queue.length > 0 || s.held.some(Boolean);

  // -- talking to the server: one sync or one update in flight at a time -----------------

  function pump(s) {
    paint(s);
    if (s !== current || s.busy || s.stopped || !conn.connected) return;
    if (s.late && !planning) return;
    if (s.needSync) { if (planning || pending(s)) sync(s); return; }
    if (!s.queue.length) return;
    const wait = s.urgent ? 0 : s.lastSent + SEND_EVERY_MS - Date.now();
    if (wait > 0) {
      if (!s.timer) s.timer = setTimeout(() => { s.timer = null; pump(s); }, wait);
      return;
    }
    const update = s.queue.length === 1 ? s.queue[0] : mergeUpdates(s.queue);
    const fields = new Set(s.queueFields);
    s.queue = [];
    s.queueFields.clear();
    send(s, update, fields);
  }

  async function sync(s) {
    s.busy = true;
    const wasReady = s.ready;
    const ack = await conn.send("sheet_sync", { sheet: s.id, state_vector: toBase64(encodeStateVector(s.doc)) });
    if (!ack.ok) { s.busy = false; return refused(s, ack, () => sync(s)); }
    fromServer(s, fromBase64(ack.update));
    s.ready = true;
    s.needSync = false;
    if (!wasReady) attachAll(s);
    // Everything the server lacks goes as one update; it holds every change queued so far.
    const missing = encodeStateAsUpdate(s.doc, fromBase64(ack.state_vector));
    const fields = new Set(s.unacked);
    s.queue = [];
    s.queueFields.clear();
    save(s);
    s.busy = false; // only now: carrying text back in (attachAll) must not send on its own
    // encodeStateAsUpdate always carries the whole delete set, so "nothing new" is an update
    // without structs (first byte 0) while this phone has nothing unacknowledged.
    if (fields.size || missing[0] !== 0) send(s, missing, fields);
    else pump(s);
  }

  /** Send one update. With one in flight at a time, everything in the document when it
   *  leaves is on the server once it is acknowledged: `state` is kept for `known`. */
  async function send(s, update, fields, again = null) {
    const job = again || { update: toBase64(update), fields, state: encodeStateAsUpdate(s.doc), cid: undefined };
    s.busy = true;
    s.lastSent = Date.now();
    paint(s);
    const ack = await conn.send("sheet_update", { sheet: s.id, update: job.update }, job.cid ? { cid: job.cid } : {});
    s.busy = false;
    if (ack.ok) {
      s.rebuilds = 0;
      if (!s.queue.length) s.urgent = false;
      applyUpdate(s.known, job.state, REMOTE);
      for (const q of job.fields) if (!s.queueFields.has(q)) { s.unacked.delete(q); s.errors[q] = null; }
      save(s);
      onChange();
      return pump(s);
    }
    job.cid = ack.cid; // a resend of the very same update keeps its id
    refused(s, ack, () => send(s, null, null, job), job.fields);
  }

  /** A refused sync or update. `again()` resends the very same one. */
  function refused(s, ack, again, fields = null) {
    const { code: reason, details = {}, message } = ack.error || {};
    if (reason === "offline") {
      s.needSync = true; // whatever arrived, the next sync finds out
      if (conn.connected) setTimeout(() => pump(s), RETRY_MS);
    } else if (reason === "rate_limited" || reason === "busy") {
      s.busy = true; // nothing else goes first: the next update waits for this one's ack
      const wait = reason === "busy" ? 0.3 + Math.random() : Math.max(0.5, Number(details.retry_after) || 2);
      setTimeout(() => { s.busy = false; if (conn.connected) again(); else { s.needSync = true; pump(s); } }, wait * 1000);
    } else if (reason === "unknown_session") {
      onGone();
    } else if ((reason === "wrong_phase" || reason === "session_ended") && fields) {
      s.late = true; // kept: if the facilitator goes back to planning, it is sent then (never, after the end)
      s.needSync = true;
      onChange();
    } else if (reason === "not_your_group") {
      s.stopped = t("Not saved: you are in another group now");
    } else if (fields) {
      rebuild(s, reason, details, message);
    } else {
      setTimeout(() => pump(s), RETRY_MS * 2); // a sync refused by a server bug: try again later
    }
    paint(s);
  }

  /** The document holds changes the server will never take: make it again from the server
   *  and carry the member's text back in as a fresh change once it fits. */
  function rebuild(s, reason, details, message) {
    for (let q = 0; q < QUESTIONS; q++) {
      const field = ui && ui.sheet === s ? ui.fields[q] : null;
      const text = s.texts[q].toString();
      // The member's text with everything this phone has of the others', as one text...
      const mine = field ? field.binding.merged : s.held[q] ? mergedText(s.held[q], text) : text;
      if (field && field.binding.value !== mine) field.textarea.value = mine;
      if (field) field.binding.detach();
      // ...carried from what the server is known to have (pinned now: the member may type on
      // while the document is rebuilt, and the sync brings `known` up to date).
      const base = knownText(s, q);
      s.held[q] = mine === base && !field ? null : { text: mine, base };
      if (mine === base) s.unacked.delete(q);
    }
    if (reason === "too_long" && Number.isInteger(details.question)) {
      s.errors[details.question] = tn("Too long for the server: an answer can have at most {n} character. Shorten it to save it.",
        "Too long for the server: an answer can have at most {n} characters. Shorten it to save it.", limit);
    } else if (reason !== "too_long") {
      for (const q of s.unacked) s.errors[q] = t("Not saved yet: {reason}. Trying again…", { reason: message || reason });
    }
    s.queue = [];
    s.queueFields.clear();
    fresh(s, null);
    s.needSync = true;
    s.busy = true;
    save(s);
    const wait = Math.min(30, 2 ** s.rebuilds++) * 1000;
    setTimeout(() => { s.busy = false; pump(s); }, reason === "too_long" ? 0 : wait);
  }

  /** After a (re)built document first synced: bind or carry every answer back in. */
  function attachAll(s) {
    for (let q = 0; q < QUESTIONS; q++) {
      const held = s.held[q];
      const field = ui && ui.sheet === s ? ui.fields[q] : null;
      if (field) {
        // A read-only textarea only showed the view's text; any other holds what the member
        // typed while the document was being rebuilt.
        const keepLocal = !!held && !field.textarea.readOnly;
        field.textarea.readOnly = false;
        field.binding.attach(s.texts[q], keepLocal ? { keepLocal, base: held.base } : {});
        if (!field.binding.held) s.held[q] = null;
      } else if (held) {
        const text = s.texts[q].toString();
        const change = carry(held.base, held.text, text === held.base ? [] : [deltaOf(diff(held.base, text))]);
        if (!change) s.held[q] = null;
        else if (codePoints(carried(text, change)) <= limit) { applyCarried(s.texts[q], change, LOCAL); markLocal(s, q); }
        else s.over[q] = codePoints(carried(text, change));
      }
    }
  }

  function onRemote(event) {
    const s = event && event.session === code ? sheets.get(event.sheet) : null;
    if (!s || typeof event.update !== "string") return;
    try { fromServer(s, fromBase64(event.update)); } catch { return; }
    saveSoon(s);
    const by = event.by || {};
    if (by.name && by.id !== me.id && Array.isArray(event.fields)) {
      for (const q of event.fields) {
        if (!s.typing[q]) continue;
        s.typing[q].set(by.name, Date.now() + TYPING_MS);
        s.authors[q].add(by.name);
      }
      setTimeout(() => paint(s), TYPING_MS + 50);
    }
    paint(s);
  }

  // -- the answers on screen (sheetfields.js) ----------------------------------------------

  function paint(s) {
    if (ui && ui.sheet === s) paintFields(s, ui.fields, { connected: conn.connected, limit, me });
  }

  function flush(s) {
    if (!s) return;
    clearTimeout(s.timer);
    s.timer = null;
    s.urgent = true;
    save(s);
    pump(s);
  }

  return {
    view(v) {
      limit = (v.limits && v.limits.answer) || limit;
      if (v.me) me = { id: v.me.id, name: v.me.name };
      const was = planning;
      planning = v.phase === "planning";
      const id = v.group && v.group.sheet;
      if (id && (!current || current.id !== id)) {
        current = open(id);
        current.needSync = true;
        current.stopped = null;
      }
      if (!current) return;
      (v.group && v.group.answers || []).forEach((a, q) => { for (const name of a.authors || []) current.authors[q].add(name); });
      if (planning && current.late) { current.late = false; current.needSync = true; }
      if (was && !planning) flush(current); // the facilitator moved on: what was typed goes now
      else pump(current);
    },
    build(v) {
      this.view(v);
      const s = current;
      ui = { sheet: s, fields: [] };
      ui.fields = v.group.questions.map((question, q) => fieldNode(s, q, question, v.group.answers && v.group.answers[q], {
        origin: LOCAL, limit: () => limit, onLocal: () => markLocal(s, q), save: () => save(s), paint: () => paint(s),
      }));
      paint(s);
      return el("ol", { class: "sheet" }, ui.fields.map((f) => f.node));
    },
    leave() {
      if (!ui) return;
      for (const f of ui.fields) f.binding.detach();
      flush(ui.sheet);
      ui = null;
    },
    listen(socket) { socket.on("sheet_update", onRemote); },
    online() { if (current) { current.needSync = true; pump(current); } },
    offline() { if (current) paint(current); },
    flushAll() { flush(current); },
    /** What the showcase screen should say about this phone's changes that are not saved. */
    report() {
      const s = current;
      if (!s || !pending(s)) return null;
      const questions = [...Array(QUESTIONS).keys()].filter((q) => s.unacked.has(q) || s.held[q]);
      const texts = questions.map((q) => (s.held[q] ? mergedText(s.held[q], s.texts[q].toString()) : s.texts[q].toString()));
      return { state: s.late ? "late" : "sending", questions, texts };
    },
    forget() {
      for (const id of sheets.keys()) storage.del(key(id));
      try {
        for (const k of Object.keys(localStorage)) if (k.startsWith(`gamehub:${code}:sheet:`)) localStorage.removeItem(k);
      } catch { /* private mode */ }
      sheets.clear();
      current = null;
    },
  };
}
