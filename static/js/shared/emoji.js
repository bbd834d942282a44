// The five reactions (gamehub/server/reactions.py), in the order every screen shows them, each
// as a picture (static/vendor/twemoji: the same on every phone and on a projector laptop with no
// colour emoji font) with a name for screen readers.
import { el } from "./dom.js";
import { t } from "./i18n.js";

export const REACTIONS = [
  { emoji: "👏", file: "1f44f", name: () => t("Applause") },
  { emoji: "😂", file: "1f602", name: () => t("Laughter") },
  { emoji: "😮", file: "1f62e", name: () => t("Wow") },
  { emoji: "❤️", file: "2764", name: () => t("Love") },
  { emoji: "💡", file: "1f4a1", name: () => t("Good idea") },
];
const BY_EMOJI = new Map(REACTIONS.map((r) => [r.emoji, r]));

/** The picture of `emoji` (decorative: say its name beside it), or null for an unknown one. */
export function emojiImage(emoji, cls = "emoji") {
  const reaction = BY_EMOJI.get(emoji);
  if (!reaction) return null;
  return el("img", { class: cls, alt: "", draggable: "false",
    src: new URL(`../../vendor/twemoji/${reaction.file}.svg`, import.meta.url).href });
}

/** The name of `emoji` for people ("Applause"). */
export const emojiName = (emoji) => (BY_EMOJI.has(emoji) ? BY_EMOJI.get(emoji).name() : emoji);
