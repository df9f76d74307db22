// Scoring by value: the face's own values as buttons (X 10 … 1 M, imperial 9 7 5 3 1 M, field
// 6 … 1 M), in the colour each ring is printed, one row per spot of a multi-spot face. Used by
// the live page (one archer) and the bale page (every archer on a bale).

import { h } from "./dom.js";
import { spotNames } from "./rounds.js";

/** The values of a target's face (compound scoring where it applies), highest first. */
export function faceValues(target, spec) {
  return target.compound_scoring && spec.compound_values ? spec.compound_values : spec.values;
}

/** A value's button in the colour the face draws it (its ring's; CSSOM, not a style
 * attribute, which the Content-Security-Policy refuses). */
export function valueButton(spec, value, attrs) {
  const b = h("button", { type: "button", class: "value", "data-value": value, ...attrs }, value);
  const ring = (spec.rings || []).find((r) => String(r.value) === value) || (value === "X" ? spec.rings[0] : null);
  if (ring) {
    b.style.background = ring.colour_hex;
    b.style.color = ["#000000", "#00B4E4", "#F65058"].includes(ring.colour_hex) ? "#fff" : "#000";
  }
  return b;
}

/** Fill `box` with the keypad of `target`'s face: `onValue(value, spotIndex | null)` per tap. */
export function drawKeypad(box, target, spec, onValue) {
  box.replaceChildren();
  box.dataset.target = target.id;
  const values = faceValues(target, spec).filter((v) => v !== "M");
  const names = spotNames(spec);
  for (const [spotIndex, name] of names.entries()) {
    const row = h("div", { class: "keypad-row", role: "group", "aria-label": name ? `${name} spot` : "Value" });
    if (name) row.append(h("span", { class: "spot-name" }, name));
    for (const value of values) {
      const b = valueButton(spec, value, { "data-spot": name ? spotIndex : "", "aria-label": name ? `${value}, ${name.toLowerCase()} spot` : value });
      b.addEventListener("click", () => onValue(value, name ? spotIndex : null));
      row.append(b);
    }
    box.append(row);
  }
  const m = h("button", { type: "button", class: "value miss", "data-value": "M", "aria-label": "M: a scored miss" }, "M");
  m.addEventListener("click", () => onValue("M", null));
  box.append(h("div", { class: "keypad-row" }, m));
  box.style.setProperty("--values", String(values.length + (names[0] ? 1 : 0)));
}
