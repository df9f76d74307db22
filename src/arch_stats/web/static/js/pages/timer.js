// The range timer: World Archery's shooting clock on a big screen, run from an organiser's
// phone. One WebSocket per screen (GET /api/v0/ws?timer=ID for members, ?timer=ast_… for a
// public link): the server sends the timer's state (`timer.state`) at once and at every change
// — an organiser's command, or the clock's own (walk-up → shooting, a detail's time out).
//
// Every screen shows the same remaining time: the state's times are the server's (epoch ms),
// and each screen measures how far its clock is from the server's as NTP does — it sends
// `ping` with its own time t0, the server answers `pong` with its time, received at t3:
// offset = server − (t0 + t3) / 2, kept from the sample with the shortest round trip (the
// least uncertain) of the last few. The remaining time is then ends_at − (local now + offset),
// drawn every animation frame, and exposed as `data-remaining-ms` on the clock face.
//
// Sounds: whistles made with WebAudio (no sound files); browsers allow sound only after a tap,
// so the page says "Tap to enable sound" until there has been one. Two signals: to the shooting
// line (10 s walk-up, red); one: shoot (green; yellow in the last 30 s); three: end — collect
// arrows; five: emergency stop.
//
// /app/clubs/{club}/timer: the club's timers (organisers make them); /app/clubs/{club}/timer/{id}:
// one timer, with its controls for the club's owners and coaches (and ?screen=1, the big screen
// without them); /app/timer/{token}: the big screen by a public link, without an account.

import { del, get, patch, post } from "../api.js";
import { busy, clear, errorBox, errorSlot, field, h, keepFocus, select } from "../dom.js";

const DELAYS_MS = [300, 1000, 2000, 4000, 8000];
const SILENCE_MS = 75_000; // the server beats every 30 s
const PINGS_AT_START = 6; // samples taken at once on connect
const PING_EVERY_MS = 20_000; // then one sample now and then (clocks drift)
const SAMPLES = 8; // kept; the one with the shortest round trip counts
const SIGNAL_FRESH_MS = 3_000; // a signal heard later than this after it was given is not played
const CLOSED = {
  4401: "Your sign-in has ended. Sign in again to see the timer.",
  4403: "This timer is no longer shared with you (or its link was withdrawn).",
  4404: "There is no such timer (or the link was withdrawn).",
  4422: "This timer address is not valid.",
};
const PHASE_TEXT = { ready: "Waiting", walkup: "To the line", shoot: "Shoot", collect: "Collect arrows" };

/** The server's clock, as this screen estimates it. */
export class ServerClock {
  constructor() {
    this.samples = [];
    this.offset = 0;
  }
  local() {
    return performance.timeOrigin + performance.now();
  }
  now() {
    return this.local() + this.offset;
  }
  /** A ping sent at t0 (local), answered with the server's time, received at t3 (local). */
  sample(t0, server, t3) {
    this.samples.push({ rtt: t3 - t0, offset: server - (t0 + t3) / 2 });
    if (this.samples.length > SAMPLES) this.samples.shift();
    this.offset = this.samples.reduce((best, s) => (s.rtt < best.rtt ? s : best)).offset;
  }
}

/** What is left of the phase at the server's time now (ms), or null when nothing runs. */
function remainingMs(s, clock) {
  if (s.paused_remaining_ms !== null) return s.paused_remaining_ms;
  if (s.ends_at === null) return null;
  return Math.max(0, s.ends_at - clock.now());
}

/** The light: red but while shooting, yellow in the last seconds. */
function colourOf(s, left) {
  if (s.emergency || s.phase !== "shoot") return "red";
  if (left === 0) return "red";
  return left !== null && left <= s.warning_ms ? "yellow" : "green";
}

const digitsOf = (s, left) => (s.emergency ? "STOP" : left === null ? "" : String(Math.ceil(left / 1000)));

