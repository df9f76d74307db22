-- Wakes the shot assembler once per statement that inserts sensor events (channel
-- `arch_stats_sensor`).

CREATE OR REPLACE FUNCTION sensor_event_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('arch_stats_sensor', '');
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER sensor_event_notify AFTER INSERT ON sensor_event
    FOR EACH STATEMENT EXECUTE FUNCTION sensor_event_notify();
