// The club's live board: one page for a big screen at the range. Every member shown there
// shooting now, each with a small face and their arrows, their end scores and running total,
// ranked within their round. Fed by one WebSocket per club (GET /api/v0/ws?club_id=… for
// members, ?board=… for a public read-only link); the first frame is the whole board, then one
// frame per shot. Entries are keyed by `key` (the session's id for members, an opaque key on a
// public link, which carries no ids); frames are applied idempotently (a shot is keyed by its
// entry's key and seq), so a reconnect — which starts again from a snapshot — never counts an
// arrow twice.

import { del, face as getFace, get, post, roundNames } from "../api.js";
import { clear, errorBox, h, s } from "../dom.js";
import { spotRings } from "../face.js";
import { metres, scoreClass } from "../format.js";

const DELAYS_MS = [300, 1000, 2000, 4000, 8000];
const SILENCE_MS = 75_000; // the server beats every 30 s; this long without a frame: dead link
const CLOSED = {
  4401: "Your sign-in has ended. Sign in again to watch the board.",
  4403: "This board is no longer shared with you.",
  4404: "There is no such board (or the link was withdrawn).",
  4422: "This board address is not valid.",
};
const FULL = 4429; // too many viewers (of the link, or from here): try again later
const FOOTNOTES = {
  members: "Members who do not share with the club's coaches are not shown.",
  public: "Only members who chose to appear on the public board are shown: names, bowstyles and scores.",
};
const SHOWN_ENDS = 12; // end scores shown per archer (the latest)

/** /app/clubs/{id}/board: a member's board. */
export async function clubBoardPage(ctx) {
  return boardPage(ctx, { clubId: ctx.params[0] });
}

/** /app/board/{token}: the board by its public link, without an account. */
export async function publicBoardPage(ctx) {
  return boardPage(ctx, { token: ctx.params[0] });
}

