"""Profiling every column: what it is (time, measure, category, identifier, text) and its numbers.

Time is found wherever it hides: date/datetime columns, dates written as text, and year + month
(+ day) split across integer columns. Identifiers (unique or near-unique keys, row numbers) are
recognised so that nothing charts them.

The file is never loaded whole: one streaming pass over a LazyFrame gathers every column's
numbers (distinct counts are HyperLogLog estimates above EXACT_DISTINCT_ROWS rows, as in
every profiler that scales), so memory stays near the size of one chunk, not of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

ID_NAME = re.compile(r"(^|[_\s-])(id|uuid|guid|key|code|number|no|nr|num|ref|sku|zip|postal|phone|email)$|^id", re.I)
# Words, not substrings: "generation" holds "ratio", "usage" holds "age".
RATE_NAME = re.compile(r"(?<![a-z])(rate|ratio|pct|percent|share|avg|average|mean|score|price|age|temp|margin)|%|"
                       r"(^|[_\s])per([_\s]|$)", re.I)  # miles per gallon, cost per unit
# Physical measurements of each record (a penguin's bill, a parcel's weight) average; they never add up.
MEASUREMENT_NAME = re.compile(r"(^|[_\s(])(mm|cm|km|kg|g|lbs?|oz|in|ft|m)\)?$|length|width|depth|height|mass|weight|"
                              r"temperature|duration|speed|latitude|longitude|delta|power|acceleration|displacement|cylinders", re.I)
YEAR, MONTH, DAY = re.compile(r"^(year|yr|yyyy|jahr|annee|año)$", re.I), re.compile(r"^(month|mon|mm|monat|mois|mes)$", re.I), re.compile(r"^(day|dd|tag|jour|dia|día)$", re.I)
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                "%d-%m-%Y", "%b %d %Y", "%d %b %Y", "%Y%m%d"]


EXACT_DISTINCT_ROWS = 200_000
SAMPLE_ROWS = 2000


@dataclass
class ColumnProfile:
    name: str
    dtype: str
    role: str  # time | measure | category | identifier | text | boolean | constant | empty
    nulls: int
    distinct: int
    minimum: object = None
    maximum: object = None
    skew: float | None = None
    mean: float | None = None
    total: float | None = None
    std: float | None = None
    aggregation: str = "sum"
    notes: list[str] = field(default_factory=list)


@dataclass
class TableProfile:
    rows: int
    columns: list[ColumnProfile]
    frame: pl.LazyFrame  # with text dates and numbers parsed, and split dates joined into `__date`
    time_column: str | None
    quality_notes: list[str]

    def by_role(self, role: str) -> list[ColumnProfile]:
        return [c for c in self.columns if c.role == role]


def _text_date_format(sample: pl.Series) -> str | None:
    sample = sample.drop_nulls()
    if sample.len() == 0:
        return None
    for fmt in DATE_FORMATS:
        if sample.str.strptime(pl.Datetime, fmt, strict=False).null_count() <= sample.len() * 0.05:
            return fmt
    return None


def _text_number(column: str | pl.Expr) -> pl.Expr:
    column = pl.col(column) if isinstance(column, str) else column
    cleaned = column.str.replace_all(r"[\s$€£%]", "").str.replace_all(r",(\d{3})", "$1")
    return cleaned.cast(pl.Float64, strict=False)


def _is_text_number(sample: pl.Series) -> bool:
    present = sample.drop_nulls()
    parsed = present.to_frame().select(_text_number(present.name)).to_series().drop_nulls()
    return present.len() > 0 and parsed.len() >= present.len() * 0.95


def _split_date(sample: pl.DataFrame) -> pl.Expr | None:
    year = next((c for c in sample.columns if YEAR.match(c.strip())), None)
    month = next((c for c in sample.columns if MONTH.match(c.strip())), None)
    if year is None or month is None:
        return None
    day = next((c for c in sample.columns if DAY.match(c.strip())), None)
    parts = [pl.col(c).cast(pl.Int32, strict=False) for c in (year, month)]
    y, m = sample.select(parts[0]).to_series(), sample.select(parts[1]).to_series()
    if not (y.min() or 0) >= 1800 or not (y.max() or 0) <= 2200 or not 1 <= (m.min() or 0) <= (m.max() or 13) <= 12:
        return None
    d = pl.col(day).cast(pl.Int32, strict=False) if day else pl.lit(1, pl.Int32)
    valid = parts[0].is_between(1800, 2200) & parts[1].is_between(1, 12) & d.is_between(1, 31)
    return pl.when(valid).then(pl.date(parts[0], parts[1], d)).alias("__date")


def _parsed(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Text that holds dates or numbers becomes dates or numbers; split dates are joined."""
    sample = frame.head(SAMPLE_ROWS).collect()
    parsed = []
    for name, dtype in sample.schema.items():
        if dtype != pl.String:
            continue
        fmt = _text_date_format(sample[name])
        if fmt is not None:
            parsed.append(pl.col(name).str.strptime(pl.Datetime, fmt, strict=False))
        elif _is_text_number(sample[name]):
            parsed.append(_text_number(name).alias(name))
    split = _split_date(sample)
    return frame.with_columns(*parsed, *([split] if split is not None else []))


