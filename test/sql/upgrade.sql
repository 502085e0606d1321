-- ALTER EXTENSION llm UPDATE from 1.0 gives exactly the objects of a fresh
-- install: every member's definition, volatility, privileges and comment.
\set members 'SELECT md5(string_agg(d, E''\n'' ORDER BY d)) AS digest, count(*) AS n FROM (SELECT pg_describe_object(dep.classid, dep.objid, 0) || '' '' || coalesce(CASE WHEN dep.classid = ''pg_proc''::regclass THEN pg_get_functiondef(dep.objid) || coalesce((SELECT proacl::text FROM pg_proc WHERE oid = dep.objid), '''') WHEN dep.classid = ''pg_class''::regclass THEN coalesce(pg_get_viewdef(dep.objid), '''') || (SELECT coalesce(relacl::text, '''') FROM pg_class WHERE oid = dep.objid) || (SELECT string_agg(attname || '':'' || format_type(atttypid, atttypmod), '','' ORDER BY attnum) FROM pg_attribute WHERE attrelid = dep.objid AND attnum > 0) END, '''') || coalesce(obj_description(dep.objid), '''') AS d FROM pg_depend dep JOIN pg_extension e ON e.oid = dep.refobjid AND e.extname = ''llm'' WHERE dep.deptype = ''e'') s'
CREATE DATABASE llm_fresh;
CREATE DATABASE llm_updated;
\c llm_fresh
CREATE EXTENSION llm;
SELECT extversion FROM pg_extension WHERE extname = 'llm';
:members \gset fresh_
\c llm_updated
CREATE EXTENSION llm VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'llm';
ALTER EXTENSION llm UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'llm';
:members \gset updated_
SELECT :'fresh_digest' = :'updated_digest' AS same_objects,
       :fresh_n AS fresh_members, :updated_n AS updated_members;
\c contrib_regression
DROP DATABASE llm_fresh;
DROP DATABASE llm_updated;
