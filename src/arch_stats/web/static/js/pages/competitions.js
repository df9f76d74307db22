// Club competitions (issue 22): the organiser's pages, the bale's scoring phone, the results.
//
// /app/competitions              the competitions of my clubs (and those I am entered in)
// /app/competitions/new          a new one (the club's owners and coaches)
// /app/competitions/{id}         entries, the target list (bales, details A–D; move, swap),
//                                start / finish, the bales to score, the results' links
// /app/competitions/{id}/bale/n  one phone scores every archer of bale n, end by end, by value
//                                (the live page's keypad) or by plotting (the live page's face);
//                                the archer confirms each end; a confirmed end is locked
// /app/competitions/{id}/results the ranking per category, live (members)
// /app/results/{token}           the same by the public link, without an account
//
// A competition's range timer (made from its page: `competition_id` on the timer) shows as a
// line with its phase and seconds left on the competition's page, its bales and its results
// (members; `timer.js`'s timerStrip).
//
// At the bale every change goes through the outbox (outbox.js) as on the live page: drawn at
// once, kept on the device (a reload keeps it), sent in order with ids chosen here, so an end
// sent again after a lost answer or a time offline is stored exactly once.

import { api, face as getFace, del, get, post, rounds as allRounds } from "../api.js";
import { announce, busy, clear, errorBox, errorSlot, field, h, keepFocus, select } from "../dom.js";
import { TargetView } from "../face.js";
import { scoreClass } from "../format.js";
import { drawKeypad, faceValues, valueButton } from "../keypad.js";
import { newId, outbox } from "../outbox.js";
import { nextPosition, progress, taken, whereText } from "../rounds.js";
import { roundChoices } from "./sessions.js";
import { bracketsView } from "./brackets.js";
import { timerStrip } from "./timer.js";

const DELAYS_MS = [500, 1000, 2000, 4000, 8000];
const ORGANISERS = ["owner", "coach"];
const BOWSTYLES = ["recurve", "compound", "barebow", "longbow"];
const STATUS_TEXT = { planned: "planned", running: "running", finished: "finished" };
const PREFS = "arch-stats.bale";
const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** /app/competitions, /app/competitions/new, /app/competitions/{id}. */
export async function competitionsPage(ctx) {
  const [which] = ctx.params;
  if (which === "new") return newCompetition(ctx);
  if (which) return competitionPage(ctx, which);
  return competitionList(ctx);
}

function competitionMeta(c) {
  return [c.club_name, c.round_name, c.starts_on === c.ends_on ? c.starts_on : `${c.starts_on} – ${c.ends_on}`, c.venue].filter(Boolean).join(" · ");
}

async function competitionList(ctx) {
  document.title = "Competitions · Arch Stats";
  const [list, clubs] = await Promise.all([get("/competition", { signal: ctx.signal }), get("/club", { signal: ctx.signal })]);
  const organises = clubs.some((c) => ORGANISERS.includes(c.my_role));
  ctx.main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Competitions"), organises ? h("a", { class: "button primary", href: "/app/competitions/new" }, "New competition") : null),
  );
  if (!list.length) {
    ctx.main.append(
      h(
        "div",
        { class: "card empty" },
        h("p", {}, h("strong", {}, "No competitions yet.")),
        h("p", {}, organises ? "Create one for a club night, a league round or a championship: its round, categories, entries and bales." : "Your club's competitions appear here when an organiser creates them, or when you are entered in one."),
      ),
    );
    return;
  }
  ctx.main.append(h("ol", { class: "competition-list" }, list.map((c) => h("li", { class: "card" }, competitionCard(c)))));
}

function competitionCard(c) {
  return [
    h("h2", {}, h("a", { href: `/app/competitions/${c.id}` }, c.name), " ", h("span", { class: `badge status-${c.status}` }, STATUS_TEXT[c.status])),
    h("p", { class: "muted" }, competitionMeta(c), ` · ${c.entries} ${c.entries === 1 ? "archer" : "archers"}`),
    h("div", { class: "actions" }, h("a", { class: "button", href: `/app/competitions/${c.id}` }, c.my_role === "organiser" ? "Organise" : "Open"), h("a", { class: "button", href: `/app/competitions/${c.id}/results` }, "Results")),
  ];
}

// --- a new competition -----------------------------------------------------------------------

