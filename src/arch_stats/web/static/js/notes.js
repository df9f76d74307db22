// Notes on a session, anchored to their end (and optionally one arrow of it): a badge on the
// end's row of the scorecard until the reader opens them, the text one tap away, read per
// reader (POST /note/{id}/read). Shared by the live page (the archer's and a coach's) and the
// session page; new notes come live as `note.created` frames.

import { post } from "./api.js";
import { busy, clear, errorSlot, field, h } from "./dom.js";
import { dateTime } from "./format.js";

const arrowText = (note) => (note.end_place ? `arrow ${note.end_place}` : "");

/** A session's notes as one reader sees them. `onChange()` after every change. */
export class SessionNotes {
  constructor(sessionId, me, notes = [], onChange = () => {}) {
    this.sessionId = sessionId;
    this.me = me;
    this.onChange = onChange;
    this.byId = new Map();
    this.replace(notes);
  }

  /** Everything as the server has it now (each one's read state is this reader's). */
  replace(notes) {
    this.byId.clear();
    for (const note of notes || []) this.byId.set(note.id, note);
  }

  /** A note that came live: read if this reader wrote it (the frame says unread to all). */
  receive(note) {
    const had = this.byId.get(note.id);
    const read = Boolean(had && had.read) || note.read || Boolean(this.me && note.author_id === this.me.id);
    this.byId.set(note.id, { ...note, read });
    this.onChange();
    return !had && !read;
  }

  remove(noteId) {
    if (this.byId.delete(noteId)) this.onChange();
  }

  all() {
    return [...this.byId.values()].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  forEnd(endNo) {
    return this.all().filter((n) => n.end_no === endNo);
  }

  /** Opened: read by this reader from now on (on the server too; tried again next time if it failed). */
  async markRead(notes) {
    const unread = notes.filter((n) => !n.read);
    if (!unread.length) return;
    const done = await Promise.allSettled(unread.map((n) => post(`/note/${n.id}/read`)));
    for (const result of done) if (result.status === "fulfilled" && this.byId.has(result.value.id)) this.byId.set(result.value.id, result.value);
    this.onChange();
  }

  /** The end row's badge: "N new" until read, then a quiet "note" (the text one tap away). */
  badge(endNo) {
    const notes = this.forEnd(endNo);
    if (!notes.length) return null;
    const unread = notes.filter((n) => !n.read).length;
    const shown = unread ? `${unread} new` : notes.length === 1 ? "note" : `${notes.length} notes`;
    const rest = unread ? ` ${unread === 1 ? "note" : "notes"} on end ${endNo}: open` : ` on end ${endNo}: open again`;
    const button = h(
      "button",
      { type: "button", class: `note-badge${unread ? " unread" : ""}`, "data-focus": `notes-${endNo}`, "data-end": endNo, "data-unread": unread },
      shown,
      h("span", { class: "visually-hidden" }, rest),
    );
    button.addEventListener("click", () => this.open(endNo));
    return button;
  }

  /** The end's notes in a dialog; opening them marks them read. */
  open(endNo) {
    const notes = this.forEnd(endNo);
    const close = h("button", { type: "button", class: "primary", "data-focus": "notes-close" }, "Close");
    const dialog = h(
      "dialog",
      { class: "notes-dialog", "aria-labelledby": "notes-dialog-h" },
      h("h2", { id: "notes-dialog-h" }, `Notes on end ${endNo}`),
      h("ol", { class: "notes-list" }, notes.map((note) => noteItem(note))),
      h("div", { class: "actions" }, close),
    );
    const done = () => {
      dialog.close();
      dialog.remove();
      const back = document.querySelector(`[data-focus="notes-${endNo}"]`);
      if (back) back.focus({ preventScroll: true });
    };
    close.addEventListener("click", done);
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      done();
    });
    document.body.append(dialog);
    dialog.showModal();
    close.focus();
    this.markRead(notes);
  }
}

