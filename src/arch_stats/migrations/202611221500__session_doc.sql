-- migrate:up

-- A session's JSON, kept ready in the row: reading a session, or a page of 50, then costs
-- what reading stored text costs, not building 17 fields (three timestamps to format and a
-- count of targets) for every row on every read. The shape is exactly what the API returns
-- (sessions/schemas.py: SessionOut).
--
-- 1. `target_count` becomes a column kept current by a trigger on `target`, like
--    `shot_count` and `total_score` (202611220410).
-- 2. `doc` is rebuilt by a BEFORE trigger whenever a column it shows is written, whoever
--    writes it (the API, the shot triggers, the assembler, imports); it cannot go stale and
--    cannot be set by hand (writing it rebuilds it). Timestamps are formatted in UTC
--    whatever the writer's TimeZone setting.

ALTER TABLE session
    ADD COLUMN target_count integer NOT NULL DEFAULT 0 CHECK (target_count >= 0),
    ADD COLUMN doc json;

UPDATE session s SET target_count = (SELECT count(*) FROM target t WHERE t.session_id = s.id);

CREATE FUNCTION target_count_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE session SET target_count = target_count + 1 WHERE id = NEW.session_id;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE session SET target_count = target_count - 1 WHERE id = OLD.session_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER target_count_insert_delete AFTER INSERT OR DELETE ON target
    FOR EACH ROW EXECUTE FUNCTION target_count_apply();
CREATE TRIGGER target_count_move AFTER UPDATE OF session_id ON target
    FOR EACH ROW WHEN (OLD.session_id IS DISTINCT FROM NEW.session_id)
    EXECUTE FUNCTION target_count_apply();

CREATE FUNCTION session_json(s session) RETURNS json
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

CREATE FUNCTION session_doc_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.doc := session_json(NEW);
    RETURN NEW;
END
$$;

-- Not on `last_seq` alone (it changes with every shot and is not shown).
CREATE TRIGGER session_doc BEFORE INSERT OR UPDATE OF
        id, location, is_indoor, distance_m, start_time, end_time, is_open, round_code,
        arrows_per_end, landing_window_ms, notes, shot_count, total_score, target_count,
        created_at, updated_at, doc
    ON session FOR EACH ROW EXECUTE FUNCTION session_doc_refresh();

UPDATE session SET doc = NULL;
ALTER TABLE session ALTER COLUMN doc SET NOT NULL;

-- migrate:down

DROP TRIGGER session_doc ON session;
DROP FUNCTION session_doc_refresh();
DROP FUNCTION session_json(session);
DROP TRIGGER target_count_move ON target;
DROP TRIGGER target_count_insert_delete ON target;
DROP FUNCTION target_count_apply();
ALTER TABLE session DROP COLUMN doc, DROP COLUMN target_count;
