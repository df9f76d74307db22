-- migrate:up

-- Two owners stepping down at the same moment each saw the other still owner (write skew):
-- the check now locks the club's row first, so concurrent changes of one club's members are
-- checked one after the other, each seeing what the one before committed.
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

-- migrate:down

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
    IF NOT EXISTS (SELECT 1 FROM club WHERE id = cid) THEN
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
