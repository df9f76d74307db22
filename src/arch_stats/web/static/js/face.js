// Target faces drawn to scale as SVG, in millimetres.
//
// The target *view* (what the target sensor sees) is the SVG's viewBox: 1 user unit = 1 mm.
// The API measures from the view's bottom-left corner with y up; SVG has y down, so a point
// (x, y) of the API is drawn at (x, H − y). Ring radii and colours come from
// GET /api/v0/face/{type} (World Archery colours), never from this file.

import { h, s } from "./dom.js";
import { scoreClass } from "./format.js";

const BUTT = "#e8dcc0";

/** Zone dividing lines: white on the black zones, black elsewhere (as printed by WA). */
export function lineColour(hex) {
  return String(hex).toUpperCase() === "#000000" ? "#FFFFFF" : "#000000";
}

/** One spot's rings, centred on (cx, cy) in SVG coordinates. */
export function spotRings(spec, cx, cy) {
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

// Markers keep the same size on the screen whatever the zoom: CSS pixels.
const MARK_PX = 8.5; // radius of a marker of the current end
const OLD_PX = 6.5; // of an earlier end
const FONT_PX = 10.5;
const LOUPE_PX = 136; // the magnifier's diameter
const LOUPE_MAG = 2.5; // its magnification over the face as shown
const LOUPE_GAP = 44; // between the finger and the magnifier's edge
const LOUPE_RINGS = 3.5; // it shows at most this many ring widths of the spot under the finger
const LOUPE_MARK = 1.25; // its markers' size over theirs on the face, on the screen
const GRAB_PX = 30; // a move that starts this close to the chosen marker drags it
const ZOOM_MAX = 8;
// A finger that is swiping, not placing: it went further than SWIPE_PX from where it touched
// down before the magnifier had been up SETTLE_MS (no time to look at it), or further than
// SWIPE_FAR_PX at all. Such a touch records nothing (dragging the chosen marker excepted).
const SWIPE_PX = 48;
const SETTLE_MS = 250;
const SWIPE_FAR_PX = 120;

/** The usual width of a spot's scoring rings (the X and a field face's inner 6 are narrower). */
function ringWidth(spec) {
  const radii = spec.rings.map((r) => r.outer_radius_mm).sort((a, b) => a - b);
  const gaps = radii.map((r, i) => r - (radii[i - 1] || 0)).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}

/** The number drawn on a marker: the arrow's number (A07 → 7), else its place in the end. */
export function markerText(shot, arrow) {
  if (arrow) {
    const digits = arrow.identifier.match(/(\d+)\D*$/);
    if (digits) return String(parseInt(digits[1], 10));
    return arrow.identifier.slice(0, 2);
  }
  return shot.end_place ? String(shot.end_place) : "";
}

let uid = 0;

/**
 * The target of a session, drawn to scale, with its shots.
 * `specs` maps face_type → face (GET /face/{type}). With `onPlace`, the face takes shots:
 * touch (or press) shows a magnifier under the finger, the point follows it, lifting calls
 * onPlace({x_mm, y_mm}) at once — or onMove(shotId, point) while a shot is chosen
 * (`setSelected`). A swipe records nothing (SWIPE_PX); the page never scrolls under a finger
 * on the face. Two fingers zoom and pan; the mouse wheel zooms; the keyboard moves a cross
 * (arrow keys), Enter records, + / − zoom.
 */
export class TargetView {
  constructor({ target, specs, onPlace = null, onMove = null, onCancel = null, title = "Target face" }) {
    this.target = target;
    this.W = target.view_width_mm;
    this.H = target.view_height_mm;
    this.onPlace = onPlace;
    this.onMove = onMove;
    this.onCancel = onCancel;
    this.onZoom = null;
    this.onPending = null; // (point | null, live): the keyboard's cross or a finger's point
    this.pending = null; // the keyboard's cross or the finger's point, {x_mm, y_mm}
    this.selectedId = null;
    this.shots = [];
    this.drawOptions = {};
    this.zoom = 1;
    this.cx = this.W / 2;
    this.cy = this.H / 2;
    this.pointers = new Map();
    this.gesture = null;
    this.spots = []; // every spot of every face: centre (mm, y up), radius, ring width
    const { W, H } = this;
    const id = `tv-${++uid}`;
    this.svg = s("svg", {
      class: "target",
      viewBox: `0 0 ${W} ${H}`,
      preserveAspectRatio: "xMidYMid meet",
      role: onPlace ? "application" : "img",
      "aria-label": onPlace
        ? `${title}. Touch or click where the arrow landed: a magnifier shows the point, lifting records it. With the keyboard, move the cross with the arrow keys and press Enter; + and − zoom.`
        : title,
      "data-target-id": target.id,
      "data-view-width": W,
      "data-view-height": H,
    });
    const content = s("g", { id, class: "content" });
    content.append(s("rect", { class: "butt", x: 0, y: 0, width: W, height: H, fill: BUTT }));
    const facesG = s("g", { class: "faces" });
    for (const face of target.faces) {
      const spec = specs[face.face_type];
      if (!spec) continue;
      const g = s("g", { class: "face", "data-face-type": face.face_type, "data-face-index": face.face_index });
      for (const spot of spec.spots) {
        const x = face.center_x_mm + spot.x_mm;
        const y = face.center_y_mm + spot.y_mm;
        g.append(spotRings(spec, x, H - y));
        this.spots.push({ x, y, r: spec.spot_diameter_mm / 2, ring: ringWidth(spec) });
      }
      facesG.append(g);
    }
    this.shotsG = s("g", { class: "shots" });
    content.append(facesG, this.shotsG);
    this.pendingG = s("g", { class: "pending", "aria-hidden": "true" });
    this.svg.append(content, this.pendingG);

    this.loupeSvg = s("svg", { class: "loupe-face", "aria-hidden": "true" }, s("use", { href: `#${id}` }));
    this.loupe = h("div", { class: "loupe", hidden: true, "aria-hidden": "true" }, this.loupeSvg);
    // The face's box has exactly the view's proportions (a point on screen maps to one point
    // of the view) and is sized from them (app.css): as wide as the column allows, at most as
    // tall as the screen allows.
    const box = h("div", { class: "face-box" }, this.svg);
    box.style.aspectRatio = `${W} / ${H}`;
    this.el = h("div", { class: "face-view" }, box, this.loupe);
    this.el.style.setProperty("--view-ratio", String(W / H));
    if (onPlace) this.#interactive();
    this.resize = new ResizeObserver(() => this.#redraw());
    this.resize.observe(this.svg);
  }

  destroy() {
    this.resize.disconnect();
  }

  // --- geometry -------------------------------------------------------------------------

  /** mm of the view per CSS pixel, as shown now. */
  mmPerPx() {
    const width = this.svg.getBoundingClientRect().width || this.svg.clientWidth;
    return width ? this.W / this.zoom / width : this.W / 400;
  }

  viewBox() {
    const w = this.W / this.zoom;
    const hgt = this.H / this.zoom;
    const x = Math.min(Math.max(this.cx - w / 2, 0), this.W - w);
    const y = Math.min(Math.max(this.cy - hgt / 2, 0), this.H - hgt);
    return { x, y, w, h: hgt };
  }

  #applyView() {
    const vb = this.viewBox();
    this.cx = vb.x + vb.w / 2;
    this.cy = vb.y + vb.h / 2;
    this.svg.setAttribute("viewBox", `${vb.x} ${vb.y} ${vb.w} ${vb.h}`);
    this.svg.dataset.zoom = String(Math.round(this.zoom * 100) / 100);
    this.#redraw();
    if (this.onZoom) this.onZoom(this.zoom);
  }

  /** Magnify by `zoom` (1: the whole view), keeping the point (svg coordinates) `at` in place. */
  setZoom(zoom, at = null) {
    const z = Math.min(Math.max(zoom, 1), ZOOM_MAX);
    if (at) {
      const before = this.viewBox();
      const fx = (at.x - before.x) / before.w;
      const fy = (at.y - before.y) / before.h;
      const w = this.W / z;
      const hgt = this.H / z;
      this.cx = at.x - fx * w + w / 2;
      this.cy = at.y - fy * hgt + hgt / 2;
    } else if (z === 1) {
      this.cx = this.W / 2;
      this.cy = this.H / 2;
    }
    this.zoom = z;
    this.#applyView();
  }

  /** Show the zoomed face around a point of the view (mm, y up). */
  centreOn(point) {
    this.cx = point.x_mm;
    this.cy = this.H - point.y_mm;
    this.#applyView();
  }

  /** Screen (client) pixels → svg user units (y down), unclamped. */
  #toSvg(clientX, clientY) {
    const ctm = this.svg.getScreenCTM();
    if (!ctm) return null;
    return new DOMPoint(clientX, clientY).matrixTransform(ctm.inverse());
  }

  /** Screen (client) pixels → view mm, x right and y up from the bottom-left corner. */
  toView(clientX, clientY) {
    const p = this.#toSvg(clientX, clientY);
    if (!p) return null;
    return { x_mm: Math.round(p.x * 10) / 10, y_mm: Math.round((this.H - p.y) * 10) / 10 };
  }

  /** View mm → screen (client) pixels. */
  toScreen(point) {
    const ctm = this.svg.getScreenCTM();
    const p = new DOMPoint(point.x_mm, this.H - point.y_mm).matrixTransform(ctm);
    return { x: p.x, y: p.y };
  }

  /** Whether a point of the view is inside the part of it shown now. */
  shows(point) {
    const vb = this.viewBox();
    const y = this.H - point.y_mm;
    return point.x_mm >= vb.x && point.x_mm <= vb.x + vb.w && y >= vb.y && y <= vb.y + vb.h;
  }

  /** The spot under a point of the view (mm, y up), or the nearest one; null without spots. */
  spotAt(point) {
    let best = null;
    let nearest = Infinity;
    for (const spot of this.spots) {
      const d = Math.hypot(point.x_mm - spot.x, point.y_mm - spot.y) / spot.r;
      if (d < nearest) [best, nearest] = [spot, d];
    }
    return best;
  }

  /** The centre of the first face, where the keyboard cross starts. */
  centre() {
    const f = this.target.faces[0];
    return f ? { x_mm: f.center_x_mm, y_mm: f.center_y_mm } : { x_mm: this.W / 2, y_mm: this.H / 2 };
  }

  // --- entry ----------------------------------------------------------------------------

  #interactive() {
    const svg = this.svg;
    svg.setAttribute("tabindex", "0");
    svg.classList.add("pickable");
    svg.addEventListener("pointerdown", (e) => this.#down(e));
    svg.addEventListener("pointermove", (e) => this.#move(e));
    svg.addEventListener("pointerup", (e) => this.#up(e));
    svg.addEventListener("pointercancel", (e) => this.#cancelPointer(e));
    svg.addEventListener("lostpointercapture", (e) => this.#cancelPointer(e));
    svg.addEventListener("contextmenu", (e) => e.preventDefault());
    svg.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const at = this.#toSvg(e.clientX, e.clientY);
        this.setZoom(this.zoom * (e.deltaY < 0 ? 1.25 : 0.8), at);
      },
      { passive: false },
    );
    svg.addEventListener("keydown", (e) => this.#key(e));
  }

  #key(event) {
    const step = event.shiftKey ? 50 : 5;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[event.key]) {
      event.preventDefault();
      this.nudge(...moves[event.key]);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (this.pending) this.#commit(this.pending);
      else this.nudge(0, 0);
    } else if (event.key === "+" || event.key === "=") {
      event.preventDefault();
      this.setZoom(this.zoom * 1.5, this.pending ? { x: this.pending.x_mm, y: this.H - this.pending.y_mm } : null);
    } else if (event.key === "-" || event.key === "_") {
      event.preventDefault();
      this.setZoom(this.zoom / 1.5);
    } else if (event.key === "Escape") {
      if (this.pending) {
        event.preventDefault();
        this.setPending(null);
        if (this.onCancel) this.onCancel();
      }
    }
  }

  /** Move the keyboard cross by (dx, dy) mm (from the chosen shot, or the face's centre). */
  nudge(dx, dy) {
    const chosen = this.selectedId ? this.shots.find((shot) => shot.id === this.selectedId && shot.x_mm !== null) : null;
    const from = this.pending || (chosen ? { x_mm: chosen.x_mm, y_mm: chosen.y_mm } : this.centre());
    const point = {
      x_mm: Math.min(Math.max(Math.round((from.x_mm + dx) * 10) / 10, 0), this.W),
      y_mm: Math.min(Math.max(Math.round((from.y_mm + dy) * 10) / 10, 0), this.H),
    };
    this.setPending(point);
    if (this.zoom > 1 && !this.shows(point)) this.centreOn(point);
  }

  #commit(point) {
    this.setPending(null);
    if (this.selectedId && this.onMove) this.onMove(this.selectedId, point);
    else if (this.onPlace) this.onPlace(point);
  }

  #down(e) {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    e.preventDefault();
    try {
      this.svg.setPointerCapture(e.pointerId);
    } catch {
      // Not capturable (already gone): the events still come while over the face.
    }
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (this.pointers.size === 1) {
      let offset = { x: 0, y: 0 };
      let grab = false;
      const chosen = this.selectedId ? this.shots.find((shot) => shot.id === this.selectedId && shot.x_mm !== null) : null;
      if (chosen) {
        const at = this.toScreen(chosen);
        grab = Math.hypot(at.x - e.clientX, at.y - e.clientY) <= GRAB_PX;
        if (grab) offset = { x: at.x - e.clientX, y: at.y - e.clientY };
      }
      // A finger may be swiping; a mouse or a pen drags on purpose, as does a finger on the
      // chosen marker.
      const swipes = e.pointerType === "touch" && !grab;
      this.gesture = { kind: this.selectedId ? "move" : "place", offset, swipes, from: { x: e.clientX, y: e.clientY, t: e.timeStamp } };
      this.#follow(e.clientX, e.clientY);
    } else if (this.pointers.size === 2) {
      // A second finger: zooming, not shooting.
      this.#hideLoupe();
      this.setPending(null);
      const [a, b] = [...this.pointers.values()];
      const vb = this.viewBox();
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      this.gesture = { kind: "pinch", dist: Math.hypot(a.x - b.x, a.y - b.y) || 1, zoom: this.zoom, anchor: this.#toSvg(mid.x, mid.y), vb };
    }
  }

  #move(e) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const g = this.gesture;
    if (!g) return;
    if ((g.kind === "place" || g.kind === "move") && g.swipes && this.#swiping(g.from, e)) {
      this.#hideLoupe();
      this.setPending(null);
      if (this.onCancel) this.onCancel();
      this.gesture = { kind: "spent" }; // lifting records nothing
    } else if (g.kind === "place" || g.kind === "move") {
      this.#follow(e.clientX, e.clientY);
    } else if (g.kind === "pinch" && this.pointers.size >= 2) {
      const [a, b] = [...this.pointers.values()];
      const dist = Math.hypot(a.x - b.x, a.y - b.y) || 1;
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      const z = Math.min(Math.max((g.zoom * dist) / g.dist, 1), ZOOM_MAX);
      const rect = this.svg.getBoundingClientRect();
      const w = this.W / z;
      const hgt = this.H / z;
      // The point that was under the fingers' midpoint stays under it.
      const scale = w / rect.width;
      const x = g.anchor.x - (mid.x - rect.left) * scale;
      const y = g.anchor.y - (mid.y - rect.top) * scale;
      this.zoom = z;
      this.cx = x + w / 2;
      this.cy = y + hgt / 2;
      this.#applyView();
    }
  }

  #swiping(from, e) {
    const far = Math.hypot(e.clientX - from.x, e.clientY - from.y);
    return far > SWIPE_FAR_PX || (far > SWIPE_PX && e.timeStamp - from.t < SETTLE_MS);
  }

  #up(e) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.delete(e.pointerId);
    const g = this.gesture;
    if (!g) return;
    if ((g.kind === "place" || g.kind === "move") && this.pointers.size === 0) {
      this.gesture = null;
      this.#hideLoupe();
      const point = this.toView(e.clientX + g.offset.x, e.clientY + g.offset.y);
      if (point && this.shows(point) && point.x_mm >= 0 && point.y_mm >= 0 && point.x_mm <= this.W && point.y_mm <= this.H) {
        this.#commit(point);
      } else {
        // Lifted off the face: nothing is recorded.
        this.setPending(null);
        if (this.onCancel) this.onCancel();
      }
    } else if (this.pointers.size === 0) {
      this.gesture = null;
    } else if (g.kind === "pinch") {
      this.gesture = { kind: "spent" }; // the other finger lifts later: it records nothing
    }
  }

  #cancelPointer(e) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.delete(e.pointerId);
    if (this.gesture && (this.gesture.kind === "place" || this.gesture.kind === "move")) {
      this.#hideLoupe();
      this.setPending(null);
      if (this.onCancel) this.onCancel();
    }
    this.gesture = this.pointers.size ? { kind: "spent" } : null;
  }

  /** The finger is at (x, y): the point under it (plus the grab offset) and the magnifier. */
  #follow(clientX, clientY) {
    const g = this.gesture;
    const x = clientX + g.offset.x;
    const y = clientY + g.offset.y;
    const point = this.toView(x, y);
    if (!point) return;
    this.setPending(point, { live: true });
    this.#showLoupe(x, y, point);
  }

  #showLoupe(x, y, point) {
    const L = LOUPE_PX;
    const vw = document.documentElement.clientWidth;
    let left = x - L / 2;
    let top = y - L - LOUPE_GAP;
    if (top < 4) {
      // No room above the finger: beside it, on the side with more room.
      top = Math.min(Math.max(y - L / 2, 4), window.innerHeight - L - 4);
      left = x > vw / 2 ? x - L - LOUPE_GAP : x + LOUPE_GAP;
    }
    left = Math.min(Math.max(left, 4), vw - L - 4);
    // Magnified over the face as shown, and further on a spot shown small (one of many): the
    // rings around the point stay readable whatever the face.
    const spot = this.spotAt(point);
    const span = Math.min((L * this.mmPerPx()) / LOUPE_MAG, spot ? LOUPE_RINGS * spot.ring : Infinity);
    const py = this.H - point.y_mm;
    this.loupeSvg.setAttribute("viewBox", `${point.x_mm - span / 2} ${py - span / 2} ${span} ${span}`);
    // Its markers (numbered, as on the face) a little larger than on the face, not magnified
    // with it: a tight group stays apart, a ring between two arrows in sight.
    this.loupeSvg.style.setProperty("--mark-scale", String((LOUPE_MARK * span) / (L * this.mmPerPx())));
    this.loupe.style.left = `${left}px`;
    this.loupe.style.top = `${top}px`;
    this.loupe.hidden = false;
    this.loupe.dataset.x = String(point.x_mm);
    this.loupe.dataset.y = String(point.y_mm);
  }

  #hideLoupe() {
    this.loupe.hidden = true;
  }

  /** The point being chosen (the finger's, or the keyboard's cross); null hides it. */
  setPending(point, { live = false } = {}) {
    const changed = Boolean(point) !== Boolean(this.pending) || live !== this.svg.classList.contains("aiming");
    this.pending = point;
    if (changed && this.onPending) this.onPending(point, live);
    this.svg.classList.toggle("aiming", Boolean(point && live));
    while (this.pendingG.firstChild) this.pendingG.firstChild.remove();
    if (!point) return;
    const k = this.mmPerPx();
    const x = point.x_mm;
    const y = this.H - point.y_mm;
    const r = MARK_PX * 1.3 * k;
    this.pendingG.append(
      s("circle", { class: "pending-ring", cx: x, cy: y, r, fill: "none", stroke: "#ff2d95", "stroke-width": 2.5 * k }),
      s("path", {
        d: `M${x - r * 2} ${y}H${x - r * 0.5}M${x + r * 0.5} ${y}H${x + r * 2}M${x} ${y - r * 2}V${y - r * 0.5}M${x} ${y + r * 0.5}V${y + r * 2}`,
        stroke: "#ff2d95",
        "stroke-width": 1.6 * k,
      }),
    );
    this.svg.dataset.pendingX = String(point.x_mm);
    this.svg.dataset.pendingY = String(point.y_mm);
  }

  setSelected(shotId) {
    this.selectedId = shotId;
    this.#redraw();
  }

  // --- the shots ------------------------------------------------------------------------

  /**
   * Draw these shots (those of this target with a landing). Options: `currentEnd` (its
   * markers stand out), `showOld` (earlier ends drawn at all), `text(shot)` (the number on a
   * marker), `latestId`.
   */
  setShots(shots, options = {}) {
    this.shots = shots.filter((shot) => shot.target_id === this.target.id);
    this.drawOptions = options;
    this.#redraw();
  }

  #redraw() {
    const { currentEnd = null, showOld = true, text = (shot) => markerText(shot, null), latestId = null } = this.drawOptions;
    const g = this.shotsG;
    while (g.firstChild) g.firstChild.remove();
    const k = this.mmPerPx();
    const mine = this.shots.filter((shot) => shot.x_mm !== null && shot.x_mm !== undefined);
    // Earlier ends first, the current end on top, the chosen shot above all.
    const rank = (shot) => (shot.id === this.selectedId ? 3 : shot.end_no === currentEnd || currentEnd === null ? 2 : 1);
    mine.sort((a, b) => rank(a) - rank(b) || (a.seq || 0) - (b.seq || 0));
    for (const shot of mine) {
      const old = currentEnd !== null && shot.end_no !== currentEnd;
      if (old && !showOld && shot.id !== this.selectedId) continue;
      const r = (old ? OLD_PX : MARK_PX) * k;
      const cls = [
        "shot",
        scoreClass(shot.label),
        old ? "old" : "current",
        shot.pending ? "unsent" : "",
        shot.id === latestId ? "latest" : "",
        shot.id === this.selectedId ? "selected" : "",
      ]
        .filter(Boolean)
        .join(" ");
      const x = shot.x_mm;
      const y = this.H - shot.y_mm;
      const label = text(shot);
      const marker = s(
        "g",
        {
          class: cls,
          "data-seq": shot.seq ?? "",
          "data-shot-id": shot.id,
          "data-x": x,
          "data-y": shot.y_mm,
          "data-label": shot.label,
          "data-end": shot.end_no,
          "data-place": shot.end_place ?? "",
          "data-text": label,
        },
        s("title", {}, `End ${shot.end_no}${shot.end_place ? `, arrow ${shot.end_place}` : ""}${label ? ` (${label})` : ""}: ${shot.pending ? "not sent yet" : shot.label}`),
        s("circle", { class: "mark", cx: x, cy: y, r, "stroke-width": 1.5 * k }),
      );
      if (label) {
        marker.append(
          s("text", { x, y, "font-size": (old ? FONT_PX * 0.85 : FONT_PX) * k, "text-anchor": "middle", "dominant-baseline": "central" }, label),
        );
      }
      if (shot.id === this.selectedId) {
        marker.append(s("circle", { class: "select-ring", cx: x, cy: y, r: r + 4 * k, fill: "none", "stroke-width": 2.5 * k }));
      }
      g.append(marker);
    }
    if (this.pending) this.setPending(this.pending, { live: this.svg.classList.contains("aiming") });
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
