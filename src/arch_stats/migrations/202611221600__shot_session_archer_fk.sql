-- migrate:up

-- A shot's session and archer are checked by one foreign key, (session_id, archer_id) →
-- session (id, archer_id), instead of one each: one lookup per inserted shot instead of two,
-- and the shot's archer can no longer differ from its session's. The archer's own key is
-- implied (session.archer_id references archer, ON DELETE CASCADE): deleting an archer
-- still deletes the sessions, and with them the shots.
CREATE UNIQUE INDEX session_id_archer_id_key ON session (id, archer_id);
ALTER TABLE session ADD CONSTRAINT session_id_archer_id_key
    UNIQUE USING INDEX session_id_archer_id_key;
ALTER TABLE shot
    ADD CONSTRAINT shot_session_archer_fkey FOREIGN KEY (session_id, archer_id)
        REFERENCES session (id, archer_id) ON DELETE CASCADE,
    DROP CONSTRAINT shot_session_id_fkey,
    DROP CONSTRAINT shot_archer_id_fkey;

-- migrate:down

ALTER TABLE shot
    ADD CONSTRAINT shot_session_id_fkey FOREIGN KEY (session_id)
        REFERENCES session (id) ON DELETE CASCADE,
    ADD CONSTRAINT shot_archer_id_fkey FOREIGN KEY (archer_id)
        REFERENCES archer (id) ON DELETE CASCADE,
    DROP CONSTRAINT shot_session_archer_fkey;
ALTER TABLE session DROP CONSTRAINT session_id_archer_id_key;
