// Sessions: the list with filters, and opening a new session with its target and faces.

import { del, faces as allFaces, get, post, qs, round as getRound, roundNames, rounds as allRounds } from "../api.js";
import { announce, busy, clear, errorBox, errorSlot, field, h, select } from "../dom.js";
import { dateTime, sessionTitle } from "../format.js";
import { roundPicker } from "../roundpicker.js";

const PAGE = 20;

// --- the target editor (also used by the live page for a session without a target) -------

const FACE_GROUPS = [
  ["WA target faces", (f) => /^wa_(122|80|60|40)(_6ring)?$/.test(f)],
  ["WA indoor triple spots", (f) => /^wa_40_triple_(vertical|triangular)$/.test(f)],
  ["WA field faces", (f) => f.startsWith("wa_field_")],
  ["11-zone (X counts 11)", (f) => f.endsWith("_11zone")],
  ["AGB imperial 5-zone", (f) => f.startsWith("agb_")],
];

/** The smallest view (100 mm steps) that holds the whole face with a margin. */
export function viewFor(spec) {
  const r = spec.spot_diameter_mm / 2;
  const ex = Math.max(...spec.spots.map((p) => Math.abs(p.x_mm))) + r;
  const ey = Math.max(...spec.spots.map((p) => Math.abs(p.y_mm))) + r;
  const round = (v) => Math.ceil((2 * v + 60) / 100) * 100;
  return { w: round(ex), h: round(ey) };
}

export async function targetEditor({ faceType = "wa_122", handScored = true } = {}) {
  const specs = await allFaces();
  const byType = Object.fromEntries(specs.map((f) => [f.face_type, f]));
  const groups = FACE_GROUPS.map(([group, test]) => ({
    group,
    options: specs.filter((f) => test(f.face_type)).map((f) => [f.face_type, f.name]),
  })).filter((g) => g.options.length);
  const listed = new Set(groups.flatMap((g) => g.options.map(([v]) => v)));
  const others = specs.filter((f) => !listed.has(f.face_type)).map((f) => [f.face_type, f.name]);
  if (others.length) groups.push({ group: "Other faces", options: others });

  const face = select("face_type", groups, faceType);
  const scoredBy = select("scored_by", [["hand", "By hand, on this device"], ["sensor", "By a target sensor"]], handScored ? "hand" : "sensor");
  const width = h("input", { type: "number", name: "view_width_mm", min: "1", step: "1", inputmode: "numeric" });
  const height = h("input", { type: "number", name: "view_height_mm", min: "1", step: "1", inputmode: "numeric" });
  const count = select("face_count", [["1", "1 face"], ["2", "2 faces, side by side"], ["3", "3 faces in a row"], ["4", "4 faces, 2 × 2"]], "1");
  const lane = h("input", { type: "number", name: "lane", min: "0", step: "1", inputmode: "numeric" });
  let viewTouched = false;
  width.addEventListener("input", () => (viewTouched = true));
  height.addEventListener("input", () => (viewTouched = true));
  // The sensor's view is asked for only when a sensor scores: by hand the server sizes it.
  const viewFields = h(
    "div",
    { class: "grid-2 sensor-view" },
    field("View width (mm)", width, "What the target sensor sees."),
    field("View height (mm)", height),
  );

  const sensor = () => scoredBy.value === "sensor";
  function layout() {
    const spec = byType[face.value];
    const one = viewFor(spec);
    const n = Number(count.value);
    const cols = n === 4 ? 2 : n;
    const rows = n === 4 ? 2 : 1;
    if (!viewTouched) {
      width.value = String(one.w * cols);
      height.value = String(one.h * rows);
    }
    viewFields.hidden = !sensor();
    width.required = sensor();
    height.required = sensor();
  }
  face.addEventListener("change", layout);
  count.addEventListener("change", layout);
  scoredBy.addEventListener("change", layout);
  layout();

  const el = h(
    "fieldset",
    { class: "target-editor" },
    h("legend", {}, "Target"),
    h("div", { class: "grid-2" }, field("Face", face), field("Faces on the butt", count)),
    h("div", { class: "grid-2" }, field("Scored", scoredBy), field("Lane (optional)", lane)),
    viewFields,
  );

  return {
    el,
    setFace(type) {
      if (byType[type]) {
        face.value = type;
        layout();
      }
    },
    /** The body of POST /session/{id}/target. */
    value(distance) {
      const n = Number(count.value);
      let body;
      if (!sensor()) {
        // By hand: the server lays the faces out and derives a view that holds them.
        body = { faces: Array.from({ length: n }, () => ({ face_type: face.value })) };
      } else {
        const W = Number(width.value);
        const H = Number(height.value);
        const cols = n === 4 ? 2 : n;
        const rows = n === 4 ? 2 : 1;
        const faces = [];
        for (let i = 0; i < n; i += 1) {
          const c = i % cols;
          const r = Math.floor(i / cols);
          faces.push({
            face_type: face.value,
            center_x_mm: Math.round(((c + 0.5) * W) / cols),
            // Face index 0 top-left, as read on the butt; y is measured up from the bottom.
            center_y_mm: Math.round(H - ((r + 0.5) * H) / rows),
          });
        }
        body = { view_width_mm: W, view_height_mm: H, faces };
      }
      if (lane.value !== "") body.lane = parseInt(lane.value, 10);
      if (distance) body.distance_m = distance;
      return body;
    },
  };
}

