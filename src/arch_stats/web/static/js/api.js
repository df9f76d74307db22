// The REST API under /api/v0. Every answer is the envelope {code, data, errors}: data on
// success, readable errors otherwise. The login cookie (HttpOnly) goes with every request.
//
// What the pages read is kept on the device (Cache Storage): with no network, a GET answers
// the copy it got last time, so that a page opens at the range. The copies belong to one
// account: the one this device knows is signed in (`account()`, kept in localStorage so that
// every tab, and a reload with no network, know it). They are kept in a cache of that
// account's own, read back only while it is the account, and all forgotten when another
// account is seen, at sign-in, at sign-out and at any 401: a phone passed to the next archer
// never shows the previous one's sessions, whether their sign-in ended here or elsewhere.

export const API = "/api/v0";
const ACCOUNT = "arch-stats.account";
const READ_CACHE = "arch-stats-api"; // + ":" + the account's id (alone: an older version's)

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

let thisTabsAccount = null; // where localStorage is refused (some private modes)

/** The id of the account whose answers this device keeps: the one signed in; null: none. */
export function account() {
  try {
    return localStorage.getItem(ACCOUNT);
  } catch {
    return thisTabsAccount;
  }
}

/**
 * The device's account is now `me` (an archer as GET /auth/me answers; null: nobody is signed
 * in). When that is another account than before, or `signedIn` (a sign-in just happened),
 * every answer kept so far is forgotten, whoever's it was. `me` is kept as the answer to GET
 * /auth/me, so that a reload with no network knows who is signed in here.
 */
export async function useAccount(me, { signedIn = false } = {}) {
  const id = me ? me.id : null;
  const before = account();
  const changed = id !== before || signedIn;
  if (changed || !id) {
    claim = null;
    unclaimed.length = 0;
  }
  if (changed) {
    // First the name, then the copies: an answer still on its way is no longer kept.
    thisTabsAccount = id;
    try {
      if (id) localStorage.setItem(ACCOUNT, id);
      else localStorage.removeItem(ACCOUNT);
    } catch {
      // Refused: this tab alone knows.
    }
    // Reads this page started before anyone was known here are this sign-in's (signedInArcher).
    if (before !== null || signedIn) early.clear();
    if (typeof caches !== "undefined") {
      const names = await caches.keys().catch(() => []);
      const ours = names.filter((name) => name === READ_CACHE || name.startsWith(`${READ_CACHE}:`));
      await Promise.all(ours.map((name) => caches.delete(name).catch(() => {})));
    }
  }
  if (me) await keep(`${API}/auth/me`, new Response(JSON.stringify({ code: 200, data: me, errors: [] })), id);
}

/** Called when another tab signs in or out (the account changed under this one). */
export function onAccountChanged(callback) {
  window.addEventListener("storage", (event) => {
    if (event.key === ACCOUNT || event.key === null) callback();
  });
}

// Answers read while the device knew no account (a first visit: the page asks for its data
// and who is signed in at once) are kept for the account GET /auth/me then names (`claim`).
const unclaimed = [];
const UNCLAIMED_MAX = 50;
let claim = null;

function unowned(url, response) {
  if (claim) keep(url, response, claim);
  else if (unclaimed.length < UNCLAIMED_MAX) unclaimed.push([url, response]);
}

const readCache = (owner) =>
  !owner || typeof caches === "undefined" ? Promise.resolve(null) : caches.open(`${READ_CACHE}:${owner}`).catch(() => null);

/** True when the browser knows it has no network: do not even try. */
export const offline = () => typeof navigator !== "undefined" && navigator.onLine === false;

async function saved(url) {
  const cache = await readCache(account());
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
  const owner = isRead ? account() : null; // whose answer this is, as far as the device knows
  let res = null;
  if (isRead && (savedFirst || offline())) {
    res = await saved(url);
    if (res && savedFirst && !offline()) refresh(url, init, owner);
    if (!res && offline()) throw unreachable(null);
  }
  if (!res) {
    try {
      res = await fetch(url, init);
      if (isRead && res.ok) (owner ? keep(url, res.clone(), owner) : unowned(url, res.clone()));
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
    if (res.status === 401) {
      await useAccount(null); // signed out, here or elsewhere: nothing of theirs stays
      if (!quiet401) listeners.forEach((cb) => cb());
    }
    throw new ApiError(res.status, messages);
  }
  if (envelope) return payload;
  return payload ? payload.data : null;
}

/** Keep `response` as the copy of `url` for account `owner`, if it is still the account. */
async function keep(url, response, owner) {
  const cache = account() === owner ? await readCache(owner) : null;
  if (cache && account() === owner) await cache.put(url, response).catch(() => {});
}

function refresh(url, init, owner) {
  fetch(url, { ...init, signal: undefined })
    .then((res) => (res.ok ? keep(url, res, owner) : null))
    .catch(() => {});
}

/**
 * Who is signed in (GET /auth/me; with no network, the copy kept for the device's account),
 * null for nobody. The device's copies follow the answer: another account's are forgotten,
 * and this one is kept for a reload with no network.
 */
export async function signedInArcher() {
  let payload;
  try {
    payload = await api("GET", "/auth/me", undefined, { quiet401: true, envelope: true });
  } catch (err) {
    if (err.status === 401) return null; // read() has forgotten everything
    throw err;
  }
  const me = payload.data;
  const before = account();
  if (me.id !== before) {
    // Read in this page with the same sign-in, before anyone was known here: theirs.
    const theirs = before === null ? unclaimed.splice(0) : [];
    await useAccount(me);
    if (before === null && account() === me.id) {
      claim = me.id;
      theirs.push(...unclaimed.splice(0)); // arrived meanwhile
    }
    for (const [url, response] of theirs) await keep(url, response, me.id);
  }
  return me;
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
 * Keep `payload` (the envelope's fields besides code and errors) as this device's copy of GET
 * `path`, for the account signed in here: a page that learns of changes to what it read keeps
 * its copy as fresh as what it shows, for a reload with no network.
 */
export async function keepCopy(path, payload) {
  const owner = account();
  if (owner) await keep(API + path, new Response(JSON.stringify({ code: 200, errors: [], ...payload })), owner);
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
