// The scorecard as archers read a paper one: per end the arrows from high to low (X first,
// misses last), the end total and the running total, hits, 10+X and X (hits and golds on a
// 9-7-5-3-1 imperial card); subtotals per distance and per half of the round. One tap switches
// to the order the arrows were shot in.
//
// The card has the shape of GET /session/{id}/scorecard. The live page builds the same shape
// from the shots it holds (so that it follows every arrow at once, offline too) and takes the
// round's subtotals (which ends make a distance, a half) from the server's card.

import { h } from "./dom.js";
import { scoreClass } from "./format.js";

const isMissLabel = (arrow) => arrow.label === "M";
const isTenX = (arrow) => arrow.is_x || arrow.score >= 10;

/** High to low as on a score sheet: X before 10, misses last, unsent arrows after them. */
export function byValue(a, b) {
  return (
    Number(Boolean(a.pending)) - Number(Boolean(b.pending)) ||
    b.score - a.score ||
    Number(b.is_x) - Number(a.is_x) ||
    Number(isMissLabel(a)) - Number(isMissLabel(b)) ||
    (a.end_place || 0) - (b.end_place || 0)
  );
}

export const byPlace = (a, b) => (a.end_place || 0) - (b.end_place || 0) || (a.seq || 0) - (b.seq || 0);

function sums(arrows, imperial = false) {
  const counted = arrows.filter((a) => !a.pending);
  return {
    arrows: arrows.length,
    total: counted.reduce((t, a) => t + a.score, 0),
    x_count: counted.filter((a) => a.is_x).length,
    ten_x_count: counted.filter(isTenX).length,
    hits: counted.filter((a) => !isMissLabel(a)).length,
    golds: imperial ? counted.filter((a) => a.score === 9).length : 0,
    waiting: arrows.length - counted.length,
  };
}

/**
 * A scorecard from shots (each with end_no, end_place, score, label, is_x; `pending` for one
 * not scored yet). `subtotals`: the server card's [{label, kind, end_from, end_to}];
 * `imperial`: scored 9-7-5-3-1 (the card counts hits and golds, the 9s).
 */
export function cardFromShots(shots, { arrowsPerEnd, subtotals = [], roundName = null, imperial = false } = {}) {
  const byEnd = new Map();
  for (const shot of shots) {
    if (!byEnd.has(shot.end_no)) byEnd.set(shot.end_no, []);
    byEnd.get(shot.end_no).push(shot);
  }
  let running = 0;
  const ends = [...byEnd.keys()]
    .sort((a, b) => a - b)
    .map((endNo) => {
      const arrows = byEnd.get(endNo).sort(byValue);
      const figures = sums(arrows, imperial);
      running += figures.total;
      return { end_no: endNo, ...figures, arrows, running_total: running };
    });
  const all = ends.flatMap((e) => e.arrows);
  return {
    round_name: roundName,
    arrows_per_end: arrowsPerEnd,
    imperial,
    ends,
    subtotals: subtotals.map((st) => ({ ...st, ...sums(all.filter((a) => a.end_no >= st.end_from && a.end_no <= st.end_to), imperial) })),
    ...sums(all, imperial),
  };
}

/** The card's count columns, [heading, key]: hits and golds imperial, else hits, 10+X and X. */
export function countColumns(card) {
  if (card.imperial) return [["Hits", "hits"], ["Golds", "golds"]];
  return [["Hits", "hits"], ["10+X", "ten_x_count"], ["X", "x_count"]];
}

function cell(arrow, { onPick, selectedId }) {
  const label = arrow.pending ? "…" : arrow.label;
  const inside = [label];
  if (arrow.same_spot_miss && arrow.hit_label) {
    inside.push(
      h("s", { class: "same-spot", title: `Same spot as a lower arrow: ${arrow.hit_label} does not count`, "aria-hidden": "true" }, arrow.hit_label),
      h("span", { class: "visually-hidden" }, ` (same spot: ${arrow.hit_label} does not count)`),
    );
  }
  const attrs = {
    class: ["arrow-col", arrow.pending ? "unsent" : scoreClass(arrow.label), arrow.same_spot_miss ? "same-spot-miss" : "", arrow.id === selectedId ? "selected" : ""].filter(Boolean).join(" "),
    "data-label": label,
    "data-shot-id": arrow.id,
    "data-place": arrow.end_place ?? "",
  };
  if (!onPick) return h("td", attrs, inside);
  // Named by what it shows (its value), with the rest for screen readers around it.
  const button = h(
    "button",
    { type: "button", class: "cell", "data-focus": `card-${arrow.id}` },
    h("span", { class: "visually-hidden" }, `End ${arrow.end_no}, arrow ${arrow.end_place ?? ""}: `),
    arrow.pending ? [h("span", { "aria-hidden": "true" }, "…"), h("span", { class: "visually-hidden" }, "not sent yet")] : inside,
    h("span", { class: "visually-hidden" }, ". Correct it."),
  );
  button.addEventListener("click", () => onPick(arrow));
  return h("td", attrs, button);
}