async function boardPage(ctx, { clubId = null, token = null }) {
  document.title = "Club board · Arch Stats";
  document.body.classList.add("board-mode");
  ctx.onCleanup(() => document.body.classList.remove("board-mode"));

  const state = { club: null, role: null, readOnly: !!token, entries: new Map(), names: new Map() };
  const title = h("h1", { class: "board-title", tabindex: "-1" }, "Club board");
  const status = h("span", { class: "board-status", role: "status", "aria-live": "polite", "data-state": "connecting" }, "Connecting…");
  const count = h("span", { class: "board-count" });
  const clock = h("span", { class: "board-clock", "aria-hidden": "true" });
  const tools = h("div", { class: "board-tools" });
  const notice = h("div", { class: "board-notice" });
  const groups = h("div", { class: "board-groups", "aria-live": "off" });
  const foot = h("p", { class: "board-foot" }, token ? FOOTNOTES.public : FOOTNOTES.members);
  ctx.main.append(
    h("div", { class: "board" }, h("header", { class: "board-head" }, title, h("div", { class: "board-meta" }, count, status, clock), tools), notice, groups, foot),
  );
  roundNames().then((names) => {
    state.names = names;
    schedule();
  });
  const tick = () => {
    clock.textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  };
  tick();
  const clockTimer = setInterval(tick, 10_000);
  ctx.onCleanup(() => clearInterval(clockTimer));

  // -- drawing, at most once per animation frame -----------------------------------------
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      draw();
    });
  }

  const cards = new Map(); // entry key → { version, el }
  function draw() {
    if (state.club) {
      title.textContent = state.club.name;
      document.title = `${state.club.name} · board · Arch Stats`;
    }
    const entries = [...state.entries.values()];
    count.textContent = entries.length === 1 ? "1 archer shooting" : `${entries.length} archers shooting`;
    // A full range still fits a big screen: smaller cards as more archers shoot.
    groups.dataset.density = entries.length > 20 ? "high" : entries.length > 8 ? "medium" : "low";
    if (!entries.length) {
      clear(groups).append(h("p", { class: "board-empty" }, "Nobody is shooting right now. Archers appear here as soon as they open a session."));
      cards.clear();
      return;
    }
    const byRound = new Map();
    for (const entry of entries) {
      const key = entry.round_code || `free-${entry.distance_m}-${entry.is_indoor}`;
      if (!byRound.has(key)) byRound.set(key, []);
      byRound.get(key).push(entry);
    }
    const sections = [...byRound.entries()].map(([key, list]) => {
      const ranked = rank(list);
      const first = list[0];
      const name = first.round_code ? state.names.get(first.round_code) || first.round_code : `${first.is_indoor ? "Indoor" : "Outdoor"} · ${metres(first.distance_m)}, no round`;
      return { key, name, ranked };
    });
    sections.sort((a, b) => b.ranked.length - a.ranked.length || a.name.localeCompare(b.name));
    const seen = new Set();
    const nodes = sections.map(({ key, name, ranked }) =>
      h(
        "section",
        { class: "board-round", "data-round": key, "aria-label": name },
        h("h2", { class: "board-round-name" }, name, h("span", { class: "board-round-count" }, ` · ${ranked.length}`)),
        h(
          "ol",
          { class: "board-cards" },
          ranked.map(({ entry, place }) => {
            seen.add(entry.key);
            return card(entry, place);
          }),
        ),
      ),
    );
    for (const id of [...cards.keys()]) if (!seen.has(id)) cards.delete(id);
    clear(groups).append(...nodes);
  }

  function card(entry, place) {
    const version = `${entry.version}:${place}`;
    const known = cards.get(entry.key);
    if (known && known.version === version) return known.el;
    const el = drawCard(entry, place);
    cards.set(entry.key, { version, el });
    if (!entry.spec) loadFace(entry);
    return el;
  }

  function loadFace(entry) {
    const type = entry.faces.length ? entry.faces[0].face_type : null;
    if (!type || entry.loadingFace) return;
    entry.loadingFace = true;
    getFace(type)
      .then((spec) => {
        entry.spec = spec;
        entry.version += 1;
        schedule();
      })
      .catch(() => {});
  }

  // -- the channel ---------------------------------------------------------------------------
  let ws = null;
  let attempt = 0;
  let retry = null;
  let watchdog = null;
  let stopped = false;
  function setStatus(kind, text) {
    status.dataset.state = kind;
    status.textContent = text;
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const q = new URLSearchParams(token ? { board: token } : { club_id: clubId });
    setStatus("connecting", attempt ? "Reconnecting…" : "Connecting…");
    ws = new WebSocket(`${scheme}://${location.host}/api/v0/ws?${q}`);
    const socket = ws;
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => socket.close(4000, "silent"), SILENCE_MS);
    };
    socket.addEventListener("open", alive);
    socket.addEventListener("message", (event) => {
      alive();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (apply(frame)) schedule();
      if (frame.type === "board.snapshot") {
        attempt = 0;
        clear(notice);
        setStatus("live", "Live");
        drawTools();
      }
    });
    socket.addEventListener("close", (event) => {
      clearTimeout(watchdog);
      if (stopped || socket !== ws) return;
      if (CLOSED[event.code]) {
        stopped = true;
        setStatus("closed", "Stopped");
        clear(notice).append(h("div", { class: "error-box", role: "alert" }, h("p", {}, CLOSED[event.code])));
        state.entries.clear();
        schedule();
        return;
      }
      const full = event.code === FULL;
      const delay = DELAYS_MS[full ? DELAYS_MS.length - 1 : Math.min(attempt, DELAYS_MS.length - 1)];
      attempt += 1;
      if (full) clear(notice).append(h("p", { class: "board-full" }, "This board has as many viewers as it takes right now. Trying again…"));
      setStatus("reconnecting", `Reconnecting in ${Math.round(delay / 1000) || 1} s…`);
      retry = setTimeout(connect, delay);
    });
  }
  ctx.onCleanup(() => {
    stopped = true;
    clearTimeout(retry);
    clearTimeout(watchdog);
    if (ws) ws.close(1000, "page left");
  });

  function apply(frame) {
    const data = frame.data;
    switch (frame.type) {
      case "board.snapshot":
        state.club = data.club;
        state.role = data.role;
        state.readOnly = data.read_only;
        state.entries = new Map(data.archers.map((entry) => [entry.key, fromServer(entry, state.entries.get(entry.key))]));
        return true;
      case "board.session":
        state.entries.set(data.key, fromServer(data, state.entries.get(data.key)));
        return true;
      case "board.session.closed":
        return state.entries.delete(data.key);
      case "board.archer.removed": // members' boards only (public ones get board.session.closed)
        for (const [key, entry] of state.entries) if (entry.archer_id === data.archer_id) state.entries.delete(key);
        return true;
      case "board.shot.created":
      case "board.shot.updated":
      case "board.shot.deleted": {
        const entry = state.entries.get(data.key);
        if (!entry) return false;
        if (frame.type === "board.shot.deleted") entry.shots.delete(data.shot.seq);
        else entry.shots.set(data.shot.seq, data.shot);
        entry.version += 1;
        return true;
      }
      default:
        return false;
    }
  }

  // -- the owner's control: a public read-only link ------------------------------------------
  async function drawTools() {
    clear(tools);
    if (state.role !== "owner" || !clubId) return;
    const out = h("div", { class: "board-link-out" });
    const button = h("button", { type: "button", class: "button" }, "Public link…");
    const panel = h("div", { class: "board-link-panel", hidden: true });
    button.addEventListener("click", async () => {
      panel.hidden = !panel.hidden;
      if (!panel.hidden) await drawLink();
    });
    async function drawLink() {
      clear(panel);
      let link = { active: false };
      try {
        link = { active: true, ...(await get(`/club/${clubId}/board/link`)) };
      } catch (err) {
        if (err.status !== 404) {
          panel.append(errorBox(err));
          return;
        }
      }
      const create = h("button", { type: "button", class: "button primary", "data-action": "create-link" }, link.active ? "Make a new link" : "Create a public link");
      const revoke = h("button", { type: "button", class: "button danger", "data-action": "revoke-link", hidden: !link.active }, "Withdraw the link");
      create.addEventListener("click", async () => {
        create.disabled = true;
        try {
          const made = await post(`/club/${clubId}/board/link`);
          const url = new URL(made.path, location.href).href;
          clear(out).append(
            h("p", {}, "Anyone with this link sees the board, read-only, without an account. It is shown only now: copy it."),
            h("input", { type: "text", readonly: true, value: url, class: "board-link-url", "aria-label": "Public board link" }),
          );
          revoke.hidden = false;
          create.textContent = "Make a new link";
        } catch (err) {
          clear(out).append(errorBox(err));
        } finally {
          create.disabled = false;
        }
      });
      revoke.addEventListener("click", async () => {
        revoke.disabled = true;
        try {
          await del(`/club/${clubId}/board/link`);
          clear(out).append(h("p", { class: "board-link-gone" }, "The public link no longer works; boards open with it have stopped."));
          revoke.hidden = true;
          create.textContent = "Create a public link";
        } catch (err) {
          clear(out).append(errorBox(err));
        } finally {
          revoke.disabled = false;
        }
      });
      panel.append(
        h("p", {}, link.active ? "The board has a public link (made " + new Date(link.created_at).toLocaleString() + "). Making a new one withdraws it." : "The board has no public link."),
        h("div", { class: "actions" }, create, revoke),
        out,
      );
    }
    tools.append(button, panel);
  }

  connect();
}

