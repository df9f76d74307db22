// The club's live board: one page for a big screen at the range. Every member shown there
// shooting now, each with a small face and their arrows, their end scores and total, ranked
// by the rules within their round and category (`standings`). Fed by one WebSocket per club
// (GET /api/v0/ws?club_id=… for members, ?board=… for a public read-only link); the first frame
// is the whole board, then one frame per shot, with the entry's counts after it (`tally`).
// Entries are keyed by `key` (the session's id for members, an opaque key on a public link,
// which carries no ids); frames are applied idempotently (a shot is keyed by its entry's key
// and seq), so a reconnect — which starts again from a snapshot — never counts an arrow twice.
//
// The big screen (`?screen=1`, and a public link): no app navigation; on a wide screen one row
// per archer, legible from the shooting line, in pages that turn by themselves when more
// archers shoot than fit (PageDown / PageUp or the arrow keys turn them too). Elsewhere (a
// phone, the members' page) cards in one scrolling column.

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
  public: "Only members who chose to appear on the public board are shown: names, categories and scores.",
};
const SHOWN_ENDS = 12; // end scores shown per archer (the latest)
const PAGE_MS = 12_000; // how long a page of the big screen stays
const ROWS = "(min-width: 900px) and (min-height: 500px)"; // a big screen's rows fit

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
  // The big screen: a public link's page, or the members' with ?screen=1 (a kiosk).
  const screen = Boolean(token) || ctx.query.get("screen") === "1";
  document.body.classList.add("board-mode");
  document.body.classList.toggle("board-screen", screen);
  ctx.onCleanup(() => document.body.classList.remove("board-mode", "board-screen", "board-rows"));
  const rowsFit = matchMedia(ROWS);

  const state = { club: null, role: null, readOnly: !!token, entries: new Map(), names: new Map() };
  const title = h("h1", { class: "board-title", tabindex: "-1" }, "Club board");
  const status = h("span", { class: "board-status", role: "status", "aria-live": "polite", "data-state": "connecting" }, "Connecting…");
  const count = h("span", { class: "board-count" });
  const pager = h("span", { class: "board-pages", hidden: true });
  const clock = h("span", { class: "board-clock", "aria-hidden": "true" });
  const tools = h("div", { class: "board-tools" });
  const notice = h("div", { class: "board-notice" });
  const groups = h("div", { class: "board-groups", "aria-live": "off" });
  const foot = h("p", { class: "board-foot" }, token ? FOOTNOTES.public : FOOTNOTES.members);
  const board = h("div", { class: "board" }, h("header", { class: "board-head" }, title, h("div", { class: "board-meta" }, count, status, pager, clock), tools), notice, groups, foot);
  ctx.main.append(board);
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

  // -- pages of the big screen -----------------------------------------------------------------
  let page = 0;
  let pages = 1;
  let pageTimer = null;
  function turn(step) {
    if (pages < 2) return;
    page = (page + step + pages) % pages;
    schedule();
  }
  function rotate() {
    clearInterval(pageTimer);
    pageTimer = setInterval(() => turn(1), PAGE_MS);
  }
  function onKey(event) {
    if (board.dataset.layout !== "rows" || event.altKey || event.ctrlKey || event.metaKey) return;
    const step = { PageDown: 1, ArrowRight: 1, ArrowDown: 1, " ": 1, PageUp: -1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    turn(step);
    rotate(); // a page turned by hand stays its full time
  }
  if (screen) {
    rotate();
    document.addEventListener("keydown", onKey);
    window.addEventListener("resize", schedule);
    rowsFit.addEventListener("change", schedule);
    ctx.onCleanup(() => {
      clearInterval(pageTimer);
      document.removeEventListener("keydown", onKey);
      window.removeEventListener("resize", schedule);
      rowsFit.removeEventListener("change", schedule);
    });
  }

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
    const layout = screen && rowsFit.matches ? "rows" : "cards";
    board.dataset.layout = layout;
    document.body.classList.toggle("board-rows", layout === "rows");
    count.textContent = entries.length === 1 ? "1 archer shooting" : `${entries.length} archers shooting`;
    // Cards on a laptop: smaller as more archers shoot (rows turn pages instead).
    groups.dataset.density = layout === "rows" ? "rows" : entries.length > 20 ? "high" : entries.length > 8 ? "medium" : "low";
    if (!entries.length) {
      clear(groups).append(h("p", { class: "board-empty" }, "Nobody is shooting right now. Archers appear here as soon as they open a session."));
      cards.clear();
      showPages(1);
      return;
    }
    const seen = new Set();
    const sections = standings(entries).map((group) => ({
      group,
      name: `${roundName(group.entries[0])} · ${group.category.label}`,
      cards: group.placed.map((placed) => {
        seen.add(placed.entry.key);
        return card(placed);
      }),
    }));
    for (const id of [...cards.keys()]) if (!seen.has(id)) cards.delete(id);
    const whole = sections.map((section) => sectionOf(section, section.cards));
    clear(groups).append(...whole);
    if (layout !== "rows") {
      showPages(1);
      return;
    }
    // Laid out whole once, to measure; then only the page shown.
    const parts = paginate(
      sections.map((section, i) => measure(section, whole[i])),
      groups.clientHeight,
    );
    showPages(parts.length);
    clear(groups).append(...parts[page].map(({ section, from, to }) => sectionOf(section, section.cards.slice(from, to), from > 0)));
  }

  function showPages(n) {
    pages = n;
    page = Math.min(page, n - 1);
    pager.hidden = n < 2;
    groups.dataset.page = String(page + 1);
    if (n < 2) return;
    clear(pager).append(
      h("span", { class: "visually-hidden" }, `Page ${page + 1} of ${n}`),
      h("span", { class: "board-pages-text", "aria-hidden": "true" }, `${page + 1} / ${n}`),
      ...Array.from({ length: n }, (_, i) => h("span", { class: i === page ? "board-dot current" : "board-dot", "aria-hidden": "true" })),
    );
  }

  function roundName(entry) {
    if (entry.round_code) return state.names.get(entry.round_code) || entry.round_code;
    return `${metres(entry.distance_m)} ${entry.is_indoor ? "indoor" : "outdoor"}, no round`;
  }

  function card(placed) {
    const { entry } = placed;
    const version = `${entry.version}:${placeText(placed)}`;
    const known = cards.get(entry.key);
    if (known && known.version === version) return known.el;
    const el = drawCard(placed);
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
        if (data.tally) entry.tally = data.tally;
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
    if (screen || !clubId) return;
    tools.append(h("a", { class: "button", href: `/app/clubs/${clubId}/board?screen=1`, "data-action": "big-screen" }, "Big screen"));
    if (state.role !== "owner") return;
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

/** End scores of shots, by end number. */
function endScores(shots) {
  const ends = new Map();
  for (const shot of shots) ends.set(shot.end_no, (ends.get(shot.end_no) || 0) + shot.score);
  return ends;
}

/**
 * The board's standings: one per group (round) and category, the groups with the most archers
 * first, categories in results-list order. Ranked as arch_stats.ranking ranks (the REST
 * board's `ranking`): by score per arrow — by total while everyone in it has shot as many
 * arrows (`basis` "total"), by average per arrow while their arrows differ ("average") —, then
 * by the counts of the entries' rule (10+X then X; hits then golds), compared exactly
 * (a/n against b/m as a·m against b·n); equal after those, an equal place. Archers without an
 * arrow are not ranked (place null).
 */
export function standings(entries) {
  const lists = new Map();
  const sizes = new Map();
  for (const entry of entries) {
    const id = `${entry.group}\n${entry.category.key}`;
    if (!lists.has(id)) lists.set(id, []);
    lists.get(id).push(entry);
    sizes.set(entry.group, (sizes.get(entry.group) || 0) + 1);
  }
  const out = [...lists.entries()].map(([id, list]) => ({ id, group: list[0].group, category: list[0].category, rule: list[0].rule, entries: list, ...rank(list, list[0].rule) }));
  const byText = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => sizes.get(b.group) - sizes.get(a.group) || byText(a.group, b.group) || a.category.order - b.category.order);
}

