// The REST API under /api/v0. Every answer is the envelope {code, data, errors}: data on
// success, readable errors otherwise. The login cookie (HttpOnly) goes with every request.
//
// What the pages read is kept on the device (Cache Storage, this archer's answers only): with
// no network, a GET answers the copy it got last time, so that a page opens at the range.

export const API = "/api/v0";
const READ_CACHE = "arch-stats-api";

export class ApiError extends Error {
  constructor(status, messages, { offline = false } = {}) {
    super(messages.join("; "));
    this.status = status;
    this.messages = messages;
    this.offline = offline;
  }
}

const listeners = new Set();

/** Called with no argument whenever the API answers 401 (the login is gone). */
export function onUnauthorised(callback) {
  listeners.add(callback);
}

const readCache = () => (typeof caches === "undefined" ? Promise.resolve(null) : caches.open(READ_CACHE).catch(() => null));

/** Forget every saved answer (signing out, another archer signing in). */
export async function forgetSavedReads() {
  if (typeof caches !== "undefined") await caches.delete(READ_CACHE).catch(() => {});
}

/** True when the browser knows it has no network: do not even try. */
export const offline = () => typeof navigator !== "undefined" && navigator.onLine === false;

async function saved(url) {
  const cache = await readCache();
  const found = cache ? await cache.match(url).catch(() => undefined) : undefined;
  return found || null;
}

function unreachable(err) {
  if (err && err.name === "AbortError") return err;
  return new ApiError(0, ["The server cannot be reached. Check your connection and try again."], { offline: true });
}

/**
 * One call. Options: `quiet401` (no sign-in redirect), `signal`, `headers`, `envelope` (return
 * the whole envelope, e.g. for `next_after`), `saved` (GET: the copy kept on the device first,
 * refreshed in the background — for data that hardly changes, such as faces and rounds).
 */
// Reads started before the page that needs them has loaded (see prefetch): path → the
// server's answer and the device's copy, each taken once.
const early = new Map();
const EARLY_MS = 15_000;

/** Start these GETs now, and read the device's copies, for a page whose code is on its way. */
export function prefetch(paths) {
  for (const path of paths) {
    if (early.has(path)) continue;
    const entry = { fresh: api("GET", path, undefined, { envelope: true }), saved: savedCopy(path, { envelope: true }) };
    entry.fresh.catch(() => {});
    entry.saved.catch(() => {});
    early.set(path, entry);
    setTimeout(() => early.delete(path), EARLY_MS);
  }
}

function takeEarly(path, kind) {
  const entry = early.get(path);
  if (!entry || !entry[kind]) return null;
  const found = entry[kind];
  entry[kind] = null;
  if (!entry.fresh && !entry.saved) early.delete(path);
  return found;
}

export async function api(method, path, body, { quiet401 = false, signal, headers = {}, envelope = false, saved: savedFirst = false } = {}) {
  const started = method === "GET" && !savedFirst ? takeEarly(path, "fresh") : null;
  if (started) {
    const payload = await started;
    return envelope ? payload : payload ? payload.data : null;
  }
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers }, signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const url = API + path;
  const isRead = method === "GET";
  let res = null;
  if (isRead && (savedFirst || offline())) {
    res = await saved(url);
    if (res && savedFirst && !offline()) refresh(url, init);
    if (!res && offline()) throw unreachable(null);
  }
  if (!res) {
    try {
      res = await fetch(url, init);
      if (isRead && res.ok) keep(url, res.clone());
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      res = isRead ? await saved(url) : null;
      if (!res) throw unreachable(err);
    }
  }
  return read(res, { quiet401, envelope });
}

async function read(res, { quiet401, envelope }) {
  let payload = null;
  try {
    payload = await res.json();
  } catch {
    payload = null;
  }
  if (!res.ok) {
    const messages =
      payload && Array.isArray(payload.errors) && payload.errors.length
        ? payload.errors.map(String)
        : [`The server answered ${res.status} ${res.statusText}.`];
    if (res.status === 401 && !quiet401) listeners.forEach((cb) => cb());
    throw new ApiError(res.status, messages);
  }
  if (envelope) return payload;
  return payload ? payload.data : null;
}

async function keep(url, response) {
  const cache = await readCache();
  if (cache) await cache.put(url, response).catch(() => {});
}

function refresh(url, init) {
  fetch(url, { ...init, signal: undefined })
    .then((res) => (res.ok ? keep(url, res) : null))
    .catch(() => {});
}

export const get = (path, opts) => api("GET", path, undefined, opts);
export const post = (path, body, opts) => api("POST", path, body, opts);
export const patch = (path, body, opts) => api("PATCH", path, body, opts);
export const del = (path, opts) => api("DELETE", path, undefined, opts);

/** A query string from an object, leaving out empty values. */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

/**
 * The answer to GET `path` kept on this device from an earlier visit, without asking the
 * server; null when there is none. For drawing a page at once, then again when fresh data
 * comes (`envelope`: the whole envelope).
 */
export async function savedCopy(path, { envelope = false } = {}) {
  const started = takeEarly(path, "saved");
  if (started) {
    const payload = await started;
    return envelope || !payload ? payload : payload.data;
  }
  const res = await saved(API + path);
  if (!res) return null;
  try {
    const payload = await res.json();
    return envelope ? payload : payload.data;
  } catch {
    return null;
  }
}

/**
 * Every shot of a session, page by page (GET /session/{id}/shot?after=&limit=).
 * `saved`: from the copies kept on this device only (null if a page is missing).
 */
export async function allShots(sessionId, { after = 0, signal, saved: fromDevice = false } = {}) {
  const shots = [];
  let cursor = after;
  for (;;) {
    const path = `/session/${sessionId}/shot${qs({ after: cursor || "" })}`;
    const page = fromDevice ? await savedCopy(path, { envelope: true }) : await get(path, { signal, envelope: true });
    if (fromDevice && !page) return null;
    const data = (page && page.data) || [];
    shots.push(...data);
    const next = page ? page.next_after : null;
    if (next === null || next === undefined || next === cursor || !data.length) return shots;
    cursor = next;
  }
}

// Static data (faces, rounds) is fetched once per page load, and read from the device first.
const cache = new Map();
export function cached(path) {
  if (!cache.has(path)) {
    const p = get(path, { saved: true });
    p.catch(() => cache.delete(path));
    cache.set(path, p);
  }
  return cache.get(path);
}

export const face = (type) => cached(`/face/${encodeURIComponent(type)}`);
export const faces = () => cached("/face");
export const rounds = () => cached("/round");
export const round = (code) => cached(`/round/${encodeURIComponent(code)}`);

/** The display name of a standard round ("WA 720 (70m)"), never its code when a name exists. */
export async function roundName(code) {
  if (!code) return null;
  try {
    const list = await rounds();
    const found = list.find((r) => r.code === code);
    return found ? found.name : code;
  } catch {
    return code;
  }
}

/** A map code → display name of every round (for lists). */
export async function roundNames() {
  try {
    return new Map((await rounds()).map((r) => [r.code, r.name]));
  } catch {
    return new Map();
  }
}
