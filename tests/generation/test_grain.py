"""What one row is, and what that makes lead: one small frame per grain and per trap, written for
the rule (never a copy of a dataset): occurrences counted, entities' totals averaged, periods'
counts summed, ids and positions stored as numbers, epoch seconds, quarters, relative time, a total
beside its parts, a code beside its label, a stock per cell and quarter, sampling vs body weights."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import polars as pl
import pytest

from services.generation.choosing import _bearing, choose_cards
from services.generation.grain import outcome_of
from services.generation.profile import profile_table


def spec_of(frame: pl.DataFrame, **types) -> dict:
    return choose_cards(profile_table(frame, types or None), "t")


def first_chart(spec: dict) -> dict:
    return next(card for card in spec["cards"] if card["kind"] == "chart")


def uses(spec: dict, column: str) -> list[dict]:
    return [card["query"] for card in spec["cards"] if card["kind"] in ("kpi", "chart")
            and (card["query"]["measure"] == column or column in card["query"]["by"] or card["query"]["split"] == column)]


def test_an_event_log_with_one_money_column_counts_occurrences_and_totals_the_money():
    moments = random.Random(7)
    start = datetime(2024, 1, 1)
    frame = pl.DataFrame({"at": sorted(start + timedelta(seconds=moments.randrange(90 * 86400)) for _ in range(400)),
                          "kind": ["parking", "speeding", "lights", "papers"] * 100,
                          "district": [f"D{n % 7}" for n in range(400)],
                          "fine": [float(20 + n % 90) for n in range(400)]})
    spec = spec_of(frame)
    assert spec["grain"] == "event"
    lead = first_chart(spec)
    assert lead["query"]["measure"] is None and lead["query"]["aggregate"] == "count" and lead["query"]["time"]
    assert "lead: each row is one occurrence" in lead["rule"]
    counted_by = {b for card in spec["cards"] if card["kind"] == "chart" for b in card["query"]["by"]
                  if card["query"]["aggregate"] == "count" and not card["query"]["bin"]}
    assert {"kind", "district"} <= counted_by
    fines = {q["aggregate"] for q in uses(spec, "fine")}
    assert "sum" in fines and "mean" not in fines


def test_a_table_of_things_averages_their_totals_and_counts_them_by_outcome():
    n = 300
    frame = pl.DataFrame({"region": [f"R{i % 9}" for i in range(n)], "tenure_months": [i % 60 for i in range(n)],
                          **{f"total_{part}_minutes": [float((i * k) % 300) for i in range(n)]
                             for k, part in enumerate(["day", "eve", "night", "intl"], start=3)},
                          **{f"total_{part}_calls": [(i * k) % 120 for i in range(n)]
                             for k, part in enumerate(["day", "eve", "night", "intl"], start=5)},
                          "plan": ["basic", "plus", "max"] * 100, "score": [float(i % 10) for i in range(n)],
                          "complaints_open": [i % 4 for i in range(n)], "churn": ["yes", "no", "no", "no"] * 75})
    spec = spec_of(frame)
    assert spec["grain"] == "entity"
    columns = {c["name"]: c for c in spec["columns"]}
    assert columns["total_day_minutes"]["aggregate"] == "mean"
    assert not any(q["aggregate"] == "sum" for name in columns if name.startswith("total_") for q in uses(spec, name))
    lead = first_chart(spec)
    assert lead["query"]["measure"] is None and lead["query"]["by"] == ["churn"]


def test_a_series_of_periods_sums_its_bare_whole_numbers():
    months = [datetime(1990 + m // 12, m % 12 + 1, 1) for m in range(72)]
    frame = pl.DataFrame({"month": months, "value": [100 + (m * 7) % 40 for m in range(72)]})
    spec = spec_of(frame)
    assert spec["grain"] == "period"
    lead = first_chart(spec)["query"]
    assert (lead["measure"], lead["aggregate"], lead["time"]["columns"]) == ("value", "sum", ["month"])


def test_a_bounded_position_and_a_year_of_something_are_never_measures():
    days = [datetime(2001, 1, 1) + timedelta(days=d) for d in range(400)]
    frame = pl.DataFrame({"date": days, "day_of_year": [d.timetuple().tm_yday for d in days],
                          "week_of_year": [d.isocalendar()[1] for d in days],
                          "yearbuilt": [1950 + d % 60 for d in range(400)], "visitors": [50 + d % 30 for d in range(400)]})
    spec = spec_of(frame)
    for column in ("day_of_year", "week_of_year", "yearbuilt"):
        assert not [q for q in uses(spec, column) if q["measure"] == column], column


def test_ids_stored_as_numbers_are_never_measures():
    frame = pl.DataFrame({"movie_id": [(n * 7919) % 500 for n in range(1000)], "flight": [100 + n % 90 for n in range(1000)],
                          "user": ["u" + str(n % 50) for n in range(1000)], "stars": [1 + n % 5 for n in range(1000)]})
    found = {c.name: c.semantic.kind for c in profile_table(frame).columns}
    assert found["movie_id"] == found["flight"] == "identifier"
    spec = spec_of(frame)
    assert not uses(spec, "movie_id") and not uses(spec, "flight")


def test_epoch_seconds_and_milliseconds_are_the_time_axis():
    seconds = [1_260_000_000 + 86_400 * n + 3_600 * (n % 5) for n in range(200)]
    for column in (seconds, [s * 1000 for s in seconds]):
        frame = pl.DataFrame({"timestamp": column, "rating": [1 + n % 5 for n in range(200)]})
        axis = profile_table(frame).model.time
        assert axis is not None and axis.column == "timestamp"
        assert axis.start == datetime(2009, 12, 5, 8, 0)


@pytest.mark.parametrize("spelled", [["1998 Q1", "1998 Q2", "1998 Q3", "1998 Q4"], ["2014Q1", "2014Q2", "2014Q3", "2014Q4"],
                                     ["Q1 2001", "Q2 2001", "Q3 2001", "Q4 2001"]])
def test_quarters_spelled_as_text_are_dates(spelled):
    frame = pl.DataFrame({"period": spelled * 5, "sales": [float(n) for n in range(20)],
                          "shop": [f"s{n // 4}" for n in range(20)]})
    axis = profile_table(frame).model.time
    assert axis is not None and axis.column == "period"
    assert axis.start.month == 1 and axis.end.month == 10


def test_relative_time_is_an_axis_labelled_as_such_and_subjects_by_number_are_drawn_per_group():
    rows = [(subject, day) for subject in range(1, 31) for day in range(0, 22, 3)]
    frame = pl.DataFrame({"weight": [40.0 + day * (4 + subject % 3) for subject, day in rows],
                          "Time": [day for _, day in rows], "subject": [subject for subject, _ in rows],
                          "feed": [subject % 3 + 1 for subject, _ in rows]})
    spec = spec_of(frame)
    lead = first_chart(spec)
    assert lead["query"]["time"]["columns"] == ["Time"] and lead["query"]["split"] == "feed"
    assert lead["vega_lite"]["encoding"]["x"]["type"] == "quantitative"
    assert [p["period"] for p in lead["vega_lite"]["data"]["values"] if p["feed"] == 1] == list(range(0, 22, 3))
    assert not uses(spec, "subject")
    assert not any(q["aggregate"] == "sum" for q in uses(spec, "weight"))


def test_a_total_beside_its_parts_is_found_in_other_units_and_leads():
    frame = pl.DataFrame({"year": list(range(1900, 1960)), "boys": [5000 + 13 * n for n in range(60)],
                          "girls": [4800 + 11 * n for n in range(60)], "ratio": [1.04 + n / 1000 for n in range(60)]})
    frame = frame.with_columns(((pl.col("boys") + pl.col("girls")) / 1000).alias("all_children"))
    columns = {c["name"]: c for c in spec_of(frame)["columns"]}
    assert columns["all_children"]["detail"] == "total" and columns["boys"]["detail"] == "part"
    assert columns["ratio"]["detail"] != "part"
    assert first_chart(spec_of(frame))["query"]["measure"] == "all_children"


def test_a_code_beside_its_label_keys_one_series_per_label():
    titles = {"M1": "Getting timely care", "M2": "How well providers communicate", "M3": "Courteous staff"}
    frame = pl.DataFrame({"org": [f"org {n // 3}" for n in range(150)], "measure_cd": list(titles) * 50,
                          "measure_title": list(titles.values()) * 50, "rate": [50.0 + n % 40 for n in range(150)]})
    spec = spec_of(frame)
    assert spec["shape"] == "long"
    lead = first_chart(spec)
    assert lead["query"]["by"] == ["measure_title"] and lead["query"]["measure"] == "rate"
    assert not uses(spec, "measure_cd")


def test_a_head_count_per_cell_and_quarter_is_never_summed_across_quarters():
    quarters = [datetime(2010 + q // 4, q % 4 * 3 + 1, 1) for q in range(16)]
    cells = [(s, g, q) for s in ("A", "B", "C") for g in ("F", "M") for q in quarters]
    frame = pl.DataFrame({"state": [s for s, _, _ in cells], "sex": [g for _, g, _ in cells],
                          "t": [q for _, _, q in cells], "count": [100 + i % 16 for i in range(len(cells))]})
    spec = spec_of(frame)
    assert spec["grain"] == "cell"
    for q in uses(spec, "count"):
        assert q["aggregate"] != "sum" or q["time"]["unit"] == "quarter", q
    latest = next(c for c in spec["cards"] if c["id"] == "breakdown-state")
    assert latest["query"]["aggregate"] == "last"
    assert {row["value"] for row in latest["vega_lite"]["data"]["values"]} == {115 * 2}


def test_a_sampling_weight_weighs_rows_and_a_body_weight_is_averaged():
    sampled = pl.DataFrame({"weight": [0.5, 3.0, 40000.0, 12.0, 800.0, 2.0] * 30, "injured": ["yes", "no", "no"] * 60,
                            "age": [20 + n % 50 for n in range(180)], "seat": ["front", "back"] * 90})
    assert profile_table(sampled).model.weight == "weight"
    bodies = pl.DataFrame({"weight": [35.0 + n % 40 for n in range(180)], "seat": ["front", "back"] * 90,
                           "age": [20 + n % 50 for n in range(180)]})
    profile = profile_table(bodies)
    assert profile.model.weight is None and profile.column("weight").semantic.aggregate == "mean"


def test_column_types_grain_overrules_what_a_row_is():
    months = [datetime(1990 + m // 12, m % 12 + 1, 1) for m in range(72)]
    frame = pl.DataFrame({"month": months, "value": [100 + (m * 7) % 40 for m in range(72)]})
    spec = spec_of(frame, grain="event")
    assert spec["grain"] == "event" and "column_types says so" in first_chart(spec)["rule"]
    assert first_chart(spec)["query"]["aggregate"] == "count"


def test_twelve_months_beside_their_total_make_the_total_the_headline():
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    frame = pl.DataFrame({"Year": list(range(1950, 2000)),
                          **{m: [100 + i * (k + 1) % 37 for i in range(50)] for k, m in enumerate(months)}})
    spec = spec_of(frame.with_columns(pl.sum_horizontal(months).alias("Total")))
    columns = {c["name"]: c["detail"] for c in spec["columns"]}
    assert columns["Total"] == "total" and all(columns[m] == "part" for m in months)
    assert first_chart(spec)["query"]["measure"] == "Total"
    kpis = [card["query"]["measure"] for card in spec["cards"] if card["kind"] == "kpi"]
    assert "Total" in kpis and not set(months) & set(kpis)  # a month is a part of the total, no headline


def test_a_total_is_found_on_the_rows_where_its_parts_are_present_among_many_other_columns():
    """Gaps in a part and in an unrelated column leave the rows where all are present; 120 other
    columns beside them, each above the total on some row, change nothing."""
    rows = 60
    parts: dict[str, list[float | None]] = {
        name: [float(10 + (n * (k + 3)) % 23) for n in range(rows)] for k, name in enumerate(("gas", "power", "water"))}
    parts["gas"][7] = None
    frame = pl.DataFrame({**parts, "notes_count": [None if n % 5 == 0 else float(n % 4) for n in range(rows)],
                          **{f"reading_{k}": [float((n * k) % 90 + 20) for n in range(rows)] for k in range(1, 121)}})
    frame = frame.with_columns(pl.sum_horizontal("gas", "power", "water").alias("bill").fill_null(0.0))
    frame = frame.with_columns(pl.when(pl.col("gas").is_null()).then(None).otherwise(pl.col("bill")).alias("bill"))
    columns = {c.name: c.semantic.detail for c in profile_table(frame).columns}
    assert columns["bill"] == "total" and {columns[p] for p in parts} == {"part"}
    assert not any(detail in ("total", "part") for name, detail in columns.items() if name.startswith("reading_"))


def test_a_long_table_of_many_series_shows_a_few_totals_first_never_one_mixed_line():
    months = [datetime(2010 + m // 12, m % 12 + 1, 1) for m in range(36)]
    rows = [(f"CES{k:04d}", "Total nonfarm" if k == 7 else f"Sector {k}", moment, 3000.0 + k * 10 + m)
            for k in range(40) for m, moment in enumerate(months)]
    frame = pl.DataFrame({"series_id": [r[0] for r in rows], "series_title": [r[1] for r in rows],
                          "date": [r[2] for r in rows], "value": [r[3] for r in rows]})
    spec = spec_of(frame)
    timed = [card for card in spec["cards"] if card["kind"] == "chart" and card["query"]["time"]]
    assert timed and all(card["query"]["split"] == "series_title" for card in timed)
    shown = {row["series_title"] for row in timed[0]["vega_lite"]["data"]["values"]}
    assert "Total nonfarm" in shown and len(shown) == 6
    assert not uses(spec, "series_id")


def test_a_daily_series_over_years_shows_its_weekdays_and_months_once():
    days = [datetime(2001, 1, 1) + timedelta(days=d) for d in range(3 * 365)]
    frame = pl.DataFrame({"date": days, "riders": [1000 + (0 if d.weekday() < 5 else -600) + d.month for d in days],
                          "weekday": [d.strftime("%a") for d in days], "home_game": [d.day % 9 == 0 for d in days]})
    spec = spec_of(frame)
    cards = {card["id"]: card for card in spec["cards"]}
    week = cards["season-weekday"]
    assert week["query"]["time"] == {"columns": ["date"], "unit": "weekday"} and week["query"]["aggregate"] == "mean"
    by_day = {row["category"]: row["value"] for row in week["vega_lite"]["data"]["values"]}
    assert list(by_day) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert by_day["Sat"] < by_day["Mon"] - 500
    assert "season-month" in cards
    assert not uses(spec, "weekday")  # said once, by the season
    assert not [q for q in uses(spec, "home_game") if q["by"]]  # a day's yes/no condition is no breakdown


def test_decimal_years_in_twelfths_are_months():
    frame = pl.DataFrame({"time": [1949 + m / 12 for m in range(36)], "value": [100 + m for m in range(36)]})
    axis = profile_table(frame).model.time
    assert axis is not None and axis.distinct == 36 and axis.start == datetime(1949, 1, 1)
    assert axis.end == datetime(1951, 12, 1)


def test_a_totals_parts_are_drawn_together_beside_it():
    frame = pl.DataFrame({"year": list(range(1900, 1960)), "boys": [5000 + 13 * n for n in range(60)],
                          "girls": [4800 + 11 * n for n in range(60)], "deaths": [900 + n % 7 for n in range(60)]})
    spec = spec_of(frame.with_columns((pl.col("boys") + pl.col("girls")).alias("children")))
    charts = [card for card in spec["cards"] if card["kind"] == "chart"]
    at = next(i for i, card in enumerate(charts) if card["id"] == "parts-of-children")
    assert charts[at - 1]["query"]["measure"] == "children"  # right beside the total's own line
    lines = charts[at]["vega_lite"]["data"]["values"]
    assert {line["part"] for line in lines} == {"Boys", "Girls"}
    assert charts[at]["query"]["measures"] == ["boys", "girls"]
    assert next(line["value"] for line in lines if line["part"] == "Girls" and line["period"].startswith("1901")) == 4811


@pytest.mark.parametrize("attributes", [4, 30])  # a narrow table, and a wide one whose names decide its headlines
def test_a_table_of_things_with_an_outcome_puts_its_share_first(attributes):
    rows = 300
    frame = pl.DataFrame({"customer": [f"C{n:04d}" for n in range(rows)],
                          **{f"usage_{k}_minutes": [float((n * (k + 3)) % 97) for n in range(rows)] for k in range(attributes)},
                          "left": ["yes" if n % 7 == 0 else "no" for n in range(rows)],
                          "plan": ["basic", "plus", "pro"] * 100})
    spec = spec_of(frame)
    assert spec["grain"] == "entity"
    kpis = [card for card in spec["cards"] if card["kind"] == "kpi"]
    assert kpis[1]["query"] == {**kpis[1]["query"], "measure": "left", "aggregate": "share"}
    assert kpis[1]["value"] == pytest.approx(43 / 300, abs=1e-4)


def test_a_panel_of_few_entities_never_averages_their_levels_into_one_line():
    """Three gases, each its own line: one more line averaging ppm with ppb would say nothing true. A
    flow (sales per shop) still gets its total line beside the shops' lines."""
    years = list(range(1900, 2000, 5))
    levels = pl.DataFrame({"year": years * 3, "gas": ["argon"] * 20 + ["neon"] * 20 + ["xenon"] * 20,
                           "concentration": [280.0 + n for n in range(20)] + [700.0 + 3 * n for n in range(20)]
                           + [270.0 + n / 2 for n in range(20)]})
    lines = [card["query"] for card in spec_of(levels)["cards"] if card["kind"] == "chart" and card["query"]["time"]]
    assert [q["split"] for q in lines] == ["gas"]
    flows = pl.DataFrame({"year": years * 3, "shop": ["Elm"] * 20 + ["Oak"] * 20 + ["Pine"] * 20,
                          "sales": [float(20 + (37 * n) % 400) for n in range(60)]})
    lines = [card["query"] for card in spec_of(flows)["cards"] if card["kind"] == "chart" and card["query"]["time"]]
    assert {q["split"] for q in lines} == {"shop", None} and all(q["aggregate"] == "sum" for q in lines)


