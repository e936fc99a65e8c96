-- dw.normalize_event_type (0040) computed its cleaned value in a FROM subquery, and a SQL
-- function with a FROM clause is never inlined: PostgreSQL called it once per staged row, which
-- at --scale 210 made the transform's `@staged` CREATE TABLE cost 1.5-2.2 s instead of ~0.4 s
-- (BENCHMARKS.md, issue 13). The same rule, as one expression the planner inlines: the cleaned
-- value is the CASE operand, evaluated once, so each canonical name maps to itself by literal.
-- Results are identical for every input (the rules test of retention-model checks them).
CREATE OR REPLACE FUNCTION dw.normalize_event_type(raw text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE translate(lower(btrim(raw,
              E' \t\n\u000B\f\r' || U&'\0085\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\2028\2029\202F\205F\3000'
           ) COLLATE "C"), '- ', '__')
               WHEN 'pageview' THEN 'page_view'
               WHEN 'addtocart' THEN 'add_to_cart'
               WHEN 'checkout' THEN 'begin_checkout'
               WHEN 'page_view' THEN 'page_view'
               WHEN 'click' THEN 'click'
               WHEN 'search' THEN 'search'
               WHEN 'product_view' THEN 'product_view'
               WHEN 'add_to_cart' THEN 'add_to_cart'
               WHEN 'remove_from_cart' THEN 'remove_from_cart'
               WHEN 'begin_checkout' THEN 'begin_checkout'
               WHEN 'purchase' THEN 'purchase'
           END
$$;
COMMENT ON FUNCTION dw.normalize_event_type(text) IS 'Conformance rule 1: trim, lower-case, - and space to _, synonyms pageview/addtocart/checkout; NULL when not a canonical event type. Agrees with retention_model::EventType::normalize. A single expression, so the planner inlines it (0054).';