function fromServer(entry, previous) {
  return {
    ...entry,
    shots: new Map(entry.shots.map((shot) => [shot.seq, shot])),
    version: previous ? previous.version + 1 : 0,
    spec: previous && previous.faces.length && entry.faces.length && previous.faces[0].face_type === entry.faces[0].face_type ? previous.spec : null,
  };
}

/** Totals of one archer's shots: score, Xs, 10s (X included), arrows, ends. */
export function totals(shots) {
  const ends = new Map();
  let total = 0;
  let xs = 0;
  let tens = 0;
  for (const shot of shots) {
    total += shot.score;
    if (shot.is_x) xs += 1;
    if (shot.score >= 10) tens += 1;
    ends.set(shot.end_no, (ends.get(shot.end_no) || 0) + shot.score);
  }
  return { total, xs, tens, arrows: shots.length, ends };
}

/** Ranked within a round: by total, then Xs, then 10s; equal archers share a place. */
function rank(list) {
  const rows = list.map((entry) => ({ entry, t: totals([...entry.shots.values()]) }));
  rows.sort((a, b) => b.t.total - a.t.total || b.t.xs - a.t.xs || b.t.tens - a.t.tens || a.entry.name.localeCompare(b.entry.name));
  let place = 0;
  return rows.map((row, i) => {
    const prev = rows[i - 1];
    if (!prev || prev.t.total !== row.t.total || prev.t.xs !== row.t.xs || prev.t.tens !== row.t.tens) place = i + 1;
    return { entry: row.entry, place };
  });
}

