// The facilitator's session tools: the export forms' key, deleting the session (typed room
// code in a <dialog>), and copying a link (by hand where the clipboard API is missing).
import { $, render } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

/** ctx: {code, key, say, errorText, send(event, payload) (sendRaw), deleted()}. */
export function wireSession({ code, key, say, errorText, send, deleted }) {
  for (const input of document.querySelectorAll('.f-export input[name="key"]')) input.value = key || "";

  async function deleteByPrompt() {
    const typed = prompt(t("Type the room code {code} to delete this session and all its data:", { code }));
    if (typed === null) return;
    if (typed.trim().toUpperCase() !== code) { say(t("Not deleted: that was not the room code"), { error: true }); return; }
    const ack = await send("delete_session", { confirm: code });
    if (!ack.ok) say(errorText(ack.error), { error: true });
    else deleted();
  }

  const dialog = $("#f-delete-dialog");
  const codeInput = $("#f-delete-code");
  const dialogError = $("#f-delete-error");
  $("#btn-delete").addEventListener("click", () => {
    codeInput.value = "";
    render(dialogError);
    if (typeof dialog.showModal === "function") dialog.showModal();
    else { deleteByPrompt(); return; }
    codeInput.focus();
  });
  $("#btn-delete-cancel").addEventListener("click", () => dialog.close());
  $("#f-delete-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (codeInput.value.trim().toUpperCase() !== code) {
      render(dialogError, t("That is not the room code. Type {code} to delete the session.", { code }));
      codeInput.setAttribute("aria-invalid", "true");
      codeInput.focus();
      return;
    }
    codeInput.setAttribute("aria-invalid", "false");
    const button = $("#btn-delete-confirm");
    button.disabled = true;
    const ack = await send("delete_session", { confirm: code });
    button.disabled = false;
    if (!ack.ok) render(dialogError, errorText(ack.error));
    else { dialog.close(); deleted(); }
  });
}

export async function copyLink(text, done, say) {
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
    await navigator.clipboard.writeText(text);
    $("#f-copy-fallback").hidden = true;
    say(done);
  } catch {
    // Plain HTTP on a LAN address has no clipboard API: let the facilitator copy by hand.
    const box = $("#f-copy-fallback");
    const input = $("#f-copy-text");
    box.hidden = false;
    input.value = text;
    input.focus();
    input.select();
    say(t("Copying is not available here: the link is selected below, press Ctrl+C (or ⌘C) to copy it"));
  }
}
