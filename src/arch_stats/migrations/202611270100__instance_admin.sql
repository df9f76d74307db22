-- migrate:up

-- The instance administrator (issue 12, item 5). `arch-stats admin grant EMAIL` makes one;
-- administrators list accounts, disable and re-enable them and issue one-time password reset
-- links. They read no archer's data: nothing else looks at `is_admin`.
ALTER TABLE archer
    ADD COLUMN is_admin boolean NOT NULL DEFAULT false,
    ADD COLUMN disabled_at timestamptz;

-- A disabled account has no working token, whoever disables it (the API, the CLI, plain SQL):
-- disabling revokes them all in the same transaction, and each revocation fires the
-- `arch_stats_auth` note (auth_token_revoked_notify), so every server process drops them from
-- its cache and closes their WebSockets with 4401 at commit.
CREATE FUNCTION archer_disabled_revoke_tokens() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_token SET revoked_at = now()
    WHERE archer_id = NEW.id AND revoked_at IS NULL
      AND (expires_at IS NULL OR expires_at > now());
    RETURN NULL;
END
$$;
CREATE TRIGGER archer_disabled_revoke_tokens AFTER UPDATE OF disabled_at ON archer
    FOR EACH ROW WHEN (NEW.disabled_at IS NOT NULL AND OLD.disabled_at IS NULL)
    EXECUTE FUNCTION archer_disabled_revoke_tokens();

-- …and no token is made for it while it stays disabled. FOR SHARE conflicts with the
-- disabling UPDATE: a token made at the same moment either waits and is refused, or commits
-- first and is revoked by the trigger above.
CREATE FUNCTION auth_token_account_enabled() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM archer WHERE id = NEW.archer_id AND disabled_at IS NOT NULL FOR SHARE;
    IF FOUND THEN
        RAISE EXCEPTION 'account disabled' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER auth_token_account_enabled BEFORE INSERT ON auth_token
    FOR EACH ROW EXECUTE FUNCTION auth_token_account_enabled();

-- Once the instance has an administrator it keeps one: revoking or disabling the last working
-- administrator is refused. One such change at a time (the advisory lock), so that two
-- administrators removing each other at once cannot both pass the check.
CREATE FUNCTION archer_keep_an_admin() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('arch_stats_admins'));
    IF NOT EXISTS (SELECT 1 FROM archer WHERE is_admin AND disabled_at IS NULL) THEN
        RAISE EXCEPTION 'the instance must keep at least one working administrator'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'archer_keeps_an_admin';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER archer_keep_an_admin AFTER UPDATE OF is_admin, disabled_at ON archer
    FOR EACH ROW
    WHEN (OLD.is_admin AND OLD.disabled_at IS NULL
          AND NOT (NEW.is_admin AND NEW.disabled_at IS NULL))
    EXECUTE FUNCTION archer_keep_an_admin();

CREATE INDEX archer_admin_idx ON archer (id) WHERE is_admin;

-- One-time password reset links, issued by an administrator (page or CLI). Only the hash of
-- the secret is kept; a link works once, until it expires. Issuing a new link for an account
-- deletes its unused ones.
CREATE TABLE password_reset (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    archer_id  uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CHECK (expires_at > created_at),
    CHECK (used_at IS NULL OR used_at >= created_at)
);
CREATE INDEX password_reset_archer_idx ON password_reset (archer_id);

-- migrate:down

DROP TABLE password_reset;
DROP INDEX archer_admin_idx;
DROP TRIGGER archer_keep_an_admin ON archer;
DROP FUNCTION archer_keep_an_admin();
DROP TRIGGER auth_token_account_enabled ON auth_token;
DROP FUNCTION auth_token_account_enabled();
DROP TRIGGER archer_disabled_revoke_tokens ON archer;
DROP FUNCTION archer_disabled_revoke_tokens();
ALTER TABLE archer DROP COLUMN disabled_at, DROP COLUMN is_admin;
