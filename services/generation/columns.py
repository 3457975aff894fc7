"""What the generation knows of one column: its statistics (the profile's pass) and what it means
(the semantic rules' verdict). The profile fills the one, the rules read it and give the other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MEASURES = ("additive", "level", "stock")


@dataclass
class Semantic:
    kind: str
    aggregate: str | None = None  # sum | mean | share | distinct | None (not a measure)
    detail: str | None = None  # the calendar part, the coordinate axis, the natural order...
    evidence: list[str] = field(default_factory=list)
    order: list[str] | None = None  # an ordered category's values in their natural order
    overridden: bool = False
    separator: str | None = None  # a list column's separator between the items of one cell

    @property
    def is_measure(self) -> bool:
        return self.kind in MEASURES


@dataclass
class ColumnProfile:
    name: str
    dtype: str
    nulls: int
    distinct: int
    minimum: Any = None  # as the statistics pass found it: a number, a date or a datetime, by dtype
    maximum: Any = None
    skew: float | None = None
    mean: float | None = None
    total: float | None = None
    std: float | None = None
    semantic: Semantic = field(default_factory=lambda: Semantic("text"))
    notes: list[str] = field(default_factory=list)

    @property
    def role(self) -> str:
        """The column's kind in one word, as the dashboard's column list shows it."""
        return "measure" if self.semantic.is_measure else self.semantic.kind

    @property
    def aggregation(self) -> str | None:
        return self.semantic.aggregate
