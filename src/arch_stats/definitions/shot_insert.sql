-- The writer of shots: the API (one post, or concurrent posts of several sessions joined into
-- one statement by shots/writer.py) and the assembler call it.
--
-- One element per shot in every array (`p_id`, `p_end_no`: null for "choose"). Returns one row
-- per shot, in input order: its id and JSON when written; for a shot of a release that already
-- has its shot (assembler), that shot's id and no JSON; `refused` when its session is not open
-- (or a target of its session in `p_targets` is not at its version in `p_versions`). Raises
-- check_violation (a named constraint, a readable message) when an end named is full or a
-- session would pass `p_max_shots`; unique_violation (shot_pkey) when a chosen id exists.
--
-- It locks and numbers the sessions (`last_seq`; several sessions in the order of their ids,
-- so that writers of several processes never deadlock), then, in statements of their own and so with
-- a snapshot taken after the lock, gives each shot its end and the first free place there, and
-- inserts. A single statement cannot do this exactly: its snapshot is taken before it waits for
-- the session's lock, so a concurrent post's shots would be invisible to it.
--
-- The common case (all shots into one session, none naming its end, none a hit on a
-- multi-spot face, none the assembler's) takes a short way: the current end's free places in
-- one small statement and a plain INSERT … SELECT FROM unnest. A post of shots by hand that
-- names no end and hits no spot of a multi-spot face (one session's, or a joint write's) has
-- its sessions' totals counted by the lock's UPDATE and its summaries kept here, not by the
-- statement trigger shot_insert_totals. `p_live_after`: the caller announces the new shots
-- itself once committed (shot_notify_statement is skipped).
--
-- A session that follows its round (`round_arrows`, 202612071000) takes no arrow past the
-- round's: a post that would pass it raises check_violation `session_round_complete` ("round
-- complete: 144 of 144 arrows shot"), whoever posts, alone or jointly. Its shots are placed in
-- the loop below: past the round's last end, the next arrows fill the places that deleted
-- arrows left in earlier ends, in order; an end named past the last raises `shot_past_round`;
-- and each shot must name the target of its end's part of the round (`target.first_end` …
-- `last_end`), else `shot_wrong_target` (its message names the right one). A session without a
-- round pays for none of it: one more column in the lock's RETURNING.
--
-- `p_entered`: per shot, how its score was entered ('plot' when null; 'value', 'sensor').
--
-- Its statements are planned once per connection (force_generic_plan) and read the shot table
-- by index only, whatever its statistics said when a connection first planned them (a plan
-- made while the table was small would otherwise keep a sequential scan of every shot).
--
-- requires: shot_same_spot

DROP FUNCTION IF EXISTS shot_insert(
    uuid[], uuid[], uuid[], uuid[], uuid[], float8[], float8[], int2[], int2[], float8[], float8[],
    int2[], bool[], int2[], bool[], timestamptz[], timestamptz[], timestamptz[], int8[], int[],
    uuid[], text[], integer, text, text, boolean);

CREATE OR REPLACE FUNCTION shot_insert(
    p_session uuid[], p_archer uuid[], p_id uuid[], p_target uuid[], p_arrow uuid[],
    p_x float8[], p_y float8[], p_face int2[], p_spot int2[], p_dx float8[], p_dy float8[],
    p_score int2[], p_is_x bool[], p_spot_score int2[], p_spot_is_x bool[],
    p_engaged timestamptz[], p_released timestamptz[], p_landed timestamptz[],
    p_release_event int8[], p_end_no int[],
    p_targets uuid[], p_versions text[], p_max_shots integer,
    p_request_id text, p_request_ids text, p_live_after boolean DEFAULT false,
    p_entered text[] DEFAULT NULL
) RETURNS TABLE (ord integer, shot_id uuid, doc json, refused boolean)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
    n integer := cardinality(p_target);
    made uuid[];         -- per shot: the shot its release already has (assembler)
    ends integer[];      -- per shot, when some shot names its end: its end and place
    places integer[];
    s_id uuid[];         -- per locked session: id, archer, first number - 1, arrows per end,
    s_archer uuid[];     -- the round's arrows (null: no round)
    s_base integer[];
    s_per_end integer[];
    s_round integer[];
    s_over text;
    s_done text;
    follows boolean;     -- a locked session follows its round
    last_end integer;    -- of the round of the session placed in the loop
    t_ids uuid[];        -- its round's targets and their ends
    t_first integer[];
    t_last integer[];
    t_distance float8[];
    s_count integer;     -- shots of the post in the locked sessions
    free integer[];      -- the free places of the current end, in order
    nfree integer;
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
    -- Hits on spots of multi-spot faces: the same-spot rule applies to them.
    spot boolean := coalesce(cardinality(array_remove(p_spot_score, NULL)), 0) > 0;
    misses boolean[];    -- per shot, when `spot`: a same-spot miss
    -- Shots by hand, none naming its end nor hitting a spot of a multi-spot face, of one
    -- session or several (a joint write): each session's totals are counted by the lock's
    -- UPDATE and its summary here, not by the statement trigger (shot_insert_totals).
    simple boolean;
