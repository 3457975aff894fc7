"""Profiling every column: what it is (time, measure, category, identifier, text) and its numbers.

Time is found wherever it hides: date/datetime columns, dates written as text, and year + month
(+ day) split across integer columns. Identifiers (unique or near-unique keys, row numbers) are
recognised so that nothing charts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

ID_NAME = re.compile(r"(^|[_\s-])(id|uuid|guid|key|code|number|no|nr|num|ref|sku|zip|postal|phone|email)$|^id", re.I)
RATE_NAME = re.compile(r"rate|ratio|pct|percent|share|avg|average|mean|score|price|age|temp|margin|%", re.I)
# Physical measurements of each record (a penguin's bill, a parcel's weight) average; they never add up.
MEASUREMENT_NAME = re.compile(r"(^|[_\s(])(mm|cm|km|kg|g|lbs?|oz|in|ft|m)\)?$|length|width|depth|height|mass|weight|"
                              r"temperature|duration|speed|latitude|longitude|delta", re.I)
YEAR, MONTH, DAY = re.compile(r"^(year|yr|yyyy|jahr|annee|año)$", re.I), re.compile(r"^(month|mon|mm|monat|mois|mes)$", re.I), re.compile(r"^(day|dd|tag|jour|dia|día)$", re.I)
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                "%d-%m-%Y", "%b %d %Y", "%d %b %Y", "%Y%m%d"]


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
    aggregation: str = "sum"
    notes: list[str] = field(default_factory=list)


@dataclass
class TableProfile:
    rows: int
    columns: list[ColumnProfile]
    frame: pl.DataFrame  # with text dates parsed and split dates joined into `__date`
    time_column: str | None
    quality_notes: list[str]

    def by_role(self, role: str) -> list[ColumnProfile]:
        return [c for c in self.columns if c.role == role]


def _parse_text_dates(series: pl.Series) -> pl.Series | None:
    sample = series.drop_nulls().head(2000)
    if sample.len() == 0:
        return None
    for fmt in DATE_FORMATS:
        parsed = sample.str.strptime(pl.Datetime, fmt, strict=False)
        if parsed.null_count() <= sample.len() * 0.05:
            return series.str.strptime(pl.Datetime, fmt, strict=False)
    return None


def _parse_text_numbers(series: pl.Series) -> pl.Series | None:
    cleaned = series.str.replace_all(r"[\s$€£%]", "").str.replace_all(r",(\d{3})", "$1")
    parsed = cleaned.cast(pl.Float64, strict=False)
    present = series.drop_nulls().len()
    if present and parsed.drop_nulls().len() >= present * 0.95:
        return parsed
    return None


def _split_date(frame: pl.DataFrame) -> pl.Series | None:
    year = next((c for c in frame.columns if YEAR.match(c.strip())), None)
    month = next((c for c in frame.columns if MONTH.match(c.strip())), None)
    if year is None or month is None:
        return None
    day = next((c for c in frame.columns if DAY.match(c.strip())), None)
    try:
        y = frame[year].cast(pl.Int32, strict=False)
        m = frame[month].cast(pl.Int32, strict=False)
        d = frame[day].cast(pl.Int32, strict=False) if day else pl.Series([1] * frame.height, dtype=pl.Int32)
    except pl.exceptions.PolarsError:
        return None
    if not (y.min() or 0) >= 1800 or not (y.max() or 0) <= 2200 or not 1 <= (m.min() or 0) <= (m.max() or 13) <= 12:
        return None
    parts = pl.DataFrame({"y": y, "m": m, "d": d})
    return parts.select(pl.date(pl.col("y"), pl.col("m"), pl.col("d")).alias("__date"))["__date"]


def _is_identifier(name: str, series: pl.Series, distinct: int, rows: int) -> bool:
    if rows < 2:
        return bool(ID_NAME.search(name))
    unique_share = distinct / max(rows - series.null_count(), 1)
    # a named key or number, even when it restarts per group (a sample number per study)
    if ID_NAME.search(name) and unique_share > 0.3 and not series.dtype.is_float():
        return True
    if series.dtype.is_integer() and unique_share > 0.98:
        diffs = series.drop_nulls().diff().drop_nulls()
        if diffs.len() and (diffs == diffs[0]).all():
            return True  # a row number
    return series.dtype == pl.String and unique_share > 0.95 and rows > 20


def profile_table(frame: pl.DataFrame) -> TableProfile:
    rows = frame.height
    columns: list[ColumnProfile] = []
    notes: list[str] = []
    split = _split_date(frame)
    if split is not None:
        frame = frame.with_columns(split)
    for name in frame.columns:
        series = frame[name]
        if series.dtype == pl.String:
            dates = _parse_text_dates(series)
            numbers = None if dates is not None else _parse_text_numbers(series)
            if dates is not None or numbers is not None:
                series = dates if dates is not None else numbers
                frame = frame.with_columns(series.alias(name))
        nulls = series.null_count()
        distinct = series.n_unique()
        profile = ColumnProfile(name, str(series.dtype), "text", nulls, distinct)
        if nulls == rows:
            profile.role = "empty"
        elif distinct - (1 if nulls else 0) == 1 and rows > 1:
            profile.role = "constant"
        elif series.dtype.is_temporal():
            profile.role = "time"
        elif series.dtype == pl.Boolean:
            profile.role = "boolean"
        elif _is_identifier(name, series, distinct, rows) or name.startswith("__"):
            profile.role = "identifier" if not name.startswith("__") else "time"
        elif series.dtype.is_numeric():
            profile.role = "measure"
            if YEAR.match(name) or MONTH.match(name) or DAY.match(name):
                profile.role = "category"
        elif series.dtype in (pl.String, pl.Categorical, pl.Enum):
            profile.role = "category" if distinct <= max(50, rows // 10) else "text"
        if profile.role in ("measure", "time"):
            profile.minimum, profile.maximum = series.min(), series.max()
        if profile.role == "measure":
            profile.skew = series.cast(pl.Float64).skew()
            low, high = profile.minimum, profile.maximum
            if (RATE_NAME.search(name) or MEASUREMENT_NAME.search(name)
                    or (low is not None and high is not None and 0 <= low and high <= 1)):
                profile.aggregation = "mean"
        if nulls and profile.role != "empty":
            profile.notes.append(f"{nulls / rows:.0%} missing")
            if nulls / rows >= 0.2:
                notes.append(f"'{name}' is missing in {nulls / rows:.0%} of rows")
        if profile.role == "constant":
            notes.append(f"'{name}' has the same value in every row")
        if profile.skew is not None and abs(profile.skew) > 2:
            profile.notes.append("skewed")
            notes.append(f"'{name}' is heavily skewed (skew {profile.skew:.1f}): medians say more than means")
        columns.append(profile)
    times = [c for c in columns if c.role == "time"]
    time_column = None
    if times:
        time_column = max(times, key=lambda c: (c.distinct, c.name == "__date")).name
    return TableProfile(rows, columns, frame, time_column, notes)
