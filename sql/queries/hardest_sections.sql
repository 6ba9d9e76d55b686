-- Question: Which sections are the hardest to read?
--
-- How to read it: the 15 hardest sections among the RELIABLE ones (at least 100 words and 3
-- sentences: below that the formulas swing wildly). `fk_grade` = Flesch-Kincaid grade, the US
-- school years needed (12 = end of high school, 16+ = graduate level); `reading_ease` =
-- Flesch reading ease (0-100, higher = easier; below 30 = very difficult, negative = beyond
-- the scale); `words_per_sentence` and `syllables_per_word` are the two inputs of both
-- formulas, so they tell WHY a section is hard (long sentences, or long words).
-- Formulas: textstat 0.7.13 (pipelines/text/readability/formulas.py).
--
-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb < sql/queries/hardest_sections.sql
SELECT rank,
       file_name,
       heading,
       round(flesch_kincaid_grade, 1) AS fk_grade,
       round(flesch_reading_ease, 1)  AS reading_ease,
       round(gunning_fog, 1)          AS gunning_fog,
       n_words                        AS words,
       round(words_per_sentence, 1)   AS words_per_sentence,
       round(syllables_per_word, 2)   AS syllables_per_word,
       primary_topic
FROM corpus.hardest_sections
ORDER BY rank, section_id
LIMIT 15;