async function newCompetition(ctx) {
  document.title = "New competition · Arch Stats";
  ctx.main.append(h("h1", {}, "New competition"));
  const [clubs, roundList, custom] = await Promise.all([get("/club", { signal: ctx.signal }), allRounds(), get("/round/custom", { signal: ctx.signal }).catch(() => [])]);
  const mine = clubs.filter((c) => ORGANISERS.includes(c.my_role));
  if (!mine.length) {
    ctx.main.append(h("p", { class: "card" }, "Only a club's owners and coaches organise its competitions. ", h("a", { href: "/app/clubs" }, "Your clubs"), "."));
    return;
  }
  const club = select("club_id", mine.map((c) => [c.id, c.name]), ctx.query.get("club") || mine[0].id);
  const name = h("input", { type: "text", name: "name", required: true, maxlength: 100, autocomplete: "off" });
  const day = h("input", { name: "starts_on", type: "date", required: true, value: new Date().toISOString().slice(0, 10) });
  const venue = h("input", { type: "text", name: "venue", maxlength: 200 });
  // The rounds the new-session page offers, and the chosen club's own rounds.
  const roundSel = h("select", { name: "round", required: true });
  const fillRounds = () => {
    const choices = roundChoices(roundList, "Choose a round");
    const saved = custom.filter((r) => r.club_id === club.value).map((r) => [`custom:${r.id}`, r.name]);
    if (saved.length) choices.splice(1, 0, { group: "The club's rounds", options: saved });
    roundSel.replaceWith(Object.assign(select("round", choices, roundSel.value), { required: true, id: roundSel.id }));
  };
  const perBale = select("archers_per_bale", [1, 2, 3, 4, 5, 6].map((n) => [String(n), `${n} (${"ABCDEF".slice(0, n).split("").join(", ")})`]), "4");
  const bows = BOWSTYLES.map((b) => h("input", { type: "checkbox", name: "bowstyle", value: b, id: `bow-${b}`, checked: b !== "longbow" }));
  const split = h("input", { type: "checkbox", id: "split-gender", checked: true });
  const errors = errorSlot();
  const submit = h("button", { type: "submit", class: "primary" }, "Create");
  const roundField = field("Round", roundSel);
  const form = h(
    "form",
    { class: "card form" },
    errors,
    field("Club", club),
    field("Name", name, "e.g. Tuesday club night"),
    field("Date", day),
    field("Venue (optional)", venue),
    roundField,
    field("Archers per bale", perBale, "Details A, B, C … on each bale."),
    h(
      "fieldset",
      { class: "categories" },
      h("legend", {}, "Categories"),
      h("div", { class: "checks" }, bows.map((b) => h("label", { for: b.id }, b, ` ${cap(b.value)}`))),
      h("label", { for: split.id }, split, " Men and women ranked separately"),
    ),
    h("div", { class: "actions" }, submit),
  );
  club.addEventListener("change", () => {
    fillRounds();
  });
  ctx.main.append(form);
  fillRounds();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      const rsel = form.querySelector("select[name=round]");
      const chosen = bows.filter((b) => b.checked).map((b) => b.value);
      if (!chosen.length) {
        errors.show(new Error("Choose at least one bowstyle."));
        return;
      }
      const categories = chosen.flatMap((bowstyle) => (split.checked ? [{ bowstyle, gender: "male" }, { bowstyle, gender: "female" }] : [{ bowstyle }]));
      const body = { club_id: club.value, name: name.value, starts_on: day.value, venue: venue.value, archers_per_bale: Number(perBale.value), categories };
      if (rsel.value.startsWith("custom:")) body.custom_round_id = rsel.value.slice(7);
      else body.round_code = rsel.value;
      try {
        const made = await post("/competition", body);
        ctx.navigate(`/app/competitions/${made.id}`);
      } catch (err) {
        errors.show(err);
      }
    });
  });
}

// --- organising one competition --------------------------------------------------------------

const placeLabel = (e) => (e.bale ? `${e.bale}${e.detail}` : "–");

