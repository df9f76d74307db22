-- migrate:up

-- Notes anchored to their end and read per reader (issue 21): a coach's note was a toast on
-- the archer's live page, gone with the next arrow. A note now names its end and, optionally,
-- one arrow of it (its place in the end, fixed when the arrow was recorded), and each reader
-- (the archer, another coach) has read it or not: the live page and the session page show a
-- badge on the end's row until the reader opens it. The author has read their own note
-- without a row here. Which ends a note may name (those shot) is the service's rule: shots
-- come and go, an anchor stays.
ALTER TABLE coach_note
    ADD COLUMN end_place integer CHECK (end_place >= 1),
    ADD CONSTRAINT coach_note_place_in_an_end CHECK (end_place IS NULL OR end_no IS NOT NULL);

CREATE TABLE coach_note_read (
    note_id   uuid NOT NULL REFERENCES coach_note (id) ON DELETE CASCADE,
    reader_id uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    read_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (note_id, reader_id)
);
-- An account deleted: its reads go with it (the key above serves the notes' side).
CREATE INDEX coach_note_read_reader_idx ON coach_note_read (reader_id);

-- migrate:down

DROP TABLE coach_note_read;
ALTER TABLE coach_note
    DROP CONSTRAINT coach_note_place_in_an_end,
    DROP COLUMN end_place;
