"""Choosing what to show, and the Vega-Lite spec of each card. Every card names the rule that chose it."""

from __future__ import annotations

import re
from datetime import date, datetime

import polars as pl

from services.generation.profile import ColumnProfile, TableProfile

MAX_MEASURES = 4
MAX_BREAKDOWNS = 4
MAX_DISTRIBUTIONS = 3
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
    measures = profile.by_role("measure")
    def spread(column: ColumnProfile) -> float:
        series = profile.frame[column.name].cast(pl.Float64)
        mean = abs(series.mean() or 0.0) or 1.0
        return (series.std() or 0.0) / mean
    # amounts (summed) lead, then the measures that vary most; stable ones say little
    return sorted(measures, key=lambda c: (c.aggregation == "sum", spread(c)), reverse=True)[:MAX_MEASURES]


def _grain(start, end) -> tuple[str, str]:
    days = (end - start).days if start and end else 0
    if days > 3 * 365:
        return "1y", "year"
    if days > 120:
        return "1mo", "month"
    if days > 21:
        return "1w", "week"
    return "1d", "day"


def choose_cards(profile: TableProfile, title: str, scrollable: bool = False) -> dict:
    frame, cards, metrics = profile.frame, [], []
    sizes = CardSizes(scrollable)
    measures = _measures(profile)
    cards.append({"id": "rows", "kind": "kpi", "title": "Rows", "value": profile.rows, "display": format_value(profile.rows),
                  "rule": "kpi.row_count: every dashboard counts its records"})
    for measure in measures:
        series = frame[measure.name].cast(pl.Float64)
        value = series.mean() if measure.aggregation == "mean" else series.sum()
        value = _jsonable(round(value, 4) if value is not None else None)
        cards.append({"id": f"kpi-{measure.name}", "kind": "kpi", "display": format_value(value),
                      "title": f"{'Average' if measure.aggregation == 'mean' else 'Total'} {_label(measure.name).lower()}",
                      "value": value,
                      "rule": f"kpi.{measure.aggregation}: '{measure.name}' is a measure "
                              f"({'a rate, ratio or price: averaged' if measure.aggregation == 'mean' else 'an amount: summed'})"})
    if profile.time_column:
        time = profile.time_column
        column = next(c for c in profile.columns if c.name == time)
        every, unit = _grain(column.minimum, column.maximum)
        timed = frame.filter(pl.col(time).is_not_null()).sort(time)
        for measure in measures[:2] or [None]:
            aggregate = (pl.len().alias("value") if measure is None else
                         (pl.col(measure.name).mean() if measure.aggregation == "mean" else pl.col(measure.name).sum()).alias("value"))
            series = timed.group_by_dynamic(pl.col(time).cast(pl.Datetime), every=every).agg(aggregate)
            series = series.rename({time: "period"})
            name = "records" if measure is None else measure.name
            cards.append({"id": f"trend-{name}", "kind": "chart", "title": f"{_label(name)} by {unit}",
                          "rule": f"time.series: '{_label(time)}' is time; {unit}ly because the data spans "
                                  f"{column.minimum} to {column.maximum}",
                          "vega_lite": {"$schema": VEGA_LITE, "data": {"values": _values(series)},
                                        "mark": {"type": "line", "point": True},
                                        "encoding": {"x": {"field": "period", "type": "temporal", "title": unit.capitalize(),
                                                           "timeUnit": TIME_UNITS[unit]},
                                                     "y": {"field": "value", "type": "quantitative", "title": _label(name)}}}})
            metrics.append({"metric_id": name, "name": _label(name),
                            "aggregation": "count" if measure is None else measure.aggregation,
                            "points": [{"date": _jsonable(p)[:10], "value": v} for p, v in series.iter_rows() if v is not None]})
    categories = sorted(profile.by_role("category") + profile.by_role("boolean"), key=lambda c: c.distinct)
    for category in [c for c in categories if c.distinct >= 2][:MAX_BREAKDOWNS]:
        measure = measures[0] if measures else None
        aggregate = (pl.len().alias("value") if measure is None else
                     (pl.col(measure.name).mean() if measure.aggregation == "mean" else pl.col(measure.name).sum()).alias("value"))
        grouped = frame.group_by(category.name).agg(aggregate).sort("value", descending=True)
        top = category.distinct > 12
        grouped = grouped.head(sizes.top_n).rename({category.name: "category"}).with_columns(pl.col("category").cast(pl.String))
        what = "records" if measure is None else measure.name
        cards.append({"id": f"breakdown-{category.name}", "kind": "chart",
                      "title": f"{'Top ' + str(sizes.top_n) + ' ' if top else ''}{_label(category.name)} by {_label(what).lower()}",
                      "rule": (f"breakdown.top_n: '{category.name}' has {category.distinct} values; the top {sizes.top_n} are shown"
                               if top else f"breakdown.category: '{category.name}' has {category.distinct} values"),
                      "vega_lite": {"$schema": VEGA_LITE, "data": {"values": _values(grouped)}, "mark": "bar",
                                    "encoding": {"y": {"field": "category", "type": "nominal", "sort": "-x",
                                                       "title": _label(category.name)},
                                                 "x": {"field": "value", "type": "quantitative", "title": _label(what)}}}})
    for measure in measures[:MAX_DISTRIBUTIONS]:
        values = frame[measure.name].drop_nulls().cast(pl.Float64)
        sample = values.sample(min(values.len(), 5000), seed=0) if values.len() else values
        cards.append({"id": f"distribution-{measure.name}", "kind": "chart", "title": f"Distribution of {_label(measure.name).lower()}",
                      "rule": f"distribution.histogram: '{measure.name}' is a measure"
                              + (f"; skewed ({measure.skew:.1f})" if measure.skew and abs(measure.skew) > 2 else ""),
                      "vega_lite": {"$schema": VEGA_LITE, "data": {"values": [{"value": v} for v in sample.to_list()]},
                                    "mark": "bar",
                                    "encoding": {"x": {"field": "value", "bin": {"maxbins": 30}, "title": _label(measure.name)},
                                                 "y": {"aggregate": "count", "title": "Rows"}}}})
    shown = [c.name for c in profile.columns if c.role not in ("empty",) and not c.name.startswith("__")][:12]
    top_rows = frame.sort(measures[0].name, descending=True, nulls_last=True) if measures else frame
    cards.append({"id": "top-rows", "kind": "table", "title": "Top rows" if measures else "First rows",
                  "rule": f"table.top_rows: sorted by '{measures[0].name}'" if measures else "table.first_rows",
                  "columns": shown, "rows": _values(top_rows.select(shown).head(sizes.table_rows))})
    if profile.quality_notes:
        cards.append({"id": "data-quality", "kind": "notes", "title": "Data quality", "notes": profile.quality_notes,
                      "rule": "quality.notes: missing values, constant columns, skew"})
    return {"title": title, "rows": profile.rows,
            "columns": [{"name": c.name, "role": c.role, "type": c.dtype, "nulls": c.nulls, "distinct": c.distinct}
                        for c in profile.columns if not c.name.startswith("__")],
            "cards": cards, "metrics": metrics}