async function competitionPage(ctx, id) {
  let c = await get(`/competition/${id}`, { signal: ctx.signal });
  const organiser = c.my_role === "organiser";
  const members = organiser ? await get(`/club/${c.club_id}/member`, { signal: ctx.signal }).catch(() => []) : [];
  let link = null; // the public link made on this page (the server keeps only its hash)
  const title = h("h1", {});
  const meta = h("p", { class: "muted" });
  const status = h("section", { class: "card", "aria-labelledby": "status-h" });
  const entriesBox = h("section", { class: "card", "aria-labelledby": "entries-h" });
  const listBox = h("section", { class: "card", "aria-labelledby": "targets-h" });
  const resultsBox = h("section", { class: "card", "aria-labelledby": "results-h" });
  const timerBox = h("section", { class: "card competition-timer", "aria-labelledby": "timer-h", hidden: true });
  const pageErrors = errorSlot();
  ctx.main.classList.add("competition-page");
  ctx.onCleanup(() => ctx.main.classList.remove("competition-page"));
  ctx.main.append(title, meta, pageErrors, status, timerBox, entriesBox, listBox, resultsBox);

  /** Do `work` (a change), show the competition as it now is, or the error. */
  async function change(button, work) {
    await busy(button, async () => {
      pageErrors.show(null);
      try {
        const now = await work();
        c = now && now.entrants ? now : await get(`/competition/${id}`);
        drawAll();
      } catch (err) {
        pageErrors.show(err);
      }
    });
  }

  const bales = () => [...new Set(c.entrants.filter((e) => e.bale).map((e) => e.bale))].sort((a, b) => a - b);

  function drawStatus() {
    clear(status);
    status.append(h("h2", { id: "status-h" }, `The competition is ${STATUS_TEXT[c.status]}`));
    const actions = h("div", { class: "actions" });
    if (organiser && c.status === "planned") {
      const unplaced = c.entrants.filter((e) => !e.bale).length;
      const start = h("button", { type: "button", class: "primary", disabled: !c.entrants.length || unplaced > 0 }, "Start the competition");
      start.addEventListener("click", () => change(start, () => post(`/competition/${id}/start`)));
      status.append(h("p", {}, unplaced ? `${unplaced} archers have no place on the target list yet.` : "Starting opens every archer's session, following the round; the bales can then score."));
      actions.append(start);
    }
    if (organiser && c.status === "running") {
      const finish = h("button", { type: "button", class: "danger" }, "Finish the competition");
      finish.addEventListener("click", () => {
        // eslint-disable-next-line no-alert
        if (!window.confirm("Finish the competition? Every archer's session closes and the results become final.")) return;
        change(finish, () => post(`/competition/${id}/finish`));
      });
      actions.append(finish);
    }
    if (c.status === "running") {
      status.append(h("p", {}, "Score each bale on one phone (any archer of the bale, signed in, or an organiser):"));
      actions.prepend(...bales().map((n) => h("a", { class: "button primary bale-link", href: `/app/competitions/${id}/bale/${n}` }, `Score bale ${n}`)));
    }
    status.append(actions);
  }

  function drawEntries() {
    clear(entriesBox);
    const entered = new Set(c.entrants.map((e) => e.archer_id));
    const free = members.filter((m) => !entered.has(m.archer_id));
    const categoryOpts = [["", "By their profile"], ...c.categories.map((k) => [k.key, k.label])];
    const errors = errorSlot();
    const who = select("archer_id", free.map((m) => [m.archer_id, m.name]), free[0] && free[0].archer_id);
    const memberCat = select("category_key", categoryOpts, "");
    const addMember = h("button", { type: "submit", class: "primary", disabled: !free.length }, "Enter");
    const memberForm = h("form", { class: "inline-form", "aria-label": "Enter a club member" }, field("Club member", who), field("Category", memberCat), addMember);
    memberForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { archer_id: who.value };
      if (memberCat.value) body.category_key = memberCat.value;
      change(addMember, () => post(`/competition/${id}/entry`, body));
    });
    const guest = h("input", { type: "text", name: "guest_name", maxlength: 100, required: true, autocomplete: "off" });
    const bow = select("bowstyle", BOWSTYLES.map((b) => [b, cap(b)]), "recurve");
    const gender = select("gender", [["", "Not said"], ["female", "Woman"], ["male", "Man"]], "");
    const addGuest = h("button", { type: "submit" }, "Enter the guest");
    const guestForm = h("form", { class: "inline-form", "aria-label": "Enter a guest" }, field("Guest's name", guest), field("Bowstyle", bow), field("Gender", gender), addGuest);
    guestForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { guest_name: guest.value, bowstyle: bow.value };
      if (gender.value) body.gender = gender.value;
      change(addGuest, () => post(`/competition/${id}/entry`, body));
    });
    entriesBox.append(
      h("h2", { id: "entries-h" }, "Entries"),
      h("p", { class: "hint" }, "Club members enter with their own account (their arrows go into their history); a guest is entered by name, without one."),
      errors,
      free.length ? memberForm : h("p", {}, "Every club member is entered."),
      guestForm,
    );
  }

  function drawTargetList() {
    clear(listBox);
    listBox.append(h("h2", { id: "targets-h" }, "Target list"));
    if (organiser && c.status !== "finished") {
      const make = h("button", { type: "button" }, "Make the target list afresh");
      make.addEventListener("click", () => change(make, () => post(`/competition/${id}/targets`)));
      listBox.append(h("p", { class: "hint" }, `By category, then name: ${c.archers_per_bale} archers to a bale, each category from a new bale. Move or swap anyone after.`), h("div", { class: "actions" }, make));
    }
    if (!c.entrants.length) {
      listBox.append(h("p", { class: "muted" }, "Nobody is entered yet."));
      return;
    }
    const top = Math.max(0, ...bales()) + 1;
    const places = [];
    for (let bale = 1; bale <= top; bale += 1) for (const d of "ABCDEF".slice(0, c.archers_per_bale)) places.push([bale, d]);
    const at = new Map(c.entrants.filter((e) => e.bale).map((e) => [`${e.bale}${e.detail}`, e]));
    const sorted = [...c.entrants].sort((a, b) => (a.bale || 1e9) - (b.bale || 1e9) || String(a.detail).localeCompare(String(b.detail)) || a.name.localeCompare(b.name));
    const rows = sorted.map((e) => {
      const cells = [h("td", { class: "place" }, placeLabel(e)), h("th", { scope: "row" }, e.name, h("span", { class: "entry-category" }, e.guest ? `${e.category} · guest` : e.category))];
      if (organiser && c.status !== "finished") {
        const options = [["", "Move or swap…"], ...places.filter(([b, d]) => `${b}${d}` !== placeLabel(e)).map(([b, d]) => {
          const other = at.get(`${b}${d}`);
          return [`${b}${d}`, other ? `${b}${d}: swap with ${other.name}` : `${b}${d}: free`];
        })];
        const move = select("place", options, "");
        move.setAttribute("aria-label", `Move or swap ${e.name}`);
        move.addEventListener("change", () => {
          if (!move.value) return;
          const other = at.get(move.value);
          const bale = Number(move.value.slice(0, -1));
          const detail = "ABCDEF".indexOf(move.value.slice(-1)) + 1;
          change(move, () => (other ? post(`/competition/${id}/swap`, { a: e.id, b: other.id }) : put(`/competition/${id}/entry/${e.id}/place`, { bale, detail })));
        });
        const actions = [move];
        if (c.status === "planned") {
          const withdraw = h("button", { type: "button", class: "link-button", "aria-label": `Withdraw ${e.name}` }, "Withdraw");
          withdraw.addEventListener("click", () => change(withdraw, () => del(`/competition/${id}/entry/${e.id}`)));
          actions.push(withdraw);
        }
        cells.push(h("td", {}, h("div", { class: "row-actions" }, actions)));
      }
      return h("tr", { "data-entry": e.id }, cells);
    });
    const head = ["Place", "Archer", organiser && c.status !== "finished" ? "Change" : null].filter(Boolean);
    listBox.append(h("div", { class: "table-scroll" }, h("table", { class: "table target-list" }, h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows))));
  }

  function drawResults() {
    clear(resultsBox);
    const api = `/api/v0/competition/${id}`;
    resultsBox.append(
      h("h2", { id: "results-h" }, "Results"),
      h(
        "div",
        { class: "actions" },
        h("a", { class: "button primary", href: `/app/competitions/${id}/results` }, "Results, live"),
        h("a", { class: "button", href: `${api}/results.csv`, download: "" }, "CSV"),
        h("a", { class: "button", href: `${api}/results.pdf`, download: "" }, "Results sheet (PDF)"),
      ),
    );
    if (!organiser) return;
    const errors = errorSlot();
    const make = h("button", { type: "button" }, link ? "Make a new public link" : "Make a public link");
    make.addEventListener("click", () =>
      busy(make, async () => {
        try {
          link = await post(`/competition/${id}/results/link`);
          drawResults();
        } catch (err) {
          errors.show(err);
        }
      }),
    );
    const revoke = h("button", { type: "button", class: "danger" }, "Withdraw the public link");
    revoke.addEventListener("click", () =>
      busy(revoke, async () => {
        try {
          await del(`/competition/${id}/results/link`);
          link = null;
          drawResults();
          announce("The public link no longer works.");
        } catch (err) {
          errors.show(err);
        }
      }),
    );
    const url = link ? new URL(link.path, location.href).href : null;
    resultsBox.append(
      h("h3", {}, "Public link"),
      h("p", { class: "hint" }, "Anyone with the link sees the results live, without an account (names, categories and scores). Making a new one stops the previous one."),
    );
    if (url) resultsBox.append(h("p", { class: "public-link" }, h("a", { href: link.path }, url)));
    resultsBox.append(errors, h("div", { class: "actions" }, make, revoke));
  }

  /** The range timer: its line once made (drawn once: it follows the timer by itself). */
  async function drawTimer() {
    const timers = await competitionTimers(ctx, c.club_id, id);
    clear(timerBox).append(h("h2", { id: "timer-h" }, "Range timer"));
    timerBox.hidden = false;
    if (timers.length) {
      timerBox.append(...timers.map((t) => timerStrip(ctx, t)));
      return;
    }
    if (!organiser || c.status === "finished") {
      timerBox.remove();
      return;
    }
    const errors = errorSlot();
    const make = h("button", { type: "button", "data-action": "make-timer" }, "Make the competition's range timer");
    make.addEventListener("click", () =>
      busy(make, async () => {
        try {
          // World Archery times for the competition's ends; details AB/CD from 3 archers a bale.
          await post(`/club/${c.club_id}/timer`, { name: c.name.slice(0, 60), mode: "details", arrows: c.arrows_per_end, details: c.archers_per_bale > 2 ? 2 : 1, competition_id: id });
          await drawTimer();
        } catch (err) {
          errors.show(err);
        }
      }),
    );
    timerBox.append(h("p", { class: "hint" }, `World Archery timing for ends of ${c.arrows_per_end}, on a big screen and on the bales' phones, run from an organiser's phone.`), errors, h("div", { class: "actions" }, make));
  }

  function drawAll() {
    title.textContent = c.name;
    document.title = `${c.name} · Arch Stats`;
    meta.textContent = competitionMeta(c);
    keepFocus(ctx.main, () => {
      drawStatus();
      if (organiser && c.status !== "finished") drawEntries();
      else entriesBox.remove();
      drawTargetList();
      drawResults();
    });
  }
  drawAll();
  await drawTimer();
}

