"""Choosing what to show from the semantic model: scored candidates, a diverse set.

Headline KPIs (the records, then the 2-4 measures people look for, each with its right aggregate),
the time series (one line per entity for panels, the top few when there are many; one series per
variable for long tables), breakdowns with the right aggregate, distributions of continuous
measures only, coordinates on a map (over a base map Dashloom serves), and the top rows.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

import polars as pl

from services.generation import cards as c
from services.generation.aggregates import Measure
from services.generation.columns import ColumnProfile
from services.generation.grain import outcome_of
from services.generation.naming import has_word, label, tokens
from services.generation.profile import TableProfile
from services.generation.scalars import number
from services.generation.semantics import KEY_WORDS, RUNNING_TOTAL, TimeAxis, key_score, one_to_one
from services.generation.time_axis import ORIGIN, grain

MAX_KEY_MEASURES = 4
MAX_TRENDS = 2
MAX_BREAKDOWNS = 4
MAX_DISTRIBUTIONS = 2
MAX_GROUPS = 1000  # a category of more values is a name or a key, not a breakdown
MAX_TABLE_COLUMNS = 10
RANKED_LEAST = 5  # things per variable from which a ranking within each variable says something
MOSTLY_EMPTY = 0.5  # share of missing values past which a column's bars would mostly say "(missing)"
LONG_TAIL = 8  # skew past which a histogram is one bar and a sliver
NUMBERED = re.compile(r"(?P<stem>.*?\D)?(?P<number>\d+)")
PRICE_BAR = {"open", "high", "low", "close"}
FAMILY_MEMBERS = 3  # numbered columns of one stem from which they are one variable across the columns
OUTCOME_BEARING = 2.0  # a category whose rows differ most in the outcome's share comes first (V = 0.25: +0.5)
BEARS_ON_OUTCOME = 0.2
OUTCOME_BREAKDOWNS = 2  # categories the outcome's share is shown by, beside their counts
RESTATES_OUTCOME = 0.8
WIDE = 30  # columns from which a file is wide: only the measures people look for are headlines
MODIFIERS = {"high", "low", "avg", "average", "mean", "min", "max", "minimum", "maximum", "median", "total", "med",
             "hourly", "daily", "weekly", "monthly", "quarterly", "yearly", "annual"}


def key_measures(profile: TableProfile) -> list[ColumnProfile]:
    """The measures people look for, most wanted first, no two of the same thing (high/avg/low temp)."""
    model = profile.model
    if model.shape == "long" and model.long_value:
        return [profile.column(model.long_value)]
    candidates = [col for col in profile.columns if (col.semantic.is_measure or col.semantic.kind == "flag")
                  and not col.name.startswith("__")]
    width = len(profile.columns)
    scored = sorted(candidates, key=lambda col: -key_score(col, profile.rows, profile.columns.index(col), width))
    scored = _closing_price_of_bars(_one_headline_per_family(scored))
    scored = _spans_after_flows(scored)
    scored = [col for col in scored if col.name not in model.fixed] + [col for col in scored if col.name in model.fixed]
    if width >= WIDE:  # a wide file: the measures its names say people look for, not the first ones
        named = [col for col in scored if has_word(col.name, KEY_WORDS) or col.semantic.detail == "span"]
        scored = named + [col for col in scored if col not in named][:max(0, 2 - len(named))]
    outcome = outcome_of(profile.columns) if model.grain in ("entity", "weighted") else None
    if outcome is not None and outcome in candidates:  # churn, attrition, survival: the share that matters most
        scored = [outcome] + [col for col in scored if col is not outcome]
    chosen: list[ColumnProfile] = []
    for column in scored:
        words = set(tokens(column.name)) - MODIFIERS
        if any(words and words == set(tokens(other.name)) - MODIFIERS for other in chosen):
            continue
        chosen.append(column)
        if len(chosen) == MAX_KEY_MEASURES:
            break
    return chosen


def _one_headline_per_family(columns: list[ColumnProfile]) -> list[ColumnProfile]:
    """A family of numbered columns (item_01 ... item_27, q1 ... q9, 2000 ... 2017) is one variable
    written across the columns: no member is a headline of its own. Where the numbers are years,
    the latest is the headline and the others its history; else the family gives way to the other
    measures (the first of 27 item counts is no headline), and leads only where there are none."""
    families: dict[str, list[tuple[int, ColumnProfile]]] = {}
    for col in columns:
        if (numbered := NUMBERED.fullmatch(col.name.strip())) is not None:
            stem = (numbered["stem"] or "").rstrip(" _.-").lower()
            families.setdefault(stem, []).append((int(numbered["number"]), col))
    kept, latest = list(columns), []
    measures = [col for col in columns if col.semantic.is_measure]
    for family in families.values():
        numbers, members = [n for n, _ in family], [col for _, col in family]
        if len(family) < FAMILY_MEMBERS or max(numbers) - min(numbers) + 1 > 2 * len(family):
            continue  # a run of numbers, not names that end in one (pm10, pm25; vitamin b1, b12)
        if all(1800 <= n <= 2100 for n in numbers):
            latest.append(members[numbers.index(max(numbers))])
            kept = [col for col in kept if col not in members]
        elif any(col not in members for col in measures):
            kept = [col for col in kept if col not in members]
    return [col for col in columns if col in latest] + kept  # the latest years in the order they scored


def _spans_after_flows(columns: list[ColumnProfile]) -> list[ColumnProfile]:
    """What a row lasted comes right after what it counted (a breach's duration after the people affected)."""
    spans = [col for col in columns if col.semantic.detail == "span"]
    rest = [col for col in columns if col not in spans]
    flows = [n for n, col in enumerate(rest) if col.semantic.kind == "additive"]
    if not spans or not flows:
        return columns
    return rest[:flows[-1] + 1] + spans + rest[flows[-1] + 1:]


def _closing_price_of_bars(columns: list[ColumnProfile]) -> list[ColumnProfile]:
    """Open, high, low and close of each period (a price's bars): the close is the price of the period
    and leads, the others are its range; one headline, not four averages of the same price."""
    bar = {col.name.strip().lower().replace(" ", "_"): col for col in columns}
    if len(PRICE_BAR & set(bar)) < 3 or "close" not in bar:
        return columns
    close = bar.get("adj_close", bar["close"])
    others = {id(col) for name, col in bar.items() if name in PRICE_BAR | {"adj_close"}}
    return [close] + [col for col in columns if id(col) not in others]


def variable_key(profile: TableProfile) -> ColumnProfile | None:
    """A category that says what every number on its row measures (an indicator: population beside
    growth rates): each thing has one row per value, so the numbers of different values never mix."""
    sample = profile.sample
    named = [col for col in profile.columns if col.dtype == "String" and col.name in sample.columns
             and col.semantic.kind in ("text", "identifier", "category")]
    for col in profile.columns:
        if col.semantic.kind != "category" or not 2 <= col.distinct <= 20 or col.name not in sample.columns:
            continue
        counts = sample[col.name].value_counts()["count"]
        things = [thing.name for thing in named if thing.distinct > col.distinct]
        even = number(counts.min()) >= 0.8 * number(counts.max())
        if even and any(sample.select(thing, col.name).is_unique().all() and sample[thing].n_unique() < sample.height
                        for thing in things):
            return col
    return None


def measure_of(column: ColumnProfile) -> Measure:
    semantic = column.semantic
    if semantic.kind == "flag":
        return Measure(column.name, "share", semantic.detail)
    return Measure(column.name, semantic.aggregate or "mean")


def kpi_measure(column: ColumnProfile, profile: TableProfile) -> Measure:
    """A KPI's aggregate: amounts total; flags a share; levels of things observed over time (a panel,
    or one series: a row per moment) the latest period's value; attributes of each event or record
    a mean (a median when heavily skewed), even where each event has its own moment (the fares of
    the last week's trips are no headline for all of them)."""
    measure = measure_of(column)
    time = profile.model.time
    if column.semantic.kind == "stock" and time is not None:
        return Measure(column.name, "last", inner="sum")
    if column.semantic.detail == RUNNING_TOTAL:  # the balance reached, summed over the panel's entities
        return Measure(column.name, "last", inner="sum" if profile.model.shape == "panel" else None)
    timed = time is not None and (profile.model.shape == "panel" or (
        time.distinct >= 0.9 * profile.rows and profile.model.grain not in ("event", "entity")))
    if measure.aggregate == "last":
        return measure if timed else Measure(column.name, "mean")
    if measure.aggregate != "mean" or column.semantic.overridden:
        return measure
    if timed:
        return Measure(column.name, "last")
    if column.skew is not None and abs(column.skew) > 2 and not profile.model.weight and not _mostly_zero(profile, column):
        return Measure(column.name, "median")
    return measure


def _mostly_zero(profile: TableProfile, column: ColumnProfile) -> bool:
    """Zero on half the sample's rows or more (a purchase's value on every view): its median is 0,
    which says nothing; the mean does."""
    values = profile.sample[column.name] if column.name in profile.sample.columns else None
    if values is None or not values.dtype.is_numeric() or values.drop_nulls().len() == 0:
        return False  # nothing to read on the sample (the file's first rows are all empty there)
    return number((values.drop_nulls() == 0).mean()) >= 0.5


def headline_kpis(profile: TableProfile, key_columns: list[ColumnProfile]) -> list[Measure]:
    """Beside the count of records: the weight's total, the variables of a long table, then the key
    measures. (Distinct ids are no headline: an id is never a measure.)"""
    model = profile.model
    if model.shape == "long":
        return [Measure(model.long_key, "distinct")]
    kpis = [Measure(model.weight, "sum")] if model.weight else []
    if variable_key(profile) is not None:  # one number across every indicator would mix people with percentages
        return kpis
    totals = [col for col in key_columns if col.semantic.detail == "total"]
    # a total's parts are drawn beside it, never headlines of their own (January beside the year's total)
    return kpis + [kpi_measure(col, profile) for col in key_columns if not any(_part_of(col, total) for total in totals)]


def _part_of(column: ColumnProfile, total: ColumnProfile) -> bool:
    return column.semantic.detail == "part" and f"a part of '{total.name}'" in column.semantic.evidence


def _why(column: ColumnProfile) -> str:
    return f"'{column.name}' is {column.semantic.kind}: {'; '.join(column.semantic.evidence)}"


def breakdown_dimensions(profile: TableProfile, measure_columns: set[str]) -> list[ColumnProfile]:
    """Columns worth grouping by: categories, ordered ones, codes and flags of few values; calendar
    parts that are not the time axis; the panel's entity. Never identifiers or names."""
    model = profile.model
    outcome = outcome_of(profile.columns, model.grain) if model.grain in ("entity", "event", "weighted") else None
    def fits(col: ColumnProfile) -> bool:
        semantic = col.semantic
        if col.name.startswith("__") or col.distinct < 2 or semantic.detail == "alias":
            return False
        if col.nulls > MOSTLY_EMPTY * profile.rows:  # filled on a few rows only (a connection, a citation)
            return False
        if col.name in measure_columns and not (outcome is not None and col.name == outcome.name):
            return False
        if semantic.kind == "long_key":  # a long table without time: the value per variable
            return model.time is None
        if model.shape == "long":  # the value by anything else would pool the variables (people with dollars)
            return False
        if semantic.kind == "flag" and model.grain == "period":
            return False  # a day's yes/no conditions (a game, a holiday): the seasons say more
        if semantic.kind in ("category", "ordered", "flag"):
            return col.distinct <= MAX_GROUPS
        if semantic.kind == "code":
            return col.distinct <= 60
        parts = ("month", "quarter", "weekday", "hour") + (() if model.time else ("year",))  # seasons, not the axis
        return semantic.kind == "calendar" and semantic.detail in parts and col.distinct <= 24
    def score(col: ColumnProfile) -> float:
        semantic = col.semantic
        value = 2.0 if col.name == model.entity else 0.0
        value += 3.0 if outcome is not None and col.name == outcome.name or semantic.kind == "long_key" else 0.0
        value += 1.0 if semantic.kind in ("ordered", "calendar") else 0.0
        value += 0.5 if semantic.kind in ("category", "flag") else 0.0
        value -= 1.0 if col.distinct > 60 else 0.0
        if model.grain == "event" and semantic.kind in ("category", "code") and 3 <= col.distinct <= 30:
            value += 0.75  # occurrences by kind, place, who: the breakdowns people count by
        value -= col.nulls / max(profile.rows, 1)
        bearing = _bearing(profile.sample, col.name, outcome.name, model.weight) if outcome not in (None, col) else 0.0
        if bearing > RESTATES_OUTCOME:  # injury severity beside death: the outcome said again, not what drives it
            bearing = 0.0
        # one value on most rows is a dull breakdown, unless the outcome differs by it (an international plan)
        value -= 1.5 if _dominated(profile.sample, col.name) and bearing < BEARS_ON_OUTCOME else 0.0
        value += OUTCOME_BEARING * bearing
        return value - profile.columns.index(col) / (10 * len(profile.columns))
    ranked = sorted([col for col in profile.columns if fits(col)], key=score, reverse=True)
    return _aliases_dropped(ranked, profile.sample)[:MAX_BREAKDOWNS]


ALIAS_ROWS = 20  # rows of the sample from which two categories paired one to one name the same groups


def _aliases_dropped(dims: list[ColumnProfile], sample: pl.DataFrame) -> list[ColumnProfile]:
    """A category paired one to one with a better one (a country's codes beside its name, a state's
    abbreviation) groups the rows the same way: one breakdown, never the same bars twice."""
    kept: list[ColumnProfile] = []
    for dim in dims:
        if not any(_same_groups(sample, dim.name, other.name) for other in kept):
            kept.append(dim)
    return kept


def _same_groups(sample: pl.DataFrame, one: str, other: str) -> bool:
    return sample.height >= ALIAS_ROWS and one in sample.columns and other in sample.columns \
        and one_to_one(sample, one, other)


def _bearing(sample: pl.DataFrame, by: str, outcome: str, weight: str | None) -> float:
    """How far the outcome's share differs across `by`'s values, on the sample (the file's first rows:
    a file sorted by its outcome shows none): Cramer's V less what chance alone gives a column of that
    many values (attrition by overtime says more than by education). Weights count as rows where
    they are whole (each row stands for so many people); survey weights count by how many rows they
    are worth (Kish's effective size), so the unit of a weight changes nothing."""
    if not {by, outcome, weight or by} <= set(sample.columns):
        return 0.0
    known = sample.filter(pl.col(by).is_not_null() & pl.col(outcome).is_not_null())
    size = pl.len().cast(pl.Float64)
    if weight:
        known = known.filter(pl.col(weight) > 0)
        size = pl.col(weight).cast(pl.Float64).sum()
    cells = known.group_by(by, outcome).agg(size.alias("n")).filter(pl.col("n") > 0)
    values = cells.group_by(by).agg(pl.col("n").sum().alias("of_value"))
    outcomes = cells.group_by(outcome).agg(pl.col("n").sum().alias("of_outcome"))
    total, freedom = float(cells["n"].sum()), (values.height - 1) * (outcomes.height - 1)
    if not total or not freedom:
        return 0.0
    cells = cells.join(values, on=by).join(outcomes, on=outcome)
    phi_square = float((cells["n"] ** 2 / (cells["of_value"] * cells["of_outcome"])).sum()) - 1
    rows = total if not weight or _whole(known[weight]) else total ** 2 / float((known[weight].cast(pl.Float64) ** 2).sum())
    bearing = math.sqrt(max(phi_square - freedom / rows, 0.0) / min(values.height - 1, outcomes.height - 1))
    return bearing if math.isfinite(bearing) else 0.0


def _whole(weights: pl.Series) -> bool:
    return bool((weights.cast(pl.Float64) % 1 == 0).all())


def _dominated(sample: pl.DataFrame, name: str) -> bool:
    """One value in nine rows of ten (a paved street, a single utility): a breakdown says little."""
    values = sample[name].drop_nulls() if name in sample.columns else None
    if values is None or values.len() == 0:
        return False
    return values.value_counts(sort=True)["count"][0] > 0.9 * values.len()


def _continuous(column: ColumnProfile) -> bool:
    """A measure worth a histogram: many values, and not so long-tailed that one bar holds them all."""
    return (column.semantic.is_measure and column.distinct > 20 and column.minimum is not None
            and abs(column.skew or 0) <= LONG_TAIL
            and column.maximum is not None and column.maximum > column.minimum)


def table_columns(profile: TableProfile, measures: list[ColumnProfile], dims: list[ColumnProfile]) -> list[str]:
    model = profile.model
    names = [col.name for col in profile.of_kind("identifier") if col.dtype == "String"][:1]
    names += model.time.sources if model.time else []
    names += [x for x in (model.entity, model.long_key) if x]
    names += [col.name for col in measures] + [col.name for col in dims]
    names += [col.name for col in profile.columns if col.semantic.kind not in ("empty", "constant")]
    seen = []
    for name in names:
        if name not in seen and not name.startswith("__"):
            seen.append(name)
    return seen[:MAX_TABLE_COLUMNS]


def choose_cards(profile: TableProfile, title: str, scrollable: bool = False) -> dict:
    sizes = c.CardSizes(scrollable)
    model = profile.model
    schema = profile.frame.collect_schema()
    weight = model.weight
    key_columns = key_measures(profile)
    kpis = headline_kpis(profile, key_columns)
    trend_measures = [measure_of(col) for col in key_columns if (col.semantic.is_measure or col.semantic.kind
                      in ("flag", "long_value")) and col.name not in model.fixed]
    counted = counts_lead(profile, key_columns)
    if counted:  # occurrences: how many, when and of what kind lead, beside the totals of their amounts
        totals = [m for m in trend_measures if m.aggregate == "sum"]
        trend_measures = [Measure(None, "count")] + (totals or trend_measures)
    trend_measures = trend_measures[:MAX_TRENDS] or [Measure(None, "count")]
    headline = trend_measures[0] if key_columns and not counted else Measure(None, "count")
    if model.stock and model.time:  # a head count by category: its value in the latest period, never summed across
        headline = Measure(model.stock, "last", inner="sum")
    dims = breakdown_dimensions(profile, {col.name for col in key_columns} | ({weight} if weight else set()))
    distributions = [col for col in key_columns if _continuous(col) and col.semantic.kind != "stock"][:MAX_DISTRIBUTIONS]
    sort_by = next((col.name for col in key_columns if col.semantic.is_measure), None)
    shown = table_columns(profile, key_columns, dims)
    extras = _measure_breakdowns(profile, key_columns, dims) if counted else []
    key = variable_key(profile)
    if key is not None:  # each indicator's numbers apart: per indicator, never pooled in one histogram
        dims = [key] + [dim for dim in dims if dim is not key][:MAX_BREAKDOWNS - 1]
        extras = [(measure_of(key_columns[0]), key)] if key_columns and measure_of(key_columns[0]) != headline else []
        distributions = []

    answered = {i: c.from_statistics(m, _column_or_none(profile, m.column), schema, weight) for i, m in enumerate(kpis)}
    known = {i: value for i, value in answered.items() if value is not None}
    queries: dict[str, pl.LazyFrame] = {"totals": c.totals_query(profile.frame, kpis, schema, weight, set(known))}
    running = [i for i, kpi in enumerate(kpis) if model.time and (column := _column_or_none(profile, kpi.column))
               and column.semantic.detail == RUNNING_TOTAL]
    for i in running:
        assert model.time is not None
        queries[f"running:{i}"] = c.running_total_query(profile.frame, kpis[i].source, model.time.column,
                                                        model.entity if model.shape == "panel" else None)
    series, parts, seasons, timed = None, None, [], []
    if model.time:
        series = c.Series(model.time, _unit_of(profile))
        parts = _parts_shown(profile, trend_measures) if not model.time.relative else None
        seasons = _seasons(profile, series, headline)
        timed = [*trend_measures, *kpis, *(parts or (None, []))[1]]
        if c.by_days(series):  # the periods and the seasons from one pass: partials per day
            queries["days"] = c.days_query(profile.frame, series, [*timed, *(m for _, m in seasons)], schema, weight)
        else:
            queries["periods"] = c.periods_query(profile.frame, series, timed, schema, weight)
            for season, measure in seasons:
                queries[f"season:{season}"] = c.season_query(profile.frame, series, season, measure, schema, weight)
        split = series_split(profile)
        if split:
            queries["split"] = c.periods_query(profile.frame, series, trend_measures[:1], schema, weight, split)
    dims = [dim for dim in dims if dim.semantic.detail not in {season for season, _ in seasons}]  # said once
    beside: dict[str, list[Measure]] = {}  # measures grouped by a dimension in the pass of its own breakdown
    for dim in dims:
        if headline.aggregate == "last" and series is not None:
            queries[f"by:{dim.name}"] = c.latest_breakdown_query(profile.frame, dim.name, headline, series, schema)
        else:
            beside[dim.name] = [measure for measure, by in extras if by is dim]
            queries[f"by:{dim.name}"] = c.breakdown_query(profile.frame, dim.name, headline, schema, weight,
                                                          dim.semantic.separator, beside[dim.name])
    for measure, by in extras:
        if by.name not in beside:
            queries[f"extra:{by.name}:{measure.name}"] = c.breakdown_query(profile.frame, by.name, measure, schema,
                                                                           weight, by.semantic.separator)
    for col in distributions:
        queries[f"bins:{col.name}"] = c.histogram_query(profile.frame, col)
    ranked_by = _entity_of_each_variable(profile)
    if ranked_by is not None:
        queries["ranked"] = c.ranked_within_query(profile.frame, model.long_key or "", ranked_by, headline, schema, weight)
    place = _coordinates(profile)
    if place:
        queries["map"] = c.map_query(profile.frame, *place, sort_by)
    queries["table"] = c.table_query(profile.frame, shown, sort_by, sizes.table_rows)
    # one after another: together they held every query's buffers at once (5M rows: 355 MB, not 260)
    answers = {name: frame.collect(engine="streaming") for name, frame in queries.items()}
    reached: dict[int, object] = {}  # a running total's KPI: the moment of the level it reached
    for i in running:
        level = answers.pop(f"running:{i}").row(0, named=True)
        known[i], reached[i] = level["value"], level["moment"]
    if "days" in answers:
        assert series is not None
        days = answers.pop("days")
        answers["periods"] = c.periods_of(days, series.unit)
        for index, (season, _) in enumerate(seasons, start=len(timed)):
            answers[f"season:{season}"] = c.season_of_days(days, season, index)
    for name, measures in beside.items():
        for index, measure in enumerate(measures, start=1):
            answers[f"extra:{name}:{measure.name}"] = c.breakdown_beside(answers[f"by:{name}"], name, index)

    cards = _kpi_cards(profile, kpis, len(trend_measures), answers, series, weight, known, reached)
    metrics: list[dict] = []
    if series is not None:
        trend_cards, metrics = _trend_cards(profile, series, trend_measures, kpis, answers, weight)
        cards += _beside_their_total(trend_cards, parts, series, len(trend_measures) + len(kpis), answers)
    for season, measure in seasons:
        assert series is not None
        rule = (f"season.{season}: '{'+'.join(model.time.sources) if model.time else ''}' spans enough "
                f"{'weeks' if season == 'weekday' else 'years'} to show its rhythm; {measure.title(weight).lower()} per {season}")
        cards.append(c.season_card(answers[f"season:{season}"], season, measure, series, weight, rule))
    for dim in dims:
        rule = f"breakdown: {_why(dim)}; {headline.title(weight).lower()} per value"
        time = series.query_time if headline.aggregate == "last" and series is not None else None
        if not (headline.column is None and model.grain not in ("event", "weighted")
                and c.evenly_counted(answers[f"by:{dim.name}"])):
            cards.append(c.breakdown_card(answers[f"by:{dim.name}"], dim.name, headline, _order_of(dim), sizes.top_n,
                                          weight, rule, time))
        for measure, by in (extra for extra in extras if extra[1] is dim):
            rule = f"breakdown.measure: {_why(by)}; {measure.title(weight).lower()} per value"
            cards.append(c.breakdown_card(answers[f"extra:{by.name}:{measure.name}"], by.name, measure, _order_of(by),
                                          sizes.top_n, weight, rule,
                                          card_id=f"breakdown-{measure.name}-by-{by.name}"))
    if ranked_by is not None:
        rule = (f"ranked.within: '{ranked_by}' has about one row per '{model.long_key}'; "
                f"each variable ranks its own {label(ranked_by).lower()}, never one ranking across them")
        cards.append(c.ranked_within_card(answers["ranked"], model.long_key or "", ranked_by, headline, weight, rule))
    if place:
        rule = f"map: '{place[0]}' and '{place[1]}' are coordinates; each record at its place"
        cards.append(c.map_card(answers["map"], *place, sort_by, rule))
    for col in distributions:
        cards.append(c.histogram_card(answers[f"bins:{col.name}"], col, Measure(col.name, "count"),
                                      f"distribution.histogram: {_why(col)}"))
    _say_what_leads(cards, model.evidence[-1])
    cards.append(c.table_card(answers["table"], shown, sort_by))
    if profile.quality_notes:
        cards.append({"id": "data-quality", "kind": "notes", "title": "Data quality", "notes": profile.quality_notes,
                      "rule": "quality.notes: the worst of missing values, long tails of averaged measures, constant columns"})
    return {"title": title, "rows": profile.rows, "shape": model.shape, "grain": model.grain,
            "shape_evidence": model.evidence,
            "columns": [{"name": col.name, "role": col.role, "semantic": col.semantic.kind,
                         "detail": col.semantic.detail, "aggregate": col.semantic.aggregate,
                         "evidence": col.semantic.evidence, "type": col.dtype, "nulls": col.nulls,
                         "distinct": col.distinct} for col in profile.columns if not col.name.startswith("__")],
            "cards": cards, "metrics": metrics}


MAX_PARTS_DRAWN = 6  # parts of a total drawn as lines together; more (twelve months) would be a tangle


def _parts_shown(profile: TableProfile, trend_measures: list[Measure]) -> tuple[str, list[Measure]] | None:
    """The first total on the time line whose parts (found on the sample) are few enough to draw together."""
    for measure in trend_measures:
        column = _column_or_none(profile, measure.column)
        if column is None or column.semantic.detail != "total":
            continue
        parts = [col for col in profile.columns if _part_of(col, column)]
        if 2 <= len(parts) <= MAX_PARTS_DRAWN:
            return column.name, [measure_of(part) for part in parts]
    return None


def _beside_their_total(trend_cards: list[dict], parts: tuple[str, list[Measure]] | None, series: c.Series,
                        first: int, answers: dict) -> list[dict]:
    """The parts' lines together, right after the total's own line."""
    if parts is None:
        return trend_cards
    total, measures = parts
    periods, partial = c.complete(answers["periods"], series)
    rule = (f"time.parts: '{total}' is the sum of {' + '.join(m.source for m in measures)} on every row of the sample; "
            "its parts drawn together beside it, never stacked with it")
    card = c.parts_card(periods, first, measures, series, partial, total, rule)
    at = next((i + 1 for i, trend in enumerate(trend_cards) if trend["query"]["measure"] == total), len(trend_cards))
    return [*trend_cards[:at], card, *trend_cards[at:]]


def _entity_of_each_variable(profile: TableProfile) -> str | None:
    """In a long table without time, the named things each variable is measured on (one row per thing
    and variable): a text column with about rows / variables values."""
    model = profile.model
    if model.shape != "long" or model.time is not None or not model.long_key or not model.long_value:
        return None
    per_variable = profile.rows / max(profile.column(model.long_key).distinct, 1)
    named = [col for col in profile.columns if col.dtype == "String" and col.semantic.kind in ("text", "identifier", "category")
             and col.semantic.detail != "alias" and 0.5 * per_variable <= col.distinct <= 2 * per_variable
             and col.distinct > RANKED_LEAST]
    return min(named, key=lambda col: abs(col.distinct - per_variable)).name if named else None


def _say_what_leads(cards: list[dict], grain_words: str) -> None:
    """The first chart's rule says what a row was taken to be, so a person can see the model (and
    overrule it with column_types' "grain")."""
    first = next((card for card in cards if card["kind"] == "chart"), None)
    if first is not None:
        first["rule"] = f"{first['rule']}; lead: {grain_words}"


def _seasons(profile: TableProfile, series: c.Series, headline: Measure) -> list[tuple[str, Measure]]:
    """Weekdays for daily data over weeks, months for data over years: each row of a series of periods
    averaged (an average day, an average month), occurrences counted."""
    time = profile.model.time
    if time is None or time.relative or headline.aggregate == "last":
        return []
    if profile.model.grain not in ("period", "event", "weighted"):
        return []
    span = (series.axis.end - series.axis.start).days if series.axis.end and series.axis.start else 0
    measure = headline if headline.column is None or profile.model.grain != "period" else Measure(headline.column, "mean")
    found = []
    if time.step_days <= 1 and span >= 28 and not time.yearless:  # a day's weekday needs its year
        found.append(("weekday", measure))
    if time.step_days <= 31 and span >= 2 * 365 and profile.model.grain == "period":
        found.append(("month", measure))
    return found


def counts_lead(profile: TableProfile, key_columns: list[ColumnProfile]) -> bool:
    """Rows are counted first when each is an occurrence, or a thing with an outcome or no amount that
    adds up (customers: how many, and how many churned, before their averages; stations' passengers
    lead instead)."""
    grain = profile.model.grain
    if profile.model.design:  # an experiment's rows are as many for each factor's value as the design said
        return False
    if grain in ("event", "weighted"):
        return True
    flows = [col for col in key_columns if col.semantic.kind == "additive"]
    return grain == "entity" and (not flows or outcome_of(profile.columns) is not None)


def series_split(profile: TableProfile) -> str | None:
    """The column whose values each get their own line: a long table's variable, a panel's entity (or
    the group its bare-numbered entities belong to)."""
    model = profile.model
    split = (model.group or model.entity) if model.shape == "panel" else model.long_key
    if not split:
        return None
    column = profile.column(split)
    return split if column.semantic.kind not in ("identifier", "text") and column.distinct <= MAX_GROUPS else None


def _unit_of(profile: TableProfile) -> str:
    """The line's grain; a stock (a head count per period) and a relative axis keep the data's own step."""
    time = profile.model.time
    assert time is not None
    if time.relative:  # every step the data has: 0, 2, 4... days are the points themselves
        return "day" if time.step_days >= 1 else grain(time.start, time.end, time.step_days, max_points=400)
    if profile.model.stock:
        return grain(time.start, time.end, time.step_days, max_points=400)
    return grain(time.start, time.end, time.step_days)


def _measure_breakdowns(profile: TableProfile, key_columns: list[ColumnProfile],
                        dims: list[ColumnProfile]) -> list[tuple[Measure, ColumnProfile]]:
    """Beside the counts: the headline amount (a total) or attribute (an average) by the first
    dimension; an outcome's share by the first OUTCOME_BREAKDOWNS, the ones it differs by most."""
    measures = [col for col in key_columns if (col.semantic.is_measure or col.semantic.kind == "flag")
                and col.semantic.kind != "stock"]
    outcome = outcome_of(profile.columns, profile.model.grain)
    measures.sort(key=lambda col: outcome is None or col.name != outcome.name)  # the outcome's share first
    for column in measures:
        by = [dim for dim in dims if dim.name != column.name]
        if by:
            shown = OUTCOME_BREAKDOWNS if outcome is not None and column.name == outcome.name else 1
            return [(measure_of(column), dim) for dim in by[:shown]]
    return []


def _coordinates(profile: TableProfile) -> tuple[str, str] | None:
    """One latitude and one longitude column, or none: coordinates go on a map or nowhere."""
    found = {col.semantic.detail: col.name for col in profile.of_kind("coordinate")}
    return (found["latitude"], found["longitude"]) if {"latitude", "longitude"} <= set(found) else None


def _order_of(column: ColumnProfile) -> list | None:
    return column.semantic.order if column.semantic.kind == "ordered" else None


def _column_or_none(profile: TableProfile, name: str | None) -> ColumnProfile | None:
    return next((col for col in profile.columns if col.name == name), None)


def _kpi_cards(profile: TableProfile, kpis: list[Measure], offset: int, answers: dict, series: c.Series | None,
               weight: str | None, known: dict[int, float], reached: dict[int, object]) -> list[dict]:
    """KPI cards; the periods' partials m0.. hold the trend measures, then (from `offset`) the KPIs;
    `known` holds the values the statistics pass already gave, `reached` the moment of a running
    total's level."""
    model = profile.model
    totals = answers["totals"].row(0, named=True)
    latest: dict[str, float | None] = {}
    period: datetime | None = None
    if "periods" in answers and series is not None:
        periods, _ = c.complete(answers["periods"], series)
        named = periods.select("period", *[pl.col(f"m{offset + i}.{part}").alias(f"m{i}.{part}")
                                           for i in range(len(kpis)) for part in ("num", "den")])
        latest, period = c.latest_values(named, kpis)
    cards = []
    if not weight:
        counted = Measure(None, "count")
        cards.append(c.kpi_card(counted, totals["rows"], "kpi.count: every dashboard counts its records",
                                c.query(counted)))
    for i, measure in enumerate(kpis):
        value = known[i] if i in known else c.kpi_value(measure, i, totals, latest)
        column = profile.column(measure.source)  # every KPI but the count of records reads a column
        when = c.moment_label(period, series.axis) if period is not None and series is not None else None
        if measure.aggregate == "last" and series is not None:
            inner = Measure(measure.column, measure_of(column).aggregate)
            word = "total" if measure.inner == "sum" else inner.aggregate_word
            card_query = c.query(measure, time=series.query_time, weight=weight)
            every = f" across {profile.column(model.entity).distinct} {_plural(label(model.entity).lower())}" \
                if model.shape == "panel" and model.entity else ""
            across = f", {word}{every}" if every else ""
            if i in reached:  # the level at its last moment, not a period's
                moment = c.moment_label(reached[i], series.axis)
                rule = f"kpi.last: {_why(column)}; the level it reached at its last moment ({moment})"
                note = f"at {moment}{across}"
            elif series.axis.relative:
                step = _period_label(period, series.unit, series.axis)
                rule, note = f"kpi.last: {_why(column)}; its value at the last step ({step})", f"at {step}"
            else:
                rule = f"kpi.last: {_why(column)}; its value in the latest complete {series.unit} ({when})"
                note = f"in {_period_label(period, series.unit, series.axis)}{across}"
            cards.append(c.kpi_card(measure, value, rule, card_query, inner.title(weight), note))
            continue
        rule = f"kpi.{measure.aggregate}: {_why(column)}"
        card_query = c.query(measure, weight=None if measure.column == weight else weight)
        cards.append(c.kpi_card(measure, value, rule, card_query))
    return cards


HEADLINE_SERIES = frozenset({"total", "all", "overall", "aggregate", "headline", "national", "world"})


def headline_series(periods: pl.DataFrame, key: str) -> tuple[pl.DataFrame, str]:
    """A long table of many series shows a few: those named a total first (Total nonfarm beside its
    sectors), then the most complete; never one line averaging them all."""
    names = periods[key].unique().to_list()
    if len(names) <= c.TOP_ENTITIES:
        return periods, f"every one of its {len(names)} series"
    filled = periods.filter(pl.col("m0.den") > 0).group_by(key).agg(pl.len().alias("periods"))
    ranked = sorted(filled.iter_rows(), key=lambda row: (not has_word(str(row[0]), HEADLINE_SERIES), -row[1], str(row[0])))
    top = [row[0] for row in ranked[:c.TOP_ENTITIES]]
    return periods.filter(pl.col(key).is_in(top)), f"{len(top)} of its {len(names)} series, totals first, then the most complete"


def _plural(noun: str) -> str:
    return noun if noun.endswith("s") else noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def _period_label(period: datetime | None, unit: str, axis: TimeAxis | None = None) -> str:
    """A period as people name it: 1999, 2010 Q1, Dec 2017, 2017-12-04; 21 days since start."""
    if period is None:
        return "latest"
    if axis is not None and axis.relative:
        return f"{axis.sources[0]} {(period - ORIGIN).total_seconds() / 86400 / axis.relative_days:g}"
    if axis is not None and axis.yearless:
        return period.strftime("%b" if unit in ("month", "quarter") else "%b %d")
    labels = {"year": "%Y", "month": "%b %Y", "quarter": f"%Y Q{(period.month - 1) // 3 + 1}"}
    return period.strftime(labels.get(unit, "%Y-%m-%d"))


def _trend_cards(profile: TableProfile, series: c.Series, trend_measures: list[Measure], kpis: list[Measure], answers: dict,
                 weight: str | None) -> tuple[list[dict], list[dict]]:
    model = profile.model
    periods, partial = c.complete(answers["periods"], series)
    time_words = f"'{'+'.join(series.axis.sources)}' is the time axis; by {series.unit} for a readable line"
    cards, metrics = [], []
    split_answer = answers.get("split")  # one series per variable (a long table) or per entity (a panel)
    if model.long_key and split_answer is not None:
        kept, dropped = c.complete(split_answer, series)
        shown, which = headline_series(kept, model.long_key)
        rule = f"time.long: {'; '.join(model.evidence)}; {which}; {time_words}"
        return [c.small_multiples_card(shown, trend_measures[0], series, model.long_key, dropped, rule)], []
    entity = (model.group or model.entity) if split_answer is not None else None
    if entity and split_answer is not None:
        kept, dropped = c.complete(split_answer, series)
        entities = profile.column(entity).distinct
        top = c.top_entities(kept, entity, trend_measures[0], c.TOP_ENTITIES)
        shown = kept.filter(pl.col(entity).is_in(top)) if entities > c.TOP_ENTITIES else kept
        which = f"the top {len(top)} of {entities} by {trend_measures[0].title(weight).lower()}" \
            if entities > c.TOP_ENTITIES else f"all {entities}"
        rule = f"time.panel: {'; '.join(model.evidence)}; one line per '{entity}' ({which}); {time_words}"
        cards.append(c.trend_card(shown, 0, trend_measures[0], series, dropped, weight, entity, rule))
    for i, measure in enumerate(trend_measures):
        metrics.append(c.metric_of(periods, i, measure))
        if entity and i == 0 and not measure.is_total and profile.column(entity).distinct <= c.TOP_ENTITIES:
            continue  # every entity has its own line: their average (ppm with ppb, city with city) says nothing more
        if measure.column is None and periods.height >= 3 and periods[f"m{i}.num"].n_unique() == 1 \
                and not model.grain_given:
            continue  # as many rows in every period (one term begun a year): the count draws a flat line
        if entity and i == 0:
            rule = f"time.series: {time_words}; every {label(entity).lower()} together"
        else:
            rule = f"time.series: {time_words}"
        cards.append(c.trend_card(periods, i, measure, series, partial, weight, rule=rule))
    return cards, metrics
