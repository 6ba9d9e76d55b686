-- Question: Which topics of the latest report are new, and which keep coming back?
--
-- How to read it: one row per primary topic of the most recent report (latest arrival: report
-- date, then file name). `status` is `new` when no earlier report had the topic as the primary
-- topic of any section, else `recurring`; `earlier_reports` counts the earlier reports that
-- had it. `sections` / `pct_of_report` = how much of the latest report the topic fills.
-- New topics come first: they are what this report adds to the corpus' agenda.
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/new_topics_in_latest_report.sql
WITH latest AS (
    SELECT report_id, file_name, arrival_rank
    FROM corpus.report_arrival
    ORDER BY arrival_rank DESC
    LIMIT 1
), earlier AS (
    SELECT rt.topic_id, count(DISTINCT rt.report_id) AS n_reports
    FROM corpus.report_topics rt
    JOIN corpus.report_arrival a USING (report_id)
    WHERE a.arrival_rank < (SELECT arrival_rank FROM latest)
    GROUP BY rt.topic_id
)
SELECT CASE WHEN coalesce(e.n_reports, 0) = 0 THEN 'new' ELSE 'recurring' END AS status,
       coalesce(t.label, rt.topic_id)             AS topic,
       coalesce(e.n_reports, 0)                   AS earlier_reports,
       rt.n_sections                              AS sections,
       round(100 * rt.share_of_words, 1)          AS pct_of_report,
       l.file_name                                AS latest_report
FROM latest l
JOIN corpus.report_topics rt USING (report_id)
LEFT JOIN corpus.topics t ON t.topic_id = rt.topic_id
LEFT JOIN earlier e ON e.topic_id = rt.topic_id
ORDER BY status, earlier_reports, rt.n_words DESC, topic;
