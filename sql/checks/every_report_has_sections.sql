-- every_report_has_sections: landed reports without any row in corpus.sections (of the
-- checked reports: the run's, or all; `selected_keys` holds their report ids).
SELECT r.file_name
FROM corpus.reports r
WHERE r.report_id IN (SELECT key FROM selected_keys)
  AND NOT EXISTS (SELECT 1 FROM corpus.sections s WHERE s.report_id = r.report_id)
ORDER BY r.file_name;
