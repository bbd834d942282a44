// The phone's join form: a name, a story title and a pitch, each with its limit and a live
// counter (counter.js). Nothing typed is ever cut or changed behind the person's back: a text
// over its limit is refused by the server (too_long), said plainly, and left in its field.
import { autosize, el, randomId, storage } from "../shared/dom.js";
import { attachCounter, lengthOf } from "../shared/counter.js";
import { t, tn, formatNumber } from "../shared/i18n.js";

const LABELS = { name: t("Your name"), title: t("Your story title"), pitch: t("Your pitch") };

/**
 * ctx: {conn, keys: {token, pending, form}, token(), end(kind), forgetIdentity(),
 *       notice(): the sentence to show above the form, noticed(): it was seen, heading(text)}.
 * Returns a screen: {node, update(view)}.
 */
export function joinScreen(ctx) {
  const { keys } = ctx;
  const saved = (() => { try { return JSON.parse(storage.get(keys.form) || "{}") || {}; } catch { return {}; } })();
  const limits = { name: 40, title: 120, pitch: 280 }; // until the view says otherwise
  const input = (id, attrs) => el("input", { id, name: id, type: "text", ...attrs });
  const name = input("j-name", { required: true, autocomplete: "nickname", autocapitalize: "words", "aria-describedby": "j-name-count j-error" });
  const title = input("j-title", { autocapitalize: "sentences", "aria-describedby": "j-title-hint j-title-count" });
  const pitch = el("textarea", { id: "j-pitch", name: "j-pitch", rows: 4, "aria-describedby": "j-pitch-hint j-pitch-count" });
  const optOut = el("input", { id: "j-optout", name: "j-optout", type: "checkbox", "aria-describedby": "j-optout-hint" });
  const counterFor = (id) => el("p", { class: "counter", id: `${id}-count` });
  const counterNodes = { name: counterFor("j-name"), title: counterFor("j-title"), pitch: counterFor("j-pitch") };
  const error = el("p", { class: "error-text", id: "j-error", role: "alert" });
  const notice = el("p", { class: "notice", hidden: true });
  const button = el("button", { type: "submit", class: "button primary full big" }, t("Join"));
  name.value = saved.name || "";
  title.value = saved.title || "";
  pitch.value = saved.pitch || "";
  optOut.checked = !!saved.opt_out;
  const fields = { name, title, pitch };
  const counters = Object.fromEntries(Object.entries(fields).map(([k, field]) =>
    [k, attachCounter(field, counterNodes[k], () => limits[k])]));

  const values = () => ({ name: name.value, title: title.value, pitch: pitch.value, opt_out: optOut.checked });
  const keep = () => storage.set(keys.form, JSON.stringify(values()));
  for (const field of [name, title, pitch, optOut]) field.addEventListener("input", keep);
  pitch.addEventListener("input", () => autosize(pitch));
  name.addEventListener("input", () => {
    if (name.value.trim() && !counters.name.over()) { name.removeAttribute("aria-invalid"); error.textContent = ""; }
  });

  /** The sentence for a too_long refusal: which field, by how much (the field keeps its text).
   *  The server says which field and its length after tidying; the counters are the fallback. */
  function tooLong(text, details = {}) {
    const which = fields[details.field] ? details.field : Object.keys(fields).find((k) => counters[k].over());
    if (!which) return { field: null, sentence: text || t("A text is too long: shorten it, then press Join again.") };
    const length = Number.isInteger(details.length) ? details.length : lengthOf(fields[which].value);
    const limit = Number.isInteger(details.limit) ? details.limit : limits[which];
    const extra = length - limit;
    return {
      field: fields[which],
      sentence: tn("{field} is {n} character too long ({length}; at most {limit}). Shorten it, then press Join again.",
        "{field} is {n} characters too long ({length}; at most {limit}). Shorten it, then press Join again.", extra,
        { field: LABELS[which], length: formatNumber(length), limit: formatNumber(limit) }),
    };
  }

  let joining = false;
  let retry = 0; // the timer of an automatic retry after too_many_joins
  async function submit(event) {
    event.preventDefault();
    clearTimeout(retry);
    if (joining) return;
    if (!name.value.trim()) {
      error.textContent = t("Please type your name: your group will see it.");
      name.setAttribute("aria-invalid", "true");
      name.focus();
      return;
    }
    joining = true;
    button.disabled = true;
    button.textContent = t("Joining…");
    error.textContent = "";
    // The identity is made here and kept before it is sent, so a lost answer and a reload
    // still come back as the same person.
    let mine = ctx.token();
    if (!mine) {
      mine = randomId(24);
      storage.set(keys.token, mine);
      storage.set(keys.pending, "1");
    }
    const v = values();
    // Sent as typed (trimmed): the server refuses what is too long rather than cutting it.
    const ack = await ctx.conn.sendRaw("join", { name: v.name.trim(), title: v.title.trim(), pitch: v.pitch.trim(), opt_out: v.opt_out, token: mine });
    joining = false;
    button.disabled = false;
    button.textContent = t("Join");
    if (ack.ok) { storage.del(keys.pending); ctx.noticed(); return; } // the joined view follows
    const { code, message: text, details } = ack.error || {};
    if (code === "offline") {
      error.textContent = t("Could not reach the session. Check your wifi, then press Join again.");
      return; // keep the token: if the join did arrive, pressing again is the same person
    }
    if (code === "removed") { ctx.end("removed"); return; }
    if (code === "too_many_joins") {
      // A room behind one venue address joins a few a second: this phone waits its turn, with
      // its identity kept (a join that did arrive is the same person), and tries again by itself.
      // The spread keeps a waiting room from coming back all in the same instant.
      const wait = Math.min(30, Math.max(1, Number((details || {}).retry_after) || 1)) + Math.random() * 4;
      error.textContent = t("Many people are joining on this network right now. Your phone tries again by itself in a few seconds.");
      clearTimeout(retry);
      retry = setTimeout(() => { if (!form.hidden && form.isConnected) form.requestSubmit(); }, wait * 1000);
      return;
    }
    if (code === "unknown_session") { ctx.end("ended"); return; }
    ctx.forgetIdentity();
    if (code === "too_long") {
      const { field, sentence } = tooLong(text, details || {});
      error.textContent = sentence;
      if (field) { field.setAttribute("aria-invalid", "true"); field.focus(); }
      return;
    }
    error.textContent = {
      missing_text: t("Please type your name: your group will see it."),
      rate_limited: t("Too many tries at once. Wait a few seconds, then press Join again."),
      locked: t("Joining is locked. Ask the facilitator to let you in."),
      session_full: t("This session is full. Ask the facilitator for help."),
      wrong_phase: t("You can't join right now. Ask the facilitator."),
    }[code] || text || t("That did not work. Please try again.");
    if (code === "missing_text" || code === "name_not_allowed") {
      name.setAttribute("aria-invalid", "true");
      name.focus();
    }
  }

  const field = (label, control, hint, id, counter) => el("div", { class: "field" },
    el("label", { for: control.id }, label), hint ? el("span", { class: "hint", id }, hint) : null, control, counter);
  const form = el("form", { class: "join-form", novalidate: true, onsubmit: submit },
    field(el("span", {}, t("Your name"), " ", el("span", { class: "req" }, t("(required)"))), name, null, null, counterNodes.name),
    field(t("Your research story: a title"), title, t("One line, e.g. \"Teaching robots to fold laundry\""), "j-title-hint", counterNodes.title),
    field(t("Your pitch"), pitch, t("What is it and why does it matter? Tweet length."), "j-pitch-hint", counterNodes.pitch),
    el("div", { class: "field" },
      el("label", { class: "check", for: "j-optout" }, optOut, t("Don't pick my story")),
      el("span", { class: "hint", id: "j-optout-hint" }, t("Your group will then tell someone else's story."))),
    error,
    button);
  const locked = el("div", { class: "locked", hidden: true },
    el("p", { class: "locked-title" }, t("Joining is locked")),
    el("p", {}, t("The facilitator has closed the room for now. Ask them to let you in: this page will update by itself.")));
  const node = el("section", { class: "screen screen-join" },
    ctx.heading(t("Join the game")),
    notice,
    el("p", { class: "lead" }, t("Tell your group who you are and the research story you could share.")),
    locked, form);

  return {
    node,
    update(v) {
      for (const k of Object.keys(limits)) if (v.limits && v.limits[k]) limits[k] = v.limits[k];
      for (const c of Object.values(counters)) c.update();
      const text = ctx.notice();
      notice.hidden = !text;
      notice.textContent = text;
      locked.hidden = !v.locked;
      form.hidden = !!v.locked;
      requestAnimationFrame(() => autosize(pitch));
    },
  };
}
