-- sections_cover_every_word: reports whose word count differs from the words of their
-- sections' Markdown ($word_pattern is WORD_PATTERN of pipelines/text/tokens.py), among the
-- checked reports (`selected_keys`: the run's report ids, or all).
SELECT r.file_name, r.n_words AS report_words,
       coalesce(sum(len(regexp_extract_all(s.markdown, $word_pattern))), 0) AS section_words
FROM corpus.reports r LEFT JOIN corpus.sections s USING (report_id)
WHERE r.report_id IN (SELECT key FROM selected_keys)
GROUP BY ALL
HAVING report_words <> section_words
ORDER BY r.file_name;
