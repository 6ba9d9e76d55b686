"""Dense integer codes of a Series' values, so vectorized steps index arrays, not strings."""

from __future__ import annotations

import numpy as np
import polars as pl


def dense_codes(values: pl.Series, distinct: pl.Series | None = None) -> np.ndarray:
    """Dense int64 codes of a Series' values: positions in `distinct` (default: its uniques)."""
    table = (values.unique() if distinct is None else distinct).to_frame("value")
    codes = (
        values.to_frame("value")
        .join(table.with_row_index("code"), on="value", how="left", maintain_order="left")["code"]
        .to_numpy()
    )
    return codes.astype(np.int64)
