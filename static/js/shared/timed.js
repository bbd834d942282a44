// Server times in a sentence, written by the browser: the phone's help box and message banner
// and the facilitator's raised hands and messages all say "at 14:02" this way.
import { el } from "./dom.js";

/** A server time (Unix seconds) as this device's time of day, e.g. "14:02". */
export const timeOfDay = (at) => new Date(at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** Where the time goes in a sentence: t("You asked at {time}", { time: TIME }), then timed(). */
export const TIME = "\uE000";

/** A translated sentence holding TIME, as nodes with the time of `at` in a <time>: the browser
 *  writes it (Intl, "1:46 PM" or "13:46"), so it is the browser's words, not the catalog's. */
export function timed(text, at) {
  const when = () => el("time", { datetime: new Date(at * 1000).toISOString() }, timeOfDay(at));
  return text.split(TIME).flatMap((part, i) => (i ? [when(), part] : [part]));
}
