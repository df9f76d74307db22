-- The rate limits shared by every server process (auth/ratelimit.py), on `auth_limit`: one row
-- per key holding its GCRA "theoretical arrival time". Takes one attempt on every key at once,
-- or on none: returns 0 when taken, otherwise the seconds to wait before the first refusing key
-- allows one. `intervals` are each key's window / max, in seconds; `window_s` is the window.
-- Rows are locked in key order, so concurrent takers queue instead of deadlocking, and
-- parallel attempts cannot overshoot.

CREATE OR REPLACE FUNCTION auth_limit_take(keys text[], intervals double precision[], window_s double precision)
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
