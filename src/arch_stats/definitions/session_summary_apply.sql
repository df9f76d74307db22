-- Per session, the sums that the statistics across sessions need (`session_summary`: the
-- history, its trend and the personal bests read one row per session instead of its shots),
-- kept current when shots are updated or deleted, in the transaction that changes them. One
-- statement per firing, whatever its row count: the changes are summed per session from the
-- transition tables (+ new rows, - old rows) and added to the summary. A transition table
-- exists only for the events that declare it, hence one static statement per event. Shots of
-- a session deleted in the same statement (ON DELETE CASCADE) are skipped: their summary goes
-- with the session. Inserts are summed by shot_insert_totals (or by shot_insert itself).

CREATE OR REPLACE FUNCTION session_summary_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH changed AS (
            SELECT session_id, 1 AS sign, score, is_x, dx_mm::numeric AS dx, dy_mm::numeric AS dy
            FROM new_rows
        ), delta AS (
            SELECT session_id, sum(sign)::int AS shots,
                   coalesce(sum(sign) FILTER (WHERE score > 0), 0)::int AS hits,
                   sum(sign * score)::int AS total,
                   coalesce(sum(sign) FILTER (WHERE is_x), 0)::int AS x_count,
                   coalesce(sum(sign) FILTER (WHERE score >= 10), 0)::int AS ten_count,
                   coalesce(sum(sign) FILTER (WHERE dx IS NOT NULL), 0)::int AS impacts,
                   coalesce(sum(sign * dx), 0) AS sum_dx, coalesce(sum(sign * dy), 0) AS sum_dy,
                   coalesce(sum(sign * dx * dx), 0) AS sum_dx2,
                   coalesce(sum(sign * dy * dy), 0) AS sum_dy2,
                   coalesce(sum(sign * dx * dy), 0) AS sum_dxdy
            FROM changed
            GROUP BY session_id
        )
        INSERT INTO session_summary AS t (session_id, shots, hits, total, x_count, ten_count,
                                          impacts, sum_dx, sum_dy, sum_dx2, sum_dy2, sum_dxdy)
        SELECT d.* FROM delta d
        WHERE EXISTS (SELECT 1 FROM session s WHERE s.id = d.session_id)
        ON CONFLICT (session_id) DO UPDATE SET
            shots = t.shots + excluded.shots, hits = t.hits + excluded.hits,
            total = t.total + excluded.total, x_count = t.x_count + excluded.x_count,
            ten_count = t.ten_count + excluded.ten_count, impacts = t.impacts + excluded.impacts,
            sum_dx = t.sum_dx + excluded.sum_dx, sum_dy = t.sum_dy + excluded.sum_dy,
            sum_dx2 = t.sum_dx2 + excluded.sum_dx2, sum_dy2 = t.sum_dy2 + excluded.sum_dy2,
            sum_dxdy = t.sum_dxdy + excluded.sum_dxdy;
    ELSIF TG_OP = 'DELETE' THEN
        WITH changed AS (
            SELECT session_id, -1 AS sign, score, is_x, dx_mm::numeric AS dx, dy_mm::numeric AS dy
            FROM old_rows
        ), delta AS (
            SELECT session_id, sum(sign)::int AS shots,
                   coalesce(sum(sign) FILTER (WHERE score > 0), 0)::int AS hits,
                   sum(sign * score)::int AS total,
                   coalesce(sum(sign) FILTER (WHERE is_x), 0)::int AS x_count,
                   coalesce(sum(sign) FILTER (WHERE score >= 10), 0)::int AS ten_count,
                   coalesce(sum(sign) FILTER (WHERE dx IS NOT NULL), 0)::int AS impacts,
                   coalesce(sum(sign * dx), 0) AS sum_dx, coalesce(sum(sign * dy), 0) AS sum_dy,
                   coalesce(sum(sign * dx * dx), 0) AS sum_dx2,
                   coalesce(sum(sign * dy * dy), 0) AS sum_dy2,
                   coalesce(sum(sign * dx * dy), 0) AS sum_dxdy
            FROM changed
            GROUP BY session_id
        )
        INSERT INTO session_summary AS t (session_id, shots, hits, total, x_count, ten_count,
                                          impacts, sum_dx, sum_dy, sum_dx2, sum_dy2, sum_dxdy)
        SELECT d.* FROM delta d
        WHERE EXISTS (SELECT 1 FROM session s WHERE s.id = d.session_id)
        ON CONFLICT (session_id) DO UPDATE SET
            shots = t.shots + excluded.shots, hits = t.hits + excluded.hits,
            total = t.total + excluded.total, x_count = t.x_count + excluded.x_count,
            ten_count = t.ten_count + excluded.ten_count, impacts = t.impacts + excluded.impacts,
            sum_dx = t.sum_dx + excluded.sum_dx, sum_dy = t.sum_dy + excluded.sum_dy,
            sum_dx2 = t.sum_dx2 + excluded.sum_dx2, sum_dy2 = t.sum_dy2 + excluded.sum_dy2,
            sum_dxdy = t.sum_dxdy + excluded.sum_dxdy;
    ELSE
        WITH changed AS (
            SELECT session_id, 1 AS sign, score, is_x, dx_mm::numeric AS dx, dy_mm::numeric AS dy
            FROM new_rows
            UNION ALL
            SELECT session_id, -1, score, is_x, dx_mm::numeric, dy_mm::numeric
            FROM old_rows
        ), delta AS (
            SELECT session_id, sum(sign)::int AS shots,
                   coalesce(sum(sign) FILTER (WHERE score > 0), 0)::int AS hits,
                   sum(sign * score)::int AS total,
                   coalesce(sum(sign) FILTER (WHERE is_x), 0)::int AS x_count,
                   coalesce(sum(sign) FILTER (WHERE score >= 10), 0)::int AS ten_count,
                   coalesce(sum(sign) FILTER (WHERE dx IS NOT NULL), 0)::int AS impacts,
                   coalesce(sum(sign * dx), 0) AS sum_dx, coalesce(sum(sign * dy), 0) AS sum_dy,
                   coalesce(sum(sign * dx * dx), 0) AS sum_dx2,
                   coalesce(sum(sign * dy * dy), 0) AS sum_dy2,
                   coalesce(sum(sign * dx * dy), 0) AS sum_dxdy
            FROM changed
            GROUP BY session_id
        )
        INSERT INTO session_summary AS t (session_id, shots, hits, total, x_count, ten_count,
                                          impacts, sum_dx, sum_dy, sum_dx2, sum_dy2, sum_dxdy)
        SELECT d.* FROM delta d
        WHERE EXISTS (SELECT 1 FROM session s WHERE s.id = d.session_id)
        ON CONFLICT (session_id) DO UPDATE SET
            shots = t.shots + excluded.shots, hits = t.hits + excluded.hits,
            total = t.total + excluded.total, x_count = t.x_count + excluded.x_count,
            ten_count = t.ten_count + excluded.ten_count, impacts = t.impacts + excluded.impacts,
            sum_dx = t.sum_dx + excluded.sum_dx, sum_dy = t.sum_dy + excluded.sum_dy,
            sum_dx2 = t.sum_dx2 + excluded.sum_dx2, sum_dy2 = t.sum_dy2 + excluded.sum_dy2,
            sum_dxdy = t.sum_dxdy + excluded.sum_dxdy;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER session_summary_delete AFTER DELETE ON shot
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_summary_apply();

CREATE OR REPLACE TRIGGER session_summary_update AFTER UPDATE ON shot
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_summary_apply();
