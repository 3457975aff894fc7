"""Profiling every column: its numbers, then what it means (semantics.py) and the table's shape.

Text holding dates (time_axis.py) or numbers is parsed, and calendar parts spread over columns are
joined into `__time`, on a bounded sample first, then as expressions the statistics pass reads.

The file is never loaded whole: one streaming pass over a LazyFrame gathers every column's
numbers (distinct counts are HyperLogLog estimates above EXACT_DISTINCT_ROWS rows, as in
every profiler that scales), so memory stays near the size of one chunk, not of the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from contracts.generation import GRAIN_KEY, TABLE_GRAINS
from services.generation.columns import ColumnProfile, Semantic
from services.generation.grain import decide_grain
from services.generation.reading import UnreadableFile
from services.generation.scalars import bounds
from services.generation.semantics import TableModel, apply_override, classify, table_model
from services.generation.spans import Span, span_of
from services.generation.time_axis import (
    SINCE,
    TIME,
    CalendarParts,
    RelativeTime,
    calendar_parts,
    decimal_year,
    epoch_time,
    relative_time,
    text_date,
    yearless_parts,
)

EXACT_DISTINCT_ROWS = 200_000
SAMPLE_ROWS = 5000  # the sample the semantic rules read beside the statistics
MAX_QUALITY_NOTES = 5
SKEW_MIN_DISTINCT = 10  # fewer values (a 0/1 flag, a rating, a count of items) are lopsided by nature


@dataclass
class TableProfile:
    rows: int
    columns: list[ColumnProfile]
    frame: pl.LazyFrame  # with text dates and numbers parsed, and calendar parts joined into `__time`
    model: TableModel
    quality_notes: list[str]
    sample: pl.DataFrame  # the first rows, parsed: what the semantic rules read beside the statistics

    @property
    def time_column(self) -> str | None:
        return self.model.time.column if self.model.time else None

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)

    def of_kind(self, *kinds: str) -> list[ColumnProfile]:
        return [c for c in self.columns if c.semantic.kind in kinds and not c.name.startswith("__")]


def _text_number(column: str | pl.Expr) -> pl.Expr:
    column = pl.col(column) if isinstance(column, str) else column
    cleaned = column.str.replace_all(r"[\s$€£%]", "").str.replace_all(r",(\d{3})", "$1")
    return cleaned.cast(pl.Float64, strict=False)


def _is_text_number(sample: pl.Series) -> bool:
    present = sample.drop_nulls()
    parsed = present.to_frame().select(_text_number(present.name)).to_series()
    if present.len() == 0 or parsed.null_count() > present.len() * 0.2:
        return False
    # a few markers among the numbers ("T" for a trace of rain, "NA", "-") read as missing
    return present.filter(parsed.is_null()).n_unique() <= 3


def _parsing(sample: pl.DataFrame) -> list[pl.Expr]:
    """Text that holds dates or numbers becomes dates or numbers; decimal years become dates."""
    parsed = []
    for name, dtype in sample.schema.items():
        if dtype == pl.String:
            as_date = text_date(sample[name])
            if as_date is not None:
                parsed.append(as_date)
            elif _is_text_number(sample[name]):
                parsed.append(_text_number(name).alias(name))
        elif dtype.is_float() and (as_date := decimal_year(sample[name])) is not None:
            parsed.append(as_date)
        elif dtype.is_numeric() and (as_date := epoch_time(sample[name])) is not None:
            parsed.append(as_date)
    return parsed


def _has_dates(sample: pl.DataFrame) -> bool:
    return any(dtype.is_temporal() for dtype in sample.schema.values())


def _parsed(frame: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.DataFrame, CalendarParts | None, RelativeTime | None,
                                          Span | None]:
    """The frame with dates and numbers parsed, calendar parts joined and what each row lasted
    measured (spans.py), and its parsed sample."""
    frame, sample, parts, since = _dated(frame)
    span = span_of(sample)
    if span is not None:  # from the parsed moments: a second step, as one step reads the columns it was given
        names = list(sample.columns)
        names.insert(names.index(span.end) + 1, span.column)  # it stands beside the moments it measures
        frame = frame.with_columns(span.expression).select(names)
        sample = sample.with_columns(span.expression).select(names)
    return frame, sample, parts, since, span


def _dated(frame: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.DataFrame, CalendarParts | None, RelativeTime | None]:
    sample = frame.head(SAMPLE_ROWS).collect()
    parsing = _parsing(sample)
    sample = sample.with_columns(parsing)
    parts = calendar_parts(sample)
    if parts is None and not _has_dates(sample) and (since := relative_time(sample)) is not None:
        parsing.append(since.expression)
        return frame.with_columns(*parsing), sample.with_columns(since.expression), None, since
    if parts is None and not _has_dates(sample):
        parts = yearless_parts(sample)
    if parts is not None:
        years = sample[parts.year].drop_nulls() if parts.year else pl.Series([0])
        earliest, latest = bounds(years) if years.len() else (0, 0)
        moment = parts.expression(int(earliest), int(latest)) if years.len() else None
        if moment is not None:
            parsing.append(moment)
            sample = sample.with_columns(moment)
        else:
            parts = None
    return frame.with_columns(*parsing), sample, parts, None


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


def _column(n: int, name: str, dtype: pl.DataType, found: dict) -> ColumnProfile:
    column = ColumnProfile(name, str(dtype), found[f"{n}.nulls"], found[f"{n}.distinct"],
                           found.get(f"{n}.min"), found.get(f"{n}.max"))
    if dtype.is_numeric():
        column.skew, column.mean = found[f"{n}.skew"], found[f"{n}.mean"]
        column.total, column.std = found[f"{n}.total"], found[f"{n}.std"]
    return column


@dataclass(frozen=True)
class QualityNote:
    weight: float  # how much it matters: a share of rows missing, then skew, then a constant column
    kind: str  # missing | constant | skewed
    column: str
    value: float  # the share missing, the skew

    def text(self, alike: list[QualityNote]) -> str:
        """This note, said once for it and the notes `alike` (a family of columns, each as skewed)."""
        if not alike:
            named, low, high = f"'{self.column}'", self.value, self.value
        else:
            values = [note.value for note in [self, *alike]]
            names = [f"'{note.column}'" for note in [self, *alike]]
            named = f"{len(names)} columns ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
            low, high = min(values), max(values)
        plural = bool(alike)
        if self.kind == "missing":
            share = f"{low:.0%}" if f"{low:.0%}" == f"{high:.0%}" else f"{low:.0%} to {high:.0%}"
            return f"{named} {'are' if plural else 'is'} missing in {share} of rows"
        if self.kind == "constant":
            return f"{named} {'have' if plural else 'has'} the same value in every row"
        skew = f"{low:.1f}" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f} to {high:.1f}"
        return f"{named} {'are' if plural else 'is'} heavily skewed (skew {skew}): medians say more than means"


ALIKE = 0.1  # notes of one kind whose values are within this share of each other are said once, from 3 columns
ALIKE_LEAST = 3


def _quality_notes(column: ColumnProfile, rows: int) -> list[QualityNote]:
    """Warnings about one column, each with how much it matters (a share of rows missing, then skew):
    a long tail is a problem only where a mean is the measure's aggregate and the values are many; a
    0/1 flag, a dummy, a code or a sparse count (items per order) is lopsided by nature."""
    notes = []
    if column.nulls and column.role != "empty":
        column.notes.append(f"{column.nulls / rows:.0%} missing")
        if column.nulls / rows >= 0.2:
            notes.append(QualityNote(1 + column.nulls / rows, "missing", column.name, column.nulls / rows))
    if column.role == "constant":
        notes.append(QualityNote(0.5, "constant", column.name, 0.0))
    averaged = column.semantic.kind in ("level", "long_value") and column.semantic.aggregate == "mean"
    if averaged and column.distinct > SKEW_MIN_DISTINCT and column.skew is not None and abs(column.skew) > 2:
        column.notes.append("skewed")
        notes.append(QualityNote(min(abs(column.skew) / 100, 0.49) + 0.5, "skewed", column.name, column.skew))
    return notes


def _said_once(notes: list[QualityNote]) -> list[tuple[float, str]]:
    """Each note's words and weight; ALIKE_LEAST or more notes of one kind and about one value (the
    years of a wide table, each as skewed) in one line."""
    said: list[tuple[float, str]] = []
    for kind in dict.fromkeys(note.kind for note in notes):
        pending = sorted((note for note in notes if note.kind == kind), key=lambda note: -note.weight)
        while pending:
            worst = pending[0]
            alike = [note for note in pending if abs(note.value - worst.value) <= ALIKE * max(abs(worst.value), 0.01)]
            if len(alike) < ALIKE_LEAST:
                alike = [worst]
            pending = [note for note in pending if note not in alike]
            in_order = [note for note in notes if note in alike]  # named in the table's order
            said.append((worst.weight, in_order[0].text(in_order[1:])))
    return said


def quality_notes(columns: list[ColumnProfile], rows: int) -> list[str]:
    """The few warnings that matter most: columns mostly missing, measures whose mean misleads, then
    constant columns; the rest counted in one line."""
    found = [note for column in columns if not column.name.startswith("__") for note in _quality_notes(column, rows)]
    ranked = [text for _, text in sorted(_said_once(found), key=lambda note: -note[0])]
    if len(ranked) <= MAX_QUALITY_NOTES:
        return ranked
    rest = len(ranked) - MAX_QUALITY_NOTES + 1
    return ranked[:MAX_QUALITY_NOTES - 1] + [f"{rest} smaller warnings of the same kinds are not shown"]


def profile_table(source: pl.DataFrame | pl.LazyFrame, column_types: dict[str, str] | None = None) -> TableProfile:
    """The one statistics pass, then the semantic model of every column and of the table."""
    frame, sample, parts, since, span = _parsed(source.lazy())
    schema = frame.collect_schema()
    column_types, grain = _grain_override(column_types, schema)
    unknown = sorted(set(column_types or {}) - set(schema))
    if unknown:
        raise UnknownColumns(unknown)
    found = _statistics(frame, schema)
    rows = found["rows"]
    columns = [_column(n, name, dtype, found) for n, (name, dtype) in enumerate(schema.items())]
    for column in columns:
        kind = (column_types or {}).get(column.name)
        column.semantic = apply_override(kind) if kind else classify(column, sample, rows)
        if column.name == TIME and parts is not None:
            column.semantic.detail = ",".join(parts.columns)
        if column.name == SINCE and since is not None:
            column.semantic = Semantic("time", detail=since.column, evidence=[since.evidence])
        if span is not None and column.name == span.column and not kind:
            column.semantic = Semantic("level", "mean", detail="span", evidence=[span.evidence])
    model = table_model(columns, sample, rows)
    if model.time is not None and model.time.column == SINCE and since is not None:
        model.time.relative, model.time.relative_days = since.label, since.days
    if model.time is not None and model.time.column == TIME and parts is not None and parts.year is None:
        model.time.yearless = True
        model.evidence.append(f"no year: '{parts.month}' and '{parts.day}' are days of one year, shown without it")
    if grain:
        model.grain, model.grain_given = grain, True
    decide_grain(columns, sample, rows, model)
    return TableProfile(rows, columns, frame, model, quality_notes(columns, rows), sample)


def _grain_override(column_types: dict[str, str] | None, schema: pl.Schema) -> tuple[dict[str, str] | None, str | None]:
    """column_types' "grain" (what a row is), apart from the columns' types; a column called grain keeps its type."""
    if not column_types or column_types.get(GRAIN_KEY) not in TABLE_GRAINS:
        return column_types, None
    rest = {name: kind for name, kind in column_types.items() if name != GRAIN_KEY}
    return rest or None, column_types[GRAIN_KEY]


class UnknownColumns(UnreadableFile):
    """column_types names columns the file does not have."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"column_types names columns the file does not have: {', '.join(names)}")
        self.names = names
