-- No token is made for a disabled account (archer_disabled_revoke_tokens revokes those it
-- had). FOR SHARE conflicts with the disabling UPDATE: a token made at the same moment either
-- waits and is refused, or commits first and is revoked by that trigger.

CREATE OR REPLACE FUNCTION auth_token_account_enabled() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM archer WHERE id = NEW.archer_id AND disabled_at IS NOT NULL FOR SHARE;
    IF FOUND THEN
        RAISE EXCEPTION 'account disabled' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER auth_token_account_enabled BEFORE INSERT ON auth_token
    FOR EACH ROW EXECUTE FUNCTION auth_token_account_enabled();
