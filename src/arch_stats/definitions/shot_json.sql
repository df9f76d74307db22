-- The one JSON shape of a shot, shared by the REST API and the live notifications: the JSON
-- stored in the row (shot_doc_refresh). SQL and STABLE, so that PostgreSQL inlines it.

CREATE OR REPLACE FUNCTION shot_json(s shot) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT s.doc
$$;
