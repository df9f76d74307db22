// A session shot to a round, on the device: where the next arrow goes and at which of the
// round's targets, from the session's plan (`session.round`, GET /session/{id}) and the shots
// the page holds (sent or waiting in the outbox), so that the page follows the round offline
// too. The rule is the server's (rounds/plan.py, definitions/shot_insert.sql): the first free
// place of the current end (the highest), else the next end; past the round's last end, the
// first end with a free place (an arrow deleted earlier). Complete: every place holds an arrow.

/** end → bit mask of the places taken (place p: bit p - 1). */
export function taken(shots) {
  const masks = new Map();
  for (const shot of shots) {
    if (!shot.end_no || !shot.end_place) continue;
    masks.set(shot.end_no, (masks.get(shot.end_no) || 0) | (1 << (shot.end_place - 1)));
  }
  return masks;
}

function firstFree(mask, perEnd) {
  for (let place = 1; place <= perEnd; place += 1) if (!(mask & (1 << (place - 1)))) return place;
  return null;
}

/** {end, place} of the next arrow; null when a round (`lastEnd`) has no free place left. */
export function nextPosition(perEnd, lastEnd, masks) {
  const full = (1 << perEnd) - 1;
  const cur = Math.max(0, ...masks.keys());
  if (cur && (masks.get(cur) & full) !== full) return { end: cur, place: firstFree(masks.get(cur), perEnd) };
  if (lastEnd === null || cur + 1 <= lastEnd) return { end: cur + 1, place: 1 };
  for (let end = 1; end <= lastEnd; end += 1) {
    const mask = masks.get(end) || 0;
    if ((mask & full) !== full) return { end, place: firstFree(mask, perEnd) };
  }
  return null;
}

/** The pass of the plan an end belongs to (index, pass), or null. */
export function passOf(plan, end) {
  const i = plan.passes.findIndex((p) => p.first_end <= end && end <= p.last_end);
  return i < 0 ? null : { index: i, pass: plan.passes[i] };
}

/** Where the archer is, as the server's `progress` says it (computed here from `shots`). */
export function progress(plan, shots) {
  const next = nextPosition(plan.arrows_per_end, plan.ends, taken(shots));
  const counted = shots.filter((s) => s.end_no && s.end_place).length;
  const out = {
    arrows_shot: counted,
    arrows_total: plan.n_arrows,
    arrows_left: Math.max(plan.n_arrows - counted, 0),
    complete: next === null,
    passes: plan.passes.length,
    arrows_per_end: plan.arrows_per_end,
  };
  if (!next) return out;
  const found = passOf(plan, next.end);
  const p = found.pass;
  return {
    ...out,
    pass_no: found.index + 1,
    distance_label: p.distance_label,
    face_type: p.face_type,
    face_label: p.face_label,
    target_id: p.target_id,
    end_no: next.end,
    end_of_pass: next.end - p.first_end + 1,
    ends_in_pass: p.last_end - p.first_end + 1,
    arrow_of_end: next.place,
  };
}

/** "50 m · 80 cm · end 2 of 6 · arrow 4 of 6 · 63 arrows left". */
export function whereText(now) {
  if (now.complete) return `Round complete: ${now.arrows_shot} of ${now.arrows_total} arrows`;
  const left = `${now.arrows_left} ${now.arrows_left === 1 ? "arrow" : "arrows"} left`;
  return [now.distance_label, now.face_label, `end ${now.end_of_pass} of ${now.ends_in_pass}`, `arrow ${now.arrow_of_end} of ${now.arrows_per_end}`, left].join(" · ");
}

/** The spots of a face for the keypad, by name: one row of values each. */
export function spotNames(spec) {
  const n = spec.spots.length;
  if (n < 2) return [null];
  const vertical = spec.spots.every((s) => s.x_mm === spec.spots[0].x_mm);
  if (vertical && n === 3) return ["Top", "Middle", "Bottom"];
  if (n === 3) return ["Top", "Left", "Right"];
  return spec.spots.map((_, i) => `Spot ${i + 1}`);
}
