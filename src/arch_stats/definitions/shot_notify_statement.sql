-- Live updates: one notification per statement that writes shots, carrying the shots
-- themselves so that no process reads them back. The payload is a JSON array of notes
-- (`{"type","session_id","archer_id","seq","request_id","data"}`) in (session, seq) order; a
-- statement whose notes pass the 8000-byte payload limit sends several arrays, each under it.
-- Delivered on commit, in commit order, to every listening process (channel
-- `arch_stats_live`). Shots posted by several requests and written by one statement
-- (shots/writer.py) each name the request that posted them: the statement sets
-- `arch_stats.request_ids` (a JSON array, one request id per shot in seq order) next to
-- `arch_stats.request_id`. Posts whose writer announces its shots itself once committed
-- (`arch_stats.live` = 'after', shot_insert's `p_live_after`) are not notified here.
--
-- requires: shot_json

CREATE OR REPLACE FUNCTION shot_notify_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    kind text := CASE TG_OP WHEN 'INSERT' THEN 'shot.created'
                            WHEN 'UPDATE' THEN 'shot.updated'
                            ELSE 'shot.deleted' END;
    rid text := current_setting('arch_stats.request_id', true);
    -- Set (a JSON array, one request id per new shot in seq order) when several requests'
    -- shots were written by one statement (shots/writer.py).
    rids json := CASE WHEN TG_OP = 'INSERT'
                      THEN nullif(current_setting('arch_stats.request_ids', true), '')::json END;
    note text;
    batch text := NULL;
BEGIN
    IF TG_OP = 'DELETE' THEN
        FOR note IN
            SELECT json_build_object('type', kind, 'session_id', r.session_id,
                                     'archer_id', r.archer_id, 'seq', r.seq, 'request_id', rid,
                                     'data', shot_json(r))::text
            FROM old_rows r ORDER BY r.session_id, r.seq
        LOOP
            IF batch IS NOT NULL AND octet_length(batch) + octet_length(note) + 2 > 7900 THEN
                PERFORM pg_notify('arch_stats_live', '[' || batch || ']');
                batch := NULL;
            END IF;
            batch := CASE WHEN batch IS NULL THEN note ELSE batch || ',' || note END;
        END LOOP;
    ELSE
        FOR note IN
            SELECT json_build_object('type', kind, 'session_id', r.session_id,
                                     'archer_id', r.archer_id, 'seq', r.seq,
                                     'request_id', CASE WHEN rids IS NULL THEN rid
                                         ELSE rids ->> (row_number() OVER w - 1)::int END,
                                     'data', shot_json(r))::text
            FROM new_rows r WINDOW w AS (ORDER BY r.session_id, r.seq)
            ORDER BY r.session_id, r.seq
        LOOP
            IF batch IS NOT NULL AND octet_length(batch) + octet_length(note) + 2 > 7900 THEN
                PERFORM pg_notify('arch_stats_live', '[' || batch || ']');
                batch := NULL;
            END IF;
            batch := CASE WHEN batch IS NULL THEN note ELSE batch || ',' || note END;
        END LOOP;
    END IF;
    IF batch IS NOT NULL THEN
        PERFORM pg_notify('arch_stats_live', '[' || batch || ']');
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER shot_notify_delete AFTER DELETE ON shot
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shot_notify_statement();

CREATE OR REPLACE TRIGGER shot_notify_insert AFTER INSERT ON shot
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (coalesce(current_setting('arch_stats.live', true), '') <> 'after')
    EXECUTE FUNCTION shot_notify_statement();

CREATE OR REPLACE TRIGGER shot_notify_update AFTER UPDATE ON shot
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shot_notify_statement();
