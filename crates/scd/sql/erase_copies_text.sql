-- Copies of erased values kept without their key in a text column (an error message that
-- quoted them): every occurrence, in any case, becomes [erased]. Values shorter than three
-- characters are not searched: they would match inside unrelated words.
UPDATE {table} AS p
SET {column} = (
    SELECT regexp_replace(
               p.{column},
               string_agg(regexp_replace(e.value, '([^[:alnum:][:space:]])', '\\\1', 'g'), '|'
                          ORDER BY length(e.value) DESC),
               '[erased]',
               'gi')
    FROM pg_temp.scd_erased_values AS e
    WHERE length(e.value) >= 3
      AND strpos(lower(p.{column}), e.value) > 0)
WHERE p.{column} IS NOT NULL
  AND EXISTS (
      SELECT 1
      FROM pg_temp.scd_erased_values AS e
      WHERE length(e.value) >= 3
        AND strpos(lower(p.{column}), e.value) > 0)