/** An end's number; with `onPick`, a button that picks its first arrow (its own face). */
function endNumber(end, onPick) {
  const first = [...end.arrows].sort(byPlace)[0];
  if (!onPick || !first) return String(end.end_no);
  const button = h("button", { type: "button", class: "cell end-no", "aria-label": `End ${end.end_no}: correct its arrows` }, String(end.end_no));
  button.addEventListener("click", () => onPick(first));
  return button;
}

/**
 * The card as a table. Options: `order` ("value" or "shot"), `currentEnd`, `selectedId`,
 * `onPick(arrow)` (cells become buttons; so does each end's number: its first arrow), `caption`,
 * `onOrder(order)` (the switch is shown), `endBadge(endNo)` (an element beside the end's
 * number, or null: its notes).
 */
export function scorecardTable(card, { order = "value", currentEnd = null, selectedId = null, onPick = null, caption = "Scorecard", onOrder = null, endBadge = null } = {}) {
  const cols = Math.max(card.arrows_per_end || 0, ...card.ends.map((e) => e.arrows.length), 1);
  const counts = countColumns(card);
  const head = h(
    "tr",
    {},
    h("th", { scope: "col" }, "End"),
    Array.from({ length: cols }, (_, i) => h("th", { scope: "col", class: "arrow-no" }, h("span", { class: "visually-hidden" }, "Arrow "), String(i + 1))),
    h("th", { scope: "col", class: "sum-col" }, h("abbr", { title: "End total" }, "E")),
    h("th", { scope: "col", class: "sum-col" }, h("abbr", { title: "Running total" }, "T")),
    counts.map(([heading]) => h("th", { scope: "col", class: "count-col" }, heading)),
  );
  const body = h("tbody");
  for (const end of card.ends) {
    const arrows = [...end.arrows].sort(order === "shot" ? byPlace : byValue);
    const cells = Array.from({ length: cols }, (_, i) => (arrows[i] ? cell(arrows[i], { onPick, selectedId }) : h("td", { class: "arrow-col empty-cell" })));
    body.append(
      h(
        "tr",
        { "data-end": end.end_no, class: end.end_no === currentEnd ? "current" : "" },
        h("th", { scope: "row" }, endNumber(end, onPick), endBadge ? endBadge(end.end_no) : null),
        cells,
        h("td", { class: "end-total" }, String(end.total), end.waiting ? h("span", { class: "waiting-mark", title: `${end.waiting} not scored yet` }, "+") : null),
        h("td", { class: "running-total" }, String(end.running_total)),
        counts.map(([, key]) => h("td", { class: "count-col" }, String(end[key]))),
      ),
    );
  }
  const foot = h("tfoot");
  const footRow = (label, figures, cls) =>
    h(
      "tr",
      { class: cls },
      h("th", { scope: "row", colspan: String(cols + 1) }, label, h("span", { class: "foot-counts" }, counts.map(([heading, key]) => ` · ${heading} ${figures[key]}`).join(""))),
      h("td", { class: "end-total", colspan: "2" }, String(figures.total)),
      counts.map(([, key]) => h("td", { class: "count-col" }, String(figures[key]))),
    );
  // A part of the round not shot yet has no line (as on paper: an empty box).
  for (const st of (card.subtotals || []).filter((x) => x.arrows > 0)) {
    foot.append(footRow(`${st.label} (ends ${st.end_from}–${st.end_to})`, st, `subtotal ${st.kind}`));
  }
  if (card.ends.length) foot.append(footRow("Total", card, "grand-total"));

  const table = h(
    "table",
    { class: "scorecard", id: "scorecard", "data-order": order },
    h("caption", {}, caption, card.round_name ? h("span", { class: "muted" }, ` · ${card.round_name}`) : null),
    h("thead", {}, head),
    body,
    foot,
  );
  const parts = [];
  if (onOrder) {
    const toggle = h(
      "button",
      { type: "button", class: "order-toggle", "aria-pressed": String(order === "shot"), title: "Switch between high-to-low and the order the arrows were shot in", "data-focus": "card-order" },
      order === "shot" ? "Shooting order" : "High to low",
    );
    toggle.addEventListener("click", () => onOrder(order === "shot" ? "value" : "shot"));
    parts.push(h("div", { class: "card-tools" }, toggle));
  }
  parts.push(h("div", { class: "table-scroll" }, table));
  if (card.ends.some((e) => e.arrows.some((a) => a.same_spot_miss))) {
    parts.push(h("p", { class: "hint" }, "A struck-out value: a second arrow in the same spot of a triple face scores as a miss (World Archery rule)."));
  }
  return h("div", { class: "scorecard-box" }, parts);
}
