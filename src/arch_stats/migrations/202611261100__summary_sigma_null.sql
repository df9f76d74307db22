-- migrate:up

-- σx and σy of a session with fewer than two impacts do not exist, but `session_summary`
-- stored 0 for them (and GET /stats/history and sessions.csv showed 0): the sample variance
-- `… / nullif(impacts - 1, 0)` is NULL there, and `greatest(NULL, 0)` is 0, since GREATEST
-- ignores NULLs. The clamp at 0 (a rounding guard) now applies only where a variance exists.
-- Generated columns cannot be altered in place: they are dropped and added again (the table
-- is rewritten once, one row per session).
ALTER TABLE session_summary DROP COLUMN sigma_x, DROP COLUMN sigma_y;
ALTER TABLE session_summary
    ADD COLUMN sigma_x float8 GENERATED ALWAYS AS (CASE WHEN impacts > 1 THEN sqrt(greatest(
        (sum_dx2 - sum_dx * sum_dx / impacts) / (impacts - 1), 0)::float8) END) STORED,
    ADD COLUMN sigma_y float8 GENERATED ALWAYS AS (CASE WHEN impacts > 1 THEN sqrt(greatest(
        (sum_dy2 - sum_dy * sum_dy / impacts) / (impacts - 1), 0)::float8) END) STORED;

-- migrate:down

ALTER TABLE session_summary DROP COLUMN sigma_x, DROP COLUMN sigma_y;
ALTER TABLE session_summary
    ADD COLUMN sigma_x float8 GENERATED ALWAYS AS (sqrt(greatest(
        (sum_dx2 - sum_dx * sum_dx / nullif(impacts, 0)) / nullif(impacts - 1, 0), 0
    )::float8)) STORED,
    ADD COLUMN sigma_y float8 GENERATED ALWAYS AS (sqrt(greatest(
        (sum_dy2 - sum_dy * sum_dy / nullif(impacts, 0)) / nullif(impacts - 1, 0), 0
    )::float8)) STORED;
