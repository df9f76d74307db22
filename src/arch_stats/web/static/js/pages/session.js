// One session: the plot of every shot with the group centre and spread, the scorecard, the
// statistics, the arrows one by one, the handicap of a standard round, export, coach notes.
// With `?archer=ID` (from a coach's roster) it shows a club member's session, read-only.
// Printed, it is a score sheet: the card with its head (archer, category, round, distances,
// date, venue) and foot (total, handicap, classification, signature lines); the same sheet
// comes as a PDF from GET /session/{id}/scoresheet.pdf.

import { allShots, del, face as getFace, get, post, qs, round as getRound, roundName } from "../api.js";
import { LiveChannel } from "../channel.js";
import { announce, busy, clear, errorSlot, field, h, keepFocus } from "../dom.js";
import { groupPlot } from "../face.js";
import { barChart } from "../charts.js";
import { figures, groupFigures, roundFigures, scoreFigures } from "../components.js";
import { countColumns, scorecardTable } from "../scorecard.js";
import { SessionNotes, noteItem } from "../notes.js";
import { date, dateTime, isoDay, metres, mm, num, offset, scoreClass, sessionTitle, time } from "../format.js";

export async function sessionPage(ctx) {
  const id = ctx.params[0];
  // Someone else's session (a coach's view): nothing on the page changes it.
  const archer = ctx.query.get("archer");
  const readOnly = Boolean(archer) && !(ctx.me && ctx.me.id === archer);
  const archerName = ctx.query.get("name") || "a club member";
  const [session, targets, shots, stats, card, notes] = await Promise.all([
    get(`/session/${id}`, { signal: ctx.signal }),
    get(`/session/${id}/target`, { signal: ctx.signal }),
    allShots(id, { signal: ctx.signal }),
    get(`/session/${id}/stats`, { signal: ctx.signal }),
    get(`/session/${id}/scorecard`, { signal: ctx.signal }),
    get(`/session/${id}/note`, { signal: ctx.signal }),
  ]);
  const round = card.round_name || (await roundName(session.round_code));
  // The round the session follows (its plan, a custom round's too), else its standard round.
  const roundSpec = session.round || (session.round_code ? await getRound(session.round_code).catch(() => null) : null);
  document.title = `${sessionTitle(session)} · Arch Stats`;
  ctx.main.dataset.page = "session";

  const actions = h("div", { class: "actions" });
  const actionErrors = errorSlot();
  if (readOnly) {
    actions.append(h("a", { class: "button", href: `/app/members/${archer}${qs({ name: ctx.query.get("name") })}` }, `${archerName}'s sessions`));
  } else if (session.is_open) {
    actions.append(h("a", { class: "button primary", href: `/app/sessions/${id}/live` }, "Live page"));
    const close = h("button", { type: "button" }, "Close session");
    close.addEventListener("click", () =>
      busy(close, async () => {
        try {
          await post(`/session/${id}/close`);
          announce("Session closed.");
          ctx.navigate(location.pathname, { replace: true });
        } catch (err) {
          actionErrors.show(err);
        }
      }),
    );
    actions.append(close);
  } else {
    const reopen = h("button", { type: "button" }, "Reopen");
    reopen.addEventListener("click", () =>
      busy(reopen, async () => {
        try {
          await post(`/session/${id}/reopen`);
          ctx.navigate(`/app/sessions/${id}/live`);
        } catch (err) {
          actionErrors.show(err);
        }
      }),
    );
    actions.append(reopen);
  }
  const day = isoDay(new Date(session.start_time));
  if (stats.arrows) actions.append(...sheetButtons(id, session));
  if (!readOnly) actions.append(h("a", { class: "button", href: `/app/sessions/${id}/tuning` }, "Equipment & tuning"));
  const remove = readOnly ? null : h("button", { type: "button", class: "danger" }, "Delete");
  if (remove) {
  remove.addEventListener("click", () =>
    busy(remove, async () => {
      // eslint-disable-next-line no-alert
      if (!window.confirm(`Delete this session and its ${session.shot_count} shots? This cannot be undone.`)) return;
      try {
        await del(`/session/${id}`);
        announce("Session deleted.");
        ctx.navigate("/app/sessions", { replace: true });
      } catch (err) {
        actionErrors.show(err);
      }
    }),
  );
  actions.append(remove);
  }

  const exportQuery = qs({ start_from: day, start_to: day, archer_id: readOnly ? archer : "" });
  const exportLinks = h(
    "p",
    { class: "export" },
    "Export: ",
    h("a", { href: `/api/v0/export/shots.csv${exportQuery}`, download: `shots-${day}.csv` }, "shots of this day (CSV)"),
    " · ",
    h("a", { href: `/api/v0/export/sessions.csv${exportQuery}`, download: `sessions-${day}.csv` }, "session figures (CSV)"),
  );

  const where = [session.is_indoor ? "Indoor" : "Outdoor", metres(session.distance_m), round].filter(Boolean).join(" · ");
  ctx.main.append(
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, sessionTitle(session)),
        h(
          "p",
          { class: "sub" },
          dateTime(session.start_time),
          session.end_time ? ` – ${time(session.end_time)}` : "",
          ` · ${where}`,
          session.is_open ? h("span", { class: "badge live" }, "open") : null,
        ),
        readOnly ? h("p", { class: "read-only-banner" }, h("span", { class: "badge" }, "read-only"), ` ${archerName}'s session, shared with you as their coach`) : null,
      ),
      actions,
    ),
    actionErrors,
  );
  if (session.notes) ctx.main.append(h("p", { class: "notes" }, session.notes));
  // A coach watching an open session: the page is drawn again shortly after each new shot.
  const lastSeq = shots.reduce((top, shot) => Math.max(top, shot.seq), 0);
  const onShot = readOnly && session.is_open ? redrawSoon(ctx) : null;
  // Notes: listed below, and a badge on their end's row of the card until read.
  let redrawCard = () => {};
  const noteStore = new SessionNotes(id, ctx.me, notes);
  ctx.main.append(notesSection(ctx, id, noteStore, card, onShot ? lastSeq : null, onShot, () => redrawCard()));

  if (!stats.arrows) {
    ctx.main.append(
      h(
        "div",
        { class: "empty card" },
        h("p", {}, h("strong", {}, "No shots in this session yet.")),
        session.is_open
          ? h("p", {}, "Open the ", h("a", { href: `/app/sessions/${id}/live` }, "live page"), " to enter shots with a tap on the face, or start your sensors.")
          : readOnly ? null : h("p", {}, "Reopen it to add shots, or delete it."),
      ),
    );
    return;
  }

  // The plot: one spot of the session's face, every impact relative to the spot it hit.
  const faceType = targets[0] && targets[0].faces[0] ? targets[0].faces[0].face_type : "wa_122";
  const spec = await getFace(faceType);
  const plot = groupPlot({
    spec,
    shots,
    group: stats.group,
    title: `Plot of ${stats.group.impacts} impacts on ${spec.name}, with the group centre and a one-sigma spread ellipse`,
  });
  const plotCard = h(
    "section",
    { class: "card plot-card", "aria-labelledby": "plot-h" },
    h("h2", { id: "plot-h" }, "Grouping"),
    h("div", { class: "plot-wrap" }, plot),
    h("p", { class: "legend" }, h("span", { class: "key-centre" }, "+"), " group centre · ", h("span", { class: "key-ellipse" }, "◯"), " spread: one σ in x and y"),
    groupFigures(stats.group),
  );

  const summary = h(
    "section",
    { class: "card", "aria-labelledby": "score-h" },
    h("h2", { id: "score-h" }, "Score"),
    scoreFigures(stats),
    stats.round ? h("h3", {}, "Standard round") : null,
    roundFigures(stats.round),
  );

  const dist = stats.distribution.filter((d) => d.count > 0 || d.score > 0);
  const distCard = h(
    "section",
    { class: "card", "aria-labelledby": "dist-h" },
    h("h2", { id: "dist-h" }, "Scores"),
    barChart({
      bars: dist.map((d) => ({ key: d.label, value: d.count, cls: scoreClass(d.label) })),
      title: `Distribution of scores: ${dist.map((d) => `${d.count} × ${d.label}`).join(", ")}`,
      yLabel: "arrows",
      width: (window.matchMedia("(min-width: 960px)").matches ? ctx.main.clientWidth / 2 : ctx.main.clientWidth) - 40,
    }),
  );

  const t = stats.timing;
  const f = stats.fatigue;
  const timing = h(
    "section",
    { class: "card", "aria-labelledby": "timing-h" },
    h("h2", { id: "timing-h" }, "Timing and fatigue"),
    figures([
      ["Draw time", t.draw_ms_mean === null ? "—" : `${num(t.draw_ms_mean / 1000, 2)} s ± ${num((t.draw_ms_sd || 0) / 1000, 2)}`, "draw"],
      ["Flight time", t.flight_ms_mean === null ? "—" : `${num(t.flight_ms_mean)} ms`, "flight"],
      ["Arrow speed", t.speed_mps === null ? "—" : `${num(t.speed_mps, 1)} m/s`, "speed"],
      ["First half", num(f.first_half_average, 2), "first-half"],
      ["Second half", num(f.second_half_average, 2), "second-half"],
      ["Trend per end", f.slope_per_end === null ? "—" : `${f.slope_per_end >= 0 ? "+" : ""}${num(f.slope_per_end, 3)}`, "slope"],
    ]),
  );

  const cardBox = h("section", { class: "card sheet-card", "aria-label": "Scorecard" });
  let cardOrder = "value";
  const drawCard = (order) => {
    cardOrder = order;
    clear(cardBox).append(
      scorecardTable(card, {
        order,
        onOrder: (next) => drawCard(next),
        endBadge: (endNo) => noteStore.badge(endNo),
      }),
    );
  };
  drawCard("value");
  redrawCard = () => keepFocus(cardBox, () => drawCard(cardOrder));
  // A printed sheet reads high to low, whichever order the screen shows.
  let shownOrder = null;
  const beforePrint = () => {
    shownOrder = cardOrder;
    if (shownOrder !== "value") drawCard("value");
  };
  const afterPrint = () => {
    if (shownOrder && shownOrder !== "value") drawCard(shownOrder);
    shownOrder = null;
  };
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
  ctx.onCleanup(() => {
    window.removeEventListener("beforeprint", beforePrint);
    window.removeEventListener("afterprint", afterPrint);
  });

  ctx.main.append(
    h("div", { class: "session-grid" }, plotCard, h("div", { class: "stack" }, summary, distCard, timing)),
    sheetHead(session, card, roundSpec),
    cardBox,
    sheetFoot(card, stats.round),
    perArrow(stats, readOnly),
    exportLinks,
  );
}

