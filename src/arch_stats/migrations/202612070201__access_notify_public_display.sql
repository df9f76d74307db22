-- migrate:up

-- The membership trigger (clubs migration) also tells every server process when a member
-- changes whether they are shown on the club's public board links: open public boards drop
-- or show them at once. Only the trigger's column list changes; its function is the same.
DROP TRIGGER club_member_access_notify ON club_member;
CREATE TRIGGER club_member_access_notify
    AFTER INSERT OR DELETE OR UPDATE OF role, share_with_coaches, show_on_public_board
    ON club_member FOR EACH ROW EXECUTE FUNCTION club_member_access_notify();

-- migrate:down

DROP TRIGGER club_member_access_notify ON club_member;
CREATE TRIGGER club_member_access_notify
    AFTER INSERT OR DELETE OR UPDATE OF role, share_with_coaches
    ON club_member FOR EACH ROW EXECUTE FUNCTION club_member_access_notify();
