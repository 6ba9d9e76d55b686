-- readability_is_finite_when_reliable: reliable sections and reports where any formula is
-- NULL, NaN or infinite (the columns are METRIC_COLUMNS of pipelines/text/readability/), among
-- the checked reports (`selected_keys`: the run's report ids, or all).
WITH scored AS (
    SELECT 'section' AS level, section_id AS id, * FROM corpus.section_readability
    UNION ALL BY NAME
    SELECT 'report' AS level, report_id AS id, * FROM corpus.report_readability
)
SELECT level, id
FROM scored
WHERE report_id IN (SELECT key FROM selected_keys) AND reliable AND NOT coalesce(
    isfinite(flesch_reading_ease)
    AND isfinite(flesch_kincaid_grade)
    AND isfinite(gunning_fog)
    AND isfinite(smog_index)
    AND isfinite(coleman_liau_index)
    AND isfinite(automated_readability_index)
    AND isfinite(dale_chall_readability_score)
    AND isfinite(linsear_write_formula)
    AND isfinite(text_standard)
    AND isfinite(spache_readability)
    AND isfinite(mcalpine_eflaw)
    AND isfinite(reading_time),
    FALSE
)
ORDER BY level, id;
