-- A session closed is announced to its live subscribers (channel `arch_stats_live`).

CREATE OR REPLACE FUNCTION session_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('arch_stats_live', json_build_object(
        'type', 'session.closed', 'session_id', NEW.id, 'archer_id', NEW.archer_id, 'seq', NULL,
        'request_id', current_setting('arch_stats.request_id', true),
        'data', json_build_object('id', NEW.id, 'end_time', NEW.end_time))::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER session_closed_notify AFTER UPDATE OF is_open ON session
    FOR EACH ROW WHEN (OLD.is_open AND NOT NEW.is_open)
    EXECUTE FUNCTION session_notify();
