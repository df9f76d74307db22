// The outbox: every change to shots made on this device (a new arrow, a move, a delete) is
// written here first (IndexedDB: it survives a reload and a closed tab), then sent to the
// server in the order it was made, one at a time.
//
// Each new shot carries an id chosen here, so a post that is sent again after a lost answer
// is recognised by the server (it answers the stored shot and writes nothing): every shot is
// stored exactly once. A change the server refuses (the session was closed on another device,
// the end is full…) stays here, marked refused, until the archer decides what to do with it;
// the changes after it in the same session wait behind it, so that their order holds.
//
// Changes belong to the archer who made them: kept under their id, shown and sent only while
// the device's account (api.js) is theirs. When another archer signs in on this device,
// they wait here, unsent, until the first one signs in again.

import { ApiError, account, del, offline, patch, post } from "./api.js";

const DB_NAME = "arch-stats";
const STORE = "outbox";
const CHANNEL = "arch-stats-outbox";
const RETRY_MS = [1000, 2000, 5000, 10000, 30000];

/** A random UUID (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function newId() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

let dbPromise = null;
function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      if (typeof indexedDB === "undefined") {
        reject(new Error("no IndexedDB"));
        return;
      }
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        const store = req.result.createObjectStore(STORE, { keyPath: "key", autoIncrement: true });
        store.createIndex("archer", "archer_id");
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    dbPromise.catch(() => {});
  }
  return dbPromise;
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function store(mode) {
  const db = await openDb();
  return db.transaction(STORE, mode).objectStore(STORE);
}

/** Why the server refused, in a form the page can offer a way out for. */
function refusal(err) {
  const text = (err.messages || [err.message]).join(" ");
  if (/closed/i.test(text)) return "closed";
  if (/already has .* arrows|full/i.test(text)) return "end-full";
  return "other";
}

const transient = (err) => !(err instanceof ApiError) || err.status === 0 || err.status === 408 || err.status === 429 || err.status >= 500;

class Outbox {
  constructor() {
    this.archerId = null;
    this.ops = []; // this archer's operations, oldest first (a mirror of the store)
    this.memoryOnly = false;
    this.listeners = new Set();
    this.flushing = null;
    this.again = false;
    this.attempt = 0;
    this.timer = null;
    this.sending = null; // key of the operation in flight
    this.lastError = null;
    this.channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(CHANNEL);
    if (this.channel) this.channel.onmessage = () => this.reload();
    window.addEventListener("online", () => this.flush());
  }

  /** Load this archer's waiting changes and start sending them. */
  async start(archerId) {
    if (this.archerId === archerId) return;
    this.archerId = archerId;
    await this.reload();
    this.flush();
  }

  stop() {
    this.archerId = null;
    this.ops = [];
    clearTimeout(this.timer);
    this.#emit("changed");
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  #emit(type, detail) {
    for (const fn of [...this.listeners]) {
      try {
        fn(type, detail);
      } catch (err) {
        // A listener's failure must not stop the others (or the sending).
        console.warn("outbox listener", err); // eslint-disable-line no-console
      }
    }
  }

  async reload() {
    if (!this.archerId) return;
    try {
      const s = await store("readonly");
      const all = await request(s.index("archer").getAll(this.archerId));
      this.ops = all.sort((a, b) => a.key - b.key);
    } catch {
      this.memoryOnly = true;
    }
    this.#emit("changed");
  }

  forSession(sessionId) {
    return this.ops.filter((op) => op.session_id === sessionId);
  }