/** The standard rounds as grouped choices (by governing body), their names shown. */
export function roundChoices(roundList, emptyLabel) {
  const bodies = ["WA", "AGB", "AA", "IFAA", "WAExp", "WA-VI", "AGB-VI", "custom"];
  const choices = [["", emptyLabel]];
  for (const body of bodies) {
    const options = roundList.filter((r) => r.supported !== false && r.body === body).map((r) => [r.code, r.name]);
    if (options.length) choices.push({ group: body, options });
  }
  return choices;
}

/** A filter form inside a control that opens ("Filters · 2 set"), open while filters are set. */
export function filterBox(form, activeCount, label = "Filters") {
  return h(
    "details",
    { class: "filter-box", open: activeCount > 0 },
    h("summary", { class: "filter-toggle" }, label, activeCount ? h("span", { class: "count" }, `${activeCount} set`) : null),
    form,
  );
}

// --- opening a session --------------------------------------------------------------------

export async function newSessionPage(ctx) {
  document.title = "Open a session · Arch Stats";
  ctx.main.append(h("h1", {}, "Open a session"));
  const notice = h("div");
  ctx.main.append(notice);

  let [open] = await get("/session?is_open=true&limit=1", { signal: ctx.signal });

  const [roundList, editor, arrows, custom, recent] = await Promise.all([
    allRounds(),
    targetEditor(),
    get("/arrow", { signal: ctx.signal }),
    get("/round/custom", { signal: ctx.signal }).catch(() => []),
    get("/session?limit=30", { signal: ctx.signal }).catch(() => []),
  ]);
  // Custom rounds (mine, my clubs') are chosen as "custom:<id>".
  const mineFirst = [...custom].sort((a, b) => Number(Boolean(a.club_id)) - Number(Boolean(b.club_id)));
  const picker = roundPicker({ rounds: roundList, custom: mineFirst, recent, value: ctx.query.get("round") || "" });
  const faceChoice = select("preferred_face", [], "");
  const faceField = field("Face for the round", faceChoice, "The round's passes are scored the same on each of these.");
  faceField.hidden = true;
  const location_ = h("input", { type: "text", name: "location", maxlength: 200, autocomplete: "off", placeholder: "e.g. Club field" });
  const where = select("where", [["outdoor", "Outdoor"], ["indoor", "Indoor"]], "outdoor");
  const distance = h("input", { type: "number", name: "distance_m", min: "1", max: "1000", step: "any", required: true, inputmode: "decimal", value: "70" });
  const perEnd = h("input", { type: "number", name: "arrows_per_end", min: "1", max: "24", step: "1", inputmode: "numeric", value: "6" });
  const notes = h("textarea", { name: "notes", rows: "2", maxlength: 2000 });
  const roundHint = h("p", { class: "hint round-hint", id: "round-hint", "aria-live": "polite" });
  let perEndTouched = false;
  perEnd.addEventListener("input", () => (perEndTouched = true));

  // With a round the targets come from it (a face per distance, made by the server): the
  // target editor is for practice only; a choice of face only where the round allows several.
  picker.onChange = async () => {
    roundHint.textContent = "";
    editor.el.hidden = Boolean(picker.value);
    faceField.hidden = true;
    if (!picker.value) return;
    try {
      const saved = custom.find((r) => `custom:${r.id}` === picker.value);
      const r = saved || (await getRound(picker.value));
      const first = r.passes[0];
      distance.value = String(first.distance_m);
      where.value = (saved ? saved.location === "indoor" : first.indoor) ? "indoor" : "outdoor";
      if (!perEndTouched) perEnd.value = "";
      const alternatives = [...new Set(r.passes.flatMap((p) => p.face_types || []))];
      if (alternatives.length > 1) {
        const names = Object.fromEntries((await allFaces()).map((f) => [f.face_type, f.name]));
        clear(faceChoice).append(...alternatives.map((t) => h("option", { value: t }, names[t] || t)));
        faceField.hidden = false;
      }
      const dists = [...new Set(r.passes.map((p) => `${p.distance} ${p.distance_unit === "metre" ? "m" : "yd"}`))];
      roundHint.textContent = `${r.n_arrows} arrows at ${dists.join(", ")}; max ${r.max_score}. Its targets are made from the round.`;
    } catch (err) {
      roundHint.textContent = err.message;
    }
  };
  if (picker.value) picker.onChange();
  where.addEventListener("change", () => {
    if (!perEndTouched && !picker.value) perEnd.value = where.value === "indoor" ? "3" : "6";
  });

  const errors = errorSlot();
  const submit = h("button", { type: "submit", class: "primary big" }, "Open session");
  const form = h(
    "form",
    { class: "card", id: "new-session" },
    errors,
    h(
      "fieldset",
      {},
      h("legend", {}, "Session"),
      picker.el,
      roundHint,
      faceField,
      h("div", { class: "grid-2" }, field("Location", location_), field("Where", where)),
      h(
        "div",
        { class: "grid-2" },
        field("Distance (m)", distance),
        field("Arrows per end", perEnd, "Empty with a round: the round's own end size."),
      ),
    ),
    editor.el,
    field("Notes (optional)", notes),
    h("div", { class: "actions" }, submit),
  );
  if (!arrows.length) {
    form.prepend(
      h(
        "p",
        { class: "notice" },
        "Tip: ",
        h("a", { href: "/app/arrows" }, "add your arrows"),
        " first, so that each shot can say which arrow it was. You can also shoot without.",
      ),
    );
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      errors.show(null);
      const body = {
        location: location_.value.trim(),
        is_indoor: where.value === "indoor",
        distance_m: Number(distance.value),
        notes: notes.value,
      };
      if (picker.value.startsWith("custom:")) body.custom_round_id = picker.value.slice(7);
      else if (picker.value) body.round_code = picker.value;
      if (picker.value && !faceField.hidden) body.preferred_faces = [faceChoice.value];
      if (perEnd.value !== "") body.arrows_per_end = parseInt(perEnd.value, 10);
      let session;
      try {
        session = await post("/session", body);
      } catch (err) {
        errors.show(err);
        return;
      }
      try {
        // A round's targets are made with the session; practice needs its own.
        if (!session.round) await post(`/session/${session.id}/target`, editor.value());
      } catch (err) {
        // No half-made session: without its target it is of no use.
        await del(`/session/${session.id}`).catch(() => {});
        errors.show(err);
        return;
      }
      ctx.navigate(`/app/sessions/${session.id}/live`);
    });
  });

  function showOpen() {
    clear(notice);
    if (!open) {
      form.hidden = false;
      return;
    }
    form.hidden = true;
    const closeBtn = h("button", { type: "button" }, "Close it");
    const closeErrors = errorSlot();
    closeBtn.addEventListener("click", () =>
      busy(closeBtn, async () => {
        try {
          await post(`/session/${open.id}/close`);
          announce("Session closed.");
          open = null;
          showOpen();
        } catch (err) {
          closeErrors.show(err);
        }
      }),
    );
    notice.append(
      h(
        "div",
        { class: "card notice" },
        h("p", {}, h("strong", {}, "A session is already open: "), `${sessionTitle(open)}, since ${dateTime(open.start_time)}.`),
        h("p", {}, "Only one session can be open at a time. Shoot in it, or close it to open a new one."),
        closeErrors,
        h("div", { class: "actions" }, h("a", { class: "button primary", href: `/app/sessions/${open.id}/live` }, "Go to the live page"), closeBtn),
      ),
    );
  }
  ctx.main.append(form);
  showOpen();
}

