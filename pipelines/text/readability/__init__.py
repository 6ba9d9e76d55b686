"""Readability of texts: textstat 0.7.13's formulas, computed in bulk with Polars."""
