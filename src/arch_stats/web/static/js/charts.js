// Small SVG charts drawn here (no third-party library): a time chart with points, lines and
// a least-squares trend, and a bar chart. They scale with the page (viewBox, width 100 %).

import { s } from "./dom.js";

const M = { l: 46, r: 14, t: 14, b: 40 };
const DAY = 86_400_000;

/** Round numbers for an axis between lo and hi. */
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) {
    hi = lo + 1;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((k) => raw <= k) || 10 * mag;
  const start = Math.floor(lo / step) * step;
  const ticks = [];
  for (let v = start; v <= hi + step * 0.5; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

/** Least-squares line y = a + b x of points {x, y}; null with fewer than two distinct x. */
export function leastSquares(points) {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((t, p) => t + p.x, 0) / n;
  const my = points.reduce((t, p) => t + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  if (sxx === 0) return null;
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

const shortDate = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const longDate = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });

/**
 * A chart of values over time. `series`: [{name, cls, points: [{t: Date, y, label, href}],
 * line: true|false}]; the first series is the main one (its points are the chart's points,
 * and its trend is drawn when `trend`). The SVG says how many points it has
 * (data-points) for tests and screen readers.
 */
/** Chart size in user units ≈ CSS pixels of the space it gets: text stays readable. */
function size(width) {
  const W = Math.round(Math.max(300, Math.min(760, width || 640)));
  return { W, H: W < 500 ? 220 : 300 };
}

export function timeChart({ series, title, yLabel, yMin = null, yMax = null, trend = false, width }) {
  const { W, H } = size(width);
  const all = series.flatMap((se) => se.points);
  // Points that are links make it a group (an image's content is not reachable).
  const svg = s("svg", {
    class: "chart",
    viewBox: `0 0 ${W} ${H}`,
    role: series.some((se) => se.points.some((p) => p.href)) ? "group" : "img",
    "aria-label": title,
    "data-points": series[0] ? series[0].points.length : 0,
  });
  if (!all.length) return svg;
  const ts = all.map((p) => p.t.getTime());
  let t0 = Math.min(...ts);
  let t1 = Math.max(...ts);
  if (t1 - t0 < DAY) {
    t0 -= DAY;
    t1 += DAY;
  }
  const pad = (t1 - t0) * 0.04;
  t0 -= pad;
  t1 += pad;
  const ys = all.map((p) => p.y);
  let lo = yMin ?? Math.min(...ys);
  let hi = yMax ?? Math.max(...ys);
  if (yMin === null) lo = Math.floor(lo - 0.3);
  if (yMax === null) hi = Math.ceil(hi + 0.3);
  const yt = niceTicks(lo, hi);
  lo = Math.min(lo, yt[0]);
  hi = Math.max(hi, yt[yt.length - 1]);
  const X = (t) => M.l + ((t - t0) / (t1 - t0)) * (W - M.l - M.r);
  const Y = (y) => H - M.b - ((y - lo) / (hi - lo)) * (H - M.t - M.b);

  const axes = s("g", { class: "axes" });
  for (const v of yt) {
    axes.append(
      s("line", { class: "grid", x1: M.l, x2: W - M.r, y1: Y(v), y2: Y(v) }),
      s("text", { class: "tick", x: M.l - 6, y: Y(v) + 4, "text-anchor": "end" }, String(v)),
    );
  }
  const spanDays = (t1 - t0) / DAY;
  const fmt = spanDays > 300 ? longDate : shortDate;
  const xCount = Math.min(W < 500 ? 3 : 5, Math.max(2, Math.round(spanDays)));
  for (let i = 0; i <= xCount; i += 1) {
    const t = t0 + pad + ((t1 - t0 - 2 * pad) * i) / xCount;
    axes.append(
      s("line", { class: "tick-mark", x1: X(t), x2: X(t), y1: H - M.b, y2: H - M.b + 5 }),
      s("text", { class: "tick", x: X(t), y: H - M.b + 18, "text-anchor": "middle" }, fmt.format(new Date(t))),
    );
  }
  axes.append(s("line", { class: "axis", x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b }));
  if (yLabel) {
    axes.append(
      s("text", { class: "axis-label", x: 12, y: H / 2, transform: `rotate(-90 12 ${H / 2})`, "text-anchor": "middle" }, yLabel),
    );
  }
  svg.append(axes);

  // The main series is drawn last, on top of the others.
  const drawn = series.map((se, index) => [se, index]).reverse();
  drawn.forEach(([se, index]) => {
    const pts = [...se.points].sort((a, b) => a.t - b.t);
    const g = s("g", { class: `series ${se.cls || ""}`.trim(), "data-series": se.name });
    if (se.line !== false && pts.length > 1) {
      g.append(s("polyline", { class: "line", points: pts.map((p) => `${X(p.t.getTime())},${Y(p.y)}`).join(" ") }));
    }
    if (index === 0 && trend) {
      const fit = leastSquares(pts.map((p) => ({ x: p.t.getTime(), y: p.y })));
      if (fit) {
        const a = pts[0].t.getTime();
        const b = pts[pts.length - 1].t.getTime();
        g.append(s("line", { class: "trend", x1: X(a), y1: Y(fit.a + fit.b * a), x2: X(b), y2: Y(fit.a + fit.b * b) }));
      }
    }
    for (const p of pts) {
      const dot = s("circle", { class: "pt", cx: X(p.t.getTime()), cy: Y(p.y), r: 5 }, s("title", {}, p.label || String(p.y)));
      g.append(p.href ? s("a", { href: p.href, "aria-label": p.label || String(p.y) }, dot) : dot);
    }
    svg.append(g);
  });
  return svg;
}

/** Bars for categories: [{key, value, cls}], e.g. the score distribution. */
export function barChart({ bars, title, yLabel, width }) {
  const { W, H } = size(width);
  const svg = s("svg", { class: "chart bars", viewBox: `0 0 ${W} ${H * 0.8}`, role: "img", "aria-label": title, "data-points": bars.length });
  if (!bars.length) return svg;
  const h = H * 0.8;
  const hi = Math.max(1, ...bars.map((b) => b.value));
  const yt = niceTicks(0, hi, 4).filter((v) => Number.isInteger(v));
  const top = Math.max(hi, yt[yt.length - 1]);
  const Y = (v) => h - M.b - (v / top) * (h - M.t - M.b);
  const slot = (W - M.l - M.r) / bars.length;
  for (const v of yt) {
    svg.append(
      s("line", { class: "grid", x1: M.l, x2: W - M.r, y1: Y(v), y2: Y(v) }),
      s("text", { class: "tick", x: M.l - 6, y: Y(v) + 4, "text-anchor": "end" }, String(v)),
    );
  }
  bars.forEach((b, i) => {
    const x = M.l + i * slot + slot * 0.15;
    svg.append(
      s(
        "rect",
        { class: `bar ${b.cls || ""}`.trim(), x, y: Y(b.value), width: slot * 0.7, height: Math.max(0, h - M.b - Y(b.value)) },
        s("title", {}, `${b.key}: ${b.value}`),
      ),
      s("text", { class: "tick", x: x + slot * 0.35, y: h - M.b + 18, "text-anchor": "middle" }, b.key),
    );
  });
  svg.append(s("line", { class: "axis", x1: M.l, x2: W - M.r, y1: h - M.b, y2: h - M.b }));
  if (yLabel) {
    svg.append(s("text", { class: "axis-label", x: 12, y: h / 2, transform: `rotate(-90 12 ${h / 2})`, "text-anchor": "middle" }, yLabel));
  }
  return svg;
}

/**
 * A chart of y against a number x: `points` [{x, y, label, cls}] as dots, `line` [{x, y}] as a
 * curve, and `band` [{x, lo, hi}] as a shaded area around it (e.g. sight marks, their fitted
 * curve and its prediction interval). `xLabel`/`yLabel` name the axes.
 */
export function xyChart({ points, line = [], band = [], title, xLabel, yLabel, width }) {
  const { W, H } = size(width);
  const svg = s("svg", { class: "chart xy", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, "data-points": points.length });
  const xs = [...points.map((p) => p.x), ...line.map((p) => p.x)];
  const ys = [...points.map((p) => p.y), ...line.map((p) => p.y), ...band.flatMap((b) => [b.lo, b.hi])];
  if (!xs.length) return svg;
  const xt = niceTicks(Math.min(...xs), Math.max(...xs), W < 500 ? 4 : 6);
  const yt = niceTicks(Math.min(...ys), Math.max(...ys));
  const [x0, x1, y0, y1] = [xt[0], xt[xt.length - 1], yt[0], yt[yt.length - 1]];
  const X = (x) => M.l + ((x - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const Y = (y) => H - M.b - ((y - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  const axes = s("g", { class: "axes" });
  for (const v of yt) {
    axes.append(
      s("line", { class: "grid", x1: M.l, x2: W - M.r, y1: Y(v), y2: Y(v) }),
      s("text", { class: "tick", x: M.l - 6, y: Y(v) + 4, "text-anchor": "end" }, String(v)),
    );
  }
  for (const v of xt) {
    axes.append(
      s("line", { class: "tick-mark", x1: X(v), x2: X(v), y1: H - M.b, y2: H - M.b + 5 }),
      s("text", { class: "tick", x: X(v), y: H - M.b + 18, "text-anchor": "middle" }, String(v)),
    );
  }
  axes.append(s("line", { class: "axis", x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b }));
  if (xLabel) axes.append(s("text", { class: "axis-label", x: (M.l + W - M.r) / 2, y: H - 4, "text-anchor": "middle" }, xLabel));
  if (yLabel) axes.append(s("text", { class: "axis-label", x: 12, y: H / 2, transform: `rotate(-90 12 ${H / 2})`, "text-anchor": "middle" }, yLabel));
  svg.append(axes);
  if (band.length > 1) {
    const edge = [...band.map((b) => `${X(b.x)},${Y(b.hi)}`), ...[...band].reverse().map((b) => `${X(b.x)},${Y(b.lo)}`)];
    svg.append(s("polygon", { class: "band", points: edge.join(" ") }));
  }
  if (line.length > 1) svg.append(s("polyline", { class: "curve", points: line.map((p) => `${X(p.x)},${Y(p.y)}`).join(" ") }));
  const dots = s("g", { class: "series" });
  for (const p of points) {
    dots.append(s("circle", { class: `pt ${p.cls || ""}`.trim(), cx: X(p.x), cy: Y(p.y), r: 5 }, s("title", {}, p.label || `${p.x}: ${p.y}`)));
  }
  svg.append(dots);
  return svg;
}
