"""Card queries answered from another query's rows give what the file's own rows give."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from services.generation import cards as c
from services.generation.aggregates import Measure
from services.generation.semantics import TimeAxis


def moments_and_values(rows: int = 2_000) -> pl.LazyFrame:
    """Moments within days over two years, values with gaps, a weight and a category."""
    start = datetime(2022, 3, 1, 6, 0)
    return pl.LazyFrame({
        "at": [start + timedelta(hours=n * 9 + n % 7) if n % 31 else None for n in range(rows)],
        "amount": [float(n % 23) * 1.5 if n % 11 else None for n in range(rows)],
        "people": [float(1 + n % 4) for n in range(rows)],
        "region": [("north", "south", "east")[n % 3] if n % 13 else None for n in range(rows)],
    })


def series_of(frame: pl.LazyFrame, unit: str) -> c.Series:
    moments = frame.select(pl.col("at").drop_nulls()).collect()["at"].sort().to_list()
    axis = TimeAxis(column="at", sources=["at"], start=moments[0], end=moments[-1], step_days=1.0,
                    distinct=len(set(moments)))
    return c.Series(axis, unit)


def rows_of(frame: pl.DataFrame, by: str) -> dict:
    return {row[by]: (round(row["b.num"], 6), row["b.den"]) for row in frame.iter_rows(named=True)}


@pytest.mark.parametrize("weight", [None, "people"])
@pytest.mark.parametrize("season", ["weekday", "month"])
@pytest.mark.parametrize("measure", [Measure(None, "count"), Measure("amount", "mean"), Measure("amount", "sum")])
def test_a_season_summed_from_days_is_the_season_of_the_rows(season, measure, weight):
    frame = moments_and_values()
    series = series_of(frame, "month")
    schema = frame.collect_schema()
    days = c.days_query(frame, series, [Measure("amount", "sum"), measure], schema, weight).collect()
    from_days = c.season_of_days(days, season, 1)
    from_rows = c.season_query(frame, series, season, measure, schema, weight).collect()
    assert rows_of(from_days, season) == rows_of(from_rows, season)
    assert set(rows_of(from_days, season)) == set(c.SEASONS[season][0])  # every one, by its name


@pytest.mark.parametrize("unit", ["week", "month", "quarter", "year"])
def test_periods_summed_from_days_are_the_periods_of_the_rows(unit):
    frame = moments_and_values()
    series = series_of(frame, unit)
    schema = frame.collect_schema()
    measures = [Measure(None, "count"), Measure("amount", "sum")]
    periods = c.periods_of(c.days_query(frame, series, measures, schema, None).collect(), unit)
    truncated = pl.col("at").dt.truncate(c.TRUNCATE[unit])
    expected = (frame.filter(pl.col("at").is_not_null()).group_by(truncated.alias("period"))
                .agg(pl.len().alias("rows"), pl.col("amount").sum(), pl.col("at").min().alias("earliest"),
                     pl.col("at").max().alias("latest")).sort("period").collect())
    assert periods["period"].to_list() == expected["period"].to_list()
    assert periods["m0.num"].to_list() == expected["rows"].cast(pl.Float64).to_list()
    assert periods["m1.num"].round(6).to_list() == expected["amount"].round(6).to_list()
    assert periods["earliest"].to_list() == expected["earliest"].to_list()
    assert periods["latest"].to_list() == expected["latest"].to_list()


@pytest.mark.parametrize("weight", [None, "people"])
def test_measures_grouped_beside_a_breakdown_are_their_own_breakdowns(weight):
    frame = moments_and_values()
    schema = frame.collect_schema()
    count, mean = Measure(None, "count"), Measure("amount", "mean")
    together = c.breakdown_query(frame, "region", count, schema, weight, beside=[mean, count]).collect()
    assert rows_of(together, "region") == rows_of(c.breakdown_query(frame, "region", count, schema, weight).collect(), "region")
    for index, measure in enumerate([mean, count], start=1):
        alone = c.breakdown_query(frame, "region", measure, schema, weight).collect()
        assert rows_of(c.breakdown_beside(together, "region", index), "region") == rows_of(alone, "region")
    assert set(rows_of(together, "region")) == {"north", "south", "east", None}


@pytest.mark.parametrize("split", [None, "region"])
def test_dates_are_grouped_as_days_like_the_moments_of_midnight(split):
    dates = moments_and_values().with_columns(pl.col("at").dt.date())
    midnights = dates.with_columns(pl.col("at").cast(pl.Datetime))
    answers = []
    for frame in (dates, midnights):
        series = series_of(frame, "month")
        measures = [Measure(None, "count"), Measure("amount", "mean")]
        answers.append(c.periods_query(frame, series, measures, frame.collect_schema(), "people", split).collect())
    assert dates.collect_schema()["at"] == pl.Date and answers[0].schema == answers[1].schema
    assert answers[0].equals(answers[1])
    assert answers[0].height > 20


@pytest.mark.parametrize(("largest", "format_"), [(0.63, ".0%"), (0.04, ".1%"), (0.007, ".2%")])
def test_a_share_s_axis_has_the_decimals_its_values_need(largest, format_):
    """Deaths per crash by year, 0.3% to 0.7%: ticks of '0%, 0%, 1%' say nothing."""
    share = Measure("dead", "share", positive="dead")
    assert c.axis_of(share, [largest / 3, largest, None])["format"] == format_
