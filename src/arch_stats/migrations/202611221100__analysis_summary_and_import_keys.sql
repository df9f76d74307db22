-- migrate:up

-- Per session, the sums that the statistics across sessions need: the history (by session,
-- week or month), its trend and the personal bests read these 2,000 rows for 2,000 sessions
-- instead of 150,000 shots. Kept by statement-level triggers on `shot`, in the transaction
-- that changes the shots: never stale, whoever the writer (API, assembler, COPY, cascades).
-- Position sums are `numeric`: adding then subtracting a shot's values is exact, so the sums
-- always equal a recomputation, and a variance from them loses nothing to cancellation.
CREATE TABLE session_summary (
    session_id uuid PRIMARY KEY REFERENCES session (id) ON DELETE CASCADE,
    shots      integer NOT NULL,
    hits       integer NOT NULL,  -- score > 0
    total      integer NOT NULL,  -- sum of scores
    x_count    integer NOT NULL,
    ten_count  integer NOT NULL,  -- score >= 10, Xs included
    impacts    integer NOT NULL,  -- shots with a position (dx, dy)
    sum_dx     numeric NOT NULL,  -- mm from the centre of the spot hit, x right
    sum_dy     numeric NOT NULL,  -- y up
    sum_dx2    numeric NOT NULL,
    sum_dy2    numeric NOT NULL,
    sum_dxdy   numeric NOT NULL,
    -- What a history row shows, computed once per write rather than on every read.
    centre_x   float8 GENERATED ALWAYS AS ((sum_dx / nullif(impacts, 0))::float8) STORED,
    centre_y   float8 GENERATED ALWAYS AS ((sum_dy / nullif(impacts, 0))::float8) STORED,
    sigma_x    float8 GENERATED ALWAYS AS (sqrt(greatest(
                   (sum_dx2 - sum_dx * sum_dx / nullif(impacts, 0)) / nullif(impacts - 1, 0), 0
               )::float8)) STORED,
    sigma_y    float8 GENERATED ALWAYS AS (sqrt(greatest(
                   (sum_dy2 - sum_dy * sum_dy / nullif(impacts, 0)) / nullif(impacts - 1, 0), 0
               )::float8)) STORED
);

INSERT INTO session_summary (session_id, shots, hits, total, x_count, ten_count, impacts,
                             sum_dx, sum_dy, sum_dx2, sum_dy2, sum_dxdy)
SELECT session_id, count(*), count(*) FILTER (WHERE score > 0), sum(score),
       count(*) FILTER (WHERE is_x), count(*) FILTER (WHERE score >= 10), count(dx_mm),
       coalesce(sum(dx_mm::numeric), 0), coalesce(sum(dy_mm::numeric), 0),
       coalesce(sum(dx_mm::numeric * dx_mm::numeric), 0),
       coalesce(sum(dy_mm::numeric * dy_mm::numeric), 0),
       coalesce(sum(dx_mm::numeric * dy_mm::numeric), 0)
FROM shot GROUP BY session_id;

-- One statement per firing, whatever its row count: the changes are summed per session from
-- the transition tables (+ new rows, - old rows) and added to the summary. A transition table
-- exists only for the events that declare it, hence one static statement per event. Shots of
-- a session deleted in the same statement (ON DELETE CASCADE) are skipped: their summary goes
-- with the session.
CREATE FUNCTION session_summary_apply() RETURNS trigger
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

CREATE TRIGGER session_summary_insert AFTER INSERT ON shot
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_summary_apply();
CREATE TRIGGER session_summary_update AFTER UPDATE ON shot
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_summary_apply();
CREATE TRIGGER session_summary_delete AFTER DELETE ON shot
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_summary_apply();

-- One arrow's shots across sessions (per-arrow history, the history of one arrow): read from
-- the index alone, in session order.
CREATE INDEX shot_arrow_stats_idx ON shot (arrow_id, session_id)
    INCLUDE (score, is_x, dx_mm, dy_mm) WHERE arrow_id IS NOT NULL;

-- Where an imported session or target came from, so that importing the same CSV twice adds
-- nothing. An exported row names its session and target by a key: the id of the original
-- row, wherever it has been imported since (`coalesce(origin.source_key, id)`). On import, a
-- key matches one of the archer's sessions by id or by origin; only unmatched keys create a
-- session, and the unique constraints below make a second, concurrent import of the same
-- file fail (and roll back) instead of duplicating it. Deleting a session forgets its origin.
CREATE TABLE session_origin (
    session_id  uuid PRIMARY KEY REFERENCES session (id) ON DELETE CASCADE,
    archer_id   uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    source_key  uuid NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (archer_id, source_key)
);

CREATE TABLE target_origin (
    target_id  uuid PRIMARY KEY REFERENCES target (id) ON DELETE CASCADE,
    session_id uuid NOT NULL REFERENCES session (id) ON DELETE CASCADE,
    source_key uuid NOT NULL,
    UNIQUE (session_id, source_key)
);

-- migrate:down

DROP TABLE target_origin;
DROP TABLE session_origin;
DROP INDEX shot_arrow_stats_idx;
DROP TRIGGER session_summary_delete ON shot;
DROP TRIGGER session_summary_update ON shot;
DROP TRIGGER session_summary_insert ON shot;
DROP FUNCTION session_summary_apply();
DROP TABLE session_summary;