def test_years_across_the_columns_and_an_indicator_key_lead_with_the_latest_year_per_indicator():
    """One row per country and indicator, one column per year: the latest year is the headline, and no
    KPI adds or averages head counts together with growth rates."""
    countries = [f"C{n:02d}" for n in range(30)]
    rows = [{"country": country, "indicator": indicator,
             **{str(year): (1e6 * (k + 1) + 1e4 * year % 7 if indicator == "people" else 1.5 + (year + k) % 3 / 10)
                for year in range(2010, 2016)}}
            for k, country in enumerate(countries) for indicator in ("people", "growth")]
    spec = spec_of(pl.DataFrame(rows))
    assert [card["query"]["measure"] for card in spec["cards"] if card["kind"] == "kpi"] == [None]
    charted = [card["query"] for card in spec["cards"] if card["kind"] == "chart"]
    assert {q["measure"] for q in charted} <= {None, "2015"}
    assert any(q["measure"] == "2015" and q["by"] == ["indicator"] and q["aggregate"] != "sum" for q in charted)


def test_a_family_of_numbered_columns_gives_way_to_the_measures_of_the_row():
    """An order's count of each of 12 items (item_01 ... item_12): none of them is a headline beside
    the order's own measures; years in a stem (sales_2019 ... sales_2022) lead with the latest."""
    draws = random.Random(3)
    orders = pl.DataFrame({"minutes_to_deliver": [12.5 + draws.random() * 30 for _ in range(300)],
                           "distance_km": [0.5 + draws.random() * 6 for _ in range(300)],
                           "weekday": [("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[n % 7] for n in range(300)],
                           **{f"item_{k:02d}": [draws.choice((0, 0, 0, 1, 2)) for _ in range(300)] for k in range(1, 13)}})
    spec = spec_of(orders)
    shown = {card["query"]["measure"] for card in spec["cards"] if card["kind"] in ("kpi", "chart")}
    assert {"minutes_to_deliver", "distance_km"} <= shown and not {m for m in shown if m and m.startswith("item_")}
    only_items = spec_of(orders.select(pl.col("^item_.*$")))  # nothing else to show: the family still does
    assert any(card["query"]["measure"] for card in only_items["cards"] if card["kind"] == "kpi")
    shops = pl.DataFrame({"shop": [f"S{n}" for n in range(40)],
                          **{f"sales_{year}": [float(100 + (n * year) % 97) for n in range(40)] for year in range(2019, 2023)},
                          **{f"visits_{year}": [float(900 + (n * year) % 89) for n in range(40)] for year in range(2019, 2023)}})
    kpis = [card["query"]["measure"] for card in spec_of(shops)["cards"] if card["kind"] == "kpi"]
    assert kpis[1:3] == ["sales_2022", "visits_2022"]  # each family's latest year, money first as it scores
    air = pl.DataFrame({"city": [f"C{n}" for n in range(60)], "ozone": [30.0 + n % 17 for n in range(60)],
                        **{f"pm{size}": [float(5 + (n * size) % 40) for n in range(60)] for size in (1, 10, 25)}})
    assert {"pm1", "pm10", "pm25"} & {card["query"]["measure"] for card in spec_of(air)["cards"] if card["kind"] == "kpi"}


def test_an_outcome_is_broken_down_first_by_what_it_differs_by_not_by_what_restates_it():
    """Customers who leave: a plan few have (7%) but whose holders leave four times as often comes
    before a region that changes nothing (and before it in the file), and a severity that is the
    outcome said again is no driver; the share of leavers is shown by the plan and the next category."""
    draws = random.Random(11)
    rows = []
    for n in range(2000):
        plan = "yes" if n % 14 == 0 else "no"
        left = draws.random() < (0.45 if plan == "yes" else 0.11)
        severity = ("high" if left else "low") if draws.random() < 0.95 else draws.choice(("high", "low", "mid"))
        rows.append({"customer": f"C{n:05d}", "region": ("north", "south", "east", "west")[n % 4],
                     "age": 18 + draws.randrange(60), "tenure_months": draws.randrange(1, 72),
                     "monthly_charge": round(20 + draws.random() * 60, 2), "plan": plan, "severity": severity,
                     "left": "yes" if left else "no"})
    spec = spec_of(pl.DataFrame(rows))
    by = [card["query"]["by"][0] for card in spec["cards"] if card["kind"] == "chart" and card["query"]["by"]]
    assert by[0] == "left" and by[1] == "plan" and "severity" not in by[:3]
    shares = [card["query"] for card in spec["cards"] if card["kind"] == "chart" and card["query"]["measure"] == "left"]
    assert [q["by"] for q in shares] == [["plan"], ["region"]]  # by the two categories after the outcome itself


def test_a_site_s_days_lead_with_their_flows_and_a_price_s_bars_with_the_close():
    """A day of a site: sessions and page views add up and lead, a bounce rate and a duration are
    averaged after them. A price's bars per day and ticker: the (adjusted) close is the one price,
    charted per ticker; open, high and low are its range, no headlines of their own."""
    days = [datetime(2024, 1, 1) + timedelta(days=k) for k in range(200)]
    draws = random.Random(9)
    site = pl.DataFrame({"day": days, "bounce_rate": [draws.uniform(0.3, 0.6) for _ in days],
                         "avg_session_duration": [draws.uniform(60, 240) for _ in days],
                         "sessions": [draws.randrange(800, 2000) for _ in days],
                         "pageviews": [draws.randrange(2000, 8000) for _ in days]})
    spec = spec_of(site)
    kpis = [card["query"] for card in spec["cards"] if card["kind"] == "kpi"]
    assert [(q["measure"], q["aggregate"]) for q in kpis[1:3]] == [("sessions", "sum"), ("pageviews", "sum")]
    assert first_chart(spec)["query"]["measure"] == "sessions"
    tickers = ["AAA", "BBB", "CCC"]
    bars = pl.DataFrame({"Date": [d for d in days for _ in tickers], "Ticker": tickers * len(days),
                         **{name: [100 + draws.random() * 10 for _ in range(3 * len(days))]
                            for name in ("Open", "High", "Low", "Close", "Adj Close")},
                         "Volume": [draws.randrange(10**5, 10**7) for _ in range(3 * len(days))]})
    spec = spec_of(bars)
    shown = {card["query"]["measure"] for card in spec["cards"] if card["kind"] in ("kpi", "chart")}
    assert "Adj Close" in shown and not {"Open", "High", "Low", "Close"} & shown
    assert [card["query"]["measure"] for card in spec["cards"] if card["kind"] == "kpi"][1] == "Adj Close"
    assert any(card["query"]["measure"] == "Adj Close" and card["query"]["split"] == "Ticker" for card in spec["cards"]
               if card["kind"] == "chart")


def test_an_actual_beside_its_budget_adds_up_as_the_budget_does_and_a_unit_cost_never_does():
    months = [datetime(2023 + m // 12, m % 12 + 1, 1) for m in range(24)]
    teams = ["Ops", "Sales", "R&D", "IT"]
    draws = random.Random(4)
    budget = pl.DataFrame({"month": [m for m in months for _ in teams], "team": teams * 24,
                           "budget": [draws.randrange(50, 200) * 1000 for _ in range(96)],
                           "actual": [draws.randrange(40, 220) * 1000 for _ in range(96)]})
    aggregates = {(card["query"]["measure"], card["query"]["aggregate"]) for card in spec_of(budget)["cards"]
                  if card["kind"] == "kpi"}
    assert {("budget", "sum"), ("actual", "sum")} <= aggregates
    labelled = pl.DataFrame({"customer": [f"C{n}" for n in range(200)], "orders": [draws.randrange(0, 20) for _ in range(200)],
                             "target": [round(draws.random() * 3, 3) for _ in range(200)]})  # a label to predict
    assert "sum" not in measured_aggregates(spec_of(labelled), "target")
    stock = pl.DataFrame({"sku": [f"K{n:04d}" for n in range(300)], "warehouse": [("NJ", "TX", "CA")[n % 3] for n in range(300)],
                          "unit_cost": [round(1 + draws.random() * 200, 2) for _ in range(300)],
                          "on_hand": [draws.randrange(0, 500) for _ in range(300)],
                          "unit_sales": [draws.randrange(0, 90) for _ in range(300)]})  # units sold: they add up
    assert "sum" not in measured_aggregates(spec_of(stock), "unit_cost")
    assert "sum" in measured_aggregates(spec_of(stock), "unit_sales")


def test_a_row_s_start_and_end_measure_what_it_lasted():
    """Tickets opened then resolved: the hours between is the measure the pair is for, averaged and
    broken down; it comes right after a flow the rows count (items); moments out of order (an
    'end' before its 'start' on a quarter of the rows), one zoned and one not, or an end known on a
    third of the rows only, are no span."""
    draws = random.Random(6)
    opened = [datetime(2024, 5, 1) + timedelta(minutes=draws.randrange(60 * 1440)) for _ in range(600)]
    tickets = pl.DataFrame({"ticket": [f"T{n}" for n in range(600)], "created_at": opened,
                            "resolved_at": [moment + timedelta(hours=draws.uniform(2, 90)) for moment in opened],
                            "priority": [("low", "high", "urgent")[n % 3] for n in range(600)],
                            "satisfaction_score": [draws.randrange(1, 6) for _ in range(600)]})
    spec = spec_of(tickets)
    span = "hours from created_at to resolved_at"
    kpis = [card["query"]["measure"] for card in spec["cards"] if card["kind"] == "kpi"]
    assert kpis[:2] == [None, span] and measured_aggregates(spec, span) >= {"mean"}
    assert any(card["query"]["measure"] == span and card["query"]["by"] == ["priority"] for card in spec["cards"]
               if card["kind"] == "chart")
    with_items = spec_of(tickets.with_columns(items=pl.Series([draws.randrange(1, 9) for _ in range(600)])))
    kpis = [card["query"]["measure"] for card in with_items["cards"] if card["kind"] == "kpi"]
    assert kpis.index(span) == kpis.index("items") + 1  # right after the flows
    zoned = tickets.with_columns(pl.col("resolved_at").dt.replace_time_zone("UTC"))  # beside a clock of no zone
    assert not [name for name in profile_table(zoned).frame.collect_schema() if name.startswith("hours from")]
    open_mostly = tickets.with_columns(resolved_at=pl.when(pl.int_range(600) % 3 == 0).then(pl.col("resolved_at")))
    assert not [name for name in profile_table(open_mostly).frame.collect_schema() if name.startswith("hours from")]
    shuffled = tickets.with_columns(resolved_at=pl.when(pl.int_range(600) % 4 == 0)  # a quarter end before they start
                                    .then(pl.col("created_at") - pl.duration(hours=5)).otherwise(pl.col("resolved_at")))
    assert not [name for name in profile_table(shuffled).frame.collect_schema() if name.startswith("hours from")]


def measured_aggregates(spec: dict, column: str) -> set[str]:
    return {card["query"]["aggregate"] for card in spec["cards"] if card["kind"] in ("kpi", "chart")
            and card["query"]["measure"] == column}


def test_a_count_that_only_shows_how_the_table_is_laid_out_is_left_out():
    """Each indicator once per country: counting rows per indicator draws equal bars; the values per
    indicator are shown instead. Categories of unequal counts keep their count."""
    rows = [{"country": f"C{n:03d}", "indicator": indicator,
             **{str(year): float(1 + (n * 7 + k + year) % 50) for year in range(2000, 2018)}}
            for n in range(120) for k, indicator in enumerate(("people", "growth", "urban"))]
    by = [(card["query"]["measure"], card["query"]["by"]) for card in spec_of(pl.DataFrame(rows))["cards"]
          if card["kind"] == "chart" and card["query"]["by"] == ["indicator"]]
    assert by and all(measure is not None for measure, _ in by)
    uneven = pl.DataFrame({"shop": [("north", "south", "east")[n % 3 if n % 5 else 0] for n in range(300)],
                           "amount": [float(10 + n % 40) for n in range(300)]})
    assert any(card["query"] == {**card["query"], "measure": None, "by": ["shop"]} for card in spec_of(uneven)["cards"]
               if card["kind"] == "chart")


def test_how_far_an_outcome_differs_by_a_category_reads_survey_weights_in_any_unit_and_counts_as_people():
    """Survey weights: the bearing is the same in any unit of them, and rows without a weight (or a
    category whose every weight is missing) leave it a number. Whole weights are counts of people:
    four cells standing for 2,000 people tell more than four rows would."""
    sample = pl.DataFrame({"sex": ["f", "m"] * 60, "dead": ["yes" if n % 2 == 0 and n % 3 else "no" for n in range(120)],
                           "weight": [None if n < 10 else 1.25 + n % 7 * 0.37 for n in range(120)],
                           "unweighed": ["x"] * 10 + ["y", "z"] * 55})
    bearings = [_bearing(sample.with_columns(pl.col("weight") * unit), "sex", "dead", "weight") for unit in (1, 1e3, 1e-3)]
    assert bearings[0] > 0.3 and max(bearings) - min(bearings) < 1e-9
    assert math.isfinite(_bearing(sample, "unweighed", "dead", "weight"))
    cells = pl.DataFrame({"sex": ["f", "f", "m", "m"], "survived": ["yes", "no", "yes", "no"], "people": [350, 120, 360, 1170]})
    assert _bearing(cells, "sex", "survived", "people") > 0.4


def test_a_total_with_a_nan_is_read_on_its_other_rows():
    rows = 40
    frame = pl.DataFrame({"north": [50.5 + (n * 37) % 29 * 1.7 for n in range(rows)],
                          "south": [30.25 + (n * 13) % 23 * 2.3 for n in range(rows)]})
    frame = frame.with_columns((pl.col("north") + pl.col("south")).alias("all_regions"))
    frame = frame.with_columns(pl.when(pl.int_range(rows) == 3).then(float("nan")).otherwise(pl.col("all_regions"))
                               .alias("all_regions"))
    columns = {c.name: c.semantic.detail for c in profile_table(frame).columns}
    assert columns == {"north": "part", "south": "part", "all_regions": "total"}


def test_a_row_of_pre_aggregated_amounts_is_one_cell_and_its_amounts_lead_not_its_count():
    """Deaths by state, year and cause: every combination once; counting rows counts the layout."""
    rows = [(state, year, cause, 100 + (n * 37) % 900) for n, (state, year, cause) in enumerate(
        (s, y, c) for s in ("AK", "BC", "CD", "DE", "EF") for y in range(2010, 2021) for c in ("a", "b", "c", "d"))]
    frame = pl.DataFrame(rows, schema=["state", "year", "cause", "deaths"], orient="row")
    spec = spec_of(frame)
    assert spec["grain"] == "cell", spec["shape_evidence"]
    charts = [card["query"] for card in spec["cards"] if card["kind"] == "chart"]
    assert charts[0]["measure"] == "deaths" and charts[0]["aggregate"] == "sum"
    assert all(q["measure"] == "deaths" for q in charts if q["by"])  # by state, by cause: deaths, never rows
    # the same rows, one combination repeated: occurrences again, counted
    repeated = pl.concat([frame, frame.head(40)])
    assert spec_of(repeated)["grain"] == "event"


def test_a_small_table_of_named_things_is_one_thing_per_row():
    frame = pl.DataFrame({"product": [f"Product {c}" for c in "ABCDEFGHIJ"],
                          "units": [120, 80, 45, 300, 90, 60, 75, 20, 15, 110],
                          "price": [9.5, 12.0, 30.0, 4.0, 15.0, 11.0, 8.0, 45.0, 60.0, 7.5]})
    spec = spec_of(frame)
    assert spec["grain"] == "entity", spec["shape_evidence"]
    assert not [card for card in spec["cards"] if card["kind"] == "chart" and card["query"]["aggregate"] == "count"
                and card["query"]["by"] == ["product"]]  # one row each: a count by name shows nothing


def test_a_kpi_of_occurrences_each_with_its_own_moment_is_their_mean_not_the_last_period_s():
    moments = random.Random(3)
    start = datetime(2023, 1, 1)
    frame = pl.DataFrame({"hired": sorted(start + timedelta(days=moments.randrange(3000)) for _ in range(300)),
                          "salary": [50_000.0 + (n * 7919) % 40_000 for n in range(300)],
                          "department": ["sales", "support", "engineering"] * 100})
    spec = spec_of(frame)
    assert spec["grain"] == "event"
    salary = next(card for card in spec["cards"] if card["kind"] == "kpi" and card["query"]["measure"] == "salary")
    assert salary["query"]["aggregate"] in ("mean", "median") and salary["query"]["time"] is None
    assert salary["value"] == pytest.approx(frame["salary"].mean() if salary["query"]["aggregate"] == "mean"
                                            else frame["salary"].median(), rel=1e-3)


def test_a_long_table_of_several_entities_keeps_each_variable_apart():
    """Countries x indicators x years: the indicator names the variable even though each year holds it
    once per country; its values (people beside dollars beside years of life) are never pooled."""
    indicators = [("SP.POP.TOTL", "Population, total", 5e7), ("NY.GDP.PCAP.CD", "GDP per capita", 3e4),
                  ("SP.DYN.LE00.IN", "Life expectancy at birth", 80.0)]
    rows = [(country, code, name, year, base * (1 + 0.01 * (year - 2000)) * (1 + 0.1 * i))
            for i, country in enumerate(["FRA", "DEU", "ITA", "ESP"]) for code, name, base in indicators
            for year in range(2000, 2021)]
    frame = pl.DataFrame(rows, schema=["country", "indicator_code", "indicator_name", "year", "value"], orient="row")
    spec = spec_of(frame)
    assert spec["shape"] == "long", spec["shape_evidence"]
    pooled = [card for card in spec["cards"] if card["kind"] in ("kpi", "chart") and card["query"]["measure"] == "value"
              and "indicator_name" not in card["query"]["by"] and card["query"]["split"] != "indicator_name"]
    assert not pooled, [card["title"] for card in pooled]


def test_a_skewed_kpi_is_a_median_unless_most_values_are_zero():
    """A purchase's value on an app's events is zero on most rows: a median of 0 says nothing."""
    moments = random.Random(5)
    start = datetime(2024, 1, 1)
    at = sorted(start + timedelta(seconds=moments.randrange(60 * 86400)) for _ in range(2000))
    skewed = [float(1 + (n * 7) % 5) if n % 50 else 400.0 + n for n in range(2000)]
    for values, aggregate in ((skewed, "median"), ([v if n % 10 == 0 else 0.0 for n, v in enumerate(skewed)], "mean")):
        frame = pl.DataFrame({"at": at, "kind": ["view", "click"] * 1000, "score": values})
        kpi = next(card for card in spec_of(frame)["cards"] if card["kind"] == "kpi" and card["query"]["measure"] == "score")
        assert kpi["query"]["aggregate"] == aggregate, values[:12]


def test_a_running_total_is_the_level_reached_never_summed_over_time():
    """Cases to date beside each day's new cases, per place, the places' rows interleaved and the last
    day unknown for one; an account's balance beside each payment, rows out of time order, the last
    balance unknown."""
    days = [datetime(2021, 1, 1) + timedelta(days=d) for d in range(8)]  # few days of many places:
    rows = []                                                             # each place's own steps count
    for d, day in enumerate(days):
        for p, place in enumerate(["north"] + [f"place {n}" for n in range(11)]):
            rows.append((day, place, (d * 7 + p * 13) % 40 + 1))
    frame = pl.DataFrame(rows, schema=["day", "place", "new_cases"], orient="row", )
    frame = frame.with_columns(cases_to_date=pl.col("new_cases").cum_sum().over("place"))
    frame = frame.with_columns(pl.when((pl.col("place") == "north") & (pl.col("day") == days[-1])).then(None)
                               .otherwise(pl.col("cases_to_date")).alias("cases_to_date"))
    reached = frame.drop_nulls().group_by("place").agg(pl.col("cases_to_date").last())["cases_to_date"].sum()
    spec = spec_of(frame)
    assert "sum" not in measured_aggregates(spec, "cases_to_date")
    kpi = next(card for card in spec["cards"] if card["kind"] == "kpi" and card["query"]["measure"] == "cases_to_date")
    assert kpi["query"]["aggregate"] == "last" and kpi["value"] == reached
    assert kpi["note"].startswith(f"at {days[-1]:%Y-%m-%d}")  # when it was reached, not a period's start
    moments = random.Random(9)
    at = sorted(datetime(2024, 1, 1) + timedelta(seconds=moments.randrange(90 * 86400)) for _ in range(500))
    amounts = [round(moments.uniform(-120, 100), 2) for _ in at]
    balances = [round(1000 + sum(amounts[:n + 1]), 2) for n in range(len(at))]
    ledger = pl.DataFrame({"at": at, "payee": ["shop", "rent", "pay", "fuel"] * 125, "amount": amounts,
                           "balance": balances[:-1] + [None]}).sample(fraction=1.0, shuffle=True, seed=4)
    spec = spec_of(ledger)
    kpi = next(card for card in spec["cards"] if card["kind"] == "kpi" and card["query"]["measure"] == "balance")
    assert kpi["query"]["aggregate"] == "last" and kpi["value"] == pytest.approx(balances[-2])


def test_amounts_that_are_mostly_zero_are_no_running_totals_of_each_other():
    """An app's events: items and revenue both zero on every view, both positive on a purchase."""
    moments = random.Random(2)
    at = sorted(datetime(2024, 3, 1) + timedelta(seconds=moments.randrange(30 * 86400)) for _ in range(2000))
    bought = [moments.random() < 0.03 for _ in at]
    frame = pl.DataFrame({"at": at, "event": ["purchase" if b else "view" for b in bought],
                          "items": [moments.randint(1, 4) if b else 0 for b in bought],
                          "revenue": [round(moments.uniform(5, 90), 2) if b else 0.0 for b in bought]})
    spec = spec_of(frame)
    assert {"sum"} <= measured_aggregates(spec, "revenue") and "last" not in measured_aggregates(spec, "items")


def test_an_order_log_with_an_item_and_an_amount_is_no_long_table():
    """'item' and 'amount' read like a variable and its value; an order id (or a note) unique per row
    tells the rows apart, but names no entity holding each item once a period."""
    moments = random.Random(6)
    rows = 3000
    frame = pl.DataFrame({"order_date": [datetime(2024, 1, 1) + timedelta(days=moments.randrange(90)) for _ in range(rows)],
                          "item": [f"item {moments.randrange(12)}" for _ in range(rows)],
                          "store": [f"store {moments.randrange(4)}" for _ in range(rows)],
                          "order_id": [f"O{n:06d}" for n in range(rows)],
                          "note": [None] * (rows - 3) + ["gift", "rush", "fragile"],
                          "amount": [round(moments.uniform(3, 300), 2) for _ in range(rows)]})
    spec = spec_of(frame)
    assert spec["shape"] != "long", spec["shape_evidence"]
    assert "sum" in measured_aggregates(spec, "amount")
    # four orders a day of four of the twelve items, each by one of 40 customers: no period holds an
    # item twice, but few of the items, and no customer holds each item once a period either
    orders = pl.DataFrame({"day": [datetime(2024, 1, 1) + timedelta(days=n // 4) for n in range(480)],
                           "item": [f"item {n % 12}" for n in range(480)],
                           "customer": [f"customer {n % 40}" for n in range(480)],
                           "amount": [float(5 + n % 97) for n in range(480)]})
    assert spec_of(orders)["shape"] != "long"


def test_a_skewed_column_empty_on_the_sample_is_read_without_the_sample():
    rows = 8000
    frame = pl.DataFrame({"kind": ["a", "b"] * (rows // 2),
                          "score": [None] * 5000 + [float(1 + n % 5) if n % 50 else 900.0 for n in range(rows - 5000)]})
    kpi = next(card for card in spec_of(frame)["cards"] if card["kind"] == "kpi" and card["query"]["measure"] == "score")
    assert kpi["query"]["aggregate"] == "median"


def test_two_values_of_which_one_names_an_outcome_are_a_yes_no_outcome_whose_share_leads():
    """Alive or dead: 'dead' is the outcome's yes, its share the KPI and broken down, whatever the
    other value is called; two values naming no outcome (north, south) stay a category."""
    n = 300
    frame = pl.DataFrame({"crash_speed": [("slow", "medium", "fast")[i % 3] for i in range(n)],
                          "dead": ["dead" if i % 3 == 2 and i % 2 else "alive" for i in range(n)],
                          "side": ["north", "south"] * (n // 2), "age": [float(18 + i % 60) for i in range(n)]})
    spec = spec_of(frame)
    share = next(card for card in spec["cards"] if card["kind"] == "kpi" and card["query"]["measure"] == "dead")
    assert share["query"]["aggregate"] == "share" and share["title"] == "Share dead"
    assert share["value"] == pytest.approx((frame["dead"] == "dead").mean(), abs=1e-3)
    assert any(card["query"] == {**share["query"], "by": ["crash_speed"]} for card in spec["cards"] if card["kind"] == "chart")
    assert "side" not in {card["query"]["measure"] for card in spec["cards"] if card["kind"] in ("kpi", "chart")}


def test_rows_that_start_and_end_are_occurrences_even_when_they_start_on_a_regular_step():
    """Terms begun every few years, contracts every month: each row lasts, so none is a period of a
    series; the KPI is the average time they lasted, not the last one's."""
    starts = [datetime(2000 + i // 12, i % 12 + 1, 1) for i in range(36)]
    lasted = [30 + (i * 17) % 200 for i in range(36)]
    frame = pl.DataFrame({"started": starts, "ended": [s + timedelta(days=d) for s, d in zip(starts, lasted, strict=True)],
                          "kind": ["fixed", "rolling", "trial"] * 12})
    spec = spec_of(frame)
    assert spec["grain"] == "event", spec["shape_evidence"]
    kpi = next(card for card in spec["cards"] if card["kind"] == "kpi" and card["query"]["measure"]
               and card["query"]["measure"].startswith("days from"))
    assert kpi["query"]["aggregate"] in ("mean", "median") and kpi["query"]["time"] is None
    # one begun a month: their count per month is a flat line, not drawn
    assert "trend-records" not in [card["id"] for card in spec["cards"]]


def _experiment(doses=(0.5, 1.0, 2.0), per_cell: int = 10) -> pl.DataFrame:
    """Tooth length of guinea pigs by supplement and dose, ten animals in each cell."""
    rows = [(supp, dose, 4.0 + 8 * dose + (3 if supp == "OJ" else 0) + (n * 7 % 5))
            for supp in ("OJ", "VC") for dose in doses for n in range(per_cell)]
    return pl.DataFrame(rows, schema=["supp", "dose", "len"], orient="row")


def test_a_designed_experiment_compares_its_outcome_across_every_factor_and_never_counts_the_design():
    spec = spec_of(_experiment())
    assert spec["grain"] == "entity" and "designed experiment" in spec["shape_evidence"][-1]
    doses = next(c for c in spec["columns"] if c["name"] == "dose")
    assert doses["semantic"] == "code" and "set by design" in doses["evidence"][0]
    charts = [card["query"] for card in spec["cards"] if card["kind"] == "chart" and card["query"]["by"]]
    assert {(q["measure"], q["aggregate"], tuple(q["by"])) for q in charts} == {("len", "mean", ("supp",)),
                                                                                ("len", "mean", ("dose",))}
    assert not [card for card in spec["cards"] if card["kind"] == "kpi" and card["query"]["measure"] == "dose"]


def test_uneven_factors_or_a_key_of_many_repeating_things_are_no_design():
    uneven = _experiment().slice(1)  # one animal of the first cell lost
    assert "designed" not in spec_of(uneven)["shape_evidence"][-1]
    keyed = _experiment(per_cell=15).with_columns(country=pl.Series([f"C{n % 30}" for n in range(90)]))
    assert "designed" not in spec_of(keyed)["shape_evidence"][-1]


def _cars(flag_last: bool) -> pl.DataFrame:
    mpg = [15.0 + n * 0.37 % 12 for n in range(40)]
    automatic, hp = [n % 3 == 0 for n in range(40)], [float(90 + n * 13 % 160) for n in range(40)]
    columns = {"model": [f"Car {n}" for n in range(40)], "mpg": mpg}
    return pl.DataFrame({**columns, "hp": hp, "am": automatic} if flag_last else {**columns, "am": automatic, "hp": hp})


def test_a_flag_amid_a_things_columns_is_an_attribute_and_one_in_the_last_column_its_outcome():
    assert outcome_of(profile_table(_cars(flag_last=False)).columns) is None
    outcome = outcome_of(profile_table(_cars(flag_last=True)).columns)
    assert outcome is not None and outcome.name == "am"


def test_ages_set_by_a_design_are_a_factor_whatever_their_name():
    """Five trees, each measured at the same seven ages: age is when, not what was measured."""
    ages = [118, 484, 664, 1004, 1231, 1372, 1582]
    frame = pl.DataFrame([(tree, age, 30.0 + age * (0.08 + tree / 100)) for tree in range(1, 6) for age in ages],
                         schema=["Tree", "age", "circumference"], orient="row")
    spec = spec_of(frame)
    by = {tuple(card["query"]["by"]): card["query"]["measure"] for card in spec["cards"] if card["kind"] == "chart"
          and card["query"]["by"]}
    assert by.get(("age",)) == "circumference" and "age" not in set(by.values()) | {
        card["query"]["measure"] for card in spec["cards"] if card["kind"] == "kpi"}


def _sales(prices: list[float]) -> pl.DataFrame:
    moments = [datetime(2015, 1, 1, 11) + timedelta(seconds=2221 * n + (n * n * 7919) % 1300) for n in range(len(prices))]
    return pl.DataFrame({"sold_at": moments, "pizza": [["hawaiian", "classic", "veggie"][n % 3] for n in range(len(prices))],
                         "price": prices})


def test_the_list_prices_of_sales_logged_one_by_one_add_up_to_the_takings():
    spec = spec_of(_sales([[12.0, 16.0, 20.5, 25.5][n % 4] for n in range(400)]))
    assert {q["aggregate"] for q in uses(spec, "price")} == {"sum"}


def test_a_price_of_its_own_on_each_row_or_beside_a_quantity_is_averaged():
    own = spec_of(_sales([100_000.0 + 137 * n for n in range(400)]))  # each house sold at its own price
    assert "sum" not in {q["aggregate"] for q in uses(own, "price")}
    listed = _sales([[12.0, 16.0][n % 2] for n in range(400)]).with_columns(quantity=pl.lit(2))
    assert "sum" not in {q["aggregate"] for q in uses(spec_of(listed), "price")}


def test_a_category_holding_one_row_for_each_value_is_no_design():
    frame = pl.DataFrame({"region": ["north", "south", "east", "west"], "sales": [10.0, 12.5, 9.0, 14.0]})
    assert "designed" not in spec_of(frame)["shape_evidence"][-1]


def test_prices_of_views_and_carts_or_of_a_traded_symbol_are_never_takings():
    views = _sales([[12.0, 16.0, 20.5, 25.5][n % 4] for n in range(400)]).with_columns(
        event_type=pl.Series([["view", "view", "cart", "purchase"][n % 4] for n in range(400)]))
    assert "sum" not in {q["aggregate"] for q in uses(spec_of(views), "price")}
    trades = _sales([[101.0, 101.5, 102.0][n % 3] for n in range(400)]).rename({"pizza": "symbol"})
    assert "sum" not in {q["aggregate"] for q in uses(spec_of(trades), "price")}


def test_a_panel_measure_unknown_on_the_first_rows_is_not_fixed():
    firms, years = [f"F{n}" for n in range(40)], list(range(2000, 2020))
    rows = [(firm, year, None if year < 2010 else float(100 + n * 7 % 53 + year % 7))
            for year in years for n, firm in enumerate(firms)]  # sorted by year: the first rows know nothing
    frame = pl.DataFrame(rows, schema=["firm", "year", "emissions"], orient="row", infer_schema_length=None)
    assert profile_table(frame.head(400)).model.fixed == []


def test_an_empty_last_column_does_not_hide_the_outcome_before_it():
    frame = _cars(flag_last=True).with_columns(pl.lit(None, dtype=pl.String).alias(""))
    outcome = outcome_of(profile_table(frame).columns)
    assert outcome is not None and outcome.name == "am"


def test_cases_of_a_few_countries_in_two_years_are_cells_not_a_design():
    """Two years are no line; countries x years, each once, holding cases are cells whose amounts lead."""
    frame = pl.DataFrame({"country": ["Afghanistan", "Afghanistan", "Brazil", "Brazil", "China", "China"],
                          "year": [1999, 2000] * 3, "cases": [745, 2666, 37737, 80488, 212258, 213766],
                          "population": [19987071, 20595360, 172006362, 174504898, 1272915272, 1280428583]})
    spec = spec_of(frame)
    assert spec["grain"] == "cell" and "designed" not in spec["shape_evidence"][-1]
    assert first_chart(spec)["query"]["measure"] == "cases"
