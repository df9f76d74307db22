// The live page: the target drawn to scale, every shot appearing where it landed (WebSocket),
// shots entered with one touch each (a magnifier under the finger, lifting records) or by
// value on a keypad of the face's own values, any arrow of any end corrected, the scorecard
// and the running statistics. A session shot to a round follows it (rounds.js): the page
// says where the archer is, shows the face of the pass being shot (an earlier end's own face
// when one of its arrows is corrected), and, once the round is complete, its result.
//
// Every change made here goes through the outbox (outbox.js): it is drawn at once, kept on
// the device and sent in order, so the page works the same with no network.

import { allShots, face as getFace, get, keepCopy, post, qs, roundName, savedCopy } from "../api.js";
import { announce, busy, clear, errorBox, errorSlot, h, keepFocus, s as svgEl } from "../dom.js";
import { tick, wakeLock } from "../device.js";
import { TargetView, markerText } from "../face.js";
import { LiveChannel } from "../channel.js";
import { figures, groupFigures, roundFigures, scoreFigures } from "../components.js";
import { byPlace, byValue, cardFromShots, scorecardTable } from "../scorecard.js";
import { dateTime, num, scoreClass, sessionTitle } from "../format.js";
import { newId, outbox } from "../outbox.js";
import { nextPosition, passOf, progress as roundProgress, taken, whereText } from "../rounds.js";
import { drawKeypad as fillKeypad, faceValues, valueButton } from "../keypad.js";
import { SessionNotes } from "../notes.js";
import { watchingMode } from "../watching.js";

const STATS_DELAY_MS = 700;
const PREFS = "arch-stats.live";

const STATE_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Connection lost, reconnecting…",
  offline: "Offline",
  closed: "Not live",
};

// What this device remembers: earlier ends shown, the card's order, plotting or the keypad.
function prefs() {
  const defaults = { showOld: true, order: "value", entry: "plot" };
  try {
    return { ...defaults, ...JSON.parse(localStorage.getItem(PREFS) || "{}") };
  } catch {
    return defaults;
  }
}

function savePrefs(p) {
  try {
    localStorage.setItem(PREFS, JSON.stringify(p));
  } catch {
    // Private mode: the choice lasts for this page only.
  }
}

const subtotalsOf = (card) => (card.subtotals || []).map(({ label, kind, end_from, end_to }) => ({ label, kind, end_from, end_to }));

/**
 * What the page shows: the session, its targets and their faces, the shots, the arrows, the
 * round's card. `fromDevice`: the copies kept on this device (null if one is missing).
 */
async function loadData(id, signal, { fromDevice = false } = {}) {
  const read = fromDevice ? (path) => savedCopy(path) : (path) => get(path, { signal });
  const targetsP = read(`/session/${id}/target`);
  // Faces never change (read from the device when it has them): asked for as soon as the
  // targets are known, alongside the rest.
  const specsP = targetsP.then(async (targets) => {
    if (!targets) return null;
    const specs = {};
    const types = [...new Set(targets.flatMap((t) => t.faces.map((f) => f.face_type)))];
    await Promise.all(types.map(async (t) => (specs[t] = fromDevice ? await savedCopy(`/face/${encodeURIComponent(t)}`) : await getFace(t))));
    return Object.values(specs).every(Boolean) ? specs : null;
  });
  // All at once: one round trip on a phone network. The card gives the round's name and
  // which ends make each distance and half.
  const [session, targets, shots, ownArrows, card, specs, access, notes] = await Promise.all([
    read(`/session/${id}`),
    targetsP,
    allShots(id, { signal, saved: fromDevice }),
    read("/arrow?include_retired=true"),
    read(`/session/${id}/scorecard`).catch(() => null),
    specsP,
    read(`/session/${id}/access`).catch(() => null),
    read(`/session/${id}/note`).catch(() => null),
  ]);
  // Someone else's session (a coach's view): the markers carry its archer's arrow numbers.
  const watched = access && !access.may_record;
  const arrows = watched ? await read(`/arrow${qs({ include_retired: true, archer_id: access.archer_id })}`) : ownArrows;
  if (fromDevice && !(session && targets && shots && arrows && specs)) return null;
  return { session, targets, shots, arrows, card, specs, access, notes, fromDevice };
}

