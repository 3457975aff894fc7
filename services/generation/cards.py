"""The cards themselves: each card's Polars query, its answer turned into a Vega-Lite spec, its
`query` (what it computes, as the datasets README defines it) and the rule that chose it.

The queries run streaming, one after another (choosing.py collects them), so a file of millions of rows
never sits whole in memory; every one groups to a bounded answer (periods, categories, bins).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TypeVar

import polars as pl

from services.generation.aggregates import Measure, combined, partials, query, ratio, value_of
from services.generation.columns import ColumnProfile
from services.generation.naming import label
from services.generation.scalars import bounds
from services.generation.semantics import TimeAxis
from services.generation.time_axis import ORIGIN, TRUNCATE, partial_periods

VEGA_LITE = "https://vega.github.io/schema/vega-lite/v6.json"
HISTOGRAM_BINS = 30
TOP_N = 10
TOP_ENTITIES = 6  # lines a panel's chart draws, when it has more entities
TIME_UNITS = {"year": "year", "quarter": "yearquarter", "month": "yearmonth", "week": "yearmonthdate",
              "day": "yearmonthdate"}
ADVERBS = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly", "year": "yearly"}
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
LABEL_LIMIT = 150  # pixels of a category's name on an axis; the tooltip holds all of it


class CardSizes:
    """How much a card holds: a fixed-size card shows the top 10; a scrollable one holds more."""

    def __init__(self, scrollable: bool) -> None:
        self.top_n = 30 if scrollable else TOP_N
        self.table_rows = 50 if scrollable else 10


def jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value


def format_value(value, aggregate: str | None = None) -> str:
    """A KPI's value as people read it: 1.2M, 34.5k, 1,234, 12.35, 81%."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if aggregate == "share":
        return f"{value:.0%}" if abs(value) >= 0.1 else f"{value:.1%}"
    number = abs(value)
    for size, suffix, least in ((1e12, "T", 1e12), (1e9, "B", 1e9), (1e6, "M", 1e6), (1e3, "k", 1e4)):
        if number >= least:
            return f"{value / size:,.1f}".rstrip("0").rstrip(".") + suffix
    if isinstance(value, int) or float(value).is_integer() and number >= 100:
        return f"{int(value):,}"
    return f"{value:,.2f}" if number < 100 else f"{value:,.1f}"


def values(frame: pl.DataFrame) -> list[dict]:
    return [{k: jsonable(v) for k, v in row.items()} for row in frame.to_dicts()]


def axis_of(measure: Measure, numbers: list) -> dict:
    """Compact tick labels (1.2M, 34k) on an axis of large values; shares as percentages, with the
    decimals small shares need (ticks of 0.2%, 0.4%... all read "0%" without them)."""
    if measure.aggregate == "share":
        largest = _largest(numbers)
        return {"format": ".0%" if largest >= 0.1 else ".1%" if largest >= 0.01 else ".2%"}
    return {"format": "~s"} if _largest(numbers) >= 10_000 else {}


def _largest(numbers: list) -> float:
    return max((abs(n) for n in numbers if isinstance(n, (int, float))), default=0)


def _cell(value, dates_only: bool = False):
    """A table cell as people read it: 20517.71, not 20517.710000000003; in a column of midnights
    (`dates_only`: a Date column read as datetimes) 2007-10-01, not 2007-10-01T00:00:00."""
    if isinstance(value, float):
        return round(value, 2) if abs(value) >= 1 else float(f"{value:.4g}")
    if dates_only and isinstance(value, datetime):
        return value.date().isoformat()
    return jsonable(value)


def _midnights_only(rows: list[dict], column: str) -> bool:
    """Every datetime of the column is at midnight: its times say nothing."""
    times = [row[column] for row in rows if isinstance(row[column], datetime)]
    return bool(times) and all(t.time() == time() for t in times)


def _spec(data: list[dict], mark, encoding: dict, **more) -> dict:
    return {"$schema": VEGA_LITE, "data": {"values": data}, "mark": mark, "encoding": encoding, **more}


# -- KPIs ----------------------------------------------------------------------------------------

