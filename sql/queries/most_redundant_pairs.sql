-- Question: Which sections of different reports say the same thing in the same words?
--
-- How to read it: the 20 section pairs (from two different reports) sharing the most word
-- 5-shingles relative to their size. `jaccard` = shared shingles / shingles of either
-- (1 = identical wording, 0.5 = the pipeline's default near-duplicate threshold);
-- `a_in_b` / `b_in_a` = containment, the share of one section's shingles found in the other
-- (a_in_b near 1 with a low jaccard = section a was copied into a longer section b).
-- `near_duplicate` = the pair is a verified near-duplicate (corpus.near_duplicate_sections).
-- On a corpus without copied text the top pairs have tiny jaccard values: that is the answer
-- "nothing was recycled", not an error.
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/most_redundant_pairs.sql
SELECT rank,
       round(jaccard, 3)            AS jaccard,
       round(containment_a_in_b, 3) AS a_in_b,
       round(containment_b_in_a, 3) AS b_in_a,
       is_near_duplicate            AS near_duplicate,
       file_name_a,
       heading_a,
       file_name_b,
       heading_b,
       n_common_shingles            AS shared_shingles
FROM corpus.most_redundant_pairs
ORDER BY rank, section_id_a, section_id_b
LIMIT 20;
