-- migrate:up

-- Issue 20: a session follows its round, a round ends, shots entered by value.
--
-- * `custom_round`, `custom_round_pass`: rounds of an archer's or a club's own (distances,
--   faces, arrows, end size), shot like the standard ones.
-- * `session.round_plan`: what a session shot to a round follows, fixed when it starts (the
--   round's passes, each with its ends and its target; a custom round edited later does not
--   change it); `round_arrows`: how many arrows the round has, the writer's limit
--   (definitions/shot_insert.sql). Both null: open-ended practice, or a session opened before
--   rounds were followed.
-- * `target.first_end`, `last_end`: the ends of the round shot at that target (one target per
--   distance and face, made from the round); null for a target of no round.
-- * `shot.entered_by`: how its score was entered: plotted by hand ('plot'), assembled from
--   sensors ('sensor'), or given by value ('value': a score with no position).

CREATE TABLE custom_round (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Whose: an archer's, or a club's (its owners change it, its members shoot it).
    archer_id      uuid REFERENCES archer (id) ON DELETE CASCADE,
    club_id        uuid REFERENCES club (id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    location       text NOT NULL CHECK (location IN ('indoor', 'outdoor', 'field')),
    arrows_per_end smallint NOT NULL CHECK (arrows_per_end BETWEEN 1 AND 24),
    compound_scoring boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((archer_id IS NULL) <> (club_id IS NULL))
);
CREATE INDEX custom_round_archer_idx ON custom_round (archer_id) WHERE archer_id IS NOT NULL;
CREATE INDEX custom_round_club_idx ON custom_round (club_id) WHERE club_id IS NOT NULL;

CREATE TABLE custom_round_pass (
    round_id      uuid NOT NULL REFERENCES custom_round (id) ON DELETE CASCADE,
    pass_no       smallint NOT NULL CHECK (pass_no BETWEEN 1 AND 48),
    n_arrows      smallint NOT NULL CHECK (n_arrows BETWEEN 1 AND 1000),
    distance      double precision NOT NULL CHECK (distance > 0 AND distance <= 1000),
    distance_unit text NOT NULL CHECK (distance_unit IN ('metre', 'yard')),
    face_type     text NOT NULL CHECK (length(face_type) BETWEEN 1 AND 50),
    PRIMARY KEY (round_id, pass_no)
);

ALTER TABLE session
    ADD COLUMN round_plan jsonb,
    ADD COLUMN round_arrows integer CONSTRAINT session_round_arrows_check CHECK (round_arrows > 0),
    ADD CONSTRAINT session_round_plan_check CHECK ((round_plan IS NULL) = (round_arrows IS NULL));

ALTER TABLE target
    ADD COLUMN first_end integer,
    ADD COLUMN last_end integer,
    ADD CONSTRAINT target_round_ends_check
        CHECK ((first_end IS NULL) = (last_end IS NULL) AND first_end BETWEEN 1 AND last_end);

ALTER TABLE shot
    ADD COLUMN entered_by text NOT NULL DEFAULT 'plot'
        CONSTRAINT shot_entered_by_check CHECK (entered_by IN ('plot', 'value', 'sensor')),
    -- A score by value has no position, but the face it was scored on (and, on a multi-spot
    -- face, its spot when the archer gave it); a position is all or nothing as before.
    DROP CONSTRAINT shot_check2,
    ADD CONSTRAINT shot_position_check CHECK (
        CASE WHEN entered_by = 'value' THEN x_mm IS NULL AND face_index IS NOT NULL
             ELSE (x_mm IS NULL) = (face_index IS NULL) AND (x_mm IS NULL) = (spot_index IS NULL)
        END),
    -- Without a position a shot is a miss (no landing), unless its score was given.
    DROP CONSTRAINT shot_check3,
    ADD CONSTRAINT shot_miss_check CHECK (
        x_mm IS NOT NULL OR entered_by = 'value' OR (score = 0 AND NOT is_x)),
    DROP CONSTRAINT shot_spot_score_check,
    ADD CONSTRAINT shot_spot_score_check CHECK (
        (spot_score IS NULL) = (spot_is_x IS NULL)
        AND (spot_score IS NULL OR (spot_index IS NOT NULL AND spot_score > 0))
        AND (NOT spot_is_x OR spot_score >= 10));

-- The shot's JSON gains `entered_by` (definitions/shot_row.sql), the session's `round` and
-- `progress` (definitions/session_doc_refresh.sql): the stored JSON of every row gets them
-- here, as those definitions write them (the keys last), with the triggers off: nothing else
-- changes, no totals move, nothing is announced.
ALTER TYPE shot_out ADD ATTRIBUTE entered_by text;
ALTER TABLE shot DISABLE TRIGGER USER;
UPDATE shot
SET entered_by = CASE WHEN release_event_id IS NULL THEN 'plot' ELSE 'sensor' END,
    doc = (left(doc::text, -1) || ',"entered_by":"'
           || CASE WHEN release_event_id IS NULL THEN 'plot' ELSE 'sensor' END || '"}')::json;
ALTER TABLE shot ENABLE TRIGGER USER;
ALTER TABLE session DISABLE TRIGGER USER;
UPDATE session SET doc = (left(doc::text, -1) || ', "round" : null, "progress" : null}')::json;
ALTER TABLE session ENABLE TRIGGER USER;

-- migrate:down

-- The definitions of this version name what is dropped here: those a session or a shot is
-- written with are put back as the version before had them (definitions/, at 202612070400),
-- so that the database works at that version until its `migrate up` applies its own; the
-- writer of shots is dropped (that `migrate up` makes it again). Scores by value cannot be
-- kept without `entered_by`: they are deleted.
DROP FUNCTION shot_insert(
    uuid[], uuid[], uuid[], uuid[], uuid[], float8[], float8[], int2[], int2[], float8[], float8[],
    int2[], bool[], int2[], bool[], timestamptz[], timestamptz[], timestamptz[], int8[], int[],
    uuid[], text[], integer, text, text, boolean, text[]);
ALTER TABLE session DISABLE TRIGGER USER;
UPDATE session SET doc = (regexp_replace(doc::text, ', "round" : .*}$', '') || '}')::json;
ALTER TABLE session ENABLE TRIGGER USER;
DELETE FROM shot WHERE entered_by = 'value';
ALTER TABLE shot DISABLE TRIGGER USER;
UPDATE shot SET doc = (regexp_replace(doc::text, ',"entered_by":"[a-z]+"}$', '') || '}')::json;
ALTER TABLE shot ENABLE TRIGGER USER;
ALTER TYPE shot_out DROP ATTRIBUTE entered_by;
CREATE OR REPLACE FUNCTION session_doc_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('TimeZone') = 'UTC' THEN
        NEW.doc := json_build_object('id', NEW.id, 'location', NEW.location,
            'is_indoor', NEW.is_indoor, 'distance_m', NEW.distance_m,
            'start_time', NEW.start_time, 'end_time', NEW.end_time, 'is_open', NEW.is_open,
            'round_code', NEW.round_code, 'arrows_per_end', NEW.arrows_per_end,
            'landing_window_ms', NEW.landing_window_ms, 'notes', NEW.notes,
            'shot_count', NEW.shot_count, 'total_score', NEW.total_score,
            'target_count', NEW.target_count,
            'created_at', NEW.created_at, 'updated_at', NEW.updated_at);
    ELSE
        NEW.doc := session_json(NEW);
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER session_doc BEFORE INSERT OR UPDATE OF
        id, location, is_indoor, distance_m, start_time, end_time, is_open, round_code,
        arrows_per_end, landing_window_ms, notes, shot_count, total_score, target_count,
        created_at, updated_at, doc
    ON session FOR EACH ROW EXECUTE FUNCTION session_doc_refresh();
CREATE OR REPLACE FUNCTION session_json(s session) RETURNS json
LANGUAGE sql STABLE
SET timezone = 'UTC' AS $$
    SELECT json_build_object('id', s.id, 'location', s.location, 'is_indoor', s.is_indoor,
        'distance_m', s.distance_m, 'start_time', s.start_time, 'end_time', s.end_time,
        'is_open', s.is_open, 'round_code', s.round_code, 'arrows_per_end', s.arrows_per_end,
        'landing_window_ms', s.landing_window_ms, 'notes', s.notes,
        'shot_count', s.shot_count, 'total_score', s.total_score,
        'target_count', s.target_count,
        'created_at', s.created_at, 'updated_at', s.updated_at)
$$;
CREATE OR REPLACE FUNCTION shot_row(s shot) RETURNS shot_out
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ROW(s.id, s.session_id, s.target_id, s.arrow_id, s.seq, s.end_no, s.end_place,
               s.x_mm, s.y_mm, s.face_index, s.spot_index, s.dx_mm, s.dy_mm, s.score, s.is_x,
               s.x_mm IS NULL,
               CASE WHEN s.is_x THEN 'X' WHEN s.score = 0 THEN 'M' ELSE s.score::text END,
               s.same_spot_miss,
               CASE WHEN s.same_spot_miss THEN s.spot_score END,
               CASE WHEN NOT s.same_spot_miss THEN NULL
                    WHEN s.spot_is_x THEN 'X' ELSE s.spot_score::text END,
               s.engaged_at, s.released_at, s.landed_at, s.created_at, s.updated_at)::shot_out
$$;
CREATE OR REPLACE FUNCTION shot_insert_totals() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    beyond boolean;
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
        RETURNING s.id, d.last_place > s.arrows_per_end AS beyond
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
    SELECT bool_or(totals.beyond) INTO beyond FROM totals;
    IF beyond THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            CONSTRAINT = 'shot_end_place_within_end',
            MESSAGE = 'a shot''s place in its end is beyond the session''s arrows per end';
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER shot_insert_totals AFTER INSERT ON shot
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (coalesce(current_setting('arch_stats.totals', true), '') <> 'counted')
    EXECUTE FUNCTION shot_insert_totals();
CREATE OR REPLACE FUNCTION shot_place_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.end_place > (SELECT arrows_per_end FROM session WHERE id = NEW.session_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            CONSTRAINT = 'shot_end_place_within_end',
            MESSAGE = format('place %s of end %s is beyond the session''s arrows per end',
                             NEW.end_place, NEW.end_no);
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER shot_place_check BEFORE UPDATE OF end_place, session_id ON shot
    FOR EACH ROW
    WHEN (NEW.end_place IS DISTINCT FROM OLD.end_place
          OR NEW.session_id IS DISTINCT FROM OLD.session_id)
    EXECUTE FUNCTION shot_place_check();

ALTER TABLE shot
    DROP CONSTRAINT shot_spot_score_check,
    ADD CONSTRAINT shot_spot_score_check CHECK (
        (spot_score IS NULL) = (spot_is_x IS NULL)
        AND (spot_score IS NULL OR (x_mm IS NOT NULL AND spot_score > 0))
        AND (NOT spot_is_x OR spot_score >= 10)),
    DROP CONSTRAINT shot_miss_check,
    ADD CONSTRAINT shot_check3 CHECK (x_mm IS NOT NULL OR (score = 0 AND NOT is_x)),
    DROP CONSTRAINT shot_position_check,
    ADD CONSTRAINT shot_check2 CHECK (
        (x_mm IS NULL) = (face_index IS NULL) AND (x_mm IS NULL) = (spot_index IS NULL)),
    DROP COLUMN entered_by;
ALTER TABLE target DROP COLUMN last_end, DROP COLUMN first_end;
ALTER TABLE session DROP COLUMN round_arrows, DROP COLUMN round_plan;
DROP TABLE custom_round_pass;
DROP TABLE custom_round;