def from_statistics(measure: Measure, column: ColumnProfile | None, schema: pl.Schema,
                    weight: str | None) -> float | None:
    """A KPI the statistics pass already answered (a plain total or mean), or None."""
    if weight or column is None or measure.aggregate not in ("sum", "mean", "share") \
            or not schema[measure.source].is_numeric() or column.mean is None:
        return None
    return column.total if measure.aggregate == "sum" else column.mean


def totals_query(frame: pl.LazyFrame, measures: list[Measure], schema: pl.Schema, weight: str | None,
                 known: set[int]) -> pl.LazyFrame:
    """The KPIs the statistics pass did not answer (`known`) and that need no time axis, in one pass:
    weighted totals and means, shares of yes/no text, medians, distinct counts."""
    parts = [pl.len().alias("rows")]
    for i, measure in enumerate(measures):
        if i in known:
            continue
        if measure.aggregate == "median":
            parts.append(pl.col(measure.source).cast(pl.Float64, strict=False).median().alias(f"k{i}.median"))
        elif measure.aggregate == "distinct":
            parts.append(pl.col(measure.source).drop_nulls().n_unique().alias(f"k{i}.distinct"))
        elif measure.aggregate != "last":
            parts += partials(measure, schema, None if measure.column == weight else weight, f"k{i}")
    return frame.select(parts)


def running_total_query(frame: pl.LazyFrame, column: str, time: str, entity: str | None) -> pl.LazyFrame:
    """The level a running total has reached, and when: its value at the last moment it is known (the
    file's order breaks ties), or each entity's at its own, summed over the entities."""
    known = frame.filter(pl.col(column).is_not_null() & pl.col(time).is_not_null())
    value = pl.col(column).cast(pl.Float64)
    if entity is None:
        return known.select(value.sort_by(time, maintain_order=True).last().alias("value"),
                            pl.col(time).max().alias("moment"))
    return known.filter(pl.col(time) == pl.col(time).max().over(entity)).select(
        value.sum().alias("value"), pl.col(time).max().alias("moment"))


def kpi_value(measure: Measure, index: int, totals: dict, latest: dict | None):
    if measure.aggregate in ("median", "distinct"):
        return totals.get(f"k{index}.{measure.aggregate}")
    if measure.aggregate == "last":
        return latest.get(measure.name) if latest else None
    return value_of(totals.get(f"k{index}.num"), totals.get(f"k{index}.den"), measure)


def kpi_card(measure: Measure, value, rule: str, card_query: dict, title: str | None = None,
             note: str | None = None) -> dict:
    """A headline number; `note` says what the number is of (the period of a latest value)."""
    value = jsonable(round(value, 4) if isinstance(value, float) else value)
    card = {"id": "rows" if measure.column is None else f"kpi-{measure.column}", "kind": "kpi",
            "title": title or measure.title(card_query.get("weight")), "value": value,
            "display": format_value(value, measure.aggregate), "rule": rule, "query": card_query}
    return {**card, "note": note} if note else card


# -- time ----------------------------------------------------------------------------------------

@dataclass
class Series:
    """A time axis at one grain, and the file's columns it reads."""

    axis: TimeAxis
    unit: str

    @property
    def query_time(self) -> dict:
        return {"columns": self.axis.sources, "unit": self.unit}

    @property
    def time_unit(self) -> str:
        """Vega-Lite's timeUnit of a period; without the year the file did not name."""
        if self.axis.yearless:
            return "month" if self.unit in ("month", "quarter") else "monthdate"
        return TIME_UNITS[self.unit]


PERIOD_PARTIALS = pl.col(r"^m\d+\.(num|den)$")


def periods_query(frame: pl.LazyFrame, series: Series, measures: list[Measure], schema: pl.Schema,
                  weight: str | None, split: str | None = None) -> pl.LazyFrame:
    """Partials per period (and per entity): rows are summed per day first, then per period, since
    truncating millions of rows to a calendar month costs more than grouping the few days."""
    keys = [split] if split else []
    if by_days(series):
        return periods_of(days_query(frame, series, measures, schema, weight, keys), series.unit, keys)
    moment = pl.col(series.axis.column).cast(pl.Datetime)
    grouped = frame.filter(moment.is_not_null()).group_by(*keys, moment.dt.truncate(TRUNCATE[series.unit]).alias("period"))
    return grouped.agg(*_partials_of(measures, schema, weight), *_moments(moment)).sort(*keys, "period")


