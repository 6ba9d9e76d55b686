-- Question: Which stock phrases do the reports keep repeating?
--
-- How to read it: the 25 phrases of 3 to 8 words found in the most reports (only maximal
-- phrases: a phrase is dropped when a longer one containing it is in as many reports; phrases
-- made only of stopwords are dropped). `pct_of_reports` = share of all reports using it,
-- `occurrences` = total uses (overlaps count). A phrase in most reports is template language
-- ("recent advancements in ...") rather than content; the example shows where it first occurs.
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/boilerplate_phrases.sql
SELECT p.phrase,
       p.n                                                                AS words,
       p.n_reports                                                        AS reports,
       round(100 * p.n_reports / (SELECT count(*) FROM corpus.reports), 1) AS pct_of_reports,
       p.n_occurrences                                                    AS occurrences,
       r.file_name                                                        AS example_file,
       s.heading                                                          AS example_heading
FROM corpus.repeated_phrases p
LEFT JOIN corpus.reports r ON r.report_id = p.example_report_id
LEFT JOIN corpus.sections s ON s.section_id = p.example_section_id
ORDER BY p.n_reports DESC, p.n_occurrences DESC, p.n DESC, p.phrase
LIMIT 25;
