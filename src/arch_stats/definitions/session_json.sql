-- A session's JSON (sessions/schemas.py: SessionOut), timestamps in UTC whatever the caller's
-- TimeZone: what session_doc_refresh stores for writers whose TimeZone is not UTC.

CREATE OR REPLACE FUNCTION session_json(s session) RETURNS json
LANGUAGE sql STABLE
SET timezone = 'UTC' AS $$
    SELECT json_build_object('id', s.id, 'location', s.location, 'is_indoor', s.is_indoor,
        'distance_m', s.distance_m, 'start_time', s.start_time, 'end_time', s.end_time,
        'is_open', s.is_open, 'round_code', s.round_code, 'arrows_per_end', s.arrows_per_end,
        'landing_window_ms', s.landing_window_ms, 'notes', s.notes,
        'shot_count', s.shot_count, 'total_score', s.total_score,
        'target_count', s.target_count,
        'created_at', s.created_at, 'updated_at', s.updated_at, 'round', s.round_plan,
        'progress', NULL)
$$;
