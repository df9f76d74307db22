// Pieces shared by the live page and the session page.

import { h } from "./dom.js";
import { mm, num, offset, scoreClass } from "./format.js";

/** Ends [{end_no, labels, total, running_total}] from shots (seq order), as on a score sheet. */
export function endsFromShots(shots) {
  const byEnd = new Map();
  for (const shot of [...shots].sort((a, b) => a.seq - b.seq)) {
    if (!byEnd.has(shot.end_no)) byEnd.set(shot.end_no, []);
    byEnd.get(shot.end_no).push(shot);
  }
  let running = 0;
  return [...byEnd.keys()]
    .sort((a, b) => a - b)
    .map((endNo) => {
      const list = byEnd.get(endNo);
      const total = list.reduce((t, shot) => t + shot.score, 0);
      running += total;
      return { end_no: endNo, labels: list.map((shot) => shot.label), total, running_total: running, arrows: list.length };
    });
}

export function scoreChip(label, extra = {}) {
  return h("span", { class: `chip ${scoreClass(label)}`, ...extra }, label);
}

/** The end-by-end scorecard with the running total. */
export function scorecard(ends, arrowsPerEnd, { caption = "Scorecard", currentEnd = null } = {}) {
  const cols = Math.max(arrowsPerEnd, ...ends.map((e) => e.labels.length), 1);
  const head = h(
    "tr",
    {},
    h("th", { scope: "col" }, "End"),
    Array.from({ length: cols }, (_, i) => h("th", { scope: "col", class: "arrow-col" }, h("span", { class: "visually-hidden" }, "Arrow "), String(i + 1))),
    h("th", { scope: "col" }, "End total"),
    h("th", { scope: "col" }, "Total"),
  );
  const body = h("tbody");
  for (const end of ends) {
    const cells = Array.from({ length: cols }, (_, i) => {
      const label = end.labels[i];
      return h("td", { class: `arrow-col ${label ? scoreClass(label) : "empty-cell"}` }, label || "");
    });
    body.append(
      h(
        "tr",
        { "data-end": end.end_no, class: end.end_no === currentEnd ? "current" : "" },
        h("th", { scope: "row" }, String(end.end_no)),
        cells,
        h("td", { class: "end-total" }, String(end.total)),
        h("td", { class: "running-total" }, String(end.running_total)),
      ),
    );
  }
  return h(
    "div",
    { class: "table-scroll" },
    h("table", { class: "scorecard", id: "scorecard" }, h("caption", {}, caption), h("thead", {}, head), body),
  );
}

/** A definition list of figures: [[term, value, key]]. */
export function figures(rows, attrs = {}) {
  return h(
    "dl",
    { class: "figures", ...attrs },
    rows.filter(Boolean).map(([term, value, key]) => h("div", { "data-figure": key || false }, h("dt", {}, term), h("dd", {}, value))),
  );
}

/** The headline numbers of GET /session/{id}/stats. */
export function scoreFigures(stats) {
  return figures([
    ["Arrows", String(stats.arrows), "arrows"],
    ["Total", `${stats.total} / ${stats.max_possible}`, "total"],
    ["Average", num(stats.average_per_arrow, 2), "average"],
    ["X", String(stats.x_count), "x"],
    ["10 or X", String(stats.ten_count), "tens"],
    ["Misses", String(stats.misses), "misses"],
  ]);
}

export function groupFigures(group) {
  return figures([
    ["Group centre", offset(group.centre_x_mm, group.centre_y_mm), "centre"],
    ["Spread σx / σy", group.sigma_x_mm === null ? "—" : `${num(group.sigma_x_mm)} / ${num(group.sigma_y_mm)} mm`, "sigma"],
    ["Mean radius", mm(group.mean_radius_mm), "mean-radius"],
    ["CEP50", mm(group.cep50_mm), "cep50"],
    ["Extreme spread", mm(group.extreme_spread_mm), "extreme"],
  ]);
}

/** The standard round: score so far, handicap, classification, prediction. */
export function roundFigures(round) {
  if (!round) return null;
  const rows = [
    ["Round", round.name, "round"],
    ["Score", `${round.score} / ${round.max_score} (${round.arrows_counted} of ${round.n_arrows} arrows)`, "round-score"],
  ];
  if (round.complete) {
    rows.push(["Handicap", round.handicap === null ? "—" : num(round.handicap, 0), "handicap"]);
    rows.push(["Classification", round.classification || "—", "classification"]);
  } else {
    rows.push(["Handicap so far", round.handicap_so_far === null ? "—" : num(round.handicap_so_far, 1), "handicap"]);
    rows.push(["Predicted score", round.predicted_score === null ? "—" : String(round.predicted_score), "predicted"]);
    if (round.predicted_classification) rows.push(["Predicted classification", round.predicted_classification, "classification"]);
  }
  return figures(rows);
}
