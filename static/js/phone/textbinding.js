// One textarea bound to one Y.Text of the group sheet (docs/protocol.md, "What the pages do").
// The textarea stays a plain textarea: what the member types becomes one delete and one insert
// in the Y.Text, and what others type is applied to the textarea with the caret kept in place.
//
// `shown` is the text the textarea and the Y.Text last agreed on. Remote changes that cannot be
// shown yet pile up in `deferred` as Yjs deltas against `shown`; the member's own change
// (shown -> textarea value) is then carried through them, so neither side's typing is lost:
//  - during an IME composition (Android keyboards compose every word): rewriting the value
//    would break the word being composed, so the textarea waits for compositionend;
//  - while the member's text is over the answer's limit: the server would refuse the whole
//    update, so it stays in the textarea until it fits;
//  - after the sheet was rebuilt from the server: the member's unacknowledged text is carried
//    from the last text the server had acknowledged (`attach` with keepLocal).

/** The smallest change from a to b: common prefix and suffix, never splitting a surrogate pair
 *  (Yjs would encode half an emoji as U+FFFD). */
export function diff(a, b) {
  const max = Math.min(a.length, b.length);
  let pos = 0;
  while (pos < max && a[pos] === b[pos]) pos++;
  if (pos > 0 && isHigh(a.charCodeAt(pos - 1))) pos--;
  let tail = 0;
  while (tail < max - pos && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  if (tail > 0 && isLow(a.charCodeAt(a.length - tail))) tail--;
  return { pos, del: a.length - pos - tail, ins: b.slice(pos, b.length - tail), tail };
}
const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c) => c >= 0xdc00 && c <= 0xdfff;

/** A change as a Yjs-style delta. */
export function deltaOf({ pos, del, ins }) {
  return [pos ? { retain: pos } : null, del ? { delete: del } : null, ins ? { insert: ins } : null].filter(Boolean);
}

/** Where a boundary (a caret) at `i` goes through `delta`. Text inserted right at the caret
 *  goes after it (assoc -1): two people typing at the same spot keep their words whole. */
export function mapIndex(delta, i) {
  let from = 0, to = 0;
  for (const op of delta) {
    if (op.retain !== undefined) {
      if (i < from + op.retain) return to + i - from;
      from += op.retain; to += op.retain;
    } else if (op.delete !== undefined) {
      if (i < from + op.delete) return to;
      from += op.delete;
    } else {
      if (i === from) return to;
      to += op.insert.length;
    }
  }
  return to + i - from;
}

/** Where the character at `i` went through `delta`, or -1 if it was deleted. */
function mapChar(delta, i) {
  let from = 0, to = 0;
  for (const op of delta) {
    if (op.retain !== undefined) {
      if (i < from + op.retain) return to + i - from;
      from += op.retain; to += op.retain;
    } else if (op.delete !== undefined) {
      if (i < from + op.delete) return -1;
      from += op.delete;
    } else to += op.insert.length;
  }
  return to + i - from;
}

/**
 * The change base -> mine, carried onto a text that is base changed by `deltas` (others'
 * changes, in order): where to insert, which characters to delete (highest first, in runs,
 * all at or after the insertion point). Characters someone else already deleted stay deleted;
 * text someone else inserted inside the member's deleted range survives. Null: no change.
 */
export function carry(base, mine, deltas) {
  const change = diff(base, mine);
  if (!change.del && !change.ins) return null;
  const through = (i, map) => deltas.reduce((at, delta) => (at < 0 ? at : map(delta, at)), i);
  const gone = [];
  for (let i = change.pos; i < change.pos + change.del; i++) {
    const j = through(i, mapChar);
    if (j >= 0) gone.push(j);
  }
  const runs = [];
  for (let k = gone.length - 1; k >= 0;) {
    let first = k;
    while (first > 0 && gone[first - 1] === gone[first] - 1) first--;
    runs.push([gone[first], k - first + 1]);
    k = first - 1;
  }
  return { at: through(change.pos, mapIndex), runs, ins: change.ins };
}

