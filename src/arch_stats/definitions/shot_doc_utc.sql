-- A shot's JSON with its timestamps in UTC whatever the caller's TimeZone: what
-- shot_doc_refresh stores for writers whose TimeZone is not UTC.
--
-- requires: shot_row

CREATE OR REPLACE FUNCTION shot_doc_utc(s shot) RETURNS json
LANGUAGE sql STABLE
SET timezone = 'UTC' AS $$
    SELECT to_json(shot_row(s))
$$;
