-- Question: Which reports are most alike as a whole?
--
-- How to read it: the 15 most similar report pairs by TF-IDF cosine of their full text
-- (scikit-learn, sublinear tf, English stopwords removed; each report keeps its 10 closest
-- neighbours with cosine >= 0.2). `cosine` runs from 0 (no shared vocabulary) to 1 (same word
-- profile); reports on one theme typically land around 0.2-0.4, and values near 1 mean the same
-- report twice. `near_dup_sections` = verified near-duplicate section pairs between the two.
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/similar_reports.sql
SELECT s.rank,
       round(s.cosine, 3)            AS cosine,
       s.n_near_duplicate_sections   AS near_dup_sections,
       s.file_name_a,
       ra.title                      AS title_a,
       s.file_name_b,
       rb.title                      AS title_b
FROM corpus.similar_reports s
JOIN corpus.reports ra ON ra.report_id = s.report_id_a
JOIN corpus.reports rb ON rb.report_id = s.report_id_b
ORDER BY s.rank, s.file_name_a, s.file_name_b
LIMIT 15;
