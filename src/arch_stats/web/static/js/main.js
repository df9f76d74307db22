// The client-side router: every /app/... URL is a page drawn by one module of pages/.
// Links stay real links (they work with the keyboard, open in a new tab, can be bookmarked).

import { account, onAccountChanged, onUnauthorised, post, prefetch, signedInArcher, useAccount } from "./api.js";
import { clear, errorBox, h } from "./dom.js";
import { outbox } from "./outbox.js";

performance.mark("arch-stats:main");

// Each page is its own module, loaded when it is shown (the server's shell preloads the one
// asked for; the service worker keeps them all). `early`: drawn without waiting for the
// account (its own requests are refused if nobody is signed in), to save a round trip.
const UUID = "([0-9a-fA-F-]{36})";
function page(loader, name) {
  let loading = null;
  const load = () => (loading ||= loader());
  const draw = async (ctx) => (await load())[name](ctx);
  draw.load = load;
  return draw;
}
const ROUTES = [
  { path: /^\/app\/?$/, page: page(() => import("./pages/home.js"), "homePage"), nav: "home" },
  { path: /^\/app\/signin\/?$/, page: page(() => import("./pages/auth.js"), "signinPage"), public: true },
  { path: /^\/app\/signup\/?$/, page: page(() => import("./pages/auth.js"), "signupPage"), public: true },
  { path: /^\/app\/profile\/?$/, page: page(() => import("./pages/profile.js"), "profilePage"), nav: "profile" },
  { path: /^\/app\/arrows\/?$/, page: page(() => import("./pages/arrows.js"), "arrowsPage"), nav: "arrows" },
  { path: /^\/app\/sessions\/?$/, page: page(() => import("./pages/sessions.js"), "sessionsPage"), nav: "sessions" },
  { path: /^\/app\/sessions\/new\/?$/, page: page(() => import("./pages/sessions.js"), "newSessionPage"), nav: "sessions" },
  { path: new RegExp(`^/app/sessions/${UUID}/?$`), page: page(() => import("./pages/session.js"), "sessionPage"), nav: "sessions", early: true },
  {
    path: new RegExp(`^/app/sessions/${UUID}/live/?$`),
    page: page(() => import("./pages/live.js"), "livePage"),
    nav: "live",
    early: true,
    // What the live page reads first (pages/live.js, loadData), asked for while its code loads.
    reads: ([id]) => [`/session/${id}`, `/session/${id}/target`, `/session/${id}/shot`, "/arrow?include_retired=true", `/session/${id}/scorecard`, `/session/${id}/access`, `/session/${id}/note`],
  },
  // The club's live board (big screen): for members, and by a public link without an account
  // (`open`: no sign-in asked, nor a redirect for those signed in).
  { path: new RegExp(`^/app/clubs/${UUID}/board/?$`), page: page(() => import("./pages/board.js"), "clubBoardPage"), nav: "clubs", early: true },
  { path: /^\/app\/board\/(asb_[A-Za-z0-9_-]{1,60})\/?$/, page: page(() => import("./pages/board.js"), "publicBoardPage"), open: true },
  // The range timer: a club's timers, one timer (its organisers' controls; ?screen=1 the big
  // screen), and its big screen by a public link without an account.
  { path: new RegExp(`^/app/clubs/${UUID}/timer/?$`), page: page(() => import("./pages/timer.js"), "clubTimersPage"), nav: "clubs" },
  { path: new RegExp(`^/app/clubs/${UUID}/timer/${UUID}/?$`), page: page(() => import("./pages/timer.js"), "timerPage"), nav: "clubs" },
  { path: /^\/app\/timer\/(ast_[A-Za-z0-9_-]{1,60})\/?$/, page: page(() => import("./pages/timer.js"), "publicTimerPage"), open: true },
  { path: /^\/app\/equipment\/?$/, page: page(() => import("./pages/equipment.js"), "equipmentPage"), nav: "equipment" },
  { path: new RegExp(`^/app/equipment/bows/${UUID}/?$`), page: page(() => import("./pages/equipment.js"), "bowPage"), nav: "equipment" },
  { path: new RegExp(`^/app/sessions/${UUID}/tuning/?$`), page: page(() => import("./pages/equipment.js"), "tuningPage"), nav: "sessions" },
  // Club competitions: the list, a new one, one organised; a bale's scoring phone, the results (members), the public results.
  { path: new RegExp(`^/app/competitions(?:/(new|${UUID.slice(1, -1)}))?/?$`), page: page(() => import("./pages/competitions.js"), "competitionsPage"), nav: "competitions" },
  { path: new RegExp(`^/app/competitions/${UUID}/bale/(\\d{1,3})/?$`), page: page(() => import("./pages/competitions.js"), "balePage"), nav: "competitions" },
  { path: new RegExp(`^/app/competitions/${UUID}/results/?$`), page: page(() => import("./pages/competitions.js"), "resultsPage"), nav: "competitions" },
  { path: /^\/app\/results\/(asc_[A-Za-z0-9_-]{1,60})\/?$/, page: page(() => import("./pages/competitions.js"), "publicResultsPage"), open: true },
  // Head-to-head brackets (members; scored at the bale), a league's season by its public link.
  { path: new RegExp(`^/app/competitions/${UUID}/bracket/?$`), page: page(() => import("./pages/brackets.js"), "bracketPage"), nav: "competitions" },
  { path: /^\/app\/season\/(asn_[A-Za-z0-9_-]{1,60})\/?$/, page: page(() => import("./pages/brackets.js"), "seasonPage"), open: true },
  { path: /^\/app\/history\/?$/, page: page(() => import("./pages/history.js"), "historyPage"), nav: "history" },
  { path: /^\/app\/clubs\/?$/, page: page(() => import("./pages/clubs.js"), "clubsPage"), nav: "clubs" },
  { path: /^\/app\/clubs\/join\/([A-Za-z0-9_%-]{1,64})\/?$/, page: page(() => import("./pages/clubs.js"), "joinPage"), nav: "clubs" },
  { path: new RegExp(`^/app/clubs/${UUID}/?$`), page: page(() => import("./pages/clubs.js"), "clubPage"), nav: "clubs" },
  { path: new RegExp(`^/app/members/${UUID}/?$`), page: page(() => import("./pages/clubs.js"), "memberPage"), nav: "clubs" },
  { path: /^\/app\/admin\/?$/, page: page(() => import("./pages/admin.js"), "adminPage"), nav: "admin" },
  // `anyone`: shown signed in or not (the link works for whoever holds it).
  { path: /^\/app\/reset\/?$/, page: page(() => import("./pages/reset.js"), "resetPage"), public: true, anyone: true },
];

