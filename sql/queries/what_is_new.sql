-- Question: What does the latest report say that earlier reports did not?
--
-- How to read it: the new sentences of the most recent report (latest arrival: report date,
-- then file name), longest first. A sentence is new when at most 10% of its word 5-shingles
-- (overlapping 5-word windows) appear in any EARLIER report (`pct_seen` <= 10); sentences under
-- five words cannot be judged and are left out. `section` is where it stands in the report.
-- Its page, warehouse/charts/reports/<report_id>.html, shows them in context, shaded.
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/what_is_new.sql
WITH latest AS (
    SELECT report_id, file_name
    FROM corpus.report_arrival
    ORDER BY arrival_rank DESC
    LIMIT 1
)
SELECT s.text                                  AS sentence,
       length(s.text)                          AS characters,
       round(100 * s.seen_share, 1)            AS pct_seen,
       coalesce(sec.heading, '(preamble)')     AS section,
       s.sentence_no,
       l.file_name                             AS latest_report
FROM latest l
JOIN corpus.sentence_novelty s USING (report_id)
JOIN corpus.sections sec USING (section_id)
WHERE s.seen_share <= 0.1
ORDER BY characters DESC, sec.ordinal, s.sentence_no;
