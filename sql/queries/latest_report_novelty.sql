-- Question: How much of the latest report is new?
--
-- How to read it: the first row is the whole latest report, the others are its sections in
-- order. Text is cut into word 5-shingles (overlapping 5-word windows); `pct_new` is the share
-- of its distinct shingles that no EARLIER report contains (100 = entirely new wording,
-- 0 = everything was said before, word for word). For the whole report this is
-- corpus.report_novelty.novelty; `near_dup_sections` counts its sections that are verified
-- near-duplicates (Jaccard >= threshold) of a section of an earlier report. `corpus_pct_new`
-- is the mean novelty of all reports but the first (which is new by definition), for scale.
-- Low pct_new on a section = recycled text worth a look (see most_redundant_pairs.sql).
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/latest_report_novelty.sql
WITH latest AS (
    SELECT report_id, file_name, arrival_rank
    FROM corpus.report_arrival
    ORDER BY arrival_rank DESC
    LIMIT 1
), earlier_shingles AS (
    SELECT DISTINCT sh.shingle
    FROM corpus.section_shingles sh
    JOIN corpus.report_arrival a USING (report_id)
    WHERE a.arrival_rank < (SELECT arrival_rank FROM latest)
), section_novelty AS (
    SELECT sh.section_id,
           count(*) AS n_shingles,
           count(e.shingle) AS n_seen
    FROM corpus.section_shingles sh
    LEFT JOIN earlier_shingles e USING (shingle)
    WHERE sh.report_id = (SELECT report_id FROM latest)
    GROUP BY sh.section_id
), corpus_mean AS (
    SELECT avg(novelty) AS novelty FROM corpus.report_novelty WHERE arrival_rank > 1
)
SELECT -1                                       AS ordinal,
       '(whole report) ' || l.file_name         AS part,
       n.n_shingles                             AS shingles,
       n.n_shingles_seen                        AS seen_before,
       round(100 * n.novelty, 1)                AS pct_new,
       n.n_sections_seen                        AS near_dup_sections,
       round(100 * c.novelty, 1)                AS corpus_pct_new
FROM latest l
JOIN corpus.report_novelty n USING (report_id)
CROSS JOIN corpus_mean c
UNION ALL
SELECT s.ordinal,
       coalesce(s.heading, '(preamble)'),
       sn.n_shingles,
       sn.n_seen,
       round(100 * (1 - sn.n_seen / sn.n_shingles), 1),
       NULL,
       NULL
FROM corpus.sections s
JOIN section_novelty sn USING (section_id)
ORDER BY ordinal;
