-- migrate:up

-- The club live board (issue 12): a revocable public read-only link per club, and the
-- notifications the board's fan-out needs besides the shots' own (which it reads from the
-- hub unchanged): a session opened or reopened (the archer appears on the board at once,
-- before their first arrow), an open session deleted (they leave it), a link revoked (its
-- open sockets close with 4403 in every process). All on the channel `arch_stats_board`,
-- delivered on commit in commit order together with `arch_stats_live`.

CREATE TABLE club_board_link (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    club_id    uuid NOT NULL REFERENCES club (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_by uuid REFERENCES archer (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
-- At most one working link per club: a new one replaces the old (revoked in the same
-- transaction).
CREATE UNIQUE INDEX club_board_link_active_key ON club_board_link (club_id)
    WHERE revoked_at IS NULL;

CREATE FUNCTION club_board_link_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r club_board_link := CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM pg_notify('arch_stats_board', json_build_object(
        'type', 'link.revoked', 'club_id', r.club_id, 'link_id', r.id)::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER club_board_link_revoked AFTER UPDATE OF revoked_at ON club_board_link
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION club_board_link_notify();
CREATE TRIGGER club_board_link_deleted AFTER DELETE ON club_board_link
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL)
    EXECUTE FUNCTION club_board_link_notify();

CREATE FUNCTION session_board_notify() RETURNS trigger
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
CREATE TRIGGER session_opened_board AFTER INSERT ON session
    FOR EACH ROW WHEN (NEW.is_open)
    EXECUTE FUNCTION session_board_notify();
CREATE TRIGGER session_reopened_board AFTER UPDATE OF is_open ON session
    FOR EACH ROW WHEN (NOT OLD.is_open AND NEW.is_open)
    EXECUTE FUNCTION session_board_notify();
CREATE TRIGGER session_gone_board AFTER DELETE ON session
    FOR EACH ROW WHEN (OLD.is_open)
    EXECUTE FUNCTION session_board_notify();

-- migrate:down

DROP TRIGGER session_gone_board ON session;
DROP TRIGGER session_reopened_board ON session;
DROP TRIGGER session_opened_board ON session;
DROP FUNCTION session_board_notify();
DROP TRIGGER club_board_link_deleted ON club_board_link;
DROP TRIGGER club_board_link_revoked ON club_board_link;
DROP FUNCTION club_board_link_notify();
DROP TABLE club_board_link;
