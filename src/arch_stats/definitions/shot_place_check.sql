-- A shot moved to another place or session must stay within that session's arrows per end
-- (inserts are checked by shot_insert_totals, a lower arrows per end by
-- session_arrows_per_end_check).

CREATE OR REPLACE FUNCTION shot_place_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.end_place > (SELECT arrows_per_end FROM session WHERE id = NEW.session_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            CONSTRAINT = 'shot_end_place_within_end',
            MESSAGE = format('place %s of end %s is beyond the session''s arrows per end',
                             NEW.end_place, NEW.end_no);
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER shot_place_check BEFORE UPDATE OF end_place, session_id ON shot
    FOR EACH ROW
    WHEN (NEW.end_place IS DISTINCT FROM OLD.end_place
          OR NEW.session_id IS DISTINCT FROM OLD.session_id)
    EXECUTE FUNCTION shot_place_check();
