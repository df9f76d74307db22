-- migrate:up

-- Issue 22 (items 1–3): club competitions, scored at the bale, ranked by the rules.
--
-- * `competition`: a club's competition (a club night, a league round, a championship's
--   qualification): name, dates, venue, round (a standard round code, or one of the club's
--   custom rounds), its end size, how many archers share a bale (details A, B, C …), its state
--   (planned → running → finished) and the hash of its public results link.
-- * `competition_category`: the categories the club chose (bowstyle × age class × gender,
--   `ranking.categories`): `key` as that module makes it.
-- * `competition_entry`: an archer entered, in one category, at a bale and detail (the target
--   list). A guest (entered by name, no account) is an archer row with `is_guest`, which can
--   never sign in: their arrows are written by the one writer of shots like everyone's (see
--   docs/competitions.md). `session_id`: the entry's session, opened when the competition
--   starts (or when entered into a running one).
-- * `competition_end`: an end an archer has confirmed ("signed"), by whom. A confirmed end's
--   shots cannot change (definitions/competition_end_locked.sql) until the archer or an
--   organiser takes the confirmation back.
-- * `archer.is_guest`: an account-less archer of a competition (kept out of the accounts list).

ALTER TABLE archer ADD COLUMN is_guest boolean NOT NULL DEFAULT false;

CREATE TABLE competition (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    club_id          uuid NOT NULL REFERENCES club (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    venue            text NOT NULL DEFAULT '' CHECK (length(venue) <= 200),
    starts_on        date NOT NULL,
    ends_on          date NOT NULL,
    round_code       text CHECK (length(round_code) BETWEEN 1 AND 100),
    custom_round_id  uuid REFERENCES custom_round (id) ON DELETE RESTRICT,
    arrows_per_end   smallint NOT NULL CHECK (arrows_per_end BETWEEN 1 AND 24),
    archers_per_bale smallint NOT NULL DEFAULT 4 CHECK (archers_per_bale BETWEEN 1 AND 6),
    status           text NOT NULL DEFAULT 'planned'
                     CHECK (status IN ('planned', 'running', 'finished')),
    results_token_hash bytea UNIQUE,
    created_by       uuid REFERENCES archer (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((round_code IS NULL) <> (custom_round_id IS NULL)),
    CHECK (ends_on >= starts_on AND ends_on - starts_on <= 31)
);
CREATE INDEX competition_club_idx ON competition (club_id, starts_on DESC);

CREATE TABLE competition_category (
    competition_id uuid NOT NULL REFERENCES competition (id) ON DELETE CASCADE,
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 100),
    label          text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    ord            integer NOT NULL,
    PRIMARY KEY (competition_id, key)
);

CREATE TABLE competition_entry (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    competition_id uuid NOT NULL REFERENCES competition (id) ON DELETE CASCADE,
    archer_id      uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    category_key   text NOT NULL,
    bale           smallint CHECK (bale BETWEEN 1 AND 500),
    detail         smallint CHECK (detail BETWEEN 1 AND 6),  -- 1 = A, 2 = B …
    session_id     uuid UNIQUE REFERENCES session (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (competition_id, category_key)
        REFERENCES competition_category (competition_id, key) ON UPDATE CASCADE,
    UNIQUE (competition_id, archer_id),
    -- One archer per place on the target list; a move to a taken place is refused (409).
    CONSTRAINT competition_entry_place_key UNIQUE (competition_id, bale, detail)
        DEFERRABLE INITIALLY IMMEDIATE,
    CHECK ((bale IS NULL) = (detail IS NULL))
);
CREATE INDEX competition_entry_archer_idx ON competition_entry (archer_id);

CREATE TABLE competition_end (
    entry_id     uuid NOT NULL REFERENCES competition_entry (id) ON DELETE CASCADE,
    end_no       integer NOT NULL CHECK (end_no >= 1),
    confirmed_by uuid REFERENCES archer (id) ON DELETE SET NULL,
    confirmed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entry_id, end_no)
);

-- migrate:down

DROP TRIGGER IF EXISTS competition_end_locked ON shot;
DROP FUNCTION IF EXISTS competition_end_locked();
DROP TABLE competition_end;
DROP TABLE competition_entry;
DROP TABLE competition_category;
DROP TABLE competition;
ALTER TABLE archer DROP COLUMN is_guest;
