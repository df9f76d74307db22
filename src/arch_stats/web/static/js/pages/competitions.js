// Club competitions (issue 22): the bale's scoring page and the live results.
//
// The bale page (/app/competitions/{id}/bale/{n}, a phone at 390 × 844): the archers of the
// bale as rows A, B, C …; tap a row, enter its end by value on the keypad, send (one post per
// archer and end, shot ids chosen here, so a post sent again is stored once), and confirm the
// end as that archer (the scorer and the archer sign together). A confirmed end is locked
// (the server answers 409 to any change until the archer or an organiser releases it).
//
// The results page (/app/competitions/{id}/results for members, /app/results/{token} by the
// public link): the ranking per category, updated live over the WebSocket (`results` frames).

import { get, post } from "../api.js";
import { clear, errorBox, h } from "../dom.js";
import { newId } from "../outbox.js";

const VALUES = ["X", "10", "9", "8", "7", "6", "5", "4", "3", "2", "1", "M"];
const DELAYS_MS = [500, 1000, 2000, 4000, 8000];

/** /app/competitions/{id}/bale/{n}: one phone scores every archer of the bale. */
export async function balePage(ctx) {
  const [id, baleNo] = ctx.params;
  document.title = `Bale ${baleNo} · Arch Stats`;
  const title = h("h1", { tabindex: "-1" }, `Bale ${baleNo}`);
  const rows = h("div", { class: "bale-rows", role: "radiogroup", "aria-label": "Archer" });
  const entered = h("output", { class: "bale-entered", "aria-live": "polite" });
  const status = h("p", { role: "status", "aria-live": "polite" });
  const keypad = h("div", { class: "bale-keypad" });
  const send = h("button", { type: "button", class: "primary" }, "Send end");
  const confirm = h("button", { type: "button" }, "Confirm end as archer");
  const undo = h("button", { type: "button" }, "Undo");
  ctx.main.append(h("section", { class: "bale-page" }, title, rows, entered, keypad, h("div", { class: "bale-actions" }, undo, send, confirm), status));
  let data = null;
  let chosen = 0;
  let values = [];

  const current = () => data.archers[chosen];
  const nextEnd = (a) => (a.session && a.session.progress ? a.session.progress.end_no : null);
  const lastEnd = (a) => Math.max(0, ...a.shots.map((s) => s.end_no));

  function draw() {
    clear(rows);
    data.archers.forEach((a, i) => {
      const total = a.shots.reduce((t, s) => t + s.score, 0);
      const ends = new Set(a.confirmed_ends);
      const label = `${a.detail} ${a.name}${a.guest ? " (guest)" : ""} · ${total} · end ${nextEnd(a) ?? "done"}${ends.size ? ` · ${ends.size} confirmed` : ""}`;
      const b = h("button", { type: "button", role: "radio", class: "bale-row", "aria-checked": String(i === chosen), "data-detail": a.detail }, label);
      b.addEventListener("click", () => { chosen = i; values = []; draw(); });
      rows.append(b);
    });
    const a = current();
    entered.textContent = `${a.detail} ${a.name}: ${values.join(" ") || "—"}`;
    send.disabled = values.length !== data.arrows_per_end;
    confirm.disabled = !(lastEnd(a) && !a.confirmed_ends.includes(lastEnd(a)) && a.shots.filter((s) => s.end_no === lastEnd(a)).length === data.arrows_per_end);
  }

  for (const v of VALUES) {
    const k = h("button", { type: "button", class: "key", "data-value": v }, v);
    k.addEventListener("click", () => { if (values.length < data.arrows_per_end) values.push(v); draw(); });
    keypad.append(k);
  }
  undo.addEventListener("click", () => { values.pop(); draw(); });

  async function load() {
    data = await get(`/competition/${id}/bale/${baleNo}`);
    if (chosen >= data.archers.length) chosen = 0;
    draw();
  }

  async function postOnce(body) {
    // Sent again until it is answered: the ids make a repeat store nothing new.
    for (let attempt = 0; ; attempt++) {
      try {
        return await post("/competition/shot", body);
      } catch (e) {
        if (e.status && e.status < 500) throw e;
        status.textContent = "Offline: the end will be sent when the connection is back.";
        await new Promise((r) => setTimeout(r, DELAYS_MS[Math.min(attempt, DELAYS_MS.length - 1)]));
      }
    }
  }

  send.addEventListener("click", async () => {
    const a = current();
    const p = a.session.progress;
    const body = values.map((value) => ({ id: newId(), session_id: a.session_id, target_id: p.target_id, end_no: p.end_no, value }));
    values = [];
    draw();
    try {
      await postOnce(body);
      status.textContent = `End ${p.end_no} of ${a.name} sent.`;
      await load();
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
  });
  confirm.addEventListener("click", async () => {
    const a = current();
    try {
      await post(`/competition/${id}/entry/${a.id}/end/${lastEnd(a)}/confirm`);
      status.textContent = `End ${lastEnd(a)} confirmed for ${a.name}.`;
      await load();
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
  });
  await load();
}

/** /app/competitions/{id}/results: the results, for the club's members. */
export async function resultsPage(ctx) {
  return results(ctx, { id: ctx.params[0] });
}

/** /app/results/{token}: the results by the public link, without an account. */
export async function publicResultsPage(ctx) {
  return results(ctx, { token: ctx.params[0] });
}

function place(row) {
  if (row.place === null) return "–";
  return row.tied ? `=${row.place}` : String(row.place);
}

async function results(ctx, { id = null, token = null }) {
  document.title = "Results · Arch Stats";
  const title = h("h1", { tabindex: "-1" }, "Results");
  const sub = h("p", { class: "results-sub" });
  const status = h("p", { role: "status", "aria-live": "polite" }, "Connecting…");
  const body = h("div", { class: "results" });
  ctx.main.append(h("section", { class: "results-page" }, title, sub, status, body));

  function draw(data) {
    const c = data.competition;
    title.textContent = c.name;
    sub.textContent = `${c.club_name} · ${c.round_name} · ${c.starts_on}${c.venue ? ` · ${c.venue}` : ""} · ${c.status === "finished" ? "final" : "live"}`;
    const breaks = data.rule.tiebreaks.map((t) => t.label);
    clear(body);
    for (const cat of data.categories) {
      const head = h("tr", null, ...["Place", "Archer", "Target", "Arrows", "Total", ...breaks].map((t) => h("th", { scope: "col" }, t)));
      const trs = cat.rows.map((r) => h("tr", null,
        h("td", null, place(r)),
        h("th", { scope: "row" }, r.name + (r.guest ? " (guest)" : "")),
        h("td", null, r.target ?? ""),
        h("td", null, String(r.arrows)),
        h("td", { class: "results-total" }, String(r.total)),
        ...data.rule.tiebreaks.map((t) => h("td", null, String(r[t.key]))),
      ));
      body.append(h("h2", null, cat.label), h("table", { class: "results-table" }, h("thead", null, head), h("tbody", null, ...trs)));
    }
  }

  let ws = null;
  let tries = 0;
  let stopped = false;
  ctx.onCleanup(() => { stopped = true; if (ws) ws.close(); });
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const q = token ? `results=${encodeURIComponent(token)}` : `competition_id=${id}`;
    ws = new WebSocket(`${scheme}://${location.host}/api/v0/ws?${q}`);
    ws.addEventListener("message", (e) => {
      const f = JSON.parse(e.data);
      if (f.type !== "results") return;
      tries = 0;
      status.textContent = "Live";
      draw(f.data);
    });
    ws.addEventListener("close", (e) => {
      if (stopped) return;
      if (e.code === 4404) { status.textContent = "There are no such results (or the link was withdrawn)."; return; }
      status.textContent = "Reconnecting…";
      setTimeout(connect, DELAYS_MS[Math.min(tries++, DELAYS_MS.length - 1)]);
    });
  };
  connect();
}
