-- Lowering a session's arrows per end is refused while an end of it has an arrow in a place
-- beyond the new number (the other checks of a shot's place: shot_place_check,
-- shot_insert_totals).

CREATE OR REPLACE FUNCTION session_arrows_per_end_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    most smallint;
BEGIN
    SELECT max(end_place) INTO most FROM shot WHERE session_id = NEW.id;
    IF most > NEW.arrows_per_end THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            CONSTRAINT = 'shot_end_place_within_end',
            MESSAGE = format('arrows_per_end: an end of this session has an arrow in place %s',
                             most);
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER session_arrows_per_end_check BEFORE UPDATE OF arrows_per_end ON session
    FOR EACH ROW WHEN (NEW.arrows_per_end < OLD.arrows_per_end)
    EXECUTE FUNCTION session_arrows_per_end_check();