function rank(list, rule) {
  const shot = list.filter((entry) => entry.tally.arrows > 0);
  const basis = new Set(shot.map((entry) => entry.tally.arrows)).size <= 1 ? "total" : "average";
  const merit = (t) => [t.total, ...rule.tiebreaks.map((tb) => t[tb.key])];
  const compare = (a, b) => {
    const ma = merit(a.tally);
    const mb = merit(b.tally);
    for (let i = 0; i < ma.length; i++) {
      const d = mb[i] * a.tally.arrows - ma[i] * b.tally.arrows;
      if (d) return d;
    }
    return 0;
  };
  const sorted = shot.sort((a, b) => compare(a, b) || a.name.localeCompare(b.name));
  const placed = [];
  sorted.forEach((entry, i) => {
    const same = (j) => j >= 0 && j < sorted.length && compare(entry, sorted[j]) === 0;
    placed.push({ entry, place: same(i - 1) ? placed[i - 1].place : i + 1, tied: same(i - 1) || same(i + 1) });
  });
  for (const entry of list) if (!entry.tally.arrows) placed.push({ entry, place: null, tied: false });
  return { basis, placed };
}

/** A place as results lists show it: "1", "=2" (tied), "–" (no arrow yet). */
function placeText({ place, tied }) {
  if (place === null) return "–";
  return tied ? `=${place}` : String(place);
}