def by_days(series: Series) -> bool:
    """A series of days or longer periods, whose rows are summed per day first."""
    return series.axis.step_days >= 1


def days_query(frame: pl.LazyFrame, series: Series, measures: list[Measure], schema: pl.Schema,
               weight: str | None, keys: list[str] | None = None) -> pl.LazyFrame:
    """Partials per day (and per entity), with each day's first and last moment: its periods
    (periods_of) and its seasons (season_of_days) are summed from these few rows, one pass for both.
    Dates are days already, each its own first and last moment: grouped as they are, not made
    moments and truncated back (5M rows: 90 ms -> 60 ms)."""
    column = pl.col(series.axis.column)
    rows = frame.filter(column.is_not_null())
    if schema.get(series.axis.column) == pl.Date:
        days = rows.group_by(*(keys or []), column.alias("day")).agg(*_partials_of(measures, schema, weight))
        day = pl.col("day").cast(pl.Datetime)
        return days.with_columns(day, day.alias("earliest"), day.alias("latest"))
    moment = column.cast(pl.Datetime)
    return rows.group_by(*(keys or []), moment.dt.truncate("1d").alias("day")) \
        .agg(*_partials_of(measures, schema, weight), *_moments(moment))


def periods_of(days: FrameT, unit: str, keys: list[str] | None = None) -> FrameT:
    """A days_query's rows summed per period of `unit`."""
    keys = keys or []
    periods = days.group_by(*keys, pl.col("day").dt.truncate(TRUNCATE[unit]).alias("period"))
    return periods.agg(PERIOD_PARTIALS.sum(), pl.col("earliest").min(), pl.col("latest").max()).sort(*keys, "period")


def _partials_of(measures: list[Measure], schema: pl.Schema, weight: str | None) -> list[pl.Expr]:
    return [p for i, m in enumerate(measures) for p in partials(m, schema, weight, f"m{i}")]


def _moments(moment: pl.Expr) -> list[pl.Expr]:
    return [moment.min().alias("earliest"), moment.max().alias("latest")]


def complete(periods: pl.DataFrame, series: Series) -> tuple[pl.DataFrame, list]:
    """The periods without a partial first or last one (a month the data covers only in part)."""
    overall = periods.group_by("period").agg(pl.col("earliest").min(), pl.col("latest").max()).sort("period")
    if overall.height < 4 or series.axis.relative:  # steps since a start are whole by construction
        return periods, []
    partial = partial_periods(overall.row(0, named=True), overall.row(-1, named=True), series.unit,
                              series.axis.step_days)
    return periods.filter(~pl.col("period").is_in(partial)), partial


def latest_values(periods: pl.DataFrame, measures: list[Measure]) -> tuple[dict[str, float | None], datetime | None]:
    """Each measure's value in the last complete period."""
    if periods.height == 0:
        return {}, None
    found, when = {}, None
    for i, measure in enumerate(measures):
        filled = periods.filter(pl.col(f"m{i}.den") > 0)  # the latest period where it has a value
        if filled.height:
            last = filled.row(-1, named=True)
            found[measure.name] = value_of(last[f"m{i}.num"], last[f"m{i}.den"], measure)
            when = last["period"] if when is None else max(when, last["period"])
    return found, when


def moment_label(moment, axis: TimeAxis) -> str:
    """A day as the rules name it: 2017-12-04; without the year the file did not name (Sep 24)."""
    if axis.yearless and hasattr(moment, "strftime"):
        return moment.strftime("%b %d")
    return str(jsonable(moment))[:10]


def _period_words(partial: list, series: Series) -> str:
    if not partial:
        return ""
    shown = ", ".join(moment_label(p, series.axis) for p in partial)
    return f"; partial {series.unit}{'s' if len(partial) > 1 else ''} left out ({shown})"


