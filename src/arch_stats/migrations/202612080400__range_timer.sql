-- migrate:up

-- The range timer (issue 22, item 6): a club's World Archery shooting clock, shown on a big
-- screen and run from an organiser's phone. One row per timer: its settings, and the state
-- its organisers last set (`timer/machine.py`: what happens by the clock alone — the walk-up
-- turning into shooting time, one detail's time running out — is derived from this row and
-- the time, never written). A revocable public read-only link per timer, as the club board
-- has (only its SHA-256 is stored). A competition may be named here later (its own
-- migration); a timer does without one.
CREATE TABLE range_timer (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    club_id             uuid NOT NULL REFERENCES club (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    -- settings
    mode                text NOT NULL CHECK (mode IN ('details', 'alternating')),
    details             smallint NOT NULL CHECK (details IN (1, 2)),
    arrows              smallint NOT NULL CHECK (arrows BETWEEN 1 AND 12),
    shoot_seconds       integer NOT NULL CHECK (shoot_seconds BETWEEN 5 AND 900),
    walkup_seconds      integer NOT NULL CHECK (walkup_seconds BETWEEN 0 AND 60),
    warning_seconds     integer NOT NULL CHECK (warning_seconds BETWEEN 0 AND 300),
    side_a              text NOT NULL CHECK (length(side_a) BETWEEN 1 AND 40),
    side_b              text NOT NULL CHECK (length(side_b) BETWEEN 1 AND 40),
    -- state: the phase, when it began (for a paused one: as if it had run without a pause),
    -- how long it lasts, and what was left of it when it was paused
    phase               text NOT NULL DEFAULT 'ready'
                        CHECK (phase IN ('ready', 'walkup', 'shoot', 'collect')),
    end_no              integer NOT NULL DEFAULT 0 CHECK (end_no BETWEEN 0 AND 10000),
    turn                smallint NOT NULL DEFAULT 0 CHECK (turn BETWEEN 0 AND 23),
    first_side          smallint NOT NULL DEFAULT 0 CHECK (first_side IN (0, 1)),
    started_at          timestamptz,
    duration_ms         integer CHECK (duration_ms BETWEEN 0 AND 900000),
    paused_remaining_ms integer CHECK (paused_remaining_ms BETWEEN 0 AND 900000),
    emergency           boolean NOT NULL DEFAULT false,
    -- the sound signal (whistles) given at signal_at: 2 to the line, 1 shoot, 3 end, 5 stop
    signal              smallint NOT NULL DEFAULT 0 CHECK (signal BETWEEN 0 AND 5),
    signal_at           timestamptz,
    -- the public read-only link
    link_hash           bytea UNIQUE,
    link_created_at     timestamptz,
    created_by          uuid REFERENCES archer (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT range_timer_running_timed CHECK (
        phase NOT IN ('walkup', 'shoot') OR (started_at IS NOT NULL AND duration_ms IS NOT NULL)),
    CONSTRAINT range_timer_pause_within CHECK (
        paused_remaining_ms IS NULL
        OR (phase IN ('walkup', 'shoot') AND paused_remaining_ms <= duration_ms)),
    CONSTRAINT range_timer_link_dated CHECK ((link_hash IS NULL) = (link_created_at IS NULL))
);
CREATE INDEX range_timer_club_idx ON range_timer (club_id, created_at);

-- migrate:down

DROP TABLE range_timer;
