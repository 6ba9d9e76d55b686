-- every_report_has_sections: landed reports without any row in corpus.sections.
SELECT r.file_name
FROM corpus.reports r
WHERE NOT EXISTS (SELECT 1 FROM corpus.sections s WHERE s.report_id = r.report_id)
ORDER BY r.file_name;
