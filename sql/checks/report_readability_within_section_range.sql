-- report_readability_within_section_range: for formulas that average over words or
-- sentences (Coleman-Liau, SMOG, McAlpine EFLAW), reports whose value lies outside the range of
-- their sections' values, with 0.5 of slack for sentences that merge across section joins;
-- among the checked reports (`selected_keys`: the run's report ids, or all).
WITH s AS (
    SELECT report_id,
        min(coleman_liau_index) AS min_coleman_liau_index, max(coleman_liau_index) AS max_coleman_liau_index,
        min(smog_index) AS min_smog_index, max(smog_index) AS max_smog_index,
        min(mcalpine_eflaw) AS min_mcalpine_eflaw, max(mcalpine_eflaw) AS max_mcalpine_eflaw
    FROM corpus.section_readability
    WHERE n_words > 0 AND report_id IN (SELECT key FROM selected_keys)
    GROUP BY report_id
)
SELECT r.report_id, r.coleman_liau_index, r.smog_index, r.mcalpine_eflaw
FROM corpus.report_readability r JOIN s USING (report_id)
WHERE r.reliable AND (
    r.coleman_liau_index < s.min_coleman_liau_index - 0.5 OR r.coleman_liau_index > s.max_coleman_liau_index + 0.5
    OR r.smog_index < s.min_smog_index - 0.5 OR r.smog_index > s.max_smog_index + 0.5
    OR r.mcalpine_eflaw < s.min_mcalpine_eflaw - 0.5 OR r.mcalpine_eflaw > s.max_mcalpine_eflaw + 0.5
)
ORDER BY r.report_id;
