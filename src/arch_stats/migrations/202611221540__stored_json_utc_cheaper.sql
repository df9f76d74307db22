-- migrate:up

-- The stored session and shot JSON (202611221500, 202611221530) pinned TimeZone to UTC on
-- every call (a function-level SET), which costs more than building the JSON itself. Now the
-- triggers build it directly when the writer's TimeZone is already UTC (every connection of
-- Arch Stats sets it), and take the pinned way only for other writers (psql, other tools).

CREATE FUNCTION shot_doc_utc(s shot) RETURNS json
LANGUAGE sql STABLE
SET timezone = 'UTC' AS $$
    SELECT to_json(shot_row(s))
$$;

CREATE OR REPLACE FUNCTION shot_doc_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('TimeZone') = 'UTC' THEN
        NEW.doc := to_json(shot_row(NEW));
    ELSE
        NEW.doc := shot_doc_utc(NEW);
    END IF;
    RETURN NEW;
END
$$;

DROP FUNCTION shot_doc(shot);

-- session_json(s) keeps its name and its pinned TimeZone for other writers; the trigger
-- builds the same object inline when TimeZone is UTC already.
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

-- migrate:down

CREATE OR REPLACE FUNCTION session_doc_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.doc := session_json(NEW);
    RETURN NEW;
END
$$;

CREATE FUNCTION shot_doc(s shot) RETURNS json
LANGUAGE sql STABLE
SET timezone = 'UTC' AS $$
    SELECT to_json(shot_row(s))
$$;

CREATE OR REPLACE FUNCTION shot_doc_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.doc := shot_doc(NEW);
    RETURN NEW;
END
$$;

DROP FUNCTION shot_doc_utc(shot);
