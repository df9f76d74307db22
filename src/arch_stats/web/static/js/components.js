// Pieces shared by the live page and the session page.

import { h } from "./dom.js";
import { mm, num, offset, scoreClass } from "./format.js";

export function scoreChip(label, extra = {}) {
  return h("span", { class: `chip ${scoreClass(label)}`, ...extra }, label);
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
    const named = round.classification_name ? `${round.classification_name} (${round.classification})` : null;
    rows.push(["Classification", named || round.classification || "—", "classification"]);
  } else {
    rows.push(["Handicap so far", round.handicap_so_far === null ? "—" : num(round.handicap_so_far, 1), "handicap"]);
    rows.push(["Predicted score", round.predicted_score === null ? "—" : String(round.predicted_score), "predicted"]);
    if (round.predicted_classification) rows.push(["Predicted classification", round.predicted_classification, "classification"]);
  }
  return figures(rows);
}