def trend_card(periods: pl.DataFrame, index: int, measure: Measure, series: Series, partial: list,
               weight: str | None, split: str | None = None, rule: str = "") -> dict:
    frame = periods.select("period", *([split] if split else []), ratio(f"m{index}", measure).alias("value"))
    when = ADVERBS[series.unit] if not series.axis.relative else f"by {series.axis.relative}"
    title = f"{measure.title(weight)}, {when}" + (f", per {label(split).lower()}" if split else "")
    x = {"field": "period", "type": "temporal", "timeUnit": series.time_unit, "title": None}
    tip = {"field": "period", "type": "temporal", "timeUnit": series.time_unit, "title": series.unit}
    if series.axis.relative:  # days since start: numbers on the axis, never the dates they are stored as
        frame = frame.with_columns(elapsed(pl.col("period"), series.axis.relative_days).alias("period"))
        x = {"field": "period", "type": "quantitative", "title": label(series.axis.relative)}
        tip = {"field": "period", "type": "quantitative", "title": series.axis.relative, "format": ",.4~g"}
    y = {"field": "value", "type": "quantitative", "title": measure.title(weight),
         "axis": axis_of(measure, frame["value"].to_list())}
    tooltip = [tip, {"field": "value", "type": "quantitative", "title": label(measure.name), "format": ",.4~g"}]
    encoding = {"x": x, "y": y, "tooltip": tooltip}
    if split:
        encoding["color"] = {"field": split, "type": "nominal", "title": label(split),
                             "legend": {"labelLimit": LABEL_LIMIT}}
        tooltip.insert(0, {"field": split, "type": "nominal"})
    return {"id": f"trend-{measure.name}" + (f"-by-{split}" if split else ""), "kind": "chart", "title": title,
            "rule": rule + _period_words(partial, series),
            "query": query(measure, time=series.query_time, split=split, weight=weight),
            "vega_lite": _spec(values(frame), {"type": "line", "point": frame.height <= 40}, encoding)}


def parts_card(periods: pl.DataFrame, first: int, parts: list[Measure], series: Series, partial: list,
               total: str, rule: str) -> dict:
    """A total's parts drawn together, one line each, beside the total's own line (Males and Females
    beside their Total): never stacked with it, which would count everything twice."""
    frame = periods.select("period", *[ratio(f"m{first + i}", part).alias(label(part.source))
                                       for i, part in enumerate(parts)])
    lines = frame.unpivot(index="period", variable_name="part", value_name="value")
    names = [label(part.source) for part in parts]
    title = f"{', '.join(names[:-1])} and {names[-1]}, {ADVERBS[series.unit]}: the parts of {label(total).lower()}"
    encoding = {"x": {"field": "period", "type": "temporal", "timeUnit": series.time_unit, "title": None},
                "y": {"field": "value", "type": "quantitative", "title": parts[0].title().split(" ")[0],
                      "axis": axis_of(parts[0], lines["value"].to_list())},
                "color": {"field": "part", "type": "nominal", "title": None, "sort": names,
                          "legend": {"labelLimit": LABEL_LIMIT}},
                "tooltip": [{"field": "part", "type": "nominal"},
                            {"field": "period", "type": "temporal", "timeUnit": series.time_unit},
                            {"field": "value", "type": "quantitative", "format": ",.4~g"}]}
    card_query = {**query(parts[0], time=series.query_time), "measures": [part.source for part in parts]}
    return {"id": f"parts-of-{total}", "kind": "chart", "title": title, "rule": rule + _period_words(partial, series),
            "query": card_query, "vega_lite": _spec(values(lines), {"type": "line", "point": frame.height <= 40},
                                                     encoding)}


def elapsed(moment: pl.Expr, unit_days: float) -> pl.Expr:
    """A relative axis' moment back as the number it was: units since the start."""
    return ((moment.cast(pl.Datetime("us")) - pl.lit(ORIGIN)).dt.total_seconds() / 86400 / unit_days).round(6)


def top_entities(periods: pl.DataFrame, split: str, measure: Measure, count: int) -> list:
    """The entities with the largest values over the whole span, for a panel of many."""
    ranked = periods.group_by(split).agg(combined("m0", measure).alias("value")).sort("value", descending=True, nulls_last=True)
    return ranked[split].head(count).to_list()