// --- the score sheet: a PDF to download, the page to print ---------------------------------

function sheetButtons(id, session) {
  // The date and times on the PDF in this device's offset from UTC on the session's day; the
  // file is named by the server (score-sheet-YYYY-MM-DD.pdf).
  const offsetMinutes = -new Date(session.start_time).getTimezoneOffset();
  const pdf = h(
    "a",
    { class: "button", href: `/api/v0/session/${id}/scoresheet.pdf${qs({ utc_offset_minutes: String(offsetMinutes) })}`, download: true },
    "Score sheet (PDF)",
  );
  const print = h("button", { type: "button" }, "Print");
  print.addEventListener("click", () => window.print());
  return [pdf, print];
}

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** "90 m (122 cm) · 70 m (122 cm) · …": consecutive passes at one distance on one face once. */
function distances(passes) {
  const parts = [];
  for (const p of passes) {
    const part = `${p.distance} ${p.distance_unit === "yard" ? "yd" : "m"} (${p.face_label || `${p.face_diameter_cm} cm`})`;
    if (parts[parts.length - 1] !== part) parts.push(part);
  }
  return parts.join(" · ");
}

/** The head of the printed sheet (shown only in print): who, what, where and when. */
function sheetHead(session, card, roundSpec) {
  const a = card.archer;
  const rows = [
    ["Archer", a.name, "sheet-name"],
    ["Category", [a.bowstyle, a.gender, a.age_group].map(capital).join(" · ")],
  ];
  if (roundSpec) {
    rows.push(["Round", roundSpec.name], ["Distances", distances(roundSpec.passes)]);
  } else {
    rows.push(["Distance", metres(session.distance_m)]);
  }
  const end = session.end_time ? `–${time(session.end_time)}` : " (still open)";
  rows.push(["Date", `${date(session.start_time)}, ${time(session.start_time)}${end}`]);
  rows.push(["Venue", `${session.location || "—"} · ${session.is_indoor ? "indoor" : "outdoor"}`]);
  return h(
    "section",
    { class: "print-only sheet-head" },
    h("h2", {}, `Score sheet · ${card.round_name || "Practice session"}`),
    h("dl", {}, rows.map(([term, value, cls]) => h("div", { class: cls || "" }, h("dt", {}, term), h("dd", {}, value)))),
  );
}

