-- Views for SQL users, applied by the pipeline (published_warehouse) after every refresh.
-- Every view reads only corpus.* tables that exist after any full run (empty or not);
-- `CREATE OR REPLACE` keeps this file re-runnable. Each view also carries its question as a
-- catalog comment: SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'corpus';
-- The reference for every view and column is sql/README.md.

-- Reports in arrival order (report date, then file name): rank 1 arrived first.
CREATE OR REPLACE VIEW corpus.report_arrival AS
SELECT report_id, file_name, title, report_date, report_date_source,
       row_number() OVER (ORDER BY report_date, file_name) AS arrival_rank
FROM corpus.reports;
COMMENT ON VIEW corpus.report_arrival IS
    'In which order did the reports arrive? One row per report, arrival_rank 1 = first (report_date, then file_name).';

-- The most recent report (by report date, then file name) with its sections.
CREATE OR REPLACE VIEW corpus.latest_report AS
SELECT r.file_name, r.title, r.report_date, s.ordinal, s.number, s.heading, s.n_words
FROM corpus.reports r
JOIN corpus.sections s USING (report_id)
WHERE r.report_id = (
    SELECT report_id FROM corpus.reports ORDER BY report_date DESC, file_name DESC LIMIT 1
)
ORDER BY s.ordinal;
COMMENT ON VIEW corpus.latest_report IS
    'What does the most recent report contain? Its sections in order, with headings and word counts.';

-- Which files did the pipeline see, which could it read, and why not? One row per file:
-- `loaded` (a row of corpus.reports) or `rejected` (a row of corpus.rejected_reports).
CREATE OR REPLACE VIEW corpus.file_status AS
SELECT file_name, 'loaded' AS status, CAST(NULL AS VARCHAR) AS reason, ingested_at AS seen_at,
       report_id, n_bytes, encoding, repairs
FROM corpus.reports
UNION ALL
SELECT file_name, 'rejected', reason, seen_at,
       CAST(NULL AS VARCHAR), CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR[])
FROM corpus.rejected_reports;
COMMENT ON VIEW corpus.file_status IS
    'Which files could be read, and why were the others rejected? One row per file seen: status loaded or rejected, with the reason.';

-- Which topic is the primary topic of each section, with its readability and repetition:
-- one row per section, so "sections of topic X", "hardest sections of report Y" are one filter.
CREATE OR REPLACE VIEW corpus.section_overview AS
WITH primary_topic AS (
    SELECT section_id, topic_id, score FROM corpus.section_topics WHERE is_primary
    UNION ALL  -- discovered topics go to sections without any taxonomy topic: never both
    SELECT section_id, topic_id, score FROM corpus.discovered_section_topics
)
SELECT a.arrival_rank, s.report_id, a.file_name, s.section_id, s.ordinal, s.level, s.number,
       s.heading, s.parent_heading, s.is_preamble, s.n_words,
       p.topic_id AS primary_topic_id, t.label AS primary_topic, t.source AS topic_source,
       p.score AS topic_score,
       r.flesch_reading_ease, r.flesch_kincaid_grade, r.n_sentences,
       r.reliable AS readability_reliable,
       rep.compression_ratio, rep.dup_line_frac, rep.dup_5gram_char_frac
FROM corpus.sections s
JOIN corpus.report_arrival a USING (report_id)
LEFT JOIN primary_topic p USING (section_id)
LEFT JOIN corpus.topics t ON t.topic_id = p.topic_id
LEFT JOIN corpus.section_readability r ON r.section_id = s.section_id
LEFT JOIN corpus.section_repetition rep ON rep.section_id = s.section_id
ORDER BY a.arrival_rank, s.ordinal;
COMMENT ON VIEW corpus.section_overview IS
    'What is each section about and how hard/repetitive is it? One row per section: file, heading, primary topic, readability, repetition.';

-- What does each report look like at a glance? One row per readable report, in arrival order.
CREATE OR REPLACE VIEW corpus.report_overview AS
WITH report_topic_lists AS (
    SELECT rt.report_id,
           count(*) AS n_topics,
           list(coalesce(t.label, rt.topic_id) ORDER BY rt.n_words DESC, rt.topic_id)
               AS primary_topics,
           list(rt.topic_id ORDER BY rt.n_words DESC, rt.topic_id) AS primary_topic_ids
    FROM corpus.report_topics rt
    LEFT JOIN corpus.topics t USING (topic_id)
    GROUP BY rt.report_id
), section_ease AS (
    SELECT report_id,
           count(*) FILTER (WHERE reliable) AS n_reliable_sections,
           avg(flesch_reading_ease) FILTER (WHERE reliable) AS mean_section_reading_ease
    FROM corpus.section_readability
    GROUP BY report_id
)
SELECT a.arrival_rank, r.report_id, r.file_name, r.title, r.report_date, r.report_date_source,
       r.n_words, r.n_sections, r.language,
       rr.flesch_reading_ease, rr.flesch_kincaid_grade, rr.reliable AS readability_reliable,
       se.mean_section_reading_ease, coalesce(se.n_reliable_sections, 0) AS n_reliable_sections,
       n.novelty, n.section_share_seen,
       rep.compression_ratio, rep.dup_5gram_char_frac,
       coalesce(tl.n_topics, 0) AS n_topics, tl.primary_topics, tl.primary_topic_ids,
       len(r.repairs) AS n_repairs
