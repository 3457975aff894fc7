"""Choosing what to show, and the Vega-Lite spec of each card. Every card names the rule that chose it.

Each chart is a small query on the profiled LazyFrame (a group-by, a histogram, the top rows);
they run together, streaming, so a file of millions of rows never sits whole in memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from services.generation.profile import ColumnProfile, TableProfile

MAX_MEASURES = 4
MAX_BREAKDOWNS = 4
MAX_DISTRIBUTIONS = 3
HISTOGRAM_BINS = 30
TOP_N = 10
VEGA_LITE = "https://vega.github.io/schema/vega-lite/v6.json"
TIME_UNITS = {"year": "year", "month": "yearmonth", "week": "yearmonthdate", "day": "yearmonthdate"}


class CardSizes:
    """How much a card holds: a fixed-size card shows the top 10; a scrollable one holds more."""

    def __init__(self, scrollable: bool) -> None:
        self.top_n = 30 if scrollable else TOP_N
        self.table_rows = 50 if scrollable else 10


def _label(name: str) -> str:
    return "Date" if name == "__date" else re.sub(r"[_\s]+", " ", name).strip().capitalize()


def _jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value


def format_value(value) -> str:
    """A KPI's value as people read it: 1,234,567 or 12.35; the viewer page shows the same."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
    return str(value)


def _values(frame: pl.DataFrame) -> list[dict]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dicts()]


def _measures(profile: TableProfile) -> list[ColumnProfile]:
    def spread(column: ColumnProfile) -> float:
        return (column.std or 0.0) / (abs(column.mean or 0.0) or 1.0)
    # amounts (summed) lead, then the measures that vary most; stable ones say little
    return sorted(profile.by_role("measure"), key=lambda c: (c.aggregation == "sum", spread(c)),
                  reverse=True)[:MAX_MEASURES]


def _grain(start, end) -> tuple[str, str]:
    days = (end - start).days if start and end else 0
    if days > 3 * 365:
        return "1y", "year"
    if days > 120:
        return "1mo", "month"
    if days > 21:
        return "1w", "week"
    return "1d", "day"


def _aggregate(measure: ColumnProfile | None) -> pl.Expr:
    if measure is None:
        return pl.len().alias("value")
    column = pl.col(measure.name)
    return (column.mean() if measure.aggregation == "mean" else column.sum()).alias("value")


@dataclass
class CardPlan:
    """A card waiting for its query's answer."""

    query: pl.LazyFrame
    card: Callable[[pl.DataFrame], dict]
    metric: Callable[[pl.DataFrame], dict] | None = None


def _kpi_cards(profile: TableProfile, measures: list[ColumnProfile]) -> list[dict]:
    cards = [{"id": "rows", "kind": "kpi", "title": "Rows", "value": profile.rows,
              "display": format_value(profile.rows), "rule": "kpi.row_count: every dashboard counts its records"}]
    for measure in measures:
        value = measure.mean if measure.aggregation == "mean" else measure.total
        value = _jsonable(round(value, 4) if value is not None else None)
        averaged = measure.aggregation == "mean"
        cards.append({"id": f"kpi-{measure.name}", "kind": "kpi", "display": format_value(value),
                      "title": f"{'Average' if averaged else 'Total'} {_label(measure.name).lower()}", "value": value,
                      "rule": f"kpi.{measure.aggregation}: '{measure.name}' is a measure "
                              f"({'a rate, ratio or price: averaged' if averaged else 'an amount: summed'})"})
    return cards


def _trend_plans(profile: TableProfile, measures: list[ColumnProfile]) -> list[CardPlan]:
    if not profile.time_column:
        return []
    time = next(c for c in profile.columns if c.name == profile.time_column)
    every, unit = _grain(time.minimum, time.maximum)
    shown = measures[:2]
    # Rows are summed per day first, then the few days per period: truncating each of millions of
    # rows to a calendar month cost 0.13 s per measure (5M rows), the daily group-by 0.05 s for all.
    day = pl.col(time.name).cast(pl.Date).alias("day")
    daily = (profile.frame.filter(pl.col(time.name).is_not_null()).group_by(day)
             .agg(pl.len().alias("records"), *[pl.col(m.name).sum().alias(f"sum-{i}") for i, m in enumerate(shown)],
                  *[pl.col(m.name).count().alias(f"count-{i}") for i, m in enumerate(shown)]))
    by_period = daily.group_by(pl.col("day").cast(pl.Datetime).dt.truncate(every).alias("period"))
    plans = []
    for i, measure in enumerate(shown or [None]):
        name = "records" if measure is None else measure.name
        if measure is None:
            value = pl.col("records").sum()
        elif measure.aggregation == "mean":
            value = pl.col(f"sum-{i}").sum() / pl.col(f"count-{i}").sum()
        else:
            value = pl.col(f"sum-{i}").sum()
        query = by_period.agg(value.alias("value")).sort("period")

        def card(series: pl.DataFrame, name=name) -> dict:
            return {"id": f"trend-{name}", "kind": "chart", "title": f"{_label(name)} by {unit}",
                    "rule": f"time.series: '{_label(time.name)}' is time; {unit}ly because the data spans "
                            f"{time.minimum} to {time.maximum}",
                    "vega_lite": {"$schema": VEGA_LITE, "data": {"values": _values(series)},
                                  "mark": {"type": "line", "point": True},
                                  "encoding": {"x": {"field": "period", "type": "temporal", "title": unit.capitalize(),
                                                     "timeUnit": TIME_UNITS[unit]},
                                               "y": {"field": "value", "type": "quantitative", "title": _label(name)}}}}

        def metric(series: pl.DataFrame, name=name, measure=measure) -> dict:
            return {"metric_id": name, "name": _label(name), "aggregation": "count" if measure is None else measure.aggregation,
                    "points": [{"date": _jsonable(p)[:10], "value": v} for p, v in series.iter_rows() if v is not None]}

        plans.append(CardPlan(query, card, metric))
    return plans


