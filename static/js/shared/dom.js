// Building the screens from views. Text from people only ever goes in as text nodes
// (textContent), never as HTML, so a name like "<img onerror=...>" shows as typed.

/** Create an element: el("p", {class: "x", "aria-live": "polite"}, "text", child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "style" && typeof value === "object") {
      for (const [prop, v] of Object.entries(value)) node.style.setProperty(prop, v);
    } else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace every child of `node` with `children`. */
export function render(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** A staff screen that cannot go on (a wrong link, a session gone): `root`'s content becomes a
 *  heading and its lines, each a paragraph unless it is a node already; no banner above it. */
export function showMessage(root, className, title, lines) {
  document.body.classList.add("no-banner");
  render(root, el("main", { class: className },
    el("h1", {}, title),
    lines.map((line) => (line instanceof Node ? line : el("p", {}, line)))));
}

/** mm:ss for a countdown; negative time shows 0:00. */
export function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** localStorage that survives private mode (falls back to memory for this page). */
const memory = new Map();
export const storage = {
  get(key) { try { return localStorage.getItem(key); } catch { return memory.has(key) ? memory.get(key) : null; } },
  set(key, value) { try { localStorage.setItem(key, value); } catch { memory.set(key, value); } },
  del(key) { try { localStorage.removeItem(key); } catch { /* memory only */ } memory.delete(key); },
};

/** Make a textarea as tall as its text (CSSOM, so no inline style attribute is needed). */
export function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${textarea.scrollHeight + 4}px`;
}

/** The room code of this page, from <body data-code>. */
export const pageCode = () => document.body.dataset.code;

/** A random id from the CSPRNG: crypto.randomUUID needs HTTPS, a venue laptop serves HTTP. */
export function randomId(bytes = 16) {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A key handed over in the URL fragment (#key=...): kept in sessionStorage, then removed from
 *  the address bar so it does not end up on a screenshot of the projector. */
export function fragmentKey(code, role) {
  const storageKey = `gamehub:${code}:${role}-key`;
  const match = /(?:^|[#&])key=([^&]+)/.exec(location.hash);
  if (match) {
    const key = decodeURIComponent(match[1]);
    try { sessionStorage.setItem(storageKey, key); } catch { /* private mode: keep it in memory */ }
    history.replaceState(null, "", location.pathname + location.search);
    return key;
  }
  try { return sessionStorage.getItem(storageKey); } catch { return null; }
}
