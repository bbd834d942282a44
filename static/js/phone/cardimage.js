// A group's card to keep, made on the phone: as plain text (a .txt file, or copied) and as a
// PNG picture drawn on a canvas, with every text wrapped to the card's width and large enough
// to read on a phone's photo viewer. No library: the Canvas 2D API measures and draws text,
// and canvas.toBlob makes the PNG. Nothing leaves the phone.
import { t } from "../shared/i18n.js";

/**
 * The card as data, from a phone view after the end (docs/protocol.md, "The end of the game"):
 * {deck, number, colour: {name, hex}, members: [names], story: {title, pitch, owner} | null,
 *  format: name | null, answers: [{question, text}]}.
 */
export function cardOf(view) {
  const g = view.group;
  const format = g.format === null || g.format === undefined ? null : g.formats[g.format];
  return {
    deck: view.title,
    number: g.number,
    colour: g.colour,
    members: g.members.map((m) => m.name),
    story: g.story ? { title: g.story.title, pitch: g.story.pitch, owner: g.story.owner_name } : null,
    format,
    answers: g.questions.map((question, i) => ({
      question, text: ((g.answers && g.answers[i] && g.answers[i].text) || "").trim() })),
  };
}

/** The card as plain text, one section after the other, as a person would write it down. */
export function cardText(card) {
  const colour = t(card.colour.name); // a msgid (server_messages.py COLOURS)
  const lines = [card.deck, "", t("Group {n} ({colour})", { n: card.number, colour }),
    t("Members: {names}", { names: card.members.join(", ") }), ""];
  if (card.story) {
    lines.push(t("Story: {title}", { title: card.story.title || t("(no title)") }));
    if (card.story.pitch) lines.push(card.story.pitch);
    lines.push(t("By {name}", { name: card.story.owner }), "");
  }
  const format = card.format || t("none chosen"); // (not nested in t(): the extractor skips inner calls)
  lines.push(t("Format: {format}", { format }), "");
  card.answers.forEach((a, i) => lines.push(`${i + 1}. ${a.question}`, a.text || t("(no answer)"), ""));
  return `${lines.join("\n").trim()}\n`;
}

// The picture: 1080 px wide (a phone screen's width at 3x), type from 30 to 64 px.
const WIDTH = 1080;
const PAD = 72;
const INNER = WIDTH - 2 * PAD;
const MAX_PIXELS = 16e6; // Safari's largest canvas; a taller card is drawn smaller, never cut
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const INK = "#111827";
const MUTED = "#4B5563";
const STYLES = {
  deck: { size: 34, weight: 600, colour: "#FFFFFF", gap: 8 },
  group: { size: 64, weight: 800, colour: "#FFFFFF", gap: 10 },
  colour: { size: 34, weight: 600, colour: "#FFFFFF", gap: 0 },
  label: { size: 28, weight: 700, colour: MUTED, gap: 10, before: 40 },
  title: { size: 42, weight: 700, colour: INK, gap: 12 },
  text: { size: 36, weight: 400, colour: INK, gap: 12 },
  quiet: { size: 32, weight: 600, colour: MUTED, gap: 12 },
  question: { size: 34, weight: 700, colour: INK, gap: 10, before: 36 },
};
const font = (s) => `${s.weight} ${s.size}px ${FONT}`;
const lineHeight = (s) => Math.round(s.size * 1.3);

/** Lines of at most `width` px: breaks between words, and inside a word only when it is
 *  wider than a line on its own. Line breaks in the text are kept. */
export function wrap(ctx, text, width) {
  const lines = [];
  for (const paragraph of String(text).split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const tried = line ? `${line} ${word}` : word;
      if (ctx.measureText(tried).width <= width) { line = tried; continue; }
      if (line) lines.push(line);
      line = "";
      let rest = word;
      while (ctx.measureText(rest).width > width) { // a word longer than a line: cut it
        let cut = rest.length - 1;
        while (cut > 1 && ctx.measureText(rest.slice(0, cut)).width > width) cut -= 1;
        lines.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      line = rest;
    }
    lines.push(line);
  }
  return lines;
}

/** The blocks of the picture below its coloured head: [style name, text]. */
function blocks(card) {
  const out = [["label", t("Members")], ["text", card.members.join(", ")], ["label", t("Story")]];
  if (card.story) {
    out.push(["title", card.story.title || t("(no title)")]);
    if (card.story.pitch) out.push(["text", card.story.pitch]);
    out.push(["quiet", t("By {name}", { name: card.story.owner })]);
  } else {
    out.push(["quiet", t("No story")]);
  }
  out.push(["label", t("Format")], ["title", card.format || t("No format chosen")]);
  card.answers.forEach((a, i) => out.push(["question", `${i + 1}. ${a.question}`],
    a.text ? ["text", a.text] : ["quiet", t("(no answer)")]));
  return out;
}

/** Lay out `items` ([style, text]) from y; returns [{style, lines, y}] and the next y. */
function layout(ctx, items, y) {
  const placed = [];
  for (const [name, text] of items) {
    const style = STYLES[name];
    ctx.font = font(style);
    y += style.before || 0;
    const lines = wrap(ctx, name === "label" ? text.toUpperCase() : text, INNER);
    placed.push({ style, lines, y });
    y += lines.length * lineHeight(style) + style.gap;
  }
  return { placed, y };
}

function paint(ctx, placed) {
  ctx.textBaseline = "top";
  for (const { style, lines, y } of placed) {
    ctx.font = font(style);
    ctx.fillStyle = style.colour;
    lines.forEach((line, i) => ctx.fillText(line, PAD, y + i * lineHeight(style)));
  }
}

/** The card as a PNG picture (a Blob). */
export function cardPicture(card) {
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  const colour = t(card.colour.name); // a msgid (server_messages.py COLOURS)
  const head = layout(ctx, [["deck", card.deck], ["group", t("Group {n}", { n: card.number })],
    ["colour", t("{colour} group", { colour })]], PAD);
  const headHeight = head.y + PAD / 2;
  const body = layout(ctx, blocks(card), headHeight + 16);
  const footer = layout(ctx, [["quiet", t("Made with gamehub")]], body.y + 40);
  const height = Math.ceil(footer.y + PAD);
  const scale = Math.min(1, Math.sqrt(MAX_PIXELS / (WIDTH * height)));
  canvas.width = Math.floor(WIDTH * scale);
  canvas.height = Math.floor(height * scale);
  ctx.scale(scale, scale);
  ctx.fillStyle = "#FFFFFF";
  ctx.fillRect(0, 0, WIDTH, height);
  ctx.fillStyle = card.colour.hex; // dark enough for white text (views.py's palette)
  ctx.fillRect(0, 0, WIDTH, headHeight);
  paint(ctx, head.placed);
  paint(ctx, body.placed);
  ctx.fillStyle = "#D1D5DB";
  ctx.fillRect(PAD, body.y + 12, INNER, 3);
  paint(ctx, footer.placed);
  return new Promise((resolve, reject) => canvas.toBlob(
    (blob) => (blob ? resolve(blob) : reject(new Error(t("the picture could not be made")))), "image/png"));
}

/** Hand `blob` to the phone as a download named `name`. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
