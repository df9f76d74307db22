-- migrate:up

-- A shot's JSON, kept ready in the row (like a session's, 202611221500): listing a session
-- of 10,000 shots then joins stored text instead of building 21 fields per row on every
-- read, and the JSON a write returns and the live notification it sends are the stored one.
-- The shape is unchanged (`shot_row`, 202611221400); `shot_json(s)`, used by every reader
-- (API, live catch-up, notifications), now returns the stored JSON. A BEFORE trigger builds
-- it on every INSERT and UPDATE, whoever writes, timestamps in UTC whatever the writer's
-- TimeZone; it cannot be set by hand.

ALTER TABLE shot ADD COLUMN doc json;

CREATE FUNCTION shot_doc(s shot) RETURNS json
LANGUAGE sql STABLE
SET timezone = 'UTC' AS $$
    SELECT to_json(shot_row(s))
$$;

CREATE FUNCTION shot_doc_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.doc := shot_doc(NEW);
    RETURN NEW;
END
$$;

CREATE TRIGGER shot_doc BEFORE INSERT OR UPDATE ON shot
    FOR EACH ROW EXECUTE FUNCTION shot_doc_refresh();

-- Existing shots: their JSON only (no totals to move, no live notification to send).
ALTER TABLE shot DISABLE TRIGGER shot_totals_update;
ALTER TABLE shot DISABLE TRIGGER session_summary_update;
ALTER TABLE shot DISABLE TRIGGER shot_notify_update;
UPDATE shot SET doc = NULL;
ALTER TABLE shot ENABLE TRIGGER shot_totals_update;
ALTER TABLE shot ENABLE TRIGGER session_summary_update;
ALTER TABLE shot ENABLE TRIGGER shot_notify_update;
ALTER TABLE shot ALTER COLUMN doc SET NOT NULL;

CREATE OR REPLACE FUNCTION shot_json(s shot) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT s.doc
$$;

-- migrate:down

CREATE OR REPLACE FUNCTION shot_json(s shot) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_json(shot_row(s))
$$;
DROP TRIGGER shot_doc ON shot;
DROP FUNCTION shot_doc_refresh();
DROP FUNCTION shot_doc(shot);
ALTER TABLE shot DROP COLUMN doc;
