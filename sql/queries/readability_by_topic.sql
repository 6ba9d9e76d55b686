-- Question: Are some topics written harder than others?
--
-- How to read it: one row per primary topic with at least one RELIABLE section (>= 100 words
-- and >= 3 sentences). `median_fk_grade` = median Flesch-Kincaid grade (US school years),
-- `median_reading_ease` = median Flesch reading ease (0-100, higher = easier), with the range
-- of the grade. Medians resist the odd extreme section; with few reliable sections
-- (`reliable_sections`) a topic's figures are anecdotal. `sections` counts all its sections,
-- reliable or not. Hardest topics first.
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/readability_by_topic.sql
SELECT coalesce(primary_topic, '(no topic)')                                   AS topic,
       count(*)                                                               AS sections,
       count(*) FILTER (WHERE readability_reliable)                           AS reliable_sections,
       round(median(flesch_kincaid_grade) FILTER (WHERE readability_reliable), 1) AS median_fk_grade,
       round(median(flesch_reading_ease) FILTER (WHERE readability_reliable), 1)  AS median_reading_ease,
       round(min(flesch_kincaid_grade) FILTER (WHERE readability_reliable), 1)    AS min_fk_grade,
       round(max(flesch_kincaid_grade) FILTER (WHERE readability_reliable), 1)    AS max_fk_grade
FROM corpus.section_overview
WHERE NOT is_preamble
GROUP BY ALL
HAVING count(*) FILTER (WHERE readability_reliable) > 0
ORDER BY median_fk_grade DESC, topic;
