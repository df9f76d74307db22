-- migrate:up

-- A target's faces are part of the target: any write to `target_face` now writes the target
-- row too (its `updated_at`), so that the row's version (`xmin`) changes with every change
-- of how the target scores. Posts of shots score against cached target data and insert only
-- if that version is unchanged (shots/target_cache.py); the API always rewrote the target
-- row with its faces, this makes direct writes (other tools, psql) safe as well.
CREATE FUNCTION target_face_touch() RETURNS trigger
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

CREATE TRIGGER target_face_touch AFTER INSERT OR UPDATE OR DELETE ON target_face
    FOR EACH ROW EXECUTE FUNCTION target_face_touch();

-- migrate:down

DROP TRIGGER target_face_touch ON target_face;
DROP FUNCTION target_face_touch();
