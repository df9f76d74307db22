-- A competition end the archer has confirmed (signed, `competition_end`) keeps its arrows:
-- a shot of it is neither changed nor deleted, whoever asks (the bale's scorer, the archer's
-- own phone, a script), until the archer or an organiser takes the confirmation back
-- (competitions/service.py). New arrows cannot join it either: only a complete end is
-- confirmed, and the writer of shots fills no full end.
--
-- Only the shot's scoring columns count (a rescore that changes nothing passes), and a shot
-- deleted with its session (an account or session removed) is not held back.

CREATE OR REPLACE FUNCTION competition_end_locked() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    who text;
BEGIN
    IF TG_OP = 'UPDATE'
       AND (NEW.score, NEW.is_x, NEW.end_no, NEW.x_mm, NEW.y_mm, NEW.face_index, NEW.spot_index)
           IS NOT DISTINCT FROM
           (OLD.score, OLD.is_x, OLD.end_no, OLD.x_mm, OLD.y_mm, OLD.face_index, OLD.spot_index)
    THEN
        RETURN NEW;
    END IF;
    SELECT a.name INTO who
    FROM competition_entry e
    JOIN competition_end ce ON ce.entry_id = e.id AND ce.end_no = OLD.end_no
    JOIN archer a ON a.id = e.archer_id
    WHERE e.session_id = OLD.session_id
      AND EXISTS (SELECT 1 FROM session s WHERE s.id = OLD.session_id);
    IF FOUND THEN
        RAISE EXCEPTION 'end % is confirmed by %: the archer or an organiser must release it '
                        'before its arrows change', OLD.end_no, who
            USING ERRCODE = 'check_violation', CONSTRAINT = 'competition_end_confirmed';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER competition_end_locked BEFORE UPDATE OR DELETE ON shot
    FOR EACH ROW EXECUTE FUNCTION competition_end_locked();
