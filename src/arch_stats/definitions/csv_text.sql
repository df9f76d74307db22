-- CSV formula injection: a spreadsheet runs a cell that starts with = + - @ (or a tab, CR or
-- LF) as a formula, and an archer's location, notes or arrow identifier may start so. The
-- exports write such text cells with a `'` before them (a spreadsheet shows the text as it
-- is), and also a cell that starts with `'` followed by one of those or by another `'`, so
-- that the import, which takes exactly one `'` off such cells (`parser.text_cell`), gives
-- back every value exactly. Numbers are never changed: -3.5 is a number to a spreadsheet.

CREATE OR REPLACE FUNCTION csv_text(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v ~ E'^(?:[-=+@\t\r\n]|''[-=+@\t\r\n''])' THEN '''' || v ELSE v END
$$;
