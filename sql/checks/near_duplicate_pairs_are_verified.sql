-- near_duplicate_pairs_are_verified: stored near-duplicate pairs whose Jaccard, recomputed here
-- from corpus.section_shingles, differs from the stored value, falls below the threshold, pairs
-- a report with itself, or whose containments leave [0, 1]; pairs with a section of the checked
-- reports (`selected_keys`: the run's report ids, or all).
WITH checked AS (
    SELECT * FROM corpus.near_duplicate_sections
    WHERE report_id_a IN (SELECT key FROM selected_keys)
       OR report_id_b IN (SELECT key FROM selected_keys)
), sizes AS (
    SELECT section_id, count(*) AS n FROM corpus.section_shingles
    WHERE section_id IN (SELECT section_id_a FROM checked UNION SELECT section_id_b FROM checked)
    GROUP BY section_id
), shared AS (
    SELECT p.section_id_a, p.section_id_b, count(*) AS n
    FROM checked p
    JOIN corpus.section_shingles a ON a.section_id = p.section_id_a
    JOIN corpus.section_shingles b ON b.section_id = p.section_id_b AND b.shingle = a.shingle
    GROUP BY ALL
)
SELECT p.section_id_a, p.section_id_b, p.jaccard,
       coalesce(s.n, 0) / (sa.n + sb.n - coalesce(s.n, 0)) AS recomputed
FROM checked p
JOIN sizes sa ON sa.section_id = p.section_id_a
JOIN sizes sb ON sb.section_id = p.section_id_b
LEFT JOIN shared s USING (section_id_a, section_id_b)
WHERE abs(recomputed - p.jaccard) > 1e-9 OR p.jaccard < p.threshold
   OR p.report_id_a = p.report_id_b
   OR NOT (p.containment_a_in_b BETWEEN 0 AND 1 AND p.containment_b_in_a BETWEEN 0 AND 1)
ORDER BY p.section_id_a, p.section_id_b;
