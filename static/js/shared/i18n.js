// Every word a screen shows goes through here, so the room can read it in its own language.
// Strings are gettext msgids in English; `{name}` marks a value filled in at run time.
//   t("Group {n}", { n: 3 })
//   tn("{n} person", "{n} people", count)      (plural forms by the catalog's rules; {n} is count)
// The page says its language in <html lang> (the server chose it: docs/translating.md), and
// its first script, /i18n/<lang>.js, made from the same gettext catalogs as the templates, has
// left the catalog in globalThis.GAMEHUB_CATALOG before any screen's module runs.
import { parsePlural } from "./plural.js";

const root = document.documentElement;
/** The page's language (a BCP 47 tag such as "de" or "en-XA") and its direction. */
export const language = root.lang || "en";
export const direction = root.dir || "ltr";
/** Where the language came from: "device" (the phone's picker), "browser", "room" or "link". */
export const languageSource = root.dataset.languageSource || "room";

// Without it (a script that failed to load), the English msgids themselves still read.
const catalog = globalThis.GAMEHUB_CATALOG || null;
const loaded = !!catalog; // only then is the list of languages known
const messages = (catalog && catalog.messages) || {};
const pluralIndex = catalog ? parsePlural(catalog.plural, catalog.nplurals) : (n) => (n === 1 ? 0 : 1);
/** Languages gamehub has, as [tag, name in that language] pairs (for the phone's picker). */
export const languages = (catalog && catalog.languages) || [["en", "English"]];

const fill = (text, params) =>
  params ? text.replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole)) : text;

/** The translation of `msgid`, with `{name}` placeholders filled from `params`. */
export function t(msgid, params) {
  const found = messages[msgid];
  return fill(typeof found === "string" && found ? found : msgid, params);
}

/** The plural form for `n` of `singular`/`plural` by the catalog's rule; `{n}` is filled with
 * `n`, written as this language writes numbers. */
export function tn(singular, plural, n, params) {
  const forms = messages[singular];
  const text = Array.isArray(forms) ? forms[pluralIndex(n)] || forms[forms.length - 1] : n === 1 ? singular : plural;
  return fill(text, { n: formatNumber(n), ...params });
}

/** Items joined as this language lists them ("1, 2 and 3" in English), numbers formatted. */
export function listOf(items) {
  // From the catalog, not Intl.ListFormat: its "and" would not come from a catalog.
  const words = items.map((item) => (typeof item === "number" ? formatNumber(item) : String(item)));
  if (words.length < 2) return words.join("");
  const list = words.slice(0, -1).reduce((a, b) => t("{a}, {b}", { a, b }));
  return t("{list} and {last}", { list, last: words[words.length - 1] });
}

let numbers = null;
/** `n` as this language writes numbers (1,234 in English, 1.234 in German). */
export function formatNumber(n) {
  if (typeof n !== "number") return String(n);
  if (!numbers) {
    try { numbers = new Intl.NumberFormat(language); } catch { numbers = new Intl.NumberFormat("en"); }
  }
  return numbers.format(n);
}

/** A screen showing the room's language reloads when the facilitator changes it, so the page,
 * its templates and its catalog all change together. Call with each view's `language`. */
export function followRoom(roomLanguage) {
  if (!roomLanguage || !loaded || languageSource !== "room" || shownFor(roomLanguage) === language) return;
  location.reload();
}

/** The language the server shows for `wanted`, as it decides (gamehub/i18n: shipped()):
 * the same tag, else its base language (pt-BR -> pt), else English. */
function shownFor(wanted) {
  const find = (tag) => languages.find(([have]) => have.toLowerCase() === tag.toLowerCase());
  const found = find(wanted) || find(wanted.split("-")[0]);
  return found ? found[0] : "en";
}

const COOKIE = "gamehub-language";
/** The phone's own choice of language, kept on the device (localStorage, and a cookie so the
 * server renders the page in it too); "" goes back to the browser's languages. */
export function setDeviceLanguage(tag) {
  try {
    if (tag) localStorage.setItem(COOKIE, tag); else localStorage.removeItem(COOKIE);
  } catch { /* private mode: the cookie still carries it */ }
  document.cookie = tag
    ? `${COOKIE}=${encodeURIComponent(tag)}; path=/; max-age=31536000; SameSite=Lax`
    : `${COOKIE}=; path=/; max-age=0; SameSite=Lax`;
  location.reload();
}

// The cookie is how the server knows the choice; if it was cleared while localStorage kept
// it, put it back and show the page in the chosen language (once: not if cookies are off).
(() => {
  let kept = null;
  try { kept = localStorage.getItem(COOKIE); } catch { return; }
  const hasCookie = () => document.cookie.split("; ").some((c) => c.startsWith(`${COOKIE}=`));
  if (!kept || hasCookie() || !languages.some(([tag]) => tag === kept)) return;
  document.cookie = `${COOKIE}=${encodeURIComponent(kept)}; path=/; max-age=31536000; SameSite=Lax`;
  if (hasCookie() && languageSource !== "link") location.reload();
})();
