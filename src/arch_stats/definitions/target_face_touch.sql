-- A target's faces are part of the target: any write to `target_face` writes the target row
-- too (its `updated_at`), so that the row's version (`xmin`) changes with every change of how
-- the target scores. Posts of shots score against cached target data and insert only if that
-- version is unchanged (shots/target_cache.py).

CREATE OR REPLACE FUNCTION target_face_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE target SET updated_at = now() WHERE id = NEW.target_id;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE target SET updated_at = now() WHERE id = OLD.target_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER target_face_touch AFTER INSERT OR UPDATE OR DELETE ON target_face
    FOR EACH ROW EXECUTE FUNCTION target_face_touch();