FROM corpus.reports r
JOIN corpus.report_arrival a USING (report_id)
LEFT JOIN corpus.report_readability rr USING (report_id)
LEFT JOIN section_ease se USING (report_id)
LEFT JOIN corpus.report_novelty n USING (report_id)
LEFT JOIN corpus.report_repetition rep USING (report_id)
LEFT JOIN report_topic_lists tl USING (report_id)
ORDER BY a.arrival_rank;
COMMENT ON VIEW corpus.report_overview IS
    'What does each report look like at a glance? One row per report: title, words, sections, reading ease, novelty, primary topics.';

-- Which topics recur most? The topic league table: one row per topic that is the primary topic
-- of at least one section, ranked by reports, then sections, then share of words.
CREATE OR REPLACE VIEW corpus.topic_league AS
WITH top_terms AS (
    SELECT topic_id, list(term ORDER BY z_score DESC, term)[1:5] AS top_terms
    FROM corpus.topic_terms
    GROUP BY topic_id
), corpus_size AS (
    SELECT count(*) AS n_reports FROM corpus.reports
)
SELECT rank() OVER (ORDER BY f.n_reports DESC, f.n_sections DESC, f.share_of_words DESC) AS rank,
       f.topic_id, f.label, t.source,
       f.n_reports, f.n_reports / nullif(c.n_reports, 0) AS share_of_reports,
       f.n_sections, f.share_of_words, f.first_seen, f.last_seen, f.first_rank, f.last_rank,
       f.mean_position,
       tt.top_terms
FROM corpus.topic_frequency f
CROSS JOIN corpus_size c
LEFT JOIN corpus.topics t USING (topic_id)
LEFT JOIN top_terms tt USING (topic_id)
ORDER BY rank, f.topic_id;
COMMENT ON VIEW corpus.topic_league IS
    'Which topics recur most? One row per topic: label, source, reports, sections, share of words, first/last seen, rank.';

-- Which sections are hardest to read? Reliable sections only (>= 100 words and >= 3 sentences),
-- ranked by Flesch-Kincaid grade (highest first), ties by lowest Flesch reading ease.
CREATE OR REPLACE VIEW corpus.hardest_sections AS
SELECT rank() OVER (ORDER BY r.flesch_kincaid_grade DESC, r.flesch_reading_ease ASC) AS rank,
       o.file_name, o.heading, o.section_id, o.report_id, o.ordinal,
       r.flesch_kincaid_grade, r.flesch_reading_ease, r.gunning_fog, r.smog_index,
       r.dale_chall_readability_score, r.text_standard,
       r.n_words, r.n_sentences,
       r.n_words / r.n_sentences AS words_per_sentence,
       r.n_syllables / r.n_words AS syllables_per_word,
       o.primary_topic
FROM corpus.section_readability r
JOIN corpus.section_overview o USING (section_id)
WHERE r.reliable
ORDER BY rank, o.section_id;
COMMENT ON VIEW corpus.hardest_sections IS
    'Which sections are hardest to read? Reliable sections ranked by Flesch-Kincaid grade (ties: lowest reading ease), with file and heading.';