def _breakdown_plans(profile: TableProfile, measures: list[ColumnProfile], sizes: CardSizes) -> list[CardPlan]:
    categories = sorted(profile.by_role("category") + profile.by_role("boolean"), key=lambda c: c.distinct)
    measure = measures[0] if measures else None
    what = "records" if measure is None else measure.name
    plans = []
    for category in [c for c in categories if c.distinct >= 2][:MAX_BREAKDOWNS]:
        top = category.distinct > 12
        query = (profile.frame.group_by(category.name).agg(_aggregate(measure)).sort("value", descending=True)
                 .head(sizes.top_n).select(pl.col(category.name).cast(pl.String).alias("category"), "value"))

        def card(grouped: pl.DataFrame, category=category, top=top) -> dict:
            return {"id": f"breakdown-{category.name}", "kind": "chart",
                    "title": f"{'Top ' + str(sizes.top_n) + ' ' if top else ''}{_label(category.name)} by {_label(what).lower()}",
                    "rule": (f"breakdown.top_n: '{category.name}' has {category.distinct} values; the top {sizes.top_n} are shown"
                             if top else f"breakdown.category: '{category.name}' has {category.distinct} values"),
                    "vega_lite": {"$schema": VEGA_LITE, "data": {"values": _values(grouped)}, "mark": "bar",
                                  "encoding": {"y": {"field": "category", "type": "nominal", "sort": "-x",
                                                     "title": _label(category.name)},
                                               "x": {"field": "value", "type": "quantitative", "title": _label(what)}}}}

        plans.append(CardPlan(query, card))
    return plans


def _distribution_plans(profile: TableProfile, measures: list[ColumnProfile]) -> list[CardPlan]:
    plans = []
    for measure in measures[:MAX_DISTRIBUTIONS]:
        low, high = float(measure.minimum), float(measure.maximum)
        width = (high - low) / HISTOGRAM_BINS or 1.0
        bin_index = ((pl.col(measure.name).cast(pl.Float64) - low) / width).floor().clip(0, HISTOGRAM_BINS - 1)
        query = (profile.frame.select(bin_index.alias("bin")).drop_nulls().group_by("bin").agg(pl.len().alias("rows"))
                 .sort("bin").select((low + pl.col("bin") * width).alias("start"),
                                     (low + (pl.col("bin") + 1) * width).alias("end"), "rows"))

        def card(bins: pl.DataFrame, measure=measure) -> dict:
            return {"id": f"distribution-{measure.name}", "kind": "chart",
                    "title": f"Distribution of {_label(measure.name).lower()}",
                    "rule": f"distribution.histogram: '{measure.name}' is a measure"
                            + (f"; skewed ({measure.skew:.1f})" if measure.skew and abs(measure.skew) > 2 else ""),
                    "vega_lite": {"$schema": VEGA_LITE, "data": {"values": _values(bins)}, "mark": "bar",
                                  "encoding": {"x": {"field": "start", "type": "quantitative", "bin": {"binned": True},
                                                     "title": _label(measure.name)},
                                               "x2": {"field": "end"},
                                               "y": {"field": "rows", "type": "quantitative", "title": "Rows"}}}}

        plans.append(CardPlan(query, card))
    return plans


def _table_plan(profile: TableProfile, measures: list[ColumnProfile], sizes: CardSizes) -> CardPlan:
    shown = [c.name for c in profile.columns if c.role not in ("empty",) and not c.name.startswith("__")][:12]
    query = profile.frame
    if measures:
        query = query.sort(measures[0].name, descending=True, nulls_last=True)
    query = query.head(sizes.table_rows).select(shown)

    def card(rows: pl.DataFrame) -> dict:
        return {"id": "top-rows", "kind": "table", "title": "Top rows" if measures else "First rows",
                "rule": f"table.top_rows: sorted by '{measures[0].name}'" if measures else "table.first_rows",
                "columns": shown, "rows": _values(rows)}

    return CardPlan(query, card)


def choose_cards(profile: TableProfile, title: str, scrollable: bool = False) -> dict:
    sizes = CardSizes(scrollable)
    measures = _measures(profile)
    plans = [*_trend_plans(profile, measures), *_breakdown_plans(profile, measures, sizes),
             *_distribution_plans(profile, measures), _table_plan(profile, measures, sizes)]
    answers = pl.collect_all([plan.query for plan in plans], engine="streaming")
    cards = _kpi_cards(profile, measures) + [plan.card(answer) for plan, answer in zip(plans, answers, strict=True)]
    metrics = [plan.metric(answer) for plan, answer in zip(plans, answers, strict=True) if plan.metric]
    if profile.quality_notes:
        cards.append({"id": "data-quality", "kind": "notes", "title": "Data quality", "notes": profile.quality_notes,
                      "rule": "quality.notes: missing values, constant columns, skew"})
    return {"title": title, "rows": profile.rows,
            "columns": [{"name": c.name, "role": c.role, "type": c.dtype, "nulls": c.nulls, "distinct": c.distinct}
                        for c in profile.columns if not c.name.startswith("__")],
            "cards": cards, "metrics": metrics}
