"""The MinHash LSH family of the stored fingerprints, shared by the assets that make and read them."""

import hashlib

from pipelines.settings import Settings
from pipelines.text.redundancy.minhash import MinhashConfig
from pipelines.text.tokens import WORD_PATTERN

# Word shingles, permutations and seed of the stored signatures, with the Jaccard of word
# 5-shingles from which two sections are near-duplicates (NEAR_DUPLICATE_THRESHOLD).
MINHASH_CONFIG = MinhashConfig(threshold=Settings.from_env().near_duplicate_threshold)
# What a report's stored fingerprints depend on besides its content: the family, and the text
# shingled (v2: prose and table cells, `corpus_reads.TEXT_WITH_TABLES`) and the word definition
# (`tokens.WORD_PATTERN`: CJK characters are words).
FINGERPRINT_PARAMETERS = (
    f"{MINHASH_CONFIG!r};words={hashlib.sha256(WORD_PATTERN.encode()).hexdigest()[:12]};v2"
)
