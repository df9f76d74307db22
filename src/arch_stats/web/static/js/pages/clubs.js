// Clubs: the clubs I am in (my role, whether my coaches see my data — changeable at once),
// create one, join one with a code or link; a club's members, roles and invites (owners), and
// the coach roster (owners and coaches) leading to each sharing member's pages, read-only.

import { api, del, get, patch, post, qs } from "../api.js";
import { announce, busy, clear, errorSlot, field, h, select } from "../dom.js";
import { dateTime, metres, num, sessionTitle } from "../format.js";

const ROLES = [
  ["member", "Member"],
  ["coach", "Coach"],
  ["owner", "Owner"],
];
const roleName = (role) => (ROLES.find(([r]) => r === role) || [role, role])[1];

const put = (path, body, opts) => api("PUT", path, body, opts);

// A member's choices per club: the coaches' access to their data, and the public board.
const CHOICES = {
  share_with_coaches: {
    label: "Let this club's coaches see my sessions, statistics and history (read-only), and watch me shoot live (off: I am on none of the club's boards either)",
    on: "Shared with coaches",
    off: "Not shared",
    state: "consent-state",
    said: (name, on) => (on ? `${name}: your coaches now see your sessions.` : `${name}: your coaches no longer see your sessions.`),
  },
  show_on_public_board: {
    label: "Show me on the club's public board while I shoot: my name, category (bowstyle, gender, age group) and scores, for anyone given its address (only while I share with the coaches)",
    on: "On the public board",
    off: "Not on the public board",
    state: "public-state",
    said: (name, on) => (on ? `${name}: the public board shows you while you shoot.` : `${name}: the public board no longer shows you.`),
  },
};

/** One of the member's switches for a club: says plainly what it does, changes at once. */
function consentSwitch(club, choice = "share_with_coaches") {
  const spec = CHOICES[choice];
  const box = h("input", { type: "checkbox", role: "switch", checked: club[choice], "data-club": club.id, "data-choice": choice, class: "consent-box" });
  const state = h("strong");
  const show = (on) => {
    state.textContent = on ? spec.on : spec.off;
    state.className = `choice-state ${spec.state} ${on ? "on" : "off"}`;
  };
  show(club[choice]);
  const errors = errorSlot();
  box.addEventListener("change", async () => {
    const want = box.checked;
    box.disabled = true;
    try {
      // Both choices are sent: the other one as it stands (the club object is shared).
      const updated = await put(`/club/${club.id}/consent`, {
        share_with_coaches: club.share_with_coaches,
        show_on_public_board: club.show_on_public_board,
        [choice]: want,
      });
      Object.assign(club, updated);
      show(updated[choice]);
      announce(spec.said(club.name, want));
      errors.show(null);
    } catch (err) {
      box.checked = !want;
      errors.show(err);
    } finally {
      box.disabled = false;
    }
  });
  return h("div", { class: "consent" }, h("label", { class: "consent-label" }, box, h("span", {}, spec.label)), state, errors);
}

function clubCard(club, ctx, me) {
  const leave = h("button", { type: "button", class: "danger" }, "Leave");
  const errors = errorSlot();
  leave.addEventListener("click", () =>
    busy(leave, async () => {
      // eslint-disable-next-line no-alert
      if (!window.confirm(`Leave ${club.name}? Its coaches lose access to your data at once.`)) return;
      try {
        await del(`/club/${club.id}/member/${me.id}`);
        announce(`You left ${club.name}.`);
        ctx.navigate("/app/clubs", { replace: true });
      } catch (err) {
        errors.show(err);
      }
    }),
  );
  const staff = club.my_role === "owner" || club.my_role === "coach";
  return h(
    "li",
    { class: "card club-card", "data-club-id": club.id },
    h(
      "div",
      { class: "club-head" },
      h("h2", {}, staff ? h("a", { href: `/app/clubs/${club.id}` }, club.name) : club.name),
      h("span", { class: `badge role-${club.my_role}` }, roleName(club.my_role)),
    ),
    h("p", { class: "sub" }, `${club.members} member${club.members === 1 ? "" : "s"}`),
    consentSwitch(club),
    consentSwitch(club, "show_on_public_board"),
    h("div", { class: "actions" }, staff ? h("a", { class: "button", href: `/app/clubs/${club.id}` }, club.my_role === "owner" ? "Members, invites and roster" : "Roster") : null, leave),
    errors,
  );
}