/** The text a carried change makes of `text` (to check it fits before it is applied). */
export function carried(text, change) {
  for (const [index, length] of change.runs) text = text.slice(0, index) + text.slice(index + length);
  return text.slice(0, change.at) + change.ins + text.slice(change.at);
}

/** Apply a carried change to `ytext`, in one transaction with `origin`. */
export function applyCarried(ytext, change, origin) {
  ytext.doc.transact(() => {
    for (const [index, length] of change.runs) ytext.delete(index, length);
    if (change.ins) ytext.insert(change.at, change.ins);
  }, origin);
}

/**
 * Bind `textarea` to Y.Texts, one at a time (`attach`). Options:
 *   origin      the transaction origin of this page's own changes
 *   fits(text)  false while the text it would make must not go into the document (too long)
 *   onLocal()   the member's change went into the document
 *   onShown()   the textarea now shows others' changes (or the member's text is held)
 */
export function bindTextarea(textarea, { origin, fits = () => true, onLocal = () => {}, onShown = () => {} }) {
  let ytext = null;
  let shown = textarea.value;
  let deferred = [];
  let composing = false;

  function observer(event, transaction) {
    if (transaction.origin === origin) return;
    deferred.push(event.delta); // read now: Yjs computes a delta only inside its event
    reconcile();
  }

  function reconcile() {
    if (!ytext || (composing && deferred.length)) { onShown(); return; }
    const value = textarea.value;
    const change = value === shown ? null : carry(shown, value, deferred);
    const local = !!change;
    if (local && !fits(carried(ytext.toString(), change))) { onShown(); return; }
    if (local) {
      applyCarried(ytext, change, origin);
      onLocal();
    }
    if (deferred.length) {
      const text = ytext.toString();
      const focused = textarea.ownerDocument.activeElement === textarea;
      let { selectionStart: start, selectionEnd: end } = textarea;
      const direction = textarea.selectionDirection;
      if (local) {
        // Both sides changed: keep the caret where the member's own text is.
        const change = diff(value, text);
        const move = (i) => (i <= change.pos ? i : i >= value.length - change.tail
          ? i + text.length - value.length : change.pos + change.ins.length);
        start = move(start); end = move(end);
      } else {
        for (const delta of deferred) { start = mapIndex(delta, start); end = mapIndex(delta, end); }
      }
      textarea.value = text;
      if (focused) textarea.setSelectionRange(start, end, direction);
      onShown();
    }
    shown = ytext.toString();
    deferred = [];
  }

  textarea.addEventListener("input", reconcile);
  textarea.addEventListener("compositionstart", () => { composing = true; });
  textarea.addEventListener("compositionend", () => { composing = false; reconcile(); });
  textarea.addEventListener("blur", () => { if (composing) { composing = false; reconcile(); } });

  return {
    /** Follow `next`. keepLocal: the textarea holds the member's text, to be carried from
     *  `base` (the last acknowledged text) into next; otherwise it shows next's text. */
    attach(next, { keepLocal = false, base = null } = {}) {
      if (ytext) ytext.unobserve(observer);
      ytext = next;
      const text = next.toString();
      // Without a base, the member's text simply replaces the document's.
      shown = keepLocal ? (base ?? text) : textarea.value;
      deferred = shown === text ? [] : [deltaOf(diff(shown, text))];
      next.observe(observer);
      reconcile();
    },
    detach() {
      if (ytext) ytext.unobserve(observer);
      ytext = null;
    },
    /** The member typed something that is not in the document yet. */
    get held() { return !ytext || textarea.value !== shown; },
    get value() { return textarea.value; },
    /** The last text the textarea and the document agreed on (to carry held text from). */
    get shown() { return shown; },
    /** The text the member's held change and everyone else's would make together. */
    get merged() {
      if (!ytext) return textarea.value;
      const change = textarea.value === shown ? null : carry(shown, textarea.value, deferred);
      return change ? carried(ytext.toString(), change) : ytext.toString();
    },
    reconcile,
  };
}
