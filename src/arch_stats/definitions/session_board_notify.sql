-- The club board (board/) shows an archer from the moment their session opens, before their
-- first arrow, and drops them when an open session is deleted: a session opened, reopened or
-- deleted while open is announced on `arch_stats_board`.

CREATE OR REPLACE FUNCTION session_board_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r session := CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM pg_notify('arch_stats_board', json_build_object(
        'type', CASE TG_OP WHEN 'DELETE' THEN 'session.gone' ELSE 'session.opened' END,
        'session_id', r.id, 'archer_id', r.archer_id)::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER session_gone_board AFTER DELETE ON session
    FOR EACH ROW WHEN (OLD.is_open)
    EXECUTE FUNCTION session_board_notify();

CREATE OR REPLACE TRIGGER session_opened_board AFTER INSERT ON session
    FOR EACH ROW WHEN (NEW.is_open)
    EXECUTE FUNCTION session_board_notify();

CREATE OR REPLACE TRIGGER session_reopened_board AFTER UPDATE OF is_open ON session
    FOR EACH ROW WHEN (NOT OLD.is_open AND NEW.is_open)
    EXECUTE FUNCTION session_board_notify();
