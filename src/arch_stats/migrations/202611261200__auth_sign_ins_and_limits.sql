-- migrate:up

-- An archer lists where they are signed in and signs sessions out one by one: a login token
-- remembers the browser (User-Agent) and the address it was made from. The address also
-- tells the owner's usual addresses from others' for the login limits.
ALTER TABLE auth_token
    ADD COLUMN user_agent text CHECK (length(user_agent) <= 512),
    ADD COLUMN address inet;

-- Rate limits shared by every server process, counted atomically. One row per key
-- ('login:<email>|<address>', 'login-address:<address>', 'register:<address>', …) holding
-- the GCRA "theoretical arrival time": a key allows `max` attempts at once, then one more
-- every window / max seconds. Rows whose tat has passed are empty and deleted now and then.
CREATE TABLE auth_limit (
    key text PRIMARY KEY CHECK (length(key) <= 600),
    tat timestamptz NOT NULL
);
CREATE INDEX auth_limit_tat_idx ON auth_limit (tat);

-- Take one attempt on every key at once, or on none: returns 0 when taken, otherwise the
-- seconds to wait before the first refusing key allows one. `intervals` are each key's
-- window / max, in seconds; `window_s` is the window. Rows are locked in key order, so
-- concurrent takers queue instead of deadlocking, and parallel attempts cannot overshoot.
CREATE FUNCTION auth_limit_take(keys text[], intervals double precision[], window_s double precision)
RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz;
    wait double precision := 0;
    r record;
BEGIN
    INSERT INTO auth_limit (key, tat)
    SELECT k, '-infinity' FROM unnest(keys) AS k ORDER BY k
    ON CONFLICT (key) DO NOTHING;
    PERFORM 1 FROM auth_limit WHERE key = ANY (keys) ORDER BY key FOR UPDATE;
    t := clock_timestamp();
    FOR r IN
        SELECT greatest(l.tat, t) + make_interval(secs => u.iv) - t AS ahead
        FROM auth_limit l JOIN unnest(keys, intervals) AS u (key, iv) USING (key)
    LOOP
        IF r.ahead > make_interval(secs => window_s) THEN
            wait := greatest(wait, extract(epoch FROM r.ahead) - window_s);
        END IF;
    END LOOP;
    IF wait > 0 THEN
        RETURN wait;
    END IF;
    UPDATE auth_limit l SET tat = greatest(l.tat, t) + make_interval(secs => u.iv)
    FROM unnest(keys, intervals) AS u (key, iv)
    WHERE l.key = u.key;
    RETURN 0;
END
$$;

-- migrate:down

DROP FUNCTION auth_limit_take(text[], double precision[], double precision);
DROP TABLE auth_limit;
ALTER TABLE auth_token DROP COLUMN address, DROP COLUMN user_agent;
