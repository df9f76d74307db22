-- Every process caches valid login tokens; revoking or deleting one tells them all at once
-- (channel `arch_stats_auth`, payload: the token's id).

CREATE OR REPLACE FUNCTION auth_token_revoked_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('arch_stats_auth', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER auth_token_deleted_notify AFTER DELETE ON auth_token
    FOR EACH ROW EXECUTE FUNCTION auth_token_revoked_notify();

CREATE OR REPLACE TRIGGER auth_token_revoked_notify AFTER UPDATE OF revoked_at ON auth_token
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL)
    EXECUTE FUNCTION auth_token_revoked_notify();
