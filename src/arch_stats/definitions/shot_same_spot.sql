-- The World Archery multi-spot rule (shots/spots.py) over these ends of a session: each hit on
-- a multi-spot face (`spot_score` not null) is a same-spot miss exactly when another hit of its
-- end on its spot ranks before it by (value, X, seq); only the shots whose state changes are
-- written (and so sent as shot.updated). Returns how many changed. Called after a move,
-- correction or delete that touches such a hit (shots/service.py), and by shot_insert.

CREATE OR REPLACE FUNCTION shot_same_spot(p_session uuid, p_ends integer[]) RETURNS integer
LANGUAGE sql AS $$
    WITH v AS (
        SELECT h.id, EXISTS (
                   SELECT FROM shot b
                   WHERE b.session_id = h.session_id AND b.end_no = h.end_no
                     AND b.target_id = h.target_id AND b.face_index = h.face_index
                     AND b.spot_index = h.spot_index AND b.spot_score IS NOT NULL
                     AND (b.spot_score, b.spot_is_x, b.seq) < (h.spot_score, h.spot_is_x, h.seq)
               ) AS miss
        FROM shot h
        WHERE h.session_id = p_session AND h.end_no = ANY (p_ends)
          AND h.spot_score IS NOT NULL
    ), changed AS (
        UPDATE shot s
        SET score = CASE WHEN v.miss THEN 0 ELSE s.spot_score END,
            is_x = CASE WHEN v.miss THEN false ELSE s.spot_is_x END,
            same_spot_miss = v.miss,
            updated_at = now()
        FROM v
        WHERE s.id = v.id AND s.same_spot_miss <> v.miss
        RETURNING 1
    )
    SELECT count(*)::integer FROM changed
$$;
