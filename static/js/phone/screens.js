// The phone's building blocks and its simple screens (lobby, groups, stories): everything that
// draws from the view alone. The screens that talk to the server or the sheet (planning,
// showcase) stay in main.js.
import { el, render } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

export const heading = (...children) => el("h1", { tabindex: "-1" }, ...children);

export function message(kind, title, text, ...more) {
  return { node: el("section", { class: `screen screen-message screen-${kind}` }, heading(title), el("p", {}, text), ...more) };
}

/** The group's number on its colour, with the colour's name in words next to it. */
export function badge(group, size) {
  const node = el("span", { class: `group-badge badge-${size}` }, String(group.number));
  node.style.setProperty("background-color", group.colour.hex);
  return node;
}

export function colourLine(group) {
  const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
  swatch.style.setProperty("background-color", group.colour.hex);
  return el("p", { class: "colour-name" }, swatch, t("{colour} group", { colour: t(group.colour.name) }));
}

export function groupHeader(group, { timer = null } = {}) {
  return el("div", { class: "group-bar" },
    badge(group, "small"),
    el("span", { class: "group-bar-text" }, el("strong", {}, t("Group {n}", { n: group.number })),
      el("span", { class: "group-bar-colour" }, el("span", { class: "visually-hidden" }, ", "), t("{colour} group", { colour: t(group.colour.name) }))),
    timer);
}

export function storyCard(story, { title = true } = {}) {
  return [
    story.mine ? el("p", { class: "mine-flag" }, t("It's your story!")) : null,
    title ? el("p", { class: "story-title" }, story.title || t("(no title)")) : null,
    story.pitch ? el("p", { class: "story-pitch" }, story.pitch) : null,
    el("p", { class: "story-owner" }, story.mine ? t("By {name} (you)", { name: story.owner_name }) : t("By {name}", { name: story.owner_name })),
  ];
}

// -- after joining ----------------------------------------------------------------------

export function lobbyScreen() {
  const title = heading();
  const waiting = el("p", { class: "lead" });
  const mine = el("div", { class: "card my-story" });
  return {
    node: el("section", { class: "screen screen-lobby" }, title, waiting, mine,
      el("p", { class: "muted" }, t("Keep this page open. It changes by itself when the game moves on."))),
    update(v) {
      render(title, t("You're in, {name}.", { name: v.me.name }));
      render(waiting, v.phase === "lobby" ? t("Waiting for the facilitator to form groups…")
        : t("Waiting for the facilitator to put you in a group…"));
      render(mine,
        el("p", { class: "card-label" }, t("Your story")),
        el("p", { class: "story-title" }, v.me.title || t("(no title)")),
        v.me.pitch ? el("p", { class: "story-pitch" }, v.me.pitch) : null,
        v.me.opt_out ? el("p", { class: "muted" }, t("You asked us not to pick it.")) : null);
    },
  };
}

export function membersList(group) {
  return group.members.map((m) => el("li", { class: m.me ? "member me" : "member" },
    m.name, m.me ? el("span", { class: "you" }, " ", t("(you)")) : null));
}

export function groupsScreen() {
  const title = heading();
  const colour = el("div");
  const big = el("div", { class: "group-hero" }, title, colour);
  const late = el("p", { class: "notice", hidden: true });
  const members = el("ul", { class: "members" });
  return {
    node: el("section", { class: "screen screen-groups" }, big, late,
      el("h2", {}, t("Your group")), members,
      el("p", { class: "muted" }, t("Find each other! Next, the facilitator picks one story per group."))),
    update(v) {
      const g = v.group;
      render(title, el("span", { class: "hero-lead" }, t("You are in group"), " "), badge(g, "huge"));
      render(colour, colourLine(g));
      late.hidden = !v.late_group;
      late.textContent = v.late_group ? t("You joined late, so you were added to group {n}.", { n: v.late_group }) : "";
      render(members, membersList(g));
    },
  };
}

export function storiesScreen() {
  const bar = el("div");
  const title = heading();
  const card = el("div", { class: "card story" });
  const members = el("ul", { class: "members compact" });
  return {
    node: el("section", { class: "screen screen-stories" }, bar, title, card,
      el("h2", {}, t("Your group")), members,
      el("p", { class: "muted" }, t("Next: choose a format and plan together on your phones."))),
    update(v) {
      const g = v.group;
      render(bar, groupHeader(g));
      if (g.story) {
        render(title, t("Your group's story"));
        render(card, storyCard(g.story));
      } else {
        render(title, t("Picking a story…"));
        render(card, el("p", { class: "muted" }, t("The facilitator is picking your group's story.")));
      }
      render(members, membersList(g));
    },
  };
}
