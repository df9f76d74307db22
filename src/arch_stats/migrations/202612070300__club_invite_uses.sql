-- migrate:up

-- Invites with a use limit (issue 18): a code worked for any number of accounts until it
-- expired, and a member removed by an owner rejoined with it.
--
-- `uses` counts the accounts that joined with the code; a join takes a use in the same
-- statement that checks the limit (the row lock makes two joins for the last use wait for
-- each other: exactly one gets it), and the check below holds it in the database as well.
-- Coach invites are single-use unless the owner asks otherwise, member links have as many
-- uses as the owner chose (the application's defaults, `clubs.service`).
ALTER TABLE club_invite
    ADD COLUMN max_uses integer NOT NULL DEFAULT 1 CHECK (max_uses BETWEEN 1 AND 500),
    ADD COLUMN uses integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT club_invite_uses_within_limit CHECK (uses BETWEEN 0 AND max_uses);

-- Invites made before: nobody counted their uses. A member link gets the default of a new
-- one; a coach invite (which gives its holder the members' shared data) cannot be told used
-- from unused, so it stops working: the owner makes a new one.
UPDATE club_invite SET max_uses = 30 WHERE role = 'member';
UPDATE club_invite SET revoked_at = now()
    WHERE role = 'coach' AND revoked_at IS NULL AND expires_at > now();

-- Who an owner removed from a club, and when (the latest removal): an invite made before
-- that moment no longer lets them in; a new invite does. Members who left by themselves
-- are not noted.
CREATE TABLE club_removal (
    club_id    uuid NOT NULL REFERENCES club (id) ON DELETE CASCADE,
    archer_id  uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    removed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (club_id, archer_id)
);
CREATE INDEX club_removal_archer_idx ON club_removal (archer_id);

-- migrate:down

DROP TABLE club_removal;
ALTER TABLE club_invite
    DROP CONSTRAINT club_invite_uses_within_limit,
    DROP COLUMN uses,
    DROP COLUMN max_uses;
