-- A writer that names no place (psql, a COPY, an import of a file written before `end_place`)
-- gets the first free place of the shot's end, rows in the order written; the writers of this
-- service always name it, and the WHEN clause spares them the call.

CREATE OR REPLACE FUNCTION shot_place_default() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    taken integer;
    per_end integer;
    p integer := 1;
BEGIN
    SELECT arrows_per_end INTO per_end FROM session WHERE id = NEW.session_id;
    SELECT coalesce(bit_or(1 << (end_place - 1)), 0) INTO taken
    FROM shot WHERE session_id = NEW.session_id AND end_no = NEW.end_no;
    WHILE taken & (1 << (p - 1)) <> 0 LOOP
        p := p + 1;
    END LOOP;
    IF p > per_end THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'shot_end_full',
            MESSAGE = format('end %s already has %s of %s arrows', NEW.end_no, per_end, per_end);
    END IF;
    NEW.end_place := p;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER shot_place_default BEFORE INSERT ON shot
    FOR EACH ROW WHEN (NEW.end_place IS NULL)
    EXECUTE FUNCTION shot_place_default();
