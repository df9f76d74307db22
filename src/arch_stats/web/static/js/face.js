// Target faces drawn to scale as SVG, in millimetres.
//
// The target *view* (what the target sensor sees) is the SVG's viewBox: 1 user unit = 1 mm.
// The API measures from the view's bottom-left corner with y up; SVG has y down, so a point
// (x, y) of the API is drawn at (x, H − y). Ring radii and colours come from
// GET /api/v0/face/{type} (World Archery colours), never from this file.

import { s } from "./dom.js";
import { scoreClass } from "./format.js";

const BUTT = "#e8dcc0";

/** Zone dividing lines: white on the black zones, black elsewhere (as printed by WA). */
export function lineColour(hex) {
  return String(hex).toUpperCase() === "#000000" ? "#FFFFFF" : "#000000";
}

/** One spot's rings, centred on (cx, cy) in SVG coordinates. */
function spotRings(spec, cx, cy) {
  const g = s("g", { class: "spot" });
  const lw = Math.max(spec.spot_diameter_mm / 700, 0.3);
  const rings = [...spec.rings].sort((a, b) => b.outer_radius_mm - a.outer_radius_mm);
  for (const ring of rings) {
    g.append(
      s("circle", {
        cx,
        cy,
        r: ring.outer_radius_mm,
        fill: ring.colour_hex,
        stroke: lineColour(ring.colour_hex),
        "stroke-width": lw,
        "data-value": ring.value,
      }),
    );
  }
  if (spec.x_radius_mm) {
    g.append(s("circle", { cx, cy, r: spec.x_radius_mm, fill: "none", stroke: "#000", "stroke-width": lw * 0.6 }));
  }
  const c = spec.spot_diameter_mm / 120;
  g.append(s("path", { d: `M${cx - c} ${cy}H${cx + c}M${cx} ${cy - c}V${cy + c}`, stroke: "#000", "stroke-width": lw * 0.6 }));
  return g;
}

function markerRadius(viewMin, diameterMm) {
  return Math.max((diameterMm || 5.5) / 2, viewMin * 0.011);
}

/**
 * The target of a session, drawn to scale, with its shots.
 * `specs` maps face_type → face (GET /face/{type}). With `onPick`, a click, a tap or the
 * keyboard (arrow keys move a cross, Enter picks) chooses a point: onPick({x_mm, y_mm}).
 */
export class TargetView {
  constructor({ target, specs, onPick = null, onConfirm = null, title = "Target face" }) {
    this.target = target;
    this.W = target.view_width_mm;
    this.H = target.view_height_mm;
    this.onPick = onPick;
    this.onConfirm = onConfirm;
    this.pending = null;
    const { W, H } = this;
    this.svg = s("svg", {
      class: "target",
      viewBox: `0 0 ${W} ${H}`,
      preserveAspectRatio: "xMidYMid meet",
      role: onPick ? "application" : "img",
      "aria-label": onPick
        ? `${title}. Click or tap where the arrow landed; with the keyboard, move the cross with the arrow keys and press Enter.`
        : title,
      "data-target-id": target.id,
      "data-view-width": W,
      "data-view-height": H,
    });
    // Exactly the view's proportions: a point on screen maps to one point of the view.
    this.svg.style.aspectRatio = `${W} / ${H}`;
    this.svg.style.maxWidth = `calc(var(--face-max-height) * ${W / H})`;
    this.svg.append(s("rect", { class: "butt", x: 0, y: 0, width: W, height: H, fill: BUTT }));
    const facesG = s("g", { class: "faces" });
    for (const face of target.faces) {
      const spec = specs[face.face_type];
      if (!spec) continue;
      const g = s("g", { class: "face", "data-face-type": face.face_type, "data-face-index": face.face_index });
      for (const spot of spec.spots) {
        g.append(spotRings(spec, face.center_x_mm + spot.x_mm, H - (face.center_y_mm + spot.y_mm)));
      }
      facesG.append(g);
    }
    this.shotsG = s("g", { class: "shots" });
    this.pendingG = s("g", { class: "pending", "aria-hidden": "true" });
    this.svg.append(facesG, this.shotsG, this.pendingG);
    this.markerR = markerRadius(Math.min(W, H), 5.5);
    if (onPick) this.#interactive();
  }

