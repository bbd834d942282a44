// Every word a screen shows goes through here, so the room can read it in its own language.
// Strings are gettext msgids in English; `{name}` marks a value filled in at run time.
//   t("Group {n}", { n: 3 })
//   tn("{n} person", "{n} people", count)      (plural forms by the catalog's rules; {n} is count)
// Until the catalogs are loaded (issue 14) this is the English source itself.

const fill = (text, params) =>
  params ? text.replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole)) : text;

/** The translation of `msgid`, with `{name}` placeholders filled from `params`. */
export function t(msgid, params) {
  return fill(msgid, params);
}

/** The plural form for `n` of `singular`/`plural`; `{n}` is filled with `n`. */
export function tn(singular, plural, n, params) {
  return fill(n === 1 ? singular : plural, { n, ...params });
}