export async function clubsPage(ctx) {
  document.title = "Clubs · Arch Stats";
  ctx.main.dataset.page = "clubs";
  const clubs = await get("/club", { signal: ctx.signal });

  const name = h("input", { type: "text", name: "name", maxlength: "100", required: true, autocomplete: "off" });
  const createErrors = errorSlot();
  const createBtn = h("button", { type: "submit", class: "primary" }, "Create club");
  const create = h("form", { class: "card", "aria-labelledby": "create-h" }, h("h2", { id: "create-h" }, "Create a club"), field("Club name", name), h("div", { class: "actions" }, createBtn), createErrors);
  create.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(createBtn, async () => {
      try {
        const club = await post("/club", { name: name.value });
        announce(`${club.name} created: you are its owner.`);
        ctx.navigate(`/app/clubs/${club.id}`);
      } catch (err) {
        createErrors.show(err);
      }
    });
  });

  const code = h("input", { type: "text", name: "code", required: true, autocomplete: "off", autocapitalize: "off", spellcheck: "false", value: ctx.query.get("code") || "" });
  const joinForm = joinBox(ctx, code);

  ctx.main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Clubs")),
    clubs.length
      ? h("ul", { class: "club-list" }, clubs.map((c) => clubCard(c, ctx, ctx.me)))
      : h("div", { class: "empty card" }, h("p", {}, h("strong", {}, "You are in no club yet.")), h("p", {}, "Join one with the code or link an owner gave you, or create your own.")),
    h("div", { class: "club-forms" }, joinForm, create),
  );
}

function joinBox(ctx, code) {
  const errors = errorSlot();
  const button = h("button", { type: "submit", class: "primary" }, "Join");
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "join-h" },
    h("h2", { id: "join-h" }, "Join a club"),
    field("Invite code", code, "Joining shares your sessions with the club's coaches; you can turn that off at once, per club."),
    h("div", { class: "actions" }, button),
    errors,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      try {
        const club = await post("/club/join", { code: code.value.trim() });
        announce(`Welcome to ${club.name}.`);
        ctx.navigate("/app/clubs", { replace: true });
      } catch (err) {
        errors.show(err);
      }
    });
  });
  return form;
}

/** /app/clubs/join/CODE: the link an owner shares. */
export async function joinPage(ctx) {
  document.title = "Join a club · Arch Stats";
  ctx.main.dataset.page = "club-join";
  const code = h("input", { type: "text", name: "code", required: true, autocomplete: "off", value: decodeURIComponent(ctx.params[0]) });
  ctx.main.append(h("div", { class: "page-head" }, h("h1", {}, "Join a club")), joinBox(ctx, code));
}

// --- one club: members, invites, roster --------------------------------------------------

export async function clubPage(ctx) {
  const id = ctx.params[0];
  const club = await get(`/club/${id}`, { signal: ctx.signal });
  document.title = `${club.name} · Arch Stats`;
  ctx.main.dataset.page = "club";
  const owner = club.my_role === "owner";
  const staff = owner || club.my_role === "coach";
  ctx.main.append(
    h(
      "div",
      { class: "page-head" },
      h("div", {}, h("h1", {}, club.name), h("p", { class: "sub" }, `You are ${club.my_role === "owner" ? "an owner" : `a ${club.my_role}`} · ${club.members} member${club.members === 1 ? "" : "s"}`)),
      h("div", { class: "actions" }, h("a", { class: "button primary", href: `/app/clubs/${id}/board` }, "Live board"), h("a", { class: "button", href: `/app/clubs/${id}/timer` }, "Range timers"), h("a", { class: "button", href: "/app/clubs" }, "All clubs")),
    ),
    h("section", { class: "card", "aria-labelledby": "consent-h" }, h("h2", { id: "consent-h" }, "Your data"), consentSwitch(club), consentSwitch(club, "show_on_public_board")),
  );
  if (owner) ctx.main.append(await renameBox(ctx, club));
  if (staff) ctx.main.append(await rosterSection(ctx, club));
  if (staff) ctx.main.append(await membersSection(ctx, club));
  if (owner) ctx.main.append(await invitesSection(ctx, club));
}

