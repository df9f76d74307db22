-- The one place that maps a row of `shot` to the shape of its JSON (the composite type
-- `shot_out`: PostgreSQL resolves the fields' types once, not for each field of every row).
-- Lists aggregate it directly; shot_doc_refresh stores its JSON. SQL and STABLE, so that
-- PostgreSQL inlines it. `is_miss` is "no landing": a shot without a position that was not
-- scored by value (`entered_by`).

CREATE OR REPLACE FUNCTION shot_row(s shot) RETURNS shot_out
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ROW(s.id, s.session_id, s.target_id, s.arrow_id, s.seq, s.end_no, s.end_place,
               s.x_mm, s.y_mm, s.face_index, s.spot_index, s.dx_mm, s.dy_mm, s.score, s.is_x,
               s.x_mm IS NULL AND s.entered_by <> 'value',
               CASE WHEN s.is_x THEN 'X' WHEN s.score = 0 THEN 'M' ELSE s.score::text END,
               s.same_spot_miss,
               CASE WHEN s.same_spot_miss THEN s.spot_score END,
               CASE WHEN NOT s.same_spot_miss THEN NULL
                    WHEN s.spot_is_x THEN 'X' ELSE s.spot_score::text END,
               s.engaged_at, s.released_at, s.landed_at, s.created_at, s.updated_at,
               s.entered_by)::shot_out
$$;