/** The foot of the printed sheet: the results, and lines for the archer and the scorer. */
function sheetFoot(card, round) {
  const heads = ["Total", ...countColumns(card).map(([heading]) => heading), "Arrows"];
  const values = [card.total, ...countColumns(card).map(([, key]) => card[key]), card.arrows];
  if (round) {
    heads.push(`Handicap (${round.scheme})`, "Classification (Archery GB)");
    values.push(round.handicap === null ? "—" : num(round.handicap), round.classification_name ? `${round.classification_name} (${round.classification})` : "—");
  }
  const note = round && !round.complete ? h("p", { class: "sheet-note" }, `Round not complete: ${round.arrows_counted} of ${round.n_arrows} arrows shot, so no handicap or classification.`) : null;
  const line = (label) => h("div", { class: "sign-line" }, h("span", {}, label));
  return h(
    "section",
    { class: "print-only sheet-foot" },
    h("table", { class: "sheet-results" }, h("thead", {}, h("tr", {}, heads.map((x) => h("th", { scope: "col" }, x)))), h("tbody", {}, h("tr", {}, values.map((x) => h("td", {}, String(x)))))),
    note,
    h("div", { class: "signatures" }, line("Archer's signature"), line("Scorer's signature"), line("Archer's name (capitals)"), line("Scorer's name (capitals)")),
  );
}

