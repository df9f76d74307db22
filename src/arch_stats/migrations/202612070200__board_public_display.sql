-- migrate:up

-- The club board's public links show a member only when the member allows it (issue 18):
-- a choice per club, like sharing with its coaches, made by the member, off by default.
-- (Withdrawing consent from the coaches takes a member off every board of the club, public
-- links included, whatever this says: see board/fanout.py.) The membership trigger also fires
-- on it (definitions/club_member_access_notify.sql): open boards follow a change at once.
ALTER TABLE club_member
    ADD COLUMN show_on_public_board boolean NOT NULL DEFAULT false;

-- migrate:down

-- The membership trigger names the column (definitions/club_member_access_notify.sql): it is
-- put back as it was before (the earlier migrations' down sections drop it by that name).
DROP TRIGGER IF EXISTS club_member_access_notify ON club_member;
ALTER TABLE club_member DROP COLUMN show_on_public_board;
CREATE TRIGGER club_member_access_notify AFTER INSERT OR DELETE OR UPDATE OF role, share_with_coaches
    ON club_member FOR EACH ROW EXECUTE FUNCTION club_member_access_notify();
