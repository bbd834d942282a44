// The page for a room code the server does not know. A phone that was in that session (it still
// holds its identity, or it saw the session deleted) knows it was no typo: the session ended.
import { $, pageCode, render, storage } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { endedMark } from "./ending.js";

const code = pageCode();
if (code && (storage.get(endedMark(code)) || storage.get(`gamehub:${code}:token`))) {
  document.title = t("This session has ended");
  render($("#missing-h"), t("This session has ended"));
  render($("#missing-text"), t("The facilitator closed it and its data was deleted. Thank you for playing."));
  render($("#missing-link"), t("Enter a room code"));
}
