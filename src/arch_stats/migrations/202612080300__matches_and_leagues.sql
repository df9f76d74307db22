-- migrate:up

-- Issue 22 (items 4 and 5): head-to-head brackets after a competition's qualification, and a
-- club's leagues (a season of its competitions with a points table).
--
-- * `bracket`: one per category of a competition, drawn from its qualification ranking
--   (`matches.bracket`): its system (sets or cumulative, `matches.rules`), its places (a power
--   of two), how many archers qualified (the rest of the places are byes), and the face and
--   distance its matches are shot at.
-- * `bracket_match`: a match, by round (0 = the first; -1 = the bronze medal match) and
--   position from the top. `winner` (side 0 or 1) is set once decided (a bye at once), so
--   that the next match knows its archers; `judge_winner` is the judge's decision of a
--   shoot-off that the positions could not decide.
-- * `bracket_match_archer`: an archer's side of a match: the competition entry, their seed,
--   and the session their match arrows are written to (their own, so history counts them).
-- * `league`: a club's season: points by raw score or Archery GB handicap allowance, best N
--   of its competitions counting, and the hash of its public page's link.
-- * `league_competition`: the competitions of a season, of the league's own club only.

ALTER TABLE competition ADD CONSTRAINT competition_id_club_id_key UNIQUE (id, club_id);

CREATE TABLE bracket (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    competition_id uuid NOT NULL REFERENCES competition (id) ON DELETE CASCADE,
    category_key   text NOT NULL,
    system         text NOT NULL CHECK (system IN ('sets', 'cumulative')),
    size           smallint NOT NULL CHECK (size IN (2, 4, 8, 16, 32, 64)),
    archers        smallint NOT NULL CHECK (archers >= 2 AND archers <= size),
    face_type      text NOT NULL CHECK (length(face_type) BETWEEN 1 AND 50),
    distance_m     double precision NOT NULL CHECK (distance_m > 0 AND distance_m <= 1000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (competition_id, category_key)
        REFERENCES competition_category (competition_id, key) ON DELETE CASCADE ON UPDATE CASCADE,
    UNIQUE (competition_id, category_key)
);

CREATE TABLE bracket_match (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    bracket_id   uuid NOT NULL REFERENCES bracket (id) ON DELETE CASCADE,
    round_no     smallint NOT NULL CHECK (round_no BETWEEN -1 AND 5),
    position     smallint NOT NULL CHECK (position BETWEEN 0 AND 31),
    winner       smallint CHECK (winner IN (0, 1)),
    judge_winner smallint CHECK (judge_winner IN (0, 1)),
    decided_at   timestamptz,
    CHECK ((winner IS NULL) = (decided_at IS NULL)),
    CHECK (round_no >= 0 OR position = 0),
    UNIQUE (bracket_id, round_no, position)
);

CREATE TABLE bracket_match_archer (
    match_id   uuid NOT NULL REFERENCES bracket_match (id) ON DELETE CASCADE,
    side       smallint NOT NULL CHECK (side IN (0, 1)),
    entry_id   uuid NOT NULL REFERENCES competition_entry (id) ON DELETE CASCADE,
    seed       smallint NOT NULL CHECK (seed BETWEEN 1 AND 64),
    session_id uuid UNIQUE REFERENCES session (id) ON DELETE SET NULL,
    PRIMARY KEY (match_id, side)
);
CREATE INDEX bracket_match_archer_entry_idx ON bracket_match_archer (entry_id);

CREATE TABLE league (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    club_id           uuid NOT NULL REFERENCES club (id) ON DELETE CASCADE,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    basis             text NOT NULL CHECK (basis IN ('raw', 'handicap')),
    best_of           smallint NOT NULL CHECK (best_of BETWEEN 1 AND 100),
    public_token_hash bytea UNIQUE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, club_id)
);
CREATE INDEX league_club_idx ON league (club_id);

CREATE TABLE league_competition (
    league_id      uuid NOT NULL,
    competition_id uuid NOT NULL,
    club_id        uuid NOT NULL,
    PRIMARY KEY (league_id, competition_id),
    FOREIGN KEY (league_id, club_id) REFERENCES league (id, club_id) ON DELETE CASCADE,
    FOREIGN KEY (competition_id, club_id) REFERENCES competition (id, club_id) ON DELETE CASCADE
);
CREATE INDEX league_competition_competition_idx ON league_competition (competition_id);

-- migrate:down

DROP TABLE league_competition;
DROP TABLE league;
DROP TABLE bracket_match_archer;
DROP TABLE bracket_match;
DROP TABLE bracket;
ALTER TABLE competition DROP CONSTRAINT competition_id_club_id_key;