export async function livePage(ctx) {
  const id = ctx.params[0];
  performance.mark("arch-stats:live");
  // Drawn at once from what this device kept of the last visit, then brought up to date; the
  // first visit waits for the server.
  const fresh = loadData(id, ctx.signal);
  fresh.catch(() => {});
  const kept = navigator.onLine === false ? null : await loadData(id, ctx.signal, { fromDevice: true }).catch(() => null);
  const data = kept || (await fresh);
  const { session, targets, specs } = data;
  const arrows = [...data.arrows];
  // A session shot to a round is called by its round ("Lilleshall · WA 1440 (90m)").
  const title = () => (session.round ? [session.location, session.round.name].filter(Boolean).join(" · ") : sessionTitle(session));
  document.title = `Live: ${title()} · Arch Stats`;
  let round = (data.card && data.card.round_name) || (await roundName(session.round_code));

  const arrowsById = new Map();
  const activeArrows = [];
  function setArrows(list) {
    arrows.splice(0, arrows.length, ...list);
    arrowsById.clear();
    for (const a of list) arrowsById.set(a.id, a);
    activeArrows.splice(0, activeArrows.length, ...list.filter((a) => a.is_active).sort((a, b) => a.identifier.localeCompare(b.identifier, undefined, { numeric: true })));
  }
  setArrows(data.arrows);
  let perEnd = session.arrows_per_end || 6;
  const server = new Map(data.shots.map((shot) => [shot.id, shot]));
  const p = prefs();
  let showOld = p.showOld;
  let order = p.order;
  let keypad = p.entry === "keypad";
  const remember = () => savePrefs({ showOld, order, entry: keypad ? "keypad" : "plot" });
  let latestId = null;
  let selectedId = null;
  let fillEnd = null; // an earlier end with a free place that the next arrow goes to
  let handArrow = null; // the archer's own pick for the next shot (an id, "" for none); null: the suggestion
  let channel = null;
  let statsTimer = null;
  let everLive = false;
  let subtotals = data.card ? subtotalsOf(data.card) : [];
  let imperial = Boolean(data.card && data.card.imperial); // hits and golds on the card
  let drawQueued = false;
  // Notes on the ends, read per reader: a badge on the end's row of the card until opened.
  const notes = new SessionNotes(id, ctx.me, data.notes || [], () => drawSoon());
  // Someone who may not record here (a coach) watches: watching.js has what differs.
  const watch = data.access && !data.access.may_record ? watchingMode({ sessionId: id, access: data.access, shots, notes }) : null;
  /** Whether this page records: the session is open and it is the viewer's own. */
  const records = () => session.is_open && !watch;

  // --- layout ---------------------------------------------------------------------------
  const conn = h("p", { class: "conn", id: "conn", role: "status", "data-state": "connecting" }, STATE_TEXT.connecting);
  const headActions = h("div", { class: "actions" });
  const faceArea = h("section", { class: "face-area", "aria-label": "Target" });
  const keypadBox = h("section", { class: "keypad", "aria-label": "Score by value", hidden: true });
  const resultBox = h("section", { class: "round-result card", "aria-labelledby": "result-h", hidden: true });
  const arrowRow = h("div", { class: "arrow-row" });
  const endBox = h("section", { class: "current-end", "aria-labelledby": "current-end-h" });
  const entry = h("section", { class: "entry", "aria-label": "Enter shots" });
  const queueBox = h("section", { class: "queue", "aria-live": "polite", hidden: true });
  const cardBox = h("section", { class: "card", "aria-label": "Scorecard" });
  const statsBox = h("section", { class: "card running-stats", "aria-labelledby": "stats-h" });
  const pageErrors = errorSlot();

  ctx.main.dataset.page = "live";
  ctx.main.classList.add("live-page");
  ctx.main.classList.toggle("follows", Boolean(session.round));
  const subText = () => [dateTime(session.start_time), round, `${perEnd} arrows per end`].filter(Boolean).join(" · ");
  // A session shot to a round: where the archer is, in place of the date (the same row).
  const sub = h("p", { class: "sub live-sub", id: "where", "aria-live": "polite" }, subText());
  const liveMain = h("div", { class: "live-main" }, faceArea, keypadBox, resultBox, arrowRow, endBox, entry, queueBox);
  ctx.main.append(
    h("div", { class: "live-head" }, h("h1", {}, h("span", { class: "muted" }, "Live · "), title()), conn),
    sub,
    ...(watch ? [watch.banner] : []),
    pageErrors,
    h("div", { class: "live-layout" }, liveMain, h("div", { class: "live-side" }, cardBox, statsBox, headActions)),
  );

  // --- the merged picture: the server's shots and the changes still on their way -------
  function shots() {
    const map = new Map();
    for (const [key, shot] of server) map.set(key, shot);
    for (const op of outbox.forSession(id)) {
      if (op.kind === "create") {
        if (map.has(op.shot_id)) continue; // stored already; the answer is on its way
        const b = op.body;
        map.set(op.shot_id, {
          id: op.shot_id,
          session_id: id,
          target_id: b.target_id,
          arrow_id: b.arrow_id || null,
          x_mm: b.x_mm ?? null,
          y_mm: b.y_mm ?? null,
          end_no: b.end_no ?? op.end_no,
          end_place: op.place ?? null,
          seq: null,
          score: 0,
          is_x: false,
          is_miss: b.value === undefined && (b.x_mm === undefined || b.x_mm === null),
          value: b.value,
          label: b.value || "…",
          pending: true,
          refused: op.state === "refused",
          order: op.key,
        });
      } else if (op.kind === "update") {
        const shot = map.get(op.shot_id);
        if (shot) map.set(op.shot_id, { ...shot, ...op.body, label: "…", score: 0, is_x: false, pending: true, refused: op.state === "refused" });
      } else if (op.kind === "delete") {
        map.delete(op.shot_id);
      }
    }
    return [...map.values()].sort((a, b) => (a.seq ?? 1e12 + (a.order || 0)) - (b.seq ?? 1e12 + (b.order || 0)));
  }

  function inEnd(list, end) {
    return list.filter((shot) => shot.end_no === end);
  }

  function currentEnd(list) {
    if (!list.length) return 1;
    const last = Math.max(...list.map((shot) => shot.end_no));
    return inEnd(list, last).length >= perEnd && session.is_open ? last + 1 : last;
  }

  function freePlace(list, end) {
    const taken = new Set(inEnd(list, end).map((shot) => shot.end_place));
    for (let place = 1; place <= perEnd; place += 1) if (!taken.has(place)) return place;
    return null;
  }

  /** The end the next arrow goes to: an earlier end being filled, else the current one (in a
   * round, where the round's next arrow goes: null once it is complete). */
  function recordingEnd(list) {
    if (fillEnd !== null && freePlace(list, fillEnd) !== null) return fillEnd;
    fillEnd = null;
    if (session.round) {
      const next = nextPosition(perEnd, session.round.ends, taken(list));
      return next ? next.end : null;
    }
    return currentEnd(list);
  }

  /** The targets to show for an end: in a round, its pass's (the last pass's once complete). */
  function targetsFor(end) {
    if (!session.round) return targets;
    const found = passOf(session.round, end ?? session.round.ends);
    const target = found && targets.find((t) => t.id === found.pass.target_id);
    return target ? [target] : targets.slice(0, 1);
  }

  const numberOn = (shot) => markerText(shot, shot.arrow_id ? arrowsById.get(shot.arrow_id) : null);
  const arrowName = (arrowId, placeNo) => (arrowId && arrowsById.get(arrowId) ? arrowsById.get(arrowId).identifier : `Arrow ${placeNo ?? ""}`.trim());

  // Every arrow recorded is said with its value once scored ("A01: 9", "Arrow 3: Miss"),
  // whether it came from this page or from the sensors.
  const told = new Set(data.shots.map((shot) => shot.id));
  function tell(shot) {
    if (told.has(shot.id)) return;
    told.add(shot.id);
    const end = inEnd([...server.values()], shot.end_no);
    const sum = end.length >= perEnd ? `. End ${shot.end_no}: ${end.reduce((t, s) => t + s.score, 0)}` : "";
    announce(`${arrowName(shot.arrow_id, shot.end_place)}: ${shot.label === "M" ? "Miss" : shot.label}${sum}`);
  }

  /** The end shown: the chosen arrow's (to correct it on its own face), else the next one. */
  function shownEnd(list) {
    const selected = selectedId ? list.find((s) => s.id === selectedId) : null;
    return selected ? selected.end_no : recordingEnd(list);
  }

  /** A round complete, nothing being corrected: the page shows the result, takes no arrow. */
  const showsResult = (list) => Boolean(session.round) && !selectedId && recordingEnd(list) === null;

  // --- the target(s) --------------------------------------------------------------------
  const views = [];
  const zoomShown = h("output", { class: "zoom-level", "aria-live": "polite" }, "1×");
  function zoomButton(text, label, fn) {
    const b = h("button", { type: "button", "aria-label": label }, text);
    b.addEventListener("click", () => {
      for (const view of views) fn(view);
    });
    return b;
  }
  const zoomBar = h(
    "div",
    { class: "zoom", role: "group", "aria-label": "Zoom on the face" },
    zoomButton("+", "Zoom in", (v) => v.setZoom(v.zoom * 1.5)),
    zoomShown,
    zoomButton("−", "Zoom out", (v) => v.setZoom(v.zoom / 1.5)),
    zoomButton("Fit", "Fit the whole face", (v) => v.setZoom(1)),
  );

  // Full screen: the face as large as the screen allows (portrait or landscape) with what an
  // end is shot with (the chooser, the end, Miss and Undo). The Fullscreen API where the
  // browser has it; the same layout over the page (CSS) where it has not (iPhone Safari).
  const icon = (d) => svgEl("svg", { viewBox: "0 0 24 24", width: 22, height: 22, "aria-hidden": "true", fill: "none", stroke: "currentColor", "stroke-width": 2.4, "stroke-linecap": "round" }, svgEl("path", { d }));
  const FULL_ICON = "M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5";
  const LEAVE_ICON = "M6 6l12 12M18 6L6 18";
  const fullButton = h("button", { type: "button", class: "full-toggle", "aria-label": "Full screen", "data-focus": "full" }, icon(FULL_ICON));
  function setFull(on) {
    liveMain.classList.toggle("full", on);
    document.documentElement.classList.toggle("scoring-full", on); // the page behind stays still
    fullButton.setAttribute("aria-label", on ? "Leave full screen" : "Full screen");
    clear(fullButton).append(icon(on ? LEAVE_ICON : FULL_ICON));
    if (on && liveMain.requestFullscreen && !document.fullscreenElement) liveMain.requestFullscreen({ navigationUI: "hide" }).catch(() => {});
    if (!on && document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }
  fullButton.addEventListener("click", () => setFull(!liveMain.classList.contains("full")));
  // Left by the browser (Escape, the back gesture): the page's layout follows.
  const fullLeft = () => !document.fullscreenElement && liveMain.classList.contains("full") && setFull(false);
  document.addEventListener("fullscreenchange", fullLeft);

  let drawnFor = null; // the ids of the targets drawn, to redraw when the pass changes
  function drawTargets(shown = targetsFor(shownEnd(shots()))) {
    for (const view of views) view.destroy();
    clear(faceArea);
    views.length = 0;
    drawnFor = shown.map((t) => t.id).join(" ");
    faceArea.dataset.targets = drawnFor;
    faceArea.dataset.faces = shown.map((t) => t.faces.map((f) => f.face_type).join(",")).join(" ");
    if (!targets.length) {
      drawAddTarget().catch((err) => faceArea.append(errorBox(err)));
      return;
    }
    for (const target of shown) {
      const view = new TargetView({
        target,
        specs,
        title: `Target${target.lane !== null && target.lane !== undefined ? ` on lane ${target.lane}` : ""}: ${target.faces.map((f) => specs[f.face_type]?.name || f.face_type).join(", ")}`,
        onPlace: records() ? (point) => place(view, point) : null,
        onMove: records() ? (shotId, point) => move(view, shotId, point) : null,
      });
      view.onZoom = (z) => (zoomShown.textContent = `${Math.round(z * 10) / 10}×`);
      view.onPending = (point, live) => {
        const button = entry.querySelector("#record-shot");
        if (button) button.hidden = !point || live;
      };
      views.push(view);
      faceArea.append(view.el);
    }
    views[0].el.append(zoomBar, fullButton);
  }

  async function drawAddTarget() {
    const { targetEditor } = await import("./sessions.js");
    const editor = await targetEditor({ handScored: true });
    const errors = errorSlot();
    const add = h("button", { type: "submit", class: "primary" }, "Add the target");
    const form = h(
      "form",
      { class: "card" },
      h("p", {}, h("strong", {}, "This session has no target yet."), " Add the face you shoot at to see your shots on it."),
      errors,
      editor.el,
      h("div", { class: "actions" }, add),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(add, async () => {
        try {
          const target = await post(`/session/${id}/target`, editor.value());
          targets.push(target);
          for (const f of target.faces) specs[f.face_type] = await getFace(f.face_type);
          drawTargets();
          drawAll();
        } catch (err) {
          errors.show(err);
        }
      });
    });
    faceArea.append(form);
  }

  // --- entering and correcting ------------------------------------------------------------
  const entryErrors = errorSlot();

  async function place(view, point) {
    const list = shots();
    const end = recordingEnd(list);
    if (end === null) return; // the round is complete: no more arrows
    const shotId = newId();
    const body = { id: shotId, session_id: id, target_id: view.target.id, x_mm: point.x_mm, y_mm: point.y_mm };
    await record(body, list, end);
  }

  async function recordMiss() {
    if (!targets.length) return;
    const list = shots();
    const end = recordingEnd(list);
    if (end === null) return; // the round is complete
    const shotId = newId();
    const body = { id: shotId, session_id: id, target_id: targetsFor(end)[0].id };
    await record(body, list, end);
  }

  /** An arrow by value (the keypad): the face's value, on a multi-spot face its spot. */
  async function recordValue(target, value, spotIndex) {
    const list = shots();
    const end = recordingEnd(list);
    if (end === null) return;
    const body = { id: newId(), session_id: id, target_id: target.id, value };
    if (spotIndex !== null) body.spot_index = spotIndex;
    await record(body, list, end);
  }

  // How many changes are on their way into the outbox (tests wait for none, and an empty queue).
  let adding = 0;
  async function adds(work) {
    adding += 1;
    ctx.main.dataset.adding = String(adding);
    try {
      return await work();
    } finally {
      adding -= 1;
      ctx.main.dataset.adding = String(adding);
    }
  }

  function record(body, list, end) {
    return adds(() => recordNow(body, list, end));
  }

  async function recordNow(body, list, end) {
    entryErrors.show(null);
    // The server puts an arrow in the current end (the next one when that is full), by the
    // same rule as this page, also when it is sent later from the outbox; only an earlier
    // end being filled is named.
    if (fillEnd !== null && end === fillEnd) body.end_no = end;
    const arrowId = nextArrow(list);
    if (arrowId) body.arrow_id = arrowId;
    const placeNo = freePlace(list, end);
    await outbox.add({ session_id: id, kind: "create", shot_id: body.id, body, place: placeNo, end_no: end });
    latestId = body.id;
    tick();
    // Its value is said when the server has scored it (tell); with no network, that it waits.
    if (navigator.onLine === false) {
      const what = body.value !== undefined ? ` ${body.value},` : body.x_mm === undefined ? " miss," : "";
      announce(`${arrowName(body.arrow_id, placeNo)}:${what} kept on this device, to be sent.`);
    }
    handArrow = null; // the next one is suggested again
    drawAll();
  }

  /** Correct a shot: through the outbox, or into its create when that has not left yet. */
  function change(shotId, body) {
    return adds(() => changeNow(shotId, body));
  }

  async function changeNow(shotId, body) {
    const waiting = outbox.waitingCreate(shotId);
    if (waiting) await outbox.amend(waiting, body);
    else await outbox.add({ session_id: id, kind: "update", shot_id: shotId, body });
    drawAll();
  }

  function removeShot(shotId) {
    // Not chosen any more from this moment: a touch meanwhile records a new arrow.
    if (selectedId === shotId) {
      selectedId = null;
      for (const view of views) view.setSelected(null);
    }
    return adds(() => removeNow(shotId));
  }

  async function removeNow(shotId) {
    const waiting = outbox.waitingCreate(shotId);
    if (waiting) await outbox.discard(waiting);
    else await outbox.add({ session_id: id, kind: "delete", shot_id: shotId });
    if (latestId === shotId) latestId = null;
    if (selectedId === shotId) select(null);
    drawAll();
  }

  async function move(view, shotId, point) {
    const shot = shots().find((s) => s.id === shotId);
    if (!shot) return;
    const body = { x_mm: point.x_mm, y_mm: point.y_mm };
    if (shot.target_id !== view.target.id) {
      announce("That arrow belongs to another target.");
      return;
    }
    await change(shotId, body);
    announce(`End ${shot.end_no}, arrow ${shot.end_place ?? ""} moved.`);
  }

  /** Choose a shot to correct (null: none); from the scorecard the face comes into view. */
  let chosenFrom = null; // the data-focus of the control that chose it
  function select(shotId, { reveal = false } = {}) {
    if (watch) {
      const shot = shotId && shots().find((s) => s.id === shotId);
      if (shot) watch.pick(shot);
      return;
    }
    chosenFrom = shotId ? document.activeElement.dataset?.focus : null;
    selectedId = shotId;
    for (const view of views) view.setSelected(shotId);
    drawAll();
    if (shotId && reveal) {
      const top = faceArea.getBoundingClientRect().top + window.scrollY - 8;
      if (window.scrollY > top) window.scrollTo({ top, behavior: "instant" });
    }
    if (shotId) {
      const ed = entry.querySelector(".editor");
      if (ed) ed.scrollIntoView({ block: "nearest" });
    }
  }

  // The arrow for the next shot: the whole set at once (12 or 24 wrap into rows, never
  // scrolled sideways), the one the next shot is recorded with checked.
  function drawArrowRow() {
    clear(arrowRow);
    if (!records()) return;
    const chips = h("div", { class: "arrow-chips", role: "radiogroup", "aria-label": "Arrow for the next shot" });
    const options = [...activeArrows.map((a) => [a.id, a.identifier]), ["", activeArrows.length ? "None" : "No arrow"]];
    for (const [value, label] of options) {
      const input = h("input", { type: "radio", name: "arrow", value, id: `arrow-${value || "none"}` });
      input.addEventListener("change", () => (handArrow = value));
      chips.append(h("div", { class: "chip-radio" }, input, h("label", { for: input.id }, label, h("span", { class: "visually-hidden used-word" }, " (shot in this end)"))));
    }
    chips.style.setProperty("--chips", String(options.length));
    arrowRow.append(chips);
    if (!activeArrows.length) {
      arrowRow.append(h("a", { class: "hint add-arrows", href: "/app/arrows" }, "Add your arrows"));
    }
    showArrowChoice(shots());
  }

  /** The arrow suggested for the next shot: the first of the set not shot yet in the end it
   * goes to, whatever order the others were shot in. */
  function suggestedArrow(list) {
    const used = arrowsShotIn(list, recordingEnd(list));
    const next = activeArrows.find((a) => !used.has(a.id)) || activeArrows[0];
    return next ? next.id : "";
  }

  const arrowsShotIn = (list, end) => new Set(inEnd(list, end).map((s) => s.arrow_id));

  /** What the next shot is recorded with: the archer's pick, else the suggestion — made from
   * the shots as they are now, so a reload's first drawing (the device's copy) is put right
   * by the server's answer, the outbox and the live channel as they arrive. */
  const nextArrow = (list) => handArrow ?? suggestedArrow(list);

  /** The chooser shows the arrow of the next shot and the arrows this end already has. */
  function showArrowChoice(list) {
    if (handArrow && !activeArrows.some((a) => a.id === handArrow)) handArrow = null; // retired
    const next = nextArrow(list);
    const used = arrowsShotIn(list, recordingEnd(list));
    for (const input of arrowRow.querySelectorAll("input[name=arrow]")) {
      input.checked = input.value === next;
      input.parentElement.classList.toggle("used", Boolean(input.value) && used.has(input.value));
    }
  }

  function drawEntry(list) {
    if (watch) {
      watch.drawEntry(entry);
      return;
    }
    clear(entry);
    if (!session.is_open) {
      const reopen = h("button", { type: "button" }, "Reopen session");
      const errors = errorSlot();
      reopen.addEventListener("click", () =>
        busy(reopen, async () => {
          try {
            Object.assign(session, await post(`/session/${id}/reopen`));
            reopenDone();
          } catch (err) {
            errors.show(err);
          }
        }),
      );
      entry.append(
        h("div", { class: "card" }, h("p", {}, h("strong", {}, "This session is closed."), " Shots can no longer be added here."), errors, h("div", { class: "actions" }, h("a", { class: "button primary", href: `/app/sessions/${id}` }, "See the session's statistics"), reopen)),
      );
      return;
    }
    const chosen = selectedId ? list.find((s) => s.id === selectedId) : null;
    if (chosen) {
      entry.append(editor(chosen));
      return;
    }
    const complete = showsResult(list);
    const miss = h("button", { type: "button", class: "miss", hidden: complete || keypad, "data-focus": "miss" }, "Miss");
    miss.addEventListener("click", () => busy(miss, recordMiss));
    const mode = h("button", { type: "button", class: "toggle", id: "keypad-mode", "aria-pressed": String(keypad), hidden: complete, title: "Enter scores by value: the face's values as buttons", "data-focus": "keypad-mode" }, "Keypad");
    mode.addEventListener("click", () => {
      keypad = !keypad;
      remember();
      announce(keypad ? "Keypad: tap the value of each arrow." : "Plotting: touch the face where each arrow landed.");
      drawAll();
    });
    const undo = h("button", { type: "button", "data-focus": "undo" }, "Undo");
    undo.addEventListener("click", () =>
      busy(undo, async () => {
        const all = shots();
        const last = (latestId && all.find((s) => s.id === latestId)) || all[all.length - 1];
        if (!last) return;
        await removeShot(last.id);
        announce(`End ${last.end_no}, arrow ${last.end_place ?? ""} deleted.`);
      }),
    );
    const old = h("button", { type: "button", "aria-pressed": String(!showOld), class: "toggle", title: "Hide the markers of earlier ends", "data-focus": "this-end" }, "This end only");
    old.addEventListener("click", () => {
      showOld = !showOld;
      remember();
      drawAll();
    });
    const aiming = views.some((v) => v.pending && !v.gesture);
    const keyboard = h("button", { type: "button", class: "primary", id: "record-shot", hidden: !aiming }, "Record shot");
    keyboard.addEventListener("click", () => {
      const view = views.find((v) => v.pending);
      if (view) {
        const point = view.pending;
        view.setPending(null);
        place(view, point);
      }
    });
    old.hidden = complete || keypad;
    entry.append(h("div", { class: "entry-actions" }, miss, mode, undo, old, keyboard), entryErrors);
  }

  function editor(shot) {
    const arrowSel = h("select", { "aria-label": "Arrow", "data-focus": "edit-arrow" });
    arrowSel.append(h("option", { value: "" }, "No arrow"));
    for (const a of arrows.filter((x) => x.is_active || x.id === shot.arrow_id)) {
      arrowSel.append(h("option", { value: a.id, selected: a.id === shot.arrow_id }, a.identifier));
    }
    arrowSel.addEventListener("change", () => change(shot.id, { arrow_id: arrowSel.value || null }));
    const missBtn = h("button", { type: "button", "data-focus": "edit-miss" }, "Make it a miss");
    missBtn.addEventListener("click", () => busy(missBtn, () => change(shot.id, { x_mm: null, y_mm: null })));
    const delBtn = h("button", { type: "button", class: "danger" }, "Delete");
    delBtn.addEventListener("click", () =>
      busy(delBtn, async () => {
        await removeShot(shot.id);
        announce(`End ${shot.end_no}, arrow ${shot.end_place ?? ""} deleted: its place is free for the next arrow.`);
      }),
    );
    const done = h("button", { type: "button", class: "primary" }, "Done");
    done.addEventListener("click", () => {
      const back = chosenFrom;
      select(null);
      // Back to what chose the arrow (in the end row or on the card), else to its chip.
      const to = ctx.main.querySelector(`[data-focus="${back || `end-${shot.id}`}"]`);
      if (to) to.focus({ preventScroll: true });
    });
    const arrow = shot.arrow_id ? arrowsById.get(shot.arrow_id) : null;
    return h(
      "div",
      { class: "editor", role: "group", "aria-label": `Correct end ${shot.end_no}, arrow ${shot.end_place ?? ""}` },
      h(
        "p",
        { class: "editor-title" },
        h("strong", {}, `End ${shot.end_no} · arrow ${shot.end_place ?? "…"}`),
        arrow ? ` · ${arrow.identifier}` : "",
        " · ",
        h("span", { class: `chip small ${shot.pending ? "unsent" : scoreClass(shot.label)}` }, shot.pending ? "…" : shot.label),
      ),
      h("p", { class: "hint" }, shot.x_mm === null ? `${shot.value || shot.entered_by === "value" ? "Scored by value" : "A miss"}: touch the face where it landed to place it, or give its value.` : "Drag it on the face, or touch where it landed."),
      valueRow(shot),
      h("div", { class: "editor-actions" }, arrowSel, missBtn, delBtn, done),
    );
  }

  /** Correct a shot by value: the values of the face it was scored on. */
  function valueRow(shot) {
    const target = targets.find((t) => t.id === shot.target_id);
    const spec = target && specs[target.faces[shot.face_index ?? 0]?.face_type ?? target.faces[0].face_type];
    if (!spec || !spec.values) return null;
    const row = h("div", { class: "value-row", role: "group", "aria-label": "Its value" });
    for (const value of faceValues(target, spec)) {
      const b = valueButton(spec, value, {});
      b.addEventListener("click", () => busy(b, () => change(shot.id, { value })));
      row.append(b);
    }
    return row;
  }

  // --- the keypad: the face's own values, one tap per arrow -----------------------------------
  // Made again only when the target changes (a new pass): the buttons stay under the finger.
  function drawKeypad(list) {
    const end = recordingEnd(list);
    const [target] = targetsFor(end);
    const spec = target && specs[target.faces[0].face_type];
    if (!spec || !spec.values || keypadBox.dataset.target === target.id) return;
    fillKeypad(keypadBox, target, spec, (value, spotIndex) => recordValue(target, value, spotIndex));
  }

  // --- the round's result, once it is complete ----------------------------------------------
  let lastStats = null;
  function drawResult(list) {
    clear(resultBox);
    const card = cardFromShots(list, { arrowsPerEnd: perEnd, subtotals, roundName: round, imperial });
    const figuresOf = lastStats && lastStats.round && lastStats.round.complete ? lastStats.round : null;
    const rows = [
      ["Hits", String(card.hits), "hits"],
      imperial ? ["Golds", String(card.golds), "golds"] : ["10s", String(card.ten_x_count), "tens"],
      imperial ? null : ["Xs", String(card.x_count), "xs"],
      ["Handicap", figuresOf && figuresOf.handicap !== null ? num(figuresOf.handicap, 0) : "…", "handicap"],
    ];
    resultBox.append(
      h("h2", { id: "result-h" }, `${session.round.name}: complete`),
      h("p", { class: "result-total" }, h("strong", {}, String(card.total)), ` of ${session.round.max_score}, ${card.arrows} arrows`),
      figures(rows, { class: "figures result-figures" }),
    );
    if (figuresOf && figuresOf.classification_name) {
      resultBox.append(
        h("p", { class: "classification" }, h("strong", {}, `${figuresOf.classification_name} (${figuresOf.classification})`)),
        h("p", { class: "hint meaning" }, figuresOf.classification_meaning || ""),
      );
    }
    resultBox.append(h("p", { class: "hint" }, "No more arrows: the round is shot. Tap an arrow of the card to correct it; opening your next session closes this one."));
  }

  // --- the end being shot, the queue, the scorecard, the stats -----------------------------
  /** The end just shot, kept in view for its review: after the last arrow of an end until the
   * first of the next (nothing being corrected, no earlier end being filled). */
  function reviewedEnd(list) {
    if (selectedId || fillEnd !== null || !records()) return null;
    const next = recordingEnd(list);
    if (next === null || next <= 1 || inEnd(list, next).length) return null;
    return inEnd(list, next - 1).length >= perEnd ? next - 1 : null;
  }

  /** An arrow of the end as a chip: its value, its number; a tap chooses it to correct it. */
  function shotChip(shot, placeNo) {
    const b = h(
      "button",
      {
        type: "button",
        class: `chip slot-shot ${shot.pending ? "unsent" : scoreClass(shot.label)} ${shot.id === selectedId ? "selected" : ""}`,
        "data-seq": shot.seq ?? "",
        "data-place": placeNo,
        "data-label": shot.label,
        "data-focus": `end-${shot.id}`,
      },
      h("span", { class: "visually-hidden" }, `Arrow ${placeNo}${shot.arrow_id && arrowsById.get(shot.arrow_id) ? ` (${arrowsById.get(shot.arrow_id).identifier})` : ""}: `),
      shot.pending && !shot.value ? h("span", { "aria-hidden": "true" }, "…") : shot.label,
      h("span", { class: "visually-hidden" }, shot.pending ? `${shot.value ? "," : ""} not sent yet. Correct it.` : watch ? ". Write a note on it." : ". Correct it."),
      h("span", { class: "slot-no", "aria-hidden": "true" }, numberOn(shot) || String(placeNo)),
    );
    b.addEventListener("click", () => select(shot.id === selectedId ? null : shot.id));
    return b;
  }

  function drawEnd(list) {
    clear(endBox);
    const review = reviewedEnd(list);
    const end = review ?? shownEnd(list) ?? session.round.ends;
    const mine = inEnd(list, end).sort(byPlace);
    const places = Math.max(perEnd, ...mine.map((s) => s.end_place || 0));
    // Reviewed, the end reads as on the card: high to low.
    const slots = review ? [...mine].sort(byValue).map((shot) => shotChip(shot, shot.end_place)) : endSlots(list, end, mine, places);
    const endTotal = mine.filter((s) => !s.pending).reduce((t, s) => t + s.score, 0);
    const running = list.filter((s) => !s.pending && s.end_no <= end).reduce((t, s) => t + s.score, 0);
    const all = list.filter((s) => !s.pending).reduce((t, s) => t + s.score, 0);
    endBox.dataset.end = String(end);
    if (review) endBox.dataset.review = "true";
    else delete endBox.dataset.review;
    endBox.append(
      h("h2", { id: "current-end-h" }, h("span", { class: "end-word" }, "End "), String(end), h("span", { class: "muted end-count" }, ` ${mine.length}/${perEnd}`)),
      h("div", { class: "end-chips", role: "group", "aria-label": `Arrows of end ${end}` }, slots),
      h(
        "p",
        { class: "end-sum" },
        h("span", {}, h("span", { class: "sum-word" }, "End "), h("strong", { id: "end-total" }, String(endTotal))),
        h("span", {}, h("span", { class: "sum-word" }, "Total "), h("strong", { id: "running-total", "data-through-end": running }, String(all))),
      ),
    );
    if (review) {
      const how = keypad ? "Tap a value" : "Touch the face";
      endBox.append(h("p", { class: "review-hint" }, `${how} to start end ${recordingEnd(list)}.`));
    }
    endBox.querySelector(".end-chips").style.setProperty("--places", String(places));
  }

  /** The places of the end being shot: its arrows, a free place of an earlier end ("+"). */
  function endSlots(list, end, mine, places) {
    const byPlaceNo = new Map(mine.map((s) => [s.end_place, s]));
    const slots = [];
    const unplaced = mine.filter((s) => !s.end_place);
    for (let placeNo = 1; placeNo <= places; placeNo += 1) {
      const shot = byPlaceNo.get(placeNo) || (placeNo > mine.filter((s) => s.end_place).length ? unplaced.shift() : undefined);
      if (shot) {
        slots.push(shotChip(shot, placeNo));
      } else if (records() && end !== currentEnd(list) && fillEnd !== end) {
        const b = h("button", { type: "button", class: "chip slot free", "aria-label": `Arrow ${placeNo} is free: the next arrow goes here` }, "+");
        b.addEventListener("click", () => {
          fillEnd = end;
          select(null);
          announce(`The next arrow goes to end ${end}.`);
        });
        slots.push(b);
      } else {
        slots.push(h("span", { class: "chip slot", "aria-hidden": "true" }, "·"));
      }
    }
    return slots;
  }

  function drawQueue() {
    const ops = watch ? [] : outbox.forSession(id);
    clear(queueBox);
    queueBox.hidden = !ops.length;
    if (!ops.length) return;
    const refused = ops.filter((op) => op.state === "refused");
    const waiting = ops.length - refused.length;
    queueBox.dataset.waiting = String(waiting);
    queueBox.dataset.refused = String(refused.length);
    if (waiting) {
      const why = navigator.onLine === false ? "offline" : refused.length ? "behind the refused change below" : "sending";
      queueBox.append(h("p", { class: "queue-line" }, h("strong", {}, `${waiting} ${waiting === 1 ? "change" : "changes"} waiting`), ` (${why}). They are kept on this device and sent in order.`));
    }
    for (const op of refused) queueBox.append(refusedItem(op));
  }

  function refusedItem(op) {
    const what = op.kind === "create" ? `New arrow (end ${op.body.end_no ?? op.end_no ?? "?"})` : op.kind === "update" ? "A correction" : "A deletion";
    const errors = errorSlot();
    const buttons = [];
    if (op.reason === "closed") {
      const reopen = h("button", { type: "button", class: "primary" }, "Reopen the session and send");
      reopen.addEventListener("click", () =>
        busy(reopen, async () => {
          try {
            Object.assign(session, await post(`/session/${id}/reopen`));
            reopenDone();
            for (const o of outbox.forSession(id).filter((x) => x.state === "refused")) await outbox.retry(o);
          } catch (err) {
            errors.show(err);
          }
        }),
      );
      buttons.push(reopen);
    }
    if (op.reason === "end-full" && op.kind === "create") {
      const next = h("button", { type: "button", class: "primary" }, "Put it in the next free end");
      next.addEventListener("click", () => outbox.retry(op, { end_no: undefined }));
      buttons.push(next);
    }
    const again = h("button", { type: "button" }, "Try again");
    again.addEventListener("click", () => outbox.retry(op));
    const drop = h("button", { type: "button", class: "danger" }, "Discard");
    drop.addEventListener("click", () => {
      // eslint-disable-next-line no-alert
      if (!window.confirm(`Discard this change? ${what} will not reach the server.`)) return;
      outbox.discard(op);
    });
    buttons.push(again, drop);
    return h(
      "div",
      { class: "refused error-box", role: "alert", "data-op": op.key },
      h("p", {}, h("strong", {}, `${what} was refused by the server: `), (op.error || []).join(" ")),
      errors,
      h("div", { class: "actions" }, buttons),
    );
  }

  function drawCard(list) {
    clear(cardBox);
    if (!list.length) {
      cardBox.append(
        h("h2", {}, "Scorecard"),
        h(
          "div",
          { class: "empty" },
          h("p", {}, h("strong", {}, "No shots yet.")),
          records()
            ? h("p", {}, "Touch the face where your arrow landed (or tap its value on the keypad), or start the sensors: their shots appear here as they land.")
            : h("p", {}, session.is_open ? "The arrows appear here as they are shot." : "This session has no shots."),
        ),
      );
      return;
    }
    const card = cardFromShots(list, { arrowsPerEnd: perEnd, subtotals, roundName: round, imperial });
    cardBox.append(
      scorecardTable(card, {
        order,
        currentEnd: recordingEnd(list),
        selectedId,
        onPick: records() ? (arrow) => select(arrow.id === selectedId ? null : arrow.id, { reveal: true }) : null,
        endBadge: (endNo) => notes.badge(endNo),
        onOrder: (next) => {
          order = next;
          remember();
          drawAll();
        },
      }),
    );
  }

  function drawAll() {
    keepFocus(ctx.main, drawEverything);
  }

  function drawEverything() {
    const list = shots();
    const selected = selectedId ? list.find((s) => s.id === selectedId) : null;
    if (selectedId && !selected) selectedId = null;
    const end = shownEnd(list);
    if (session.round && targetsFor(end).map((t) => t.id).join(" ") !== drawnFor) drawTargets(targetsFor(end));
    const result = session.is_open && showsResult(list);
    const byValue = records() && keypad && !selected && !result;
    faceArea.hidden = result || byValue;
    keypadBox.hidden = !byValue;
    resultBox.hidden = !result;
    arrowRow.hidden = result;
    if (byValue) drawKeypad(list);
    if (result) drawResult(list);
    if (session.round) {
      const now = roundProgress(session.round, list);
      sub.textContent = whereText(now);
      sub.dataset.complete = String(now.complete);
      ctx.main.dataset.pass = String(now.pass_no ?? "");
    }
    for (const view of views) {
      view.setSelected(selectedId);
      view.setShots(list, { currentEnd: reviewedEnd(list) ?? end, showOld, text: numberOn, latestId });
    }
    showArrowChoice(list);
    drawEnd(list);
    drawEntry(list);
    drawQueue();
    drawCard(list);
    scheduleStats();
    ctx.main.dataset.ready = "true";
  }

  function drawSoon() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => {
      drawQueued = false;
      drawAll();
    });
  }

  function drawStats(stats) {
    clear(statsBox);
    statsBox.append(h("h2", { id: "stats-h" }, "Running statistics"));
    if (!stats || !stats.arrows) {
      statsBox.append(h("p", { class: "muted" }, "The numbers appear with the first shot."));
      return;
    }
    lastStats = stats;
    if (!resultBox.hidden) drawResult(shots());
    statsBox.append(scoreFigures(stats), groupFigures(stats.group));
    const roundBox = roundFigures(stats.round);
    if (roundBox) statsBox.append(h("h3", {}, "Round"), roundBox);
  }

  // The statistics are asked for again only when the stored shots changed since.
  let statsOf = null;
  const storedState = () => `${server.size}:${[...server.values()].reduce((m, s) => (s.updated_at > m ? s.updated_at : m), "")}`;

  function scheduleStats(delay = STATS_DELAY_MS) {
    clearTimeout(statsTimer);
    statsTimer = setTimeout(async () => {
      if (navigator.onLine === false) return;
      const state = storedState();
      if (state === statsOf) return;
      try {
        statsOf = state;
        drawStats(await get(`/session/${id}/stats`, { signal: ctx.signal }));
      } catch (err) {
        statsOf = null;
        if (err.name === "AbortError" || err.offline) return;
        clear(statsBox).append(h("h2", { id: "stats-h" }, "Running statistics"), errorBox(err));
      }
    }, delay);
  }

  // --- the live channel and the outbox -------------------------------------------------
  function upsert(shot) {
    const old = server.get(shot.id);
    if (old && old.updated_at > shot.updated_at) return; // a stale copy
    server.set(shot.id, shot);
    keepShots();
  }

  function drop(shotId) {
    server.delete(shotId);
    keepShots();
  }

  // The device's copy of the shots follows every change the server confirms, not only the
  // list read at load: a reload with no network shows every arrow sent (the outbox, the rest).
  let keeping = null;
  let keepAgain = false;
  function keepShots() {
    if (keeping) {
      keepAgain = true;
      return;
    }
    const data = [...server.values()].sort((a, b) => a.seq - b.seq);
    keeping = keepCopy(`/session/${id}/shot`, { data, next_after: null })
      .catch(() => {})
      .finally(() => {
        keeping = null;
        if (keepAgain) {
          keepAgain = false;
          keepShots();
        }
      });
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "shot.created":
      case "shot.updated":
        upsert(frame.data);
        if (frame.type === "shot.created") {
          if (!latestId) latestId = frame.data.id;
          tell(frame.data);
        }
        drawSoon();
        break;
      case "shot.deleted":
        drop(frame.data.id);
        drawSoon();
        break;
      case "note.created":
        // Kept on its end's row with a badge until opened; said once, briefly.
        if (notes.receive(frame.data)) announce(`New note from ${frame.data.author_name}${frame.data.end_no ? ` on end ${frame.data.end_no}` : ""}.`);
        break;
      case "note.deleted":
        notes.remove(frame.data.id);
        break;
      case "stats.updated":
        clearTimeout(statsTimer);
        statsOf = storedState();
        drawStats(frame.data);
        break;
      case "session.closed":
        session.is_open = false;
        session.end_time = frame.data.end_time;
        if (channel) channel.stop();
        setState("closed", "session-closed");
        select(null);
        drawTargets();
        drawArrowRow();
        drawAll();
        drawActions();
        break;
      default:
        break; // heartbeat
    }
  }

  const unsubscribe = outbox.subscribe((type, detail) => {
    if (type === "sent" && detail.op.session_id === id) {
      if (detail.op.kind === "delete") drop(detail.op.shot_id);
      else if (detail.result) upsert(detail.result);
      if (detail.op.kind === "create" && detail.result) tell(detail.result);
    }
    if (type === "refused" && detail.session_id === id) announce("The server refused a change: see below the face.");
    drawSoon();
  });

  function reopenDone() {
    drawTargets();
    drawArrowRow();
    drawAll();
    drawActions();
    startChannel();
  }

  async function resync() {
    // After a reconnect the missed shots came as a replay (after=); edits and deletions made
    // meanwhile did not: the list settles them.
    try {
      const fresh = await allShots(id, { signal: ctx.signal });
      const ids = new Set(fresh.map((s) => s.id));
      for (const shotId of [...server.keys()]) if (!ids.has(shotId)) drop(shotId);
      for (const shot of fresh) upsert(shot);
      drawSoon();
    } catch {
      // The next reconnect tries again.
    }
  }

  function setState(state, detail) {
    conn.dataset.state = state;
    let text = STATE_TEXT[state] || state;
    if (state === "reconnecting" && detail) text = `Connection lost, retrying in ${detail} s…`;
    if (state === "closed") {
      text = {
        "session-closed": "Session closed",
        unauthorised: "Signed out: sign in again",
        "not-found": "Session not found",
        "access-withdrawn": "No longer shared with you",
        "bad-request": "Cannot follow this session",
      }[detail] || "Not live";
    }
    conn.textContent = text;
    if (state === "live") {
      if (everLive) resync();
      everLive = true;
      outbox.flush();
    }
    if (state === "closed" && detail === "unauthorised") {
      // The sign-in ended (here or on another device): nothing of this account stays shown.
      ctx.setMe(null).then(() => ctx.navigate(`/app/signin?next=${encodeURIComponent(location.pathname)}`, { replace: true }));
    }
  }

  function startChannel() {
    if (channel) channel.stop();
    const after = [...server.values()].reduce((m, s) => Math.max(m, s.seq), 0);
    everLive = everLive || false;
    channel = new LiveChannel(id, { after, onFrame, onState: setState });
  }

  const screen = wakeLock();
  function drawActions() {
    screen.hold(session.is_open); // the screen stays on while the session is open here
    clear(headActions);
    headActions.append(h("a", { class: "button", href: watch ? watch.detailsHref : `/app/sessions/${id}` }, "Session details"));
    if (records()) {
      const close = h("button", { type: "button", class: "danger" }, "Close session");
      const errors = errorSlot();
      close.addEventListener("click", () =>
        busy(close, async () => {
          const waiting = outbox.forSession(id).length;
          const question = waiting
            ? `${waiting} changes have not reached the server yet. Close the session anyway? They will be refused until you reopen it.`
            : "Close this session? You can reopen it later.";
          // eslint-disable-next-line no-alert
          if (!window.confirm(question)) return;
          try {
            const closed = await post(`/session/${id}/close`);
            onFrame({ type: "session.closed", data: closed });
            announce("Session closed.");
          } catch (err) {
            errors.show(err);
          }
        }),
      );
      headActions.append(close, errors);
    }
  }

  /** The server's answer after a first drawing from the device: everything brought up to date. */
  function update(now) {
    if (ctx.signal.aborted) return;
    Object.assign(session, now.session);
    perEnd = session.arrows_per_end || 6;
    const sameTargets = now.targets.length === targets.length && now.targets.every((t, i) => t.id === targets[i].id && t.updated_at === targets[i].updated_at);
    if (!sameTargets) {
      targets.splice(0, targets.length, ...now.targets);
      Object.assign(specs, now.specs || {});
      drawTargets();
    }
    setArrows(now.arrows);
    if (now.notes) notes.replace(now.notes);
    if (now.card) {
      subtotals = subtotalsOf(now.card);
      round = now.card.round_name || round;
      imperial = Boolean(now.card.imperial);
    }
    ctx.main.classList.toggle("follows", Boolean(session.round));
    const top = now.shots.reduce((m, s) => Math.max(m, s.seq), 0);
    const ids = new Set(now.shots.map((s) => s.id));
    // Gone from the server, unless it came over the live channel after this answer was made.
    for (const [shotId, shot] of server) if (!ids.has(shotId) && shot.seq <= top) drop(shotId);
    for (const shot of now.shots) upsert(shot);
    if (!session.is_open && channel) {
      channel.stop();
      setState("closed", "session-closed");
    }
    sub.textContent = subText();
    drawArrowRow();
    drawAll();
    drawActions();
  }

  const onNetwork = () => {
    drawSoon();
    if (navigator.onLine) scheduleStats(0);
  };
  window.addEventListener("online", onNetwork);
  window.addEventListener("offline", onNetwork);
  ctx.onCleanup(() => {
    document.removeEventListener("fullscreenchange", fullLeft);
    if (liveMain.classList.contains("full")) setFull(false);
    clearTimeout(statsTimer);
    screen.stop();
    if (channel) channel.stop();
    unsubscribe();
    for (const view of views) view.destroy();
    window.removeEventListener("online", onNetwork);
    window.removeEventListener("offline", onNetwork);
    ctx.main.classList.remove("live-page", "follows");
  });

  drawTargets();
  drawArrowRow();
  statsBox.append(h("h2", { id: "stats-h" }, "Running statistics"), h("p", { class: "muted" }, "Loading…"));
  drawAll();
  // Usable: the face, its markers, the end and the card are drawn; a touch records an arrow.
  performance.mark("arch-stats:ready");
  if (kept) fresh.then(update, () => {});
  scheduleStats(0);
  drawActions();
  if (session.is_open) startChannel();
  else setState("closed", "session-closed");
}