-- Which sections of different reports share the most text? Every pair of sections from
-- different reports that shares a word 5-shingle, with exact Jaccard and containments from
-- corpus.section_shingles, ranked by Jaccard. `is_near_duplicate` marks the pairs the pipeline
-- verified (corpus.near_duplicate_sections: Jaccard >= its threshold, 0.5 by default).
-- Candidate pairs come from shingles found in at most 100 sections (widespread boilerplate is
-- corpus.repeated_phrases' job, and pairing its sections would make this view quadratic);
-- every verified near-duplicate pair is included whatever its shingles. The counts are exact:
-- shared rare shingles come from the pairing itself, shared widespread ones are added per pair.
CREATE OR REPLACE VIEW corpus.most_redundant_pairs AS
WITH frequency AS (
    SELECT shingle, count(*) AS n_sections FROM corpus.section_shingles GROUP BY shingle
), sizes AS (
    SELECT section_id, count(*) AS n_shingles FROM corpus.section_shingles GROUP BY section_id
), rare AS (
    SELECT s.section_id, s.report_id, s.shingle
    FROM corpus.section_shingles s JOIN frequency f USING (shingle)
    WHERE f.n_sections BETWEEN 2 AND 100
), widespread AS (
    SELECT s.section_id, s.shingle
    FROM corpus.section_shingles s JOIN frequency f USING (shingle)
    WHERE f.n_sections > 100
), rare_overlap AS (
    SELECT a.section_id AS section_id_a, b.section_id AS section_id_b, count(*) AS n_rare
    FROM rare a
    JOIN rare b
      ON b.shingle = a.shingle AND a.section_id < b.section_id AND a.report_id <> b.report_id
    GROUP BY a.section_id, b.section_id
), candidates AS (
    SELECT section_id_a, section_id_b FROM rare_overlap
    UNION
    SELECT section_id_a, section_id_b FROM corpus.near_duplicate_sections
), widespread_overlap AS (
    SELECT c.section_id_a, c.section_id_b, count(*) AS n_widespread
    FROM candidates c
    JOIN widespread a ON a.section_id = c.section_id_a
    JOIN widespread b ON b.section_id = c.section_id_b AND b.shingle = a.shingle
    GROUP BY c.section_id_a, c.section_id_b
), scored AS (
    SELECT c.section_id_a, c.section_id_b, n_common_shingles,
           sa.n_shingles AS n_shingles_a, sb.n_shingles AS n_shingles_b,
           n_common_shingles / (sa.n_shingles + sb.n_shingles - n_common_shingles) AS jaccard,
           n_common_shingles / sa.n_shingles AS containment_a_in_b,
           n_common_shingles / sb.n_shingles AS containment_b_in_a
    FROM candidates c
    LEFT JOIN rare_overlap r USING (section_id_a, section_id_b)
    LEFT JOIN widespread_overlap w USING (section_id_a, section_id_b)
    CROSS JOIN LATERAL (
        SELECT coalesce(r.n_rare, 0) + coalesce(w.n_widespread, 0) AS n_common_shingles
    )
    JOIN sizes sa ON sa.section_id = c.section_id_a
    JOIN sizes sb ON sb.section_id = c.section_id_b
    WHERE n_common_shingles > 0
)
SELECT rank() OVER (
           ORDER BY p.jaccard DESC, greatest(p.containment_a_in_b, p.containment_b_in_a) DESC
       ) AS rank,
       p.jaccard, p.containment_a_in_b, p.containment_b_in_a,
       nd.section_id_a IS NOT NULL AS is_near_duplicate,
       ra.file_name AS file_name_a, sa.heading AS heading_a,
       rb.file_name AS file_name_b, sb.heading AS heading_b,
       p.n_common_shingles, p.n_shingles_a, p.n_shingles_b,
       p.section_id_a, p.section_id_b, sa.report_id AS report_id_a, sb.report_id AS report_id_b
FROM scored p
JOIN corpus.sections sa ON sa.section_id = p.section_id_a
JOIN corpus.sections sb ON sb.section_id = p.section_id_b
JOIN corpus.reports ra ON ra.report_id = sa.report_id
JOIN corpus.reports rb ON rb.report_id = sb.report_id
LEFT JOIN corpus.near_duplicate_sections nd
       ON nd.section_id_a = p.section_id_a AND nd.section_id_b = p.section_id_b
ORDER BY rank, p.section_id_a, p.section_id_b;
COMMENT ON VIEW corpus.most_redundant_pairs IS
    'Which sections of different reports share the most text? Section pairs with both files and headings, exact Jaccard and containments, verified near-duplicates flagged.';

-- Which reports resemble each other most as a whole? corpus.report_similarity with file names.
CREATE OR REPLACE VIEW corpus.similar_reports AS
SELECT rank() OVER (ORDER BY s.cosine DESC) AS rank,
       ra.file_name AS file_name_a, rb.file_name AS file_name_b,
       s.cosine, s.n_near_duplicate_sections, s.report_id_a, s.report_id_b
FROM corpus.report_similarity s
JOIN corpus.reports ra ON ra.report_id = s.report_id_a
JOIN corpus.reports rb ON rb.report_id = s.report_id_b
ORDER BY rank, s.report_id_a, s.report_id_b;
COMMENT ON VIEW corpus.similar_reports IS
    'Which reports resemble each other most? Report pairs by TF-IDF cosine, with file names and shared near-duplicate sections.';