function basisText({ basis, rule }) {
  const by = basis === "total" ? "Ranked by total" : "Ranked by average per arrow (arrows differ)";
  if (!rule.tiebreaks.length) return `${by} · equal scores tie`;
  return `${by} · ties: ${rule.tiebreaks.map((tb) => tb.label).join(", then ")}`;
}

/** A group's section: its heading, how it is ranked, and `cards` (a page's share of them). */
function sectionOf({ group, name }, cards, continued = false) {
  const section = h(
    "section",
    { class: "board-round", "data-group": group.group, "data-category": group.category.key, "data-basis": group.basis, "aria-label": name },
    h(
      "div",
      { class: "board-round-head" },
      h("h2", { class: "board-round-name" }, name, h("span", { class: "board-round-count" }, continued ? " · continued" : ` · ${group.placed.length}`)),
      h("p", { class: "board-basis" }, basisText(group)),
    ),
    h("ol", { class: "board-cards" }, cards),
  );
  section.style.setProperty("--cards", String(group.placed.length)); // CSSOM: the page's CSP allows no style attribute
  return section;
}

/** A section laid out whole (`el`): the heights a page is made of (px). */
function measure(section, el) {
  const list = el.querySelector(".board-cards");
  const box = el.getBoundingClientRect();
  const listBox = list.getBoundingClientRect();
  return {
    section,
    head: listBox.top - box.top,
    tail: box.bottom - listBox.bottom + parseFloat(getComputedStyle(el).marginTop || "0"),
    gap: parseFloat(getComputedStyle(list).rowGap) || 0,
    cards: section.cards.map((c) => c.getBoundingClientRect().height),
  };
}

/** Pages of `height` px: every archer on one page whole, a group split over pages with its
 * heading on each. */
function paginate(measured, height) {
  const pages = [[]];
  let used = 0;
  for (const m of measured) {
    let from = 0;
    while (from < m.cards.length) {
      let need = m.head + m.tail + m.cards[from];
      if (used > 0 && used + need > height) {
        pages.push([]);
        used = 0;
      }
      let to = from + 1;
      while (to < m.cards.length && used + need + m.gap + m.cards[to] <= height) {
        need += m.gap + m.cards[to];
        to += 1;
      }
      pages[pages.length - 1].push({ section: m.section, from, to });
      used += need;
      from = to;
      if (from < m.cards.length) {
        pages.push([]);
        used = 0;
      }
    }
  }
  return pages;
}

function stat(key, value, label) {
  return h("span", { class: "board-stat", "data-stat": key }, h("b", {}, String(value)), ` ${label}`);
}

function drawCard(placed) {
  const { entry } = placed;
  const place = placeText(placed);
  const shots = [...entry.shots.values()].sort((a, b) => a.seq - b.seq);
  const t = entry.tally;
  const lastEnd = shots.length ? shots[shots.length - 1].end_no : null;
  const current = shots.filter((shot) => shot.end_no === lastEnd);
  const endList = [...endScores(shots).entries()].sort((a, b) => a[0] - b[0]);
  const shown = endList.slice(-SHOWN_ENDS);
  return h(
    "li",
    { class: "board-card", "data-key": entry.key, "data-total": t.total, "data-place": placed.place ?? "", "data-tied": placed.tied ? "true" : null },
    h(
      "div",
      { class: "board-card-head" },
      h("div", { class: "board-place", "aria-label": placed.place === null ? "Not ranked yet" : `Place ${placed.place}${placed.tied ? ", tied" : ""}` }, place),
      h(
        "div",
        { class: "board-who" },
        h("div", { class: "board-name" }, entry.name),
        h(
          "div",
          { class: "board-sub" },
          stat("arrows", t.arrows, t.arrows === 1 ? "arrow" : "arrows"),
          stat("avg", t.arrows ? (t.total / t.arrows).toFixed(2) : "–", "avg"),
          entry.rule.tiebreaks.map((tb) => stat(tb.key, t[tb.key], tb.label)),
        ),
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