  async #put(op) {
    if (!this.memoryOnly) {
      try {
        const s = await store("readwrite");
        op.key = await request(s.put(op));
      } catch {
        this.memoryOnly = true;
      }
    }
    if (this.memoryOnly && op.key === undefined) op.key = (this.ops.reduce((m, o) => Math.max(m, o.key), 0) || 0) + 1;
    const at = this.ops.findIndex((o) => o.key === op.key);
    if (at >= 0) this.ops[at] = op;
    else this.ops.push(op);
    this.#changed();
    return op;
  }

  async #delete(key) {
    if (!this.memoryOnly) {
      try {
        const s = await store("readwrite");
        await request(s.delete(key));
      } catch {
        this.memoryOnly = true;
      }
    }
    this.ops = this.ops.filter((o) => o.key !== key);
    this.#changed();
  }

  #changed() {
    if (this.channel) this.channel.postMessage("changed");
    this.#emit("changed");
  }

  /** Queue a change: {session_id, kind: "create"|"update"|"delete", shot_id, body}; from a
   * bale also `via: "competition"`, `page` (where it is shown), and kind "confirm" (an end
   * signed, `path`), sent after the arrows of that session queued before it. */
  async add(change) {
    const op = await this.#put({ ...change, archer_id: this.archerId, state: "waiting", error: null, reason: null, made_at: new Date().toISOString() });
    this.flush();
    return op;
  }

  /** The waiting "create" of a shot that has not reached the server yet, if any. */
  waitingCreate(shotId) {
    return this.ops.find((op) => op.kind === "create" && op.shot_id === shotId && op.key !== this.sending);
  }

  /** Change the body of a shot not sent yet (it goes out once, already corrected). */
  async amend(op, changes) {
    return this.#put({ ...op, body: { ...op.body, ...changes } });
  }

  async discard(op) {
    await this.#delete(op.key);
  }

  /** Send a refused change again (after the archer fixed the cause), maybe changed. */
  async retry(op, bodyChanges = null) {
    const body = bodyChanges ? { ...op.body, ...bodyChanges } : op.body;
    for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
    await this.#put({ ...op, body, state: "waiting", error: null, reason: null });
    this.attempt = 0;
    this.flush();
  }

  /** Send what waits, in order; one run at a time (per tab; ids make a second tab harmless). */
  flush() {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    clearTimeout(this.timer);
    this.timer = null;
    const run = async () => {
      do {
        this.again = false;
        await this.#run();
      } while (this.again);
    };
    const locked = navigator.locks ? () => navigator.locks.request(CHANNEL, run) : run;
    this.flushing = locked().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  // Whether this tab may send for its archer: the device's account is still theirs (another
  // tab may have signed someone else in meanwhile).
  #ours() {
    return Boolean(this.archerId) && account() === this.archerId;
  }

  async #run() {
    if (!this.#ours() || offline()) return;
    await this.reload();
    const blocked = new Set(this.ops.filter((op) => op.state === "refused").map((op) => op.session_id));
    for (const op of [...this.ops]) {
      if (!this.#ours()) return;
      if (op.state !== "waiting" || blocked.has(op.session_id)) continue;
      if (!this.ops.some((o) => o.key === op.key)) continue; // discarded meanwhile
      this.sending = op.key;
      this.#emit("sending", op);
      let result;
      try {
        result = await this.#send(op);
      } catch (err) {
        this.sending = null;
        if (err instanceof ApiError && err.status === 401) {
          this.lastError = err;
          this.#emit("signin", op);
          return;
        }
        if (transient(err)) {
          this.lastError = err;
          this.#schedule();
          this.#emit("changed");
          return;
        }
        blocked.add(op.session_id);
        await this.#put({ ...op, state: "refused", error: err.messages || [String(err.message)], status: err.status, reason: refusal(err) });
        this.#emit("refused", op);
        continue;
      }
      this.sending = null;
      this.attempt = 0;
      this.lastError = null;
      await this.#delete(op.key);
      this.#emit("sent", { op, result });
    }
  }

  async #send(op) {
    // A bale's scorer writes another archer's shots through the competition's routes.
    const shots = op.via === "competition" ? "/competition/shot" : "/shot";
    if (op.kind === "create") {
      const stored = await post(shots, op.body, { quiet401: true });
      return Array.isArray(stored) ? stored[0] : stored;
    }
    if (op.kind === "update") return patch(`${shots}/${op.shot_id}`, op.body, { quiet401: true });
    if (op.kind === "confirm") return post(op.path, undefined, { quiet401: true });
    try {
      await del(`${shots}/${op.shot_id}`, { quiet401: true });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err; // gone already: done
    }
    return null;
  }

  #schedule() {
    const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), delay);
  }

  get waiting() {
    return this.ops.filter((op) => op.state === "waiting");
  }

  get refused() {
    return this.ops.filter((op) => op.state === "refused");
  }
}

export const outbox = new Outbox();