// The first page's code is asked for at once, alongside everything else this module does.
{
  const first = ROUTES.find((r) => r.path.test(location.pathname));
  if (first) first.page.load().catch(() => {});
}

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const menuButton = document.getElementById("menu-button");
const sync = document.getElementById("sync");

const state = { me: undefined, cleanup: null, controller: null };

async function loadMe() {
  state.me = await signedInArcher();
  if (state.me) outbox.start(state.me.id);
  return state.me;
}

// The changes waiting in the outbox stay on the device for the archer who made them (it is
// keyed by archer): sent when that archer is signed in here again, never under another one.
async function signedOut() {
  state.me = null;
  outbox.stop();
  await useAccount(null);
}

function drawNav(active) {
  clear(nav);
  if (!state.me) {
    nav.hidden = true;
    menuButton.hidden = true;
    return;
  }
  nav.hidden = false;
  menuButton.hidden = false;
  setMenu(false);
  const link = (key, href, text) =>
    h("a", { href, "aria-current": key === active ? "page" : false }, text);
  const signOut = h("button", { type: "button", class: "link-button" }, "Sign out");
  signOut.addEventListener("click", async () => {
    signOut.disabled = true;
    try {
      await post("/auth/logout", undefined, { quiet401: true });
    } catch {
      // Gone already: signed out either way.
    }
    await signedOut();
    navigate("/app/signin");
  });
  nav.append(
    h(
      "ul",
      {},
      h("li", {}, link("home", "/app/", "Home")),
      h("li", {}, link("sessions", "/app/sessions", "Sessions")),
      h("li", {}, link("arrows", "/app/arrows", "Arrows")),
      h("li", {}, link("equipment", "/app/equipment", "Equipment")),
      h("li", {}, link("history", "/app/history", "History")),
      h("li", {}, link("clubs", "/app/clubs", "Clubs")),
      h("li", {}, link("competitions", "/app/competitions", "Competitions")),
      h("li", {}, link("profile", "/app/profile", "Profile")),
      state.me.is_admin ? h("li", {}, link("admin", "/app/admin", "Accounts")) : null,
      h("li", {}, signOut),
    ),
  );
}

