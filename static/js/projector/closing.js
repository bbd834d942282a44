// The projector after the end of the game: a closing screen the room reads from the back row,
// with the session's title, a thank-you, and where each group's card is now (on its phones).
import { el } from "../shared/dom.js";
import { t, tn } from "../shared/i18n.js";

/** The closing screen for a projector view whose `ended_at` is set. */
export function showClosing(v) {
  const groups = v.groups.length;
  return el("section", { class: "p-closing", "aria-labelledby": "p-closing-h" },
    el("p", { class: "p-closing-kicker" }, t("The game has ended")),
    el("h2", { class: "p-closing-h", id: "p-closing-h" }, t("Thank you!")),
    el("p", { class: "p-closing-title" }, v.title),
    el("p", { class: "p-closing-note" },
      tn("{n} person played", "{n} people played", v.participant_count), " · ",
      tn("{n} group presented", "{n} groups presented", groups)),
    groups ? el("p", { class: "p-closing-note" }, t("Each group's card is on its members' phones, to keep.")) : null);
}