function drawCard(entry, place) {
  const shots = [...entry.shots.values()].sort((a, b) => a.seq - b.seq);
  const t = totals(shots);
  const lastEnd = shots.length ? shots[shots.length - 1].end_no : null;
  const current = shots.filter((shot) => shot.end_no === lastEnd);
  const endList = [...t.ends.entries()].sort((a, b) => a[0] - b[0]);
  const shown = endList.slice(-SHOWN_ENDS);
  return h(
    "li",
    { class: "board-card", "data-key": entry.key, "data-total": t.total, "data-place": place },
    h(
      "div",
      { class: "board-card-head" },
      h("div", { class: "board-place", "aria-label": `Place ${place}` }, String(place)),
      h(
        "div",
        { class: "board-who" },
        h("div", { class: "board-name" }, entry.name),
        h("div", { class: "board-sub" }, `${t.arrows} ${t.arrows === 1 ? "arrow" : "arrows"} · ${t.xs} X · ${t.tens} 10s · ${entry.bowstyle}`),
      ),
      h("div", { class: "board-total" }, h("span", { class: "board-total-value", "data-total": t.total }, String(t.total))),
    ),
    h("div", { class: "board-face" }, miniFace(entry, shots, lastEnd)),
    h(
      "div",
      { class: "board-end" },
      h("span", { class: "board-label" }, lastEnd ? `End ${lastEnd}` : "Waiting for the first arrow"),
      h(
        "span",
        { class: "board-arrows" },
        current.map((shot) => h("span", { class: `chip ${scoreClass(shot.label)}` }, shot.label)),
      ),
    ),
    h(
      "ol",
      { class: "board-ends", "aria-label": "End scores" },
      endList.length > shown.length ? h("li", { class: "board-ends-more" }, "…") : null,
      shown.map(([no, score]) => h("li", { "data-end": no, class: no === lastEnd ? "current" : null }, h("span", { class: "board-end-no" }, String(no)), h("span", { class: "board-end-score" }, String(score)))),
    ),
  );
}

/** The archer's spot with every arrow (this end bold, earlier ones faded). */
function miniFace(entry, shots, lastEnd) {
  const spec = entry.spec;
  const hits = shots.filter((shot) => shot.dx_mm !== null && shot.dy_mm !== null);
  if (!spec) return h("div", { class: "board-face-wait", "aria-hidden": "true" });
  // Large enough to read from afar: cropped to the ring beyond the farthest arrow (the whole
  // spot once arrows spread), the same on every card with the same arrows.
  const faceR = spec.spot_diameter_mm / 2;
  const far = hits.reduce((m, shot) => Math.max(m, Math.hypot(shot.dx_mm, shot.dy_mm)), 0);
  const radii = spec.rings.map((ring) => ring.outer_radius_mm).sort((a, b) => a - b);
  const inner = radii[Math.min(radii.length - 1, Math.floor(radii.length / 3))] || faceR;
  const ring = radii.find((rr) => rr >= Math.max(far * 1.05, inner)) || faceR;
  const next = radii.find((rr) => rr > ring) || ring;
  let extent = Math.min(next, faceR) * 1.04;
  for (const shot of hits) extent = Math.max(extent, Math.abs(shot.dx_mm) * 1.05, Math.abs(shot.dy_mm) * 1.05);
  const svg = s("svg", {
    class: "board-face-svg",
    viewBox: `${-extent} ${-extent} ${2 * extent} ${2 * extent}`,
    role: "img",
    "aria-label": `${hits.length} arrows on the face`,
    "data-points": hits.length,
  });
  svg.append(spotRings(spec, 0, 0));
  const dot = Math.max(extent * 0.05, 2);
  const older = s("g", { class: "older" });
  const latest = s("g", { class: "latest" });
  for (const shot of hits) {
    const now = shot.end_no === lastEnd;
    (now ? latest : older).append(
      s("circle", {
        class: `point ${now ? "now" : "before"}`,
        cx: shot.dx_mm,
        cy: -shot.dy_mm,
        r: now ? dot * 1.35 : dot,
        "stroke-width": dot * 0.45,
        "data-seq": shot.seq,
      }),
    );
  }
  svg.append(older, latest);
  return svg;
}