const put = (path, body) => api("PUT", path, body);

/** The competition's range timers (none for whoever may not see the club's timers). */
const competitionTimers = (ctx, clubId, id) => get(`/club/${clubId}/timer?competition_id=${id}`, { signal: ctx.signal }).catch(() => []);

// --- the bale ------------------------------------------------------------------------------------

function balePrefs() {
  try {
    return { entry: "keypad", ...JSON.parse(localStorage.getItem(PREFS) || "{}") };
  } catch {
    return { entry: "keypad" };
  }
}

/** /app/competitions/{id}/bale/{n}: one phone scores every archer of the bale. */
export async function balePage(ctx) {
  const [id, baleNo] = ctx.params;
  const path = `/competition/${id}/bale/${baleNo}`;
  const here = `/app/competitions/${id}/bale/${baleNo}`;
  document.title = `Bale ${baleNo} · Arch Stats`;
  let data = await get(path, { signal: ctx.signal });
  const specs = {};
  let chosen = 0;
  let plotting = balePrefs().entry === "plot";
  let selectedId = null; // an arrow chosen to correct
  let view = null;

  const title = h("h1", { tabindex: "-1" }, `Bale ${baleNo}`);
  const sub = h("p", { class: "sub bale-sub" });
  const conn = h("p", { class: "conn", role: "status", "data-state": "connecting" }, "Connecting…");
  const rows = h("div", { class: "bale-rows", role: "radiogroup", "aria-label": "Archer being scored" });
  const panel = h("section", { class: "bale-archer", "aria-labelledby": "bale-archer-h" });
  const head = h("div", { class: "bale-archer-head" });
  const where = h("p", { class: "bale-where", "aria-live": "polite" });
  const endBox = h("div", { class: "bale-end" });
  const entry = h("div", { class: "bale-entry" });
  const keypadBox = h("div", { class: "keypad", role: "group", "aria-label": "Score by value" });
  const faceArea = h("div", { class: "face-area" });
  const actions = h("div", { class: "entry-actions bale-actions" });
  const editBox = h("div", { class: "bale-edit" });
  const queueBox = h("div", { class: "queue", "aria-live": "polite", hidden: true });
  const endsBox = h("div", { class: "bale-ends" });
  ctx.main.dataset.page = "bale";
  ctx.main.classList.add("bale-page");
  const timerLine = h("div", { class: "timer-line" });
  ctx.main.append(
    h("div", { class: "live-head" }, title, conn),
    sub,
    timerLine,
    rows,
    h("div", { class: "bale-layout" }, h("div", {}, panel), h("div", {}, endsBox)),
  );
  panel.append(head, where, endBox, entry, actions, editBox, queueBox);
  entry.append(keypadBox, faceArea);

  const current = () => data.archers[chosen];
  const locked = (a) => {
    const ends = new Set(a.confirmed_ends);
    for (const op of outbox.forSession(a.session_id)) if (op.kind === "confirm") ends.add(op.end_no);
    return ends;
  };
  const canRelease = (a) => data.competition.my_role === "organiser" || (ctx.me && a.archer_id === ctx.me.id);

  /** The archer's arrows: the server's, and the changes still on their way (as the live page). */
  function shotsOf(a) {
    const map = new Map(a.shots.map((s) => [s.id, s]));
    for (const op of outbox.forSession(a.session_id)) {
      if (op.kind === "create" && !map.has(op.shot_id)) {
        const b = op.body;
        map.set(op.shot_id, { id: op.shot_id, target_id: b.target_id, end_no: op.end_no, end_place: op.place, x_mm: b.x_mm ?? null, y_mm: b.y_mm ?? null, score: 0, label: b.value || "…", pending: true, refused: op.state === "refused", seq: null, order: op.key });
      } else if (op.kind === "update" && map.has(op.shot_id)) {
        map.set(op.shot_id, { ...map.get(op.shot_id), ...op.body, label: op.body.value || "…", pending: true, refused: op.state === "refused" });
      } else if (op.kind === "delete") {
        map.delete(op.shot_id);
      }
    }
    return [...map.values()].sort((x, y) => (x.seq ?? 1e12 + (x.order || 0)) - (y.seq ?? 1e12 + (y.order || 0)));
  }

  const plan = (a) => a.session && a.session.round;
  const perEnd = (a) => (plan(a) ? plan(a).arrows_per_end : data.arrows_per_end);
  const nowOf = (a) => (plan(a) ? progress(plan(a), shotsOf(a)) : null);
  const total = (list) => list.filter((s) => !s.pending).reduce((t, s) => t + s.score, 0);
  const ends = (list) => {
    const by = new Map();
    for (const s of list) if (s.end_no) by.set(s.end_no, [...(by.get(s.end_no) || []), s]);
    return [...by.entries()].sort((x, y) => x[0] - y[0]);
  };
  /** The latest complete end not yet confirmed, or null. */
  function toConfirm(a) {
    const sealed = locked(a);
    const done = ends(shotsOf(a)).filter(([n, list]) => list.length >= perEnd(a) && !sealed.has(n));
    return done.length ? done[done.length - 1][0] : null;
  }

  function drawRows() {
    clear(rows);
    data.archers.forEach((a, i) => {
      const list = shotsOf(a);
      const now = nowOf(a);
      const waiting = toConfirm(a);
      const state = !a.session ? "not started" : now && now.complete ? "complete" : waiting ? `sign end ${waiting}` : `end ${now ? now.end_no : "…"}`;
      const b = h(
        "button",
        { type: "button", role: "radio", class: "bale-row", "aria-checked": String(i === chosen), "data-detail": a.detail, "data-entry": a.id },
        h("span", { class: "bale-detail", "aria-hidden": "true" }, a.detail),
        h("span", { class: "bale-name" }, h("span", { class: "visually-hidden" }, `${a.detail}: `), a.name),
        h("span", { class: "bale-total" }, String(total(list))),
        h("span", { class: `bale-state${waiting ? " to-confirm" : ""}` }, state),
      );
      b.addEventListener("click", () => choose(i));
      rows.append(b);
    });
  }

  function choose(i) {
    chosen = i;
    selectedId = null;
    drawAll();
    const a = current();
    announce(`${a.detail}: ${a.name}`);
  }

  async function ensureSpecs(a) {
    const types = [...new Set((a.targets || []).flatMap((t) => t.faces.map((f) => f.face_type)))].filter((t) => !specs[t]);
    await Promise.all(types.map(async (t) => (specs[t] = await getFace(t))));
  }

  function record(a, body) {
    const list = shotsOf(a);
    const next = nextPosition(perEnd(a), plan(a) ? plan(a).ends : null, taken(list));
    if (!next) return;
    const sealed = locked(a);
    if (sealed.has(next.end)) return; // an earlier end being filled would be a locked one
    const op = { session_id: a.session_id, kind: "create", shot_id: body.id, body, via: "competition", page: here, end_no: next.end, place: next.place };
    return outbox.add(op).then(() => {
      if (navigator.onLine === false) announce(`${a.name}: ${body.value || "arrow"} kept on this device, to be sent.`);
      drawAll();
    });
  }

  function drawEntry(a, now) {
    const open = a.session && a.session.is_open && now && !now.complete && data.competition.status === "running";
    entry.hidden = !open;
    clear(actions);
    if (!open) {
      if (view) view.destroy();
      view = null;
      return;
    }
    const target = a.targets.find((t) => t.id === now.target_id) || a.targets[0];
    const spec = target && specs[target.faces[0].face_type];
    keypadBox.hidden = plotting;
    faceArea.hidden = !plotting;
    if (!plotting && spec && keypadBox.dataset.target !== `${a.id}:${target.id}`) {
      drawKeypad(keypadBox, target, spec, (value, spotIndex) => {
        const body = { id: newId(), session_id: a.session_id, target_id: target.id, value };
        if (spotIndex !== null) body.spot_index = spotIndex;
        record(current(), body);
      });
      keypadBox.dataset.target = `${a.id}:${target.id}`;
    }
    if (plotting && (!view || view.target.id !== target.id || faceArea.dataset.entry !== a.id)) {
      if (view) view.destroy();
      view = new TargetView({
        target,
        specs,
        title: `${a.name}'s face`,
        onPlace: (point) => record(current(), { id: newId(), session_id: a.session_id, target_id: target.id, x_mm: point.x_mm, y_mm: point.y_mm }),
      });
      faceArea.dataset.entry = a.id;
      clear(faceArea).append(view.el);
    }
    if (view) view.setShots(shotsOf(a), { currentEnd: now.end_no, showOld: false, text: (s) => String(s.end_place || "") });
    const mode = h("button", { type: "button", class: "toggle", "aria-pressed": String(plotting), id: "plot-mode" }, "Plot on the face");
    mode.addEventListener("click", () => {
      plotting = !plotting;
      try {
        localStorage.setItem(PREFS, JSON.stringify({ entry: plotting ? "plot" : "keypad" }));
      } catch {
        // Private mode: for this page only.
      }
      announce(plotting ? "Plotting: touch the face where each arrow landed." : "Keypad: tap the value of each arrow.");
      drawAll();
    });
    const undo = h("button", { type: "button", id: "bale-undo" }, "Undo");
    undo.addEventListener("click", () => busy(undo, () => removeLast(a)));
    actions.append(mode, undo);
  }

  async function removeLast(a) {
    const list = shotsOf(a).filter((s) => !locked(a).has(s.end_no));
    const last = list[list.length - 1];
    if (!last) return;
    await remove(a, last);
    announce(`${a.name}: end ${last.end_no}, arrow ${last.end_place ?? ""} deleted.`);
  }

  async function remove(a, shot) {
    const waiting = outbox.waitingCreate(shot.id);
    if (waiting) await outbox.discard(waiting);
    else await outbox.add({ session_id: a.session_id, kind: "delete", shot_id: shot.id, via: "competition", page: here });
    selectedId = null;
    drawAll();
  }

  async function correct(a, shot, value) {
    const waiting = outbox.waitingCreate(shot.id);
    if (waiting) await outbox.amend(waiting, { value, x_mm: undefined, y_mm: undefined });
    else await outbox.add({ session_id: a.session_id, kind: "update", shot_id: shot.id, body: { value }, via: "competition", page: here });
    selectedId = null;
    drawAll();
  }

  function chip(shot, placeNo) {
    const b = h(
      "button",
      { type: "button", class: `chip ${shot.pending ? "unsent" : scoreClass(shot.label)} ${shot.id === selectedId ? "selected" : ""}`, "data-shot": shot.id, "data-place": placeNo },
      h("span", { class: "visually-hidden" }, `Arrow ${placeNo}: `),
      shot.pending && !shot.value ? "…" : shot.label,
      h("span", { class: "visually-hidden" }, shot.pending ? ", not sent yet. Correct it." : ". Correct it."),
    );
    b.addEventListener("click", () => {
      selectedId = shot.id === selectedId ? null : shot.id;
      drawAll();
    });
    return b;
  }

  function endChips(a, n, list) {
    const slots = [...list].sort((x, y) => (x.end_place || 99) - (y.end_place || 99)).map((s, i) => chip(s, s.end_place || i + 1));
    for (let k = slots.length; k < perEnd(a); k += 1) slots.push(h("span", { class: "chip slot", "aria-hidden": "true" }, "·"));
    return h("div", { class: "end-chips", role: "group", "aria-label": `${a.name}, end ${n}` }, slots);
  }

  function drawEnd(a, now) {
    clear(endBox);
    const list = shotsOf(a);
    const byEnd = new Map(ends(list));
    const n = now && !now.complete ? now.end_no : Math.max(0, ...byEnd.keys());
    if (!n) return;
    endBox.dataset.end = String(n);
    const mine = byEnd.get(n) || [];
    endBox.append(
      h("h3", {}, `End ${n} `, h("span", { class: "muted" }, `${mine.length}/${perEnd(a)} · ${total(mine)} points`)),
      endChips(a, n, mine),
    );
  }

  function drawEdit(a) {
    clear(editBox);
    const shot = selectedId && shotsOf(a).find((s) => s.id === selectedId);
    if (!shot) return;
    if (locked(a).has(shot.end_no)) {
      const errors = errorSlot();
      const box = h(
        "div",
        { class: "locked-note error-box", role: "alert" },
        h("p", {}, h("strong", {}, `End ${shot.end_no} is confirmed by ${a.name}: it is locked.`), ` Its arrows cannot change until ${a.guest ? "an organiser" : `${a.name} (signed in) or an organiser`} releases it.`),
        errors,
      );
      const done = h("button", { type: "button" }, "Close");
      done.addEventListener("click", () => {
        selectedId = null;
        drawAll();
      });
      const acts = h("div", { class: "actions" });
      if (canRelease(a) && a.confirmed_ends.includes(shot.end_no)) {
        const release = h("button", { type: "button", class: "danger" }, `Release end ${shot.end_no}`);
        release.addEventListener("click", () =>
          busy(release, async () => {
            try {
              await del(`/competition/${id}/entry/${a.id}/end/${shot.end_no}/confirm`);
              await load();
            } catch (err) {
              errors.show(err);
            }
          }),
        );
        acts.append(release);
      }
      acts.append(done);
      box.append(acts);
      editBox.append(box);
      return;
    }
    const target = a.targets.find((t) => t.id === shot.target_id) || a.targets[0];
    const spec = target && specs[target.faces[0].face_type];
    const row = h("div", { class: "value-row", role: "group", "aria-label": "Its value" });
    if (spec) {
      for (const value of faceValues(target, spec)) {
        const b = valueButton(spec, value, {});
        b.addEventListener("click", () => busy(b, () => correct(a, shot, value)));
        row.append(b);
      }
    }
    const delBtn = h("button", { type: "button", class: "danger" }, "Delete");
    delBtn.addEventListener("click", () => busy(delBtn, () => remove(a, shot)));
    const done = h("button", { type: "button" }, "Done");
    done.addEventListener("click", () => {
      selectedId = null;
      drawAll();
    });
    editBox.append(h("div", { class: "editor", role: "group", "aria-label": `Correct end ${shot.end_no}, arrow ${shot.end_place ?? ""}` }, h("p", { class: "editor-title" }, h("strong", {}, `${a.name} · end ${shot.end_no} · arrow ${shot.end_place ?? "…"}`)), row, h("div", { class: "editor-actions" }, delBtn, done)));
  }

  function confirmButton(a, n) {
    const b = h("button", { type: "button", class: "primary confirm-end", "data-end": n }, `Confirm end ${n} as ${a.name}`);
    b.addEventListener("click", () =>
      busy(b, async () => {
        await outbox.add({ session_id: a.session_id, kind: "confirm", end_no: n, path: `/competition/${id}/entry/${a.id}/end/${n}/confirm`, via: "competition", page: here });
        announce(`End ${n} confirmed for ${a.name}.`);
        drawAll();
      }),
    );
    return b;
  }

  function drawEnds(a) {
    clear(endsBox);
    const list = shotsOf(a);
    const sealed = locked(a);
    const pendingConfirm = new Set(outbox.forSession(a.session_id).filter((op) => op.kind === "confirm").map((op) => op.end_no));
    let running = 0;
    const trs = ends(list).map(([n, mine]) => {
      running += total(mine);
      const complete = mine.length >= perEnd(a);
      const state = sealed.has(n)
        ? h("span", { class: "locked" }, h("span", { "aria-hidden": "true" }, "✓ "), pendingConfirm.has(n) ? "Confirmed (to be sent)" : "Confirmed")
        : complete
          ? confirmButton(a, n)
          : h("span", { class: "muted" }, "Being shot");
      return h("tr", { "data-end": n, class: sealed.has(n) ? "confirmed" : "" }, h("th", { scope: "row" }, String(n)), h("td", {}, endChips(a, n, mine)), h("td", { class: "num" }, String(total(mine))), h("td", { class: "num" }, String(running)), h("td", {}, state));
    });
    endsBox.append(h("h2", {}, `${a.name}'s card`));
    if (!trs.length) {
      endsBox.append(h("p", { class: "muted" }, "No arrows yet."));
      return;
    }
    endsBox.append(
      h("div", { class: "table-scroll" }, h("table", { class: "table bale-card" }, h("thead", {}, h("tr", {}, ["End", "Arrows", "End", "Total", "Signed"].map((t, i) => h("th", { scope: "col", class: i === 2 || i === 3 ? "num" : "" }, t)))), h("tbody", {}, trs))),
    );
  }

  function drawQueue() {
    clear(queueBox);
    const mine = new Set(data.archers.map((a) => a.session_id));
    const ops = outbox.ops.filter((op) => mine.has(op.session_id));
    queueBox.hidden = !ops.length;
    if (!ops.length) return;
    const refused = ops.filter((op) => op.state === "refused");
    const waiting = ops.length - refused.length;
    queueBox.dataset.waiting = String(waiting);
    queueBox.dataset.refused = String(refused.length);
    if (waiting) queueBox.append(h("p", { class: "queue-line" }, h("strong", {}, `${waiting} ${waiting === 1 ? "change" : "changes"} waiting`), navigator.onLine === false ? " (offline): kept on this phone, sent when the network is back." : " (sending)."));
    for (const op of refused) {
      const a = data.archers.find((x) => x.session_id === op.session_id);
      const what = { create: "A new arrow", update: "A correction", delete: "A deletion", confirm: `Confirming end ${op.end_no}` }[op.kind];
      const drop = h("button", { type: "button" }, "Discard it");
      drop.addEventListener("click", () => outbox.discard(op));
      const again = h("button", { type: "button" }, "Try again");
      again.addEventListener("click", () => outbox.retry(op));
      queueBox.append(h("div", { class: "refused error-box", role: "alert", "data-op": op.key }, h("p", {}, h("strong", {}, `${what} for ${a ? a.name : "an archer"} was refused: `), (op.error || []).join(" ")), h("div", { class: "actions" }, again, drop)));
    }
  }

  function drawAll() {
    keepFocus(ctx.main, drawEverything);
  }

  function drawEverything() {
    const c = data.competition;
    title.textContent = `Bale ${baleNo}`;
    if (!data.archers.length) {
      sub.textContent = `${c.name}: nobody is on this bale.`;
      panel.hidden = true;
      return;
    }
    if (chosen >= data.archers.length) chosen = 0;
    const a = current();
    const now = nowOf(a);
    sub.textContent = `${c.name} · ${c.round_name}${c.status !== "running" ? ` · ${STATUS_TEXT[c.status]}` : ""}`;
    drawRows();
    clear(head).append(h("h2", { id: "bale-archer-h" }, h("span", { class: "bale-detail" }, a.detail), ` ${a.name}`), h("span", { class: "muted" }, a.guest ? `${a.category} · guest` : a.category));
    where.textContent = !a.session ? "Not started yet." : now ? whereText(now) : "";
    drawEnd(a, now);
    const confirm = toConfirm(a);
    if (confirm) endBox.append(h("div", { class: "confirm-bar" }, h("p", {}, `End ${confirm} is complete: ${a.name} checks it and confirms.`), confirmButton(a, confirm)));
    drawEntry(a, now);
    drawEdit(a);
    drawQueue();
    drawEnds(a);
    ctx.main.dataset.ready = "true";
  }

  let loading = null;
  let again = false;
  async function load() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        try {
          data = await get(path, { signal: ctx.signal });
          await Promise.all(data.archers.map(ensureSpecs));
        } catch (err) {
          if (err.name === "AbortError" || err.offline) return;
          throw err;
        }
        drawAll();
      } while (again);
    })().finally(() => (loading = null));
    return loading;
  }

  // Changes to anyone on the competition come as results frames: the bale is read again.
  let ws = null;
  let stopped = false;
  let tries = 0;
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}/api/v0/ws?competition_id=${id}`);
    ws.addEventListener("open", () => {
      tries = 0;
      conn.dataset.state = "live";
      conn.textContent = "Live";
    });
    ws.addEventListener("message", (e) => {
      if (JSON.parse(e.data).type === "results") load().catch(() => {});
    });
    ws.addEventListener("close", () => {
      if (stopped) return;
      conn.dataset.state = navigator.onLine === false ? "offline" : "reconnecting";
      conn.textContent = navigator.onLine === false ? "Offline" : "Reconnecting…";
      setTimeout(connect, DELAYS_MS[Math.min(tries++, DELAYS_MS.length - 1)]);
    });
  };
  const unsubscribe = outbox.subscribe((type, detail) => {
    if (type === "sent" && detail.op.page === here) load().catch(() => {});
    if (type === "refused" && detail.page === here) announce("The server refused a change: see below.");
    drawAll();
  });
  const onNetwork = () => {
    conn.dataset.state = navigator.onLine === false ? "offline" : conn.dataset.state;
    if (navigator.onLine === false) conn.textContent = "Offline";
    else load().catch(() => {});
    drawAll();
  };
  window.addEventListener("online", onNetwork);
  window.addEventListener("offline", onNetwork);
  ctx.onCleanup(() => {
    stopped = true;
    if (ws) ws.close();
    unsubscribe();
    if (view) view.destroy();
    window.removeEventListener("online", onNetwork);
    window.removeEventListener("offline", onNetwork);
    ctx.main.classList.remove("bale-page");
  });
  await Promise.all(data.archers.map(ensureSpecs));
  drawAll();
  connect();
  const timers = await competitionTimers(ctx, data.competition.club_id, id);
  timerLine.append(...timers.map((t) => timerStrip(ctx, t)));
}

// --- the results -----------------------------------------------------------------------------

/** /app/competitions/{id}/results: the results, for the club's members. */
export async function resultsPage(ctx) {
  return results(ctx, { id: ctx.params[0] });
}

/** /app/results/{token}: the results by the public link, without an account. */
export async function publicResultsPage(ctx) {
  return results(ctx, { token: ctx.params[0] });
}

function place(row) {
  if (row.place === null) return "–";
  return row.tied ? `=${row.place}` : String(row.place);
}

async function results(ctx, { id = null, token = null }) {
  document.title = "Results · Arch Stats";
  const title = h("h1", { tabindex: "-1" }, "Results");
  const sub = h("p", { class: "results-sub" });
  const status = h("p", { class: "conn", role: "status", "aria-live": "polite", "data-state": "connecting" }, "Connecting…");
  const body = h("div", { class: "results" });
  const files = id
    ? h(
        "p",
        { class: "actions" },
        h("a", { class: "button", href: `/app/competitions/${id}` }, "The competition"),
        h("a", { class: "button", href: `/app/competitions/${id}/bracket` }, "Brackets"),
        h("a", { class: "button", href: `/api/v0/competition/${id}/results.csv`, download: "" }, "CSV"),
        h("a", { class: "button", href: `/api/v0/competition/${id}/results.pdf`, download: "" }, "Results sheet (PDF)"),
      )
    : null;
  const timerLine = h("div", { class: "timer-line" });
  ctx.main.classList.add("results-page");
  ctx.main.append(h("div", { class: "live-head" }, title, status), sub, timerLine, body);
  if (files) ctx.main.append(files);

  function draw(data) {
    const c = data.competition;
    title.textContent = c.name;
    document.title = `${c.name}: results · Arch Stats`;
    sub.textContent = `${c.club_name} · ${c.round_name} · ${c.starts_on}${c.venue ? ` · ${c.venue}` : ""} · ${c.status === "finished" ? "final results" : "live"}`;
    const breaks = data.rule.tiebreaks.map((t) => t.label);
    clear(body);
    for (const cat of data.categories) {
      const headRow = h("tr", null, ...["Place", "Archer", "Target", "Arrows", "Total", ...breaks].map((t, i) => h("th", { scope: "col", class: i > 2 ? "num" : "" }, t)));
      const trs = cat.rows.map((r) =>
        h(
          "tr",
          null,
          h("td", { class: "place" }, place(r)),
          h("th", { scope: "row" }, r.name, r.guest ? h("span", { class: "muted" }, " (guest)") : null),
          h("td", null, r.target ?? ""),
          h("td", { class: "num" }, String(r.arrows)),
          h("td", { class: "num results-total" }, String(r.total)),
          ...data.rule.tiebreaks.map((t) => h("td", { class: "num" }, String(r[t.key]))),
        ),
      );
      body.append(h("section", { class: "card results-category" }, h("h2", null, cat.label), h("div", { class: "table-scroll" }, h("table", { class: "table results-table" }, h("thead", null, headRow), h("tbody", null, ...trs)))));
    }
    if (breaks.length) body.append(h("p", { class: "hint" }, `Equal totals are split by ${breaks.join(", then ")}; archers equal after those share a place (=).`));
    if (data.brackets && data.brackets.length) body.append(bracketsView(data.brackets));
  }

  let ws = null;
  let tries = 0;
  let stopped = false;
  ctx.onCleanup(() => {
    stopped = true;
    if (ws) ws.close();
    ctx.main.classList.remove("results-page");
  });
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const q = token ? `results=${encodeURIComponent(token)}` : `competition_id=${id}`;
    ws = new WebSocket(`${scheme}://${location.host}/api/v0/ws?${q}`);
    ws.addEventListener("message", (e) => {
      const f = JSON.parse(e.data);
      if (f.type !== "results") return;
      tries = 0;
      status.textContent = f.data.competition.status === "finished" ? "Final" : "Live";
      status.dataset.state = "live";
      draw(f.data);
      ctx.main.dataset.ready = "true";
    });
    ws.addEventListener("close", (e) => {
      if (stopped) return;
      if (e.code === 4404 || e.code === 4403) {
        status.textContent = "There are no such results (or the link was withdrawn).";
        status.dataset.state = "closed";
        return;
      }
      status.textContent = "Reconnecting…";
      status.dataset.state = "reconnecting";
      setTimeout(connect, DELAYS_MS[Math.min(tries++, DELAYS_MS.length - 1)]);
    });
  };
  connect();
  if (id) {
    const c = await get(`/competition/${id}`, { signal: ctx.signal }).catch(() => null);
    if (c) timerLine.append(...(await competitionTimers(ctx, c.club_id, id)).map((t) => timerStrip(ctx, t)));
  }
}
