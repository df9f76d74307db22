-- migrate:up

CREATE TABLE archer (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email           text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash   text NOT NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    bowstyle        text NOT NULL DEFAULT 'recurve'
                    CHECK (bowstyle IN ('recurve', 'compound', 'barebow', 'longbow',
                                        'traditional', 'flatbow')),
    gender          text NOT NULL DEFAULT 'male' CHECK (gender IN ('male', 'female')),
    age_group       text NOT NULL DEFAULT 'adult'
                    CHECK (age_group IN ('adult', '50+', 'under 21', 'under 18', 'under 16',
                                         'under 15', 'under 14', 'under 12')),
    draw_weight_lbs double precision CHECK (draw_weight_lbs > 0 AND draw_weight_lbs < 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX archer_email_key ON archer (lower(email));

CREATE TABLE auth_token (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    archer_id    uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE,
    scope        text NOT NULL CHECK (scope IN ('login', 'sensor')),
    name         text CHECK (length(name) <= 100),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CHECK (expires_at IS NULL OR expires_at > created_at)
);
CREATE INDEX auth_token_archer_idx ON auth_token (archer_id, scope);

CREATE TABLE arrow (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    archer_id         uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    identifier        text NOT NULL CHECK (length(identifier) BETWEEN 1 AND 10),
    length_mm         double precision CHECK (length_mm > 0),
    weight_grains     double precision CHECK (weight_grains > 0),
    diameter_mm       double precision NOT NULL DEFAULT 5.5
                      CHECK (diameter_mm > 0 AND diameter_mm <= 20),
    spine             integer CHECK (spine > 0),
    label_position_mm double precision CHECK (label_position_mm >= 0),
    is_programmed     boolean NOT NULL DEFAULT false,
    is_active         boolean NOT NULL DEFAULT true,
    retired_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (is_active = (retired_at IS NULL))
);
-- An identifier is unique among the archer's active arrows; retired ones keep theirs.
CREATE UNIQUE INDEX arrow_active_identifier_key ON arrow (archer_id, identifier) WHERE is_active;
CREATE INDEX arrow_archer_idx ON arrow (archer_id, created_at);

CREATE TABLE session (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    archer_id         uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    location          text NOT NULL DEFAULT '' CHECK (length(location) <= 200),
    is_indoor         boolean NOT NULL DEFAULT false,
    distance_m        double precision NOT NULL CHECK (distance_m > 0),
    start_time        timestamptz NOT NULL DEFAULT now(),
    end_time          timestamptz,
    is_open           boolean NOT NULL DEFAULT true,
    round_code        text CHECK (length(round_code) <= 100),
    arrows_per_end    smallint NOT NULL DEFAULT 6 CHECK (arrows_per_end BETWEEN 1 AND 24),
    landing_window_ms integer NOT NULL DEFAULT 3000
                      CHECK (landing_window_ms BETWEEN 100 AND 60000),
    notes             text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    last_seq          integer NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (is_open OR (end_time IS NOT NULL AND end_time > start_time)),
    CHECK (NOT is_open OR end_time IS NULL)
);
-- At most one open session per archer.
CREATE UNIQUE INDEX session_one_open_per_archer ON session (archer_id) WHERE is_open;
CREATE INDEX session_archer_start_idx ON session (archer_id, start_time DESC, id);

CREATE TABLE target (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id       uuid NOT NULL REFERENCES session (id) ON DELETE CASCADE,
    archer_id        uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    lane             integer CHECK (lane BETWEEN 0 AND 10000),
    distance_m       double precision NOT NULL CHECK (distance_m > 0),
    view_width_mm    double precision NOT NULL CHECK (view_width_mm > 0),
    view_height_mm   double precision NOT NULL CHECK (view_height_mm > 0),
    compound_scoring boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX target_session_idx ON target (session_id, created_at);
CREATE INDEX target_archer_idx ON target (archer_id);

CREATE TABLE target_face (
    target_id   uuid NOT NULL REFERENCES target (id) ON DELETE CASCADE,
    face_index  smallint NOT NULL CHECK (face_index >= 0),
    face_type   text NOT NULL CHECK (length(face_type) BETWEEN 1 AND 50),
    center_x_mm double precision NOT NULL,
    center_y_mm double precision NOT NULL,
    PRIMARY KEY (target_id, face_index)
);

CREATE TABLE shot (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id  uuid NOT NULL REFERENCES session (id) ON DELETE CASCADE,
    archer_id   uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    -- A target with shots cannot be removed (their positions would lose their meaning).
    target_id   uuid NOT NULL REFERENCES target (id) ON DELETE RESTRICT,
    -- Arrows with shots are retired, not erased; SET NULL only guards a direct DELETE.
    arrow_id    uuid REFERENCES arrow (id) ON DELETE SET NULL,
    seq         integer NOT NULL CHECK (seq > 0),
    end_no      integer NOT NULL CHECK (end_no > 0),
    x_mm        double precision,
    y_mm        double precision,
    face_index  smallint,
    spot_index  smallint,
    dx_mm       double precision,
    dy_mm       double precision,
    score       smallint NOT NULL CHECK (score BETWEEN 0 AND 11),
    is_x        boolean NOT NULL DEFAULT false,
    engaged_at  timestamptz,
    released_at timestamptz,
    landed_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, seq),
    -- Coordinates are all or nothing; a miss (no landing) has none and scores 0.
    CHECK ((x_mm IS NULL) = (y_mm IS NULL)),
    CHECK ((x_mm IS NULL) = (dx_mm IS NULL) AND (x_mm IS NULL) = (dy_mm IS NULL)),
    CHECK ((x_mm IS NULL) = (face_index IS NULL) AND (x_mm IS NULL) = (spot_index IS NULL)),
    CHECK (x_mm IS NOT NULL OR (score = 0 AND NOT is_x)),
    CHECK (NOT is_x OR score >= 10),
    CHECK (engaged_at IS NULL OR released_at IS NULL OR engaged_at <= released_at),
    CHECK (released_at IS NULL OR landed_at IS NULL OR released_at <= landed_at)
);
CREATE INDEX shot_archer_idx ON shot (archer_id, created_at);
CREATE INDEX shot_target_idx ON shot (target_id);
CREATE INDEX shot_arrow_idx ON shot (arrow_id) WHERE arrow_id IS NOT NULL;

-- migrate:down

DROP TABLE shot;
DROP TABLE target_face;
DROP TABLE target;
DROP TABLE session;
DROP TABLE arrow;
DROP TABLE auth_token;
DROP TABLE archer;
