// The room's language, set from the control screen (templates/facilitator.html): the
// projector and every phone without a language of its own follow it (set_language).
import { t } from "../shared/i18n.js";

/** Wire the picker: `run` sends a command as main.js's ctx.run does. */
export function languagePicker(run) {
  const picker = document.getElementById("f-language");
  if (!picker) return { show() {} };
  picker.addEventListener("change", (e) => {
    run("set_language", { language: picker.value }, { button: e.currentTarget, done: t("Language changed") });
  });
  return {
    /** Keep the picker on the room's language as views arrive. */
    show(view) { if (view.language && document.activeElement !== picker) picker.value = view.language; },
  };
}