  #interactive() {
    const svg = this.svg;
    svg.setAttribute("tabindex", "0");
    svg.classList.add("pickable");
    svg.addEventListener("click", (event) => {
      const p = this.toView(event.clientX, event.clientY);
      if (p) this.pick(p);
    });
    svg.addEventListener("keydown", (event) => {
      const step = event.shiftKey ? 50 : 5;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (moves[event.key]) {
        event.preventDefault();
        this.nudge(...moves[event.key]);
      } else if ((event.key === "Enter" || event.key === " ") && this.pending) {
        event.preventDefault();
        if (this.onConfirm) this.onConfirm(this.pending);
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.nudge(0, 0);
      }
    });
  }

  /** Magnify around the first face's centre (1: the whole view). The proportions stay. */
  setZoom(zoom) {
    const w = this.W / zoom;
    const hgt = this.H / zoom;
    const c = this.centre();
    const x = Math.min(Math.max(c.x_mm - w / 2, 0), this.W - w);
    const y = Math.min(Math.max(this.H - c.y_mm - hgt / 2, 0), this.H - hgt);
    this.svg.setAttribute("viewBox", `${x} ${y} ${w} ${hgt}`);
    this.zoom = zoom;
  }

  /** Screen (client) pixels → view mm, x right and y up from the bottom-left corner. */
  toView(clientX, clientY) {
    const ctm = this.svg.getScreenCTM();
    if (!ctm) return null;
    const p = new DOMPoint(clientX, clientY).matrixTransform(ctm.inverse());
    const x = Math.min(Math.max(p.x, 0), this.W);
    const y = Math.min(Math.max(this.H - p.y, 0), this.H);
    return { x_mm: Math.round(x * 10) / 10, y_mm: Math.round(y * 10) / 10 };
  }

  /** The centre of the first face, where the keyboard cross starts. */
  centre() {
    const f = this.target.faces[0];
    return f ? { x_mm: f.center_x_mm, y_mm: f.center_y_mm } : { x_mm: this.W / 2, y_mm: this.H / 2 };
  }

  nudge(dx, dy) {
    const from = this.pending || this.centre();
    this.pick({
      x_mm: Math.min(Math.max(Math.round((from.x_mm + dx) * 10) / 10, 0), this.W),
      y_mm: Math.min(Math.max(Math.round((from.y_mm + dy) * 10) / 10, 0), this.H),
    });
  }

  pick(point) {
    this.setPending(point);
    if (this.onPick) this.onPick(point);
  }

  setPending(point) {
    this.pending = point;
    while (this.pendingG.firstChild) this.pendingG.firstChild.remove();
    if (!point) return;
    const x = point.x_mm;
    const y = this.H - point.y_mm;
    const r = this.markerR * 1.6;
    this.pendingG.append(
      s("circle", { class: "pending-ring", cx: x, cy: y, r, fill: "none", stroke: "#ff2d95", "stroke-width": r * 0.3 }),
      s("path", {
        d: `M${x - r * 2} ${y}H${x - r * 0.6}M${x + r * 0.6} ${y}H${x + r * 2}M${x} ${y - r * 2}V${y - r * 0.6}M${x} ${y + r * 0.6}V${y + r * 2}`,
        stroke: "#ff2d95",
        "stroke-width": r * 0.22,
      }),
    );
  }

  /** Draw these shots (those of this target with a landing); the current end stands out. */
  setShots(shots, { currentEnd = null, arrowsById = new Map(), latestId = null } = {}) {
    const g = this.shotsG;
    while (g.firstChild) g.firstChild.remove();
    const mine = shots.filter((shot) => shot.target_id === this.target.id && shot.x_mm !== null);
    for (const shot of mine) {
      const arrow = shot.arrow_id ? arrowsById.get(shot.arrow_id) : null;
      const r = markerRadius(Math.min(this.W, this.H), arrow ? arrow.diameter_mm : 5.5);
      const old = currentEnd !== null && shot.end_no !== currentEnd;
      const cls = ["shot", scoreClass(shot.label), old ? "old" : "", shot.id === latestId ? "latest" : ""].join(" ").trim();
      const marker = s(
        "circle",
        {
          class: cls,
          cx: shot.x_mm,
          cy: this.H - shot.y_mm,
          r,
          "stroke-width": r * 0.45,
          "data-seq": shot.seq,
          "data-shot-id": shot.id,
          "data-x": shot.x_mm,
          "data-y": shot.y_mm,
          "data-label": shot.label,
          "data-end": shot.end_no,
        },
        s("title", {}, `Shot ${shot.seq}${arrow ? ` · ${arrow.identifier}` : ""} · ${shot.label}`),
      );
      g.append(marker);
    }
  }
}

