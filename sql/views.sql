-- Views for SQL users, applied by the pipeline (published_warehouse) after every refresh.
-- Every view reads only corpus.* tables; `CREATE OR REPLACE` keeps this file re-runnable.

-- Reports in arrival order (report date, then file name): rank 1 arrived first.
CREATE OR REPLACE VIEW corpus.report_arrival AS
SELECT report_id, file_name, title, report_date, report_date_source,
       row_number() OVER (ORDER BY report_date, file_name) AS arrival_rank
FROM corpus.reports;

-- The most recent report (by report date, then file name) with its sections.
CREATE OR REPLACE VIEW corpus.latest_report AS
SELECT r.file_name, r.title, r.report_date, s.ordinal, s.number, s.heading, s.n_words
FROM corpus.reports r
JOIN corpus.sections s USING (report_id)
WHERE r.report_id = (
    SELECT report_id FROM corpus.reports ORDER BY report_date DESC, file_name DESC LIMIT 1
)
ORDER BY s.ordinal;
