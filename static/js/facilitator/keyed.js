// Re-rendering lists of the facilitator's screen without losing the keyboard focus.

/** Whether a control can take the focus and act now. */
export const usable = (node) => !node.disabled && !node.closest("[hidden]") && node.getAttribute("aria-disabled") !== "true";

/** Re-render a list of keyed children, reusing the nodes whose signature did not change and
 *  moving as little as possible, so focus and an open <select> survive a new view. */
export function keyed(container, cache, items) {
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
