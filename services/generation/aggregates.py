"""What a card computes, as Polars expressions that stay combinable.

Every aggregate is kept as a numerator and a denominator summed per group, so that days combine
into months, and groups outside the top N combine into "Other", without reading the rows again:
num = the sum of values (times weights; of weights for a count), den = the weight of the rows
that have a value. A total (count, sum) is num; a mean or a share is num / den.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from services.generation.naming import label
from services.generation.semantics import YES

TITLES = {"count": "Records", "sum": "Total", "mean": "Average", "median": "Median", "share": "Share",
          "last": "Latest", "distinct": "Distinct"}


@dataclass(frozen=True)
class Measure:
    """A column with its aggregate; column None counts the records (weighted, when rows are weighted)."""

    column: str | None
    aggregate: str  # count | sum | mean | median | share | last
    positive: str | None = None  # a flag's value that counts as yes
    inner: str | None = None  # for "last": how the rows of the latest period combine (a stock's sum; else mean)

    @property
    def aggregate_word(self) -> str:
        return {"sum": "total", "mean": "average", "share": "share"}.get(self.aggregate, self.aggregate)

    @property
    def is_total(self) -> bool:
        return self.aggregate in ("count", "sum") or self.inner == "sum"

    @property
    def name(self) -> str:
        return self.column or "records"

    @property
    def source(self) -> str:
        """The column aggregated, for the aggregates that read one (all but a count of records)."""
        if self.column is None:
            raise ValueError(f"a {self.aggregate} of records reads no column")
        return self.column

    def title(self, weight: str | None = None) -> str:
        if self.column is None:
            return f"Records ({label(weight).lower()})" if weight else "Records"
        if self.aggregate == "share":
            named = label(self.column).lower()  # "Share dead", not "Share dead = dead"
            return f"Share {named}" + (f" = {self.positive}" if self.positive and self.positive.lower() != named else "")
        word = "Total" if self.aggregate == "last" and self.inner == "sum" else TITLES[self.aggregate]  # a stock
        name = label(self.column).lower()
        if word.lower() == name.split(" ")[0]:  # "Total bill", not "Total total bill"
            return label(self.column)
        return f"{word} {name}"


def values_of(name: str, measure: Measure, schema: pl.Schema) -> pl.Expr:
    """The value of the measure of column `name` in each row: a flag as 1.0/0.0 (its yes: the value it
    names, else any yes-word), a number as a float."""
    column = pl.col(name)
    if measure.aggregate == "share" and schema[name] == pl.String:
        lowered = column.str.strip_chars().str.to_lowercase()
        yes = lowered == measure.positive.strip().lower() if measure.positive else lowered.is_in(list(YES))
        return pl.when(column.is_null()).then(None).otherwise(yes.cast(pl.Float64))
    return column.cast(pl.Float64, strict=False)


def partials(measure: Measure, schema: pl.Schema, weight: str | None, prefix: str) -> list[pl.Expr]:
    """`prefix.num` and `prefix.den` of one group."""
    if weight is None:  # the common case, kept cheap: plain sums and counts
        if measure.column is None:
            return [pl.len().cast(pl.Float64).alias(f"{prefix}.num"), pl.len().cast(pl.Float64).alias(f"{prefix}.den")]
        value = values_of(measure.column, measure, schema)
        return [value.sum().alias(f"{prefix}.num"), value.count().cast(pl.Float64).alias(f"{prefix}.den")]
    rows = pl.col(weight).cast(pl.Float64)
    if measure.column is None:
        return [rows.sum().alias(f"{prefix}.num"), rows.sum().alias(f"{prefix}.den")]
    value = values_of(measure.column, measure, schema)
    return [(value * rows).sum().alias(f"{prefix}.num"),
            pl.when(value.is_not_null()).then(rows).otherwise(0.0).sum().alias(f"{prefix}.den")]


def combined(prefix: str, measure: Measure) -> pl.Expr:
    """The value of partials summed over several groups (days into a month, small groups into Other)."""
    num, den = pl.col(f"{prefix}.num").sum(), pl.col(f"{prefix}.den").sum()
    return pl.when(den > 0).then(num if measure.is_total else num / den).otherwise(None)


def ratio(prefix: str, measure: Measure) -> pl.Expr:
    """The value of one group's partials; None where no row had a value."""
    num, den = pl.col(f"{prefix}.num"), pl.col(f"{prefix}.den")
    return pl.when(den > 0).then(num if measure.is_total else num / den).otherwise(None)


def value_of(num: float | None, den: float | None, measure: Measure) -> float | None:
    if num is None or not den:
        return None
    return num if measure.is_total else num / den


def query(measure: Measure | None, *, by: list[str] | None = None, time: dict | None = None,
          split: str | None = None, binned: bool = False, weight: str | None = None) -> dict:
    """A card's `query`, exactly as the datasets README defines it."""
    if measure is None or measure.column is None:
        measure = Measure(None, "count")
    return {"measure": measure.column, "aggregate": measure.aggregate,
            "by": list(by or []), "time": time, "split": split, "bin": binned, "weight": weight}
