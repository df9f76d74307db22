// The live page: the target drawn to scale, every shot appearing where it landed (WebSocket),
// shots entered by hand with a tap on the face, the current end, the scorecard and the
// running statistics.

import { del, face as getFace, get, post } from "../api.js";
import { announce, busy, clear, errorBox, errorSlot, h } from "../dom.js";
import { TargetView } from "../face.js";
import { LiveChannel } from "../channel.js";
import { endsFromShots, groupFigures, roundFigures, scoreChip, scoreFigures, scorecard } from "../components.js";
import { dateTime, sessionTitle } from "../format.js";
import { targetEditor } from "./sessions.js";

const STATS_DELAY_MS = 700;

const STATE_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Connection lost, reconnecting…",
  closed: "Not live",
};

export async function livePage(ctx) {
  const id = ctx.params[0];
  const [session, targets, shotList, arrows] = await Promise.all([
    get(`/session/${id}`, { signal: ctx.signal }),
    get(`/session/${id}/target`, { signal: ctx.signal }),
    get(`/session/${id}/shot`, { signal: ctx.signal }),
    get("/arrow?include_retired=true", { signal: ctx.signal }),
  ]);
  document.title = `Live: ${sessionTitle(session)} · Arch Stats`;
  const specs = {};
  await Promise.all(
    [...new Set(targets.flatMap((t) => t.faces.map((f) => f.face_type)))].map(async (type) => {
      specs[type] = await getFace(type);
    }),
  );

  const arrowsById = new Map(arrows.map((a) => [a.id, a]));
  const activeArrows = arrows.filter((a) => a.is_active).sort((a, b) => a.identifier.localeCompare(b.identifier, undefined, { numeric: true }));
  const shots = new Map(shotList.map((shot) => [shot.id, shot]));
  let latestId = null;
  let channel = null;
  let statsTimer = null;
  let everLive = false;

  // --- layout ---------------------------------------------------------------------------
  const conn = h("p", { class: "conn", id: "conn", role: "status", "data-state": "connecting" }, STATE_TEXT.connecting);
  const headActions = h("div", { class: "actions" });
  const faceArea = h("section", { class: "face-area", "aria-label": "Target" });
  const entry = h("section", { class: "entry card", "aria-label": "Enter a shot by hand" });
  const endBox = h("section", { class: "current-end card", "aria-labelledby": "current-end-h" });
  const cardBox = h("section", { class: "card", "aria-label": "Scorecard" });
  const statsBox = h("section", { class: "card running-stats", "aria-labelledby": "stats-h" });
  const pageErrors = errorSlot();

  ctx.main.dataset.page = "live";
  ctx.main.append(
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, h("span", { class: "muted" }, "Live · "), sessionTitle(session)),
        h("p", { class: "sub" }, dateTime(session.start_time), session.round_code ? ` · ${session.round_code}` : "", ` · ${session.arrows_per_end} arrows per end`),
      ),
      conn,
    ),
    pageErrors,
    h("div", { class: "live-layout" }, h("div", { class: "live-main" }, faceArea, entry), h("div", { class: "live-side" }, endBox, cardBox, statsBox, headActions)),
  );

  // --- the target(s) --------------------------------------------------------------------
  const views = [];
  const ZOOMS = [1, 1.5, 2, 3, 4];
  let zoomAt = 0;
  const zoomOut = h("button", { type: "button", "aria-label": "Zoom out" }, "−");
  const zoomIn = h("button", { type: "button", "aria-label": "Zoom in" }, "+");
  const zoomShown = h("output", { "aria-live": "polite" }, "1×");
  const zoomBar = h("div", { class: "zoom", role: "group", "aria-label": "Zoom on the face" }, zoomOut, zoomShown, zoomIn);
  function zoomTo(index) {
    zoomAt = Math.min(Math.max(index, 0), ZOOMS.length - 1);
    for (const view of views) view.setZoom(ZOOMS[zoomAt]);
    zoomShown.textContent = `${ZOOMS[zoomAt]}×`;
    zoomOut.disabled = zoomAt === 0;
    zoomIn.disabled = zoomAt === ZOOMS.length - 1;
  }
  zoomOut.addEventListener("click", () => zoomTo(zoomAt - 1));
  zoomIn.addEventListener("click", () => zoomTo(zoomAt + 1));
  let pending = null; // {view, point}

  function drawTargets() {
    clear(faceArea);
    views.length = 0;
    if (!targets.length) {
      drawAddTarget().catch((err) => faceArea.append(errorBox(err)));
      return;
    }
    for (const target of targets) {
      const view = new TargetView({
        target,
        specs,
        title: `Target${target.lane !== null ? ` on lane ${target.lane}` : ""}: ${target.faces.map((f) => specs[f.face_type]?.name || f.face_type).join(", ")}`,
        onPick: session.is_open ? (point) => choose(view, point) : null,
        onConfirm: session.is_open ? () => record() : null,
      });
      views.push(view);
      faceArea.append(h("div", { class: "target-wrap" }, view.svg));
    }
    faceArea.append(zoomBar);
    zoomTo(zoomAt);
  }

  async function drawAddTarget() {
    const editor = await targetEditor();
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

  // --- hand entry -----------------------------------------------------------------------
  const record_ = h("button", { type: "button", class: "primary big", id: "record-shot", disabled: true }, "Record shot");
  const miss = h("button", { type: "button", class: "big" }, "Record a miss");
  const undo = h("button", { type: "button" }, "Undo last shot");
  const cancel = h("button", { type: "button", hidden: true }, "Cancel");
  const where = h("p", { class: "where", "aria-live": "polite" }, "Tap the face where the arrow landed.");
  const entryErrors = errorSlot();
  const chips = h("div", { class: "arrow-chips", role: "radiogroup", "aria-label": "Arrow" });
  let chosenArrow = null; // id, or "" for none
  const nudges = h(
    "div",
    { class: "nudge", hidden: true, role: "group", "aria-label": "Move the point by 5 mm" },
    [["←", "left", -5, 0], ["↑", "up", 0, 5], ["↓", "down", 0, -5], ["→", "right", 5, 0]].map(([sym, word, dx, dy]) =>
      h("button", { type: "button", "aria-label": `Move ${word}`, onclick: () => pending && pending.view.nudge(dx, dy) }, sym),
    ),
  );

  function drawChips() {
    clear(chips);
    const options = [...activeArrows.map((a) => [a.id, a.identifier]), ["", "No arrow"]];
    for (const [value, label] of options) {
      const input = h("input", { type: "radio", name: "arrow", value, id: `arrow-${value || "none"}`, checked: value === chosenArrow });
      input.addEventListener("change", () => (chosenArrow = value));
      chips.append(h("div", { class: "chip-radio" }, input, h("label", { for: input.id }, label)));
    }
  }

  function suggestArrow() {
    // The next arrow of the end that has not been shot in it yet (A01, A02, … in order).
    const end = currentEnd();
    const used = new Set([...shots.values()].filter((s) => s.end_no === end).map((s) => s.arrow_id));
    const next = activeArrows.find((a) => !used.has(a.id)) || activeArrows[0];
    chosenArrow = next ? next.id : "";
    drawChips();
  }

  function choose(view, point) {
    for (const other of views) if (other !== view) other.setPending(null);
    pending = { view, point };
    record_.disabled = false;
    cancel.hidden = false;
    nudges.hidden = false;
    where.textContent = `Point chosen: ${point.x_mm.toFixed(0)} mm from the left, ${point.y_mm.toFixed(0)} mm from the bottom. Choose the arrow and record.`;
  }

  function clearPending() {
    pending = null;
    for (const view of views) view.setPending(null);
    record_.disabled = true;
    cancel.hidden = true;
    nudges.hidden = true;
    where.textContent = "Tap the face where the arrow landed.";
  }

  async function record() {
    if (!pending) return;
    const { view, point } = pending;
    await busy(record_, async () => {
      entryErrors.show(null);
      const body = { session_id: id, target_id: view.target.id, x_mm: point.x_mm, y_mm: point.y_mm };
      if (chosenArrow) body.arrow_id = chosenArrow;
      try {
        const shot = await post("/shot", body);
        upsert(shot);
        latestId = shot.id;
        clearPending();
        suggestArrow();
        drawAll();
        announce(`Shot ${shot.seq}: ${shot.label}`);
      } catch (err) {
        entryErrors.show(err);
      }
    });
  }
  record_.addEventListener("click", record);
  cancel.addEventListener("click", clearPending);
  miss.addEventListener("click", () =>
    busy(miss, async () => {
      entryErrors.show(null);
      if (!targets.length) return;
      const body = { session_id: id, target_id: (pending ? pending.view.target : targets[0]).id };
      if (chosenArrow) body.arrow_id = chosenArrow;
      try {
        const shot = await post("/shot", body);
        upsert(shot);
        latestId = shot.id;
        clearPending();
        suggestArrow();
        drawAll();
        announce(`Shot ${shot.seq}: miss`);
      } catch (err) {
        entryErrors.show(err);
      }
    }),
  );
  undo.addEventListener("click", () =>
    busy(undo, async () => {
      const last = [...shots.values()].sort((a, b) => b.seq - a.seq)[0];
      if (!last) return;
      // eslint-disable-next-line no-alert
      if (!window.confirm(`Delete shot ${last.seq} (${last.label})?`)) return;
      entryErrors.show(null);
      try {
        await del(`/shot/${last.id}`);
        shots.delete(last.id);
        suggestArrow();
        drawAll();
        announce(`Shot ${last.seq} deleted.`);
      } catch (err) {
        entryErrors.show(err);
      }
    }),
  );

  function drawEntry() {
    clear(entry);
    if (!session.is_open) {
      const reopen = h("button", { type: "button" }, "Reopen session");
      const errors = errorSlot();
      reopen.addEventListener("click", () =>
        busy(reopen, async () => {
          try {
            Object.assign(session, await post(`/session/${id}/reopen`));
            drawTargets();
            drawAll();
            drawEntry();
            startChannel();
          } catch (err) {
            errors.show(err);
          }
        }),
      );
      entry.append(
        h("p", {}, h("strong", {}, "This session is closed."), " Shots can no longer be added here."),
        errors,
        h("div", { class: "actions" }, h("a", { class: "button primary", href: `/app/sessions/${id}` }, "See the session's statistics"), reopen),
      );
      return;
    }
    entry.append(
      h("h2", { class: "visually-hidden" }, "Enter a shot by hand"),
      where,
      h("fieldset", { class: "arrow-pick" }, h("legend", {}, "Arrow"), chips),
      nudges,
      entryErrors,
      h("div", { class: "actions" }, record_, cancel, miss, undo),
    );
    if (!activeArrows.length) {
      entry.append(h("p", { class: "hint" }, "No arrows yet: shots are recorded without one. ", h("a", { href: "/app/arrows" }, "Add your arrows"), " to tell them apart."));
    }
  }

  // --- scorecard, current end, stats ----------------------------------------------------
  function sorted() {
    return [...shots.values()].sort((a, b) => a.seq - b.seq);
  }

  function currentEnd() {
    const list = sorted();
    if (!list.length) return 1;
    const last = list[list.length - 1].end_no;
    const inLast = list.filter((s) => s.end_no === last).length;
    return inLast >= session.arrows_per_end && session.is_open ? last + 1 : last;
  }

  function drawAll() {
    const list = sorted();
    const end = currentEnd();
    const lastShot = list[list.length - 1];
    const shown = list.some((s) => s.end_no === end) || !lastShot ? end : lastShot.end_no;
    for (const view of views) view.setShots(list, { currentEnd: shown, arrowsById, latestId });
    const ends = endsFromShots(list);
    const inEnd = list.filter((s) => s.end_no === end);

    clear(endBox);
    const slots = Array.from({ length: Math.max(session.arrows_per_end, inEnd.length) }, (_, i) =>
      inEnd[i] ? scoreChip(inEnd[i].label, { "data-seq": inEnd[i].seq }) : h("span", { class: "chip slot", "aria-hidden": "true" }, "·"),
    );
    const endTotal = inEnd.reduce((t, s) => t + s.score, 0);
    endBox.append(
      h("h2", { id: "current-end-h" }, `End ${end}`, h("span", { class: "muted" }, ` · ${inEnd.length} of ${session.arrows_per_end} arrows`)),
      h("div", { class: "end-chips", "aria-label": `Scores of end ${end}` }, slots),
      h("p", { class: "end-sum" }, "End total ", h("strong", { id: "end-total" }, String(endTotal)), " · Running total ", h("strong", { id: "running-total" }, String(list.reduce((t, s) => t + s.score, 0)))),
    );

    clear(cardBox);
    if (!list.length) {
      cardBox.append(
        h("h2", {}, "Scorecard"),
        h(
          "div",
          { class: "empty" },
          h("p", {}, h("strong", {}, "No shots yet.")),
          session.is_open
            ? h("p", {}, "Tap the face where your arrow landed and record it, or start the sensors: their shots appear here as they land.")
            : h("p", {}, "This session has no shots."),
        ),
      );
    } else {
      cardBox.append(scorecard(ends, session.arrows_per_end, { currentEnd: end }));
    }
    scheduleStats();
  }

  function drawStats(stats) {
    clear(statsBox);
    statsBox.append(h("h2", { id: "stats-h" }, "Running statistics"));
    if (!stats || !stats.arrows) {
      statsBox.append(h("p", { class: "muted" }, "The numbers appear with the first shot."));
      return;
    }
    statsBox.append(scoreFigures(stats), groupFigures(stats.group));
    const round = roundFigures(stats.round);
    if (round) statsBox.append(h("h3", {}, "Round"), round);
  }

  function scheduleStats(delay = STATS_DELAY_MS) {
    clearTimeout(statsTimer);
    statsTimer = setTimeout(async () => {
      try {
        drawStats(await get(`/session/${id}/stats`, { signal: ctx.signal }));
      } catch (err) {
        if (err.name === "AbortError") return;
        clear(statsBox).append(h("h2", { id: "stats-h" }, "Running statistics"), errorBox(err));
      }
    }, delay);
  }

  // --- the live channel -----------------------------------------------------------------
  function upsert(shot) {
    const old = shots.get(shot.id);
    if (old && old.updated_at > shot.updated_at) return; // a stale copy
    shots.set(shot.id, shot);
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "shot.created":
      case "shot.updated":
        upsert(frame.data);
        if (frame.type === "shot.created") latestId = frame.data.id;
        if (!pending) suggestArrow();
        drawAll();
        break;
      case "shot.deleted":
        shots.delete(frame.data.id);
        drawAll();
        break;
      case "stats.updated":
        clearTimeout(statsTimer);
        drawStats(frame.data);
        break;
      case "session.closed":
        session.is_open = false;
        session.end_time = frame.data.end_time;
        if (channel) channel.stop();
        setState("closed", "session-closed");
        clearPending();
        drawTargets();
        drawAll();
        drawEntry();
        drawActions();
        break;
      default:
        break; // heartbeat
    }
  }

  async function resync() {
    // After a reconnect the missed shots came as a replay (after=); edits and deletions made
    // meanwhile did not: the list settles them.
    try {
      const fresh = await get(`/session/${id}/shot`, { signal: ctx.signal });
      const top = fresh.reduce((m, s) => Math.max(m, s.seq), 0);
      const ids = new Set(fresh.map((s) => s.id));
      for (const [shotId, shot] of shots) if (shot.seq <= top && !ids.has(shotId)) shots.delete(shotId);
      for (const shot of fresh) upsert(shot);
      drawAll();
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
        "bad-request": "Cannot follow this session",
      }[detail] || "Not live";
    }
    conn.textContent = text;
    if (state === "live") {
      if (everLive) resync();
      everLive = true;
    }
    if (state === "closed" && detail === "unauthorised") {
      ctx.navigate(`/app/signin?next=${encodeURIComponent(location.pathname)}`, { replace: true });
    }
  }

  function startChannel() {
    if (channel) channel.stop();
    const after = [...shots.values()].reduce((m, s) => Math.max(m, s.seq), 0);
    channel = new LiveChannel(id, { after, onFrame, onState: setState });
  }

  function drawActions() {
    clear(headActions);
    headActions.append(h("a", { class: "button", href: `/app/sessions/${id}` }, "Session details"));
    if (session.is_open) {
      const close = h("button", { type: "button", class: "danger" }, "Close session");
      const errors = errorSlot();
      close.addEventListener("click", () =>
        busy(close, async () => {
          // eslint-disable-next-line no-alert
          if (!window.confirm("Close this session? You can reopen it later.")) return;
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

  ctx.onCleanup(() => {
    clearTimeout(statsTimer);
    if (channel) channel.stop();
  });

  drawTargets();
  suggestArrow();
  drawEntry();
  statsBox.append(h("h2", { id: "stats-h" }, "Running statistics"), h("p", { class: "muted" }, "Loading…"));
  drawAll();
  scheduleStats(0);
  drawActions();
  if (session.is_open) startChannel();
  else setState("closed", "session-closed");
}