/** Whistles, generated: a shrill tone with a warble, `count` blasts. */
class Whistle {
  constructor() {
    this.ctx = null;
  }
  get on() {
    return this.ctx !== null && this.ctx.state === "running";
  }
  async enable() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return false;
    this.ctx = this.ctx || new Context();
    await this.ctx.resume();
    return this.on;
  }
  mute() {
    if (this.ctx) this.ctx.suspend();
  }
  play(count) {
    if (!this.on) return;
    const blast = count >= 5 ? 0.3 : 0.45;
    const gap = count >= 5 ? 0.2 : 0.35;
    let at = this.ctx.currentTime + 0.02;
    for (let i = 0; i < count; i += 1) {
      this.#blast(at, blast);
      at += blast + gap;
    }
  }
  #blast(at, length) {
    const { ctx } = this;
    const tone = ctx.createOscillator();
    const warble = ctx.createOscillator();
    const depth = ctx.createGain();
    const level = ctx.createGain();
    tone.type = "triangle";
    tone.frequency.value = 2800;
    warble.frequency.value = 28; // the pea in the whistle
    depth.gain.value = 120;
    warble.connect(depth).connect(tone.frequency);
    level.gain.setValueAtTime(0, at);
    level.gain.linearRampToValueAtTime(0.35, at + 0.015);
    level.gain.setValueAtTime(0.35, at + length - 0.03);
    level.gain.linearRampToValueAtTime(0, at + length);
    tone.connect(level).connect(ctx.destination);
    for (const node of [tone, warble]) {
      node.start(at);
      node.stop(at + length + 0.01);
    }
  }
}

/** /app/clubs/{club}/timer/{id}: a member's screen; the organisers' controls. */
export async function timerPage(ctx) {
  const [clubId, timerId] = ctx.params;
  const screen = ctx.query.get("screen") === "1";
  let timer;
  try {
    timer = await get(`/timer/${timerId}`);
  } catch (err) {
    ctx.main.append(errorBox(err));
    return;
  }
  return timerScreen(ctx, { param: timerId, screen, timer, clubId });
}

/** /app/timer/{token}: the big screen by a public link, without an account. */
export async function publicTimerPage(ctx) {
  return timerScreen(ctx, { param: ctx.params[0], screen: true, timer: null, clubId: null });
}

