// The organiser's decks: the list, the editor (title, instructions, four questions, numbered
// lists of three formats) and YAML upload and download. Errors from the server name a field
// ("formats.3.2"), shown next to the input with that id ("deck-formats-3-2").

import { $, el, render } from "../shared/dom.js";
import { t, tn, formatNumber } from "../shared/i18n.js";

const QUESTIONS = 4;
const PER_LIST = 3;

export function createDecks({ api, say, fieldError, clearErrors, reload }) {
  let editing = null; // {id} of the deck being edited, or {id: null} for a new one (a copy)
  let lastOpener = null;

  function listBox(n, formats) {
    const box = el("fieldset", { class: "o-list", "aria-describedby": `err-deck-formats-${n}` },
      el("legend", {}, t("List {n}", { n })));
    for (let i = 1; i <= PER_LIST; i += 1) {
      const id = `deck-formats-${n}-${i}`;
      box.append(el("div", { class: "o-field" },
        el("label", { for: id }, t("Format {n}", { n: i })),
        el("input", { type: "text", id, value: formats[i - 1] || "", "aria-describedby": `err-${id}` }),
        el("p", { class: "o-error", id: `err-${id}`, hidden: true })));
    }
    box.append(el("p", { class: "o-error", id: `err-deck-formats-${n}`, hidden: true }),
      el("button", { type: "button", class: "o-remove-list", onclick: () => removeList(box) }, t("Remove list {n}", { n })));
    return box;
  }

  function currentLists() {
    return [...$("#deck-lists").children].map((box) => [...box.querySelectorAll("input")].map((i) => i.value));
  }

  function renderLists(lists) {
    render($("#deck-lists"), lists.map((formats, i) => listBox(i + 1, formats)));
    for (const button of document.querySelectorAll(".o-remove-list")) button.disabled = lists.length <= 1;
  }

  function removeList(box) {
    const lists = currentLists();
    const index = [...$("#deck-lists").children].indexOf(box);
    lists.splice(index, 1);
    renderLists(lists); // renumbered: group N always takes list N
    const next = $("#deck-lists").children[Math.min(index, lists.length - 1)];
    if (next) next.querySelector("input").focus();
    say(t("List {n} removed; the lists are numbered 1 to {count}", { n: index + 1, count: lists.length }));
  }

  function open(deck, { copy }) {
    const form = $("#o-deck");
    clearErrors(form);
    editing = { id: copy ? null : deck.id };
    const data = deck.data;
    $("#deck-title").value = copy ? t("{title} (copy)", { title: data.title }) : data.title;
    $("#deck-instructions").value = data.instructions;
    render($("#deck-questions"), Array.from({ length: QUESTIONS }, (_, q) => {
      const id = `deck-questions-${q + 1}`;
      return el("div", { class: "o-field" }, el("label", { for: id }, t("Question {n}", { n: q + 1 })),
        el("input", { type: "text", id, value: data.questions[q] || "", "aria-describedby": `err-${id}` }),
        el("p", { class: "o-error", id: `err-${id}`, hidden: true }));
    }));
    renderLists(data.formats);
    render($("#o-deck-title"), copy ? t("New deck, a copy of {name}", { name: deck.name }) : t("Edit {name}", { name: deck.name }));
    form.hidden = false;
    $("#o-deck-title").focus();
  }

  function close() {
    $("#o-deck").hidden = true;
    editing = null;
    if (lastOpener && lastOpener.isConnected) lastOpener.focus();
  }

  async function save(e) {
    e.preventDefault();
    const form = $("#o-deck");
    clearErrors(form);
    const body = {
      title: $("#deck-title").value, instructions: $("#deck-instructions").value,
      questions: [...$("#deck-questions").querySelectorAll("input")].map((i) => i.value),
      formats: currentLists(),
    };
    const button = $("#deck-save");
    button.disabled = true; say(t("Saving…"));
    const reply = editing.id ? await api("PUT", `/decks/${editing.id}`, body) : await api("POST", "/decks", body);
    button.disabled = false;
    if (reply.ok) {
      form.hidden = true; editing = null;
      await reload(t("Saved deck {name}", { name: reply.data.deck.name }));
      const row = document.querySelector(`#o-decks [data-deck="${CSS.escape(reply.data.deck.id)}"] button`);
      if (row) row.focus();
      return;
    }
    if (reply.status === 403 || reply.status === 429) return;
    fieldError("deck", reply.data.error.field, reply.data.error.message);
    say(t("Not saved: {reason}", { reason: reply.data.error.message }), { error: true });
  }

  async function download(deck) {
    const reply = await api("GET", `/decks/${deck.id}/yaml`);
    if (!reply.ok) { say(t("The deck could not be downloaded"), { error: true }); return; }
    // Fetched with the key in a header, then handed to the browser as a file.
    const url = URL.createObjectURL(new Blob([reply.data], { type: "application/yaml" }));
    const link = el("a", { href: url, download: `gamehub-deck-${deck.id}.yaml`, hidden: true });
    document.body.append(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    say(t("Downloaded {name} as YAML", { name: deck.name }));
  }

  async function remove(deck, button) {
    if (!button.dataset.armed) { // a second press, on the same button, deletes: a slip costs nothing
      button.dataset.armed = "1"; button.textContent = t("Really delete {name}?", { name: deck.name });
      say(t("Press again to delete the deck (sessions made with it keep their own copy)"));
      return;
    }
    say(t("Deleting…"));
    const reply = await api("DELETE", `/decks/${deck.id}`);
    if (reply.ok) { await reload(t("Deleted deck {name}", { name: deck.name })); $("#o-decks-title").focus(); }
    else say(reply.data.error.message, { error: true });
  }

  function deckItem(deck) {
    const opener = (copy) => (e) => { lastOpener = e.currentTarget; open(deck, { copy }); };
    const actions = [el("button", { type: "button", onclick: opener(true) }, t("Make a copy"))];
    if (!deck.builtin) actions.unshift(el("button", { type: "button", onclick: opener(false) }, t("Edit")));
    actions.push(el("button", { type: "button", onclick: () => download(deck) }, t("Download YAML")));
    if (!deck.builtin) {
      const button = el("button", { type: "button", class: "danger", onclick: (e) => remove(deck, e.currentTarget) }, t("Delete"));
      // Armed only while it keeps the focus: a press much later starts again.
      button.addEventListener("blur", () => { delete button.dataset.armed; button.textContent = "Delete"; });
      actions.push(button);
    }
    const lists = deck.data.formats.length;
    return el("li", { class: "o-deck-item", "data-deck": deck.id },
      el("div", {}, el("strong", {}, deck.name), " ",
        el("span", { class: "muted" }, tn("{n} format list", "{n} format lists", lists), deck.builtin ? ` · ${t("built in, cannot be changed")}` : "")),
      el("div", { class: "o-buttons" }, actions));
  }

  async function upload(e) {
    e.preventDefault();
    const form = $("#o-upload");
    clearErrors(form);
    const file = $("#upload-file").files[0];
    if (!file) { fieldError("upload", "file", t("Choose a YAML file first")); return; }
    if (file.size > 64 * 1024) { fieldError("upload", "file", t("The file is {size} KB; a deck file is at most 64 KB", { size: formatNumber(Math.ceil(file.size / 1024)) })); return; }
    say(t("Uploading…"));
    const reply = await api("POST", "/decks/upload", undefined, { raw: await file.arrayBuffer() });
    if (reply.ok) { form.reset(); await reload(t("Uploaded deck {name}", { name: reply.data.deck.name })); return; }
    if (reply.status === 403 || reply.status === 429) return;
    const { message } = reply.data.error; // it names the place in the file ("list 3, format 2: empty")
    fieldError("upload", "file", message);
    say(t("Not uploaded: {reason}", { reason: message }), { error: true });
  }

  return {
    render(decks) { render($("#o-decks"), decks.map(deckItem)); },
    wire() {
      $("#o-deck").addEventListener("submit", save);
      $("#deck-cancel").addEventListener("click", close);
      $("#deck-add-list").addEventListener("click", () => {
        const lists = [...currentLists(), ["", "", ""]];
        renderLists(lists);
        $("#deck-lists").lastChild.querySelector("input").focus();
      });
      $("#o-upload").addEventListener("submit", upload);
    },
  };
}
