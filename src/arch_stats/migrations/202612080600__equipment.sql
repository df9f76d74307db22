-- migrate:up

-- Equipment (issue 24): bows whose setup is kept as versions, arrow sets that hold numbered
-- arrows, sight marks per bow and distance, the bow version and arrow set a session was shot
-- with, and a tuning session's two groups of arrows (e.g. bare shafts and fletched).

CREATE TABLE bow (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    archer_id   uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, archer_id)
);
CREATE INDEX bow_archer_idx ON bow (archer_id);

-- A bow's setup: never changed, only followed by a new version, so a session that names a
-- version always shows the setup it was shot with.
CREATE TABLE bow_version (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    bow_id             uuid NOT NULL REFERENCES bow (id) ON DELETE CASCADE,
    version            integer NOT NULL CHECK (version >= 1),
    bowstyle           text NOT NULL CHECK (bowstyle IN ('recurve', 'compound', 'barebow',
                                                         'longbow', 'traditional', 'flatbow')),
    handedness         text NOT NULL CHECK (handedness IN ('right', 'left')),
    riser              text NOT NULL DEFAULT '' CHECK (length(riser) <= 100),
    limbs              text NOT NULL DEFAULT '' CHECK (length(limbs) <= 100),
    draw_weight_lb     double precision CHECK (draw_weight_lb > 0 AND draw_weight_lb <= 200),
    brace_height_mm    double precision CHECK (brace_height_mm > 0 AND brace_height_mm <= 500),
    tiller_top_mm      double precision CHECK (abs(tiller_top_mm) <= 500),
    tiller_bottom_mm   double precision CHECK (abs(tiller_bottom_mm) <= 500),
    nocking_point_mm   double precision CHECK (abs(nocking_point_mm) <= 100),
    plunger            text NOT NULL DEFAULT '' CHECK (length(plunger) <= 100),
    sight              text NOT NULL DEFAULT '' CHECK (length(sight) <= 100),
    sight_radius_mm    double precision CHECK (sight_radius_mm > 0 AND sight_radius_mm <= 2000),
    notes              text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bow_id, version)
);

CREATE TABLE arrow_set (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    archer_id          uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    shaft              text NOT NULL DEFAULT '' CHECK (length(shaft) <= 100),
    spine              integer CHECK (spine > 0 AND spine <= 10000),
    length_mm          double precision CHECK (length_mm > 0 AND length_mm <= 2000),
    point_grains       double precision CHECK (point_grains > 0 AND point_grains <= 1000),
    fletching          text NOT NULL DEFAULT '' CHECK (length(fletching) <= 100),
    nock               text NOT NULL DEFAULT '' CHECK (length(nock) <= 100),
    is_active          boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, archer_id)
);
CREATE INDEX arrow_set_archer_idx ON arrow_set (archer_id);

-- An arrow belongs to at most one set, of its own archer (the pair is the key).
ALTER TABLE arrow
    ADD COLUMN arrow_set_id uuid,
    ADD CONSTRAINT arrow_set_fk FOREIGN KEY (arrow_set_id, archer_id)
        REFERENCES arrow_set (id, archer_id);
CREATE INDEX arrow_set_member_idx ON arrow (arrow_set_id) WHERE arrow_set_id IS NOT NULL;

-- One mark per bow and distance (a sight tape); `session_id`: confirmed from that session.
CREATE TABLE sight_mark (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    bow_id       uuid NOT NULL REFERENCES bow (id) ON DELETE CASCADE,
    distance_m   double precision NOT NULL CHECK (distance_m > 0 AND distance_m <= 200),
    mark         double precision NOT NULL CHECK (abs(mark) <= 1000),
    session_id   uuid REFERENCES session (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bow_id, distance_m)
);

-- What a session was shot with.
CREATE TABLE session_equipment (
    session_id      uuid PRIMARY KEY REFERENCES session (id) ON DELETE CASCADE,
    bow_version_id  uuid REFERENCES bow_version (id),
    arrow_set_id    uuid REFERENCES arrow_set (id),
    CHECK (bow_version_id IS NOT NULL OR arrow_set_id IS NOT NULL)
);
CREATE INDEX session_equipment_bow_version_idx ON session_equipment (bow_version_id);
CREATE INDEX session_equipment_arrow_set_idx ON session_equipment (arrow_set_id);

-- A tuning session: its arrows in two groups, 'a' (the reference, e.g. fletched) and 'b'
-- (what is compared with it, e.g. bare shafts).
CREATE TABLE session_tuning (
    session_id  uuid PRIMARY KEY REFERENCES session (id) ON DELETE CASCADE,
    label_a     text NOT NULL CHECK (length(label_a) BETWEEN 1 AND 40),
    label_b     text NOT NULL CHECK (length(label_b) BETWEEN 1 AND 40)
);
CREATE TABLE session_tuning_arrow (
    session_id  uuid NOT NULL REFERENCES session_tuning (session_id) ON DELETE CASCADE,
    arrow_id    uuid NOT NULL REFERENCES arrow (id) ON DELETE CASCADE,
    grp         char(1) NOT NULL CHECK (grp IN ('a', 'b')),
    PRIMARY KEY (session_id, arrow_id)
);
CREATE INDEX session_tuning_arrow_arrow_idx ON session_tuning_arrow (arrow_id);

-- migrate:down
DROP TABLE session_tuning_arrow;
DROP TABLE session_tuning;
DROP TABLE session_equipment;
DROP TABLE sight_mark;
DROP INDEX arrow_set_member_idx;
ALTER TABLE arrow DROP CONSTRAINT arrow_set_fk, DROP COLUMN arrow_set_id;
DROP TABLE arrow_set;
DROP TABLE bow_version;
DROP TABLE bow;
