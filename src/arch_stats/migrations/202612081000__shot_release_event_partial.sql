-- migrate:up
-- A shot's sensor release is unique among the shots that have one; the shots entered by hand
-- or on a phone (every shot but the assembler's) have none and no longer each add a NULL
-- entry to this index (one index entry fewer per shot written: issue 23). shot_insert's
-- ON CONFLICT names the predicate, which the full index of earlier versions satisfies too.
ALTER TABLE shot DROP CONSTRAINT shot_release_event_id_key;
CREATE UNIQUE INDEX shot_release_event_id_key ON shot (release_event_id)
    WHERE release_event_id IS NOT NULL;

-- migrate:down
DROP INDEX shot_release_event_id_key;
ALTER TABLE shot ADD CONSTRAINT shot_release_event_id_key UNIQUE (release_event_id);
