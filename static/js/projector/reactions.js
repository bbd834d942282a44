// Reactions on the projector: the taps of the room for the group on screen, as emoji with
// counts in the corner of the showcase card, and a few emoji floating up as they come (none
// with reduced motion: then the counts alone change). The server sends `reactions` a few
// times a second, per server process (`source`): the counts shown are the sum of each
// source's latest (docs/protocol.md, "The showcase on the phones").
import { el, render } from "../shared/dom.js";
import { REACTIONS, emojiImage, emojiName } from "../shared/emoji.js";
import { t } from "../shared/i18n.js";

const ORDER = REACTIONS.map((r) => r.emoji);
const FLOATS_PER_MESSAGE = 8; // a thousand taps are a crowd of emoji, not a thousand nodes
const FLOATS_AT_ONCE = 40;
const reduced = window.matchMedia("(prefers-reduced-motion: reduce)");

/** Put the reactions layer over `stage`; `show(view)` after each view says which card is on. */
export function createReactions(stage, socket) {
  const bySource = new Map(); // group number -> Map(source -> {emoji: count})
  let group = null; // the number of the group on screen, or null (no single card shown)

  const bar = el("ul", { class: "p-reactions", id: "p-reactions", "aria-label": t("Reactions from the room") });
  const sky = el("div", { class: "p-react-sky", "aria-hidden": "true" });
  const layer = el("div", { class: "p-react-layer", hidden: true }, sky, bar);
  stage.append(layer);

  function totals(number) {
    const sum = {};
    for (const counts of (bySource.get(number) || new Map()).values()) {
      for (const [emoji, n] of Object.entries(counts)) sum[emoji] = (sum[emoji] || 0) + n;
    }
    return sum;
  }

  function paint() {
    layer.hidden = group === null;
    if (group === null) return;
    const sum = totals(group);
    render(bar, ORDER.filter((emoji) => sum[emoji]).map((emoji) => el("li", { class: "p-react", dataset: { emoji } },
      emojiImage(emoji, "p-react-emoji"),
      el("span", { class: "p-react-n" }, String(sum[emoji])),
      el("span", { class: "visually-hidden" }, ` ${emojiName(emoji)}`))));
  }

  function float(added) {
    if (reduced.matches) return;
    const all = Object.entries(added).flatMap(([emoji, n]) => Array(Math.min(n, FLOATS_PER_MESSAGE)).fill(emoji));
    for (const emoji of all.slice(0, FLOATS_PER_MESSAGE)) {
      const bubble = el("span", { class: "p-float", style: {
        "--x": `${Math.round(Math.random() * 90)}%`, "--delay": `${(Math.random() * 0.4).toFixed(2)}s`,
        "--drift": `${Math.round(Math.random() * 4 - 2)}em` } }, emojiImage(emoji, "p-float-emoji"));
      bubble.addEventListener("animationend", () => bubble.remove());
      sky.append(bubble);
    }
    while (sky.children.length > FLOATS_AT_ONCE) sky.firstChild.remove();
  }

  socket.on("reactions", (message) => {
    for (const g of message.groups || []) {
      if (!bySource.has(g.number)) bySource.set(g.number, new Map());
      bySource.get(g.number).set(message.source, g.counts);
      if (g.number === group) float(g.added);
    }
    paint();
  });

  return {
    show(v) {
      const show = v.phase === "showcase" && v.showcase;
      const g = show && !show.gallery ? v.groups[show.index] : null;
      const next = g ? g.number : null;
      if (next !== group) render(sky); // the last card's emoji stay with it
      group = next;
      paint();
    },
  };
}