function timerScreen(ctx, { param, screen, timer, clubId }) {
  document.title = "Range timer · Arch Stats";
  document.body.classList.add("timer-mode");
  document.body.classList.toggle("timer-screen", screen);
  ctx.onCleanup(() => document.body.classList.remove("timer-mode", "timer-screen"));
  const clock = new ServerClock();
  const whistle = new Whistle();
  const model = { timer, state: timer ? timer.state : null, lastSignalAt: null };

  const title = h("h1", { class: "timer-title", tabindex: "-1" }, timer ? timer.name : "Range timer");
  const club = h("span", { class: "timer-club" });
  const status = h("span", { class: "timer-status", role: "status", "data-state": "connecting" }, "Connecting…");
  const soundButton = h("button", { type: "button", class: "button timer-sound", "data-action": "sound" }, "Tap to enable sound");
  const lead = h("div", { class: "timer-lead" });
  const digits = h("div", { class: "timer-digits", "aria-hidden": "true" });
  const caption = h("div", { class: "timer-caption" });
  const order = h("ol", { class: "timer-order", "aria-label": "Details this end" });
  const face = h("div", { class: "timer-face", "data-colour": "red" }, lead, digits, caption, order);
  const spoken = h("p", { class: "visually-hidden", "aria-live": "assertive" });
  const notice = h("div", { class: "timer-notice" });
  const controls = h("section", { class: "timer-controls", "aria-label": "Run the timer", hidden: true });
  const root = h(
    "div",
    { class: "timer", "data-layout": screen ? "screen" : "phone" },
    h("header", { class: "timer-head" }, title, club, status, soundButton),
    notice,
    face,
    spoken,
    controls,
  );
  ctx.main.append(root);

  soundButton.addEventListener("click", async () => {
    if (whistle.on) {
      whistle.mute();
    } else {
      await whistle.enable();
      whistle.play(1); // so that the tap is answered: the sound works
    }
    drawSound();
  });
  function drawSound() {
    soundButton.textContent = whistle.on ? "Sound on (tap to mute)" : "Tap to enable sound";
    soundButton.dataset.sound = whistle.on ? "on" : "off";
  }

  // -- drawing: the state when it changes, the time every frame ------------------------------------
  let frameRequest = 0;
  function tick() {
    frameRequest = requestAnimationFrame(tick);
    const s = model.state;
    if (!s) return;
    const left = remainingMs(s, clock);
    face.dataset.remainingMs = left === null ? "" : String(Math.round(left));
    face.dataset.colour = colourOf(s, left);
    const text = digitsOf(s, left);
    if (digits.textContent !== text) digits.textContent = text;
  }
  frameRequest = requestAnimationFrame(tick);
  ctx.onCleanup(() => cancelAnimationFrame(frameRequest));

  function drawState() {
    const s = model.state;
    const t = model.timer;
    if (!s || !t) return;
    title.textContent = t.name;
    club.textContent = t.club ? t.club.name : "";
    document.title = `${t.name} · timer · Arch Stats`;
    Object.assign(face.dataset, {
      phase: s.phase,
      end: String(s.end_no),
      detail: s.detail || "",
      shooter: s.shooter || "",
      emergency: String(s.emergency),
      paused: String(s.paused_remaining_ms !== null && !s.emergency),
      signal: String(s.signal),
      signalAt: s.signal_at === null ? "" : String(s.signal_at),
    });
    const alternating = t.mode === "alternating";
    let leadText = "";
    if (s.emergency) leadText = "Emergency";
    else if (alternating && s.shooter && (s.phase === "walkup" || s.phase === "shoot")) leadText = s.shooter;
    else if (s.detail && (s.phase === "walkup" || s.phase === "shoot")) leadText = s.detail;
    lead.textContent = leadText;
    const endText = s.end_no ? `End ${s.end_no}` : "";
    const arrowText = alternating && s.arrow && (s.phase === "walkup" || s.phase === "shoot") ? ` · arrow ${s.arrow} of ${t.arrows}` : "";
    const pausedText = s.paused_remaining_ms !== null && !s.emergency ? " · paused" : "";
    caption.textContent = [s.emergency ? "Stop shooting" : PHASE_TEXT[s.phase], endText].filter(Boolean).join(" · ") + arrowText + pausedText;
    const details = s.phase === "ready" || s.phase === "collect" ? s.next_order : s.order;
    clear(order).append(
      ...details.map((d, i) =>
        h("li", { class: d === s.detail && s.phase !== "collect" && s.phase !== "ready" ? "current" : "" }, (s.phase === "ready" || s.phase === "collect") && i === 0 ? `Next: ${d}` : d),
      ),
    );
    order.hidden = details.length === 0;
    drawControls();
  }

  function onState(data) {
    const previous = model.state;
    model.timer = { ...(model.timer || {}), ...data, state: undefined };
    model.state = data.state;
    drawState();
    const s = data.state;
    // A signal is played once, when heard soon enough after it was given.
    if (s.signal > 0 && s.signal_at !== null && s.signal_at !== model.lastSignalAt) {
      model.lastSignalAt = s.signal_at;
      if (Math.abs(clock.now() - s.signal_at) < SIGNAL_FRESH_MS) whistle.play(s.signal);
    }
    if (!previous || previous.phase !== s.phase || previous.emergency !== s.emergency) {
      spoken.textContent = s.emergency ? "Emergency: stop shooting" : `${PHASE_TEXT[s.phase]}${s.detail ? `, detail ${s.detail}` : ""}${s.shooter && s.phase === "shoot" ? `, ${s.shooter}` : ""}`;
    }
  }

  // -- the organisers' controls -------------------------------------------------------------------
  // Drawn again only when what they offer changes (not at every frame of the clock), keeping the
  // keyboard focus on the button pressed (`data-focus`) and the settings being typed.
  const slot = errorSlot();
  const mainControls = h("div", { class: "timer-main-controls" });
  const emergencyButton = h("button", { type: "button", class: "button danger timer-command timer-emergency", "data-action": "emergency", "data-focus": "emergency" }, "Emergency stop");
  emergencyButton.addEventListener("click", () => busy(emergencyButton, () => run("emergency")));
  const more = h("details", { class: "timer-more" }, h("summary", {}, "More"));
  const moreBody = h("div", {});
  more.append(moreBody);
  let firstSide = null; // alternating: who starts the next end (null: the server's default)
  let drawnMain = "";
  let drawnMore = "";
  function drawControls() {
    const t = model.timer;
    const s = model.state;
    if (screen || !t || !t.can_control) return;
    if (controls.hidden) {
      controls.hidden = false;
      controls.append(mainControls, emergencyButton, slot, more);
    }
    const running = s.phase === "walkup" || s.phase === "shoot";
    const paused = s.paused_remaining_ms !== null;
    const alternating = t.mode === "alternating";
    emergencyButton.disabled = s.emergency;
    const mainKey = JSON.stringify([s.phase, s.turn, s.end_no, s.emergency, paused, t.mode, t.sides, s.first]);
    if (mainKey !== drawnMain) {
      drawnMain = mainKey;
      keepFocus(controls, () => {
        const items = [];
        if (s.emergency) {
          items.push(button("resume", "Resume after the emergency", "primary"));
        } else if (!running) {
          if (alternating) items.push(firstChoice(t, s));
          items.push(button("start", `Start end ${s.end_no + 1}`, "primary"));
        } else {
          const nextText = alternating ? "Arrow shot: next archer" : s.phase === "walkup" ? "Start shooting now" : s.turn + 1 < s.turns ? "Detail done: next detail" : "Detail done: end the end";
          items.push(button("next", nextText, "primary"));
          items.push(paused ? button("resume", "Resume", "") : button("pause", "Pause", ""));
        }
        clear(mainControls).append(...items);
      });
    }
    const moreKey = JSON.stringify([running, t.name, t.arrows, t.shoot_seconds, t.walkup_seconds, t.warning_seconds, t.details, t.sides]);
    if (moreKey !== drawnMore) {
      drawnMore = moreKey;
      clear(moreBody).append(
        h("div", { class: "actions" }, button("reset", "Reset to before end 1", ""), h("a", { class: "button", href: `${location.pathname}?screen=1`, "data-action": "big-screen" }, "Big screen")),
        linkPanel(),
        settingsForm(t, running),
      );
    }
  }

  function button(action, text, cls) {
    const b = h("button", { type: "button", class: `button timer-command ${cls}`, "data-action": action, "data-focus": `command-${action}` }, text);
    b.addEventListener("click", () => busy(b, () => run(action)));
    return b;
  }

  function firstChoice(t, s) {
    const box = h("fieldset", { class: "timer-first" }, h("legend", {}, "Shoots first"));
    // The server's default: the archers take turns to start.
    const fallback = s.phase === "ready" || !s.first ? "a" : s.first === "a" ? "b" : "a";
    ["a", "b"].forEach((side, i) => {
      const id = `first-${side}`;
      const input = h("input", { type: "radio", name: "first", id, value: side });
      input.checked = (firstSide || fallback) === side;
      input.addEventListener("change", () => {
        firstSide = side;
      });
      box.append(h("label", { for: id, class: "timer-first-option" }, input, ` ${t.sides[i]}`));
    });
    return box;
  }

  async function run(action) {
    slot.show(null);
    const body = { action };
    if (action === "start" && model.timer.mode === "alternating" && firstSide !== null) body.first = firstSide;
    try {
      // The answer is the state as stored: shown at once (the socket's frame follows).
      onState(await post(`/timer/${model.timer.id}/command`, body));
      firstSide = null;
    } catch (err) {
      slot.show(err);
    }
  }

  function linkPanel() {
    const out = h("div", { class: "timer-link-out" });
    const t = model.timer;
    const create = h("button", { type: "button", class: "button", "data-action": "create-link" }, t.link_created_at ? "Make a new public link" : "Public link for a big screen");
    const revoke = h("button", { type: "button", class: "button danger", "data-action": "revoke-link", hidden: !t.link_created_at }, "Withdraw the link");
    create.addEventListener("click", () =>
      busy(create, async () => {
        try {
          const made = await post(`/timer/${t.id}/link`);
          model.timer.link_created_at = made.created_at;
          const url = new URL(made.path, location.href).href;
          clear(out).append(
            h("p", {}, "Anyone with this link sees the timer, read-only, without an account. It is shown only now: copy it."),
            h("input", { type: "text", readonly: true, value: url, class: "timer-link-url", "aria-label": "Public timer link" }),
          );
          revoke.hidden = false;
        } catch (err) {
          clear(out).append(errorBox(err));
        }
      }),
    );
    revoke.addEventListener("click", () =>
      busy(revoke, async () => {
        try {
          await del(`/timer/${t.id}/link`);
          model.timer.link_created_at = null;
          clear(out).append(h("p", {}, "The public link no longer works; screens open with it have stopped."));
          revoke.hidden = true;
        } catch (err) {
          clear(out).append(errorBox(err));
        }
      }),
    );
    return h("div", { class: "timer-link" }, h("div", { class: "actions" }, create, revoke), out);
  }

  function settingsForm(t, running) {
    const form = h("form", { class: "timer-settings", "aria-label": "Settings" });
    const number = (name, value, min, max) => h("input", { type: "number", name, id: `timer-${name}`, value: String(value), min: String(min), max: String(max), inputmode: "numeric", required: true });
    form.append(
      field("Name", h("input", { type: "text", name: "name", id: "timer-name", value: t.name, maxlength: "60", required: true })),
      field(t.mode === "alternating" ? "Arrows per archer per end" : "Arrows per end", number("arrows", t.arrows, 1, 12)),
      field(t.mode === "alternating" ? "Seconds per arrow" : "Shooting time (seconds)", number("shoot_seconds", t.shoot_seconds, 5, 900)),
      field("Walk-up (seconds)", number("walkup_seconds", t.walkup_seconds, 0, 60)),
      field("Yellow for the last (seconds)", number("warning_seconds", t.warning_seconds, 0, 300)),
    );
    if (t.mode === "details") form.append(field("Details", select("details", [["2", "Two: AB / CD"], ["1", "One: everyone together"]], String(t.details))));
    const save = h("button", { type: "submit", class: "button primary", disabled: running }, running ? "Change between ends" : "Save settings");
    const formSlot = errorSlot();
    form.append(formSlot, save);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = { name: data.get("name") };
      for (const key of ["arrows", "shoot_seconds", "walkup_seconds", "warning_seconds", "details"]) if (data.has(key)) body[key] = Number(data.get(key));
      // A new number of arrows brings its time, unless the time was changed too.
      if (body.arrows !== t.arrows && body.shoot_seconds === t.shoot_seconds) delete body.shoot_seconds;
      busy(save, async () => {
        formSlot.show(null);
        try {
          const changed = await patch(`/timer/${t.id}`, body);
          onState(changed);
        } catch (err) {
          formSlot.show(err);
        }
      });
    });
    return h("details", { class: "timer-settings-box" }, h("summary", {}, "Settings"), form);
  }

  // -- the socket ---------------------------------------------------------------------------------
  function setStatus(kind, text) {
    status.dataset.state = kind;
    status.textContent = text;
  }
  const stop = followTimer(param, clock, {
    onState(data) {
      clear(notice);
      onState(data);
    },
    onStatus: setStatus,
    onClosed(message) {
      clear(notice).append(h("div", { class: "error-box", role: "alert" }, h("p", {}, message)));
    },
    onOffset(offset) {
      root.dataset.clockOffsetMs = String(Math.round(offset));
    },
  });
  ctx.onCleanup(() => {
    stop();
    if (whistle.ctx) whistle.ctx.close();
  });
  drawSound();
  if (model.state) drawState();
  if (clubId && !screen) {
    root.append(h("p", { class: "timer-back" }, h("a", { href: `/app/clubs/${clubId}/timer` }, "All the club's timers")));
  }
}

