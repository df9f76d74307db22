-- migrate:up

-- The shots' writer (202611261400) placed each shot in a PL/pgSQL loop, which cost about
-- 0.1 ms per shot: a joint write of 32 posts of 6 arrows took twice as long as before, with
-- the session locked all along. Shots that name no end (all of the assembler's, nearly all
-- posts) are now placed by the INSERT itself: with `free` the free places of the session's
-- current end (its highest, 0 when none) in order, the j-th such shot of the session goes
-- to `free[j]` while j ≤ |free|, then fills the ends after it, place 1 onwards. The loop
-- stays for posts that name an end, over rows rather than array subscripts. What the
-- writer does is unchanged (same arguments, same answers).
CREATE OR REPLACE FUNCTION shot_insert(
    p_session uuid[], p_archer uuid[], p_id uuid[], p_target uuid[], p_arrow uuid[],
    p_x float8[], p_y float8[], p_face int2[], p_spot int2[], p_dx float8[], p_dy float8[],
    p_score int2[], p_is_x bool[], p_spot_score int2[], p_spot_is_x bool[],
    p_engaged timestamptz[], p_released timestamptz[], p_landed timestamptz[],
    p_release_event int8[], p_end_no int[],
    p_targets uuid[], p_versions text[], p_max_shots integer,
    p_request_id text, p_request_ids text
) RETURNS TABLE (ord integer, shot_id uuid, doc json, refused boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    n integer := cardinality(p_target);
    made uuid[];         -- per shot: the shot its release already has (assembler)
    ends integer[];      -- per shot, when some shot names its end: its end and place
    places integer[];
    s_id uuid[];         -- per locked session: id, archer, first number - 1, arrows per end
    s_archer uuid[];
    s_base integer[];
    s_per_end integer[];
    s_over text;
    r record;
    session_now uuid;
    e integer;
    j integer;
    m integer;
    p integer;
    full_mask integer;
    cur integer;
    known_ends integer[];
    known_masks integer[];
BEGIN
    PERFORM set_config('arch_stats.request_id', coalesce(p_request_id, ''), true),
            set_config('arch_stats.request_ids', coalesce(p_request_ids, ''), true);
    IF p_release_event IS NOT NULL THEN
        -- A release that already has its shot (made before a crash) gets no second one.
        SELECT array_agg(h.id ORDER BY u.o) INTO made
        FROM unnest(p_release_event) WITH ORDINALITY AS u(r, o)
        LEFT JOIN shot h ON h.release_event_id = u.r;
    END IF;

    -- Lock and number each session: concurrent writers of a session wait here, in turn.
    WITH c AS (
        SELECT u.sid, u.aid, count(*)::int AS n
        FROM unnest(p_session, p_archer, made) AS u(sid, aid, done)
        WHERE u.done IS NULL
        GROUP BY u.sid, u.aid
    ), locked AS (
        UPDATE session s SET last_seq = s.last_seq + c.n, updated_at = now()
        FROM c
        WHERE s.id = c.sid AND s.archer_id = c.aid AND s.is_open
          AND NOT EXISTS (
              SELECT FROM unnest(p_targets, p_versions) AS v(id, version)
              LEFT JOIN target t ON t.id = v.id AND t.session_id = s.id
                                AND t.archer_id = s.archer_id
              WHERE t.xmin::text IS DISTINCT FROM v.version)
        RETURNING s.id, s.archer_id, s.last_seq - c.n AS base, s.arrows_per_end,
                  CASE WHEN s.shot_count + c.n > p_max_shots
                       THEN format('session %s has %s shots: at most %s per session',
                                   s.id, s.shot_count, p_max_shots) END AS over
    )
    SELECT array_agg(l.id), array_agg(l.archer_id), array_agg(l.base),
           array_agg(l.arrows_per_end), min(l.over)
    INTO s_id, s_archer, s_base, s_per_end, s_over
    FROM locked l;
    IF s_over IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'session_max_shots',
            MESSAGE = s_over;
    END IF;

    -- Shots that name their end: every shot of the post is placed here, in order (this
    -- statement's snapshot follows the lock): an end named, else the session's current end
    -- (its highest) while it has a free place, else the next; the first free place there.
    IF s_id IS NOT NULL AND cardinality(array_remove(p_end_no, NULL)) > 0 THEN
        ends := array_fill(NULL::integer, ARRAY[n]);
        places := ends;
        FOR r IN
            SELECT u.o, u.e, l.per_end, l.id
            FROM unnest(p_session, p_archer, made, p_end_no) WITH ORDINALITY
                 AS u(sid, aid, done, e, o)
            JOIN unnest(s_id, s_archer, s_per_end) AS l(id, aid, per_end)
              ON l.id = u.sid AND l.aid = u.aid
            WHERE u.done IS NULL
            ORDER BY l.id, u.o
        LOOP
            IF session_now IS DISTINCT FROM r.id THEN
                session_now := r.id;
                full_mask := (1 << r.per_end) - 1;
                SELECT h.end_no, bit_or(1 << (h.end_place - 1)) INTO cur, m
                FROM shot h
                WHERE h.session_id = r.id
                  AND h.end_no = (SELECT max(x.end_no) FROM shot x WHERE x.session_id = r.id)
                GROUP BY h.end_no;
                cur := coalesce(cur, 0);
                known_ends := ARRAY[cur];
                known_masks := ARRAY[coalesce(m, 0)];
            END IF;
            e := r.e;
            IF e IS NULL THEN
                e := cur;
                IF e = 0 OR known_masks[array_position(known_ends, cur)] & full_mask
                            = full_mask THEN
                    e := cur + 1;
                END IF;
            END IF;
            j := array_position(known_ends, e);
            IF j IS NULL THEN
                SELECT coalesce(bit_or(1 << (h.end_place - 1)), 0) INTO m
                FROM shot h WHERE h.session_id = r.id AND h.end_no = e;
                known_ends := known_ends || e;
                known_masks := known_masks || m;
                j := cardinality(known_ends);
            END IF;
            m := known_masks[j];
            IF m & full_mask = full_mask THEN
                RAISE EXCEPTION USING ERRCODE = 'check_violation',
                    CONSTRAINT = 'shot_end_full',
                    MESSAGE = format('end %s already has %s of %s arrows',
                                     e, r.per_end, r.per_end);
            END IF;
            p := 1;
            WHILE m & (1 << (p - 1)) <> 0 LOOP
                p := p + 1;
            END LOOP;
            known_masks[j] := m | (1 << (p - 1));
            ends[r.o] := e;
            places[r.o] := p;
            cur := greatest(cur, e);
        END LOOP;
    END IF;

    RETURN QUERY
    WITH l AS (
        SELECT * FROM unnest(s_id, s_archer, s_base, s_per_end) AS l(id, archer_id, base, per_end)
    ), c AS (
        -- Each session's current end and its free places, as the session is now.
        SELECT l.id, coalesce(top.end_no, 0) AS cur,
               coalesce(ARRAY(SELECT g.p FROM generate_series(1, l.per_end) AS g(p)
                              WHERE top.mask & (1 << (g.p - 1)) = 0 ORDER BY g.p),
                        '{}') AS free
        FROM l
        LEFT JOIN LATERAL (
            SELECT h.end_no, bit_or(1 << (h.end_place - 1)) AS mask
            FROM shot h
            WHERE h.session_id = l.id
              AND h.end_no = (SELECT max(x.end_no) FROM shot x WHERE x.session_id = l.id)
            GROUP BY h.end_no
        ) top ON ends IS NULL
    ), u AS (
        SELECT u.*, l.base, l.per_end, c.cur, c.free,
               CASE WHEN l.id IS NOT NULL AND u.made IS NULL
                    THEN row_number() OVER (PARTITION BY l.id, u.made IS NULL ORDER BY u.o)
               END AS j
        FROM unnest(p_session, p_archer, p_id, p_target, p_arrow, p_x, p_y, p_face, p_spot,
                    p_dx, p_dy, p_score, p_is_x, p_spot_score, p_spot_is_x, p_engaged,
                    p_released, p_landed, p_release_event, made, ends, places)
             WITH ORDINALITY AS u(session_id, archer_id, id, target_id, arrow_id, x_mm, y_mm,
                                  face_index, spot_index, dx_mm, dy_mm, score, is_x,
                                  spot_score, spot_is_x, engaged_at, released_at, landed_at,
                                  release_event_id, made, end_no, end_place, o)
        LEFT JOIN l ON l.id = u.session_id AND l.archer_id = u.archer_id
        LEFT JOIN c ON c.id = l.id
    ), placed AS (
        SELECT u.*, u.base + u.j AS seq,
               coalesce(u.end_no,
                        CASE WHEN u.j <= cardinality(u.free) THEN u.cur
                             ELSE u.cur + 1 + (u.j - cardinality(u.free) - 1) / u.per_end
                        END) AS end_to,
               coalesce(u.end_place,
                        CASE WHEN u.j <= cardinality(u.free) THEN u.free[u.j]
                             ELSE (u.j - cardinality(u.free) - 1) % u.per_end + 1
                        END) AS place_to
        FROM u
    ), ins AS (
        INSERT INTO shot (id, session_id, archer_id, target_id, arrow_id, seq, end_no,
                          end_place, x_mm, y_mm, face_index, spot_index, dx_mm, dy_mm, score,
                          is_x, spot_score, spot_is_x, engaged_at, released_at, landed_at,
                          release_event_id)
        SELECT coalesce(p.id, gen_random_uuid()), p.session_id, p.archer_id, p.target_id,
               p.arrow_id, p.seq, p.end_to, p.place_to, p.x_mm, p.y_mm, p.face_index,
               p.spot_index, p.dx_mm, p.dy_mm, p.score, p.is_x, p.spot_score, p.spot_is_x,
               p.engaged_at, p.released_at, p.landed_at, p.release_event_id
        FROM placed p WHERE p.seq IS NOT NULL
        ORDER BY p.o
        -- Made meanwhile by another assembler (only while a dying one's last pass overlaps
        -- its successor's first): skipped, `seq` then has a gap.
        ON CONFLICT (release_event_id) DO NOTHING
        RETURNING shot.session_id, shot.seq, shot.id, shot.doc
    )
    SELECT p.o::integer, coalesce(ins.id, p.made), ins.doc, p.seq IS NULL AND p.made IS NULL
    FROM placed p LEFT JOIN ins ON ins.session_id = p.session_id AND ins.seq = p.seq
    ORDER BY p.o;
END
$$;

-- Planned once per connection: planning its statements afresh on every call (PostgreSQL's
-- choice for them: custom plans) cost more than running them, about 1 ms per post.
ALTER FUNCTION shot_insert(uuid[], uuid[], uuid[], uuid[], uuid[], float8[], float8[], int2[],
                           int2[], float8[], float8[], int2[], bool[], int2[], bool[],
                           timestamptz[], timestamptz[], timestamptz[], int8[], int[], uuid[],
                           text[], integer, text, text)
    SET plan_cache_mode = force_generic_plan;

-- migrate:down

ALTER FUNCTION shot_insert(uuid[], uuid[], uuid[], uuid[], uuid[], float8[], float8[], int2[],
                           int2[], float8[], float8[], int2[], bool[], int2[], bool[],
                           timestamptz[], timestamptz[], timestamptz[], int8[], int[], uuid[],
                           text[], integer, text, text)
    RESET plan_cache_mode;
-- 202611261400's definition (the loop over every shot).
CREATE OR REPLACE FUNCTION shot_insert(
    p_session uuid[], p_archer uuid[], p_id uuid[], p_target uuid[], p_arrow uuid[],
    p_x float8[], p_y float8[], p_face int2[], p_spot int2[], p_dx float8[], p_dy float8[],
    p_score int2[], p_is_x bool[], p_spot_score int2[], p_spot_is_x bool[],
    p_engaged timestamptz[], p_released timestamptz[], p_landed timestamptz[],
    p_release_event int8[], p_end_no int[],
    p_targets uuid[], p_versions text[], p_max_shots integer,
    p_request_id text, p_request_ids text
) RETURNS TABLE (ord integer, shot_id uuid, doc json, refused boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    n integer := cardinality(p_target);
    made uuid[];         -- per shot: the shot its release already has
    seqs integer[];      -- per shot: its number, null when not written
    ends integer[];
    places integer[];
    s_id uuid[];         -- per locked session: id, archer, first number - 1, arrows per end
    s_archer uuid[];
    s_base integer[];
    s_per_end integer[];
    s_over text;
    k integer;
    i integer;
    j integer;
    e integer;
    m integer;
    p integer;
    full_mask integer;
    cur integer;
    nxt integer;
    known_ends integer[];
    known_masks integer[];
BEGIN
    PERFORM set_config('arch_stats.request_id', coalesce(p_request_id, ''), true),
            set_config('arch_stats.request_ids', coalesce(p_request_ids, ''), true);
    seqs := array_fill(NULL::integer, ARRAY[n]);
    ends := seqs;
    places := seqs;
    made := array_fill(NULL::uuid, ARRAY[n]);
    IF p_release_event IS NOT NULL THEN  -- the assembler's shots
        -- A release that already has its shot (made before a crash) gets no second one.
        SELECT array_agg(h.id ORDER BY u.o) INTO made
        FROM unnest(p_release_event) WITH ORDINALITY AS u(r, o)
        LEFT JOIN shot h ON h.release_event_id = u.r;
    END IF;

    -- Lock and number each session: concurrent writers of a session wait here, in turn.
    WITH c AS (
        SELECT u.sid, u.aid, count(*)::int AS n
        FROM unnest(p_session, p_archer, made) AS u(sid, aid, done)
        WHERE u.done IS NULL
        GROUP BY u.sid, u.aid
    ), locked AS (
        UPDATE session s SET last_seq = s.last_seq + c.n, updated_at = now()
        FROM c
        WHERE s.id = c.sid AND s.archer_id = c.aid AND s.is_open
          AND NOT EXISTS (
              SELECT FROM unnest(p_targets, p_versions) AS v(id, version)
              LEFT JOIN target t ON t.id = v.id AND t.session_id = s.id
                                AND t.archer_id = s.archer_id
              WHERE t.xmin::text IS DISTINCT FROM v.version)
        RETURNING s.id, s.archer_id, s.last_seq - c.n AS base, s.arrows_per_end,
                  CASE WHEN s.shot_count + c.n > p_max_shots
                       THEN format('session %s has %s shots: at most %s per session',
                                   s.id, s.shot_count, p_max_shots) END AS over
    )
    SELECT array_agg(l.id), array_agg(l.archer_id), array_agg(l.base),
           array_agg(l.arrows_per_end), min(l.over)
    INTO s_id, s_archer, s_base, s_per_end, s_over
    FROM locked l;
    IF s_over IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'session_max_shots',
            MESSAGE = s_over;
    END IF;

    FOR k IN 1 .. coalesce(cardinality(s_id), 0) LOOP
        full_mask := (1 << s_per_end[k]) - 1;
        nxt := s_base[k];
        SELECT h.end_no, bit_or(1 << (h.end_place - 1)) INTO cur, m
        FROM shot h
        WHERE h.session_id = s_id[k]
          AND h.end_no = (SELECT max(x.end_no) FROM shot x WHERE x.session_id = s_id[k])
        GROUP BY h.end_no;
        cur := coalesce(cur, 0);
        known_ends := ARRAY[cur];
        known_masks := ARRAY[coalesce(m, 0)];
        FOR i IN 1 .. n LOOP
            CONTINUE WHEN p_session[i] IS DISTINCT FROM s_id[k]
                       OR p_archer[i] IS DISTINCT FROM s_archer[k]
                       OR made[i] IS NOT NULL;
            nxt := nxt + 1;
            seqs[i] := nxt;
            e := p_end_no[i];
            IF e IS NULL THEN
                e := cur;
                IF e = 0 OR known_masks[array_position(known_ends, cur)] & full_mask
                            = full_mask THEN
                    e := cur + 1;
                END IF;
            END IF;
            j := array_position(known_ends, e);
            IF j IS NULL THEN
                SELECT coalesce(bit_or(1 << (h.end_place - 1)), 0) INTO m
                FROM shot h WHERE h.session_id = s_id[k] AND h.end_no = e;
                known_ends := known_ends || e;
                known_masks := known_masks || m;
                j := cardinality(known_ends);
            END IF;
            m := known_masks[j];
            IF m & full_mask = full_mask THEN
                RAISE EXCEPTION USING ERRCODE = 'check_violation',
                    CONSTRAINT = 'shot_end_full',
                    MESSAGE = format('end %s already has %s of %s arrows',
                                     e, s_per_end[k], s_per_end[k]);
            END IF;
            p := 1;
            WHILE m & (1 << (p - 1)) <> 0 LOOP
                p := p + 1;
            END LOOP;
            known_masks[j] := m | (1 << (p - 1));
            ends[i] := e;
            places[i] := p;
            cur := greatest(cur, e);
        END LOOP;
    END LOOP;

    RETURN QUERY
    WITH u AS (
        SELECT *
        FROM unnest(p_session, p_archer, p_id, p_target, p_arrow, p_x, p_y, p_face, p_spot,
                    p_dx, p_dy, p_score, p_is_x, p_spot_score, p_spot_is_x, p_engaged,
                    p_released, p_landed, p_release_event, seqs, ends, places, made)
             WITH ORDINALITY AS u(session_id, archer_id, id, target_id, arrow_id, x_mm, y_mm,
                                  face_index, spot_index, dx_mm, dy_mm, score, is_x,
                                  spot_score, spot_is_x, engaged_at, released_at, landed_at,
                                  release_event_id, seq, end_no, end_place, made, o)
    ), ins AS (
        INSERT INTO shot (id, session_id, archer_id, target_id, arrow_id, seq, end_no,
                          end_place, x_mm, y_mm, face_index, spot_index, dx_mm, dy_mm, score,
                          is_x, spot_score, spot_is_x, engaged_at, released_at, landed_at,
                          release_event_id)
        SELECT coalesce(u.id, gen_random_uuid()), u.session_id, u.archer_id, u.target_id,
               u.arrow_id, u.seq, u.end_no, u.end_place, u.x_mm, u.y_mm, u.face_index,
               u.spot_index, u.dx_mm, u.dy_mm, u.score, u.is_x, u.spot_score, u.spot_is_x,
               u.engaged_at, u.released_at, u.landed_at, u.release_event_id
        FROM u WHERE u.seq IS NOT NULL
        ORDER BY u.o
        ON CONFLICT (release_event_id) DO NOTHING
        RETURNING shot.session_id, shot.seq, shot.id, shot.doc
    )
    SELECT u.o::integer, coalesce(ins.id, u.made), ins.doc,
           u.seq IS NULL AND u.made IS NULL
    FROM u LEFT JOIN ins ON ins.session_id = u.session_id AND ins.seq = u.seq
    ORDER BY u.o;
END
$$;