async function renameBox(ctx, club) {
  const name = h("input", { type: "text", name: "name", maxlength: "100", required: true, value: club.name });
  const errors = errorSlot();
  const button = h("button", { type: "submit" }, "Rename");
  const form = h("form", { class: "inline-form" }, field("Club name", name), button, errors);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      try {
        await patch(`/club/${club.id}`, { name: name.value });
        ctx.navigate(location.pathname, { replace: true });
      } catch (err) {
        errors.show(err);
      }
    });
  });
  return h("details", { class: "card rename" }, h("summary", {}, "Rename the club"), form);
}

async function rosterSection(ctx, club) {
  const roster = await get(`/club/${club.id}/roster`, { signal: ctx.signal });
  const section = h("section", { class: "card", "aria-labelledby": "roster-h" }, h("h2", { id: "roster-h" }, "Roster"), h("p", { class: "hint" }, "Members who share their data with the club's coaches. Their pages open read-only."));
  if (!roster.length) {
    section.append(h("p", { class: "empty" }, "Nobody shares their sessions with the coaches yet."));
    return section;
  }
  const list = h("ul", { class: "roster" });
  for (const m of roster) {
    const last = m.last_session;
    const trend = m.trend_per_arrow_per_week;
    list.append(
      h(
        "li",
        { class: "roster-entry", "data-archer-id": m.archer_id },
        h("div", { class: "roster-name" }, h("a", { href: memberHref(m.archer_id, m.name) }, m.name), h("span", { class: "sub" }, ` ${m.bowstyle} · ${m.sessions} sessions`)),
        h(
          "dl",
          { class: "figures roster-figures" },
          h("div", {}, h("dt", {}, "Last session"), h("dd", {}, last ? h("a", { href: sessionHref(last.id, m.archer_id, m.name) }, dateTime(last.start_time), last.total !== undefined ? ` · ${last.total} / ${last.arrows} arrows` : "") : "—")),
          h("div", {}, h("dt", {}, "Trend"), h("dd", {}, trend === null ? "—" : `${trend >= 0 ? "+" : "−"}${num(Math.abs(trend), 2)} per arrow per week`)),
          h("div", {}, h("dt", {}, "Handicap"), h("dd", {}, m.handicap === null ? "—" : num(m.handicap, 0))),
          h("div", {}, h("dt", {}, "Classification"), h("dd", {}, m.classification || "—")),
        ),
      ),
    );
  }
  section.append(list);
  return section;
}

export function memberHref(archerId, name) {
  return `/app/members/${archerId}${qs({ name })}`;
}

export function sessionHref(sessionId, archerId, name) {
  return `/app/sessions/${sessionId}${qs({ archer: archerId, name })}`;
}

