// History: the trend of the average per arrow over time (with filters), personal bests, and
// one arrow's history against the sessions it was shot in.

import { faces as allFaces, get, qs } from "../api.js";
import { clear, errorBox, field, h, select } from "../dom.js";
import { timeChart } from "../charts.js";
import { figures } from "../components.js";
import { date, metres, mm, num, offset } from "../format.js";

const GROUPS = [
  ["session", "Each session"],
  ["week", "By week"],
  ["month", "By month"],
];

function trendText(trend) {
  if (trend.slope_per_day === null) return "Too few points for a trend yet.";
  const perMonth = trend.slope_per_day * 30;
  const sign = perMonth >= 0 ? "+" : "−";
  const r2 = trend.r2 === null ? "" : ` (r² ${num(trend.r2, 2)})`;
  return `Trend: ${sign}${num(Math.abs(perMonth), 2)} points per arrow per month over ${trend.points} points${r2}.`;
}

export async function historyPage(ctx) {
  document.title = "History · Arch Stats";
  ctx.main.dataset.page = "history";
  const q = ctx.query;
  const [arrows, faceList] = await Promise.all([get("/arrow?include_retired=true", { signal: ctx.signal }), allFaces()]);

  const group = select("group", GROUPS, q.get("group") || "session");
  const from = h("input", { type: "date", name: "start_from", value: q.get("start_from") || "" });
  const to = h("input", { type: "date", name: "start_to", value: q.get("start_to") || "" });
  const distance = h("input", { type: "number", name: "distance_m", min: "1", step: "any", inputmode: "decimal", value: q.get("distance_m") || "" });
  const round = h("input", { type: "text", name: "round_code", placeholder: "e.g. wa720_70", autocomplete: "off", value: q.get("round_code") || "" });
  const face = select("face_type", [["", "Any face"], ...faceList.map((f) => [f.face_type, f.name])], q.get("face_type") || "");
  const where = select("is_indoor", [["", "Indoor or outdoor"], ["true", "Indoor"], ["false", "Outdoor"]], q.get("is_indoor") || "");
  const arrowSel = select(
    "arrow",
    [["", "Choose an arrow"], ...arrows.map((a) => [a.id, a.is_active ? a.identifier : `${a.identifier} (retired)`])],
    q.get("arrow") || "",
  );
  const params = () => ({
    group: group.value === "session" ? "" : group.value,
    start_from: from.value,
    start_to: to.value,
    distance_m: distance.value,
    round_code: round.value.trim(),
    face_type: face.value,
    is_indoor: where.value,
    arrow: arrowSel.value,
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
    ctx.navigate(`/app/history${qs(params())}`, { replace: true });
  });
  arrowSel.addEventListener("change", () => ctx.navigate(`/app/history${qs(params())}`, { replace: true }));

  const apiFilters = {
    start_from: from.value,
    start_to: to.value,
    distance_m: distance.value,
    round_code: round.value.trim(),
    face_type: face.value,
    is_indoor: where.value,
  };
  const trendCard = h("section", { class: "card", "aria-labelledby": "trend-h" }, h("h2", { id: "trend-h" }, "Average per arrow"));
  const bestsCard = h("section", { class: "card", "aria-labelledby": "bests-h" }, h("h2", { id: "bests-h" }, "Personal bests"));
  const arrowCard = h(
    "section",
    { class: "card", "aria-labelledby": "arrow-h", id: "arrow-history" },
    h("h2", { id: "arrow-h" }, "One arrow over time"),
    field("Arrow", arrowSel),
  );
  ctx.main.append(
    h("h1", {}, "History"),
    h("details", { class: "filter-box", open: Object.values(apiFilters).some(Boolean) || group.value !== "session" }, h("summary", {}, "Filters"), filters),
    trendCard,
    h("div", { class: "grid-2 wide-gap" }, bestsCard, arrowCard),
  );

  let data;
  try {
    data = await get(`/stats/history${qs({ ...apiFilters, group: group.value })}`, { signal: ctx.signal });
  } catch (err) {
    trendCard.append(errorBox(err));
    return;
  }
  drawTrend(trendCard, data);
  drawBests(bestsCard, data.personal_bests);
  if (arrowSel.value) await drawArrow(arrowCard, arrowSel.value, group.value, apiFilters, ctx.signal);
  else arrowCard.append(h("p", { class: "muted" }, arrows.length ? "Choose an arrow to see how it scores against the sessions it was shot in." : "Add your arrows to follow each one."));
}

function drawTrend(card, data) {
  const rows = data.rows.filter((r) => r.average_per_arrow !== null);
  if (!rows.length) {
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
  const label = (r) =>
    data.group === "session"
      ? `${date(r.start_time)} · ${r.location || ""} ${r.distance_m ? metres(r.distance_m) : ""}: ${num(r.average_per_arrow, 2)} per arrow (${r.arrows} arrows)`
      : `${data.group === "week" ? "Week of" : "Month of"} ${date(r.period || r.start_time)}: ${num(r.average_per_arrow, 2)} per arrow (${r.sessions} sessions)`;
  const chart = timeChart({
    series: [
      {
        name: "average",
        points: rows.map((r) => ({
          t: new Date(r.start_time),
          y: r.average_per_arrow,
          label: label(r),
          href: r.session_id ? `/app/sessions/${r.session_id}` : null,
        })),
      },
    ],
    title: `Average score per arrow, ${rows.length} points. ${trendText(data.trend)}`,
    yLabel: "points per arrow",
    trend: true,
    width: card.clientWidth - 30,
  });
  chart.id = "trend-chart";
  card.append(
    h("div", { class: "chart-wrap" }, chart),
    h("p", { class: "trend-text" }, trendText(data.trend)),
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
          h("thead", {}, h("tr", {}, ["Date", "Where", "Arrows", "Total", "Average"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            rows.map((r) =>
              h(
                "tr",
                {},
                h("td", {}, r.session_id ? h("a", { href: `/app/sessions/${r.session_id}` }, date(r.start_time)) : date(r.period || r.start_time)),
                h("td", {}, r.session_id ? `${r.location || ""} ${r.distance_m ? metres(r.distance_m) : ""} ${r.round_code || ""}` : `${r.sessions} sessions`),
                h("td", {}, String(r.arrows)),
                h("td", {}, String(r.total)),
                h("td", {}, num(r.average_per_arrow, 2)),
              ),
            ),
          ),
        ),
      ),
    ),
  );
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
            h("span", { class: "best-name" }, b.name || b.round_code),
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
