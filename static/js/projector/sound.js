// The projector's sounds, made by Web Audio oscillators (no audio files, nothing to license).
// Browsers start an AudioContext suspended until the page gets a click or a key: the projector
// shows a prompt saying so until it has one. The facilitator can mute the room (view.sound);
// a muted projector schedules nothing. For tests and the curious, the root element carries
// data-sound-state (the AudioContext's state, or "none"), data-sounds (how many sounds were
// scheduled) and data-last-sound (the last one's name).

const SOUNDS = {
  // name: [[frequency Hz, start s, length s, peak gain], ...]
  warning: [[660, 0, 0.22, 0.22], [660, 0.3, 0.22, 0.22]], // one minute left: two soft beeps
  tick: [[880, 0, 0.08, 0.12]], // each of the last ten seconds
  end: [[784, 0, 0.35, 0.25], [523, 0.35, 0.6, 0.25]], // time's up: a falling pair
  chime: [[523, 0, 0.9, 0.14], [659, 0.18, 0.9, 0.12], [784, 0.36, 1.2, 0.1]], // a presenter's time: gentle
};

export function createSound(root, prompt) {
  let ctx = null;
  let allowed = true; // the facilitator's mute, from the view
  let played = 0;

  function state() {
    const now = ctx ? ctx.state : "none";
    root.dataset.soundState = now;
    const waiting = allowed && now !== "running";
    prompt.hidden = !waiting;
    return now;
  }

  function ensure() {
    if (!ctx) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return null;
      ctx = new Context();
      ctx.addEventListener("statechange", state);
    }
    return ctx;
  }

  function unlock() {
    const c = ensure();
    if (c && c.state !== "running") c.resume().then(state, state);
    state();
  }

  ensure();
  state();
  // The one click (or key) browsers ask for: anywhere on the page will do.
  for (const type of ["pointerdown", "keydown"]) window.addEventListener(type, unlock, { capture: true });
  prompt.addEventListener("click", unlock);

  return {
    /** Follow the facilitator's mute. */
    setAllowed(on) {
      allowed = !!on;
      root.dataset.sound = allowed ? "on" : "muted";
      state();
    },
    /** Play a named sound now, if allowed and the browser lets us. */
    play(name) {
      const notes = SOUNDS[name];
      if (!notes || !allowed || !ctx || ctx.state !== "running") return false;
      const t0 = ctx.currentTime + 0.02;
      for (const [freq, start, length, peak] of notes) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t0 + start);
        gain.gain.exponentialRampToValueAtTime(peak, t0 + start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + start + length);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t0 + start);
        osc.stop(t0 + start + length + 0.05);
      }
      played += 1;
      root.dataset.sounds = String(played);
      root.dataset.lastSound = name;
      return true;
    },
  };
}
