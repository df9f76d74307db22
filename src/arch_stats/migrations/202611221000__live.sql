-- migrate:up

-- The one JSON shape of a shot, shared by the REST API and the live notifications. STABLE (as
-- its body is: timestamps print in the session time zone) so that PostgreSQL inlines it.
CREATE FUNCTION shot_json(s shot) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT json_build_object(
        'id', s.id, 'session_id', s.session_id, 'target_id', s.target_id,
        'arrow_id', s.arrow_id, 'seq', s.seq, 'end_no', s.end_no, 'x_mm', s.x_mm,
        'y_mm', s.y_mm, 'face_index', s.face_index, 'spot_index', s.spot_index,
        'dx_mm', s.dx_mm, 'dy_mm', s.dy_mm, 'score', s.score, 'is_x', s.is_x,
        'is_miss', s.x_mm IS NULL,
        'label', CASE WHEN s.is_x THEN 'X' WHEN s.score = 0 THEN 'M' ELSE s.score::text END,
        'engaged_at', s.engaged_at, 'released_at', s.released_at, 'landed_at', s.landed_at,
        'created_at', s.created_at, 'updated_at', s.updated_at)
$$;

-- One reading from one device. Readers insert here (or POST over HTTP with a device token);
-- the shot assembler turns them into shots and marks them processed.
CREATE TABLE sensor_event (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    archer_id    uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    session_id   uuid NOT NULL REFERENCES session (id) ON DELETE CASCADE,
    device       text NOT NULL CHECK (length(device) BETWEEN 1 AND 100),
    kind         text NOT NULL CHECK (kind IN ('arrow_identified', 'arrow_engaged',
                                               'arrow_released', 'arrow_landed')),
    sensor_ts    timestamptz NOT NULL,
    arrow_id     uuid REFERENCES arrow (id) ON DELETE SET NULL,
    target_id    uuid REFERENCES target (id) ON DELETE SET NULL,
    x_mm         double precision,
    y_mm         double precision,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    -- What became of it: the shot it is part of, or why it was set aside.
    shot_id      uuid REFERENCES shot (id) ON DELETE SET NULL,
    outcome      text CHECK (length(outcome) <= 200),
    CHECK ((x_mm IS NULL) = (y_mm IS NULL)),
    CHECK ((kind = 'arrow_landed') = (x_mm IS NOT NULL)),
    CHECK (kind <> 'arrow_identified' OR arrow_id IS NOT NULL),
    -- A reader that retries a post after a timeout sends the same reading again.
    UNIQUE (archer_id, device, kind, sensor_ts)
);
CREATE INDEX sensor_event_pending_idx ON sensor_event (sensor_ts, id) WHERE processed_at IS NULL;
CREATE INDEX sensor_event_session_idx ON sensor_event (session_id, sensor_ts);

ALTER TABLE shot ADD COLUMN release_event_id bigint UNIQUE
    REFERENCES sensor_event (id) ON DELETE SET NULL;

-- Wake the assembler once per inserting statement.
CREATE FUNCTION sensor_event_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('arch_stats_sensor', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER sensor_event_notify AFTER INSERT ON sensor_event
    FOR EACH STATEMENT EXECUTE FUNCTION sensor_event_notify();

-- Live updates: one notification per changed shot, carrying the shot itself so that no process
-- has to read it back. Delivered on commit, in commit order, to every listening process.
CREATE FUNCTION shot_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r shot;
    kind text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := OLD; kind := 'shot.deleted';
    ELSIF TG_OP = 'INSERT' THEN
        r := NEW; kind := 'shot.created';
    ELSE
        r := NEW; kind := 'shot.updated';
    END IF;
    PERFORM pg_notify('arch_stats_live', json_build_object(
        'type', kind, 'session_id', r.session_id, 'archer_id', r.archer_id, 'seq', r.seq,
        'request_id', current_setting('arch_stats.request_id', true),
        'data', shot_json(r))::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER shot_notify AFTER INSERT OR UPDATE OR DELETE ON shot
    FOR EACH ROW EXECUTE FUNCTION shot_notify();

CREATE FUNCTION session_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('arch_stats_live', json_build_object(
        'type', 'session.closed', 'session_id', NEW.id, 'archer_id', NEW.archer_id, 'seq', NULL,
        'request_id', current_setting('arch_stats.request_id', true),
        'data', json_build_object('id', NEW.id, 'end_time', NEW.end_time))::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER session_closed_notify AFTER UPDATE OF is_open ON session
    FOR EACH ROW WHEN (OLD.is_open AND NOT NEW.is_open)
    EXECUTE FUNCTION session_notify();

-- migrate:down

DROP TRIGGER session_closed_notify ON session;
DROP FUNCTION session_notify();
DROP TRIGGER shot_notify ON shot;
DROP FUNCTION shot_notify();
DROP TRIGGER sensor_event_notify ON sensor_event;
DROP FUNCTION sensor_event_notify();
ALTER TABLE shot DROP COLUMN release_event_id;
DROP TABLE sensor_event;
DROP FUNCTION shot_json(shot);
