-- A shot's JSON, kept ready in its row (`shot.doc`): listing a session of 10,000 shots joins
-- stored text, and the JSON a write returns and the live notification it sends are the stored
-- one. Built before every INSERT and UPDATE, whoever writes; it cannot be set by hand. The
-- shape is shot_row's, timestamps in UTC: built inline when the writer's TimeZone is UTC
-- already (every connection of Arch Stats sets it), else by shot_doc_utc, which pins it.
--
-- requires: shot_row, shot_doc_utc

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

CREATE OR REPLACE TRIGGER shot_doc BEFORE INSERT OR UPDATE ON shot
    FOR EACH ROW EXECUTE FUNCTION shot_doc_refresh();
