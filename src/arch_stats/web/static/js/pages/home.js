// Home: the open session (if any), what to do next, the latest sessions.

import { get, roundNames } from "../api.js";
import { h } from "../dom.js";
import { dateTime, sessionTitle } from "../format.js";
import { sessionCard } from "./sessions.js";

export async function homePage(ctx) {
  document.title = "Arch Stats";
  // A list, not GET /session/open: no session open is no error.
  const [open] = await get("/session?is_open=true&limit=1", { signal: ctx.signal });
  const [arrows, recent, names, competitions] = await Promise.all([
    get("/arrow", { signal: ctx.signal }),
    get("/session?limit=5", { signal: ctx.signal }),
    roundNames(),
    get("/competition", { signal: ctx.signal }).catch(() => []),
  ]);

  ctx.main.append(h("h1", {}, `Hello, ${ctx.me.name}`));

  if (open) {
    ctx.main.append(
      h(
        "section",
        { class: "card highlight", "aria-labelledby": "open-h" },
        h("h2", { id: "open-h" }, "Session in progress"),
        h("p", {}, [sessionTitle(open), names.get(open.round_code), `since ${dateTime(open.start_time)}`, `${open.shot_count} arrows, ${open.total_score} points`].filter(Boolean).join(" · ")),
        h("div", { class: "actions" }, h("a", { class: "button primary big", href: `/app/sessions/${open.id}/live` }, "Go to the live page")),
      ),
    );
  }

  // A competition of my clubs running now (a club night): its page and its results, at once.
  for (const c of competitions.filter((x) => x.status === "running")) {
    ctx.main.append(
      h(
        "section",
        { class: "card highlight", "aria-labelledby": `competition-${c.id}` },
        h("h2", { id: `competition-${c.id}` }, `Competition in progress: ${c.name}`),
        h("p", {}, [c.club_name, c.round_name, c.venue, `${c.entries} archers`].filter(Boolean).join(" · ")),
        h("div", { class: "actions" }, h("a", { class: "button primary", href: `/app/competitions/${c.id}` }, c.my_role === "organiser" ? "Organise and score" : "Bales and scoring"), h("a", { class: "button", href: `/app/competitions/${c.id}/results` }, "Results, live")),
      ),
    );
  }

  const steps = [];
  if (!arrows.length) {
    steps.push(
      h(
        "li",
        {},
        h("a", { href: "/app/arrows" }, "Add your arrows"),
        ": give each a short identifier (A01, A02…) so that every shot says which arrow it was.",
      ),
    );
  }
  if (!open) {
    steps.push(
      h(
        "li",
        {},
        h("a", { href: "/app/sessions/new" }, "Open a session"),
        ": choose the distance, the face and (if you like) a standard round, then shoot.",
      ),
    );
  }
  if (!recent.length) {
    steps.push(h("li", {}, "Tap the face where each arrow landed, or let the sensors record them: the scorecard and your statistics follow."));
  }
  if (steps.length && (!arrows.length || !recent.length)) {
    ctx.main.append(h("section", { class: "card empty", "aria-labelledby": "start-h" }, h("h2", { id: "start-h" }, "Getting started"), h("ol", { class: "steps" }, steps)));
  } else if (!open) {
    ctx.main.append(h("div", { class: "actions" }, h("a", { class: "button primary big", href: "/app/sessions/new" }, "Open a session")));
  }

  if (recent.length) {
    ctx.main.append(
      h(
        "section",
        { "aria-labelledby": "recent-h" },
        h("div", { class: "page-head" }, h("h2", { id: "recent-h" }, "Latest sessions"), h("a", { href: "/app/sessions" }, "All sessions")),
        h("ol", { class: "session-list" }, recent.map((session) => sessionCard(session, names))),
        h("p", {}, h("a", { href: "/app/history" }, "See your progress over time"), "."),
      ),
    );
  }
}
