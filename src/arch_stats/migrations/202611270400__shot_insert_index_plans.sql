-- migrate:up

-- `shot_insert` reads the shot table by index only, whatever its statistics said when a
-- connection first planned it.
--
-- Its statements are planned once per connection (force_generic_plan, 202611261410) and
-- the plan kept until the table's statistics change. A connection that first wrote while
-- the table was small (a fresh install, a pool opened before a club night's first arrows)
-- kept a sequential scan of the whole shot table for "the session's current end and its
-- places": every post then read every shot of every session, a post's cost grew with the
-- table (1.1 ms → 2.1 ms a one-shot post after 4,000 shots, bench/README.md "Writes") until
-- autovacuum happened to analyze it. Each of these reads has its index (shot's keys:
-- (session_id, end_no, end_place), release_event_id); the session and target rows are read
-- by their keys. Without sequential scans, the cached plan is the index path at any size.

ALTER FUNCTION shot_insert(uuid[], uuid[], uuid[], uuid[], uuid[], float8[], float8[], int2[],
    int2[], float8[], float8[], int2[], bool[], int2[], bool[], timestamptz[], timestamptz[],
    timestamptz[], int8[], int[], uuid[], text[], integer, text, text, boolean)
    SET enable_seqscan = off;

-- migrate:down

ALTER FUNCTION shot_insert(uuid[], uuid[], uuid[], uuid[], uuid[], float8[], float8[], int2[],
    int2[], float8[], float8[], int2[], bool[], int2[], bool[], timestamptz[], timestamptz[],
    timestamptz[], int8[], int[], uuid[], text[], integer, text, text, boolean)
    RESET enable_seqscan;
