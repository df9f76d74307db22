// The service worker of Arch Stats: the app's shell and files for this version, kept on the
// device so that the app opens with no network. The server fills in VERSION and PRECACHE
// (web/assets.py); a new version is a new worker, which replaces the old caches.
//
// The API is not cached here: the pages keep their own copies of what they read (api.js: one
// cache per account, forgotten when the account changes) and the shots waiting to be sent
// (outbox.js: kept for the archer who made them).

const VERSION = "%VERSION%";
const PRECACHE = ["%PRECACHE%"];
const SHELL_CACHE = `arch-stats-shell-${VERSION}`;
// Which shell a page's path gets (the server's own table, web/assets.py): each preloads the
// modules its page needs; any other path gets the one that preloads them all.
const PAGES = ["%PAGES%"].map(([pattern, shell]) => [new RegExp(pattern), shell]);
const ANY_PAGE = "%ANY_PAGE%";
let opened = null;
const cache = () => (opened ||= caches.open(SHELL_CACHE));

self.addEventListener("install", (event) => {
  // Where the browser can (the Static Routing API), this version's files are read from the
  // cache without starting this worker's code at all; elsewhere `fetch` below does the same.
  if (event.addRoutes && typeof URLPattern === "function") {
    try {
      event.addRoutes({
        condition: { urlPattern: new URLPattern({ pathname: `/app/static/${VERSION}/*` }) },
        source: { cacheName: SHELL_CACHE },
      });
    } catch {
      // An older form of the API: the fetch handler serves them.
    }
  }
  event.waitUntil(
    (async () => {
      // `reload`: never a stale copy from the HTTP cache for the shell.
      await (await cache()).addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("arch-stats-shell-") && key !== SHELL_CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/app/static/")) {
    event.respondWith(file(request));
  } else if (request.mode === "navigate" && url.pathname.startsWith("/app") && url.pathname !== "/app/sw.js") {
    event.respondWith(shell(url.pathname.replace(/^\/app\/?/, "")));
  }
});

/** The shell of a page: from the cache at once, else from the network. */
async function shell(page) {
  const found = PAGES.find(([pattern]) => pattern.test(page));
  const url = found ? found[1] : ANY_PAGE;
  const cached = await (await cache()).match(url);
  if (cached) return cached;
  const response = await fetch(url);
  if (response.ok) await (await cache()).put(url, response.clone());
  return response;
}

async function file(request) {
  const cached = await (await cache()).match(request);
  return cached || fetch(request);
}