export function navigate(href, { replace = false } = {}) {
  const url = new URL(href, location.href);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}

async function render() {
  if (state.cleanup) {
    try {
      state.cleanup();
    } catch {
      // A page that fails to clean up must not block the next one.
    }
  }
  state.cleanup = null;
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;

  const path = location.pathname;
  const route = ROUTES.find((r) => r.path.test(path));
  if (route && route.reads && state.me !== null) prefetch(route.reads(path.match(route.path).slice(1)));
  if (state.me === undefined && route && route.early) {
    // Drawn at once; the account follows (the navigation, or sign-in if nobody is signed in).
    loadMe()
      .then((me) => {
        if (controller.signal.aborted) return;
        if (me) drawNav(route.nav);
        else navigate(`/app/signin?next=${encodeURIComponent(path + location.search)}`, { replace: true });
      })
      .catch(() => {});
  } else if (state.me === undefined) {
    try {
      await loadMe();
    } catch (err) {
      clear(main).append(h("h1", { tabindex: "-1" }, "Arch Stats"), errorBox(err));
      return;
    }
  }
  if (route && !route.public && !route.open && !state.me && !(route.early && state.me === undefined)) {
    const next = path + location.search;
    navigate(`/app/signin?next=${encodeURIComponent(next)}`, { replace: true });
    return;
  }
  if (route && route.public && !route.anyone && state.me) {
    navigate("/app/", { replace: true });
    return;
  }
  drawNav(route ? route.nav : null);
  drawSync();
  // Each page draws into its own element: a page still loading when the archer moves on
  // writes into a detached element, never into the next page.
  const container = h("div", { class: "page" });
  clear(main).append(container);
  if (!route) {
    document.title = "Not found · Arch Stats";
    container.append(
      h("h1", { tabindex: "-1" }, "Page not found"),
      h("p", {}, "There is nothing at this address. ", h("a", { href: "/app/" }, "Go to the home page"), "."),
    );
    focusHeading();
    return;
  }
  performance.mark("arch-stats:page");
  const params = path.match(route.path).slice(1);
  const ctx = {
    main: container,
    params,
    query: new URLSearchParams(location.search),
    me: state.me,
    signal: controller.signal,
    navigate,
    // `signedIn`: after a sign-in (whatever this device kept before is forgotten).
    setMe: async (me, { signedIn = false } = {}) => {
      if (!me) {
        await signedOut();
        return;
      }
      await useAccount(me, { signedIn });
      state.me = me;
      outbox.start(me.id);
      drawNav(route.nav);
    },
    onCleanup: (fn) => {
      const previous = state.cleanup;
      state.cleanup = () => {
        fn();
        if (previous) previous();
      };
    },
  };
  try {
    await route.page(ctx);
  } catch (err) {
    if (controller.signal.aborted || (err && err.name === "AbortError")) return;
    if (err && err.status === 401) return; // already sent to sign in
    const title = err && err.status === 404 ? "Not found" : "Something went wrong";
    clear(container).append(h("h1", { tabindex: "-1" }, title), errorBox(err), h("p", {}, h("a", { href: "/app/" }, "Go to the home page")));
  }
  if (!controller.signal.aborted) focusHeading();
}

