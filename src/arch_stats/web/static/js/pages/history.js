// History: the trend of the average per arrow over time (with filters), personal bests, and
// one arrow's history against the sessions it was shot in.

import { faces as allFaces, get, qs, rounds as allRounds } from "../api.js";
import { clear, errorBox, field, h, select } from "../dom.js";
import { timeChart } from "../charts.js";
import { figures } from "../components.js";
import { date, metres, mm, num, offset } from "../format.js";
import { filterBox, roundChoices } from "./sessions.js";

const GROUPS = [
  ["session", "Each session"],
  ["week", "By week"],
  ["month", "By month"],
];

function trendText(trend) {
  if (!trend || trend.slope_per_day === null) return "Too few points for a trend yet.";
  const perMonth = trend.slope_per_day * 30;
  const sign = perMonth >= 0 ? "+" : "−";
  const r2 = trend.r2 === null ? "" : ` (r² ${num(trend.r2, 2)})`;
  return `Trend: ${sign}${num(Math.abs(perMonth), 2)} points per arrow per month over ${trend.points} points${r2}.`;
}

export async function historyPage(ctx) {
  document.title = "History · Arch Stats";
  ctx.main.dataset.page = "history";
  const q = ctx.query;
  const [arrows, faceList, roundList] = await Promise.all([
    get("/arrow?include_retired=true", { signal: ctx.signal }),
    allFaces(),
    allRounds().catch(() => []),
  ]);

  const group = select("group", GROUPS, q.get("group") || "session");
  const from = h("input", { type: "date", name: "start_from", value: q.get("start_from") || "" });
  const to = h("input", { type: "date", name: "start_to", value: q.get("start_to") || "" });
  const distance = h("input", { type: "number", name: "distance_m", min: "1", step: "any", inputmode: "decimal", value: q.get("distance_m") || "" });
  const round = select("round_code", roundChoices(roundList, "Any round"), q.get("round_code") || "");
  const face = select("face_type", [["", "Any face"], ...faceList.map((f) => [f.face_type, f.name])], q.get("face_type") || "");
  const where = select("is_indoor", [["", "Indoor or outdoor"], ["true", "Indoor"], ["false", "Outdoor"]], q.get("is_indoor") || "");
  const arrowSel = select(
    "arrow",
    [["", "Choose an arrow"], ...arrows.map((a) => [a.id, a.is_active ? a.identifier : `${a.identifier} (retired)`])],
    q.get("arrow") || "",
  );
  const params = (extra = {}) => ({
    group: group.value === "session" ? "" : group.value,
    start_from: from.value,
    start_to: to.value,
    distance_m: distance.value,
    round_code: round.value,
    face_type: face.value,
    is_indoor: where.value,
    arrow: arrowSel.value,
    series: q.get("series") || "",
    ...extra,
  });
  const filters = h(
    "form",
    { class: "filters card", role: "search", "aria-label": "Filter the history" },
    h(
      "div",
      { class: "grid-4" },
      field("Points", group),
      field("From", from),
      field("To", to),
      field("Distance (m)", distance),
      field("Round", round),
      field("Face", face),
      field("Where", where),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Apply"), h("a", { class: "button", href: "/app/history" }, "Clear")),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate(`/app/history${qs(params({ series: "" }))}`, { replace: true });
  });
  arrowSel.addEventListener("change", () => ctx.navigate(`/app/history${qs(params())}`, { replace: true }));

  const apiFilters = {
    start_from: from.value,
    start_to: to.value,
    distance_m: distance.value,
    round_code: round.value,
    face_type: face.value,
    is_indoor: where.value,
  };
  const active = Object.values(apiFilters).filter(Boolean).length + (group.value !== "session" ? 1 : 0);
  const trendCard = h("section", { class: "card", "aria-labelledby": "trend-h" }, h("h2", { id: "trend-h" }, "Average per arrow"));
  const handicapCard = h("section", { class: "card", "aria-labelledby": "handicap-h" }, h("h2", { id: "handicap-h" }, "Handicap over time"));
  const bestsCard = h("section", { class: "card", "aria-labelledby": "bests-h" }, h("h2", { id: "bests-h" }, "Personal bests"));
  const arrowCard = h(
    "section",
    { class: "card", "aria-labelledby": "arrow-h", id: "arrow-history" },
    h("h2", { id: "arrow-h" }, "One arrow over time"),
    field("Arrow", arrowSel),
  );
  ctx.main.append(
    h("h1", {}, "History"),
    filterBox(filters, active),
    trendCard,
    handicapCard,
    h("div", { class: "grid-2 wide-gap" }, bestsCard, arrowCard),
  );

  let data;
  try {
    data = await get(`/stats/history${qs({ ...apiFilters, group: group.value })}`, { signal: ctx.signal });
  } catch (err) {
    trendCard.append(errorBox(err));
    return;
  }
  drawTrend(trendCard, data, q.get("series"), (key) => history.replaceState(null, "", `/app/history${qs(params({ series: key }))}`));
  drawHandicap(handicapCard, data);
  drawBests(bestsCard, data.personal_bests);
  if (arrowSel.value) await drawArrow(arrowCard, arrowSel.value, group.value, apiFilters, ctx.signal);
  else arrowCard.append(h("p", { class: "muted" }, arrows.length ? "Choose an arrow to see how it scores against the sessions it was shot in." : "Add your arrows to follow each one."));
}

