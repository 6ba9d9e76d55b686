-- Question: Which report files failed to load, and why? Which loaded only after repairs?
--
-- How to read it: one row per file the pipeline has seen, failures first. `status` =
-- `rejected` (not in corpus.reports; `detail` says why: empty, binary, over the size limit,
-- unreadable, symbolic link out of the folder, ...), `repaired` (loaded, but the text needed
-- fixing; `detail` lists the repairs: decoding, mojibake, line endings, removed agent chatter)
-- or `loaded` (read as is). A rejected file leaves this list once it is fixed and the pipeline
-- refreshes. No rejected rows = every file could be read.
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/load_failures.sql
SELECT CASE
           WHEN status = 'rejected' THEN 'rejected'
           WHEN len(repairs) > 0 THEN 'repaired'
           ELSE 'loaded'
       END                                                          AS status,
       file_name,
       coalesce(reason, array_to_string(repairs, '; '), '')         AS detail,
       encoding,
       n_bytes,
       seen_at
FROM corpus.file_status
ORDER BY CASE status WHEN 'rejected' THEN 0 ELSE 1 END, len(repairs) DESC NULLS FIRST, file_name;
