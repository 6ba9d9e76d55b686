-- Question: Which topics recur most across the reports?
--
-- How to read it: one row per topic that is the PRIMARY topic of at least one section (each
-- section counts for its best-scoring topic only, so shares add up to at most 100 %).
-- `reports` = in how many reports it appears, `pct_of_reports` = that as a share of all
-- reports, `sections` = how many sections it heads, `pct_of_words` = share of all section
-- words; `first_seen` / `last_seen` = report dates of its first and last appearance;
-- `position` = where it tends to sit in a report (0 = first section, 1 = last);
-- `distinguishing_terms` = the words that set it apart from the other topics (log-odds z-score,
-- Monroe et al. 2008). `source` = `taxonomy` (pipelines/topics.toml) or `discovered` (a
-- cluster of sections no taxonomy topic matched; its label is its top terms).
-- A topic near the top with pct_of_reports close to 100 is a standing theme of the corpus.
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/topic_league.sql
SELECT rank,
       label,
       source,
       n_reports                          AS reports,
       round(100 * share_of_reports, 1)   AS pct_of_reports,
       n_sections                         AS sections,
       round(100 * share_of_words, 1)     AS pct_of_words,
       first_seen::DATE                   AS first_seen,
       last_seen::DATE                    AS last_seen,
       round(mean_position, 2)            AS position,
       array_to_string(top_terms, ', ')   AS distinguishing_terms
FROM corpus.topic_league
ORDER BY rank, topic_id
LIMIT 25;
