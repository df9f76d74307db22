-- An INSERT of shots counts them into their sessions' totals (`shot_count`, `total_score`)
-- and summaries (`session_summary`) in one statement, and refuses a shot whose place in its end
-- is beyond its session's arrows per end (moves are checked by shot_place_check). In a session
-- that follows its round it also refuses more shots than the round has, and a shot whose end
-- is not one of its target's (`first_end` … `last_end`), as shot_insert does: imports and
-- every other INSERT obey the round too. Skipped when shot_insert has counted the statement's
-- shots itself (`arch_stats.totals`; it checks its own).

CREATE OR REPLACE FUNCTION shot_insert_totals() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    beyond boolean;
    over_round text;
    follows boolean;
    wrong text;
BEGIN
    WITH delta AS (
        SELECT session_id, count(*)::int AS shots,
               count(*) FILTER (WHERE score > 0)::int AS hits,
               sum(score)::int AS total,
               count(*) FILTER (WHERE is_x)::int AS x_count,
               count(*) FILTER (WHERE score >= 10)::int AS ten_count,
               count(dx_mm)::int AS impacts,
               coalesce(sum(dx_mm::numeric), 0) AS sum_dx,
               coalesce(sum(dy_mm::numeric), 0) AS sum_dy,
               coalesce(sum(dx_mm::numeric * dx_mm::numeric), 0) AS sum_dx2,
               coalesce(sum(dy_mm::numeric * dy_mm::numeric), 0) AS sum_dy2,
               coalesce(sum(dx_mm::numeric * dy_mm::numeric), 0) AS sum_dxdy,
               max(end_place) AS last_place
        FROM new_rows
        GROUP BY session_id
    ), totals AS (
        UPDATE session s
        SET shot_count = s.shot_count + d.shots, total_score = s.total_score + d.total
        FROM delta d
        WHERE s.id = d.session_id
        RETURNING s.id, d.last_place > s.arrows_per_end AS beyond,
                  s.round_arrows IS NOT NULL AS follows,
                  CASE WHEN s.shot_count > s.round_arrows
                       THEN format('round complete: session %s would hold %s arrows, its round '
                                   'has %s', s.id, s.shot_count, s.round_arrows)
                  END AS over_round
    ), summary AS (
        -- Only sessions that still exist (the UPDATE found them), as before.
        INSERT INTO session_summary AS t (session_id, shots, hits, total, x_count, ten_count,
                                          impacts, sum_dx, sum_dy, sum_dx2, sum_dy2, sum_dxdy)
        SELECT d.session_id, d.shots, d.hits, d.total, d.x_count, d.ten_count, d.impacts,
               d.sum_dx, d.sum_dy, d.sum_dx2, d.sum_dy2, d.sum_dxdy
        FROM delta d JOIN totals ON totals.id = d.session_id
        ON CONFLICT (session_id) DO UPDATE SET
            shots = t.shots + excluded.shots, hits = t.hits + excluded.hits,
            total = t.total + excluded.total, x_count = t.x_count + excluded.x_count,
            ten_count = t.ten_count + excluded.ten_count, impacts = t.impacts + excluded.impacts,
            sum_dx = t.sum_dx + excluded.sum_dx, sum_dy = t.sum_dy + excluded.sum_dy,
            sum_dx2 = t.sum_dx2 + excluded.sum_dx2, sum_dy2 = t.sum_dy2 + excluded.sum_dy2,
            sum_dxdy = t.sum_dxdy + excluded.sum_dxdy
    )
    SELECT bool_or(totals.beyond), min(totals.over_round), bool_or(totals.follows)
    INTO beyond, over_round, follows FROM totals;
    IF beyond THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            CONSTRAINT = 'shot_end_place_within_end',
            MESSAGE = 'a shot''s place in its end is beyond the session''s arrows per end';
    END IF;
    IF over_round IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            CONSTRAINT = 'session_round_complete', MESSAGE = over_round;
    END IF;
    IF follows THEN
        SELECT format('end %s of session %s is not shot at target %s', n.end_no, n.session_id,
                      n.target_id)
        INTO wrong
        FROM new_rows n
        JOIN session s ON s.id = n.session_id AND s.round_arrows IS NOT NULL
        JOIN target t ON t.id = n.target_id
        WHERE t.first_end IS NULL OR n.end_no NOT BETWEEN t.first_end AND t.last_end
        LIMIT 1;
        IF wrong IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                CONSTRAINT = 'shot_wrong_target', MESSAGE = wrong;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER shot_insert_totals AFTER INSERT ON shot
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (coalesce(current_setting('arch_stats.totals', true), '') <> 'counted')
    EXECUTE FUNCTION shot_insert_totals();
