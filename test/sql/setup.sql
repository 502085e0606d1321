-- the extension, its objects and their documentation
CREATE EXTENSION llm;
SELECT llm_version() ~ '^llm 1\.1 \(kernels: [a-z0-9_]+\)$' AS version_ok;

-- every function is documented
SELECT p.proname, obj_description(p.oid, 'pg_proc') IS NOT NULL AS documented
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'llm'
ORDER BY 1;

-- volatility and parallel safety are honest
SELECT proname, provolatile, proparallel, proisstrict
FROM pg_proc WHERE proname LIKE 'llm\_%' AND proname <> 'llm_models_validate'
ORDER BY 1;

-- inference functions are callable by anyone; registration is not
SELECT proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
FROM pg_proc p WHERE proname LIKE 'llm\_%' ORDER BY 1;
SELECT has_table_privilege('public', 'llm_models', 'SELECT') AS public_select,
       has_table_privilege('public', 'llm_models', 'INSERT') AS public_insert,
       has_table_privilege('pg_read_server_files', 'llm_models', 'INSERT') AS reader_insert;
