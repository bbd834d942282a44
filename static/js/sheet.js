// The shared sheet: the four planning answers a group edits together from their phones.
// The rules are in docs/protocol.md, "Editing an answer": one edit in flight per field,
// sent after a pause in typing and on leaving the field; a field with unsent text is never
// overwritten by a view; a stale edit keeps the member's text and shows the other text beside it.
import { el, render, randomId } from "./dom.js";

const PAUSE_MS = 700;      // send this long after the last keystroke
const RETRY_MS = 1500;     // an unanswered send while still connected is tried again after this

/** localStorage that survives private mode (falls back to memory for this page). */
const memory = new Map();
export const storage = {
  get(key) { try { return localStorage.getItem(key); } catch { return memory.has(key) ? memory.get(key) : null; } },
  set(key, value) { try { localStorage.setItem(key, value); } catch { memory.set(key, value); } },
  del(key) { try { localStorage.removeItem(key); } catch { /* memory only */ } memory.delete(key); },
};

/** Make a textarea as tall as its text (CSSOM, so no inline style attribute is needed). */
export function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${textarea.scrollHeight + 4}px`;
}

/**
 * The sheet of one phone. `conn` is connection.js's handle; `onGone()` is called when the
 * server says the session no longer exists.
 *   build(view)  the sheet's elements for view.group (kept: patch them with update)
 *   update(view) apply a new view without touching fields the member is busy with
 *   online()     the connection is back: send every field that has unsent text
 *   flushAll()   send what can be sent now (the page is being hidden)
 *   forget()     drop every saved draft (the session ended)
 */
export function createSheet({ conn, code, onGone = () => {} }) {
  const fieldsByGroup = new Map(); // group number -> [field], kept across phase changes
  let current = null;              // group number shown now, or null
  let planning = false;
  let limit = 2000;
  let myName = null;
  const draftKey = (q) => `gamehub:${code}:draft:${q}`;

  const dirty = (f) => f.draft !== f.base;
  // While this is true, an incoming view must not overwrite the member's field.
  const busy = (f) => dirty(f) || f.inFlight || f.conflict !== null || (f.focused && f.touched);

  function saveDraft(f) {
    if (!dirty(f)) storage.del(draftKey(f.q));
    else storage.set(draftKey(f.q), JSON.stringify({ group: f.group, rev: f.rev, base: f.base, text: f.draft }));
  }

  function loadDraft(q, group) {
    try {
      const saved = JSON.parse(storage.get(draftKey(q)) || "null");
      if (saved && saved.group === group && typeof saved.text === "string"
          && typeof saved.base === "string" && Number.isInteger(saved.rev)) return saved;
    } catch { /* unreadable: ignore */ }
    return null;
  }

  function makeField(q, answer, group) {
    const f = {
      q, group, rev: answer.rev, base: answer.text, draft: answer.text, latest: answer,
      inFlight: false, pending: null, offline: false, conflict: null, error: null,
      focused: false, touched: false, timer: null, mine: new Set(), ui: null,
    };
    const saved = loadDraft(q, group);
    if (saved && saved.text !== answer.text) {
      // Unsent text from before a reload: keep it, based on what it was based on.
      Object.assign(f, { draft: saved.text, base: saved.base, rev: saved.rev });
    } else if (saved) storage.del(draftKey(q));
    return f;
  }

  // -- the server's side ---------------------------------------------------------------

  /** A view brought `answer` for this field. */
  function fromServer(f, answer) {
    if (answer.rev >= f.latest.rev) f.latest = answer;
    if (f.conflict) {
      // Still waiting for the member's choice: show the newest other text.
      if (answer.rev > f.conflict.rev) {
        f.rev = answer.rev;
        f.base = answer.text;
        f.conflict = answer.text === f.draft ? null : { text: answer.text, by: answer.by, rev: answer.rev };
        saveDraft(f);
      }
    } else if (!busy(f) && answer.rev >= f.rev) {
      f.rev = answer.rev;
      f.base = f.draft = answer.text;
      f.error = null;
      if (f.ui && f.ui.textarea.value !== answer.text) {
        f.ui.textarea.value = answer.text;
        autosize(f.ui.textarea);
      }
      saveDraft(f);
    }
    paint(f);
  }

  /** Catch up with the newest server text once the member is no longer busy with the field. */
  function catchUp(f) {
    if (!busy(f) && f.latest.rev > f.rev) fromServer(f, f.latest);
  }

  async function flush(f) {
    clearTimeout(f.timer);
    f.timer = null;
    if (!planning || f.group !== current || f.inFlight || f.conflict || !dirty(f)) { paint(f); return; }
    if (!conn.connected) { f.offline = true; paint(f); return; }
    const text = f.draft;
    const base_rev = f.rev;
    // The same edit again (after no answer) keeps its cid, so the server applies it once.
    const same = f.pending && f.pending.text === text && f.pending.base_rev === base_rev;
    const cid = same ? f.pending.cid : randomId(16);
    f.pending = { cid, text, base_rev };
    f.inFlight = true;
    f.error = null;
    paint(f);
    const ack = await conn.send("edit_answer", { question: f.q, text, base_rev }, { cid });
    f.inFlight = false;
    if (ack.ok) {
      f.pending = null;
      f.offline = false;
      f.rev = ack.rev;
      f.base = text;
      f.mine.add(ack.rev);
      if (ack.rev >= f.latest.rev) f.latest = { text, rev: ack.rev, by: f.latest.by };
      saveDraft(f);
      if (dirty(f)) { if (!f.timer) flush(f); } // typed on meanwhile: send that too
      else catchUp(f);
    } else {
      const { code: reason, details, message } = ack.error || {};
      if (reason === "offline") {
        f.offline = true; // keep f.pending: the resend reuses its cid
        if (conn.connected) f.timer = setTimeout(() => flush(f), RETRY_MS);
      } else if (reason === "rate_limited" || reason === "busy") {
        // Refused before it was applied: the same edit (same cid) goes again a little later.
        const wait = reason === "busy" ? 0.3 + Math.random() : Math.max(1, Number(details && details.retry_after) || 2);
        f.timer = setTimeout(() => flush(f), wait * 1000);
      } else {
        f.pending = null;
        if (reason === "stale_edit" && details) {
          f.rev = details.rev;
          f.base = details.text;
          f.latest = { text: details.text, rev: details.rev, by: details.by };
          if (details.text !== f.draft) f.conflict = { text: details.text, by: details.by, rev: details.rev };
          saveDraft(f);
        } else if (reason === "too_long") {
          f.error = `Too long: an answer can have at most ${limit} characters.`;
        } else if (reason === "wrong_phase") {
          f.error = "Not saved: the planning time is over. Your text is kept on this phone.";
        } else if (reason === "unknown_session") {
          onGone();
        } else {
          f.error = `Not saved: ${message || "the server refused it"}`;
        }
      }
    }
    paint(f);
  }

  // -- the member's side ---------------------------------------------------------------

  function typed(f) {
    f.draft = f.ui.textarea.value;
    f.touched = true;
    f.error = null;
    saveDraft(f);
    autosize(f.ui.textarea);
    clearTimeout(f.timer);
    f.timer = setTimeout(() => flush(f), PAUSE_MS);
    paint(f);
  }

  function useTheirs(f) {
    const { text, rev } = f.conflict;
    f.conflict = null;
    f.rev = rev;
    f.base = f.draft = text;
    f.touched = false;
    f.ui.textarea.value = text;
    autosize(f.ui.textarea);
    saveDraft(f);
    paint(f);
    f.ui.textarea.focus();
    catchUp(f);
  }

  function keepMine(f) {
    f.conflict = null; // f.rev is already the other text's rev
    f.ui.textarea.focus();
    flush(f);
  }

  // -- drawing -------------------------------------------------------------------------

  function status(f) {
    if (f.conflict) return ["conflict", "Not saved yet: choose below"];
    if (f.error) return ["error", f.error];
    if (dirty(f) && (f.offline || !conn.connected)) return ["offline", "Not sent yet (offline)"];
    if (dirty(f) || f.inFlight) return ["saving", "Saving…"];
    if (f.rev === 0 && !f.base) return ["empty", "Nothing written yet"];
    return ["saved", "Saved"];
  }

  function paint(f) {
    const ui = f.ui;
    if (!ui) return;
    const [state, text] = status(f);
    ui.status.dataset.state = state;
    ui.statusText.textContent = text;
    const by = f.latest.by;
    const me = f.mine.has(f.latest.rev) || (by && by === myName);
    ui.by.textContent = !by && !f.mine.has(f.latest.rev) ? "" : me ? "Last edited by you" : `Last edited by ${by}`;
    ui.count.textContent = f.draft.length > limit - 200 ? `${f.draft.length} / ${limit} characters` : "";
    ui.textarea.setAttribute("aria-invalid", state === "error" ? "true" : "false");
    if (!f.conflict) { if (!ui.conflict.hidden) render(ui.conflict); ui.conflict.hidden = true; return; }
    const shown = ui.conflict.dataset.rev;
    if (!ui.conflict.hidden && shown === String(f.conflict.rev)) return;
    ui.conflict.dataset.rev = String(f.conflict.rev);
    ui.conflict.hidden = false;
    render(ui.conflict,
      el("p", { class: "conflict-title" }, `${f.conflict.by || "Someone"} also edited this:`),
      el("p", { class: "conflict-text" }, f.conflict.text || "(they emptied it)"),
      el("div", { class: "conflict-actions" },
        el("button", { type: "button", class: "button", onclick: () => useTheirs(f) }, "Use theirs"),
        el("button", { type: "button", class: "button primary", onclick: () => keepMine(f) }, "Keep mine")));
  }

  function fieldNode(f, question) {
    const id = `answer-${f.q}`;
    const textarea = el("textarea", {
      id, name: id, maxlength: limit, rows: 4, spellcheck: "true", autocapitalize: "sentences",
      "aria-describedby": `${id}-status ${id}-by ${id}-count`,
    });
    textarea.value = f.draft;
    textarea.addEventListener("input", () => typed(f));
    textarea.addEventListener("focus", () => { f.focused = true; });
    textarea.addEventListener("blur", () => {
      f.focused = false;
      f.touched = false;
      flush(f);
      catchUp(f);
    });
    const statusText = el("span", { class: "q-status-text" });
    const ui = {
      textarea, statusText,
      status: el("span", { class: "q-status", id: `${id}-status` }, el("span", { class: "q-dot", "aria-hidden": "true" }), statusText),
      by: el("span", { class: "q-by", id: `${id}-by` }),
      count: el("span", { class: "q-count", id: `${id}-count` }),
      conflict: el("div", { class: "conflict", hidden: true, role: "group", "aria-label": "Another version of this answer" }),
    };
    f.ui = ui;
    const node = el("li", { class: "q" },
      el("label", { for: id, class: "q-label" }, el("span", { class: "q-num", "aria-hidden": "true" }, f.q + 1), el("span", {}, question)),
      textarea,
      el("p", { class: "q-meta" }, ui.status, ui.by, ui.count),
      // Polite live region: the conflict box appears here while the member may be typing elsewhere.
      el("div", { "aria-live": "polite" }, ui.conflict));
    paint(f);
    requestAnimationFrame(() => autosize(textarea));
    return node;
  }

  function fieldsFor(group) {
    let fields = fieldsByGroup.get(group.number);
    if (!fields) {
      fields = group.answers.map((answer, q) => makeField(q, answer, group.number));
      fieldsByGroup.set(group.number, fields);
    }
    return fields;
  }

  return {
    build(view) {
      const group = view.group;
      limit = (view.limits && view.limits.answer) || limit;
      myName = view.me ? view.me.name : myName;
      current = group.number;
      planning = view.phase === "planning";
      const fields = fieldsFor(group);
      const list = el("ol", { class: "sheet" }, fields.map((f, q) => fieldNode(f, group.questions[q])));
      group.answers.forEach((answer, q) => fromServer(fields[q], answer));
      fields.forEach((f) => { if (dirty(f)) flush(f); }); // text saved before a reload or a phase change
      return list;
    },
    update(view) {
      const group = view.group;
      if (!group || !group.answers || group.number !== current) return;
      planning = view.phase === "planning";
      myName = view.me ? view.me.name : myName;
      const fields = fieldsFor(group);
      group.answers.forEach((answer, q) => fromServer(fields[q], answer));
    },
    /** The sheet is no longer on screen (another phase or group). */
    leave() {
      planning = false;
      for (const fields of fieldsByGroup.values()) for (const f of fields) { clearTimeout(f.timer); f.timer = null; f.ui = null; f.focused = false; f.touched = false; }
    },
    online() {
      for (const f of fieldsByGroup.get(current) || []) { f.offline = false; if (dirty(f)) flush(f); else paint(f); }
    },
    offline() {
      for (const f of fieldsByGroup.get(current) || []) paint(f);
    },
    flushAll() {
      for (const f of fieldsByGroup.get(current) || []) if (dirty(f)) flush(f);
    },
    /** Unsent text in the current group's fields, e.g. to warn before the phase moves on. */
    unsent() {
      return (fieldsByGroup.get(current) || []).filter(dirty).length;
    },
    forget() {
      for (let q = 0; q < 4; q++) storage.del(draftKey(q));
      fieldsByGroup.clear();
    },
  };
}