async function membersSection(ctx, club) {
  const members = await get(`/club/${club.id}/member`, { signal: ctx.signal });
  const owner = club.my_role === "owner";
  const errors = errorSlot();
  const body = h("tbody");
  for (const m of members) {
    const self = m.archer_id === ctx.me.id;
    let roleCell = roleName(m.role);
    let action = null;
    if (owner) {
      const roleSel = select("role", ROLES, m.role);
      roleSel.setAttribute("aria-label", `Role of ${m.name}`);
      roleSel.addEventListener("change", async () => {
        roleSel.disabled = true;
        try {
          await patch(`/club/${club.id}/member/${m.archer_id}`, { role: roleSel.value });
          announce(`${m.name} is now ${roleName(roleSel.value).toLowerCase()}.`);
          errors.show(null);
        } catch (err) {
          roleSel.value = m.role;
          errors.show(err);
        } finally {
          roleSel.disabled = false;
        }
      });
      roleCell = roleSel;
      if (!self) {
        action = h("button", { type: "button", class: "danger small" }, "Remove");
        action.addEventListener("click", () =>
          busy(action, async () => {
            // eslint-disable-next-line no-alert
            if (!window.confirm(`Remove ${m.name} from ${club.name}?`)) return;
            try {
              await del(`/club/${club.id}/member/${m.archer_id}`);
              ctx.navigate(location.pathname, { replace: true });
            } catch (err) {
              errors.show(err);
            }
          }),
        );
      }
    }
    body.append(
      h(
        "tr",
        { "data-archer-id": m.archer_id },
        h("th", { scope: "row" }, m.name, self ? h("span", { class: "sub" }, " (you)") : null),
        h("td", {}, roleCell),
        h("td", {}, m.share_with_coaches ? h("span", { class: "badge ok" }, "shares") : h("span", { class: "badge" }, "private")),
        h("td", {}, action),
      ),
    );
  }
  return h(
    "section",
    { class: "card", "aria-labelledby": "members-h" },
    h("h2", { id: "members-h" }, "Members"),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "table members" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, "Coaches see"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
        body,
      ),
    ),
    owner ? h("p", { class: "hint" }, "A club always keeps an owner: make someone else owner before you step down or leave.") : null,
    errors,
  );
}

// How many accounts an invite lets in unless the owner says otherwise (the server's defaults).
const DEFAULT_USES = { coach: 1, member: 30 };

function usesText(inv) {
  return `${inv.uses} of ${inv.max_uses} used`;
}

async function invitesSection(ctx, club) {
  const invites = await get(`/club/${club.id}/invite`, { signal: ctx.signal });
  const role = select("role", ROLES.filter(([r]) => r !== "owner"), "member");
  const hours = select("expires_in_hours", [["24", "1 day"], ["168", "1 week"], ["720", "30 days"]], "168");
  const uses = h("input", { type: "number", name: "max_uses", min: "1", max: "500", step: "1", required: true, inputmode: "numeric", value: String(DEFAULT_USES.member) });
  role.addEventListener("change", () => {
    uses.value = String(DEFAULT_USES[role.value]);
  });
  const errors = errorSlot();
  const made = h("div", { class: "invite-made", "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, "Make an invite");
  const form = h("form", { class: "invite-form" }, field("Joins as", role), field("Valid for", hours), field("Accounts it lets in", uses), h("div", { class: "actions" }, button));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      try {
        const invite = await post(`/club/${club.id}/invite`, { role: role.value, expires_in_hours: Number(hours.value), max_uses: Number(uses.value) });
        const link = new URL(invite.link, location.origin).href;
        const who = invite.max_uses === 1 ? "one account" : `${invite.max_uses} accounts`;
        clear(made).append(
          h("p", {}, h("strong", {}, "Share this code or link now: "), "it is not shown again."),
          copyRow("Code", invite.code),
          copyRow("Link", link),
          h("p", { class: "hint" }, `Joins as ${roleName(invite.role).toLowerCase()}; lets in ${who}; valid until ${dateTime(invite.expires_at)}.`),
        );
        errors.show(null);
        drawList([invite, ...list]);
      } catch (err) {
        errors.show(err);
      }
    });
  });
  let list = invites;
  const listBox = h("div");
  const drawList = (items) => {
    list = items;
    const now = Date.now();
    const body = h("tbody");
    for (const inv of items) {
      const expired = new Date(inv.expires_at).getTime() <= now;
      const status = inv.revoked_at ? "revoked" : inv.remaining_uses === 0 ? "used up" : expired ? "expired" : "valid";
      let action = null;
      if (status === "valid") {
        action = h("button", { type: "button", class: "small" }, "Revoke");
        action.addEventListener("click", () =>
          busy(action, async () => {
            try {
              const revoked = await del(`/club/${club.id}/invite/${inv.id}`);
              drawList(list.map((x) => (x.id === inv.id ? revoked : x)));
            } catch (err) {
              errors.show(err);
            }
          }),
        );
      }
      body.append(
        h(
          "tr",
          { "data-invite-id": inv.id },
          h("td", {}, roleName(inv.role)),
          h("td", { class: "hide-narrow" }, dateTime(inv.created_at)),
          h("td", { class: "invite-uses" }, usesText(inv)),
          h("td", {}, status === "valid" ? `until ${dateTime(inv.expires_at)}` : h("span", { class: "badge" }, status)),
          h("td", {}, action),
        ),
      );
    }
    clear(listBox).append(
      items.length
        ? h(
            "div",
            { class: "table-scroll" },
            h(
              "table",
              { class: "table invites" },
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Role"), h("th", { scope: "col", class: "hide-narrow" }, "Made"), h("th", { scope: "col" }, "Uses"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
              body,
            ),
          )
        : h("p", { class: "hint" }, "No invites yet."),
    );
  };
  drawList(invites);
  return h("section", { class: "card", "aria-labelledby": "invites-h" }, h("h2", { id: "invites-h" }, "Invites"), form, made, errors, listBox);
}