def small_multiples_card(periods: pl.DataFrame, measure: Measure, series: Series, key: str, partial: list,
                         rule: str) -> dict:
    """A long table: one small line per variable, each on its own scale (dollars beside percentages)."""
    frame = periods.select("period", key, ratio("m0", measure).alias("value"))
    encoding = {"x": {"field": "period", "type": "temporal", "timeUnit": series.time_unit, "title": None},
                "y": {"field": "value", "type": "quantitative", "title": None, "axis": {"format": "~s", "tickCount": 3}},
                "row": {"field": key, "type": "nominal", "title": None,
                        "header": {"labelAngle": 0, "labelAlign": "left", "labelLimit": 90}},
                "tooltip": [{"field": key, "type": "nominal"}, {"field": "period", "type": "temporal"},
                            {"field": "value", "type": "quantitative", "format": ",.4~g"}]}
    spec = _spec(values(frame), "line", encoding, height=60, resolve={"scale": {"y": "independent"}})
    return {"id": f"trend-{measure.name}-by-{key}", "kind": "chart",
            "title": f"{measure.title()}, {ADVERBS[series.unit]}, one line per {label(key).lower()}",
            "rule": rule + _period_words(partial, series),
            "query": query(measure, time=series.query_time, split=key), "vega_lite": spec}


def metric_of(periods: pl.DataFrame, index: int, measure: Measure) -> dict:
    aggregation = {"count": "count", "sum": "sum"}.get(measure.aggregate, "mean")
    points = [{"date": str(jsonable(p))[:10], "value": v}
              for p, v in periods.select("period", ratio(f"m{index}", measure)).iter_rows() if v is not None]
    return {"metric_id": measure.name, "name": label(measure.name), "aggregation": aggregation, "points": points}


# -- breakdowns, distributions, the table -----------------------------------------------------------

def breakdown_query(frame: pl.LazyFrame, by: str, measure: Measure, schema: pl.Schema,
                    weight: str | None, separator: str | None = None, beside: Sequence[Measure] = ()) -> pl.LazyFrame:
    """The measure per value of `by`; per item of it when its cells hold lists (`separator`). The
    measures `beside` it are grouped in the same pass (a pass of 5M rows by a text column: 40 ms),
    each read back by breakdown_beside."""
    if separator:
        items = pl.col(by).cast(pl.String).str.split(separator).list.eval(pl.element().str.strip_chars())
        frame = frame.with_columns(items).explode(by)
    more = [p for i, m in enumerate(beside, start=1) for p in partials(m, schema, weight, f"b{i}")]
    return frame.group_by(by).agg(*partials(measure, schema, weight, "b"), *more)


def breakdown_beside(groups: pl.DataFrame, by: str, index: int) -> pl.DataFrame:
    """The breakdown of the `index`th measure beside a breakdown_query's own (from 1), as if queried alone."""
    return groups.select(by, pl.col(f"b{index}.num").alias("b.num"), pl.col(f"b{index}.den").alias("b.den"))


def evenly_counted(groups: pl.DataFrame) -> bool:
    """A breakdown_query of the count where three values or more each hold exactly as many rows (each
    indicator once per country): it shows how the table was laid out, not what happened."""
    rows = groups["b.num"]
    return groups.height >= 3 and rows.null_count() == 0 and rows.n_unique() == 1


def latest_breakdown_query(frame: pl.LazyFrame, by: str, measure: Measure, series: Series,
                           schema: pl.Schema) -> pl.LazyFrame:
    """A stock per category in the latest period of the data (prisoners per state, last quarter)."""
    period = pl.col(series.axis.column).cast(pl.Datetime).dt.truncate(TRUNCATE[series.unit])
    latest = frame.filter(period == period.max())
    return latest.group_by(by).agg(*partials(Measure(measure.column, "sum"), schema, None, "b"))


RANKED_PER_VARIABLE = 5


def ranked_within_query(frame: pl.LazyFrame, key: str, entity: str, measure: Measure, schema: pl.Schema,
                        weight: str | None) -> pl.LazyFrame:
    """The measure per (variable, entity): each variable's own ranking, never one across variables."""
    return frame.group_by(key, entity).agg(*partials(measure, schema, weight, "b"))


