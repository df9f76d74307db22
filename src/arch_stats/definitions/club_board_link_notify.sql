-- A club board link revoked or deleted closes its open sockets with 4403 in every process
-- (channel `arch_stats_board`, delivered on commit with `arch_stats_live`; board/).

CREATE OR REPLACE FUNCTION club_board_link_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r club_board_link := CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM pg_notify('arch_stats_board', json_build_object(
        'type', 'link.revoked', 'club_id', r.club_id, 'link_id', r.id)::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER club_board_link_deleted AFTER DELETE ON club_board_link
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL)
    EXECUTE FUNCTION club_board_link_notify();

CREATE OR REPLACE TRIGGER club_board_link_revoked AFTER UPDATE OF revoked_at ON club_board_link
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION club_board_link_notify();