/**
 * Follow a timer over its socket (`param`: its id, for a member, or its public link): the clock
 * set against the server's by pings, every `timer.state` handed to `onState`, the connection's
 * state to `onStatus(kind, text)`, reconnecting after a break; `onClosed(message)` when the
 * server ends it for good (4401, 4403, 4404, 4422). Returns the function that stops it.
 */
export function followTimer(param, clock, { onState, onStatus, onClosed, onOffset = () => {} }) {
  let ws = null;
  let attempt = 0;
  let retry = null;
  let watchdog = null;
  let pinger = null;
  let stopped = false;
  function ping(socket) {
    if (socket.readyState !== WebSocket.OPEN) return;
    const t0 = clock.local();
    socket.send(JSON.stringify({ type: "ping", t: t0 }));
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    onStatus("connecting", attempt ? "Reconnecting…" : "Connecting…");
    ws = new WebSocket(`${scheme}://${location.host}/api/v0/ws?${new URLSearchParams({ timer: param })}`);
    const socket = ws;
    let pings = 0;
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => socket.close(4000, "silent"), SILENCE_MS);
    };
    socket.addEventListener("open", () => {
      alive();
      ping(socket);
      clearInterval(pinger);
      pinger = setInterval(() => ping(socket), PING_EVERY_MS);
    });
    socket.addEventListener("message", (event) => {
      const t3 = clock.local();
      alive();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "pong") {
        clock.sample(frame.data.t, frame.data.server, t3);
        onOffset(clock.offset);
        pings += 1;
        if (pings < PINGS_AT_START) ping(socket);
        return;
      }
      if (frame.type === "timer.state") {
        attempt = 0;
        onStatus("live", "Live");
        onState(frame.data);
      }
    });
    socket.addEventListener("close", (event) => {
      clearTimeout(watchdog);
      clearInterval(pinger);
      if (stopped || socket !== ws) return;
      if (CLOSED[event.code]) {
        stopped = true;
        onStatus("closed", "Stopped");
        onClosed(CLOSED[event.code]);
        return;
      }
      const delay = DELAYS_MS[Math.min(attempt, DELAYS_MS.length - 1)];
      attempt += 1;
      onStatus("reconnecting", `Reconnecting in ${Math.round(delay / 1000) || 1} s…`);
      retry = setTimeout(connect, delay);
    });
  }
  connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    clearTimeout(watchdog);
    clearInterval(pinger);
    if (ws) ws.close(1000, "page left");
  };
}

