"""The time between two moments of each row: a ticket created then resolved, a trip picked up then
dropped off, a term started then ended. The pair says what a row lasted, a measure no column holds:
it becomes one, in the unit its typical length reads best in (minutes, hours, days or years).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from services.generation.naming import tokens
from services.generation.scalars import number

START_WORDS = frozenset({"start", "started", "begin", "began", "beginning", "open", "opened", "created", "pickup",
                         "departure", "departed", "ordered", "admission", "admitted", "checkin", "submitted",
                         "reported", "received", "issued", "from"})
END_WORDS = frozenset({"end", "ended", "finish", "finished", "close", "closed", "resolved", "completed", "done",
                       "dropoff", "arrival", "arrived", "returned", "until", "delivered", "shipped", "discharge",
                       "discharged", "checkout", "to"})
UNITS = (("years", 365.25 * 86400), ("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0))
NAME_BYTES = 256  # as every uploaded column's name: a correction or a metric id can name the span too
KNOWN = 0.5  # both moments are known on at least this share of the rows
IN_ORDER = 0.95  # the end follows the start on this share of the rows where both are known


@dataclass(frozen=True)
class Span:
    start: str
    end: str
    unit: str
    seconds: float  # in one unit

    @property
    def column(self) -> str:
        return f"{self.unit} from {self.start} to {self.end}"

    @property
    def expression(self) -> pl.Expr:
        """The span of each row; none where the end comes before the start (a row entered wrong)."""
        elapsed = (_moment(self.end) - _moment(self.start)).dt.total_milliseconds() / (1000 * self.seconds)
        return pl.when(elapsed >= 0).then(elapsed).alias(self.column)

    @property
    def evidence(self) -> str:
        return f"the {self.unit} from '{self.start}' to '{self.end}' of each row: what the row lasted"


def span_of(sample: pl.DataFrame) -> Span | None:
    """A start and an end among the row's moments (named for them, the end after the start on
    nearly every row), measured in the unit its median reads best in."""
    moments = [name for name, dtype in sample.schema.items() if dtype.is_temporal() and not name.startswith("__")]
    starts = [name for name in moments if START_WORDS & set(tokens(name))]
    ends = [name for name in moments if END_WORDS & set(tokens(name))]
    for start in starts:
        for end in ends:
            if start != end and (span := _measured(sample, start, end)) is not None:
                return span
    return None


def _measured(sample: pl.DataFrame, start: str, end: str) -> Span | None:
    if (_zone(sample.schema[start]) is None) != (_zone(sample.schema[end]) is None):
        return None  # a clock of unknown zone beside a zoned one: their difference could be off by hours
    seconds = sample.select((_moment(end) - _moment(start)).dt.total_milliseconds() / 1000).to_series().drop_nulls()
    if seconds.len() < max(3, KNOWN * sample.height) or number((seconds >= 0).mean()) < IN_ORDER:
        return None  # an end known on a few rows (most breaches never ended) measures those rows, not the table
    median = number(seconds.median())
    if median <= 0:
        return None
    unit, size = next(((unit, size) for unit, size in UNITS if median >= 2 * size), UNITS[-1])
    span = Span(start, end, unit, size)
    return None if span.column in sample.columns or len(span.column.encode()) > NAME_BYTES else span


def _zone(dtype: pl.DataType) -> str | None:
    return dtype.time_zone if isinstance(dtype, pl.Datetime) else None


def _moment(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Datetime("us"))
