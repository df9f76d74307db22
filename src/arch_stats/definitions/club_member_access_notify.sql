-- Every membership change (join, role, consent, public display, leave, removal) tells every
-- server process, which re-checks who may still watch whose sessions and who its open club
-- boards show (channel `arch_stats_access`, payload: archer id and club id).

CREATE OR REPLACE FUNCTION club_member_access_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    m club_member;
BEGIN
    IF TG_OP = 'DELETE' THEN
        m := OLD;
    ELSE
        m := NEW;
    END IF;
    PERFORM pg_notify('arch_stats_access',
                      json_build_object('archer_id', m.archer_id, 'club_id', m.club_id)::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER club_member_access_notify
    AFTER INSERT OR DELETE OR UPDATE OF role, share_with_coaches, show_on_public_board
    ON club_member FOR EACH ROW EXECUTE FUNCTION club_member_access_notify();
