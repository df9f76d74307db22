// How numbers, dates and scores are written on the page.

const dateFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });

export const date = (iso) => (iso ? dateFmt.format(new Date(iso)) : "—");
export const time = (iso) => (iso ? timeFmt.format(new Date(iso)) : "—");
export const dateTime = (iso) => (iso ? `${dayFmt.format(new Date(iso))}, ${timeFmt.format(new Date(iso))}` : "—");

export function num(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return Number(value).toFixed(digits);
}

export const mm = (value, digits = 0) => (value === null || value === undefined ? "—" : `${num(value, digits)} mm`);
export const metres = (value) => `${Number(value) % 1 === 0 ? Number(value) : num(value, 1)} m`;

/** "12 mm right, 8 mm low" for an offset from the centre (x right, y up). */
export function offset(x, y) {
  if (x === null || x === undefined || y === null || y === undefined) return "—";
  const horiz = Math.abs(x) < 0.5 ? "centred" : `${num(Math.abs(x))} mm ${x > 0 ? "right" : "left"}`;
  const vert = Math.abs(y) < 0.5 ? "centred" : `${num(Math.abs(y))} mm ${y > 0 ? "high" : "low"}`;
  return `${horiz}, ${vert}`;
}

/** Colour class of a score label, as on a WA face. */
export function scoreClass(label) {
  if (label === "X" || label === "10" || label === "11" || label === "9") return "sc-gold";
  if (label === "8" || label === "7") return "sc-red";
  if (label === "6" || label === "5") return "sc-blue";
  if (label === "4" || label === "3") return "sc-black";
  if (label === "2" || label === "1") return "sc-white";
  return "sc-miss";
}

export function sessionTitle(session) {
  const where = session.location || (session.is_indoor ? "Indoor" : "Outdoor");
  return `${where} · ${metres(session.distance_m)}`;
}

/** YYYY-MM-DD of a Date in UTC (the API's date filters are UTC days). */
export const isoDay = (d) => d.toISOString().slice(0, 10);
