// Head-to-head brackets and league seasons (issue 22, items 4–5).
//
// /app/competitions/{id}/bracket  the competition's brackets, live (`results` frames of the
//                                 WebSocket carry them), each match with its set points or
//                                 totals, its ends, shoot-off arrows' distances from the centre
//                                 in mm and how it was decided (the judge's call included);
//                                 organisers draw a category's bracket and record a judge's
//                                 call; a match is scored at the bale: its end by value (the
//                                 live page's keypad), a shoot-off arrow by plotting (the
//                                 distance from the centre decides equal scores)
// /app/season/{token}             a league's table by its public link (no account)
//
// `bracketsView` draws brackets for the results page too (competitions.js).

import { face as getFace, get, post } from "../api.js";
import { announce, busy, clear, errorBox, h } from "../dom.js";
import { TargetView } from "../face.js";
import { drawKeypad } from "../keypad.js";
import { newId } from "../outbox.js";

const DELAYS_MS = [500, 1000, 2000, 4000, 8000];
const SIDE_NAMES = ["first", "second"];
const STATUS_TEXT = { waiting: "waiting", bye: "bye", shooting: "shooting", shoot_off: "shoot-off", judge: "for the judge", decided: "decided" };

const mm = (d) => (d === null || d === undefined ? "" : `${d.toFixed(1)} mm`);
const who = (side) => (side ? `${side.name}${side.guest ? " (guest)" : ""}` : "—");

/** An archer at the head of their column: seed, name, whether they won. */
function sideHead(match, s) {
  const side = match.sides[s];
  const won = match.winner === s;
  return h("th", { scope: "col", class: won ? "winner" : "", "data-side": s }, side ? h("span", { class: "seed" }, `${side.seed}`) : null, " ", who(side), won ? h("span", { class: "won" }, " ✓ won") : null);
}

/** A row of the match: its heading ([shown, said]: short on the screen, whole words for
 * screen readers) and each archer's cell. */
function matchRow([shown, said], cells, cls = "") {
  const label = shown === said ? shown : [h("span", { "aria-hidden": "true" }, shown), h("span", { class: "visually-hidden" }, said)];
  return h("tr", { class: cls }, h("th", { scope: "row" }, label), ...cells.map((text, s) => h("td", { class: "num", "data-side": s }, text)));
}

/** A match as a card: a column per archer (so that any number of ends and shoot-off arrows
 * fits a narrow card: rows are added, never columns), their score first, then each end's
 * total (and set points), then the shoot-off arrows; how it stands. */
function matchCard(match, system, { onScore = null, onJudge = null } = {}) {
  const sets = system === "sets";
  const rows = [
    matchRow(sets ? ["Pts", "Set points"] : ["Total", "Total"], [0, 1].map((s) => (match.status === "bye" ? "" : String(match.score[s]))), "match-score"),
    ...match.ends.map((e, i) =>
      matchRow(
        sets ? [`S${i + 1}`, `Set ${i + 1}: total (set points)`] : [`E${i + 1}`, `End ${i + 1}`],
        [0, 1].map((s) => (sets ? `${e.totals[s]} (${e.points[s]})` : String(e.totals[s]))),
      ),
    ),
    ...match.shoot_offs.map((o, i) =>
      matchRow(
        [`SO${match.shoot_offs.length > 1 ? i + 1 : ""}`, `Shoot-off arrow ${i + 1}: score, distance from the centre`],
        [0, 1].map((s) => `${o.arrows[s].score}${o.arrows[s].distance_mm !== null ? ` · ${mm(o.arrows[s].distance_mm)}` : ""}`),
        "shoot-off",
      ),
    ),
  ];
  const table = h(
    "table",
    { class: "table match-table", "data-winner": match.winner ?? "" },
    h("thead", null, h("tr", null, h("td", { class: "match-corner" }), sideHead(match, 0), sideHead(match, 1))),
    h("tbody", null, ...rows),
  );
  const card = h(
    "article",
    { class: `match-card match-${match.status}`, "data-status": match.status, "aria-label": `${who(match.sides[0])} v ${who(match.sides[1])}` },
    h("div", { class: "table-scroll" }, table),
    h("p", { class: "match-reason" }, h("span", { class: "match-status" }, STATUS_TEXT[match.status] || match.status), match.reason ? ` · ${match.reason}` : ""),
  );
  if (match.id) card.dataset.matchId = match.id;
  const actions = h("div", { class: "actions" });
  if (onScore && (match.status === "shooting" || match.status === "shoot_off")) {
    const what = match.status === "shoot_off" ? "Shoot-off arrow" : `Score end ${match.next.end_no}`;
    actions.append(h("button", { type: "button", class: "primary", "data-action": "score", onclick: () => onScore(match) }, what));
  }
  if (onJudge && match.status === "judge") {
    for (const s of [0, 1]) {
      actions.append(h("button", { type: "button", "data-action": "judge", "data-side": s, onclick: (e) => onJudge(match, s, e.currentTarget) }, `Judge's call: ${who(match.sides[s])}`));
    }
  }
  if (actions.childElementCount) card.append(actions);
  return card;
}

