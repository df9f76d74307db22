-- migrate:up

-- Issue 22: a range timer may be a competition's, made from the competition's page; the
-- competition's bale and results pages then show its phase. Of the timer's own club only
-- (the pair refers to the competition's (id, club_id)); it goes with the competition.
-- NULL: a club's timer, as before.
ALTER TABLE range_timer ADD COLUMN competition_id uuid;
ALTER TABLE range_timer ADD CONSTRAINT range_timer_competition_fkey
    FOREIGN KEY (competition_id, club_id) REFERENCES competition (id, club_id) ON DELETE CASCADE;
CREATE INDEX range_timer_competition_idx ON range_timer (competition_id)
    WHERE competition_id IS NOT NULL;

-- migrate:down

ALTER TABLE range_timer DROP COLUMN competition_id;