function copyRow(label, value) {
  const input = h("input", { type: "text", readonly: true, value, class: "copy-value", "aria-label": label });
  const button = h("button", { type: "button", class: "small" }, "Copy");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
      announce(`${label} copied.`);
    } catch {
      input.select(); // no clipboard (plain http): selected, ready for the phone's own copy
    }
  });
  return h("div", { class: "copy-row" }, h("span", { class: "copy-label" }, label), input, button);
}

// --- a member's pages, as their coach sees them (read-only) --------------------------------

export async function memberPage(ctx) {
  const archerId = ctx.params[0];
  const name = ctx.query.get("name") || "Member";
  const [sessions, history] = await Promise.all([
    get(`/session${qs({ archer_id: archerId, limit: 50 })}`, { signal: ctx.signal }),
    get(`/stats/history${qs({ archer_id: archerId })}`, { signal: ctx.signal }),
  ]);
  document.title = `${name} · Arch Stats`;
  ctx.main.dataset.page = "member";
  const trend = history.trend;
  const perMonth = trend && trend.slope_per_day !== null ? trend.slope_per_day * 30 : null;
  ctx.main.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, name), h("p", { class: "sub" }, h("span", { class: "badge" }, "read-only"), " shared with you as their coach")), h("div", { class: "actions" }, h("a", { class: "button", href: `/api/v0/export/shots.csv${qs({ archer_id: archerId })}`, download: "shots.csv" }, "Shots CSV"), h("a", { class: "button", href: `/api/v0/export/sessions.csv${qs({ archer_id: archerId })}`, download: "sessions.csv" }, "Sessions CSV"))),
    h(
      "section",
      { class: "card", "aria-labelledby": "trend-h" },
      h("h2", { id: "trend-h" }, "History"),
      h(
        "dl",
        { class: "figures" },
        h("div", {}, h("dt", {}, "Sessions"), h("dd", {}, String(history.rows.length))),
        h("div", {}, h("dt", {}, "Trend"), h("dd", {}, perMonth === null ? "—" : `${perMonth >= 0 ? "+" : "−"}${num(Math.abs(perMonth), 2)} per arrow per month`)),
        h("div", {}, h("dt", {}, "Best rounds"), h("dd", {}, history.personal_bests.by_round.map((b) => `${b.name || b.round_code}: ${b.score}`).join(", ") || "—")),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "member-sessions-h" },
      h("h2", { id: "member-sessions-h" }, "Sessions"),
      sessions.length
        ? h(
            "ul",
            { class: "session-list" },
            sessions.map((s) =>
              h(
                "li",
                { class: "session-card", "data-session-id": s.id },
                h(
                  "a",
                  { href: sessionHref(s.id, archerId, name), class: "session-link" },
                  h("span", { class: "session-when" }, dateTime(s.start_time)),
                  h("span", { class: "session-title" }, sessionTitle(s), " · ", metres(s.distance_m)),
                  h("span", { class: "session-score" }, s.is_open ? h("span", { class: "badge live" }, "open") : null, ` ${s.shot_count} arrows · ${s.total_score} points`),
                ),
              ),
            ),
          )
        : h("p", { class: "empty" }, "No sessions yet."),
    ),
  );
}
