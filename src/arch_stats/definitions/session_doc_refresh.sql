-- A session's JSON, kept ready in its row (`session.doc`): reading a session, or a page of 50,
-- costs what reading stored text costs. Rebuilt before every write of a column it shows,
-- whoever writes (the API, the shot triggers, the assembler, imports): it cannot go stale and
-- cannot be set by hand. The shape is exactly what the API returns (sessions/schemas.py:
-- SessionOut), timestamps in UTC: built inline when the writer's TimeZone is UTC already
-- (every connection of Arch Stats sets it), else by session_json, which pins it. `progress`
-- is null here: it depends on the shots, and the answers about one session put it in its
-- place, the last member (sessions/service.py).
--
-- requires: session_json

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
            'created_at', NEW.created_at, 'updated_at', NEW.updated_at,
            'round', NEW.round_plan, 'progress', NULL);
    ELSE
        NEW.doc := session_json(NEW);
    END IF;
    RETURN NEW;
END
$$;

-- Not on `last_seq` alone (it changes with every shot and is not shown).
CREATE OR REPLACE TRIGGER session_doc BEFORE INSERT OR UPDATE OF
        id, location, is_indoor, distance_m, start_time, end_time, is_open, round_code,
        arrows_per_end, landing_window_ms, notes, shot_count, total_score, target_count,
        created_at, updated_at, round_plan, doc
    ON session FOR EACH ROW EXECUTE FUNCTION session_doc_refresh();