const seriesName = (se) => `${se.label} · ${se.sessions} ${se.sessions === 1 ? "session" : "sessions"}`;

/**
 * The trend of one round or one distance at a time: 18 m indoor and 70 m outdoor never share
 * a line. The series with the most sessions is shown first; a control switches.
 */
function drawTrend(card, data, wanted, remember) {
  const series = [...(data.series?.by_round || []), ...(data.series?.by_distance || [])].filter((se) => se.points.some((p) => p.average_per_arrow !== null));
  if (!series.length) {
    card.append(
      h(
        "div",
        { class: "empty" },
        h("p", {}, h("strong", {}, "Nothing to show yet.")),
        h("p", {}, "Shoot a session (or change the filters): each session becomes a point here, and the trend line shows whether you are improving."),
        h("p", {}, h("a", { class: "button primary", href: "/app/sessions/new" }, "Open a session")),
      ),
    );
    return;
  }
  const byKey = new Map(series.map((se) => [se.key, se]));
  const biggest = [...series].sort((a, b) => b.sessions - a.sessions || b.arrows - a.arrows)[0];
  const choice = select(
    "series",
    [
      { group: "Rounds", options: (data.series.by_round || []).filter((se) => byKey.has(se.key)).map((se) => [se.key, seriesName(se)]) },
      { group: "Distances", options: (data.series.by_distance || []).filter((se) => byKey.has(se.key)).map((se) => [se.key, seriesName(se)]) },
    ].filter((g) => g.options.length),
    byKey.has(wanted) ? wanted : biggest.key,
  );
  choice.id = "trend-series";
  const body = h("div", { class: "trend-body" });
  const draw = () => {
    const se = byKey.get(choice.value);
    clear(body);
    const points = se.points.filter((p) => p.average_per_arrow !== null);
    const label = (p) =>
      p.session_id
        ? `${date(p.start_time)}: ${num(p.average_per_arrow, 2)} per arrow${p.score !== null && p.score !== undefined ? `, ${p.score} points` : ""} (${p.arrows} arrows)`
        : `${data.group === "week" ? "Week of" : "Month of"} ${date(p.period || p.start_time)}: ${num(p.average_per_arrow, 2)} per arrow (${p.sessions} sessions)`;
    const chart = timeChart({
      series: [
        {
          name: "average",
          points: points.map((p) => ({ t: new Date(p.start_time), y: p.average_per_arrow, label: label(p), href: p.session_id ? `/app/sessions/${p.session_id}` : null })),
        },
      ],
      title: `Average score per arrow, ${se.label}, ${points.length} points. ${trendText(se.trend)}`,
      yLabel: "points per arrow",
      trend: true,
      width: card.clientWidth - 30,
    });
    chart.id = "trend-chart";
    chart.dataset.series = se.key;
    body.append(
      h("div", { class: "chart-wrap" }, chart),
      h("p", { class: "trend-text" }, trendText(se.trend)),
      h(
        "details",
        {},
        h("summary", {}, "The points as a table"),
        h(
          "div",
          { class: "table-scroll" },
          h(
            "table",
            { class: "table" },
            h("thead", {}, h("tr", {}, ["Date", "Arrows", "Total", "Average", "Handicap"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              points.map((p) =>
                h(
                  "tr",
                  {},
                  h("td", {}, p.session_id ? h("a", { href: `/app/sessions/${p.session_id}` }, date(p.start_time)) : date(p.period || p.start_time)),
                  h("td", {}, String(p.arrows)),
                  h("td", {}, String(p.total)),
                  h("td", {}, num(p.average_per_arrow, 2)),
                  h("td", {}, p.handicap === null || p.handicap === undefined ? "—" : num(p.handicap, 0)),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };
  choice.addEventListener("change", () => {
    remember(choice.value);
    draw();
  });
  card.append(field("Trend of", choice, "One round, or one distance indoors or outdoors, at a time."), body);
  draw();
}

/** Handicaps of every session that has one: comparable across rounds and distances. */
function drawHandicap(card, data) {
  const rows = data.rows.filter((r) => r.handicap !== null && r.handicap !== undefined);
  if (!rows.length) {
    card.append(h("p", { class: "muted" }, "A handicap comes with a standard round, or with 30 arrows or more at one distance on one face."));
    return;
  }
  const basis = { round: "round", partial_round: "part of a round", face_distance: "practice", sessions: "sessions" };
  const chart = timeChart({
    series: [
      {
        name: "handicap",
        points: rows.map((r) => ({
          t: new Date(r.start_time),
          y: r.handicap,
          label: `${date(r.period || r.start_time)}: handicap ${num(r.handicap, 0)} (${r.round_name || (r.distance_m ? metres(r.distance_m) : "")}${r.handicap_basis ? `, ${basis[r.handicap_basis] || r.handicap_basis}` : ""})`,
          href: r.session_id ? `/app/sessions/${r.session_id}` : null,
        })),
      },
    ],
    title: `Handicap (${data.scheme}) of ${rows.length} sessions over time; lower is better`,
    yLabel: `${data.scheme} handicap`,
    trend: true,
    width: card.clientWidth - 30,
  });
  chart.id = "handicap-chart";
  card.append(h("div", { class: "chart-wrap" }, chart), h("p", { class: "hint" }, `${data.scheme} handicaps: lower is better; every round and distance on one scale.`));
}

function drawBests(card, bests) {
  if (!bests.by_round.length && !bests.by_distance.length) {
    card.append(h("p", { class: "muted" }, "Complete a standard round, or shoot 30 arrows or more at a distance, to set your first personal best."));
    return;
  }
  if (bests.by_round.length) {
    card.append(
      h("h3", {}, "By round"),
      h(
        "ul",
        { class: "bests" },
        bests.by_round.map((b) =>
          h(
            "li",
            {},
            h("span", { class: "best-name" }, b.name || b.round_name || b.round_code),
            h("strong", { class: "best-score" }, String(b.score)),
            h("span", { class: "muted" }, b.handicap !== null ? ` handicap ${num(b.handicap)} · ` : " ", h("a", { href: `/app/sessions/${b.session_id}` }, date(b.start_time))),
          ),
        ),
      ),
    );
  }
  if (bests.by_distance.length) {
    card.append(
      h("h3", {}, "Best average by distance"),
      h(
        "ul",
        { class: "bests" },
        bests.by_distance.map((b) =>
          h(
            "li",
            {},
            h("span", { class: "best-name" }, `${metres(b.distance_m)} ${b.is_indoor ? "indoor" : "outdoor"}`),
            h("strong", { class: "best-score" }, num(b.average_per_arrow, 2)),
            h("span", { class: "muted" }, ` ${b.total} over ${b.arrows} arrows · `, h("a", { href: `/app/sessions/${b.session_id}` }, date(b.start_time))),
          ),
        ),
      ),
    );
  }
}

async function drawArrow(card, arrowId, group, filters, signal) {
  const body = h("div", { class: "arrow-history-body" });
  card.append(body);
  let data;
  try {
    data = await get(`/arrow/${arrowId}/stats${qs({ group, start_from: filters.start_from, start_to: filters.start_to })}`, { signal });
  } catch (err) {
    clear(body).append(errorBox(err));
    return;
  }
  const rows = data.rows.filter((r) => r.shots > 0);
  const sm = data.summary;
  body.append(
    figures([
      ["Sessions", String(sm.sessions), "sessions"],
      ["Shots", String(sm.shots), "shots"],
      ["Mean score", num(sm.mean_score, 2), "mean"],
      ["Against its sessions", sm.score_vs_session === null ? "—" : `${sm.score_vs_session >= 0 ? "+" : ""}${num(sm.score_vs_session, 2)}`, "vs"],
      ["Where it lands", offset(sm.offset_x_mm, sm.offset_y_mm), "offset"],
      ["Distance off", mm(sm.offset_mm), "offset-mm"],
    ]),
  );
  if (!rows.length) {
    body.append(h("p", { class: "muted" }, `${data.arrow.identifier} has no shots yet.`));
    return;
  }
  const chart = timeChart({
    series: [
      {
        name: "arrow",
        points: rows.map((r) => ({
          t: new Date(r.start_time),
          y: r.mean_score,
          label: `${date(r.start_time)}: ${data.arrow.identifier} ${num(r.mean_score, 2)} over ${r.shots} shots`,
          href: r.session_id ? `/app/sessions/${r.session_id}` : null,
        })),
      },
      {
        name: "session",
        cls: "secondary",
        points: rows
          .filter((r) => r.score_vs_session !== null)
          .map((r) => ({ t: new Date(r.start_time), y: r.mean_score - r.score_vs_session, label: `${date(r.start_time)}: all arrows ${num(r.mean_score - r.score_vs_session, 2)}` })),
      },
    ],
    title: `Mean score of arrow ${data.arrow.identifier} in ${rows.length} points, against the average of all arrows`,
    yLabel: "points per arrow",
    width: card.clientWidth - 30,
  });
  chart.id = "arrow-chart";
  body.append(
    h("div", { class: "chart-wrap" }, chart),
    h("p", { class: "legend" }, h("span", { class: "key-arrow" }, "●"), ` ${data.arrow.identifier} · `, h("span", { class: "key-session" }, "●"), " all arrows of the same sessions"),
  );
}
