// The phone's language picker (templates/phone.html): the choice stays on this device.
import { setDeviceLanguage } from "../shared/i18n.js";

const picker = document.getElementById("phone-language");
if (picker) picker.addEventListener("change", () => setDeviceLanguage(picker.value));