// --- the list -----------------------------------------------------------------------------

export function sessionCard(session, names = new Map()) {
  const name = session.round ? session.round.name : session.round_code && (names.get(session.round_code) || session.round_code);
  const round = name ? h("span", { class: "badge" }, name) : null;
  return h(
    "li",
    { class: "session-card", "data-session-id": session.id },
    h(
      "a",
      { href: `/app/sessions/${session.id}${session.is_open ? "/live" : ""}`, class: "session-link" },
      h("span", { class: "session-when" }, dateTime(session.start_time)),
      h("span", { class: "session-title" }, sessionTitle(session), " ", session.is_indoor ? "· indoor" : "", " ", round),
      h(
        "span",
        { class: "session-score" },
        session.is_open ? h("span", { class: "badge live" }, "open") : null,
        ` ${session.shot_count} arrows · ${session.total_score} points`,
      ),
    ),
  );
}

export async function sessionsPage(ctx) {
  document.title = "Sessions · Arch Stats";
  const q = ctx.query;
  const status = select("is_open", [["", "Open or closed"], ["true", "Open"], ["false", "Closed"]], q.get("is_open") || "");
  const where = select("is_indoor", [["", "Indoor or outdoor"], ["true", "Indoor"], ["false", "Outdoor"]], q.get("is_indoor") || "");
  const distance = h("input", { type: "number", name: "distance_m", min: "1", step: "any", inputmode: "decimal", value: q.get("distance_m") || "" });
  const [names, roundList] = await Promise.all([roundNames(), allRounds().catch(() => [])]);
  const round = select("round_code", roundChoices(roundList, "Any round"), q.get("round_code") || "");
  const locationInput = h("input", { type: "text", name: "location", value: q.get("location") || "", autocomplete: "off" });
  const from = h("input", { type: "date", name: "start_from", value: q.get("start_from") || "" });
  const to = h("input", { type: "date", name: "start_to", value: q.get("start_to") || "" });
  const filters = h(
    "form",
    { class: "filters card", role: "search", "aria-label": "Filter sessions" },
    h(
      "div",
      { class: "grid-4" },
      field("Status", status),
      field("Where", where),
      field("Distance (m)", distance),
      field("Round", round),
      field("Location contains", locationInput),
      field("From", from),
      field("To", to),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter"), h("a", { class: "button", href: "/app/sessions" }, "Clear")),
  );
  const params = () => ({
    is_open: status.value,
    is_indoor: where.value,
    distance_m: distance.value,
    round_code: round.value,
    location: locationInput.value.trim(),
    start_from: from.value,
    start_to: to.value,
  });
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate(`/app/sessions${qs(params())}`);
  });
  const activeFilters = Object.values(params()).filter((v) => v).length;
  const filtered = activeFilters > 0;
  const list = h("ol", { class: "session-list" });
  const more = h("button", { type: "button", hidden: true }, "Show more");
  const errors = errorSlot();
  let offset = 0;

  async function load() {
    const page = await get(`/session${qs({ ...params(), limit: PAGE, offset })}`, { signal: ctx.signal });
    for (const session of page) list.append(sessionCard(session, names));
    offset += page.length;
    more.hidden = page.length < PAGE;
    return page;
  }
  more.addEventListener("click", () => busy(more, () => load().catch((err) => errors.show(err))));

  ctx.main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Sessions"), h("a", { class: "button primary", href: "/app/sessions/new" }, "Open a session")),
    filterBox(filters, activeFilters),
  );
  let first;
  try {
    first = await load();
  } catch (err) {
    ctx.main.append(errorBox(err));
    return;
  }
  if (!first.length) {
    ctx.main.append(
      filtered
        ? h("div", { class: "empty" }, h("p", {}, "No session matches these filters. ", h("a", { href: "/app/sessions" }, "Show all sessions"), "."))
        : h(
            "div",
            { class: "empty" },
            h("p", {}, h("strong", {}, "No sessions yet.")),
            h("p", {}, "A session is one practice or one scored round. Open one when you get to the range: choose the distance and the face, then shoot."),
            h("p", {}, h("a", { class: "button primary", href: "/app/sessions/new" }, "Open your first session")),
          ),
    );
    return;
  }
  ctx.main.append(list, errors, more);
}

