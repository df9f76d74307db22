// The REST API under /api/v0. Every answer is the envelope {code, data, errors}: data on
// success, readable errors otherwise. The login cookie (HttpOnly) goes with every request.

export const API = "/api/v0";

export class ApiError extends Error {
  constructor(status, messages) {
    super(messages.join("; "));
    this.status = status;
    this.messages = messages;
  }
}

const listeners = new Set();

/** Called with no argument whenever the API answers 401 (the login is gone). */
export function onUnauthorised(callback) {
  listeners.add(callback);
}

export async function api(method, path, body, { quiet401 = false, signal } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" }, signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API + path, init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, ["The server cannot be reached. Check your connection and try again."]);
  }
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
  return payload ? payload.data : null;
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

// Static data (faces, rounds) is fetched once per page load.
const cache = new Map();
export function cached(path) {
  if (!cache.has(path)) {
    const p = get(path);
    p.catch(() => cache.delete(path));
    cache.set(path, p);
  }
  return cache.get(path);
}

export const face = (type) => cached(`/face/${encodeURIComponent(type)}`);
export const faces = () => cached("/face");
export const rounds = () => cached("/round");
export const round = (code) => cached(`/round/${encodeURIComponent(code)}`);