def _statistics(frame: pl.LazyFrame, schema: pl.Schema) -> dict:
    """Every column's numbers, in one streaming pass over the file."""
    stats = [pl.len().alias("rows")]
    for n, (name, dtype) in enumerate(schema.items()):
        column = pl.col(name)
        stats += [column.null_count().alias(f"{n}.nulls"), column.approx_n_unique().alias(f"{n}.distinct")]
        if dtype.is_numeric() or dtype.is_temporal():
            stats += [column.min().alias(f"{n}.min"), column.max().alias(f"{n}.max")]
        if dtype.is_numeric():
            number = column.cast(pl.Float64)
            stats += [number.skew().alias(f"{n}.skew"), number.mean().alias(f"{n}.mean"),
                      number.sum().alias(f"{n}.total"), number.std().alias(f"{n}.std")]
    found = frame.select(stats).collect(engine="streaming").row(0, named=True)
    if found["rows"] <= EXACT_DISTINCT_ROWS:  # small enough to count exactly
        exact = frame.select(pl.col(name).n_unique().alias(f"{n}.distinct") for n, name in enumerate(schema))
        found.update(exact.collect().row(0, named=True))
    return found


def _is_identifier(name: str, dtype: pl.DataType, column: ColumnProfile, rows: int) -> bool:
    if rows < 2:
        return bool(ID_NAME.search(name))
    present = max(rows - column.nulls, 1)
    unique_share = min(column.distinct / present, 1.0)
    # a named key or number, even when it restarts per group (a sample number per study)
    if ID_NAME.search(name) and unique_share > 0.3 and not dtype.is_float():
        return True
    if dtype.is_integer() and unique_share > 0.98 and column.minimum is not None:
        return column.maximum - column.minimum + 1 == present  # a row number: every integer in its range
    return dtype == pl.String and unique_share > 0.95 and rows > 20


def _role(name: str, dtype: pl.DataType, column: ColumnProfile, rows: int) -> str:
    if column.nulls == rows:
        return "empty"
    if column.distinct - (1 if column.nulls else 0) <= 1 and rows > 1:
        return "constant"
    if dtype.is_temporal() or name == "__date":
        return "time"
    if dtype == pl.Boolean:
        return "boolean"
    if _is_identifier(name, dtype, column, rows):
        return "identifier"
    if dtype.is_numeric():
        return "category" if YEAR.match(name) or MONTH.match(name) or DAY.match(name) else "measure"
    if dtype in (pl.String, pl.Categorical, pl.Enum):
        return "category" if column.distinct <= max(50, rows // 10) else "text"
    return "text"


def _column(n: int, name: str, dtype: pl.DataType, found: dict, rows: int) -> ColumnProfile:
    column = ColumnProfile(name, str(dtype), "text", found[f"{n}.nulls"], found[f"{n}.distinct"],
                           found.get(f"{n}.min"), found.get(f"{n}.max"))
    column.role = _role(name, dtype, column, rows)
    if column.role == "measure":
        column.skew, column.mean = found[f"{n}.skew"], found[f"{n}.mean"]
        column.total, column.std = found[f"{n}.total"], found[f"{n}.std"]
        low, high = column.minimum, column.maximum
        if (RATE_NAME.search(name) or MEASUREMENT_NAME.search(name)
                or (low is not None and high is not None and 0 <= low and high <= 1)):
            column.aggregation = "mean"
    elif column.role != "time":
        column.minimum = column.maximum = None
    return column


def _quality_notes(column: ColumnProfile, rows: int) -> list[str]:
    notes = []
    if column.nulls and column.role != "empty":
        column.notes.append(f"{column.nulls / rows:.0%} missing")
        if column.nulls / rows >= 0.2:
            notes.append(f"'{column.name}' is missing in {column.nulls / rows:.0%} of rows")
    if column.role == "constant":
        notes.append(f"'{column.name}' has the same value in every row")
    if column.skew is not None and abs(column.skew) > 2:
        column.notes.append("skewed")
        notes.append(f"'{column.name}' is heavily skewed (skew {column.skew:.1f}): medians say more than means")
    return notes


def profile_table(source: pl.DataFrame | pl.LazyFrame) -> TableProfile:
    frame = _parsed(source.lazy())
    schema = frame.collect_schema()
    found = _statistics(frame, schema)
    rows = found["rows"]
    columns = [_column(n, name, dtype, found, rows) for n, (name, dtype) in enumerate(schema.items())]
    notes = [note for column in columns for note in _quality_notes(column, rows)]
    times = [c for c in columns if c.role == "time"]
    time_column = max(times, key=lambda c: (c.distinct, c.name == "__date")).name if times else None
    return TableProfile(rows, columns, frame, time_column, notes)
