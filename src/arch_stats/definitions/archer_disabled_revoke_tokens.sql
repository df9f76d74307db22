-- A disabled account has no working token, whoever disables it (the API, the CLI, plain SQL):
-- disabling revokes them all in the same transaction, and each revocation fires the
-- `arch_stats_auth` note (auth_token_revoked_notify), so every server process drops them from
-- its cache and closes their WebSockets with 4401 at commit. Its counterpart, refusing new
-- tokens while the account stays disabled: auth_token_account_enabled.

CREATE OR REPLACE FUNCTION archer_disabled_revoke_tokens() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_token SET revoked_at = now()
    WHERE archer_id = NEW.id AND revoked_at IS NULL
      AND (expires_at IS NULL OR expires_at > now());
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER archer_disabled_revoke_tokens AFTER UPDATE OF disabled_at ON archer
    FOR EACH ROW WHEN (NEW.disabled_at IS NOT NULL AND OLD.disabled_at IS NULL)
    EXECUTE FUNCTION archer_disabled_revoke_tokens();