def ranked_within_card(groups: pl.DataFrame, key: str, entity: str, measure: Measure, weight: str | None,
                       rule: str) -> dict:
    """The top few entities within each variable of a long table, one small bar chart per variable."""
    ranked = (groups.with_columns(ratio("b", measure).alias("value")).drop_nulls("value")
              .sort([key, "value", entity], descending=[False, True, False])
              .group_by(key, maintain_order=True).head(RANKED_PER_VARIABLE))
    frame = ranked.select(pl.col(key).cast(pl.String), pl.col(entity).cast(pl.String), "value")
    shared = _shared_prefix(frame[key].unique().to_list())  # "CAHPS for MIPS SSM: " before every measure
    frame = frame.with_columns(pl.col(key).str.slice(len(shared))) if shared else frame
    encoding = {"y": {"field": entity, "type": "nominal", "sort": "-x", "title": None,
                      "axis": {"labelLimit": LABEL_LIMIT}},
                "x": {"field": "value", "type": "quantitative", "title": measure.title(weight)},
                "row": {"field": key, "type": "nominal", "title": None,
                        "header": {"labelAngle": 0, "labelAlign": "left", "labelLimit": 300, "labelOrient": "top"}},
                "tooltip": [{"field": key, "type": "nominal"}, {"field": entity, "type": "nominal"},
                            {"field": "value", "type": "quantitative", "format": ",.4~g"}]}
    spec = _spec(values(frame), "bar", encoding, resolve={"scale": {"y": "independent"}})
    return {"id": f"ranked-{entity}-within-{key}", "kind": "chart",
            "title": f"Top {RANKED_PER_VARIABLE} {label(entity).lower()} within each {label(key).lower()}, "
                     f"by {measure.title(weight).lower()}",
            "rule": rule, "query": query(measure, by=[key, entity], weight=weight), "vega_lite": spec}


