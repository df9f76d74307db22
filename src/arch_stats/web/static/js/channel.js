// The live channel of one session: GET /api/v0/ws?session_id=…&after=SEQ (the login cookie
// authenticates it). When the connection drops it reconnects by itself, with a growing delay,
// asking for every shot after the last one it received (`after`): nothing is missed and,
// since the server replays in order, nothing comes twice.

const CLOSE_REASONS = {
  4401: "unauthorised",
  4403: "access-withdrawn",
  4404: "not-found",
  4422: "bad-request",
};
// The server sends a heartbeat every 30 s: this long without any frame means a dead link
// (a phone that changed networks often never sees the close).
const SILENCE_MS = 75_000;
const DELAYS_MS = [300, 1000, 2000, 4000];

export class LiveChannel {
  /**
   * onFrame(frame) for every frame; onState(state, detail) with state one of
   * "connecting", "live", "reconnecting" (detail: seconds until the next try), "offline", "closed"
   * (detail: why — "unauthorised", "not-found", "bad-request", "stopped").
   */
  constructor(sessionId, { after = 0, onFrame, onState }) {
    this.sessionId = sessionId;
    this.lastSeq = after;
    this.onFrame = onFrame;
    this.onState = onState;
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.timer = null;
    this.watchdog = null;
    this.retryNow = () => {
      if (!this.stopped && (!this.ws || this.ws.readyState > WebSocket.OPEN)) this.#connect();
    };
    this.onVisible = () => {
      if (document.visibilityState === "visible") this.retryNow();
    };
    // The browser knows it lost the network: the socket cannot be trusted any more (a phone
    // may keep a dead one open for minutes); "online" brings a new one.
    this.dropNow = () => {
      if (this.stopped) return;
      clearTimeout(this.timer);
      clearTimeout(this.watchdog);
      if (this.ws) {
        const ws = this.ws;
        this.ws = null;
        ws.close(4000, "offline");
      }
      this.onState("offline");
    };
    window.addEventListener("online", this.retryNow);
    window.addEventListener("offline", this.dropNow);
    document.addEventListener("visibilitychange", this.onVisible);
    this.#connect();
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const q = new URLSearchParams({ session_id: this.sessionId, after: String(this.lastSeq) });
    return `${scheme}://${location.host}/api/v0/ws?${q}`;
  }

  #connect() {
    clearTimeout(this.timer);
    this.timer = null;
    if (navigator.onLine === false) {
      // No network: no attempt (and no error) until the browser says it is back ("online").
      this.onState("offline");
      return;
    }
    this.onState(this.attempt ? "reconnecting" : "connecting", 0);
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.#retry();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.#feedWatchdog();
      this.onState("live");
    });
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws) return;
      this.#feedWatchdog();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "shot.created" && frame.data && typeof frame.data.seq === "number") {
        if (frame.data.seq <= this.lastSeq) return; // already have it
        this.lastSeq = frame.data.seq;
      }
      this.onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearTimeout(this.watchdog);
      const fatal = CLOSE_REASONS[event.code];
      if (this.stopped) return;
      if (fatal) {
        this.stopped = true;
        this.onState("closed", fatal);
        return;
      }
      this.#retry();
    });
    // An "error" is always followed by "close": handled there.
  }

  #retry() {
    if (this.stopped) return;
    if (navigator.onLine === false) {
      this.onState("offline");
      return;
    }
    const base = DELAYS_MS[Math.min(this.attempt, DELAYS_MS.length - 1)];
    const delay = base + Math.round(Math.random() * base * 0.25);
    this.attempt += 1;
    this.onState("reconnecting", Math.ceil(delay / 1000));
    this.timer = setTimeout(() => this.#connect(), delay);
  }

  #feedWatchdog() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (this.ws) this.ws.close(4000, "silent");
      // Closing a dead socket may take long to fire "close": do not wait for it.
      this.ws = null;
      this.#retry();
    }, SILENCE_MS);
  }

  /** Stop for good (leaving the page). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    window.removeEventListener("online", this.retryNow);
    window.removeEventListener("offline", this.dropNow);
    document.removeEventListener("visibilitychange", this.onVisible);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, "leaving");
    }
  }
}
