-- migrate:up

-- A session's shot count and total score, kept current by triggers on `shot` so that reading
-- a session (or a page of them) never aggregates its shots: a 10,000-arrow session costs the
-- same as an empty one. One UPDATE per statement (transition tables), whatever its row count;
-- COPY, cascades and every writer are covered alike.
ALTER TABLE session
    ADD COLUMN shot_count  integer NOT NULL DEFAULT 0,
    ADD COLUMN total_score integer NOT NULL DEFAULT 0;

UPDATE session s
SET shot_count = t.n, total_score = t.total
FROM (SELECT session_id, count(*) AS n, sum(score) AS total FROM shot GROUP BY session_id) t
WHERE s.id = t.session_id;

CREATE FUNCTION session_shot_totals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE session s
        SET shot_count = s.shot_count + d.n, total_score = s.total_score + d.total
        FROM (SELECT session_id, count(*) AS n, sum(score) AS total
              FROM new_rows GROUP BY session_id) d
        WHERE s.id = d.session_id;
    ELSIF TG_OP = 'DELETE' THEN
        -- Rows of a session deleted in the same statement (ON DELETE CASCADE) match nothing.
        UPDATE session s
        SET shot_count = s.shot_count - d.n, total_score = s.total_score - d.total
        FROM (SELECT session_id, count(*) AS n, sum(score) AS total
              FROM old_rows GROUP BY session_id) d
        WHERE s.id = d.session_id;
    ELSE
        UPDATE session s
        SET shot_count = s.shot_count + d.n, total_score = s.total_score + d.total
        FROM (SELECT session_id, sum(n) AS n, sum(total) AS total
              FROM (SELECT session_id, 1 AS n, score AS total FROM new_rows
                    UNION ALL
                    SELECT session_id, -1, -score FROM old_rows) c
              GROUP BY session_id
              HAVING sum(n) <> 0 OR sum(total) <> 0) d
        WHERE s.id = d.session_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER shot_totals_insert AFTER INSERT ON shot
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_shot_totals();
CREATE TRIGGER shot_totals_update AFTER UPDATE ON shot
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_shot_totals();
CREATE TRIGGER shot_totals_delete AFTER DELETE ON shot
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_shot_totals();

-- migrate:down

DROP TRIGGER shot_totals_delete ON shot;
DROP TRIGGER shot_totals_update ON shot;
DROP TRIGGER shot_totals_insert ON shot;
DROP FUNCTION session_shot_totals();
ALTER TABLE session DROP COLUMN total_score, DROP COLUMN shot_count;
