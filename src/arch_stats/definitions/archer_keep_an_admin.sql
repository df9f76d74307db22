-- Once the instance has an administrator it keeps one: revoking or disabling the last working
-- administrator is refused. One such change at a time (the advisory lock), so that two
-- administrators removing each other at once cannot both pass the check.

CREATE OR REPLACE FUNCTION archer_keep_an_admin() RETURNS trigger
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

CREATE OR REPLACE TRIGGER archer_keep_an_admin AFTER UPDATE OF is_admin, disabled_at ON archer
    FOR EACH ROW
    WHEN (OLD.is_admin AND OLD.disabled_at IS NULL
          AND NOT (NEW.is_admin AND NEW.disabled_at IS NULL))
    EXECUTE FUNCTION archer_keep_an_admin();