/**
 * A competition's range timer in a line, for its bale and results pages (a member's socket):
 * the phase, the detail shooting, the seconds left, and the way to the timer itself. Stops
 * following it when the page is left.
 */
export function timerStrip(ctx, timer) {
  const clock = new ServerClock();
  const phase = h("span", { class: "timer-strip-phase" });
  const digits = h("span", { class: "timer-strip-digits", "aria-hidden": "true" });
  const strip = h(
    "section",
    { class: "timer-strip", "aria-label": "Range timer", "data-colour": "red", "data-state": "connecting" },
    h("span", { class: "timer-strip-name" }, timer.name),
    phase,
    digits,
    h("a", { href: `/app/clubs/${timer.club_id}/timer/${timer.id}` }, timer.can_control ? "Run the timer" : "The timer"),
  );
  let state = timer.state;
  function draw() {
    if (!state) return;
    const left = remainingMs(state, clock);
    strip.dataset.colour = colourOf(state, left);
    const text = digitsOf(state, left);
    if (digits.textContent !== text) digits.textContent = text;
  }
  function drawState() {
    const s = state;
    strip.dataset.phase = s.phase;
    const who = s.phase === "walkup" || s.phase === "shoot" ? s.shooter || s.detail : null;
    const words = [s.emergency ? "Stop shooting" : PHASE_TEXT[s.phase], who, s.end_no ? `end ${s.end_no}` : null];
    phase.textContent = words.filter(Boolean).join(" · ") + (s.paused_remaining_ms !== null && !s.emergency ? " · paused" : "");
    draw();
  }
  drawState();
  const ticker = setInterval(draw, 250);
  const stop = followTimer(timer.id, clock, {
    onState(data) {
      state = data.state;
      drawState();
    },
    onStatus(kind) {
      strip.dataset.state = kind;
    },
    onClosed(message) {
      phase.textContent = message;
    },
  });
  ctx.onCleanup(() => {
    clearInterval(ticker);
    stop();
  });
  return strip;
}

