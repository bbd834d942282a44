// The facilitator's participants panel: the table (move, hide, rename, remove: remove asks
// first, losses.js; "remove from here on" takes a flood of fake joins out in one step) and the
// form that adds a person without a phone (with counters, never a silent cut: counter.js).
import { $, el, render } from "../shared/dom.js";
import { keyed } from "./keyed.js";
import { armed, ask } from "./confirm.js";
import { removeLoss } from "./losses.js";
import { attachCounter } from "../shared/counter.js";
import { t, tn, formatNumber, language } from "../shared/i18n.js";

const BULK = "remove_joined_since"; // one bulk removal in flight at a time
/** A server time as the time of day, to the second: a flood of joins fills a minute. */
const timeOf = (at) => new Date(at * 1000).toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

// The server's defaults; a view that carries `limits` overrides them.
const DEFAULT_LIMITS = { name: 40, title: 120, pitch: 280 };

/** ctx: {busy, run, say, view(), groupLabel(g)} from facilitator/main.js. */
export function createPeople(ctx) {
  const rowCache = new Map();
  const moveChoice = new Map(); // participant id -> the group chosen in its select (kept across renders)
  const limit = (name) => () => {
    const v = ctx.view();
    return (v && v.limits && v.limits[name]) || DEFAULT_LIMITS[name];
  };
  const counters = [];

  async function remove(button, id) {
    if (!armed(button)) return;
    const v = ctx.view();
    const p = v && v.participants.find((x) => x.id === id);
    if (!p || !(await ask(removeLoss(v, p)))) return;
    ctx.run("remove_participant", { participant: p.id }, { busyKey: `remove:${p.id}`, button, done: t("Removed {name}", { name: p.name }) });
  }

  /** Everyone from `p` to the newest in join order, after a question that names how many and
   *  since when. The count and the newest go with the command: if the list changed meanwhile,
   *  the server removes nobody (count_changed) and nobody who joined since is touched. */
  async function removeFromHere(button, id) {
    if (!armed(button)) return;
    const v = ctx.view();
    const start = v ? v.participants.findIndex((x) => x.id === id) : -1;
    if (start < 0) return;
    const leaving = v.participants.slice(start);
    const first = leaving[0];
    const last = leaving[leaving.length - 1];
    const n = leaving.length;
    const time = timeOf(first.joined_at);
    const lines = [t("Everyone from {first} (joined at {time}) to {last} (joined at {lastTime}), in the order they joined.",
      { first: first.name, time, last: last.name, lastTime: timeOf(last.joined_at) })];
    if ($("#f-filter").value.trim()) lines.push(t("This includes people your search hides."));
    lines.push(t("Their phones cannot join this session again. Anyone who joins while you decide stays."));
    if (!v.locked) lines.push(t("To stop more people joining first, lock joining."));
    const sure = await ask({
      title: tn("Remove {n} person who joined from {time} on?", "Remove {n} people who joined from {time} on?", n, { time }),
      lines, confirm: tn("Remove {n} person", "Remove {n} people", n), cancel: t("Keep everyone"), danger: true,
    });
    if (!sure) return;
    ctx.run("remove_joined_since", { participant: first.id, through: last.id, count: n },
      { busyKey: BULK, button, done: tn("Removed {n} person", "Removed {n} people", n) });
  }

  function moveControl(v, p) {
    const moveKey = `move:${p.id}`;
    const targets = v.groups.filter((g) => g.number !== p.group);
    let chosen = moveChoice.get(p.id);
    if (!targets.some((g) => String(g.number) === chosen)) chosen = targets.length ? String(targets[0].number) : "";
    const select = el("select", {
      class: "f-move-select", "aria-label": t("Move {name} to group", { name: p.name }), "data-focus": `select:${p.id}`,
      onchange: (e) => moveChoice.set(p.id, e.currentTarget.value),
    }, targets.map((g) => el("option", { value: String(g.number), selected: String(g.number) === chosen }, ctx.groupLabel(g))));
    return el("span", { class: "f-move" }, select,
      el("button", {
        type: "button", class: "f-small-button", "data-focus": moveKey, "aria-disabled": ctx.busy.has(moveKey) ? "true" : null,
        onclick: (e) => {
          const target = Number(select.value);
          if (!target) return;
          moveChoice.delete(p.id);
          ctx.run("move_participant", { participant: p.id, group: target }, {
            busyKey: moveKey, button: e.currentTarget, done: t("Moved {name} to group {n}", { name: p.name, n: target }),
          });
        },
      }, t("Move"), el("span", { class: "visually-hidden" }, ` ${p.name}`)));
  }

  function row(v, p, isLast) {
    const canMove = ["groups", "stories", "planning"].includes(v.phase) && v.groups.length > 1;
    const hideKey = `hide:${p.id}`;
    const renameKey = `rename:${p.id}`;
    const removeKey = `remove:${p.id}`;
    const group = v.groups.find((g) => g.number === p.group);
    const connection = !p.has_phone ? el("span", { class: "f-na" }, el("span", { class: "f-dot", "aria-hidden": "true" }, "–"), " ", t("no phone"))
      : p.connected ? el("span", { class: "f-online" }, el("span", { class: "f-dot", "aria-hidden": "true" }, "●"), " ", t("online"))
        : el("span", { class: "f-offline" }, el("span", { class: "f-dot", "aria-hidden": "true" }, "○"), " ", t("offline"));
    return el("tr", { class: p.has_phone && !p.connected ? "is-offline" : null },
      el("th", { scope: "row", class: "f-name" }, p.name,
        p.hidden ? el("span", { class: "f-badge" }, t("hidden from the room")) : null),
      el("td", { class: "f-story" }, p.title || el("span", { class: "f-empty" }, "—")),
      el("td", {}, p.opt_out ? t("Opted out") : el("span", { class: "f-empty" }, "—")),
      el("td", { class: "f-group-cell" }, group
        ? [el("span", { class: "f-swatch", style: { "--group": group.colour.hex }, "aria-hidden": "true" }), `${group.number} · ${t(group.colour.name)}`]
        : el("span", { class: "f-empty" }, "—")),
      el("td", {}, connection),
      el("td", {}, p.late ? t("Late") : el("span", { class: "f-empty" }, "—")),
      el("td", { class: "f-row-actions" }, canMove ? moveControl(v, p) : null,
        el("button", {
          type: "button", class: "f-small-button", "data-focus": hideKey, "aria-pressed": p.hidden ? "true" : "false",
          "aria-disabled": ctx.busy.has(hideKey) ? "true" : null,
          title: p.hidden ? t("Their name, story and answers are hidden on the projector") : t("Hide their name, story and answers on the projector"),
          onclick: (e) => ctx.run("hide_text", { participant: p.id, hidden: !p.hidden }, {
            busyKey: hideKey, button: e.currentTarget,
            done: p.hidden ? t("{name} is shown in the room again", { name: p.name }) : t("{name} is hidden from the room", { name: p.name }),
          }),
        }, p.hidden ? t("Show") : t("Hide"), el("span", { class: "visually-hidden" }, " ",
          p.hidden ? t("{name} in the room", { name: p.name }) : t("{name} from the room", { name: p.name }))),
        el("button", {
          type: "button", class: "f-small-button", "data-focus": renameKey, "aria-disabled": ctx.busy.has(renameKey) ? "true" : null,
          onclick: (e) => {
            const name = prompt(t("New name for {name}:", { name: p.name }), p.name);
            if (name === null || name.trim() === p.name) return;
            ctx.run("rename_participant", { participant: p.id, name }, {
              busyKey: renameKey, button: e.currentTarget, done: t("Renamed {name} to {new}", { name: p.name, new: name.trim() }),
            });
          },
        }, t("Rename"), el("span", { class: "visually-hidden" }, ` ${p.name}`)),
        el("button", {
          type: "button", class: "f-small-button f-remove", "data-focus": removeKey, "aria-disabled": ctx.busy.has(removeKey) ? "true" : null,
          onclick: (e) => remove(e.currentTarget, p.id),
        }, t("Remove"), el("span", { class: "visually-hidden" }, ` ${p.name}`)),
        isLast ? null : el("button", {
          type: "button", class: "f-small-button f-remove f-remove-from", "data-focus": `from:${p.id}`,
          "aria-disabled": ctx.busy.has(BULK) ? "true" : null,
          title: t("Remove {name} and everyone who joined after them", { name: p.name }),
          onclick: (e) => removeFromHere(e.currentTarget, p.id),
        }, t("Remove from here on"), el("span", { class: "visually-hidden" }, ` (${p.name})`))));
  }

  function renderPeople(v) {
    const filter = $("#f-filter").value.trim().toLowerCase();
    const people = filter
      ? v.participants.filter((p) => p.name.toLowerCase().includes(filter) || p.title.toLowerCase().includes(filter))
      : v.participants;
    const online = v.participants.filter((p) => p.has_phone && p.connected).length;
    render($("#f-people-count"), t("({count}; {online} online)", { count: formatNumber(v.participants.length), online: formatNumber(online) }));
    const empty = $("#f-people-empty");
    empty.hidden = people.length > 0;
    render(empty, v.participants.length ? t("Nobody matches this search.") : t("Nobody has joined yet."));
    const groupsKey = `${v.phase}|${v.groups.map((g) => `${g.number}:${g.colour.name}`).join(",")}|${ctx.busy.has(BULK)}`;
    const newest = v.participants.length ? v.participants[v.participants.length - 1].id : null;
    keyed($("#f-people"), rowCache, people.map((p) => ({
      key: p.id,
      sig: `${groupsKey}|${["remove", "move", "hide", "rename"].map((k) => ctx.busy.has(`${k}:${p.id}`)).join()}|${p.id === newest}|${JSON.stringify(p)}`,
      build: () => row(v, p, p.id === newest),
    })));
    for (const c of counters) c.update();
  }

  function wireAddForm() {
    const form = $("#f-add-form");
    const name = $("#add-name");
    for (const [id, key] of [["add-name", "name"], ["add-title", "title"], ["add-pitch", "pitch"]]) {
      counters.push(attachCounter($(`#${id}`), $(`#${id}-count`), limit(key)));
    }
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!name.value.trim()) {
        name.setAttribute("aria-invalid", "true");
        ctx.say(t("Give the person’s name"), { error: true });
        name.focus();
        return;
      }
      if (!counters[0].over()) name.setAttribute("aria-invalid", "false");
      const payload = {
        name: name.value, title: $("#add-title").value, pitch: $("#add-pitch").value.trim(), opt_out: $("#add-optout").checked,
      };
      // Too long is refused by the server (too_long) and shown; the fields keep what was typed.
      const ack = await ctx.run("add_participant", payload, { button: $("#btn-add") });
      if (ack && ack.ok) {
        ctx.say(ack.group ? t("Added {name} to group {n}", { name: payload.name.trim(), n: ack.group }) : t("Added {name}", { name: payload.name.trim() }));
        form.reset();
        for (const c of counters) c.update();
        name.focus();
      } else if (ack && ack.error && ack.error.code === "too_long") {
        const field = [name, $("#add-title"), $("#add-pitch")][counters.findIndex((c) => c.over())];
        if (field) field.focus();
      }
    });
  }

  return { renderPeople, wireAddForm };
}
