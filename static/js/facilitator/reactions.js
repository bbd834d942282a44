// The facilitator's line of the room's reactions in the showcase: each group's counts, as the
// projector shows them (the sum of each server process's latest; docs/protocol.md, "The
// showcase on the phones"). Only there once someone reacted.
import { el, render } from "../shared/dom.js";
import { REACTIONS, emojiImage, emojiName } from "../shared/emoji.js";
import { t } from "../shared/i18n.js";

const ORDER = REACTIONS.map((r) => r.emoji);

function picture(emoji) {
  const img = emojiImage(emoji, "f-emoji");
  for (const [prop, value] of [["width", "1.25em"], ["height", "1.25em"], ["vertical-align", "-0.25em"]]) {
    img.style.setProperty(prop, value);
  }
  return img;
}

/** Put the line after `anchor`; it fills itself from `reactions` events on `socket`. */
export function createReactionLine(anchor, socket) {
  const bySource = new Map(); // group number -> Map(source -> counts)
  const line = el("p", { class: "f-reactions", id: "f-reactions", hidden: true, style: { "flex-basis": "100%", margin: "0" } });
  anchor.after(line);

  socket.on("reactions", (message) => {
    for (const g of message.groups || []) {
      if (!bySource.has(g.number)) bySource.set(g.number, new Map());
      bySource.get(g.number).set(message.source, g.counts);
    }
    const groups = [...bySource.keys()].sort((a, b) => a - b).map((number) => {
      const sum = {};
      for (const counts of bySource.get(number).values()) {
        for (const [emoji, n] of Object.entries(counts)) sum[emoji] = (sum[emoji] || 0) + n;
      }
      return el("span", { class: "f-reactions-group" }, el("strong", {}, t("Group {n}", { n: number })),
        ORDER.filter((emoji) => sum[emoji]).map((emoji) => el("span", { class: "f-reaction", dataset: { emoji } }, " ",
          picture(emoji), el("span", { class: "visually-hidden" }, `${emojiName(emoji)} `), String(sum[emoji]))));
    });
    render(line, t("Reactions: "), groups.flatMap((g, i) => (i ? [" · ", g] : [g])));
    line.hidden = false;
  });
}