SEASONS = {"weekday": (["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], lambda moment: moment.dt.weekday()),
           "month": (["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
                     lambda moment: moment.dt.month())}


def season_query(frame: pl.LazyFrame, series: Series, season: str, measure: Measure, schema: pl.Schema,
                 weight: str | None) -> pl.LazyFrame:
    """The measure per weekday or per month of the year, over the whole span: the data's rhythm."""
    moment = pl.col(series.axis.column).cast(pl.Datetime)
    # grouped by the number, named after: a name per row cost 5M strings (200 MB, 1.3 s of 5M rows)
    return frame.filter(moment.is_not_null()).group_by(SEASONS[season][1](moment).cast(pl.Int32).alias(season)) \
        .agg(*partials(measure, schema, weight, "b")).with_columns(_season_named(season))


def season_of_days(days: pl.DataFrame, season: str, index: int) -> pl.DataFrame:
    """A season_query answered from a days_query's rows (measure `index` of it), not from the file's."""
    return days.group_by(SEASONS[season][1](pl.col("day")).cast(pl.Int32).alias(season)).agg(
        pl.col(f"m{index}.num").sum().alias("b.num"), pl.col(f"m{index}.den").sum().alias("b.den"),
    ).with_columns(_season_named(season))


def _season_named(season: str) -> pl.Expr:
    names = SEASONS[season][0]
    return pl.col(season).replace_strict(dict(enumerate(names, start=1)), return_dtype=pl.String)


def season_card(groups: pl.DataFrame, season: str, measure: Measure, series: Series, weight: str | None,
                rule: str) -> dict:
    names, _ = SEASONS[season]
    card = breakdown_card(groups, season, measure, [n.lower() for n in names], len(names), weight, rule,
                          card_id=f"season-{season}")
    card["query"] = query(measure, time={"columns": series.axis.sources, "unit": season}, weight=weight)
    return card


def breakdown_card(groups: pl.DataFrame, by: str, measure: Measure, order: list | None, top_n: int,
                   weight: str | None, rule: str, time: dict | None = None, card_id: str | None = None) -> dict:
    """Bars per category: in their natural order when there is one, else the top N and "Other"."""
    groups = groups.with_columns(ratio("b", measure).alias("value"), pl.col(by).cast(pl.String).alias("category"))
    shown, other = _ordered_groups(groups, by, order, top_n)
    data = [{"category": "(missing)" if c is None else c, "value": jsonable(v)}
            for c, v in shown.select("category", "value").iter_rows()]
    if other is not None and other.height:
        rest = other.select(combined("b", measure)).item()
        data.append({"category": f"Other ({other.height})", "value": jsonable(rest)})
    shared = _shared_prefix([d["category"] for d in data if isinstance(d["category"], str)])
    if shared and len(data) > 1:  # "CAHPS for MIPS SSM: Getting care", "...: Courteous staff": the rest reads
        data = [{**d, "category": d["category"][len(shared):] if isinstance(d["category"], str) else d["category"]}
                for d in data]
    sort = [d["category"] for d in data]
    encoding = {"y": {"field": "category", "type": "nominal", "sort": sort, "title": shared.strip(" :-–|/") or None,
                      "axis": {"labelLimit": LABEL_LIMIT}},
                "x": {"field": "value", "type": "quantitative", "title": measure.title(weight),
                      "axis": {**axis_of(measure, [d["value"] for d in data]), "labelOverlap": True}},
                "tooltip": [{"field": "category", "type": "nominal", "title": label(by)},
                            {"field": "value", "type": "quantitative", "title": measure.title(weight),
                             "format": ".1%" if measure.aggregate == "share" else ",.4~g"}]}
    many = other is not None and other.height > 0
    return {"id": card_id or f"breakdown-{by}", "kind": "chart",
            "title": f"{measure.title(weight)} by {label(by).lower()}" + (f" (top {top_n})" if many else "")
            + (f", latest {time['unit']}" if time else ""),
            "rule": rule, "query": query(measure, by=[by], weight=weight, time=time),
            "vega_lite": _spec(data, "bar", encoding)}


def _shared_prefix(labels: list[str], least: int = 8) -> str:
    """The words every label starts with, up to a separator, when they are long enough to crowd the axis."""
    if len(labels) < 2:
        return ""
    prefix = os.path.commonprefix(labels)
    cut = max(prefix.rfind(mark) + len(mark) for mark in (": ", " - ", " – ", " | ", "/", ", ")) if prefix else 0
    return prefix[:cut] if cut >= least and all(len(label) > cut for label in labels) else ""


def _ordered_groups(groups: pl.DataFrame, by: str, order: list | None, top_n: int):
    if order is not None:  # months, weekdays, sizes: every value, in order
        rank = {value: i for i, value in enumerate(order)}
        keyed = groups.with_columns(pl.col("category").str.to_lowercase().str.strip_chars()
                                    .replace_strict(rank, default=len(rank)).alias("rank"))
        return keyed.sort("rank", "category"), None
    if groups[by].dtype.is_numeric() and groups.height <= max(top_n, 24):  # codes, hours: in numeric order
        return groups.sort(by), None
    ranked = groups.sort("value", descending=True, nulls_last=True)
    if ranked.height <= top_n + 1:
        return ranked, None
    return ranked.head(top_n), ranked.slice(top_n)


def histogram_query(frame: pl.LazyFrame, column, bins: int = HISTOGRAM_BINS) -> pl.LazyFrame:
    low, high = float(column.minimum), float(column.maximum)
    width = (high - low) / bins or 1.0
    index = ((pl.col(column.name).cast(pl.Float64) - low) / width).floor().clip(0, bins - 1)
    return (frame.select(index.alias("bin")).drop_nulls().group_by("bin").agg(pl.len().alias("rows")).sort("bin")
            .select((low + pl.col("bin") * width).alias("start"), (low + (pl.col("bin") + 1) * width).alias("end"),
                    "rows"))


def histogram_card(bins: pl.DataFrame, column, measure: Measure, rule: str) -> dict:
    numbers = Measure(column.name, "count")
    encoding = {"x": {"field": "start", "type": "quantitative", "bin": {"binned": True}, "title": label(column.name),
                      "axis": axis_of(numbers, bins["end"].to_list())},
                "x2": {"field": "end"},
                "y": {"field": "rows", "type": "quantitative", "title": "Records",
                      "axis": axis_of(numbers, bins["rows"].to_list())},
                "tooltip": [{"field": "start", "format": ",.4~g"}, {"field": "end", "format": ",.4~g"},
                            {"field": "rows", "format": ","}]}
    return {"id": f"distribution-{column.name}", "kind": "chart", "title": f"Distribution of {label(column.name).lower()}",
            "rule": rule, "query": query(measure, binned=True),
            "vega_lite": _spec(values(bins), "bar", encoding)}


def table_query(frame: pl.LazyFrame, columns: list[str], sort_by: str | None, rows: int) -> pl.LazyFrame:
    if sort_by:
        frame = frame.sort(sort_by, descending=True, nulls_last=True)
    return frame.head(rows).select(columns)


def table_card(rows: pl.DataFrame, columns: list[str], sort_by: str | None) -> dict:
    return {"id": "top-rows", "kind": "table", "title": f"Top rows by {label(sort_by).lower()}" if sort_by else "First rows",
            "rule": f"table.top_rows: sorted by '{sort_by}'" if sort_by else "table.first_rows",
            "columns": columns, "rows": _cells(rows.to_dicts())}


def _cells(rows: list[dict]) -> list[dict]:
    dates = {column for column in (rows[0] if rows else {}) if _midnights_only(rows, column)}
    return [{k: _cell(v, k in dates) for k, v in row.items()} for row in rows]


# -- coordinates ----------------------------------------------------------------------------------

BASE_MAP = "/assets/land-110m.json"  # Natural Earth land, from world-atlas 2.0.2 (ISC), served by Dashloom
MAP_POINTS = 2000
MAP_SIZE = (520, 320)  # pixels the projection's scale is fitted to


def map_query(frame: pl.LazyFrame, latitude: str, longitude: str, measure: str | None) -> pl.LazyFrame:
    columns = [latitude, longitude, *([measure] if measure else [])]
    return frame.select(columns).drop_nulls([latitude, longitude]).head(MAP_POINTS)


def map_card(points: pl.DataFrame, latitude: str, longitude: str, measure: str | None, rule: str) -> dict:
    """Each record at its place, over a base map: a Mercator projection fitted to the points."""
    tooltip: list[dict] = [{"field": latitude}, {"field": longitude}]
    encoding: dict[str, dict | list[dict]] = {"longitude": {"field": longitude, "type": "quantitative"},
                                              "latitude": {"field": latitude, "type": "quantitative"},
                                              "tooltip": tooltip}
    if measure:
        encoding["color"] = {"field": measure, "type": "quantitative", "title": label(measure),
                             "scale": {"scheme": "viridis"}}
        tooltip.append({"field": measure, "format": ",.4~g"})
    spec = {"$schema": VEGA_LITE, "height": MAP_SIZE[1], "projection": _fitted(points, latitude, longitude),
            "layer": [{"data": {"url": BASE_MAP, "format": {"type": "topojson", "feature": "land"}},
                       "mark": {"type": "geoshape", "fill": "#e5e7eb", "stroke": "#ffffff", "clip": True}},
                      {"data": {"values": values(points)}, "mark": {"type": "circle", "size": 16, "opacity": 0.7,
                                                                     "clip": True}, "encoding": encoding}]}
    return {"id": f"map-{latitude}-{longitude}", "kind": "chart", "title": f"Where: {label(latitude).lower()} "
            f"and {label(longitude).lower()}" + (f", colored by {label(measure).lower()}" if measure else ""),
            "rule": rule, "query": {**query(None, by=[latitude, longitude]), "bin": False}, "vega_lite": spec}


def _fitted(points: pl.DataFrame, latitude: str, longitude: str) -> dict:
    lat, lon = points[latitude].cast(pl.Float64), points[longitude].cast(pl.Float64)
    if lat.len() == 0:
        return {"type": "mercator"}
    def mercator_y(degrees: float) -> float:
        clipped = max(min(degrees, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(clipped) / 2))
    (west, east), (south, north) = bounds(lon), bounds(lat)
    span_x = max(math.radians(east - west), 0.002)
    span_y = max(mercator_y(north) - mercator_y(south), 0.002)
    scale = 0.85 * min(MAP_SIZE[0] / span_x, MAP_SIZE[1] / span_y)
    return {"type": "mercator", "center": [(east + west) / 2, (north + south) / 2],
            "scale": round(scale, 2)}
