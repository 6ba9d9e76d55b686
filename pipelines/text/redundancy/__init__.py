"""Redundancy of sections and reports: repetition, near-duplicates, novelty, boilerplate."""
