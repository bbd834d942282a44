// One Socket.IO connection per screen, and what every screen needs from it: the latest
// view in version order, the server's clock, a visible connection state, and commands
// with acks and client ids (docs/protocol.md).
import { io } from "../../vendor/socket.io.esm.min.js";
import { randomId } from "./dom.js";
import { language, t } from "./i18n.js";

// Codes the server refuses a connection with; retrying will not help with these.
export const REFUSALS = new Set(["unknown_session", "unknown_participant", "removed", "bad_key", "bad_auth"]);

/**
 * Connect to a session. `auth()` is called on every (re)connection, so a phone that has just
 * joined reconnects with its new token. Callbacks:
 *  onView(view)            a view at least as new as the last one
 *  onStatus(status)        "connecting" | "online" | "reconnecting"
 *  onRefused(code, text, data)  the server refused us (see REFUSALS; data: err.data); return true to retry now
 *  onDeleted()             the facilitator deleted the session
 */
export function connect({ auth, onView, onStatus = () => {}, onRefused = () => {}, onDeleted = () => {} }) {
  let lastVersion = -1;
  let lastAudience = null;
  let lastView = null;
  let offset = 0; // server clock minus local clock, seconds
  let everConnected = false;

  const socket = io({
    // The language the server words its refusals and error acks in (docs/protocol.md).
    auth: (cb) => cb({ ...auth(), language }),
    // The session in the URL as well: a proxy in front of several servers routes by it, so
    // every screen of a session reaches the process that owns it (docs/deployment.md).
    query: { session: auth().session },
    // Back within 2 s of the server returning, even after a long outage.
    reconnectionDelay: 300,
    reconnectionDelayMax: 2000,
    timeout: 8000,
  });

  const status = (s) => { document.body.dataset.connection = s; onStatus(s); };
  status("connecting");

  socket.on("connect", () => { everConnected = true; status("online"); });
  socket.on("disconnect", (reason) => {
    // "io client disconnect" is us; anything else is the network or the server.
    if (reason !== "io client disconnect") status("reconnecting");
  });
  socket.io.on("reconnect_attempt", () => status("reconnecting"));
  socket.on("connect_error", (err) => {
    if (err.message === "rate_limited") {
      // Too many attempts from this address: wait as the protocol asks, then try again.
      status("reconnecting");
      setTimeout(() => socket.connect(), 20000 + Math.random() * 20000);
      return;
    }
    if (REFUSALS.has(err.message)) {
      const retry = onRefused(err.message, (err.data && err.data.message) || err.message, err.data || {});
      if (retry) { lastVersion = -1; socket.connect(); }
      return;
    }
    status(everConnected ? "reconnecting" : "connecting");
    // A refusal is final for socket.io; a transport error retries by itself. A server
    // restarted mid-handshake can leave the socket inactive: nudge it.
    if (!socket.active) setTimeout(() => socket.connect(), 1000);
  });
  socket.on("session_deleted", () => { socket.disconnect(); onDeleted(); });
  socket.on("view", (view) => {
    // Views of one audience come in version order; a new audience (a guest that joined)
    // starts afresh.
    if (view.audience === lastAudience && view.version < lastVersion) return;
    lastVersion = view.version;
    lastAudience = view.audience;
    lastView = view;
    offset = view.now - Date.now() / 1000;
    onView(view);
  });
  // The projector and the facilitator get a changed group on its own (an edit, a format, a
  // re-roll): merged into the last full view, so the cost of an edit does not grow with the room.
  socket.on("view_patch", (patch) => {
    if (!lastView || patch.audience !== lastAudience || patch.version <= lastVersion) return;
    const changed = new Map(patch.groups.map((g) => [g.number, g]));
    lastVersion = patch.version;
    offset = patch.now - Date.now() / 1000;
    lastView = { ...lastView, version: patch.version, now: patch.now,
      groups: lastView.groups.map((g) => changed.get(g.number) || g) };
    onView(lastView);
  });
  window.addEventListener("offline", () => status("reconnecting"));
  window.addEventListener("online", () => { if (!socket.connected) socket.connect(); });

  return {
    socket,
    /** Server time now, in Unix seconds. */
    now: () => Date.now() / 1000 + offset,
    get connected() { return socket.connected; },
    /** Send a command; resolves with its ack ({ok, ...}), or {ok:false, error:{code:"offline"}}
     *  when no ack came in time. Every command carries a fresh client id unless given one,
     *  so a resend with the same cid is applied once. */
    send(event, payload = {}, { cid = randomId(16), timeout = 10000 } = {}) {
      return new Promise((resolve) => {
        if (!socket.connected) {
          resolve({ ok: false, error: { code: "offline", message: t("Not connected") }, cid });
          return;
        }
        socket.timeout(timeout).emit(event, { ...payload, cid }, (err, ack) => {
          if (err) resolve({ ok: false, error: { code: "offline", message: t("No answer from the server") }, cid });
          else resolve({ ...ack, cid });
        });
      });
    },
    /** Send without a cid (join and delete_session do not take one). */
    sendRaw(event, payload = {}, timeout = 10000) {
      return new Promise((resolve) => {
        if (!socket.connected) { resolve({ ok: false, error: { code: "offline", message: t("Not connected") } }); return; }
        socket.timeout(timeout).emit(event, payload, (err, ack) =>
          resolve(err ? { ok: false, error: { code: "offline", message: t("No answer from the server") } } : ack));
      });
    },
  };
}

/** Keep a countdown element ticking against the server clock. */
export function startTicker(callback) {
  callback();
  return setInterval(callback, 500);
}