/** /app/clubs/{club}/timer: the club's timers; its owners and coaches make new ones. */
export async function clubTimersPage(ctx) {
  const clubId = ctx.params[0];
  document.title = "Range timers · Arch Stats";
  let club;
  let timers;
  try {
    [club, timers] = await Promise.all([get(`/club/${clubId}`), get(`/club/${clubId}/timer`)]);
  } catch (err) {
    ctx.main.append(errorBox(err));
    return;
  }
  const organiser = club.my_role === "owner" || club.my_role === "coach";
  const list = h(
    "ul",
    { class: "timer-list" },
    ...timers.map((t) =>
      h(
        "li",
        {},
        h("a", { href: `/app/clubs/${clubId}/timer/${t.id}` }, t.name),
        ` — ${t.mode === "alternating" ? `alternating, ${t.shoot_seconds} s an arrow` : `${t.arrows} arrows, ${t.shoot_seconds} s${t.details === 2 ? ", AB/CD" : ""}`}`,
      ),
    ),
  );
  ctx.main.append(
    h("h1", { tabindex: "-1" }, `${club.name}: range timers`),
    timers.length ? list : h("p", {}, organiser ? "No timer yet: make one below." : "The club has no timer yet."),
  );
  if (organiser) ctx.main.append(newTimerForm(ctx, clubId));
  ctx.main.append(h("p", {}, h("a", { href: `/app/clubs/${clubId}` }, "Back to the club")));
}

