-- migrate:up

-- Secrets of this instance, made once here and kept with the data (issue 18): the same in
-- every server process, after a restart and after a restore of a backup.
--
-- `shot_ids`: shot ids derived from an Idempotency-Key are an HMAC of the archer, the shot's
-- place in the post and the key under this secret (shots/service.py). Derived without a
-- secret, another account could compute a victim's ids and store shots under them first, so
-- that every post of the victim with that key was refused (409).
-- gen_random_uuid() draws from PostgreSQL's strong random source: 244 random bits here.
CREATE TABLE instance_secret (
    name  text PRIMARY KEY,
    value bytea NOT NULL CHECK (length(value) >= 32)
);

INSERT INTO instance_secret (name, value)
VALUES ('shot_ids', sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')));

-- migrate:down

DROP TABLE instance_secret;
