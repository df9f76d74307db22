-- migrate:up

-- Clubs: archers train together. Each archer has one role per club; a member decides per club
-- whether the club's coaches may read their data (share_with_coaches).
CREATE TABLE club (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE club_member (
    club_id            uuid NOT NULL REFERENCES club (id) ON DELETE CASCADE,
    archer_id          uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    role               text NOT NULL CHECK (role IN ('owner', 'coach', 'member')),
    share_with_coaches boolean NOT NULL DEFAULT true,
    joined_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (club_id, archer_id)
);
CREATE INDEX club_member_archer_idx ON club_member (archer_id);

-- A club always keeps an owner. Checked at commit (deferred), so an owner can hand over in
-- one transaction (promote, then step down) and a club is created with its owner together.
-- A club whose last member went (left, or their account was deleted) is deleted with them;
-- a club with members but no owner is refused.
CREATE FUNCTION club_keeps_owner() RETURNS trigger
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
CREATE CONSTRAINT TRIGGER club_created_with_owner AFTER INSERT ON club
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION club_keeps_owner();
CREATE CONSTRAINT TRIGGER club_member_keeps_owner AFTER UPDATE OR DELETE ON club_member
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION club_keeps_owner();

-- Every membership change (join, role, consent, leave, removal) tells every server process,
-- which re-checks who may still watch whose sessions (payload: archer id and club id).
CREATE FUNCTION club_member_access_notify() RETURNS trigger
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
CREATE TRIGGER club_member_access_notify AFTER INSERT OR DELETE OR UPDATE OF role, share_with_coaches
    ON club_member FOR EACH ROW EXECUTE FUNCTION club_member_access_notify();

-- Invitations by code or link. Only a hash of the code is stored; an invite never makes an
-- owner (owners promote members themselves).
CREATE TABLE club_invite (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    club_id    uuid NOT NULL REFERENCES club (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL UNIQUE,
    role       text NOT NULL DEFAULT 'member' CHECK (role IN ('coach', 'member')),
    created_by uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX club_invite_club_idx ON club_invite (club_id, created_at DESC);

-- A coach's note on an archer's session, or on one end of it.
CREATE TABLE coach_note (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES session (id) ON DELETE CASCADE,
    end_no     integer CHECK (end_no >= 1),
    author_id  uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX coach_note_session_idx ON coach_note (session_id, created_at);

-- migrate:down

DROP TABLE coach_note;
DROP TABLE club_invite;
DROP TRIGGER club_member_access_notify ON club_member;
DROP FUNCTION club_member_access_notify();
DROP TRIGGER club_member_keeps_owner ON club_member;
DROP TRIGGER club_created_with_owner ON club;
DROP TABLE club_member;
DROP TABLE club;
DROP FUNCTION club_keeps_owner();
