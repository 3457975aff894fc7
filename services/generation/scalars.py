"""Polars' single values, typed as what the caller knows they are.

`Series.min()`, `.max()` and `.item()` are typed as any value a column can hold (a date, bytes, a
list, None); where the column is known to be numeric and not empty, these say so once, and check it.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl


def number(value: object) -> float:
    """A value known to be a number (of a numeric column that has values)."""
    if not isinstance(value, (int, float, Decimal)):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def bounds(values: pl.Series) -> tuple[float, float]:
    """The least and greatest of a numeric series with values."""
    return number(values.min()), number(values.max())
