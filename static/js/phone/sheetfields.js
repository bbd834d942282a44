// The group sheet's answers on screen: a textarea per question, bound to its Y.Text
// (textbinding.js), with a status that says only what is true, who is typing, who wrote it,
// and the length once it nears the limit. The document and its syncing are sheet.js's; `s` is
// one sheet's state there.
import { el, autosize } from "../shared/dom.js";
import { t, tn, formatNumber, listOf } from "../shared/i18n.js";
import { bindTextarea } from "./textbinding.js";

/** Lengths are code points, as the server counts them (an emoji is one). */
export const codePoints = (text) => [...text].length;

/** Answer q's status as [state, text]; `field` is the answer on screen, if it is. */
function statusOf(s, q, field, { connected, limit }) {
  if (s.stopped) return ["error", s.stopped];
  if (s.over[q]) return ["error", tn("Too long: remove {n} character to save it", "Too long: remove {n} characters to save it", s.over[q] - limit)];
  if (s.errors[q]) return ["error", s.errors[q]];
  const waiting = s.unacked.has(q) || s.held[q] || (field && s.ready && field.binding.held);
  if (waiting && s.late) return ["error", t("Not saved: planning had ended. Kept on this phone")];
  if (waiting) return connected ? ["saving", t("Sending…")] : ["offline", t("Not sent yet, will send when you are back online")];
  if (!s.ready) return ["loading", connected ? t("Loading the sheet…") : t("Will load when you are back online")];
  if (!s.texts[q].toString()) return ["empty", t("Nothing written yet")];
  return ["saved", t("Saved")];
}

/** Bring every field's status, "is typing", authors and count up to date (only what changed
 *  is written, so a screen reader hears only news). */
export function paintFields(s, fields, { connected, limit, me }) {
  const now = Date.now();
  fields.forEach((f, q) => {
    const [state, text] = statusOf(s, q, f, { connected, limit });
    f.status.dataset.state = state;
    if (f.statusText.textContent !== text) f.statusText.textContent = text;
    f.textarea.setAttribute("aria-invalid", state === "error" ? "true" : "false");
    const typing = [...s.typing[q]].filter(([, until]) => until > now).map(([name]) => name);
    const typingText = typing.length ? tn("{names} is typing…", "{names} are typing…", typing.length, { names: listOf(typing) }) : "";
    if (f.typing.textContent !== typingText) f.typing.textContent = typingText;
    const authors = [...s.authors[q]].filter(Boolean).map((name) => (name === me.name ? t("you") : name));
    const byText = authors.length ? t("Written by {names}", { names: listOf([...new Set(authors)]) }) : "";
    if (f.by.textContent !== byText) f.by.textContent = byText;
    // Over the limit, the length that counts is what the answer would be with the others' text.
    const n = s.over[q] || codePoints(f.textarea.value);
    f.count.dataset.state = n > limit ? "over" : n > limit - 100 ? "near" : "";
    const countText = n > limit - 200 ? tn("{count} / {n} character", "{count} / {n} characters", limit, { count: formatNumber(n) }) : "";
    if (f.count.textContent !== countText) f.count.textContent = countText;
  });
}

/**
 * Answer q on screen, bound to the document once it is ready. `answer` is the view's (its
 * text shows, read-only, until the first sync). Callbacks: `limit()` the answer's limit now,
 * `onLocal()` the member changed the document, `save()` keep `s` on the phone, `paint()`.
 */
export function fieldNode(s, q, question, answer, { origin, limit, onLocal, save, paint }) {
  const id = `answer-${q}`;
  const textarea = el("textarea", {
    id, name: id, rows: 4, spellcheck: "true", autocapitalize: "sentences",
    "aria-describedby": `${id}-status ${id}-count`,
  });
  textarea.value = s.held[q] ? s.held[q].text : s.ready ? s.texts[q].toString() : (answer && answer.text) || "";
  // Nothing to edit before the first sync (the view's text would be typed in twice), unless
  // it holds the member's own text.
  textarea.readOnly = !s.ready && !s.held[q];
  const f = { textarea, statusText: el("span", { class: "q-status-text" }) };
  f.status = el("span", { class: "q-status", id: `${id}-status` }, el("span", { class: "q-dot", "aria-hidden": "true" }), f.statusText);
  f.typing = el("span", { class: "q-typing" });
  f.by = el("span", { class: "q-by" });
  f.count = el("span", { class: "q-count", id: `${id}-count` });
  f.binding = bindTextarea(textarea, {
    origin,
    fits: (text) => { const n = codePoints(text); s.over[q] = n > limit() ? n : 0; return !s.over[q]; },
    onLocal,
    onShown: () => { autosize(textarea); paint(); },
  });
  textarea.addEventListener("input", () => {
    autosize(textarea);
    // Text the document cannot take yet (too long) is kept on the phone all the same.
    if (s.ready && f.binding.held) { s.held[q] = { text: textarea.value, base: f.binding.shown }; save(); }
    else if (!f.binding.held && (s.held[q] || s.over[q])) { s.held[q] = null; s.over[q] = 0; save(); }
    paint();
  });
  if (s.ready) f.binding.attach(s.texts[q], s.held[q] ? { keepLocal: true, base: s.held[q].base } : {});
  f.node = el("li", { class: "q" },
    el("div", { class: "q-head" },
      el("label", { for: id, class: "q-label" }, el("span", { class: "q-num", "aria-hidden": "true" }, q + 1), el("span", {}, question)),
      f.typing),
    textarea,
    el("p", { class: "q-meta" }, f.status, f.count),
    f.by);
  requestAnimationFrame(() => autosize(textarea));
  return f;
}
