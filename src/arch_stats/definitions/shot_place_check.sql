-- A shot moved to another end, place or session must stay within that session's arrows per end
-- and, in a session that follows its round, within the ends of its target's part of the round
-- (`target.first_end` … `last_end`: a shot scored on the 122 cm face cannot move into the ends
-- shot on the 80 cm one). Inserts are checked by shot_insert_totals (and shot_insert), a lower
-- arrows per end by session_arrows_per_end_check.

CREATE OR REPLACE FUNCTION shot_place_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    s session;
    t target;
BEGIN
    SELECT * INTO s FROM session WHERE id = NEW.session_id;
    IF NEW.end_place > s.arrows_per_end THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            CONSTRAINT = 'shot_end_place_within_end',
            MESSAGE = format('place %s of end %s is beyond the session''s arrows per end',
                             NEW.end_place, NEW.end_no);
    END IF;
    IF s.round_arrows IS NOT NULL THEN
        SELECT * INTO t FROM target WHERE id = NEW.target_id;
        IF t.first_end IS NULL OR NEW.end_no NOT BETWEEN t.first_end AND t.last_end THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                CONSTRAINT = 'shot_wrong_target',
                MESSAGE = format('end %s is not shot at this arrow''s target (%s m, ends %s to '
                                 '%s of the round)', NEW.end_no, t.distance_m, t.first_end,
                                 t.last_end);
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER shot_place_check BEFORE UPDATE OF end_no, end_place, session_id, target_id
    ON shot FOR EACH ROW
    WHEN (NEW.end_place IS DISTINCT FROM OLD.end_place
          OR NEW.end_no IS DISTINCT FROM OLD.end_no
          OR NEW.session_id IS DISTINCT FROM OLD.session_id
          OR NEW.target_id IS DISTINCT FROM OLD.target_id)
    EXECUTE FUNCTION shot_place_check();
