// The service worker of Arch Stats: the app's shell and files for this version, kept on the
// device so that the app opens with no network. The server fills in VERSION and PRECACHE
// (web/assets.py); a new version is a new worker, which replaces the old caches.
//
// The API is not cached here: the pages keep their own copies of what they read (api.js)
// and the shots waiting to be sent (outbox.js).

const VERSION = "%VERSION%";
const PRECACHE = ["%PRECACHE%"];
const SHELL_CACHE = `arch-stats-shell-${VERSION}`;
const SHELL = PRECACHE[0]; // "/app/?shell=all": the shell that preloads every page's code

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // `reload`: never a stale copy from the HTTP cache for the shell.
      await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
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
    event.respondWith(shell());
  }
});

/** Every page of the app is the same shell: from the cache at once, else from the network. */
async function shell() {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(SHELL);
  if (cached) return cached;
  const response = await fetch(SHELL);
  if (response.ok) await cache.put(SHELL, response.clone());
  return response;
}

async function file(request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  return fetch(request);
}