/**
 * The grouping plot of a session: one spot of `spec` centred at (0, 0), every impact at its
 * position relative to the centre of the spot it hit (dx right, dy up), the group centre and
 * an ellipse of one standard deviation in x and y.
 */
export function groupPlot({ spec, shots, group, title }) {
  const impacts = shots.filter((shot) => shot.dx_mm !== null && shot.dy_mm !== null);
  const faceR = spec.spot_diameter_mm / 2;
  // Show the group large: crop to the ring just outside the outermost impact (the whole
  // spot when the group is wide), but never cut an impact off.
  const far = impacts.reduce((m, shot) => Math.max(m, Math.hypot(shot.dx_mm, shot.dy_mm)), 0);
  const radii = spec.rings.map((r) => r.outer_radius_mm).sort((a, b) => a - b);
  const ring = radii.find((r) => r >= far * 1.05) || faceR;
  const next = radii.find((r) => r > ring) || ring;
  let extent = Math.min(next, faceR) * 1.04;
  for (const shot of impacts) extent = Math.max(extent, Math.abs(shot.dx_mm) * 1.05, Math.abs(shot.dy_mm) * 1.05);
  const svg = s("svg", {
    class: "group-plot",
    viewBox: `${-extent} ${-extent} ${2 * extent} ${2 * extent}`,
    role: "img",
    "aria-label": title,
    "data-points": impacts.length,
  });
  svg.append(s("rect", { x: -extent, y: -extent, width: 2 * extent, height: 2 * extent, fill: BUTT }));
  svg.append(spotRings(spec, 0, 0));
  const r = Math.max(extent * 0.018, 2.75);
  const points = s("g", { class: "points" });
  for (const shot of impacts) {
    points.append(
      s(
        "circle",
        {
          class: `point shot ${scoreClass(shot.label)}`,
          cx: shot.dx_mm,
          cy: -shot.dy_mm,
          r,
          "stroke-width": r * 0.45,
          "data-seq": shot.seq,
        },
        s("title", {}, `Shot ${shot.seq} · ${shot.label}`),
      ),
    );
  }
  svg.append(points);
  if (group && group.centre_x_mm !== null && group.centre_y_mm !== null) {
    const cx = group.centre_x_mm;
    const cy = -group.centre_y_mm;
    if (group.sigma_x_mm !== null && group.sigma_y_mm !== null) {
      svg.append(
        s("ellipse", {
          class: "spread",
          cx,
          cy,
          rx: Math.max(group.sigma_x_mm, 0.1),
          ry: Math.max(group.sigma_y_mm, 0.1),
          fill: "rgba(255, 45, 149, 0.12)",
          stroke: "#ff2d95",
          "stroke-width": r * 0.6,
          "stroke-dasharray": `${r * 2} ${r}`,
        }),
      );
    }
    const c = r * 3;
    svg.append(
      s("path", {
        class: "centre",
        d: `M${cx - c} ${cy}H${cx + c}M${cx} ${cy - c}V${cy + c}`,
        stroke: "#ff2d95",
        "stroke-width": r * 0.8,
        "stroke-linecap": "round",
      }),
    );
  }
  return svg;
}