function perArrow(stats, readOnly = false) {
  const rows = stats.per_arrow;
  const section = h("section", { class: "card", "aria-labelledby": "per-arrow-h" }, h("h2", { id: "per-arrow-h" }, "Arrow by arrow"));
  if (!rows.length) return section;
  const body = h("tbody");
  for (const r of rows) {
    body.append(
      h(
        "tr",
        { class: r.flagged ? "flagged" : "" },
        h(
          "th",
          { scope: "row" },
          r.arrow_id && !readOnly ? h("a", { href: `/app/history?arrow=${r.arrow_id}` }, r.identifier) : r.identifier || "no arrow",
          r.flagged ? h("span", { class: "badge warn", title: "Its group sits off the others' by more than chance explains" }, "off group") : null,
        ),
        h("td", {}, String(r.shots)),
        h("td", {}, String(r.total)),
        h("td", {}, num(r.mean_score, 2)),
        h("td", { class: "hide-narrow" }, offset(r.offset_x_mm, r.offset_y_mm)),
        h("td", {}, mm(r.offset_mm)),
      ),
    );
  }
  section.append(
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "table per-arrow" },
        h("caption", { class: "visually-hidden" }, "Each arrow's results and where its group sits"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Arrow"),
            h("th", { scope: "col" }, "Shots"),
            h("th", { scope: "col" }, "Total"),
            h("th", { scope: "col" }, "Mean"),
            h("th", { scope: "col", class: "hide-narrow" }, "Off the group centre"),
            h("th", { scope: "col" }, "Offset"),
          ),
        ),
        body,
      ),
    ),
    h("p", { class: "hint" }, "“Off group” marks an arrow whose own centre is away from the rest by more than chance explains: check its nock, fletching and straightness."),
  );
  return section;
}

// --- notes: a coach's (or the archer's own) word on the session or on one end ----------------

function redrawSoon(ctx) {
  let timer = null;
  ctx.onCleanup(() => clearTimeout(timer));
  return () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctx.navigate(location.pathname + location.search, { replace: true }), 1000);
  };
}

function notesSection(ctx, sessionId, store, card, afterSeq, onShot, onNotes) {
  const list = h("ol", { class: "notes-list" });
  const section = h("section", { class: "card notes-card", "aria-labelledby": "notes-h" }, h("h2", { id: "notes-h" }, "Notes"));
  const errors = errorSlot();
  const draw = () => {
    clear(list);
    const items = store.all();
    if (!items.length) list.append(h("li", { class: "hint" }, "No notes yet."));
    for (const note of items) {
      let remove = null;
      if (ctx.me && note.author_id === ctx.me.id) {
        remove = h("button", { type: "button", class: "small link-button" }, "Delete");
        remove.addEventListener("click", () =>
          busy(remove, async () => {
            try {
              await del(`/note/${note.id}`);
              store.remove(note.id);
            } catch (err) {
              errors.show(err);
            }
          }),
        );
      }
      list.append(noteItem(note, remove));
    }
  };
  store.onChange = () => {
    draw();
    onNotes();
  };
  draw();

  const ends = (card && card.ends ? card.ends : []).map((e) => e.end_no);
  const endSel = h("select", { name: "end_no" }, h("option", { value: "" }, "Whole session"), ends.map((n) => h("option", { value: String(n) }, `End ${n}`)));
  const body = h("textarea", { name: "body", rows: "2", maxlength: "2000", required: true });
  const button = h("button", { type: "submit" }, "Add note");
  const form = h("form", { class: "note-form" }, field("Write a note", body), field("About", endSel), h("div", { class: "actions" }, button));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      try {
        const note = await post(`/session/${sessionId}/note`, { body: body.value, end_no: endSel.value ? Number(endSel.value) : null });
        body.value = "";
        errors.show(null);
        store.receive(note);
      } catch (err) {
        errors.show(err);
      }
    });
  });
  section.append(list, form, errors);

  // Notes written meanwhile (by a coach, on another device) come live. `after`: the highest
  // possible shot number (no shot replayed: only the notes are wanted), or for a coach
  // watching an open session the last shot drawn (newer ones redraw the page).
  const channel = new LiveChannel(sessionId, {
    after: afterSeq === null ? 2147483647 : afterSeq,
    onFrame: (frame) => {
      if (onShot && (frame.type === "shot.created" || frame.type === "shot.updated" || frame.type === "shot.deleted")) onShot();
      if (frame.type === "note.created") {
        if (store.receive(frame.data)) announce(`New note from ${frame.data.author_name}.`);
      } else if (frame.type === "note.deleted") {
        store.remove(frame.data.id);
      }
    },
    onState: () => {},
  });
  ctx.onCleanup(() => channel.stop());
  return section;
}
