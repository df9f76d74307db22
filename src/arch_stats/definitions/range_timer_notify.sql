-- A range timer changed (its state, settings or public link) or was deleted: every server
-- process showing it reads it again and tells its screens (channel `arch_stats_timer`,
-- delivered on commit; timer/feed.py).

CREATE OR REPLACE FUNCTION range_timer_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r range_timer := CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM pg_notify('arch_stats_timer', json_build_object(
        'timer_id', r.id, 'deleted', TG_OP = 'DELETE')::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER range_timer_notify AFTER UPDATE OR DELETE ON range_timer
    FOR EACH ROW EXECUTE FUNCTION range_timer_notify();
