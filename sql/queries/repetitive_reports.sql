-- Question: Which reports repeat themselves the most?
--
-- How to read it: one row per report, most repetitive first, with the repetition measures of
-- Gopher (Rae et al. 2021, "Scaling Language Models", Table A1) as percentages of the
-- report's characters or lines. Gopher dropped web pages above these thresholds:
-- dup_lines 30 % of lines, dup_line_chars 20 %, top_2gram 20 % (the most frequent word pair),
-- dup_5gram 15 % and dup_10gram 10 % (characters inside repeated 5- / 10-word sequences).
-- `over_gopher` lists the measures above their threshold (empty = a clean report).
-- `compression` = zlib compressed / raw size: LOWER means more repetitive (prose is ~0.35-0.5).
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/repetitive_reports.sql
SELECT r.file_name,
       round(100 * p.dup_line_frac, 1)        AS dup_lines,
       round(100 * p.dup_line_char_frac, 1)   AS dup_line_chars,
       round(100 * p.top_2gram_char_frac, 1)  AS top_2gram,
       round(100 * p.dup_5gram_char_frac, 1)  AS dup_5gram,
       round(100 * p.dup_10gram_char_frac, 1) AS dup_10gram,
       round(p.compression_ratio, 3)          AS compression,
       concat_ws(', ',  -- concat_ws skips the NULLs of measures under their threshold
           CASE WHEN p.dup_line_frac > 0.30 THEN 'dup_lines' END,
           CASE WHEN p.dup_line_char_frac > 0.20 THEN 'dup_line_chars' END,
           CASE WHEN p.top_2gram_char_frac > 0.20 THEN 'top_2gram' END,
           CASE WHEN p.dup_5gram_char_frac > 0.15 THEN 'dup_5gram' END,
           CASE WHEN p.dup_10gram_char_frac > 0.10 THEN 'dup_10gram' END
       )                                      AS over_gopher
FROM corpus.report_repetition p
JOIN corpus.reports r USING (report_id)
ORDER BY p.dup_5gram_char_frac DESC, p.compression_ratio ASC, r.file_name;
