-- migrate:up

-- Every process caches valid login tokens; revoking or deleting one tells them all at once.
CREATE FUNCTION auth_token_revoked_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('arch_stats_auth', OLD.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER auth_token_revoked_notify AFTER UPDATE OF revoked_at ON auth_token
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL)
    EXECUTE FUNCTION auth_token_revoked_notify();
CREATE TRIGGER auth_token_deleted_notify AFTER DELETE ON auth_token
    FOR EACH ROW EXECUTE FUNCTION auth_token_revoked_notify();

-- migrate:down

DROP TRIGGER auth_token_deleted_notify ON auth_token;
DROP TRIGGER auth_token_revoked_notify ON auth_token;
DROP FUNCTION auth_token_revoked_notify();
