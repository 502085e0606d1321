CREATE EXTENSION llm;
-- the kernel variant depends on the CPU: check only the shape of the answer
SELECT llm_version() ~ '^llm 1\.0 \(kernels: [a-z0-9_]+\)$' AS version_ok;