function focusHeading() {
  // Keyboard and screen-reader users start at the new page's heading, not at the old link.
  const heading = main.querySelector("h1");
  if (heading && !main.contains(document.activeElement)) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest("a[href]");
  // getAttribute: an SVG <a> has no string .href / .target.
  if (!a || a.getAttribute("target") || a.hasAttribute("download")) return;
  const url = new URL(a.getAttribute("href"), location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith("/app") || url.pathname.startsWith("/app/static/")) return;
  event.preventDefault();
  if (url.pathname === location.pathname && url.search === location.search) {
    if (url.hash) location.hash = url.hash;
    return;
  }
  navigate(url.href);
  window.scrollTo(0, 0);
});

window.addEventListener("popstate", render);

// Another tab signed in or out: this one asks again who is signed in, and follows.
onAccountChanged(() => {
  if ((state.me ? state.me.id : null) === account()) return;
  state.me = undefined;
  outbox.stop();
  render();
});

onUnauthorised(() => {
  signedOut();
  if (!location.pathname.startsWith("/app/sign")) {
    navigate(`/app/signin?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  }
});

// --- the menu on narrow screens ------------------------------------------------------------

function setMenu(open) {
  menuButton.setAttribute("aria-expanded", String(open));
  nav.classList.toggle("open", open);
}
menuButton.addEventListener("click", () => setMenu(menuButton.getAttribute("aria-expanded") !== "true"));
nav.addEventListener("click", (event) => {
  if (event.target.closest("a")) setMenu(false);
});

// --- what waits to be sent (the outbox), in the header on every page ------------------------

function drawSync() {
  const ops = outbox.ops;
  const refused = ops.filter((op) => op.state === "refused");
  const waiting = ops.length - refused.length;
  const isOffline = navigator.onLine === false;
  clear(sync);
  sync.dataset.state = refused.length ? "refused" : waiting ? (isOffline ? "waiting" : "sending") : isOffline ? "offline" : "idle";
  if (!ops.length && !isOffline) {
    sync.hidden = true;
    return;
  }
  sync.hidden = false;
  const text = refused.length ? `${refused.length} refused` : waiting ? `${waiting} waiting` : "Offline";
  sync.title = refused.length
    ? "The server refused a change: open the session to decide what to do with it"
    : waiting
      ? `${waiting} changes kept on this device, ${isOffline ? "to be sent when the network is back" : "being sent"}`
      : "No network: what you record is kept on this device";
  const first = refused[0] || ops[0];
  const target = first ? first.page || `/app/sessions/${first.session_id}/live` : null;
  sync.append(target && location.pathname !== target ? h("a", { href: target }, text) : h("span", {}, text));
}
outbox.subscribe(drawSync);
window.addEventListener("online", drawSync);
window.addEventListener("offline", drawSync);
drawSync();

// --- the service worker: the app opens with no network ------------------------------------

if ("serviceWorker" in navigator) {
  let controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!controlled) {
      controlled = true; // the first worker took this page over: nothing changed
      return;
    }
    // A new version took over: this page still runs the old one until it is reloaded.
    if (document.getElementById("update")) return;
    const reload = h("button", { type: "button", class: "primary" }, "Reload");
    reload.addEventListener("click", () => location.reload());
    document.body.append(h("div", { id: "update", class: "update-bar", role: "status" }, h("span", {}, "A new version of Arch Stats is ready."), reload));
  });
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {
    // No service worker (e.g. plain http on a LAN address): the app works online only.
  });
}

render();
