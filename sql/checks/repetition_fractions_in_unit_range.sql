-- repetition_fractions_in_unit_range: report and section rows where a Gopher repetition
-- fraction (REPETITION_COLUMNS of pipelines/text/redundancy/gopher.py but the compression ratio)
-- lies outside [0, 1], among the checked reports (`selected_keys`: the run's report ids, or all).
WITH measured AS (
    SELECT 'report' AS level, report_id AS id, * FROM corpus.report_repetition
    UNION ALL BY NAME
    SELECT 'section' AS level, section_id AS id, * FROM corpus.section_repetition
)
SELECT level, id
FROM measured
WHERE report_id IN (SELECT key FROM selected_keys) AND (NOT (dup_line_frac BETWEEN 0 AND 1)
    OR NOT (dup_line_char_frac BETWEEN 0 AND 1)
    OR NOT (dup_para_frac BETWEEN 0 AND 1)
    OR NOT (dup_para_char_frac BETWEEN 0 AND 1)
    OR NOT (top_2gram_char_frac BETWEEN 0 AND 1)
    OR NOT (top_3gram_char_frac BETWEEN 0 AND 1)
    OR NOT (top_4gram_char_frac BETWEEN 0 AND 1)
    OR NOT (dup_5gram_char_frac BETWEEN 0 AND 1)
    OR NOT (dup_6gram_char_frac BETWEEN 0 AND 1)
    OR NOT (dup_7gram_char_frac BETWEEN 0 AND 1)
    OR NOT (dup_8gram_char_frac BETWEEN 0 AND 1)
    OR NOT (dup_9gram_char_frac BETWEEN 0 AND 1)
    OR NOT (dup_10gram_char_frac BETWEEN 0 AND 1))
ORDER BY level, id;
