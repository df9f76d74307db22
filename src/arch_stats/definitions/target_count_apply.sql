-- A session's number of targets (`session.target_count`), kept current by every insert,
-- delete and move of a target, like its shot totals.

CREATE OR REPLACE FUNCTION target_count_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE session SET target_count = target_count + 1 WHERE id = NEW.session_id;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE session SET target_count = target_count - 1 WHERE id = OLD.session_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER target_count_insert_delete AFTER INSERT OR DELETE ON target
    FOR EACH ROW EXECUTE FUNCTION target_count_apply();

CREATE OR REPLACE TRIGGER target_count_move AFTER UPDATE OF session_id ON target
    FOR EACH ROW WHEN (OLD.session_id IS DISTINCT FROM NEW.session_id)
    EXECUTE FUNCTION target_count_apply();
