-- The marts as the warehouse declares them: every view of schema marts, the mart_state
-- tables it reads (through pg_depend of its rewrite rule), and its comment.
SELECT v.relname::text AS mart,
       coalesce(array_agg(DISTINCT t.relname::text ORDER BY t.relname::text)
                FILTER (WHERE t.relnamespace = 'mart_state'::regnamespace), '{}') AS state,
       coalesce(obj_description(v.oid, 'pg_class'), '') AS description
FROM pg_class v
LEFT JOIN pg_rewrite r ON r.ev_class = v.oid
LEFT JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                     AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid
LEFT JOIN pg_class t ON t.oid = d.refobjid
WHERE v.relnamespace = 'marts'::regnamespace AND v.relkind IN ('v', 'm')
GROUP BY v.oid, v.relname
ORDER BY v.relname;
