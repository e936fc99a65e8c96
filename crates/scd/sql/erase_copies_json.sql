-- Copies of erased values kept without their key in a jsonb column: every JSON string equal
-- to one (trimmed, in any case) becomes "[erased]", so the document keeps its shape. Only
-- the strings a row holds go into its pattern, each exactly as written there (regex
-- punctuation escaped); rows without any are not touched.
UPDATE {table} AS p
SET {column} = (
    SELECT regexp_replace(
               p.{column}::text,
               string_agg(DISTINCT regexp_replace(s.token::text, '([^[:alnum:][:space:]])', '\\\1', 'g'), '|'),
               '"[erased]"',
               'g')::jsonb
    FROM jsonb_path_query(p.{column}, 'strict $.** ? (@.type() == "string")') AS s(token)
    JOIN pg_temp.scd_erased_values AS e ON e.value = lower(btrim(s.token #>> ARRAY[]::text[])))
WHERE EXISTS (SELECT 1 FROM pg_temp.scd_erased_values)
  AND EXISTS (
      SELECT 1
      FROM jsonb_path_query(p.{column}, 'strict $.** ? (@.type() == "string")') AS s(token)
      JOIN pg_temp.scd_erased_values AS e ON e.value = lower(btrim(s.token #>> ARRAY[]::text[])))