/** The brackets, round by round (the results page and the bracket page draw them so). */
export function bracketsView(brackets, options = {}) {
  const box = h("div", { class: "brackets" });
  for (const b of brackets) {
    const how = b.system === "sets" ? "set system: 2 points a set, first to 6" : "cumulative score: 5 ends of 3 arrows";
    const section = h(
      "section",
      { class: "card bracket", "aria-label": `${b.category_label}: head-to-head` },
      h("h2", null, `${b.category_label}: head-to-head`),
      h("p", { class: "hint" }, `${b.archers} archers, ${how}; shot at ${b.distance_m} m. A shoot-off is one arrow each: the higher score wins, on equal scores the arrow closer to the centre.`),
    );
    const rounds = h("div", { class: "bracket-rounds" });
    for (const r of b.rounds) {
      rounds.append(h("div", { class: "bracket-round" }, h("h3", null, r.name), ...r.matches.map((m) => matchCard(m, b.system, options))));
    }
    section.append(rounds);
    box.append(section);
  }
  return box;
}

/** /app/competitions/{id}/bracket: the brackets, live; organisers draw them; match scoring. */
export async function bracketPage(ctx) {
  const [id] = ctx.params;
  document.title = "Brackets · Arch Stats";
  const title = h("h1", { tabindex: "-1" }, "Brackets");
  const status = h("p", { class: "conn", role: "status", "aria-live": "polite", "data-state": "connecting" }, "Connecting…");
  const errors = h("div", { class: "error-slot" });
  const drawBox = h("div");
  const scoring = h("section", { class: "card match-scoring", hidden: true, "aria-labelledby": "scoring-h" });
  const body = h("div");
  ctx.main.classList.add("bracket-page");
  ctx.main.append(h("div", { class: "live-head" }, title, status), errors, scoring, body, drawBox, h("p", { class: "actions" }, h("a", { class: "button", href: `/app/competitions/${id}/results` }, "Results")));
  const comp = await get(`/competition/${id}`);
  const organiser = comp.my_role === "organiser";
  title.textContent = `${comp.name}: brackets`;
  document.title = `${comp.name}: brackets · Arch Stats`;
  let brackets = await get(`/competition/${id}/bracket`);
  let scored = null; // the match id being scored
  const specs = {};

  function draw() {
    clear(body);
    if (!brackets.length) body.append(h("p", { class: "muted" }, "No bracket is drawn yet."));
    body.append(bracketsView(brackets, { onScore: (m) => openScoring(m.id), onJudge: organiser ? judge : null }));
    drawForm();
    if (scored) drawScoring();
    ctx.main.dataset.ready = "true";
  }

  function drawForm() {
    clear(drawBox);
    const free = comp.categories.filter((c) => !brackets.some((b) => b.category_key === c.key));
    if (!organiser || !free.length || comp.status === "planned") return;
    const cat = h("select", { id: "bracket-category" }, ...free.map((c) => h("option", { value: c.key }, c.label)));
    const n = h("input", { id: "bracket-archers", type: "number", min: "2", max: "64", inputmode: "numeric", placeholder: "all" });
    const go = h("button", { type: "submit", class: "primary" }, "Draw the bracket");
    const form = h(
      "form",
      { class: "card bracket-draw" },
      h("h2", null, "Draw a bracket"),
      h("p", { class: "hint" }, "Seeded from the qualification ranking (1 v 8, 4 v 5 …); places beyond the qualifiers are byes for the top seeds."),
      h("label", { for: "bracket-category" }, "Category"),
      cat,
      h("label", { for: "bracket-archers" }, "Archers who qualify (empty: all who shot)"),
      n,
      h("div", { class: "actions" }, go),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      busy(go, async () => {
        try {
          const made = await post(`/competition/${id}/bracket`, { category_key: cat.value, ...(n.value ? { archers: Number(n.value) } : {}) });
          brackets = [...brackets.filter((b) => b.id !== made.id), made];
          announce(`${made.category_label}: bracket drawn.`);
          draw();
        } catch (err) {
          errors.replaceChildren(errorBox(err));
        }
      });
    });
    drawBox.append(form);
  }

  const findMatch = (matchId) => {
    for (const b of brackets) for (const r of b.rounds) for (const m of r.matches) if (m.id === matchId) return { bracket: b, match: m };
    return null;
  };

  // --- scoring a match at the bale ----------------------------------------------------------
  let side = 0;
  let values = []; // the end's arrows by value, not sent yet
  let point = null; // a shoot-off arrow plotted, not sent yet
  let view = null;

  function openScoring(matchId) {
    scored = matchId;
    side = 0;
    values = [];
    point = null;
    drawScoring();
    scoring.querySelector("h2").focus();
  }

  let drawnMatch = null; // the scored match as the panel shows it (JSON)
  let drawing = 0; // the newest drawing of the panel (a face may still be loading for an older one)

  async function drawScoring() {
    const found = findMatch(scored);
    const mine = ++drawing;
    drawnMatch = found ? JSON.stringify(found.match) : null;
    if (view) view.destroy();
    view = null;
    clear(scoring);
    if (!found || !found.match.next) {
      scoring.hidden = !found;
      if (found) scoring.append(h("h2", { id: "scoring-h", tabindex: "-1" }, "Match scored"), h("p", null, found.match.reason), closeButton());
      return;
    }
    const { bracket, match } = found;
    scoring.hidden = false;
    const due = match.next;
    const shootOff = match.status === "shoot_off";
    const shot = (s) => (match.sides[s].ends[String(due.end_no)] || []).length;
    if (shot(side) >= due.arrows && shot(1 - side) < due.arrows) side = 1 - side;
    const current = match.sides[side];
    scoring.append(h("h2", { id: "scoring-h", tabindex: "-1" }, `${who(match.sides[0])} v ${who(match.sides[1])}: ${shootOff ? `shoot-off arrow (end ${due.end_no})` : `end ${due.end_no}`}`));
    const sides = h("div", { class: "bale-rows", role: "radiogroup", "aria-label": "Archer" });
    for (const s of [0, 1]) {
      const done = shot(s) >= due.arrows;
      const b = h("button", { type: "button", role: "radio", class: "bale-row", "aria-checked": String(s === side), "data-side": s, disabled: done }, `${who(match.sides[s])}${done ? " · sent" : ""}`);
      b.addEventListener("click", () => {
        side = s;
        values = [];
        point = null;
        drawScoring();
      });
      sides.append(b);
    }
    scoring.append(sides);
    const spec = specs[bracket.face_type] || (specs[bracket.face_type] = await getFace(bracket.face_type));
    if (mine !== drawing) return; // drawn again meanwhile
    const entered = h("output", { class: "bale-entered", "aria-live": "polite" });
    const send = h("button", { type: "button", class: "primary", "data-action": "send" }, shootOff ? "Send shoot-off arrow" : "Send end");
    const undo = h("button", { type: "button", "data-action": "undo" }, "Undo");
    const refresh = () => {
      entered.textContent = shootOff ? `${who(current)}: ${point ? "arrow plotted" : "plot the arrow on the face"}` : `${who(current)}: ${values.join(" ") || "—"}`;
      send.disabled = shootOff ? !point : values.length !== due.arrows;
      undo.disabled = shootOff ? !point : !values.length;
    };
    if (shootOff && current.target) {
      view = new TargetView({
        target: current.target,
        specs,
        title: `${who(current)}'s shoot-off arrow: the distance from the centre decides equal scores`,
        onPlace: (p) => {
          point = p;
          view.setPending(p);
          refresh();
        },
      });
      scoring.append(h("div", { class: "match-face" }, view.el));
    } else {
      const keypad = h("section", { class: "keypad", "aria-label": "Score by value" });
      drawKeypad(keypad, { id: `match-${match.id}`, compound_scoring: bracket.system === "cumulative" }, spec, (value) => {
        if (values.length < due.arrows) values.push(value);
        refresh();
      });
      scoring.append(keypad);
    }
    undo.addEventListener("click", () => {
      if (shootOff) {
        point = null;
        view.setPending(null);
      } else values.pop();
      refresh();
    });
    send.addEventListener("click", () => busy(send, () => sendEnd(match, due, shootOff)));
    scoring.append(entered, h("div", { class: "bale-actions" }, undo, send), closeButton());
    refresh();
  }

  function closeButton() {
    const b = h("button", { type: "button", "data-action": "close" }, "Close scoring");
    b.addEventListener("click", () => {
      scored = null;
      scoring.hidden = true;
      clear(scoring);
    });
    return b;
  }

  async function sendEnd(match, due, shootOff) {
    const arrows = shootOff ? [{ id: newId(), x_mm: point.x_mm, y_mm: point.y_mm }] : values.map((value) => ({ id: newId(), value }));
    const body = { side, end_no: due.end_no, arrows };
    errors.replaceChildren();
    for (let attempt = 0; ; attempt++) {
      try {
        // Sent again until answered: the arrows' ids make a repeat write nothing.
        const fresh = await post(`/match/${match.id}/end`, body);
        replaceMatch(fresh);
        announce(`${who(match.sides[body.side])}: ${shootOff ? "shoot-off arrow" : `end ${due.end_no}`} sent. ${fresh.reason}`);
        side = 1 - body.side; // the other archer, or the first of the next end
        values = [];
        point = null;
        draw();
        return;
      } catch (e) {
        if (e.status && e.status < 500) {
          errors.replaceChildren(errorBox(e));
          return;
        }
        announce("Offline: the end will be sent when the connection is back.");
        await new Promise((r) => setTimeout(r, DELAYS_MS[Math.min(attempt, DELAYS_MS.length - 1)]));
      }
    }
  }

  /** A frame's brackets, where each match this page already has with more arrows (its own
   * send answered before the frame made earlier arrived) stays as it is here. */
  function newest(framed) {
    const arrows = (m) => m.sides.reduce((n, side) => n + (side ? Object.values(side.ends || {}).reduce((k, e) => k + e.length, 0) : 0), 0);
    for (const b of framed)
      for (const r of b.rounds)
        r.matches = r.matches.map((m) => {
          const had = findMatch(m.id);
          return had && arrows(had.match) > arrows(m) ? had.match : m;
        });
    return framed;
  }

  function replaceMatch(fresh) {
    for (const b of brackets) for (const r of b.rounds) r.matches = r.matches.map((m) => (m.id === fresh.id ? fresh : m));
  }

  async function judge(match, s, button) {
    await busy(button, async () => {
      try {
        replaceMatch(await post(`/match/${match.id}/judge`, { winner: s }));
        brackets = await get(`/competition/${id}/bracket`);
        announce(`Judge's call recorded: ${who(match.sides[s])} wins.`);
        draw();
      } catch (e) {
        errors.replaceChildren(errorBox(e));
      }
    });
  }

  // --- live: the results frames carry the brackets ------------------------------------------
  let ws = null;
  let tries = 0;
  let stopped = false;
  ctx.onCleanup(() => {
    stopped = true;
    if (ws) ws.close();
    if (view) view.destroy();
    ctx.main.classList.remove("bracket-page");
  });
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}/api/v0/ws?competition_id=${id}`);
    ws.addEventListener("message", (e) => {
      const f = JSON.parse(e.data);
      if (f.type !== "results" || !f.data.brackets) return;
      tries = 0;
      status.textContent = "Live";
      status.dataset.state = "live";
      brackets = newest(f.data.brackets);
      clear(body);
      body.append(bracketsView(brackets, { onScore: (m) => openScoring(m.id), onJudge: organiser ? judge : null }));
      // The scoring panel is drawn again only when its match changed (not under a finger on
      // the face), and never while a point is plotted or values are entered.
      const now = scored ? findMatch(scored) : null;
      if (scored && !values.length && !point && JSON.stringify(now ? now.match : null) !== drawnMatch) drawScoring();
      drawForm();
    });
    ws.addEventListener("close", () => {
      if (stopped) return;
      status.textContent = "Reconnecting…";
      status.dataset.state = "reconnecting";
      setTimeout(connect, DELAYS_MS[Math.min(tries++, DELAYS_MS.length - 1)]);
    });
  };
  draw();
  connect();
}

/** /app/season/{token}: a league's table by its public link. */
export async function seasonPage(ctx) {
  const [token] = ctx.params;
  document.title = "Season · Arch Stats";
  const title = h("h1", { tabindex: "-1" }, "Season");
  ctx.main.classList.add("season-page");
  ctx.main.append(title);
  ctx.onCleanup(() => ctx.main.classList.remove("season-page"));
  let data;
  try {
    data = await get(`/season/${encodeURIComponent(token)}`);
  } catch (e) {
    ctx.main.append(errorBox(e));
    return;
  }
  const l = data.league;
  title.textContent = l.name;
  document.title = `${l.name} · Arch Stats`;
  const basis = l.basis === "handicap" ? "handicap-adjusted: the score plus the Archery GB handicap allowance of the round, from each archer's handicap at the time (provisional: from that score alone)" : "raw scores";
  ctx.main.append(h("p", { class: "results-sub" }, `${l.club_name} · ${data.competitions.length} competition${data.competitions.length === 1 ? "" : "s"} · best ${l.best_of} of ${data.competitions.length} count · ${basis}`));
  const heads = ["Place", "Archer", ...data.competitions.map((c) => `${c.name} (${c.starts_on})`), "Total"];
  const rows = data.rows.map((r) => {
    const byComp = new Map(r.results.map((x) => [x.competition_id, x]));
    return h(
      "tr",
      null,
      h("td", { class: "place" }, r.tied ? `=${r.place}` : String(r.place)),
      h("th", { scope: "row" }, r.name, r.guest ? h("span", { class: "muted" }, " (guest)") : null),
      ...data.competitions.map((c) => {
        const x = byComp.get(c.id);
        if (!x) return h("td", { class: "num muted" }, "–");
        const detail = x.allowance === null ? `score ${x.score}` : `score ${x.score} + allowance ${x.allowance} (handicap ${x.handicap}${x.provisional ? ", provisional" : ""})`;
        return h("td", { class: `num${x.counted ? " counted" : " dropped"}`, title: detail }, String(x.points), h("span", { class: "visually-hidden" }, `: ${detail}${x.counted ? ", counted" : ", not counted"}`), x.counted ? null : h("span", { "aria-hidden": "true" }, " ·"));
      }),
      h("td", { class: "num results-total" }, String(r.total)),
    );
  });
  ctx.main.append(
    h("section", { class: "card" }, h("div", { class: "table-scroll" }, h("table", { class: "table season-table" }, h("thead", null, h("tr", null, ...heads.map((t) => h("th", { scope: "col" }, t)))), h("tbody", null, ...rows)))),
    h("p", { class: "hint" }, `Each archer's best ${l.best_of} count towards the total; a point marked · does not count. Equal totals share a place (=).`),
  );
  ctx.main.dataset.ready = "true";
}
