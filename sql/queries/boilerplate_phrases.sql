-- Question: Which stock phrases do the reports keep repeating?
--
-- How to read it: the 25 best-scored phrases of 3 to 8 words (two or more content words)
-- that recur across reports far more than their words' frequencies predict. `score` =
-- reports × ln(reports / expected reports), the expected count from the words' corpus
-- frequencies: high when a phrase of otherwise rare word combinations sits in many reports
-- (template language, pasted sentences), low for common English ("the development of").
-- `pct_of_reports` = share of all reports using it, `occurrences` = total uses (overlaps
-- count); the example shows where it first occurs.
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/boilerplate_phrases.sql
SELECT p.phrase,
       p.n                                                                AS words,
       p.n_reports                                                        AS reports,
       round(100 * p.n_reports / (SELECT count(*) FROM corpus.reports), 1) AS pct_of_reports,
       p.n_occurrences                                                    AS occurrences,
       round(p.score, 1)                                                  AS score,
       r.file_name                                                        AS example_file,
       s.heading                                                          AS example_heading
FROM corpus.repeated_phrases p
LEFT JOIN corpus.reports r ON r.report_id = p.example_report_id
LEFT JOIN corpus.sections s ON s.section_id = p.example_section_id
ORDER BY p.score DESC, p.n_reports DESC, p.n_occurrences DESC, p.n DESC, p.phrase
LIMIT 25;