function newTimerForm(ctx, clubId) {
  const form = h("form", { class: "card timer-new", "aria-labelledby": "new-timer-h" });
  const mode = select("mode", [["details", "Details (AB/CD), World Archery times"], ["alternating", "Alternating (matches, shoot-offs)"]], "details");
  const arrows = h("input", { type: "number", name: "arrows", id: "new-timer-arrows", value: "3", min: "1", max: "12", inputmode: "numeric", required: true });
  const sideA = h("input", { type: "text", name: "side_a", id: "new-timer-a", maxlength: "40", placeholder: "A" });
  const sideB = h("input", { type: "text", name: "side_b", id: "new-timer-b", maxlength: "40", placeholder: "B" });
  const sides = h("div", { class: "grid-2", hidden: true }, field("First archer", sideA), field("Second archer", sideB));
  mode.addEventListener("change", () => {
    sides.hidden = mode.value !== "alternating";
  });
  const slot = errorSlot();
  const save = h("button", { type: "submit", class: "button primary" }, "Make the timer");
  form.append(
    h("h2", { id: "new-timer-h" }, "A new timer"),
    field("Name", h("input", { type: "text", name: "name", id: "new-timer-name", maxlength: "60", required: true, value: "Club night" })),
    field("Mode", mode),
    field("Arrows per end (each, when alternating)", arrows, "3 arrows: 120 s, 6 arrows: 240 s; alternating: 20 s an arrow."),
    sides,
    slot,
    save,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { name: data.get("name"), mode: data.get("mode"), arrows: Number(data.get("arrows")) };
    if (body.mode === "alternating") body.sides = [data.get("side_a") || "A", data.get("side_b") || "B"];
    busy(save, async () => {
      slot.show(null);
      try {
        const made = await post(`/club/${clubId}/timer`, body);
        ctx.navigate(`/app/clubs/${clubId}/timer/${made.id}`);
      } catch (err) {
        slot.show(err);
      }
    });
  });
  return form;
}
