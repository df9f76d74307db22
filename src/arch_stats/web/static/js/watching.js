// The live page of someone who may read a session but not record on it (a coach watching a
// club member, GET /session/{id}/access: may_record false). The page shows the member's face
// with the member's markers and arrow numbers, the end, the card and the notes, live; nothing
// on it records: the face takes no touch, nothing goes to the outbox, and in place of the
// chooser, the keypad, Miss and Undo there is the form a note is written with (on an end, or
// one arrow of it: a tap on the arrow's chip points the form at it).

import { qs } from "./api.js";
import { clear, h } from "./dom.js";
import { noteForm } from "./notes.js";

/** The ends a session has shot, each with the places of its arrows: [{end_no, places}]. */
function endsShot(shots) {
  const byEnd = new Map();
  for (const shot of shots) {
    if (shot.pending || !shot.end_no) continue;
    if (!byEnd.has(shot.end_no)) byEnd.set(shot.end_no, new Set());
    if (shot.end_place) byEnd.get(shot.end_no).add(shot.end_place);
  }
  return [...byEnd.keys()].sort((a, b) => a - b).map((end_no) => ({ end_no, places: [...byEnd.get(end_no)].sort((a, b) => a - b) }));
}

/**
 * What the live page delegates to while watching. `shots()`: the shots it shows; `notes`: its
 * SessionNotes.
 */
export function watchingMode({ sessionId, access, shots, notes }) {
  const who = access.archer_name;
  const form = noteForm(sessionId, {
    who,
    ends: () => endsShot(shots()),
    onSent: (note) => notes.receive(note),
  });
  return {
    /** Says whose session this is, and that nothing here is recorded. */
    banner: h("p", { class: "read-only-banner watch-banner" }, h("span", { class: "badge" }, "watching"), ` ${who}'s session: read-only, nothing you touch is recorded.`),
    /** The session page of the member's session, as their coach sees it. */
    detailsHref: `/app/sessions/${sessionId}${qs({ archer: access.archer_id, name: who })}`,
    /** In place of the recording controls: the note form (kept while drawn again, so that
     * a note being typed keeps its focus when an arrow lands). */
    drawEntry(entry) {
      if (form.parentNode !== entry) clear(entry).append(form);
      form.refresh();
    },
    /** A tap on an arrow's chip: the note is about that arrow. */
    pick(shot) {
      form.pick(shot.end_no, shot.end_place);
    },
  };
}