/** One note as a list item: who, when, which end and arrow, what. `extra`: e.g. a Delete button. */
export function noteItem(note, extra = null) {
  const anchor = [note.end_no ? `end ${note.end_no}` : "", arrowText(note)].filter(Boolean).join(", ");
  return h(
    "li",
    { class: `note${note.read ? "" : " unread"}`, "data-note-id": note.id },
    h("p", { class: "note-head" }, h("strong", {}, note.author_name), anchor ? h("span", { class: "badge" }, anchor) : null, h("span", { class: "sub" }, ` ${dateTime(note.created_at)}`), extra),
    h("p", { class: "note-body" }, note.body),
  );
}

/**
 * The form a watcher writes a note with, on an end the session has shot and optionally one
 * arrow of it. `ends()`: the ends shot, each {end_no, places: [place, …]}; `pick(end, place)`
 * points it at an arrow (a tap on the arrow's chip). `onSent(note)` once the server has it.
 * `who`: the archer's name.
 */
export function noteForm(sessionId, { who, ends, onSent }) {
  const body = h("textarea", { name: "body", rows: "2", maxlength: "2000", required: true, "data-focus": "note-body" });
  const endSel = h("select", { name: "end_no", "data-focus": "note-end" });
  const placeSel = h("select", { name: "end_place", "data-focus": "note-arrow" });
  const send = h("button", { type: "submit", class: "primary", "data-focus": "note-send" }, "Send note");
  const errors = errorSlot();
  const hint = h("p", { class: "hint", hidden: true }, "A note is written on an end: the first arrow opens end 1.");
  // Said beside the button, not in a toast over the card.
  const sent = h("p", { class: "hint note-sent", role: "status" });
  let chosen = null; // {end, place} the watcher picked; else the last end shot, the whole end

  function fill() {
    const shot = ends();
    const want = chosen && shot.some((e) => e.end_no === chosen.end) ? chosen : { end: shot.length ? shot[shot.length - 1].end_no : null, place: null };
    clear(endSel).append(...shot.map((e) => h("option", { value: String(e.end_no), selected: e.end_no === want.end }, `End ${e.end_no}`)));
    const places = (shot.find((e) => e.end_no === want.end) || { places: [] }).places;
    clear(placeSel).append(h("option", { value: "" }, "The whole end"), ...places.map((p) => h("option", { value: String(p), selected: p === want.place }, `Arrow ${p}`)));
    send.disabled = !shot.length;
    hint.hidden = Boolean(shot.length);
  }
  endSel.addEventListener("change", () => {
    chosen = { end: Number(endSel.value), place: null };
    fill();
  });
  placeSel.addEventListener("change", () => (chosen = { end: Number(endSel.value), place: placeSel.value ? Number(placeSel.value) : null }));
  body.addEventListener("input", () => (sent.textContent = ""));

  const form = h(
    "form",
    { class: "note-form watch-note", "aria-labelledby": "note-form-h" },
    h("h2", { id: "note-form-h" }, `A note to ${who}`),
    field("Note", body),
    h("div", { class: "note-anchor" }, field("End", endSel), field("Arrow", placeSel)),
    hint,
    errors,
    h("div", { class: "actions" }, send, sent),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(send, async () => {
      try {
        const note = await post(`/session/${sessionId}/note`, { body: body.value, end_no: Number(endSel.value), end_place: placeSel.value ? Number(placeSel.value) : null });
        body.value = "";
        errors.show(null);
        sent.textContent = `Sent to ${who} (end ${note.end_no}${note.end_place ? `, arrow ${note.end_place}` : ""}).`;
        onSent(note);
      } catch (err) {
        errors.show(err);
      }
    });
  });
  form.refresh = fill;
  form.pick = (end, place) => {
    chosen = { end, place };
    fill();
    body.focus({ preventScroll: false });
  };
  fill();
  return form;
}
