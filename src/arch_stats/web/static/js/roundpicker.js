// Choosing a round among some two hundred: a search ("york", "720", "18 m"), the archer's
// recent rounds (from their sessions, so on every device) and favourite ones (a star).
//
// Favourites are kept on this device, per account (localStorage), as the other choices of how
// a page works here are (theme, plotting or keypad): a shortcut of this phone's picker, read
// with no network, with no table, migration or API for what the next session does not need.

import { account } from "./api.js";
import { clear, h } from "./dom.js";

const FAVOURITES = "arch-stats.favourite-rounds";
const SHOWN_MAX = 30;
const RECENT_MAX = 5;

const favouritesKey = () => `${FAVOURITES}:${account() || ""}`;

function favourites() {
  try {
    const list = JSON.parse(localStorage.getItem(favouritesKey()) || "[]");
    return Array.isArray(list) ? list.map(String) : [];
  } catch {
    return [];
  }
}

function saveFavourites(list) {
  try {
    localStorage.setItem(favouritesKey(), JSON.stringify(list));
  } catch {
    // Private mode: the star lasts for this page only.
  }
}

/** Text as searched: lower case, a distance one word ("18 m" → "18m", "100 yards" → "100yd"). */
export function searchText(text) {
  return String(text)
    .toLowerCase()
    .replace(/(\d)\s*(m|metres?|meters?)\b/g, "$1m")
    .replace(/(\d)\s*(yd|yds|yards?)\b/g, "$1yd");
}

/** The value of a session's round as the picker names it: a code, or "custom:<id>". */
export const sessionRound = (session) =>
  session.round ? (session.round.code ?? `custom:${session.round.custom_round_id}`) : session.round_code || null;

/**
 * A round picker. `rounds`: GET /round; `custom`: GET /round/custom; `recent`: the archer's
 * sessions, newest first; `value`: the round chosen at first ("" for none). Returns {el,
 * value, onChange}: `onChange()` is called after each choice.
 */
export function roundPicker({ rounds, custom, recent, value = "", emptyLabel = "None: practice" }) {
  const choices = [
    ...custom.map((r) => ({
      value: `custom:${r.id}`,
      name: r.club_name ? `${r.name} (${r.club_name})` : r.name,
      meta: `${r.n_arrows} arrows · ${[...new Set(r.passes.map((p) => p.distance_label))].join(", ")}`,
      search: searchText(`${r.name} ${r.club_name || ""} ${r.location} ${r.max_score} ${r.passes.map((p) => p.distance_label).join(" ")}`),
    })),
    ...rounds
      .filter((r) => r.supported !== false)
      .map((r) => ({
        value: r.code,
        name: r.name,
        meta: `${r.body || ""} · ${r.n_arrows} arrows · ${r.distances.join(", ")}`,
        search: searchText(`${r.name} ${r.code.replace(/_/g, " ")} ${r.code} ${r.body || ""} ${r.location || ""} ${r.max_score} ${r.n_arrows} ${r.distances.join(" ")}`),
      })),
  ];
  const byValue = new Map(choices.map((c) => [c.value, c]));
  const recentValues = [...new Set(recent.map(sessionRound).filter((v) => v && byValue.has(v)))].slice(0, RECENT_MAX);
  let chosen = byValue.has(value) ? value : "";
  let stars = favourites().filter((v) => byValue.has(v));

  const search = h("input", {
    type: "search",
    id: "round-search",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "York, 720, 18 m…",
    "aria-controls": "round-options",
    "aria-describedby": "round-search-hint",
  });
  const chosenLine = h("p", { class: "round-chosen", id: "round-chosen", "aria-live": "polite" });
  const lists = h("div", { class: "round-options", id: "round-options" });
  const picker = {
    el: h(
      "fieldset",
      { class: "round-picker" },
      h("legend", {}, "Round (optional)"),
      chosenLine,
      h("label", { for: search.id }, "Find a round"),
      search,
      h("p", { class: "hint", id: "round-search-hint" }, `Search ${choices.length} rounds by name, score or distance; ☆ keeps one among your favourites.`),
      lists,
    ),
    get value() {
      return chosen;
    },
    onChange: null,
  };

  function option(choice) {
    const pick = h(
      "button",
      { type: "button", class: "round-option", "aria-pressed": String(choice.value === chosen), "data-value": choice.value, "data-focus": `round-${choice.value}` },
      h("span", { class: "round-name" }, choice.name),
      choice.meta ? h("span", { class: "round-meta" }, choice.meta) : null,
    );
    pick.addEventListener("click", () => {
      chosen = choice.value;
      draw();
      if (picker.onChange) picker.onChange();
    });
    const row = h("li", {}, pick);
    if (choice.value) {
      const starred = stars.includes(choice.value);
      const star = h("button", { type: "button", class: "star", "aria-pressed": String(starred), "aria-label": `Favourite: ${choice.name}`, "data-focus": `star-${choice.value}` }, starred ? "★" : "☆");
      star.addEventListener("click", () => {
        stars = starred ? stars.filter((v) => v !== choice.value) : [...stars, choice.value];
        saveFavourites(stars);
        draw();
        const again = lists.querySelector(`[data-focus="${CSS.escape(`star-${choice.value}`)}"]`);
        if (again) again.focus();
      });
      row.append(star);
    }
    return row;
  }

  function group(title, items) {
    if (!items.length) return null;
    const id = `round-group-${title.toLowerCase().replace(/\W+/g, "-")}`;
    return h("section", { class: "round-group", "aria-labelledby": id }, h("h3", { id }, title), h("ul", { class: "round-list" }, items.map(option)));
  }

  /** Every word of the query in the round's text; names that start with it first. */
  function matches(query) {
    const words = searchText(query).split(/\s+/).filter(Boolean);
    const found = choices.filter((c) => words.every((w) => c.search.includes(w)));
    const first = words.join(" ");
    const rank = (c) => (searchText(c.name).startsWith(first) ? 0 : searchText(c.name).includes(first) ? 1 : 2);
    return found.map((c, i) => [rank(c), i, c]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , c]) => c);
  }

  function draw() {
    const choice = byValue.get(chosen);
    clear(chosenLine).append("Chosen: ", h("strong", {}, choice ? choice.name : emptyLabel));
    clear(lists);
    const query = search.value.trim();
    if (query) {
      const found = matches(query);
      lists.append(
        found.length
          ? group(found.length > SHOWN_MAX ? `First ${SHOWN_MAX} of ${found.length} rounds found` : `${found.length} ${found.length === 1 ? "round" : "rounds"} found`, found.slice(0, SHOWN_MAX))
          : h("p", { class: "muted" }, `No round matches “${query}”.`),
      );
      return;
    }
    const none = { value: "", name: emptyLabel, meta: "" };
    lists.append(
      h("ul", { class: "round-list" }, option(none)),
      group("Favourites", stars.map((v) => byValue.get(v))),
      group("Recent", recentValues.map((v) => byValue.get(v))),
      group("Saved rounds", choices.filter((c) => c.value.startsWith("custom:"))),
    );
  }

  search.addEventListener("input", draw);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault(); // the form is sent with its button
  });
  draw();
  return picker;
}