BEGIN
    simple := p_release_event IS NULL AND NOT spot
              AND coalesce(cardinality(array_remove(p_end_no, NULL)), 0) = 0;
    PERFORM set_config('arch_stats.request_id', coalesce(p_request_id, ''), true),
            set_config('arch_stats.request_ids', coalesce(p_request_ids, ''), true),
            -- The caller announces the new shots itself once committed (shot_notify_insert).
            set_config('arch_stats.live', CASE WHEN p_live_after THEN 'after' ELSE '' END,
                       true);
    IF p_release_event IS NOT NULL THEN
        -- A release that already has its shot (made before a crash) gets no second one.
        SELECT array_agg(h.id ORDER BY u.o) INTO made
        FROM unnest(p_release_event) WITH ORDINALITY AS u(r, o)
        LEFT JOIN shot h ON h.release_event_id = u.r;
    END IF;

    -- The sessions of a joint write are locked in one order, by id, whoever writes: two
    -- processes' writes that share sessions then queue, where locking them as the UPDATE
    -- below meets them (in no set order) could leave each holding what the other waits for
    -- (a deadlock, found only after deadlock_timeout). The UPDATE finds them locked already.
    IF EXISTS (SELECT FROM unnest(p_session) AS u(sid) WHERE u.sid <> p_session[1]) THEN
        PERFORM FROM session s WHERE s.id = ANY (p_session) ORDER BY s.id FOR NO KEY UPDATE;
    END IF;

    -- Lock and number each session: concurrent writers of a session wait here, in turn.
    WITH c AS (
        SELECT u.sid, u.aid, count(*)::int AS n, coalesce(sum(u.sc), 0)::int AS total,
               CASE WHEN simple THEN count(*)::int ELSE 0 END AS counted
        FROM unnest(p_session, p_archer, made, p_score) AS u(sid, aid, done, sc)
        WHERE u.done IS NULL
        GROUP BY u.sid, u.aid
    ), locked AS (
        UPDATE session s SET last_seq = s.last_seq + c.n, updated_at = now(),
                             shot_count = s.shot_count + c.counted,
                             total_score = s.total_score
                                           + CASE WHEN simple THEN c.total ELSE 0 END
        FROM c
        WHERE s.id = c.sid AND s.archer_id = c.aid AND s.is_open
          -- The targets this session's shots were scored on, still as they were read
          -- (only those: one statement may write several sessions' posts, shots/writer.py).
          AND NOT EXISTS (
              SELECT FROM unnest(p_targets, p_versions) AS v(id, version)
              LEFT JOIN target t ON t.id = v.id AND t.session_id = s.id
                                AND t.archer_id = s.archer_id
              WHERE t.xmin::text IS DISTINCT FROM v.version
                AND v.id IN (SELECT x.t FROM unnest(p_session, p_target) AS x(sid, t)
                             WHERE x.sid = s.id))
        RETURNING s.id, s.archer_id, s.last_seq - c.n AS base, s.arrows_per_end, c.n,
                  s.round_arrows,
                  -- (shot_count as it was: RETURNING gives it counted already)
                  CASE WHEN s.shot_count - c.counted + c.n > p_max_shots
                       THEN format('session %s holds %s shots, at most %s '
                                   '(SESSION_MAX_SHOTS): %s more do not fit',
                                   s.id, s.shot_count - c.counted, p_max_shots, c.n)
                  END AS over,
                  CASE WHEN s.round_arrows IS NULL
                         OR s.shot_count - c.counted + c.n <= s.round_arrows THEN NULL
                       WHEN s.shot_count - c.counted >= s.round_arrows
                       THEN format('round complete: %s of %s arrows shot',
                                   s.shot_count - c.counted, s.round_arrows)
                       ELSE format('the round has %s arrows left (%s of %s shot): %s more do '
                                   'not fit', s.round_arrows - s.shot_count + c.counted,
                                   s.shot_count - c.counted, s.round_arrows, c.n)
                  END AS done
    )
    SELECT array_agg(l.id), array_agg(l.archer_id), array_agg(l.base),
           array_agg(l.arrows_per_end), array_agg(l.round_arrows), min(l.over), min(l.done),
           sum(l.n), bool_or(l.round_arrows IS NOT NULL)
    INTO s_id, s_archer, s_base, s_per_end, s_round, s_over, s_done, s_count, follows
    FROM locked l;
    IF s_over IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'session_max_shots',
            MESSAGE = s_over;
    END IF;
    IF s_done IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            CONSTRAINT = 'session_round_complete', MESSAGE = s_done;
    END IF;

    -- The common case, kept short: every shot into one session without a round, none naming
    -- its end, none a hit on a multi-spot face, none the assembler's. The j-th shot goes to
    -- the j-th free place of the current end, then on to the ends after it.
    IF cardinality(s_id) = 1 AND s_count = n AND p_release_event IS NULL AND NOT spot
       AND s_round[1] IS NULL
       AND coalesce(cardinality(array_remove(p_end_no, NULL)), 0) = 0 THEN
        SELECT h.end_no, bit_or(1 << (h.end_place - 1)) INTO cur, m
        FROM shot h
        WHERE h.session_id = s_id[1]
          AND h.end_no = (SELECT max(x.end_no) FROM shot x WHERE x.session_id = s_id[1])
        GROUP BY h.end_no;
        cur := coalesce(cur, 0);
        free := '{}';
        IF cur > 0 THEN
            FOR p IN 1 .. s_per_end[1] LOOP
                IF m & (1 << (p - 1)) = 0 THEN
                    free := free || p;
                END IF;
            END LOOP;
        END IF;
        nfree := cardinality(free);
        PERFORM set_config('arch_stats.totals', 'counted', true);
        RETURN QUERY
        WITH ins AS (
            INSERT INTO shot (id, session_id, archer_id, target_id, arrow_id, seq, end_no,
                              end_place, x_mm, y_mm, face_index, spot_index, dx_mm, dy_mm,
                              score, is_x, engaged_at, released_at, landed_at, entered_by)
            SELECT coalesce(u.id, gen_random_uuid()), s_id[1], s_archer[1], u.target_id,
                   u.arrow_id, s_base[1] + u.o,
                   CASE WHEN u.o <= nfree THEN cur
                        ELSE cur + 1 + (u.o - nfree - 1) / s_per_end[1] END,
                   CASE WHEN u.o <= nfree THEN free[u.o]
                        ELSE (u.o - nfree - 1) % s_per_end[1] + 1 END,
                   u.x_mm, u.y_mm, u.face_index, u.spot_index, u.dx_mm, u.dy_mm, u.score,
                   u.is_x, u.engaged_at, u.released_at, u.landed_at,
                   coalesce(u.entered_by, 'plot')
            FROM unnest(p_id, p_target, p_arrow, p_x, p_y, p_face, p_spot, p_dx, p_dy, p_score,
                        p_is_x, p_engaged, p_released, p_landed, p_entered)
                 WITH ORDINALITY AS u(id, target_id, arrow_id, x_mm, y_mm, face_index,
                                      spot_index, dx_mm, dy_mm, score, is_x, engaged_at,
                                      released_at, landed_at, entered_by, o)
            ORDER BY u.o
            RETURNING shot.seq, shot.id, shot.doc
        )
        SELECT (ins.seq - s_base[1])::integer, ins.id, ins.doc, false FROM ins ORDER BY ins.seq;
        PERFORM set_config('arch_stats.totals', '', true);
        -- The summary, as shot_insert_totals keeps it (the totals were counted by the lock):
        -- the row made by the session's first shots is updated (an upsert that finds its row
        -- costs twice an UPDATE), else made.
        UPDATE session_summary AS t
        SET shots = t.shots + d.shots, hits = t.hits + d.hits, total = t.total + d.total,
            x_count = t.x_count + d.x_count, ten_count = t.ten_count + d.ten_count,
            impacts = t.impacts + d.impacts, sum_dx = t.sum_dx + d.sum_dx,
            sum_dy = t.sum_dy + d.sum_dy, sum_dx2 = t.sum_dx2 + d.sum_dx2,
            sum_dy2 = t.sum_dy2 + d.sum_dy2, sum_dxdy = t.sum_dxdy + d.sum_dxdy
        FROM (SELECT count(*)::int AS shots, count(*) FILTER (WHERE u.score > 0)::int AS hits,
                     sum(u.score)::int AS total, count(*) FILTER (WHERE u.is_x)::int AS x_count,
                     count(*) FILTER (WHERE u.score >= 10)::int AS ten_count,
                     count(u.dx)::int AS impacts,
                     coalesce(sum(u.dx::numeric), 0) AS sum_dx,
                     coalesce(sum(u.dy::numeric), 0) AS sum_dy,
                     coalesce(sum(u.dx::numeric * u.dx::numeric), 0) AS sum_dx2,
                     coalesce(sum(u.dy::numeric * u.dy::numeric), 0) AS sum_dy2,
                     coalesce(sum(u.dx::numeric * u.dy::numeric), 0) AS sum_dxdy
              FROM unnest(p_score, p_is_x, p_dx, p_dy) AS u(score, is_x, dx, dy)) d
        WHERE t.session_id = s_id[1];
        IF FOUND THEN
            RETURN;
        END IF;
        INSERT INTO session_summary AS t (session_id, shots, hits, total, x_count, ten_count,
                                          impacts, sum_dx, sum_dy, sum_dx2, sum_dy2, sum_dxdy)
        SELECT s_id[1], count(*)::int, count(*) FILTER (WHERE u.score > 0)::int,
               sum(u.score)::int, count(*) FILTER (WHERE u.is_x)::int,
               count(*) FILTER (WHERE u.score >= 10)::int, count(u.dx)::int,
               coalesce(sum(u.dx::numeric), 0), coalesce(sum(u.dy::numeric), 0),
               coalesce(sum(u.dx::numeric * u.dx::numeric), 0),
               coalesce(sum(u.dy::numeric * u.dy::numeric), 0),
               coalesce(sum(u.dx::numeric * u.dy::numeric), 0)
        FROM unnest(p_score, p_is_x, p_dx, p_dy) AS u(score, is_x, dx, dy)
        ON CONFLICT (session_id) DO UPDATE SET
            shots = t.shots + excluded.shots, hits = t.hits + excluded.hits,
            total = t.total + excluded.total, x_count = t.x_count + excluded.x_count,
            ten_count = t.ten_count + excluded.ten_count, impacts = t.impacts + excluded.impacts,
            sum_dx = t.sum_dx + excluded.sum_dx, sum_dy = t.sum_dy + excluded.sum_dy,
            sum_dx2 = t.sum_dx2 + excluded.sum_dx2, sum_dy2 = t.sum_dy2 + excluded.sum_dy2,
            sum_dxdy = t.sum_dxdy + excluded.sum_dxdy;
        RETURN;
    END IF;

    -- Shots that name their end, hit a spot of a multi-spot face, or go to a session that
    -- follows its round: every shot of the post is placed here, in order (this statement's
    -- snapshot follows the lock): an end named, else the session's current end (its highest)
    -- while it has a free place, else the next (past a round's last end: the first end of the
    -- round with a free place); the first free place there.
    IF s_id IS NOT NULL AND (cardinality(array_remove(p_end_no, NULL)) > 0 OR spot OR follows)
    THEN
        ends := array_fill(NULL::integer, ARRAY[n]);
        places := ends;
        FOR r IN
            SELECT u.o, u.e, u.t, l.per_end, l.id, l.rnd
            FROM unnest(p_session, p_archer, made, p_end_no, p_target) WITH ORDINALITY
                 AS u(sid, aid, done, e, t, o)
            JOIN unnest(s_id, s_archer, s_per_end, s_round) AS l(id, aid, per_end, rnd)
              ON l.id = u.sid AND l.aid = u.aid
            WHERE u.done IS NULL
            ORDER BY l.id, u.o
        LOOP
            IF session_now IS DISTINCT FROM r.id THEN
                session_now := r.id;
                full_mask := (1 << r.per_end) - 1;
                IF r.rnd IS NULL THEN
                    SELECT h.end_no, bit_or(1 << (h.end_place - 1)) INTO cur, m
                    FROM shot h
                    WHERE h.session_id = r.id
                      AND h.end_no = (SELECT max(x.end_no) FROM shot x
                                      WHERE x.session_id = r.id)
                    GROUP BY h.end_no;
                    cur := coalesce(cur, 0);
                    known_ends := ARRAY[cur];
                    known_masks := ARRAY[coalesce(m, 0)];
                ELSE
                    -- A round: every end's places (a round has a few dozen ends), and its
                    -- targets with the ends shot at each.
                    last_end := r.rnd / r.per_end;
                    SELECT coalesce(array_agg(q.end_no ORDER BY q.end_no), '{}'),
                           coalesce(array_agg(q.mask ORDER BY q.end_no), '{}'),
                           coalesce(max(q.end_no), 0)
                    INTO known_ends, known_masks, cur
                    FROM (SELECT h.end_no, bit_or(1 << (h.end_place - 1)) AS mask
                          FROM shot h WHERE h.session_id = r.id GROUP BY h.end_no) q;
                    SELECT array_agg(t.id), array_agg(t.first_end), array_agg(t.last_end),
                           array_agg(t.distance_m)
                    INTO t_ids, t_first, t_last, t_distance
                    FROM target t WHERE t.session_id = r.id AND t.first_end IS NOT NULL;
                END IF;
            END IF;
            e := r.e;
            IF e IS NULL THEN
                e := cur;
                IF e = 0 OR coalesce(known_masks[array_position(known_ends, cur)], 0)
                            & full_mask = full_mask THEN
                    e := cur + 1;
                END IF;
                IF r.rnd IS NOT NULL AND e > last_end THEN
                    -- The round's last end is full: the places left free before it.
                    e := NULL;
                    FOR j IN 1 .. last_end LOOP
                        IF coalesce(known_masks[array_position(known_ends, j)], 0) & full_mask
                           <> full_mask THEN
                            e := j;
                            EXIT;
                        END IF;
                    END LOOP;
                    IF e IS NULL THEN
                        RAISE EXCEPTION USING ERRCODE = 'check_violation',
                            CONSTRAINT = 'session_round_complete',
                            MESSAGE = format('round complete: %s of %s arrows shot',
                                             r.rnd, r.rnd);
                    END IF;
                END IF;
            ELSIF r.rnd IS NOT NULL AND e > last_end THEN
                RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'shot_past_round',
                    MESSAGE = format('end %s is past the round''s last end (%s)', e, last_end);
            END IF;
            IF r.rnd IS NOT NULL THEN
                j := array_position(t_ids, r.t);
                IF j IS NULL OR e NOT BETWEEN t_first[j] AND t_last[j] THEN
                    SELECT k INTO j FROM generate_subscripts(t_ids, 1) AS k
                    WHERE e BETWEEN t_first[k] AND t_last[k];
                    RAISE EXCEPTION USING ERRCODE = 'check_violation',
                        CONSTRAINT = 'shot_wrong_target',
                        MESSAGE = format('end %s of the round is shot at target %s (%s m): '
                                         'this shot names target %s', e, t_ids[j],
                                         t_distance[j], r.t);
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

    -- The same-spot rule (shots/spots.py): a new hit is a miss when a hit of its end on its
    -- spot ranks before it, by (value, X, seq). Hits stored rank before the new ones, and
    -- the new ones among themselves in the post's order (their seq order).
    IF spot AND s_id IS NOT NULL THEN
        SELECT array_agg(coalesce(m.miss, false) ORDER BY g.o) INTO misses
        FROM generate_series(1, n) AS g(o)
        LEFT JOIN (
            SELECT u.o, EXISTS (
                       SELECT FROM shot h
                       WHERE h.session_id = u.sid AND h.end_no = ends[u.o]
                         AND h.target_id = u.t AND h.face_index = u.f AND h.spot_index = u.sp
                         AND h.spot_score IS NOT NULL
                         AND (h.spot_score, h.spot_is_x) <= (u.ss, u.sx)
                   ) OR EXISTS (
                       SELECT FROM unnest(p_session, p_target, p_face, p_spot, p_spot_score,
                                          p_spot_is_x, ends) WITH ORDINALITY
                                   AS v(sid, t, f, sp, ss, sx, e, o)
                       WHERE v.sid = u.sid AND v.e = ends[u.o] AND v.t = u.t AND v.f = u.f
                         AND v.sp = u.sp AND v.ss IS NOT NULL
                         AND (v.ss, v.sx, v.o) < (u.ss, u.sx, u.o)
                   ) AS miss
            FROM unnest(p_session, p_target, p_face, p_spot, p_spot_score, p_spot_is_x)
                 WITH ORDINALITY AS u(sid, t, f, sp, ss, sx, o)
            WHERE u.ss IS NOT NULL AND ends[u.o] IS NOT NULL
        ) m ON m.o = g.o;
    END IF;

    IF simple THEN
        PERFORM set_config('arch_stats.totals', 'counted', true);
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
                    p_released, p_landed, p_release_event, made, ends, places, misses, p_entered)
             WITH ORDINALITY AS u(session_id, archer_id, id, target_id, arrow_id, x_mm, y_mm,
                                  face_index, spot_index, dx_mm, dy_mm, score, is_x,
                                  spot_score, spot_is_x, engaged_at, released_at, landed_at,
                                  release_event_id, made, end_no, end_place, miss, entered_by,
                                  o)
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
                          is_x, spot_score, spot_is_x, same_spot_miss, engaged_at, released_at,
                          landed_at, release_event_id, entered_by)
        SELECT coalesce(p.id, gen_random_uuid()), p.session_id, p.archer_id, p.target_id,
               p.arrow_id, p.seq, p.end_to, p.place_to, p.x_mm, p.y_mm, p.face_index,
               p.spot_index, p.dx_mm, p.dy_mm,
               CASE WHEN p.miss THEN 0 ELSE p.score END,
               CASE WHEN p.miss THEN false ELSE p.is_x END,
               p.spot_score, p.spot_is_x, coalesce(p.miss, false),
               p.engaged_at, p.released_at, p.landed_at, p.release_event_id,
               coalesce(p.entered_by, 'plot')
        FROM placed p WHERE p.seq IS NOT NULL
        ORDER BY p.o
        -- Made meanwhile by another assembler (only while a dying one's last pass overlaps
        -- its successor's first): skipped, `seq` then has a gap.
        ON CONFLICT (release_event_id) WHERE release_event_id IS NOT NULL DO NOTHING
        RETURNING shot.session_id, shot.seq, shot.id, shot.doc
    )
    SELECT p.o::integer, coalesce(ins.id, p.made), ins.doc, p.seq IS NULL AND p.made IS NULL
    FROM placed p LEFT JOIN ins ON ins.session_id = p.session_id AND ins.seq = p.seq
    ORDER BY p.o;

    IF simple THEN
        -- Each written session's summary, as shot_insert_totals keeps it (the lock's UPDATE
        -- counted its totals): every shot of a locked session was written, no other.
        PERFORM set_config('arch_stats.totals', '', true);
        INSERT INTO session_summary AS t (session_id, shots, hits, total, x_count, ten_count,
                                          impacts, sum_dx, sum_dy, sum_dx2, sum_dy2, sum_dxdy)
        SELECT l.id, count(*)::int, count(*) FILTER (WHERE u.score > 0)::int,
               sum(u.score)::int, count(*) FILTER (WHERE u.is_x)::int,
               count(*) FILTER (WHERE u.score >= 10)::int, count(u.dx)::int,
               coalesce(sum(u.dx::numeric), 0), coalesce(sum(u.dy::numeric), 0),
               coalesce(sum(u.dx::numeric * u.dx::numeric), 0),
               coalesce(sum(u.dy::numeric * u.dy::numeric), 0),
               coalesce(sum(u.dx::numeric * u.dy::numeric), 0)
        FROM unnest(p_session, p_archer, p_score, p_is_x, p_dx, p_dy)
             AS u(sid, aid, score, is_x, dx, dy)
        JOIN unnest(s_id, s_archer) AS l(id, aid) ON l.id = u.sid AND l.aid = u.aid
        GROUP BY l.id
        ORDER BY l.id
        ON CONFLICT (session_id) DO UPDATE SET
            shots = t.shots + excluded.shots, hits = t.hits + excluded.hits,
            total = t.total + excluded.total, x_count = t.x_count + excluded.x_count,
            ten_count = t.ten_count + excluded.ten_count, impacts = t.impacts + excluded.impacts,
            sum_dx = t.sum_dx + excluded.sum_dx, sum_dy = t.sum_dy + excluded.sum_dy,
            sum_dx2 = t.sum_dx2 + excluded.sum_dx2, sum_dy2 = t.sum_dy2 + excluded.sum_dy2,
            sum_dxdy = t.sum_dxdy + excluded.sum_dxdy;
    END IF;

    -- Hits already stored that a new, lower hit on their spot now outranks.
    IF spot AND s_id IS NOT NULL THEN
        PERFORM shot_same_spot(x.sid, x.ends)
        FROM (SELECT u.sid, array_agg(DISTINCT ends[u.o]) AS ends
              FROM unnest(p_session, p_spot_score) WITH ORDINALITY AS u(sid, ss, o)
              WHERE u.ss IS NOT NULL AND ends[u.o] IS NOT NULL
              GROUP BY u.sid) x;
    END IF;
END
$$;
