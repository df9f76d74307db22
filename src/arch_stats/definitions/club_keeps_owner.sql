-- A club always keeps an owner. Checked at commit (deferred constraint triggers), so an owner
-- can hand over in one transaction (promote, then step down) and a club is created with its
-- owner together. A club whose last member went (left, or their account was deleted) is
-- deleted with them; a club with members but no owner is refused. The check locks the club's
-- row first, so concurrent changes of one club's members are checked one after the other,
-- each seeing what the one before committed (two owners stepping down at once cannot each see
-- the other still owner).
--
-- Constraint triggers cannot be replaced in place: they are dropped and made again.

CREATE OR REPLACE FUNCTION club_keeps_owner() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cid uuid;
BEGIN
    IF TG_TABLE_NAME = 'club' THEN
        cid := NEW.id;
    ELSE
        cid := OLD.club_id;
    END IF;
    PERFORM 1 FROM club WHERE id = cid FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM club_member WHERE club_id = cid AND role = 'owner') THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'club_member'
       AND NOT EXISTS (SELECT 1 FROM club_member WHERE club_id = cid) THEN
        DELETE FROM club WHERE id = cid;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'a club must keep an owner'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'club_keeps_owner';
END
$$;

DROP TRIGGER IF EXISTS club_created_with_owner ON club;
CREATE CONSTRAINT TRIGGER club_created_with_owner AFTER INSERT ON club
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION club_keeps_owner();

DROP TRIGGER IF EXISTS club_member_keeps_owner ON club_member;
CREATE CONSTRAINT TRIGGER club_member_keeps_owner AFTER UPDATE OR DELETE ON club_member
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION club_keeps_owner();
