-- A session's shot count and total score (`session.shot_count`, `total_score`), kept current
-- when shots are updated or deleted, so that reading a session never aggregates its shots.
-- One UPDATE per statement (transition tables), whatever its row count; cascades and every
-- writer are covered alike. Inserts are counted by shot_insert_totals (or by shot_insert
-- itself).

CREATE OR REPLACE FUNCTION session_shot_totals() RETURNS trigger
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

CREATE OR REPLACE TRIGGER shot_totals_delete AFTER DELETE ON shot
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_shot_totals();

CREATE OR REPLACE TRIGGER shot_totals_update AFTER UPDATE ON shot
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_shot_totals();
