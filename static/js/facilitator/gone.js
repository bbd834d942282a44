// What the facilitator sees in place of the controls when they cannot be used: a link that
// is not right, a session that no longer exists or was deleted, a key that was replaced.
import { $, el, showMessage } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

/** `onGone()` runs before any of these replaces the controls (the page stops drawing them). */
export function createGone({ code, key, onGone }) {
  function message(title, ...lines) {
    onGone();
    const dialog = $("#f-delete-dialog");
    if (dialog && dialog.open) dialog.close();
    showMessage($("#facilitator"), "f-message narrow", title, lines);
  }

  let wasDeleted = false;
  return {
    deleted() {
      if (wasDeleted) return;
      wasDeleted = true;
      message(t("This session was deleted"), t("Session {code} and all its data are gone.", { code }),
        el("p", {}, el("a", { href: "/" }, t("Go to the home page"))));
    },
    /** The server refused this screen (`refused` in connection.js). */
    refused(codeName, text) {
      if (codeName === "bad_key") {
        message(t("This facilitator link is not right"),
          key ? t("Its key does not match this session.") : t("The link has no key (it should end with #key=…)."),
          t("Use the facilitator link gamehub printed when the session was made. To make a new one, run:"),
          el("pre", {}, el("code", {}, `gamehub sessions key ${code}`)));
      } else if (codeName === "unknown_session") {
        message(t("No session {code}", { code }), t("This session does not exist (any more)."),
          el("p", {}, el("a", { href: "/" }, t("Go to the home page"))));
      } else {
        message(t("Cannot open this session"), text);
      }
      return false;
    },
    /** `gamehub sessions key CODE` replaced this link's key. */
    replaced() {
      message(t("This facilitator link was replaced"),
        t("Someone made a new facilitator link for this session (gamehub sessions key), so this one no longer works."),
        t("Open the new link to go on."));
    },
  };
}
