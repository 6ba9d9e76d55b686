-- sections_mostly_have_a_taxonomy_topic: how many non-preamble sections there are and how
-- many carry at least one taxonomy topic.
SELECT count(*) AS sections,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM corpus.section_topics t WHERE t.section_id = s.section_id
       )) AS tagged
FROM corpus.sections s
WHERE NOT s.is_preamble;
