"""A card for a query a person asked for (a correction): a headline number, bars by a column, or a
line over the table's time axis, drawn by the same functions as the generator's own cards."""

from __future__ import annotations

import polars as pl

from contracts.corrections import CardQuery
from services.generation import cards as c
from services.generation.aggregates import Measure
from services.generation.profile import TableProfile


def measure_of(query: CardQuery) -> Measure:
    if query.measure is None or query.aggregate == "count":
        return Measure(None, "count")
    return Measure(query.measure, query.aggregate)


def asked_card(profile: TableProfile, query: CardQuery, card_id: str) -> dict | None:
    """The card, or None when this table cannot draw it (a time grain without a time axis)."""
    measure = measure_of(query)
    schema = profile.frame.collect_schema()
    weight = profile.model.weight
    if query.time_grain:
        card = _trend(profile, query, measure, schema, weight)
    elif query.by:
        groups = c.breakdown_query(profile.frame, query.by[0], measure, schema, weight).collect(engine="streaming")
        card = c.breakdown_card(groups, query.by[0], measure, None, query.top_n or c.TOP_N, weight, "")
    else:
        totals = c.totals_query(profile.frame, [measure], schema, weight, set()).collect(engine="streaming")
        value = c.kpi_value(measure, 0, totals.row(0, named=True), None)
        card = c.kpi_card(measure, value, "", c.query(measure, weight=weight))
    return None if card is None else {**card, "id": card_id}


def _trend(profile: TableProfile, query: CardQuery, measure: Measure, schema: pl.Schema,
           weight: str | None) -> dict | None:
    if profile.model.time is None or query.time_grain is None:
        return None
    series = c.Series(profile.model.time, query.time_grain)
    periods = c.periods_query(profile.frame, series, [measure], schema, weight, query.split).collect(engine="streaming")
    kept, partial = c.complete(periods, series)
    return c.trend_card(kept, 0, measure, series, partial, weight, query.split)
